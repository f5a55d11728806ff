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


TRANSFORMS = ("tanh", "none", "zscore", "quantile")
PER_CELL = ("zscore", "quantile")   # transforms whose thresholds need the cells' statistics


def check_transform(transform, default: str) -> str:
    """The transform a query views the layer through: `default` (the layer's own) when None."""
    if transform is None:
        return default
    if not isinstance(transform, str) or transform not in TRANSFORMS:
        raise ValueError(f"transform must be one of {', '.join(TRANSFORMS)} (or None: the layer's own), "
                         f"got {transform!r}")
    return transform


def raw_thresholds(transform: str, threshold: float, D: int) -> np.ndarray:
    """float32 (D,) for tanh / none: cell c is on at t <=> raw[t, c] >= r[c] (NaN: never on)."""
    return np.full(D, raw_threshold(transform, threshold), np.float32)


# -- zscore ------------------------------------------------------------------------------------

def zscore_values(raw: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """SPEC.md section 1: float32((raw - mu) / sigma) in float64, 0 where sigma == 0, NaN stays NaN."""
    raw64 = np.asarray(raw, np.float32).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = ((raw64 - mu) / np.where(sigma == 0, 1.0, sigma)).astype(np.float32)
    return np.where((sigma == 0) & ~np.isnan(raw64), np.float32(0), v)


def zscore_thresholds(mu: np.ndarray, sigma: np.ndarray, threshold: float) -> np.ndarray:
    """float32 (D,) r: zscore(raw) >= float32(ℓ) <=> raw >= r, by bisection over the float32 bit
    patterns of all cells at once (zscore_values is monotone in raw)."""
    level = np.float32(threshold)
    D = len(mu)
    lo = np.full(D, int(_to_key(np.float32(-np.inf))), np.int64)
    hi = np.full(D, int(_to_key(np.float32(np.inf))), np.int64)

    def on(keys):
        x = _from_key(keys.astype(np.int32))
        return zscore_values(x[None, :], mu, sigma)[0] >= level

    out = np.full(D, np.nan, np.float32)
    low_on, high_on = on(lo), on(hi)
    out[low_on] = -np.inf
    todo = high_on & ~low_on
    while True:
        step = todo & (hi - lo > 1)               # invariant: off at lo, on at hi
        if not step.any():
            break
        mid = np.where(step, (lo + hi) // 2, hi)
        m_on = on(mid)
        hi = np.where(step & m_on, mid, hi)
        lo = np.where(step & ~m_on, mid, lo)
    out[todo] = _from_key(hi[todo].astype(np.int32))
    return out


# -- quantile ----------------------------------------------------------------------------------

def ratio_float32(m, n) -> np.ndarray:
    """float32 (m / n) for integers, rounded once from the exact rational (not through float64,
    whose rounding can land on a float32 midpoint and round the wrong way from there)."""
    m = np.asarray(m, np.int64)
    n = np.asarray(n, np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        r64 = m.astype(np.float64) / n
    f = r64.astype(np.float32)
    bits = r64.view(np.uint64) if r64.ndim else np.array([r64]).view(np.uint64)
    risky = np.flatnonzero((bits & np.uint64((1 << 29) - 1)) == np.uint64(1 << 28))
    if len(risky):
        f = np.array(f, np.float32, ndmin=1)
        mm, nn, rr = np.broadcast_to(m, r64.shape).ravel(), np.broadcast_to(n, r64.shape).ravel(), r64.ravel()
        flat = f.reshape(-1)
        for i in risky.tolist():
            num, den = float(rr[i]).as_integer_ratio()      # the float32 midpoint, exactly
            side = int(mm[i]) * den - num * int(nn[i])       # sign of m/n - midpoint
            if side:
                up = np.nextafter(flat[i], np.float32(np.inf)) if flat[i] < rr[i] else flat[i]
                flat[i] = up if side > 0 else np.nextafter(up, np.float32(-np.inf))
        f = flat.reshape(r64.shape)
    return f


def quantile_ranks(n: np.ndarray, threshold: float) -> np.ndarray:
    """int64 (D,) m*: the least m in 1..n with float32(m / n) >= float32(ℓ); 0 where no value can
    be on (no values, or ℓ above 1). Cell c is then on where raw >= its m*-th smallest value."""
    level = np.float32(threshold)
    n = np.asarray(n, np.int64)
    out = np.zeros(len(n), np.int64)
    some = n > 0
    if level > 1:
        return out
    lo = np.zeros(len(n), np.int64)        # ratio(lo) < level (lo = 0: below every value's v)
    hi = n.copy()                          # ratio(hi) = 1 >= level
    while True:
        step = some & (hi - lo > 1)
        if not step.any():
            break
        mid = np.where(step, (lo + hi) // 2, hi)
        m_on = ratio_float32(mid, np.maximum(n, 1)) >= level
        hi = np.where(step & m_on, mid, hi)
        lo = np.where(step & ~m_on, mid, lo)
    out[some] = hi[some]
    return out


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


# The slider's grid of ℓ for tanh and none (edges.py has the others): the index puts the raw
# thresholds of the layer's own grid among its code edges, so those need no exact look-ups.
GRID = np.round(np.arange(-0.99, 0.995, 0.01), 2)


EDGE_SLOTS = 255   # uint8 codes 0..255: at most 255 edges per cell, padded with NaN


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
