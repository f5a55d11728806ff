"""The engine's threads: its kernels are single-threaded numba functions that release the GIL, and
the engine runs their parts at once on one thread pool per process.

Why not numba's `parallel=True`: parallel kernels take several times longer to compile (with an
empty cache the first query after a fresh install waited ~40 s), the fork-safe workqueue threading
layer admits one caller at a time (two users' queries queued behind each other), and the default
layer kills forked children. Plain threads have none of these problems.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

_lock = threading.Lock()
_executors: dict = {}   # pid -> the pool of that process (a forked child makes its own)
_count = {"threads": 0}  # this process's setting (0: NUMBA_NUM_THREADS, by default every core)


def threads() -> int:
    """How many parts run at once (NUMBA_NUM_THREADS or set_threads; numba's own threads never start)."""
    return _count["threads"] or max(1, numba.config.NUMBA_NUM_THREADS)


def set_threads(n: int) -> None:
    """Run at most n parts at once in this process (e.g. 1 in processes that share the cores)."""
    _count["threads"] = max(1, int(n))


def _executor() -> ThreadPoolExecutor:
    pid = os.getpid()
    with _lock:
        pool = _executors.get(pid)
        if pool is None:
            _executors.clear()
            pool = _executors[pid] = ThreadPoolExecutor(max_workers=max(1, numba.config.NUMBA_NUM_THREADS),
                                                        thread_name_prefix="lstmvis-engine")
        return pool


def run_parts(fn, parts) -> list:
    """[fn(*args) for args in parts], run at once on the pool (in this thread when one part or one
    thread)."""
    parts = list(parts)
    if len(parts) <= 1 or threads() == 1:
        return [fn(*args) for args in parts]
    futures = [_executor().submit(fn, *args) for args in parts]
    return [f.result() for f in futures]


def spans(n: int, parts: int, step: int = 1) -> list:
    """About `parts` consecutive (start, stop) covering 0:n, each start a multiple of `step`."""
    blocks = (n + step - 1) // step
    parts = max(1, min(parts, blocks))
    cuts = [min(n, blocks * p // parts * step) for p in range(parts + 1)]
    return [(s, e) for s, e in zip(cuts, cuts[1:]) if e > s]
