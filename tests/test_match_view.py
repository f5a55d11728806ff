"""The match view's callback bodies without a browser: state changes, error paths, the app wiring."""
from __future__ import annotations

import csv
import io

import dash
import pytest
from dash import no_update

import lstmvis_dash as lv
from lstmvis_dash.config import load_config
from lstmvis_dash.ui import match_view as mv
from lstmvis_dash.ui.registry import Registry

LAYER, SEL, THR = "cells", (20, 24), 0.3


@pytest.fixture
def registry(small_config):
    return Registry(load_config(small_config))


@pytest.fixture
def selection(registry):
    ds = registry.get("small")
    cells = lv.select(ds, LAYER, SEL[0], SEL[1], THR).tolist()
    return {"dataset": "small", "layer": LAYER, "sel": list(SEL), "pad": [0, 0], "threshold": THR, "cells": cells}


def _patch_ops(patch):
    return {tuple(op["location"]): op["params"].get("value") for op in patch.to_plotly_json()["operations"]}


def test_update_shows_lv_match_top_50(registry, selection):
    rows, hist, legend, summary, box, info, message, shown = mv.update(registry, selection, {}, [])
    m = lv.match(registry.get("small"), LAYER, selection["cells"], THR)
    assert shown["rows"] == m.table[["start", "stop"]].to_numpy().tolist()
    assert len(rows) == 50 and message == "" and box == {"display": "none"}
    assert summary is no_update and legend == []
    assert hist["data"][0]["y"] == m.histogram["fuzzy"].tolist()
    assert f"top 50 of {int(m.histogram.query('length >= 2')['fuzzy'].sum()):,}" in info


def test_update_with_length_annotation_and_paint(registry, selection):
    rows, hist, legend, summary, box, info, message, shown = mv.update(
        registry, selection, {"length": 2, "annotation": "depth"}, [mv.PAINT_ON])
    assert shown["rows"] and all(b - a == 2 for a, b in shown["rows"])
    assert box["display"] == "block" and summary["data"][0]["x"] == ["0", "1", "2", "3", "4"]
    assert "length 2" in info and legend


@pytest.mark.parametrize("bad, text", [
    ({"dataset": "nope"}, "cannot compute matches"),
    ({"dataset": "missing"}, "cannot compute matches"),
    ({"layer": "nope"}, "cannot compute matches"),
    ({"cells": [0, 999]}, "cannot compute matches"),
    ({"threshold": "x"}, "cannot compute matches"),
])
def test_bad_selection_gives_a_message(registry, selection, bad, text):
    out = mv.update(registry, dict(selection, **bad), {}, [])
    assert text in out[6] and out[0] == []


def test_bad_selection_through_the_safe_wrapper_never_raises(registry, selection):
    wrapped = mv._safe(8, message_index=6)(lambda *a: mv.update(registry, *a))
    out = wrapped(dict(selection, pad="garbage"), {}, [])
    assert "error" in out[6] or "cannot" in out[6]


def test_no_selection_and_empty_s1(registry, selection):
    out = mv.update(registry, None, {}, [])
    assert "Brush a range" in out[5] and out[7] is None
    out = mv.update(registry, dict(selection, sel=None, cells=[]), {}, [])
    assert "Brush a range" in out[5]
    out = mv.update(registry, dict(selection, cells=[]), {}, [])
    assert "S1 is empty" in out[5] and out[0] == []


def test_length_click_toggles():
    click = {"points": [{"x": "3", "customdata": [3, 1, 4]}]}
    patch, reset = mv.length_click(click, {"length": None})
    assert _patch_ops(patch) == {("length",): 3} and reset is None
    patch, _ = mv.length_click(click, {"length": 3})
    assert _patch_ops(patch) == {("length",): None}
    assert mv.length_click(None, {}) == (no_update, no_update)
    assert mv.length_click({"points": [{"x": "junk"}]}, {}) == (no_update, None)


def test_window_pos():
    assert mv.window_pos(100, 104, 40, 1000) == 82          # centred
    assert mv.window_pos(2, 4, 40, 1000) == 0               # clamped at the start
    assert mv.window_pos(990, 999, 40, 1000) == 960         # clamped at the end
    assert mv.window_pos(100, 200, 40, 1000) == 100         # longer than the window: its start
    assert mv.window_pos(0, 5, 40, 10) == 0                 # window wider than the data


def test_row_click_and_use(registry):
    shown = {"dataset": "small", "T": 600, "rows": [[10, 14], [300, 303]]}
    vs = {"dataset": "small", "width": 40, "sel": [20, 24], "exclude": [3]}
    ops = _patch_ops(mv.row_click({"type": mv.ROW, "index": 1}, shown, vs))
    assert ops == {("pos",): mv.window_pos(300, 303, 40, 600)}
    ops = _patch_ops(mv.row_click({"type": mv.USE, "index": 0}, shown, vs))
    assert ops == {("pos",): 0, ("sel",): [10, 14], ("exclude",): []}
    assert mv.row_click({"type": mv.ROW, "index": 5}, shown, vs) is no_update
    assert mv.row_click({"type": mv.ROW, "index": 0}, dict(shown, dataset="other"), vs) is no_update
    assert mv.row_click(None, shown, vs) is no_update


def test_sync_params(registry):
    vs = {"dataset": "small", "length": 4, "annotation": "depth"}
    params, value, options, patch = mv.sync_params(registry, vs, None, {}, "view-state")
    assert params == {"length": 4, "annotation": "depth"} and value == "depth"
    assert [o["value"] for o in options] == ["depth", "depth_scaled"] and patch is no_update
    # unchanged params are not rewritten (no recomputation when only pos moves)
    again = mv.sync_params(registry, dict(vs, pos=100), "depth", params, "view-state")
    assert again[0] is no_update
    # the chooser writes the view state
    params2, _, _, patch = mv.sync_params(registry, vs, "depth_scaled", params, mv.ANNOTATION)
    assert params2["annotation"] == "depth_scaled" and _patch_ops(patch) == {("annotation",): "depth_scaled"}
    # an annotation the dataset does not have is dropped
    _, value, _, _ = mv.sync_params(registry, dict(vs, annotation="nope"), None, {}, "view-state")
    assert value is None


def test_download(registry, selection):
    data, message = mv.download(registry, selection, {"length": None})
    assert message == "" and data["filename"].endswith(".csv")
    rows = list(csv.reader(io.StringIO(data["content"])))
    full = lv.match(registry.get("small"), LAYER, selection["cells"], THR, top=None).table
    assert len(rows) == len(full) + 1
    data, message = mv.download(registry, dict(selection, cells=[]), {})
    assert data is no_update and "nothing to download" in message


def test_the_app_includes_the_match_view(app_factory):
    app = app_factory()
    assert mv in app.components
    layout = app.layout.to_plotly_json()
    text = str(layout)
    for cid in (mv.ROWS, mv.HIST, mv.ANNOTATION, mv.DOWNLOAD, mv.PARAMS):
        assert f"'{cid}'" in text
    assert any(f".{mv.ROWS}.children" in k for k in app.callback_map)
    assert isinstance(dash.Patch(), dash.Patch)
