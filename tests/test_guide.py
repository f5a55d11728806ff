"""guide.cell_guide: each cell's quantiles through a transform and its on-share at ℓ, against the
brute-force reading of SPEC.md section 1 (test_transforms.ref_values)."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import lstmvis_dash as lv
from lstmvis_dash.guide import cell_guide
from test_transforms import ALL_TRANSFORMS, make_raw, ref_on, ref_values


def ref_quantiles(v: np.ndarray, levels) -> np.ndarray:
    """(D, q): the ceil(level * n)-th smallest non-NaN value (the least at level 0)."""
    out = np.full((v.shape[1], len(levels)), np.nan, np.float32)
    for c in range(v.shape[1]):
        col = np.sort(v[~np.isnan(v[:, c]), c])
        if len(col):
            out[c] = [col[max(1, int(np.ceil(lv_ * len(col)))) - 1] for lv_ in levels]
    return out


@pytest.mark.parametrize("seed", range(6))
def test_guide_against_reference(tmp_path, seed):
    rng = np.random.default_rng(3000 + seed)
    T, D = int(rng.integers(5, 120)), int(rng.integers(1, 12))
    raw = make_raw(rng, T, D)
    if seed % 2:
        raw[rng.random((T, D)) < 0.7] = 0
    sparse = seed % 3 == 0
    states = {"L": sp.csr_matrix(np.nan_to_num(raw, nan=0.0, posinf=0.0, neginf=0.0)) if sparse else raw}
    if sparse:
        raw = states["L"].toarray().astype(np.float32)
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "g", ["x"] * T, states, transforms={"L": "none"}))
    cells = sorted(rng.choice(D, size=int(rng.integers(1, D + 1)), replace=False).tolist())
    for transform in ALL_TRANSFORMS:
        v = ref_values(raw, transform)
        finite = v[np.isfinite(v)]
        for thr in [0.0, 0.5] + ([float(rng.choice(finite))] if len(finite) else []):
            g = cell_guide(ds, "L", cells, thr, transform=transform)
            assert g.cells.tolist() == cells and g.transform == transform
            np.testing.assert_array_equal(g.share_on, ref_on(raw, transform, thr)[:, cells].mean(axis=0))
            np.testing.assert_array_equal(g.quantiles, ref_quantiles(v, g.levels)[cells])
            assert g.levels[0] == 0 and g.levels[-1] == 1


def test_guide_errors(tmp_path):
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "g", ["x"] * 4, {"L": np.zeros((4, 3), np.float32)}))
    with pytest.raises(ValueError, match="cells must be in"):
        cell_guide(ds, "L", [3], 0.5)
    with pytest.raises(ValueError, match="transform must be one of"):
        cell_guide(ds, "L", [0], 0.5, transform="log")
    with pytest.raises(ValueError, match="layer 'M' is unknown"):
        cell_guide(ds, "M", [0], 0.5)


def test_guide_over_shards(tmp_path):
    """Over shards, on-shares are exact and quantiles exact once order statistics exist."""
    rng = np.random.default_rng(44)
    T, D = 60, 4
    raw = make_raw(rng, T, D)
    one = lv.open_dataset(lv.write_dataset(tmp_path / "one", ["x"] * T, {"L": raw}, documents=[0, 30]))
    parts = [lv.write_dataset(tmp_path / f"p{k}", ["x"] * 30, {"L": raw[30 * k:30 * k + 30]}) for k in (0, 1)]
    sharded = lv.open_shards(parts)
    for transform in ALL_TRANSFORMS:
        a = cell_guide(sharded, "L", [0, 2, 3], 0.3, transform=transform)
        b = cell_guide(one, "L", [0, 2, 3], 0.3, transform=transform)
        np.testing.assert_array_equal(a.share_on, b.share_on)
        np.testing.assert_array_equal(a.share_on, ref_on(raw, transform, 0.3)[:, [0, 2, 3]].mean(axis=0))
        if a.exact:
            np.testing.assert_array_equal(a.quantiles, ref_quantiles(ref_values(raw, transform), a.levels)[[0, 2, 3]])
    assert cell_guide(sharded, "L", [1], 0.3, transform="tanh").exact      # after quantile: sorted values exist
