"""Compiled kernels of the matching engine (numba).

Cell c is on at t when its raw state is >= its raw threshold `thr[c]` (the engine turns ℓ into
one float32 per cell). The column index stores each cell's history as uint8 codes: code = number of
the cell's edges <= raw, so `code > k[c]` means on for sure, and `code == k[c]` (only when `thr[c]`
is not itself an edge) needs the exact raw value.

Matching works on `bits[:, t]`: the set of S1 cells on at t, as W 64-bit words. count[t] is its
popcount; the candidates (maximal runs of count >= k for every k, split at documents) form a tree
that one left-to-right scan with a stack walks, ANDing the bitsets of the positions inside each
node, so every candidate's on-throughout set is known when it closes, in O(T·W + candidates).
"""
from __future__ import annotations

import os
import threading

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import overload

# numba's default OpenMP threading layer kills any child forked after a parallel kernel ran (a
# gunicorn master that warmed up, a test that forks). The workqueue layer is fork-safe but must
# not be entered by two threads at once, so every parallel kernel runs under PARALLEL_LOCK.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"
PARALLEL_LOCK = threading.Lock()

_BLOCK = 4096
_ONE = np.uint64(1)


def as_kernel_rows(rows: np.ndarray) -> np.ndarray:
    """numba has no float16: float16 rows go in as their uint16 bit patterns."""
    return rows.view(np.uint16) if rows.dtype == np.float16 else rows


@njit(cache=True)
def _half_to_float(u):
    """The exact float32 value of IEEE half-precision bits u."""
    exp = (u >> 10) & 0x1F
    man = np.float64(u & 0x3FF)
    if exp == 0:
        val = man * 2.0 ** -24
    elif exp == 31:
        val = np.inf if man == 0 else np.nan
    else:
        val = (1024.0 + man) * 2.0 ** (np.int64(exp) - 25)
    return np.float32(-val if (u >> 15) & 1 else val)


def _value(x):
    """A raw state as float32 (compile-time dispatch on the row type)."""


@overload(_value)
def _value_impl(x):
    if isinstance(x, types.Float):
        return lambda x: x
    if isinstance(x, types.Integer):
        return lambda x: _half_to_float(x)


@njit(cache=True, parallel=True, nogil=True)
def quantise_rows(rows, edges, out):
    """out[c, t] = number of edges[c] <= rows[t, c] (NaN: 0): the uint8 codes, transposed.

    edges (D, 255): each cell's increasing edges, padded with NaN (NaN <= x is false). A branch-free
    binary search, since the branches of the usual one are unpredictable here and cost more than
    the comparisons.
    """
    n, D = rows.shape
    for blk in prange((n + 63) // 64):
        for t in range(blk * 64, min(n, blk * 64 + 64)):
            for c in range(D):
                x = _value(rows[t, c])
                e = edges[c]
                pos = 0
                for step in (128, 64, 32, 16, 8, 4, 2, 1):
                    pos += step * (e[pos + step - 1] <= x)
                out[c, t] = 0 if x != x else pos


@njit(cache=True, parallel=True, nogil=True)
def on_bits(codes, cells, k, ambiguous, rows, thr, T):
    """bits[j // 64, t] has bit j % 64 set when cell cells[j] is on at t.

    Per S1 cell j: on <=> codes > k[j], or (ambiguous[j] and code == k[j] and raw >= thr[j]).
    Cells go four at a time, so each word of the block is loaded and stored once per four cells.
    """
    n = len(cells)
    W = (n + 63) // 64
    bits = np.zeros((W, T), np.uint64)
    n_blocks = (T + _BLOCK - 1) // _BLOCK
    kk = np.empty(n, np.uint8)
    for j in range(n):
        kk[j] = np.uint8(min(k[j], 255))
    for blk in prange(n_blocks):
        t0 = blk * _BLOCK
        t1 = min(T, t0 + _BLOCK)
        m = t1 - t0
        j = 0
        while j < n:
            out = bits[j >> 6, t0:t1]
            # a group of up to four cells within one word; missing ones repeat the first
            g = min(4, n - j, 64 - (j & 63))
            j1, j2, j3 = j + min(1, g - 1), j + min(2, g - 1), j + min(3, g - 1)
            q0, q1, q2, q3 = codes[cells[j], t0:t1], codes[cells[j1], t0:t1], codes[cells[j2], t0:t1], codes[cells[j3], t0:t1]
            k0, k1, k2, k3 = kk[j], kk[j1], kk[j2], kk[j3]
            s0, s1 = np.uint64(j & 63), np.uint64(j1 & 63)
            s2, s3 = np.uint64(j2 & 63), np.uint64(j3 & 63)
            for i in range(m):
                out[i] |= ((np.uint64(q0[i] > k0) << s0) | (np.uint64(q1[i] > k1) << s1)
                           | (np.uint64(q2[i] > k2) << s2) | (np.uint64(q3[i] > k3) << s3))
            j += g
        for j in range(n):
            if not ambiguous[j]:
                continue
            c = cells[j]
            q = codes[c, t0:t1]
            out = bits[j >> 6, t0:t1]
            shift = np.uint64(j & 63)
            kj = kk[j]
            tj = thr[j]
            for i in range(m):
                if q[i] == kj and _value(rows[t0 + i, c]) >= tj:
                    out[i] |= _ONE << shift
    return bits


@njit(cache=True, inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True)
def _overlap(acc, i, bits, a, b, doc_lo, doc_hi, pad_left, pad_right):
    """|cells in acc[i] that are also off in the pads before a and after b (inside the document)|."""
    W = bits.shape[0]
    total = 0
    lo = max(a - pad_left, doc_lo) if pad_left > 0 else a
    hi = min(b + pad_right, doc_hi) if pad_right > 0 else b
    for w in range(W):
        m = acc[i, w]
        for t in range(lo, a):
            m &= ~bits[w, t]
        for t in range(b, hi):
            m &= ~bits[w, t]
        total += _popcount(m)
    return total


@njit(cache=True)
def _scan_documents(bits, doc_starts, d0, d1, T, pad_left, pad_right, out_a, out_b, out_o, base):
    """Scan documents d0..d1-1, writing candidates from out[base]; returns how many."""
    W = bits.shape[0]
    depth = W * 64 + 2
    st_a = np.empty(depth, np.int64)       # open nodes: start,
    st_lo = np.empty(depth, np.int64)      # levels lo < k <= hi,
    st_hi = np.empty(depth, np.int64)
    acc = np.empty((depth, W), np.uint64)  # and AND of the bitsets inside so far
    full = ~np.uint64(0)
    n = base
    for d in range(d0, d1):
        doc_lo = doc_starts[d]
        doc_hi = doc_starts[d + 1] if d + 1 < len(doc_starts) else T
        sp = 0
        for t in range(doc_lo, doc_hi + 1):
            c = 0
            if t < doc_hi:
                for w in range(W):
                    c += _popcount(bits[w, t])
            # close the nodes above c (a node straddling c is split: its upper levels close)
            while sp > 0 and st_hi[sp - 1] > c:
                out_a[n] = st_a[sp - 1]
                out_b[n] = t
                if pad_left == 0 and pad_right == 0:  # the common case, a third of the scan's time
                    o = 0
                    for w in range(W):
                        o += _popcount(acc[sp - 1, w])
                    out_o[n] = o
                else:
                    out_o[n] = _overlap(acc, sp - 1, bits, st_a[sp - 1], t, doc_lo, doc_hi, pad_left, pad_right)
                n += 1
                if st_lo[sp - 1] >= c:
                    if sp > 1:
                        for w in range(W):
                            acc[sp - 2, w] &= acc[sp - 1, w]
                    sp -= 1
                else:
                    st_hi[sp - 1] = c
                    break
            if t == doc_hi:
                break
            top = st_hi[sp - 1] if sp > 0 else 0
            if c > top:
                st_a[sp] = t
                st_lo[sp] = top
                st_hi[sp] = c
                for w in range(W):
                    acc[sp, w] = full
                sp += 1
            if c > 0:
                for w in range(W):
                    acc[sp - 1, w] &= bits[w, t]
    return n - base


@njit(cache=True, parallel=True, nogil=True)
def scan_candidates(bits, doc_starts, T, pad_left, pad_right, n_groups):
    """Every candidate a:b with its overlap |S1 ∩ S2| (SPEC.md 3.1-3.3), as int32 arrays, and the
    longest candidate's length.

    Documents are independent (no candidate crosses one), so groups of them are scanned in parallel.
    A document of n tokens yields at most 2n + 1 candidates (a push and a split per position);
    the output buffers are virtual memory until written.
    """
    n_docs = len(doc_starts)
    n_groups = max(1, min(n_groups, n_docs))
    bounds = np.empty(n_groups + 1, np.int64)  # document index where each group starts
    bounds[0] = 0
    for g in range(1, n_groups):
        bounds[g] = max(bounds[g - 1], np.searchsorted(doc_starts, T * g // n_groups))
    bounds[n_groups] = n_docs
    base = np.empty(n_groups + 1, np.int64)
    base[0] = 0
    for g in range(n_groups):
        lo = doc_starts[bounds[g]] if bounds[g] < n_docs else T
        hi = doc_starts[bounds[g + 1]] if bounds[g + 1] < n_docs else T
        base[g + 1] = base[g] + 2 * (hi - lo) + (bounds[g + 1] - bounds[g])
    out_a = np.empty(base[n_groups], np.int32)
    out_b = np.empty(base[n_groups], np.int32)
    out_o = np.empty(base[n_groups], np.int32)
    counts = np.zeros(n_groups, np.int64)
    for g in prange(n_groups):
        counts[g] = _scan_documents(bits, doc_starts, bounds[g], bounds[g + 1], T, pad_left, pad_right,
                                    out_a, out_b, out_o, base[g])
    k = 0  # pack the groups' outputs to the front (k <= i, so in place), noting the longest range
    longest = 0
    for g in range(n_groups):
        for i in range(base[g], base[g] + counts[g]):
            out_a[k] = out_a[i]
            out_b[k] = out_b[i]
            out_o[k] = out_o[i]
            longest = max(longest, out_b[k] - out_a[k])
            k += 1
    return out_a[:k], out_b[:k], out_o[:k], longest


@njit(cache=True, parallel=True, nogil=True)
def s2_sizes(rows, thr, a, b, lo, hi):
    """|S2| for each candidate a[i]:b[i]: cells c with raw >= thr[c] throughout, and not in the pads
    lo[i]:a[i] and b[i]:hi[i] (the caller clips them to the document; empty when unconstrained)."""
    n = len(a)
    D = rows.shape[1]
    out = np.zeros(n, np.int64)
    for i in prange(n):
        alive = np.ones(D, np.bool_)
        for t in range(a[i], b[i]):
            x = rows[t]
            for c in range(D):
                alive[c] &= _value(x[c]) >= thr[c]
        for t in range(lo[i], a[i]):
            x = rows[t]
            for c in range(D):
                alive[c] &= not (_value(x[c]) >= thr[c])
        for t in range(b[i], hi[i]):
            x = rows[t]
            for c in range(D):
                alive[c] &= not (_value(x[c]) >= thr[c])
        out[i] = alive.sum()
    return out


@njit(cache=True, nogil=True)
def summarise(a, b, overlap, longest, size, min_length, max_length, top):
    """One pass over all candidates: the length histogram (strict, fuzzy), and the indices of the
    candidates that can reach the ranking's top (overlap >= 1, length in range, and overlap at or
    above the level where the top is full; top <= 0 keeps every one)."""
    n = len(a)
    # four interleaved copies of each counter: consecutive candidates mostly share a length, and
    # incrementing one counter in a row waits on its own previous store
    fuzzy4 = np.zeros((4, longest + 1), np.int64)
    strict4 = np.zeros((4, longest + 1), np.int64)
    level4 = np.zeros((4, size + 1), np.int64)
    for i in range(n):
        o = overlap[i]
        if o >= 1:
            r = i & 3
            length = b[i] - a[i]
            fuzzy4[r, length] += 1
            strict4[r, length] += o == size
            level4[r, o] += min_length <= length <= max_length
    fuzzy = fuzzy4.sum(axis=0)
    strict = strict4.sum(axis=0)
    per_level = level4.sum(axis=0)
    cutoff = 1
    if top > 0:
        seen = 0
        for level in range(size, 0, -1):
            seen += per_level[level]
            if seen >= top:
                cutoff = level
                break
    kept = 0
    for level in range(cutoff, size + 1):
        kept += per_level[level]
    idx = np.empty(kept, np.int64)
    k = 0
    for i in range(n):
        o = overlap[i]
        length = b[i] - a[i]
        if o >= cutoff and min_length <= length <= max_length:
            idx[k] = i
            k += 1
    return fuzzy, strict, idx
