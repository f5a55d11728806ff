"""A Dash "browser" for tests without a browser: bench/load.py's renderer-like client, talking to
a Flask test client instead of a socket (same payloads as the load test and as the Dash renderer)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import DashClient  # noqa: E402


class FlaskDashClient(DashClient):
    """DashClient over app.server.test_client(); `errors` collects what the load test counts as errors."""

    def __init__(self, dash_app, prefix: str = "/", headers=None):
        self.errors = []
        super().__init__("http://localhost" + prefix,
                         record=lambda label, dt, ok, why: ok or self.errors.append(f"{label}: {why}"))
        self.flask = dash_app.server.test_client()
        self.headers.update(headers or {})
        self.statuses = []

    def _request(self, method, path, body=None):
        r = self.flask.open(self.prefix + path, method=method, data=body, headers=self.headers)
        self.statuses.append(r.status_code)
        return r.status_code, r.get_data()

    def callback(self, label_start: str):
        """The callback whose label (first output <- first input) starts with label_start."""
        return next(cb for cb in self.callbacks if cb["label"].startswith(label_start))
