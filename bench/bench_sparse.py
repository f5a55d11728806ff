"""Sparse (dictionary / SAE) layer at T = 1,000,000, D = 16,384: match speed, memory and disk.

    python bench/bench_sparse.py [--tokens 1000000] [--features 16384] [--active 32] [--queries 20] [--naive 3]

The features are zero almost everywhere: each is active in on-runs (mean length 2 to 12 tokens),
with Zipf-like frequencies (the k-th most frequent about 1/k as often, capped at half the tokens),
about --active of them at any token, with positive ReLU-like values. The dataset is streamed to
disk through DatasetWriter in sparse chunks (as extract(..., sae=...) does) and reused once built.

Prints, for selections of 3-token ranges at threshold 0.05 (transform none, a sparse layer's own):
the median and p95 of `lv.match` (target: median <= 50 ms), the same for a plain scipy/numpy
implementation of SPEC.md section 3 on the first --naive queries (results checked equal), the
private memory (RssAnon, sampled every 2 ms inside the queries; target <= 800 MB), the medians
through zscore and quantile, and the size on disk beside a dense float16 store of the same states.
The load average is printed beside the numbers: the machine may be shared. Run it twice: the
first run builds the dataset in the same process, which inflates its RssAnon.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import scipy.sparse as sp

from bench_match import PeakSampler, naive_ranking, rss_anon_mb
from synthetic import DATA, lv

from lstmvis_dash.writer import DatasetWriter


def frequencies(rng, D: int, active: float) -> np.ndarray:
    """Zipf-like per-feature activity rates summing to `active`, in random feature order."""
    w = 1.0 / np.arange(1, D + 1)
    lo, hi = 0.0, active * 10
    for _ in range(60):
        c = (lo + hi) / 2
        lo, hi = (c, hi) if np.minimum(c * w, 0.5).sum() < active else (lo, c)
    return np.minimum(lo * w, 0.5)[rng.permutation(D)]


def build(T: int, D: int, active: float, seed: int = 0):
    folder = DATA / f"sae_{T}_{D}_{active:g}"
    if (folder / "dataset.h5").exists():
        return folder
    print(f"building {folder} (T={T:,}, D={D:,}, ~{active:g} active per token) ...", file=sys.stderr)
    rng = np.random.default_rng(seed)
    p = frequencies(rng, D, active)
    rows, cols, vals = [], [], []
    for f in range(D):
        mean_run = rng.uniform(2, 12)
        n_runs = rng.poisson(p[f] * T / mean_run)
        if not n_runs:
            continue
        starts = rng.integers(0, T, n_runs)
        lengths = rng.geometric(1 / mean_run, n_runs)
        ends = np.minimum(starts + lengths, T)
        pos = np.repeat(starts - np.concatenate([[0], np.cumsum(ends - starts)[:-1]]), ends - starts)
        pos = np.unique(pos + np.arange(len(pos)))
        rows.append(pos.astype(np.int32))
        cols.append(np.full(len(pos), f, np.int32))
        vals.append((rng.lognormal(0, 0.5) * (0.3 + rng.exponential(size=len(pos)))).astype(np.float32))
    rows, cols, vals = (np.concatenate(x) for x in (rows, cols, vals))
    order = np.argsort(rows, kind="stable")
    rows, cols, vals = rows[order], cols[order], vals[order]
    del order
    words = np.array([f"w{i}" for i in range(10_000)], dtype=object)
    tokens = words[np.minimum(rng.zipf(1.3, T), 10_000) - 1]
    with DatasetWriter(folder, name=folder.name, description="synthetic SAE features") as w:
        t = 0
        while t < T:
            stop = min(T, t + int(rng.integers(200, 5000)))        # one document
            a, b = np.searchsorted(rows, [t, stop])
            chunk = sp.csr_matrix((vals[a:b], (rows[a:b] - t, cols[a:b])), shape=(stop - t, D))
            w.add(tokens[t:stop].tolist(), {"features": chunk})
            t = stop
    return folder


def naive_match(ds, layer, cells, threshold, top=50, min_length=2):
    """SPEC.md section 3 written plainly with scipy and numpy (threshold > 0: zeros are off)."""
    a_ = ds.arrays(layer)
    T, D = len(ds), ds.dims(layer)
    level = np.float32(threshold)
    assert level > 0
    csc = sp.csc_matrix((np.asarray(a_.csc_data), np.asarray(a_.csc_indices), np.asarray(a_.csc_indptr)), shape=(T, D))
    csr = sp.csr_matrix((np.asarray(a_.csr_data), np.asarray(a_.csr_indices), np.asarray(a_.csr_indptr)), shape=(T, D))
    on = (csc[:, cells] >= level).toarray()                          # (T, |S1|)
    return naive_ranking(on, ds.documents, lambda x, y: int((np.asarray((csr[x:y] >= level).sum(axis=0)).ravel()
                                                             == y - x).sum()), top, min_length)


def disk_mb(folder) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=16_384)
    ap.add_argument("--active", type=float, default=32)
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--naive", type=int, default=3)
    ap.add_argument("--threshold", type=float, default=0.05)
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    folder = build(args.tokens, args.features, args.active)
    ds = lv.open_dataset(folder)
    layer = "features"
    arrays = ds.arrays(layer)
    nnz = len(arrays.csr_data)
    print(f"dataset: T={len(ds):,} D={ds.dims(layer):,} documents={len(ds.documents)} "
          f"stored={nnz:,} ({nnz / len(ds):.1f} per token)")
    for name in ("csr_indices", "csr_data", "csc_indices", "csc_data"):     # warm the page cache
        np.asarray(getattr(arrays, name)).sum()
    lv.match(ds, layer, [0, 1], args.threshold)                               # compile the kernels
    rng = np.random.default_rng(42)
    queries = []
    while len(queries) < args.queries:
        start = int(rng.integers(0, len(ds) - 3))
        s1 = lv.select(ds, layer, start, start + 3, args.threshold)
        if len(s1):
            queries.append((start, s1))
    print(f"RssAnon before queries: {rss_anon_mb():.0f} MB")
    times, results, n_cand = [], [], []
    with PeakSampler() as sampler:
        for start, s1 in queries:
            t0 = time.perf_counter()
            m = lv.match(ds, layer, s1, args.threshold)
            times.append(time.perf_counter() - t0)
            results.append(m.table.to_numpy())
            n_cand.append(m.n_candidates)
    naive_times = []
    for (start, s1), got in list(zip(queries, results))[:args.naive]:
        t0 = time.perf_counter()
        ref = naive_match(ds, layer, s1, args.threshold)
        naive_times.append(time.perf_counter() - t0)
        if not np.array_equal(got, ref):
            raise SystemExit(f"MISMATCH at selection {start}:{start + 3}")
    other = {}
    for transform, level, n_queries in (("zscore", 1.0, 10), ("quantile", 0.99, 3)):
        lv.select(ds, layer, 0, 3, level, transform=transform)                # statistics built once
        ts, s1_sizes = [], []
        for start, _ in queries[:n_queries]:
            s1 = lv.select(ds, layer, start, start + 3, level, transform=transform)
            if len(s1):
                t0 = time.perf_counter()
                lv.match(ds, layer, s1, level, transform=transform)
                ts.append(time.perf_counter() - t0)
                s1_sizes.append(len(s1))
        other[transform] = (level, np.median(ts) * 1000 if ts else float("nan"), len(ts),
                            np.median(s1_sizes) if s1_sizes else 0)
    window = (len(ds) // 2, len(ds) // 2 + 40)
    ds.values(layer, *window)                                                   # compiled once
    t0 = time.perf_counter()
    ds.values(layer, *window)
    window_ms = (time.perf_counter() - t0) * 1000

    ms = np.array(times) * 1000
    sizes = [len(s1) for _, s1 in queries]
    print(f"|S1| per query: median {np.median(sizes):.0f} (min {min(sizes)}, max {max(sizes)}); "
          f"candidates per query: median {np.median(n_cand):,.0f}")
    print(f"lv.match    over {len(ms)} queries: median {np.median(ms):7.1f} ms   p95 {np.percentile(ms, 95):7.1f} ms"
          f"   (target: median <= 50 ms)")
    if naive_times:
        nm = np.array(naive_times) * 1000
        print(f"naive scipy over {len(nm)} queries: median {np.median(nm):7.1f} ms   (same results: yes)")
        print(f"speed-up (median): {np.median(nm) / np.median(ms[:len(nm)]):.1f}x")
    print(f"RssAnon peak during queries (sampled every 2 ms): {sampler.peak:.0f} MB   (target <= 800 MB)")
    for transform, (level, med, n, size) in other.items():
        print(f"lv.match through {transform} at {level:g}: median {med:.1f} ms over {n} queries, median |S1| {size:.0f}")
    print("  (quantile: a feature active at fewer than 1% of tokens has 0.0 as its 99th percentile, so it is on\n"
          "   wherever it is 0: S1 holds most features, exactly as SPEC.md section 1 defines it)")
    print(f"values of a 40-token window (40 x {ds.dims(layer):,}, dense): {window_ms:.1f} ms")
    dense16 = len(ds) * ds.dims(layer) * 2 / 1e6
    print(f"disk: dataset.h5 {(folder / 'dataset.h5').stat().st_size / 1e6:,.0f} MB, with its index "
          f"{disk_mb(folder):,.0f} MB; a dense float16 store would take {dense16:,.0f} MB "
          f"({dense16 / disk_mb(folder):.0f}x more)")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
