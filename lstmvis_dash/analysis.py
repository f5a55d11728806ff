"""Follow-up analysis (paper section 6.2, Figure 7): the S1 pattern of every annotated range, and PCA.

    pats = patterns(ds, "cell2", "token_type", value=["string", "comment"], threshold=0.3)
    pats.matrix      # bool (n_ranges, D): row i is the S1 that lv.select gives for range i
    pats.labels      # the annotation value of each range
    proj = project(pats)          # PCA with numpy (SVD)
    proj.coords      # (n_ranges, 2)

A **range** is a maximal run of positions with one and the same annotation value, split at
document boundaries: each string literal, each comment, each stretch at one bracket depth. Its
**pattern** is the set of cells on at every position of the range, i.e. exactly
`lv.select(ds, layer, start, stop, threshold)` (no padding), as a boolean row.

Built for an interactive view: one pass over the annotation codes finds the ranges, and the
patterns are minima over all ranges at once (`np.minimum.reduceat`) of the index's uint8 codes
(exact for thresholds on the slider grid), falling back to the raw rows compared with the raw
threshold of ℓ (thresholds.py) only where a code cannot decide, so no transform is computed.
Data are read in blocks, so memory is bounded by the block, not by T.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .dataset import Dataset
from .thresholds import code_thresholds

_BLOCK_ROWS_BYTES = 64 << 20     # bytes of codes / float32 rows read at once


@dataclass
class Patterns:
    """The on-patterns of the annotated ranges of one layer at one threshold (see module doc)."""
    layer: str
    annotation: str
    threshold: float
    matrix: np.ndarray          # bool (n, D)
    labels: list                # annotation value of each range (the annotation's value type)
    starts: np.ndarray          # int64 (n,)
    stops: np.ndarray           # int64 (n,), ranges are starts[i]:stops[i]
    texts: list                 # the tokens of each range, joined
    n_ranges_total: int = 0     # ranges found before max_ranges thinned them

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def lengths(self) -> np.ndarray:
        return self.stops - self.starts

    def cells(self, i: int) -> np.ndarray:
        """Cell ids of range i's pattern: what lv.select returns for starts[i]:stops[i]."""
        return np.flatnonzero(self.matrix[i]).astype(np.int64)

    def frame(self, projection: "Projection | None" = None) -> pd.DataFrame:
        """One row per range: start, stop, length, label, text, n_on (+ x, y, ... of a projection)."""
        df = pd.DataFrame({"start": self.starts, "stop": self.stops, "length": self.lengths,
                           "label": self.labels, "text": self.texts,
                           "n_on": self.matrix.sum(axis=1).astype(np.int64)})
        if projection is not None:
            if len(projection.coords) != len(self):
                raise ValueError(f"projection has {len(projection.coords)} rows for {len(self)} ranges")
            for k, name in enumerate(["x", "y", "z"][:projection.coords.shape[1]]):
                df[name] = projection.coords[:, k]
        return df


@dataclass
class Projection:
    """PCA of a pattern matrix: coords = (X - mean) @ components.T."""
    coords: np.ndarray                      # (n, k)
    components: np.ndarray                  # (k, D), unit rows; the largest |loading| is positive
    mean: np.ndarray                        # (D,)
    explained_variance: np.ndarray          # (k,), with n - 1 in the denominator
    explained_variance_ratio: np.ndarray    # (k,), of the total variance (0 when there is none)
    labels: list = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# argument checks (ValueError naming the argument and what is allowed)


def _check_int(name: str, value, lo: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {lo}, got {value!r}")
    if int(value) < lo:
        raise ValueError(f"{name} must be an integer >= {lo}, got {value}")
    return int(value)


def _check_threshold(threshold) -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(threshold)):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    return float(threshold)


def _same_value(label, v) -> bool:
    """label == v, except that a bool only equals a bool (True is not the depth 1)."""
    if isinstance(label, bool) or isinstance(v, (bool, np.bool_)):
        return isinstance(label, bool) and isinstance(v, (bool, np.bool_)) and label == bool(v)
    try:
        return bool(label == v)
    except (TypeError, ValueError):
        return False


def _wanted_codes(ds: Dataset, annotation: str, value) -> np.ndarray | None:
    """Category ids of the chosen value(s); None for every value."""
    if value is None:
        return None
    labels = ds.annotation_labels(annotation)
    values = list(value) if isinstance(value, (list, tuple, set, frozenset, np.ndarray)) else [value]
    if not values:
        raise ValueError(f"value must name at least one value of annotation {annotation!r}")
    codes = []
    for v in values:
        hits = [k for k, lab in enumerate(labels) if _same_value(lab, v)]
        if not hits:
            shown = labels if len(labels) <= 30 else labels[:30] + ["..."]
            raise ValueError(f"value {v!r} is not a value of annotation {annotation!r}; values are {shown}")
        codes.extend(hits)
    return np.unique(np.asarray(codes, dtype=np.int64))


# ----------------------------------------------------------------------------------------------


def annotated_ranges(ds: Dataset, annotation: str, value=None, min_length: int = 1):
    """(starts, stops, codes) of the maximal runs of one annotation value, split at documents.

    `value`: one value or a list of values of the categorical annotation; None for every value.
    Runs shorter than `min_length` are left out. Sorted by start.
    """
    ds.annotation_source(annotation)           # ValueError naming the annotations
    if ds.annotation_kind(annotation) != "categorical":
        raise ValueError(f"annotation {annotation!r} is {ds.annotation_kind(annotation)}; "
                         f"patterns need a categorical annotation")
    min_length = _check_int("min_length", min_length, 1)
    wanted = _wanted_codes(ds, annotation, value)
    codes = np.asarray(ds.annotation_codes(annotation))
    T = len(codes)
    brk = np.ones(T, dtype=bool)
    brk[1:] = codes[1:] != codes[:-1]
    docs = np.asarray(ds.documents, dtype=np.int64)
    brk[docs[(docs >= 0) & (docs < T)]] = True
    starts = np.flatnonzero(brk)
    stops = np.append(starts[1:], T)
    run_codes = codes[starts]
    keep = (stops - starts) >= min_length
    if wanted is not None:
        keep &= np.isin(run_codes, wanted)
    return starts[keep].astype(np.int64), stops[keep].astype(np.int64), run_codes[keep]


def _block_mins(source, starts, stops, block: int, transposed: bool, dtype):
    """Yields (i, j, mins): mins (j - i, D) = minimum of source over each range starts[k]:stops[k],
    k = i … j-1, one np.minimum.reduceat per block of about `block` positions (a single range
    longer than a block is read on its own). `source` is (T, D), or (D, T) when `transposed`."""
    i, n = 0, len(starts)
    while i < n:
        lo = int(starts[i])
        j = max(int(np.searchsorted(stops, lo + block, side="right")), i + 1)
        hi = int(stops[j - 1])
        chunk = np.asarray(source[:, lo:hi] if transposed else source[lo:hi], dtype=dtype)
        idx = np.empty(2 * (j - i), dtype=np.int64)
        idx[0::2] = starts[i:j] - lo
        idx[1::2] = stops[i:j] - lo
        if idx[-1] == hi - lo:                  # reduceat's last segment runs to the end anyway
            idx = idx[:-1]
        if transposed:
            mins = np.minimum.reduceat(chunk, idx, axis=1)[:, 0::2].T
        else:
            mins = np.minimum.reduceat(chunk, idx, axis=0)[0::2]
        yield i, j, mins
        i = j


def _raw_patterns(rows, starts, stops, thr: np.ndarray, out: np.ndarray) -> None:
    block = max(1, _BLOCK_ROWS_BYTES // (4 * rows.shape[1]))
    for i, j, mins in _block_mins(rows, starts, stops, block, False, np.float32):
        with np.errstate(invalid="ignore"):
            out[i:j] = mins >= thr              # a NaN in a range makes its min NaN: off


def range_patterns(ds: Dataset, layer: str, starts: np.ndarray, stops: np.ndarray,
                   threshold: float) -> np.ndarray:
    """bool (n, D): cells on at every position of each range starts[i]:stops[i] (lv.select, no pads).

    Ranges must be non-empty, sorted by start and not overlapping. Reads the index's uint8 codes
    (D, T), which decide every cell exactly when ℓ is on the threshold grid (the slider's steps);
    off the grid, only ranges whose minimum code sits on the ambiguous code are re-read from the
    raw float rows. Either way the answer is the exact one.
    """
    ds.layer_source(layer)
    threshold = _check_threshold(threshold)
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    D = ds.dims(layer)
    out = np.zeros((len(starts), D), dtype=bool)
    if len(starts) == 0:
        return out
    if np.any(stops <= starts) or np.any(starts[1:] < stops[:-1]) or starts[0] < 0 or stops[-1] > len(ds):
        raise ValueError("ranges must be non-empty, sorted, non-overlapping and inside the data")
    layer_access = ds.layer(layer)
    thr = layer_access.thresholds(ds.transform(layer), threshold)
    arrays = layer_access.arrays
    if not hasattr(arrays, "codes"):            # a sparse layer: each range from its rows
        for i, (a, b) in enumerate(zip(starts.tolist(), stops.tolist())):
            out[i] = layer_access.select(thr, a, b, a, b)
        return out
    k, ambiguous = code_thresholds(arrays.edges, thr)
    unsure = np.zeros(len(starts), dtype=bool)
    block = max(1, _BLOCK_ROWS_BYTES // D)
    for i, j, mins in _block_mins(arrays.codes, starts, stops, block, True, np.uint8):
        out[i:j] = mins > k
        unsure[i:j] = ((mins == k) & ambiguous).any(axis=1)
    if unsure.any():
        sub = np.zeros((int(unsure.sum()), D), dtype=bool)
        _raw_patterns(arrays.rows, starts[unsure], stops[unsure], thr, sub)
        out[unsure] = sub
    return out


def patterns(ds: Dataset, layer: str, annotation: str, value=None, threshold: float = 0.3,
             min_length: int = 1, max_ranges: int | None = None, sep: str | None = None) -> Patterns:
    """The S1 pattern of every maximal range carrying the chosen annotation value(s).

    - `value`: one value or a list of values of the categorical `annotation` (e.g. "string",
      ["string", "comment"], 2); None takes every value. Adjacent ranges of different chosen values
      stay separate ranges.
    - `threshold`: ℓ of lv.select; row i of the matrix is `lv.select(ds, layer, starts[i],
      stops[i], threshold)` as a boolean row over all D cells.
    - `min_length`: leave out ranges shorter than this.
    - `max_ranges`: keep at most this many ranges, evenly spread over the dataset in position order
      (deterministic); `n_ranges_total` tells how many there were.
    - `sep`: joins a range's tokens into its text; default "" when every token is a single
      character (character-level data), else " ".
    Bad arguments raise ValueError naming the argument.
    """
    ds.layer_source(layer)                      # ValueError naming the layers
    threshold = _check_threshold(threshold)
    if max_ranges is not None:
        max_ranges = _check_int("max_ranges", max_ranges, 1)
    if sep is not None and not isinstance(sep, str):
        raise ValueError(f"sep must be a string or None, got {sep!r}")
    starts, stops, codes = annotated_ranges(ds, annotation, value, min_length)
    total = len(starts)
    if max_ranges is not None and total > max_ranges:
        pick = np.unique(np.linspace(0, total - 1, max_ranges).round().astype(np.int64))
        starts, stops, codes = starts[pick], stops[pick], codes[pick]
    matrix = range_patterns(ds, layer, starts, stops, threshold)
    labels_all = ds.annotation_labels(annotation)
    labels = [labels_all[c] for c in codes.tolist()]
    vocab = ds.vocab
    if sep is None:
        sep = "" if all(len(str(v)) <= 1 for v in vocab.tolist()) else " "
    ids = ds.token_ids
    texts = [sep.join(vocab[ids[a:b]].tolist()) for a, b in zip(starts.tolist(), stops.tolist())]
    return Patterns(layer=layer, annotation=annotation, threshold=threshold, matrix=matrix,
                    labels=labels, starts=starts, stops=stops, texts=texts, n_ranges_total=total)


def project(patterns, n_components: int = 2) -> Projection:
    """PCA of a `Patterns` (or any 2-D array, rows = samples) with numpy: the SVD of the centred
    matrix, or the eigenvectors of its D x D scatter matrix when ranges outnumber cells 4 to 1
    (the same components, cheaper).

    coords = (X - mean) @ components.T; each component's sign is fixed so that its largest
    |loading| is positive, so the same data always gives the same picture.
    """
    if isinstance(patterns, Patterns):
        X, labels = patterns.matrix, list(patterns.labels)
    else:
        X, labels = patterns, []
        if not hasattr(X, "ndim"):
            try:
                X = np.asarray(X, dtype=np.float64)
            except (TypeError, ValueError):
                raise ValueError("patterns must be a Patterns or a 2-D numeric array") from None
    X = np.asarray(X)
    if X.ndim != 2 or X.dtype.kind not in "biuf":
        raise ValueError(f"patterns must be a Patterns or a 2-D numeric array, got shape {X.shape} "
                         f"dtype {X.dtype}")
    n, D = X.shape
    if n == 0 or D == 0:
        raise ValueError(f"patterns must have at least one range and one cell, got shape {X.shape}")
    n_components = _check_int("n_components", n_components, 1)
    if n_components > min(n, D):
        raise ValueError(f"n_components must be in [1, {min(n, D)}] (ranges x cells is {n} x {D}), "
                         f"got {n_components}")
    X = X.astype(np.float64)
    mean = X.mean(axis=0)
    Xc = X - mean
    if n > 4 * D:       # many ranges: the D x D scatter matrix is cheaper; same subspace
        ev, V = np.linalg.eigh(Xc.T @ Xc)
        order = np.argsort(ev)[::-1][:n_components]
        S2 = np.clip(ev[order], 0, None)
        comps = V[:, order].T
    else:
        _, S, Vt = np.linalg.svd(Xc, full_matrices=False)
        S2 = S[:n_components] ** 2
        comps = Vt[:n_components]
    big = np.argmax(np.abs(comps), axis=1)
    signs = np.sign(comps[np.arange(n_components), big])
    signs[signs == 0] = 1
    comps = comps * signs[:, None]
    coords = Xc @ comps.T
    var = S2 / max(n - 1, 1)
    total = float((Xc ** 2).sum()) / max(n - 1, 1)
    ratio = var / total if total > 0 else np.zeros_like(var)
    return Projection(coords=coords, components=comps, mean=mean, explained_variance=var,
                      explained_variance_ratio=ratio, labels=labels)
