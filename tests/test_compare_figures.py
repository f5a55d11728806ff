"""Unit tests of the comparison view's pure builders (no browser)."""
import numpy as np
import plotly.graph_objects as go
import pytest

from lstmvis_dash.ui import compare_figures as cf
from lstmvis_dash.ui import compare_view as cv
from lstmvis_dash.ui import select_figures as sf
from lstmvis_dash.ui import urlstate as us


def test_token_difference_compares_strings_not_ids():
    va = np.array(["a", "b", "c"])
    vb = np.array(["c", "b", "a", "a"])        # other numbering, a repeated string
    ids_a = np.array([0, 1, 2, 0, 0])
    ids_b = np.array([2, 1, 0, 3, 2])
    assert cf.token_difference(ids_a, va, ids_b, vb) is None
    ids_b2 = ids_b.copy()
    ids_b2[3] = 1
    assert cf.token_difference(ids_a, va, ids_b2, vb) == {"pos": 3, "a": "a", "b": "b", "len_a": 5, "len_b": 5}
    vb3 = np.array(["c", "b", "a", "z"])       # a string a does not have
    assert cf.token_difference(ids_a, va, ids_b, vb3)["pos"] == 3
    # small blocks: the first difference is found across block borders
    assert cf.token_difference(ids_a, va, ids_b2, vb, block=2)["pos"] == 3


def test_token_difference_of_lengths():
    v = np.array(["x", "y"])
    d = cf.token_difference(np.array([0, 1, 0]), v, np.array([0, 1]), v)
    assert d == {"pos": 2, "a": "x", "b": None, "len_a": 3, "len_b": 2}
    msg = cf.difference_message("A", "B", d, "xyx", "xy")
    assert "first differ at position 2 ('x' vs (end of data))" in msg and "lengths 3 vs 2" in msg
    assert "not the same token sequence" in msg


@pytest.fixture
def catalog():
    return us.Catalog(names=["p", "q", "broken"], infos={
        "p": us.DatasetInfo("p", 100, {"c1": us.LayerInfo(10), "h1": us.LayerInfo(10, "none")}),
        "q": us.DatasetInfo("q", 100, {"x:y": us.LayerInfo(4)}), "broken": None})


def test_compare_options_and_split(catalog):
    opts = cf.compare_options("p", "c1", catalog)
    assert [o["value"] for o in opts] == ["h1", "q:x:y", "broken:"]
    assert opts[-1]["disabled"] is True
    for o in opts[:2]:   # every offered value is one the URL parser accepts, and splits back
        state, notices = us.parse_query(f"?dataset=p&compare={o['value']}", catalog)
        assert notices == [] and state["compare"] == o["value"]
    assert cf.split_compare("h1", "p", catalog) == ("p", "h1")
    assert cf.split_compare("q:x:y", "p", catalog) == ("q", "x:y")


def test_second_figure_is_the_select_plot_read_only():
    values = np.linspace(-1, 1, 5 * 6, dtype=np.float32).reshape(5, 6)
    toks = list("abcde")
    spec = cf.second_figure_spec(toks, values, 10, [1, 2], 0.3, sel=[11, 13], pad=[1, 0], title="q:h <2>")
    ref = sf.main_figure_spec(toks, values, 10, [1, 2], 0.3, [11, 13], [1, 0])
    assert spec["data"] == ref["data"]
    assert spec["layout"]["dragmode"] is False and spec["layout"]["height"] == cf.SECOND_HEIGHT
    assert not any(s.get("editable") for s in spec["layout"]["shapes"])
    assert spec["layout"]["shapes"][1]["x0"] == 0.5 and spec["layout"]["shapes"][2]["visible"] is True
    assert spec["layout"]["title"]["text"] == "q:h &lt;2&gt;"
    go.Figure(spec)


def test_s1_list_and_match_table():
    div = cf.s1_list([3, 7], "sid", "p:c1").to_plotly_json()
    assert div["props"]["data-cells"] == "3,7" and div["props"]["id"] == "sid"
    assert cf.s1_list([], "e", "x").to_plotly_json()["props"]["data-cells"] == ""
    table = cf.match_table([(5, 9, 2), (1, 3, 1)], ["a b", "c"], 2, "a", shared={(1, 3)})
    rows = table.children[1].children
    assert [r.id for r in rows] == [{"type": "compare-row", "side": "a", "index": i} for i in range(2)]
    assert [r.to_plotly_json()["props"]["data-start"] for r in rows] == [5, 1]
    assert "lv-compare-shared" in rows[1].className and "lv-compare-shared" not in rows[0].className
    assert rows[0].children[3].children == "2/2"
    assert cf.match_table([], [], 0, "b").children == "no matches"
    assert cf.match_words(list("abcdefghijklmnop"), 4) == "a b c …"


def test_row_click_moves_the_window():
    shown = {"dataset": "p", "T": 1000, "a": [[100, 104]], "b": [[500, 502]]}
    vs = {"dataset": "p", "width": 40}
    patch = cv.row_click({"type": "compare-row", "side": "b", "index": 0}, shown, vs)
    assert patch.to_plotly_json()["operations"][0]["params"]["value"] == 481
    assert cv.row_click({"type": "compare-row", "side": "b", "index": 3}, shown, vs) is cv.no_update
    assert cv.row_click({"side": "a", "index": 0}, shown, {"dataset": "other"}) is cv.no_update


def test_sync_chooser_writes_compare_and_drops_the_layer_itself():
    class Reg:
        def catalog(self):
            return us.Catalog(names=["p"], infos={"p": us.DatasetInfo("p", 100, {"c1": us.LayerInfo(10),
                                                                                  "h1": us.LayerInfo(10)})})
    ops = lambda patch: {o["location"][0]: o["params"]["value"] for o in patch.to_plotly_json()["operations"]}
    vs = {"dataset": "p", "layer": "c1"}
    _, _, patch = cv.sync_chooser(Reg(), vs, "h1", cv.CHOOSER)
    assert ops(patch) == {"compare": "h1"}
    assert cv.sync_chooser(Reg(), dict(vs, compare="h1"), "h1", cv.CHOOSER) == (cv.no_update,) * 3
    options, value, patch = cv.sync_chooser(Reg(), dict(vs, compare="h1"), None, "view-state")
    assert [o["value"] for o in options] == ["h1"] and value == "h1" and patch is cv.no_update
    _, value, patch = cv.sync_chooser(Reg(), {"dataset": "p", "layer": "h1", "compare": "h1"}, "h1", "view-state")
    assert value is None and ops(patch) == {"compare": None}
