"""Server time and response size of the page callback (one per user action), on the T = 1,000,000,
D = 650 benchmark dataset (bench/synthetic.py) or any configured dataset.

    python bench/bench_page_callback.py [--dataset markov_1000000_650] [--repeat 15]

The requests are the renderer's (bench/load.py's client over Flask's test client: Dash's request
parsing, the page callback, the JSON encoding), for: a threshold typed, a new brushed range (new
selections, so no cached match), a page forward (the window moves: all lines again, no match), a
histogram bar clicked. Printed: median and worst server time and response size per action, and
lv.match alone on the same selections, so the views' own share is visible. This is the server's
part only; bench/bench_latency.py measures what the person waits for in Chromium.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import build, lv  # noqa: E402

from bench.load import FlaskClient  # noqa: E402
from lstmvis_dash import warmup  # noqa: E402
from lstmvis_dash.ui import create_app  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=1_000_000)
    ap.add_argument("--cells", type=int, default=650)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    folder = build(f"markov_{args.tokens}_{args.cells}", args.tokens, args.cells)
    cfg = Path(tempfile.mkdtemp(prefix="lstmvis-bench-")) / "datasets.yml"
    cfg.write_text(f"datasets:\n  - name: bench\n    path: {folder}\n", encoding="utf-8")
    app = create_app(cfg)
    ds = app.registry.get("bench")
    layer = ds.layers[0]
    ds.arrays(layer)
    warmup.run()
    rng = np.random.default_rng(7)
    times: dict = {}
    sizes: dict = {}
    engine = []

    def timed(name, client, prop, value):
        n = len(client.bodies)
        t0 = time.perf_counter()
        client.act(prop, value)
        times.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
        sizes.setdefault(name, []).append(sum(client.bodies[n:]))

    class Client(FlaskClient):
        def __init__(self, a):
            super().__init__(a)
            self.bodies = []

        def _request(self, method, path, body=None):
            status, data = super()._request(method, path, body)
            if method == "POST":
                self.bodies.append(len(data))
            return status, data

    for i in range(args.repeat + 1):
        pos = int(rng.integers(0, len(ds) - 200))
        a = pos + int(rng.integers(5, 30))
        client = Client(app)
        client.load_page(f"?dataset=bench&layer={layer}&pos={pos}&width=40&sel={a}:{a + 3}&threshold=0.3")
        b = pos + int(rng.integers(0, 35))
        s1 = lv.select(ds, layer, b, b + 3, 0.3).tolist()
        t0 = time.perf_counter()
        lv.match(ds, layer, s1, 0.3) if s1 else None
        engine.append((time.perf_counter() - t0) * 1000)
        timed("threshold typed", client, "select-main-threshold-input.value", round(float(rng.uniform(0.2, 0.5)), 2))
        timed("brush", client, "select-main-gestures.data", {"kind": "brush", "start": b, "stop": b + 3, "n": i})
        hist = client.props.get("match-main-histogram.figure") or {}
        lengths = [row[0] for t in hist.get("data") or [] for row in t.get("customdata") or [] if row[0] >= 2]
        if lengths:
            L = int(rng.choice(lengths))
            timed("histogram bar", client, "match-main-histogram.clickData", {"points": [{"x": str(L), "customdata": [L]}]})
        timed("page forward", client, "header-main-page-fwd.n_clicks", 1)
        if client.errors:
            raise SystemExit(f"errors: {client.errors[:3]}")
        if i == 0:          # the first round warms Dash's and plotly's code paths
            times.clear(), sizes.clear(), engine.clear()
    print(f"dataset bench: T={len(ds):,} D={ds.dims(layer)}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs; {args.repeat} rounds")
    print(f"{'action':18s} {'median ms':>10s} {'worst ms':>9s} {'response KB':>12s}")
    for name, xs in times.items():
        print(f"{name:18s} {statistics.median(xs):10.1f} {max(xs):9.1f} {statistics.median(sizes[name]) / 1024:12.1f}")
    print(f"{'lv.match alone':18s} {statistics.median(engine):10.1f} {max(engine):9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
