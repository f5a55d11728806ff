"""The public `Dataset`: tokens, documents, layers and annotations, read lazily in each process."""
from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from . import index as _index
from .layers import DenseLayer, SparseLayer
from .store import DatasetParts
from .thresholds import check_transform


def check_range(start, stop, T: int, what: str = "range") -> tuple[int, int]:
    """ValueError unless 0 <= start < stop <= T (integers)."""
    for name, v in (("start", start), ("stop", stop)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{what} {name} must be an integer, got {v!r}")
    start, stop = int(start), int(stop)
    if not (0 <= start < stop <= T):
        raise ValueError(f"{what} {start}:{stop} is outside the data; need 0 <= start < stop <= {T}")
    return start, stop


class Dataset:
    """A dataset opened by `open_dataset`. Safe to create before a fork: memory maps are per process."""

    def __init__(self, parts: DatasetParts):
        self._parts = parts
        self.name = parts.name
        self.description = parts.description
        self.folder = parts.folder
        self._T = int(len(parts.token_ids))
        self._vocab = np.asarray(parts.vocab, dtype=object)
        self._token_ids = parts.token_ids
        self._documents = np.asarray(parts.documents, dtype=np.int64)
        self._documents.setflags(write=False)
        self._pid = None
        self._arrays = {}
        self._layers = {}
        self._annotation_cache = {}

    def __len__(self) -> int:
        return self._T

    def __repr__(self) -> str:
        return f"<Dataset {self.name!r}: T={self._T}, layers={self.layers}>"

    # -- structure ---------------------------------------------------------------------------
    @property
    def layers(self) -> list[str]:
        return list(self._parts.layers)

    def dims(self, layer: str) -> int:
        return int(self.layer_source(layer).shape[1])

    def transform(self, layer: str) -> str:
        return self.layer_source(layer).transform

    def layer_source(self, layer: str):
        try:
            return self._parts.layers[layer]
        except (KeyError, TypeError):
            raise ValueError(f"layer {layer!r} is unknown; layers are {self.layers}") from None

    @property
    def documents(self) -> np.ndarray:
        return self._documents

    def document_bounds(self, t: int) -> tuple[int, int]:
        """The [start, stop) of the document holding position t."""
        k = int(np.searchsorted(self._documents, t, side="right")) - 1
        stop = int(self._documents[k + 1]) if k + 1 < len(self._documents) else self._T
        return int(self._documents[k]), stop

    # -- tokens ------------------------------------------------------------------------------
    def tokens(self, start: int, stop: int) -> list[str]:
        start, stop = check_range(start, stop, self._T, "tokens range")
        return self._vocab[self._token_ids[start:stop]].tolist()

    @property
    def token_ids(self) -> np.ndarray:
        """Per-token vocabulary ids (for search); `vocab[token_ids[t]]` is token t."""
        return self._token_ids

    @property
    def vocab(self) -> np.ndarray:
        return self._vocab

    # -- states ------------------------------------------------------------------------------
    def arrays(self, layer: str) -> _index.LayerArrays | _index.SparseArrays:
        """Memory maps of a layer's storage and index; rebuilt when the source file changed."""
        src = self.layer_source(layer)
        if self._pid != os.getpid():
            self._pid, self._arrays, self._layers = os.getpid(), {}, {}
        cached = self._arrays.get(layer)
        if cached is not None:
            try:
                st = os.stat(src.file)
            except OSError as e:
                raise ValueError(f"dataset {self.name!r}: layer {layer!r} file is gone ({e})") from None
            key = _index.stat_key(st)
            if all(cached.fingerprint.get(k) == v for k, v in key.items()):
                return cached
        try:
            build = _index.sparse_arrays if src.kind == "sparse" else _index.layer_arrays
            arrays = build(src, _index.index_dir(self.folder))
        except OSError as e:
            raise ValueError(f"dataset {self.name!r}: cannot read layer {layer!r} ({e})") from None
        self._arrays[layer] = arrays
        return arrays

    def layer(self, layer: str) -> DenseLayer | SparseLayer:
        """The layer's access object for the engine (layers.py), per process, rebuilt with the index."""
        arrays = self.arrays(layer)
        cached = self._layers.get(layer)
        if cached is None or cached.arrays is not arrays:
            kind = SparseLayer if self.layer_source(layer).kind == "sparse" else DenseLayer
            cached = self._layers[layer] = kind(arrays, self.transform(layer))
        return cached

    def raw(self, layer: str, start: int, stop: int) -> np.ndarray:
        start, stop = check_range(start, stop, self._T, "values range")
        return self.layer(layer).raw(start, stop)

    def values(self, layer: str, start: int, stop: int, transform: str | None = None) -> np.ndarray:
        """float32 (stop - start, D): the layer's values through `transform` (None: its own)."""
        transform = check_transform(transform, self.transform(layer))
        start, stop = check_range(start, stop, self._T, "values range")
        return self.layer(layer).values(start, stop, transform)

    # -- annotations -------------------------------------------------------------------------
    @property
    def annotations(self) -> list[str]:
        return list(self._parts.annotations)

    def annotation_source(self, name: str):
        try:
            return self._parts.annotations[name]
        except (KeyError, TypeError):
            raise ValueError(f"annotation {name!r} is unknown; annotations are {self.annotations}") from None

    def annotation_codes(self, name: str) -> np.ndarray:
        """The whole annotation as an array: category ids (categorical) or float32 (scalar)."""
        src = self.annotation_source(name)
        if self._pid != os.getpid():
            self._pid, self._arrays, self._layers, self._annotation_cache = os.getpid(), {}, {}, {}
        if name not in self._annotation_cache:
            with h5py.File(src.file, "r") as f:
                data = np.asarray(f[src.h5path][()]).reshape(-1)
            if len(data) < self._T:
                raise ValueError(f"annotation {name!r} has {len(data)} values for {self._T} tokens")
            data = data[: self._T]
            data = data.astype(np.float32) if src.kind == "scalar" else data.astype(np.int64)
            data.setflags(write=False)
            self._annotation_cache[name] = data
        return self._annotation_cache[name]

    def annotation_labels(self, name: str) -> list:
        """Category labels of a categorical annotation, converted back to their value type."""
        src = self.annotation_source(name)
        conv = {"int": int, "bool": lambda s: s == "True"}.get(src.value_type, str)
        return [conv(x) for x in src.labels]

    def annotation(self, name: str, start: int, stop: int) -> list:
        start, stop = check_range(start, stop, self._T, "annotation range")
        codes = self.annotation_codes(name)[start:stop]
        src = self.annotation_source(name)
        if src.kind == "scalar":
            return codes.astype(float).tolist()
        labels = self.annotation_labels(name)
        return [labels[c] if 0 <= c < len(labels) else c for c in codes.tolist()]

    def annotation_kind(self, name: str) -> str:
        return self.annotation_source(name).kind


def open_folder(folder: Path) -> Dataset:
    """A write_dataset folder or an original LSTMVis folder (with lstm.yml)."""
    from .lstmvis_folder import read_lstmvis_folder
    from .store import DATA_FILE, read_own_folder
    folder = Path(folder)
    if not folder.exists():
        raise ValueError(f"dataset folder {folder} does not exist")
    if not folder.is_dir():
        raise ValueError(f"dataset path {folder} is not a folder")
    if (folder / DATA_FILE).exists():
        return Dataset(read_own_folder(folder))
    if (folder / "lstm.yml").exists():
        return Dataset(read_lstmvis_folder(folder))
    raise ValueError(f"{folder} holds neither {DATA_FILE} (write_dataset) nor lstm.yml (LSTMVis)")
