"""Writing sharded datasets (SPEC.md section 7), and `python -m lstmvis_dash shard`.

    python -m lstmvis_dash shard SRC --shards N --out DIR

cuts a dataset folder (write_dataset or LSTMVis) into N folders DIR/part-000 ... at the document
starts nearest to equal sizes, every shard holding whole documents, and prints the `shards:` entry
for datasets.yml. States are copied block by block (bounded memory, any T). `convert --shards N`
and `extract(..., shard_tokens=M)` write shards directly (`write_shards`, `ShardWriter`).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import h5py
import numpy as np

from .progress import Progress


def shard_name(i: int) -> str:
    return f"part-{i:03d}"


def cut_points(documents, T: int, n: int) -> list[int]:
    """Shard starts: for each of n equal shares, the document start nearest to it (so every shard
    starts a document); fewer shards when there are fewer documents than n."""
    documents = np.asarray(documents, np.int64)
    starts = [0]
    for i in range(1, n):
        target = T * i / n
        k = int(np.searchsorted(documents, target))
        near = [d for d in documents[max(0, k - 1):k + 1].tolist() if d > starts[-1]]
        if near:
            starts.append(min(near, key=lambda d: (abs(d - target), d)))
    return sorted(set(starts))


class _RowSlice:
    """Rows lo:hi of a (T, D) array-like (numpy, memory map, h5py dataset), read when sliced."""

    def __init__(self, array, lo: int, hi: int):
        self.array, self.lo = array, lo
        self.shape = (hi - lo, array.shape[1])
        self.dtype = array.dtype

    def __getitem__(self, key):
        start, stop, _ = key.indices(self.shape[0]) if isinstance(key, slice) else (key, key + 1, 1)
        return np.asarray(self.array[self.lo + start:self.lo + stop])


def write_shards(out, tokens, states, *, documents=None, annotations=None, transforms=None, name=None,
                 description=None, shards: int, progress: bool = True) -> list[Path]:
    """write_dataset's arguments, written as `shards` folders out/part-NNN cut at document starts."""
    from .store import write_dataset
    if isinstance(shards, bool) or not isinstance(shards, (int, np.integer)) or shards < 1:
        raise ValueError(f"shards must be a whole number >= 1, got {shards!r}")
    T = len(tokens)
    documents = [0] if documents is None or len(documents) == 0 else list(documents)
    starts = cut_points(documents, T, int(shards)) + [T]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    with Progress(f"writing {len(starts) - 1} shards", T, stream=None if progress else _Quiet()) as bar:
        for i, (lo, hi) in enumerate(zip(starts[:-1], starts[1:])):
            docs = [d - lo for d in documents if lo <= d < hi]
            paths.append(write_dataset(
                out / shard_name(i), list(tokens[lo:hi]), {k: _RowSlice(v, lo, hi) for k, v in states.items()},
                documents=docs, annotations={k: list(v[lo:hi]) for k, v in (annotations or {}).items()},
                transforms=transforms, name=f"{name}-{i:03d}" if name else None, description=description))
            bar.update(hi - lo)
    return paths


class _Quiet:
    def write(self, _):
        pass

    def flush(self):
        pass


def shard_folder(src, out, shards: int, progress: bool = True) -> list[Path]:
    """Cut the dataset folder `src` into `shards` folders under `out`."""
    from .dataset import open_folder
    ds = open_folder(Path(src))
    T = len(ds)
    files, states = [], {}
    try:
        for layer in ds.layers:
            lsrc = ds.layer_source(layer)
            f = h5py.File(lsrc.file, "r")
            files.append(f)
            d = f[lsrc.h5path]
            states[layer] = d if d.shape[0] == T else _RowSlice(d, 0, T)
        annotations = {a: ds.annotation(a, 0, T) for a in ds.annotations}
        return write_shards(out, ds.tokens(0, T), states, documents=ds.documents.tolist(), annotations=annotations,
                            transforms={layer: ds.transform(layer) for layer in ds.layers}, name=ds.name,
                            description=ds.description, shards=shards, progress=progress)
    finally:
        for f in files:
            f.close()


class ShardWriter:
    """DatasetWriter's interface (add, close, abort, with), writing a new shard folder out/part-NNN
    at the first document start after every `shard_tokens` tokens."""

    def __init__(self, out, shard_tokens: int, **writer_kwargs):
        from .writer import DatasetWriter
        if isinstance(shard_tokens, bool) or not isinstance(shard_tokens, (int, np.integer)) or shard_tokens < 1:
            raise ValueError(f"shard_tokens must be a whole number >= 1, got {shard_tokens!r}")
        self.out, self.shard_tokens, self._kwargs = Path(out), int(shard_tokens), writer_kwargs
        self._new = DatasetWriter
        self.out.mkdir(parents=True, exist_ok=True)
        self.paths: list[Path] = []
        self._writer = None
        self._written = 0   # tokens in the shards already closed

    def __len__(self) -> int:
        return self._written + (len(self._writer) if self._writer is not None else 0)

    def add(self, tokens, states, *, annotations=None, new_document: bool = True) -> None:
        if len(tokens) == 0:
            return
        if self._writer is not None and new_document and len(self._writer) >= self.shard_tokens:
            self._written += len(self._writer)
            self.paths.append(self._writer.close())
            self._writer = None
        if self._writer is None:
            kwargs = dict(self._kwargs)
            if kwargs.get("name"):
                kwargs["name"] = f"{kwargs['name']}-{len(self.paths):03d}"
            self._writer = self._new(self.out / shard_name(len(self.paths)), **kwargs)
            new_document = True
        self._writer.add(tokens, states, annotations=annotations, new_document=new_document)

    def close(self) -> list[Path]:
        if self._writer is not None:
            self._written += len(self._writer)
            self.paths.append(self._writer.close())
            self._writer = None
        if not self.paths:
            raise ValueError("no tokens were written")
        return self.paths

    def abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
            self._writer = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()


def run(args) -> int:
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        print(f"shard: error: --out {out} is not empty; pass --force to write into it", file=sys.stderr)
        return 2
    try:
        paths = shard_folder(args.src, out, args.shards)
    except ValueError as e:
        print(f"shard: error: {e}", file=sys.stderr)
        return 2
    print(f"{len(paths)} shards in {out}; for datasets.yml:")
    print("    shards: [" + ", ".join(str(p) for p in paths) + "]")
    return 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("shard", help="cut a dataset into shards at document boundaries",
                              description=__doc__.split("\n\n", 1)[1].split("\n\n", 1)[1])
    p.add_argument("src", metavar="SRC", help="a dataset folder (write_dataset or LSTMVis)")
    p.add_argument("--shards", type=int, required=True, help="how many shards (fewer if there are fewer documents)")
    p.add_argument("--out", required=True, help="the folder to write part-000, part-001, ... into")
    p.add_argument("--force", action="store_true", help="write into a non-empty --out")
    p.set_defaults(run=run)
    return p
