"""Writing shards: `python -m lstmvis_dash shard`, `convert --shards`, ShardWriter (extract's)."""
from __future__ import annotations

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash.__main__ import main
from lstmvis_dash.sharding import ShardWriter, cut_points
from test_shards import same_matches


def test_cut_points():
    assert cut_points([0, 10, 20, 30], 40, 2) == [0, 20]
    assert cut_points([0, 10, 20, 30], 40, 4) == [0, 10, 20, 30]
    assert cut_points([0, 3, 25], 40, 2) == [0, 25]          # the nearest start, far as it may be
    assert cut_points([0], 40, 8) == [0]                     # one document: one shard
    assert cut_points([0, 1, 2], 3, 10) == [0, 1, 2]


@pytest.fixture()
def source(tmp_path):
    rng = np.random.default_rng(5)
    T = 300
    documents = sorted(set([0] + rng.integers(1, T, 11).tolist()))
    states = {"c": rng.normal(size=(T, 6)).astype(np.float32), "h": rng.normal(size=(T, 4)).astype(np.float16)}
    annotations = {"pos": rng.choice(["A", "B", "C"], T).tolist(), "depth": rng.integers(0, 4, T).tolist()}
    path = lv.write_dataset(tmp_path / "src", [f"w{i % 13}" for i in range(T)], states, documents=documents,
                            annotations=annotations, transforms={"c": "tanh", "h": "none"}, name="src")
    return path


def check_same(one, sharded):
    T = len(one)
    assert len(sharded) == T and sharded.documents.tolist() == one.documents.tolist()
    assert sharded.tokens(0, T) == one.tokens(0, T)
    for a in one.annotations:
        assert sharded.annotation(a, 0, T) == one.annotation(a, 0, T)
    for layer in one.layers:
        assert sharded.transform(layer) == one.transform(layer)
        assert np.array_equal(sharded.values(layer, 0, T), one.values(layer, 0, T))
        cells = list(range(one.dims(layer)))
        same_matches(lv.match(sharded, layer, cells, 0.2, min_length=1), lv.match(one, layer, cells, 0.2, min_length=1))


def test_shard_command(source, tmp_path, capsys):
    out = tmp_path / "shards"
    assert main(["shard", str(source), "--shards", "4", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    paths = sorted(out.glob("part-*"))
    assert [p.name for p in paths] == ["part-000", "part-001", "part-002", "part-003"]
    assert "shards: [" in printed and str(paths[0]) in printed
    one, sharded = lv.open_dataset(source), lv.open_shards(paths)
    check_same(one, sharded)
    sizes = [len(s) for s in sharded.shards]
    assert max(sizes) < 2 * min(sizes)   # near equal shares
    # a non-empty --out is refused, a missing source is an error naming it
    assert main(["shard", str(source), "--shards", "2", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["shard", str(tmp_path / "nope"), "--shards", "2", "--out", str(tmp_path / "o2")]) == 2
    assert "nope" in capsys.readouterr().err


def test_convert_writes_shards(tmp_path, capsys):
    words = tmp_path / "words.txt"
    lines = [" ".join(f"w{j}" for j in range(i % 5 + 3)) for i in range(40)]
    words.write_text("\n".join(lines) + "\n", encoding="utf-8")
    T = sum(len(line.split()) for line in lines)
    states = np.random.default_rng(0).normal(size=(T, 5)).astype(np.float32)
    np.save(tmp_path / "s.npy", states)
    out = tmp_path / "conv"
    assert main(["convert", str(words), str(tmp_path / "s.npy"), "--whitespace", "--documents", "lines",
                 "--shards", "3", "--out", str(out)]) == 0
    assert "3 shards" in capsys.readouterr().out
    paths = sorted(out.glob("part-*"))
    whole = tmp_path / "whole"
    assert main(["convert", str(words), str(tmp_path / "s.npy"), "--whitespace", "--documents", "lines",
                 "--out", str(whole)]) == 0
    check_same(lv.open_dataset(whole), lv.open_shards(paths))


def test_shard_writer_rolls_over_at_documents(tmp_path):
    rng = np.random.default_rng(1)
    chunks = [(int(rng.integers(1, 30)), bool(rng.random() < 0.6)) for _ in range(30)]
    tokens, states, documents = [], [], []
    with ShardWriter(tmp_path / "w", 100, progress=False, name="x") as w:
        for n, new in chunks:
            if new or not tokens:
                documents.append(len(tokens))
            toks = [f"t{len(tokens) + i}" for i in range(n)]
            s = rng.normal(size=(n, 3)).astype(np.float32)
            w.add(toks, {"l": s}, new_document=new)
            tokens += toks
            states.append(s)
    paths = w.paths
    assert len(paths) > 1 and len(w) == len(tokens)
    sharded = lv.open_shards(paths)
    assert sharded.tokens(0, len(tokens)) == tokens and sharded.documents.tolist() == documents
    assert np.array_equal(sharded.arrays("l").rows[0:len(tokens)], np.concatenate(states))
    assert all(len(s) >= 100 for s in sharded.shards[:-1])
    assert sharded.shards[1].name == "x-001"


def test_prepare_shards_in_parallel(source, tmp_path, capsys):
    out = tmp_path / "sh"
    assert main(["shard", str(source), "--shards", "3", "--out", str(out)]) == 0
    cfg = tmp_path / "datasets.yml"
    cfg.write_text("datasets:\n  - name: big\n    shards: [sh/part-000, sh/part-001, sh/part-002]\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["prepare", "big", "--config", str(cfg), "--jobs", "2"]) == 0
    captured = capsys.readouterr()
    assert "big: 300 tokens" in captured.out
    assert "indexing 3 shards" in captured.err and "\r" not in captured.err   # clean lines off a terminal
    for p in sorted(out.glob("part-*")):
        assert len(list((p / ".lstmvis-index").glob("codes-*.npy"))) == 2
