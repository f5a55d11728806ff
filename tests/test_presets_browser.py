"""The findings' preset links open in the real page (headless Chromium, dash_duo): each preset URL of
the repository's datasets.yml loads its dataset and selection and keeps every view key as given
(a value the page had to replace or clamp would come back changed in the URL)."""
from __future__ import annotations

from functools import partial
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

import lstmvis_dash as lv

import conftest
from conftest import query

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "datasets.yml"
PRESETS = [(e.name, p) for e in lv.load_config(CONFIG).datasets for p in e.presets]
pytestmark = pytest.mark.skipif(not PRESETS, reason="no presets in datasets.yml")

until = partial(conftest.until, timeout=90.0, interval=0.25)


def test_each_preset_link_opens_its_selection(dash_duo, app_factory):
    dash_duo.start_server(app_factory(config=CONFIG), dev_tools_ui=False)
    driver = dash_duo.driver
    for name, preset in PRESETS:
        want = dict(parse_qsl(preset.query))
        driver.get(f"{dash_duo.server_url}/?dataset={name}&{preset.query}")
        a, b = (int(x) for x in want["sel"].split(":"))
        words = lv.open_dataset(name, config=CONFIG).tokens(a, b)
        # the words are drawn in the figures (SVG text), which an element's .text leaves out
        page_text = "return document.body.innerText + ' ' + Array.from(document.querySelectorAll('svg text'))" \
                    ".map(t => t.textContent).join(' ');"
        until(lambda: all(w in driver.execute_script(page_text) for w in words),
              what=f"{name}: the selected words {words} on the page")
        got = until(lambda: query(driver) if query(driver).get("dataset") == name else None,
                    what=f"{name}: the page's URL")
        assert {k: got.get(k) for k in want} == want, (preset.label, got)
