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
from .layers import transform_values
from .thresholds import check_transform

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
    stats = acc._stats(transform)               # quantile: the sorted values exist from here on
    raw_q, exact = acc.raw_quantiles(cells, LEVELS)
    full = np.full((len(LEVELS), acc.D), np.nan, np.float32)      # the transforms take whole rows
    full[:, cells] = raw_q.T
    quantiles = transform_values(full, transform, **stats)[:, cells].T
    return CellGuide(cells, threshold, transform, LEVELS, quantiles, acc.positions_on(cells, thr) / acc.T, exact)
