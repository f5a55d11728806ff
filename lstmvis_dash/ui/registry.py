"""The datasets of a config, opened lazily in each process.

A dataset whose folder is missing or broken is reported (on the page through `Catalog.errors`, and
once in the log) while the others serve; a failed open is retried after a short while, so a dataset
that lands while the server runs becomes available without a restart. The registry holds shared,
read-only data only: no per-user state lives here.
"""
from __future__ import annotations

import logging
import os
import threading
import time

import numpy as np

from ..config import Config
from ..dataset import open_folder
from . import urlstate

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

    @property
    def names(self) -> list[str]:
        return self.config.names()

    def _check_fork(self):
        if self._pid != os.getpid():  # a forked worker opens its own files
            self._pid, self._datasets, self._errors, self._vocab_index = os.getpid(), {}, {}, {}

    def get(self, name: str):
        """The opened Dataset; ValueError with the reason when it cannot be opened."""
        if name not in self.names:
            raise ValueError(f"dataset {name!r} is not in the config; datasets are {self.names}")
        with self._lock:
            self._check_fork()
            ds = self._datasets.get(name)
            if ds is not None:
                return ds
            err = self._errors.get(name)
            if err is not None and time.monotonic() - err[1] < RETRY_SECONDS:
                raise ValueError(err[0])
            entry = self.config.entry(name)
            try:
                ds = open_folder(entry.path)
                ds.name = entry.name
                if entry.description:
                    ds.description = entry.description
                for layer in ds.layers:
                    ds.dims(layer)
            except Exception as e:  # noqa: BLE001 - any broken dataset must not stop the others
                msg = f"dataset {name!r} ({entry.path}) cannot be opened: {e}"
                if err is None or err[0] != msg:
                    log.error("%s:%d: %s", self.config.file, entry.line, msg)
                self._errors[name] = (msg, time.monotonic())
                raise ValueError(msg) from None
            self._errors.pop(name, None)
            self._datasets[name] = ds
            return ds

    def error(self, name: str) -> str | None:
        try:
            self.get(name)
        except ValueError as e:
            return str(e)
        return None

    def info(self, name: str) -> urlstate.DatasetInfo | None:
        try:
            ds = self.get(name)
        except ValueError:
            return None
        layers = {layer: urlstate.LayerInfo(ds.dims(layer), ds.transform(layer)) for layer in ds.layers}
        return urlstate.DatasetInfo(name, len(ds), layers, tuple(ds.annotations))

    def catalog(self, names=None) -> urlstate.Catalog:
        """What the URL parser needs; opens only the datasets asked for (all by default)."""
        infos, errors = {}, {}
        for n in self.names if names is None else names:
            infos[n] = self.info(n)
            if infos[n] is None:
                errors[n] = self.error(n)
        return urlstate.Catalog(list(self.names), infos, errors)

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
