"""From a threshold ℓ on transformed values to per-cell thresholds on raw states, exactly.

Every transform of SPEC.md section 1 is monotone in the raw value, so `v[t, c] >= float32(ℓ)` holds
exactly when `raw[t, c] >= r[c]`, r[c] one float32 per cell: for `tanh` the smallest float32 whose
np.tanh reaches float32(ℓ) (np.tanh is monotone on float32; checked around r every time), for `none`
float32(ℓ) itself. So no query computes a transform over the data. NaN in r stands for "never on"
(every comparison with it is false).
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


TRANSFORMS = ("tanh", "none")


def check_transform(transform, default: str) -> str:
    """The transform a query views the layer through: `default` (the layer's own) when None."""
    if transform is None:
        return default
    if not isinstance(transform, str) or transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)} (or None: the layer's own), "
                         f"got {transform!r}")
    return transform


def raw_thresholds(transform: str, threshold: float, D: int) -> np.ndarray:
    """float32 (D,): cell c is on at t <=> raw[t, c] >= r[c] (NaN: never on)."""
    return np.full(D, raw_threshold(transform, threshold), np.float32)


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


EDGE_SLOTS = 255   # uint8 codes 0..255: at most 255 edges per cell, padded with NaN


def pad_edges(edges: np.ndarray, D: int) -> np.ndarray:
    """(D, EDGE_SLOTS) float32 per-cell edges from one shared row of edges (or per-cell rows)."""
    edges = np.asarray(edges, np.float32)
    out = np.full((D, EDGE_SLOTS), np.nan, np.float32)
    out[:, :edges.shape[-1]] = edges
    return out


def code_thresholds(edges: np.ndarray, thr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per cell (k, ambiguous): on <=> code > k, or (ambiguous and code == k and raw >= thr).

    edges (n, EDGE_SLOTS), increasing then NaN; thr (n,). A code is the number of edges <= raw.
    """
    thr = np.asarray(thr, np.float32)
    with np.errstate(invalid="ignore"):
        k = (edges < thr[:, None]).sum(axis=1)
        exact = np.take_along_axis(edges, np.minimum(k, EDGE_SLOTS - 1)[:, None], axis=1)[:, 0] == thr
    exact &= k < EDGE_SLOTS
    never = np.isnan(thr)
    k[never] = EDGE_SLOTS
    return k.astype(np.int64), ~exact & ~never
