"""Matching on a dask.distributed cluster (SPEC.md section 7).

Each shard is matched by a task on a worker that can read it (its own disk or a shared file
system: asked once per set of workers), and only the shard's part travels back: its top rows and
its length histogram (engine.PartResult, a few kB). The client merges them exactly
(engine.merge_parts). A query that the cluster cannot finish (a worker died and no other holds the
shard, the scheduler went away, it took longer than the timeout) raises ClusterError: never a
partial table. When a worker dies and another one holds the shard, dask runs the task again there,
and the answer is still exact.

Workers need this package installed (`pip install -r requirements.txt`) and the shard folders at
the same paths as the client.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from pathlib import Path

from .dataset import Dataset, open_folder
from .engine import PartResult, match_part

DEFAULT_TIMEOUT = float(os.environ.get("LSTMVIS_CLUSTER_TIMEOUT", "300"))
PAUSED_POLLS = 20   # half-second polls: a shard's workers all paused for 10 s is not a passing peak


class ClusterError(RuntimeError):
    """The cluster could not answer a query (a worker died, the scheduler is unreachable, a
    timeout); nothing partial is returned, and trying again may succeed."""


# -- on the workers ----------------------------------------------------------------------------
_OPEN: dict = {}           # per worker process: folder -> Dataset (read-only; arrays() rechecks files)
_OPEN_LOCK = threading.Lock()


def _open(path: str) -> Dataset:
    with _OPEN_LOCK:
        key = (os.getpid(), path)
        if key not in _OPEN:
            _OPEN[key] = open_folder(Path(path))
        return _OPEN[key]


def scan_shard(path: str, *args) -> PartResult:
    """The task: engine.match_part on one shard folder, opened once per worker process."""
    return match_part(_open(path), *args)


def _data_file(path) -> Path | None:
    for name in ("dataset.h5", "lstm.yml"):
        if (Path(path) / name).exists():
            return Path(path) / name
    return None


def shard_sizes(paths: list[str]) -> list:
    """For each folder, the size of its main file as this machine sees it (None: not readable)."""
    out = []
    for p in paths:
        f = _data_file(p)
        try:
            out.append(os.stat(f).st_size if f is not None else None)
        except OSError:
            out.append(None)
    return out


def prepare_shard(path: str) -> str:
    """Build (or check) every layer's index of one shard on this worker."""
    ds = _open(path)
    for layer in ds.layers:
        ds.arrays(layer)
    return path


# -- on the client -----------------------------------------------------------------------------
_CLIENTS: dict = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(address: str):
    """One dask Client per process and scheduler address (the dashboard's, for an entry's `cluster:`)."""
    from distributed import Client
    with _CLIENTS_LOCK:
        key = (os.getpid(), address)
        client = _CLIENTS.get(key)
        if client is None or client.status not in ("running", "connecting"):
            try:
                client = Client(address, timeout=10, set_as_default=False)
            except (OSError, TimeoutError) as e:
                raise ClusterError(f"cannot reach the dask scheduler at {address} ({e})") from None
            _CLIENTS[key] = client
        return client


_HOLDERS: dict = {}


def _workers(client) -> dict:
    """The workers the scheduler knows now, address -> status ("running", "paused", ...), asked of
    the scheduler itself."""
    try:
        return dict(client.run_on_scheduler(_scheduler_workers))
    except (OSError, TimeoutError) as e:
        raise ClusterError(f"the dask scheduler does not answer ({e})") from None
    except RuntimeError as e:   # the client gave up reconnecting and closed ("ConnectionPool is closed")
        if _closed(client):
            raise ClusterError(f"lost the dask scheduler at {_address(client)} ({e}); try again") from None
        raise


def _closed(client) -> bool:
    return getattr(client, "status", "running") not in ("running", "connecting")


def _address(client) -> str:
    try:
        return str(client.scheduler.address)
    except Exception:  # noqa: BLE001 - only for the message
        return "its address"


def _scheduler_workers(dask_scheduler=None) -> dict:
    return {address: getattr(ws.status, "name", str(ws.status)) for address, ws in dask_scheduler.workers.items()}


def holders(client, paths: list[str]) -> dict:
    """shard path -> the workers that can read it (and see the same file as this process, when this
    process can read it too). Asked again whenever the set of workers changes."""
    workers = tuple(sorted(_workers(client)))
    key = (id(client), workers, tuple(paths))
    if key not in _HOLDERS:
        if not workers:
            raise ClusterError("the dask cluster has no workers")
        try:
            seen = client.run(shard_sizes, list(paths))
        except (OSError, TimeoutError, RuntimeError) as e:
            if isinstance(e, RuntimeError) and not _closed(client):
                raise
            raise ClusterError(f"cannot ask the dask workers which shards they hold ({e})") from None
        mine = shard_sizes(list(paths))
        _HOLDERS.clear()
        _HOLDERS[key] = {p: [w for w in workers if w in seen and seen[w][i] is not None
                             and (mine[i] is None or seen[w][i] == mine[i])]
                         for i, p in enumerate(paths)}
    return _HOLDERS[key]


def run_on_shards(client, paths, task, *args, timeout: float | None = None, on_result=None) -> list:
    """task(path, *args) for every shard on a worker holding it; the results in shard order, or
    ClusterError (every task still running is cancelled). on_result(i) is called as each arrives."""
    from distributed import KilledWorker
    paths = [str(p) for p in paths]
    timeout = DEFAULT_TIMEOUT if timeout is None else timeout
    where = holders(client, paths)
    for i, p in enumerate(paths):
        if not where[p]:
            raise ClusterError(f"no worker of the dask cluster can read shard {i} ({p})")
    query = uuid.uuid4().hex[:12]
    deadline = time.monotonic() + timeout
    results, missed, paused_for, futures = [], 0, 0, []
    try:
        futures = [client.submit(task, p, *args, workers=where[p], allow_other_workers=False, pure=False,
                                 key=f"lstmvis-{getattr(task, '__name__', 'task')}-{query}-{i}")
                   for i, p in enumerate(paths)]
        for i, (p, f) in enumerate(zip(paths, futures)):
            while True:
                try:
                    results.append(f.result(timeout=0.5))
                    if on_result is not None:
                        on_result(i)
                    break
                except TimeoutError:
                    pass
                if time.monotonic() > deadline:
                    raise ClusterError(f"the dask cluster did not answer within {timeout:.0f} s; try again")
                alive = _workers(client)
                waiting = [(j, [w for w in where[q] if w in alive]) for j, (q, g) in enumerate(zip(paths, futures))
                           if not g.done()]
                orphans = [j for j, holding in waiting if not holding]
                missed = missed + 1 if orphans else 0
                if missed >= 6:   # for 3 s: not a worker restarting or a scheduler too busy to list it
                    j = orphans[0]
                    raise ClusterError(f"the worker holding shard {j} ({paths[j]}) left the dask cluster; "
                                       "try again when it is back")
                stuck = [j for j, holding in waiting if holding and all(alive[w] == "paused" for w in holding)]
                paused_for = paused_for + 1 if stuck else 0
                if paused_for >= PAUSED_POLLS:
                    j = stuck[0]
                    raise ClusterError(
                        f"the dask workers holding shard {j} ({paths[j]}) are paused by dask's memory monitor, "
                        "which counts the memory-mapped shards as their memory: start the workers with "
                        "--memory-limit 0 (README, 'On a cluster'), then try again")
        return results
    except KilledWorker as e:
        raise ClusterError(f"a dask worker died while scanning a shard ({e}); try again") from None
    except ClusterError:
        raise
    except (OSError, TimeoutError) as e:
        raise ClusterError(f"lost the connection to the dask cluster ({e}); try again") from None
    except Exception as e:
        if type(e).__name__ in ("CancelledError", "CommClosedError", "FutureCancelledError") or _closed(client):
            raise ClusterError(f"the dask cluster dropped the query ({e}); try again") from None
        raise
    finally:
        for f in futures:
            if not f.done():
                with contextlib.suppress(Exception):   # a client that closed cancels nothing
                    f.cancel()


def match_on_cluster(client, paths, *args, task=scan_shard, timeout: float | None = None) -> list:
    """engine.match_part of every shard, each on a worker that holds it."""
    return run_on_shards(client, paths, task, *args, timeout=timeout)
