"""How to choose the threshold ℓ (the original LSTMVis's issue #63): a suggestion for a selection.

A cell is in S1 at ℓ exactly when its lowest value through the selected range is >= ℓ (SPEC.md 2),
so the cells' range minima decide everything: ℓ splits them into the cells on through the range
and the rest. The suggested ℓ is the split that makes the two groups most distinct — Otsu's method
on the range minima (the split with the largest between-group variance), halfway between the two
minima it separates. The S1 it gives is the clear-cut group of cells that stay high through the
range, and moving ℓ anywhere within that gap leaves S1 unchanged. It ignores the padding (which only
removes cells from S1); the threshold guidance figure shows, beside it, where ℓ falls in each
cell's distribution over the dataset and the share of positions each cell is on at ℓ.
"""
from __future__ import annotations

import numpy as np

__all__ = ["otsu_split", "range_minima", "suggest_threshold"]


def otsu_split(values) -> float | None:
    """The threshold between the two groups of `values` with the largest between-group variance
    (halfway between the largest value of the lower group and the smallest of the upper); None
    when the finite values take fewer than two distinct values."""
    x = np.sort(np.asarray(values, dtype=np.float64).ravel())
    x = x[np.isfinite(x)]
    if len(x) < 2 or x[0] == x[-1]:
        return None
    n = len(x)
    k = np.arange(1, n)                         # the lower group is x[:k]
    csum = np.cumsum(x)
    m_low = csum[:-1] / k
    m_high = (csum[-1] - csum[:-1]) / (n - k)
    between = k * (n - k) * (m_low - m_high) ** 2
    between[x[1:] == x[:-1]] = -1.0             # equal values stay in one group
    i = int(np.argmax(between))
    return float((x[i] + x[i + 1]) / 2)


def range_minima(ds, layer: str, start: int, stop: int, transform=None) -> np.ndarray:
    """Each cell's lowest value over start:stop (NaN where the cell is NaN somewhere: never on)."""
    v = ds.values(layer, start, stop) if transform is None else ds.values(layer, start, stop, transform=transform)
    with np.errstate(invalid="ignore"):
        low = v.min(axis=0)
    low[np.isnan(v).any(axis=0)] = np.nan
    return low


def suggest_threshold(ds, layer: str, start: int, stop: int, transform=None) -> float | None:
    """The suggested ℓ for the selection start:stop (see the module doc), or None when every
    cell's range minimum is the same."""
    return otsu_split(range_minima(ds, layer, start, stop, transform))


# ----------------------------------------------------------------------------------------------
# per-cell distributions over the whole dataset (what the guidance figure draws)

FINE = np.linspace(0.0, 1.0, 1001)     # the quantile table the on-shares are read from


class CellDistributions:
    """Every cell's quantiles over all T positions in one transform (NaN left out), computed once
    per (dataset, layer, transform) a column block at a time; `quantiles(cells, probs)` and
    `on_share(cells, ℓ)` read them. The on-share is interpolated in a 1001-point table, so it is
    within 0.1% of the exact share."""

    def __init__(self, ds, layer: str, transform=None, block_bytes: int = 64 << 20):
        T, D = len(ds), ds.dims(layer)
        self.table = np.full((len(FINE), D), np.nan, np.float32)
        self.valid = np.zeros(D, np.float64)        # share of non-NaN positions per cell
        rows_per = max(1, block_bytes // max(1, 4 * D))
        step = max(1, block_bytes // max(1, 4 * T))
        for c0 in range(0, D, step):
            c1 = min(D, c0 + step)
            cols = np.concatenate([_values(ds, layer, s, min(T, s + rows_per), transform)[:, c0:c1]
                                   for s in range(0, T, rows_per)])
            for j in range(c1 - c0):
                x = cols[:, j]
                x = x[~np.isnan(x)]
                self.valid[c0 + j] = len(x) / T
                if len(x):
                    self.table[:, c0 + j] = np.quantile(x, FINE)

    def quantiles(self, cells, probs) -> np.ndarray:
        """(len(cells), len(probs)) float32: each cell's values at the probabilities."""
        idx = np.clip(np.round(np.asarray(probs) * (len(FINE) - 1)).astype(int), 0, len(FINE) - 1)
        return self.table[idx][:, np.asarray(cells, int)].T.copy()

    def on_share(self, cells, threshold: float) -> np.ndarray:
        """The share of all positions at which each cell is on (value >= ℓ; NaN is off)."""
        cells = np.asarray(cells, int)
        col = self.table[:, cells]                              # (F, n), sorted down each column
        ell = np.float32(threshold)
        # the share strictly below ℓ: ties at ℓ are on, so read the table where values reach ℓ
        k = (col < ell).sum(axis=0)                             # first row with value >= ℓ
        inner = (k > 0) & (k < len(FINE))
        kk = np.clip(k, 1, len(FINE) - 1)
        lo = np.take_along_axis(col, (kk - 1)[None], 0)[0].astype(np.float64)
        hi = np.take_along_axis(col, kk[None], 0)[0].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(hi > lo, (float(ell) - lo) / (hi - lo), 1.0)
        below = np.where(k == 0, 0.0, np.where(inner, FINE[kk - 1] + frac * (FINE[kk] - FINE[kk - 1]), 1.0))
        share = (1.0 - below) * self.valid[cells]
        return np.where(np.isnan(col[0]), 0.0, share)


def _values(ds, layer, start, stop, transform):
    return ds.values(layer, start, stop) if transform is None else ds.values(layer, start, stop, transform=transform)
