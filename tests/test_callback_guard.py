"""The shared pieces of the views: the callback error guard and the small LRU cache."""
from __future__ import annotations

import logging

from dash import no_update

from lstmvis_dash.ui.callback_guard import error_guard
from lstmvis_dash.ui.lru import LRUCache


def _boom(*args):
    raise ValueError("bad input")


def test_guard_passes_results_through():
    guard = error_guard("test view", lambda e: f"error: {e}")
    assert guard(2, message_index=1)(lambda a, b: (a, b))(1, 2) == (1, 2)


def test_guard_turns_an_exception_into_the_message_and_no_update(caplog):
    guard = error_guard("test view", lambda e: f"error: {e}")
    with caplog.at_level(logging.ERROR, logger="lstmvis_dash.ui"):
        out = guard(3, message_index=1)(_boom)("x")
    assert out == (no_update, "error: bad input", no_update)
    assert "test view: _boom failed" in caplog.text


def test_guard_single_output_and_no_message():
    guard = error_guard("test view", lambda e: f"error: {e}")
    assert guard(1)(_boom)() is no_update
    assert guard(1, message_index=0)(_boom)() == "error: bad input"
    assert guard(2)(_boom)() == (no_update, no_update)
    assert guard(1)(_boom).__name__ == "_boom"


def test_lru_cache_computes_once_and_evicts_the_oldest():
    cache, calls = LRUCache(2), []

    def compute(k):
        calls.append(k)
        return k * 10
    assert cache.get(1, lambda: compute(1)) == 10
    assert cache.get(2, lambda: compute(2)) == 20
    assert cache.get(1, lambda: compute(1)) == 10      # hit: 1 is now the newest
    assert cache.get(3, lambda: compute(3)) == 30      # evicts 2, the least recently used
    assert calls == [1, 2, 3]
    assert cache.get(2, lambda: compute(2)) == 20      # recomputed
    assert cache.get(1, lambda: compute(1)) == 10 and calls == [1, 2, 3, 2, 1]
