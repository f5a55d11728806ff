"""Shared test setup: headless Chromium for dash_duo, a small dataset + config, an app factory.

Browser: `dash_duo` (dash[testing]) asks this hook for its ChromeOptions, so `python -m pytest` runs
headless without any command-line flag. The extra flags keep Chromium from hanging on this network.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

import lstmvis_dash as lv

CHROMIUM = "/usr/bin/chromium"
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--no-first-run"]
FIXTURES = Path(__file__).parent / "fixtures"


def pytest_setup_options():
    from selenium.webdriver.chrome.options import Options
    options = Options()
    if Path(CHROMIUM).exists():
        options.binary_location = CHROMIUM
    for arg in CHROME_ARGS:
        options.add_argument(arg)
    options.add_argument("--window-size=1280,1000")
    return options


def make_small_dataset(folder: Path, T: int = 600, D: int = 24, seed: int = 0) -> Path:
    """A bracket-nesting token stream with two layers of states that switch on and off in runs,
    two documents, a categorical and a scalar annotation. Deterministic."""
    rng = np.random.default_rng(seed)
    tokens, depth, d = [], [], 0
    for _ in range(T):
        r = rng.random()
        if (r < 0.18 and d < 4) or d == 0 and r < 0.4:
            tok, d = "(", d + 1
        elif r < 0.34 and d > 0:
            tok, d = ")", d - 1
        else:
            tok = str(d)
        tokens.append(tok)
        depth.append(d)
    depth = np.array(depth)
    states = {}
    for li, name in enumerate(["cells", "hidden"]):
        raw = rng.normal(0, 0.6, (T, D)).astype(np.float32)
        for c in range(D):  # cells c % 5 == k track "depth >= k" (strongly on/off)
            k = c % 5
            raw[:, c] += np.where(depth >= k, 2.0, -2.0) * (1.0 if li == 0 else 0.7)
        states[name] = raw
    return lv.write_dataset(
        folder, tokens, states,
        annotations={"depth": [str(x) for x in depth], "depth_scaled": (depth / 4.0).astype(np.float32)},
        documents=[0, T // 2], name="small", description="synthetic bracket nesting for tests")


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    """Folder of a small write_dataset dataset (T=600, D=24, layers 'cells' and 'hidden')."""
    return make_small_dataset(tmp_path_factory.mktemp("data") / "small")


@pytest.fixture(scope="session")
def small_config(small_dataset, tmp_path_factory) -> Path:
    """datasets.yml with: small (write_dataset), parens_small (an original LSTMVis folder),
    missing (a path that does not exist: reported, the others still serve)."""
    folder = tmp_path_factory.mktemp("config")
    lstmvis = folder / "lstmvis_parens_small"
    shutil.copytree(FIXTURES / "lstmvis_parens_small", lstmvis)
    cfg = folder / "datasets.yml"
    cfg.write_text(
        "datasets:\n"
        f"  - name: small\n    path: {small_dataset}\n    description: synthetic bracket nesting\n"
        f"  - name: parens_small\n    path: {lstmvis}\n    description: LSTMVis folder fixture\n"
        "  - name: missing\n    path: does/not/exist\n", encoding="utf-8")
    return cfg


@pytest.fixture
def app_factory(small_config):
    """Call it to get a fresh Dash app: app_factory(config=None, components=None, **dash_kwargs)."""
    from lstmvis_dash.ui import create_app

    def make(config=None, components=None, **kwargs):
        return create_app(config or small_config, components=components, **kwargs)
    return make


# -- helpers shared by the browser tests (import them: `from conftest import until, query`) -----
def until(fn, timeout=30.0, what="condition", interval=0.1):
    """Poll fn() every `interval` s until it returns something truthy (-> that value); exceptions
    count as "not yet". After `timeout` s: AssertionError naming `what` and the last value/exception."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - the page may be between renders
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def query(driver) -> dict:
    """The page URL's query string as {key: last value}."""
    q = parse_qs(urlparse(driver.current_url).query, keep_blank_values=True)
    return {k: v[-1] for k, v in q.items()}


def honour_permission_bits(monkeypatch):
    """As root, os.access says every path is writable; make it follow the mode bits, as for a user."""
    if os.geteuid() != 0:
        return
    real = os.access

    def access(path, mode, *args, **kwargs):
        if mode & os.W_OK:
            try:
                if not os.stat(path).st_mode & 0o222:
                    return False
            except OSError:
                pass
        return real(path, mode, *args, **kwargs)
    monkeypatch.setattr(os, "access", access)
