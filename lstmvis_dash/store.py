"""Datasets on disk: the project's own folder format, and the `Dataset` every reader returns.

A dataset folder written by `write_dataset` holds one HDF5 file, `dataset.h5`:

    /tokens/ids          int32 (T,)    ids into /tokens/vocab
    /tokens/vocab        str   (V,)
    /documents           int64 (n,)    sorted document start offsets, the first is 0
    /states/<k>          (T, D)        float32 or float16, attrs: id, transform
                         or a group holding a sparse layer (sparse.py)
    /annotations/<k>     attrs: name, kind ("categorical" | "scalar"), value_type
        ids int32 (T,) + labels str (L,)   for categorical annotations
        values float32 (T,)                for scalar annotations

States are stored contiguously so that they can be memory-mapped; `compression="gzip"` trades that for
size (the bundled demo), and such a file is converted once into the index folder on first use.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import h5py
import numpy as np

from .progress import Progress
from .sparse import is_sparse, to_csr, write_group
from .thresholds import TRANSFORMS

FORMAT_NAME = "lstmvis-dash"
FORMAT_VERSION = 1
DATA_FILE = "dataset.h5"
_str_dtype = h5py.string_dtype("utf-8")


@dataclass(frozen=True)
class LayerSource:
    """Where a layer's raw (T, D) states live: an HDF5 dataset, read lazily."""
    id: str
    file: Path
    h5path: str
    transform: str
    shape: tuple
    dtype: np.dtype
    kind: str = "dense"        # or "sparse" (sparse.py): h5path is then the group


@dataclass(frozen=True)
class AnnotationSource:
    """One value per token. Categorical values are ids into `labels`; scalar values are numbers."""
    name: str
    kind: str
    file: Path
    h5path: str
    labels: tuple = ()
    value_type: str = "str"


@dataclass
class DatasetParts:
    """Everything a reader finds in a folder; `Dataset` turns it into the public object."""
    name: str
    description: str
    folder: Path
    token_ids: np.ndarray
    vocab: list
    documents: np.ndarray
    layers: dict
    annotations: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# writing


def _check_ids(kind: str, values: Iterable) -> list:
    ids = [str(v) for v in values]
    for v in ids:
        if not v or v.strip() != v:
            raise ValueError(f"{kind} id {v!r} must be a non-empty string without outer spaces")
    if len(set(ids)) != len(ids):
        raise ValueError(f"{kind} ids must be unique, got {ids}")
    return ids


def _check_documents(documents) -> np.ndarray:
    if documents is None:
        return np.zeros(1, np.int64)
    try:
        docs = np.asarray(list(documents) if not hasattr(documents, "dtype") else documents)
    except (ValueError, TypeError) as e:
        raise ValueError(f"documents must be a list of integer start offsets ({e})") from None
    if docs.size and (docs.dtype.kind not in "iuf" or docs.dtype == bool or
                      (docs.dtype.kind == "f" and not np.all(np.isfinite(docs) & (docs == np.round(docs))))):
        raise ValueError(f"documents must be integer start offsets, got {documents!r}")
    return docs.astype(np.int64)


def _value_kind(v) -> str:
    if isinstance(v, str):
        return "str"
    if isinstance(v, (bool, np.bool_)):
        return "bool"
    if isinstance(v, (int, np.integer)):
        return "int"
    if isinstance(v, (float, np.floating)):
        return "float"
    return type(v).__name__


def _check_value_types(name: str, values: list) -> None:
    """Values given as a Python list must be all strings, all booleans, or all numbers."""
    kinds = {_value_kind(v) for v in values}
    if kinds <= {"str"} or kinds <= {"bool"} or kinds <= {"int", "float"}:
        return
    raise ValueError(f"annotation {name!r}: values must be all strings, all booleans or all numbers, "
                     f"got {sorted(kinds)}")


def _annotation_kind(name: str, values: np.ndarray) -> tuple[str, str]:
    if values.dtype.kind == "b":
        return "categorical", "bool"
    if values.dtype.kind in "iu":
        return "categorical", "int"
    if values.dtype.kind == "f":
        return "scalar", "float"
    if values.dtype.kind in "UO":
        if not all(isinstance(v, str) for v in values.tolist()):
            raise ValueError(f"annotation {name!r}: values must all be strings, integers or all numbers")
        return "categorical", "str"
    raise ValueError(f"annotation {name!r}: unsupported value type {values.dtype}")


def write_dataset(path, tokens: Sequence[str], states: Mapping[str, np.ndarray], *,
                  annotations: Mapping[str, Sequence] | None = None,
                  documents: Sequence[int] | None = None,
                  transforms: Mapping[str, str] | None = None,
                  name: str | None = None, description: str | None = None,
                  compression: str | None = None) -> Path:
    """Write a dataset folder that `open_dataset` reads; ValueError on inconsistent input.

    States keep float16 when given float16 and are stored as float32 otherwise. A layer given as a
    scipy.sparse matrix is stored sparse (sparse.py); its default transform is "none".
    `compression="gzip"` makes a small folder for shipping; it is unpacked once on first open.
    """
    path = Path(path)
    tokens = [str(t) for t in tokens]
    T = len(tokens)
    if T == 0:
        raise ValueError("tokens must not be empty")
    if not isinstance(states, Mapping) or not states:
        raise ValueError("states must be a non-empty mapping {layer_id: array (T, D)}")
    layer_ids = _check_ids("states: layer", states.keys())
    transforms = dict(transforms or {})
    unknown = set(transforms) - set(states)
    if unknown:
        raise ValueError(f"transforms names unknown layers {sorted(unknown)}; layers are {layer_ids}")
    for lid, tr in transforms.items():
        if tr not in TRANSFORMS:
            raise ValueError(f"transforms[{lid!r}] must be one of {TRANSFORMS}, got {tr!r}")
    arrays = {}
    for lid, arr in zip(layer_ids, states.values()):
        if is_sparse(arr):
            arrays[lid] = to_csr(arr, f"states[{lid!r}]", T)
            continue
        if not hasattr(arr, "shape") or not hasattr(arr, "dtype"):
            try:
                arr = np.asarray(arr)
            except (ValueError, TypeError) as e:
                raise ValueError(f"states[{lid!r}] must be a (T, D) array of numbers ({e})") from None
        if len(arr.shape) != 2:
            raise ValueError(f"states[{lid!r}] must be 2-D (T, D), got shape {tuple(arr.shape)}")
        if arr.shape[0] != T:
            raise ValueError(f"states[{lid!r}] has {arr.shape[0]} rows but there are {T} tokens")
        if arr.shape[1] < 1:
            raise ValueError(f"states[{lid!r}] has no cells")
        if np.dtype(arr.dtype).kind not in "fiu":
            raise ValueError(f"states[{lid!r}] must be numeric, got {arr.dtype}")
        arrays[lid] = arr
    docs = _check_documents(documents)
    if docs.ndim != 1 or len(docs) == 0 or docs[0] != 0:
        raise ValueError("documents must be a list of start offsets beginning with 0")
    if np.any(np.diff(docs) <= 0) or docs[-1] >= T:
        raise ValueError(f"documents must be strictly increasing offsets in [0, {T})")
    annos = {}
    for aname, values in (annotations or {}).items():
        if not isinstance(aname, str) or not aname or "/" in aname:
            raise ValueError(f"annotation name {aname!r} must be a non-empty string without '/'")
        if not hasattr(values, "dtype"):
            values = list(values)
            _check_value_types(aname, values)
        try:
            values = np.asarray(values)
        except (ValueError, TypeError) as e:
            raise ValueError(f"annotation {aname!r}: expected one value per token ({e})") from None
        if values.ndim != 1 or len(values) != T:
            raise ValueError(f"annotation {aname!r} has {values.shape} values but there are {T} tokens")
        annos[aname] = (values, *_annotation_kind(aname, values))
    if compression not in (None, "gzip"):
        raise ValueError(f"compression must be None or 'gzip', got {compression!r}")

    if path.exists():
        if not path.is_dir():
            raise ValueError(f"path {path} exists and is not a folder")
        if any(path.iterdir()) and not (path / DATA_FILE).exists():
            raise ValueError(f"path {path} is a non-empty folder that is not a dataset; refusing to overwrite")
        shutil.rmtree(path / INDEX_DIRNAME, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / (DATA_FILE + ".tmp")
    vocab, ids = np.unique(np.asarray(tokens, dtype=object), return_inverse=True)
    with h5py.File(tmp, "w") as f:
        f.attrs.update(format=FORMAT_NAME, version=FORMAT_VERSION,
                       name=name or path.name, description=description or "")
        f.create_dataset("tokens/ids", data=ids.astype(np.int32))
        f.create_dataset("tokens/vocab", data=list(vocab), dtype=_str_dtype)
        f.create_dataset("documents", data=docs)
        for k, (lid, arr) in enumerate(arrays.items()):
            if is_sparse(arr):
                g = f.create_group(f"states/{k}")
                write_group(g, arr, compression)
                g.attrs.update(id=lid, transform=transforms.get(lid, "none"))
                continue
            dtype = np.float16 if np.dtype(arr.dtype) == np.float16 else np.float32
            opts = dict(compression="gzip", shuffle=True, chunks=(min(T, 4096), arr.shape[1])) \
                if compression else {}
            ds = f.create_dataset(f"states/{k}", shape=arr.shape, dtype=dtype, **opts)
            ds.attrs.update(id=lid, transform=transforms.get(lid, "tanh"))
            step = max(1, (64 << 20) // (arr.shape[1] * 4))
            with Progress(f"writing layer {lid}", T, stream=_quiet_unless_big(T * arr.shape[1])) as bar:
                for s in range(0, T, step):
                    ds[s:s + step] = np.asarray(arr[s:s + step], dtype=dtype)
                    bar.update(min(step, T - s))
        for k, (aname, (values, kind, vtype)) in enumerate(annos.items()):
            g = f.create_group(f"annotations/{k}")
            g.attrs.update(name=aname, kind=kind, value_type=vtype)
            if kind == "scalar":
                g.create_dataset("values", data=values.astype(np.float32))
            else:
                labels, lids = np.unique(values, return_inverse=True)
                g.create_dataset("ids", data=lids.astype(np.int32))
                g.create_dataset("labels", data=[str(x) for x in labels.tolist()], dtype=_str_dtype)
    os.replace(tmp, path / DATA_FILE)
    return path


class _NullStream:
    def write(self, _):
        pass

    def flush(self):
        pass


def _quiet_unless_big(n_values: int):
    """Progress bars only for writes that take noticeable time (≥ 50M values)."""
    import sys
    return sys.stderr if n_values >= 50_000_000 else _NullStream()


# ----------------------------------------------------------------------------------------------
# reading the project's own format

INDEX_DIRNAME = ".lstmvis-index"


def read_own_folder(folder: Path) -> DatasetParts:
    file = folder / DATA_FILE
    try:
        f = h5py.File(file, "r")
    except OSError as e:
        raise ValueError(f"{file}: not a readable HDF5 file ({e})") from None
    with f:
        if f.attrs.get("format") != FORMAT_NAME:
            raise ValueError(f"{file}: not a {FORMAT_NAME} file (no format attribute)")
        try:
            ids = f["tokens/ids"][()].astype(np.int64)
            vocab = [v.decode() if isinstance(v, bytes) else str(v) for v in f["tokens/vocab"][()]]
            docs = f["documents"][()].astype(np.int64)
            layers = {}
            for key in sorted(f["states"], key=int):
                d = f["states"][key]
                lid = str(d.attrs["id"])
                if isinstance(d, h5py.Group):
                    layers[lid] = LayerSource(lid, file, d.name, str(d.attrs.get("transform", "none")),
                                              tuple(int(x) for x in d.attrs["shape"]), d["csr_data"].dtype,
                                              "sparse")
                    continue
                layers[lid] = LayerSource(lid, file, d.name, str(d.attrs.get("transform", "tanh")),
                                          tuple(d.shape), d.dtype)
            annos = {}
            for key in sorted(f.get("annotations", {}), key=int):
                g = f["annotations"][key]
                aname, kind = str(g.attrs["name"]), str(g.attrs["kind"])
                if kind == "scalar":
                    annos[aname] = AnnotationSource(aname, kind, file, g.name + "/values", (), "float")
                else:
                    labels = tuple(v.decode() if isinstance(v, bytes) else str(v) for v in g["labels"][()])
                    annos[aname] = AnnotationSource(aname, kind, file, g.name + "/ids", labels,
                                                    str(g.attrs.get("value_type", "str")))
            name = str(f.attrs.get("name", folder.name))
            desc = str(f.attrs.get("description", ""))
        except (KeyError, ValueError, TypeError) as e:
            raise ValueError(f"{file}: malformed dataset file ({e})") from None
    return DatasetParts(name, desc, folder, ids, vocab, docs, layers, annos)
