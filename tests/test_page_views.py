"""The rest of the page in headless Chromium: the URL and its notices, navigation and search, the
brush handles under the words, S1 chips, the comparison's second select view, the projection."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash import analysis

PARENS = Path(__file__).resolve().parents[1] / "data" / "parens"
needs_parens = pytest.mark.skipif(not (PARENS / "dataset.h5").exists(), reason="data/parens not present")
BASE = "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3"


@pytest.fixture(scope="module")
def parens():
    return lv.open_dataset(PARENS)


def handles(page):
    return page.js("""return Array.from(document.querySelectorAll('#select-main-brush [role=slider]')).map(e => {
        var r = e.getBoundingClientRect(); return {now: +e.getAttribute('aria-valuenow'), min: +e.getAttribute('aria-valuemin'),
        max: +e.getAttribute('aria-valuemax'), x: r.left + r.width / 2, disabled: e.closest('[data-disabled]') !== null}; });""")


def boundary_x(page, b, pos):
    """Viewport x of the boundary before token b (the plot's x of b - pos - 0.5)."""
    return page.pixel("select-main-graph", b - pos - 0.5, 0)[0]


def test_the_brush_handles_stay_under_the_words(page):
    page.open("?dataset=small&layer=cells&pos=0&width=40&sel=10:14&pad=2:1&threshold=0.3")
    hs = page.wait(lambda: (h := handles(page)) and [x["now"] for x in h] == [8, 10, 14, 15] and h, "handles")
    assert all((h["min"], h["max"]) == (0, 40) for h in hs)
    for h in hs:
        assert abs(h["x"] - boundary_x(page, h["now"], 0)) < 8, hs          # aligned with the word boundaries
    # drag the outer right handle two words further out: a padding of 3
    x, y = hs[3]["x"], page.js("var e = document.querySelectorAll('#select-main-brush [role=slider]')[3];"
                              "var r = e.getBoundingClientRect(); return r.top + r.height / 2;")
    page.mouse([(x, y), (x + 10, y), (boundary_x(page, 17, 0), y)])
    page.wait(lambda: page.query().get("pad") == "2:3", "pad 2:3")


def test_a_selection_outside_the_window_keeps_the_handles_in_the_window(page):
    """Issue 9: sel outside the window stretched the slider over 93…3575, handles bunched at the left,
    and a small drag wrote pad=1:200."""
    page.open("?dataset=small&layer=cells&pos=300&width=40&sel=94:97&pad=1:0&threshold=0.3")
    hs = page.wait(lambda: (h := handles(page)) and h[0]["min"] == 300 and h, "handles")
    assert all((h["min"], h["max"]) == (300, 340) for h in hs) and all(h["disabled"] for h in hs)
    # a range reaching into the window from the left: handles at the edge; a drag keeps the real values
    page.open("?dataset=small&layer=cells&pos=300&width=40&sel=290:310&pad=1:0&threshold=0.3")
    hs = page.wait(lambda: (h := handles(page)) and [x["now"] for x in h] == [300, 300, 310, 310] and h, "edge")
    y = page.js("var r = document.querySelectorAll('#select-main-brush [role=slider]')[3].getBoundingClientRect();"
                "return r.top + r.height / 2;")
    page.mouse([(hs[3]["x"], y), (hs[3]["x"] + 8, y), (boundary_x(page, 312, 300), y)])
    page.wait(lambda: page.query().get("pad") == "1:2", "pad 1:2 (the left padding kept)")
    assert page.query()["sel"] == "290:310"


def test_chips_drop_and_restore_cells_one_by_one(page, small):
    s1 = lv.select(small, "cells", 10, 14, 0.3).tolist()
    assert len(s1) >= 3
    page.open(BASE)
    page.wait(lambda: page.chips() == s1, "chips")
    for c in s1[:2]:
        page.click(page.d.find_element("css selector", f"#select-main-chips .chip-x[data-cell='{c}']"))
        page.wait(lambda: str(c) in page.query().get("exclude", "").split(","), f"cell {c} dropped")
    page.wait(lambda: page.chips("excluded") == s1[:2], "excluded chips")
    page.wait(lambda: page.select_meta()["s1"] == s1[2:], "S1 lines without them")
    page.click(page.d.find_element("css selector", f"#select-main-chips .excluded .chip-x[data-cell='{s1[0]}']"))
    page.wait(lambda: page.query().get("exclude") == str(s1[1]), "one restored")
    page.click(page.el("select-main-restore-all"))
    page.wait(lambda: "exclude" not in page.query(), "all restored")


def test_back_and_forward_restore_the_view(page, small):
    page.open(BASE)
    page.type("select-main-threshold-input", "0.6")
    page.wait(lambda: page.query().get("threshold") == "0.6", "0.6")
    page.click(page.el("header-main-page-fwd"))
    page.wait(lambda: page.query().get("pos") == "40", "paged")
    page.d.back()
    page.wait(lambda: page.select_meta()["pos"] == 0, "back: pos 0")
    page.d.back()
    page.wait(lambda: page.query().get("threshold") == "0.3", "back: 0.3")
    page.wait(lambda: page.select_meta()["s1"] == lv.select(small, "cells", 10, 14, 0.3).tolist(), "S1 at 0.3")
    page.d.forward()
    page.wait(lambda: page.select_meta()["s1"] == lv.select(small, "cells", 10, 14, 0.6).tolist(), "S1 at 0.6")


def test_navigation_buttons_position_and_width(page):
    page.open(BASE)
    page.click(page.el("header-main-step-fwd"))
    page.wait(lambda: page.query().get("pos") == "1", "step")
    page.type("header-main-pos", "590")
    page.wait(lambda: page.query().get("pos") == "560", "clamped pos")
    assert "out of range" in page.notice()
    page.click(page.el("header-main-zoom-in"))
    page.wait(lambda: page.query().get("width") == "27", "zoomed in")
    page.type("header-main-width", "5000")
    page.wait(lambda: page.query().get("width") == "200", "width clamped")


def test_a_search_hit_shows_and_marks_the_phrase(page, small):
    page.open(BASE)
    page.type("header-main-search-input", "( ( (")
    hit = page.wait(lambda: page.d.find_elements("css selector", ".lv-hit"), "search hits")[0]
    t = int(hit.get_attribute("data-lv-nav-start"))
    assert small.tokens(t, t + 3) == ["(", "(", "("]
    page.click(hit)
    page.wait(lambda: page.js("var gd = document.getElementById('select-main-graph').querySelector('.js-plotly-plot');"
                              "var m = gd.layout.meta, s = gd.layout.shapes[4];"
                              "return s.visible && s.x0 === arguments[0] - m.pos - 0.5;", t), "the hit marked")
    assert page.query()["sel"] == "10:14"


def test_malformed_url_and_unavailable_dataset_say_so(page):
    page.open("?dataset=small&layer=nope&pos=abc&width=0&sel=5:1&threshold=x&pad=1:2:3")
    text = page.wait(lambda: page.notice(), "the notice")
    for key in ("layer=", "pos=", "width=", "sel=", "threshold=", "pad="):
        assert key in text
    assert page.select_meta()["pos"] == 0
    page.open("?dataset=missing")
    page.wait(lambda: "unavailable" in page.notice(), "missing dataset notice")
    assert page.query()["dataset"] == "small"


def test_threshold_5000_on_an_untransformed_layer_is_clamped(page):
    """Issue 9: threshold=5000 on a layer without transform was taken silently and flattened the lines."""
    page.open("?dataset=markup&layer=raw&pos=0&width=40&sel=5:8&threshold=5000")
    page.wait(lambda: "out of range" in page.notice(), "a notice")
    assert float(page.query()["threshold"]) == pytest.approx(3.0, abs=0.01)
    yrange = page.js("return document.getElementById('select-main-graph').querySelector('.js-plotly-plot').layout.yaxis.range")
    assert yrange[1] < 4


@needs_parens
def test_the_comparison_is_a_second_select_view(page, parens):
    a, b = 94, 97
    page.open(f"?dataset=parens&layer=cell2&pos=80&width=40&sel={a}:{b}&threshold=0.3&compare=hidden2")
    s1_b = lv.select(parens, "hidden2", a, b, 0.3).tolist()
    m = page.wait(lambda: (x := page.select_meta("compare")) and x["s1"] == s1_b and x, "second plot")
    assert m["source"] == ["parens", "hidden2"] and m["pos"] == 80
    cells = page.wait(lambda: page.js("var e = document.getElementById('compare-main-s1-b'); return e && e.dataset.cells;"),
                      "side by side")
    assert [int(c) for c in cells.split(",")] == s1_b
    # a row of the side-by-side lists shows its range
    row = page.d.find_elements("css selector", "#compare-main-matches tr.lv-compare-row")[2]
    start = int(row.get_attribute("data-lv-nav-start"))
    page.click(row)
    page.wait(lambda: page.js("var gd = document.getElementById('select-main-graph').querySelector('.js-plotly-plot');"
                              "return gd.layout.shapes[4].x0 === arguments[0] - gd.layout.meta.pos - 0.5;", start),
              "the row's range marked")


@needs_parens
def test_switching_to_the_compared_layer_drops_compare_from_the_url(page):
    """Issue 9: the URL kept a stale compare key after the layer switch."""
    page.open("?dataset=parens&layer=cell2&pos=80&width=40&sel=94:97&threshold=0.3&compare=hidden2")
    page.wait(lambda: page.select_meta("compare"), "second plot")
    page.click(page.el("header-main-layer"))
    option = page.wait(lambda: [e for e in page.d.find_elements("css selector", "[role=option]")
                                if e.text.startswith("hidden2")], "layer options")[0]
    page.click(option)
    page.wait(lambda: page.query().get("layer") == "hidden2", "layer switched")
    assert "compare" not in page.query()


@needs_parens
def test_another_dataset_over_other_tokens_is_not_comparable(page):
    page.open("?dataset=parens&layer=cell2&pos=80&width=40&sel=94:97&threshold=0.3&compare=other:cells")
    text = page.wait(lambda: page.el("compare-main-compat").text, "the difference")
    assert "first differ at position 5,000" in text
    page.open("?dataset=parens&layer=cell2&pos=80&width=40&sel=94:97&threshold=0.3&compare=twin:cells")
    page.wait(lambda: page.select_meta("compare") and page.select_meta("compare")["source"] == ["twin", "cells"],
              "twin plot")


@needs_parens
def test_projection_points_show_their_range_and_use_takes_no_padding(page, parens):
    """Issue 9: a projection point click kept the old padding (|S1| 36 on hover, 1 after the click)."""
    page.open("?dataset=parens&layer=cell2&pos=0&width=40&sel=94:97&pad=1:0&threshold=0.3")
    page.click(page.el("projection-main-toggle"))
    traces = page.wait(lambda: page.js("var gd = document.getElementById('projection-main-graph').querySelector("
                                       "'.js-plotly-plot'); return gd && gd._fullData && gd._fullData.length && "
                                       "gd._fullData.map(t => [t.name, t.customdata.length, t.marker.size]);"),
                       "projection", 90)
    pats = analysis.patterns(parens, "cell2", "depth", value=[0, 1, 2, 3, 4], threshold=0.3)
    assert sum(int(n.split("(")[1].rstrip(")").replace(",", "")) for n, _, _ in traces) == len(pats) == 7389
    assert sum(k for _, k, _ in traces) < 1000          # ranges on one point are one (larger) marker
    shared = page.js("""var gd = document.getElementById('projection-main-graph').querySelector('.js-plotly-plot');
        var out = []; gd._fullData.forEach(t => t.hovertext.forEach((h, k) => out.push([h, t.marker.size[k]])));
        return out;""")
    counts = [int(h.split(" ranges share")[0].rsplit("· ", 1)[1].replace(",", "")) if "ranges share" in h else 1
              for h, _ in shared]
    assert sum(counts) == len(pats) and max(counts) > 1      # each point says how many ranges it holds
    by_count = sorted(zip(counts, (size for _, size in shared)))
    assert by_count[0][1] < by_count[-1][1]                   # and the more, the larger it is drawn
    legend = page.js("""var s = document.querySelector('#projection-main-graph .main-svg').getBoundingClientRect();
        var l = document.querySelector('#projection-main-graph .legend').getBoundingClientRect();
        return [l.left >= s.left - 1, l.right <= s.right + 1, l.top >= s.top - 1, l.bottom <= s.bottom + 1];""")
    assert legend == [True] * 4, "the projection legend is clipped"
    # click the last point of the first trace
    page.center(page.el("projection-main-graph"))
    start, stop, x, y = page.js("""var gd = document.getElementById('projection-main-graph').querySelector('.js-plotly-plot');
        var t = gd._fullData[0], xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
        var k = t.x.length - 1;
        return [t.customdata[k][0], t.customdata[k][1], r.left + xa._offset + xa.l2p(t.x[k]), r.top + ya._offset + ya.l2p(t.y[k])];""")
    page.click_at(x, y)
    page.wait(lambda: page.el("select-main-use-focus").is_displayed(), "the range shown and marked")
    assert page.query()["sel"] == "94:97"
    page.click(page.el("select-main-use-focus"))
    page.wait(lambda: page.query().get("sel") == f"{start}:{stop}", "used")
    assert "pad" not in page.query()
    i = [k for k in range(len(pats)) if (pats.starts[k], pats.stops[k]) == (start, stop)][0]
    want = np.flatnonzero(pats.matrix[i]).tolist()
    page.wait(lambda: page.select_meta()["s1"] == want, "the pattern's S1 (as its hover said)")
