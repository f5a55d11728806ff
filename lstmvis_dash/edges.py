"""Where the index puts each cell's code edges (the uint8 codes of index.py; 255 edges per cell).

Two aims. Thresholds on the slider's grid of ℓ for the layer's own transform are edges, so those
queries read codes only (code > k is on, exactly). And no code holds many more positions than
its share, whatever the cell's scale or the transform a query views it through: a threshold between
edges costs an exact look-up of the raw value at every position carrying that one code. So after
the grid's thresholds, the remaining edges split the fullest codes of a sample of the cell's values
at their medians, until 255 edges are used or no code can be split (all its values equal).
"""
from __future__ import annotations

import heapq

import numpy as np

from .thresholds import EDGE_SLOTS, GRID, raw_threshold

ZSCORE_GRID = np.round(np.arange(-3.0, 3.0001, 0.05), 2)   # zscore slider steps that read codes only
QUANTILE_GRID = np.round(np.arange(0.01, 0.995, 0.01), 2)


def shared_grid(transform: str) -> np.ndarray:
    """tanh / none: the raw thresholds of GRID, one row for all cells."""
    return np.array([raw_threshold(transform, float(level)) for level in GRID], np.float32)


def fill_edges(grid: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """(D, EDGE_SLOTS) float32 NaN-padded edges: each cell's grid thresholds (grid (D, G), NaN =
    none) and splits of its fullest codes, judged on sample (S, D) (NaN ignored)."""
    D = grid.shape[0]
    out = np.full((D, EDGE_SLOTS), np.nan, np.float32)
    sample = np.sort(np.asarray(sample, np.float32), axis=0)       # NaN last in each column
    for c in range(D):
        g = grid[c]
        e = np.unique(g[~np.isnan(g)])[:EDGE_SLOTS]
        s = sample[:, c]
        s = s[:np.searchsorted(s, np.nan)] if np.isnan(s[-1:]).any() else s
        out[c, :len(e)] = e
        if len(s) and len(e) < EDGE_SLOTS:
            extra = _splits(s, e, EDGE_SLOTS - len(e))
            if len(extra):
                merged = np.sort(np.concatenate([e, extra]))
                out[c, :len(merged)] = merged
    return out


def _splits(s: np.ndarray, e: np.ndarray, budget: int) -> np.ndarray:
    """Up to `budget` new edges, each at the median of the currently fullest code of sorted s."""
    bounds = np.concatenate([[0], np.searchsorted(s, e, side="left"), [len(s)]])
    heap = [(-(b - a), int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b - a > 1]
    heapq.heapify(heap)
    new = []
    while heap and len(new) < budget:
        _, a, b = heapq.heappop(heap)
        x = s[(a + b) // 2]
        if x == s[a]:                         # the median ties with the code's least value
            j = int(np.searchsorted(s, s[a], side="right"))
            if j >= b:
                continue                      # all values equal: cannot be split
            x = s[j]
        m = int(np.searchsorted(s, x, side="left"))
        new.append(x)
        for lo, hi in ((a, m), (m, b)):
            if hi - lo > 1:
                heapq.heappush(heap, (-(hi - lo), lo, hi))
    return np.array(new, np.float32)
