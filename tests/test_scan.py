"""The chunked parallel scan and the summary (kernels.scan_candidates, chunk_cuts, summarise) against
a brute-force reading of SPEC.md 3.2-3.4, with chunk cuts at every kind of position: document starts,
positions of count 0, inside long runs, next to each other, at every position.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash import engine, kernels
from test_engine import check_match, doc_ids, ref_candidates, ref_cells_on, write


def pack(on: np.ndarray) -> np.ndarray:
    """bits[j // 64, t] bit j % 64 = on[t, j], as on_bits builds them."""
    T, n = on.shape
    bits = np.zeros(((n + 63) // 64, T), np.uint64)
    for j in range(n):
        bits[j // 64] |= on[:, j].astype(np.uint64) << np.uint64(j % 64)
    return bits


def ref_scan(on, documents, pl, pr) -> Counter:
    """(a, b, overlap) of every candidate; the S1 columns are all of `on`."""
    T, n = on.shape
    doc = doc_ids(T, documents)
    S1 = set(range(n))
    return Counter((a, b, len(ref_cells_on(on, doc, a, b, pl, pr)))
                   for a, b in ref_candidates(on, doc, S1))


def scan(on, documents, pl, pr, cuts) -> Counter:
    """The scan's candidates; the tally it counts as it goes is checked against a count afresh."""
    docs = np.asarray(documents, np.int64)
    T, size = on.shape
    min_length, max_length = 2, max(2, T // 3)
    a, b, o, segments, tally = kernels.scan_candidates(pack(on), docs, T, pl, pr, np.asarray(cuts, np.int64),
                                                       size, min_length, max_length)
    recount = kernels.count_candidates(a, b, o, segments, size, min_length, max_length)
    for got, want in zip(tally, recount):
        np.testing.assert_array_equal(got, want)
    found = [(a[i], b[i], o[i]) for s, e in segments.tolist() for i in range(s, e)]
    return Counter((int(x), int(y), int(z)) for x, y, z in found)


def random_on(rng, T, n):
    """Runs of on per cell, sometimes a cell on everywhere, sometimes stretches where all are off."""
    p_stay = rng.uniform(0.5, 0.98, size=n)
    state = rng.random(n) < 0.5
    on = np.empty((T, n), bool)
    for t in range(T):
        state = np.where(rng.random(n) > p_stay, ~state, state)
        on[t] = state
    if rng.random() < 0.3:
        on[:, rng.integers(0, n)] = True
    if rng.random() < 0.3:
        a = int(rng.integers(0, T))
        on[a:a + int(rng.integers(1, 6))] = False
    return on


def random_cuts(rng, T, documents, on):
    kind = rng.choice(["every", "random", "docs", "zeros", "one"])
    if kind == "every":
        return np.arange(T + 1)
    if kind == "one":
        return np.array([0, T])
    if kind == "docs":
        inner = [d for d in documents if d > 0] + rng.integers(1, T, size=2).tolist() if T > 1 else []
    elif kind == "zeros":
        inner = np.flatnonzero(on.sum(axis=1) == 0).tolist() + rng.integers(1, T, size=1).tolist() if T > 1 else []
    else:
        inner = rng.integers(1, T, size=int(rng.integers(1, 9))).tolist() if T > 1 else []
    return np.array([0] + sorted(set(x for x in inner if 0 < x < T)) + [T])


@pytest.mark.parametrize("seed", range(60))
def test_scan_with_any_cuts(seed):
    rng = np.random.default_rng(seed)
    T = int(rng.integers(1, 80))
    n = int(rng.choice([1, 2, 5, 13, 64, 70, 129, 200]))  # 1 to 4 words
    on = random_on(rng, T, n)
    n_docs = int(rng.integers(1, min(5, T) + 1))
    documents = [0] + sorted(rng.choice(np.arange(1, T), n_docs - 1, replace=False).tolist()) if T > 1 else [0]
    pl, pr = (int(x) for x in rng.integers(0, 4, size=2)) if rng.random() < 0.6 else (0, 0)
    want = ref_scan(on, documents, pl, pr)
    assert max(want.values(), default=1) == 1
    for _ in range(3):
        cuts = random_cuts(rng, T, documents, on)
        assert scan(on, documents, pl, pr, cuts) == want, cuts.tolist()


@pytest.mark.parametrize("T", [300, 1300])
def test_run_longer_than_many_chunks(T):
    """One cell on over the whole document, others on and off: runs cross every cut (and at 1300,
    runs longer than the scan's dense length counts, inside chunks and across them)."""
    rng = np.random.default_rng(7)
    on = random_on(rng, T, 6)
    on[:, 2] = True
    on[100:140, 4] = True
    on[150:1000, 5] = True
    for pl, pr in ((0, 0), (2, 3)):
        want = ref_scan(on, [0], pl, pr)
        assert any(a == 0 and b == T for a, b, _ in want)
        for cuts in (np.append(np.arange(0, T, 7), T), np.arange(T + 1), np.array([0, 1, 2, 150, T - 2, T - 1, T]),
                     np.array([0, T])):
            assert scan(on, [0], pl, pr, cuts) == want


def test_even_cuts_prefer_document_starts():
    """The cuts of a scan that makes its own bitsets: increasing from 0 to T, a close document start
    instead of the equal share."""
    assert kernels.even_cuts([0], 1000, 4).tolist() == [0, 250, 500, 750, 1000]
    assert kernels.even_cuts([0, 245, 760], 1000, 4).tolist() == [0, 245, 500, 760, 1000]
    assert kernels.even_cuts([0], 1, 8).tolist() == [0, 1]
    for T, n in ((5, 100), (7, 3), (10 ** 6, 2 * 10 ** 6)):
        cuts = kernels.even_cuts([0, T // 2], T, n)
        assert cuts[0] == 0 and cuts[-1] == T and (np.diff(cuts) > 0).all()


def test_chunk_cuts_prefer_document_starts_and_low_counts():
    on = np.ones((1000, 3), bool)
    on[510] = False            # count 0 near the middle
    on[240:260, 1:] = False    # count 1 around the first quarter
    bits = pack(on)
    cuts = kernels.chunk_cuts(bits, np.array([0, 745]), 1000, 4)
    assert cuts.tolist() == [0, 240, 510, 745, 1000]
    assert kernels.chunk_cuts(bits, np.array([0]), 1, 8).tolist() == [0, 1]
    for T in (1, 2, 5, 100):
        cuts = kernels.chunk_cuts(pack(np.ones((T, 1), bool)), np.array([0]), T, 16)
        assert cuts[0] == 0 and cuts[-1] == T and np.all(np.diff(cuts) > 0)


def ref_summary(a, b, o, size, min_length, max_length, top):
    length = b - a
    hist = Counter()
    for L, ov in zip(length.tolist(), o.tolist()):
        if ov >= 1:
            s, f = hist[L] if L in hist else (0, 0)
            hist[L] = (s + (ov == size), f + 1)
    keep = (o >= 1) & (length >= min_length) & (length <= max_length)
    levels = np.sort(o[keep])[::-1]
    cutoff = levels[top - 1] if 0 < top <= len(levels) else 1
    return sorted((L, s, f) for L, (s, f) in hist.items()), np.flatnonzero(keep & (o >= cutoff)).tolist()


@pytest.mark.parametrize("seed", range(8))
def test_summarise_dense_and_long_lengths(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 10, 70_000, 200_000]))
    size = int(rng.integers(1, 9))
    a = rng.integers(0, 10_000_000, n).astype(np.int32)
    short = rng.random(n) < 0.97
    length = np.where(short, rng.integers(1, 40, n), rng.integers(400, 3_000_000, n))
    b = (a + length).astype(np.int32)
    o = rng.integers(0, size + 1, n).astype(np.int32)
    top = int(rng.choice([0, 1, 50, 10 ** 9]))
    min_length, max_length = int(rng.integers(1, 4)), int(rng.choice([5, 600, 10 ** 8]))
    want_hist, want_idx = ref_summary(a, b, o, size, min_length, max_length, top)
    # the candidates in segments of a larger buffer, as the scan leaves them, with junk between
    cut = np.sort(rng.integers(0, n + 1, int(rng.integers(0, 6))))
    pieces = np.split(np.arange(n), cut)
    gaps = rng.integers(0, 50, len(pieces) + 1)
    where, segments, at = [], [], int(gaps[0])
    for piece, gap in zip(pieces, gaps[1:]):
        segments.append((at, at + len(piece)))
        where.append(np.arange(at, at + len(piece)))
        at += len(piece) + int(gap)
    where = np.concatenate(where).astype(np.int64)
    buf = [np.full(at, junk, np.int32) for junk in (0, 3, size)]   # junk: a full-overlap candidate 0:3
    for arr, vals in zip(buf, (a, b, o)):
        arr[where] = vals
    tally = kernels.count_candidates(*buf, np.array(segments), size, min_length, max_length)
    lengths, strict, fuzzy, idx = kernels.summarise(*buf, np.array(segments), tally, size, min_length, max_length, top)
    assert list(zip(lengths.tolist(), strict.tolist(), fuzzy.tolist())) == want_hist
    assert sorted(idx.tolist()) == where[want_idx].tolist()


@pytest.fixture()
def many_chunks(monkeypatch):
    """The engine cuts each query into chunks of about one token."""
    monkeypatch.setattr(engine, "CHUNKS_PER_THREAD", 10 ** 6)


@pytest.mark.parametrize("seed", range(10))
def test_match_one_document_many_chunks(tmp_path, seed, many_chunks):
    """lv.match on one long document with long runs, pads across chunk edges, against the reference."""
    rng = np.random.default_rng(500 + seed)
    T, D = int(rng.integers(20, 120)), int(rng.integers(2, 10))
    on = random_on(rng, T, D)
    raw = np.where(on, rng.uniform(0.4, 2, (T, D)), rng.uniform(-2, 0.2, (T, D))).astype(np.float32)
    documents = [0] if seed % 2 else [0, int(rng.integers(1, T))]
    ds = write(tmp_path, "one", [f"w{i % 5}" for i in range(T)], {"x": raw}, documents=documents)
    doc = doc_ids(T, documents)
    for _ in range(4):
        cells = sorted(rng.choice(D, int(rng.integers(1, D + 1)), replace=False).tolist())
        pl, pr = (int(x) for x in rng.integers(0, 4, size=2))
        check_match(ds, "x", raw, "tanh", doc, cells, 0.3, pl, pr, min_length=1, top=int(rng.choice([3, 1000])))


def test_long_runs_in_histogram(tmp_path):
    """Runs far longer than the dense part of the histogram are counted, once each."""
    T = 3000
    raw = np.full((T, 2), -1.0, np.float32)
    raw[:, 0] = 1.0                    # on over the whole document
    raw[100:2900, 1] = 1.0             # a run of 2800
    ds = write(tmp_path, "long", ["w"] * T, {"x": raw})
    m = lv.match(ds, "x", [0, 1], 0.5, min_length=1)
    assert m.histogram.to_numpy().tolist() == [[2800, 1, 1], [3000, 0, 1]]
    assert m.table.to_numpy().tolist() == [[100, 2900, 2800, 2, 2], [0, 3000, 3000, 1, 2]]


@pytest.mark.parametrize("n", [1, 7, 8, 9, 63, 64, 65, 130, 300])
def test_on_bits_against_numpy(n):
    """kernels.on_bits for every size of cell set (full and partial planes, one to five words), over
    blocks and parts that do not divide T, with ambiguous cells decided by the raw rows."""
    rng = np.random.default_rng(n)
    T, D = 40_003, 320
    codes = rng.integers(0, 256, size=(D, T), dtype=np.uint8)
    rows = rng.standard_normal((T, D)).astype(np.float32)
    cells = np.sort(rng.choice(D, size=n, replace=False)).astype(np.int64)
    k = rng.integers(0, 256, size=n)          # 255: on only where ambiguous and exact
    ambiguous = rng.random(n) < 0.3
    thr = rng.standard_normal(n).astype(np.float32)
    q = codes[cells].T                       # (T, n)
    on = (q > k) | (ambiguous & (q == k) & (rows[:, cells] >= thr))
    np.testing.assert_array_equal(kernels.on_bits(kernels.bits_source(codes, cells, k, ambiguous, rows, thr), T),
                                  pack(on))
