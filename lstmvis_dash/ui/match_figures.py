"""Figures of the match view (paper section 5.2, Fig. 1g): pure functions from match data to dicts.

- `matrix_figure`  the top matches as ONE figure, like the paper's word matrix: each match a row of
                   words on cells coloured by how many S1 cells are on, the matched range outlined,
                   and the annotation track as a heatmap row aligned under each match's words
- `length_histogram_figure`   strict and fuzzy candidates per length, the selected length highlighted
- `annotation_summary_figure` each category's share inside the matches beside its share overall
                              (a scalar annotation: histograms and means)

Clicks on the matrix are read by assets/match.js from `layout.meta` ("rows", "row_h"): a click on a
row shows that match, on its "use" cell adopts it (the navigation channel, ids.NAVIGATE).
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import plotly.colors as pcolors

from . import match_data as md
from .figures import CANVAS_COLORBAR, CANVAS_HEATMAP, CANVAS_TEXT, empty_figure, figure, plotly_text
from .figures import title as fig_title

OVERLAP_SCALE = "Blues"
SCALAR_SCALE = "Viridis"
MATCH_OUTLINE = "#d62728"
MISSING = "#d9d9d9"
CONTEXT_TEXT = "#6c757d"
# light colours first: words stay readable on them
PALETTE = (pcolors.qualitative.Set2 + pcolors.qualitative.Pastel1 + pcolors.qualitative.Set3
           + pcolors.qualitative.Pastel2)
ROW_PX, TRACK_PX, GAP_PX = 20, 8, 5
USE_X, RANK_X = -1.4, -2.0
USE_BLUE = "#0d6efd"
MAX_CHARS = 8
MONO = "Menlo, Consolas, 'DejaVu Sans Mono', monospace"


# -- colours --------------------------------------------------------------------------------
def _rgb(c: str) -> tuple:
    if c.startswith("#"):
        return tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(float(x) for x in c[c.index("(") + 1:c.index(")")].split(",")[:3])


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on the background (relative luminance)."""
    r, g, b = _rgb(background)
    return "#000" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#fff"


@functools.lru_cache(maxsize=64)
def overlap_colours(n_cells: int) -> tuple:
    """Background colour for 0 … n_cells cells of S1 on; 0 is white (no colour)."""
    if n_cells <= 0:
        return ("#ffffff",)
    points = [min(1.0, 0.2 + 0.8 * k / n_cells) for k in range(1, n_cells + 1)]
    return tuple(["#ffffff"] + pcolors.sample_colorscale(OVERLAP_SCALE, points))


def category_colours(n: int) -> list[str]:
    return [PALETTE[i % len(PALETTE)] for i in range(n)]


def steps(colours) -> list:
    """A colorscale that gives colour k to the values k - 0.5 … k + 0.5 (zmin -0.5, zmax n - 0.5)."""
    n = len(colours)
    out = []
    for k, c in enumerate(colours):
        out += [[k / n, c], [(k + 1) / n, c]]
    return out


def track_scale(track: md.Track) -> dict:
    """Heatmap colour settings for an annotation track."""
    if track.kind == "scalar":
        return {"colorscale": SCALAR_SCALE, "zmin": track.lo, "zmax": track.hi if track.hi > track.lo else track.lo + 1}
    k = max(len(track.labels), 1)
    return {"colorscale": steps(category_colours(k)), "zmin": -0.5, "zmax": k - 0.5}


def track_colours(track: md.Track) -> np.ndarray:
    """The colour of each grid cell of a track (for the text drawn on painted words)."""
    out = np.full(track.values.shape, "#ffffff", dtype=object)
    ok = np.isfinite(track.values)
    if not ok.any():
        return out
    if track.kind == "scalar":
        span = (track.hi - track.lo) or 1.0
        frac = np.clip((track.values[ok] - track.lo) / span, 0, 1)
        out[ok] = pcolors.sample_colorscale(SCALAR_SCALE, frac.tolist())
    else:
        lut = np.array(category_colours(max(len(track.labels), 1)), dtype=object)
        out[ok] = lut[track.values[ok].astype(np.int64)]
    return out


# -- the matrix ------------------------------------------------------------------------------
def canvas_text(trace: dict) -> dict:
    """A text trace that assets/lstmvis.js draws on a canvas over the plot (LV.drawCanvasText) instead of
    plotly's SVG: about 700 words cost plotly 350-500 ms per update, a canvas a few ms. Plotly does not
    draw its text (no text in `mode`, or invisible); the export puts the text back as SVG."""
    trace["meta"] = CANVAS_TEXT
    if "text" in trace["mode"]:
        trace["visible"] = False
    return trace


def canvas_heatmap(trace: dict) -> list[dict]:
    """A heatmap that assets/lstmvis.js draws on a canvas under the plot (LV.drawCanvasHeatmaps):
    plotly paints a heatmap with gaps into an image of the plot's size and PNG-encodes it, 50-140 ms
    per update of the matrix here; the canvas fills its bricks in a few ms. Plotly does not draw it
    (invisible; the export does). Its colour bar moves to a carrier: a one-brick heatmap out of view
    with the same scale, also invisible (CANVAS_COLORBAR: plotly's colour bar was ~40 ms of the
    matrix's update; the page draws the bar, its labels and title). The colorscale is sent as stops
    (the page interpolates them)."""
    if isinstance(trace.get("colorscale"), str):
        trace["colorscale"] = [[float(f), c] for f, c in pcolors.get_colorscale(trace["colorscale"])]
    carrier = None
    if trace.get("showscale"):
        carrier = {"type": "heatmap", "z": [[trace["zmin"]]], "x": [-1e6], "y": [-1e6], "hoverinfo": "skip",  # out of view
                   "showscale": True, "visible": False, "meta": CANVAS_COLORBAR,
                   "name": f"{trace.get('name', '')} scale", "colorscale": trace["colorscale"],
                   "zmin": trace["zmin"], "zmax": trace["zmax"], "colorbar": trace.pop("colorbar", {})}
    trace.update(meta=CANVAS_HEATMAP, visible=False, showscale=False)
    return [trace] + ([carrier] if carrier else [])


def _cells(z: np.ndarray) -> list:
    """A 2-D array as nested lists with None (JSON null) where it is NaN: an empty heatmap cell."""
    return np.where(np.isfinite(z), z, None).tolist()


def _short(word: str, n: int) -> str:
    word = str(word).replace("\n", "⏎").replace("\t", "→")
    return word if len(word) <= n else word[: n - 1] + "…"


def matrix_figure(grid: md.RowGrid, track: md.Track | None = None, paint: bool = False, key: str = "",
                  dataset: str = "") -> dict:
    """One row per match: [use] rank | left context | the match (outlined) | right context, words on
    cells coloured by the number of S1 cells on (or by the track, with `paint`); the track's values
    as a thin heatmap row under each row of words. `key` names the result (layout.meta.key)."""
    n, W = grid.n_rows, grid.width
    if n == 0:
        return empty_figure("no matches")
    has_track = track is not None
    row_h = ROW_PX + (TRACK_PX + 1 if has_track else 0) + GAP_PX
    tops = np.arange(n, dtype=np.float64) * row_h
    kinds, counts, tokens = grid.kind, grid.counts, grid.tokens
    words = (kinds != md.EMPTY) & (kinds != md.ELIDED)
    chars = max([len(str(t)) for t in tokens[words].tolist()] or [1])
    col_px = 10 + 7 * min(MAX_CHARS, chars)

    def rows_of(z_rows, top_offset, height):
        """z with a filler row after each row, and the y edges: the heatmap rows sit at the tops."""
        z = np.full((2 * n, W), np.nan)
        z[0::2] = z_rows
        edges = np.empty(2 * n + 1)
        edges[0:-1:2] = tops + top_offset
        edges[1::2] = tops + top_offset + height
        edges[-1] = tops[-1] + row_h
        return z, edges

    counts_z = np.where(words, counts, np.nan).astype(np.float64)
    if paint and has_track:
        word_z, word_scale = np.where(words, track.values, np.nan), track_scale(track)
        backgrounds = track_colours(track)
    else:
        palette = overlap_colours(int(grid.n_cells))
        word_z = counts_z
        word_scale = {"colorscale": steps(palette), "zmin": -0.5, "zmax": len(palette) - 0.5}
        backgrounds = np.array(palette, dtype=object)[np.clip(counts, 0, None)]
    z, edges = rows_of(word_z, 0, ROW_PX)
    hover = np.full((2 * n, W), "", dtype=object)
    table = grid.table
    for i in range(n):
        for j in np.flatnonzero(words[i]).tolist():
            text = f"{int(grid.pos[i, j])}: {plotly_text(_short(tokens[i, j], 30))} · {int(counts[i, j])}/{grid.n_cells} on"
            if has_track:
                text += f" · {plotly_text(track.name)}={plotly_text(track.texts[i, j])}"
            hover[2 * i, j] = text
    data = [{"type": "heatmap", "z": _cells(z), "y": edges.tolist(), "x": list(range(W)), "text": hover.tolist(),
             "hovertemplate": "%{text}<extra></extra>", "hoverongaps": False, "xgap": 1, "name": "words",
             "showscale": True, "colorbar": {"title": {"text": "S1 on" if not (paint and has_track) else
                                                       plotly_text(track.name), "side": "right"},
                                             "thickness": 10, "len": min(1.0, 300 / max(n * row_h, 1)), "y": 1,
                                             "yanchor": "top"}, **word_scale}]
    if has_track:
        tz, tedges = rows_of(track.values, ROW_PX + 1, TRACK_PX)
        thover = np.full((2 * n, W), "", dtype=object)
        thover[0::2] = np.where(track.texts == "", "", plotly_text(track.name) + ": "
                                + np.vectorize(plotly_text, otypes=[object])(track.texts))
        data.append({"type": "heatmap", "z": _cells(tz), "y": tedges.tolist(), "x": list(range(W)),
                     "text": thover.tolist(), "hovertemplate": "%{text}<extra></extra>", "hoverongaps": False,
                     "xgap": 1, "showscale": paint is False and track.kind == "scalar", "name": plotly_text(track.name),
                     "colorbar": {"thickness": 10, "title": {"text": plotly_text(track.name)}, "x": 1.08},
                     **track_scale(track)})
    heatmaps = [part for trace in data for part in canvas_heatmap(trace)]   # bricks on a canvas
    data = [t for t in heatmaps if t.get("meta") == CANVAS_HEATMAP]
    scales = [t for t in heatmaps if t.get("meta") == CANVAS_COLORBAR]     # colour bars: the last traces
    # the words
    ii, jj = np.nonzero(kinds != md.EMPTY)
    texts, colours = [], []
    for i, j in zip(ii.tolist(), jj.tolist()):
        k = kinds[i, j]
        if k == md.ELIDED:
            texts.append(f"…+{int(table['length'].iat[i]) - (grid.max_shown - 1)}")
            colours.append(CONTEXT_TEXT)
            continue
        texts.append(plotly_text(_short(tokens[i, j], MAX_CHARS)))
        bg = backgrounds[i, j] if backgrounds.ndim == 2 else backgrounds
        colours.append(text_colour(bg) if bg != "#ffffff" else ("#000" if k == md.MATCH else CONTEXT_TEXT))
    data.append(canvas_text({"type": "scatter", "mode": "text", "x": jj.tolist(), "y": (tops[ii] + ROW_PX / 2).tolist(),
                             "text": texts, "textfont": {"family": MONO, "size": 12, "color": colours},
                             "hoverinfo": "skip", "name": "text", "showlegend": False}))
    # the matched ranges, outlined
    shown = np.minimum(table["length"].to_numpy(np.int64), grid.max_shown)
    x0, x1 = grid.context - 0.5, grid.context + shown - 0.5
    ox = np.stack([np.full(n, x0), x1, x1, np.full(n, x0), np.full(n, x0), np.full(n, np.nan)], axis=1)
    oy = np.stack([tops, tops, tops + ROW_PX, tops + ROW_PX, tops, np.full(n, np.nan)], axis=1)
    data.append({"type": "scatter", "mode": "lines", "x": _cells(ox.reshape(-1)), "y": _cells(oy.reshape(-1)),
                 "line": {"color": MATCH_OUTLINE, "width": 2}, "hoverinfo": "skip", "name": "match",
                 "showlegend": False})
    # "use" buttons: boxes and labels drawn on the canvas; assets/match.js takes their hover and click
    mid = (tops + ROW_PX / 2).tolist()
    data.append(canvas_text({"type": "scatter", "mode": "markers", "visible": False, "x": [USE_X] * n, "y": mid,
                             "text": ["use"] * n,
                             "textfont": {"size": 11, "color": USE_BLUE},
                             "marker": {"symbol": "square", "size": ROW_PX - 3, "color": "rgba(13, 110, 253, 0.07)",
                                        "line": {"color": "rgba(13, 110, 253, 0.35)", "width": 1}},
                             "name": "use", "hovertemplate": "use match %{customdata} as the hypothesis<extra></extra>",
                             "customdata": list(range(1, n + 1)), "showlegend": False}))
    # the ranks, right-aligned in the left margin
    data.append(canvas_text({"type": "scatter", "mode": "text", "x": [RANK_X] * n, "y": mid,
                             "text": [f"{r + 1}" for r in range(n)], "textposition": "middle left",
                             "textfont": {"size": 10, "color": "#444444"}, "cliponaxis": False, "hoverinfo": "skip",
                             "name": "rank", "showlegend": False}))
    data += scales
    rows = table[["start", "stop"]].to_numpy(np.int64).tolist()
    height = int(n * row_h + 16)
    return figure(
        data, height=height, width=int(60 + (W + 2) * col_px + 110), autosize=False,
        margin={"l": 34, "r": 100, "t": 8, "b": 8}, dragmode=False, showlegend=False,
        hovermode=False,   # nothing plotly draws here is hovered: assets/match.js shows the bricks' and boxes' text
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",   # the bricks' canvas is under the plot
        xaxis={"range": [-2, W - 0.5], "visible": False, "fixedrange": True},
        yaxis={"range": [n * row_h, -4], "fixedrange": True, "showticklabels": False, "showgrid": False,
               "zeroline": False},
        meta={"rows": rows, "row_h": row_h, "key": key, "dataset": dataset})


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
        return empty_figure("no candidates")
    L = histogram["length"].to_numpy(np.int64)
    strict = histogram["strict"].to_numpy(np.int64)
    fuzzy = histogram["fuzzy"].to_numpy(np.int64)
    x = [str(v) for v in L.tolist()]
    custom = np.stack([L, strict, fuzzy], axis=1).tolist()
    sel = (L == selected) if selected is not None else np.zeros(len(L), bool)
    hover = ("length %{customdata[0]}<br>strict (all " + (f"{n_cells} " if n_cells else "")
             + "S1 cells on): %{customdata[1]}<br>fuzzy (≥ 1 cell on): %{customdata[2]}<extra></extra>")
    data = [
        dict(type="bar", x=x, y=fuzzy.tolist(), name="fuzzy: overlap ≥ 1", customdata=custom, hovertemplate=hover,
             marker=dict(color=np.where(sel, HIST_SELECTED, HIST_FUZZY).tolist(),
                         line=dict(color=np.where(sel, "#000", HIST_FUZZY).tolist(), width=np.where(sel, 2, 0).tolist()))),
        dict(type="bar", x=x, y=strict.tolist(), name="strict: overlap = |S1|", customdata=custom,
             hovertemplate=hover, marker=dict(color=np.where(sel, "#a63603", HIST_STRICT).tolist())),
    ]
    title = "candidates per length · click a bar to filter"
    if selected is not None:
        title = f"filtered to length {selected} · click it again to clear"
    return figure(data, barmode="overlay", height=240, bargap=0.1, clickmode="event",
                  margin=dict(l=50, r=10, t=50, b=55), title=fig_title(title, 12),
                  xaxis=dict(type="category", title=dict(text="length", standoff=2), tickangle=-45,
                             tickfont=dict(size=10), automargin=False),
                  yaxis=dict(title=dict(text="candidates")),
                  legend=dict(x=1, xanchor="right", y=1, yanchor="top", font=dict(size=10),
                              bgcolor="rgba(255,255,255,0.8)"))


# -- annotation summary -------------------------------------------------------------------------
def annotation_summary_figure(ds, name: str, table: pd.DataFrame) -> dict:
    """Categorical: share per category inside the matches vs overall. Scalar: histograms and means.
    Category labels come from the dataset: drawn literally (plotly reads markup in tick labels)."""
    n_pos = len(md.matched_positions(table))
    if n_pos == 0:
        return empty_figure("no matches to summarise")
    title = f"{plotly_text(name)}: in the {len(table)} shown matches ({n_pos} positions)<br>vs the whole dataset"
    if ds.annotation_kind(name) == "scalar":
        return _scalar_summary(ds, name, table, title)
    shares = md.annotation_shares(ds, name, table)
    labels = [plotly_text(x) for x in shares["label"].tolist()]
    data = [
        dict(type="bar", x=labels, y=(100 * shares["inside_share"]).tolist(), name="inside matches",
             marker=dict(color=category_colours(len(shares)), line=dict(color="#333", width=1)),
             customdata=shares["inside"].tolist(),
             hovertemplate="%{x}: %{y:.1f}% of matched positions (%{customdata})<extra></extra>"),
        dict(type="bar", x=labels, y=(100 * shares["overall_share"]).tolist(), name="whole dataset",
             marker=dict(color="#bbbbbb"), customdata=shares["overall"].tolist(),
             hovertemplate="%{x}: %{y:.1f}% of all positions (%{customdata})<extra></extra>"),
    ]
    return figure(data, barmode="group", height=270, margin=dict(l=50, r=10, t=20, b=40), bargap=0.25,
                  title=fig_title(title), yaxis=dict(title=dict(text="% of positions"), rangemode="tozero"),
                  xaxis=dict(type="category", automargin=True), showlegend=True,
                  legend=dict(orientation="h", x=0, xanchor="left", y=-0.18, yanchor="top", font=dict(size=10)))


def _scalar_summary(ds, name: str, table: pd.DataFrame, title: str) -> dict:
    codes = ds.annotation_codes(name)
    inside = codes[md.matched_positions(table)].astype(np.float64)
    inside = inside[np.isfinite(inside)]
    allv = codes[np.isfinite(codes)].astype(np.float64)
    lo, hi = md.scalar_range(ds, name)
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
    return figure(data, barmode="overlay", height=270, margin=dict(l=50, r=10, t=20, b=60), shapes=shapes,
                  title=fig_title(title), yaxis=dict(title=dict(text="% of positions")), showlegend=True,
                  legend=dict(orientation="h", x=0, y=-0.22, yanchor="top", font=dict(size=10)))
