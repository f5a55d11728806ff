"""`python -m lstmvis_dash convert`: a tokens text file plus state files (.npy / .h5) to a dataset folder.

    python -m lstmvis_dash convert tokens.txt states_l0.npy states_l1.npy --out data/mine
    python -m lstmvis_dash convert words.txt --whitespace --documents lines \\
        model.h5:states/cell1 model.h5:states/hidden1 --layer-id c1 --layer-id h1 --out data/mine

Tokens: one token per line (a line is a token exactly as written, spaces included), or with
`--whitespace` separated by any whitespace. Documents: one (default); `--documents blank` starts a
new document after each blank line; `--documents lines` (with --whitespace) makes each line one.
States: one file per layer, (T, D) for the T tokens; `.npy` (memory-mapped, never loaded whole), or
`.h5`/`.hdf5` with `file.h5:path/to/dataset` (the path may be left out when the file holds exactly
one 2-D dataset). A layer's id is its file name without the extension, or the dataset's name, or
`--layer-id` (once per states file, in order).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from .thresholds import TRANSFORMS

H5_SUFFIXES = (".h5", ".hdf5", ".hdf")


class ConvertError(ValueError):
    """Bad input to `convert`, with a message that names what is wrong."""


# ----------------------------------------------------------------------------------------------
# tokens


def read_tokens(path, *, whitespace: bool = False, documents: str = "none") -> tuple[list, list]:
    """(tokens, document start offsets) from a text file."""
    path = Path(path)
    if documents not in ("none", "blank", "lines"):
        raise ConvertError(f"--documents must be none, blank or lines, got {documents!r}")
    if documents == "lines" and not whitespace:
        raise ConvertError("--documents lines needs --whitespace (with one token per line, a line is a token)")
    try:
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
    except FileNotFoundError:
        raise ConvertError(f"tokens file {path} does not exist") from None
    except IsADirectoryError:
        raise ConvertError(f"tokens file {path} is a folder") from None
    except UnicodeDecodeError as e:
        raise ConvertError(f"tokens file {path} is not UTF-8 text (byte {e.start}: {e.reason})") from None
    except OSError as e:
        raise ConvertError(f"tokens file {path}: cannot read it ({e.strerror})") from None
    lines = re.split(r"\r\n|\n|\r", text)
    if lines and lines[-1] == "":
        lines.pop()                                      # the final newline ends the last line
    tokens, docs, new_doc = [], [0], False
    blank_lines = []
    for number, line in enumerate(lines, 1):
        words = line.split() if whitespace else ([line] if line != "" else [])
        if not words:
            if documents == "blank":
                new_doc = True
            elif not whitespace:
                blank_lines.append(number)
            continue
        if (new_doc or documents == "lines") and tokens and docs[-1] != len(tokens):
            docs.append(len(tokens))
        new_doc = False
        tokens.extend(words)
    if blank_lines:
        shown = ", ".join(map(str, blank_lines[:5])) + (" ..." if len(blank_lines) > 5 else "")
        raise ConvertError(f"tokens file {path}: line {shown} is empty, and with one token per line an empty "
                           f"line is no token; remove it, or pass --documents blank if blank lines separate "
                           f"documents, or --whitespace")
    if not tokens:
        raise ConvertError(f"tokens file {path} holds no tokens")
    return tokens, docs


# ----------------------------------------------------------------------------------------------
# states


def _h5_datasets(f) -> list:
    import h5py
    found = []
    f.visititems(lambda name, obj: found.append(name) if isinstance(obj, h5py.Dataset) else None)
    return found


def open_states(spec: str, open_files: list):
    """(default layer id, array-like (T, D)) for a states spec: file.npy, file.h5 or file.h5:path, or
    file.npz as scipy.sparse.save_npz writes it (a sparse layer, e.g. SAE features)."""
    path, inner = spec, None
    m = re.match(r"^(.*?\.(?:h5|hdf5|hdf)):(.+)$", spec, flags=re.IGNORECASE)
    if m:
        path, inner = m.group(1), m.group(2)
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".npy", ".npz") + H5_SUFFIXES:
        raise ConvertError(f"states file {spec}: unknown kind {suffix or '(no extension)'}; give .npy, "
                           f".h5 or .hdf5 (file.h5:path/to/dataset), or a sparse .npz")
    if not p.exists():
        raise ConvertError(f"states file {p} does not exist")
    if p.is_dir():
        raise ConvertError(f"states file {p} is a folder")
    if suffix == ".npy":
        try:
            arr = np.load(p, mmap_mode="r", allow_pickle=False)
        except ValueError as e:
            raise ConvertError(f"states file {p}: not a plain numeric .npy array ({e})") from None
        except OSError as e:
            raise ConvertError(f"states file {p}: not a readable .npy file ({e})") from None
        return p.stem, arr
    if suffix == ".npz":
        import scipy.sparse as sp
        try:
            return p.stem, sp.load_npz(p)
        except (ValueError, OSError, KeyError) as e:
            raise ConvertError(f"states file {p}: not a scipy.sparse .npz (save_npz) file ({e})") from None
    import h5py
    try:
        f = h5py.File(p, "r")
    except OSError as e:
        raise ConvertError(f"states file {p}: not a readable HDF5 file ({e})") from None
    open_files.append(f)
    names = _h5_datasets(f)
    if inner is None:
        two_d = [n for n in names if len(f[n].shape) == 2]
        if len(two_d) != 1:
            raise ConvertError(f"states file {p} holds {len(two_d)} 2-D datasets {two_d[:10]}; say which with "
                               f"{p}:<dataset>")
        inner = two_d[0]
    obj = f.get(inner.strip("/"))
    import h5py as _h5
    if obj is None or not isinstance(obj, _h5.Dataset):
        raise ConvertError(f"states file {p} has no dataset {inner!r}; its datasets are {names[:20]}")
    return inner.strip("/").split("/")[-1], obj


def _check_states(spec: str, arr, T: int) -> None:
    shape = tuple(arr.shape)
    if np.dtype(arr.dtype).kind not in "fiu":
        raise ConvertError(f"states {spec}: values must be numbers, got {arr.dtype}")
    if len(shape) != 2:
        raise ConvertError(f"states {spec}: must be 2-D (tokens, cells), got shape {shape}")
    if shape[1] < 1:
        raise ConvertError(f"states {spec}: has no cells (shape {shape})")
    if shape[0] != T:
        hint = " (transposed? the first axis must be the tokens)" if shape[1] == T else ""
        raise ConvertError(f"states {spec}: has {shape[0]} rows but the tokens file has {T} tokens{hint}")


# ----------------------------------------------------------------------------------------------
# annotations


def read_annotation(name: str, path, T: int) -> np.ndarray:
    """One value per line; ints if all are ints, floats if all are numbers, else strings."""
    try:
        with open(path, encoding="utf-8") as f:
            values = f.read().splitlines()
    except FileNotFoundError:
        raise ConvertError(f"annotation {name!r}: file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConvertError(f"annotation {name!r}: cannot read {path} as UTF-8 text ({e})") from None
    if len(values) != T:
        raise ConvertError(f"annotation {name!r}: {path} has {len(values)} lines but there are {T} tokens "
                           f"(one value per line)")
    for conv in (int, float):
        try:
            return np.array([conv(v) for v in values])
        except ValueError:
            pass
    return np.array(values, dtype=object)


# ----------------------------------------------------------------------------------------------
# the command


def _transforms(values: list, layer_ids: list) -> dict | str:
    if not values:
        return {}
    out: dict = {}
    for v in values:
        if "=" in v:
            lid, tr = v.rsplit("=", 1)
            if lid not in layer_ids:
                raise ConvertError(f"--transform {v}: no layer {lid!r}; layers are {layer_ids}")
            if tr not in TRANSFORMS:
                raise ConvertError(f"--transform {v}: must be one of {', '.join(TRANSFORMS)}")
            out[lid] = tr
        elif v in TRANSFORMS:
            out.update({lid: v for lid in layer_ids})
        else:
            raise ConvertError(f"--transform {v}: give {', '.join(TRANSFORMS)}, or LAYER=TRANSFORM")
    return out


def convert(tokens, states: list, out, *, layer_ids=None, whitespace=False, documents="none",
            transforms=None, annotations=None, name=None, description=None, force=False, shards=None):
    """The `convert` command as a function; ConvertError (a ValueError) names what is wrong.

    Returns the dataset folder, or with `shards` the list of shard folders out/part-NNN."""
    from .store import DATA_FILE, write_dataset
    out = Path(out)
    if not states:
        raise ConvertError("give at least one states file")
    if layer_ids and len(layer_ids) != len(states):
        raise ConvertError(f"{len(layer_ids)} --layer-id for {len(states)} states files; give one per file, "
                           f"in the same order")
    if out.exists() and not out.is_dir():
        raise ConvertError(f"--out {out} exists and is not a folder")
    if shards is not None and out.is_dir() and any(out.iterdir()) and not force:
        raise ConvertError(f"--out {out} is not empty; the shards need an empty folder (or pass --force)")
    if shards is None and out.is_dir() and any(out.iterdir()):
        if not (out / DATA_FILE).exists():
            raise ConvertError(f"--out {out} is a non-empty folder that is not a dataset; choose another")
        if not force:
            raise ConvertError(f"--out {out} already holds a dataset; pass --force to replace it")
    toks, docs = read_tokens(tokens, whitespace=whitespace, documents=documents)
    files: list = []
    try:
        arrays = {}
        for k, spec in enumerate(states):
            default_id, arr = open_states(spec, files)
            _check_states(spec, arr, len(toks))
            lid = layer_ids[k] if layer_ids else default_id
            if not lid or lid.strip() != lid:
                raise ConvertError(f"layer id {lid!r} of {spec} must be non-empty without outer spaces")
            if lid in arrays:
                raise ConvertError(f"two states files have the layer id {lid!r}; name them with --layer-id "
                                   f"(once per states file)")
            arrays[lid] = arr
        annos = {}
        for entry in annotations or []:
            if "=" not in entry:
                raise ConvertError(f"--annotation {entry}: give NAME=FILE")
            aname, apath = entry.split("=", 1)
            if not aname or "/" in aname:
                raise ConvertError(f"--annotation {entry}: the name must be non-empty without '/'")
            annos[aname] = read_annotation(aname, apath, len(toks))
        trs = _transforms(list(transforms or []), list(arrays))
        if shards is not None:
            from .sharding import write_shards
            return write_shards(out, toks, arrays, annotations=annos, documents=docs, transforms=trs,
                                name=name, description=description, shards=shards)
        return write_dataset(out, toks, arrays, annotations=annos, documents=docs, transforms=trs,
                             name=name, description=description)
    finally:
        for f in files:
            f.close()


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register `convert` on the shared `python -m lstmvis_dash` parser."""
    p = subparsers.add_parser(
        "convert", help="tokens text file + state files (.npy/.h5) -> dataset folder",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("tokens", metavar="TOKENS", help="text file: one token per line (or --whitespace)")
    p.add_argument("states", metavar="STATES", nargs="+",
                   help="one per layer: file.npy, file.h5 or file.h5:path/to/dataset, shape (T, D)")
    p.add_argument("--out", required=True, metavar="FOLDER", help="the dataset folder to write")
    p.add_argument("--whitespace", action="store_true", help="tokens are separated by any whitespace")
    p.add_argument("--documents", choices=("none", "blank", "lines"), default="none",
                   help="none: one document (default); blank: a blank line starts a new one; "
                        "lines: each line is one (with --whitespace)")
    p.add_argument("--layer-id", action="append", metavar="ID", dest="layer_ids",
                   help="the id of each states file's layer, once per file in order "
                        "(default: the file name, or the HDF5 dataset's name)")
    p.add_argument("--transform", action="append", metavar="T", dest="transforms",
                   help="tanh (default), none, zscore or quantile for every layer, or LAYER=TRANSFORM; "
                        "repeatable")
    p.add_argument("--annotation", action="append", metavar="NAME=FILE", dest="annotations",
                   help="a per-token annotation: a text file with one value per line; repeatable")
    p.add_argument("--name", help="the dataset's display name (default: the folder name)")
    p.add_argument("--description", help="a one-line description")
    p.add_argument("--force", action="store_true", help="replace a dataset already in --out")
    p.add_argument("--shards", type=int, metavar="N",
                   help="write N shards --out/part-000, ... cut at document starts (SPEC.md section 7)")
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    try:
        out = convert(args.tokens, args.states, args.out, layer_ids=args.layer_ids, whitespace=args.whitespace,
                      documents=args.documents, transforms=args.transforms, annotations=args.annotations,
                      name=args.name, description=args.description, force=args.force, shards=args.shards)
    except ValueError as e:
        print(f"convert: error: {e}", file=sys.stderr)
        return 2
    from . import open_dataset, open_shards
    if args.shards is not None:
        ds = open_shards(out)
        print(f"wrote {len(out)} shards in {args.out}: {len(ds)} tokens in {len(ds.documents)} documents; "
              "for datasets.yml:\n    shards: [" + ", ".join(str(p) for p in out) + "]")
        return 0
    ds = open_dataset(out)
    layers = ", ".join(f"{lid} ({ds.dims(lid)})" for lid in ds.layers)
    print(f"wrote {out}: {len(ds)} tokens in {len(ds.documents)} documents, layers {layers}")
    return 0
