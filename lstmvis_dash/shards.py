"""Sharded datasets (SPEC.md section 7): folders over consecutive stretches of one token sequence,
opened together as one `Dataset` with global positions.

Shard i starts where shard i-1 ends, and every shard start is a document start, so no candidate of
a match and no padding crosses a shard: each shard is matched on its own (here, or on a worker of a
cluster) and only the per-shard results are merged (engine.py). Everything else (tokens, values,
annotations, the row and code copies the views read) is a concatenating view over the shards.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .dataset import Dataset, check_range, open_folder
from .layers import ShardedLayer


@dataclass(frozen=True)
class ShardedArrays:
    rows: "ShardedArray | None"   # dense layers: the rows with global positions
    fingerprint: dict


class ShardedArray:
    """Read-only concatenation of the shards' (T_i, D) rows (axis 0) or (D, T_i) codes (axis 1)
    along the positions axis; indexed by a global position, a slice of them or an array of them
    (for codes: `[:, positions]`). Nothing is read before it is indexed."""

    def __init__(self, parts: list, offsets: np.ndarray, axis: int):
        self.parts, self.offsets, self.axis = parts, offsets, axis
        other = parts[0].shape[1 - axis]
        self.shape = (int(offsets[-1]), other) if axis == 0 else (other, int(offsets[-1]))
        dtypes = {np.dtype(p.dtype) for p in parts}
        self.dtype = dtypes.pop() if len(dtypes) == 1 else np.dtype(np.float32)
        self.ndim = 2

    def __len__(self) -> int:
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        out = self._positions(slice(None))
        return out if dtype is None else out.astype(dtype)

    def __getitem__(self, key):
        if self.axis == 0:
            if isinstance(key, tuple):
                return self._positions(key[0])[(slice(None),) + key[1:]]
            return self._positions(key)
        if not (isinstance(key, tuple) and len(key) == 2):
            raise IndexError("codes of a sharded dataset are indexed as [cells, positions]")
        return self._positions(key[1])[key[0]]

    def _piece(self, i: int, key):
        part = self.parts[i]
        return np.asarray(part[key] if self.axis == 0 else part[:, key], dtype=self.dtype)

    def _positions(self, key) -> np.ndarray:
        T, off, axis = int(self.offsets[-1]), self.offsets, self.axis
        if isinstance(key, (int, np.integer)):
            t = int(key) + (T if key < 0 else 0)
            if not 0 <= t < T:
                raise IndexError(f"position {key} is outside 0:{T}")
            i = int(np.searchsorted(off, t, side="right")) - 1
            return self._piece(i, t - int(off[i]))
        if isinstance(key, slice):
            start, stop, step = key.indices(T)
            if step != 1:
                return self._positions(np.arange(start, stop, step))
            pieces = []
            for i in range(len(self.parts)):
                lo, hi = max(start, int(off[i])), min(stop, int(off[i + 1]))
                if lo < hi:
                    pieces.append(self._piece(i, slice(lo - int(off[i]), hi - int(off[i]))))
            if not pieces:
                shape = (0, self.shape[1]) if axis == 0 else (self.shape[0], 0)
                return np.empty(shape, self.dtype)
            return pieces[0] if len(pieces) == 1 else np.concatenate(pieces, axis=axis)
        idx = np.asarray(key)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        idx = np.where(idx < 0, idx + T, idx).astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= T):
            raise IndexError(f"positions outside 0:{T}")
        shard = np.searchsorted(off, idx, side="right") - 1
        shape = (len(idx), self.shape[1]) if axis == 0 else (self.shape[0], len(idx))
        out = np.empty(shape, self.dtype)
        for i in np.unique(shard):
            where = np.flatnonzero(shard == i)
            local = idx[where] - int(off[i])
            order = np.argsort(local, kind="stable")   # h5py and memory maps like sorted reads
            piece = self._piece(int(i), local[order])
            if axis == 0:
                out[where[order]] = piece
            else:
                out[:, where[order]] = piece
        return out


class ShardedDataset(Dataset):
    """Several shards as one dataset (see the module docstring); made by `open_shards`."""

    def __init__(self, shards: list[Dataset], paths: list[Path]):
        self.shards = shards
        self.paths = paths
        first = shards[0]
        self.name = first.name
        self.description = first.description
        self.folder = first.folder
        self.offsets = np.cumsum([0] + [len(s) for s in shards]).astype(np.int64)
        self.offsets.setflags(write=False)
        self._T = int(self.offsets[-1])
        self._documents = np.concatenate([s.documents + o for s, o in zip(shards, self.offsets)])
        self._documents.setflags(write=False)
        self._parts = first._parts  # layer and annotation sources: identical across shards but for the files
        self._merged = {}
        self._pid, self._arrays, self._layers, self._annotation_cache = None, {}, {}, {}

    def __repr__(self) -> str:
        return f"<Dataset {self.name!r}: T={self._T}, {len(self.shards)} shards, layers={self.layers}>"

    def shard_of(self, t: int) -> int:
        return int(np.searchsorted(self.offsets, t, side="right")) - 1

    # -- tokens ------------------------------------------------------------------------------
    def _vocabulary(self):
        """One vocabulary for all shards (each string once, in order of first appearance) and the
        global token ids into it; built on first use."""
        if "vocab" not in self._merged:
            ids_of, ids = {}, []
            for s in self.shards:
                local = np.array([ids_of.setdefault(str(w), len(ids_of)) for w in s.vocab.tolist()], np.int64)
                ids.append(local[np.asarray(s.token_ids)])
            vocab = np.array(list(ids_of), dtype=object)
            token_ids = np.concatenate(ids)
            token_ids.setflags(write=False)
            self._merged["vocab"] = (vocab, token_ids)
        return self._merged["vocab"]

    def tokens(self, start: int, stop: int) -> list[str]:
        start, stop = check_range(start, stop, self._T, "tokens range")
        out = []
        for i, s in enumerate(self.shards):
            lo, hi = max(start, int(self.offsets[i])), min(stop, int(self.offsets[i + 1]))
            if lo < hi:
                out.extend(s.tokens(lo - int(self.offsets[i]), hi - int(self.offsets[i])))
        return out

    @property
    def token_ids(self) -> np.ndarray:
        return self._vocabulary()[1]

    @property
    def vocab(self) -> np.ndarray:
        return self._vocabulary()[0]

    # -- states ------------------------------------------------------------------------------
    def arrays(self, layer: str) -> ShardedArrays:
        """The shards' index files as one view: their fingerprints (rebuilt when one shard's is) and,
        for a dense layer, the rows with global positions. Each shard keeps its own codes (their
        edges are per cell and per shard), so queries go through `layer()`."""
        parts = [s.arrays(layer) for s in self.shards]
        cached = self._arrays.get(layer)
        if cached is not None and all(a is b for a, b in zip(cached[0], parts)):
            return cached[1]
        rows = ShardedArray([p.rows for p in parts], self.offsets, 0) if hasattr(parts[0], "rows") else None
        view = ShardedArrays(rows, {"shards": [p.fingerprint for p in parts]})
        self._arrays[layer] = (parts, view)
        return view

    def layer(self, layer: str) -> ShardedLayer:
        """Select, values, thresholds and statistics over all shards, read by each shard's own layer."""
        arrays = self.arrays(layer)
        cached = self._layers.get(layer)
        if cached is None or cached.arrays is not arrays:
            cached = self._layers[layer] = ShardedLayer([s.layer(layer) for s in self.shards], self.offsets,
                                                        self.transform(layer), arrays)
        return cached

    # -- annotations -------------------------------------------------------------------------
    def annotation_labels(self, name: str) -> list:
        """The union of the shards' category labels, in order of first appearance."""
        src = self.annotation_source(name)
        if src.kind == "scalar":
            return []
        return self._categories(name)[0]

    def _categories(self, name: str):
        """(union labels, per shard: local category id -> union id)."""
        key = ("labels", name)
        if key not in self._merged:
            union, maps = {}, []
            for s in self.shards:
                maps.append(np.array([union.setdefault(x, len(union)) for x in s.annotation_labels(name)], np.int64))
            self._merged[key] = (list(union), maps)
        return self._merged[key]

    def annotation_codes(self, name: str) -> np.ndarray:
        key = ("codes", name)
        if key not in self._merged:
            src = self.annotation_source(name)
            pieces = [s.annotation_codes(name) for s in self.shards]
            if src.kind != "scalar":
                maps = self._categories(name)[1]
                pieces = [np.where((c >= 0) & (c < len(m)), m[np.clip(c, 0, max(len(m) - 1, 0))], c)
                          if len(m) else c for c, m in zip(pieces, maps)]
            data = np.concatenate(pieces)
            data.setflags(write=False)
            self._merged[key] = data
        return self._merged[key]


def _describe_layer(ds: Dataset, layer: str) -> dict:
    return {"cells": ds.dims(layer), "transform": ds.transform(layer)}


def check_shards_agree(shards: list[Dataset], paths: list[Path]) -> None:
    """ValueError naming the shard and what differs from shard 0: layers, dims, transforms, annotations."""
    first, p0 = shards[0], paths[0]
    for i, (s, p) in enumerate(zip(shards, paths)):
        if i == 0:
            continue
        where = f"shard {i} ({p})"
        if s.layers != first.layers:
            raise ValueError(f"{where} has layers {s.layers}, shard 0 ({p0}) has {first.layers}")
        for layer in first.layers:
            mine, theirs = _describe_layer(s, layer), _describe_layer(first, layer)
            for what in ("cells", "transform"):
                if mine[what] != theirs[what]:
                    raise ValueError(f"{where}: layer {layer!r} has {what} {mine[what]!r}, "
                                     f"shard 0 ({p0}) has {theirs[what]!r}")
        if s.annotations != first.annotations:
            raise ValueError(f"{where} has annotations {s.annotations}, shard 0 ({p0}) has {first.annotations}")
        for name in first.annotations:
            if s.annotation_kind(name) != first.annotation_kind(name):
                raise ValueError(f"{where}: annotation {name!r} is {s.annotation_kind(name)}, "
                                 f"shard 0 ({p0}) has it {first.annotation_kind(name)}")


def open_shards(paths, name: str | None = None, description: str | None = None) -> Dataset:
    """Several dataset folders (write_dataset or LSTMVis folders) as one dataset (SPEC.md section 7)."""
    if isinstance(paths, (str, Path)) or not hasattr(paths, "__iter__"):
        raise ValueError(f"shards must be a list of dataset folders, got {paths!r}")
    paths = [Path(p) for p in paths]
    if not paths:
        raise ValueError("shards must name at least one dataset folder")
    shards = []
    for i, p in enumerate(paths):
        try:
            shards.append(open_folder(p))
        except ValueError as e:
            raise ValueError(f"shard {i} ({p}): {e}") from None
    check_shards_agree(shards, paths)
    ds = ShardedDataset(shards, paths)
    if name:
        ds.name = name
    if description:
        ds.description = description
    return ds


def open_entry(entry) -> Dataset:
    """The dataset of a datasets.yml entry (config.DatasetEntry): its folder or its shards, under the
    entry's name and description."""
    ds = open_shards(entry.shards) if entry.shards else open_folder(entry.path)
    ds.name = entry.name
    if entry.description:
        ds.description = entry.description
    return ds
