"""Compiled kernels for sparse layers (sparse.py): S1 bitsets from columns, |S2| and selections from
rows, exactly as the dense kernels (kernels.py) answer for the same states written dense.

A cell with raw threshold r > 0 is on only where a stored value is >= r; a cell with r <= 0 is on
at every position not stored (raw 0.0 >= r) and at stored values >= r; a cell with r NaN is never
on. So the work is proportional to the stored entries read, not to D.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import _lower_bound, _value
from .pool import run_parts, spans, threads

_T_BLOCK = 1 << 16
_ONE = np.uint64(1)


@njit(cache=True, nogil=True)
def _on_bits_part(col_indptr, col_rows, col_data, cells, thr, bits, blk0, blk1):
    n = len(cells)
    T = bits.shape[1]
    for blk in range(blk0, blk1):
        t0 = blk * _T_BLOCK
        t1 = min(T, t0 + _T_BLOCK)
        for j in range(n):
            r = thr[j]
            if r != r:
                continue
            c = cells[j]
            w = j >> 6
            bit = _ONE << np.uint64(j & 63)
            k1 = col_indptr[c + 1]
            k = _lower_bound(col_rows, col_indptr[c], k1, t0)
            if r > 0:
                while k < k1 and col_rows[k] < t1:
                    if _value(col_data[k]) >= r:
                        bits[w, col_rows[k]] |= bit
                    k += 1
            else:
                for t in range(t0, t1):
                    bits[w, t] |= bit
                while k < k1 and col_rows[k] < t1:
                    if not (_value(col_data[k]) >= r):
                        bits[w, col_rows[k]] &= ~bit
                    k += 1


def sparse_on_bits(col_indptr, col_rows, col_data, cells, thr, T):
    """bits[j // 64, t] bit j % 64: cell cells[j] on at t (thr[j] its raw threshold); blocks of
    positions at once, each finding its stretch of every column by binary search."""
    bits = np.zeros(((len(cells) + 63) // 64, T), np.uint64)
    n_blocks = (T + _T_BLOCK - 1) // _T_BLOCK
    run_parts(_on_bits_part, [(col_indptr, col_rows, col_data, cells, thr, bits, b0, b1)
                              for b0, b1 in spans(n_blocks, threads())])
    return bits


@njit(cache=True, nogil=True)
def _s2_part(row_indptr, row_cols, row_data, thr, a, b, lo, hi, n_low, out, i0, i1):
    D = len(thr)
    on_gen = np.zeros(D, np.int64)            # r > 0: positions on in the range (on_cnt)
    on_cnt = np.zeros(D, np.int64)
    off_gen = np.zeros(D, np.int64)           # r <= 0: off somewhere in the range
    pad_gen = np.zeros(D, np.int64)           # r <= 0: pad positions where it is off (pad_cnt)
    pad_cnt = np.zeros(D, np.int64)
    for i in range(i0, i1):
        g = i + 1
        killed = 0
        for t in range(a[i], b[i]):
            for k in range(row_indptr[t], row_indptr[t + 1]):
                c = row_cols[k]
                r = thr[c]
                x = _value(row_data[k])
                if r > 0:
                    if x >= r:
                        if on_gen[c] != g:
                            on_gen[c] = g
                            on_cnt[c] = 0
                        on_cnt[c] += 1
                elif r <= 0 and not (x >= r) and off_gen[c] != g:
                    off_gen[c] = g
                    killed += 1
        n_pad = (a[i] - lo[i]) + (hi[i] - b[i])
        for t0, t1 in ((lo[i], a[i]), (b[i], hi[i])):
            for t in range(t0, t1):
                for k in range(row_indptr[t], row_indptr[t + 1]):
                    c = row_cols[k]
                    r = thr[c]
                    x = _value(row_data[k])
                    if r > 0:
                        if x >= r and on_gen[c] == g:
                            on_cnt[c] = -1            # on in a pad
                    elif r <= 0 and not (x >= r):
                        if pad_gen[c] != g:
                            pad_gen[c] = g
                            pad_cnt[c] = 0
                        pad_cnt[c] += 1
        size = 0
        length = b[i] - a[i]
        t = a[i]
        for k in range(row_indptr[t], row_indptr[t + 1]):   # cells on throughout are on at a
            c = row_cols[k]
            if thr[c] > 0 and on_gen[c] == g and on_cnt[c] == length:
                size += 1
        if n_pad == 0:
            size += n_low - killed
        else:                                 # off at every pad position: stored at the first
            t = lo[i] if lo[i] < a[i] else b[i]
            for k in range(row_indptr[t], row_indptr[t + 1]):
                c = row_cols[k]
                if thr[c] <= 0 and pad_gen[c] == g and pad_cnt[c] == n_pad and off_gen[c] != g:
                    size += 1
        out[i] = size


def sparse_s2_sizes(row_indptr, row_cols, row_data, thr, a, b, lo, hi, n_chunks):
    """|S2| of each candidate a[i]:b[i] with pads lo[i]:a[i] and b[i]:hi[i] (already clipped).

    Scratch arrays over D are stamped with the candidate's number instead of cleared, so each
    candidate costs the entries of its rows, not D. Candidates go in chunks at once.
    """
    n_low = int((np.asarray(thr) <= 0).sum())   # cells with r <= 0: on wherever nothing is stored
    out = np.zeros(len(a), np.int64)
    run_parts(_s2_part, [(row_indptr, row_cols, row_data, thr, a, b, lo, hi, n_low, out, i0, i1)
                         for i0, i1 in spans(len(a), n_chunks)])
    return out


@njit(cache=True, nogil=True)
def sparse_select(row_indptr, row_cols, row_data, thr, a, b, lo, hi):
    """bool (D,): on at every t in a:b, off at every t in lo:a and b:hi (SPEC.md section 2)."""
    D = len(thr)
    on_cnt = np.zeros(D, np.int64)
    off_in = np.zeros(D, np.bool_)
    pad_on = np.zeros(D, np.bool_)
    pad_off = np.zeros(D, np.int64)
    for t in range(a, b):
        for k in range(row_indptr[t], row_indptr[t + 1]):
            c = row_cols[k]
            x = _value(row_data[k])
            if thr[c] > 0:
                if x >= thr[c]:
                    on_cnt[c] += 1
            elif not (x >= thr[c]):
                off_in[c] = True
    for t0, t1 in ((lo, a), (b, hi)):
        for t in range(t0, t1):
            for k in range(row_indptr[t], row_indptr[t + 1]):
                c = row_cols[k]
                x = _value(row_data[k])
                if x >= thr[c]:
                    pad_on[c] = True
                else:
                    pad_off[c] += 1
    n_pad = (a - lo) + (hi - b)
    keep = np.zeros(D, np.bool_)
    for c in range(D):
        r = thr[c]
        if r > 0:
            keep[c] = on_cnt[c] == b - a and not pad_on[c]
        elif r <= 0:
            keep[c] = not off_in[c] and pad_off[c] == n_pad
    return keep


@njit(cache=True, nogil=True)
def sparse_rows(row_indptr, row_cols, row_data, start, stop, D):
    """float32 (stop - start, D): the dense block of rows start:stop."""
    out = np.zeros((stop - start, D), np.float32)
    for t in range(start, stop):
        for k in range(row_indptr[t], row_indptr[t + 1]):
            out[t - start, row_cols[k]] = _value(row_data[k])
    return out
