"""What every figure of the page shares: typed arrays, literal text, the "none" template, and the
empty figure that says why there is nothing to draw.

Figures are plain dicts ({"data", "layout"}), which is what dcc.Graph receives anyway: building
go.Figure objects validates every property and costs tens of milliseconds on a callback's hot path.
The tests load each one into go.Figure, which validates it.
"""
from __future__ import annotations

import base64

import numpy as np
import plotly.io as pio

TEMPLATE = pio.templates["none"].to_plotly_json()
FONT = {"family": "system-ui, sans-serif", "size": 12}
CANVAS_TEXT = "lv-canvas-text"  # trace meta: its text is drawn on a canvas (match_figures.canvas_text)
CANVAS_LINES = "lv-canvas-lines"  # trace meta: its lines are drawn on a canvas under the plot (select_figures)
CANVAS_HEATMAP = "lv-canvas-heatmap"  # trace meta: its bricks are drawn on a canvas under the plot (match_figures)
CANVAS_COLORBAR = "lv-canvas-colorbar"  # trace meta: its colour bar is drawn on a canvas (match_figures)
_DTYPES = {np.dtype(np.float32): "f4", np.dtype(np.float64): "f8", np.dtype(np.uint8): "u1",
           np.dtype(np.int16): "i2", np.dtype(np.uint16): "u2", np.dtype(np.int32): "i4",
           np.dtype(np.int8): "i1", np.dtype(np.uint32): "u4"}


def b64(arr: np.ndarray) -> dict:
    """A numpy array as plotly.js's typed-array spec (what plotly.py sends for figures)."""
    arr = np.ascontiguousarray(arr)
    return {"dtype": _DTYPES[arr.dtype], "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}


def plotly_text(text) -> str:
    """Text shown literally by plotly.js (which reads <br>, <b>, <a href>, &amp;... in labels as markup)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def figure(data: list, **layout) -> dict:
    layout.setdefault("template", TEMPLATE)
    layout.setdefault("font", FONT)
    layout.setdefault("paper_bgcolor", "white")
    layout.setdefault("plot_bgcolor", "white")
    return {"data": data, "layout": layout}


def title(text: str, size: int = 11) -> dict:
    """A title above the plot area that the figure makes room for (a two-line title anchored at its
    top is drawn partly above the figure by plotly: the top line was clipped)."""
    return {"text": text, "font": {"size": size}, "x": 0.01, "xanchor": "left", "automargin": True,
            "yref": "paper", "y": 1, "yanchor": "bottom", "pad": {"b": 6}}


def empty_figure(message: str, height: int = 120) -> dict:
    return figure([], height=height, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                  xaxis={"visible": False}, yaxis={"visible": False},
                  annotations=[{"text": plotly_text(message), "showarrow": False, "x": 0.5, "y": 0.5,
                                "xref": "paper", "yref": "paper", "font": {"color": "#777"}}])
