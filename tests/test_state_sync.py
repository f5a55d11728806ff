"""The actions of the state sync callback (pure: state + control value -> new state)."""
import pytest

from lstmvis_dash.ui import ids, state_sync as ss, urlstate as us


@pytest.fixture
def catalog():
    return us.Catalog(["a", "b"], {
        "a": us.DatasetInfo("a", 1000, {"l1": us.LayerInfo(50), "l2": us.LayerInfo(20, "none")}),
        "b": us.DatasetInfo("b", 300, {"x": us.LayerInfo(8)}),
    })


@pytest.fixture
def state(catalog):
    return dict(us.default_state(catalog), pos=100, width=40, sel=[110, 114], pad=[0, 0], exclude=[3])


def act(trigger, value, state, catalog, anchor=None):
    result = ss.apply_action(trigger, value, state, catalog, anchor)
    assert result is not None
    new, anchor, notices = result
    new, more = us.normalize(new, catalog)
    return new, anchor, notices + more


def test_navigation_clamps(state, catalog):
    assert act(ids.PAGE_FWD, 1, state, catalog)[0]["pos"] == 140
    assert act(ids.STEP_BACK, 1, state, catalog)[0]["pos"] == 99
    assert act(ids.PAGE_BACK, 1, dict(state, pos=10), catalog)[0]["pos"] == 0
    assert act(ids.PAGE_FWD, 1, dict(state, pos=950), catalog)[0]["pos"] == 960
    new, _, notices = act(ids.POS, 5000, state, catalog)
    assert new["pos"] == 960 and "pos=5000" in notices[0]


def test_width_and_zoom(state, catalog):
    new, _, notices = act(ids.WIDTH, 5000, state, catalog)
    assert new["width"] == 200 and "width=5000" in notices[0]
    assert act(ids.ZOOM_IN, 1, state, catalog)[0]["width"] == 27
    z = act(ids.ZOOM_OUT, 1, state, catalog)[0]
    assert z["width"] == 60 and z["pos"] == 90  # keeps the centre
    assert ss.apply_action(ids.WIDTH, None, state, catalog, None) is None


def test_threshold_sources(state, catalog):
    assert act(ids.THRESHOLD_INPUT, 0.55, state, catalog)[0]["threshold"] == 0.55
    assert act(ids.THRESHOLD_SLIDER, -0.2, state, catalog)[0]["threshold"] == -0.2
    assert act(ids.THRESHOLD_DRAG, {"y": 0.6137, "n": 1}, state, catalog)[0]["threshold"] == 0.61
    assert act(ids.THRESHOLD_DRAG, {"y": 1.7, "n": 1}, state, catalog)[0]["threshold"] == 1.0
    assert ss.apply_action(ids.THRESHOLD_INPUT, float("nan"), state, catalog, None) is None
    new, _, notices = act(ids.THRESHOLD_INPUT, 3.0, state, catalog)  # out of range for tanh
    assert new["threshold"] == 0.3 and "threshold=" in notices[0]


def test_brush_box_and_clicks(state, catalog):
    new, anchor, _ = act(ids.BRUSH_RANGE, {"range": {"x2": [4.7, 8.4], "y2": [-1, 1]}}, state, catalog)
    assert new["sel"] == [105, 109] and new["exclude"] == [] and anchor is None
    assert ss.apply_action(ids.BRUSH_RANGE, {"range": {"x": [4.2, 4.8]}}, state, catalog, None) is None
    click = {"points": [{"curveNumber": 3, "x": 12}]}
    new, anchor, _ = act(ids.GRAPH + ".clickData", click, state, catalog)
    assert new["sel"] == [112, 113] and anchor == {"t": 112, "dataset": "a"}
    new, anchor, _ = act(ids.GRAPH + ".clickData", {"points": [{"curveNumber": 3, "x": 5}]}, new, catalog, anchor)
    assert new["sel"] == [105, 113] and anchor is None
    assert ss.apply_action(ids.GRAPH + ".clickData", {"points": [{"curveNumber": 0, "x": 5}]},
                           state, catalog, None) is None


def test_brush_slider_pairs(state, catalog):
    # outer left handle dragged outwards: a padding
    new = act(ids.BRUSH, [108, 110, 114, 114], state, catalog)[0]
    assert new["sel"] == [110, 114] and new["pad"] == [2, 0] and new["exclude"] == [3]
    # the overlapping left pair dragged inwards: the range start moves, no padding appears
    new = act(ids.BRUSH, [110, 112, 114, 114], state, catalog)[0]
    assert new["sel"] == [112, 114] and new["pad"] == [0, 0] and new["exclude"] == []
    # the overlapping right pair dragged inwards / outwards
    assert act(ids.BRUSH, [110, 110, 112, 114], state, catalog)[0]["sel"] == [110, 112]
    new = act(ids.BRUSH, [110, 110, 114, 117], state, catalog)[0]
    assert new["sel"] == [110, 114] and new["pad"] == [0, 3]
    # with a padding open, an inner handle moves alone
    padded = dict(state, pad=[2, 2])
    new = act(ids.BRUSH, [108, 111, 114, 116], padded, catalog)[0]
    assert new["sel"] == [111, 114] and new["pad"] == [3, 2]
    assert ss.apply_action(ids.BRUSH, [1, 2, 3, 4], dict(state, sel=None), catalog, None) is None


def test_cells_and_clear(state, catalog):
    new = act(ids.REMOVE_CELL, {"cell": 7, "n": 1}, state, catalog)[0]
    assert new["exclude"] == [3, 7]
    assert act(ids.RESTORE_CELLS, 1, new, catalog)[0]["exclude"] == []
    cleared = act(ids.CLEAR, 1, state, catalog)[0]
    assert cleared["sel"] is None and cleared["pad"] == [0, 0] and cleared["exclude"] == []


def test_dataset_and_layer_switch(state, catalog):
    new = act(ids.DATASET, "b", dict(state, threshold=0.5), catalog)[0]
    assert new["dataset"] == "b" and new["layer"] == "x" and new["sel"] is None and new["threshold"] == 0.5
    new = act(ids.LAYER, "l2", state, catalog)[0]
    assert new["layer"] == "l2" and new["exclude"] == [] and new["sel"] == [110, 114]
    assert ss.apply_action(ids.LAYER, "l1", state, catalog, None) is None


def test_search_hit_moves_window(state, catalog):
    assert act({"type": ids.SEARCH_HIT, "pos": 500}, 1, state, catalog)[0]["pos"] == 490
    assert act({"type": ids.SEARCH_HIT, "pos": 995}, 1, state, catalog)[0]["pos"] == 960
    assert ss.apply_action({"type": ids.SEARCH_HIT, "pos": 5}, 0, state, catalog, None) is None


def test_controls_reflect_state(state, catalog):
    c = ss.controls(dict(state, pad=[1, 2]), catalog)
    assert c[(ids.BRUSH, "value")] == [109, 110, 114, 116]
    assert c[(ids.BRUSH, "min")] == 100 and c[(ids.BRUSH, "max")] == 140 and not c[(ids.BRUSH, "disabled")]
    assert c[(ids.THRESHOLD_SLIDER, "min")] == -1.0
    assert [o["value"] for o in c[(ids.DATASET, "options")]] == ["a", "b"]
    assert c[(ids.DATASET_INFO, "children")].startswith("T = 1,000 tokens · D = 50 cells")
    off = ss.controls(dict(state, sel=None), catalog)
    assert off[(ids.BRUSH, "disabled")]
