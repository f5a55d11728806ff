"""Server time of the match view's main callback on the T = 1,000,000, D = 650 benchmark dataset.

    python bench/bench_match_callback.py [--tokens 1000000] [--cells 650] [--queries 20]

The dataset is bench/synthetic.py's (built once under bench/data/, as bench/bench_match.py does) and
served through a local config written to a temporary folder. For 3-token selections at threshold 0.3
(new selections, so no cached result), two timings per query:

- `function`: the callback body (lv.match top 50, the row grid with its per-position S1 counts, the
  row components, the length histogram) plus Dash's JSON encoding of all its outputs;
- `HTTP`: the same callback through the app's own /_dash-update-component route (Flask test client):
  Dash's request parsing, dispatch, the body, and the response encoding.

Also printed: lv.match alone on the same selections, so the view's own share (rows, grid, histogram,
JSON) is visible apart from the engine's. The load of the machine is printed too: these are
wall-clock times. Target: median < 150 ms.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from synthetic import build, lv

from dash._callback import NoUpdate  # noqa: E402
from dash._utils import to_json  # noqa: E402  (Dash's own response encoder)

from lstmvis_dash.ui import create_app, ids  # noqa: E402
from lstmvis_dash.ui import match_view as mv  # noqa: E402


def _outputs_spec(app):
    """The callback_map key and output list of the match view's main callback."""
    for key, cb in app.callback_map.items():
        if f".{mv.ROWS}.children" in key or key.startswith(f"..{mv.ROWS}.children"):
            outs = [{"id": o.split(".")[0], "property": o.split(".")[1]}
                    for o in key.strip(".").split("...")]
            return key, outs
    raise SystemExit("match view callback not found in the app")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=1_000_000)
    ap.add_argument("--cells", type=int, default=650)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--threshold", type=float, default=0.3)
    ap.add_argument("--width", type=int, default=3, help="tokens in each selection")
    args = ap.parse_args()

    folder = build(f"markov_{args.tokens}_{args.cells}", args.tokens, args.cells)
    tmp = Path(tempfile.mkdtemp(prefix="lstmvis-bench-"))
    cfg = tmp / "datasets.yml"
    cfg.write_text(f"datasets:\n  - name: bench\n    path: {folder}\n", encoding="utf-8")
    app = create_app(cfg)
    reg = app.registry
    ds = reg.get("bench")
    layer = ds.layers[0]
    ds.arrays(layer)                                   # build the index once, outside the timings
    lv.match(ds, layer, [0, 1], args.threshold)        # compile the kernels
    key, outputs = _outputs_spec(app)
    client = app.server.test_client()
    client.get("/")                                    # first request initialisation
    print(f"dataset: T={len(ds):,} D={ds.dims(layer)} documents={len(ds.documents)}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    rng = np.random.default_rng(7)
    fn_ms, http_ms, sizes, nbytes, match_ms, view_ms = [], [], [], [], [], []
    warm = True
    while len(fn_ms) < args.queries:
        a = int(rng.integers(0, len(ds) - args.width))
        b = a + args.width
        s1 = lv.select(ds, layer, a, b, args.threshold).tolist()
        if not s1:
            continue
        sel = {"dataset": "bench", "layer": layer, "sel": [a, b], "pad": [0, 0],
               "threshold": args.threshold, "cells": s1}
        params = {"length": None, "annotation": None}
        tm = time.perf_counter()
        lv.match(ds, layer, s1, args.threshold)           # the engine alone, for the split
        tm = time.perf_counter() - tm
        mv._cache._d.clear()
        t0 = time.perf_counter()
        out = mv.update(reg, sel, params, [])
        body = to_json([o for o in out if not isinstance(o, NoUpdate)])   # Dash drops no_update outputs
        t1 = time.perf_counter()
        out2 = mv.update(reg, sel, params, [])             # again, lv.match's result now cached:
        to_json([o for o in out2 if not isinstance(o, NoUpdate)])   # the view's own work alone
        view_ms.append((time.perf_counter() - t1) * 1000)
        mv._cache._d.clear()
        payload = {"output": key, "outputs": outputs,
                   "inputs": [{"id": ids.SELECTION, "property": "data", "value": sel},
                              {"id": mv.PARAMS, "property": "data", "value": params},
                              {"id": mv.PAINT, "property": "value", "value": []}],
                   "changedPropIds": [f"{ids.SELECTION}.data"], "state": []}
        t2 = time.perf_counter()
        r = client.post("/_dash-update-component", data=json.dumps(payload), content_type="application/json")
        t3 = time.perf_counter()
        if r.status_code != 200:
            raise SystemExit(f"HTTP {r.status_code}: {r.data[:500]!r}")
        resp = json.loads(r.data)["response"]
        if len(resp[mv.ROWS]["children"]) != min(50, len(out[0])):
            raise SystemExit("HTTP response differs from the function's rows")
        if warm:                                       # the first query warms Dash/plotly code paths
            warm = False
            continue
        fn_ms.append((t1 - t0) * 1000)
        match_ms.append(tm * 1000)
        http_ms.append((t3 - t2) * 1000)
        sizes.append(len(s1))
        nbytes.append(len(body))

    def stats(xs):
        return statistics.median(xs), float(np.percentile(xs, 95))
    fm, fp = stats(fn_ms)
    hm, hp = stats(http_ms)
    print(f"|S1| per query: median {int(np.median(sizes))} (min {min(sizes)}, max {max(sizes)}); "
          f"response {int(np.median(nbytes)) // 1024} KB median")
    mm, mp = stats(match_ms)
    vm, vp = stats(view_ms[1:])
    print(f"lv.match alone (the engine, top 50):   median {mm:6.1f} ms   p95 {mp:6.1f} ms")
    print(f"the view's own part (callback with lv.match cached: grid, rows, histogram, JSON): "
          f"median {vm:6.1f} ms   p95 {vp:6.1f} ms")
    print(f"callback function + JSON over {len(fn_ms)} queries: median {fm:6.1f} ms   p95 {fp:6.1f} ms")
    print(f"callback via HTTP (Dash route) over {len(http_ms)} queries: median {hm:6.1f} ms   p95 {hp:6.1f} ms"
          f"   (target: median < 150 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
