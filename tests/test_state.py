"""The typed view state (ui/state.py): URL round trips, every bad value clamped or replaced with a
notice (SPEC.md section 5), and the validation of what the browser sends back."""
from urllib.parse import quote

import pytest

from lstmvis_dash.ui import codecs as cd
from lstmvis_dash.ui import state as st


@pytest.fixture
def catalog():
    return st.Catalog(
        names=["small", "big", "broken"],
        infos={
            "small": st.DatasetInfo("small", 1000, {
                "states::states1": st.LayerInfo(100, "tanh", ("tanh", "none")),
                "raw": st.LayerInfo(8, "none", ("none", "tanh"), value_range=lambda t: (-3.0, 4.5)),
                "q": st.LayerInfo(8, "quantile")}, ("depth", "pos tag")),
            "big": st.DatasetInfo("big", 100_000, {"c": st.LayerInfo(650, "tanh")}, ()),
            "broken": None,
        },
        errors={"broken": "dataset folder /x does not exist"},
    )


FULL = st.ViewState(dataset="small", layer="states::states1", pos=120, width=60, sel=(130, 134), pad=(1, 2),
                    threshold=0.55, exclude=(3, 17, 99), length=4, annotation="pos tag")


def test_defaults(catalog):
    state, notices = st.parse_query("", catalog)
    assert notices == []
    assert state == st.ViewState(dataset="small", layer="states::states1")
    assert st.parse_query(None, catalog)[0] == state == st.parse_query("?", catalog)[0]


def test_round_trip_every_key_in_spec_order(catalog):
    s = FULL.replace(transform="none", compare="raw")
    q = st.serialize(s)
    assert q == ("?dataset=small&layer=states::states1&pos=120&width=60&sel=130:134&pad=1:2&threshold=0.55"
                 "&exclude=3,17,99&length=4&annotation=pos+tag&transform=none&compare=raw")
    state, notices = st.parse_query(q, catalog)
    assert notices == [] and state == s and st.serialize(state) == q


@pytest.mark.parametrize("field,value", [
    ("pos", 0), ("pos", 940), ("width", 1), ("width", 200), ("sel", None), ("sel", (0, 1)), ("sel", (999, 1000)),
    ("pad", (0, 0)), ("pad", (200, 0)), ("threshold", -1.0), ("threshold", 1.0), ("threshold", 0.123456789),
    ("exclude", ()), ("exclude", tuple(range(100))), ("length", None), ("length", 1000), ("annotation", None),
    ("annotation", "depth"), ("transform", None), ("transform", "none"), ("compare", "big:c"),
])
def test_round_trip_each_value(catalog, field, value):
    state = FULL.replace(**{field: value}, **({"pos": 0} if field == "width" else {}))
    parsed, notices = st.parse_query(st.serialize(state), catalog)
    assert notices == [] and parsed == state
    assert st.from_store(state.to_store(), catalog) == state


def test_layer_default_transform_is_not_written(catalog):
    state, notices = st.parse_query("?layer=raw&transform=none&threshold=2", catalog)
    assert state.transform is None and notices == []
    assert "transform" not in st.serialize(state)


@pytest.mark.parametrize("query,field,expected,word", [
    ("width=0", "width", 1, "out of range"),
    ("width=5000", "width", 200, "out of range"),
    ("pos=99999", "pos", 960, "out of range"),
    ("pos=-3", "pos", 0, "out of range"),
    ("pad=0:999", "pad", (0, 200), "out of range"),
    ("threshold=1.7", "threshold", 1.0, "out of range"),
    ("threshold=-2", "threshold", -1.0, "out of range"),
    ("layer=raw&threshold=5000", "threshold", 4.5, "for none values"),
    ("layer=q&threshold=2", "threshold", 1.0, "for quantile values"),
    ("sel=990:1500", "sel", (990, 1000), "outside the data"),
    ("sel=0:20000", "sel", (0, 1000), "outside the data"),
    ("length=0", "length", 1, "out of range"),
    ("length=5000", "length", 1000, "out of range"),
    ("exclude=3,100,-1", "exclude", (3,), "cells outside"),
])
def test_numbers_out_of_range_are_clamped_with_a_notice(catalog, query, field, expected, word):
    state, notices = st.parse_query("?" + query, catalog)
    assert getattr(state, field) == expected
    assert len(notices) == 1 and word in notices[0] and notices[0].startswith(f"{field}=")


BAD = [("dataset", "nope", "small"), ("dataset", "broken", "small"), ("layer", "nope", "states::states1"),
       ("width", "x", 40), ("width", "1.5", 40), ("pos", "abc", 0), ("pos", "1e3", 0), ("sel", "1000:2000", None),
       ("sel", "5:5", None), ("sel", "a:b", None), ("sel", "1:2:3", None), ("pad", "1", (0, 0)),
       ("pad", "x:y", (0, 0)), ("threshold", "abc", 0.3), ("threshold", "nan", 0.3), ("threshold", "inf", 0.3),
       ("threshold", "", 0.3), ("exclude", "1,x", ()), ("exclude", "1,,2", ()), ("length", "four", None),
       ("annotation", "sentiment", None), ("annotation", "", None), ("transform", "zscore", None),
       ("transform", "<b>", None), ("compare", "states::states1", None), ("compare", "nope:x", None),
       ("compare", "broken:c", None)]


@pytest.mark.parametrize("key,value,expected", BAD)
def test_bad_value_gives_default_and_notice(catalog, key, value, expected):
    state, notices = st.parse_query(f"?{key}={quote(value)}", catalog)
    assert getattr(state, key) == expected
    assert len(notices) == 1 and notices[0].startswith(f"{key}=")
    assert repr(value)[1:-1][:10] in notices[0]


def test_bad_value_keeps_other_keys(catalog):
    state, notices = st.parse_query("?pos=x&width=50&threshold=0.5", catalog)
    assert (state.pos, state.width, state.threshold) == (0, 50, 0.5) and len(notices) == 1


def test_pos_default_follows_selection(catalog):
    state, _ = st.parse_query("?sel=500:504", catalog)
    assert state.pos == 490


def test_width_clamped_to_short_dataset():
    cat = st.Catalog(["s"], {"s": st.DatasetInfo("s", 12, {"l": st.LayerInfo(3)})})
    state, notices = st.parse_query("?width=40", cat)
    assert state.width == 12 and len(notices) == 1


def test_compare_forms(catalog):
    assert st.parse_query("?compare=raw", catalog)[0].compare == "raw"
    assert st.parse_query("?compare=small:raw", catalog)[0].compare == "raw"      # canonical: bare layer
    assert st.parse_query("?compare=big:c", catalog)[0].compare == "big:c"
    state, notices = st.parse_query("?layer=raw&compare=raw", catalog)
    assert state.compare is None and "is the layer shown" in notices[0]


def test_limits_of_the_address(catalog):
    state, notices = st.parse_query("?" + "a" * 9000, catalog)
    assert state == st.default_state(catalog) and "too long" in notices[0]
    state, notices = st.parse_query("?" + "&".join(f"k{i}=1" for i in range(150)), catalog)
    assert "too many" in notices[0]


def test_no_working_dataset():
    cat = st.Catalog(["b"], {"b": None}, {"b": "gone"})
    state, notices = st.parse_query("?dataset=b&layer=x&pos=5", cat)
    assert state.dataset == "b" and state.layer is None


def test_check_clamps_what_an_action_built(catalog):
    state, notices = st.check(FULL.replace(pos=10 ** 6, threshold=9.0, width=10 ** 6), catalog)
    assert (state.width, state.pos, state.threshold) == (200, 800, 1.0)
    assert len(notices) == 3


@pytest.mark.parametrize("bad", [None, [], "x", {"dataset": "small", "pos": "3"}, {"dataset": "small", "pos": True},
                                 {"dataset": "small", "sel": [5, 2]}, {"dataset": "../etc", "layer": "c"},
                                 {"dataset": "small", "layer": "states::states1", "threshold": float("nan")}])
def test_malformed_store_is_refused(catalog, bad):
    assert st.from_store(bad, catalog) is None


def test_store_round_trip(catalog):
    s = FULL.replace(focus=(130, 131), focus_pad=(0, 0), transform="none")
    assert st.from_store(s.to_store(), catalog) == s


def test_every_field_has_a_codec_that_refuses_garbage():
    for f in st.FIELDS:
        for junk in ({"a": 1}, [[1]], 2 ** 60, True):
            if junk == 2 ** 60 and f.codec.what == cd.FLOAT.what:
                continue  # a number, clamped by the check
            assert f.codec.from_json(junk) is cd.INVALID, (f.name, junk)
    assert set(st.URL_ORDER) == set(st.KEYS)
