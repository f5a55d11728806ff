"""Compiled kernels of the matching engine (numba). All of them compare raw states with a raw threshold.

A cell is on at t when `rows[t, c] >= thr` (the caller turns ℓ into the raw threshold `thr`).
Runs are the maximal on-stretches of one cell, split at document boundaries.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def count_runs(cols, cells, thr, doc_starts, T):
    """Number of on-runs of each selected cell (runs split at document starts)."""
    n = np.zeros(len(cells), np.int64)
    n_docs = len(doc_starts)
    for i in prange(len(cells)):
        x = cols[cells[i]]
        k = 0
        for d in range(n_docs):
            ds = doc_starts[d]
            de = doc_starts[d + 1] if d + 1 < n_docs else T
            prev = False
            for t in range(ds, de):
                on = x[t] >= thr
                k += on and not prev
                prev = on
        n[i] = k
    return n


@njit(cache=True, parallel=True)
def fill_runs(cols, cells, thr, doc_starts, T, offsets, pad_left, pad_right,
              run_start, run_end, left_ok, right_ok):
    """Start, end and pad flags of every run; cell i's runs go to offsets[i]:offsets[i+1].

    left_ok: the pad_left positions before the run (within its document) are all off.
    right_ok: the pad_right positions after the run (within its document) are all off.
    """
    n_docs = len(doc_starts)
    for i in prange(len(cells)):
        x = cols[cells[i]]
        k = offsets[i]
        for d in range(n_docs):
            ds = doc_starts[d]
            de = doc_starts[d + 1] if d + 1 < n_docs else T
            prev = False
            first = k
            for t in range(ds, de):
                on = x[t] >= thr
                if on and not prev:
                    run_start[k] = t
                if prev and not on:
                    run_end[k] = t
                    k += 1
                prev = on
            if prev:
                run_end[k] = de
                k += 1
            for r in range(first, k):
                s = run_start[r]
                e = run_end[r]
                lo = max(s - pad_left, ds)
                left_ok[r] = r == first or run_end[r - 1] <= lo
                hi = min(e + pad_right, de)
                right_ok[r] = r == k - 1 or run_start[r + 1] >= hi


@njit(cache=True)
def _bucket(times, T):
    """CSR buckets of run ids by time: ids at time t are order[ptr[t]:ptr[t+1]]."""
    ptr = np.zeros(T + 2, np.int64)
    for r in range(len(times)):
        ptr[times[r] + 1] += 1
    for t in range(T + 1):
        ptr[t + 1] += ptr[t]
    fill = ptr[:-1].copy()
    order = np.empty(len(times), np.int64)
    for r in range(len(times)):
        order[fill[times[r]]] = r
        fill[times[r]] += 1
    return ptr, order


@njit(cache=True)
def scan_candidates(run_start, run_end, left_ok, right_ok, doc_starts, T, n_cells, pad_left, pad_right):
    """All candidates (maximal runs of count >= k, any k, split at documents) with their overlap.

    Returns (a, b, overlap). Candidates come out ordered by their end b.
    """
    n_runs = len(run_start)
    sp, s_order = _bucket(run_start, T)
    ep, e_order = _bucket(run_end, T)
    cap = n_runs + 1
    out_a = np.empty(cap, np.int64)
    out_b = np.empty(cap, np.int64)
    out_o = np.empty(cap, np.int64)
    n_out = 0
    level_start = np.zeros(n_cells + 2, np.int64)
    act_s = np.empty(n_cells + 1, np.int64)     # active runs' starts, sorted
    act_f = np.empty(n_cells + 1, np.bool_)     # and their left_ok flags
    n_act = 0
    h = 0
    next_doc = 1
    n_docs = len(doc_starts)
    for t in range(T + 1):
        at_doc = t == T or (next_doc < n_docs and doc_starts[next_doc] == t)
        if at_doc and t < T:
            next_doc += 1
        n_new = n_act - (ep[t + 1] - ep[t]) + (sp[t + 1] - sp[t])
        lo = 1 if at_doc else n_new + 1
        # close levels lo..h: each distinct start is one candidate [start, t)
        if h >= lo:
            for k in range(lo, h + 1):
                a = level_start[k]
                if k > lo and a == level_start[k - 1]:
                    continue
                o = 0
                if pad_right > 0:
                    for j in range(ep[t], ep[t + 1]):
                        r = e_order[j]
                        if not right_ok[r]:
                            continue
                        if pad_left > 0:
                            o += run_start[r] == a and left_ok[r]
                        else:
                            o += run_start[r] <= a
                elif pad_left > 0:
                    i = np.searchsorted(act_s[:n_act], a)
                    while i < n_act and act_s[i] == a:
                        o += act_f[i]
                        i += 1
                else:
                    o = np.searchsorted(act_s[:n_act], a, side="right")
                out_a[n_out] = a
                out_b[n_out] = t
                out_o[n_out] = o
                n_out += 1
            h = lo - 1
        if t == T:
            break
        # runs ending at t leave the active set, runs starting at t join it (latest start: append)
        for j in range(ep[t], ep[t + 1]):
            r = e_order[j]
            s = run_start[r]
            i = np.searchsorted(act_s[:n_act], s)
            while act_f[i] != left_ok[r]:
                i += 1
            for m in range(i, n_act - 1):
                act_s[m] = act_s[m + 1]
                act_f[m] = act_f[m + 1]
            n_act -= 1
        for j in range(sp[t], sp[t + 1]):
            r = s_order[j]
            act_s[n_act] = t
            act_f[n_act] = left_ok[r]
            n_act += 1
        for k in range(h + 1, n_act + 1):
            level_start[k] = t
        h = n_act
    return out_a[:n_out], out_b[:n_out], out_o[:n_out]


@njit(cache=True, parallel=True)
def s2_sizes(rows, thr, a, b, doc_lo, doc_hi, pad_left, pad_right):
    """|S2| for each candidate a[i]:b[i]: cells on throughout, off in the pads (inside the document)."""
    n = len(a)
    D = rows.shape[1]
    out = np.zeros(n, np.int64)
    for i in prange(n):
        alive = np.ones(D, np.bool_)
        for t in range(a[i], b[i]):
            x = rows[t]
            for c in range(D):
                alive[c] &= x[c] >= thr
        if pad_left > 0:
            for t in range(max(a[i] - pad_left, doc_lo[i]), a[i]):
                x = rows[t]
                for c in range(D):
                    alive[c] &= not (x[c] >= thr)
        if pad_right > 0:
            for t in range(b[i], min(b[i] + pad_right, doc_hi[i])):
                x = rows[t]
                for c in range(D):
                    alive[c] &= not (x[c] >= thr)
        out[i] = alive.sum()
    return out
