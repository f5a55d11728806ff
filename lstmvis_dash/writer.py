"""Streaming dataset writer: append documents chunk by chunk, finish in the `write_dataset` format.

`write_dataset` needs every state in memory (or as one array-like); an extraction over a long corpus
does not have that. `DatasetWriter` appends tokens, per-layer states and annotations chunk by chunk
to a temporary HDF5 file in the dataset folder (resizable, chunked datasets), and `close()` copies
them block by block into the final `dataset.h5` with the layout of `store.py`, states stored
contiguously so that the reader memory-maps them. Memory use is bounded by the buffer and block
sizes (and the vocabulary), not by the number of tokens T; the disk needs room for two copies of the
states while `close()` runs.

    with DatasetWriter("out/my-model", name="my model") as w:
        for tokens, states in chunks:           # states: {layer_id: array (len(tokens), D)}
            w.add(tokens, states)               # each add starts a new document ...
            w.add(more_tokens, more_states, new_document=False)   # ... unless told otherwise
    lv.open_dataset("out/my-model")
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Mapping, Sequence

import h5py
import numpy as np

from .progress import Progress
from .sparse import CscBuilder, is_sparse, to_csr
from .store import (DATA_FILE, FORMAT_NAME, FORMAT_VERSION, INDEX_DIRNAME, TRANSFORMS, _annotation_kind,
                    _check_ids, _str_dtype)

PARTIAL_FILE = DATA_FILE + ".partial"
_STATE_DTYPES = {"float32": np.float32, "float16": np.float16}
_BIG = 20_000_000                 # values in a layer from which its final copy shows a progress bar


def _nbytes(a) -> int:
    return a.data.nbytes + a.indices.nbytes + a.indptr.nbytes if is_sparse(a) else a.nbytes


class _NullStream:
    def write(self, _):
        pass

    def flush(self):
        pass


class _Annotation:
    """One annotation while writing: its kind from the first chunk, labels gathered as they come."""

    def __init__(self, name: str, kind: str, value_type: str):
        self.name, self.kind, self.value_type = name, kind, value_type
        self.codes: dict = {}           # categorical: value -> id in order of first appearance

    def encode(self, values: np.ndarray) -> np.ndarray:
        kind, vtype = _annotation_kind(self.name, values)
        if (kind, vtype) != (self.kind, self.value_type):
            raise ValueError(f"annotation {self.name!r}: this chunk has {vtype} values, earlier chunks "
                             f"had {self.value_type} values")
        if kind == "scalar":
            return values.astype(np.float32)
        uniq, inverse = np.unique(values, return_inverse=True)
        ids = np.array([self.codes.setdefault(v, len(self.codes)) for v in uniq.tolist()], dtype=np.int32)
        return ids[inverse.reshape(-1)] if len(uniq) else np.zeros(0, np.int32)


class DatasetWriter:
    """Writes a dataset folder (the `write_dataset` format) from chunks appended one at a time.

    `add(tokens, states, annotations=None, new_document=True)` appends one chunk; the first chunk
    fixes the layer ids, their widths and the annotation names, which every later chunk must repeat.
    `close()` finishes the folder and returns its path; `abort()` (or an exception inside a `with`
    block) removes the partial file and leaves an existing dataset in the folder untouched.

    A layer whose first chunk is a scipy.sparse matrix is stored sparse (sparse.py); its later
    chunks may be sparse or dense, as may a dense layer's (each converted to the layer's kind).

    transforms: {layer_id: "tanh" | "none" | "zscore" | "quantile"} (default "tanh", "none" for
    sparse layers), or one of them for every layer.
    dtype: "float32" (memory-mapped when opened) or "float16" (half the disk, converted once into the
    index on first open).
    compression: None, or "gzip" for a small folder to ship (converted once on first open).
    buffer_bytes: states held in memory before they go to the temporary file.
    """

    def __init__(self, path, *, name: str | None = None, description: str | None = None,
                 transforms: Mapping[str, str] | None = None, dtype: str = "float32",
                 compression: str | None = None, progress: bool = True, buffer_bytes: int = 2 << 20,
                 block_bytes: int = 2 << 20):
        self.path = Path(path)
        if dtype not in _STATE_DTYPES:
            raise ValueError(f"dtype must be one of {sorted(_STATE_DTYPES)}, got {dtype!r}")
        if compression not in (None, "gzip"):
            raise ValueError(f"compression must be None or 'gzip', got {compression!r}")
        self._compression = compression
        self._dtype = _STATE_DTYPES[dtype]
        if isinstance(transforms, str):
            self._default_transform, transforms = transforms, {}
        else:
            self._default_transform = None
        if self._default_transform not in TRANSFORMS + (None,):
            raise ValueError(f"transforms must be one of {TRANSFORMS} or a mapping, got {transforms!r}")
        self._transforms = dict(transforms or {})
        for lid, tr in self._transforms.items():
            if tr not in TRANSFORMS:
                raise ValueError(f"transforms[{lid!r}] must be one of {TRANSFORMS}, got {tr!r}")
        self._name = name
        self._description = description
        self._stream = sys.stderr if progress else _NullStream()
        self._buffer_bytes = max(1, int(buffer_bytes))
        self._block_bytes = max(1, int(block_bytes))
        if self.path.exists():
            if not self.path.is_dir():
                raise ValueError(f"path {self.path} exists and is not a folder")
            others = [p.name for p in self.path.iterdir()
                      if p.name not in (DATA_FILE, PARTIAL_FILE, DATA_FILE + ".tmp", INDEX_DIRNAME)]
            if others and not (self.path / DATA_FILE).exists():
                raise ValueError(f"path {self.path} is a non-empty folder that is not a dataset "
                                 f"(it holds {sorted(others)[:5]}); refusing to overwrite")
        self._created = not self.path.exists()
        self.path.mkdir(parents=True, exist_ok=True)
        self._partial = self.path / PARTIAL_FILE
        self._file = h5py.File(self._partial, "w")
        self._vocab: dict = {}                 # token -> id in order of first appearance
        self._documents: list = []
        self._layers: list | None = None       # [(id, D)]
        self._sparse: set = set()              # ids of the sparse layers
        self._annos: dict | None = None        # name -> _Annotation
        self._pending: list = []               # [(token ids, {layer: array}, {anno: codes})]
        self._pending_bytes = 0
        self._T = 0                            # tokens added (flushed + pending)
        self._flushed = 0
        self._closed = False

    # -- appending ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._T

    @property
    def layers(self) -> list:
        return [lid for lid, _ in (self._layers or [])]

    @property
    def documents(self) -> list:
        return list(self._documents)

    def add(self, tokens: Sequence[str], states: Mapping[str, np.ndarray], *,
            annotations: Mapping[str, Sequence] | None = None, new_document: bool = True) -> None:
        """Append a chunk of n tokens with states {layer_id: (n, D)} and annotations {name: n values}.

        new_document=True starts a new document at this chunk; False continues the last one.
        An empty chunk is ignored (an empty sequence makes no document).
        """
        if self._closed:
            raise ValueError("the writer is closed")
        tokens = [str(t) for t in tokens]
        n = len(tokens)
        if not isinstance(states, Mapping) or not states:
            raise ValueError("states must be a non-empty mapping {layer_id: array (n, D)}")
        ids = _check_ids("layer", states.keys())
        arrays = {}
        for lid, arr in zip(ids, states.values()):
            if is_sparse(arr):
                arrays[lid] = to_csr(arr, f"states[{lid!r}]", n)
                continue
            arr = np.asarray(arr)
            if arr.ndim != 2:
                raise ValueError(f"states[{lid!r}] must be 2-D (n, D), got shape {arr.shape}")
            if arr.shape[0] != n:
                raise ValueError(f"states[{lid!r}] has {arr.shape[0]} rows but the chunk has {n} tokens")
            if arr.dtype.kind not in "fiu":
                raise ValueError(f"states[{lid!r}] must be numeric, got {arr.dtype}")
            arrays[lid] = arr
        annotations = dict(annotations or {})
        if n == 0 and self._layers is None:
            return
        if self._layers is None:
            for lid, arr in arrays.items():
                if arr.shape[1] < 1:
                    raise ValueError(f"states[{lid!r}] has no cells")
            unknown = set(self._transforms) - set(ids)
            if unknown:
                raise ValueError(f"transforms names unknown layers {sorted(unknown)}; layers are {ids}")
            self._start(arrays, annotations)
        else:
            expected = [lid for lid, _ in self._layers]
            if ids != expected:
                raise ValueError(f"states has layers {ids}, earlier chunks had {expected}")
            for lid, d in self._layers:
                if arrays[lid].shape[1] != d:
                    raise ValueError(f"states[{lid!r}] has {arrays[lid].shape[1]} cells, earlier chunks had {d}")
            if sorted(annotations) != sorted(self._annos):
                raise ValueError(f"annotations {sorted(annotations)} differ from earlier chunks' "
                                 f"{sorted(self._annos)}")
        codes = {}
        for aname, values in annotations.items():
            values = np.asarray(list(values) if not hasattr(values, "dtype") else values)
            if values.ndim != 1 or len(values) != n:
                raise ValueError(f"annotation {aname!r} has {values.shape} values but the chunk has {n} tokens")
            codes[aname] = self._annos[aname].encode(values) if n else np.zeros(0)
        if n == 0:
            return
        if new_document or not self._documents:
            self._documents.append(self._T)
        tok_ids = np.fromiter((self._vocab.setdefault(t, len(self._vocab)) for t in tokens),
                              dtype=np.int32, count=n)
        arrays = {lid: self._as_kind(lid, a) for lid, a in arrays.items()}
        self._pending.append((tok_ids, arrays, codes))
        self._pending_bytes += sum(_nbytes(a) for a in arrays.values()) + 4 * n
        self._T += n
        if self._pending_bytes >= self._buffer_bytes:
            self._flush()

    def _as_kind(self, lid: str, a):
        """A chunk of layer lid as the layer is kept: a CSR matrix for sparse layers, else a copy."""
        if lid in self._sparse:
            return a if is_sparse(a) else to_csr(np.asarray(a, np.float32), f"states[{lid!r}]")
        return np.array(a.toarray() if is_sparse(a) else a, dtype=self._dtype, copy=True)

    def _start(self, arrays: dict, annotations: dict) -> None:
        self._layers = [(lid, int(a.shape[1])) for lid, a in arrays.items()]
        self._sparse = {lid for lid, a in arrays.items() if is_sparse(a)}
        f = self._file
        f.create_dataset("ids", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(1 << 16,))
        for k, (lid, d) in enumerate(self._layers):
            if lid in self._sparse:             # per-row entry counts, then the entries in row order
                f.create_dataset(f"states/{k}/counts", shape=(0,), maxshape=(None,), dtype=np.int64,
                                 chunks=(1 << 16,))
                for name, dt in (("indices", np.int32), ("data", self._dtype)):
                    f.create_dataset(f"states/{k}/{name}", shape=(0,), maxshape=(None,), dtype=dt,
                                     chunks=(1 << 18,))
                continue
            rows = max(1, min(1 << 14, (1 << 20) // (4 * d)))
            f.create_dataset(f"states/{k}", shape=(0, d), maxshape=(None, d), dtype=self._dtype,
                             chunks=(rows, d))
        self._annos = {}
        for aname, values in annotations.items():
            if not isinstance(aname, str) or not aname or "/" in aname:
                raise ValueError(f"annotation name {aname!r} must be a non-empty string without '/'")
            values = np.asarray(list(values) if not hasattr(values, "dtype") else values)
            kind, vtype = _annotation_kind(aname, values)
            self._annos[aname] = _Annotation(aname, kind, vtype)
            f.create_dataset(f"annotations/{aname}", shape=(0,), maxshape=(None,),
                             dtype=np.float32 if kind == "scalar" else np.int32, chunks=(1 << 16,))

    def _flush(self) -> None:
        if not self._pending:
            return
        f, e = self._file, self._T

        def put(ds, parts, end=e):          # piece by piece: no second copy of the buffer
            at = ds.shape[0]
            ds.resize(at + sum(len(p) for p in parts) if end is None else end, axis=0)
            for p in parts:
                ds[at:at + len(p)] = p
                at += len(p)

        put(f["ids"], [p[0] for p in self._pending])
        for k, (lid, _) in enumerate(self._layers):
            if lid in self._sparse:
                chunks = [p[1][lid] for p in self._pending]
                put(f[f"states/{k}/counts"], [np.diff(c.indptr) for c in chunks])
                put(f[f"states/{k}/indices"], [c.indices.astype(np.int32) for c in chunks], None)
                put(f[f"states/{k}/data"], [c.data.astype(self._dtype) for c in chunks], None)
                continue
            put(f[f"states/{k}"], [p[1][lid] for p in self._pending])
        for aname in self._annos:
            put(f[f"annotations/{aname}"], [p[2][aname] for p in self._pending])
        self._pending, self._pending_bytes, self._flushed = [], 0, e

    # -- finishing ---------------------------------------------------------------------------
    def close(self) -> Path:
        """Write `dataset.h5` (states contiguous), remove the partial file, return the folder."""
        if self._closed:
            return self.path
        if self._T == 0:
            self.abort()
            raise ValueError("no tokens were added; a dataset needs at least one token")
        self._flush()
        T, src = self._T, self._file
        final_tmp = self.path / (DATA_FILE + ".tmp")
        # vocabulary and categorical labels sorted, as write_dataset stores them
        vocab = np.array(list(self._vocab), dtype=object)
        order = np.argsort(vocab, kind="stable")
        remap = np.empty(len(order), dtype=np.int32)
        remap[order] = np.arange(len(order), dtype=np.int32)
        try:
            with h5py.File(final_tmp, "w") as f:
                f.attrs.update(format=FORMAT_NAME, version=FORMAT_VERSION,
                               name=self._name or self.path.name, description=self._description or "")
                f.create_dataset("tokens/vocab", data=vocab[order].tolist(), dtype=_str_dtype)
                ids = f.create_dataset("tokens/ids", shape=(T,), dtype=np.int32)
                self._copy(src["ids"], ids, lambda b: remap[b])
                f.create_dataset("documents", data=np.asarray(self._documents, dtype=np.int64))
                for k, (lid, d) in enumerate(self._layers):
                    transform = self._transforms.get(lid, self._default_transform or
                                                     ("none" if lid in self._sparse else "tanh"))
                    if lid in self._sparse:
                        g = f.create_group(f"states/{k}")
                        self._write_sparse(src[f"states/{k}"], g, T, d)
                        g.attrs.update(id=lid, transform=transform)
                        continue
                    opts = dict(compression="gzip", shuffle=True, chunks=(min(T, 4096), d)) \
                        if self._compression else {}
                    ds = f.create_dataset(f"states/{k}", shape=(T, d), dtype=self._dtype, **opts)
                    ds.attrs.update(id=lid, transform=transform)
                    stream = self._stream if T * d >= _BIG else _NullStream()     # quiet when quick
                    with Progress(f"writing layer {lid}", T, stream=stream) as bar:
                        self._copy(src[f"states/{k}"], ds, None, bar)
                for k, (aname, anno) in enumerate(self._annos.items()):
                    g = f.create_group(f"annotations/{k}")
                    g.attrs.update(name=aname, kind=anno.kind, value_type=anno.value_type)
                    if anno.kind == "scalar":
                        self._copy(src[f"annotations/{aname}"],
                                   g.create_dataset("values", shape=(T,), dtype=np.float32))
                        continue
                    values = list(anno.codes)
                    lorder = sorted(range(len(values)), key=lambda i: values[i])
                    lremap = np.empty(len(values), dtype=np.int32)
                    lremap[lorder] = np.arange(len(values), dtype=np.int32)
                    g.create_dataset("labels", data=[str(values[i]) for i in lorder], dtype=_str_dtype)
                    self._copy(src[f"annotations/{aname}"], g.create_dataset("ids", shape=(T,), dtype=np.int32),
                               lambda b, r=lremap: r[b])
            self._file.close()
            shutil.rmtree(self.path / INDEX_DIRNAME, ignore_errors=True)
            os.replace(final_tmp, self.path / DATA_FILE)
        except BaseException:
            final_tmp.unlink(missing_ok=True)
            self.abort()
            raise
        self._partial.unlink(missing_ok=True)
        self._closed = True
        return self.path

    def _write_sparse(self, src, g, T: int, D: int) -> None:
        """The sparse layer's final CSR (copied) and CSC (built by CscBuilder) arrays in group g."""
        counts = src["counts"]
        indptr = np.zeros(T + 1, np.int64)
        for s in range(0, T, 1 << 20):
            indptr[s + 1:s + 1 + len(counts[s:s + (1 << 20)])] = counts[s:s + (1 << 20)]
        np.cumsum(indptr, out=indptr)
        nnz = int(indptr[-1])
        opts = lambda n: dict(compression="gzip", shuffle=True, chunks=(min(n, 1 << 16),)) \
            if self._compression and n else {}                                      # noqa: E731
        g.create_dataset("csr_indptr", data=indptr, **opts(T + 1))
        for name, dt in (("indices", np.int32), ("data", self._dtype)):
            self._copy(src[name], g.create_dataset(f"csr_{name}", shape=(nnz,), dtype=dt, **opts(nnz)))
        builder = CscBuilder(D, self.path, self._dtype)
        step = max(1, self._block_bytes // 8)
        for s in range(0, nnz, step):
            builder.count(src["indices"][s:s + step])
        builder.start(PARTIAL_FILE)
        try:
            row_starts = indptr[:-1]
            for s in range(0, nnz, step):
                e = min(nnz, s + step)
                rows = np.searchsorted(row_starts, np.arange(s, e), side="right") - 1
                builder.scatter(rows.astype(np.int32), src["indices"][s:e], src["data"][s:e])
            col_indptr, col_rows, col_data = builder.finish()
            g.create_dataset("csc_indptr", data=col_indptr, **opts(D + 1))
            for name, arr in (("csc_indices", col_rows), ("csc_data", col_data)):
                self._copy(arr, g.create_dataset(name, shape=(nnz,), dtype=arr.dtype, **opts(nnz)))
        finally:
            builder.cleanup()
        g.attrs.update(kind="sparse", shape=[T, D])

    def _copy(self, src, dst, fn=None, bar=None) -> None:
        width = int(np.prod(src.shape[1:], dtype=np.int64)) if src.ndim > 1 else 1
        step = max(1, self._block_bytes // (4 * width))
        for s in range(0, src.shape[0], step):
            block = src[s:s + step]
            dst[s:s + len(block)] = fn(block) if fn is not None else block
            if bar is not None:
                bar.update(len(block))

    def abort(self) -> None:
        """Drop everything written so far; an existing dataset in the folder stays as it was."""
        if self._closed:
            return
        self._closed = True
        self._pending = []
        try:
            self._file.close()
        except Exception:
            pass
        self._partial.unlink(missing_ok=True)
        if self._created:
            try:
                self.path.rmdir()           # only when nothing else is there
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False
