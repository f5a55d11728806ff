"""Sparse layers on disk (SPEC.md section 4): dictionary (SAE) features, D in the tens of thousands,
almost all 0.0 at any token. A layer is kept twice, both ways round, never densified whole:

    /states/<k>                 group, attrs: id, transform, kind = "sparse", shape = (T, D)
        csr_indptr int64 (T+1)  csr_indices int32 (nnz)  csr_data float32|float16 (nnz)
        csc_indptr int64 (D+1)  csc_indices int32 (nnz)  csc_data float32|float16 (nnz)

Rows (CSR) give a position's features (|S2| of candidates, value windows); columns (CSC) give a
feature's positions (the S1 bitsets). Entries not stored are raw 0.0; stored zeros are dropped,
stored NaN kept. Within a row or column, entries are sorted by index and unique.
"""
from __future__ import annotations

import numpy as np

PARTS = ("csr_indptr", "csr_indices", "csr_data", "csc_indptr", "csc_indices", "csc_data")


def is_sparse(obj) -> bool:
    """A scipy.sparse matrix or array (without importing scipy for dense input)."""
    return type(obj).__module__.startswith("scipy.sparse")


def to_csr(obj, what: str, n_rows: int | None = None):
    """A canonical float32 scipy CSR matrix (sorted, unique entries, no stored zeros) of a sparse
    (n, D) input (scipy.sparse has no float16); ValueError naming `what` when unfit."""
    import scipy.sparse as sp
    if len(obj.shape) != 2:
        raise ValueError(f"{what} must be 2-D (T, D), got shape {tuple(obj.shape)}")
    if n_rows is not None and obj.shape[0] != n_rows:
        raise ValueError(f"{what} has {obj.shape[0]} rows but there are {n_rows} tokens")
    if obj.shape[1] < 1:
        raise ValueError(f"{what} has no cells")
    if np.dtype(obj.dtype).kind not in "fiub":
        raise ValueError(f"{what} must be numeric, got {obj.dtype}")
    csr = sp.csr_matrix(obj, dtype=np.float32, copy=True)
    csr.sum_duplicates()
    csr.eliminate_zeros()
    csr.sort_indices()
    return csr


def write_group(g, csr, compression: str | None, dtype=np.float32) -> None:
    """Writes one CSR matrix and its CSC form into the HDF5 group g (contiguous unless gzip),
    values as `dtype` (float32 or float16)."""
    csc = csr.tocsc()
    csc.sort_indices()
    arrays = {"csr_indptr": csr.indptr.astype(np.int64), "csr_indices": csr.indices.astype(np.int32),
              "csr_data": csr.data.astype(dtype), "csc_indptr": csc.indptr.astype(np.int64),
              "csc_indices": csc.indices.astype(np.int32), "csc_data": csc.data.astype(dtype)}
    for name, arr in arrays.items():
        opts = dict(compression="gzip", shuffle=True, chunks=(min(len(arr), 1 << 16),)) \
            if compression and len(arr) else {}
        g.create_dataset(name, data=arr, **opts)
    g.attrs.update(kind="sparse", shape=list(csr.shape))


class CscBuilder:
    """Builds the CSC copy of a CSR matrix streamed in row order, in bounded memory: column counts
    first (`count`), then each chunk's entries scattered to their columns (`scatter`) in memory
    maps of the final arrays; rows arrive in order, so every column stays sorted by row."""

    def __init__(self, D: int, folder, dtype):
        self.D = D
        self.counts = np.zeros(D, np.int64)
        self.folder = folder
        self.dtype = dtype

    def count(self, indices: np.ndarray) -> None:
        self.counts += np.bincount(indices, minlength=self.D)

    def start(self, prefix: str):
        self.indptr = np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)
        nnz = int(self.indptr[-1])
        self.paths = [self.folder / f"{prefix}.indices.tmp", self.folder / f"{prefix}.data.tmp"]
        self.rows = np.memmap(self.paths[0], np.int32, "w+", shape=(max(nnz, 1),))
        self.vals = np.memmap(self.paths[1], self.dtype, "w+", shape=(max(nnz, 1),))
        self.cursor = self.indptr[:-1].copy()
        self.nnz = nnz

    def scatter(self, row_of_entry: np.ndarray, indices: np.ndarray, data: np.ndarray) -> None:
        order = np.argsort(indices, kind="stable")
        cols = indices[order]
        counts = np.bincount(cols, minlength=self.D)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pos = self.cursor[cols] + (np.arange(len(cols)) - first[cols])
        self.rows[pos] = row_of_entry[order]
        self.vals[pos] = data[order]
        self.cursor += counts

    def finish(self):
        """(indptr, indices, data) memory maps; `cleanup()` removes them once copied."""
        self.rows.flush()
        self.vals.flush()
        return self.indptr, self.rows[:self.nnz], self.vals[:self.nnz]

    def cleanup(self) -> None:
        del self.rows, self.vals
        for p in self.paths:
            p.unlink(missing_ok=True)
