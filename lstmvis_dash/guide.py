"""Threshold guidance (issue 11): where ℓ falls in each cell's distribution, and how often the cell
is on there, for a few cells at a time (the S1 cells, the hovered cell), from the index's
statistics, without a pass over the data per call.

    g = cell_guide(ds, layer, cells, threshold, transform=None)
    g.levels        (q,)    quantile levels, 0 ... 1
    g.quantiles     (n, q)  each cell's values (through the transform) at those levels
    g.share_on      (n,)    the share of all T positions where the cell is on at ℓ (exact)
    g.exact         bool    quantiles are exact order statistics (else from an even sample of rows)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dataset import Dataset
from .engine import _check_cells, _check_layer, _check_threshold
from .index_stats import layer_code_counts, layer_sketch
from .layers import transform_values
from .thresholds import check_transform, code_thresholds

LEVELS = np.round(np.linspace(0, 1, 101), 2)


@dataclass(frozen=True)
class CellGuide:
    cells: np.ndarray
    threshold: float
    transform: str
    levels: np.ndarray
    quantiles: np.ndarray
    share_on: np.ndarray
    exact: bool


def cell_guide(ds: Dataset, layer: str, cells, threshold: float, transform: str | None = None) -> CellGuide:
    """Quantiles and on-shares of `cells` of `layer` under `transform` at ℓ = threshold."""
    _check_layer(ds, layer)
    transform = check_transform(transform, ds.transform(layer))
    cells = _check_cells(cells, ds.dims(layer))
    threshold = _check_threshold(threshold)
    acc = ds.layer(layer)
    thr = acc.thresholds(transform, threshold)
    stats = acc._stats(transform)
    if hasattr(acc.arrays, "codes"):
        exact = acc._order is not None or transform == "quantile"
        if exact:
            raw_q = _order_quantiles(acc.order_stats(), cells)
        else:
            raw_q = layer_sketch(acc.arrays, LEVELS)[:, cells].T
        share = _dense_share(acc, cells, thr)
    else:
        exact = True
        raw_q = _order_quantiles(acc.order_stats(), cells)
        share = _sparse_share(acc, cells, thr)
    full = np.full((len(LEVELS), acc.D), np.nan, np.float32)      # the transforms take whole rows
    full[:, cells] = raw_q.T
    quantiles = transform_values(full, transform, **stats)[:, cells].T
    return CellGuide(cells, threshold, transform, LEVELS, quantiles, share, exact)


def _order_quantiles(order, cells) -> np.ndarray:
    """(n, q) raw values at each level: the ceil(level * n)-th smallest (the least at level 0)."""
    n = order.n
    out = np.full((len(cells), len(LEVELS)), np.nan, np.float32)
    for j, level in enumerate(LEVELS):
        m = np.zeros(len(n), np.int64)
        m[cells] = np.maximum(1, np.ceil(level * n[cells]).astype(np.int64))
        m[n == 0] = 0
        out[:, j] = order.kth(m)[cells]
    return out


def _dense_share(acc, cells, thr) -> np.ndarray:
    """Exact: codes above the cell's k from the code counts, plus the ambiguous code's positions
    whose raw value reaches the threshold."""
    counts = layer_code_counts(acc.arrays)[cells]
    k, ambiguous = code_thresholds(acc.arrays.edges[cells], thr[cells])
    on = np.array([counts[i, k[i] + 1:].sum() for i in range(len(cells))], np.int64)
    for i in np.flatnonzero(ambiguous & (counts[np.arange(len(cells)), np.minimum(k, 255)] > 0)):
        c = int(cells[i])
        where = np.flatnonzero(np.asarray(acc.arrays.codes[c]) == k[i])
        with np.errstate(invalid="ignore"):
            on[i] += int((np.asarray(acc.arrays.rows[where, c], np.float32) >= thr[c]).sum())
    return on / acc.T


def _sparse_share(acc, cells, thr) -> np.ndarray:
    a = acc.arrays
    out = np.zeros(len(cells))
    for i, c in enumerate(cells.tolist()):
        vals = np.asarray(a.csc_data[a.csc_indptr[c]:a.csc_indptr[c + 1]], np.float32)
        with np.errstate(invalid="ignore"):
            on = int((vals >= thr[c]).sum())
        if thr[c] <= 0:
            on += acc.T - len(vals)
        out[i] = on / acc.T
    return out
