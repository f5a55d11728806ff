"""Selection and matching, exactly as SPEC.md sections 1-3 define them, over the whole dataset.

The threshold ℓ is turned into a threshold on the raw states once per query (thresholds.py), so no
query computes a transform over the data; the kernels (kernels.py) do the scanning.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numba import get_num_threads

from . import kernels
from .dataset import Dataset, check_range
from .thresholds import code_threshold, raw_threshold

TABLE_COLUMNS = ["start", "stop", "length", "overlap", "union"]
HISTOGRAM_COLUMNS = ["length", "strict", "fuzzy"]


def _check_threshold(threshold) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(threshold)):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    return float(threshold)


def _check_int(name: str, value, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        bound = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be in {bound}, got {value}")
    return value


def _check_layer(ds: Dataset, layer) -> str:
    ds.layer_source(layer)  # raises ValueError naming the layers
    return layer


def select(ds: Dataset, layer: str, start: int, stop: int, threshold: float,
           pad_left: int = 0, pad_right: int = 0) -> np.ndarray:
    """S1: cells on at every step of start:stop and off in the pads (SPEC.md section 2)."""
    _check_layer(ds, layer)
    T = len(ds)
    start, stop = check_range(start, stop, T, "selection")
    threshold = _check_threshold(threshold)
    pad_left = _check_int("pad_left", pad_left, 0, T)
    pad_right = _check_int("pad_right", pad_right, 0, T)
    thr = raw_threshold(ds.transform(layer), threshold)
    rows = ds.arrays(layer).rows
    keep = np.ones(rows.shape[1], dtype=bool)
    _fold_rows(keep, rows, start, stop, thr, on=True)
    if pad_left:
        lo = max(start - pad_left, ds.document_bounds(start)[0])
        _fold_rows(keep, rows, lo, start, thr, on=False)
    if pad_right:
        hi = min(stop + pad_right, ds.document_bounds(stop - 1)[1])
        _fold_rows(keep, rows, stop, hi, thr, on=False)
    return np.flatnonzero(keep).astype(np.int64)


_SELECT_BLOCK_BYTES = 16 << 20


def _fold_rows(keep: np.ndarray, rows, a: int, b: int, thr, on: bool) -> None:
    """keep &= (all on | all off) over rows a:b, in blocks of bounded memory, stopping early once no
    cell is left: a range as long as the dataset (a hostile URL, a long match adopted as hypothesis)
    costs at most a pass over it, never a (b - a, D) copy in memory."""
    step = max(1, _SELECT_BLOCK_BYTES // max(1, rows.shape[1] * rows.dtype.itemsize))
    for s in range(a, b, step):
        if not keep.any():
            return
        block = np.asarray(rows[s:min(b, s + step)]) >= thr
        keep &= block.all(axis=0) if on else ~block.any(axis=0)


@dataclass
class Matches:
    """The result of `match`: the ranked table and the length histogram of all candidates."""
    table: pd.DataFrame
    histogram: pd.DataFrame
    n_candidates: int = 0   # candidates of any length and overlap (the histogram's population)
    dataset: object = field(default=None, repr=False, compare=False)   # for the words in _repr_html_

    def _repr_html_(self) -> str:
        """A notebook shows the ranked matches as a table, with their words."""
        from .notebook import matches_html
        return matches_html(self, self.dataset)


def _empty_matches() -> Matches:
    return Matches(pd.DataFrame({c: pd.Series(dtype=np.int64) for c in TABLE_COLUMNS}),
                   pd.DataFrame({c: pd.Series(dtype=np.int64) for c in HISTOGRAM_COLUMNS}), 0)


def _check_cells(cells, D: int) -> np.ndarray:
    try:
        arr = np.asarray(list(cells) if not isinstance(cells, np.ndarray) else cells)
    except TypeError:
        raise ValueError(f"cells must be a list of cell ids in [0, {D}), got {cells!r}") from None
    if arr.size == 0:
        return np.zeros(0, np.int64)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or arr.dtype == bool:
        raise ValueError(f"cells must be a list of integer cell ids in [0, {D}), got {cells!r}")
    if arr.min() < 0 or arr.max() >= D:
        raise ValueError(f"cells must be in [0, {D}), got {int(arr.min())}..{int(arr.max())}")
    return np.unique(arr.astype(np.int64))


def candidates(ds: Dataset, layer: str, cells: np.ndarray, thr: np.float32, pad_left: int, pad_right: int):
    """(a, b, overlap) of every candidate range for the cell set (SPEC.md 3.1-3.3), and the longest."""
    arrays = ds.arrays(layer)
    k, ambiguous = code_threshold(arrays.edges, thr)
    rows = kernels.as_kernel_rows(arrays.rows)
    with kernels.PARALLEL_LOCK:
        bits = kernels.on_bits(arrays.codes, cells, k, ambiguous, rows, thr, len(ds))
        return kernels.scan_candidates(bits, ds.documents, len(ds), pad_left, pad_right, 4 * get_num_threads())


def match(ds: Dataset, layer: str, cells, threshold: float, pad_left: int = 0, pad_right: int = 0,
          min_length: int = 2, max_length: int | None = None, top: int | None = 50) -> Matches:
    """The ranked matches of a cell set over the whole dataset (SPEC.md section 3), exactly."""
    _check_layer(ds, layer)
    T, D = len(ds), ds.dims(layer)
    cells = _check_cells(cells, D)
    threshold = _check_threshold(threshold)
    pad_left = _check_int("pad_left", pad_left, 0, T)
    pad_right = _check_int("pad_right", pad_right, 0, T)
    min_length = _check_int("min_length", min_length, 1, T)
    max_length = T if max_length is None else _check_int("max_length", max_length, min_length, T)
    top = None if top is None else _check_int("top", top, 1)
    if len(cells) == 0:
        return replace(_empty_matches(), dataset=ds)

    thr = raw_threshold(ds.transform(layer), threshold)
    a, b, overlap, longest = candidates(ds, layer, cells, thr, pad_left, pad_right)
    size = len(cells)
    fuzzy, strict, idx = kernels.summarise(a, b, overlap, longest, size, min_length, max_length, top or 0)
    lengths = np.flatnonzero(fuzzy)
    histogram = pd.DataFrame({"length": lengths, "strict": strict[lengths], "fuzzy": fuzzy[lengths]})
    n_candidates = len(a)
    # the ranking is by overlap first: only the overlap levels that reach into the top need unions
    a, b, overlap = a[idx].astype(np.int64), b[idx].astype(np.int64), overlap[idx].astype(np.int64)
    length = b - a
    rows = ds.arrays(layer).rows
    doc_idx = np.searchsorted(ds.documents, a, side="right") - 1
    doc_lo = ds.documents[doc_idx]
    doc_hi = np.append(ds.documents, T)[doc_idx + 1]
    with kernels.PARALLEL_LOCK:
        s2 = kernels.s2_sizes(kernels.as_kernel_rows(rows), thr, a, b, doc_lo, doc_hi, pad_left, pad_right)
    union = size + s2 - overlap
    order = np.lexsort((a, -length, union, -overlap))
    if top is not None:
        order = order[:top]
    table = pd.DataFrame({"start": a[order], "stop": b[order], "length": length[order],
                          "overlap": overlap[order], "union": union[order]}).astype(np.int64)
    return Matches(table, histogram, n_candidates, dataset=ds)
