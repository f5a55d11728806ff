"""No cold wait: the engine's numba kernels compiled (or loaded from numba's on-disk cache) in the
background when a server process starts, so the first user action is as fast as the next.

A tiny dataset is written to a temporary folder and queried through the public API (lv.select,
lv.match, with and without padding), once with float16 and once with float32 rows, the two row types
the kernels are specialised for, and once with a selection of more than 128 cells (the scan's wide
variant). float16 first: the bundled datasets (and most converted ones) are float16. With an empty
numba cache it takes ~31 s on 2 cores (22.5 s before the scan made its own on-bits; ~46 s before the
kernels left numba's parallel mode).
Fork-safe: it runs in the process that serves (called after the fork by gunicorn.conf.py's
post_worker_init, by `python app.py`, and, for any other server, at the first request of a
process), once per process; nothing is started at import.
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
_lock = threading.Lock()
_threads: dict = {}     # pid -> the warm-up thread of that process


def run() -> float:
    """Compile every kernel a select and a match use; the seconds it took."""
    import lstmvis_dash as lv

    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    T = 96
    tokens = [str(t) for t in rng.integers(0, 5, T)]
    with tempfile.TemporaryDirectory(prefix="lstmvis-warmup-") as tmp:
        # float16 rows, float32 rows, then a selection of more than 128 cells (the wide scan)
        for dtype, D in ((np.float16, 8), (np.float32, 8), (np.float16, 136)):
            on = rng.random((T, D)) < 0.5
            on[10:12] = True
            states = np.where(on, 1.0, -1.0) + rng.normal(0, 0.1, (T, D))
            folder = Path(tmp) / f"{np.dtype(dtype).name}-{D}"
            ds = lv.open_dataset(lv.write_dataset(folder, tokens, {"l": states.astype(dtype)}, documents=[0, T // 2]))
            cells = lv.select(ds, "l", 10, 12, 0.3).tolist()
            lv.match(ds, "l", cells, 0.3)
            lv.match(ds, "l", cells, 0.3, pad_left=1, pad_right=1, min_length=2, max_length=4)
            lv.select(ds, "l", 10, 12, 0.3, pad_left=1, pad_right=1)
    return time.perf_counter() - t0


def _run_logged():
    try:
        log.info("kernels ready in %.1f s (background warm-up)", run())
    except Exception as e:  # noqa: BLE001 - a failed warm-up (e.g. the process exiting) only means
        log.warning("kernel warm-up stopped (%s); the first query compiles what is missing", e)  # a cold start


def start() -> threading.Thread:
    """Start the warm-up of this process in a daemon thread (once per process) and return it."""
    with _lock:
        pid = os.getpid()
        thread = _threads.get(pid)
        if thread is None:
            thread = threading.Thread(target=_run_logged, name="lstmvis-warmup", daemon=True)
            _threads.clear()        # a forked child forgets its parent's thread
            _threads[pid] = thread
            thread.start()
        return thread
