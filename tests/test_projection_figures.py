"""Unit tests of the projection view's figure builder and its pure helpers (no browser)."""
import base64

import numpy as np
import plotly.graph_objects as go
import pytest

import lstmvis_dash as lv
from lstmvis_dash import analysis
from lstmvis_dash.ui import projection_figures as pf
from lstmvis_dash.ui import projection_view as pv


def decode(spec):
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype={"f4": np.float32}[spec["dtype"]])


def test_one_webgl_trace_per_value_with_ranges_as_customdata():
    coords = np.array([[0, 1], [2, 3], [4, 5], [6, 7]], float)
    labels = ["b", "a", "b", "c"]
    spec = pf.projection_figure_spec(coords, labels, [0, 5, 9, 20], [3, 9, 12, 21], ["x y", "<b>", "q", "z"],
                                     n_on=[1, 2, 3, 4], same=[1, 2, 1, 1], order=["a", "b"])
    assert [t["meta"] for t in spec["data"]] == ["a", "b"]      # order given; "c" not chosen: left out
    assert all(t["type"] == "scattergl" and t["mode"] == "markers" for t in spec["data"])
    a, b = spec["data"]
    assert a["name"] == "a (1)" and b["name"] == "b (2)"
    assert decode(b["x"]).tolist() == [0, 4] and decode(b["y"]).tolist() == [1, 5]
    assert b["customdata"] == [[0, 3], [9, 12]]
    assert a["hovertext"] == ["5:9 · &lt;b&gt;<br>|S1| = 2 · 2 ranges share this pattern"]
    assert a["marker"]["color"] != b["marker"]["color"]
    assert spec["layout"]["template"] == pf._template()        # template "none"
    go.Figure(spec)                                              # validates


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
    m = np.array([[1, 0], [1, 0], [0, 1], [1, 0]], bool)
    assert pf.pattern_multiplicity(m).tolist() == [3, 3, 1, 3]
    assert pf.pattern_multiplicity(np.zeros((0, 3), bool)).tolist() == []
    assert pf.short_text("a\nb\tc") == "a⏎b→c"
    assert pf.short_text("x" * 100, 10) == "x" * 9 + "…"
    assert pf.default_values(["a", "b", "c"], [3, 0, 1]) == ["a", "c"]
    assert pf.default_values(list("abcdef"), [1, 9, 2, 8, 3, 7], top=3) == ["b", "d", "f"]


def test_point_click_selects_the_range_and_centres_it():
    state = {"dataset": "d", "width": 40, "pos": 0}
    patch = pv.point_click({"points": [{"customdata": [100, 104]}]}, state, 1000)
    ops = {op["location"][0]: op["params"]["value"] for op in patch.to_plotly_json()["operations"]}
    assert ops == {"pos": 82, "sel": [100, 104], "exclude": []}
    patch = pv.point_click({"points": [{"customdata": [990, 1000]}]}, state, 1000)
    assert {op["location"][0]: op["params"]["value"] for op in patch.to_plotly_json()["operations"]}["pos"] == 960
    for bad in [None, {}, {"points": [{}]}, {"points": [{"customdata": [5, 5]}]},
                {"points": [{"customdata": [0, 2000]}]}, {"points": [{"customdata": ["a", 1]}]}]:
        assert pv.point_click(bad, state, 1000) is pv.no_update


def test_render_matches_the_analysis_api(small_dataset):
    class Reg:
        def __init__(self):
            self.ds = lv.open_dataset(small_dataset)
            self.ds.name = "small"

        def get(self, name):
            return self.ds

    reg = Reg()
    vs = {"dataset": "small", "layer": "cells", "threshold": 0.3}
    opts, values = pv.value_choice(reg, vs, "depth")
    assert values == [o["value"] for o in opts]
    fig, info, message, key = pv.render(reg, vs, True, "depth", values, 1, None)
    pats = analysis.patterns(reg.ds, "cells", "depth", value=values, threshold=0.3)
    assert sum(len(t["customdata"]) for t in fig["data"]) == len(pats)
    got = sorted(tuple(c) for t in fig["data"] for c in t["customdata"])
    assert got == sorted(zip(pats.starts.tolist(), pats.stops.tolist()))
    assert message == "" and f"{len(pats):,} ranges" in info
    assert pv.render(reg, vs, True, "depth", values, 1, key) == (pv.no_update,) * 4   # unchanged: nothing
    assert pv.render(reg, vs, False, "depth", values, 1, None) == (pv.no_update,) * 4  # closed: nothing
    old = pv.MAX_RANGES
    try:
        pv.MAX_RANGES = 10
        pv._cache._d.clear()
        fig, info, message, key = pv.render(reg, vs, True, "depth", values, 1, None)
        assert sum(len(t["customdata"]) for t in fig["data"]) == 10 and "showing 10 of them" in message
    finally:
        pv.MAX_RANGES = old
        pv._cache._d.clear()


def test_render_ignores_a_stale_annotation_or_values(small_dataset):
    class Reg:
        ds = lv.open_dataset(small_dataset)

        def get(self, name):
            return self.ds

    vs = {"dataset": "small", "layer": "cells", "threshold": 0.3}
    assert pv.render(Reg(), vs, True, "token_type", ["string"], 1, None) == (pv.no_update,) * 4
    fig, _, message, _ = pv.render(Reg(), vs, True, "depth", ["string", "2"], 1, None)
    assert [t["meta"] for t in fig["data"]] == ["2"] and message == ""
    fig, *_ = pv.render(Reg(), vs, True, "depth", ["string"], 1, None)
    assert fig["layout"]["annotations"][0]["text"] == "choose at least one value"
