"""The threshold guidance figure: a pure function of the cells' statistics."""
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
    fig = _fig()
    go.Figure(fig)                                   # a valid figure
    assert len(fig.data) == 10
    box = fig.data[gf.TRACE_BOX]
    assert list(box.y) == ["cell 10", "cell 11", "cell 12"]
    assert np.allclose(box.base, [-0.5, -0.49, -0.48]) and np.allclose(box.x, [1.0, 1.0, 1.0])
    wh = fig.data[gf.TRACE_WHISKER]
    assert np.allclose(np.asarray(wh.base) + np.asarray(wh.x), [0.9, 0.91, 0.92])
    assert np.allclose(fig.data[gf.TRACE_MEDIAN].x, [0.0, 0.01, 0.02])
    assert np.allclose(fig.data[gf.TRACE_MIN].x, 0.7)
    share = fig.data[gf.TRACE_SHARE]
    assert share.xaxis == "x2" and np.allclose(share.x, [0.1, 0.2, 0.3])
    xs = [s.x0 for s in fig.layout.shapes]
    assert xs == [0.3, 0.45]
    # the hovered row is reserved on top, empty until the page fills it
    assert list(fig.layout.yaxis.categoryarray)[-1] == gf.HOVER_ROW
    assert all(len(fig.data[gf.HOVER_OFFSET + k].y or ()) == 0 for k in range(5))


def test_no_suggestion_and_more_cells_than_rows():
    n = gf.MAX_ROWS + 5
    fig = _fig(n=n, suggested=None, n_s1=n)
    assert len(fig.layout.shapes) == 1
    assert len(fig.data[gf.TRACE_BOX].y) == gf.MAX_ROWS
    assert "5 more S1 cells" in fig.layout.title.text


def test_empty_selection_draws_the_frame_only():
    fig = gf.guidance_figure([], np.zeros((0, 5)), [], [], 0.3, None)
    assert len(fig.data[gf.TRACE_BOX].y or ()) == 0 and fig.layout.meta["cells"] == []
