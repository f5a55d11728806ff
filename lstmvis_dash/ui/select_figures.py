"""Figures of the select view: pure functions from data to `go.Figure` (or to patch values).

Coordinates: x is the step inside the window (0 .. W-1; the token at x is `pos + x`), so x fits a
uint8 typed array. Boundaries between tokens are at half steps: the range start:stop of the dataset
covers x from `start - pos - 0.5` to `stop - pos - 0.5`.

Main figure traces (indices are part of the contract with assets/lstmvis.js and the patches):
    0  all D cells, faint, one Scattergl with NaN separators
    1  the cells of S1 (minus excluded), blue
    2  the hovered cell, red (filled clientside)
    3  the words row (text), in the small bottom subplot; click / drag here to brush
Main figure shapes: 0 threshold (red dashed, editable), 1 selection (blue band), 2 left pad,
3 right pad (gray bands).
"""
from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

S1_BLUE = "#1f77b4"
HIGHLIGHT_RED = "#d62728"
THRESHOLD_RED = "#d62728"
FAINT = "rgba(110, 110, 110, 0.22)"
PAD_GRAY = "rgba(120, 120, 120, 0.22)"
SEL_FILL = "rgba(31, 119, 180, 0.13)"
RANGE_GRAY = "#7f7f7f"
MARGIN = {"l": 48, "r": 16, "t": 8, "b": 4}  # the brush slider under the plot uses the same
MAIN_HEIGHT = 400
WORDS_DOMAIN = [0.0, 0.085]
PLOT_DOMAIN = [0.11, 1.0]
MAX_WORD = 7

TRACE_ALL, TRACE_S1, TRACE_HOVER, TRACE_WORDS = 0, 1, 2, 3
SHAPE_THRESHOLD, SHAPE_SEL, SHAPE_PAD_LEFT, SHAPE_PAD_RIGHT = 0, 1, 2, 3


def b64(arr: np.ndarray) -> dict:
    """A numpy array as plotly.js's typed-array spec (what plotly.py sends for figures)."""
    arr = np.ascontiguousarray(arr)
    dtype = {np.dtype(np.float32): "f4", np.dtype(np.float64): "f8", np.dtype(np.uint8): "u1",
             np.dtype(np.int16): "i2", np.dtype(np.uint16): "u2", np.dtype(np.int32): "i4",
             np.dtype(np.int8): "i1", np.dtype(np.uint32): "u4"}[arr.dtype]
    return {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}


def short_word(word: str, n: int = MAX_WORD) -> str:
    word = str(word)
    return word if len(word) <= n else word[: n - 1] + "…"


def plotly_text(text: str) -> str:
    """Text shown literally by plotly.js (which reads <br>, <b>, &amp;... in labels as markup)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def word_style(width: int) -> tuple[int, int]:
    """(font size, longest label) so that the words of a window of `width` steps stay readable."""
    if width <= 60:
        return 12, MAX_WORD
    if width <= 100:
        return 10, 5
    if width <= 150:
        return 9, 3
    return 8, 2


def lines_xy(values: np.ndarray, cells) -> tuple[np.ndarray, np.ndarray]:
    """x (uint8 steps) and y (float32, NaN between cells) drawing each cell as one polyline."""
    W = values.shape[0]
    cells = np.asarray(cells, dtype=np.int64)
    n = len(cells)
    x = np.empty((n, W + 1), np.uint8)
    x[:, :W] = np.arange(W, dtype=np.uint8)
    x[:, W] = W - 1
    y = np.full((n, W + 1), np.nan, np.float32)
    if n:
        y[:, :W] = values[:, cells].T
    return x.reshape(-1), y.reshape(-1)


def _window_shape(lo: float, hi: float, fill: str, visible: bool) -> dict:
    return {"type": "rect", "xref": "x", "yref": "paper", "x0": lo, "x1": hi, "y0": 0, "y1": 1,
            "fillcolor": fill, "line": {"width": 0}, "layer": "below", "visible": visible}


def range_shapes(pos: int, width: int, sel, pad) -> list[dict]:
    """Selection band and gray pad bands (shapes 1..3) for the window starting at pos."""
    if not sel:
        return [_window_shape(0, 0, SEL_FILL, False), _window_shape(0, 0, PAD_GRAY, False),
                _window_shape(0, 0, PAD_GRAY, False)]
    a, b = sel[0] - pos - 0.5, sel[1] - pos - 0.5
    pl, pr = pad or (0, 0)
    return [_window_shape(a, b, SEL_FILL, True),
            _window_shape(a - pl, a, PAD_GRAY, pl > 0),
            _window_shape(b, b + pr, PAD_GRAY, pr > 0)]


def threshold_shape(threshold: float) -> dict:
    return {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": threshold, "y1": threshold,
            "line": {"color": THRESHOLD_RED, "width": 2, "dash": "dash"}, "editable": True,
            "name": "threshold", "layer": "above"}


def word_colors(pos: int, width: int, sel) -> list[str]:
    colors = ["#333333"] * width
    if sel:
        for x in range(max(0, sel[0] - pos), min(width, sel[1] - pos)):
            colors[x] = S1_BLUE
    return colors


def _template() -> dict:
    return pio.templates["none"].to_plotly_json()


def main_figure_spec(tokens, values: np.ndarray, pos: int, s1_cells, threshold: float, sel=None, pad=(0, 0),
                     transform: str = "tanh", uirevision: str = "") -> dict:
    """The parallel-coordinates plot of one window as a plain figure dict (typed arrays, no validation
    cost: this is what the server sends). `main_figure` wraps it in a validated go.Figure."""
    W, D = values.shape
    xa, ya = lines_xy(values, np.arange(D))
    xs, ys = lines_xy(values, s1_cells)
    hover = [plotly_text(f"{pos + i}: {t}") for i, t in enumerate(tokens)]
    font_size, longest = word_style(W)
    data = [
        {"type": "scattergl", "x": b64(xa), "y": b64(ya), "mode": "lines", "line": {"color": FAINT, "width": 1},
         "hoverinfo": "none", "name": "cells", "showlegend": False},
        {"type": "scattergl", "x": b64(xs), "y": b64(ys), "mode": "lines", "line": {"color": S1_BLUE, "width": 1.6},
         "hoverinfo": "none", "name": "S1", "showlegend": False},
        {"type": "scattergl", "x": [], "y": [], "mode": "lines+markers",
         "line": {"color": HIGHLIGHT_RED, "width": 2.6}, "marker": {"size": 4, "color": HIGHLIGHT_RED},
         "name": "cell", "hovertemplate": "%{fullData.name}: %{y:.3f}<extra></extra>", "showlegend": False},
        {"type": "scatter", "x": b64(np.arange(W, dtype=np.uint8)), "y": b64(np.zeros(W, np.uint8)),
         "mode": "text", "text": [plotly_text(short_word(t, longest)) for t in tokens], "hovertext": hover,
         "hoverinfo": "text", "xaxis": "x2", "yaxis": "y2",
         "textfont": {"size": font_size, "color": word_colors(pos, W, sel)},
         "name": "words", "showlegend": False},
    ]
    if transform == "tanh":
        yrange = [-1.05, 1.05]
    else:
        finite = values[np.isfinite(values)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
        lo, hi = min(lo, threshold), max(hi, threshold)
        span = (hi - lo) or 1.0
        yrange = [lo - 0.05 * span, hi + 0.05 * span]
    layout = {
        "template": _template(), "height": MAIN_HEIGHT, "margin": MARGIN, "showlegend": False,
        "dragmode": "select", "selectdirection": "h", "hovermode": "closest", "uirevision": uirevision,
        "xaxis": {"range": [-0.5, W - 0.5], "fixedrange": True, "showticklabels": False, "showgrid": True,
                  "gridcolor": "#eeeeee", "tickvals": list(range(W)), "zeroline": False, "domain": [0, 1]},
        "xaxis2": {"range": [-0.5, W - 0.5], "fixedrange": True, "matches": "x", "showticklabels": False,
                   "showgrid": False, "zeroline": False, "anchor": "y2"},
        "yaxis": {"range": yrange, "domain": PLOT_DOMAIN, "zeroline": True, "zerolinecolor": "#cccccc",
                  "gridcolor": "#eeeeee", "title": {"text": "value", "standoff": 4}},
        "yaxis2": {"domain": WORDS_DOMAIN, "range": [-1, 1], "fixedrange": True, "visible": False, "anchor": "x2"},
        "shapes": [threshold_shape(threshold)] + range_shapes(pos, W, sel, pad),
        "meta": {"pos": pos, "width": W, "D": D, "s1": [int(c) for c in s1_cells]},
        "plot_bgcolor": "white", "paper_bgcolor": "white", "font": {"family": "system-ui, sans-serif", "size": 12},
    }
    return {"data": data, "layout": layout}


def main_figure(*args, **kwargs) -> go.Figure:
    """`main_figure_spec` as a validated go.Figure (template "none")."""
    return go.Figure(main_figure_spec(*args, **kwargs))


# ---------------------------------------------------------------------------------------------
# the discrete plot under the words: share of S1 on per step, on-ranges per S1 cell

def on_runs(on: np.ndarray, min_run: int = 1) -> list[tuple[int, int, int]]:
    """(row, a, b) for each maximal run of True in each column of `on` (W x n), length >= min_run."""
    W, n = on.shape
    if n == 0 or W == 0:
        return []
    padded = np.zeros((W + 2, n), np.int8)
    padded[1:-1] = on
    d = np.diff(padded, axis=0)
    starts = np.argwhere(d.T == 1)
    stops = np.argwhere(d.T == -1)
    out = []
    for (row, a), (_, b) in zip(starts, stops):
        if b - a >= min_run:
            out.append((int(row), int(a), int(b)))
    return out


def detail_height(n_cells: int) -> int:
    return 90 + int(np.clip(n_cells * 6, 30, 330))


def detail_traces(on: np.ndarray, cells, min_run: int = 1):
    """Values for the bar trace (share of S1 on) and the on-range trace (x, y, cell id per point)."""
    W = on.shape[0]
    n = len(cells)
    share = (on.sum(axis=1) / n).astype(np.float32) if n else np.zeros(W, np.float32)
    runs = on_runs(on, min_run)
    m = len(runs)
    rx = np.full(3 * m, np.nan, np.float32)
    ry = np.full(3 * m, np.nan, np.float32)
    text = [""] * (3 * m)
    for k, (row, a, b) in enumerate(runs):
        rx[3 * k], rx[3 * k + 1] = a - 0.45, b - 1 + 0.45
        ry[3 * k] = ry[3 * k + 1] = row
        text[3 * k] = text[3 * k + 1] = str(int(cells[row]))
    return share, rx, ry, text


def detail_layout(n_cells: int, width: int) -> dict:
    h = detail_height(n_cells)
    bar_px = 56
    plot_px = h - MARGIN["t"] - 24
    split = 1 - bar_px / plot_px
    rows = max(n_cells, 1)
    return {
        "height": h,
        "yaxis": {"domain": [split + 0.03, 1.0], "range": [0, 1], "fixedrange": True, "tickformat": ".0%",
                  "tickvals": [0, 0.5, 1], "gridcolor": "#eeeeee", "zeroline": False},
        "yaxis2": {"domain": [0, split - 0.02], "range": [rows - 0.5, -0.5], "fixedrange": True,
                   "showticklabels": False, "showgrid": False, "zeroline": False, "anchor": "x2"},
    }


def detail_figure_spec(on: np.ndarray, cells, pos: int, min_run: int = 1, uirevision: str = "") -> dict:
    """Blue bars (share of S1 on at each step) over gray on-range lines, one row per S1 cell (a dict).
    Trace 2 is the hovered cell's on-ranges in red, filled clientside."""
    W = on.shape[0]
    share, rx, ry, text = detail_traces(on, cells, min_run)
    ticks = list(range(0, W, max(1, W // 10)))
    data = [
        {"type": "bar", "x": b64(np.arange(W, dtype=np.uint8)), "y": b64(share), "marker": {"color": S1_BLUE},
         "name": "S1 on", "hovertemplate": "%{y:.0%} of S1 on<extra></extra>", "showlegend": False},
        {"type": "scatter", "x": b64(rx), "y": b64(ry), "mode": "lines", "line": {"color": RANGE_GRAY, "width": 3},
         "text": text, "hovertemplate": "cell %{text}<extra></extra>", "xaxis": "x2", "yaxis": "y2",
         "name": "on-ranges", "showlegend": False, "connectgaps": False},
        {"type": "scatter", "x": [], "y": [], "mode": "lines", "line": {"color": HIGHLIGHT_RED, "width": 3},
         "xaxis": "x2", "yaxis": "y2", "hoverinfo": "skip", "name": "highlight", "showlegend": False,
         "connectgaps": False},
    ]
    layout = {
        "template": _template(), "margin": {**MARGIN, "b": 24}, "showlegend": False, "uirevision": uirevision,
        "bargap": 0.15,
        "xaxis": {"range": [-0.5, W - 0.5], "fixedrange": True, "showticklabels": False, "showgrid": False,
                  "zeroline": False},
        "xaxis2": {"range": [-0.5, W - 0.5], "fixedrange": True, "matches": "x", "anchor": "y2", "showgrid": False,
                   "zeroline": False, "tickvals": ticks, "ticktext": [str(pos + x) for x in ticks]},
        "plot_bgcolor": "white", "paper_bgcolor": "white", "dragmode": False, "hovermode": "closest",
        "font": {"family": "system-ui, sans-serif", "size": 11},
        **detail_layout(len(cells), W),
    }
    return {"data": data, "layout": layout}


def detail_figure(*args, **kwargs) -> go.Figure:
    """`detail_figure_spec` as a validated go.Figure (template "none")."""
    return go.Figure(detail_figure_spec(*args, **kwargs))
