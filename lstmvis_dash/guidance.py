"""How to choose the threshold ℓ (the original LSTMVis's issue #63): a suggestion for a selection.

A cell is in S1 at ℓ exactly when its lowest value through the selected range is >= ℓ (SPEC.md 2),
so the cells' range minima decide everything: ℓ splits them into the cells on through the range
and the rest. The suggested ℓ is the split that makes the two groups most distinct — Otsu's method
on the range minima (the split with the largest between-group variance), halfway between the two
minima it separates. The S1 it gives is the clear-cut group of cells that stay high through the
range, and moving ℓ anywhere within that gap leaves S1 unchanged. It ignores the padding (which only
removes cells from S1); the threshold guidance figure shows, beside it, where ℓ falls in each
cell's distribution over the dataset and the share of positions each cell is on at ℓ
(`lstmvis_dash.guide.cell_guide`).
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


def range_minima(ds, layer: str, start: int, stop: int, transform=None, block_values: int = 1 << 22) -> np.ndarray:
    """Each cell's lowest value over start:stop (NaN where the cell is NaN somewhere: never on),
    read in blocks of about `block_values` values (a sparse layer's rows come dense: D may be 65k)."""
    kw = {} if transform is None else {"transform": transform}
    step = max(1, block_values // max(1, ds.dims(layer)))
    low = None
    for a in range(start, stop, step):
        v = ds.values(layer, a, min(stop, a + step), **kw)
        with np.errstate(invalid="ignore"):
            m = v.min(axis=0)
        m[np.isnan(v).any(axis=0)] = np.nan
        low = m if low is None else np.minimum(low, m)        # NaN stays NaN: never on
    return low


def suggest_threshold(ds, layer: str, start: int, stop: int, transform=None) -> float | None:
    """The suggested ℓ for the selection start:stop (see the module doc), or None when every
    cell's range minimum is the same."""
    return otsu_split(range_minima(ds, layer, start, stop, transform))

