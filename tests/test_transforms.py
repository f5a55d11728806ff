"""Transforms (SPEC.md section 1) through `transform=` on ds.values, lv.select and lv.match.

The reference values are computed from the spec's text alone, in numpy, over the whole (T, D)
array; selection and matching then go through the brute-force reading of test_engine.py.
"""
from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest

import lstmvis_dash as lv
from test_engine import doc_ids, hist_rows, ref_match, ref_select, table_rows

ALL_TRANSFORMS = ["tanh", "none", "zscore", "quantile"]


def ref_mu_sigma(column: np.ndarray) -> tuple[float, float]:
    """Mean and population standard deviation of the non-NaN values, exact, then rounded to float64
    (the float64 arithmetic of SPEC.md's 'computed in float64' without its summation-order noise)."""
    x = column[~np.isnan(column)].astype(np.float64)
    if len(x) == 0:
        return math.nan, math.nan
    if np.isinf(x).any():               # what float64 arithmetic gives: inf, -inf or nan, and nan
        return float(np.sum(x[np.isinf(x)])) if len(set(x[np.isinf(x)].tolist())) == 1 else math.nan, math.nan
    exact = [Fraction(float(v)) for v in x]
    mean = sum(exact) / len(exact)
    var = sum((v - mean) ** 2 for v in exact) / len(exact)
    with localcontext() as ctx:
        ctx.prec = 80
        sigma = float((Decimal(var.numerator) / Decimal(var.denominator)).sqrt())
    return float(mean), sigma


def nearest_float32(q: Fraction) -> np.float32:
    """The float32 nearest the rational q (ties to even), by comparing exact distances."""
    f = np.float32(float(q))
    cands = [np.nextafter(f, np.float32(-np.inf)), f, np.nextafter(f, np.float32(np.inf))]
    return min(cands, key=lambda c: (abs(Fraction(float(c)) - q), int(np.array(c).view(np.uint32)) & 1))


def ref_values(raw: np.ndarray, transform: str) -> np.ndarray:
    """SPEC.md section 1, cell by cell, value by value."""
    raw32 = np.asarray(raw).astype(np.float32)
    if transform == "tanh":
        return np.tanh(raw32)
    if transform == "none":
        return raw32
    T, D = raw32.shape
    out = np.full((T, D), np.nan, np.float32)
    for c in range(D):
        col = raw32[:, c]
        ok = ~np.isnan(col)
        if transform == "zscore":
            mu, sigma = ref_mu_sigma(col)
            with np.errstate(invalid="ignore", divide="ignore"):
                v = ((col.astype(np.float64) - mu) / sigma).astype(np.float32)
            out[:, c] = np.where(ok, np.float32(0) if sigma == 0 else v, np.nan)
        else:
            n = int(ok.sum())
            for t in np.flatnonzero(ok):
                out[t, c] = nearest_float32(Fraction(int((col[ok] <= col[t]).sum()), n))
    return out


def ref_on(raw, transform, threshold) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ref_values(raw, transform) >= np.float32(threshold)


def check_layer(ds, layer, raw, transform, documents, rng, n_queries=4, levels=None):
    """select, match and values of `layer` viewed through `transform` equal the reference."""
    T, D = raw.shape
    doc = doc_ids(T, documents)
    want_v = ref_values(raw, transform)
    np.testing.assert_array_equal(ds.values(layer, 0, T, transform=transform), want_v)
    finite = want_v[np.isfinite(want_v)]
    for _ in range(n_queries):
        if levels is not None and rng.random() < 0.5:
            thr = float(rng.choice(levels))
        elif len(finite) and rng.random() < 0.7:
            thr = float(rng.choice(finite))          # some values sit exactly on the threshold
        else:
            thr = float(rng.choice([-0.5, 0.0, 0.3, 0.5, 0.9, 1.0, 1.5]))
        on = ref_on(raw, transform, thr)
        length = int(rng.integers(1, min(T, 4) + 1))
        start = int(rng.integers(0, T - length + 1))
        pl, pr = (int(x) for x in rng.integers(0, min(2, T) + 1, size=2))
        got = lv.select(ds, layer, start, start + length, thr, pad_left=pl, pad_right=pr, transform=transform)
        s1 = ref_select(on, doc, start, start + length, pl, pr)
        assert [int(c) for c in got] == s1, (layer, transform, thr, start, pl, pr)
        cells = s1 if s1 and rng.random() < 0.6 else sorted(rng.choice(D, size=int(rng.integers(1, D + 1)),
                                                                       replace=False).tolist())
        m = lv.match(ds, layer, cells, thr, pad_left=pl, pad_right=pr, min_length=1, top=10**6,
                     transform=transform)
        table, hist = ref_match(on, doc, cells, pl, pr, 1, None, 10**6)
        assert table_rows(m) == table, (layer, transform, thr, cells, pl, pr)
        assert hist_rows(m) == hist, (layer, transform, thr, cells, pl, pr)


def make_raw(rng, T, D) -> np.ndarray:
    """Cells of very different scales and offsets, ties, zeros almost everywhere, constant cells,
    values a few ulps apart, NaN, now and then an infinity or a cell with no values."""
    kind = rng.choice(["scales", "ties", "sparse", "straddle"])
    if kind == "scales":
        raw = rng.normal(size=(T, D)) * 10.0 ** rng.uniform(-3, 3, size=D) + rng.normal(size=D) * 10.0 ** rng.uniform(-2, 3, size=D)
    elif kind == "ties":
        raw = rng.choice(np.array([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0]), size=(T, D))
    elif kind == "sparse":
        raw = np.where(rng.random((T, D)) < 0.07, rng.exponential(size=(T, D)) * 10.0 ** rng.uniform(-2, 2, size=D), 0.0)
    else:
        base = np.float32(rng.normal())
        raw = np.full((T, D), base, np.float32)
        for _ in range(3):
            step = rng.integers(-1, 2, size=(T, D))
            raw = np.where(step > 0, np.nextafter(raw, np.float32(np.inf)),
                           np.where(step < 0, np.nextafter(raw, np.float32(-np.inf)), raw))
    raw = np.asarray(raw, np.float32)
    if D > 1 and rng.random() < 0.3:
        raw[:, int(rng.integers(D))] = np.float32(rng.normal())          # constant: sigma == 0
    if rng.random() < 0.4:
        raw[rng.random((T, D)) < 0.08] = np.nan
    if D > 1 and rng.random() < 0.15:
        raw[:, int(rng.integers(D))] = np.nan                          # a cell with no values
    if rng.random() < 0.1:
        raw[int(rng.integers(T)), int(rng.integers(D))] = rng.choice([np.inf, -np.inf])
    return raw


GRID_LEVELS = {"tanh": [0.3, -0.2, 0.5], "none": [0.0, 0.5], "zscore": [-1.0, 0.0, 0.5, 1.5, 2.0],
               "quantile": [0.01, 0.1, 0.5, 0.9, 0.99, 1.0]}


@pytest.mark.parametrize("seed", range(16))
def test_any_layer_through_any_transform(tmp_path, seed):
    rng = np.random.default_rng(700 + seed)
    T = int(rng.integers(2, 70)) if seed % 4 else int(rng.integers(1, 5))
    D = int(rng.integers(1, 9))
    documents = [0] + sorted(rng.choice(np.arange(1, T), size=int(rng.integers(0, min(3, T - 1) + 1)),
                                        replace=False).tolist()) if T > 1 else [0]
    raw = make_raw(rng, T, D)
    own = {"a": "tanh", "b": "none", "z": "zscore", "q": "quantile"}
    dtype = {"a": np.float32, "b": np.float16, "z": np.float32 if seed % 2 else np.float16, "q": np.float32}
    states = {k: raw.astype(dtype[k]) for k in own}
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "ds", ["x"] * T, states, documents=documents, transforms=own))
    for layer, layer_raw in states.items():
        # None means the layer's own transform
        np.testing.assert_array_equal(ds.values(layer, 0, T), ref_values(layer_raw, own[layer]))
        for transform in ALL_TRANSFORMS:
            check_layer(ds, layer, layer_raw, transform, documents, rng, levels=GRID_LEVELS[transform])


def test_unknown_transform_is_a_value_error(tmp_path):
    raw = np.zeros((4, 2), np.float32)
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "ds", list("abcd"), {"L": raw}))
    for bad in ("Tanh", "log", "", 3, ["tanh"]):
        for call in (lambda: ds.values("L", 0, 2, transform=bad),
                     lambda: lv.select(ds, "L", 0, 2, 0.5, transform=bad),
                     lambda: lv.match(ds, "L", [0], 0.5, transform=bad)):
            with pytest.raises(ValueError, match="transform must be one of tanh, none, zscore, quantile"):
                call()


def test_transform_in_lstm_yml_and_convert(tmp_path):
    """lstm.yml's `transform:` (none, zscore, quantile honoured, anything else tanh) and convert's
    --transform name a layer's own transform; a sparse .npz converts to a sparse layer."""
    import h5py
    import scipy.sparse as sp
    from lstmvis_dash.convert import ConvertError, convert
    rng = np.random.default_rng(5)
    T = 30
    raw = (rng.normal(size=(T, 4)) * [1, 10, 100, 0.01]).astype(np.float32)
    folder = tmp_path / "lstmvis"
    folder.mkdir()
    with h5py.File(folder / "states.h5", "w") as f:
        for name in ("a", "b", "c", "d"):
            f[name] = raw
    with h5py.File(folder / "train.h5", "w") as f:
        f["words"] = np.arange(1, T + 1) % 5 + 1
    (folder / "words.dict").write_text("\n".join(f"w{i} {i}" for i in range(1, 6)) + "\n")
    (folder / "lstm.yml").write_text(
        "files: {states: states.h5, train: train.h5, words: words.dict}\n"
        "word_sequence: {file: train, path: words, dict_file: words}\n"
        "states:\n  file: states\n  types: [{path: a, transform: zscore}, {path: b, transform: quantile},\n"
        "          {path: c, transform: none}, {path: d, transform: sigmoid}]\n")
    ds = lv.open_dataset(folder)
    assert [ds.transform(lid) for lid in ds.layers] == ["zscore", "quantile", "none", "tanh"]
    for lid, tr in zip(ds.layers, ["zscore", "quantile", "none", "tanh"]):
        np.testing.assert_array_equal(ds.values(lid, 0, T), ref_values(raw, tr))
    (tmp_path / "tokens.txt").write_text("\n".join(f"t{i}" for i in range(T)) + "\n")
    np.save(tmp_path / "dense.npy", raw)
    feats = sp.random(T, 50, density=0.05, format="csr", dtype=np.float32, random_state=1)
    sp.save_npz(tmp_path / "feats.npz", feats)
    out = convert(tmp_path / "tokens.txt", [str(tmp_path / "dense.npy"), str(tmp_path / "feats.npz")],
                  tmp_path / "conv", transforms=["dense=zscore", "feats=quantile"])
    ds = lv.open_dataset(out)
    assert ds.transform("dense") == "zscore" and ds.transform("feats") == "quantile"
    assert ds.layer_source("feats").kind == "sparse"
    np.testing.assert_array_equal(ds.raw("feats", 0, T), feats.toarray())
    np.testing.assert_array_equal(ds.values("feats", 0, T), ref_values(feats.toarray(), "quantile"))
    with pytest.raises(ConvertError, match="must be one of tanh, none, zscore, quantile"):
        convert(tmp_path / "tokens.txt", [str(tmp_path / "dense.npy")], tmp_path / "c2", transforms=["dense=log"])
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ConvertError, match="not a scipy.sparse .npz"):
        convert(tmp_path / "tokens.txt", [str(tmp_path / "bad.npz")], tmp_path / "c3")


def test_writer_transforms(tmp_path):
    from lstmvis_dash.writer import DatasetWriter
    rng = np.random.default_rng(6)
    raw = (rng.normal(size=(40, 3)) * [1, 50, 0.1]).astype(np.float32)
    with DatasetWriter(tmp_path / "w", transforms={"z": "zscore", "q": "quantile"}, progress=False) as w:
        for s in range(0, 40, 7):
            w.add(["x"] * len(raw[s:s + 7]), {"z": raw[s:s + 7], "q": raw[s:s + 7], "t": raw[s:s + 7]})
    ds = lv.open_dataset(tmp_path / "w")
    assert [ds.transform(x) for x in ("z", "q", "t")] == ["zscore", "quantile", "tanh"]
    np.testing.assert_array_equal(ds.values("z", 0, 40), ref_values(raw, "zscore"))
    np.testing.assert_array_equal(ds.values("q", 0, 40), ref_values(raw, "quantile"))
    with pytest.raises(ValueError, match="must be one of"):
        DatasetWriter(tmp_path / "w2", transforms={"z": "log"})


@pytest.mark.parametrize("sparse", [False, True])
def test_on_counts(tmp_path, sparse):
    """engine.on_counts: how many of the cells are on at each position, any transform."""
    import scipy.sparse as sp
    from lstmvis_dash.engine import on_counts
    rng = np.random.default_rng(7)
    raw = np.where(rng.random((50, 9)) < 0.3, rng.normal(size=(50, 9)), 0).astype(np.float32)
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "d", ["x"] * 50, {"L": sp.csr_matrix(raw) if sparse else raw},
                                          transforms={"L": "none"}))
    positions = rng.integers(0, 50, size=30)
    for transform in ALL_TRANSFORMS:
        for thr in (-0.3, 0.0, 0.2, 0.6):
            cells = [0, 3, 4, 8]
            want = ref_on(raw, transform, thr)[positions][:, cells].sum(axis=1)
            np.testing.assert_array_equal(on_counts(ds, "L", positions, cells, thr, transform=transform), want)
    assert on_counts(ds, "L", [], [1], 0.1).tolist() == []
    with pytest.raises(ValueError, match="positions must be in"):
        on_counts(ds, "L", [50], [1], 0.1)


@pytest.mark.parametrize("seed", range(4))
def test_transforms_over_shards(tmp_path, seed):
    """zscore and quantile statistics are over all shards: a sharded dataset gives exactly what one
    folder with the same states gives (dense and sparse layers)."""
    import scipy.sparse as sp
    rng = np.random.default_rng(1700 + seed)
    T, D = int(rng.integers(20, 90)), int(rng.integers(1, 8))
    documents = [0] + sorted(rng.choice(np.arange(1, T), size=5, replace=False).tolist())
    raw = make_raw(rng, T, D)
    raw[:T // 3] *= 10                                 # shards with different distributions
    sparse_raw = np.where(rng.random((T, D)) < 0.8, 0, np.nan_to_num(raw, nan=0.0, posinf=1.0, neginf=-1.0))
    sparse_raw = sparse_raw.astype(np.float32)
    cuts = sorted(rng.choice(documents[1:], size=2, replace=False).tolist())
    bounds = [0] + cuts + [T]

    def states(a, b):
        return {"d": raw[a:b], "s": sp.csr_matrix(sparse_raw[a:b])}
    own = {"d": "zscore", "s": "quantile"}
    one = lv.open_dataset(lv.write_dataset(tmp_path / "one", ["x"] * T, states(0, T), documents=documents,
                                           transforms=own))
    paths = []
    for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:])):
        docs = [d - a for d in documents if a <= d < b]
        paths.append(lv.write_dataset(tmp_path / f"part-{k}", ["x"] * (b - a), states(a, b), documents=docs,
                                      transforms=own))
    sharded = lv.open_shards(paths)
    for layer in ("d", "s"):
        for transform in ALL_TRANSFORMS:
            np.testing.assert_array_equal(sharded.values(layer, 0, T, transform=transform),
                                          one.values(layer, 0, T, transform=transform))
            for thr in (-0.5, 0.0, 0.3, 0.5, 0.9):
                for _ in range(3):
                    start = int(rng.integers(0, T - 4))
                    stop = start + int(rng.integers(1, 4))
                    pl, pr = (int(x) for x in rng.integers(0, 3, size=2))
                    s1 = lv.select(sharded, layer, start, stop, thr, pad_left=pl, pad_right=pr, transform=transform)
                    assert s1.tolist() == lv.select(one, layer, start, stop, thr, pad_left=pl, pad_right=pr,
                                                    transform=transform).tolist()
                cells = s1 if len(s1) else list(range(D))
                a = lv.match(sharded, layer, cells, thr, pad_left=pl, pad_right=pr, transform=transform, top=1000)
                b = lv.match(one, layer, cells, thr, pad_left=pl, pad_right=pr, transform=transform, top=1000)
                assert a.table.to_numpy().tolist() == b.table.to_numpy().tolist()
                assert a.histogram.to_numpy().tolist() == b.histogram.to_numpy().tolist()
