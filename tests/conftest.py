"""Shared test setup: a small dataset + config, an app factory, and for the browser tests one live
server and one headless Chromium per session (tests/browser.py holds the page driver)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

import lstmvis_dash as lv

FIXTURES = Path(__file__).parent / "fixtures"


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


@pytest.fixture(scope="module")
def small(small_dataset):
    """The small dataset opened (one per test module, as each module had its own)."""
    return lv.open_dataset(small_dataset)


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


def pytest_setup_options():
    """ChromeOptions for headless Chromium with the flags that keep it from hanging on this network
    (dash[testing] asks this hook for them; tests that start their own Chromium call it too)."""
    import browser
    from selenium.webdriver.chrome.options import Options
    options = Options()
    options.binary_location = browser.CHROMIUM
    for arg in browser.CHROME_ARGS:
        options.add_argument(arg)
    return options


# -- the browser tests: one server and one Chromium per session (tests/browser.py) ----------------
PARENS = Path(__file__).resolve().parents[1] / "data" / "parens"
REPO_CONFIG = Path(__file__).resolve().parents[1] / "datasets.yml"


def make_markup_dataset(folder: Path) -> Path:
    """Annotation values and tokens with markup in them, and an untransformed layer (values ±3)."""
    rng = np.random.default_rng(3)
    T, D = 400, 12
    tokens = [["a", "b", "<i>c</i>", "d&amp;"][k] for k in rng.integers(0, 4, T)]
    kinds = np.array(["<b>bold</b>", "<a href='http://example.invalid'>click</a>", "plain"])[rng.integers(0, 3, T)]
    raw = np.clip(rng.normal(0, 1, (T, D)), -3, 3).astype(np.float32)
    raw[:, 0] = np.where(kinds == "plain", 2.5, -2.5)
    return lv.write_dataset(folder, tokens, {"raw": raw}, annotations={"kind_of_markup_in_the_text": kinds.tolist()},
                            transforms={"raw": "none"}, name="markup")


@pytest.fixture(scope="session")
def browser_config(small_dataset, tmp_path_factory) -> Path:
    """small, parens (bundled, when present), markup, twin (parens' tokens, other states),
    other (parens with one token changed), and a missing dataset."""
    folder = tmp_path_factory.mktemp("browser")
    lines = [f"  - name: small\n    path: {small_dataset}\n    description: synthetic bracket nesting\n"]
    if (PARENS / "dataset.h5").exists():
        parens = lv.open_dataset(PARENS)
        tokens = parens.tokens(0, len(parens))
        states = {"cells": np.random.default_rng(1).normal(0, 1, (len(tokens), 16)).astype(np.float32)}
        lv.write_dataset(folder / "twin", tokens, states, name="twin")
        changed = list(tokens)
        changed[5000] = "X"
        lv.write_dataset(folder / "other", changed, states, name="other")
        lines += [f"  - name: parens\n    path: {PARENS}\n", f"  - name: twin\n    path: {folder / 'twin'}\n",
                  f"  - name: other\n    path: {folder / 'other'}\n"]
    make_markup_dataset(folder / "markup")
    lines += [f"  - name: markup\n    path: {folder / 'markup'}\n", "  - name: missing\n    path: does/not/exist\n"]
    cfg = folder / "datasets.yml"
    cfg.write_text("datasets:\n" + "".join(lines), encoding="utf-8")
    return cfg


@pytest.fixture(scope="session")
def markup_dataset(browser_config) -> Path:
    return browser_config.parent / "markup"


@pytest.fixture(scope="session")
def live(browser_config):
    """The app on a real socket, in this process (its log is captured: live.log)."""
    import browser
    from lstmvis_dash.ui import create_app
    server = browser.LiveServer(create_app(browser_config))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def downloads(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def chromium(downloads):
    import browser
    driver = browser.chrome(downloads)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def repo_live():
    """The app over the repository's datasets.yml (the bundled datasets and their presets), on a real socket."""
    import browser
    from lstmvis_dash.ui import create_app
    server = browser.LiveServer(create_app(REPO_CONFIG))
    yield server
    server.stop()


def checked_page(chromium, server):
    """A fresh page of the shared browser; after the test: no console error, no server traceback."""
    import browser
    chromium.get("about:blank")
    chromium.get_log("browser")
    before = len(server.log.records)
    p = browser.Page(chromium, server)
    yield p
    errors = p.console_errors()
    tracebacks = [f"{r.name}: {r.getMessage()}" for r in server.log.records[before:] if r.exc_info]
    assert errors == [] and tracebacks == [], (errors, tracebacks)


@pytest.fixture
def page(chromium, live):
    """A page of the app over browser_config (see checked_page)."""
    yield from checked_page(chromium, live)


@pytest.fixture
def repo_page(chromium, repo_live):
    """A page of the app over the repository's datasets.yml (see checked_page)."""
    yield from checked_page(chromium, repo_live)


# -- helpers ---------------------------------------------------------------------------------
def until(fn, timeout=30.0, what="condition", interval=0.1):
    """Poll fn() until it returns something truthy (-> that value); see browser.until."""
    import browser
    return browser.until(fn, timeout=timeout, what=what, interval=interval)



def query(driver) -> dict:
    """The page URL's query string as {key: last value}."""
    from urllib.parse import parse_qs, urlparse
    return {k: v[-1] for k, v in parse_qs(urlparse(driver.current_url).query, keep_blank_values=True).items()}


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
