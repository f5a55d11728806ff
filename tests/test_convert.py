"""`python -m lstmvis_dash convert`: good inputs read back, each bad input named in the error."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def _cli(capsys, *args):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    words = ["(", "a", " ", "b", ")"]
    (tmp_path / "tokens.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    h0 = rng.normal(size=(5, 3)).astype(np.float32)
    c0 = rng.normal(size=(5, 4))
    np.save(tmp_path / "hidden0.npy", h0)
    with h5py.File(tmp_path / "model.h5", "w") as f:
        f.create_dataset("states/cell0", data=c0)
        f.create_dataset("states/bad", data=np.zeros((6, 4)))
        f.create_dataset("meta/ids", data=np.arange(5))
    with h5py.File(tmp_path / "one.hdf5", "w") as f:
        f.create_dataset("deep/x", data=c0)
        f.create_dataset("ids", data=np.arange(5))
    return tmp_path, words, h0, c0


def test_convert_npy_and_h5(files, capsys):
    d, words, h0, c0 = files
    code, out, err = _cli(capsys, "convert", d / "tokens.txt", d / "hidden0.npy", f"{d}/model.h5:states/cell0",
                          "--out", d / "ds", "--transform", "cell0=none", "--name", "mine")
    assert code == 0, err
    assert "5 tokens in 1 documents, layers hidden0 (3), cell0 (4)" in out
    ds = lv.open_dataset(d / "ds")
    assert ds.name == "mine" and ds.tokens(0, 5) == words           # a line is a token, spaces kept
    assert ds.layers == ["hidden0", "cell0"]
    assert ds.transform("hidden0") == "tanh" and ds.transform("cell0") == "none"
    np.testing.assert_array_equal(ds.raw("hidden0", 0, 5), h0)
    np.testing.assert_allclose(ds.values("cell0", 0, 5), c0.astype(np.float32))
    # the single 2-D dataset of a file needs no path; --layer-id names layers; --force replaces
    code, out, err = _cli(capsys, "convert", d / "tokens.txt", d / "one.hdf5", "--layer-id", "c",
                          "--out", d / "ds", "--force")
    assert code == 0, err
    assert lv.open_dataset(d / "ds").layers == ["c"]


def test_convert_whitespace_documents_annotations(files, capsys):
    d, _, h0, _ = files
    (d / "words.txt").write_text("the cat\n\n  sat \t on\n the\n", encoding="utf-8")
    (d / "pos.txt").write_text("0\n1\n0\n1\n0\n")
    (d / "kind.txt").write_text("det\nnoun\nverb\nprep\ndet\n")
    code, out, err = _cli(capsys, "convert", d / "words.txt", "--whitespace", "--documents", "lines",
                          d / "hidden0.npy", "--annotation", f"pos={d / 'pos.txt'}",
                          "--annotation", f"kind={d / 'kind.txt'}", "--out", d / "a")
    assert code == 0, err
    ds = lv.open_dataset(d / "a")
    assert ds.tokens(0, 5) == ["the", "cat", "sat", "on", "the"]
    assert ds.documents.tolist() == [0, 2, 4]
    assert ds.annotation("pos", 0, 5) == [0, 1, 0, 1, 0] and ds.annotation("kind", 0, 2) == ["det", "noun"]
    code, _, err = _cli(capsys, "convert", d / "words.txt", "--whitespace", "--documents", "blank",
                        d / "hidden0.npy", "--out", d / "b")
    assert code == 0, err
    assert lv.open_dataset(d / "b").documents.tolist() == [0, 2]
    code, _, err = _cli(capsys, "convert", d / "words.txt", "--whitespace", d / "hidden0.npy", "--out", d / "c")
    assert code == 0, err
    assert lv.open_dataset(d / "c").documents.tolist() == [0]


def _bad(files, capsys, *args, out="bad"):
    d = files[0]
    code, _, err = _cli(capsys, "convert", *args, "--out", d / out)
    assert code == 2
    assert err.startswith("convert: error: ")
    assert not (d / out / "dataset.h5").exists()
    return err


@pytest.mark.parametrize("make, args, message", [
    (None, ["{d}/missing.txt", "{d}/hidden0.npy"], "tokens file {d}/missing.txt does not exist"),
    (None, ["{d}/tokens.txt", "{d}/missing.npy"], "states file {d}/missing.npy does not exist"),
    (None, ["{d}/tokens.txt", "{d}/tokens.txt"], "unknown kind .txt; give .npy, .h5 or .hdf5"),
    (None, ["{d}/tokens.txt", "{d}/model.h5:states/nope"], "has no dataset 'states/nope'; its datasets are"),
    (None, ["{d}/tokens.txt", "{d}/model.h5"], "holds 2 2-D datasets ['states/bad', 'states/cell0']; say which"),
    (None, ["{d}/tokens.txt", "{d}/model.h5:states/bad"], "has 6 rows but the tokens file has 5 tokens"),
    (None, ["{d}/tokens.txt", "{d}/model.h5:meta/ids"], "must be 2-D (tokens, cells), got shape (5,)"),
    (None, ["{d}/tokens.txt", "{d}/hidden0.npy", "{d}/hidden0.npy"],
     "two states files have the layer id 'hidden0'"),
    (None, ["{d}/tokens.txt", "{d}/hidden0.npy", "--layer-id", "a", "--layer-id", "b"],
     "2 --layer-id for 1 states files"),
    (None, ["{d}/tokens.txt", "{d}/hidden0.npy", "--transform", "sigmoid"],
     "--transform sigmoid: give tanh, none"),
    (None, ["{d}/tokens.txt", "{d}/hidden0.npy", "--transform", "x=none"], "--transform x=none: no layer 'x'"),
    (None, ["{d}/tokens.txt", "{d}/hidden0.npy", "--annotation", "pos"], "--annotation pos: give NAME=FILE"),
    ("short.txt", ["{d}/tokens.txt", "{d}/hidden0.npy", "--annotation", "pos={d}/short.txt"],
     "annotation 'pos': {d}/short.txt has 2 lines but there are 5 tokens"),
    ("transposed.npy", ["{d}/tokens.txt", "{d}/transposed.npy"],
     "has 3 rows but the tokens file has 5 tokens (transposed?"),
    ("strings.npy", ["{d}/tokens.txt", "{d}/strings.npy"], "values must be numbers"),
    ("objects.npy", ["{d}/tokens.txt", "{d}/objects.npy"], "not a plain numeric .npy array"),
    ("broken.h5", ["{d}/tokens.txt", "{d}/broken.h5"], "not a readable HDF5 file"),
    ("blank.txt", ["{d}/blank.txt", "{d}/hidden0.npy"], "line 2 is empty"),
    ("empty.txt", ["{d}/empty.txt", "{d}/hidden0.npy"], "holds no tokens"),
    ("latin1.txt", ["{d}/latin1.txt", "{d}/hidden0.npy"], "is not UTF-8 text"),
    (None, ["{d}/tokens.txt", "{d}/hidden0.npy", "--documents", "lines"], "--documents lines needs --whitespace"),
])
def test_convert_bad_input(files, capsys, make, args, message):
    d = files[0]
    if make == "short.txt":
        (d / make).write_text("1\n2\n")
    elif make == "transposed.npy":
        np.save(d / make, np.zeros((3, 5)))
    elif make == "strings.npy":
        np.save(d / make, np.array([["a"] * 3] * 5))
    elif make == "objects.npy":
        np.save(d / make, np.array([[None] * 3] * 5, dtype=object), allow_pickle=True)
    elif make == "broken.h5":
        (d / make).write_bytes(b"not hdf5 at all")
    elif make == "blank.txt":
        (d / make).write_text("a\n\nb\n")
    elif make == "empty.txt":
        (d / make).write_text("")
    elif make == "latin1.txt":
        (d / make).write_bytes("caf\xe9\n".encode("latin-1"))
    args = [a.format(d=d) for a in args]
    err = _bad(files, capsys, *args)
    assert message.format(d=d) in err, err


def test_convert_refuses_to_clobber(files, capsys):
    d, _, _, _ = files
    assert _cli(capsys, "convert", d / "tokens.txt", d / "hidden0.npy", "--out", d / "ds")[0] == 0
    code, _, err = _cli(capsys, "convert", d / "tokens.txt", d / "hidden0.npy", "--out", d / "ds")
    assert code == 2 and "already holds a dataset; pass --force" in err
    (d / "notes").mkdir()
    (d / "notes" / "x.txt").write_text("mine")
    code, _, err = _cli(capsys, "convert", d / "tokens.txt", d / "hidden0.npy", "--out", d / "notes", "--force")
    assert code == 2 and "is a non-empty folder that is not a dataset" in err
    assert (d / "notes" / "x.txt").read_text() == "mine"


def test_python_dash_m_entry_point(files):
    d, _, _, _ = files
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    ok = subprocess.run([sys.executable, "-m", "lstmvis_dash", "convert", str(d / "tokens.txt"),
                         str(d / "hidden0.npy"), "--out", str(d / "ds")], capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "wrote" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "lstmvis_dash", "convert", str(d / "tokens.txt")],
                         capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "STATES" in bad.stderr and "--out" in bad.stderr
    none = subprocess.run([sys.executable, "-m", "lstmvis_dash"], capture_output=True, text=True, env=env)
    assert none.returncode == 2 and "COMMAND" in none.stderr
