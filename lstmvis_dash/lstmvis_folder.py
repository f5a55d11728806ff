"""Reads a folder of the original LSTMVis tool (lstm.yml + HDF5 + .dict files) unchanged.

Supported, as that tool's documentation describes them: `files` aliases, `word_sequence` (word ids,
which start at 1, with a `token id` dict; a line holding only an id stands for the space token),
`states.types` (each `file::path` becomes a layer; `transform:` none, zscore or quantile honoured,
tanh otherwise) and
`meta` annotations of vis type `discrete` (with a dict, or raw ids) and `scalar`.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

import h5py
import numpy as np
import yaml

from .store import AnnotationSource, DatasetParts, LayerSource
from .thresholds import TRANSFORMS

log = logging.getLogger(__name__)
_DICT_LINE = re.compile(r"^(.*?)[ \t]+(-?\d+)[ \t]*$")


def read_dict(path: Path) -> dict[int, str]:
    """`token id` per line; a line with nothing before the id is the space token."""
    mapping = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            body = line.rstrip("\r\n")
            if not body.strip():
                continue
            m = _DICT_LINE.match(body)
            if not m:
                raise ValueError(f"{path}:{lineno}: expected 'token id', got {body!r}")
            mapping[int(m.group(2))] = m.group(1) if m.group(1) != "" else " "
    return mapping


def _vocab_from_dict(mapping: dict[int, str], ids: np.ndarray) -> list[str]:
    top = max([int(ids.max(initial=0))] + list(mapping))
    return [mapping.get(i, f"<unk:{i}>") for i in range(top + 1)]


def read_lstmvis_folder(folder: Path) -> DatasetParts:
    cfg_path = folder / "lstm.yml"
    try:
        cfg = yaml.safe_load(cfg_path.read_text())
    except yaml.YAMLError as e:
        raise ValueError(f"{cfg_path}: not valid YAML ({e})") from None
    if not isinstance(cfg, dict):
        raise ValueError(f"{cfg_path}: expected a mapping at the top")
    files = cfg.get("files") or {}
    if not isinstance(files, dict):
        raise ValueError(f"{cfg_path}: 'files' must map aliases to file names")

    def resolve(alias, where):
        if alias not in files:
            raise ValueError(f"{cfg_path}: {where} names file alias {alias!r}, not in files {sorted(files)}")
        p = folder / str(files[alias])
        if not p.exists():
            raise ValueError(f"{cfg_path}: {where}: file {p} does not exist")
        return p

    def h5_shape(path, h5path, where):
        try:
            with h5py.File(path, "r") as f:
                if h5path not in f:
                    raise ValueError(f"{cfg_path}: {where}: {path.name} has no dataset {h5path!r}")
                return f[h5path].shape, f[h5path].dtype
        except OSError as e:
            raise ValueError(f"{cfg_path}: {where}: {path} is not a readable HDF5 file ({e})") from None

    ws = cfg.get("word_sequence")
    if not isinstance(ws, dict) or "file" not in ws or "path" not in ws:
        raise ValueError(f"{cfg_path}: word_sequence needs 'file' and 'path'")
    ws_file = resolve(ws["file"], "word_sequence")
    h5_shape(ws_file, ws["path"], "word_sequence")
    with h5py.File(ws_file, "r") as f:
        ids = np.asarray(f[ws["path"]][()]).reshape(-1).astype(np.int64)
    if "dict_file" in ws:
        vocab = _vocab_from_dict(read_dict(resolve(ws["dict_file"], "word_sequence.dict_file")), ids)
    else:
        vocab = [str(i) for i in range(int(ids.max(initial=0)) + 1)]
    if len(ids) == 0 or ids.min() < 0:
        raise ValueError(f"{cfg_path}: word_sequence must hold non-negative word ids")

    states = cfg.get("states")
    if not isinstance(states, dict) or not isinstance(states.get("types"), list) or not states["types"]:
        raise ValueError(f"{cfg_path}: states needs a non-empty 'types' list")
    T = len(ids)
    found = []
    for i, st in enumerate(states["types"]):
        where = f"states.types[{i}]"
        if not isinstance(st, dict) or "path" not in st:
            raise ValueError(f"{cfg_path}: {where} needs a 'path'")
        alias = st.get("file", states.get("file"))
        path = resolve(alias, where)
        shape, dtype = h5_shape(path, st["path"], where)
        if len(shape) != 2:
            raise ValueError(f"{cfg_path}: {where}: {path.name} dataset {st['path']!r} must be 2-D (T, D), "
                             f"got shape {shape}")
        transform = st.get("transform", "tanh")
        found.append((f"{alias}::{st['path']}", path, st["path"], transform if transform in TRANSFORMS else "tanh",
                      shape, dtype))
        T = min(T, shape[0])
    layers = {lid: LayerSource(lid, p, h5p, tr, (T, shape[1]), dtype)
              for lid, p, h5p, tr, shape, dtype in found}
    if T < len(ids):
        log.warning("%s: %d words but states for %d; using the first %d", cfg_path, len(ids), T, T)

    annos = {}
    for mname, info in (cfg.get("meta") or {}).items():
        where = f"meta.{mname}"
        if not isinstance(info, dict) or "file" not in info or "path" not in info:
            raise ValueError(f"{cfg_path}: {where} needs 'file' and 'path'")
        if info.get("type", "general") != "general" or info.get("index", "self") != "self":
            log.warning("%s: %s: only per-token ('general', index 'self') meta is shown; skipped", cfg_path, where)
            continue
        path = resolve(info["file"], where)
        shape, _ = h5_shape(path, info["path"], where)
        if shape[0] < T:
            raise ValueError(f"{cfg_path}: {where} has {shape[0]} values for {T} tokens")
        vis = (info.get("vis") or {}).get("type", "discrete")
        if vis == "scalar":
            annos[str(mname)] = AnnotationSource(str(mname), "scalar", path, info["path"], (), "float")
        else:
            with h5py.File(path, "r") as f:
                raw_ids = np.asarray(f[info["path"]][()]).reshape(-1)[:T].astype(np.int64)
            if "dict" in info:
                mapping = read_dict(resolve(info["dict"], where + ".dict"))
                labels = tuple(_vocab_from_dict(mapping, raw_ids))
                annos[str(mname)] = AnnotationSource(str(mname), "categorical", path, info["path"], labels, "str")
            else:
                labels = tuple(str(i) for i in range(int(raw_ids.max(initial=0)) + 1))
                annos[str(mname)] = AnnotationSource(str(mname), "categorical", path, info["path"], labels, "int")
    return DatasetParts(str(cfg.get("name", folder.name)), str(cfg.get("description", "")), folder,
                        ids[:T], vocab, np.array([0]), layers, annos)
