"""Per-cell statistics for the zscore and quantile transforms, exact and mergeable across shards.

zscore (SPEC.md section 1) needs each cell's mean and population standard deviation over all T
positions. They are kept as exact integers: every float32 value is m * 2**(e - 150) with an integer
m < 2**24, so the sum of the values and the sum of their squares are integers times 2**-149 and
2**-298, accumulated without rounding (`Moments`). Two shards' moments add; mu and sigma are then
the float64 values nearest the exact mean and standard deviation, whatever the order the values
were read in, in one folder or in many.

quantile needs order statistics (`OrderStats`): each cell's non-NaN values sorted, which answers
"how many values <= x" (shards add those counts) and "the m-th smallest" directly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, types
from numba.extending import overload

from .kernels import _value
from .pool import run_parts, spans, threads

_E_BINS = 256


def _parts(u):
    """(kind, e, m, negative) of a float32 (uint32 bits) or float16 (uint16 bits): the value is
    (-1)**negative * m * 2**(e - 150), m < 2**24; kind 0 finite, 1 infinite, 2 NaN."""


@overload(_parts)
def _parts_impl(u):
    if isinstance(u, types.Integer) and u.bitwidth == 32:
        def f32(u):
            e = np.int64((u >> 23) & 0xFF)
            m = np.int64(u & 0x7FFFFF)
            if e == 255:
                return (2 if m else 1), e, m, (u >> 31) != 0
            if e == 0:
                e = 1                                # subnormal
            else:
                m |= 0x800000
            return 0, e, m, (u >> 31) != 0
        return f32
    if isinstance(u, types.Integer) and u.bitwidth == 16:
        def f16(u):
            e = np.int64((u >> 10) & 0x1F)
            m = np.int64(u & 0x3FF)
            if e == 31:
                return (2 if m else 1), e, m, (u >> 15) != 0
            if e == 0:                               # subnormal: m * 2**-24 = (m << 13) * 2**(113 - 150)
                return 0, np.int64(113), m << 13, (u >> 15) != 0
            return 0, e + 112, (m | 0x400) << 13, (u >> 15) != 0
        return f16


@njit(cache=True, nogil=True, inline="always")
def _add_bits(u, c, s_bins, qh_bins, ql_bins, counts):
    """Adds one value (its bits) of cell c to the integer bins (counts: n, +inf, -inf)."""
    kind, e, m, negative = _parts(u)
    if kind == 2:
        return                                       # NaN: not counted
    counts[c, 0] += 1
    if kind == 1:
        counts[c, 2 if negative else 1] += 1
        return
    s_bins[c, e] += -m if negative else m
    sq = m * m
    qh_bins[c, e] += sq >> 24
    ql_bins[c, e] += sq & 0xFFFFFF


def as_bits(values: np.ndarray) -> np.ndarray:
    """float32 / float16 values as the unsigned bits the moment kernels read."""
    values = np.asarray(values)
    if values.dtype == np.float16:
        return np.ascontiguousarray(values).view(np.uint16)
    return np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)


@njit(cache=True, nogil=True)
def _dense_bins_part(bits, s_bins, qh_bins, ql_bins, counts, g0, g1):
    n, D = bits.shape
    for g in range(g0, g1):
        for t in range(n):
            for c in range(g * 64, min(D, g * 64 + 64)):
                _add_bits(bits[t, c], c, s_bins, qh_bins, ql_bins, counts)


def dense_moment_bins(bits, s_bins, qh_bins, ql_bins, counts):
    """Accumulates rows (n, D) (as_bits) into the bins; groups of 64 cells at once (each owns its
    bins), reading each row's stretch of the group's cells in turn."""
    run_parts(_dense_bins_part, [(bits, s_bins, qh_bins, ql_bins, counts, g0, g1)
                                 for g0, g1 in spans((bits.shape[1] + 63) // 64, threads())])


@njit(cache=True, nogil=True)
def _column_bins_part(indptr, bits, s_bins, qh_bins, ql_bins, counts, c0, c1):
    for c in range(c0, c1):
        for k in range(indptr[c], indptr[c + 1]):
            _add_bits(bits[k], c, s_bins, qh_bins, ql_bins, counts)


def column_moment_bins(indptr, bits, s_bins, qh_bins, ql_bins, counts):
    """The same over the stored values of CSC columns (values not stored are 0: not added here)."""
    run_parts(_column_bins_part, [(indptr, bits, s_bins, qh_bins, ql_bins, counts, c0, c1)
                                  for c0, c1 in spans(len(indptr) - 1, 4 * threads())])


def new_bins(D: int):
    z = lambda: np.zeros((D, _E_BINS), np.int64)   # noqa: E731
    return z(), z(), z(), np.zeros((D, 3), np.int64)


@dataclass(frozen=True)
class Moments:
    """Exact per-cell moments: n non-NaN values, the counts of +inf and -inf among them, and the
    exact sums S = sum(x) * 2**149 and Q = sum(x*x) * 2**298 (Python ints, one per cell)."""
    n: np.ndarray                   # int64 (D,)
    pos_inf: np.ndarray             # int64 (D,)
    neg_inf: np.ndarray             # int64 (D,)
    s: tuple                        # exact integer sums of the finite values
    q: tuple

    @classmethod
    def from_bins(cls, s_bins, qh_bins, ql_bins, counts, extra_n=None) -> "Moments":
        """extra_n: values not in the bins that are exactly 0 (a sparse layer's unstored entries)."""
        s, q = [], []
        for c in range(s_bins.shape[0]):
            es = np.flatnonzero(s_bins[c] | qh_bins[c] | ql_bins[c])
            s.append(sum(int(s_bins[c, e]) << int(e - 1) for e in es))
            q.append(sum((int(qh_bins[c, e]) << int(2 * e + 22)) + (int(ql_bins[c, e]) << int(2 * e - 2))
                         for e in es))
        n = counts[:, 0].copy()
        if extra_n is not None:
            n += np.asarray(extra_n, np.int64)
        return cls(n, counts[:, 1].copy(), counts[:, 2].copy(), tuple(s), tuple(q))

    def __add__(self, other: "Moments") -> "Moments":
        """The moments of two stretches of positions together (shards)."""
        return Moments(self.n + other.n, self.pos_inf + other.pos_inf, self.neg_inf + other.neg_inf,
                       tuple(a + b for a, b in zip(self.s, other.s)),
                       tuple(a + b for a, b in zip(self.q, other.q)))

    def mu_sigma(self) -> tuple[np.ndarray, np.ndarray]:
        """float64 (D,) mean and population standard deviation (ddof = 0) of the non-NaN values,
        each the float64 nearest the exact value. An infinite value makes mu +-inf (or NaN with
        both signs) and sigma NaN, as float64 arithmetic would; no values give NaN. Computed once per
        Moments (a Python loop over the cells: 0.1-0.2 s for 16k features) and kept, read-only."""
        cached = self.__dict__.get("_mu_sigma")
        if cached is None:
            cached = self._exact_mu_sigma()
            for a in cached:
                a.setflags(write=False)
            object.__setattr__(self, "_mu_sigma", cached)     # frozen: not a field, outside eq/repr
        return cached

    def _exact_mu_sigma(self) -> tuple[np.ndarray, np.ndarray]:
        D = len(self.n)
        mu = np.full(D, np.nan)
        sigma = np.full(D, np.nan)
        for c in range(D):
            n = int(self.n[c])
            if n == 0:
                continue
            pinf, ninf = int(self.pos_inf[c]), int(self.neg_inf[c])
            if pinf or ninf:
                mu[c] = math.inf if not ninf else (-math.inf if not pinf else math.nan)
                continue
            mu[c] = self.s[c] / (n << 149)                       # int / int: correctly rounded
            sigma[c] = _sqrt_ratio(n * self.q[c] - self.s[c] * self.s[c], n << 149)
        return mu, sigma

    def to_json(self) -> dict:
        return {"n": self.n.tolist(), "pos_inf": self.pos_inf.tolist(), "neg_inf": self.neg_inf.tolist(),
                "s": [format(v, "x") for v in self.s], "q": [format(v, "x") for v in self.q]}

    @classmethod
    def from_json(cls, d: dict) -> "Moments":
        arr = lambda k: np.asarray(d[k], np.int64)   # noqa: E731
        return cls(arr("n"), arr("pos_inf"), arr("neg_inf"),
                   tuple(int(v, 16) for v in d["s"]), tuple(int(v, 16) for v in d["q"]))


def _sqrt_ratio(v: int, d: int) -> float:
    """The float64 nearest sqrt(v) / d for integers v >= 0, d > 0.

    sqrt(v * 4**p) is computed to 120+ bits with an integer square root; when it is not exact, a
    sticky half unit stands for the discarded part, so the one rounding (the int division) is right.
    """
    if v <= 0:
        return 0.0
    p = max(0, 125 - v.bit_length() // 2)
    scaled = v << (2 * p)
    r = math.isqrt(scaled)
    if r * r != scaled:
        r, p = 2 * r + 1, p + 1
    return r / (d << p)


# -- order statistics ----------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _count_le_cell(vals, lo, k, x):
    """How many of the k sorted values vals[lo:lo+k] are <= x (x not NaN)."""
    a, b = 0, k
    while a < b:
        h = (a + b) >> 1
        if _value(vals[lo + h]) <= x:
            a = h + 1
        else:
            b = h
    return a


@njit(cache=True, nogil=True)
def _count_le_part(vals, offsets, n_sorted, zeros, X, out, c0, c1):
    for c in range(c0, c1):
        for w in range(X.shape[0]):
            x = X[w, c]
            if x != x:
                out[w, c] = -1
            else:
                out[w, c] = _count_le_cell(vals, offsets[c], n_sorted[c], x) + (zeros[c] if x >= 0 else 0)


def _count_le(vals, offsets, n_sorted, zeros, X):
    """out[w, c] = #{values of cell c <= X[w, c]}, the cell's values being its n_sorted[c] sorted
    values from vals[offsets[c]] and zeros[c] more that are 0.0; -1 where X is NaN."""
    out = np.empty(X.shape, np.int64)
    run_parts(_count_le_part, [(vals, offsets, n_sorted, zeros, X, out, c0, c1)
                               for c0, c1 in spans(X.shape[1], threads())])
    return out


@njit(cache=True, nogil=True)
def _kth_part(vals, offsets, n_sorted, zeros, m, out, c0, c1):
    for c in range(c0, c1):
        r = m[c]
        if r <= 0:
            out[c] = np.nan
            continue
        neg = 0
        if zeros[c]:                                   # stored values below 0 come first
            a, b = 0, n_sorted[c]
            while a < b:
                h = (a + b) >> 1
                if _value(vals[offsets[c] + h]) < 0:
                    a = h + 1
                else:
                    b = h
            neg = a
        if r <= neg:
            out[c] = _value(vals[offsets[c] + r - 1])
        elif r <= neg + zeros[c]:
            out[c] = 0.0
        else:
            out[c] = _value(vals[offsets[c] + r - 1 - zeros[c]])


def _kth(vals, offsets, n_sorted, zeros, m):
    """The m[c]-th smallest (from 1) value of each cell, with the zeros in their place; NaN for m = 0."""
    out = np.empty(len(m), np.float32)
    run_parts(_kth_part, [(vals, offsets, n_sorted, zeros, m, out, c0, c1) for c0, c1 in spans(len(m), threads())])
    return out


@dataclass(frozen=True)
class OrderStats:
    """Each cell's non-NaN values in sorted order: n_sorted[c] values from vals[offsets[c]] (float32,
    or float16 as uint16 bits), plus zeros[c] values 0.0 not stored (a sparse layer's)."""
    vals: np.ndarray
    offsets: np.ndarray
    n_sorted: np.ndarray
    zeros: np.ndarray

    @property
    def n(self) -> np.ndarray:
        """Non-NaN values per cell."""
        return self.n_sorted + self.zeros

    def count_le(self, X: np.ndarray) -> np.ndarray:
        """int64, X's shape ((D,) or (W, D)): how many of the cell's values are <= X; -1 for NaN X."""
        X = np.asarray(X, np.float32)
        out = _count_le(self.vals, self.offsets, self.n_sorted, self.zeros, np.atleast_2d(X))
        return out.reshape(X.shape)

    def kth(self, m: np.ndarray) -> np.ndarray:
        """float32 (D,): the m[c]-th smallest value of cell c (m from 1; NaN where m == 0)."""
        return _kth(self.vals, self.offsets, self.n_sorted, self.zeros, np.asarray(m, np.int64))


def kth_over_parts(parts: list, m: np.ndarray) -> np.ndarray:
    """The m[c]-th smallest value of each cell over several OrderStats together (shards): the least
    float32 x with sum(count_le(x)) >= m, by bisection over float32 bit patterns, all cells at once.
    One part is read directly."""
    m = np.asarray(m, np.int64)
    if len(parts) == 1:
        return parts[0].kth(m)
    from .thresholds import _from_key, _to_key
    D = len(m)
    lo = np.full(D, int(_to_key(np.float32(-np.inf))) - 1, np.int64)     # count(lo) < m
    hi = np.full(D, int(_to_key(np.float32(np.inf))), np.int64)          # count(+inf) = n >= m
    count = lambda keys: sum(p.count_le(_from_key(keys.astype(np.int32))) for p in parts)  # noqa: E731
    todo = m > 0
    while True:
        step = todo & (hi - lo > 1)
        if not step.any():
            break
        mid = np.where(step, (lo + hi) // 2, hi)
        ok = count(mid) >= m
        hi = np.where(step & ok, mid, hi)
        lo = np.where(step & ~ok, mid, lo)
    out = np.full(D, np.nan, np.float32)
    out[todo] = _from_key(hi[todo].astype(np.int32))
    return out
