"""Selection and matching, exactly as SPEC.md sections 1-3 define them, over the whole dataset.

The threshold ℓ is turned into one raw threshold per cell once per query (thresholds.py), so no
query computes a transform over the data; the layer's access object (layers.py) reads the states
and the kernels (kernels.py) do the scanning.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from numba import get_num_threads

from . import kernels
from .dataset import Dataset, check_range
from .thresholds import check_transform, raw_threshold  # noqa: F401 (raw_threshold: ui/match_figures)

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
           pad_left: int = 0, pad_right: int = 0, transform: str | None = None) -> np.ndarray:
    """S1: cells on at every step of start:stop and off in the pads (SPEC.md section 2)."""
    _check_layer(ds, layer)
    transform = check_transform(transform, ds.transform(layer))
    T = len(ds)
    start, stop = check_range(start, stop, T, "selection")
    threshold = _check_threshold(threshold)
    pad_left = _check_int("pad_left", pad_left, 0, T)
    pad_right = _check_int("pad_right", pad_right, 0, T)
    access = ds.layer(layer)
    thr = access.thresholds(transform, threshold)
    lo = max(start - pad_left, ds.document_bounds(start)[0]) if pad_left else start
    hi = min(stop + pad_right, ds.document_bounds(stop - 1)[1]) if pad_right else stop
    return np.flatnonzero(access.select(thr, start, stop, lo, hi)).astype(np.int64)


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


CHUNKS_PER_THREAD = 4


def candidates(ds: Dataset, layer: str, cells: np.ndarray, thr: np.ndarray, pad_left: int, pad_right: int):
    """(a, b, overlap) of every candidate range for the cell set (SPEC.md 3.1-3.3).
    thr: the layer's per-cell raw thresholds (float32, D).

    The scan runs in chunks on every core (CHUNKS_PER_THREAD per numba thread, so that uneven
    chunks even out), cut inside documents too, with an exact merge of the runs crossing the cuts.
    """
    bits = ds.layer(layer).on_bits(cells, thr)
    with kernels.PARALLEL_LOCK:
        cuts = kernels.chunk_cuts(bits, ds.documents, len(ds), CHUNKS_PER_THREAD * get_num_threads())
        return kernels.scan_candidates(bits, ds.documents, len(ds), pad_left, pad_right, cuts)


def match(ds: Dataset, layer: str, cells, threshold: float, pad_left: int = 0, pad_right: int = 0,
          min_length: int = 2, max_length: int | None = None, top: int | None = 50,
          transform: str | None = None) -> Matches:
    """The ranked matches of a cell set over the whole dataset (SPEC.md section 3), exactly."""
    _check_layer(ds, layer)
    transform = check_transform(transform, ds.transform(layer))
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

    access = ds.layer(layer)
    thr = access.thresholds(transform, threshold)
    a, b, overlap = candidates(ds, layer, cells, thr, pad_left, pad_right)
    size = len(cells)
    with kernels.PARALLEL_LOCK:
        lengths, strict, fuzzy, idx = kernels.summarise(a, b, overlap, size, min_length, max_length, top or 0,
                                                        CHUNKS_PER_THREAD * get_num_threads())
    histogram = pd.DataFrame({"length": lengths, "strict": strict, "fuzzy": fuzzy})
    n_candidates = len(a)
    # the ranking is by overlap first: only the overlap levels that reach into the top need unions
    a, b, overlap = a[idx].astype(np.int64), b[idx].astype(np.int64), overlap[idx].astype(np.int64)
    length = b - a
    doc_idx = np.searchsorted(ds.documents, a, side="right") - 1
    lo = np.maximum(a - pad_left, ds.documents[doc_idx]) if pad_left else a
    hi = np.minimum(b + pad_right, np.append(ds.documents, T)[doc_idx + 1]) if pad_right else b
    s2 = access.s2_sizes(thr, a, b, lo, hi)
    union = size + s2 - overlap
    order = np.lexsort((a, -length, union, -overlap))
    if top is not None:
        order = order[:top]
    table = pd.DataFrame({"start": a[order], "stop": b[order], "length": length[order],
                          "overlap": overlap[order], "union": union[order]}).astype(np.int64)
    return Matches(table, histogram, n_candidates, dataset=ds)
