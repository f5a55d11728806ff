"""The select view's callbacks through Dash's HTTP endpoint (as the browser calls them):
odd input never produces a server error, and a threshold change answers with a small Patch."""
import json

import pytest

import lstmvis_dash as lv
from lstmvis_dash.ui import header, ids, select_view


def parse_outputs(output):
    if not output.startswith(".."):
        cid, prop = output.rsplit(".", 1)
        return {"id": cid, "property": prop}
    return [dict(zip(("id", "property"), part.rsplit(".", 1))) for part in output[2:-2].split("...")]


class Client:
    def __init__(self, app):
        self.client = app.server.test_client()
        self.callbacks = {cb["output"]: cb for cb in app._callback_list}

    def find(self, first):
        return next(cb for out, cb in self.callbacks.items() if out.startswith(".." + first + "...") or out == first)

    def call(self, cb, values, states=None, changed=()):
        states = states or {}

        def item(dep, src):
            if dep["id"].startswith("{"):
                return []
            return {"id": dep["id"], "property": dep["property"], "value": src.get(f"{dep['id']}.{dep['property']}")}
        body = {"output": cb["output"], "outputs": parse_outputs(cb["output"]),
                "inputs": [item(d, values) for d in cb["inputs"]], "state": [item(d, states) for d in cb["state"]],
                "changedPropIds": list(changed)}
        r = self.client.post("/_dash-update-component", json=body)
        return r.status_code, (r.get_json() or {}).get("response", {}) if r.status_code == 200 else {}, len(r.data)


@pytest.fixture
def client(app_factory):
    return Client(app_factory(components=[header, select_view]))


STATE = {"dataset": "small", "layer": "cells", "pos": 0, "width": 40, "sel": [10, 14], "pad": [0, 0],
         "threshold": 0.3, "exclude": [], "length": None, "annotation": None}
SEARCH = "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3"


@pytest.mark.parametrize("prop,value", [
    ("threshold-input.value", "abc"), ("threshold-input.value", None), ("threshold-input.value", 1e308),
    ("threshold-drag.data", {"y": "high"}), ("threshold-drag.data", [1, 2]), ("brush-range.data", {"range": 5}),
    ("brush-range.data", {"range": {"x": ["a", "b"]}}), ("brush-slider.value", [1, "x"]),
    ("brush-slider.value", [5, 1, 3, 2, 9]), ("select-graph.clickData", {"points": [{"curveNumber": 3, "x": "a"}]}),
    ("remove-cell.data", {"cell": "x"}), ("remove-cell.data", {"cell": 10 ** 9}), ("pos-input.value", "12abc"),
    ("width-input.value", -5), ("dataset-dropdown.value", "nope"), ("layer-dropdown.value", "nope"),
    ("url.search", "?%%%&sel=::::&threshold=--1"), ("view-state.data", {"dataset": 5}),
    ("view-state.data", {"dataset": "small", "pos": "x", "sel": "bad"}),
])
def test_odd_input_never_errors(client, prop, value):
    sync = client.find(ids.VIEW_STATE + ".data")
    values = {"url.search": SEARCH, "view-state.data": STATE, prop: value}
    if prop == "view-state.data":
        values[prop] = value
    status, resp, _ = client.call(sync, values, changed=[prop])
    assert status in (200, 204)
    state = (resp.get(ids.VIEW_STATE) or {}).get("data")
    if state:
        assert state["dataset"] == "small" and state["layer"] in ("cells", "hidden")


def test_threshold_change_patches_the_figure(client, small_dataset):
    render = client.find(ids.GRAPH + ".figure")
    status, resp, size = client.call(render, {"view-state.data": STATE, "min-run-input.value": 1})
    assert status == 200 and resp[ids.GRAPH]["figure"]["layout"]["meta"]["D"] == 24
    rendered, selection = resp[ids.RENDERED]["data"], resp[ids.SELECTION]["data"]
    ds = lv.open_dataset(small_dataset)
    assert selection["cells"] == lv.select(ds, "cells", 10, 14, 0.3).tolist()
    new = dict(STATE, threshold=0.95, exclude=[6])
    status, resp, patch_size = client.call(render, {"view-state.data": new, "min-run-input.value": 1},
                                           {"select-rendered.data": rendered, "selection.data": selection})
    assert status == 200
    fig = resp[ids.GRAPH]["figure"]
    assert fig["__dash_patch_update"] == "__dash_patch_update"
    assert patch_size < size
    cells = [c for c in lv.select(ds, "cells", 10, 14, 0.95).tolist() if c != 6]
    assert resp[ids.SELECTION]["data"]["cells"] == cells and resp[ids.SELECTION]["data"]["threshold"] == 0.95
    # the same state again: the selection store is not rewritten (the match view would recompute)
    status, resp, _ = client.call(render, {"view-state.data": new, "min-run-input.value": 1},
                                  {"select-rendered.data": rendered, "selection.data": resp[ids.SELECTION]["data"]})
    assert ids.SELECTION not in resp


def test_broken_dataset_render_is_a_notice(client):
    render = client.find(ids.GRAPH + ".figure")
    status, resp, _ = client.call(render, {"view-state.data": dict(STATE, dataset="missing"),
                                           "min-run-input.value": 1})
    assert status == 200 and "does not exist" in json.dumps(resp[ids.NOTICE])


def test_search_is_literal(client):
    search = client.find(ids.SEARCH_RESULTS + ".children")
    status, resp, _ = client.call(search, {"search-button.n_clicks": 1},
                                  {"search-input.value": "( 4", "view-state.data": STATE}, ["search-button.n_clicks"])
    assert status == 200 and "occurrence" in json.dumps(resp)
    for q in [".*", "[(", "\\d", "(?:4)"]:
        status, resp, _ = client.call(search, {"search-button.n_clicks": 1},
                                      {"search-input.value": q, "view-state.data": STATE}, ["search-button.n_clicks"])
        assert status == 200 and "not in the vocabulary" in json.dumps(resp)
