"""The threshold guidance figure of the select view: a pure function from cell statistics to `go.Figure`.

One row per cell (the hovered cell on top, then the S1 cells, most selective first), two panels
sharing the rows:
  left  the cell's distribution over the whole dataset in the viewed transform: a thin bar from the
        1st to the 99th percentile, a box from the 25th to the 75th, a tick at the median; a dot at
        the cell's lowest value through the selected range; the threshold ℓ (red) and the
        suggested ℓ (green, dashed) as vertical lines across all rows;
  right the share of all positions at which the cell is on at ℓ.
Traces (indices are the contract with the clientside hover in assets/guidance.js):
    0 whiskers (1-99%)  1 boxes (25-75%)  2 medians  3 range minima  4 on-share bars
    5-9 the same five for the hovered cell's row (filled clientside)
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .select_figures import HIGHLIGHT_RED, S1_BLUE, THRESHOLD_RED

# the probabilities of the quantile table each cell's row is drawn from
PROBS = (0.01, 0.25, 0.5, 0.75, 0.99)
SUGGEST_GREEN = "#2ca02c"
MAX_ROWS = 12
ROW_PX = 17
HOVER_ROW = "hovered"
TRACE_WHISKER, TRACE_BOX, TRACE_MEDIAN, TRACE_MIN, TRACE_SHARE = range(5)
HOVER_OFFSET = 5


def _rows(label, q, low, share, colour, bar_width):
    """The five traces of a set of rows: q (n, 5) quantiles at PROBS, low (n,), share (n,)."""
    y = list(label)
    q = np.asarray(q, np.float64).reshape(-1, len(PROBS))
    return [
        go.Bar(y=y, x=q[:, 4] - q[:, 0], base=q[:, 0], orientation="h", width=0.18, marker_color=colour,
               opacity=0.35, hoverinfo="skip", showlegend=False),
        go.Bar(y=y, x=q[:, 3] - q[:, 1], base=q[:, 1], orientation="h", width=0.62, marker_color=colour,
               opacity=0.55, customdata=q, showlegend=False,
               hovertemplate="%{y}: 1%% %{customdata[0]:.3g} · 25%% %{customdata[1]:.3g} · median "
                             "%{customdata[2]:.3g} · 75%% %{customdata[3]:.3g} · 99%% %{customdata[4]:.3g}"
                             "<extra></extra>"),
        go.Scatter(y=y, x=q[:, 2], mode="markers", marker={"symbol": "line-ns", "size": 11, "color": "#222",
                                                          "line": {"width": 2, "color": "#222"}},
                   hoverinfo="skip", showlegend=False),
        go.Scatter(y=y, x=np.asarray(low, np.float64), mode="markers", showlegend=False,
                   marker={"symbol": "circle", "size": 6, "color": colour, "line": {"width": 1, "color": "white"}},
                   hovertemplate="%{y}: lowest in the selection %{x:.3g}<extra></extra>"),
        go.Bar(y=y, x=np.asarray(share, np.float64), orientation="h", width=bar_width, marker_color=colour,
               xaxis="x2", showlegend=False, hovertemplate="%{y}: on at %{x:.1%} of positions<extra></extra>"),
    ]


def guidance_figure(cells, quantiles, range_min, on_share, threshold: float, suggested: float | None,
                    *, n_s1: int | None = None, transform: str = "tanh") -> go.Figure:
    """cells: the S1 cell ids to draw (at most MAX_ROWS, in the order given); quantiles (n, 5) at
    PROBS, range_min (n,), on_share (n,) for them; n_s1: |S1| when more cells are in it than drawn."""
    cells = [int(c) for c in cells][:MAX_ROWS]
    n = len(cells)
    labels = [f"cell {c}" for c in cells]
    order = [HOVER_ROW] + labels
    traces = _rows(labels, np.asarray(quantiles)[:n], np.asarray(range_min)[:n], np.asarray(on_share)[:n],
                   S1_BLUE, 0.6)
    traces += _rows([], np.zeros((0, len(PROBS))), [], [], HIGHLIGHT_RED, 0.6)
    fig = go.Figure(traces)
    shapes = [dict(type="line", xref="x", yref="paper", x0=threshold, x1=threshold, y0=0, y1=1,
                   line={"color": THRESHOLD_RED, "width": 2})]
    if suggested is not None and np.isfinite(suggested):
        shapes.append(dict(type="line", xref="x", yref="paper", x0=suggested, x1=suggested, y0=0, y1=1,
                           line={"color": SUGGEST_GREEN, "width": 2, "dash": "dash"}))
    more = (n_s1 or n) - n
    title = (f"ℓ = {threshold:.3g}" + (f" · suggested {suggested:.3g}" if suggested is not None else "")
             + (f" · {more} more S1 cells" if more > 0 else ""))
    fig.update_layout(
        template="none", height=34 + ROW_PX * (n + 1) + 26, margin={"l": 62, "r": 8, "t": 22, "b": 22},
        barmode="overlay", bargap=0.1, hovermode="closest", dragmode=False, shapes=shapes,
        title={"text": title, "font": {"size": 11}, "x": 0.01, "y": 0.99, "yanchor": "top"},
        xaxis={"domain": [0.0, 0.72], "zeroline": False, "tickfont": {"size": 9}, "title": None,
               **({"range": [-1.05, 1.05]} if transform == "tanh" else {})},
        xaxis2={"domain": [0.76, 1.0], "range": [0, 1], "tickformat": ".0%", "tickvals": [0, 0.5, 1],
                "tickfont": {"size": 9}, "anchor": "y"},
        yaxis={"categoryorder": "array", "categoryarray": order[::-1], "type": "category",
               "range": [-0.5, n + 0.5], "tickfont": {"size": 9}, "fixedrange": True},
        meta={"cells": cells, "threshold": threshold, "suggested": suggested},
    )
    return fig
