"""Pure builders for the match view (paper section 5.2): data in, Dash components / Plotly figures out.

Nothing here touches Dash callbacks or app state, so every piece is unit-tested on its own:

- `row_grid`          the top matches as a grid of positions aligned at the match start, with the
                      per-position number of S1 cells that are on (one vectorised read of the rows)
- `match_rows`        the rows as HTML: words on a heatmap background, the matched range outlined,
                      an optional annotation track beside each row, length/overlap/union on hover
- `annotation_legend` the legend of the annotation track (swatches, or a colour bar for a scalar)
- `annotation_shares`, `annotation_summary_figure`
                      each category's share inside the matched ranges beside its share overall
                      (a scalar annotation: histogram and mean inside vs overall)
- `length_histogram_figure`   strict and fuzzy candidates per length, the selected length highlighted
- `matches_csv`       the ranked table with the matched words and annotation values, as CSV text
"""
from __future__ import annotations

import collections
import csv
import functools
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.colors as pcolors
import plotly.io as pio
from dash import html

from ..engine import raw_threshold

CONTEXT = 3          # tokens of context shown on each side of a match
MAX_SHOWN = 20       # matched tokens shown per row; longer matches are elided after MAX_SHOWN - 1
OVERLAP_SCALE = "Blues"
SCALAR_SCALE = "Viridis"
MATCH_OUTLINE = "#d62728"
MISSING = "#d9d9d9"
# light colours first: words stay readable on them
PALETTE = (pcolors.qualitative.Set2 + pcolors.qualitative.Pastel1 + pcolors.qualitative.Set3
           + pcolors.qualitative.Pastel2)

# cell kinds in the grid
EMPTY, LEFT, MATCH, RIGHT, ELIDED = 0, 1, 2, 3, 4


# -- colours --------------------------------------------------------------------------------
def _rgb_tuple(c: str) -> tuple[float, float, float]:
    if c.startswith("#"):
        return tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))
    inner = c[c.index("(") + 1:c.index(")")]
    return tuple(float(x) for x in inner.split(",")[:3])


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on the background (relative luminance)."""
    r, g, b = _rgb_tuple(background)
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#fff"


@functools.lru_cache(maxsize=64)
def _overlap_colours(n_cells: int) -> tuple:
    if n_cells <= 0:
        return ("#ffffff",)
    points = [min(1.0, 0.2 + 0.8 * k / n_cells) for k in range(1, n_cells + 1)]
    return tuple(["#ffffff"] + pcolors.sample_colorscale(OVERLAP_SCALE, points))


def overlap_colours(n_cells: int) -> list[str]:
    """Background colour for 0 … n_cells cells of S1 on; 0 is white (no colour)."""
    return list(_overlap_colours(int(n_cells)))


@functools.lru_cache(maxsize=64)
def _overlap_text_colours(n_cells: int) -> tuple:
    return tuple(text_colour(c) for c in _overlap_colours(n_cells))


def category_colours(n: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def scalar_colours(values: np.ndarray, lo: float, hi: float) -> list[str]:
    """Continuous colour of each value in [lo, hi]; NaN gets the missing colour."""
    values = np.asarray(values, dtype=np.float64)
    span = hi - lo if hi > lo else 1.0
    frac = np.clip((values - lo) / span, 0.0, 1.0)
    ok = np.isfinite(values)
    out = np.full(len(values), MISSING, dtype=object)
    if ok.any():
        out[ok] = pcolors.sample_colorscale(SCALAR_SCALE, frac[ok].tolist())
    return out.tolist()


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


def row_grid(ds, layer: str, table: pd.DataFrame, cells, threshold: float,
             context: int = CONTEXT, max_shown: int = MAX_SHOWN) -> RowGrid:
    """The grid of `table`'s rows with tokens and the per-position count of S1 cells on.

    The counts come from one read of the raw rows at the distinct shown positions, compared with the
    engine's raw threshold, so they agree exactly with `lv.select`/`lv.match` (SPEC.md section 1).
    """
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
    if len(cells):
        thr = raw_threshold(ds.transform(layer), threshold)
        raw = np.asarray(ds.arrays(layer).rows[uniq], dtype=np.float32)[:, cells]
        per_pos = (raw >= thr).sum(axis=1).astype(np.int64)
    else:
        per_pos = np.zeros(len(uniq), np.int64)
    grid.counts[valid] = per_pos[where[valid]]
    return grid


# -- annotation values on the grid ------------------------------------------------------------
@dataclass
class Track:
    """One annotation laid onto a RowGrid: a colour (and a hover text) per grid cell."""
    name: str
    kind: str                   # "categorical" | "scalar"
    colours: np.ndarray         # (n, W) object, "" where no position
    texts: np.ndarray           # (n, W) object: the value shown on hover
    labels: list                # categorical: the labels; scalar: []
    legend_colours: list        # categorical: one per label
    lo: float = 0.0             # scalar: colour range
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
    colours = np.full(grid.pos.shape, "", dtype=object)
    texts = np.full(grid.pos.shape, "", dtype=object)
    vals = codes[uniq] if len(uniq) else codes[:0]
    if kind == "scalar":
        lo, hi = scalar_range(ds, name)
        col = np.asarray(scalar_colours(vals, lo, hi), dtype=object) if len(uniq) else np.zeros(0, object)
        txt = np.array([f"{v:g}" for v in vals.tolist()], dtype=object)
        labels, legend = [], []
    else:
        lo, hi = 0.0, 1.0
        labels = ds.annotation_labels(name)
        legend = category_colours(len(labels))
        lut_c = np.array(legend + [MISSING], dtype=object)
        lut_t = np.array([str(x) for x in labels] + ["?"], dtype=object)
        idx = np.where((vals >= 0) & (vals < len(labels)), vals, len(labels)).astype(np.int64)
        col, txt = lut_c[idx], lut_t[idx]
    if len(uniq):
        colours[valid] = col[where[valid]]
        texts[valid] = txt[where[valid]]
    return Track(name, kind, colours, texts, labels, legend, lo, hi)


# -- HTML rows ----------------------------------------------------------------------------------
# The rows are built as plain Dash component dicts ({"type", "namespace", "props"}), the JSON a
# component serialises to: 50 rows are ~1,500 elements, and component objects cost ~20x more to build.
# Their static styling is in assets/match_view.css (classes lv-*); only data-driven styles are inline.
SQUARE_PX = 9


def el(tag: str, children=None, **props) -> dict:
    """A dash_html_components element as its JSON dict (what `html.<tag>(...).to_plotly_json()` gives)."""
    if children is not None:
        props["children"] = children
    return {"type": tag, "namespace": "dash_html_components", "props": props}


_Row = collections.namedtuple("_Row", "start stop length overlap union")


def row_title(row, n_cells: int, rank: int) -> str:
    return (f"#{rank + 1}  {int(row.start)}:{int(row.stop)}  length {int(row.length)}  "
            f"overlap {int(row.overlap)}/{n_cells}  union {int(row.union)}  (click: show it in the select view)")


def _track_strip(colours_row, texts_row, kind_row, name: str) -> dict:
    """One element per row: the track's squares as hard-stop gradient segments (one per grid column)."""
    stops, shown = [], []
    for j, (c, t, k) in enumerate(zip(colours_row, texts_row, kind_row)):
        c = MISSING if k == ELIDED else (c or "transparent")
        stops.append(f"{c} {j * SQUARE_PX}px {(j + 1) * SQUARE_PX - 1}px, #fff {(j + 1) * SQUARE_PX - 1}px "
                     f"{(j + 1) * SQUARE_PX}px")
        if t:
            shown.append(f"[{t}]" if k == MATCH else t)
        elif k == ELIDED:
            shown.append("[…]")
    width = SQUARE_PX * len(colours_row)
    return el("Div", className="lv-track", title=f"{name}: " + " ".join(shown),
              style={"width": f"{width}px", "background": f"linear-gradient(to right, {', '.join(stops)})" if stops else "none"})


def match_rows(grid: RowGrid, row_id: dict | None = None, use_id: dict | None = None,
               track: Track | None = None, paint: bool = False) -> list:
    """One element per match: [use-as-hypothesis button] [rank, track strip, left | match | right].

    `row_id`/`use_id` are pattern-matching id templates; the row index is filled in as "index".
    Word backgrounds show the number of S1 cells on (or, with `paint`, the track's colours); each word
    carries `data-on` (that number). Returns component dicts (see `el`).
    """
    if grid.n_rows == 0:
        return []
    palette = overlap_colours(grid.n_cells)
    text_on = _overlap_text_colours(int(grid.n_cells))
    n_left_chars = 0
    for i in range(grid.n_rows):
        left = [t for t, k in zip(grid.tokens[i], grid.kind[i]) if k == LEFT]
        n_left_chars = max(n_left_chars, sum(len(t) + 1 for t in left))
    left_width = f"calc({min(n_left_chars, 48)}ch + {6 * grid.context}px)"
    kinds, counts, tokens = grid.kind.tolist(), grid.counts.tolist(), grid.tokens.tolist()
    paint = paint and track is not None
    tcolours = track.colours.tolist() if paint else None
    rows = []
    cols = {c: grid.table[c].to_numpy(np.int64).tolist() for c in ("start", "stop", "length", "overlap", "union")}
    for i in range(grid.n_rows):
        row = _Row(*(cols[c][i] for c in ("start", "stop", "length", "overlap", "union")))
        parts = {LEFT: [], MATCH: [], RIGHT: []}
        for j, k in enumerate(kinds[i]):
            if k == EMPTY:
                continue
            if k == ELIDED:
                parts[MATCH].append(el("Span", f"… +{int(row.length) - (grid.max_shown - 1)}",
                                       className="lv-elided"))
                continue
            count = counts[i][j]
            if paint:
                bg = tcolours[i][j] or "#ffffff"
                fg = text_colour(bg)
            else:
                bg, fg = palette[count], text_on[count]
            if bg != "#ffffff":
                parts[k].append(el("Span", tokens[i][j], className="lv-word", **{"data-on": count},
                                   style={"backgroundColor": bg, "color": fg}))
            else:
                parts[k].append(el("Span", tokens[i][j], className="lv-word", **{"data-on": count}))
        body = [el("Span", str(i + 1), className="lv-rank")]
        if track is not None:
            body.append(_track_strip(track.colours[i], track.texts[i], kinds[i], track.name))
        body += [
            el("Div", parts[LEFT], className="lv-left", style={"width": left_width}),
            el("Div", parts[MATCH], className="lv-match"),      # outlined in MATCH_OUTLINE (match_view.css)
            el("Div", parts[RIGHT], className="lv-right"),
        ]
        clickable = dict(className="lv-match-row-body", title=row_title(row, grid.n_cells, i), n_clicks=0,
                         **{"data-start": int(row.start), "data-stop": int(row.stop)})
        if row_id is not None:
            clickable["id"] = dict(row_id, index=i)
        button = dict(title="use this match as the new hypothesis (selection)", className="lv-use-match",
                      n_clicks=0)
        if use_id is not None:
            button["id"] = dict(use_id, index=i)
        rows.append(el("Div", [el("Button", "use", **button), el("Div", body, **clickable)],
                       className="lv-match-row"))
    return rows


def annotation_legend(track: Track | None) -> list:
    if track is None:
        return []
    if track.kind == "scalar":
        stops = ", ".join(f"{c} {int(100 * p)}%" for p, c in
                          zip(np.linspace(0, 1, 6), pcolors.sample_colorscale(SCALAR_SCALE, list(np.linspace(0, 1, 6)))))
        return [html.Span(f"{track.name}: ", style={"marginRight": "6px"}),
                html.Span(f"{track.lo:g}", style={"marginRight": "4px"}),
                html.Span(className="lv-legend-bar",
                          style={"display": "inline-block", "width": "160px", "height": "12px",
                                 "background": f"linear-gradient(to right, {stops})"}),
                html.Span(f"{track.hi:g}", style={"marginLeft": "4px"})]
    items = [html.Span(f"{track.name}: ", style={"marginRight": "6px"})]
    for label, colour in zip(track.labels, track.legend_colours):
        items.append(html.Span([
            html.Span(style={"display": "inline-block", "width": "12px", "height": "12px", "marginRight": "3px",
                             "backgroundColor": colour, "verticalAlign": "middle"}),
            html.Span(str(label))], className="lv-legend-item", style={"marginRight": "10px"}))
    return items


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


# Figures are plain dicts ({"data", "layout"}), what dcc.Graph receives anyway: building go.Figure
# objects validates every property and costs tens of milliseconds per figure on the callback's hot
# path. The tests load each one into go.Figure, which validates it.
TEMPLATE_NONE = pio.templates["none"].to_plotly_json()


def figure(data: list, **layout) -> dict:
    layout.setdefault("template", TEMPLATE_NONE)
    return {"data": data, "layout": layout}


def _empty_figure(message: str) -> dict:
    return figure([], height=120, margin=dict(l=10, r=10, t=10, b=10),
                  annotations=[dict(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                                    font=dict(color="#777"))],
                  xaxis=dict(visible=False), yaxis=dict(visible=False))


def annotation_summary_figure(ds, name: str, table: pd.DataFrame) -> dict:
    """Categorical: share per category inside the matches vs overall. Scalar: histograms and means."""
    n_pos = len(matched_positions(table))
    if n_pos == 0:
        return _empty_figure("no matches to summarise")
    where = f"inside the {len(table)} shown matches ({n_pos} positions)"
    if ds.annotation_kind(name) == "scalar":
        return _scalar_summary(ds, name, table, where)
    shares = annotation_shares(ds, name, table)
    colours = category_colours(len(shares))
    labels = shares["label"].tolist()
    data = [
        dict(type="bar", x=labels, y=(100 * shares["inside_share"]).tolist(), name="inside matches",
             showlegend=False,
             marker=dict(color=colours, line=dict(color="#333", width=1)),
             customdata=shares["inside"].tolist(),
             hovertemplate="%{x}: %{y:.1f}% of matched positions (%{customdata})<extra></extra>"),
        dict(type="bar", x=labels, y=(100 * shares["overall_share"]).tolist(), name="whole dataset",
             showlegend=False, marker=dict(color="#bbbbbb"), customdata=shares["overall"].tolist(),
             hovertemplate="%{x}: %{y:.1f}% of all positions (%{customdata})<extra></extra>"),
    ]
    return figure(data, barmode="group", height=230, margin=dict(l=45, r=10, t=45, b=30), bargap=0.25,
                  title=dict(text=f"{name}: share {where} (coloured)<br>vs the whole dataset (grey)",
                             font=dict(size=12), x=0.02, y=0.98, yanchor="top"),
                  yaxis=dict(title=dict(text="% of positions"), rangemode="tozero"),
                  xaxis=dict(type="category"), legend=dict(orientation="h", y=-0.25))


def _scalar_summary(ds, name: str, table: pd.DataFrame, where: str) -> dict:
    codes = ds.annotation_codes(name)
    inside = codes[matched_positions(table)].astype(np.float64)
    inside = inside[np.isfinite(inside)]
    allv = codes[np.isfinite(codes)].astype(np.float64)
    lo, hi = scalar_range(ds, name)
    edges = np.linspace(lo, hi if hi > lo else lo + 1, 21)
    h_in = np.histogram(inside, bins=edges)[0] / max(len(inside), 1)
    h_all = np.histogram(allv, bins=edges)[0] / max(len(allv), 1)
    mid = ((edges[:-1] + edges[1:]) / 2).tolist()
    w = float(edges[1] - edges[0])
    m_in = float(inside.mean()) if len(inside) else float("nan")
    m_all = float(allv.mean()) if len(allv) else float("nan")
    data = [
        dict(type="bar", x=mid, y=(100 * h_in).tolist(), width=w, name=f"inside matches (mean {m_in:.3g})",
             marker=dict(color="#1f77b4"), opacity=0.75,
             hovertemplate="%{x:.3g}: %{y:.1f}% of matched positions<extra></extra>"),
        dict(type="bar", x=mid, y=(100 * h_all).tolist(), width=w, name=f"whole dataset (mean {m_all:.3g})",
             marker=dict(color="#999999"), opacity=0.5,
             hovertemplate="%{x:.3g}: %{y:.1f}% of all positions<extra></extra>"),
    ]
    shapes = [dict(type="line", x0=m, x1=m, y0=0, y1=1, yref="paper", line=dict(color=c, dash="dash", width=1.5))
              for m, c in ((m_in, "#1f77b4"), (m_all, "#555555")) if np.isfinite(m)]
    return figure(data, barmode="overlay", height=230, margin=dict(l=45, r=10, t=30, b=40), shapes=shapes,
                  title=dict(text=f"{name}: distribution {where} vs whole dataset", font=dict(size=12), x=0.02),
                  yaxis=dict(title=dict(text="% of positions")), legend=dict(orientation="h", y=-0.25))


# -- length histogram --------------------------------------------------------------------------
HIST_FUZZY = "#9ecae1"
HIST_STRICT = "#08519c"
HIST_SELECTED = "#ff7f0e"


def length_histogram_figure(histogram: pd.DataFrame, selected: int | None = None,
                            n_cells: int | None = None) -> dict:
    """Bars per candidate length: fuzzy (overlap ≥ 1) behind strict (overlap = |S1|).

    The x axis is categorical (one bar per length that occurs) so every length can be clicked;
    each point's customdata is [length, strict, fuzzy]."""
    if histogram is None or len(histogram) == 0:
        return _empty_figure("no candidates")
    L = histogram["length"].to_numpy(np.int64)
    strict = histogram["strict"].to_numpy(np.int64)
    fuzzy = histogram["fuzzy"].to_numpy(np.int64)
    x = [str(v) for v in L.tolist()]
    custom = np.stack([L, strict, fuzzy], axis=1).tolist()
    sel = (L == selected) if selected is not None else np.zeros(len(L), bool)
    hover = ("length %{customdata[0]}<br>strict (all " + (f"{n_cells} " if n_cells else "")
             + "S1 cells on): %{customdata[1]}<br>fuzzy (≥ 1 cell on): %{customdata[2]}<extra></extra>")
    data = [
        dict(type="bar", x=x, y=fuzzy.tolist(), name="fuzzy: overlap ≥ 1", customdata=custom,
             hovertemplate=hover,
             marker=dict(color=np.where(sel, HIST_SELECTED, HIST_FUZZY).tolist(),
                         line=dict(color=np.where(sel, "#000", HIST_FUZZY).tolist(),
                                   width=np.where(sel, 2, 0).tolist()))),
        dict(type="bar", x=x, y=strict.tolist(), name="strict: overlap = |S1|", customdata=custom,
             hovertemplate=hover, marker=dict(color=np.where(sel, "#a63603", HIST_STRICT).tolist())),
    ]
    title = "candidates per length · click a bar to filter"
    if selected is not None:
        title = f"filtered to length {selected} · click it again to clear"
    return figure(data, barmode="overlay", height=230, bargap=0.1, clickmode="event",
                  margin=dict(l=45, r=10, t=45, b=55), title=dict(text=title, font=dict(size=12), x=0.02, y=0.98, yanchor="top"),
                  xaxis=dict(type="category", title=dict(text="length", standoff=2), tickangle=-45,
                             tickfont=dict(size=10), automargin=False),
                  yaxis=dict(title=dict(text="candidates")),
                  legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom",
                              font=dict(size=10)))


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
