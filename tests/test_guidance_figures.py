"""The threshold guidance figure: a pure function of the cells' statistics (a plain dict that
plotly validates)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstmvis_dash.ui import guidance_figures as gf


def _fig(n=3, **kw):
    q = np.array([[-0.9, -0.5, 0.0, 0.5, 0.9]] * n) + np.arange(n)[:, None] * 0.01
    args = dict(cells=list(range(10, 10 + n)), quantiles=q, range_min=np.full(n, 0.7),
                on_share=np.linspace(0.1, 0.3, n), threshold=0.3, suggested=0.45)
    args.update(kw)
    return gf.guidance_figure(**args)


def test_rows_ranges_and_lines():
    fig = _fig(key="k1")
    go.Figure(fig)                                   # a valid figure
    data, layout = fig["data"], fig["layout"]
    assert len(data) == 10
    box = data[gf.TRACE_BOX]
    assert box["y"] == ["cell 10", "cell 11", "cell 12"]
    assert np.allclose(box["base"], [-0.5, -0.49, -0.48]) and np.allclose(box["x"], [1.0, 1.0, 1.0])
    wh = data[gf.TRACE_WHISKER]
    assert np.allclose(np.asarray(wh["base"]) + np.asarray(wh["x"]), [0.9, 0.91, 0.92])
    assert np.allclose(data[gf.TRACE_MEDIAN]["x"], [0.0, 0.01, 0.02])
    assert np.allclose(data[gf.TRACE_MIN]["x"], 0.7)
    share = data[gf.TRACE_SHARE]
    assert share["xaxis"] == "x2" and np.allclose(share["x"], [0.1, 0.2, 0.3])
    assert [s["x0"] for s in layout["shapes"]] == [0.3, 0.45]
    # the hovered row is reserved on top, empty until the page fills it
    assert layout["yaxis"]["categoryarray"][-1] == gf.HOVER_ROW
    assert all(len(data[gf.HOVER_OFFSET + k]["y"]) == 0 for k in range(5))
    assert layout["meta"] == {"cells": [10, 11, 12], "threshold": 0.3, "suggested": 0.45, "hovered": None,
                              "key": "k1"}
    assert layout["xaxis"]["range"] == gf.X_RANGE["tanh"]


def test_no_suggestion_and_more_cells_than_rows():
    n = gf.MAX_ROWS + 5
    fig = _fig(n=n, suggested=None, n_s1=n)
    assert len(fig["layout"]["shapes"]) == 1
    assert len(fig["data"][gf.TRACE_BOX]["y"]) == gf.MAX_ROWS
    assert "5 more S1 cells" in fig["layout"]["title"]["text"]


def test_cells_on_everywhere_are_named_in_the_title():
    fig = _fig(on_share=[0.2, 1.0, 1.0], everywhere=2)
    assert "2 on almost everywhere" in fig["layout"]["title"]["text"]


def test_missing_values_are_gaps_not_nan():
    """NaN (a cell never on, no range minimum) is not JSON: it becomes None, a gap."""
    q = np.array([[np.nan] * 5, [0.1, 0.2, 0.3, 0.4, 0.5]])
    fig = gf.guidance_figure([1, 2], q, [np.nan, 0.2], [0.0, 0.5], 0.3, float("nan"), transform="none")
    go.Figure(fig)
    assert fig["data"][gf.TRACE_MEDIAN]["x"] == [None, 0.3]
    assert fig["data"][gf.TRACE_MIN]["x"] == [None, 0.2]
    assert len(fig["layout"]["shapes"]) == 1 and fig["layout"]["meta"]["suggested"] is None
    assert "range" not in fig["layout"]["xaxis"]       # an untransformed layer: the data's own range


def test_empty_selection_draws_the_frame_only():
    fig = gf.guidance_figure([], np.zeros((0, 5)), [], [], 0.3, None)
    go.Figure(fig)
    assert len(fig["data"][gf.TRACE_BOX]["y"]) == 0 and fig["layout"]["meta"]["cells"] == []
