"""Sharded datasets (SPEC.md section 7): the same answers as one folder holding the same data,
against the brute-force reference too; errors when shards disagree; the `shards:` config."""
from __future__ import annotations

import numpy as np
import pytest

import lstmvis_dash as lv
from test_engine import check_match, doc_ids, make_states, pick_cells, pick_threshold

TABLE = ["start", "stop", "length", "overlap", "union"]


def write_split(tmp_path, tokens, states, documents, annotations, shard_docs, transforms=None, name="ds"):
    """One folder with everything, and the same data cut into shards at the given document indices."""
    T = len(tokens)
    whole = lv.write_dataset(tmp_path / name, tokens, states, documents=documents, annotations=annotations,
                             transforms=transforms)
    starts = [documents[i] for i in shard_docs] + [T]
    paths = []
    for i, (lo, hi) in enumerate(zip(starts[:-1], starts[1:])):
        docs = [d - lo for d in documents if lo <= d < hi]
        paths.append(lv.write_dataset(
            tmp_path / f"{name}-part-{i:03d}", tokens[lo:hi], {k: v[lo:hi] for k, v in states.items()},
            documents=docs, annotations={k: v[lo:hi] for k, v in (annotations or {}).items()},
            transforms=transforms))
    return lv.open_dataset(whole), lv.open_shards(paths)


def random_split(rng, T):
    n_docs = int(rng.integers(1, min(8, T) + 1))
    documents = [0] + sorted(rng.choice(np.arange(1, T), n_docs - 1, replace=False).tolist()) if T > 1 else [0]
    n_shards = int(rng.integers(1, n_docs + 1))
    shard_docs = [0] + sorted(rng.choice(np.arange(1, n_docs), n_shards - 1, replace=False).tolist()) \
        if n_docs > 1 and n_shards > 1 else [0]
    return documents, shard_docs


def same_matches(m1, m2):
    assert m1.table.to_numpy().tolist() == m2.table.to_numpy().tolist()
    assert m1.histogram.to_numpy().tolist() == m2.histogram.to_numpy().tolist()
    assert m1.n_candidates == m2.n_candidates
    assert list(m2.table.columns) == TABLE


@pytest.mark.parametrize("seed", range(16))
def test_shards_equal_one_folder(tmp_path, seed):
    rng = np.random.default_rng(seed)
    T = int(rng.integers(2, 90))
    documents, shard_docs = random_split(rng, T)
    transforms, states, layers = {}, {}, {}
    for lid, transform in (("tanh", "tanh"), ("none", "none"), ("half", "tanh")):
        D = int(rng.integers(1, 10))
        raw, _, levels = make_states(rng, T, D, transform)
        if lid == "half":
            raw = raw.astype(np.float16)
        states[lid], transforms[lid], layers[lid] = raw, transform, (raw, transform, levels)
    tags = np.array(["DT", "NN", "VB", "JJ"])[rng.integers(0, 4, T)].tolist()
    annotations = {"pos": tags, "depth": rng.integers(0, 5, T).astype(float).tolist()}
    tokens = [f"w{i}" for i in rng.integers(0, 9, T)]
    one, sharded = write_split(tmp_path, tokens, states, documents, annotations, shard_docs, transforms)

    assert len(sharded) == T and sharded.layers == one.layers
    assert sharded.documents.tolist() == documents
    assert sharded.tokens(0, T) == tokens
    assert [sharded.vocab[i] for i in sharded.token_ids] == tokens
    for name in ("pos", "depth"):
        assert sharded.annotation(name, 0, T) == one.annotation(name, 0, T)
    a, b = sorted(rng.integers(0, T, 2).tolist())
    b = max(b, a + 1)
    for lid, (raw, transform, levels) in layers.items():
        assert np.array_equal(sharded.values(lid, a, b), one.values(lid, a, b), equal_nan=True)
        idx = rng.integers(0, T, 5)
        assert np.array_equal(np.asarray(sharded.arrays(lid).rows[idx]), np.asarray(one.arrays(lid).rows[idx]),
                              equal_nan=True)
        doc = doc_ids(T, documents)
        for _ in range(4):
            thr = pick_threshold(rng, raw, transform, levels)
            pl, pr = (int(x) for x in rng.integers(0, 3, size=2))
            s1 = lv.select(sharded, lid, a, b, thr, pad_left=pl, pad_right=pr)
            assert s1.tolist() == lv.select(one, lid, a, b, thr, pad_left=pl, pad_right=pr).tolist()
            cells = pick_cells(rng, raw.shape[1], s1)
            top = int(rng.choice([1, 3, 50]))
            kw = dict(pad_left=pl, pad_right=pr, min_length=1, top=top)
            same_matches(lv.match(sharded, lid, cells, thr, **kw), lv.match(one, lid, cells, thr, **kw))
            check_match(sharded, lid, raw, transform, doc, cells, thr, pl, pr, min_length=1, top=top)


@pytest.mark.parametrize("seed", range(8))
def test_shards_every_transform_against_reference(tmp_path, seed):
    """values, select and match of a sharded dataset through tanh, none, zscore and quantile, dense
    (float32 and float16) and sparse layers, against the brute-force reading of SPEC.md sections 1-3
    over ALL positions: the zscore and quantile statistics are those of the whole sequence, so shards
    with very different distributions must not each use their own."""
    import scipy.sparse as sp
    from test_sparse import sparse_states
    from test_transforms import ALL_TRANSFORMS, GRID_LEVELS, check_layer, make_raw, ref_values
    rng = np.random.default_rng(2100 + seed)
    T = int(rng.integers(12, 100))
    documents, shard_docs = random_split(rng, T)
    if len(shard_docs) == 1 and len(documents) > 1:
        shard_docs = [0, len(documents) - 1]
    dense = make_raw(rng, T, int(rng.integers(1, 8)))
    dense[:documents[shard_docs[-1]]] *= np.float32(rng.choice([1.0, 10.0, 0.01]))   # shards differ in scale
    sparse = sparse_states(rng, T, int(rng.integers(1, 30)))
    own = {"d": str(rng.choice(ALL_TRANSFORMS)), "h": str(rng.choice(ALL_TRANSFORMS)),
           "s": str(rng.choice(ALL_TRANSFORMS))}
    raws = {"d": dense, "h": dense.astype(np.float16), "s": sparse}
    states = {"d": raws["d"], "h": raws["h"], "s": sp.csr_matrix(sparse)}
    one, sharded = write_split(tmp_path, ["x"] * T, states, documents, None, shard_docs, own)
    assert len(sharded.shards) == len(shard_docs)
    for layer, raw in raws.items():
        np.testing.assert_array_equal(sharded.values(layer, 0, T), ref_values(raw, own[layer]))
        for transform in ALL_TRANSFORMS:
            check_layer(sharded, layer, raw, transform, documents, rng, n_queries=3,
                        levels=GRID_LEVELS[transform] + [-0.01, 0.0, 0.01])
            a, b = sorted(rng.integers(0, T, 2).tolist())
            b = max(b, a + 1)
            np.testing.assert_array_equal(sharded.values(layer, a, b, transform=transform),
                                          one.values(layer, a, b, transform=transform))
            thr = float(rng.choice(GRID_LEVELS[transform]))
            cells = sorted(rng.choice(raw.shape[1], int(rng.integers(1, raw.shape[1] + 1)), replace=False).tolist())
            for top in (1, 3):                        # ties cut at the same row as one folder
                kw = dict(min_length=1, top=top, transform=transform)
                same_matches(lv.match(sharded, layer, cells, thr, **kw), lv.match(one, layer, cells, thr, **kw))


def test_ties_across_shards(tmp_path):
    """A periodic pattern: many equal candidates in every shard; start decides, across shards."""
    T, period = 120, 4
    raw = np.where((np.arange(T)[:, None] % period) < 2, 1.0, -1.0).astype(np.float32) * np.ones((1, 3), np.float32)
    documents = list(range(0, T, 12))
    one, sharded = write_split(tmp_path, ["x"] * T, {"s": raw}, documents, None, [0, 3, 4, 9])
    for top in (1, 5, 7, 1000):
        same_matches(lv.match(sharded, "s", [0, 1, 2], 0.5, top=top), lv.match(one, "s", [0, 1, 2], 0.5, top=top))


def _shard(tmp_path, name, T=10, D=3, transforms=None, annotations=None, layers=("a",)):
    states = {lid: np.zeros((T, D), np.float32) for lid in layers}
    return lv.write_dataset(tmp_path / name, ["t"] * T, states, transforms=transforms, annotations=annotations)


def test_shards_disagree(tmp_path):
    base = _shard(tmp_path, "base", annotations={"pos": ["N"] * 10})
    cases = {
        "layers": (_shard(tmp_path, "l", layers=("b",), annotations={"pos": ["N"] * 10}), "has layers ['b']"),
        "dims": (_shard(tmp_path, "d", D=4, annotations={"pos": ["N"] * 10}), "layer 'a' has cells 4"),
        "transform": (_shard(tmp_path, "t", transforms={"a": "none"}, annotations={"pos": ["N"] * 10}),
                      "layer 'a' has transform 'none'"),
        "annotations": (_shard(tmp_path, "an"), "has annotations []"),
        "kind": (_shard(tmp_path, "k", annotations={"pos": [1.5] * 10}), "annotation 'pos' is scalar"),
    }
    for what, (other, message) in cases.items():
        with pytest.raises(ValueError) as e:
            lv.open_shards([base, base, other])
        assert f"shard 2 ({other})" in str(e.value) and message in str(e.value), (what, str(e.value))
    with pytest.raises(ValueError, match="shard 1 .*does not exist"):
        lv.open_shards([base, tmp_path / "nope"])
    for bad in ([], str(base), None):
        with pytest.raises(ValueError, match="shards must"):
            lv.open_shards(bad)


def test_config_shards_and_cluster(tmp_path):
    a = _shard(tmp_path, "p0")
    b = _shard(tmp_path, "p1")
    cfg = tmp_path / "datasets.yml"
    cfg.write_text("datasets:\n  - name: big\n    shards: [p0, p1]\n    cluster: tcp://sched.example:8786\n"
                   "    description: two shards\n  - name: small\n    path: p0\n", encoding="utf-8")
    config = lv.load_config(cfg)
    entry = config.entry("big")
    assert entry.shards == (a.resolve(), b.resolve()) and entry.cluster == "tcp://sched.example:8786"
    assert entry.folders == entry.shards and config.entry("small").folders == (a.resolve(),)
    ds = lv.open_dataset("big", config=cfg)
    assert len(ds) == 20 and ds.documents.tolist() == [0, 10] and ds.name == "big"
    assert ds.description == "two shards"


@pytest.mark.parametrize("text, line, message", [
    ("datasets:\n  - name: x\n    path: p\n    shards: [a]\n", 2, "both 'path' and 'shards'"),
    ("datasets:\n  - name: x\n", 2, "missing 'path' (a folder) or 'shards'"),
    ("datasets:\n  - name: x\n    shards: []\n", 3, "non-empty list"),
    ("datasets:\n  - name: x\n    shards: a\n", 3, "non-empty list"),
    ("datasets:\n  - name: x\n    shards:\n      - a\n      - ''\n", 5, "each shard"),
    ("datasets:\n  - name: x\n    shards:\n      - a\n      - a\n", 5, "listed twice"),
    ("datasets:\n  - name: x\n    shards: [a]\n    cluster: not an address\n", 4, "dask scheduler address"),
])
def test_config_shard_errors(tmp_path, text, line, message):
    cfg = tmp_path / "datasets.yml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(lv.ConfigError) as e:
        lv.load_config(cfg)
    assert str(e.value).startswith(f"{cfg}:{line}:") and message in str(e.value), str(e.value)
