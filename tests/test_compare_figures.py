"""Unit tests of the comparison view's pure builders (no browser)."""
import numpy as np
import pytest

from lstmvis_dash.ui import compare_figures as cf
from lstmvis_dash.ui import state as st
from lstmvis_dash.ui.compare_view import CompareView
from lstmvis_dash.ui.component import check_unique
from lstmvis_dash.ui.select_view import SelectView


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
    return st.Catalog(names=["p", "q", "broken"], infos={
        "p": st.DatasetInfo("p", 100, {"c1": st.LayerInfo(10), "h1": st.LayerInfo(10, "none")}),
        "q": st.DatasetInfo("q", 100, {"x:y": st.LayerInfo(4)}), "broken": None})


def test_compare_options_and_split(catalog):
    opts = cf.compare_options("p", "c1", catalog)
    assert [o["value"] for o in opts] == ["h1", "q:x:y", "broken:"]
    assert opts[-1]["disabled"] is True
    for o in opts[:2]:   # every offered value is one the URL parser accepts, and splits back
        state, notices = st.parse_query(f"?dataset=p&layer=c1&compare={o['value']}", catalog)
        assert notices == [] and state.compare == o["value"]
    assert st.split_compare("h1", "p", catalog) == ("p", "h1")
    assert st.split_compare("q:x:y", "p", catalog) == ("q", "x:y")


def test_s1_list_and_match_table():
    div = cf.s1_list([3, 7], "sid", "p:c1").to_plotly_json()
    assert div["props"]["data-cells"] == "3,7" and div["props"]["id"] == "sid"
    assert cf.s1_list([], "e", "x").to_plotly_json()["props"]["data-cells"] == ""
    table = cf.match_table([(5, 9, 2), (1, 3, 1)], ["a b", "c"], 2, "p", shared={(1, 3)})
    rows = table.children[1].children
    props = [r.to_plotly_json()["props"] for r in rows]
    assert [(p["data-lv-nav-start"], p["data-lv-nav-stop"], p["data-lv-nav-dataset"]) for p in props] == \
        [(5, 9, "p"), (1, 3, "p")]                      # a click goes down the navigation channel
    assert "lv-compare-shared" in rows[1].className and "lv-compare-shared" not in rows[0].className
    assert rows[0].children[3].children == "2/2"
    assert cf.match_table([], [], 0, "p").children == "no matches"
    assert cf.match_words(list("abcdefghijklmnop"), 4) == "a b c …"


def test_the_second_plot_is_a_second_select_view_instance():
    view = CompareView()
    second = view.children()[0]
    assert isinstance(second, SelectView) and not second.interactive and second.ids.graph == "select-compare-graph"
    assert second.actions() == []            # read-only: it follows the first
    check_unique([SelectView(), view])
