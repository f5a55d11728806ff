"""The URL <-> view state parser/serialiser (SPEC.md section 5): round trips and every bad value."""
import pytest

from lstmvis_dash.ui import urlstate as us


@pytest.fixture
def catalog():
    return us.Catalog(
        names=["small", "big", "broken"],
        infos={
            "small": us.DatasetInfo("small", 1000, {"states::states1": us.LayerInfo(100, "tanh"),
                                                    "raw": us.LayerInfo(8, "none")}, ("depth", "pos tag")),
            "big": us.DatasetInfo("big", 100_000, {"c": us.LayerInfo(650, "tanh")}, ()),
            "broken": None,
        },
        errors={"broken": "dataset folder /x does not exist"},
    )


FULL = {"dataset": "small", "layer": "states::states1", "pos": 120, "width": 60, "sel": [130, 134],
        "pad": [1, 2], "threshold": 0.55, "exclude": [3, 17, 99], "length": 4, "annotation": "pos tag"}


def test_defaults(catalog):
    state, notices = us.parse_query("", catalog)
    assert notices == []
    assert state == {"dataset": "small", "layer": "states::states1", "pos": 0, "width": 40, "sel": None,
                     "pad": [0, 0], "threshold": 0.3, "exclude": [], "length": None, "annotation": None}
    assert us.parse_query(None, catalog)[0] == state
    assert us.parse_query("?", catalog)[0] == state


def test_round_trip_every_key(catalog):
    q = us.serialize(FULL)
    assert q.startswith("?dataset=small&layer=states::states1&pos=120&width=60&sel=130:134&pad=1:2")
    state, notices = us.parse_query(q, catalog)
    assert notices == []
    assert state == FULL
    assert us.serialize(state) == q


@pytest.mark.parametrize("key,value", [
    ("dataset", "big"), ("layer", "raw"), ("pos", 0), ("pos", 940), ("width", 1), ("width", 200),
    ("sel", None), ("sel", [0, 1]), ("sel", [999, 1000]), ("pad", [0, 0]), ("pad", [200, 0]), ("pad", [0, 5]),
    ("threshold", -1.0), ("threshold", 1.0), ("threshold", 0.123456789), ("threshold", 0.0),
    ("exclude", []), ("exclude", [0]), ("exclude", list(range(100))), ("length", None), ("length", 1),
    ("length", 1000), ("annotation", None), ("annotation", "depth"),
])
def test_round_trip_each_value(catalog, key, value):
    state = dict(FULL, **{key: value})
    if key == "dataset":
        state = dict(us.default_state(catalog, "big"), pos=5)
    if key == "layer":
        state.update(exclude=[1, 7], threshold=3.5)
    if key == "width":
        state["pos"] = 0
    parsed, notices = us.parse_query(us.serialize(state), catalog)
    assert notices == []
    assert parsed == state


def test_untransformed_layer_accepts_any_finite_threshold(catalog):
    state, notices = us.parse_query("?layer=raw&threshold=-12.5", catalog)
    assert notices == [] and state["threshold"] == -12.5


def test_unknown_keys_ignored(catalog):
    state, notices = us.parse_query("?foo=1&bar=&pos=3&utm_source=x", catalog)
    assert notices == [] and state["pos"] == 3


def test_url_encoded_values(catalog):
    state, notices = us.parse_query("?layer=states%3A%3Astates1&annotation=pos+tag", catalog)
    assert notices == [] and state["layer"] == "states::states1" and state["annotation"] == "pos tag"
    assert "annotation=pos+tag" in us.serialize(state)


BAD = [
    # key, value, expected value in the state
    ("dataset", "nope", "small"),
    ("dataset", "broken", "small"),
    ("dataset", "", "small"),
    ("layer", "states::states9", "states::states1"),
    ("layer", "", "states::states1"),
    ("pos", "abc", 0),
    ("pos", "-5", 0),
    ("pos", "961", 0),
    ("pos", "1.5", 0),
    ("pos", "99999999999999999999999", 0),
    ("width", "0", 40),
    ("width", "-3", 40),
    ("width", "ten", 40),
    ("width", "", 40),
    ("width", "5000", 200),
    ("sel", "5", None),
    ("sel", "5:5", None),
    ("sel", "9:3", None),
    ("sel", "-1:3", None),
    ("sel", "990:1001", None),
    ("sel", "a:b", None),
    ("sel", "1:2:3", None),
    ("pad", "1", [0, 0]),
    ("pad", "-1:0", [0, 0]),
    ("pad", "0:201", [0, 0]),
    ("pad", "x:y", [0, 0]),
    ("threshold", "abc", 0.3),
    ("threshold", "nan", 0.3),
    ("threshold", "inf", 0.3),
    ("threshold", "1.5", 0.3),
    ("threshold", "-2", 0.3),
    ("threshold", "", 0.3),
    ("exclude", "1,x", []),
    ("exclude", "100", []),
    ("exclude", "-1", []),
    ("exclude", "1,,2", []),
    ("length", "0", None),
    ("length", "1001", None),
    ("length", "four", None),
    ("annotation", "sentiment", None),
    ("annotation", "", None),
]


@pytest.mark.parametrize("key,value,expected", BAD)
def test_bad_value_gives_default_and_notice(catalog, key, value, expected):
    from urllib.parse import quote
    state, notices = us.parse_query(f"?{key}={quote(value)}", catalog)
    assert state[key] == expected
    assert len(notices) == 1
    assert notices[0].startswith(f"{key}=")
    assert repr(value)[1:-1][:10] in notices[0]


def test_bad_value_keeps_other_keys(catalog):
    state, notices = us.parse_query("?pos=12&width=zzz&sel=20:24&threshold=0.5", catalog)
    assert len(notices) == 1 and "width" in notices[0]
    assert state["pos"] == 12 and state["sel"] == [20, 24] and state["threshold"] == 0.5


def test_pos_default_follows_selection(catalog):
    state, notices = us.parse_query("?dataset=big&sel=5000:5004", catalog)
    assert notices == [] and state["pos"] == 5000 - 10
    state, _ = us.parse_query("?dataset=big&sel=5000:5004&pos=oops", catalog)
    assert state["pos"] == 4990


def test_width_clamped_to_short_dataset():
    cat = us.Catalog(["tiny"], {"tiny": us.DatasetInfo("tiny", 12, {"l": us.LayerInfo(4)})})
    state, notices = us.parse_query("", cat)
    assert state["width"] == 12 and notices == []
    state, notices = us.parse_query("?width=30", cat)
    assert state["width"] == 12 and len(notices) == 1


def test_exclude_checked_against_the_layer(catalog):
    state, notices = us.parse_query("?layer=raw&exclude=7", catalog)
    assert state["exclude"] == [7] and notices == []
    state, notices = us.parse_query("?layer=raw&exclude=8", catalog)
    assert state["exclude"] == [] and len(notices) == 1


def test_exclude_sorted_and_deduplicated(catalog):
    state, notices = us.parse_query("?exclude=9,3,9", catalog)
    assert state["exclude"] == [3, 9] and notices == []


def test_garbage_never_raises(catalog):
    for q in ["%%%", "?=&=&", "?sel=%00", "?" + "a=1&" * 500, "?pos=" + "9" * 9000, "?dataset=%FF%FE",
              "?threshold=1e400", "?exclude=" + ",".join(["1"] * 500)]:
        state, notices = us.parse_query(q, catalog)
        assert state["dataset"] == "small"


def test_no_working_dataset():
    cat = us.Catalog(["gone"], {"gone": None}, {"gone": "missing"})
    state, notices = us.parse_query("?pos=5", cat)
    assert state["dataset"] == "gone" and state["layer"] is None
    assert us.serialize(state).startswith("?dataset=gone&pos=0")


def test_normalize_clamps_user_input(catalog):
    state, notices = us.normalize(dict(FULL, width=900, pos=0), catalog)
    assert state["width"] == 200 and len(notices) == 1


# -- compare (comparison view): a layer of this dataset or dataset:layer, absent unless set ------------
@pytest.fixture
def catalog2(catalog):
    catalog.names.append("other")
    catalog.infos["other"] = us.DatasetInfo("other", 1000, {"cells:a": us.LayerInfo(20, "tanh")}, ())
    return catalog


@pytest.mark.parametrize("value,want", [
    ("raw", "raw"), ("states::states1", "states::states1"), ("other:cells:a", "other:cells:a"),
    ("small:raw", "raw"), ("small:states::states1", "states::states1"),
])
def test_compare_round_trip(catalog2, value, want):
    state, notices = us.parse_query(f"?dataset=small&compare={value}", catalog2)
    assert notices == []
    assert state["compare"] == want
    again, notices = us.parse_query(us.serialize(state), catalog2)
    assert notices == [] and again == state
    assert us.serialize(again).endswith("&compare=" + want)


@pytest.mark.parametrize("value,why", [
    ("nope", "is not a layer"), ("other:nope", "is not a layer"), ("nope:c", "is not a layer"),
    ("broken:x", "unavailable"), ("big", "is not a layer"),
])
def test_compare_bad_values_are_dropped_with_a_notice(catalog2, value, why):
    state, notices = us.parse_query(f"?dataset=small&compare={value}", catalog2)
    assert "compare" not in state
    assert len(notices) == 1 and notices[0].startswith(f"compare={value!r}") and why in notices[0]


def test_compare_absent_or_empty_leaves_the_state_unchanged(catalog2):
    assert us.parse_query("?dataset=small&compare=", catalog2)[0] == us.parse_query("?dataset=small", catalog2)[0]
    assert "compare" not in us.serialize(us.default_state(catalog2))
