"""extract(..., sae=...): a dictionary encoder applied to a hooked layer while extracting, its
features written sparse beside the dense layer, equal to the encoder applied by hand."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

import lstmvis_dash as lv

torch = pytest.importorskip("torch")
from lstmvis_dash.extract import extract  # noqa: E402

WORDS = "a b c d e f g h".split()
D_IN, F = 6, 40


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(len(WORDS), D_IN)
        self.block = torch.nn.Linear(D_IN, D_IN)

    def forward(self, ids):
        return self.block(self.embed(ids))


def batches(seed=0, n=3, lengths=(9, 4, 13)):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        L = max(lengths)
        ids = torch.zeros(len(lengths), L, dtype=torch.long)
        for i, m in enumerate(lengths):
            ids[i, :m] = torch.randint(0, len(WORDS), (m,), generator=g)
        toks = [[WORDS[j] for j in ids[i, :m].tolist()] for i, m in enumerate(lengths)]
        out.append((ids, toks, torch.tensor(lengths)))
    return out


@pytest.fixture(scope="module")
def setup():
    torch.manual_seed(0)
    model = Model()
    rng = np.random.default_rng(0)
    W = rng.normal(size=(D_IN, F)).astype(np.float32)
    b = (rng.normal(size=F) - 1.5).astype(np.float32)
    b_dec = rng.normal(size=D_IN).astype(np.float32) * 0.1
    return model, W, b, b_dec


def by_hand(x, W, b, b_dec=None, threshold=None, k=None):
    pre = (x - (b_dec if b_dec is not None else 0)) @ W.astype(np.float64) + b
    if threshold is not None:
        return np.where(pre > threshold, pre, 0.0)
    if k is not None:
        out = np.zeros_like(pre)
        top = np.argsort(-pre, axis=1)[:, :k]
        np.put_along_axis(out, top, np.maximum(np.take_along_axis(pre, top, axis=1), 0), axis=1)
        return out
    return np.maximum(pre, 0.0)


@pytest.mark.parametrize("variant", ["relu", "jumprelu", "topk", "pair"])
def test_sae_arrays(tmp_path, setup, variant):
    model, W, b, b_dec = setup
    sae = {"relu": {"W_enc": W, "b_enc": b, "b_dec": b_dec},
           "jumprelu": {"W_enc": W, "b_enc": b, "threshold": np.full(F, 0.4, np.float32)},
           "topk": {"W_enc": W, "b_enc": b + 2, "k": 5},
           "pair": (W, b)}[variant]
    out = extract(model, batches(), tmp_path / "ds", layers={"resid": "block"}, sae=sae, progress=False)
    ds = lv.open_dataset(out)
    assert ds.layers == ["resid", "resid.sae"] and ds.dims("resid.sae") == F
    assert ds.transform("resid.sae") == "none" and ds.transform("resid") == "tanh"
    with h5py.File(out / "dataset.h5", "r") as f:
        assert f["states/1"].attrs["kind"] == "sparse"
    resid = ds.raw("resid", 0, len(ds)).astype(np.float64)
    kw = {"relu": dict(b_dec=b_dec), "jumprelu": dict(threshold=0.4), "topk": dict(k=5), "pair": {}}[variant]
    want = by_hand(resid, W, b + (2 if variant == "topk" else 0), **kw)
    got = ds.raw("resid.sae", 0, len(ds))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert (got == 0).mean() > 0.3                          # sparse indeed
    if variant == "topk":
        assert ((got != 0).sum(axis=1) <= 5).all()
    # matching over the features works like any layer
    cells = lv.select(ds, "resid.sae", 0, 2, 0.01)
    assert lv.match(ds, "resid.sae", cells, 0.01).table.shape[1] == 5


def test_sae_module_with_encode_and_mapping(tmp_path, setup):
    model, W, b, _ = setup

    class SAE(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.W = torch.nn.Parameter(torch.tensor(W))
            self.b = torch.nn.Parameter(torch.tensor(b))

        def encode(self, x):
            return torch.relu(x @ self.W + self.b)

        def forward(self, x):                       # not what extract calls when encode exists
            return self.encode(x) * 0 + 1, None

    out = extract(model, batches(), tmp_path / "m", layers={"emb": "embed", "resid": "block"},
                  sae={"resid": SAE()}, transforms={"resid.sae": "quantile"}, compression="gzip", progress=False)
    ds = lv.open_dataset(out)
    assert ds.layers == ["emb", "resid", "resid.sae"] and ds.transform("resid.sae") == "quantile"
    want = by_hand(ds.raw("resid", 0, len(ds)).astype(np.float64), W, b)
    np.testing.assert_allclose(ds.raw("resid.sae", 0, len(ds)), want, rtol=1e-5, atol=1e-5)


def test_sae_errors(tmp_path, setup):
    model, W, b, _ = setup
    bad = [({"W_enc": W}, "W_enc and b_enc"),
           ({"W_enc": W, "b_enc": b[:-1]}, "b_enc"),
           ({"W_enc": W[:-1], "b_enc": b}, "W_enc expects 5"),
           ({"W_enc": W, "b_enc": b, "k": 0}, "k must be an integer"),
           ({"W_enc": W, "b_enc": b, "k": 3, "threshold": 0.1}, "not both"),
           ({"W_enc": W, "b_enc": b, "bias": 1}, "unknown keys"),
           ("sae.pt", "must be a torch module")]
    for i, (sae, msg) in enumerate(bad):
        with pytest.raises(ValueError, match=msg):
            extract(model, batches(), tmp_path / f"e{i}", layers={"resid": "block"}, sae=sae, progress=False)
        assert not (tmp_path / f"e{i}").exists()
    with pytest.raises(ValueError, match="sae names unknown layers"):
        extract(model, batches(), tmp_path / "u", layers={"resid": "block"}, sae={"other": (W, b)}, progress=False)
    with pytest.raises(ValueError, match="give {layer id: encoder}"):
        extract(model, batches(), tmp_path / "v", layers={"a": "embed", "b": "block"}, sae=(W, b), progress=False)
