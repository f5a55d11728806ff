"""Pure figure functions of the select view."""
import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from lstmvis_dash.ui import data
from lstmvis_dash.ui import select_figures as sf
from lstmvis_dash.ui.figures import CANVAS_LINES, b64, plotly_text


def decode(spec):
    """plotly's typed-array spec (or a plain list) -> numpy array."""
    if isinstance(spec, dict) and "bdata" in spec:
        dt = {"f4": np.float32, "f8": np.float64, "u1": np.uint8, "i1": np.int8, "u2": np.uint16,
              "i2": np.int16, "i4": np.int32, "u4": np.uint32}[spec["dtype"]]
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=dt)
    return np.asarray(spec)


@pytest.fixture
def window():
    rng = np.random.default_rng(1)
    W, D = 12, 7
    values = np.tanh(rng.normal(0, 1, (W, D))).astype(np.float32)
    tokens = ["the", "cat", "extraordinarily", "(", ")", "4", "sat", "on", "a", "mat", ".", "<eos>"]
    return tokens, values


def test_b64_round_trip():
    for arr in [np.arange(5, dtype=np.uint8), np.array([1.5, np.nan], np.float32), np.arange(3, dtype=np.int32)]:
        spec = b64(arr)
        np.testing.assert_array_equal(decode(spec), arr)
    spec = b64(np.zeros(3, np.float32))
    assert spec["dtype"] == "f4" and json.dumps(spec)


def test_short_word():
    assert sf.short_word("cat") == "cat"
    assert sf.short_word("extraordinarily") == "extraor"[:6] + "…"
    assert len(sf.short_word("x" * 50)) == sf.MAX_WORD


def test_lines_xy_separates_cells(window):
    _, values = window
    W = values.shape[0]
    x, y = sf.lines_xy(values[:, [2, 5]])
    assert x.dtype == np.uint8 and y.dtype == np.float32
    assert len(x) == len(y) == 2 * (W + 1)
    np.testing.assert_array_equal(y[:W], values[:, 2])
    np.testing.assert_array_equal(y[W + 1: 2 * W + 1], values[:, 5])
    assert np.isnan(y[W]) and np.isnan(y[-1])
    np.testing.assert_array_equal(x[:W], np.arange(W))
    x0, y0 = sf.lines_xy(values[:, :0])
    assert len(x0) == len(y0) == 0


def dense(values):
    return data.Window(values, np.arange(values.shape[1]), values.shape[1], 0, 0, values)


def test_main_figure(window):
    tokens, values = window
    W, D = values.shape
    d = sf.main_figure(tokens, dense(values), pos=100, s1_cells=[1, 4], threshold=0.25, sel=[103, 106], pad=[1, 2],
                       focus=(108, 110), source=("ds", "layer"))
    fig = go.Figure(d)           # validates every property
    j = fig.to_plotly_json()
    data_, layout = j["data"], j["layout"]
    assert fig.layout.template == pio.templates["none"]
    assert [t["type"] for t in data_] == ["scatter"] * 3          # no WebGL read-back without a GPU
    # the lines are stroked on a canvas by the page (plotly does not draw them; the export does)
    assert [(t.get("meta"), t.get("visible")) for t in d["data"][:2]] == [(CANVAS_LINES, False)] * 2
    assert layout["plot_bgcolor"] == layout["paper_bgcolor"] == "rgba(0,0,0,0)"   # the canvas is under the plot
    # the window's lines in one trace, S1 in the second, both as typed arrays
    assert isinstance(d["data"][0]["y"], dict) and d["data"][0]["y"]["dtype"] == "f4"
    assert len(decode(d["data"][0]["y"])) == D * (W + 1)
    y1 = decode(d["data"][1]["y"])
    np.testing.assert_array_equal(y1[:W], values[:, 1])
    np.testing.assert_array_equal(y1[W + 1: 2 * W + 1], values[:, 4])
    assert data_[1]["line"]["color"] == sf.S1_BLUE
    # words: shortened labels, full word and position on hover; the selection in blue
    assert list(data_[2]["text"]) == [plotly_text(sf.short_word(t)) for t in tokens]
    assert data_[2]["hovertext"][2] == "102: extraordinarily"
    colors = data_[2]["textfont"]["color"]
    assert [i for i, c in enumerate(colors) if c == sf.S1_BLUE] == [3, 4, 5]
    # shapes: threshold (red dashed), selection band, gray pads, the clicked match outlined
    thr, band, left, right, focus = layout["shapes"]
    assert thr["y0"] == thr["y1"] == 0.25 and thr["line"]["dash"] == "dash" and "editable" not in thr
    assert (band["x0"], band["x1"], band["visible"]) == (2.5, 5.5, True)
    assert (left["x0"], left["x1"], left["visible"]) == (1.5, 2.5, True)
    assert (right["x0"], right["x1"], right["visible"]) == (5.5, 7.5, True)
    assert (focus["x0"], focus["x1"], focus["line"]["color"]) == (7.5, 9.5, sf.FOCUS_ORANGE)
    assert layout["uirevision"] == "ds|layer" and layout["dragmode"] is False
    assert layout["xaxis"]["range"] == [-0.5, W - 0.5] and layout["yaxis"]["range"] == [-1.05, 1.05]
    assert layout["meta"] == {"pos": 100, "width": W, "D": D, "cells": list(range(D)), "s1": [1, 4],
                              "source": ["ds", "layer"]}


def test_main_figure_without_selection_and_untransformed(window):
    tokens, values = window
    d = sf.main_figure(tokens, dense(values * 5), pos=0, s1_cells=[], threshold=3.0, transform="none")
    layout = d["layout"]
    assert [s["visible"] for s in layout["shapes"][1:]] == [False] * 4
    lo, hi = layout["yaxis"]["range"]
    assert lo < float((values * 5).min()) and hi > float((values * 5).max())
    assert len(decode(d["data"][1]["x"])) == 0


def test_shapes_follow_window():
    _, band, left, right, _ = sf.shapes(pos=50, width=20, threshold=0.3, sel=[40, 45], pad=[0, 3])
    assert (band["x0"], band["x1"]) == (-10.5, -5.5)  # outside the window: clipped by plotly
    assert left["visible"] is False and right["visible"] is True


def test_a_sparse_window_draws_only_its_active_cells():
    """Dictionary layers: of D features, a handful are nonzero in the window; only those are lines,
    S1 is drawn whether it is active or not, and the figure says how many were left out."""
    W, D = 30, 20000
    v = np.zeros((W, D), np.float32)
    v[3:8, 17] = 2.0
    v[10, 4000] = 0.5
    v[:, 19999] = np.linspace(0, 1, W)

    class Sparse:
        def values(self, layer, a, b):
            return v[a:b]
    w = data.window(Sparse(), "f", 0, W)
    assert w.cells.tolist() == [17, 4000, 19999] and w.n_flat == D - 3 and w.n_weak == 0
    d = sf.main_figure(["t"] * W, w, 0, [17, 5], 0.3, sel=(3, 8), transform="none")
    assert len(decode(d["data"][0]["y"])) == 3 * (W + 1)
    np.testing.assert_array_equal(decode(d["data"][1]["y"])[W + 1:2 * W + 1], v[:, 5])
    assert d["layout"]["meta"]["cells"] == [17, 4000, 19999]


def test_at_most_max_lines_the_strongest(monkeypatch):
    monkeypatch.setattr(data, "MAX_LINES", 2)
    v = np.array([[0.1, 0.0, 0.9, 0.5], [0.0, 0.0, 0.0, 0.0]], np.float32)

    class Dense:
        def values(self, layer, a, b):
            return v[a:b]
    w = data.window(Dense(), "f", 0, 2)
    assert w.cells.tolist() == [2, 3] and w.n_weak == 1 and w.n_flat == 1


def test_on_runs():
    on = np.array([[1, 0], [1, 1], [0, 1], [1, 1], [1, 0]], bool)
    assert sf.on_runs(on) == [(0, 0, 2), (0, 3, 5), (1, 1, 4)]
    assert sf.on_runs(on, min_run=3) == [(1, 1, 4)]
    assert sf.on_runs(np.zeros((4, 0), bool)) == []


def test_detail_figure_share_and_ranges():
    on = np.array([[1, 0, 1], [1, 1, 1], [0, 1, 1], [0, 0, 1]], bool)
    cells = [7, 9, 11]
    fig = go.Figure(sf.detail_figure(on, cells, pos=20, min_run=1))
    bars = fig.data[0]
    np.testing.assert_allclose(decode(bars.y), [2 / 3, 1, 2 / 3, 1 / 3], rtol=1e-6)
    ranges = fig.data[1]
    x, y = decode(ranges.x), decode(ranges.y)
    # three runs: cell 7 on 0..1, cell 9 on 1..2, cell 11 on 0..3 ; NaN separators between them
    segs = [(x[i], x[i + 1], y[i]) for i in range(0, len(x), 3)]
    np.testing.assert_allclose(np.array(segs, float), [(-0.45, 1.45, 0), (0.55, 2.45, 1), (-0.45, 3.45, 2)],
                               rtol=1e-6)
    assert list(ranges.text).count("11") == 2 and "cell %{text}" in ranges.hovertemplate
    short = go.Figure(sf.detail_figure(on, cells, pos=20, min_run=3))
    assert len(decode(short.data[1].x)) == 3  # only cell 11's run is long enough
    assert fig.layout.xaxis2.ticktext[0] == "20"


def test_detail_figure_empty_selection():
    fig = go.Figure(sf.detail_figure(np.zeros((10, 0), bool), [], pos=0))
    assert np.all(decode(fig.data[0].y) == 0)
    assert len(decode(fig.data[1].x)) == 0
    assert fig.layout.height == sf.detail_height(0)


def test_words_are_shown_literally():
    # plotly.js reads <br>, <b> and entities in text as markup: tokens must come out unchanged
    assert plotly_text("<br>") == "&lt;br&gt;"
    assert plotly_text("a&amp;b") == "a&amp;amp;b"
    values = np.zeros((3, 2), np.float32)
    spec = sf.main_figure(["<eos>", "&#169;", "<b>x"], dense(values), pos=7, s1_cells=[], threshold=0.3)
    words = spec["data"][sf.TRACE_WORDS]
    assert words["text"] == ["&lt;eos&gt;", "&amp;#169;", "&lt;b&gt;x"]
    assert words["hovertext"][0] == "7: &lt;eos&gt;"


def test_very_many_line_points_stay_canvas_lines(window):
    """No trace type switch for wide layers: the canvas strokes any number of points."""
    tokens, _ = window
    W = len(tokens)
    values = np.zeros((W, 4096), np.float32)
    d = sf.main_figure(tokens, dense(values), pos=0, s1_cells=[0], threshold=0.3, source=("ds", "layer"))
    assert [(t["type"], t.get("meta")) for t in d["data"]] == [("scatter", CANVAS_LINES)] * 2 + [("scatter", None)]
    assert len(decode(d["data"][0]["y"])) == 4096 * (W + 1)

