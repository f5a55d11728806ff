"""One error guard for the Dash callbacks of the views (match, projection, compare).

Why: a callback that raises leaves the page silently stale (and a traceback in the browser's
dev tools); the views show the error where the user looks instead. Each view only differs in its
name (for the log) and in how the message is rendered, so the wrapper itself lives here once.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from dash import no_update

log = logging.getLogger("lstmvis_dash.ui")


def error_guard(view: str, render: Callable[[Exception], Any]):
    """-> `guard(n_outputs, message_index=None)`, a decorator factory for one view's callbacks.

    The decorated callback never raises: an exception is logged (as "<view>: <callback> failed")
    and turned into no_update for each of its `n_outputs` outputs, except the output at
    `message_index` (if given), which gets `render(exception)`. A single output is returned bare.
    """
    def guard(n_outputs: int, message_index: int | None = None):
        def wrap(fn):
            def inner(*args):
                try:
                    return fn(*args)
                except Exception as e:  # noqa: BLE001 - errors belong on the page, not as tracebacks
                    log.exception("%s: %s failed", view, fn.__name__)
                    out = [no_update] * n_outputs
                    if message_index is not None:
                        out[message_index] = render(e)
                    return tuple(out) if n_outputs > 1 else out[0]
            inner.__name__ = fn.__name__
            return inner
        return wrap
    return guard
