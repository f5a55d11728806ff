"""The prepared copies the engine reads: memory maps of a layer's raw states by rows and by columns.

Rows (T, D) are mapped straight from the HDF5 file when it stores them contiguously as
little-endian float32 or float16; any other layout (chunked, compressed, other types) is converted
once into the index folder (float16 stays float16, everything else becomes float32, which is what
SPEC.md's `raw.astype(float32)` reads anyway). Codes (D, T) uint8 (the transposed copy, quantised
at each cell's own edges, edges.py, so one cell's whole history is one short contiguous read) are
always built once. Sparse layers (sparse.py) are mapped the same way and need no codes. Per-cell
statistics are built on first use (index_stats.py). Each copy carries a fingerprint of its source
(file identity and times, dataset path, shape, dtype) and is rebuilt when the source changes,
never silently reused.

The index folder is `<dataset>/.lstmvis-index/` when writable, else a folder under
`$LSTMVIS_CACHE` (default `~/.cache/lstmvis_dash`).
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from .progress import Progress
from .sparse import PARTS
from .store import INDEX_DIRNAME, LayerSource
from .kernels import as_kernel_rows, quantise_rows
from .edges import QUANTILE_GRID, ZSCORE_GRID, fill_edges, shared_grid
from .thresholds import EDGE_SLOTS, GRID, quantile_ranks, zscore_thresholds

_BLOCK_BYTES = 64 << 20
_MAPPABLE = (np.dtype("<f4"), np.dtype("<f2"))


def index_dir(folder: Path) -> Path:
    """Beside the data when the folder is writable, else in the user's cache."""
    folder = Path(folder).resolve()
    beside = folder / INDEX_DIRNAME
    if beside.is_dir() and os.access(beside, os.W_OK):
        return beside
    if os.access(folder, os.W_OK):
        beside.mkdir(exist_ok=True)
        return beside
    root = Path(os.environ.get("LSTMVIS_CACHE", Path.home() / ".cache" / "lstmvis_dash"))
    cache = root / hashlib.sha1(str(folder).encode()).hexdigest()[:16]
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def stat_key(st: os.stat_result) -> dict:
    """What identifies one version of a file. Size and mtime alone miss a rewrite of the same size
    within one tick of the file-system clock (or with its mtime restored); the inode (a replaced
    file is a new one) and the ctime (which no program can set back) catch those."""
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ino": st.st_ino, "ctime_ns": st.st_ctime_ns}


def fingerprint(src: LayerSource) -> dict:
    st = os.stat(src.file)
    return {"file": str(Path(src.file).resolve()), **stat_key(st),
            "h5path": src.h5path, "shape": list(src.shape), "dtype": str(np.dtype(src.dtype)),
            "transform": src.transform, "codes": "uint8-cell-v2", "rows": str(rows_dtype(src)), "kind": src.kind}


def _slug(layer_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", layer_id)[:40]
    return f"{safe}-{hashlib.sha1(layer_id.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class LayerArrays:
    rows: np.ndarray        # (T, D) float32 or float16, raw states
    codes: np.ndarray       # (D, T) uint8, the same values transposed and quantised at `edges`
    edges: np.ndarray       # (D, 255) float32 per-cell code edges (edges.py), NaN-padded
    fingerprint: dict
    src: LayerSource
    idx: Path               # the index folder, for the statistics built on first use


def _direct_rows(src: LayerSource) -> np.ndarray | None:
    """A memory map of the HDF5 dataset itself, when its bytes are a plain float32/float16 array."""
    with h5py.File(src.file, "r") as f:
        d = f[src.h5path]
        _check_shape(src, d)
        offset = d.id.get_offset()
        if d.chunks is not None or d.compression or d.dtype not in _MAPPABLE or offset is None:
            return None
        dtype = d.dtype
    return np.memmap(src.file, dtype=dtype, mode="r", offset=offset, shape=tuple(src.shape))


def rows_dtype(src: LayerSource) -> np.dtype:
    """The dtype of the row copy: float16 sources stay float16, others become float32."""
    return np.dtype("<f2") if np.dtype(src.dtype) == np.float16 else np.dtype("<f4")


def _check_shape(src: LayerSource, d) -> None:
    """The file may have been rewritten since the dataset was opened: its shape must still fit."""
    T, D = src.shape
    if len(d.shape) != 2 or d.shape[1] != D or d.shape[0] < T:
        raise ValueError(f"{src.file}: layer {src.id!r} changed on disk (shape {tuple(d.shape)}, "
                         f"was opened as {(T, D)}); open the dataset again")


def _read_blocks(src: LayerSource):
    """Yields (start, block) over the source rows, in blocks of about 64 MB."""
    T, D = src.shape
    step = max(1, _BLOCK_BYTES // (4 * D))
    with h5py.File(src.file, "r") as f:
        d = f[src.h5path]
        for s in range(0, T, step):
            yield s, np.asarray(d[s:s + step], dtype=rows_dtype(src))


def _valid(meta_path: Path, fp: dict) -> bool:
    try:
        return json.loads(meta_path.read_text()) == fp
    except (OSError, ValueError):
        return False


def _build(target: Path, shape: tuple, dtype, fill, fp: dict, label: str) -> None:
    tmp = target.with_suffix(".tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=shape)
    fill(out, label)
    out.flush()
    del out
    os.replace(tmp, target)
    target.with_suffix(".json").write_text(json.dumps(fp))


def _locked(idx: Path, slug: str):
    lock = open(idx / f"{slug}.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


def layer_arrays(src: LayerSource, idx: Path) -> LayerArrays:
    """Open (building once if missing or stale) the row and column copies of one layer."""
    fp = fingerprint(src)
    T, D = src.shape
    slug = _slug(src.id)
    codes_path = idx / f"codes-{slug}.npy"
    edges_path = idx / f"edges-{slug}.npy"
    rows_path = idx / f"rows-{slug}.npy"
    with _locked(idx, slug):
        rows = _direct_rows(src)
        if rows is None:
            if not _valid(rows_path.with_suffix(".json"), fp):
                def fill_rows(out, label):
                    with Progress(label, T) as bar:
                        for s, block in _read_blocks(src):
                            out[s:s + len(block)] = block
                            bar.update(len(block))
                _build(rows_path, (T, D), rows_dtype(src), fill_rows, fp, f"converting layer {src.id}")
            rows = np.load(rows_path, mmap_mode="r")
        if not (_valid(codes_path.with_suffix(".json"), fp) and _valid(edges_path.with_suffix(".json"), fp)):
            partial = LayerArrays(rows, None, None, fp, src, idx)
            edges = fill_edges(_own_grid(partial, src.transform), _sample_rows(rows))
            np.save(edges_path, edges)
            edges_path.with_suffix(".json").write_text(json.dumps(fp))

            def fill_codes(out, label):
                step = max(1, (8 << 20) // (4 * D))
                codes = np.empty((D, step), np.uint8)
                with Progress(label, T) as bar:
                    for s in range(0, T, step):
                        block = as_kernel_rows(np.asarray(rows[s:s + step]))
                        quantise_rows(block, edges, codes[:, :len(block)])
                        out[:, s:s + len(block)] = codes[:, :len(block)]
                        bar.update(len(block))
            _build(codes_path, (D, T), np.uint8, fill_codes, fp, f"indexing layer {src.id}")
        codes = np.load(codes_path, mmap_mode="r")
        edges = np.load(edges_path)
    if rows.shape != (T, D) or codes.shape != (D, T) or edges.shape != (D, EDGE_SLOTS):
        raise ValueError(f"index for layer {src.id!r} in {idx} has the wrong shape; delete it to rebuild")
    return LayerArrays(rows, codes, edges, fp, src, idx)


@dataclass(frozen=True)
class SparseArrays:
    """A sparse layer's CSR and CSC arrays (sparse.py), memory-mapped."""
    csr_indptr: np.ndarray
    csr_indices: np.ndarray
    csr_data: np.ndarray
    csc_indptr: np.ndarray
    csc_indices: np.ndarray
    csc_data: np.ndarray
    fingerprint: dict
    src: LayerSource
    idx: Path


def sparse_arrays(src: LayerSource, idx: Path) -> SparseArrays:
    """Memory maps of a sparse layer's arrays: straight from the HDF5 file when stored plainly,
    else (gzip) converted once into the index folder."""
    fp = fingerprint(src)
    slug = _slug(src.id)
    T, D = src.shape
    maps = {}
    with _locked(idx, slug), h5py.File(src.file, "r") as f:
        g = f[src.h5path]
        for name in PARTS:
            d = g[name]
            offset = d.id.get_offset()
            if d.size == 0:
                maps[name] = np.zeros(0, d.dtype)
            elif d.chunks is None and not d.compression and offset is not None and d.dtype.byteorder in "<=|":
                maps[name] = np.memmap(src.file, dtype=d.dtype, mode="r", offset=offset, shape=d.shape)
            else:
                path = idx / f"{name}-{slug}.npy"
                if not _valid(path.with_suffix(".json"), fp):
                    _build(path, d.shape, d.dtype, lambda out, _l, d=d: _copy_1d(d, out), fp, "")
                maps[name] = np.load(path, mmap_mode="r")
    nnz = len(maps["csr_data"])
    if (len(maps["csr_indptr"]) != T + 1 or len(maps["csc_indptr"]) != D + 1 or len(maps["csc_data"]) != nnz
            or len(maps["csr_indices"]) != nnz or len(maps["csc_indices"]) != nnz):
        raise ValueError(f"{src.file}: sparse layer {src.id!r} is malformed (array lengths disagree)")
    return SparseArrays(**maps, fingerprint=fp, src=src, idx=idx)


def _copy_1d(d, out) -> None:
    step = _BLOCK_BYTES // max(1, d.dtype.itemsize)
    for s in range(0, d.shape[0], step):
        out[s:s + step] = d[s:s + step]


_SAMPLE_BYTES = 64 << 20


def _sample_rows(rows: np.ndarray) -> np.ndarray:
    """Evenly spaced rows (about 64 MB as float32): where each cell's values lie, for the edges."""
    T, D = rows.shape
    n = min(T, max(256, _SAMPLE_BYTES // (4 * D)))
    pick = np.unique(np.linspace(0, T - 1, n).round().astype(np.int64))
    return np.asarray(rows[pick], np.float32)


def _own_grid(arrays: LayerArrays, transform: str) -> np.ndarray:
    """(D, G) raw thresholds of the grid of the layer's own transform (edges.py), NaN = never on."""
    D = arrays.src.shape[1]
    if transform in ("tanh", "none"):
        return np.broadcast_to(shared_grid(transform), (D, len(GRID)))
    from .index_stats import layer_moments, layer_order   # they build on this module
    if transform == "zscore":
        mu, sigma = layer_moments(arrays).mu_sigma()
        return np.stack([zscore_thresholds(mu, sigma, lv) for lv in ZSCORE_GRID], axis=1)
    order = layer_order(arrays)
    return np.stack([order.kth(quantile_ranks(order.n, lv)) for lv in QUANTILE_GRID], axis=1)


def _read_meta(path: Path, fp: dict):
    """The payload stored beside a fingerprint, or None when missing or stale."""
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return meta.get("payload") if meta.get("fingerprint") == fp else None


def _write_meta(path: Path, fp: dict, payload) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"fingerprint": fp, "payload": payload}))
    os.replace(tmp, path)
