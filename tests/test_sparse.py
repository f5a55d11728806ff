"""Sparse layers (SPEC.md section 4): a scipy.sparse matrix in write_dataset, kept sparse on disk and
in every query, answering exactly what the brute-force reading of the spec gives for the same
states densified (test_transforms / test_engine), and exactly what the same states written dense give.
"""
from __future__ import annotations

import h5py
import numpy as np
import pytest
import scipy.sparse as sp

import lstmvis_dash as lv
from test_engine import table_rows
from test_transforms import ALL_TRANSFORMS, check_layer


def sparse_states(rng, T, D) -> np.ndarray:
    """Features zero almost everywhere, in runs, Zipf-like frequencies; negative values, NaN
    and ties now and then."""
    freq = np.clip(0.5 / np.arange(1, D + 1) ** 1.1, 0.002, 0.5)[rng.permutation(D)]
    active = np.zeros((T, D), bool)
    for c in range(D):
        t = 0
        while t < T:
            if rng.random() < freq[c] / 3:
                run = int(rng.integers(1, 6))
                active[t:t + run, c] = True
                t += run
            t += 1
    vals = rng.exponential(size=(T, D)) * 10.0 ** rng.uniform(-2, 2, size=D)
    if rng.random() < 0.4:
        vals = np.where(rng.random((T, D)) < 0.2, -vals, vals)
    if rng.random() < 0.3:
        vals = np.round(vals * 2) / 2                        # ties
    raw = np.where(active, vals, 0.0).astype(np.float32)
    if rng.random() < 0.3:
        raw[active & (rng.random((T, D)) < 0.1)] = np.nan
    return raw


def as_format(rng, raw: np.ndarray):
    """The same matrix in some scipy format, sometimes with stored zeros and split duplicates."""
    kind = rng.choice(["csr", "csc", "coo", "lil", "csr_array", "dok"])
    m = sp.coo_matrix(raw)
    if kind == "coo" and m.nnz and rng.random() < 0.5:      # each value as two halves: duplicates
        half = (m.data / 2).astype(np.float32)
        if np.array_equal(half + half, m.data, equal_nan=True):
            m = sp.coo_matrix((np.concatenate([half, half]), (np.tile(m.row, 2), np.tile(m.col, 2))), shape=m.shape)
    if kind == "csr" and rng.random() < 0.5:                  # explicit zeros stored where raw is 0
        zr, zc = np.nonzero(raw == 0)
        keep = rng.random(len(zr)) < 0.2
        m = sp.coo_matrix((np.concatenate([m.data, np.zeros(int(keep.sum()), np.float32)]),
                           (np.concatenate([m.row, zr[keep]]), np.concatenate([m.col, zc[keep]]))), shape=m.shape)
    return {"csr": sp.csr_matrix, "csc": sp.csc_matrix, "coo": lambda x: x, "lil": sp.lil_matrix,
            "csr_array": sp.csr_array, "dok": sp.dok_matrix}[kind](m)


@pytest.mark.parametrize("seed", range(12))
def test_sparse_against_reference(tmp_path, seed):
    rng = np.random.default_rng(900 + seed)
    T = int(rng.integers(3, 80))
    D = int(rng.integers(1, 90))
    documents = [0] + sorted(rng.choice(np.arange(1, T), size=int(rng.integers(0, 3)), replace=False).tolist())
    raw = sparse_states(rng, T, D)
    m = as_format(rng, raw)
    own = str(rng.choice(ALL_TRANSFORMS))
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "ds", ["w"] * T, {"f": m}, documents=documents,
                                          transforms={"f": own}, compression="gzip" if seed % 4 == 1 else None))
    assert ds.transform("f") == own and ds.dims("f") == D
    with h5py.File(tmp_path / "ds" / "dataset.h5", "r") as f:
        assert isinstance(f["states/0"], h5py.Group) and f["states/0"].attrs["kind"] == "sparse"
        assert f["states/0/csr_data"].shape[0] == int(np.count_nonzero(raw != 0))     # NaN kept, zeros not
    for transform in ALL_TRANSFORMS:                 # thresholds around 0: where the zeros turn on
        check_layer(ds, "f", raw, transform, documents, rng, levels=[-0.5, -0.01, 0.0, 0.01, 0.5, 2.0])


@pytest.mark.parametrize("seed", range(4))
def test_sparse_equals_dense(tmp_path, seed):
    """The same states written sparse and dense give the same answers, every transform."""
    rng = np.random.default_rng(950 + seed)
    T, D = int(rng.integers(100, 300)), int(rng.integers(65, 200))
    documents = [0] + sorted(rng.choice(np.arange(1, T), size=4, replace=False).tolist())
    raw = sparse_states(rng, T, D)
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "ds", ["w"] * T, {"sparse": sp.csr_matrix(raw), "dense": raw},
                                          documents=documents, transforms={"dense": "none"}))
    assert ds.transform("sparse") == "none"                  # a sparse layer's default
    for transform in ALL_TRANSFORMS:
        np.testing.assert_array_equal(ds.values("sparse", 5, 60, transform=transform),
                                      ds.values("dense", 5, 60, transform=transform))
        for _ in range(6):
            thr = float(rng.choice([-0.2, 0.0, 0.05, 0.3, 0.8, 0.95]))
            start = int(rng.integers(0, T - 3))
            pl, pr = (int(x) for x in rng.integers(0, 3, size=2))
            s1 = lv.select(ds, "sparse", start, start + 3, thr, pad_left=pl, pad_right=pr, transform=transform)
            assert s1.tolist() == lv.select(ds, "dense", start, start + 3, thr, pad_left=pl, pad_right=pr,
                                            transform=transform).tolist()
            cells = s1 if len(s1) else rng.choice(D, size=10, replace=False)
            a = lv.match(ds, "sparse", cells, thr, pad_left=pl, pad_right=pr, transform=transform)
            b = lv.match(ds, "dense", cells, thr, pad_left=pl, pad_right=pr, transform=transform)
            assert a.table.equals(b.table) and a.histogram.equals(b.histogram)
            assert a.n_candidates == b.n_candidates


def test_sparse_input_errors(tmp_path):
    m = sp.random(10, 5, density=0.3, format="csr", dtype=np.float32, random_state=0)
    with pytest.raises(ValueError, match=r"states\['f'\] has 10 rows but there are 9 tokens"):
        lv.write_dataset(tmp_path / "a", ["w"] * 9, {"f": m})
    with pytest.raises(ValueError, match="has no cells"):
        lv.write_dataset(tmp_path / "b", ["w"] * 10, {"f": sp.csr_matrix((10, 0), dtype=np.float32)})
    with pytest.raises(ValueError, match="must be numeric"):
        lv.write_dataset(tmp_path / "c", ["w"] * 10, {"f": sp.csr_matrix(np.zeros((10, 2)), dtype=np.complex64)})


def test_an_empty_sparse_layer(tmp_path):
    """No stored entries at all: every cell 0.0 everywhere."""
    T, D = 12, 7
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "e", ["w"] * T, {"f": sp.csr_matrix((T, D), dtype=np.float32)}))
    assert lv.select(ds, "f", 0, 3, 0.0).tolist() == list(range(D))
    assert lv.select(ds, "f", 0, 3, 0.1).tolist() == []
    m = lv.match(ds, "f", [1, 2], 0.0)
    assert table_rows(m) == [(0, T, T, 2, D)]
    np.testing.assert_array_equal(ds.values("f", 0, T, transform="zscore"), np.zeros((T, D), np.float32))
    np.testing.assert_array_equal(ds.values("f", 0, T, transform="quantile"), np.ones((T, D), np.float32))
