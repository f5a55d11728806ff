"""The projection view (paper Fig. 7) in headless Chromium on the bundled parens dataset (dash_duo)."""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By

import lstmvis_dash as lv
from lstmvis_dash import analysis
from lstmvis_dash.ui import projection_view as pv

import conftest
from conftest import query

PARENS = Path(__file__).resolve().parents[1] / "data" / "parens"
pytestmark = pytest.mark.skipif(not (PARENS / "dataset.h5").exists(), reason="data/parens not present")

until = partial(conftest.until, timeout=60.0, interval=0.2)  # this file's default wait


@pytest.fixture
def parens_config(tmp_path):
    cfg = tmp_path / "datasets.yml"
    cfg.write_text(f"datasets:\n  - name: parens\n    path: {PARENS}\n", encoding="utf-8")
    return cfg


POINTS_JS = """
const gd = document.querySelector('#projection-graph .js-plotly-plot');
if (!gd || !gd._fullData) return null;
return gd._fullData.map(t => ({name: t.meta, n: (t.customdata || []).length}));
"""

PIXEL_JS = """
const gd = document.querySelector('#projection-graph .js-plotly-plot');
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
return [r.left + xa._offset + xa.l2p(arguments[0]), r.top + ya._offset + ya.l2p(arguments[1]), window.innerHeight];
"""


def isolated_point(coords):
    """Index of the point farthest (in axis-range units) from any other distinct point."""
    span = np.ptp(coords, axis=0)
    span[span == 0] = 1
    u, inv = np.unique((coords / span).round(9), axis=0, return_inverse=True)
    d = np.sqrt(((u[:, None, :] - u[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    best = int(np.argmax(d.min(axis=1)))
    return int(np.flatnonzero(np.asarray(inv).reshape(-1) == best)[0])


def test_projection_of_depth_on_parens_and_a_click_selects_the_range(dash_duo, app_factory, parens_config):
    ds = lv.open_dataset(PARENS)
    pats = analysis.patterns(ds, "cell2", "depth", value=[0, 1, 2, 3, 4], threshold=0.3, max_ranges=pv.MAX_RANGES)
    proj = analysis.project(pats)
    dash_duo.start_server(app_factory(config=parens_config), dev_tools_ui=False)
    d = dash_duo.driver
    d.get(dash_duo.server_url + "/?dataset=parens&layer=cell2&pos=0&width=40&threshold=0.3")
    until(lambda: d.find_element(By.ID, pv.TOGGLE), what="projection card")
    toggle = d.find_element(By.ID, pv.TOGGLE)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", toggle)
    time.sleep(0.3)
    toggle.click()
    traces = until(lambda: d.execute_script(POINTS_JS), what="projection traces")
    # one trace per depth value, together every range of the annotation (7389 < MAX_RANGES: no cap)
    assert [t["name"] for t in traces] == ["0", "1", "2", "3", "4"]
    assert sum(t["n"] for t in traces) == len(pats) == pats.n_ranges_total
    counts = {str(v): int(sum(1 for lab in pats.labels if lab == v)) for v in range(5)}
    assert {t["name"]: t["n"] for t in traces} == counts
    assert "7,389 ranges of depth" in d.find_element(By.ID, pv.INFO).text

    # click the most isolated point: the select view moves to its range (any range at that spot)
    i = isolated_point(proj.coords)
    here = np.all(np.isclose(proj.coords, proj.coords[i]), axis=1)
    allowed = {(int(a), int(b)) for a, b in zip(pats.starts[here], pats.stops[here])}
    graph = d.find_element(By.CSS_SELECTOR, "#projection-graph .js-plotly-plot")
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", graph)
    time.sleep(0.5)
    x, y, inner = d.execute_script(PIXEL_JS, float(proj.coords[i, 0]), float(proj.coords[i, 1]))
    actions = ActionBuilder(d)
    actions.pointer_action.move_to_location(int(round(x)), int(round(y))).click()
    actions.perform()

    def moved():
        q = query(d)
        return q if "sel" in q else None
    q = until(moved, what="sel in the URL after the click")
    a, b = map(int, q["sel"].split(":"))
    assert (a, b) in allowed
    pos, width = int(q["pos"]), int(q["width"])
    assert pos <= a and (b - a > width or b <= pos + width)
    assert q["layer"] == "cell2"
    # the select view shows that range's S1
    s1 = lv.select(ds, "cell2", a, b, 0.3).tolist()
    until(lambda: d.execute_script(
        "const g = document.querySelector('#select-graph .js-plotly-plot');"
        "return g && g.layout.meta && g.layout.meta.s1;") == s1, what="select view S1 of the clicked range")
    assert np.flatnonzero(pats.matrix[[k for k in range(len(pats)) if (pats.starts[k], pats.stops[k]) == (a, b)][0]]).tolist() == s1
