"""Figures of the select view: pure functions from a window's data to figure dicts (or patch values).

Coordinates: x is the step inside the window (0 .. W-1; the token at x is `pos + x`), so x fits a
uint8 typed array. Boundaries between tokens are at half steps: the range start:stop of the dataset
covers x from `start - pos - 0.5` to `stop - pos - 0.5`.

Main figure traces (indices are part of the contract with assets/select.js and the patches):
    0  the window's lines, faint, one trace with NaN separators (the cells of `meta.cells`)
    1  the cells of S1 (minus excluded), blue (`meta.s1`)
    2  the words row (text), in the small bottom subplot
Traces 0 and 1 are CANVAS_LINES: assets/lstmvis.js strokes them on a canvas under the plot (whose
backgrounds are transparent), plotly does not draw them (SVG paths of 650 cells x 40 steps cost
80-440 ms per update here; WebGL without a GPU is read back per frame); the PNG/SVG export draws
them as SVG. assets/select.js finds the line nearest the mouse itself (hover) and draws the hovered
cell red on a canvas over the plot, in HIGHLIGHT_RED.
Shapes: 0 threshold (red dashed), 1 selection (blue band), 2 left pad, 3 right pad (gray bands),
4 the clicked match (orange outline). The pointer gestures (brush, click-click, threshold drag) are
assets/select.js's: plotly's own box select is off (it kept selection state on the words and
threw in its WebGL code when a drag crossed the lines).
"""
from __future__ import annotations

import numpy as np

from .figures import CANVAS_LINES, FONT, TEMPLATE, b64, plotly_text

S1_BLUE = "#1f77b4"
HIGHLIGHT_RED = "#d62728"
THRESHOLD_RED = "#d62728"
FOCUS_ORANGE = "#ff7f0e"
FAINT = "rgba(110, 110, 110, 0.22)"
PAD_GRAY = "rgba(120, 120, 120, 0.22)"
SEL_FILL = "rgba(31, 119, 180, 0.13)"
RANGE_GRAY = "#7f7f7f"
MARGIN = {"l": 48, "r": 16, "t": 8, "b": 4}  # the brush slider under the plot uses the same
MAIN_HEIGHT = 400
WORDS_DOMAIN = [0.0, 0.085]
PLOT_DOMAIN = [0.11, 1.0]
MAX_WORD = 7

TRACE_ALL, TRACE_S1, TRACE_WORDS = 0, 1, 2


def short_word(word: str, n: int = MAX_WORD) -> str:
    word = str(word)
    return word if len(word) <= n else word[: n - 1] + "…"


PLOT_PX = 1150  # the plot's width on a common screen: what the words row has room for


def word_style(width: int) -> tuple[int, int]:
    """(font size, longest label) so that the words of a window of `width` steps do not overlap
    (the full word is in the hover)."""
    size = 12 if width <= 60 else 10 if width <= 100 else 9 if width <= 150 else 8
    return size, int(min(MAX_WORD, max(2, PLOT_PX / (width * 0.55 * size))))


def lines_xy(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x (uint8 steps) and y (float32, NaN between cells) drawing each column of values as a polyline."""
    W, n = values.shape
    x = np.empty((n, W + 1), np.uint8)
    x[:, :W] = np.arange(W, dtype=np.uint8)
    x[:, W] = max(W - 1, 0)
    y = np.full((n, W + 1), np.nan, np.float32)
    y[:, :W] = values.T
    return x.reshape(-1), y.reshape(-1)


def _band(lo: float, hi: float, fill: str, visible: bool, line=None) -> dict:
    return {"type": "rect", "xref": "x", "yref": "paper", "x0": lo, "x1": hi, "y0": 0, "y1": 1,
            "fillcolor": fill, "line": line or {"width": 0}, "layer": "below", "visible": visible}


def shapes(pos: int, width: int, threshold: float, sel=None, pad=(0, 0), focus=None) -> list[dict]:
    """Threshold line, selection band, gray pad bands and the clicked match's outline, for the window."""
    out = [{"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": threshold, "y1": threshold,
            "line": {"color": THRESHOLD_RED, "width": 2, "dash": "dash"}, "name": "threshold", "layer": "above"}]
    if sel:
        a, b = sel[0] - pos - 0.5, sel[1] - pos - 0.5
        pl, pr = pad or (0, 0)
        out += [_band(a, b, SEL_FILL, True), _band(a - pl, a, PAD_GRAY, pl > 0), _band(b, b + pr, PAD_GRAY, pr > 0)]
    else:
        out += [_band(0, 0, SEL_FILL, False)] + [_band(0, 0, PAD_GRAY, False)] * 2
    if focus:
        out.append(_band(focus[0] - pos - 0.5, focus[1] - pos - 0.5, "rgba(0,0,0,0)", True,
                         {"color": FOCUS_ORANGE, "width": 2}))
    else:
        out.append(_band(0, 0, "rgba(0,0,0,0)", False))
    return out


def word_colors(pos: int, width: int, sel) -> list[str]:
    colors = ["#333333"] * width
    if sel:
        for x in range(max(0, sel[0] - pos), min(width, sel[1] - pos)):
            colors[x] = S1_BLUE
    return colors


def value_range(values: np.ndarray, transform: str, threshold: float) -> list[float]:
    if transform == "tanh":
        return [-1.05, 1.05]
    if transform == "quantile":
        return [-0.05, 1.05]
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    lo, hi = min(lo, threshold), max(hi, threshold)
    span = (hi - lo) or 1.0
    return [lo - 0.05 * span, hi + 0.05 * span]


def lines_trace(x: np.ndarray, y: np.ndarray, color: str, width: float, name: str) -> dict:
    """Polylines (NaN breaks) that the page strokes on a canvas (assets/lstmvis.js, CANVAS_LINES)."""
    return {"type": "scatter", "x": b64(x), "y": b64(y), "mode": "lines", "line": {"color": color, "width": width},
            "hoverinfo": "none", "name": name, "showlegend": False, "visible": False, "meta": CANVAS_LINES}


def s1_lines(window, s1_cells) -> tuple[np.ndarray, np.ndarray]:
    """The S1 trace's x, y: the columns of the window that hold S1's cells."""
    return lines_xy(window.columns(s1_cells))


def meta(pos: int, window, s1_cells, source) -> dict:
    """What assets/select.js reads: the window, the drawn cells (trace 0) and S1 (trace 1) in order,
    and the (dataset, layer) shown."""
    return {"pos": int(pos), "width": int(window.values.shape[0]), "D": int(window.D),
            "cells": window.cells.tolist(), "s1": [int(c) for c in s1_cells], "source": list(source)}


def main_figure(tokens, window, pos: int, s1_cells, threshold: float, sel=None, pad=(0, 0), focus=None,
                transform: str = "tanh", source=("", ""), height: int = MAIN_HEIGHT, title: str = "") -> dict:
    """The parallel-coordinates plot of one window (`window` is a data.Window) as a figure dict."""
    W = window.values.shape[0]
    xa, ya = lines_xy(window.values)
    xs, ys = s1_lines(window, s1_cells)
    hover = [plotly_text(f"{pos + i}: {t}") for i, t in enumerate(tokens)]
    font_size, longest = word_style(W)
    data = [
        lines_trace(xa, ya, FAINT, 1, "cells"),
        lines_trace(xs, ys, S1_BLUE, 1.6, "S1"),
        {"type": "scatter", "x": b64(np.arange(W, dtype=np.uint8)), "y": b64(np.zeros(W, np.uint8)),
         "mode": "text", "text": [plotly_text(short_word(t, longest)) for t in tokens], "hovertext": hover,
         "hoverinfo": "text", "xaxis": "x2", "yaxis": "y2",
         "textfont": {"size": font_size, "color": word_colors(pos, W, sel)}, "name": "words", "showlegend": False},
    ]
    layout = {
        "template": TEMPLATE, "height": height, "margin": dict(MARGIN, t=26 if title else MARGIN["t"]),
        "showlegend": False, "dragmode": False, "hovermode": "closest",
        "xaxis": {"range": [-0.5, W - 0.5], "fixedrange": True, "showticklabels": False, "showgrid": True,
                  "gridcolor": "#eeeeee", "tickvals": list(range(W)), "zeroline": False, "domain": [0, 1]},
        "xaxis2": {"range": [-0.5, W - 0.5], "fixedrange": True, "matches": "x", "showticklabels": False,
                   "showgrid": False, "zeroline": False, "anchor": "y2"},
        "yaxis": {"range": value_range(window.values, transform, threshold), "domain": PLOT_DOMAIN,
                  "zeroline": True, "zerolinecolor": "#cccccc", "gridcolor": "#eeeeee", "fixedrange": True,
                  "title": {"text": f"value ({transform})", "standoff": 4}},
        "yaxis2": {"domain": WORDS_DOMAIN, "range": [-1, 1], "fixedrange": True, "visible": False, "anchor": "x2"},
        "shapes": shapes(pos, W, threshold, sel, pad, focus), "uirevision": "|".join(source),
        "meta": meta(pos, window, s1_cells, source),
        "plot_bgcolor": "rgba(0,0,0,0)", "paper_bgcolor": "rgba(0,0,0,0)", "font": FONT,  # the lines are under it
    }
    if title:
        layout["title"] = {"text": plotly_text(title), "x": 0.01, "xanchor": "left", "y": 0.99, "yanchor": "top",
                           "font": {"size": 12}}
    return {"data": data, "layout": layout}


def main_patch(patch, window, pos: int, s1_cells, threshold: float, sel, pad, focus, source):
    """The same window with another hypothesis: only the S1 lines, the word colours and the shapes."""
    xs, ys = s1_lines(window, s1_cells)
    patch["data"][TRACE_S1]["x"] = b64(xs)
    patch["data"][TRACE_S1]["y"] = b64(ys)
    W = window.values.shape[0]
    patch["data"][TRACE_WORDS]["textfont"]["color"] = word_colors(pos, W, sel)
    patch["layout"]["shapes"] = shapes(pos, W, threshold, sel, pad, focus)
    patch["layout"]["meta"] = meta(pos, window, s1_cells, source)
    return patch


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
    return [(int(row), int(a), int(b)) for (row, a), (_, b) in zip(starts, stops) if b - a >= min_run]


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


def detail_figure(on: np.ndarray, cells, pos: int, min_run: int = 1, uirevision: str = "") -> dict:
    """Blue bars (share of S1 on at each step) over gray on-range lines, one row per S1 cell (the
    hovered cell's on-ranges are drawn red over them by assets/select.js)."""
    W = on.shape[0]
    share, rx, ry, text = detail_traces(on, cells, min_run)
    ticks = list(range(0, W, max(1, W // 10)))
    h = detail_height(len(cells))
    split = 1 - 56 / (h - MARGIN["t"] - 24)
    data = [
        {"type": "bar", "x": b64(np.arange(W, dtype=np.uint8)), "y": b64(share), "marker": {"color": S1_BLUE},
         "name": "S1 on", "hovertemplate": "%{y:.0%} of S1 on<extra></extra>", "showlegend": False},
        {"type": "scatter", "x": b64(rx), "y": b64(ry), "mode": "lines", "line": {"color": RANGE_GRAY, "width": 3},
         "text": text, "hovertemplate": "cell %{text}<extra></extra>", "xaxis": "x2", "yaxis": "y2",
         "name": "on-ranges", "showlegend": False, "connectgaps": False},
    ]
    layout = {
        "template": TEMPLATE, "margin": {**MARGIN, "b": 24}, "showlegend": False, "uirevision": uirevision,
        "bargap": 0.15, "height": h,
        "xaxis": {"range": [-0.5, W - 0.5], "fixedrange": True, "showticklabels": False, "showgrid": False,
                  "zeroline": False},
        "xaxis2": {"range": [-0.5, W - 0.5], "fixedrange": True, "matches": "x", "anchor": "y2", "showgrid": False,
                   "zeroline": False, "tickvals": ticks, "ticktext": [str(pos + x) for x in ticks]},
        "yaxis": {"domain": [split + 0.03, 1.0], "range": [0, 1], "fixedrange": True, "tickformat": ".0%",
                  "tickvals": [0, 0.5, 1], "gridcolor": "#eeeeee", "zeroline": False},
        "yaxis2": {"domain": [0, split - 0.02], "range": [max(len(cells), 1) - 0.5, -0.5], "fixedrange": True,
                   "showticklabels": False, "showgrid": False, "zeroline": False, "anchor": "x2"},
        "plot_bgcolor": "white", "paper_bgcolor": "white", "dragmode": False, "hovermode": "closest",
        "font": dict(FONT, size=11),
    }
    return {"data": data, "layout": layout}
