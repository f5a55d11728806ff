"""A Dash "browser" for tests without a browser: bench/load.py's renderer-like client over a Flask
test client (same payloads as the load test and as the Dash renderer)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import FlaskClient as FlaskDashClient  # noqa: E402

__all__ = ["FlaskDashClient"]
