"""Several processes on one fresh (unindexed) dataset at once: identical answers, no errors.

Covers the 'fork' and 'spawn' start methods, a Dataset created (and used) before a fork then used in
the children, and a source that has to be converted (gzip) while the others wait for it.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import time
import traceback

import numpy as np
import pytest

import lstmvis_dash as lv

N_PROCS = 4
HANG_GUARD_S = 600          # only against a deadlock; not a speed requirement


def _make(path, compression=None, seed=0, T=3000, D=24):
    rng = np.random.default_rng(seed)
    states = {"cells": rng.normal(size=(T, D)).astype(np.float32),
              "out": rng.normal(size=(T, D // 2)).astype(np.float32)}
    docs = [0, 700, 1500, 2999]
    return lv.write_dataset(path, [f"w{i % 13}" for i in range(T)], states, documents=docs,
                            transforms={"out": "none"}, compression=compression)


def _queries(ds) -> list:
    """A fixed set of select/match results and some values, as plain Python data."""
    out = []
    for layer in ("cells", "out"):
        for start, stop, thr, pl, pr in ((10, 12, 0.2, 1, 1), (699, 701, 0.0, 0, 2), (2990, 3000, -0.9, 3, 3)):
            s1 = lv.select(ds, layer, start, stop, thr, pad_left=pl, pad_right=pr)
            cells = s1.tolist() or [0, 1, 2]
            m = lv.match(ds, layer, cells, thr, pad_left=pl, pad_right=pr, min_length=1, top=200)
            out.append((layer, s1.tolist(), m.table.values.tolist(), m.histogram.values.tolist()))
        out.append(("values", layer, ds.values(layer, 0, len(ds)).sum(dtype=np.float64).item()))
    return out


def _worker(path, barrier, results, tag):
    try:
        barrier.wait()
        ds = lv.open_dataset(path)
        results.put((tag, "ok", _queries(ds)))
    except BaseException:
        results.put((tag, "error", traceback.format_exc()))


def _worker_with_dataset(ds, barrier, results, tag):
    try:
        barrier.wait()
        results.put((tag, "ok", _queries(ds)))
    except BaseException:
        results.put((tag, "error", traceback.format_exc()))


def _run(ctx, target, first_arg, n=N_PROCS):
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(first_arg, barrier, results, i)) for i in range(n)]
    for p in procs:
        p.start()
    got = {}
    deadline = time.monotonic() + HANG_GUARD_S
    try:
        while len(got) < n and time.monotonic() < deadline:
            try:
                tag, status, payload = results.get(timeout=1)
            except queue.Empty:
                if all(not p.is_alive() for p in procs) and results.empty():
                    break                       # every child is gone and nothing more will come
                continue
            got[tag] = (status, payload)
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
    errors = [f"process {t}: {payload}" for t, (status, payload) in got.items() if status != "ok"]
    assert not errors, "\n".join(errors)
    assert len(got) == n, f"only {len(got)} of {n} processes answered (hung?); exit codes " \
                          f"{[p.exitcode for p in procs]}"
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    return [got[i][1] for i in range(n)]


def _reference(tmp_path, compression=None):
    """The answers from a separate copy, opened and queried by this process alone."""
    return _queries(lv.open_dataset(_make(tmp_path / "reference", compression)))


def _launcher(scenario, path, out):
    """Runs a fork scenario from a fresh interpreter, whatever this pytest process has done before
    (a process that already ran the engine's parallel kernels is itself a scenario, below)."""
    try:
        fork = mp.get_context("fork")
        if scenario == "fresh":
            answers = _run(fork, _worker, path)
        else:
            ds = lv.open_dataset(path)
            if scenario == "used_before_fork":
                _queries(ds)
            answers = _run(fork, _worker_with_dataset, ds)
            answers.append(_queries(ds))            # the parent's object after its children used it
        out.put(("ok", answers))
    except BaseException:
        out.put(("error", traceback.format_exc()))


def _launch(scenario, path) -> list:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    p = ctx.Process(target=_launcher, args=(scenario, str(path), out))
    p.start()
    try:
        status, payload = out.get(timeout=HANG_GUARD_S)
    finally:
        p.join(timeout=60)
        if p.is_alive():
            p.kill()
            p.join()
    assert status == "ok", payload
    return payload


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_fresh_dataset_in_forked_processes(tmp_path, compression):
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork here")
    path = _make(tmp_path / "fresh", compression)
    answers = _launch("fresh", path)
    ref = _reference(tmp_path, compression)
    assert len(answers) == N_PROCS
    for a in answers:
        assert a == ref
    assert _queries(lv.open_dataset(path)) == ref


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_fresh_dataset_in_spawned_processes(tmp_path, compression):
    path = _make(tmp_path / "fresh", compression)
    answers = _run(mp.get_context("spawn"), _worker, str(path))
    ref = _reference(tmp_path, compression)
    for a in answers:
        assert a == ref
    # and afterwards, in this process, from the index the children built
    assert _queries(lv.open_dataset(path)) == ref


@pytest.mark.parametrize("scenario", ["opened_before_fork", "used_before_fork"])
@pytest.mark.parametrize("compression", [None, "gzip"])
def test_dataset_created_before_fork(tmp_path, scenario, compression):
    """A Dataset opened (and, in the second case, queried) in a parent, then used in forked children,
    as a pre-forking web server does. The parent's object keeps answering afterwards."""
    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork here")
    path = _make(tmp_path / "shared", compression)
    ref = _reference(tmp_path, compression)
    answers = _launch(scenario, path)
    assert len(answers) == N_PROCS + 1
    for a in answers:
        assert a == ref


def test_dataset_object_sent_to_spawned_processes(tmp_path):
    """A Dataset pickled to spawned children (e.g. a process pool) answers the same there."""
    path = _make(tmp_path / "pickled")
    ds = lv.open_dataset(path)
    ref = _queries(ds)
    answers = _run(mp.get_context("spawn"), _worker_with_dataset, ds, n=2)
    for a in answers:
        assert a == ref


def test_threads_share_one_dataset(tmp_path):
    """A threaded web server runs queries on one Dataset from several threads at once."""
    from concurrent.futures import ThreadPoolExecutor
    path = _make(tmp_path / "threads")
    ds = lv.open_dataset(path)
    ref = _reference(tmp_path)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: _queries(ds), range(8)))
    for a in answers:
        assert a == ref
