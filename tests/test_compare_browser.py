"""The comparison view (G3) in headless Chromium on the bundled parens dataset (dash_duo)."""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from selenium.webdriver.common.by import By

import lstmvis_dash as lv
from lstmvis_dash import analysis
from lstmvis_dash.ui import compare_view as cv

import conftest
from conftest import query

PARENS = Path(__file__).resolve().parents[1] / "data" / "parens"
pytestmark = pytest.mark.skipif(not (PARENS / "dataset.h5").exists(), reason="data/parens not present")
THR = 0.3
DIFF_AT = 1234

until = partial(conftest.until, timeout=60.0, interval=0.2)  # this file's default wait


@pytest.fixture(scope="module")
def parens():
    return lv.open_dataset(PARENS)


@pytest.fixture(scope="module")
def config(parens, tmp_path_factory):
    """parens, twin (parens' tokens, other states) and other (one token changed at DIFF_AT)."""
    folder = tmp_path_factory.mktemp("compare")
    tokens = parens.tokens(0, len(parens))
    rng = np.random.default_rng(1)
    states = {"cells": rng.normal(0, 1, (len(tokens), 16)).astype(np.float32)}
    lv.write_dataset(folder / "twin", tokens, states, name="twin")
    changed = list(tokens)
    changed[DIFF_AT] = "X"
    lv.write_dataset(folder / "other", changed, states, name="other")
    cfg = folder / "datasets.yml"
    cfg.write_text("datasets:\n"
                   f"  - name: parens\n    path: {PARENS}\n"
                   f"  - name: twin\n    path: {folder / 'twin'}\n"
                   f"  - name: other\n    path: {folder / 'other'}\n", encoding="utf-8")
    return cfg


def a_range(ds, layers):
    """A depth range (length >= 3) whose S1 is not empty in each of the layers."""
    pats = analysis.patterns(ds, layers[0], "depth", value=[2, 3], threshold=THR, min_length=3)
    for a, b in zip(pats.starts.tolist(), pats.stops.tolist()):
        if all(len(lv.select(ds, layer, a, b, THR)) for layer in layers):
            return a, b
    raise AssertionError("no range with a non-empty S1 in every layer")


def cells_of(d, element_id):
    text = d.execute_script(f"const e = document.getElementById('{element_id}'); return e && e.dataset.cells;")
    if text is None:
        return None
    return [int(c) for c in text.split(",")] if text else []


def rows_of(d, side):
    return d.execute_script(f"""
        return Array.from(document.querySelectorAll('#{cv.MATCHES} tr.lv-compare-row'))
            .filter(r => JSON.parse(r.id).side === '{side}')
            .map(r => [parseInt(r.dataset.start), parseInt(r.dataset.stop)]);""")


META_JS = """const g = document.querySelector('#compare-graph .js-plotly-plot');
return g && g.layout && g.layout.meta;"""


def choose(dash_duo, label):
    """Pick an option of the compare-with dropdown (scrolled to the middle first: the page is long)."""
    element = dash_duo.driver.find_element(By.ID, cv.CHOOSER)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    time.sleep(0.3)
    dash_duo.select_dcc_dropdown(f"#{cv.CHOOSER}", label)


def start(dash_duo, app_factory, config, search):
    dash_duo.start_server(app_factory(config=config), dev_tools_ui=False)
    d = dash_duo.driver
    d.get(dash_duo.server_url + "/" + search)
    return d


def test_cell2_vs_hidden2_side_by_side(dash_duo, app_factory, config, parens):
    a, b = a_range(parens, ["cell2", "hidden2"])
    d = start(dash_duo, app_factory, config,
              f"?dataset=parens&layer=cell2&sel={a}:{b}&threshold={THR}&compare=hidden2")
    s1 = {layer: lv.select(parens, layer, a, b, THR).tolist() for layer in ("cell2", "hidden2")}
    until(lambda: cells_of(d, cv.S1_A) == s1["cell2"], what="S1 of cell2 in the comparison")
    until(lambda: cells_of(d, cv.S1_B) == s1["hidden2"], what="S1 of hidden2 in the comparison")
    assert s1["cell2"] != s1["hidden2"]
    for side, layer in (("a", "cell2"), ("b", "hidden2")):
        want = lv.match(parens, layer, s1[layer], THR, top=cv.TOP).table[["start", "stop"]].to_numpy().tolist()
        assert len(want) == cv.TOP
        until(lambda: rows_of(d, side) == want, what=f"top matches of {layer}")
    # the second plot follows the first's window and range and shows hidden2's S1
    meta = until(lambda: d.execute_script(META_JS), what="second plot")
    q = query(d)
    assert meta["s1"] == s1["hidden2"] and meta["pos"] == int(q["pos"]) and meta["width"] == int(q["width"])
    assert q["compare"] == "hidden2"
    assert "parens:cell2 (above) vs parens:hidden2" in d.find_element(By.ID, cv.STATUS).text
    old = meta["pos"]
    button = d.find_element(By.ID, "nav-step-fwd")
    d.execute_script("arguments[0].click();", button)
    until(lambda: (d.execute_script(META_JS) or {}).get("pos") == old + 1, what="second plot moved with the first")
    # a row click moves the window to that match
    row = d.find_elements(By.CSS_SELECTOR, f"#{cv.MATCHES} tr.lv-compare-row")[-1]
    ra, rb = int(row.get_attribute("data-start")), int(row.get_attribute("data-stop"))
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", row)
    d.execute_script("arguments[0].click();", row)   # the page may still shift under a pointer click
    until(lambda: int(query(d)["pos"]) <= ra and rb <= int(query(d)["pos"]) + int(query(d)["width"]),
          what="window moved to the clicked match")


def test_second_dataset_same_tokens_and_other_tokens(dash_duo, app_factory, config, parens):
    twin = lv.open_dataset(Path(config).parent / "twin")
    a, b = a_range(parens, ["cell2"])
    d = start(dash_duo, app_factory, config, f"?dataset=parens&layer=cell2&sel={a}:{b}&threshold={THR}")
    until(lambda: "choose a second layer" in d.find_element(By.ID, cv.STATUS).text, what="hint")
    choose(dash_duo, "twin : cells · D=16")
    until(lambda: query(d).get("compare") == "twin:cells", what="compare in the URL")
    until(lambda: cells_of(d, cv.S1_B) == lv.select(twin, "cells", a, b, THR).tolist(), what="twin's S1")
    assert "twin has the same 20,000 tokens as parens" in d.find_element(By.ID, cv.COMPAT).text

    choose(dash_duo, "other : cells · D=16")
    until(lambda: query(d).get("compare") == "other:cells", what="compare=other:cells in the URL")
    msg = until(lambda: d.find_element(By.CSS_SELECTOR, f"#{cv.COMPAT} .lv-compare-incompatible").text,
                what="incompatibility message")
    assert "parens and other are not the same token sequence" in msg
    assert f"first differ at position {DIFF_AT:,} ('{parens.tokens(DIFF_AT, DIFF_AT + 1)[0]}' vs 'X')" in msg
    assert not d.find_element(By.ID, cv.BODY).is_displayed()     # no plot, no side-by-side
    assert "not comparable" in d.find_element(By.ID, cv.STATUS).text
