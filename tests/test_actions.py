"""User actions (ui/actions.py): pure functions from a view state to the next one."""
import pytest

from lstmvis_dash.ui import actions as act
from lstmvis_dash.ui import state as st
from lstmvis_dash.ui.component import Reject
from lstmvis_dash.ui.select_view import handles


@pytest.fixture
def catalog():
    return st.Catalog(["small", "other"], {
        "small": st.DatasetInfo("small", 600, {"cells": st.LayerInfo(24, "tanh", ("tanh", "none")),
                                              "hidden": st.LayerInfo(24)}, ("depth",)),
        "other": st.DatasetInfo("other", 50, {"x": st.LayerInfo(4)}, ())})


@pytest.fixture
def state():
    return st.ViewState(dataset="small", layer="cells", pos=100, width=40, sel=(110, 114), threshold=0.3)


def test_navigation_clamps(state, catalog):
    assert act.step(state, -1000, catalog).pos == 0
    assert act.step(state, 1000, catalog).pos == 560
    assert act.step(state, 40, catalog).pos == 140


def test_pos_and_width_fields(state, catalog):
    assert act.set_pos(state, 250, catalog).pos == 250
    assert isinstance(act.set_pos(state, "x", catalog), Reject) and act.set_pos(state, None, catalog).why == ""
    assert act.set_width(state, 20, catalog).width == 20
    assert isinstance(act.set_width(state, 2.5, catalog), Reject)


def test_zoom_keeps_the_centre(state, catalog):
    z = act.zoom(state, 1 / act.ZOOM, catalog)
    assert z.width == 27 and abs((z.pos + z.width / 2) - 120) <= 1
    out = act.zoom(state, act.ZOOM, catalog)
    assert out.width == 60 and out.pos == 90
    assert act.zoom(state.replace(width=200, pos=0), act.ZOOM, catalog) is None     # at the maximum


def test_threshold(state):
    assert act.set_threshold(state, 0.55).threshold == 0.55
    assert isinstance(act.set_threshold(state, "x"), Reject)
    assert act.set_threshold(state, "x", typed=False) is None
    assert act.set_threshold(state, 0.3) is None


def test_brush_replaces_the_hypothesis(state, catalog):
    s = state.replace(exclude=(3,), focus=(5, 6))
    b = act.brush(s, 120, 125, catalog)
    assert b.sel == (120, 125) and b.exclude == () and b.focus is None
    assert act.brush(s, 5, 5, catalog) is None and act.brush(s, 590, 601, catalog) is None
    assert act.brush(s, "a", 3, catalog) is None


def test_pad_handles(state):
    shown = handles(state)[0]
    assert shown == [110, 110, 114, 114]
    s = act.pad_handles(state, [108, 110, 114, 114], shown)          # outer left handle dragged out
    assert s.sel == (110, 114) and s.pad == (2, 0)
    s = act.pad_handles(state, [110, 112, 114, 114], shown)          # the pair dragged in: the range shrinks
    assert s.sel == (112, 114) and s.pad == (0, 0)
    assert act.pad_handles(state, [110, 110, 114, 114], shown) is None
    assert act.pad_handles(state, [1, "x", 3, 4], shown) is None


def test_pad_handles_pinned_at_the_window_edge_keep_the_state(catalog):
    """A range reaching outside the window: its handles sit at the edge; a small drag of another
    handle must not write the edge as the padding (it wrote pad=1:200 before)."""
    s = st.ViewState(dataset="small", layer="cells", pos=100, width=40, sel=(90, 120), pad=(1, 0))
    shown, lo, hi, disabled = handles(s)
    assert shown == [100, 100, 120, 120] and (lo, hi) == (100, 140) and not disabled
    out = act.pad_handles(s, [100, 100, 120, 123], shown)
    assert out.sel == (90, 120) and out.pad == (1, 3)


def test_handles_of_a_range_outside_the_window(catalog):
    s = st.ViewState(dataset="small", layer="cells", pos=300, width=40, sel=(94, 97), pad=(1, 0))
    value, lo, hi, disabled = handles(s)
    assert (lo, hi) == (300, 340) and disabled and value == [300, 300, 340, 340]


def test_cells(state):
    s = act.exclude_cell(state, 5)
    assert s.exclude == (5,) and act.exclude_cell(s, 5) is None
    assert act.restore_cell(s, 5).exclude == () and act.restore_cell(s, 7) is None
    assert act.restore_all(s).exclude == () and act.restore_all(state) is None
    assert act.exclude_cell(state, "x") is None


def test_clear(state):
    c = act.clear(state.replace(exclude=(1,), pad=(2, 2)))
    assert c.sel is None and c.pad == (0, 0) and c.exclude == ()


def test_dataset_and_layer_switch(state, catalog):
    d = act.set_dataset(state, "other", catalog)
    assert d.dataset == "other" and d.layer == "x" and d.width == 40 and d.threshold == 0.3 and d.sel is None
    assert act.set_dataset(state, "nope", catalog) is None
    s = act.set_layer(state.replace(exclude=(1,), compare="hidden", transform="none"), "hidden", catalog)
    assert s.layer == "hidden" and s.exclude == () and s.compare is None and s.transform is None
    assert act.set_layer(state, "cells", catalog) is None


def test_navigate_shows_marks_and_keeps_the_hypothesis(state, catalog):
    nav = act.navigation({"dataset": "small", "start": 300, "stop": 304}, state)
    s = act.navigate(state, nav, catalog)
    assert s.pos == 282 and s.focus == (300, 304) and s.sel == (110, 114)
    used = act.use_focus(s, catalog)
    assert used.sel == (300, 304) and used.focus is None and used.pad == state.pad
    pad0 = act.navigate(state.replace(pad=(2, 1)), act.navigation(
        {"dataset": "small", "start": 300, "stop": 304, "pad": [0, 0]}, state), catalog)
    assert act.use_focus(pad0, catalog).pad == (0, 0)       # a projection point: its pattern has no padding


@pytest.mark.parametrize("payload", [None, "x", {"dataset": "other", "start": 1, "stop": 2},
                                     {"dataset": "small", "start": "1", "stop": 2},
                                     {"dataset": "small", "start": 1, "stop": 2, "use": "yes"},
                                     {"dataset": "small", "start": 1, "stop": 2, "pad": [1]}])
def test_malformed_navigation_is_ignored(state, payload):
    assert act.navigation(payload, state) is None


def test_navigate_outside_the_data_is_ignored(state, catalog):
    assert act.navigate(state, act.navigation({"dataset": "small", "start": 590, "stop": 700}, state),
                        catalog) is None


def test_length_toggle_annotation_compare(state):
    s = act.toggle_length(state, 4)
    assert s.length == 4 and act.toggle_length(s, 4).length is None
    assert act.toggle_length(state, "x") is None
    assert act.set_annotation(state, "depth").annotation == "depth" and act.set_annotation(state, 5) is None
    assert act.set_compare(state, "hidden").compare == "hidden" and act.set_compare(state, "") is None


def test_window_pos():
    assert act.window_pos(100, 104, 40, 1000) == 82
    assert act.window_pos(0, 4, 40, 1000) == 0
    assert act.window_pos(990, 1000, 40, 1000) == 960
    assert act.window_pos(100, 200, 40, 1000) == 100
