"""Figures of the projection view (paper Figure 7): pure functions from patterns to figure dicts.

`projection_figure_spec` draws the PCA of the on-patterns of annotated ranges as one WebGL scatter
trace per annotation value (so the legend toggles values). Ranges with the same pattern sit on the
same point: they are drawn as one marker whose size says how many share it (and the hover says the
number). Each point carries its first range as customdata [start, stop]: a click shows that range
(assets/lstmvis.js, the navigation channel).
"""
from __future__ import annotations

import numpy as np
import plotly.colors as pcolors

from .figures import FONT, TEMPLATE, b64, plotly_text

# strong colours: points on white (the paper's red / blue for the two main classes first)
PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"] + list(pcolors.qualitative.Dark24)
HEIGHT = 460
MAX_HOVER_TEXT = 60


def value_colours(values) -> dict:
    """Colour of each annotation value (keyed by str(value)), by its place in `values`."""
    return {str(v): PALETTE[i % len(PALETTE)] for i, v in enumerate(values)}


def short_text(text: str, n: int = MAX_HOVER_TEXT) -> str:
    """One line of at most n characters, newlines and tabs shown as ⏎ and →."""
    text = str(text).replace("\r\n", "\n").replace("\n", "⏎").replace("\t", "→")
    return text if len(text) <= n else text[: n - 1] + "…"


def hover_texts(starts, stops, texts, n_on, same) -> list[str]:
    out = []
    for a, b, t, k, m in zip(np.asarray(starts).tolist(), np.asarray(stops).tolist(), texts,
                             np.asarray(n_on).tolist(), np.asarray(same).tolist()):
        line = f"{a}:{b} · {plotly_text(short_text(t))}<br>|S1| = {k}"
        if m > 1:
            line += f" · {m:,} ranges share this point (click: the first)"
        out.append(line)
    return out


def points(coords: np.ndarray, keys: np.ndarray, value: str) -> tuple[np.ndarray, np.ndarray]:
    """The distinct points of one value: (index of the first range at each point, how many share it).
    Binary patterns often coincide, so thousands of ranges may sit on a few dozen points."""
    idx = np.flatnonzero(keys == value)
    if len(idx) == 0:
        return idx, idx
    _, first, counts = np.unique(np.round(coords[idx], 9), axis=0, return_index=True, return_counts=True)
    order = np.argsort(first)
    return idx[first[order]], counts[order]


def marker_sizes(counts: np.ndarray) -> np.ndarray:
    """A point's area grows with the number of ranges on it (5 px alone, at most 30 px)."""
    return np.minimum(30.0, 5.0 + 3.0 * np.sqrt(counts - 1)).astype(np.float32)


def projection_figure_spec(coords, labels, starts, stops, texts, n_on=None, order=None,
                           explained=None, title: str = "", uirevision: str = "", colours=None) -> dict:
    """Scatter of `coords` (n, 2), one scattergl trace per value of `labels` (in `order`, default
    first appearance; values compared as strings); ranges on the same point are one marker, sized by
    their number. customdata of a point is [start, stop] of its first range. `colours` maps
    str(value) to a colour (default: by place in `order`)."""
    coords = np.asarray(coords, dtype=np.float64).reshape(-1, 2) if len(coords) else np.zeros((0, 2))
    starts = np.asarray(starts, dtype=np.int64)
    stops = np.asarray(stops, dtype=np.int64)
    n = len(starts)
    if not (len(coords) == len(labels) == len(stops) == len(texts) == n):
        raise ValueError("coords, labels, starts, stops and texts must have one row per range")
    n_on = np.zeros(n, np.int64) if n_on is None else np.asarray(n_on)
    if order is None:
        order = list(dict.fromkeys(labels))
    colours = {**value_colours(order), **(colours or {})}
    keys = np.array([str(v) for v in labels], dtype=object)
    data = []
    for v in order:
        idx, counts = points(coords, keys, str(v))
        if len(idx) == 0:
            continue
        data.append({
            "type": "scattergl", "mode": "markers", "name": plotly_text(f"{v} ({int(counts.sum()):,})"),
            "x": b64(coords[idx, 0].astype(np.float32)), "y": b64(coords[idx, 1].astype(np.float32)),
            "marker": {"color": colours[str(v)], "size": b64(marker_sizes(counts)), "opacity": 0.6,
                       "line": {"width": 0}},
            "customdata": np.stack([starts[idx], stops[idx]], axis=1).tolist(),
            "hovertext": hover_texts(starts[idx], stops[idx], [texts[i] for i in idx], n_on[idx], counts),
            "hoverinfo": "text", "meta": str(v),
        })
    ev = list(explained) if explained is not None else []
    axis_title = [f"PC{k + 1}" + (f" ({ev[k]:.0%} of variance)" if k < len(ev) else "") for k in range(2)]
    layout = {
        "template": TEMPLATE, "height": HEIGHT, "margin": {"l": 56, "r": 16, "t": 36 if title else 12, "b": 44},
        "hovermode": "closest", "dragmode": "zoom", "uirevision": uirevision,
        "legend": {"title": {"text": "value (ranges)", "side": "top"}, "itemsizing": "constant",
                   "orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"},
        "xaxis": {"title": {"text": axis_title[0]}, "zeroline": False, "gridcolor": "#eeeeee"},
        "yaxis": {"title": {"text": axis_title[1]}, "zeroline": False, "gridcolor": "#eeeeee"},
        "plot_bgcolor": "white", "paper_bgcolor": "white", "font": FONT,
    }
    if title:
        layout["title"] = {"text": plotly_text(title), "x": 0, "xanchor": "left", "font": {"size": 13}}
    if not data:
        layout["annotations"] = [{"text": "no ranges", "showarrow": False, "xref": "paper", "yref": "paper",
                                  "x": 0.5, "y": 0.5}]
    return {"data": data, "layout": layout}


def default_values(labels_all, counts, top: int = 8) -> list:
    """The values shown at first: all when there are at most `top`, else the `top` most frequent
    (by number of ranges), in the annotation's own order."""
    present = [v for v, c in zip(labels_all, counts) if c > 0]
    if len(present) <= top:
        return present
    ranked = sorted(range(len(labels_all)), key=lambda i: -counts[i])[:top]
    return [labels_all[i] for i in sorted(ranked)]
