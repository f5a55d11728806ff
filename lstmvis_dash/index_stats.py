"""The index's per-cell statistics, built on first use and kept beside the index (index.py):
exact moments (zscore), sorted values (quantile), an even sample's quantiles and the counts of
each code (threshold guidance). Each file carries the layer's fingerprint and is rebuilt with it.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .cellstats import Moments, OrderStats, as_bits, column_moment_bins, dense_moment_bins, new_bins
from .index import _BLOCK_BYTES, LayerArrays, SparseArrays, _locked, _read_meta, _sample_rows, _slug, _write_meta
from .kernels import as_kernel_rows
from .progress import Progress


def layer_moments(arrays: LayerArrays) -> Moments:
    """Exact per-cell moments over all T positions (cellstats.py), built once with one pass."""
    slug = _slug(arrays.src.id)
    path = arrays.idx / f"moments-{slug}.json"
    payload = _read_meta(path, arrays.fingerprint)
    if payload is None:
        with _locked(arrays.idx, slug + ".stats"):
            payload = _read_meta(path, arrays.fingerprint)
            if payload is None:
                payload = _moments_pass(arrays)
                _write_meta(path, arrays.fingerprint, payload)
    return Moments.from_json(payload)


def _moments_pass(arrays) -> dict:
    T, D = arrays.src.shape
    bins = new_bins(D)
    if isinstance(arrays, SparseArrays):
        column_moment_bins(arrays.csc_indptr, as_bits(arrays.csc_data), *bins)
        return Moments.from_bins(*bins, extra_n=T - np.diff(arrays.csc_indptr)).to_json()
    rows = arrays.rows
    step = max(1, _BLOCK_BYTES // (4 * D))
    with Progress(f"statistics of layer {arrays.src.id}", T) as bar:
        for s in range(0, T, step):
            block = as_bits(np.asarray(rows[s:s + step]))
            dense_moment_bins(block, *bins)
            bar.update(len(block))
    return Moments.from_bins(*bins).to_json()


def layer_order(arrays) -> OrderStats:
    """Each cell's values sorted (D, T), NaN last: the quantile transform's order statistics.
    Built on first use (a transposed copy the size of the rows, then one sort per cell)."""
    slug = _slug(arrays.src.id)
    path = arrays.idx / f"order-{slug}.npy"
    meta = path.with_suffix(".json")
    n_sorted = _read_meta(meta, arrays.fingerprint)
    if n_sorted is None:
        with _locked(arrays.idx, slug + ".order"):
            n_sorted = _read_meta(meta, arrays.fingerprint)
            if n_sorted is None:
                n_sorted = _build_order(arrays, path)
                _write_meta(meta, arrays.fingerprint, n_sorted)
    vals = np.load(path, mmap_mode="r")
    T, D = arrays.src.shape
    if isinstance(arrays, SparseArrays):
        stored = np.diff(arrays.csc_indptr)
        if vals.shape != (int(arrays.csc_indptr[-1]),):
            raise ValueError(f"order statistics of layer {arrays.src.id!r} in {arrays.idx} have the wrong "
                             "shape; delete them to rebuild")
        return OrderStats(as_kernel_rows(vals), arrays.csc_indptr[:-1].copy(), np.asarray(n_sorted, np.int64),
                          T - stored)
    if vals.shape != (D, T):
        raise ValueError(f"order statistics of layer {arrays.src.id!r} in {arrays.idx} have the wrong shape; "
                         "delete them to rebuild")
    return OrderStats(as_kernel_rows(vals).reshape(-1), np.arange(D, dtype=np.int64) * T,
                      np.asarray(n_sorted, np.int64), np.zeros(D, np.int64))


def _build_order(arrays, path: Path) -> list:
    if isinstance(arrays, SparseArrays):         # each column's stored values, sorted, NaN last
        indptr = arrays.csc_indptr
        vals = np.array(arrays.csc_data)
        n_sorted = []
        for c in range(len(indptr) - 1):
            col = np.sort(vals[indptr[c]:indptr[c + 1]])
            vals[indptr[c]:indptr[c + 1]] = col
            n_sorted.append(len(col) - int(np.isnan(col).sum()))
        np.save(path.with_suffix(".tmp.npy"), vals)
        os.replace(path.with_suffix(".tmp.npy"), path)
        return n_sorted
    rows = arrays.rows
    T, D = rows.shape
    tmp = path.with_suffix(".tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=rows.dtype, shape=(D, T))
    step = max(1, _BLOCK_BYTES // (4 * D))
    n_sorted = []
    with Progress(f"sorting layer {arrays.src.id}", 2 * T) as bar:
        for s in range(0, T, step):
            out[:, s:s + step] = np.asarray(rows[s:s + step]).T
            bar.update(min(step, T - s))
        for c in range(D):
            col = np.sort(np.asarray(out[c]))             # NaN last
            out[c] = col
            n_sorted.append(T - int(np.isnan(col).sum()))
            bar.update(T // D)
    out.flush()
    del out
    os.replace(tmp, path)
    return n_sorted


def layer_sketch(arrays, levels: np.ndarray) -> np.ndarray:
    """(len(levels), D) float32: each cell's quantiles at `levels` over an even sample of rows
    (index._sample_rows, up to 64 MB), NaN ignored; for dense layers without sorted values."""
    slug = _slug(arrays.src.id)
    path = arrays.idx / f"sketch-{slug}.json"
    key = {"levels": [float(x) for x in levels]}
    payload = _read_meta(path, {**arrays.fingerprint, **key})
    if payload is None:
        sample = _sample_rows(arrays.rows)
        with warnings.catch_warnings():                 # all-NaN cells give NaN quantiles
            warnings.simplefilter("ignore", RuntimeWarning)
            q = np.nanquantile(sample, levels, axis=0, method="inverted_cdf")
        payload = np.asarray(q, np.float32).tolist()
        _write_meta(path, {**arrays.fingerprint, **key}, payload)
    return np.asarray(payload, np.float32)


def layer_code_counts(arrays) -> np.ndarray:
    """int64 (D, 256): how many positions of each cell carry each code (one pass over the codes)."""
    slug = _slug(arrays.src.id)
    path = arrays.idx / f"codecounts-{slug}.npy"
    meta = path.with_suffix(".json")
    if _read_meta(meta, arrays.fingerprint) is None:
        codes = arrays.codes
        counts = np.zeros((codes.shape[0], 256), np.int64)
        for c in range(codes.shape[0]):
            counts[c] = np.bincount(np.asarray(codes[c]), minlength=256)
        np.save(path, counts)
        _write_meta(meta, arrays.fingerprint, True)
    return np.load(path)

