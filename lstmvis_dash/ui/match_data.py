"""The data of the match view (paper section 5.2), apart from its figures: the top matches laid
out as a grid of positions with the number of S1 cells on at each, an annotation laid onto that
grid, the annotation's shares inside the matches, and the ranked table as CSV. No Dash here.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine import on_counts
from . import data

CONTEXT = 3          # tokens of context shown on each side of a match
MAX_SHOWN = 20       # matched tokens shown per row; longer matches are elided after MAX_SHOWN - 1

# cell kinds in the grid
EMPTY, LEFT, MATCH, RIGHT, ELIDED = 0, 1, 2, 3, 4


# -- the grid of shown positions --------------------------------------------------------------
@dataclass
class RowGrid:
    """The shown matches, one row each, columns aligned at the match start (column `context`)."""
    table: pd.DataFrame        # the ranked rows shown (start, stop, length, overlap, union)
    pos: np.ndarray            # (n, W) int64 dataset position of each cell, -1 where none
    kind: np.ndarray           # (n, W) int8: EMPTY, LEFT, MATCH, RIGHT, ELIDED
    tokens: np.ndarray         # (n, W) object, "" where no position, "…" where elided
    counts: np.ndarray         # (n, W) int64 number of S1 cells on, -1 where no position
    n_cells: int               # |S1|
    context: int
    max_shown: int = MAX_SHOWN

    @property
    def n_rows(self) -> int:
        return len(self.table)

    @property
    def width(self) -> int:
        return self.pos.shape[1]

    def unique_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(sorted distinct positions, index of each grid cell into them; -1 where no position)."""
        valid = self.pos >= 0
        uniq = np.unique(self.pos[valid])
        where = np.full(self.pos.shape, -1, np.int64)
        where[valid] = np.searchsorted(uniq, self.pos[valid])
        return uniq, where


def _layout_grid(ds, table: pd.DataFrame, context: int, max_shown: int):
    a = table["start"].to_numpy(np.int64)
    b = table["stop"].to_numpy(np.int64)
    n = len(a)
    length = b - a
    elided = length > max_shown
    shown = np.minimum(length, max_shown)               # grid cells the match takes (elision included)
    match_w = int(shown.max()) if n else 0
    W = 2 * context + match_w
    T = len(ds)
    docs = np.asarray(ds.documents, np.int64)
    d = np.searchsorted(docs, a, side="right") - 1
    lo = docs[d]
    hi = np.append(docs, T)[d + 1]

    col = np.arange(W, dtype=np.int64)[None, :]
    pos = np.full((n, W), -1, np.int64)
    kind = np.zeros((n, W), np.int8)

    # left context: columns 0 … context-1 hold a-context … a-1, inside the match's document
    p = a[:, None] - context + col
    m = (col < context) & (p >= lo[:, None])
    pos[m], kind[m] = p[m], LEFT
    # the match: columns context … context+shown-1
    k = col - context
    p = a[:, None] + k
    m = (k >= 0) & (k < shown[:, None])
    last = m & elided[:, None] & (k == shown[:, None] - 1)
    m &= ~last
    pos[m], kind[m] = p[m], MATCH
    kind[last] = ELIDED
    # right context: directly after each row's shown match, b … b+context-1, inside the document
    r = col - context - shown[:, None]
    p = b[:, None] + r
    m = (r >= 0) & (r < context) & (p < hi[:, None])
    pos[m], kind[m] = p[m], RIGHT
    return pos, kind


def row_grid(ds, layer: str, table: pd.DataFrame, cells, threshold: float, transform: str | None = None,
             context: int = CONTEXT, max_shown: int = MAX_SHOWN) -> RowGrid:
    """The grid of `table`'s rows with tokens and the per-position count of S1 cells on, from the
    engine's on_counts (SPEC.md section 1, any layer kind and transform): the same "on" as
    lv.select/lv.match, one read of the distinct shown positions."""
    if max_shown < 2:
        raise ValueError(f"max_shown must be >= 2, got {max_shown}")
    table = table.reset_index(drop=True)
    cells = np.unique(np.asarray(list(cells), dtype=np.int64))
    pos, kind = _layout_grid(ds, table, context, max_shown)
    grid = RowGrid(table, pos, kind, np.full(pos.shape, "", dtype=object),
                   np.full(pos.shape, -1, np.int64), len(cells), context, max_shown)
    grid.tokens[kind == ELIDED] = "…"
    uniq, where = grid.unique_positions()
    if len(uniq) == 0:
        return grid
    valid = where >= 0
    grid.tokens[valid] = ds.vocab[ds.token_ids[uniq]][where[valid]]
    per_pos = on_counts(ds, layer, uniq, cells, float(threshold), **data.transform_kwargs(transform))
    grid.counts[valid] = per_pos[where[valid]]
    return grid


# -- annotation values on the grid ------------------------------------------------------------
@dataclass
class Track:
    """One annotation laid onto a RowGrid: a value per grid cell (a category's index, or the scalar;
    NaN where no position) and the text shown on hover."""
    name: str
    kind: str                   # "categorical" | "scalar"
    values: np.ndarray          # (n, W) float64
    texts: np.ndarray           # (n, W) object
    labels: list                # categorical: the labels; scalar: []
    lo: float = 0.0             # scalar: the range over the whole dataset
    hi: float = 1.0


def scalar_range(ds, name: str) -> tuple[float, float]:
    codes = ds.annotation_codes(name)
    finite = codes[np.isfinite(codes)]
    if len(finite) == 0:
        return 0.0, 1.0
    return float(finite.min()), float(finite.max())


def annotation_track(ds, name: str, grid: RowGrid) -> Track:
    kind = ds.annotation_kind(name)
    codes = ds.annotation_codes(name)
    uniq, where = grid.unique_positions()
    valid = where >= 0
    values = np.full(grid.pos.shape, np.nan)
    texts = np.full(grid.pos.shape, "", dtype=object)
    vals = codes[uniq] if len(uniq) else codes[:0]
    if kind == "scalar":
        lo, hi = scalar_range(ds, name)
        v = vals.astype(np.float64)
        txt = np.array([f"{x:g}" for x in vals.tolist()], dtype=object)
        labels = []
    else:
        lo, hi = 0.0, 1.0
        labels = ds.annotation_labels(name)
        known = (vals >= 0) & (vals < len(labels))
        v = np.where(known, vals, np.nan).astype(np.float64)
        lut = np.array([str(x) for x in labels] + ["?"], dtype=object)
        txt = lut[np.where(known, vals, len(labels)).astype(np.int64)]
    if len(uniq):
        values[valid] = v[where[valid]]
        texts[valid] = txt[where[valid]]
    return Track(name, kind, values, texts, labels, lo, hi)


# -- annotation summary -------------------------------------------------------------------------
def matched_positions(table: pd.DataFrame) -> np.ndarray:
    """Every position of every matched range in `table` (a position in two matches counts twice)."""
    a = table["start"].to_numpy(np.int64)
    b = table["stop"].to_numpy(np.int64)
    n = b - a
    if len(a) == 0 or n.sum() == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(a - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    return np.arange(int(n.sum()), dtype=np.int64) + offsets


def annotation_shares(ds, name: str, table: pd.DataFrame) -> pd.DataFrame:
    """Per category: count and share inside the matched ranges, and share over the whole dataset."""
    labels = ds.annotation_labels(name)
    codes = ds.annotation_codes(name)
    k = len(labels)
    def counts(c):
        c = np.asarray(c, np.int64)
        c = np.where((c >= 0) & (c < k), c, k)
        return np.bincount(c, minlength=k + 1)[:k]
    inside = counts(codes[matched_positions(table)])
    overall = counts(codes)
    n_in = max(int(inside.sum()), 1)
    n_all = max(int(overall.sum()), 1)
    return pd.DataFrame({"label": [str(x) for x in labels], "inside": inside, "inside_share": inside / n_in,
                         "overall": overall, "overall_share": overall / n_all})


# -- CSV export --------------------------------------------------------------------------------
CSV_COLUMNS = ["start", "stop", "length", "overlap", "union", "words"]


def _joined(spaced: np.ndarray, lengths: np.ndarray) -> list[str]:
    """Per row, its `lengths[i]` consecutive entries of `spaced` (strings that end in a space),
    concatenated, without the last space.

    One C-level reduction over all rows (np.add.reduceat on an object array concatenates the
    strings) instead of a Python join per row: a full table has up to hundreds of thousands of rows.
    """
    out = [""] * len(lengths)
    nz = np.flatnonzero(lengths > 0)
    if len(nz) == 0:
        return out
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])[nz]
    for i, text in zip(nz.tolist(), np.add.reduceat(spaced, offsets).tolist()):
        out[i] = text[:-1]
    return out


def matches_csv(ds, table: pd.DataFrame, annotations: list[str] | None = None) -> str:
    """CSV text of the ranked table: start, stop, length, overlap, union, the matched words joined by
    spaces, then per annotation its values over the range joined by spaces (rank = row order)."""
    names = ds.annotations if annotations is None else list(annotations)
    pos = matched_positions(table)
    lengths = (table["stop"].to_numpy(np.int64) - table["start"].to_numpy(np.int64))
    vocab = np.array([f"{t} " for t in ds.vocab.tolist()], dtype=object)
    columns = [table[c].to_numpy(np.int64).tolist() for c in ("start", "stop", "length", "overlap", "union")]
    columns.append(_joined(vocab[ds.token_ids[pos]], lengths))
    for name in names:
        codes = ds.annotation_codes(name)[pos]
        if ds.annotation_kind(name) == "scalar":
            uniq, inv = np.unique(codes, return_inverse=True)
            text = np.array([f"{x:g} " for x in uniq.tolist()], dtype=object)[inv.reshape(-1)]
        else:
            labels = ds.annotation_labels(name)
            lut = np.array([f"{x} " for x in labels] + [" "], dtype=object)
            k = len(labels)
            text = lut[np.where((codes >= 0) & (codes < k), codes, k)]
        columns.append(_joined(text, lengths))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS + names)
    w.writerows(zip(*columns))
    return out.getvalue()
