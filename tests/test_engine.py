"""lv.select / lv.match against a brute-force reading of SPEC.md sections 1-3.

The reference below is written from the spec alone (not from engine.py / kernels.py): it computes
the on/off matrix exactly as section 1 says (`np.tanh(raw.astype(np.float32)) >= np.float32(l)`),
then enumerates selections, candidates, S2 sets, the histogram and the ranking naively.
"""
from __future__ import annotations


import numpy as np
import pytest

import lstmvis_dash as lv

TABLE_COLUMNS = ["start", "stop", "length", "overlap", "union"]
HIST_COLUMNS = ["length", "strict", "fuzzy"]


# ----------------------------------------------------------------------------------------------
# the reference


def ref_values(raw: np.ndarray, transform: str) -> np.ndarray:
    """Section 1: v = transform(raw), computed in float32."""
    raw32 = raw.astype(np.float32)
    return np.tanh(raw32) if transform == "tanh" else raw32


def ref_on(raw: np.ndarray, transform: str, threshold) -> np.ndarray:
    """Section 1: cell c is on at t when v[t, c] >= np.float32(l) (NaN is never >= anything)."""
    v = ref_values(raw, transform)
    with np.errstate(invalid="ignore"):
        return v >= np.float32(threshold)


def doc_ids(T: int, documents) -> np.ndarray:
    """The document number of every position."""
    return np.searchsorted(np.asarray(documents), np.arange(T), side="right") - 1


def _off_in_padding(ok, on, doc, lo, hi, pad_doc) -> None:
    """Keeps in `ok` only cells off at every padding position lo:hi. Positions outside the data or in
    another document than `pad_doc` count as off."""
    T = on.shape[0]
    for t in range(lo, hi):
        if t < 0 or t >= T or doc[t] != pad_doc:
            continue
        ok &= ~on[t]


def ref_cells_on(on, doc, a, b, pl, pr) -> set:
    """Cells on at every t in a:b, off in a-pl:a (if pl > 0) and in b:b+pr (if pr > 0)."""
    ok = on[a:b].all(axis=0)
    if pl > 0:
        _off_in_padding(ok, on, doc, a - pl, a, doc[a])
    if pr > 0:
        _off_in_padding(ok, on, doc, b, b + pr, doc[b - 1])
    return set(np.flatnonzero(ok).tolist())


def ref_select(on, doc, start, stop, pl, pr) -> list:
    return sorted(ref_cells_on(on, doc, start, stop, pl, pr))


def ref_candidates(on, doc, S1) -> set:
    """Section 3.2: maximal runs of count >= k for every k in 1..|S1|, split at document boundaries."""
    T = on.shape[0]
    count = on[:, sorted(S1)].sum(axis=1).tolist()
    cands = set()
    for k in range(1, len(S1) + 1):
        t = 0
        while t < T:
            if count[t] >= k:
                a = t
                while t < T and count[t] >= k and doc[t] == doc[a]:
                    t += 1
                cands.add((a, t))
            else:
                t += 1
    return cands


def ref_match(on, doc, cells, pl, pr, min_length, max_length, top):
    S1 = set(int(c) for c in cells)
    if not S1:
        return [], []
    rows = []
    for a, b in ref_candidates(on, doc, S1):
        S2 = ref_cells_on(on, doc, a, b, pl, pr)
        rows.append((a, b, b - a, len(S1 & S2), len(S1 | S2)))
    hist = {}
    for a, b, length, overlap, union in rows:
        strict, fuzzy = hist.get(length, (0, 0))
        hist[length] = (strict + (overlap == len(S1)), fuzzy + (overlap >= 1))
    histogram = sorted((length, s, f) for length, (s, f) in hist.items() if s > 0 or f > 0)
    kept = [r for r in rows if r[3] >= 1 and min_length <= r[2] and (max_length is None or r[2] <= max_length)]
    kept.sort(key=lambda r: (-r[3], r[4], -r[2], r[0]))
    return kept[:top], histogram


# ----------------------------------------------------------------------------------------------
# helpers


def table_rows(m) -> list:
    assert list(m.table.columns) == TABLE_COLUMNS
    return [tuple(int(x) for x in row) for row in m.table[TABLE_COLUMNS].to_numpy().tolist()]


def hist_rows(m) -> list:
    assert list(m.histogram.columns) == HIST_COLUMNS
    rows = [tuple(int(x) for x in row) for row in m.histogram[HIST_COLUMNS].to_numpy().tolist()]
    return sorted(rows)


def write(tmp_path, name, tokens, states, documents=None, transforms=None):
    path = lv.write_dataset(tmp_path / name, tokens, states, documents=documents, transforms=transforms)
    return lv.open_dataset(path)


def check_select(ds, layer, raw, transform, doc, start, stop, thr, pl, pr):
    on = ref_on(raw, transform, thr)
    got = lv.select(ds, layer, start, stop, thr, pad_left=pl, pad_right=pr)
    want = ref_select(on, doc, start, stop, pl, pr)
    assert [int(c) for c in got] == want, (layer, start, stop, thr, pl, pr)
    return want


def check_match(ds, layer, raw, transform, doc, cells, thr, pl, pr, min_length=2, max_length=None, top=50):
    on = ref_on(raw, transform, thr)
    m = lv.match(ds, layer, cells, thr, pad_left=pl, pad_right=pr,
                 min_length=min_length, max_length=max_length, top=top)
    want_table, want_hist = ref_match(on, doc, cells, pl, pr, min_length, max_length, top)
    ctx = dict(layer=layer, cells=list(cells), thr=thr, pl=pl, pr=pr,
               min_length=min_length, max_length=max_length, top=top)
    assert table_rows(m) == want_table, ctx
    assert hist_rows(m) == want_hist, ctx
    return want_table, want_hist


# ----------------------------------------------------------------------------------------------
# hand-worked examples (they also check that the reference reads the spec as intended)


@pytest.fixture()
def hand(tmp_path):
    #            t: 0  1  2  3 | 4  5  6  7     documents [0, 4]
    v = np.array([[1, 1, 1, 1, 1, 1, 1, 1],    # cell 0: on everywhere
                  [0, 1, 1, 0, 0, 0, 0, 0],    # cell 1
                  [0, 0, 1, 1, 0, 0, 0, 0],    # cell 2
                  [0, 1, 1, 1, 1, 1, 0, 0]],   # cell 3: crosses the document boundary
                 dtype=np.float32).T
    ds = write(tmp_path, "hand", list("abcdefgh"), {"x": v}, documents=[0, 4], transforms={"x": "none"})
    return ds, v


def test_hand_select(hand):
    ds, v = hand
    sel = lambda *a, **k: [int(c) for c in lv.select(ds, "x", *a, **k)]
    assert sel(1, 3, 0.5, pad_left=1, pad_right=1) == [1]
    assert sel(2, 4, 0.5, pad_left=1, pad_right=2) == [2]          # right padding is in document 1: off
    assert sel(2, 4, 0.5, pad_left=0, pad_right=2) == [0, 2, 3]
    assert sel(6, 8, 0.5, pad_right=3) == [0]                      # padding past the data is off
    assert sel(0, 2, 0.5, pad_left=3) == [0]                       # padding before the data is off
    assert sel(3, 5, 0.5) == [0, 3]                                # a range across documents
    assert sel(3, 5, 0.5, pad_left=1) == []                        # t=2 is in the document of start
    assert sel(4, 6, 0.5, pad_left=2) == [0, 3]                    # t=2,3 are in document 0: off
    assert sel(0, 8, 1.0) == [0]                                   # value == threshold is on
    assert sel(0, 8, 1.5) == []


def test_hand_match(hand):
    ds, _ = hand
    m = lv.match(ds, "x", [3, 1, 2], 0.5, min_length=1)
    assert table_rows(m) == [(2, 3, 1, 3, 4), (1, 4, 3, 1, 4), (4, 6, 2, 1, 4)]
    assert hist_rows(m) == [(1, 1, 1), (2, 0, 1), (3, 0, 1)]
    m = lv.match(ds, "x", [1, 2, 3], 0.5)                          # default min_length=2
    assert table_rows(m) == [(1, 4, 3, 1, 4), (4, 6, 2, 1, 4)]
    assert hist_rows(m) == [(1, 1, 1), (2, 0, 1), (3, 0, 1)]       # the histogram ignores the length filter
    m = lv.match(ds, "x", [1, 2, 3], 0.5, pad_left=1, min_length=1)
    assert table_rows(m) == [(1, 4, 3, 1, 3), (2, 3, 1, 1, 3), (4, 6, 2, 1, 4)]
    assert hist_rows(m) == [(1, 0, 1), (2, 0, 1), (3, 0, 1)]
    m = lv.match(ds, "x", [1, 2, 3], 0.5, pad_left=1, min_length=1, top=2)
    assert table_rows(m) == [(1, 4, 3, 1, 3), (2, 3, 1, 1, 3)]
    m = lv.match(ds, "x", [1, 2], 0.5, min_length=1)
    # candidates (1,4): S2={0,3}, overlap 0 (dropped); (2,3): S2 = all, overlap 2
    assert table_rows(m) == [(2, 3, 1, 2, 4)]
    assert hist_rows(m) == [(1, 1, 1)]


def test_hand_reference_agrees(hand):
    ds, v = hand
    doc = doc_ids(8, [0, 4])
    on = ref_on(v, "none", 0.5)
    assert ref_select(on, doc, 2, 4, 1, 2) == [2]
    table, hist = ref_match(on, doc, [1, 2, 3], 1, 0, 1, None, 50)
    assert table == [(1, 4, 3, 1, 3), (2, 3, 1, 1, 3), (4, 6, 2, 1, 4)]
    assert hist == [(1, 0, 1), (2, 0, 1), (3, 0, 1)]


def test_empty_cells_give_empty_result(hand):
    ds, _ = hand
    for cells in ([], (), np.array([], dtype=np.int64)):
        m = lv.match(ds, "x", cells, 0.5, min_length=1)
        assert len(m.table) == 0 and list(m.table.columns) == TABLE_COLUMNS
        assert len(m.histogram) == 0 and list(m.histogram.columns) == HIST_COLUMNS
    # select giving nothing, then match on that: empty, not an error
    s1 = lv.select(ds, "x", 0, 8, 2.0)
    assert len(s1) == 0
    m = lv.match(ds, "x", s1, 2.0)
    assert len(m.table) == 0 and len(m.histogram) == 0


# ----------------------------------------------------------------------------------------------
# random and structured datasets


def _documents(rng, T):
    n = int(rng.integers(1, min(6, T) + 1))
    inner = sorted(rng.choice(np.arange(1, T), size=n - 1, replace=False).tolist()) if T > 1 and n > 1 else []
    return [0] + inner


def _markov(rng, T, D, hi_lo):
    """On/off runs per cell (a two-state Markov chain); values just above / below the level."""
    p_stay = rng.uniform(0.5, 0.95, size=D)
    state = rng.random(D) < 0.5
    out = np.empty((T, D), dtype=np.float32)
    for t in range(T):
        flip = rng.random(D) > p_stay
        state = np.where(flip, ~state, state)
        out[t] = np.where(state, hi_lo[0](rng, D), hi_lo[1](rng, D))
    return out


def make_states(rng, T, D, transform):
    """Raw float32 states of one of several kinds, plus thresholds that make sense for them."""
    kind = rng.choice(["normal", "markov", "quantized", "straddle"])
    if kind == "normal":
        raw = rng.normal(scale=rng.choice([0.5, 1.0, 2.0]), size=(T, D)).astype(np.float32)
        levels = [0.0, 0.3, -0.2, 0.7]
    elif kind == "markov":
        level = float(rng.choice([0.0, 0.25, 0.5, 0.7]))
        if transform == "tanh":
            r = float(np.arctanh(level))
            hi = lambda g, d: (r + g.uniform(0.0, 0.8, d)).astype(np.float32)
            lo = lambda g, d: (r - g.uniform(0.01, 0.8, d)).astype(np.float32)
        else:
            hi = lambda g, d: (level + g.uniform(0.0, 0.5, d)).astype(np.float32)
            lo = lambda g, d: (level - g.uniform(0.01, 0.5, d)).astype(np.float32)
        raw = _markov(rng, T, D, (hi, lo))
        levels = [level]
    elif kind == "quantized":
        # few distinct values: many ties in the ranking and many values equal to a threshold
        vals = np.array([-1.0, -0.5, 0.0, 0.5, 0.7, 1.0], dtype=np.float32)
        raw = rng.choice(vals, size=(T, D)).astype(np.float32)
        levels = [0.5, 0.7, 0.0, -0.5]
    else:
        # values straddling a level by a few float32 ulps, and exactly on it
        level = np.float32(rng.choice([0.3, 0.7, -0.1, 0.5]))
        steps = rng.integers(-3, 4, size=(T, D))
        raw = np.full((T, D), level, dtype=np.float32)
        for k in range(1, 4):
            raw = np.where(steps >= k, np.nextafter(raw, np.float32(np.inf)), raw)
            raw = np.where(steps <= -k, np.nextafter(raw, np.float32(-np.inf)), raw)
        raw = raw.astype(np.float32)
        levels = [float(level)]
        if transform == "tanh":
            raw = np.arctanh(raw.astype(np.float64)).astype(np.float32)
            levels = [float(np.tanh(np.float32(np.arctanh(level))))]
    if rng.random() < 0.3:
        raw[rng.random((T, D)) < 0.05] = np.nan
    if rng.random() < 0.1:
        raw[rng.random((T, D)) < 0.03] = np.inf
        raw[rng.random((T, D)) < 0.03] = -np.inf
    return raw, kind, levels


def pick_threshold(rng, raw, transform, levels):
    r = rng.random()
    if r < 0.4:
        return float(rng.choice(levels))
    if r < 0.8:
        # a value present in the data: some cells are exactly at the threshold
        v = ref_values(raw, transform)
        finite = v[np.isfinite(v)]
        if len(finite):
            return float(rng.choice(finite))
    return float(rng.choice([0.0, 0.7, 0.3, -0.3, 0.9, 1.0]))


def pick_range(rng, T):
    length = int(rng.integers(1, min(T, 4) + 1)) if rng.random() < 0.8 else int(rng.integers(1, T + 1))
    start = int(rng.integers(0, T - length + 1))
    return start, start + length


def pick_cells(rng, D, s1):
    r = rng.random()
    if r < 0.45 and len(s1):
        cells = list(s1)
        if rng.random() < 0.3 and len(cells) > 1:               # cells dropped by hand
            cells = list(rng.choice(cells, size=len(cells) - 1, replace=False))
        return cells
    n = int(rng.integers(0, D + 1))
    cells = list(rng.choice(D, size=n, replace=False)) if n else []
    if cells and rng.random() < 0.4:                              # repeats and disorder
        cells = cells + list(rng.choice(cells, size=int(rng.integers(1, 4))))
        rng.shuffle(cells)
    container = rng.choice(["list", "tuple", "array"])
    cells = [int(c) for c in cells]
    if container == "tuple":
        return tuple(cells)
    if container == "array":
        return np.asarray(cells, dtype=np.int64)
    return cells


SEEDS = list(range(40))


@pytest.mark.parametrize("seed", SEEDS)
def test_against_reference(tmp_path, seed):
    rng = np.random.default_rng(seed)
    T = int(rng.integers(1, 101)) if seed % 10 else int(rng.integers(1, 6))
    documents = _documents(rng, T)
    doc = doc_ids(T, documents)
    layers, transforms = {}, {}
    half_transform = "tanh" if seed % 2 else "none"
    for lid, transform in (("tanh layer", "tanh"), ("raw", "none"), ("half", half_transform)):
        D = int(rng.integers(1, 13))
        raw, kind, levels = make_states(rng, T, D, transform)
        if lid == "half":                    # float16 states: v = transform(raw.astype(float32))
            raw = raw.astype(np.float16)
        layers[lid] = (raw, transform, levels)
        transforms[lid] = transform
    tokens = [f"w{int(i)}" for i in rng.integers(0, 7, size=T)]
    ds = write(tmp_path, "ds", tokens, {k: v[0] for k, v in layers.items()}, documents=documents,
               transforms=transforms)
    assert len(ds) == T
    for lid, (raw, transform, levels) in layers.items():
        D = raw.shape[1]
        for _ in range(5):
            thr = pick_threshold(rng, raw, transform, levels)
            start, stop = pick_range(rng, T)
            pl, pr = (int(x) for x in rng.integers(0, min(3, T) + 1, size=2))
            s1 = check_select(ds, lid, raw, transform, doc, start, stop, thr, pl, pr)
            cells = pick_cells(rng, D, s1)
            min_length = int(rng.integers(1, min(4, T) + 1))
            max_length = None if rng.random() < 0.5 else int(rng.integers(min_length, min(min_length + 6, T) + 1))
            top = int(rng.choice([1, 2, 3, 5, 50, 10_000]))
            mpl, mpr = (pl, pr) if rng.random() < 0.7 else tuple(int(x) for x in rng.integers(0, min(3, T) + 1, size=2))
            check_match(ds, lid, raw, transform, doc, cells, thr, mpl, mpr, min_length, max_length, top)


@pytest.mark.parametrize("seed", range(12))
def test_ties_in_ranking(tmp_path, seed):
    """Periodic patterns give many candidates equal in overlap, union and length: start decides."""
    rng = np.random.default_rng(1000 + seed)
    period = int(rng.integers(2, 6))
    T = period * int(rng.integers(5, 20))
    D = int(rng.integers(2, 9))
    pattern = rng.random((period, D)) < 0.5
    on = np.tile(pattern, (T // period, 1))
    raw = np.where(on, np.float32(0.8), np.float32(-0.8)).astype(np.float32)
    documents = [0] + sorted(rng.choice(np.arange(1, T), size=int(rng.integers(0, 3)), replace=False).tolist())
    doc = doc_ids(T, documents)
    ds = write(tmp_path, "ties", ["x"] * T, {"L": raw}, documents=documents, transforms={"L": "none"})
    for _ in range(5):
        cells = list(rng.choice(D, size=int(rng.integers(1, D + 1)), replace=False))
        pl, pr = (int(x) for x in rng.integers(0, 3, size=2))
        check_match(ds, "L", raw, "none", doc, cells, 0.5, pl, pr, min_length=1, max_length=None,
                    top=int(rng.choice([1, 3, 7, 1000])))


def test_top_larger_and_smaller(tmp_path):
    rng = np.random.default_rng(7)
    T, D = 80, 6
    raw = rng.normal(size=(T, D)).astype(np.float32)
    ds = write(tmp_path, "top", ["t"] * T, {"L": raw}, transforms={"L": "none"})
    doc = doc_ids(T, [0])
    full, _ = check_match(ds, "L", raw, "none", doc, [0, 1, 2, 3], 0.0, 0, 0, min_length=1, top=10**6)
    assert len(full) > 5
    for top in (1, 2, len(full) - 1, len(full), len(full) + 1):
        got, _ = check_match(ds, "L", raw, "none", doc, [3, 2, 1, 0], 0.0, 0, 0, min_length=1, top=top)
        assert got == full[:top]


def test_default_arguments(tmp_path):
    """pad 0/0, min_length=2, max_length=None, top=50 when not given."""
    rng = np.random.default_rng(11)
    T, D = 100, 3
    raw = rng.normal(size=(T, D)).astype(np.float32)
    ds = write(tmp_path, "defaults", ["t"] * T, {"L": raw})
    on = ref_on(raw, "tanh", -0.5)
    doc = doc_ids(T, [0])
    m = lv.match(ds, "L", [0, 1, 2], -0.5)
    table, hist = ref_match(on, doc, [0, 1, 2], 0, 0, 2, None, 50)
    assert table_rows(m) == table
    assert hist_rows(m) == hist
    assert [int(c) for c in lv.select(ds, "L", 10, 12, -0.5)] == ref_select(on, doc, 10, 12, 0, 0)


# ----------------------------------------------------------------------------------------------
# thresholding through tanh, at the edges


def _around(x: np.float32, n: int) -> list:
    out, lo, hi = [x], x, x
    for _ in range(n):
        lo = np.nextafter(lo, np.float32(-np.inf))
        hi = np.nextafter(hi, np.float32(np.inf))
        out += [lo, hi]
    return out


def _edge_raw() -> np.ndarray:
    vals = [np.float32(0.0), np.float32(-0.0), np.float32(np.nan),
            np.float32(1e-45), np.float32(-1e-45), np.float32(1e-30), np.float32(-1e-30)]
    vals += [np.float32(x) for x in np.linspace(-12, 12, 97)]
    for thr in (0.5, 0.7, 0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999, 0.9999999):
        for s in (1, -1):
            vals += _around(np.float32(np.arctanh(s * thr)), 6)
    for x in (7.0, 8.0, 8.5, 9.0, 9.01, 9.1, 10.0, 20.0, 88.0):                # where tanh reaches 1 in float32
        vals += _around(np.float32(x), 3) + [-v for v in _around(np.float32(x), 3)]
    vals += _around(np.float32(1e-7), 3) + _around(np.float32(-1e-7), 3)
    arr = np.array(vals, dtype=np.float32)
    return arr


EDGE_THRESHOLDS = [0.0, -0.0, 1e-45, -1e-8, 0.7, 0.9999999, 1.0, 1.0000001, 1.5, 1e30,
                   -0.9999999, -1.0, -1.5,
                   float(np.nextafter(np.float32(1), np.float32(0))),           # 0.99999994
                   float(np.nextafter(np.float32(-1), np.float32(0))),
                   float(np.tanh(np.float32(0.5))), float(np.tanh(np.float32(9.0))),
                   0.99999999999, 1.00000000001]


@pytest.fixture(scope="module")
def edge_dataset(tmp_path_factory):
    vals = _edge_raw()
    D = 12
    n = -(-len(vals) // D) * D
    padded = np.concatenate([vals, np.full(n - len(vals), np.float32(0.25))]).astype(np.float32)
    raw = padded.reshape(-1, D)
    # the same values once more, in another column order, so each value meets several cells
    raw = np.concatenate([raw, np.roll(raw, 5, axis=1)], axis=0).astype(np.float32)
    T = raw.shape[0]
    path = lv.write_dataset(tmp_path_factory.mktemp("edge") / "edge", ["e"] * T,
                            {"tanh": raw, "none": raw, "tanh16": raw.astype(np.float16),
                             "none16": raw.astype(np.float16)},
                            transforms={"tanh": "tanh", "none": "none", "tanh16": "tanh", "none16": "none"})
    return lv.open_dataset(path), raw


@pytest.mark.parametrize("thr", EDGE_THRESHOLDS)
def test_tanh_threshold_edges(edge_dataset, thr):
    ds, raw = edge_dataset
    T, D = raw.shape
    doc = doc_ids(T, [0])
    for layer in ("tanh", "none", "tanh16", "none16"):
        layer_raw = raw.astype(np.float16) if layer.endswith("16") else raw
        transform = "tanh" if layer.startswith("tanh") else "none"
        with np.errstate(invalid="ignore"):
            v = np.tanh(layer_raw.astype(np.float32)) if transform == "tanh" else layer_raw.astype(np.float32)
            want = v >= np.float32(thr)
        if transform == "tanh":
            # select at every single position gives the whole on/off matrix
            got = np.zeros_like(want)
            for t in range(T):
                got[t, [int(c) for c in lv.select(ds, layer, t, t + 1, thr)]] = True
            bad = np.argwhere(got != want)
            assert len(bad) == 0, [(layer, thr, float(layer_raw[t, c]), float(v[t, c]), bool(want[t, c]))
                                   for t, c in bad[:10]]
        # values read back through the API are the same float32 values
        np.testing.assert_array_equal(ds.values(layer, 0, T), v)
        # matching all cells, and single cells (whose candidates are exactly the runs where it is on)
        check_match(ds, layer, layer_raw, transform, doc, list(range(D)), thr, 0, 0, min_length=1, top=10**6)
        check_match(ds, layer, layer_raw, transform, doc, list(range(D)), thr, 1, 2, min_length=1, top=10**6)
        for c in (0, 5, 11):
            check_match(ds, layer, layer_raw, transform, doc, [c], thr, 0, 0, min_length=1, top=10**6)


def test_threshold_is_rounded_to_float32(tmp_path):
    """0.7 is not a float32; np.float32(0.7) < 0.7, and a value equal to np.float32(0.7) is on."""
    f = np.float32(0.7)
    assert float(f) < 0.7
    below = np.nextafter(f, np.float32(-1))
    raw = np.array([[f, below, f], [f, f, below]], dtype=np.float32)
    ds = write(tmp_path, "round", ["a", "b"], {"L": raw}, transforms={"L": "none"})
    assert [int(c) for c in lv.select(ds, "L", 0, 1, 0.7)] == [0, 2]
    assert [int(c) for c in lv.select(ds, "L", 0, 2, 0.7)] == [0]
    assert [int(c) for c in lv.select(ds, "L", 1, 2, 0.7)] == [0, 1]
    m = lv.match(ds, "L", [0, 1, 2], 0.7, min_length=1)
    # count is 2 at both positions: one candidate 0:2, on which only cell 0 is on throughout
    assert table_rows(m) == [(0, 2, 2, 1, 3)]
    assert hist_rows(m) == [(2, 0, 1)]
    m = lv.match(ds, "L", [1, 2], 0.7, min_length=1)
    # count is 1 at both positions: one candidate 0:2, on which neither cell is on throughout
    assert table_rows(m) == []
    assert hist_rows(m) == []
    m = lv.match(ds, "L", [1, 2], 0.7, pad_left=1, min_length=1)
    assert table_rows(m) == [] and hist_rows(m) == []


@pytest.mark.parametrize("thr", [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.0000001, 1.5, 1e30])
def test_infinite_raw_values(tmp_path, thr):
    """tanh(+inf) == 1 and tanh(-inf) == -1: with a threshold above 1 nothing is on, not even +inf."""
    raw = np.array([[np.inf, -np.inf, 20.0, np.nan, 0.0]], dtype=np.float32).repeat(3, axis=0)
    ds = write(tmp_path, "inf", ["a", "b", "c"], {"tanh": raw, "none": raw}, transforms={"none": "none"})
    doc = doc_ids(3, [0])
    for layer in ("tanh", "none"):
        check_select(ds, layer, raw, layer, doc, 0, 3, thr, 0, 0)
        check_select(ds, layer, raw, layer, doc, 1, 2, thr, 1, 1)
        check_match(ds, layer, raw, layer, doc, [0, 1, 2, 3, 4], thr, 0, 0, min_length=1)


# ----------------------------------------------------------------------------------------------
# wide layers: more cells than one 64-bit word (the parens demo has 100)


@pytest.mark.parametrize("D", [63, 64, 65, 100, 129, 200])
@pytest.mark.parametrize("seed", range(3))
def test_wide_layers(tmp_path, D, seed):
    rng = np.random.default_rng(5000 + 10 * D + seed)
    T = int(rng.integers(30, 90))
    documents = _documents(rng, T)
    doc = doc_ids(T, documents)
    transform = "tanh" if seed % 2 else "none"
    raw, _, levels = make_states(rng, T, D, transform)
    ds = write(tmp_path, "wide", ["w"] * T, {"L": raw}, documents=documents, transforms={"L": transform})
    for _ in range(4):
        thr = pick_threshold(rng, raw, transform, levels)
        start, stop = pick_range(rng, T)
        pl, pr = (int(x) for x in rng.integers(0, 4, size=2))
        s1 = check_select(ds, "L", raw, transform, doc, start, stop, thr, pl, pr)
        n = int(rng.integers(max(1, D - 40), D + 1))
        cells = [int(c) for c in rng.choice(D, size=n, replace=False)]
        for cs in (cells, s1, list(range(D))):
            check_match(ds, "L", raw, transform, doc, cs, thr, pl, pr, min_length=1,
                        top=int(rng.choice([5, 50, 10**6])))


def test_parens_fixture_against_reference():
    """The real LSTMVis fixture (T=1000, D=100), large cell sets included."""
    import h5py
    from pathlib import Path
    folder = Path(__file__).parent / "fixtures" / "lstmvis_parens_small"
    ds = lv.open_dataset(folder)
    doc = doc_ids(len(ds), [0])
    rng = np.random.default_rng(42)
    with h5py.File(folder / "states.hdf5", "r") as f:
        for name in ("states1", "states2"):
            raw = f[name][()]
            layer = f"states::{name}"
            for thr, (start, stop), (pl, pr) in ((0.3, (100, 103), (1, 1)), (0.0, (500, 501), (0, 0)),
                                                  (-0.5, (10, 12), (2, 0)), (0.7, (998, 1000), (0, 3))):
                s1 = check_select(ds, layer, raw, "tanh", doc, start, stop, thr, pl, pr)
                for cells in (s1, list(range(100)), rng.choice(100, size=70, replace=False).tolist()):
                    check_match(ds, layer, raw, "tanh", doc, cells, thr, pl, pr, min_length=2, top=50)


def test_queries_from_many_threads_at_once_agree_with_one_at_a_time(tmp_path):
    """A server answers several users at once: the engine's parts share one thread pool, and no
    query's parts may mix with another's."""
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(11)
    T, D = 5000, 150
    raw, _, _ = make_states(rng, T, D, "tanh")
    ds = write(tmp_path, "threads", ["w"] * T, {"L": raw}, documents=[0, 1700, 3100])
    queries = [(sorted(rng.choice(D, size=int(n), replace=False).tolist()), float(thr), int(pl), int(pr))
               for n, thr, pl, pr in zip(rng.integers(1, D, 24), rng.uniform(-0.5, 0.5, 24),
                                         rng.integers(0, 3, 24), rng.integers(0, 3, 24))]

    def run(q):
        m = lv.match(ds, "L", q[0], q[1], pad_left=q[2], pad_right=q[3], min_length=1)
        return m.table.values.tolist(), m.histogram.values.tolist(), m.n_candidates

    alone = [run(q) for q in queries]
    with ThreadPoolExecutor(6) as ex:
        together = list(ex.map(run, queries))
    assert together == alone
