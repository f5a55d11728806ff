"""lstmvis_dash.analysis: range patterns against lv.select on each range, PCA against hand-made cases."""
from __future__ import annotations

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash import analysis


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    """Random states, two layers (tanh and none), a categorical annotation in runs, documents that
    cut through a run, an int and a bool annotation."""
    rng = np.random.default_rng(7)
    T, D = 400, 12
    kinds = np.array(["code", "string", "comment"])
    labels, k = [], 0
    while len(labels) < T:
        labels.extend([kinds[k % 3]] * int(rng.integers(1, 9)))
        k += int(rng.integers(1, 3))
    labels = labels[:T]
    depth = np.clip(np.cumsum(rng.choice([-1, 0, 1], size=T)), 0, 3).astype(np.int64)
    raw = {"c": rng.normal(0.4, 0.6, (T, D)).astype(np.float32),
           "h": rng.normal(0.3, 0.4, (T, D)).astype(np.float32)}
    # a value exactly at the threshold must count as on (>=)
    raw["h"][10:14, 3] = np.float32(0.3)
    raw["c"][20:30, 5] = np.nan
    tokens = [chr(ord("a") + int(i)) for i in rng.integers(0, 26, T)]
    path = tmp_path_factory.mktemp("analysis") / "ds"
    lv.write_dataset(path, tokens, raw, annotations={"kind": labels, "depth": depth,
                                                     "flag": depth > 1,
                                                     "score": rng.normal(size=T).astype(np.float32)},
                     documents=[0, 97, 250, 251], transforms={"c": "tanh", "h": "none"})
    return lv.open_dataset(path)


def brute_ranges(ds, name, wanted=None):
    values = ds.annotation(name, 0, len(ds))
    docs = set(ds.documents.tolist())
    out, a = [], 0
    for t in range(1, len(ds) + 1):
        if t == len(ds) or values[t] != values[t - 1] or t in docs:
            if wanted is None or values[a] in wanted:
                out.append((a, t, values[a]))
            a = t
    return out


# on the slider grid (codes decide) and off it (raw rows decide where codes cannot)
@pytest.mark.parametrize("layer,threshold", [("c", 0.3), ("c", -0.2), ("h", 0.3), ("h", 0.0),
                                             ("c", 0.3051), ("h", 0.29999), ("h", 0.123), ("c", -1.0)])
def test_patterns_equal_select_on_each_range(ds, layer, threshold):
    pats = analysis.patterns(ds, layer, "kind", threshold=threshold)
    ref = brute_ranges(ds, "kind")
    assert [(int(a), int(b)) for a, b in zip(pats.starts, pats.stops)] == [(a, b) for a, b, _ in ref]
    assert pats.labels == [v for _, _, v in ref]
    assert pats.matrix.dtype == bool and pats.matrix.shape == (len(ref), ds.dims(layer))
    assert len(pats) == pats.n_ranges_total == len(ref)
    for i, (a, b, _) in enumerate(ref):
        np.testing.assert_array_equal(pats.cells(i), lv.select(ds, layer, a, b, threshold))
        assert pats.texts[i] == "".join(ds.tokens(a, b))
    assert pats.matrix.any() and not pats.matrix.all()


def test_value_filter_split_at_documents_and_min_length(ds):
    pats = analysis.patterns(ds, "c", "kind", value="string", threshold=0.2)
    ref = brute_ranges(ds, "kind", {"string"})
    assert [(int(a), int(b)) for a, b in zip(pats.starts, pats.stops)] == [(a, b) for a, b, _ in ref]
    assert set(pats.labels) == {"string"}
    both = analysis.patterns(ds, "c", "kind", value=["string", "comment"], threshold=0.2, min_length=3)
    ref2 = [r for r in brute_ranges(ds, "kind", {"string", "comment"}) if r[1] - r[0] >= 3]
    assert [(int(a), int(b)) for a, b in zip(both.starts, both.stops)] == [(a, b) for a, b, _ in ref2]
    assert (both.lengths >= 3).all()
    # no range crosses a document start
    for a, b in zip(both.starts, both.stops):
        assert not any(a < d < b for d in ds.documents)
    # int and bool annotations: labels keep their type; True does not select depth 1
    deep = analysis.patterns(ds, "h", "depth", value=2)
    assert deep.labels and all(v == 2 and type(v) is int for v in deep.labels)
    flag = analysis.patterns(ds, "h", "flag", value=True)
    assert flag.labels and all(v is True for v in flag.labels)
    for i in range(len(deep)):
        np.testing.assert_array_equal(deep.cells(i), lv.select(ds, "h", int(deep.starts[i]),
                                                                int(deep.stops[i]), 0.3))


def test_max_ranges_spreads_and_blocks_agree(ds, monkeypatch):
    full = analysis.patterns(ds, "c", "kind", threshold=0.1)
    few = analysis.patterns(ds, "c", "kind", threshold=0.1, max_ranges=5)
    assert len(few) == 5 and few.n_ranges_total == len(full)
    assert few.starts[0] == full.starts[0] and few.stops[-1] == full.stops[-1]
    idx = np.searchsorted(full.starts, few.starts)
    np.testing.assert_array_equal(few.matrix, full.matrix[idx])
    off_grid = analysis.patterns(ds, "c", "kind", threshold=0.1234)
    # tiny read blocks (one range at a time, ranges longer than a block) give the same matrices
    monkeypatch.setattr(analysis, "_BLOCK_ROWS_BYTES", 4 * ds.dims("c") * 3)
    np.testing.assert_array_equal(analysis.patterns(ds, "c", "kind", threshold=0.1).matrix, full.matrix)
    np.testing.assert_array_equal(analysis.patterns(ds, "c", "kind", threshold=0.1234).matrix,
                                  off_grid.matrix)


def test_threshold_above_tanh_range_and_frame(ds):
    pats = analysis.patterns(ds, "c", "kind", threshold=1.5)
    assert not pats.matrix.any()
    pats = analysis.patterns(ds, "h", "kind", value="comment")
    proj = analysis.project(pats)
    df = pats.frame(proj)
    assert list(df.columns) == ["start", "stop", "length", "label", "text", "n_on", "x", "y"]
    assert len(df) == len(pats)
    np.testing.assert_array_equal(df["n_on"].to_numpy(), pats.matrix.sum(axis=1))


# ----------------------------------------------------------------------------------------------
# PCA


def test_project_hand_made():
    # two patterns, each twice: the only variation is along (1, 1, 0) / sqrt(2)
    X = np.array([[1, 1, 0], [0, 0, 0], [1, 1, 0], [0, 0, 0]], dtype=bool)
    p = analysis.project(X)
    s = np.sqrt(0.5)
    np.testing.assert_allclose(p.mean, [0.5, 0.5, 0])
    np.testing.assert_allclose(p.components[0], [s, s, 0], atol=1e-12)
    np.testing.assert_allclose(p.coords[:, 0], [s, -s, s, -s], atol=1e-12)
    np.testing.assert_allclose(p.coords[:, 1], 0, atol=1e-12)
    np.testing.assert_allclose(p.explained_variance, [4 * 0.5 / 3, 0], atol=1e-12)  # sum of coords² / (n - 1)
    np.testing.assert_allclose(p.explained_variance_ratio, [1, 0], atol=1e-12)


def test_project_rectangle():
    # points on an axis-aligned 4 x 1 rectangle: PC1 along x, PC2 along y, signs fixed positive
    X = np.array([[0, 0], [4, 0], [0, 1], [4, 1]], dtype=float)
    p = analysis.project(X, n_components=2)
    np.testing.assert_allclose(np.abs(p.components), np.eye(2), atol=1e-12)
    np.testing.assert_allclose(p.components, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(p.coords, [[-2, -0.5], [2, -0.5], [-2, 0.5], [2, 0.5]], atol=1e-12)
    np.testing.assert_allclose(p.explained_variance_ratio, [16 / 17, 1 / 17], atol=1e-12)


@pytest.mark.parametrize("n,D", [(30, 8), (200, 10)])   # the SVD path and the scatter-matrix path
def test_project_matches_covariance_eigenvectors(n, D):
    rng = np.random.default_rng(n)
    X = rng.random((n, D)) < rng.random(D)
    p = analysis.project(X, n_components=3)
    Xc = X - X.mean(axis=0)
    ev, V = np.linalg.eigh(np.cov(Xc.T))
    order = np.argsort(ev)[::-1][:3]
    np.testing.assert_allclose(p.explained_variance, ev[order], rtol=1e-9)
    for k in range(3):
        v = V[:, order[k]]
        v = v * np.sign(v[np.argmax(np.abs(v))])
        np.testing.assert_allclose(p.components[k], v, atol=1e-8)
    np.testing.assert_allclose(p.coords, Xc @ p.components.T, atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(p.components, axis=1), 1)


# ----------------------------------------------------------------------------------------------
# bad arguments


@pytest.mark.parametrize("kwargs,word", [
    (dict(layer="nope"), "layer"),
    (dict(annotation="nope"), "annotation"),
    (dict(annotation="score"), "categorical"),
    (dict(value="nope"), "value"),
    (dict(value=[]), "value"),
    (dict(threshold=float("nan")), "threshold"),
    (dict(threshold="0.3"), "threshold"),
    (dict(min_length=0), "min_length"),
    (dict(min_length=1.5), "min_length"),
    (dict(max_ranges=0), "max_ranges"),
    (dict(max_ranges=True), "max_ranges"),
    (dict(sep=3), "sep"),
])
def test_patterns_bad_arguments(ds, kwargs, word):
    args = dict(layer="c", annotation="kind")
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        analysis.patterns(ds, args.pop("layer"), args.pop("annotation"), **args)


@pytest.mark.parametrize("X,kwargs,word", [
    (np.zeros((3, 4)), dict(n_components=0), "n_components"),
    (np.zeros((3, 4)), dict(n_components=4), "n_components"),
    (np.zeros((3, 4)), dict(n_components=2.0), "n_components"),
    (np.zeros((0, 4)), {}, "patterns"),
    (np.zeros(5), {}, "patterns"),
    (np.array([["a", "b"]]), {}, "patterns"),
])
def test_project_bad_arguments(X, kwargs, word):
    with pytest.raises(ValueError, match=word):
        analysis.project(X, **kwargs)
