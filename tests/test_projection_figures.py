"""Unit tests of the projection view's figure builder and its pure helpers (no browser)."""
import base64

import numpy as np
import plotly.graph_objects as go
import pytest

from lstmvis_dash import analysis
from lstmvis_dash.ui import projection_figures as pf
from lstmvis_dash.config import load_config
from lstmvis_dash.ui import projection_view as pv
from lstmvis_dash.ui.context import RenderContext
from lstmvis_dash.ui.figures import TEMPLATE
from lstmvis_dash.ui.registry import Registry
from lstmvis_dash.ui.state import ViewState


def decode(spec):
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype={"f4": np.float32}[spec["dtype"]])


def test_one_webgl_trace_per_value_with_ranges_as_customdata():
    coords = np.array([[0, 1], [2, 3], [4, 5], [6, 7]], float)
    labels = ["b", "a", "b", "c"]
    spec = pf.projection_figure_spec(coords, labels, [0, 5, 9, 20], [3, 9, 12, 21], ["x y", "<b>", "q", "z"],
                                     n_on=[1, 2, 3, 4], order=["a", "b"])
    assert [t["meta"] for t in spec["data"]] == ["a", "b"]      # order given; "c" not chosen: left out
    assert all(t["type"] == "scattergl" and t["mode"] == "markers" for t in spec["data"])
    a, b = spec["data"]
    assert a["name"] == "a (1)" and b["name"] == "b (2)"
    assert decode(b["x"]).tolist() == [0, 4] and decode(b["y"]).tolist() == [1, 5]
    assert b["customdata"] == [[0, 3], [9, 12]]
    assert a["hovertext"] == ["5:9 · &lt;b&gt;<br>|S1| = 2"]
    assert a["marker"]["color"] != b["marker"]["color"]
    assert spec["layout"]["template"] == TEMPLATE
    go.Figure(spec)                                              # validates


def test_ranges_on_one_point_are_one_marker_sized_by_their_number():
    coords = np.array([[0, 0]] * 5 + [[1, 1]] + [[0, 0]] * 2, float)
    spec = pf.projection_figure_spec(coords, ["v"] * 8, list(range(0, 80, 10)), list(range(2, 82, 10)),
                                     ["t"] * 8, order=["v"])
    (trace,) = spec["data"]
    assert trace["customdata"] == [[0, 2], [50, 52]] and trace["name"] == "v (8)"
    sizes = decode(trace["marker"]["size"])
    assert sizes[0] > sizes[1] == 5
    assert "7 ranges share this point" in trace["hovertext"][0]
    go.Figure(spec)


def test_colours_are_stable_per_value_and_axes_name_the_variance():
    coords = np.zeros((2, 2))
    colours = pf.value_colours([0, 1, 2])
    spec = pf.projection_figure_spec(coords, [2, 2], [0, 4], [2, 6], ["a", "b"], order=[2], colours=colours,
                                     explained=[0.5, 0.25])
    assert spec["data"][0]["marker"]["color"] == colours["2"] == pf.PALETTE[2]
    assert spec["layout"]["xaxis"]["title"]["text"] == "PC1 (50% of variance)"
    assert spec["layout"]["yaxis"]["title"]["text"] == "PC2 (25% of variance)"


def test_empty_and_mismatched_input():
    spec = pf.projection_figure_spec(np.zeros((0, 2)), [], [], [], [])
    assert spec["data"] == [] and spec["layout"]["annotations"][0]["text"] == "no ranges"
    with pytest.raises(ValueError):
        pf.projection_figure_spec(np.zeros((2, 2)), ["a"], [0, 1], [1, 2], ["a", "b"])


def test_helpers():
    assert pf.short_text("a\nb\tc") == "a⏎b→c"
    assert pf.short_text("x" * 100, 10) == "x" * 9 + "…"
    assert pf.default_values(["a", "b", "c"], [3, 0, 1]) == ["a", "c"]
    assert pf.default_values(list("abcdef"), [1, 9, 2, 8, 3, 7], top=3) == ["b", "d", "f"]




def render(view, registry, state, trigger=None, values=None, before=None):
    ctx = RenderContext(registry, registry.catalog(), state, before, trigger, values or {})
    return view.render(ctx)


def test_render_matches_the_analysis_api_and_costs_nothing_closed(small_config):
    reg = Registry(load_config(small_config))
    view = pv.ProjectionView()
    i = view.ids
    vs = ViewState(dataset="small", layer="cells", threshold=0.3)
    assert render(view, reg, vs, values={(i.collapse, "is_open"): False}) == {}        # closed: nothing
    out = render(view, reg, vs, (i.toggle, "n_clicks"), {(i.collapse, "is_open"): False})
    assert out[(i.collapse, "is_open")] is True and out[(i.annotation, "value")] == "depth"
    values = out[(i.values, "value")]
    fig = out[(i.graph, "figure")]
    pats = analysis.patterns(reg.get("small"), "cells", "depth", value=values, threshold=0.3)
    got = {tuple(c) for t in fig["data"] for c in t["customdata"]}
    assert got <= set(zip(pats.starts.tolist(), pats.stops.tolist()))
    assert sum(int(t["name"].rsplit("(", 1)[1].rstrip(")").replace(",", "")) for t in fig["data"]) == len(pats)
    assert fig["layout"]["meta"] == {"dataset": "small"} and f"{len(pats):,} ranges" in out[(i.info, "children")]
    opened = {(i.collapse, "is_open"): True, (i.annotation, "value"): "depth", (i.values, "value"): values,
              (i.min_length, "value"): 1}
    assert render(view, reg, vs, ("select-main-gestures", "data"), opened, before=vs) == {}   # nothing it needs changed
    old = pv.MAX_RANGES
    try:
        pv.MAX_RANGES = 10
        out = render(view, reg, vs.replace(threshold=0.31), None, opened, before=vs)
        assert "showing 10 of them" in out[(i.message, "children")]
    finally:
        pv.MAX_RANGES = old


def test_render_ignores_stale_values(small_config):
    reg = Registry(load_config(small_config))
    view = pv.ProjectionView()
    i = view.ids
    vs = ViewState(dataset="small", layer="cells", threshold=0.3)
    vals = {(i.collapse, "is_open"): True, (i.annotation, "value"): "depth", (i.values, "value"): ["string", "2"]}
    out = render(view, reg, vs, (i.values, "value"), vals)
    assert [t["meta"] for t in out[(i.graph, "figure")]["data"]] == ["2"]
    vals[(i.values, "value")] = ["string", {"x": 1}]
    out = render(view, reg, vs, (i.values, "value"), vals)
    assert out[(i.graph, "figure")]["layout"]["annotations"][0]["text"] == "choose at least one value"
