"""The page callback (ui/controller.py) through Dash's HTTP endpoint, as the renderer calls it:
one action is one round trip, a threshold change answers with a Patch of the select plot, closed
cards compute nothing, and odd input never gives a server error or a traceback in the log."""
import json
import logging

import pytest

import lstmvis_dash as lv
from lstmvis_dash.ui import compare_view, projection_view

from dash_http import FlaskDashClient

SEARCH = "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3"


class RecordingClient(FlaskDashClient):
    """Also keeps the raw response of every callback request."""

    def __init__(self, app):
        super().__init__(app)
        self.bodies = []

    def _request(self, method, path, body=None):
        status, data = super()._request(method, path, body)
        if method == "POST":
            self.bodies.append(json.loads(data) if status == 200 else None)
        return status, data


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def client(app):
    c = RecordingClient(app)
    c.load_page(SEARCH)
    assert c.errors == []
    return c


def meta(client, key="select-main-graph.figure"):
    return client.props[key]["layout"]["meta"]


def test_page_load_shows_lv_select_and_lv_match(client, small_dataset):
    ds = lv.open_dataset(small_dataset)
    s1 = lv.select(ds, "cells", 10, 14, 0.3).tolist()
    assert s1 and meta(client)["s1"] == s1
    top = lv.match(ds, "cells", s1, 0.3).table
    assert meta(client, "match-main-matrix.figure")["rows"] == top[["start", "stop"]].values.tolist()
    assert client.props["view-state.data"]["sel"] == [10, 14]
    assert len(client.bodies) == 1          # the page load: one request renders every view


@pytest.mark.parametrize("prop,value", [
    ("select-main-threshold-input.value", 0.5),
    ("select-main-gestures.data", {"kind": "brush", "start": 20, "stop": 23, "n": 1}),
    ("select-main-gestures.data", {"kind": "threshold", "y": 0.61, "n": 2}),
    ("header-main-page-fwd.n_clicks", 1),
    ("navigate.data", {"dataset": "small", "start": 100, "stop": 103, "use": False, "n": 3}),
    ("match-main-histogram.clickData", {"points": [{"x": "3", "customdata": [3, 1, 2]}]}),
])
def test_one_action_is_one_round_trip(client, prop, value):
    before = len(client.bodies)
    client.act(prop, value)
    assert client.errors == [] and len(client.bodies) == before + 1
    assert client.bodies[-1] is not None


def test_threshold_change_patches_the_select_plot_and_redraws_the_matches(client, small_dataset):
    client.act("select-main-threshold-input.value", 0.6)
    resp = client.bodies[-1]["response"]
    fig = resp["select-main-graph"]["figure"]
    assert fig.get("__dash_patch_update") == "__dash_patch_update"   # not all D lines again
    ds = lv.open_dataset(small_dataset)
    s1 = lv.select(ds, "cells", 10, 14, 0.6).tolist()
    assert meta(client)["s1"] == s1
    assert meta(client, "match-main-matrix.figure")["rows"] == \
        lv.match(ds, "cells", s1, 0.6).table[["start", "stop"]].values.tolist()
    assert client.props["url.search"].endswith("threshold=0.6")


def test_moving_the_window_does_not_recompute_the_matches(client):
    client.act("header-main-page-fwd.n_clicks", 1)
    resp = client.bodies[-1]["response"]
    assert "match-main-matrix" not in resp and client.props["view-state.data"]["pos"] == 40


def test_navigation_shows_and_marks_a_range_and_use_adopts_it(client):
    client.act("navigate.data", {"dataset": "small", "start": 300, "stop": 304, "n": 1})
    vs = client.props["view-state.data"]
    assert vs["focus"] == [300, 304] and vs["sel"] == [10, 14] and vs["pos"] == 282
    client.act("select-main-use-focus.n_clicks", 1)
    vs = client.props["view-state.data"]
    assert vs["sel"] == [300, 304] and vs["focus"] is None


def test_closed_cards_compute_nothing(client, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("a closed card computed")
    monkeypatch.setattr(projection_view, "compute", boom)
    monkeypatch.setattr(compare_view, "compatibility", boom)
    client.act("select-main-threshold-input.value", 0.45)
    client.act("select-main-gestures.data", {"kind": "brush", "start": 30, "stop": 32, "n": 5})
    assert client.errors == []


def test_typed_bad_values_restore_the_field_with_a_notice(client):
    client.act("select-main-threshold-input.value", 7)            # clamped, said
    assert client.props["view-state.data"]["threshold"] == 1.0
    assert client.props["select-main-threshold-input.value"] == 1.0
    assert "out of range" in json.dumps(client.props["notice.children"])
    client.act("header-main-width.value", "abc")
    assert client.props["header-main-width.value"] == 40
    assert "not a whole number" in json.dumps(client.props["notice.children"])


ODD = [
    ("select-main-threshold-input.value", "abc"), ("select-main-threshold-input.value", None),
    ("select-main-threshold-input.value", 1e308), ("select-main-gestures.data", {"kind": "threshold", "y": "high"}),
    ("select-main-gestures.data", [1, 2]), ("select-main-gestures.data", {"kind": "brush", "start": "a"}),
    ("select-main-gestures.data", {"kind": "brush", "start": 5, "stop": 10 ** 12}),
    ("select-main-gestures.data", {"kind": "exclude", "cell": 10 ** 9}),
    ("select-main-brush.value", [1, "x"]), ("select-main-brush.value", [5, 1, 3, 2, 9]),
    ("header-main-pos.value", "12abc"), ("header-main-width.value", -5), ("header-main-dataset.value", "nope"),
    ("header-main-layer.value", "nope"), ("header-main-transform.value", "zscore"),
    ("url.search", "?%%%&sel=::::&threshold=--1"), ("view-state.data", {"dataset": 5}),
    ("navigate.data", {"dataset": "small", "start": -4, "stop": 2}), ("navigate.data", "x"),
    ("match-main-histogram.clickData", {"points": [{"customdata": "x"}]}),
    ("match-main-histogram.clickData", {"points": "x"}), ("match-main-paint.value", {"a": 1}),
    ("projection-main-toggle.n_clicks", 1), ("projection-main-values.value", [{"x": 1}]),
    ("projection-main-min-length.value", "abc"), ("compare-main-chooser.value", ["x"]),
]


@pytest.mark.parametrize("prop,value", ODD)
def test_odd_input_never_errors_nor_logs_a_traceback(client, prop, value, caplog):
    with caplog.at_level(logging.WARNING):
        client.act(prop, value)
    assert client.errors == [] and set(client.statuses) <= {200, 204}
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_the_transform_selector_views_the_layer_through_another_transform(client, small_dataset):
    """SPEC 5 `transform`: select and match use it; the layer's own is not written to the URL."""
    ds = lv.open_dataset(small_dataset)
    options = [o["value"] for o in client.props["header-main-transform.options"]]
    assert options[0] == "tanh" and "none" in options
    client.act("select-main-threshold-input.value", 0.9)
    client.act("header-main-transform.value", "none")
    assert client.props["url.search"].endswith("transform=none")
    s1 = lv.select(ds, "cells", 10, 14, 0.9, transform="none").tolist()
    assert meta(client)["s1"] == s1 != lv.select(ds, "cells", 10, 14, 0.9).tolist()
    rows = lv.match(ds, "cells", s1, 0.9, transform="none").table[["start", "stop"]].values.tolist()
    assert meta(client, "match-main-matrix.figure")["rows"] == rows
    client.act("header-main-transform.value", "tanh")
    assert "transform" not in client.props["url.search"]
