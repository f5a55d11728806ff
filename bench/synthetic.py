"""Synthetic benchmark datasets with realistic on/off runs (shared by the bench scripts).

Each cell is on while two independent two-state Markov chains are both up (so about a quarter of
the time, in runs of a cell-specific mean length between 1 and 25 steps), with noisy values: on
values are tanh(U(0.35, 2)), off values tanh(N(-0.2, 0.35)) (so ~7% of off steps spike over 0.3,
breaking runs as real cells do). Tokens follow a Zipf law over 10,000 words; documents are 200 to
5,000 tokens long. Generation is sequential in blocks, so any T fits in memory.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import lstmvis_dash as lv  # noqa: E402

DATA = ROOT / "bench" / "data"


class MarkovStates:
    """An array-like (T, D) that generates its rows block by block, in order (for write_dataset)."""

    def __init__(self, T: int, D: int, seed: int = 0, dtype=np.float32):
        self.shape, self.dtype = (T, D), np.dtype(dtype)
        rng = np.random.default_rng(seed)
        self._p = np.exp(rng.uniform(np.log(1 / 50), np.log(1 / 2), (2, D)))
        self._state = rng.random((2, D)) < 0.5
        self._rng = rng
        self._next = 0

    def __getitem__(self, key):
        start, stop = key.start or 0, min(key.stop, self.shape[0])
        if start != self._next:
            raise IndexError("MarkovStates is read once, in order")
        n, D = stop - start, self.shape[1]
        rng = self._rng
        chains = []
        for i in range(2):
            flips = np.cumsum(rng.random((n, D)) < self._p[i], axis=0) & 1
            chain = self._state[i] ^ flips.astype(bool)
            self._state[i] = chain[-1]
            chains.append(chain)
        on = chains[0] & chains[1]
        raw = np.where(on, rng.uniform(0.35, 2.0, (n, D)), rng.normal(-0.2, 0.35, (n, D)))
        self._next = stop
        return raw.astype(self.dtype)


def document_starts(rng, T: int, documents: int | None) -> list[int]:
    """Start offsets: `documents` equal parts, or (None) documents of 200 to 5,000 tokens."""
    if documents is not None:
        return sorted({T * i // documents for i in range(documents)})
    docs, t = [0], 0
    while True:
        t += int(rng.integers(200, 5000))
        if t >= T:
            return docs
        docs.append(t)


def build(name: str, T: int, D: int = 650, seed: int = 0, dtype=np.float32, documents: int | None = None) -> Path:
    """Write (once) the dataset bench/data/<name>; reused when it is already there."""
    folder = DATA / name
    if (folder / "dataset.h5").exists():
        return folder
    rng = np.random.default_rng(seed + 1)
    words = np.array([f"w{i}" for i in range(10_000)], dtype=object)
    ranks = np.minimum(rng.zipf(1.3, T), 10_000) - 1
    tokens = words[ranks]
    docs = document_starts(rng, T, documents)
    print(f"building {folder} (T={T:,}, D={D}) ...", file=sys.stderr)
    lv.write_dataset(folder, tokens.tolist(), {"cells": MarkovStates(T, D, seed, dtype)},
                     documents=docs, name=name, description="synthetic Markov on/off states")
    return folder


def build_shards(name: str, T: int, D: int, n_shards: int, dtype=np.float16, only=None) -> list[Path]:
    """Write (once) n_shards folders bench/data/<name>/part-NNN of about T / n_shards tokens each,
    as consecutive stretches of one synthetic corpus (documents of 200 to 5,000 tokens, each shard
    its own generator seed, so shards can be written in parallel: `only` builds just those)."""
    paths = []
    for i in range(n_shards):
        lo, hi = T * i // n_shards, T * (i + 1) // n_shards
        folder = DATA / name / f"part-{i:03d}"
        paths.append(folder)
        if (folder / "dataset.h5").exists() or (only is not None and i not in only):
            continue
        rng = np.random.default_rng(1000 + i)
        words = np.array([f"w{j}" for j in range(10_000)], dtype=object)
        tokens = words[np.minimum(rng.zipf(1.3, hi - lo), 10_000) - 1]
        print(f"building {folder} ({hi - lo:,} tokens, D={D}) ...", file=sys.stderr)
        lv.write_dataset(folder, tokens.tolist(), {"cells": MarkovStates(hi - lo, D, 100 + i, dtype)},
                         documents=document_starts(rng, hi - lo, None), name=f"{name}-{i:03d}",
                         description="synthetic Markov on/off states, one shard")
    return paths
