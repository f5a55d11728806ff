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
        # the words are drawn in the figures (SVG text, and the match matrix's canvas: LV.drawCanvasText),
        # which an element's .text leaves out
        page_text = "return document.body.innerText + ' ' + Array.from(document.querySelectorAll('svg text'))" \
                    ".map(t => t.textContent).join(' ') + ' ' + Array.from(document.querySelectorAll(" \
                    "'canvas.lv-text-layer')).map(c => (c._lvDrawn || []).map(d => d[2]).join(' ')).join(' ');"
        until(lambda: all(w in driver.execute_script(page_text) for w in words),
              what=f"{name}: the selected words {words} on the page")
        got = until(lambda: query(driver) if query(driver).get("dataset") == name else None,
                    what=f"{name}: the page's URL")
        assert {k: got.get(k) for k in want} == want, (preset.label, got)


def test_clicking_a_preset_link_in_the_header_lands_on_its_selection(repo_page, repo_live):
    """Issue 12: the page offers a link to each finding; a click on it (in the header, from the
    dataset's default view) shows that selection: the URL's view keys and the select plot's S1."""
    from lstmvis_dash.ui import data
    from lstmvis_dash.ui.state import parse_query
    page, catalog = repo_page, repo_live.app.registry.catalog()
    for name, preset in PRESETS:
        want = dict(parse_qsl(preset.query))
        page.open(f"?dataset={name}")
        link = page.wait(lambda: [a for a in page.d.find_elements("css selector", "#presets-main-links a.lv-preset")
                                  if a.text == preset.label], f"{name}: the link {preset.label!r}")[0]
        page.click(link)
        page.wait(lambda: {k: page.query().get(k) for k in ["dataset", *want]} == {"dataset": name, **want},
                  f"{name}: the preset's URL")
        s, notices = parse_query(f"?dataset={name}&{preset.query}", catalog)
        assert notices == []
        ds = lv.open_dataset(name, config=CONFIG)
        s1 = [c for c in data.select(ds, s.layer, s.sel, s.pad, s.threshold, s.transform).tolist() if c not in s.exclude]
        page.wait(lambda: (page.select_meta() or {}).get("source") == [name, s.layer] and page.select_meta()["s1"] == s1,
                  f"{name}: S1 of {preset.label!r}")
