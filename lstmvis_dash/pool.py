"""The engine's threads: its kernels are single-threaded numba functions that release the GIL, and
the engine runs their parts at once on one thread pool per process.

Why not numba's `parallel=True`: parallel kernels take several times longer to compile (with an
empty cache the first query after a fresh install waited ~40 s), the fork-safe workqueue threading
layer admits one caller at a time (two users' queries queued behind each other), and the default
layer kills forked children. Plain threads have none of these problems.
"""
from __future__ import annotations

import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numba
import numpy as np

_lock = threading.Lock()
_executors: dict = {}   # pid -> the pool of that process (a forked child makes its own)
_count = {"threads": 0}  # this process's setting (0: NUMBA_NUM_THREADS, by default every core)


def threads() -> int:
    """How many parts run at once (NUMBA_NUM_THREADS or set_threads; numba's own threads never start)."""
    return _count["threads"] or max(1, numba.config.NUMBA_NUM_THREADS)


def set_threads(n: int) -> None:
    """Cut the work into parts for n threads in this process; 1 runs every kernel in the calling
    thread (processes that share the cores: prepare's workers)."""
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


# -- scratch memory -------------------------------------------------------------------------------
# A query's large buffers (the S1 bitsets, the scan's candidates: ~400 MB at 10M tokens) are fresh
# memory each time, and the kernel zeroes every page on first touch: at 10M that was 130 ms of
# system time per query. Inside `with scratch():` they come from this process's free buffers
# instead, and go back to them at the end (at most _KEEP_BYTES kept; memory, not user state).
_KEEP_BYTES = 1 << 30
_SMALL = 1 << 20
_free_lock = threading.Lock()
_free: dict = {"pid": None, "buffers": []}
_taken = contextvars.ContextVar("lstmvis_scratch", default=None)


@contextmanager
def scratch():
    """Large `empty` arrays made inside come from, and return to, the process's free buffers: no
    array made inside may be used after the block."""
    taken: list = []
    token = _taken.set(taken)
    try:
        yield
    finally:
        _taken.reset(token)
        _give_back(taken)


def empty(shape, dtype) -> np.ndarray:
    """np.empty, from the free buffers when inside `scratch()` and the array is large."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    taken = _taken.get()
    if taken is None or n < _SMALL:
        return np.empty(shape, dtype)
    buf = _take(n)
    taken.append(buf)
    return buf[:n].view(dtype).reshape(shape)


def _own_free() -> list:
    if _free["pid"] != os.getpid():      # a forked child starts with none
        _free.update(pid=os.getpid(), buffers=[])
    return _free["buffers"]


def _take(n: int) -> np.ndarray:
    with _free_lock:
        free = _own_free()
        fits = [i for i, b in enumerate(free) if n <= b.nbytes <= 2 * n + _SMALL]
        if fits:
            return free.pop(min(fits, key=lambda i: free[i].nbytes))
    return np.empty(n, np.uint8)


def _give_back(buffers: list) -> None:
    with _free_lock:
        kept, total = [], 0
        for b in sorted(_own_free() + buffers, key=lambda b: -b.nbytes):
            if total + b.nbytes <= _KEEP_BYTES:
                kept.append(b)
                total += b.nbytes
        _free["buffers"] = kept
