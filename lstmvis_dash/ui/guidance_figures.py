"""The threshold guidance figure of the select view: a pure function from cell statistics to a figure.

One row per cell (the hovered cell on top, then the S1 cells, most selective first), two panels
sharing the rows:
  left  the cell's distribution over the whole dataset in the viewed transform: a thin bar from the
        1st to the 99th percentile, a box from the 25th to the 75th, a tick at the median; a dot at
        the cell's lowest value through the selected range; the threshold ℓ (red) and the
        suggested ℓ (green, dashed) as vertical lines across all rows;
  right the share of all positions at which the cell is on at ℓ (a full bar: on everywhere).
Traces (indices are the contract with the clientside hover in assets/guidance.js):
    0 whiskers (1-99%)  1 boxes (25-75%)  2 medians  3 range minima  4 on-share bars
    5-9 the same five for the hovered cell's row (filled clientside)
"""
from __future__ import annotations

import numpy as np

from .figures import figure, title
from .guidance_data import PROBS
from .select_figures import HIGHLIGHT_RED, S1_BLUE, THRESHOLD_RED

SUGGEST_GREEN = "#2ca02c"
MAX_ROWS = 12
ROW_PX = 17
HOVER_ROW = "hovered"
TRACE_WHISKER, TRACE_BOX, TRACE_MEDIAN, TRACE_MIN, TRACE_SHARE = range(5)
HOVER_OFFSET = 5
X_RANGE = {"tanh": [-1.05, 1.05], "quantile": [-0.02, 1.02]}


def _finite(x) -> list:
    """Numbers for JSON (NaN, which JSON has not, as None: a gap)."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(x, np.float64).ravel()]


def _rows(labels, q, low, share, colour) -> list[dict]:
    """The five traces of a set of rows: q (n, len(PROBS)) quantiles at PROBS, low (n,), share (n,)."""
    q = np.asarray(q, np.float64).reshape(-1, len(PROBS))
    y = list(labels)
    return [
        {"type": "bar", "y": y, "x": _finite(q[:, 4] - q[:, 0]), "base": _finite(q[:, 0]), "orientation": "h",
         "width": 0.18, "marker": {"color": colour}, "opacity": 0.35, "hoverinfo": "skip", "showlegend": False},
        {"type": "bar", "y": y, "x": _finite(q[:, 3] - q[:, 1]), "base": _finite(q[:, 1]), "orientation": "h",
         "width": 0.62, "marker": {"color": colour}, "opacity": 0.55, "showlegend": False,
         "customdata": [_finite(r) for r in q],
         "hovertemplate": "%{y}: 1% %{customdata[0]:.3g} · 25% %{customdata[1]:.3g} · median "
                          "%{customdata[2]:.3g} · 75% %{customdata[3]:.3g} · 99% %{customdata[4]:.3g}<extra></extra>"},
        {"type": "scatter", "y": y, "x": _finite(q[:, 2]), "mode": "markers", "hoverinfo": "skip", "showlegend": False,
         "marker": {"symbol": "line-ns", "size": 11, "color": "#222", "line": {"width": 2, "color": "#222"}}},
        {"type": "scatter", "y": y, "x": _finite(low), "mode": "markers", "showlegend": False,
         "marker": {"symbol": "circle", "size": 6, "color": colour, "line": {"width": 1, "color": "white"}},
         "hovertemplate": "%{y}: lowest in the selection %{x:.3g}<extra></extra>"},
        {"type": "bar", "y": y, "x": _finite(share), "orientation": "h", "width": 0.6, "marker": {"color": colour},
         "xaxis": "x2", "showlegend": False, "hovertemplate": "%{y}: on at %{x:.1%} of all positions<extra></extra>"},
    ]


def guidance_figure(cells, quantiles, range_min, on_share, threshold: float, suggested: float | None,
                    *, n_s1: int | None = None, transform: str = "tanh", everywhere: int = 0,
                    key: str = "") -> dict:
    """cells: the S1 cell ids to draw (at most MAX_ROWS, in the order given); quantiles (n, 5) at
    PROBS, range_min (n,), on_share (n,) for them; n_s1: |S1| when more cells are in it than drawn;
    everywhere: how many S1 cells are on at (nearly) every position at ℓ; key: names the view, so
    that the hover (assets/guidance.js) fills a row only into the figure its statistics belong to."""
    cells = [int(c) for c in cells][:MAX_ROWS]
    n = len(cells)
    labels = [f"cell {c}" for c in cells]
    traces = _rows(labels, np.asarray(quantiles)[:n], np.asarray(range_min)[:n], np.asarray(on_share)[:n], S1_BLUE)
    traces += _rows([], np.zeros((0, len(PROBS))), [], [], HIGHLIGHT_RED)
    line = lambda x, colour, dash: {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x,  # noqa: E731
                                    "y0": 0, "y1": 1, "line": {"color": colour, "width": 2, "dash": dash}}
    shapes = [line(threshold, THRESHOLD_RED, "solid")]
    has_suggestion = suggested is not None and np.isfinite(suggested)
    if has_suggestion:
        shapes.append(line(suggested, SUGGEST_GREEN, "dash"))
    more = (n_s1 or n) - n
    text = (f"ℓ = {threshold:.3g}" + (f" · suggested {suggested:.3g}" if has_suggestion else "")
            + (f" · {more} more S1 cells" if more > 0 else "")
            + (f" · {everywhere} on almost everywhere" if everywhere else ""))
    xaxis = {"domain": [0.0, 0.72], "zeroline": False, "tickfont": {"size": 9}}
    if transform in X_RANGE:
        xaxis["range"] = X_RANGE[transform]
    return figure(
        traces, height=34 + ROW_PX * (n + 1) + 26, margin={"l": 62, "r": 20, "t": 22, "b": 22},
        barmode="overlay", bargap=0.1, hovermode="closest", dragmode=False, shapes=shapes, title=title(text),
        xaxis=xaxis,
        xaxis2={"domain": [0.76, 1.0], "range": [0, 1], "tickformat": ".0%", "tickvals": [0, 0.5, 1],
                "tickfont": {"size": 9}, "anchor": "y"},
        yaxis={"categoryorder": "array", "categoryarray": ([HOVER_ROW] + labels)[::-1], "type": "category",
               "range": [-0.5, n + 0.5], "tickfont": {"size": 9}, "fixedrange": True},
        meta={"cells": cells, "threshold": threshold, "suggested": suggested if has_suggestion else None,
              "hovered": None, "key": key},
    )
