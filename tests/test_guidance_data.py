"""The threshold guidance's numbers (ui/guidance_data.py) against a brute-force reading: on-shares
over all positions, range minima, the suggestion, the rows' order and the hover table, for every
transform, on dense and sparse layers; and the trap of `quantile` on a sparse layer."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import lstmvis_dash as lv
from lstmvis_dash import guidance
from lstmvis_dash.guide import cell_guide
from lstmvis_dash.ui import guidance_data as gd
from lstmvis_dash.ui.guidance_view import warning
from test_transforms import ALL_TRANSFORMS, make_raw, ref_on, ref_values


def written(tmp_path, raw, sparse, name="g"):
    states = {"L": sp.csr_matrix(np.nan_to_num(raw, nan=0.0, posinf=0.0, neginf=0.0)) if sparse else raw}
    ds = lv.open_dataset(lv.write_dataset(tmp_path / name, ["x"] * len(raw), states, transforms={"L": "none"}))
    return ds, (states["L"].toarray().astype(np.float32) if sparse else raw)


@pytest.mark.parametrize("seed", range(6))
def test_view_guidance_against_reference(tmp_path, seed):
    rng = np.random.default_rng(5000 + seed)
    T, D = int(rng.integers(20, 150)), int(rng.integers(2, 20))
    raw = make_raw(rng, T, D)
    ds, raw = written(tmp_path, raw, sparse=seed % 2 == 0)
    a = int(rng.integers(0, T - 3))
    sel = (a, a + int(rng.integers(1, 4)))
    for transform in ALL_TRANSFORMS:
        v = ref_values(raw, transform)
        finite = v[np.isfinite(v)]
        for thr in [0.0, 0.5] + ([float(rng.choice(finite))] if len(finite) else []):
            s1 = lv.select(ds, "L", sel[0], sel[1], thr, transform=transform)
            g = gd.view_guidance(ds, "L", transform, sel, thr, s1, max_rows=5)
            share = ref_on(raw, transform, thr).mean(axis=0)
            want_order = s1[np.argsort(share[s1], kind="stable")][:5]
            assert g.cells.tolist() == want_order.tolist() and g.n_s1 == len(s1)
            np.testing.assert_array_equal(g.share, share[g.cells])
            with np.errstate(invalid="ignore"):
                low = v[sel[0]:sel[1]].min(axis=0)
            np.testing.assert_array_equal(g.low, low[g.cells])
            assert g.everywhere == int((share[s1] >= gd.EVERYWHERE).sum())
            assert g.suggested == guidance.otsu_split(low)
            # the hover table: every cell of the layer (the select plot draws them all)
            assert g.hover.tolist() == list(range(D))
            np.testing.assert_array_equal(g.hover_share, share)
            np.testing.assert_array_equal(g.hover_low, low)
            want_q = cell_guide(ds, "L", np.arange(D), thr, transform).quantiles[:, gd._AT]
            np.testing.assert_array_equal(g.hover_q, want_q)
            np.testing.assert_array_equal(g.q, want_q[g.cells])


def test_quantile_table_fills_cell_by_cell_and_follows_the_files(tmp_path):
    rng = np.random.default_rng(7)
    raw = rng.normal(size=(80, 9)).astype(np.float32)
    ds, _ = written(tmp_path, raw, sparse=False)
    first = gd.quantiles(ds, "L", [4, 1], "zscore")
    rest = gd.quantiles(ds, "L", np.arange(9), "zscore")
    np.testing.assert_array_equal(first, rest[[4, 1]])
    np.testing.assert_array_equal(rest, cell_guide(ds, "L", np.arange(9), 0.0, "zscore").quantiles[:, gd._AT])
    # the files change: a reopened dataset is never served the old table
    ds2, _ = written(tmp_path, raw * 2 + 5, sparse=False)
    np.testing.assert_array_equal(gd.quantiles(ds2, "L", [4, 1], "none"),
                                  cell_guide(ds2, "L", [1, 4], 0.0, "none").quantiles[::-1][:, gd._AT])


def test_hover_table_of_a_partly_drawn_layer_is_the_drawn_cells_and_s1(tmp_path):
    rng = np.random.default_rng(8)
    raw = np.where(rng.random((60, 30)) < 0.1, rng.exponential(size=(60, 30)), 0).astype(np.float32)
    ds, _ = written(tmp_path, raw, sparse=True)
    s1 = lv.select(ds, "L", 10, 11, 0.0)
    g = gd.view_guidance(ds, "L", None, (10, 11), 0.0, s1, reachable=[3, 5, 7])
    assert g.hover.tolist() == sorted({3, 5, 7} | set(s1.tolist()))
    g = gd.view_guidance(ds, "L", None, (10, 11), 0.0, s1, reachable=[3, 5, 7], max_rows=2, max_hover=4)
    assert len(g.hover) == 4 and set(g.cells.tolist()) <= set(g.hover.tolist())    # the drawn rows stay in it


def test_no_range_gives_shares_and_no_suggestion(tmp_path):
    ds, raw = written(tmp_path, np.random.default_rng(9).normal(size=(40, 5)).astype(np.float32), sparse=False)
    g = gd.view_guidance(ds, "L", "tanh", None, 0.2, np.zeros(0, np.int64))
    assert g.suggested is None and len(g.cells) == 0 and g.n_s1 == 0
    assert np.isnan(g.hover_low).all()
    np.testing.assert_array_equal(g.hover_share, ref_on(raw, "tanh", 0.2).mean(axis=0))


def test_quantile_on_a_sparse_layer_at_a_high_level_is_shown_as_on_everywhere(tmp_path):
    """feat's trap: a feature that is zero at more than ℓ of all positions is on at its zeros under
    quantile, so at ℓ = 0.99 every rare feature is in S1, on at every position: the guidance says so."""
    rng = np.random.default_rng(10)
    T, D = 1000, 40
    raw = np.zeros((T, D), np.float32)
    for f in range(D):
        rate = 0.003 if f >= 10 else 0.3                    # 30 rare features, 10 common ones
        on = rng.random(T) < rate
        raw[on, f] = rng.exponential(size=int(on.sum())) + 0.1
    ds, raw = written(tmp_path, raw, sparse=True)
    s1 = lv.select(ds, "L", 500, 503, 0.99, transform="quantile")
    g = gd.view_guidance(ds, "L", "quantile", (500, 503), 0.99, s1)
    rare = [f for f in range(10, D) if (raw[:, f] == 0).mean() >= 0.99]
    assert set(rare) <= set(s1.tolist()) and g.everywhere >= len(rare) > 0
    assert np.all(g.hover_share[rare] == 1.0)
    text = warning(g.everywhere, g.n_s1, True, "quantile")
    assert f"{g.everywhere} of the {len(s1)} S1 cells" in text and "zeros" in text
    assert warning(0, 5, True, "quantile") == "" and "zeros" not in warning(3, 5, False, "zscore")


def test_range_minima_in_blocks_is_one_read(tmp_path):
    raw = make_raw(np.random.default_rng(11), 90, 7)
    ds, raw = written(tmp_path, raw, sparse=False)
    for transform in ALL_TRANSFORMS:
        whole = guidance.range_minima(ds, "L", 3, 80, transform)
        np.testing.assert_array_equal(guidance.range_minima(ds, "L", 3, 80, transform, block_values=7 * 4), whole)
        np.testing.assert_array_equal(guidance.range_minima(ds, "L", 3, 80, transform, block_values=1), whole)


def test_mu_sigma_is_computed_once_per_moments(tmp_path):
    ds, _ = written(tmp_path, np.random.default_rng(12).normal(size=(30, 4)).astype(np.float32), sparse=False)
    m = ds.layer("L").moments()
    mu, sigma = m.mu_sigma()
    assert m.mu_sigma()[0] is mu and not mu.flags.writeable
    fresh = m._exact_mu_sigma()
    np.testing.assert_array_equal(mu, fresh[0]) and np.testing.assert_array_equal(sigma, fresh[1])


def test_sharded_dataset_gives_the_same_guidance_as_one_folder(tmp_path):
    """The statistics are the whole sequence's: shards of different scales give one folder's numbers."""
    rng = np.random.default_rng(13)
    T, D = 80, 6
    raw = make_raw(rng, T, D)
    raw[40:] *= 3
    one = lv.open_dataset(lv.write_dataset(tmp_path / "one", ["x"] * T, {"L": raw}, documents=[0, 40]))
    sharded = lv.open_shards([lv.write_dataset(tmp_path / f"p{k}", ["x"] * 40, {"L": raw[40 * k:40 * k + 40]})
                              for k in (0, 1)])
    for transform in ALL_TRANSFORMS:
        s1 = lv.select(one, "L", 50, 53, 0.2, transform=transform)
        a = gd.view_guidance(sharded, "L", transform, (50, 53), 0.2, s1)
        b = gd.view_guidance(one, "L", transform, (50, 53), 0.2, s1)
        assert a.cells.tolist() == b.cells.tolist() and a.suggested == b.suggested
        for x, y in [(a.share, b.share), (a.low, b.low), (a.hover_share, b.hover_share)]:
            np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(a.hover_share, ref_on(raw, transform, 0.2).mean(axis=0))
