"""The suggested threshold (lstmvis_dash.guidance) against a brute-force reading of its definition."""
from __future__ import annotations

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash import guidance


def brute_otsu(x):
    """Every split of the sorted distinct values; the one with the largest between-group variance."""
    x = np.sort(np.asarray(x, float)[np.isfinite(x)])
    best = None
    for cut in np.unique(x)[:-1]:
        low, high = x[x <= cut], x[x > cut]
        score = len(low) * len(high) * (low.mean() - high.mean()) ** 2
        if best is None or score > best[0] + 1e-9 * abs(best[0]):
            best = (score, (cut + high.min()) / 2)
    return None if best is None else best[1]


@pytest.mark.parametrize("seed", range(30))
def test_otsu_split_is_the_best_split(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    x = np.round(rng.normal(0, 1, n) * (1 + 3 * (rng.random(n) < 0.3)), int(rng.integers(0, 3)))
    if seed % 5 == 0:
        x[rng.random(n) < 0.2] = np.nan
    got, want = guidance.otsu_split(x), brute_otsu(x)
    assert (got is None) == (want is None)
    if want is not None:
        assert got == pytest.approx(want)


def test_otsu_split_of_two_clear_groups_and_degenerate_input():
    assert guidance.otsu_split([0.9, 0.95, 1.0, -0.8, -0.9, -1.0]) == pytest.approx((-0.8 + 0.9) / 2)
    assert guidance.otsu_split([0.5, 0.5, 0.5]) is None
    assert guidance.otsu_split([np.nan, 1.0]) is None
    assert guidance.otsu_split([]) is None


def test_suggested_threshold_selects_the_cells_that_track_the_range(small_dataset):
    ds = lv.open_dataset(small_dataset)
    depth = np.array([int(d) for d in ds.annotation("depth", 0, len(ds))])
    a = int(np.flatnonzero((depth[:-3] == 4) & (depth[1:-2] == 4) & (depth[2:-1] == 4))[0])
    ell = guidance.suggest_threshold(ds, "cells", a, a + 3)
    low = guidance.range_minima(ds, "cells", a, a + 3)
    assert np.array_equal(low, ds.values("cells", a, a + 3).min(axis=0))
    # the fixture's cells c % 5 == k are high where depth >= k: at depth 4 all are high through the
    # range, so Otsu splits the minima into its two groups and S1 is exactly the upper one
    s1 = lv.select(ds, "cells", a, a + 3, ell)
    assert set(s1.tolist()) == set(np.flatnonzero(low >= ell).tolist())
    assert low[s1].min() > ell > low[np.setdiff1d(np.arange(ds.dims("cells")), s1)].max()

