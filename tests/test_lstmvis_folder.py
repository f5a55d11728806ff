"""Original LSTMVis folders (lstm.yml + HDF5 + .dict), read unchanged: tests/fixtures/lstmvis_parens_small."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest
import yaml

import lstmvis_dash as lv

from conftest import honour_permission_bits

FIXTURE = Path(__file__).parent / "fixtures" / "lstmvis_parens_small"
LAYERS = ["states::states1", "states::output1", "states::states2"]


def read_dict(path):
    out = {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            tok, i = line.rsplit(" ", 1)
            out[int(i)] = tok if tok else " "
    return out


def h5(name, key):
    with h5py.File(FIXTURE / name, "r") as f:
        return f[key][()]


@pytest.fixture()
def folder(tmp_path):
    """A private copy of the fixture (without any index built next to the original)."""
    dst = tmp_path / "parens"
    shutil.copytree(FIXTURE, dst, ignore=shutil.ignore_patterns(".lstmvis-index"))
    return dst


def edit_yml(folder, change):
    cfg = yaml.safe_load((folder / "lstm.yml").read_text())
    change(cfg)
    (folder / "lstm.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))


# ----------------------------------------------------------------------------------------------


def test_fixture_opens_unchanged():
    ds = lv.open_dataset(FIXTURE)
    assert len(ds) == 1000
    assert ds.layers == LAYERS
    assert all(ds.dims(k) == 100 for k in LAYERS)
    assert ds.name == "parens small"


def test_tokens_follow_the_dict(folder):
    ds = lv.open_dataset(folder)
    ids = h5("train.hdf5", "word_ids").reshape(-1)
    assert ids.min() >= 1                                           # word ids start at 1
    mapping = read_dict(FIXTURE / "train.dict")
    assert ds.tokens(0, len(ds)) == [mapping[int(i)] for i in ids]
    assert set(ds.tokens(0, 1000)) <= set("()01234")
    np.testing.assert_array_equal(ds.documents, [0])


def test_values_are_tanh_of_the_hdf5_arrays(folder):
    ds = lv.open_dataset(folder)
    for layer in LAYERS:
        raw = h5("states.hdf5", layer.split("::")[1])
        v = ds.values(layer, 0, 1000)
        assert v.dtype == np.float32 and v.shape == (1000, 100)
        np.testing.assert_array_equal(v, np.tanh(raw.astype(np.float32)))
        np.testing.assert_array_equal(ds.values(layer, 17, 40), np.tanh(raw[17:40].astype(np.float32)))


def test_select_and_match_follow_the_values(folder):
    ds = lv.open_dataset(folder)
    raw = h5("states.hdf5", "states2").astype(np.float32)
    on = np.tanh(raw) >= np.float32(0.3)
    s1 = lv.select(ds, "states::states2", 100, 104, 0.3, pad_left=1, pad_right=1)
    want = [c for c in range(100) if on[100:104, c].all() and not on[99, c] and not on[104, c]]
    assert s1.tolist() == want
    m = lv.match(ds, "states::states2", want or [0, 1], 0.3, min_length=1, top=5)
    assert len(m.table) >= 1 and (m.table["overlap"] >= 1).all()


def test_transform_none_is_honoured(folder):
    def change(cfg):
        types = cfg["states"]["types"]
        types[1]["transform"] = "none"
    edit_yml(folder, change)
    ds = lv.open_dataset(folder)
    out = h5("states.hdf5", "output1").astype(np.float32)
    np.testing.assert_array_equal(ds.values("states::output1", 0, 1000), out)
    np.testing.assert_array_equal(ds.values("states::states1", 0, 1000),
                                  np.tanh(h5("states.hdf5", "states1").astype(np.float32)))
    # select thresholds the untransformed values
    s = lv.select(ds, "states::output1", 5, 6, 0.9)
    assert s.tolist() == np.flatnonzero(out[5] >= np.float32(0.9)).tolist()


def test_meta_annotations(folder):
    ds = lv.open_dataset(folder)
    assert set(ds.annotations) == {"depth", "depth_scaled"}
    depth = h5("meta.h5", "depth").reshape(-1)
    names = read_dict(FIXTURE / "depth.dict")
    got = ds.annotation("depth", 0, 1000)
    assert got == [names[int(d)] for d in depth]
    assert all(type(x) is str for x in got)
    scaled = ds.annotation("depth_scaled", 0, 1000)
    assert all(type(x) is float for x in scaled)
    np.testing.assert_array_equal(np.array(scaled, np.float32), h5("meta.h5", "depth_scaled").astype(np.float32))
    assert ds.annotation("depth", 10, 12) == got[10:12]


def test_discrete_meta_without_dict_gives_ids(folder):
    def change(cfg):
        del cfg["meta"]["depth"]["dict"]
        cfg["meta"]["depth"]["vis"]["range"] = [0, 4]
    edit_yml(folder, change)
    ds = lv.open_dataset(folder)
    depth = h5("meta.h5", "depth").reshape(-1)
    got = ds.annotation("depth", 0, 1000)
    assert [str(x) for x in got] == [str(int(d)) for d in depth]


def test_read_only_copy_indexes_into_the_cache(folder, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("LSTMVIS_CACHE", str(cache))
    honour_permission_bits(monkeypatch)
    for p in [folder, *folder.iterdir()]:
        os.chmod(p, 0o555 if p.is_dir() else 0o444)
    try:
        assert not os.access(folder, os.W_OK)
        ds = lv.open_dataset(folder)
        raw = h5("states.hdf5", "states1").astype(np.float32)
        np.testing.assert_array_equal(ds.values("states::states1", 0, 1000), np.tanh(raw))
        s = lv.select(ds, "states::states1", 0, 3, 0.2)
        on = np.tanh(raw) >= np.float32(0.2)
        assert s.tolist() == np.flatnonzero(on[0:3].all(axis=0)).tolist()
        lv.match(ds, "states::states1", s if len(s) else [0], 0.2)
        assert not (folder / ".lstmvis-index").exists()
        assert cache.is_dir() and any(p.is_file() for p in cache.rglob("*"))
        # and a second open reuses it
        assert lv.select(lv.open_dataset(folder), "states::states1", 0, 3, 0.2).tolist() == s.tolist()
    finally:
        for p in [folder, *folder.iterdir()]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)


def test_dict_space_token_line(folder):
    """A line holding only an id (' 8') stands for the space token."""
    with h5py.File(folder / "train.hdf5", "r+") as f:
        ids = f["word_ids"][()]
        ids[[3, 10, 999]] = 8
        f["word_ids"][...] = ids
    with open(folder / "train.dict", "a") as f:
        f.write(" 8\n")
    ds = lv.open_dataset(folder)
    toks = ds.tokens(0, 1000)
    assert toks[3] == toks[10] == toks[999] == " "
    mapping = read_dict(FIXTURE / "train.dict")
    assert toks[0] == mapping[int(ids[0])]
    assert sum(t == " " for t in toks) == 3


def test_dict_with_first_line_space_token(folder):
    text = (folder / "train.dict").read_text()
    (folder / "train.dict").write_text(" 8\n" + text)
    with h5py.File(folder / "train.hdf5", "r+") as f:
        ids = f["word_ids"][()]
        ids[0] = 8
        f["word_ids"][...] = ids
    ds = lv.open_dataset(folder)
    assert ds.tokens(0, 2) == [" ", read_dict(FIXTURE / "train.dict")[int(ids[1])]]


@pytest.mark.parametrize("case, words", [
    ("alias_states", ["nope", "lstm.yml"]),
    ("alias_word_sequence", ["wrong", "lstm.yml"]),
    ("alias_dict", ["nodict", "lstm.yml"]),
    ("alias_meta", ["nometa", "lstm.yml"]),
    ("alias_file_missing", ["gone.hdf5"]),
    ("missing_h5_dataset", ["states9", "states.hdf5"]),
    ("missing_word_ids", ["words_ids", "train.hdf5"]),
    ("missing_meta_dataset", ["depthX", "meta.h5"]),
    ("yaml_syntax", ["lstm.yml"]),
    ("yaml_list", ["lstm.yml"]),
    ("no_states", ["lstm.yml", "states"]),
    ("no_word_sequence", ["lstm.yml", "word_sequence"]),
    ("types_not_list", ["lstm.yml", "types"]),
    ("states_not_hdf5", ["train.dict"]),
    ("bad_dict_line", ["train.dict"]),
    ("states_3d", ["states3d", "lstm.yml"]),
    ("meta_too_short", ["depth", "lstm.yml"]),
])
def test_clear_errors(folder, case, words):
    def states_types(fn):
        return lambda cfg: fn(cfg["states"]["types"])
    yml = folder / "lstm.yml"
    if case == "alias_states":
        edit_yml(folder, states_types(lambda t: t[1].__setitem__("file", "nope")))
    elif case == "alias_word_sequence":
        edit_yml(folder, lambda c: c["word_sequence"].__setitem__("file", "wrong"))
    elif case == "alias_dict":
        edit_yml(folder, lambda c: c["word_sequence"].__setitem__("dict_file", "nodict"))
    elif case == "alias_meta":
        edit_yml(folder, lambda c: c["meta"]["depth"].__setitem__("file", "nometa"))
    elif case == "alias_file_missing":
        edit_yml(folder, lambda c: c["files"].__setitem__("states", "gone.hdf5"))
    elif case == "missing_h5_dataset":
        edit_yml(folder, states_types(lambda t: t[2].__setitem__("path", "states9")))
    elif case == "missing_word_ids":
        edit_yml(folder, lambda c: c["word_sequence"].__setitem__("path", "words_ids"))
    elif case == "missing_meta_dataset":
        edit_yml(folder, lambda c: c["meta"]["depth"].__setitem__("path", "depthX"))
    elif case == "yaml_syntax":
        yml.write_text(yml.read_text().replace("types: [", "types: [[", 1))
    elif case == "yaml_list":
        yml.write_text("- just\n- a list\n")
    elif case == "no_states":
        edit_yml(folder, lambda c: c.pop("states"))
    elif case == "no_word_sequence":
        edit_yml(folder, lambda c: c.pop("word_sequence"))
    elif case == "types_not_list":
        edit_yml(folder, lambda c: c["states"].__setitem__("types", "states1"))
    elif case == "states_not_hdf5":
        edit_yml(folder, lambda c: c["files"].__setitem__("states", "train.dict"))
    elif case == "bad_dict_line":
        (folder / "train.dict").write_text((folder / "train.dict").read_text() + "noid\n")
    elif case == "states_3d":
        with h5py.File(folder / "states.hdf5", "r+") as f:
            f.create_dataset("states3d", data=np.zeros((1000, 4, 2), np.float32))
        edit_yml(folder, states_types(lambda t: t[0].__setitem__("path", "states3d")))
    elif case == "meta_too_short":
        with h5py.File(folder / "meta.h5", "r+") as f:
            d = f["depth"][()]
            del f["depth"]
            f.create_dataset("depth", data=d[:500])
    with pytest.raises(ValueError) as e:
        ds = lv.open_dataset(folder)
        lv.select(ds, ds.layers[0], 0, 2, 0.0)
        ds.annotation("depth", 0, 2)
    for w in words:
        assert w in str(e.value), str(e.value)


def test_chunked_gzip_states_are_converted(folder):
    src = FIXTURE / "states.hdf5"
    dst = folder / "states.hdf5"
    dst.unlink()
    with h5py.File(src, "r") as fi, h5py.File(dst, "w") as fo:
        for k in fi:
            fo.create_dataset(k, data=fi[k][()], chunks=(64, 25), compression="gzip", shuffle=True)
    with h5py.File(dst, "r") as f:
        assert f["states1"].chunks is not None and f["states1"].compression == "gzip"
    ds = lv.open_dataset(folder)
    for layer in LAYERS:
        raw = h5("states.hdf5", layer.split("::")[1]).astype(np.float32)
        np.testing.assert_array_equal(ds.values(layer, 0, 1000), np.tanh(raw))
        on = np.tanh(raw) >= np.float32(0.5)
        assert lv.select(ds, layer, 50, 52, 0.5).tolist() == np.flatnonzero(on[50:52].all(axis=0)).tolist()
    # and reopening uses the converted copy: same answers
    ds2 = lv.open_dataset(folder)
    np.testing.assert_array_equal(ds2.values(LAYERS[0], 0, 1000), ds.values(LAYERS[0], 0, 1000))


def test_float64_and_float16_states(folder):
    src = FIXTURE / "states.hdf5"
    dst = folder / "states.hdf5"
    dst.unlink()
    with h5py.File(src, "r") as fi, h5py.File(dst, "w") as fo:
        fo.create_dataset("states1", data=fi["states1"][()].astype(np.float64))
        fo.create_dataset("output1", data=fi["output1"][()].astype(np.float16))
        fo.create_dataset("states2", data=fi["states2"][()].astype(">f4"))     # big-endian float32
    ds = lv.open_dataset(folder)
    with h5py.File(dst, "r") as f:
        for layer in LAYERS:
            raw = f[layer.split("::")[1]][()]
            np.testing.assert_array_equal(ds.values(layer, 0, 1000), np.tanh(raw.astype(np.float32)))


def _match_rows(ds, layer, cells):
    return lv.match(ds, layer, cells, 0.0, min_length=1, top=100).table.values.tolist()


def test_in_place_states_rewrite_rebuilds_the_index(folder, tmp_path):
    """New values in the same states file (same size, mtime restored): never the stale index."""
    ds = lv.open_dataset(folder)
    layer = "states::states1"
    before = lv.select(ds, layer, 0, 2, 0.0).tolist()
    cells = list(range(0, 100, 7))
    match_before = _match_rows(ds, layer, cells)
    f = folder / "states.hdf5"
    st = os.stat(f)
    with h5py.File(f, "r+") as h:
        h["states1"][...] = -h["states1"][()]
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(f).st_size == st.st_size
    neg = -h5("states.hdf5", "states1").astype(np.float32)
    want = np.flatnonzero((np.tanh(neg) >= np.float32(0.0))[0:2].all(axis=0)).tolist()
    assert want != before
    assert lv.select(lv.open_dataset(folder), layer, 0, 2, 0.0).tolist() == want
    assert lv.select(ds, layer, 0, 2, 0.0).tolist() == want
    np.testing.assert_array_equal(ds.values(layer, 0, 1000), np.tanh(neg))
    # matching (which reads the prepared index) agrees with a fresh copy that never had an index
    fresh_copy = tmp_path / "fresh_copy"
    shutil.copytree(folder, fresh_copy, ignore=shutil.ignore_patterns(".lstmvis-index"))
    want_match = _match_rows(lv.open_dataset(fresh_copy), layer, cells)
    assert want_match != match_before
    assert _match_rows(lv.open_dataset(folder), layer, cells) == want_match
    assert _match_rows(ds, layer, cells) == want_match


def test_fewer_states_than_words_uses_the_common_length(folder):
    with h5py.File(folder / "train.hdf5", "r+") as f:
        ids = f["word_ids"][()]
        del f["word_ids"]
        f.create_dataset("word_ids", data=np.concatenate([ids, ids[:10]]))
    ds = lv.open_dataset(folder)
    assert len(ds) == 1000
    assert len(ds.tokens(0, 1000)) == 1000


def test_more_states_than_words_uses_the_common_length(folder):
    with h5py.File(folder / "train.hdf5", "r+") as f:
        ids = f["word_ids"][()]
        del f["word_ids"]
        f.create_dataset("word_ids", data=ids[:990])
    ds = lv.open_dataset(folder)
    assert len(ds) == 990
    raw = h5("states.hdf5", "states2").astype(np.float32)[:990]
    np.testing.assert_array_equal(ds.values("states::states2", 0, 990), np.tanh(raw))
    with pytest.raises(ValueError):
        ds.values("states::states2", 0, 991)
    on = np.tanh(raw) >= np.float32(0.2)
    assert lv.select(ds, "states::states2", 985, 990, 0.2, pad_right=3).tolist() == \
        np.flatnonzero(on[985:990].all(axis=0)).tolist()
    m = lv.match(ds, "states::states2", [0, 1, 2], 0.2, min_length=1, top=10**6)
    assert (m.table["stop"] <= 990).all()
    assert len(ds.annotation("depth", 0, 990)) == 990
