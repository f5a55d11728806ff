"""The datasets of a config, opened lazily in each process.

A dataset whose folder is missing or broken is reported (on the page through `Catalog.errors`, and
once in the log) while the others serve; a failed open is retried after a short while, so a dataset
that lands while the server runs becomes available without a restart. The registry holds shared,
read-only data only: no per-user state lives here.

Each `get` re-checks (by `stat`, a few system calls) the files an opened dataset was read from: a
file deleted, truncated or replaced while the server runs makes the dataset be opened again, which
either serves the new files (their index is rebuilt by fingerprint) or reports the error, in this
worker and in `/health`, while the other datasets keep serving.

A sharded entry (`shards:`, SPEC.md section 7) is opened as one dataset over all its shards, and the
files of every shard are watched; an entry's `cluster:` is the dask scheduler its matches run on.
"""
from __future__ import annotations

import gc
import logging
import os
import threading
import time

import numpy as np

from ..config import Config
from ..shards import open_entry
from . import data
from .state import Catalog, DatasetInfo, LayerInfo

log = logging.getLogger("lstmvis_dash.ui")
RETRY_SECONDS = 10.0


class Registry:
    def __init__(self, config: Config):
        self.config = config
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._datasets: dict = {}
        self._errors: dict = {}  # name -> (message, time)
        self._vocab_index: dict = {}
        self._stamps: dict = {}  # name -> {file: stat key} of the files the open dataset was read from

    @property
    def names(self) -> list[str]:
        return self.config.names()

    def _check_fork(self):
        if self._pid != os.getpid():  # a forked worker opens its own files
            self._pid, self._datasets, self._errors, self._vocab_index = os.getpid(), {}, {}, {}
            self._stamps = {}

    def get(self, name: str):
        """The opened Dataset; ValueError with the reason when it cannot be opened."""
        if name not in self.names:
            raise ValueError(f"dataset {name!r} is not in the config; datasets are {self.names}")
        with self._lock:
            self._check_fork()
            ds = self._datasets.get(name)
            if ds is not None:
                if _stamp(self._stamps.get(name, {})) == self._stamps.get(name):
                    return ds
                log.warning("dataset %r: its files changed on disk; opening it again", name)
                self._datasets.pop(name, None)
                self._vocab_index.pop(name, None)
                self._stamps.pop(name, None)
            err = self._errors.get(name)
            if err is not None and time.monotonic() - err[1] < RETRY_SECONDS:
                raise ValueError(err[0])
            entry = self.config.entry(name)
            try:
                before = _stamp(dict.fromkeys(_entry_files(entry)))
                ds = open_entry(entry)
                for layer in ds.layers:
                    ds.dims(layer)
            except Exception as e:  # noqa: BLE001 - any broken dataset must not stop the others
                where = entry.path if not entry.shards else f"{len(entry.shards)} shards from {entry.shards[0]}"
                msg = f"dataset {name!r} ({where}) cannot be opened: {e}"
                if err is None or err[0] != msg:
                    log.error("%s:%d: %s", self.config.file, entry.line, msg)
                self._errors[name] = (msg, time.monotonic())
                raise ValueError(msg) from None
            self._errors.pop(name, None)
            self._datasets[name] = ds
            # what is alive now (the modules, this dataset) lives as long as the process: kept out of
            # the collector's sight, a full collection in a request no longer walks it (0.2-0.9 s here)
            gc.freeze()
            # the folder's stamps are taken before reading: a file changed while it was read is seen
            self._stamps[name] = {**_stamp(dict.fromkeys(_entry_files(entry, ds))), **before}
            return ds

    def cluster(self, name: str) -> str:
        """The dask scheduler address of the entry's matches (its `cluster:`), "" for this process."""
        return self.config.entry(name).cluster if name in self.names else ""

    def error(self, name: str) -> str | None:
        try:
            self.get(name)
        except ValueError as e:
            return str(e)
        return None

    def info(self, name: str) -> DatasetInfo | None:
        try:
            ds = self.get(name)
        except ValueError:
            return None
        layers = {}
        for layer in ds.layers:
            own = ds.transform(layer)
            layers[layer] = LayerInfo(ds.dims(layer), own, data.offered_transforms(own),
                                      value_range=lambda t, layer=layer: self._value_range(name, layer, t))
        return DatasetInfo(name, len(ds), layers, tuple(ds.annotations))

    def _value_range(self, name: str, layer: str, transform: str):
        try:
            ds = self.get(name)
            return data.value_range(ds, layer, None if transform == ds.transform(layer) else transform)
        except ValueError:
            return None

    def catalog(self, names=None) -> Catalog:
        """What the URL parser needs; opens only the datasets asked for (all by default)."""
        infos, errors = {}, {}
        for n in self.names if names is None else names:
            infos[n] = self.info(n)
            if infos[n] is None:
                errors[n] = self.error(n)
        return Catalog(list(self.names), infos, errors)

    def vocab_index(self, name: str) -> dict:
        """token string -> vocabulary ids (a list: a vocabulary may repeat a string)."""
        ds = self.get(name)
        with self._lock:
            idx = self._vocab_index.get(name)
            if idx is None:
                idx = {}
                for i, tok in enumerate(ds.vocab.tolist()):
                    idx.setdefault(str(tok), []).append(i)
                self._vocab_index[name] = idx
        return idx


def _entry_files(entry, ds=None) -> list[str]:
    """The files of every folder of the entry (each shard's, for a sharded one)."""
    shards = getattr(ds, "shards", None) if ds is not None else None
    datasets = shards if shards is not None else [ds] * len(entry.folders)
    return sorted({f for folder, part in zip(entry.folders, datasets) for f in _source_files(folder, part)})


def _source_files(folder, ds=None) -> list[str]:
    """The files a dataset is read from: the folder's own files, and the layers' and annotations'."""
    files = set()
    try:
        with os.scandir(folder) as it:
            files.update(e.path for e in it if not e.name.startswith(".") and e.is_file())
    except OSError:
        pass
    if ds is not None:
        parts = ds._parts  # noqa: SLF001 - the registry is the engine's own client
        files.update(str(src.file) for src in list(parts.layers.values()) + list(parts.annotations.values()))
    return sorted(files)


def _stamp(files: dict) -> dict:
    """file -> stat identity (size, mtime, inode, ctime), or None when it cannot be stat'ed."""
    out = {}
    for f in files:
        try:
            st = os.stat(f)
            out[f] = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        except OSError:
            out[f] = None
    return out


def find_phrase(token_ids: np.ndarray, phrase_ids: list, limit: int) -> tuple[np.ndarray, int]:
    """Start positions where the token sequence matches; phrase_ids[k] is the set of ids allowed at k.

    Literal matching of whole tokens (never a regex). Returns (first `limit` starts, total count).
    """
    T, n = len(token_ids), len(phrase_ids)
    if n == 0 or n > T:
        return np.zeros(0, np.int64), 0
    span = T - n + 1
    ok = np.isin(token_ids[:span], phrase_ids[0])
    starts = np.flatnonzero(ok)
    for k in range(1, n):
        if len(starts) == 0:
            break
        starts = starts[np.isin(token_ids[starts + k], phrase_ids[k])]
    return starts[:limit].astype(np.int64), int(len(starts))
