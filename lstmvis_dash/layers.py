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
    layer.positions_on(cells, thr)         int64 per cell: at how many positions it is on
    layer.raw_quantiles(cells, levels)     ((n, q) raw quantiles, exact?) for threshold guidance

Pads are given already clipped to the document (empty ranges when unconstrained). Dense layers read
the index of `index.py`; other storage (sparse layers, shards) plugs in behind the same methods.
"""
from __future__ import annotations

import numpy as np

from . import kernels, sparse_kernels
from .cellstats import Moments, OrderStats, kth_over_parts
from .index_stats import layer_code_counts, layer_moments, layer_order, layer_sketch
from .pool import threads
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

    def raw_quantiles(self, cells: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, bool]:
        """((n, q) raw values of `cells` at quantile `levels`: the ceil(level * n)-th smallest, the
        least at level 0; exact?), from the order statistics."""
        return _order_quantiles([self.order_stats()], cells, levels), True

    def values(self, start: int, stop: int, transform: str) -> np.ndarray:
        return transform_values(self.raw(start, stop), transform, **self._stats(transform))

    def bits_source(self, cells: np.ndarray, thr: np.ndarray):
        """What the scan can make the S1 bitsets from itself (dense layers), else None: on_bits makes them."""
        return None


def _order_quantiles(orders: list, cells: np.ndarray, levels: np.ndarray) -> np.ndarray:
    n = sum(o.n for o in orders)
    out = np.empty((len(cells), len(levels)), np.float32)
    for j, level in enumerate(levels):
        m = np.where(n > 0, np.maximum(1, np.ceil(level * n)), 0).astype(np.int64)
        out[:, j] = kth_over_parts(orders, m)[cells]
    return out


class DenseLayer(_Layer):
    """A (T, D) layer stored dense: raw rows (T, D) and the uint8 column index (D, T)."""

    def raw_quantiles(self, cells: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, bool]:
        """Exact once the sorted values exist (quantile was used), else from an even sample of rows."""
        if self._order is not None:
            return super().raw_quantiles(cells, levels)
        return layer_sketch(self.arrays, levels)[:, cells].T, False

    def positions_on(self, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        """int64: at how many positions each cell is on, exactly: the codes above its k from the
        code counts, and the positions of the ambiguous code whose raw value reaches the threshold."""
        counts = layer_code_counts(self.arrays)[cells]
        k, ambiguous = code_thresholds(self.arrays.edges[cells], thr[cells])
        on = np.array([counts[i, k[i] + 1:].sum() for i in range(len(cells))], np.int64)
        for i in np.flatnonzero(ambiguous & (counts[np.arange(len(cells)), np.minimum(k, 255)] > 0)):
            c = int(cells[i])
            where = np.flatnonzero(np.asarray(self.arrays.codes[c]) == k[i])
            with np.errstate(invalid="ignore"):
                on[i] += int((np.asarray(self.arrays.rows[where, c], np.float32) >= thr[c]).sum())
        return on

    def bits_source(self, cells: np.ndarray, thr: np.ndarray) -> kernels.BitsSource:
        """What the S1 bitsets are made from: the index's codes, and the rows where a code is ambiguous."""
        cells = np.asarray(cells, np.int64)
        k, ambiguous = code_thresholds(self.arrays.edges[cells], thr[cells])
        return kernels.bits_source(self.arrays.codes, cells, k, ambiguous, self.arrays.rows, thr[cells])

    def on_bits(self, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        return kernels.on_bits(self.bits_source(cells, thr), self.T)

    def s2_sizes(self, thr, a, b, lo, hi) -> np.ndarray:
        rows = kernels.as_kernel_rows(self.arrays.rows)
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

    def positions_on(self, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        a = self.arrays
        out = np.zeros(len(cells), np.int64)
        for i, c in enumerate(np.asarray(cells).tolist()):
            vals = np.asarray(a.csc_data[a.csc_indptr[c]:a.csc_indptr[c + 1]], np.float32)
            with np.errstate(invalid="ignore"):
                on = int((vals >= thr[c]).sum())
            out[i] = on + (self.T - len(vals) if thr[c] <= 0 else 0)
        return out

    def _rows(self):
        a = self.arrays
        return a.csr_indptr, a.csr_indices, kernels.as_kernel_rows(a.csr_data)

    def on_bits(self, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        a = self.arrays
        cells = np.asarray(cells, np.int64)
        return sparse_kernels.sparse_on_bits(a.csc_indptr, a.csc_indices, kernels.as_kernel_rows(a.csc_data),
                                             cells, np.ascontiguousarray(thr[cells]), self.T)

    def s2_sizes(self, thr, a, b, lo, hi) -> np.ndarray:
        return sparse_kernels.sparse_s2_sizes(*self._rows(), np.asarray(thr, np.float32), a, b, lo, hi,
                                              4 * threads())

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


class ShardedLayer(_Layer):
    """One layer over consecutive shards (SPEC.md section 7): statistics over all shards together
    (moments added, order statistics combined), each read done by the shards' own access objects
    in their local positions. `arrays` is the sharded dataset's view (fingerprint, dense rows)."""

    def __init__(self, parts: list, offsets: np.ndarray, transform: str, arrays):
        self.parts, self.offsets = parts, np.asarray(offsets, np.int64)
        self.arrays, self.transform = arrays, transform
        self.T, self.D = int(self.offsets[-1]), parts[0].D
        self._moments = None
        self._thresholds = {}

    def moments(self) -> Moments:
        if self._moments is None:
            self._moments = sum((p.moments() for p in self.parts[1:]), self.parts[0].moments())
        return self._moments

    def _stats(self, transform: str) -> dict:
        if transform == "quantile":
            return {"orders": [p.order_stats() for p in self.parts]}
        return super()._stats(transform)

    def prepare(self) -> None:
        for p in self.parts:
            p.prepare()

    def raw_quantiles(self, cells: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, bool]:
        """Exact over all shards from their order statistics when every shard has them (sparse
        layers, or after quantile was used), else the shards' sample quantiles pooled by weight."""
        if all(isinstance(p, SparseLayer) or p._order is not None for p in self.parts):
            return _order_quantiles([p.order_stats() for p in self.parts], cells, levels), True
        pooled = [p.raw_quantiles(cells, levels)[0] for p in self.parts]          # (n, q) each
        weights = np.concatenate([np.full(len(levels), p.T / len(levels)) for p in self.parts])
        out = np.empty((len(cells), len(levels)), np.float32)
        for i in range(len(cells)):
            vals = np.concatenate([q[i] for q in pooled])
            ok = ~np.isnan(vals)
            order = np.argsort(vals[ok], kind="stable")
            cdf = np.cumsum(weights[ok][order])
            out[i] = vals[ok][order][np.minimum(np.searchsorted(cdf, levels * cdf[-1]), len(order) - 1)] \
                if ok.any() else np.nan
        return out, False

    def positions_on(self, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        return sum(p.positions_on(cells, thr) for p in self.parts)

    def _local(self, i: int, *positions):
        o, o2 = int(self.offsets[i]), int(self.offsets[i + 1])
        return [min(max(int(x), o), o2) - o for x in positions]

    def on_bits(self, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        return np.concatenate([p.on_bits(cells, thr) for p in self.parts], axis=1)

    def s2_sizes(self, thr, a, b, lo, hi) -> np.ndarray:
        """Candidates and their pads never cross a shard (shards start at documents)."""
        a = np.asarray(a, np.int64)
        out = np.zeros(len(a), np.int64)
        shard = np.searchsorted(self.offsets, a, side="right") - 1
        for i in np.unique(shard).tolist():
            k = shard == i
            o = self.offsets[i]
            out[k] = self.parts[i].s2_sizes(thr, a[k] - o, np.asarray(b)[k] - o, np.asarray(lo)[k] - o,
                                            np.asarray(hi)[k] - o)
        return out

    def select(self, thr, start: int, stop: int, lo: int, hi: int) -> np.ndarray:
        """Each shard holding part of lo:hi folds its part (a range may cross documents and shards)."""
        keep = np.ones(self.D, dtype=bool)
        for i, p in enumerate(self.parts):
            if self.offsets[i] < hi and lo < self.offsets[i + 1]:
                keep &= p.select(thr, *self._local(i, start, stop, lo, hi))
        return keep

    def raw(self, start: int, stop: int) -> np.ndarray:
        pieces = [p.raw(*self._local(i, start, stop)) for i, p in enumerate(self.parts)
                  if self.offsets[i] < stop and start < self.offsets[i + 1]]
        return np.concatenate(pieces, axis=0)

    def on_counts(self, positions: np.ndarray, cells: np.ndarray, thr: np.ndarray) -> np.ndarray:
        positions = np.asarray(positions, np.int64)
        out = np.zeros(len(positions), np.int64)
        shard = np.searchsorted(self.offsets, positions, side="right") - 1
        for i in np.unique(shard).tolist():
            k = shard == i
            out[k] = self.parts[i].on_counts(positions[k] - self.offsets[i], cells, thr)
        return out
