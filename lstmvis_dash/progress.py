"""Progress bars for conversions, extraction, index builds and shard writing, drawn by tqdm.

On a terminal, one bar redrawn in place. Anywhere else (a log file, CI, a pipe) carriage returns
would pile up into one long line, so the bar is written as whole lines instead, at most one
every LOG_INTERVAL seconds, and a last one when it ends.
"""
from __future__ import annotations

import sys

from tqdm import tqdm

LOG_INTERVAL = 10.0


class _Lines:
    """A file for tqdm that turns each redraw into one clean line."""

    def __init__(self, stream):
        self.stream = stream
        self._last = ""

    def write(self, text: str) -> None:
        line = text.replace("\r", "").replace("\x1b[A", "").strip()
        if line and line != self._last:
            self._last = line
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Progress:
    """`with Progress(label, total) as bar: bar.update(n)`; total None counts without a bar.
    `update(n, **postfix)` also shows counters such as tokens=...; stream defaults to stderr."""

    def __init__(self, label: str, total: int | None, stream=None, unit: str = "it"):
        stream = stream if stream is not None else sys.stderr
        terminal = _is_terminal(stream)
        self._postfix = {}
        self._bar = tqdm(total=None if total is None else max(int(total), 1), desc=label, unit=unit,
                         file=stream if terminal else _Lines(stream), ascii=not terminal,
                         mininterval=0.1 if terminal else LOG_INTERVAL, dynamic_ncols=terminal,
                         ncols=None if terminal else 100, leave=True)

    def update(self, n: int, **postfix) -> None:
        for k, v in postfix.items():
            self._postfix[k] = self._postfix.get(k, 0) + v
        if postfix:
            self._bar.set_postfix(self._postfix, refresh=False)
        self._bar.update(int(n))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        bar = self._bar
        if exc[0] is None and bar.total is not None and bar.n < bar.total:
            bar.update(bar.total - bar.n)
        bar.close()
