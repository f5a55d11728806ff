"""Match speed and memory at T = 1,000,000, D = 650 against a naive exact numpy scan.

    python bench/bench_match.py [--tokens 1000000] [--cells 650] [--queries 20] [--naive 5]
    python bench/bench_match.py --tokens 10000000 --float16 --naive 0      # the 10M-token scale
    python bench/bench_match.py --documents 1        # one long document (a Penn Treebank, an LSTMVis folder)

Prints, for selections of 3-token ranges at threshold 0.3: the median and p95 time of `lv.match`,
the same for a straightforward numpy implementation of SPEC.md section 3 on the same data (run on
the first --naive queries; its results are checked equal to lv.match's), their ratio, the
process's private memory (RssAnon) before and after, and where lv.match's time goes (the kernels:
on-bits, the chunked scan with its merge, the summary, the unions; without pads on a dense layer the
scan makes the on-bits itself, and the two are one phase), with the machine's load average.
"""
from __future__ import annotations

import argparse
import os
import threading
import time
from collections import defaultdict

import numpy as np

from synthetic import build, lv
from lstmvis_dash import pool


def rss_anon_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class PeakSampler:
    """Samples RssAnon every 2 ms in a thread, so the peak inside a query is seen, not only after."""

    def __init__(self):
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_anon_mb())
            time.sleep(0.002)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class KernelProfile:
    """Wall time per engine kernel, by wrapping the functions engine.py calls through `kernels.`."""

    PHASES = {"on_bits": "on-bits", "chunk_cuts": "scan", "scan_candidates": "scan",
              "summarise": "summary", "s2_sizes": "unions"}

    def __init__(self):
        from lstmvis_dash import kernels
        self.kernels, self.saved = kernels, {}
        self.current, self.queries = defaultdict(float), []

    def __enter__(self):
        for name, phase in self.PHASES.items():
            fn = self.saved[name] = getattr(self.kernels, name)

            def timed(*args, _fn=fn, _phase=phase, **kwargs):
                t0 = time.perf_counter()
                try:
                    return _fn(*args, **kwargs)
                finally:
                    self.current[_phase] += time.perf_counter() - t0
            setattr(self.kernels, name, timed)
        return self

    def end_query(self):
        self.queries.append(self.current)
        self.current = defaultdict(float)

    def medians_ms(self) -> dict:
        return {phase: 1000 * float(np.median([q[phase] for q in self.queries]))
                for phase in dict.fromkeys(self.PHASES.values())}

    def __exit__(self, *exc):
        for name, fn in self.saved.items():
            setattr(self.kernels, name, fn)


def naive_match(ds, layer, cells, threshold, top=50, min_length=2):
    """SPEC.md section 3 written plainly with numpy (no index, no compiled code)."""
    rows = ds.arrays(layer).rows
    level = np.float32(threshold)
    on = np.tanh(np.asarray(rows[:, cells], np.float32)) >= level      # (T, |S1|)
    return naive_ranking(on, ds.documents, lambda x, y: int((np.tanh(np.asarray(rows[x:y], np.float32))
                                                             >= level).all(axis=0).sum()), top, min_length)


def naive_ranking(on, documents, s2_of, top=50, min_length=2):
    """Candidates, overlaps and the ranking of SPEC.md section 3 from the on-matrix (T, |S1|) of the
    cells, with |S2| of a range a:b from s2_of(a, b) (no pads)."""
    T, n_cells = on.shape
    count = on.sum(axis=1)
    doc_start = np.zeros(T + 1, bool)
    doc_start[documents] = True
    doc_start[T] = True
    pairs = set()
    for k in range(1, n_cells + 1):
        up = count >= k
        before = np.concatenate([[False], up[:-1]]) & ~doc_start[:T]
        after = np.concatenate([up[1:], [False]]) & ~doc_start[1:]
        starts = np.flatnonzero(up & ~before)
        ends = np.flatnonzero(up & ~after) + 1
        pairs.update(zip(starts.tolist(), ends.tolist()))
    ab = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    a, b = ab[:, 0], ab[:, 1]
    overlap = np.zeros(len(a), np.int64)
    for j in range(n_cells):
        prefix = np.concatenate([[0], np.cumsum(on[:, j])])
        overlap += (prefix[b] - prefix[a]) == (b - a)
    length = b - a
    keep = (overlap >= 1) & (length >= min_length)
    a, b, overlap, length = a[keep], b[keep], overlap[keep], length[keep]
    cutoff = np.sort(overlap)[::-1][min(top, len(overlap)) - 1]
    need = overlap >= cutoff
    a, b, overlap, length = a[need], b[need], overlap[need], length[need]
    s2 = np.array([s2_of(x, y) for x, y in zip(a.tolist(), b.tolist())], dtype=np.int64)
    union = n_cells + s2 - overlap
    order = np.lexsort((a, -length, union, -overlap))[:top]
    return np.stack([a[order], b[order], length[order], overlap[order], union[order]], axis=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=1_000_000)
    ap.add_argument("--cells", type=int, default=650)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--naive", type=int, default=5)
    ap.add_argument("--threshold", type=float, default=0.3)
    ap.add_argument("--float16", action="store_true", help="store the states as float16")
    ap.add_argument("--documents", type=int, default=None,
                    help="split the tokens into this many equal documents (default: 200 to 5,000 tokens each)")
    args = ap.parse_args()

    suffix = ("_f16" if args.float16 else "") + (f"_docs{args.documents}" if args.documents else "")
    folder = build(f"markov_{args.tokens}_{args.cells}{suffix}", args.tokens, args.cells,
                   dtype=np.float16 if args.float16 else np.float32, documents=args.documents)
    ds = lv.open_dataset(folder)
    layer = ds.layers[0]
    rng = np.random.default_rng(42)
    ds.arrays(layer)  # build the index once, outside the timings
    # warm the page cache and compile the kernels
    np.asarray(ds.arrays(layer).codes).sum()
    if not args.float16:  # 13 GB of float16 rows at 10M would push the codes out of the page cache
        np.asarray(ds.arrays(layer).rows).sum()
    lv.match(ds, layer, [0, 1], args.threshold)
    print(f"dataset: T={len(ds):,} D={ds.dims(layer)} documents={len(ds.documents)}")
    print(f"RssAnon before queries: {rss_anon_mb():.0f} MB")

    times, cpu, sizes, n_cand, queries = [], [], [], [], []
    load_before = os.getloadavg()[0]
    with PeakSampler() as sampler, KernelProfile() as profile:
        while len(times) < args.queries:
            start = int(rng.integers(0, len(ds) - 3))
            s1 = lv.select(ds, layer, start, start + 3, args.threshold)
            if len(s1) == 0:
                continue
            t0, c0 = time.perf_counter(), time.process_time()
            m = lv.match(ds, layer, s1, args.threshold)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            profile.end_query()
            sizes.append(len(s1))
            n_cand.append(m.n_candidates)
            queries.append((start, s1, m.table.to_numpy()))
    load_after = os.getloadavg()[0]
    naive_times = []
    for start, s1, got in queries[:args.naive]:
        t0 = time.perf_counter()
        ref = naive_match(ds, layer, s1, args.threshold)
        naive_times.append(time.perf_counter() - t0)
        if not np.array_equal(got, ref):
            raise SystemExit(f"MISMATCH at selection {start}:{start + 3}")

    def stats(xs):
        xs = np.array(xs) * 1000
        return np.median(xs), np.percentile(xs, 95)

    med, p95 = stats(times)
    if args.tokens >= 10_000_000:
        target, mem_target = 300, 1000
    else:
        target, mem_target = (30 if args.documents == 1 else 50), 400
    nmed, np95 = stats(naive_times) if naive_times else (float("nan"), float("nan"))
    print(f"|S1| per query: median {int(np.median(sizes))} (min {min(sizes)}, max {max(sizes)}); "
          f"candidates per query: median {int(np.median(n_cand)):,}")
    print(f"lv.match    over {len(times)} queries: median {med:7.1f} ms   p95 {p95:7.1f} ms   (target: median <= {target} ms)")
    print(f"            fastest {min(times) * 1000:7.1f} ms; CPU time of all threads per query: median "
          f"{np.median(cpu) * 1000:.1f} ms on {pool.threads()} threads (what a busy machine does not inflate)")
    if naive_times:
        print(f"naive numpy over {len(naive_times)} queries: median {nmed:7.1f} ms   p95 {np95:7.1f} ms   (same results: yes)")
        print(f"speed-up (median): {nmed / med:.1f}x")
    split = profile.medians_ms()
    rest = med - sum(split.values())
    if split["on-bits"] == 0:   # made inside the scan (a dense layer without pads)
        split = {"on-bits with the scan": split.pop("scan"), **{k: v for k, v in split.items() if k != "on-bits"}}
    print("median per query: " + ", ".join(f"{phase} {ms:.1f} ms" for phase, ms in split.items())
          + f", the rest (checks, tables) {rest:.1f} ms")
    print(f"load average (1 min) before/after the lv.match queries: {load_before:.2f} / {load_after:.2f} "
          f"on {os.cpu_count()} cores")
    print(f"RssAnon peak during queries (sampled every 2 ms): {sampler.peak:.0f} MB   (target <= {mem_target} MB)")


if __name__ == "__main__":
    main()
