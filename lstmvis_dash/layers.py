"""Per-layer access for the engine: everything select and match read from a layer's states.

The engine never touches a layer's storage; it asks the layer's access object (`Dataset.layer`):

    layer.thresholds(transform, level)     float32 (D,) raw thresholds r: on <=> raw >= r[c] (NaN: never)
    layer.on_bits(cells, thr)              uint64 (W, T): bit j of bits[j // 64, t] = cells[j] on at t
    layer.s2_sizes(thr, a, b, lo, hi)      int64 (n,): |S2| of candidates a:b, pads lo:a and b:hi
    layer.select(thr, start, stop, lo, hi) bool (D,): on throughout start:stop, off in lo:start, stop:hi
    layer.raw(start, stop)                 float32 (n, D) raw states
    layer.values(start, stop, transform)   float32 (n, D) transformed values
    layer.moments()                        cellstats.Moments (exact, mergeable: shards add them)
    layer.order_stats()                    cellstats.OrderStats (count_le, kth: shards combine them)
    layer.on_counts(positions, cells, thr) int64 per position: how many of `cells` are on

Pads are given already clipped to the document (empty ranges when unconstrained). Dense layers read
the index of `index.py`; other storage (sparse layers, shards) plugs in behind the same methods.
"""
from __future__ import annotations

import numpy as np

import numba

from . import kernels, sparse_kernels
from .cellstats import Moments, OrderStats, kth_over_parts
from .index_stats import layer_moments, layer_order
from .thresholds import (code_thresholds, quantile_ranks, ratio_float32, raw_thresholds, zscore_thresholds,
                         zscore_values)

_BLOCK_BYTES = 16 << 20


def cell_thresholds(transform: str, level: float, D: int, moments=None, orders=None) -> np.ndarray:
    """float32 (D,) raw thresholds of ℓ under `transform`; zscore needs the cells' Moments (over all
    positions), quantile a list of OrderStats (one per shard; together all positions)."""
    if transform == "zscore":
        mu, sigma = moments.mu_sigma()
        return zscore_thresholds(mu, sigma, level)
    if transform == "quantile":
        n = sum(o.n for o in orders)
        return kth_over_parts(orders, quantile_ranks(n, level))
    return raw_thresholds(transform, level, D)


def transform_values(raw: np.ndarray, transform: str, moments=None, orders=None) -> np.ndarray:
    """SPEC.md section 1 over raw states (n, D), with the statistics as in cell_thresholds."""
    if transform == "tanh":
        return np.tanh(raw)
    if transform == "zscore":
        mu, sigma = moments.mu_sigma()
        return zscore_values(raw, mu, sigma)
    if transform == "quantile":
        counts = sum(o.count_le(raw) for o in orders)     # NaN: -1 from every part
        n = sum(o.n for o in orders)
        v = ratio_float32(np.maximum(counts, 0), np.maximum(n, 1))
        return np.where(counts < 0, np.float32(np.nan), v).astype(np.float32)
    return raw


class _Layer:
    """What every storage shares: statistics, thresholds and values through a transform."""

    def __init__(self, arrays, transform: str):
        self.arrays = arrays
        self.transform = transform
        self.T, self.D = arrays.src.shape
        self._moments = self._order = None
        self._thresholds = {}          # (transform, float32 level) -> thr: a per-process cache

    @property
    def fingerprint(self) -> dict:
        return self.arrays.fingerprint

    def moments(self) -> Moments:
        if self._moments is None:
            self._moments = layer_moments(self.arrays)
        return self._moments

    def order_stats(self) -> OrderStats:
        if self._order is None:
            self._order = layer_order(self.arrays)
        return self._order

    def _stats(self, transform: str) -> dict:
        if transform == "zscore":
            return {"moments": self.moments()}
        if transform == "quantile":
            return {"orders": [self.order_stats()]}
        return {}

    def thresholds(self, transform: str, level: float) -> np.ndarray:
        key = (transform, float(np.float32(level)))
        thr = self._thresholds.get(key)
        if thr is None:
            thr = cell_thresholds(transform, level, self.D, **self._stats(transform))
            thr.setflags(write=False)
            if len(self._thresholds) > 256:
                self._thresholds.clear()
            self._thresholds[key] = thr
        return thr

    def prepare(self) -> None:
        """Builds ahead of time what queries through the layer's own transform read."""
        self._stats(self.transform)

    def values(self, start: int, stop: int, transform: str) -> np.ndarray:
        return transform_values(self.raw(start, stop), transform, **self._stats(transform))


class DenseLayer(_Layer):
    """A (T, D) layer stored dense: raw rows (T, D) and the uint8 column index (D, T)."""

    def on_bits(self, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        cells = np.asarray(cells, np.int64)
        k, ambiguous = code_thresholds(self.arrays.edges[cells], thr[cells])
        rows = kernels.as_kernel_rows(self.arrays.rows)
        with kernels.PARALLEL_LOCK:
            return kernels.on_bits(self.arrays.codes, cells, k, ambiguous, rows, thr[cells], self.T)

    def s2_sizes(self, thr, a, b, lo, hi) -> np.ndarray:
        rows = kernels.as_kernel_rows(self.arrays.rows)
        with kernels.PARALLEL_LOCK:
            return kernels.s2_sizes(rows, np.asarray(thr, np.float32), a, b, lo, hi)

    def select(self, thr, start: int, stop: int, lo: int, hi: int) -> np.ndarray:
        keep = np.ones(self.D, dtype=bool)
        self._fold(keep, start, stop, thr, on=True)
        self._fold(keep, lo, start, thr, on=False)
        self._fold(keep, stop, hi, thr, on=False)
        return keep

    def _fold(self, keep: np.ndarray, a: int, b: int, thr, on: bool) -> None:
        """keep &= (all on | all off) over rows a:b, in blocks of bounded memory, stopping early once
        no cell is left: a range as long as the dataset (a hostile URL, a long match adopted as
        hypothesis) costs at most a pass over it, never a (b - a, D) copy in memory."""
        rows = self.arrays.rows
        step = max(1, _BLOCK_BYTES // max(1, self.D * rows.dtype.itemsize))
        for s in range(a, b, step):
            if not keep.any():
                return
            with np.errstate(invalid="ignore"):
                block = np.asarray(rows[s:min(b, s + step)]) >= thr
            keep &= block.all(axis=0) if on else ~block.any(axis=0)

    def raw(self, start: int, stop: int) -> np.ndarray:
        return np.array(self.arrays.rows[start:stop], dtype=np.float32)

    def on_counts(self, positions: np.ndarray, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        """int64 per position: how many of `cells` are on there."""
        raw = np.asarray(self.arrays.rows[positions], np.float32)[:, cells]
        with np.errstate(invalid="ignore"):
            return (raw >= thr[cells]).sum(axis=1).astype(np.int64)


class SparseLayer(_Layer):
    """A (T, D) layer stored sparse (sparse.py): columns for S1 bitsets, rows for the rest."""

    def _rows(self):
        a = self.arrays
        return a.csr_indptr, a.csr_indices, kernels.as_kernel_rows(a.csr_data)

    def on_bits(self, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        a = self.arrays
        cells = np.asarray(cells, np.int64)
        with kernels.PARALLEL_LOCK:
            return sparse_kernels.sparse_on_bits(a.csc_indptr, a.csc_indices, kernels.as_kernel_rows(a.csc_data),
                                                 cells, np.ascontiguousarray(thr[cells]), self.T)

    def s2_sizes(self, thr, a, b, lo, hi) -> np.ndarray:
        with kernels.PARALLEL_LOCK:
            return sparse_kernels.sparse_s2_sizes(*self._rows(), np.asarray(thr, np.float32), a, b, lo, hi,
                                                  4 * numba.get_num_threads())

    def select(self, thr, start: int, stop: int, lo: int, hi: int) -> np.ndarray:
        return sparse_kernels.sparse_select(*self._rows(), np.asarray(thr, np.float32), start, stop, lo, hi)

    def raw(self, start: int, stop: int) -> np.ndarray:
        return sparse_kernels.sparse_rows(*self._rows(), start, stop, self.D)

    def on_counts(self, positions: np.ndarray, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        """int64 per position: how many of `cells` are on there (stored values, and the 0.0 of
        cells with thr <= 0 where nothing is stored)."""
        a = self.arrays
        positions = np.asarray(positions, np.int64)
        want = np.zeros(self.D, bool)
        want[cells] = True
        low = want & (thr <= 0)
        starts, stops = a.csr_indptr[positions], a.csr_indptr[positions + 1]
        owner = np.repeat(np.arange(len(positions)), stops - starts)
        entry = np.concatenate([np.arange(x, y) for x, y in zip(starts.tolist(), stops.tolist())] or [[]]).astype(np.int64)
        cols = np.asarray(a.csr_indices[entry], np.int64)
        vals = np.asarray(a.csr_data[entry], np.float32)
        with np.errstate(invalid="ignore"):
            on = want[cols] & (vals >= thr[cols])
        stored_low = low[cols]
        return (np.bincount(owner, weights=on, minlength=len(positions)).astype(np.int64) + int(low.sum())
                - np.bincount(owner, weights=stored_low, minlength=len(positions)).astype(np.int64))
