"""A dependency-free progress bar for the terminal (one-off conversions and index builds)."""
from __future__ import annotations

import sys
import time


class Progress:
    """Prints `label [#####.....] 45% 12.3s` on stderr, redrawn at most ten times a second."""

    def __init__(self, label: str, total: int, stream=None):
        self.label = label
        self.total = max(int(total), 1)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()
        self._last_draw = 0.0

    def update(self, n: int) -> None:
        self.done = min(self.total, self.done + int(n))
        now = time.monotonic()
        if now - self._last_draw >= 0.1 or self.done >= self.total:
            self._last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        frac = self.done / self.total
        bar = "#" * int(frac * 30)
        self.stream.write(f"\r{self.label} [{bar:<30}] {frac:4.0%} {now - self.started:5.1f}s")
        if self.done >= self.total:
            self.stream.write("\n")
        self.stream.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.done < self.total and exc[0] is None:
            self.update(self.total - self.done)
