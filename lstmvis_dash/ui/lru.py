"""A small thread-safe LRU cache of computed results, shared by the views (match, projection).

Why not functools.lru_cache: the keys are built by the caller (dataset version, layer, ...) and the
value is computed by a closure; `compute` runs outside the lock, so a slow computation does not
block other callbacks (two threads may compute the same key once each; the later one is kept).
"""
from __future__ import annotations

import threading
from collections import OrderedDict


class LRUCache:
    def __init__(self, size: int = 16):
        self.size = size
        self._d: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, compute):
        """The cached value of `key`, or compute() stored under it (the oldest entries beyond `size` go)."""
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]
        value = compute()
        with self._lock:
            self._d[key] = value
            while len(self._d) > self.size:
                self._d.popitem(last=False)
        return value
