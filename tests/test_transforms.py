"""Transforms (SPEC.md section 1) through `transform=` on ds.values, lv.select and lv.match.

The reference values are computed from the spec's text alone, in numpy, over the whole (T, D)
array; selection and matching then go through the brute-force reading of test_engine.py.
"""
from __future__ import annotations

import numpy as np
import pytest

import lstmvis_dash as lv
from test_engine import doc_ids, hist_rows, ref_match, ref_select, table_rows

ALL_TRANSFORMS = ["tanh", "none"]


def ref_values(raw: np.ndarray, transform: str) -> np.ndarray:
    raw32 = np.asarray(raw).astype(np.float32)
    if transform == "tanh":
        return np.tanh(raw32)
    return raw32


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
        pl, pr = (int(x) for x in rng.integers(0, 3, size=2))
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


@pytest.mark.parametrize("seed", range(8))
def test_any_layer_through_any_transform(tmp_path, seed):
    rng = np.random.default_rng(700 + seed)
    T = int(rng.integers(5, 80))
    D = int(rng.integers(1, 10))
    documents = [0] + sorted(rng.choice(np.arange(1, T), size=int(rng.integers(0, 3)), replace=False).tolist())
    raw = (rng.normal(size=(T, D)) * rng.choice([0.3, 1.0, 5.0], size=D)).astype(np.float32)
    if seed % 3 == 0:
        raw[rng.random((T, D)) < 0.1] = np.nan
    own = {"a": "tanh", "b": "none"}
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "ds", ["x"] * T, {"a": raw, "b": raw.astype(np.float16)},
                                          documents=documents, transforms=own))
    for layer in ("a", "b"):
        layer_raw = raw if layer == "a" else raw.astype(np.float16)
        # None means the layer's own transform
        np.testing.assert_array_equal(ds.values(layer, 0, T), ref_values(layer_raw, own[layer]))
        for transform in ALL_TRANSFORMS:
            check_layer(ds, layer, layer_raw, transform, documents, rng)


def test_unknown_transform_is_a_value_error(tmp_path):
    raw = np.zeros((4, 2), np.float32)
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "ds", list("abcd"), {"L": raw}))
    for bad in ("Tanh", "log", "", 3, ["tanh"]):
        for call in (lambda: ds.values("L", 0, 2, transform=bad),
                     lambda: lv.select(ds, "L", 0, 2, 0.5, transform=bad),
                     lambda: lv.match(ds, "L", [0], 0.5, transform=bad)):
            with pytest.raises(ValueError, match="transform must be one of tanh, none"):
                call()
