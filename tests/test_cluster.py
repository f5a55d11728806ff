"""lv.match(client=) on a dask LocalCluster: the same answer as in-process; a dead worker is a
ClusterError, never a partial table."""
from __future__ import annotations

import os

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash import cluster
from test_shards import same_matches, write_split

distributed = pytest.importorskip("distributed")


def _quiet_cluster(**kw):
    return distributed.LocalCluster(processes=True, threads_per_worker=1, dashboard_address=":0",
                                    silence_logs=40, **kw)


@pytest.fixture(scope="module")
def client():
    """Two worker processes, shared by the tests of this module (a few seconds to start)."""
    with _quiet_cluster(n_workers=2) as lc, distributed.Client(lc, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    rng = np.random.default_rng(3)
    T, D = 400, 12
    on = rng.random((T, D)) < 0.5
    raw = np.where(on, rng.uniform(0.4, 2, (T, D)), rng.uniform(-2, 0.2, (T, D))).astype(np.float32)
    documents = sorted(set([0] + rng.integers(1, T, 9).tolist()))
    return write_split(tmp_path_factory.mktemp("cl"), [f"w{i % 7}" for i in range(T)], {"x": raw},
                       documents, None, [0, 2, 5, 6, 8])


def test_cluster_equals_in_process(client, data):
    one, sharded = data
    rng = np.random.default_rng(0)
    for _ in range(4):
        cells = sorted(rng.choice(12, int(rng.integers(1, 12)), replace=False).tolist())
        pl, pr = (int(x) for x in rng.integers(0, 3, 2))
        kw = dict(pad_left=pl, pad_right=pr, min_length=1, top=int(rng.choice([1, 10, 100])))
        want = lv.match(one, "x", cells, 0.3, **kw)
        same_matches(lv.match(sharded, "x", cells, 0.3, client=client, **kw), want)
        same_matches(lv.match(sharded, "x", cells, 0.3, **kw), want)
    # one folder on the cluster: one shard
    same_matches(lv.match(one, "x", [1, 2, 3], 0.3, client=client), lv.match(one, "x", [1, 2, 3], 0.3))


def test_cluster_every_transform_and_sparse(client, tmp_path):
    """zscore and quantile thresholds come from all shards' merged statistics (on the client) and
    each worker scans its shard with them: the same as one folder, dense and sparse layers."""
    import scipy.sparse as sp
    from test_sparse import sparse_states
    from test_transforms import ALL_TRANSFORMS, make_raw
    rng = np.random.default_rng(11)
    T = 300
    dense = make_raw(rng, T, 6)
    dense[:120] *= 10                                     # the shards' distributions differ
    states = {"d": dense, "s": sp.csr_matrix(sparse_states(rng, T, 25))}
    one, sharded = write_split(tmp_path, ["x"] * T, states, [0, 50, 120, 121, 200, 260], None, [0, 2, 4],
                               {"d": "zscore", "s": "quantile"})
    for layer in ("d", "s"):
        for transform in ALL_TRANSFORMS:
            for thr in (-0.5, 0.0, 0.5, 0.9):
                cells = sorted(rng.choice(one.dims(layer), int(rng.integers(1, 6)), replace=False).tolist())
                kw = dict(min_length=1, top=int(rng.choice([1, 50])), transform=transform, pad_left=1)
                same_matches(lv.match(sharded, layer, cells, thr, client=client, **kw),
                             lv.match(one, layer, cells, thr, **kw))


def test_shard_no_worker_can_read(client, data, tmp_path):
    _, sharded = data
    with pytest.raises(lv.ClusterError, match="no worker .* can read shard 0"):
        cluster.run_on_shards(client, [tmp_path / "elsewhere"], cluster.scan_shard)


def test_a_closed_client_is_a_cluster_error(client, data):
    """A client that gave up on its scheduler (it closes after failing to reconnect): ClusterError,
    and client_for makes a new one for the next query."""
    _, sharded = data
    address = client.scheduler.address
    stale = cluster.client_for(address)
    stale.close()
    with pytest.raises(lv.ClusterError):
        lv.match(sharded, "x", [0, 1], 0.3, client=stale)
    fresh = cluster.client_for(address)
    assert fresh is not stale
    same_matches(lv.match(sharded, "x", [0, 1], 0.3, client=fresh), lv.match(sharded, "x", [0, 1], 0.3))


def _die(path, *args):
    """A task whose worker process dies under it."""
    os._exit(1)


def test_killed_worker_is_a_cluster_error(data):
    """The worker dies mid-query (every time the task is retried): a ClusterError, no table."""
    _, sharded = data
    import dask
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with _quiet_cluster(n_workers=1) as lc, distributed.Client(lc, set_as_default=False) as c:
            with pytest.raises(lv.ClusterError, match="died|left"):
                cluster.match_on_cluster(c, sharded.paths, "x", np.array([0, 1]), np.float32(0.3), 0, 0, 1, 400, 50,
                                         task=_die, timeout=60)
            # the cluster recovers (the nanny restarts the worker) and answers the next query exactly
            c.wait_for_workers(1, timeout=60)
            same_matches(lv.match(sharded, "x", [0, 1], 0.3, client=c), lv.match(sharded, "x", [0, 1], 0.3))


def _set_status(name, dask_worker=None):
    from distributed.core import Status
    dask_worker.status = getattr(Status, name)   # the worker tells the scheduler, as its memory monitor does


def _set_every_worker(client, name):
    import time
    client.run(_set_status, name)
    deadline = time.monotonic() + 30
    while set(client.run_on_scheduler(cluster._scheduler_workers).values()) != {name}:
        assert time.monotonic() < deadline, "the scheduler never saw the workers " + name
        time.sleep(0.05)


def test_paused_workers_are_a_cluster_error_that_names_the_memory_monitor(data, monkeypatch):
    """dask's memory monitor pauses a worker whose memory (memory-mapped shards included) passes 80%
    of its limit; a query waiting on paused workers is a ClusterError that says so and what to do,
    not a wait for the timeout. Resumed, the same cluster answers exactly. (The cluster's own monitor
    is off, memory_limit=0, so that only the test pauses and resumes.)"""
    _, sharded = data
    monkeypatch.setattr(cluster, "PAUSED_POLLS", 4)
    with _quiet_cluster(n_workers=1, memory_limit=0) as lc, distributed.Client(lc, set_as_default=False) as c:
        _set_every_worker(c, "paused")
        with pytest.raises(lv.ClusterError, match="paused by dask's memory monitor.*--memory-limit 0"):
            lv.match(sharded, "x", [0, 1], 0.3, client=c)
        _set_every_worker(c, "running")
        same_matches(lv.match(sharded, "x", [0, 1], 0.3, client=c), lv.match(sharded, "x", [0, 1], 0.3))


def test_prepare_on_the_cluster(client, data, tmp_path, capsys):
    from lstmvis_dash.__main__ import main
    _, sharded = data
    cfg = tmp_path / "datasets.yml"
    cfg.write_text("datasets:\n  - name: big\n    shards: [" + ", ".join(str(p) for p in sharded.paths) + "]\n"
                   f"    cluster: {client.scheduler.address}\n", encoding="utf-8")
    assert main(["prepare", "big", "--config", str(cfg)]) == 0
    assert "big: 400 tokens" in capsys.readouterr().out
    ds = lv.open_dataset("big", config=cfg)
    same_matches(lv.match(ds, "x", [0, 1, 2], 0.3, client=cluster.client_for(client.scheduler.address)),
                 lv.match(ds, "x", [0, 1, 2], 0.3))
