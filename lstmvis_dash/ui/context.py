"""What a component's `render` sees: the view state, what the page showed before, what triggered
the call, and the data of the state, computed at most once per call whichever views ask for it."""
from __future__ import annotations

import numpy as np

from . import data
from .state import Catalog, ViewState, effective_transform


class RenderContext:
    def __init__(self, registry, catalog: Catalog, state: ViewState, before: ViewState | None,
                 trigger: tuple | None = None, values: dict | None = None):
        self.registry = registry
        self.catalog = catalog
        self.state = state
        self.before = before          # what the page shows now; None: draw everything
        self.trigger = trigger        # (id, prop) of the input that fired; None: the page (re)loaded
        self._values = values or {}
        self.notices: list[str] = []
        self._memo: dict = {}

    # -- what changed ---------------------------------------------------------------------------
    @property
    def first(self) -> bool:
        return self.before is None

    def changed(self, *names: str) -> bool:
        """True when any of these view-state fields differs from what the page shows (or on a full draw)."""
        return self.before is None or any(getattr(self.state, n) != getattr(self.before, n) for n in names)

    def triggered_by(self, *ids: str) -> bool:
        return self.trigger is not None and self.trigger[0] in ids

    def value(self, cid: str, prop: str):
        """The browser's current value of a prop a component declared in `states()` (untrusted)."""
        return self._values.get((cid, prop))

    def notice(self, text: str) -> None:
        self.notices.append(text)

    # -- data, computed once per call -------------------------------------------------------------
    def memo(self, key, compute):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def dataset(self, name: str | None = None):
        """The opened Dataset (the state's by default); ValueError with the reason when it cannot be."""
        name = name or self.state.dataset
        return self.memo(("ds", name), lambda: self.registry.get(name))

    @property
    def ds(self):
        return self.dataset()

    def layer_info(self, dataset: str | None = None, layer: str | None = None):
        info = self.catalog.info(dataset or self.state.dataset)
        return info.layers.get(layer or self.state.layer) if info is not None else None

    @property
    def transform(self) -> str:
        """The transform the layer is viewed through."""
        return effective_transform(self.layer_info(), self.state.transform)

    def s1(self, dataset: str | None = None, layer: str | None = None) -> np.ndarray:
        """S1 of the state's hypothesis on a layer (the state's by default), before exclusions."""
        dataset, layer = dataset or self.state.dataset, layer or self.state.layer
        s = self.state
        return self.memo(("s1", dataset, layer), lambda: data.select(
            self.dataset(dataset), layer, s.sel, s.pad, s.threshold, self.engine_transform(dataset, layer)))

    @property
    def cells(self) -> np.ndarray:
        """S1 minus the cells dropped by hand: the hypothesis that is matched."""
        excluded = set(self.state.exclude)
        return self.memo("cells", lambda: np.array([c for c in self.s1().tolist() if c not in excluded], np.int64))

    def matches(self, dataset: str | None = None, layer: str | None = None, cells=None, top: int | None = data.TOP,
                length: int | None = None):
        """The ranked matches of the cells (the state's hypothesis by default) on a layer."""
        dataset, layer = dataset or self.state.dataset, layer or self.state.layer
        cells = self.cells if cells is None else cells
        s = self.state
        key = ("matches", dataset, layer, tuple(int(c) for c in cells), top, length)
        return self.memo(key, lambda: data.matches(self.dataset(dataset), layer, cells, s.threshold, s.pad,
                                                   length, self.engine_transform(dataset, layer), top,
                                                   cluster=self.registry.cluster(dataset)))

    def window(self, dataset: str | None = None, layer: str | None = None) -> data.Window:
        dataset, layer = dataset or self.state.dataset, layer or self.state.layer
        s = self.state
        return self.memo(("window", dataset, layer), lambda: data.window(
            self.dataset(dataset), layer, s.pos, s.width, self.engine_transform(dataset, layer)))

    def engine_transform(self, dataset: str, layer: str) -> str | None:
        """The state's transform where that layer offers it; else the layer's own (None)."""
        info = self.layer_info(dataset, layer)
        t = self.state.transform
        return t if t is not None and info is not None and t in info.offers() and t != info.transform else None
