"""The select view in headless Chromium against the running app (dash_duo)."""
from __future__ import annotations

import socket
from functools import partial

import numpy as np
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

import lstmvis_dash as lv
from lstmvis_dash.ui import select_figures as sf

import conftest
from conftest import query

GD = "document.querySelector('#select-graph .js-plotly-plot')"

until = partial(conftest.until, timeout=15.0)  # this file's default wait


def chips(driver) -> list[int]:
    return [int(e.get_attribute("data-cell")) for e in driver.find_elements(By.CSS_SELECTOR, ".s1-chip")]


def graph_info(driver) -> dict:
    return driver.execute_script(f"""
        var gd = {GD};
        if (!gd || !gd.data || !gd._fullData || gd.data.length < 4) return null;
        var meta = gd.layout.meta || {{}};
        var y0 = gd._fullData[0].y, y1 = gd._fullData[1].y;
        var words = Array.from(document.querySelectorAll('#select-graph .textpoint text')).map(t => t.textContent);
        return {{pos: meta.pos, width: meta.width, D: meta.D, s1: meta.s1, n_all: y0.length, n_s1: y1.length,
                 words: words, threshold: gd.layout.shapes[0].y0, hover_n: (gd._fullData[2].y || []).length}};
    """)


def wait_view(driver, **expect):
    def ok():
        info = graph_info(driver)
        if not info:
            return None
        for k, v in expect.items():
            if info.get(k) != v:
                return None
        return info
    return until(ok, what=f"graph with {expect}")


@pytest.fixture
def small(small_dataset):
    return lv.open_dataset(small_dataset)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_app(dash_duo, app_factory, search=""):
    app = app_factory()
    dash_duo.start_server(app, port=free_port())  # other test runs may hold the default port
    if search:
        dash_duo.driver.get(dash_duo.server_url + "/" + search)
    return dash_duo.driver


def expected_s1(ds, layer, sel, thr, pad=(0, 0), exclude=()):
    s1 = lv.select(ds, layer, sel[0], sel[1], thr, pad_left=pad[0], pad_right=pad[1]).tolist()
    return [c for c in s1 if c not in set(exclude)]


def test_preset_url_renders_window_lines_and_exact_s1(dash_duo, app_factory, small):
    search = "?dataset=small&layer=hidden&pos=100&width=30&sel=113:117&pad=1:2&threshold=0.4&exclude=9"
    driver = open_app(dash_duo, app_factory, search)
    info = wait_view(driver, pos=100, width=30)
    D = small.dims("hidden")
    assert info["D"] == D
    assert info["n_all"] == D * 31  # all D cells as polylines with a separator each
    assert info["words"] == [sf.short_word(t) for t in small.tokens(100, 130)]
    want = expected_s1(small, "hidden", (113, 117), 0.4, (1, 2), exclude=[9])
    assert want, "the fixture should select some cells here"
    until(lambda: chips(driver) == want, what="chips == lv.select")
    assert info["s1"] == want and info["n_s1"] == len(want) * 31
    assert abs(info["threshold"] - 0.4) < 1e-9
    q = query(driver)
    assert q["sel"] == "113:117" and q["pad"] == "1:2" and q["exclude"] == "9" and q["layer"] == "hidden"
    assert dash_duo.find_element("#dataset-info").text.startswith("T = 600")
    assert not driver.find_elements(By.CSS_SELECTOR, "#notice .alert")
    assert dash_duo.get_logs() == []


def test_threshold_input_and_drag_change_s1_and_url(dash_duo, app_factory, small):
    driver = open_app(dash_duo, app_factory, "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3")
    wait_view(driver, pos=0)
    until(lambda: chips(driver) == expected_s1(small, "cells", (10, 14), 0.3), what="initial S1")
    # the numeric field
    box = dash_duo.find_element("#threshold-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("0.95", Keys.ENTER)
    until(lambda: query(driver).get("threshold") == "0.95", what="threshold in URL")
    until(lambda: chips(driver) == expected_s1(small, "cells", (10, 14), 0.95), what="S1 at 0.95")
    until(lambda: abs(graph_info(driver)["threshold"] - 0.95) < 1e-9, what="line moved")
    # dragging the red dashed line with the mouse (grabbed anywhere along it, dash gaps included)
    line = [p for p in driver.find_elements(By.CSS_SELECTOR, "#select-graph .shape-group path")
            if p.get_attribute("data-index") == "0"][0]
    ActionChains(driver).move_to_element_with_offset(line, 305, 2).click_and_hold() \
        .move_by_offset(0, 40).move_by_offset(0, 60).release().perform()
    until(lambda: float(query(driver).get("threshold")) < 0.6, what="dragged threshold in URL")
    dragged = float(query(driver)["threshold"])
    until(lambda: chips(driver) == expected_s1(small, "cells", (10, 14), dragged), what="S1 at dragged ℓ")
    until(lambda: abs(graph_info(driver)["threshold"] - dragged) < 1e-9, what="line at dragged ℓ")
    # plotly's own shape editing (click the line, then drag) reports through relayout
    driver.execute_script(f"Plotly.relayout({GD}, {{'shapes[0].y0': 0.6, 'shapes[0].y1': 0.6}})")
    until(lambda: query(driver).get("threshold") == "0.6", what="edited threshold in URL")
    until(lambda: chips(driver) == expected_s1(small, "cells", (10, 14), 0.6), what="S1 at 0.6")
    assert dash_duo.find_element("#threshold-input").get_attribute("value") == "0.6"
    assert dash_duo.get_logs() == []


def _word_element(driver, index):
    return driver.find_elements(By.CSS_SELECTOR, "#select-graph .textpoint")[index]


def click_word(driver, index):
    """A real mouse click on a word (plotly's drag layer receives it, as for a user)."""
    ActionChains(driver).move_to_element(_word_element(driver, index)).click().perform()


def test_brush_by_dragging_and_clicking_words(dash_duo, app_factory, small):
    driver = open_app(dash_duo, app_factory, "?dataset=small&layer=cells&pos=200&width=30&threshold=0.3")
    wait_view(driver, pos=200)
    assert "sel" not in query(driver)
    # drag across words 5..9 (box select over the words row)
    w5, w9 = _word_element(driver, 5), _word_element(driver, 9)
    x5 = w5.location["x"] + w5.size["width"] / 2
    x9 = w9.location["x"] + w9.size["width"] / 2
    step = (x9 - x5) / 4
    ActionChains(driver).move_to_element_with_offset(w5, -int(step * 0.3), 0).click_and_hold() \
        .move_by_offset(int(step * 2), 0).move_by_offset(int(step * 2.6), 0).release().perform()
    until(lambda: query(driver).get("sel") == "205:210", what="dragged sel in URL")
    until(lambda: chips(driver) == expected_s1(small, "cells", (205, 210), 0.3), what="S1 of the dragged range")
    band = driver.execute_script(f"var s = {GD}.layout.shapes[1]; return [s.x0, s.x1, s.visible]")
    assert band == [4.5, 9.5, True]
    until(lambda: not driver.execute_script(f"return ({GD}.layout.selections || []).length"), what="box removed")
    # click a start word, then an end word
    click_word(driver, 12)
    until(lambda: query(driver).get("sel") == "212:213", what="first click selects one word")
    click_word(driver, 15)
    until(lambda: query(driver).get("sel") == "212:216", what="second click extends")
    until(lambda: chips(driver) == expected_s1(small, "cells", (212, 216), 0.3), what="S1 of clicked range")
    # the selected words are drawn in the S1 colour
    colors = driver.execute_script(f"return {GD}._fullData[3].textfont.color")
    assert [i for i, c in enumerate(colors) if c == sf.S1_BLUE] == [12, 13, 14, 15]
    assert dash_duo.get_logs() == []


def test_pad_slider_sets_off_padding(dash_duo, app_factory, small):
    driver = open_app(dash_duo, app_factory, "?dataset=small&layer=cells&pos=0&width=40&sel=20:24&threshold=0.3")
    wait_view(driver, pos=0)
    thumbs = driver.find_elements(By.CSS_SELECTOR, "#brush-slider .dash-slider-thumb")
    assert len(thumbs) == 4
    until(lambda: chips(driver) == expected_s1(small, "cells", (20, 24), 0.3), what="S1")
    # the outer left handle: keyboard steps of one token (Radix slider), committed at once
    driver.execute_script("arguments[0].focus()", thumbs[0])
    ActionChains(driver).send_keys(Keys.ARROW_LEFT).perform()
    until(lambda: query(driver).get("pad", "").startswith("1:"), what="left pad in URL")
    pad = [int(x) for x in query(driver)["pad"].split(":")]
    until(lambda: chips(driver) == expected_s1(small, "cells", (20, 24), 0.3, pad), what="S1 with pad")


def test_remove_cell_updates_list_plot_url_and_restore(dash_duo, app_factory, small):
    driver = open_app(dash_duo, app_factory, "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3")
    wait_view(driver, pos=0)
    full = expected_s1(small, "cells", (10, 14), 0.3)
    until(lambda: chips(driver) == full, what="S1")
    victim = full[1]
    # hovering a chip highlights its line (clientside)
    chip = driver.find_elements(By.CSS_SELECTOR, f".s1-chip[data-cell='{victim}']")[0]
    ActionChains(driver).move_to_element(chip).perform()
    until(lambda: graph_info(driver)["hover_n"] == 40, what="highlight trace filled")
    ys = driver.execute_script(f"return Array.from({GD}._fullData[2].y)")
    want = small.values("cells", 0, 40)[:, victim]
    assert np.allclose(np.array(ys, dtype=np.float32), want)
    # ... and its on-ranges in the plot under the words
    runs = len(sf.on_runs((want >= np.float32(0.3))[:, None]))
    until(lambda: driver.execute_script(
        "return document.querySelector('#select-detail .js-plotly-plot')._fullData[2].x.length") == 3 * runs,
        what="on-ranges of the hovered cell in red")
    driver.find_elements(By.CSS_SELECTOR, f".chip-x[data-cell='{victim}']")[0].click()
    until(lambda: query(driver).get("exclude") == str(victim), what="exclude in URL")
    until(lambda: chips(driver) == [c for c in full if c != victim], what="chip gone")
    until(lambda: graph_info(driver)["s1"] == [c for c in full if c != victim], what="plot without the cell")
    assert graph_info(driver)["n_s1"] == (len(full) - 1) * 41
    dash_duo.find_element("#restore-cells").click()
    until(lambda: "exclude" not in query(driver), what="exclude cleared")
    until(lambda: chips(driver) == full, what="chips restored")
    dash_duo.find_element("#clear-selection").click()
    until(lambda: "sel" not in query(driver), what="selection cleared")
    until(lambda: chips(driver) == [], what="no chips")
    assert dash_duo.get_logs() == []


def test_back_and_forward_restore_selection(dash_duo, app_factory, small):
    driver = open_app(dash_duo, app_factory, "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3")
    wait_view(driver, pos=0)
    first = expected_s1(small, "cells", (10, 14), 0.3)
    until(lambda: chips(driver) == first, what="S1")
    box = dash_duo.find_element("#threshold-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("0.97", Keys.ENTER)
    second = expected_s1(small, "cells", (10, 14), 0.97)
    assert second != first
    until(lambda: chips(driver) == second, what="S1 at 0.97")
    click_word(driver, 30)
    until(lambda: query(driver).get("sel") == "30:31", what="new selection")
    third = expected_s1(small, "cells", (30, 31), 0.97)
    until(lambda: chips(driver) == third, what="S1 of the new selection")
    driver.back()
    until(lambda: query(driver).get("sel") == "10:14" and query(driver).get("threshold") == "0.97", what="back 1")
    until(lambda: chips(driver) == second, what="S1 after back")
    driver.back()
    until(lambda: query(driver).get("threshold") == "0.3", what="back 2")
    until(lambda: chips(driver) == first, what="S1 after second back")
    assert dash_duo.find_element("#threshold-input").get_attribute("value") == "0.3"
    driver.forward()
    until(lambda: query(driver).get("threshold") == "0.97", what="forward")
    until(lambda: chips(driver) == second, what="S1 after forward")
    assert dash_duo.get_logs() == []


def test_navigation_buttons_position_and_width(dash_duo, app_factory, small):
    driver = open_app(dash_duo, app_factory, "?dataset=small&layer=cells&pos=100&width=20")
    wait_view(driver, pos=100, width=20)
    dash_duo.find_element("#nav-page-fwd").click()
    wait_view(driver, pos=120)
    assert query(driver)["pos"] == "120"
    dash_duo.find_element("#nav-step-back").click()
    wait_view(driver, pos=119)
    dash_duo.find_element("#nav-page-back").click()
    info = wait_view(driver, pos=99)
    assert info["words"] == [sf.short_word(t) for t in small.tokens(99, 119)]
    dash_duo.find_element("#nav-step-fwd").click()
    wait_view(driver, pos=100)
    pos = dash_duo.find_element("#pos-input")
    pos.send_keys(Keys.CONTROL, "a")
    pos.send_keys("400", Keys.ENTER)
    wait_view(driver, pos=400)
    width = dash_duo.find_element("#width-input")
    width.send_keys(Keys.CONTROL, "a")
    width.send_keys("60", Keys.ENTER)
    info = wait_view(driver, width=60)
    assert info["n_all"] == 24 * 61 and query(driver)["width"] == "60"
    # at the end of the data the forward page stops at T - width
    for _ in range(3):
        dash_duo.find_element("#nav-page-fwd").click()
    wait_view(driver, pos=540)
    # a width above the maximum is clamped with a notice
    width.send_keys(Keys.CONTROL, "a")
    width.send_keys("5000", Keys.ENTER)
    until(lambda: query(driver).get("width") == "200", what="clamped width")
    assert "width=5000" in dash_duo.find_element("#notice").text
    assert dash_duo.get_logs() == []


def test_phrase_search_moves_window(dash_duo, app_factory, small):
    driver = open_app(dash_duo, app_factory, "?dataset=small&layer=cells&pos=0&width=40")
    wait_view(driver, pos=0)
    tokens = small.tokens(0, len(small))
    phrase = ["(", "4", ")"]
    hits = [t for t in range(len(tokens) - 2) if tokens[t:t + 3] == phrase]
    assert len(hits) >= 2
    box = dash_duo.find_element("#search-input")
    box.send_keys("( 4 )", Keys.ENTER)
    until(lambda: len(driver.find_elements(By.CSS_SELECTOR, ".lv-hit")) == len(hits), what="hits listed")
    assert f"{len(hits)} occurrence" in dash_duo.find_element("#search-results").text
    target = hits[-1]
    driver.find_elements(By.CSS_SELECTOR, ".lv-hit")[-1].click()
    want_pos = max(0, min(target - 10, 600 - 40))
    info = wait_view(driver, pos=want_pos)
    assert query(driver)["pos"] == str(want_pos)
    assert info["words"][target - want_pos: target - want_pos + 3] == phrase
    # a regex-looking query is taken literally
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(".*", Keys.ENTER)
    until(lambda: "not in the vocabulary" in dash_duo.find_element("#search-results").text, what="literal")
    assert dash_duo.get_logs() == []


def test_malformed_url_shows_notice_and_working_page(dash_duo, app_factory, small):
    driver = open_app(dash_duo, app_factory,
                      "?dataset=small&pos=abc&width=-4&sel=9:3&threshold=banana&exclude=1,x&layer=nope&foo=bar")
    info = wait_view(driver, pos=0, width=40)
    notice = until(lambda: dash_duo.find_element("#notice").text, what="notice")
    for key in ("pos=", "width=", "sel=", "threshold=", "exclude=", "layer="):
        assert key in notice
    assert "foo" not in notice
    assert info["D"] == 24 and info["words"] == [sf.short_word(t) for t in small.tokens(0, 40)]
    # the address is rewritten to the canonical form of what is shown
    until(lambda: query(driver) == {"dataset": "small", "layer": "cells", "pos": "0", "width": "40",
                                    "threshold": "0.3"}, what="canonical URL")
    # and the page works: a click selects
    click_word(driver, 3)
    until(lambda: query(driver).get("sel") == "3:4", what="page still works")
    assert dash_duo.get_logs() == []


def test_unknown_and_broken_dataset(dash_duo, app_factory):
    driver = open_app(dash_duo, app_factory, "?dataset=missing&pos=3")
    wait_view(driver, pos=3)
    notice = until(lambda: dash_duo.find_element("#notice").text, what="notice")
    assert "dataset='missing'" in notice and "unavailable" in notice
    assert query(driver)["dataset"] == "small"
    # switching to the LSTMVis-folder dataset through the dropdown
    dash_duo.select_dcc_dropdown("#dataset-dropdown", index=1)
    info = wait_view(driver, D=100)
    assert query(driver)["dataset"] == "parens_small"
    assert info["n_all"] == 100 * 41
    assert dash_duo.get_logs() == []
