"""The Python API of SPEC.md section 4: Dataset accessors, write_dataset/open_dataset, argument checks."""
from __future__ import annotations

import math
import os
import shutil

import numpy as np
import pytest

import lstmvis_dash as lv

from conftest import honour_permission_bits

T = 20
TOKENS = ["the", "cat", " ", "", "é", "sat", "on", "the", "mat", ".",
          "tab\there", "a", "b", "(", ")", "the", "end", "\u4e2d", "x y", "."]
DOCS = [0, 5, 12]


def _raw(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "layer 1/cell": (rng.normal(size=(T, 7)) * 2).astype(np.float32),
        "out": rng.normal(size=(T, 3)).astype(np.float64),
        "half": rng.normal(size=(T, 4)).astype(np.float16),
    }


ANNOTATIONS = {
    "pos": ["DET", "NOUN", "SP", "X", "X", "VERB", "ADP", "DET", "NOUN", "PUNCT",
            "X", "DET", "X", "PUNCT", "PUNCT", "DET", "NOUN", "X", "X", "PUNCT"],
    "depth": [0, 1, 2, 2, 1, 0, -1, 3, 3, 3, 0, 1, 2, 3, 4, 5, 6, 7, 100000, 0],
    "flag": [True, False] * 10,
    "score": [0.5 * i for i in range(T - 1)] + [float("nan")],
}


@pytest.fixture()
def written(tmp_path):
    raw = _raw()
    path = lv.write_dataset(tmp_path / "ds", TOKENS, raw, annotations=ANNOTATIONS, documents=DOCS,
                            transforms={"out": "none"}, name="demo", description="a demo")
    return path, raw


def test_write_returns_path_and_open_reads_it(written):
    path, _ = written
    assert path == path.__class__(path) and path.is_dir()
    ds = lv.open_dataset(path)
    assert isinstance(ds, lv.Dataset)
    assert ds.name == "demo"
    ds2 = lv.open_dataset(str(path))
    assert len(ds2) == T


def test_accessors(written):
    path, raw = written
    ds = lv.open_dataset(path)
    assert len(ds) == T
    assert ds.layers == ["layer 1/cell", "out", "half"]
    assert [ds.dims(k) for k in ds.layers] == [7, 3, 4]
    assert ds.tokens(0, T) == TOKENS
    assert ds.tokens(2, 5) == [" ", "", "é"]
    assert ds.tokens(T - 1, T) == ["."]
    assert all(type(t) is str for t in ds.tokens(0, T))
    np.testing.assert_array_equal(ds.documents, DOCS)
    assert isinstance(ds.documents, np.ndarray)


def test_values_apply_transform_in_float32(written):
    path, raw = written
    ds = lv.open_dataset(path)
    v = ds.values("layer 1/cell", 0, T)
    assert v.dtype == np.float32 and v.shape == (T, 7)
    np.testing.assert_array_equal(v, np.tanh(raw["layer 1/cell"].astype(np.float32)))
    v = ds.values("out", 3, 9)                                     # transform none; float64 is stored as float32
    assert v.dtype == np.float32 and v.shape == (6, 3)
    np.testing.assert_array_equal(v, raw["out"][3:9].astype(np.float32))
    v = ds.values("half", 0, T)                                    # float16 states, tanh
    assert v.dtype == np.float32
    np.testing.assert_array_equal(v, np.tanh(raw["half"].astype(np.float32)))
    v = ds.values("half", 19, 20)
    assert v.shape == (1, 4)


def test_annotations_round_trip(written):
    path, _ = written
    ds = lv.open_dataset(path)
    assert ds.annotations == ["pos", "depth", "flag", "score"]
    pos = ds.annotation("pos", 0, T)
    assert pos == ANNOTATIONS["pos"] and all(type(x) is str for x in pos)
    depth = ds.annotation("depth", 0, T)
    assert depth == ANNOTATIONS["depth"] and all(type(x) is int for x in depth)
    flag = ds.annotation("flag", 0, T)
    assert flag == ANNOTATIONS["flag"] and all(type(x) is bool for x in flag)
    score = ds.annotation("score", 0, T)
    assert all(type(x) is float for x in score)
    assert score[:-1] == [float(np.float32(x)) for x in ANNOTATIONS["score"][:-1]]
    assert math.isnan(score[-1])
    assert ds.annotation("pos", 5, 8) == ANNOTATIONS["pos"][5:8]
    assert ds.annotation("depth", 17, 19) == [7, 100000]


def test_annotation_numpy_inputs(tmp_path):
    n = 6
    ann = {"i": np.array([3, 1, 3, 2, 2, 1], dtype=np.int16), "b": np.array([1, 0, 1, 1, 0, 0], dtype=bool),
           "f": np.linspace(0, 1, n, dtype=np.float64), "s": np.array(list("abcabc"))}
    p = lv.write_dataset(tmp_path / "np", list("uvwxyz"), {"L": np.zeros((n, 2))}, annotations=ann)
    ds = lv.open_dataset(p)
    assert ds.annotation("i", 0, n) == [3, 1, 3, 2, 2, 1]
    assert ds.annotation("b", 0, n) == [True, False, True, True, False, False]
    assert ds.annotation("f", 0, n) == [float(np.float32(x)) for x in ann["f"]]
    assert ds.annotation("s", 0, n) == list("abcabc")


def test_defaults(tmp_path):
    raw = np.arange(12, dtype=np.float32).reshape(4, 3) / 10
    p = lv.write_dataset(tmp_path / "plain", ["a", "b", "c", "d"], {"L": raw})
    ds = lv.open_dataset(p)
    assert ds.name == "plain"                                      # the folder name when no name is given
    np.testing.assert_array_equal(ds.documents, [0])
    assert ds.annotations == []
    np.testing.assert_array_equal(ds.values("L", 0, 4), np.tanh(raw))   # default transform tanh
    ints = lv.write_dataset(tmp_path / "ints", ["a", "b"], {"L": [[1, -2], [0, 3]]}, transforms={"L": "none"})
    np.testing.assert_array_equal(lv.open_dataset(ints).values("L", 0, 2), np.array([[1, -2], [0, 3]], np.float32))


def test_write_dataset_round_trip(tmp_path, written):
    """What one folder holds, written again through the API, reads back the same."""
    path, raw = written
    ds = lv.open_dataset(path)
    states = {k: ds.values(k, 0, len(ds)) for k in ds.layers}
    anns = {k: ds.annotation(k, 0, len(ds)) for k in ds.annotations}
    p2 = lv.write_dataset(tmp_path / "copy", ds.tokens(0, len(ds)), states, annotations=anns,
                          documents=ds.documents, transforms={k: "none" for k in ds.layers})
    ds2 = lv.open_dataset(p2)
    assert ds2.layers == ds.layers and len(ds2) == len(ds)
    assert ds2.tokens(0, T) == ds.tokens(0, T)
    for k in ds.layers:
        np.testing.assert_array_equal(ds2.values(k, 0, T), ds.values(k, 0, T))
    for k in ds.annotations:
        a, b = ds2.annotation(k, 0, T), ds.annotation(k, 0, T)
        assert [x for x in a if x == x] == [x for x in b if x == x]
    np.testing.assert_array_equal(ds2.documents, ds.documents)
    # the same select/match on both
    for k in ds.layers:
        s = lv.select(ds, k, 2, 4, -0.2)
        np.testing.assert_array_equal(lv.select(ds2, k, 2, 4, -0.2), s)


def test_overwrite_existing_dataset_folder(tmp_path):
    p = lv.write_dataset(tmp_path / "d", ["a", "b"], {"L": np.ones((2, 2))})
    lv.write_dataset(p, ["a", "b", "c"], {"M": np.zeros((3, 5))})
    ds = lv.open_dataset(p)
    assert len(ds) == 3 and ds.layers == ["M"] and ds.dims("M") == 5


# ----------------------------------------------------------------------------------------------
# write_dataset: every ValueError names the argument

GOOD = dict(tokens=["a", "b", "c", "d"], states={"L": np.zeros((4, 2), np.float32)})


def _w(tmp_path, **kw):
    args = dict(GOOD)
    args.update(kw)
    tokens, states = args.pop("tokens"), args.pop("states")
    return lv.write_dataset(tmp_path / "out", tokens, states, **args)


@pytest.mark.parametrize("kw, word", [
    (dict(tokens=[]), "tokens"),
    (dict(states={}), "states"),
    (dict(states=[np.zeros((4, 2))]), "states"),
    (dict(states={"L": np.zeros(4)}), "states"),
    (dict(states={"L": np.zeros((4, 2, 1))}), "states"),
    (dict(states={"L": np.zeros((3, 2))}), "states"),
    (dict(states={"L": np.zeros((5, 2))}), "states"),
    (dict(states={"L": np.zeros((4, 0))}), "states"),
    (dict(states={"L": np.array([["a", "b"]] * 4)}), "states"),
    (dict(states={"L": np.zeros((4, 2), dtype=complex)}), "states"),
    (dict(states={"L": np.zeros((4, 2)), "M": np.zeros((3, 2))}), "states"),
    (dict(states={"L": [[1.0, 2.0], [1.0], [1.0, 2.0], [1.0, 2.0]]}), "states"),
    (dict(states={"": np.zeros((4, 2))}), "states"),
    (dict(states={" L": np.zeros((4, 2))}), "states"),
    (dict(transforms={"L": "sigmoid"}), "transforms"),
    (dict(transforms={"L": None}), "transforms"),
    (dict(transforms={"X": "none"}), "transforms"),
    (dict(documents=[]), "documents"),
    (dict(documents=[1]), "documents"),
    (dict(documents=[0, 2, 2]), "documents"),
    (dict(documents=[0, 3, 2]), "documents"),
    (dict(documents=[0, 4]), "documents"),
    (dict(documents=[0, -1]), "documents"),
    (dict(documents=[0, 1.5]), "documents"),
    (dict(documents=[[0, 1]]), "documents"),
    (dict(documents=["0", "x"]), "documents"),
    (dict(annotations={"a": [1, 2, 3]}), "annotation"),
    (dict(annotations={"a": [1, 2, 3, 4, 5]}), "annotation"),
    (dict(annotations={"a": ["x", 1, "y", 2.5]}), "annotation"),
    (dict(annotations={"a": [None, None, None, None]}), "annotation"),
    (dict(annotations={"a/b": [1, 2, 3, 4]}), "annotation"),
    (dict(annotations={"": [1, 2, 3, 4]}), "annotation"),
    (dict(annotations={"a": [[1], [2], [3], [4]]}), "annotation"),
    (dict(annotations={"a": [1j, 2j, 3j, 4j]}), "annotation"),
])
def test_write_dataset_errors(tmp_path, kw, word):
    with pytest.raises(ValueError) as e:
        _w(tmp_path, **kw)
    assert word in str(e.value), str(e.value)
    assert not (tmp_path / "out" / "dataset.h5").exists()


def test_write_dataset_refuses_foreign_paths(tmp_path):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(ValueError, match="path"):
        lv.write_dataset(f, **GOOD)
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("precious")
    with pytest.raises(ValueError, match="path"):
        lv.write_dataset(other, **GOOD)
    assert (other / "keep.txt").read_text() == "precious"


# ----------------------------------------------------------------------------------------------
# open_dataset


def test_open_dataset_errors(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(ValueError) as e:
        lv.open_dataset(missing)
    assert str(missing) in str(e.value)
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(ValueError) as e:
        lv.open_dataset(f)
    assert str(f) in str(e.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError) as e:
        lv.open_dataset(empty)
    assert str(empty) in str(e.value)


def _config(tmp_path, text):
    cfg = tmp_path / "datasets.yml"
    cfg.write_text(text)
    return cfg


def test_open_by_name_through_config(tmp_path, written, monkeypatch):
    path, raw = written
    shutil.move(str(path), str(tmp_path / "data"))
    cfg = _config(tmp_path, "datasets:\n  - name: first\n    path: data\n    description: the first one\n"
                            "  - name: parens\n    path: " + str(os.path.abspath(
                                os.path.join(os.path.dirname(__file__), "fixtures", "lstmvis_parens_small")))
                  + "\n")
    ds = lv.open_dataset("first", config=cfg)
    assert ds.name == "first" and ds.description == "the first one"
    assert len(ds) == T and ds.tokens(0, 3) == TOKENS[:3]
    ds = lv.open_dataset("first", config=str(cfg))
    assert ds.name == "first"
    ds = lv.open_dataset("first", config=lv.load_config(cfg))
    assert ds.name == "first"
    p = lv.open_dataset("parens", config=cfg)
    assert p.name == "parens" and len(p) == 1000
    with pytest.raises(ValueError) as e:
        lv.open_dataset("second", config=cfg)
    assert "second" in str(e.value)
    # the config named by LSTMVIS_CONFIG, relative paths resolved against the config's folder
    monkeypatch.chdir(tmp_path.parent)
    monkeypatch.setenv("LSTMVIS_CONFIG", str(cfg))
    assert lv.open_dataset("first").name == "first"


def test_config_dataset_missing_on_disk(tmp_path):
    cfg = _config(tmp_path, "datasets:\n  - name: gone\n    path: not/there\n")
    with pytest.raises(ValueError) as e:
        lv.open_dataset("gone", config=cfg)
    assert "not/there" in str(e.value)


@pytest.mark.parametrize("how", ["garbage", "empty", "head", "half", "tail"])
def test_broken_file_names_the_file(tmp_path, how):
    p = lv.write_dataset(tmp_path / "b", [f"t{i}" for i in range(300)],
                         {"L": np.random.default_rng(0).normal(size=(300, 40))},
                         annotations={"a": list(range(300))})
    f = p / "dataset.h5"
    data = f.read_bytes()
    if how == "garbage":
        f.write_bytes(b"this is not an hdf5 file\n" * 100)
    elif how == "empty":
        f.write_bytes(b"")
    elif how == "head":
        f.write_bytes(data[:100])
    elif how == "half":
        f.write_bytes(data[: len(data) // 2])
    else:
        f.write_bytes(data[:-200])
    with pytest.raises(ValueError) as e:
        ds = lv.open_dataset(p)
        lv.select(ds, "L", 0, 300, -2.0)
        lv.match(ds, "L", [0, 1], 0.0)
        ds.values("L", 0, 300)
        ds.tokens(0, 300)
        ds.annotation("a", 0, 300)
    assert "dataset.h5" in str(e.value), str(e.value)


# ----------------------------------------------------------------------------------------------
# select / match / accessors: bad arguments


@pytest.fixture()
def small(tmp_path):
    raw = np.random.default_rng(3).normal(size=(10, 4)).astype(np.float32)
    p = lv.write_dataset(tmp_path / "s", list("abcdefghij"), {"L": raw}, documents=[0, 6])
    return lv.open_dataset(p)


@pytest.mark.parametrize("args, kw, word", [
    (("nope", 0, 2, 0.0), {}, "layer"),
    ((None, 0, 2, 0.0), {}, "layer"),
    (("L", -1, 2, 0.0), {}, "start"),
    (("L", 0, 11, 0.0), {}, "stop"),
    (("L", 5, 5, 0.0), {}, "stop"),
    (("L", 6, 5, 0.0), {}, "start"),
    (("L", 10, 11, 0.0), {}, "start"),
    (("L", 0.0, 2, 0.0), {}, "start"),
    (("L", 0, 2.5, 0.0), {}, "stop"),
    (("L", "0", 2, 0.0), {}, "start"),
    (("L", True, 2, 0.0), {}, "start"),
    (("L", 0, 2, float("nan")), {}, "threshold"),
    (("L", 0, 2, float("inf")), {}, "threshold"),
    (("L", 0, 2, float("-inf")), {}, "threshold"),
    (("L", 0, 2, "0.5"), {}, "threshold"),
    (("L", 0, 2, None), {}, "threshold"),
    (("L", 0, 2, 0.0), dict(pad_left=-1), "pad_left"),
    (("L", 0, 2, 0.0), dict(pad_right=-1), "pad_right"),
    (("L", 0, 2, 0.0), dict(pad_left=1.5), "pad_left"),
    (("L", 0, 2, 0.0), dict(pad_right="2"), "pad_right"),
])
def test_select_errors(small, args, kw, word):
    with pytest.raises(ValueError) as e:
        lv.select(small, *args, **kw)
    assert word in str(e.value), str(e.value)


@pytest.mark.parametrize("args, kw, word", [
    (("nope", [0], 0.0), {}, "layer"),
    (("L", [4], 0.0), {}, "cells"),
    (("L", [0, -1], 0.0), {}, "cells"),
    (("L", [0.5], 0.0), {}, "cells"),
    (("L", ["1"], 0.0), {}, "cells"),
    (("L", [[0, 1]], 0.0), {}, "cells"),
    (("L", None, 0.0), {}, "cells"),
    (("L", 3, 0.0), {}, "cells"),
    (("L", [0], float("nan")), {}, "threshold"),
    (("L", [0], float("inf")), {}, "threshold"),
    (("L", [0], "high"), {}, "threshold"),
    (("L", [0], 0.0), dict(pad_left=-1), "pad_left"),
    (("L", [0], 0.0), dict(pad_right=-2), "pad_right"),
    (("L", [0], 0.0), dict(min_length=0), "min_length"),
    (("L", [0], 0.0), dict(min_length=-3), "min_length"),
    (("L", [0], 0.0), dict(min_length=1.5), "min_length"),
    (("L", [0], 0.0), dict(min_length=11), "min_length"),
    (("L", [0], 0.0), dict(max_length=0), "max_length"),
    (("L", [0], 0.0), dict(min_length=3, max_length=2), "max_length"),
    (("L", [0], 0.0), dict(max_length=2.0), "max_length"),
    (("L", [0], 0.0), dict(top=0), "top"),
    (("L", [0], 0.0), dict(top=-1), "top"),
    (("L", [0], 0.0), dict(top=2.5), "top"),
    (("L", [0], 0.0), dict(top="5"), "top"),
])
def test_match_errors(small, args, kw, word):
    with pytest.raises(ValueError) as e:
        lv.match(small, *args, **kw)
    assert word in str(e.value), str(e.value)


def test_match_validates_even_with_empty_cells(small):
    with pytest.raises(ValueError, match="threshold"):
        lv.match(small, "L", [], float("nan"))
    with pytest.raises(ValueError, match="layer"):
        lv.match(small, "nope", [], 0.0)


def test_range_errors_state_allowed_range(small):
    with pytest.raises(ValueError) as e:
        lv.select(small, "L", 0, 11, 0.0)
    assert "10" in str(e.value)                                    # the allowed range: stop <= T
    with pytest.raises(ValueError) as e:
        lv.match(small, "L", [7], 0.0)
    assert "4" in str(e.value)                                     # cells in [0, D)


@pytest.mark.parametrize("call, word", [
    (lambda ds: ds.tokens(-1, 3), "start"),
    (lambda ds: ds.tokens(0, 11), "stop"),
    (lambda ds: ds.tokens(4, 2), "start"),
    (lambda ds: ds.tokens(1.0, 2), "start"),
    (lambda ds: ds.values("nope", 0, 2), "layer"),
    (lambda ds: ds.values("L", 0, 12), "stop"),
    (lambda ds: ds.values("L", 3, 3), "stop"),
    (lambda ds: ds.dims("nope"), "layer"),
    (lambda ds: ds.annotation("nope", 0, 2), "annotation"),
])
def test_accessor_errors(small, call, word):
    with pytest.raises(ValueError) as e:
        call(small)
    assert word in str(e.value), str(e.value)


def test_numpy_integer_arguments(small):
    a = lv.select(small, "L", np.int64(1), np.int32(3), np.float32(-0.5), pad_left=np.int64(1), pad_right=np.int8(1))
    b = lv.select(small, "L", 1, 3, float(np.float32(-0.5)), pad_left=1, pad_right=1)
    np.testing.assert_array_equal(a, b)
    m1 = lv.match(small, "L", np.array([0, 1], dtype=np.int32), -0.5, min_length=np.int64(1), top=np.int64(5))
    m2 = lv.match(small, "L", [1, 0], -0.5, min_length=1, top=5)
    assert m1.table.equals(m2.table) and m1.histogram.equals(m2.histogram)


def test_select_returns_sorted_int_array(small):
    s = lv.select(small, "L", 2, 3, -5.0)
    assert isinstance(s, np.ndarray) and s.dtype.kind == "i"
    assert s.tolist() == [0, 1, 2, 3]


# ----------------------------------------------------------------------------------------------
# a changed source file: the index is rebuilt, never reused stale


def _states(seed):
    return {"L": np.random.default_rng(seed).normal(size=(50, 6)).astype(np.float32)}


def _answers(ds):
    return (lv.select(ds, "L", 10, 12, 0.1).tolist(),
            lv.match(ds, "L", [0, 1, 2, 3, 4, 5], 0.1, min_length=1, top=1000).table.values.tolist(),
            ds.values("L", 0, 50).tolist())


def _expected(states):
    p = states["L"]
    on = np.tanh(p) >= np.float32(0.1)
    return sorted(np.flatnonzero(on[10:12].all(axis=0)).tolist())


def test_rewritten_dataset_gives_new_answers(tmp_path):
    p = tmp_path / "stale"
    a, b = _states(1), _states(2)
    lv.write_dataset(p, ["t"] * 50, a)
    ds = lv.open_dataset(p)
    first = _answers(ds)
    assert first[0] == _expected(a)
    lv.write_dataset(p, ["t"] * 50, b)
    fresh = _answers(lv.open_dataset(p))
    assert fresh[0] == _expected(b)
    np.testing.assert_array_equal(np.array(fresh[2], np.float32), np.tanh(b["L"]))
    assert fresh != first
    same = _answers(ds)
    assert same == fresh


def test_rewrite_with_same_size_and_mtime(tmp_path):
    """A rewrite within one tick of the file-system clock keeps size and mtime: still a new answer."""
    p = tmp_path / "stale2"
    a, b = _states(3), _states(4)
    lv.write_dataset(p, ["t"] * 50, a)
    f = p / "dataset.h5"
    ds = lv.open_dataset(p)
    first = _answers(ds)
    st = os.stat(f)
    lv.write_dataset(p, ["t"] * 50, b)
    assert os.stat(f).st_size == st.st_size
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    fresh = _answers(lv.open_dataset(p))
    assert fresh[0] == _expected(b)
    np.testing.assert_array_equal(np.array(fresh[2], np.float32), np.tanh(b["L"]))
    assert _answers(ds) == fresh != first


def test_repeated_quick_rewrites(tmp_path):
    """Many rewrites in quick succession, queried through one Dataset object and fresh ones."""
    p = tmp_path / "quick"
    lv.write_dataset(p, ["t"] * 50, _states(100))
    ds = lv.open_dataset(p)
    for seed in range(101, 111):
        s = _states(seed)
        lv.write_dataset(p, ["t"] * 50, s)
        assert lv.select(ds, "L", 10, 12, 0.1).tolist() == _expected(s)
        np.testing.assert_array_equal(ds.values("L", 0, 50), np.tanh(s["L"]))
        assert lv.select(lv.open_dataset(p), "L", 10, 12, 0.1).tolist() == _expected(s)


def test_index_not_reused_from_cache_when_source_changes(tmp_path, monkeypatch):
    """Read-only dataset folder: the index lives in $LSTMVIS_CACHE and must follow the source too."""
    monkeypatch.setenv("LSTMVIS_CACHE", str(tmp_path / "cache"))
    honour_permission_bits(monkeypatch)
    p = tmp_path / "ro"
    a, b = _states(5), _states(6)
    lv.write_dataset(p, ["t"] * 50, a)
    os.chmod(p, 0o555)
    try:
        assert not os.access(p, os.W_OK)
        ds = lv.open_dataset(p)
        assert _answers(ds)[0] == _expected(a)
        assert not (p / ".lstmvis-index").exists()
        assert any((tmp_path / "cache").iterdir())
        os.chmod(p, 0o755)
        lv.write_dataset(p, ["t"] * 50, b)
        os.chmod(p, 0o555)
        assert _answers(lv.open_dataset(p))[0] == _expected(b)
        assert _answers(ds)[0] == _expected(b)
    finally:
        os.chmod(p, 0o755)


def test_rewrite_with_other_shape_same_object(tmp_path):
    """The same Dataset object after its file got another shape: a clear error, never wrong data."""
    p = tmp_path / "reshaped"
    lv.write_dataset(p, ["t"] * 50, _states(7))
    ds = lv.open_dataset(p)
    _answers(ds)
    lv.write_dataset(p, ["t"] * 50, {"L": np.zeros((50, 9), np.float32)})
    with pytest.raises(ValueError) as e:
        lv.select(ds, "L", 0, 2, 0.0)
    assert "dataset.h5" in str(e.value)
    assert lv.open_dataset(p).dims("L") == 9
