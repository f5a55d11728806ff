"""From a threshold ℓ on transformed values to a threshold on raw states, exactly.

`v >= ℓ` with `v = tanh(raw)` holds exactly when `raw >= r`, r the smallest float32 whose np.tanh
reaches float32(ℓ) (np.tanh is monotone on float32; checked around r every time). So no query
computes a transform over the data. NaN stands for "never on" (every comparison with it is false).
"""
from __future__ import annotations

import numpy as np

_SIGN = np.int32(0x7FFFFFFF)


def _to_key(x: np.ndarray) -> np.ndarray:
    bits = np.asarray(x, np.float32).view(np.int32)
    return np.where(bits >= 0, bits, bits ^ _SIGN)


def _from_key(k: np.ndarray) -> np.ndarray:
    k = np.asarray(k, np.int32)
    return np.where(k >= 0, k, k ^ _SIGN).view(np.float32)


def raw_threshold(transform: str, threshold: float) -> np.float32:
    """The float32 r with: transform(raw) >= float32(threshold)  <=>  raw >= r (r NaN: never)."""
    level = np.float32(threshold)
    if transform == "none":
        return level
    if level > 1:
        return np.float32(np.nan)  # tanh never exceeds 1: never on
    if level <= -1:
        return np.float32(-np.inf)
    lo, hi = int(_to_key(np.float32(-np.inf))), int(_to_key(np.float32(np.inf)))
    while hi - lo > 64:  # smallest key whose tanh reaches the level lies in (lo, hi]
        mid = (lo + hi) // 2
        if np.tanh(_from_key(np.array([mid]))[0]) >= level:
            hi = mid
        else:
            lo = mid
    keys = np.arange(lo, hi + 1, dtype=np.int64).astype(np.int32)
    on = np.tanh(_from_key(keys)) >= level
    first = int(np.argmax(on))
    if not on[first] or not on[first:].all():
        raise ArithmeticError(f"np.tanh is not monotone near {level}")
    return _from_key(keys[first:first + 1])[0]


# The index quantises raw states at the raw thresholds of this grid of ℓ, so thresholds on the grid
# (the dashboard's slider steps) need no exact look-ups at all.
GRID = np.round(np.arange(-0.99, 0.995, 0.01), 2)


def grid_edges(transform: str) -> np.ndarray:
    """Strictly increasing float32 raw thresholds of the grid: the index's code boundaries."""
    edges = np.array([raw_threshold(transform, float(level)) for level in GRID], np.float32)
    assert np.all(np.diff(edges) > 0)
    return edges


def code_threshold(edges: np.ndarray, thr: np.float32) -> tuple[int, bool]:
    """(k, ambiguous): on <=> code > k, or (ambiguous and code == k and raw >= thr)."""
    k = int(np.searchsorted(edges, thr, side="left"))
    exact = k < len(edges) and edges[k] == thr
    return k, not exact
