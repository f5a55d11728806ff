"""`python -m lstmvis_dash prepare NAME...`: build the engine's index of datasets ahead of time,
and compile the engine's kernels into numba's on-disk cache.

Opening a layer for the first time builds its index (a uint8 transposed copy, and a row copy for
compressed or chunked sources) with a progress bar, and the first query compiles the kernels
(~30 s with an empty cache); doing both here keeps those waits away from the first user of the
dashboard (the server's background warm-up then only loads the compiled kernels). An index that
is up to date is left as it is. The shards of a sharded
entry are prepared in parallel: in --jobs local processes, or, when the entry names a `cluster:`
(or --cluster is given), by the cluster's workers, each shard on a worker that holds it, so that
worker-local disks get their index where the scans will read it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

from . import warmup
from .cluster import ClusterError
from .config import ConfigError, load_config
from .progress import Progress


def _one_thread() -> None:
    from .pool import set_threads
    set_threads(1)   # the processes share the cores


def prepare_shards(paths: list, jobs: int, cluster: str = "") -> None:
    """Every layer's index of every shard, in parallel (see the module docstring), with a progress
    bar counting the shards."""
    from .cluster import client_for, prepare_shard, run_on_shards
    paths = [str(p) for p in paths]
    with Progress(f"indexing {len(paths)} shards", len(paths), unit=" shards") as bar:
        if cluster:
            run_on_shards(client_for(cluster), paths, prepare_shard, timeout=7 * 24 * 3600,
                          on_result=lambda i: bar.update(1))
        elif jobs <= 1 or len(paths) == 1:
            for p in paths:
                prepare_shard(p)
                bar.update(1)
        else:
            with ProcessPoolExecutor(min(jobs, len(paths)), mp_context=get_context("spawn"),
                                     initializer=_one_thread) as pool:
                for f in as_completed([pool.submit(prepare_shard, p) for p in paths]):
                    f.result()
                    bar.update(1)


def run(args) -> int:
    from . import open_dataset
    try:
        config = load_config(args.config)
    except ConfigError as e:
        print(f"prepare: error: {e}", file=sys.stderr)
        return 2
    names = args.names or config.names()
    unknown = [n for n in names if n not in config.names()]
    if unknown:
        print(f"prepare: error: {unknown} not in {config.file}; datasets are {config.names()}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        started = time.monotonic()
        entry = config.entry(name)
        try:
            ds = open_dataset(name, config=config)
            if entry.shards:
                prepare_shards(entry.shards, args.jobs, args.cluster or entry.cluster)
            for layer in ds.layers:
                ds.layer(layer).prepare()
        except (ValueError, ClusterError) as e:
            print(f"prepare: {name}: {e}", file=sys.stderr)
            failed += 1
            continue
        print(f"{name}: {len(ds):,} tokens, {len(ds.layers)} layers ready "
              f"({time.monotonic() - started:.1f}s)")
    print(f"engine kernels compiled ({warmup.run():.1f}s)")
    return 1 if failed else 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register `prepare` on the shared `python -m lstmvis_dash` parser."""
    default = Path(__file__).resolve().parent.parent / "datasets.yml"
    p = subparsers.add_parser("prepare", help="build the index of datasets and compile the kernels ahead of time",
                              description=__doc__.split("\n\n", 1)[1])
    p.add_argument("names", metavar="NAME", nargs="*", help="datasets of the config (default: all)")
    p.add_argument("--config", default=str(default), help="datasets.yml (default: the one beside app.py)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="local processes preparing the shards of a sharded dataset (default: one per core)")
    p.add_argument("--cluster", default="", metavar="ADDRESS",
                   help="a dask scheduler whose workers prepare the shards (default: the entry's cluster:)")
    p.set_defaults(run=run)
    return p
