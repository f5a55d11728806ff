"""Server time and response size of the select view's callbacks on a D = 650 layer, 40-token window.

    python bench/bench_select_callbacks.py [--T 100000] [--repeat 15]

Builds (once) a synthetic dataset under bench/data/ (gitignored): T tokens, one layer of D = 650
cells whose states switch on and off in runs (geometric run lengths, mean ~8 steps) with noise,
then posts the same requests the browser sends to /_dash-update-component through Flask's test
client (full Dash request handling and JSON encoding) for:

- the threshold change: the sync callback (field value -> view state + URL), then the render
  callback (view state -> figure Patch + detail figure + selection);
- the brush change: the same two with a new brushed range;
- for reference, the render after moving the window (full figure, all D lines).

Prints the median and max time and the response size of each. Target: < 100 ms and < 300 KB.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lstmvis_dash as lv  # noqa: E402
from lstmvis_dash.ui import header, ids, select_view  # noqa: E402
from lstmvis_dash.ui.app import create_app  # noqa: E402

DATA = ROOT / "bench" / "data"
D = 650


def build_dataset(folder: Path, T: int, seed: int = 0) -> Path:
    if (folder / "dataset.h5").exists():
        ds = lv.open_dataset(folder)
        if len(ds) == T and ds.dims("cells") == D:
            return folder
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5000)] + ["(", ")", ".", ",", "the", "a", "of"])
    p = 1.0 / np.arange(1, len(vocab) + 1)
    tokens = vocab[rng.choice(len(vocab), size=T, p=p / p.sum())].tolist()
    raw = np.empty((T, D), np.float32)
    for c0 in range(0, D, 50):  # column blocks keep memory small
        c1 = min(D, c0 + 50)
        switch = rng.random((T, c1 - c0)) < 0.125
        seg = np.cumsum(switch, axis=0)
        n_seg = int(seg.max()) + 1
        levels = rng.choice([-1.6, -0.8, 0.1, 0.9, 1.8], size=(n_seg, c1 - c0)).astype(np.float32)
        raw[:, c0:c1] = np.take_along_axis(levels, seg, axis=0) + rng.normal(0, 0.25, (T, c1 - c0))
    print(f"writing {folder} (T={T}, D={D})", flush=True)
    return lv.write_dataset(folder, tokens, {"cells": raw}, documents=list(range(0, T, 5000)),
                            name="bench650", description="synthetic D=650 states with on/off runs")


def parse_outputs(output: str):
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outs = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        outs.append({"id": cid, "property": prop})
    return outs if output.startswith("..") else outs[0]


class Client:
    """Posts callback requests the way dash-renderer does."""

    def __init__(self, app):
        self.app = app
        self.client = app.server.test_client()
        self.client.get("/")
        self.callbacks = {cb["output"]: cb for cb in app._callback_list}

    def find(self, first_output: str):
        for out, cb in self.callbacks.items():
            if out.startswith(".." + first_output + "...") or out == first_output:
                return cb
        raise KeyError(first_output)

    def call(self, cb, values: dict, states: dict, changed: list[str]):
        def item(dep, source):
            cid = dep["id"]
            if cid.startswith("{"):
                return []  # pattern-matching ALL with no matching component
            return {"id": cid, "property": dep["property"], "value": source.get(f"{cid}.{dep['property']}")}
        body = {"output": cb["output"], "outputs": parse_outputs(cb["output"]),
                "inputs": [item(d, values) for d in cb["inputs"]],
                "state": [item(d, states) for d in cb["state"]], "changedPropIds": changed}
        t0 = time.perf_counter()
        r = self.client.post("/_dash-update-component", json=body)
        dt = time.perf_counter() - t0
        if r.status_code not in (200, 204):
            raise RuntimeError(f"{r.status_code}: {r.data[:500]!r}")
        data = r.get_json() if r.status_code == 200 else {}
        return dt, len(r.data), data.get("response", {})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--T", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    folder = build_dataset(DATA / "bench650", args.T)
    cfg = DATA / "datasets.yml"
    cfg.write_text(f"datasets:\n  - name: bench650\n    path: {folder}\n")
    app = create_app(cfg, components=[header, select_view])  # the select view's own callbacks
    cl = Client(app)
    sync = cl.find(ids.VIEW_STATE + ".data")
    render = cl.find(ids.GRAPH + ".figure")
    ds = app.registry.get("bench650")
    pos, W = 50_000, 40

    # find a brushed range with a non-trivial S1 at the thresholds we will use
    sel = [pos + 15, pos + 18]
    state = {"dataset": "bench650", "layer": "cells", "pos": pos, "width": W, "sel": sel, "pad": [0, 0],
             "threshold": 0.3, "exclude": [], "length": None, "annotation": None}
    search = "?dataset=bench650&layer=cells&pos=%d&width=%d&sel=%d:%d&threshold=0.3" % (pos, W, *sel)

    # first render of the window (full figure) and the selection it writes
    dt, size, resp = cl.call(render, {"view-state.data": state, "min-run-input.value": 1}, {}, ["view-state.data"])
    rendered = resp[ids.RENDERED]["data"]
    selection = resp[ids.SELECTION]["data"]
    print(f"dataset: T={len(ds):,}, D={ds.dims('cells')}, window {pos}:{pos + W}, "
          f"S1 at 0.3 over {sel[0]}:{sel[1]} = {len(selection['cells'])} cells")

    results = {}

    def measure(name, fn):
        times, sizes = [], []
        fn()  # warm-up (numba, caches)
        for _ in range(args.repeat):
            dt, size = fn()
            times.append(dt * 1000)
            sizes.append(size)
        results[name] = (statistics.median(times), max(times), max(sizes))

    thresholds = [0.1, 0.5, 0.35, 0.7, -0.2, 0.9]  # never the current 0.3 (no change, no output)
    k = {"i": 0}

    def sync_threshold():
        t = thresholds[k["i"] % len(thresholds)]
        k["i"] += 1
        vals = {"url.search": search, "view-state.data": state, "threshold-input.value": t}
        dt, size, resp = cl.call(sync, vals, {}, ["threshold-input.value"])
        assert resp[ids.VIEW_STATE]["data"]["threshold"] == t, (size, resp)
        return dt, size

    def render_threshold():
        t = thresholds[k["i"] % len(thresholds)]
        k["i"] += 1
        st = dict(state, threshold=t)
        dt, size, resp = cl.call(render, {"view-state.data": st, "min-run-input.value": 1},
                                 {"select-rendered.data": rendered, "selection.data": selection},
                                 ["view-state.data"])
        assert resp[ids.GRAPH]["figure"].get("__dash_patch_update") == "__dash_patch_update"
        return dt, size

    brushes = [[pos + 5, pos + 9], [pos + 20, pos + 21], [pos + 10, pos + 30], [pos + 2, pos + 4]]

    def sync_brush():
        b = brushes[k["i"] % len(brushes)]
        k["i"] += 1
        rng = {"x2": [b[0] - pos - 0.3, b[1] - 1 - pos + 0.3], "y2": [-1, 1]}
        vals = {"url.search": search, "view-state.data": state, "brush-range.data": {"range": rng, "n": k["i"]}}
        dt, size, resp = cl.call(sync, vals, {}, ["brush-range.data"])
        assert resp[ids.VIEW_STATE]["data"]["sel"] == b
        return dt, size

    def render_brush():
        b = brushes[k["i"] % len(brushes)]
        k["i"] += 1
        st = dict(state, sel=b, pad=[1, 1])
        dt, size, resp = cl.call(render, {"view-state.data": st, "min-run-input.value": 1},
                                 {"select-rendered.data": rendered, "selection.data": selection},
                                 ["view-state.data"])
        return dt, size

    def render_window():
        st = dict(state, pos=pos + 40 * (1 + k["i"] % 5))
        k["i"] += 1
        dt, size, _ = cl.call(render, {"view-state.data": st, "min-run-input.value": 1},
                              {"select-rendered.data": rendered, "selection.data": selection},
                              ["view-state.data"])
        return dt, size

    def render_all_cells_selected():
        # worst case for the patch: a threshold at which every cell is in S1
        st = dict(state, threshold=-1.0, sel=[pos + 20, pos + 21])
        dt, size, resp = cl.call(render, {"view-state.data": st, "min-run-input.value": 1},
                                 {"select-rendered.data": rendered, "selection.data": selection},
                                 ["view-state.data"])
        assert len(resp[ids.SELECTION]["data"]["cells"]) == D
        return dt, size

    measure("threshold change: sync (field -> state, URL)", sync_threshold)
    measure("threshold change: render (Patch + detail + S1)", render_threshold)
    measure("brush change: sync (box select -> state, URL)", sync_brush)
    measure("brush change: render (Patch + detail + S1)", render_brush)
    measure("worst case render: all 650 cells in S1", render_all_cells_selected)
    measure("window move: render (full figure, all D lines)", render_window)

    print(f"\n{'callback':52s} {'median ms':>10s} {'max ms':>8s} {'max KB':>8s}")
    ok = True
    for name, (med, mx, size) in results.items():
        target = name.startswith(("threshold", "brush"))
        flag = ""
        if target:
            good = med < 100 and size < 300 * 1024
            ok &= good
            flag = "  ok" if good else "  OVER TARGET"
        print(f"{name:52s} {med:10.1f} {mx:8.1f} {size / 1024:8.1f}{flag}")
    print("\ntarget: < 100 ms and < 300 KB for the threshold and brush callbacks "
          f"({'met' if ok else 'NOT met'}; times are server-side incl. JSON encoding, {args.repeat} runs each)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
