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

from . import kernels
from .dataset import Dataset, check_range
from .pool import scratch, threads
from .thresholds import check_transform

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


def on_counts(ds: Dataset, layer: str, positions, cells, threshold: float,
              transform: str | None = None) -> np.ndarray:
    """int64 per position: how many of `cells` are on there (SPEC.md section 1), e.g. to colour
    the words of match rows; any layer (dense or sparse), any transform."""
    _check_layer(ds, layer)
    transform = check_transform(transform, ds.transform(layer))
    T, D = len(ds), ds.dims(layer)
    positions = np.asarray(positions, dtype=np.int64).reshape(-1)
    if len(positions) and (positions.min() < 0 or positions.max() >= T):
        raise ValueError(f"positions must be in [0, {T}), got {int(positions.min())}..{int(positions.max())}")
    cells = _check_cells(cells, D)
    threshold = _check_threshold(threshold)
    if len(cells) == 0 or len(positions) == 0:
        return np.zeros(len(positions), np.int64)
    access = ds.layer(layer)
    return access.on_counts(positions, cells, access.thresholds(transform, threshold))


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


def candidates(ds: Dataset, layer: str, cells: np.ndarray, thr: np.ndarray, pad_left: int, pad_right: int,
               min_length: int, max_length: int):
    """(a, b, overlap, segments, tally) of every candidate range for the cell set (SPEC.md 3.1-3.3):
    the candidates are a[s:e], b[s:e], overlap[s:e] for each segment [s, e), counted for lengths
    min_length..max_length (kernels.scan_candidates). thr: the layer's per-cell raw thresholds
    (float32, D).

    The scan runs in chunks on every core (CHUNKS_PER_THREAD per engine thread, so that uneven
    chunks even out), cut inside documents too, with an exact merge of the runs crossing the cuts.
    On a dense layer without pads, where every cell's threshold is among its code edges (always on
    the slider's grid), each chunk makes its own bitsets as it goes; otherwise they are made first,
    and the cuts go where few cells are on.
    """
    access, T, n_chunks = ds.layer(layer), len(ds), CHUNKS_PER_THREAD * threads()
    source = access.bits_source(cells, thr)   # None: a layer that makes its bitsets its own way (sparse)
    if source is not None and not (pad_left or pad_right or source.ambiguous.any()):
        fill = source           # each chunk makes its bitsets as it scans (see kernels.scan_candidates)
        bits, cuts = kernels.empty_bits(len(cells), T), kernels.even_cuts(ds.documents, T, n_chunks)
    else:
        fill = None
        bits = access.on_bits(cells, thr) if source is None else kernels.on_bits(source, T)
        cuts = kernels.chunk_cuts(bits, ds.documents, T, n_chunks)
    return kernels.scan_candidates(bits, ds.documents, T, pad_left, pad_right, cuts, len(cells),
                                   min_length, max_length, fill=fill)


@dataclass
class PartResult:
    """The exact match on one folder (a dataset, or one shard of one): its ranked top rows and its
    histogram. Small whatever the data: it is what a cluster worker sends back."""
    table: np.ndarray      # (n <= top, 5) int64: start, stop, length, overlap, union; ranked
    lengths: np.ndarray    # histogram: lengths with a candidate of overlap >= 1,
    strict: np.ndarray     # their counts with overlap == |S1|,
    fuzzy: np.ndarray      # and with overlap >= 1
    n_candidates: int


def match_part(ds: Dataset, layer: str, cells: np.ndarray, thr: np.ndarray, pad_left: int, pad_right: int,
               min_length: int, max_length: int, top: int | None) -> PartResult:
    """SPEC.md section 3 on one folder, for arguments already checked and per-cell raw thresholds
    already known (`match` does both)."""
    T = len(ds)
    access = ds.layer(layer)
    size = len(cells)
    with scratch():     # the bitsets and candidates live in reused memory until the top is copied out
        a, b, overlap, segments, tally = candidates(ds, layer, cells, thr, pad_left, pad_right, min_length,
                                                    max_length)
        lengths, strict, fuzzy, idx = kernels.summarise(a, b, overlap, segments, tally, size, min_length,
                                                        max_length, top or 0)
        n_candidates = int((segments[:, 1] - segments[:, 0]).sum())
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
    table = np.stack([a[order], b[order], length[order], overlap[order], union[order]], axis=1)
    return PartResult(table.astype(np.int64), lengths, strict, fuzzy, n_candidates)


def merge_parts(parts: list[PartResult], offsets, top: int | None) -> Matches:
    """One ranking and one histogram from the parts of consecutive shards starting at `offsets`.

    Exact: the ranking's order is total and shifting a shard's positions keeps its order, so the
    global top is within the union of the shards' tops."""
    if len(parts) == 1 and int(offsets[0]) == 0:   # one folder: its part is ranked and counted already
        part = parts[0]
        table, uniq, strict, fuzzy = part.table, part.lengths, part.strict, part.fuzzy
    else:
        tables = []
        for part, offset in zip(parts, offsets):
            t = part.table.copy()
            t[:, :2] += int(offset)
            tables.append(t)
        table = np.concatenate(tables) if tables else np.zeros((0, 5), np.int64)
        order = np.lexsort((table[:, 0], -table[:, 2], table[:, 4], -table[:, 3]))
        table = table[order[:top] if top is not None else order]
        lengths = np.concatenate([p.lengths for p in parts]).astype(np.int64)
        uniq, where = np.unique(lengths, return_inverse=True)
        strict = np.bincount(where, np.concatenate([p.strict for p in parts]), len(uniq)).astype(np.int64)
        fuzzy = np.bincount(where, np.concatenate([p.fuzzy for p in parts]), len(uniq)).astype(np.int64)
    as_int = lambda x: np.asarray(x).astype(np.int64, copy=False)  # noqa: E731
    return Matches(pd.DataFrame(as_int(table), columns=TABLE_COLUMNS),
                   pd.DataFrame({"length": as_int(uniq), "strict": as_int(strict), "fuzzy": as_int(fuzzy)}),
                   int(sum(p.n_candidates for p in parts)))


def match(ds: Dataset, layer: str, cells, threshold: float, pad_left: int = 0, pad_right: int = 0,
          min_length: int = 2, max_length: int | None = None, top: int | None = 50,
          transform: str | None = None, client=None) -> Matches:
    """The ranked matches of a cell set over the whole dataset (SPEC.md section 3), exactly.

    A sharded dataset (SPEC.md section 7) is matched shard by shard, in this process or, with a
    dask.distributed `client`, on the cluster's workers (cluster.py); the parts are merged exactly.
    """
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

    thr = ds.layer(layer).thresholds(transform, threshold)
    args = (layer, cells, thr, pad_left, pad_right, min_length, max_length, top)
    shards = getattr(ds, "shards", None)
    if client is not None:
        from .cluster import match_on_cluster
        paths = ds.paths if shards is not None else [ds.folder]
        parts = match_on_cluster(client, paths, *args)
    elif shards is not None:
        parts = [match_part(shard, *args) for shard in shards]
    else:
        parts = [match_part(ds, *args)]
    return replace(merge_parts(parts, getattr(ds, "offsets", [0]), top), dataset=ds)
