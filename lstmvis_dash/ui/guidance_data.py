"""The numbers behind the threshold guidance (guidance_view.py), apart from the figure and the page.

For a view: each asked cell's values over the whole dataset at PROBS (through the viewed transform),
its lowest value through the selected range, and the share of all positions it is on at ℓ; and the
suggested ℓ (lstmvis_dash.guidance). The quantiles do not depend on ℓ or the range, so they are kept
per process for each (dataset version, layer, transform) and filled cell by cell as cells are asked
for (a sparse layer has tens of thousands of features; the page only ever asks for a few hundred).
The shares come from the layer's cached per-cell thresholds at ℓ (the ones select and match use).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .. import guidance
from ..guide import LEVELS, cell_guide
from ..thresholds import check_transform
from .data import version
from .lru import LRUCache

PROBS = (0.01, 0.25, 0.5, 0.75, 0.99)
_AT = np.array([int(np.argmin(np.abs(LEVELS - p))) for p in PROBS])
EVERYWHERE = 0.99            # a cell on at this share of all positions or more tells nothing apart
_tables = LRUCache(8)


class _QuantileTable:
    """(D, len(PROBS)) quantiles of one layer through one transform, NaN rows not computed yet."""

    def __init__(self, D: int):
        self.q = np.full((D, len(PROBS)), np.nan, np.float32)
        self.known = np.zeros(D, bool)
        self.lock = threading.Lock()


def quantiles(ds, layer: str, cells, transform: str | None = None) -> np.ndarray:
    """(n, len(PROBS)) float32: the values of `cells` at PROBS over all positions, in the transform."""
    cells = np.asarray(cells, np.int64)
    key = (ds.name, id(ds), version(ds, layer), layer, check_transform(transform, ds.transform(layer)))
    table = _tables.get(key, lambda: _QuantileTable(ds.dims(layer)))
    missing = np.unique(cells[~table.known[cells]])
    if missing.size:
        g = cell_guide(ds, layer, missing, 0.0, transform)        # rows in the order of g.cells (sorted)
        with table.lock:
            table.q[g.cells] = g.quantiles[:, _AT]
            table.known[g.cells] = True
    return table.q[cells]


def share_on(ds, layer: str, cells, threshold: float, transform: str | None = None) -> np.ndarray:
    """(n,) float64: the share of all T positions at which each cell is on at ℓ (exact)."""
    acc = ds.layer(layer)
    thr = acc.thresholds(check_transform(transform, ds.transform(layer)), float(threshold))
    return acc.positions_on(np.asarray(cells, np.int64), thr) / acc.T


@dataclass(frozen=True)
class Guidance:
    """The figure's rows (S1 cells, most selective first) and the hover table (cells the mouse can reach)."""
    cells: np.ndarray          # the drawn S1 rows, by share on (ascending), at most max_rows
    q: np.ndarray              # (n, len(PROBS))
    low: np.ndarray            # (n,) lowest value through the range (NaN: no range)
    share: np.ndarray          # (n,)
    n_s1: int                  # |S1| (more than drawn when over max_rows)
    everywhere: int            # S1 cells on at >= EVERYWHERE of all positions
    suggested: float | None
    hover: np.ndarray          # the hover table's cells, sorted
    hover_q: np.ndarray
    hover_low: np.ndarray
    hover_share: np.ndarray


def view_guidance(ds, layer: str, transform: str | None, sel, threshold: float, cells, reachable=None,
                  max_rows: int = 12, max_hover: int = 4096) -> Guidance:
    """Everything the figure and the hover need for one view. `cells`: the S1 cells (after the
    exclusions); `reachable`: the cells drawn in the select plot (None: every cell of the layer).
    The hover table holds the reachable cells, then S1's, max_hover at most."""
    D = ds.dims(layer)
    cells = np.asarray(cells, np.int64)
    low_all, suggested = None, None
    if sel:
        low_all = guidance.range_minima(ds, layer, int(sel[0]), int(sel[1]), transform)
        suggested = guidance.otsu_split(low_all)
    share = share_on(ds, layer, cells, threshold, transform)
    order = np.argsort(share, kind="stable")[:max_rows]
    rows = cells[order]
    reach = np.arange(D) if reachable is None else np.asarray(reachable, np.int64)
    hover = np.unique(np.concatenate([reach, cells]))
    if len(hover) > max_hover:
        hover = np.unique(np.concatenate([rows, reach, cells])[:max_hover])
    low = (lambda c: low_all[c]) if low_all is not None else (lambda c: np.full(len(c), np.nan, np.float32))
    return Guidance(rows, quantiles(ds, layer, rows, transform), low(rows), share[order], len(cells),
                    int((share >= EVERYWHERE).sum()), suggested, hover, quantiles(ds, layer, hover, transform),
                    low(hover), share_on(ds, layer, hover, threshold, transform))
