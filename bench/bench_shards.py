"""Sharded matching: one process against a dask LocalCluster, on the same shards, same answers.

    python bench/bench_shards.py [--tokens 50000000] [--cells 128] [--shards 8] [--workers 2] [--queries 10]
    python bench/bench_shards.py --build-only        # write the shards and their indexes, nothing else

Writes (once, into bench/data/, several GB: delete it when done) --shards folders of float16 states
over --tokens tokens in all, builds their indexes on the cluster's workers (one shard per task,
as `prepare --cluster` does), then times 3-token selections at ℓ = 0.3 matched:
  - in this process, shard after shard (numba on every core);
  - on a LocalCluster of --workers worker processes (one numba thread each), every shard a task;
asserting identical tables and histograms. Prints the median and p95 per query, the median time
per shard and of the merge (for the README's scaling model), the private memory (RssAnon) of each
worker, and the machine's load average.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

from bench_match import rss_anon_mb
from synthetic import build_shards, lv


def stats(xs) -> str:
    xs = np.array(xs) * 1000
    return f"median {np.median(xs):7.1f} ms   p95 {np.percentile(xs, 95):7.1f} ms"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, default=50_000_000)
    ap.add_argument("--cells", type=int, default=128)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--queries", type=int, default=10)
    ap.add_argument("--threshold", type=float, default=0.3)
    ap.add_argument("--build-only", action="store_true")
    args = ap.parse_args()

    from distributed import Client, LocalCluster
    from lstmvis_dash import cluster, engine

    paths = build_shards(f"shards_{args.tokens}_{args.cells}_{args.shards}", args.tokens, args.cells, args.shards)
    # memory_limit=0: dask's memory monitor counts the memory-mapped shards a worker has read as its
    # memory, and at 80% of the limit it pauses the worker (README, 'On a cluster')
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                      memory_limit=0, env={"NUMBA_NUM_THREADS": "1"}) as lc, Client(lc) as client:
        t0 = time.perf_counter()
        cluster.run_on_shards(client, paths, cluster.prepare_shard, timeout=24 * 3600)
        print(f"indexes of {len(paths)} shards ready on {args.workers} workers in {time.perf_counter() - t0:.1f} s")
        if args.build_only:
            return
        ds = lv.open_shards(paths)
        layer = ds.layers[0]
        for s in ds.shards:           # warm: open every shard's index in this process too
            s.arrays(layer)
        rng = np.random.default_rng(7)
        selections = []
        while len(selections) < args.queries:
            start = int(rng.integers(0, len(ds) - 3))
            s1 = lv.select(ds, layer, start, start + 3, args.threshold)
            if len(s1):
                selections.append(s1)
        lv.match(ds, layer, selections[0], args.threshold)                  # compile, warm the page cache
        lv.match(ds, layer, selections[0], args.threshold, client=client)   # the same on the workers
        print(f"dataset: T={len(ds):,} D={ds.dims(layer)} shards={len(paths)} documents={len(ds.documents):,}; "
              f"|S1| median {int(np.median([len(s) for s in selections]))}")

        load = [os.getloadavg()[0]]
        local_t, cluster_t, shard_t, merge_t = [], [], [], []
        for s1 in selections:
            t0 = time.perf_counter()
            want = lv.match(ds, layer, s1, args.threshold)
            local_t.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            got = lv.match(ds, layer, s1, args.threshold, client=client)
            cluster_t.append(time.perf_counter() - t0)
            if not (np.array_equal(got.table.to_numpy(), want.table.to_numpy())
                    and np.array_equal(got.histogram.to_numpy(), want.histogram.to_numpy())
                    and got.n_candidates == want.n_candidates):
                raise SystemExit("MISMATCH between the cluster and the in-process answers")
            # the model's terms: one shard's part (in this process, all cores), the merge
            cells = np.unique(np.asarray(s1, np.int64))
            thr = ds.layer(layer).thresholds(ds.transform(layer), args.threshold)
            part_args = (layer, cells, thr, 0, 0, 2, len(ds), 50)
            t0 = time.perf_counter()
            parts = [engine.match_part(s, *part_args) for s in ds.shards]
            shard_t.append((time.perf_counter() - t0) / len(parts))
            t0 = time.perf_counter()
            engine.merge_parts(parts, ds.offsets, 50)
            merge_t.append(time.perf_counter() - t0)
        load.append(os.getloadavg()[0])
        workers_mb = client.run(rss_anon_mb)
        print(f"one process ({os.cpu_count()} numba threads): {stats(local_t)}")
        print(f"LocalCluster, {args.workers} workers x 1 thread: {stats(cluster_t)}   (identical results: yes)")
        print(f"per shard ({len(ds) // len(paths):,} tokens, in this process): {stats(shard_t)};  merge: {stats(merge_t)}")
        print("private memory (RssAnon) per worker after the queries: "
              + ", ".join(f"{mb:.0f} MB" for mb in workers_mb.values())
              + f";  this process: {rss_anon_mb():.0f} MB")
        print(f"load average (1 min) before/after: {load[0]:.2f} / {load[1]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
