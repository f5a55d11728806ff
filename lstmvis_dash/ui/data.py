"""What the views read from the engine, for a view state: S1, the window's lines, the matches.
No Dash here. Results are kept in small per-process LRU caches (read-only data, keyed by the
layer's file fingerprint, so a dataset reopened after its files changed is never served stale).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

import lstmvis_dash as lv

from ..cluster import client_for
from ..guide import cell_guide
from ..thresholds import TRANSFORMS
from .lru import LRUCache

MAX_LINES = 3000        # lines drawn in the select plot at most (the strongest in the window)
TOP = 50

_matches = LRUCache(16)
_ranges = LRUCache(64)


def offered_transforms(own: str) -> tuple:
    """The transforms a layer can be viewed through: its own and those the engine accepts."""
    return tuple(dict.fromkeys((own,) + tuple(TRANSFORMS)))


def transform_kwargs(transform: str | None) -> dict:
    """transform= for the engine calls; None (the layer's own) is not passed at all."""
    return {} if transform is None else {"transform": transform}


def version(ds, layer: str) -> str:
    """The layer's file fingerprint: id(ds) alone may be reused by a Dataset reopened after a change."""
    return json.dumps(ds.arrays(layer).fingerprint, sort_keys=True)


def values(ds, layer: str, start: int, stop: int, transform: str | None = None) -> np.ndarray:
    return ds.values(layer, start, stop, **transform_kwargs(transform))


def select(ds, layer: str, sel, pad, threshold: float, transform: str | None = None) -> np.ndarray:
    """S1 of a hypothesis (all cells of lv.select), before the hand-made exclusions."""
    if not sel:
        return np.zeros(0, np.int64)
    return lv.select(ds, layer, int(sel[0]), int(sel[1]), float(threshold), pad_left=int(pad[0]),
                     pad_right=int(pad[1]), **transform_kwargs(transform))


def matches(ds, layer: str, cells, threshold: float, pad, length: int | None = None,
            transform: str | None = None, top: int | None = TOP, cluster: str = ""):
    """lv.match of a cell set, filtered to one length when `length` is set (cached).

    `cluster`: the dask scheduler address of the dataset's entry ("" = this process); the answer is
    the same either way, so it is not part of the cache key. Raises lv.ClusterError when the
    cluster cannot answer (nothing is cached then)."""
    cells = tuple(sorted({int(c) for c in cells}))
    kw = dict(pad_left=int(pad[0]), pad_right=int(pad[1]), top=top, **transform_kwargs(transform))
    if length is not None:
        kw.update(min_length=int(length), max_length=int(length))
    key = (ds.name, id(ds), version(ds, layer), layer, cells, float(threshold), tuple(sorted(kw.items())))

    def compute():
        client = client_for(cluster) if cluster else None
        return lv.match(ds, layer, list(cells), float(threshold), client=client, **kw)
    return _matches.get(key, compute)


def value_range(ds, layer: str, transform: str | None = None) -> tuple[float, float] | None:
    """(lo, hi) of the layer's values under `transform` over the whole dataset (cached): a threshold
    outside it turns no cell on, so the URL clamps to it. From the index's per-cell minima and
    maxima when they are exact (guide.cell_guide: sparse layers), else from one pass over the
    values in blocks. None when the layer holds no finite value."""
    def compute():
        g = cell_guide(ds, layer, np.arange(ds.dims(layer)), 0.0, transform) \
            if getattr(ds.layer_source(layer), "kind", "dense") == "sparse" else None
        if g is not None and g.exact:
            lo, hi = float(np.nanmin(g.quantiles[:, 0])), float(np.nanmax(g.quantiles[:, -1]))
        else:
            lo, hi = np.inf, -np.inf
            step = max(1, (32 << 20) // (4 * ds.dims(layer)))
            for s in range(0, len(ds), step):
                v = values(ds, layer, s, min(len(ds), s + step), transform)
                v = v[np.isfinite(v)]
                if v.size:
                    lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
        return (lo, hi) if np.isfinite(lo) and lo <= hi else None
    return _ranges.get((ds.name, id(ds), version(ds, layer), layer, transform), compute)


@dataclass
class Window:
    """The lines of the select plot for one window: `values` (W, n) of the drawn `cells` (every cell
    that is not zero, or missing, all through the window; the strongest MAX_LINES at most). `n_flat`
    cells are zero throughout and not drawn; `n_weak` active cells beyond MAX_LINES are left out."""
    values: np.ndarray
    cells: np.ndarray
    D: int
    n_flat: int = 0
    n_weak: int = 0
    _all: np.ndarray | None = None

    def columns(self, cells) -> np.ndarray:
        """(W, len(cells)) values of any cells of the layer (S1 is drawn whether it is active or not)."""
        return self._all[:, np.asarray(cells, np.int64)]


def window(ds, layer: str, pos: int, width: int, transform: str | None = None) -> Window:
    """The window's lines: a sparse dictionary layer has a few dozen active cells among tens of
    thousands, and only those are drawn."""
    v = values(ds, layer, pos, pos + width, transform)
    D = v.shape[1]
    finite = np.where(np.isfinite(v), v, 0)
    active = np.flatnonzero((finite != 0).any(axis=0))
    n_flat = D - len(active)
    if len(active) == D:
        return Window(v, active, D, 0, 0, v)
    shown = active
    if len(active) > MAX_LINES:
        peak = np.abs(finite[:, active]).max(axis=0)
        shown = np.sort(active[np.argsort(-peak, kind="stable")[:MAX_LINES]])
    return Window(v[:, shown], shown, D, n_flat, len(active) - len(shown), v)
