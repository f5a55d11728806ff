"""The threshold guidance in headless Chromium (conftest.page): hovering a line of the select plot
fills the guidance's top row for that cell in the browser (no round trip), and "use the suggested ℓ"
sets ℓ."""
from __future__ import annotations

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash import guidance
from lstmvis_dash.ui import guidance_figures as gf
from lstmvis_dash.ui.guidance_data import quantiles, share_on

GRAPH, GUIDE = "select-main-graph", "guidance-main-graph"
BASE = "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3"
HOVER_ROW = f"""var gd = document.getElementById('{GUIDE}').querySelector('.js-plotly-plot');
    if (!gd || !gd.data || gd.layout.meta.hovered !== arguments[0]) return null;
    return {{label: gd.data[{gf.HOVER_OFFSET + gf.TRACE_BOX}].y[0], median: gd.data[{gf.HOVER_OFFSET + gf.TRACE_MEDIAN}].x[0],
            share: gd.data[{gf.HOVER_OFFSET + gf.TRACE_SHARE}].x[0], low: gd.data[{gf.HOVER_OFFSET + gf.TRACE_MIN}].x[0],
            top: gd.layout.yaxis.categoryarray[gd.layout.yaxis.categoryarray.length - 1]}};"""


def guidance_meta(page):
    return page.meta(GUIDE)


def test_hovering_a_line_fills_the_guidance_for_that_cell(page, small):
    page.open(BASE)
    page.wait(lambda: (guidance_meta(page) or {}).get("threshold") == 0.3, "the guidance figure")
    requests = page.js("return performance.getEntriesByType('resource')"
                       ".filter(e => e.name.indexOf('_dash-update-component') >= 0).length")
    v = small.values("cells", 0, 40)
    cell = int(np.argmax(v[17]))                       # the highest line at word 17
    x, y = page.pixel(GRAPH, 17, float(v[17, cell]))
    page.mouse([(x, y - 30), (x, y)], hold=False)
    row = page.wait(lambda: page.js(HOVER_ROW, cell), f"the guidance row of cell {cell}")
    assert row["label"] == row["top"] == f"▸ cell {cell}"
    assert row["share"] == pytest.approx(float(share_on(small, "cells", [cell], 0.3)[0]), rel=1e-6)
    assert row["median"] == pytest.approx(float(quantiles(small, "cells", [cell])[0, 2]), rel=1e-6)
    low = float(small.values("cells", 10, 14)[:, cell].min())
    assert row["low"] == pytest.approx(low, rel=1e-6)
    # followed in the browser: no request to the server for the hover
    assert page.js("return performance.getEntriesByType('resource')"
                   ".filter(e => e.name.indexOf('_dash-update-component') >= 0).length") == requests


def test_use_the_suggested_threshold_sets_it(page, small):
    page.open(BASE)
    want = round(guidance.suggest_threshold(small, "cells", 10, 14), 4)
    page.wait(lambda: (guidance_meta(page) or {}).get("suggested") == want, "the suggestion")
    button = page.el("guidance-main-use")
    assert button.text == f"use the suggested ℓ = {want:g}" and button.is_enabled()
    page.click(button)
    page.wait(lambda: page.query().get("threshold") == f"{want:g}", "ℓ in the URL")
    s1 = lv.select(small, "cells", 10, 14, want).tolist()
    page.wait(lambda: page.select_meta()["s1"] == s1 and guidance_meta(page)["threshold"] == want,
              "the select plot and the guidance at the suggested ℓ")
    page.wait(lambda: not page.el("guidance-main-use").is_enabled(), "the button done")


def test_malformed_hover_and_statistics_draw_no_row(page):
    """Both stores are the browser's: whatever they hold, the guidance draws no row and throws nothing."""
    page.open(BASE)
    m = page.wait(lambda: guidance_meta(page), "the guidance figure")
    for hover in [{"dataset": "small", "layer": "cells", "cell": "3"}, {"dataset": "small", "layer": "cells", "cell": 1e9},
                  {"dataset": "x", "layer": "cells", "cell": 1}, "cell 3", [1, 2], None]:
        page.js("LV.setProps('hover-cell', arguments[0])", hover)
    bad_stats = {"key": m["key"], "source": ["small", "cells"], "n_probs": 5,
                 "cells": {"dtype": "i4", "bdata": "AAA"}, "q": {"dtype": "f4", "bdata": ""}, "low": 3, "share": "x"}
    page.js("LV.setProps('guidance-main-stats', arguments[0])", bad_stats)
    page.js("LV.setProps('hover-cell', {dataset: 'small', layer: 'cells', cell: 0})")
    page.js("LV.setProps('guidance-main-stats', 'not statistics')")
    page.settle()
    assert guidance_meta(page)["hovered"] is None
