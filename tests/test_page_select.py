"""The select view in headless Chromium (one shared browser and server: conftest.page)."""
from __future__ import annotations

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash.ui import select_figures as sf

GRAPH = "select-main-graph"
BASE = "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3"


def s1(ds, layer, sel, thr, pad=(0, 0), exclude=()):
    return [c for c in lv.select(ds, layer, sel[0], sel[1], thr, pad_left=pad[0], pad_right=pad[1]).tolist()
            if c not in set(exclude)]


def shown(page, **expect):
    """The select plot's meta once it holds `expect`."""
    def ok():
        m = page.select_meta()
        return m if m and all(m.get(k) == v for k, v in expect.items()) else None
    return page.wait(ok, f"select plot with {expect}")


def word_x(page, i, name="main"):
    """Viewport x, y of word i of the window (the words row)."""
    return page.pixel(f"select-{name}-graph", i, 0, ("xaxis2", "yaxis2"))


def test_preset_url_renders_window_lines_and_exact_s1(page, small):
    page.open("?dataset=small&layer=hidden&pos=100&width=30&sel=113:117&pad=1:2&threshold=0.4&exclude=9")
    want = s1(small, "hidden", (113, 117), 0.4, (1, 2), exclude=[9])
    assert want, "the fixture should select some cells here"
    m = shown(page, pos=100, width=30, s1=want)
    assert m["cells"] == list(range(small.dims("hidden")))          # all D cells drawn (a dense layer)
    words = page.js(f"return Array.from(document.querySelectorAll('#{GRAPH} .textpoint text')).map(t => t.textContent)")
    assert words == [sf.short_word(t, sf.word_style(30)[1]) for t in small.tokens(100, 130)]
    page.wait(lambda: page.chips() == [c for c in s1(small, "hidden", (113, 117), 0.4, (1, 2))], "S1 chips")
    assert page.chips("excluded") == [9] if 9 in s1(small, "hidden", (113, 117), 0.4, (1, 2)) else True
    q = page.query()
    assert q["sel"] == "113:117" and q["pad"] == "1:2" and q["exclude"] == "9" and q["layer"] == "hidden"
    assert page.el("header-main-info").text.startswith("T = 600")
    assert page.notice() == ""


def test_typed_threshold_and_the_dragged_line(page, small):
    page.open(BASE)
    shown(page, s1=s1(small, "cells", (10, 14), 0.3))
    page.type("select-main-threshold-input", "0.95")
    page.wait(lambda: page.query().get("threshold") == "0.95", "threshold in the URL")
    shown(page, s1=s1(small, "cells", (10, 14), 0.95))
    # the red dashed line, grabbed anywhere along its length and dragged down
    x0, y0 = page.pixel(GRAPH, 20.3, 0.95)
    page.mouse([(x0, y0), (x0 + 5, y0 + 40), (x0 + 10, y0 + 90)])
    page.wait(lambda: float(page.query().get("threshold", 1)) < 0.7, "the dragged threshold in the URL")
    dragged = float(page.query()["threshold"])
    shown(page, s1=s1(small, "cells", (10, 14), dragged))
    assert page.js(f"return document.getElementById('{GRAPH}').querySelector('.js-plotly-plot').layout.shapes[0].y0") \
        == pytest.approx(dragged)


def test_a_threshold_typed_out_of_range_is_clamped_and_said(page, small):
    """Issue 9: a threshold typed out of range reset to the default instead of clamping."""
    page.open(BASE)
    shown(page, s1=s1(small, "cells", (10, 14), 0.3))
    page.type("select-main-threshold-input", "1.7")
    page.wait(lambda: page.query().get("threshold") == "1.0", "the clamped threshold")
    assert page.el("select-main-threshold-input").get_attribute("value") == "1"
    assert "out of range" in page.notice()


def test_number_fields_show_their_whole_value(page):
    """Issue 9: number fields hid their first digit after typing (".35", "00")."""
    page.open(BASE)
    page.type("select-main-threshold-input", "0.35")
    page.type("header-main-width", "100")
    page.wait(lambda: page.query().get("width") == "100", "width 100")
    for cid, text in (("select-main-threshold-input", "0.35"), ("header-main-width", "100")):
        box = page.js("""var e = document.getElementById(arguments[0]), c = e.parentElement;
            var r = e.getBoundingClientRect(), p = c.getBoundingClientRect(), s = getComputedStyle(e);
            var steppers = Array.from(c.querySelectorAll('button')).map(b => b.getBoundingClientRect())
                .filter(b => b.width > 0).map(b => b.left);
            var t = document.createElement('span'); t.style.font = s.font; t.textContent = e.value;
            document.body.appendChild(t); var w = t.getBoundingClientRect().width; t.remove();
            return {value: e.value, scroll: e.scrollLeft, left: r.left, right: r.right, boxLeft: p.left,
                    boxRight: p.right, text: w, pad: parseFloat(s.paddingLeft),
                    firstStepper: steppers.length ? Math.min(...steppers) : p.right};""", cid)
        assert box["value"] == text and box["scroll"] == 0, box
        assert box["boxLeft"] - 1 <= box["left"] and box["right"] <= box["boxRight"] + 1, box   # inside its box
        assert box["left"] + box["pad"] + box["text"] <= box["firstStepper"], box                # not under the ±


def test_brush_by_dragging_across_the_words_or_the_lines(page, small):
    page.open(BASE)
    shown(page, pos=0)
    (x0, y), (x1, _) = word_x(page, 20), word_x(page, 23)
    page.mouse([(x0 - 3, y), (x0 + 30, y), (x1 + 3, y)])
    page.wait(lambda: page.query().get("sel") == "20:24", "sel 20:24 from the words")
    shown(page, s1=s1(small, "cells", (20, 24), 0.3))
    # across the lines (not the words): the same brush, and no error in plotly's selection code
    xa, ya = page.pixel(GRAPH, 5, 0.6)
    xb, _ = page.pixel(GRAPH, 8, 0.6)
    page.mouse([(xa - 8, ya), (xa + 20, ya - 30), (xb + 8, ya + 40)])
    page.wait(lambda: page.query().get("sel") == "5:9", "sel 5:9 from the lines")
    shown(page, s1=s1(small, "cells", (5, 9), 0.3))


def test_dragging_anywhere_over_the_lines_raises_nothing(page, small):
    """Issue 9: dragging across the lines threw uncaught TypeErrors in plotly's selection code (35
    console errors in one session). Drags that start on the lines, leave the plot, come back or end
    on the words: no console error (the page fixture checks), no plotly selection drawn, and the
    drag from the lines to the words selects the steps it crossed."""
    page.open(BASE)
    shown(page, pos=0)
    page.center(page.el(GRAPH))
    top, bottom = page.pixel(GRAPH, 2, 0.9), page.pixel(GRAPH, 2, -0.9)
    right, _ = page.pixel(GRAPH, 39, 0)
    (wx, wy) = word_x(page, 30)
    w, h = page.js("return [window.innerWidth, window.innerHeight]")
    paths = [
        [(top[0], top[1]), (top[0] + 60, top[1] + 80), (right + 40, bottom[1] + 60)],          # out to the right
        [(bottom[0] + 30, bottom[1]), (bottom[0] + 30, top[1] - 150), (bottom[0] + 90, top[1])],  # out over the top
        [(right - 5, top[1]), (wx, wy)],                                                       # lines to words
    ]
    for path in paths:
        page.mouse([(min(max(x, 2), w - 2), min(max(y, 2), h - 2)) for x, y in path])
        page.settle()
        assert page.js(f"return document.querySelectorAll('#{GRAPH} .select-outline, #{GRAPH} .selectionlayer path')"
                       ".length") == 0
    page.wait(lambda: page.query().get("sel") == "30:39", "the last drag's steps selected (centres 30 … 38)")
    shown(page, s1=s1(small, "cells", (30, 39), 0.3))


def test_click_click_brush_draws_the_new_range_at_full_opacity(page, small):
    """Issue 9: after a click-click brush the new words were drawn at 20% and the old range bold."""
    page.open(BASE)
    shown(page, pos=0)
    (x0, y), (x1, _) = word_x(page, 5), word_x(page, 8)
    page.mouse([(x0 - 3, y), (x0 + 20, y), (x1 + 3, y)])                   # a drag first
    page.wait(lambda: page.query().get("sel") == "5:9", "dragged range")
    (a, y), (b, _) = word_x(page, 20), word_x(page, 23)
    page.click_at(a, y)
    page.wait(lambda: page.query().get("sel") == "20:21", "first click: one word")
    page.click_at(b, y)
    page.wait(lambda: page.query().get("sel") == "20:24", "second click: the range")
    shown(page, s1=s1(small, "cells", (20, 24), 0.3))
    styles = page.js(f"""return Array.from(document.querySelectorAll('#{GRAPH} .textpoint text'))
        .map(t => [getComputedStyle(t).fillOpacity, getComputedStyle(t).opacity, t.style.fill]);""")
    assert all(float(f) == 1 and float(o) == 1 for f, o, _ in styles), styles
    blue = [i for i, (_, _, fill) in enumerate(styles) if fill == "rgb(31, 119, 180)"]
    assert blue == [20, 21, 22, 23]


def test_hovering_a_line_names_its_cell(page, small):
    page.open(BASE)
    m = shown(page, pos=0)
    v = small.values("cells", 0, 40)
    cell = int(np.argmax(v[17]))                      # the highest line at word 17
    x, y = page.pixel(GRAPH, 17, float(v[17, cell]))
    page.mouse([(x, y - 30), (x, y)], hold=False)
    label = page.wait(lambda: page.js(f"var l = document.querySelector('#{GRAPH} .lv-hover-label');"
                                      "return l && l.style.display === 'block' && l.textContent;"), "hover label")
    assert label == f"cell {cell}" and cell in m["cells"]
