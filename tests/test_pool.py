"""pool.py: the engine's parts run at once, and a query's large buffers are reused, never shared."""
from __future__ import annotations

import numpy as np

from lstmvis_dash import pool


def test_run_parts_keeps_the_order_of_the_parts():
    assert pool.run_parts(lambda i, j: i * j, [(i, 10) for i in range(20)]) == [10 * i for i in range(20)]
    assert pool.spans(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert pool.spans(10, 3, 4) == [(0, 4), (4, 8), (8, 10)]
    assert pool.spans(0, 4) == []


def test_scratch_buffers_are_reused_after_the_block_and_not_while_in_use(monkeypatch):
    monkeypatch.setattr(pool, "_free", {"pid": None, "buffers": []})   # none left by other tests
    n = 3 << 20
    with pool.scratch():
        first = pool.empty((n // 8,), np.uint64)
        second = pool.empty((n // 8,), np.uint64)          # the first is still in use
        assert not np.shares_memory(first, second)
        where = {first.ctypes.data, second.ctypes.data}
    with pool.scratch():
        again = pool.empty((n // 4,), np.int32)
        assert again.ctypes.data in where                  # memory of the earlier block
        assert again.shape == (n // 4,) and again.dtype == np.int32
    outside = pool.empty((n,), np.uint8)                   # outside a block: plain numpy memory
    assert outside.ctypes.data not in where
    small = pool.empty((10,), np.int64)
    assert small.shape == (10,)
