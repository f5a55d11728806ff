"""The match view in headless Chromium against the running app (dash_duo; conftest.py fixtures)."""
from __future__ import annotations

import time
from functools import partial
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

import lstmvis_dash as lv
from lstmvis_dash.ui import match_figures as mf
from lstmvis_dash.ui import match_view as mv

import conftest
from conftest import query

LAYER, SEL, THR = "cells", (20, 24), 0.3
PRESET = f"?dataset=small&layer={LAYER}&sel={SEL[0]}:{SEL[1]}&threshold={THR}"

until = partial(conftest.until, timeout=30.0)  # this file's default wait


def click(driver, element):
    """Scroll the element to the middle of the window first (the dev-tools bar covers the bottom)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    time.sleep(0.2)
    element.click()


def shown_rows(driver) -> list[tuple[int, int]]:
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#match-rows .lv-match-row-body'))
            .map(e => [parseInt(e.dataset.start), parseInt(e.dataset.stop)]);""")


def wait_rows(driver, expected, what="match rows"):
    expected = [tuple(r) for r in expected]
    return until(lambda: [tuple(r) for r in shown_rows(driver)] == expected, what=what)


@pytest.fixture
def small(small_dataset):
    return lv.open_dataset(small_dataset)


@pytest.fixture
def expected(small):
    cells = lv.select(small, LAYER, SEL[0], SEL[1], THR)
    return cells, lv.match(small, LAYER, cells, THR)


def open_app(dash_duo, app_factory, search=PRESET):
    # without the dev-tools menu: it covers the bottom right of the page, where clicks must land
    dash_duo.start_server(app_factory(), dev_tools_ui=False)
    dash_duo.driver.get(dash_duo.server_url + "/" + search)
    return dash_duo.driver


def test_preset_url_shows_the_top_50_of_lv_match(dash_duo, app_factory, expected):
    cells, m = expected
    assert len(m.table) == 50
    d = open_app(dash_duo, app_factory)
    wait_rows(d, m.table[["start", "stop"]].to_numpy().tolist())
    first = d.find_elements(By.CSS_SELECTOR, "#match-rows .lv-match-row-body")[0]
    t0 = m.table.iloc[0]
    title = first.get_attribute("title")
    assert f"{t0.start}:{t0.stop}" in title and f"length {t0.length}" in title
    assert f"overlap {t0.overlap}/{len(cells)}" in title and f"union {t0['union']}" in title
    assert "top 50 of" in d.find_element(By.ID, mv.INFO).text
    # the length histogram shows lv.match's histogram
    bars = d.execute_script("var gd = document.querySelector('#match-histogram .js-plotly-plot');"
                            "return gd && gd._fullData && Array.from(gd._fullData[0].customdata).map(c => Array.from(c));")
    assert [b[0] for b in bars] == m.histogram["length"].tolist()
    assert not d.find_element(By.ID, mv.MESSAGE).text
    severe = [e for e in dash_duo.get_logs() or [] if e.get("level") == "SEVERE"
              and "ERR_NAME_NOT_RESOLVED" not in e["message"]]
    assert severe == []


def test_first_row_words_and_colours(dash_duo, app_factory, small, expected):
    cells, m = expected
    d = open_app(dash_duo, app_factory)
    wait_rows(d, m.table[["start", "stop"]].to_numpy().tolist())
    t0 = m.table.iloc[0]
    first = d.find_elements(By.CSS_SELECTOR, "#match-rows .lv-match-row-body")[0]
    shown = min(int(t0.length), mf.MAX_SHOWN - 1) if t0.length > mf.MAX_SHOWN else int(t0.length)
    words = first.find_elements(By.CSS_SELECTOR, ".lv-match .lv-word")
    assert [w.text for w in words] == small.tokens(int(t0.start), int(t0.start) + shown)
    on = [int(w.get_attribute("data-on")) for w in words]
    v = small.values(LAYER, int(t0.start), int(t0.start) + shown)[:, cells]
    assert on == (v >= THR).sum(axis=1).tolist()
    left = first.find_elements(By.CSS_SELECTOR, ".lv-left .lv-word")
    lo = max(int(t0.start) - mf.CONTEXT, small.document_bounds(int(t0.start))[0])
    assert [w.text for w in left] == (small.tokens(lo, int(t0.start)) if lo < t0.start else [])


def _click_histogram_bar(d, length):
    idx = d.execute_script(f"""
        var gd = document.querySelector('#match-histogram .js-plotly-plot');
        return Array.from(gd._fullData[0].customdata).findIndex(c => c[0] === {length});""")
    assert idx >= 0
    bar = d.find_elements(By.CSS_SELECTOR, "#match-histogram .barlayer .trace")[0] \
        .find_elements(By.CSS_SELECTOR, ".point")[idx]
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", bar)
    ActionChains(d).move_to_element(bar).pause(0.3).click().perform()


def test_histogram_click_filters_to_that_length_and_writes_the_url(dash_duo, app_factory, small, expected):
    cells, m = expected
    d = open_app(dash_duo, app_factory)
    wait_rows(d, m.table[["start", "stop"]].to_numpy().tolist())
    h = m.histogram
    length = int(h.loc[h["length"] >= 2].sort_values("fuzzy", ascending=False).iloc[0]["length"])
    _click_histogram_bar(d, length)
    want = lv.match(small, LAYER, cells, THR, min_length=length, max_length=length)
    assert len(want.table) > 1
    wait_rows(d, want.table[["start", "stop"]].to_numpy().tolist(), what=f"rows of length {length}")
    assert all(b - a == length for a, b in shown_rows(d))
    until(lambda: query(d).get("length") == str(length), what="length in the URL")
    assert f"length {length}" in d.find_element(By.ID, mv.INFO).text
    # the selected bar is highlighted
    colours = d.execute_script("var gd = document.querySelector('#match-histogram .js-plotly-plot');"
                               "return gd.data[0].marker.color;")
    assert colours.count(mf.HIST_SELECTED) == 1
    # a second click on the same bar clears the filter
    time.sleep(0.5)
    _click_histogram_bar(d, length)
    until(lambda: "length" not in query(d), what="length removed from the URL")
    wait_rows(d, m.table[["start", "stop"]].to_numpy().tolist(), what="unfiltered rows again")


def test_length_from_the_url_and_an_empty_length(dash_duo, app_factory, small, expected):
    cells, m = expected
    d = open_app(dash_duo, app_factory, PRESET + "&length=3")
    want = lv.match(small, LAYER, cells, THR, min_length=3, max_length=3)
    wait_rows(d, want.table[["start", "stop"]].to_numpy().tolist())
    # a length no candidate has: no rows, a visible message, no error
    empty = next(n for n in range(2, 600) if n not in set(m.histogram["length"]))
    d.get(dash_duo.server_url + "/" + PRESET + f"&length={empty}")
    until(lambda: f"no match has length {empty}" in d.find_element(By.ID, mv.MESSAGE).text, what="message")
    assert shown_rows(d) == []


def test_annotation_track_summary_and_paint(dash_duo, app_factory, small, expected):
    cells, m = expected
    d = open_app(dash_duo, app_factory, PRESET + "&annotation=depth")
    wait_rows(d, m.table[["start", "stop"]].to_numpy().tolist())
    tracks = until(lambda: d.find_elements(By.CSS_SELECTOR, "#match-rows .lv-track"), what="tracks")
    assert len(tracks) == len(m.table)
    labels = [str(x) for x in small.annotation_labels("depth")]
    t0 = m.table.iloc[0]
    assert tracks[0].get_attribute("title").startswith("depth: ")
    inside = [x[1:-1] for x in tracks[0].get_attribute("title")[7:].split() if x.startswith("[")]
    assert inside[:5] == [str(x) for x in small.annotation("depth", int(t0.start), int(t0.start) + 5)]
    legend = [e.text for e in d.find_elements(By.CSS_SELECTOR, "#match-legend .lv-legend-item")]
    assert legend == labels
    # the summary: share inside the shown matches beside the share overall
    until(lambda: d.find_element(By.ID, mv.SUMMARY_BOX).is_displayed(), what="summary shown")
    ys = until(lambda: d.execute_script(
        "var gd = document.querySelector('#match-summary .js-plotly-plot');"
        "return gd && gd._fullData && gd._fullData.length == 2 && [Array.from(gd._fullData[0].y), Array.from(gd._fullData[1].y), Array.from(gd._fullData[0].x)];"),
        what="summary figure")
    shares = mf.annotation_shares(small, "depth", m.table)
    assert ys[2] == shares["label"].tolist()
    assert ys[0] == pytest.approx((100 * shares["inside_share"]).tolist())
    assert ys[1] == pytest.approx((100 * shares["overall_share"]).tolist())
    assert d.find_element(By.CSS_SELECTOR, f"#{mv.ANNOTATION}").text.strip().startswith("depth")
    # paint: word backgrounds take the track's colours
    word = d.find_elements(By.CSS_SELECTOR, "#match-rows .lv-match-row")[0].find_element(By.CSS_SELECTOR,
                                                                                        ".lv-match .lv-word")
    before = word.value_of_css_property("background-color")
    click(d, d.find_element(By.CSS_SELECTOR, f"#{mv.PAINT} input"))
    depth0 = small.annotation_codes("depth")[int(t0.start)]
    colour = mf.category_colours(len(labels))[depth0]
    r, g, b = mf._rgb_tuple(colour)

    def painted():
        w = d.find_elements(By.CSS_SELECTOR, "#match-rows .lv-match-row")[0].find_element(
            By.CSS_SELECTOR, ".lv-match .lv-word")
        return w.value_of_css_property("background-color").replace(" ", "") == f"rgba({r:g},{g:g},{b:g},1)"
    until(painted, what="painted word background")
    assert before.replace(" ", "") != f"rgba({r:g},{g:g},{b:g},1)"


def test_choosing_an_annotation_writes_the_url(dash_duo, app_factory, expected):
    cells, m = expected
    d = open_app(dash_duo, app_factory)
    wait_rows(d, m.table[["start", "stop"]].to_numpy().tolist())
    click(d, d.find_element(By.CSS_SELECTOR, f"#{mv.ANNOTATION}"))
    option = until(lambda: [e for e in d.find_elements(By.CSS_SELECTOR, f"#{mv.ANNOTATION} *, [role=option]")
                            if e.text.strip() == "depth_scaled" and e.is_displayed()], what="dropdown option")
    option[-1].click()
    until(lambda: query(d).get("annotation") == "depth_scaled", what="annotation in the URL")
    until(lambda: len(d.find_elements(By.CSS_SELECTOR, "#match-rows .lv-track")) == len(m.table), what="tracks")
    bar = until(lambda: d.find_element(By.CSS_SELECTOR, "#match-legend .lv-legend-bar"), what="colour bar")
    assert "linear-gradient" in bar.get_attribute("style")


def test_clicking_a_match_moves_the_window_and_use_adopts_it(dash_duo, app_factory, small, expected):
    cells, m = expected
    d = open_app(dash_duo, app_factory, PRESET + "&exclude=1")
    kept = [c for c in cells.tolist() if c != 1]
    want = lv.match(small, LAYER, kept, THR)
    wait_rows(d, want.table[["start", "stop"]].to_numpy().tolist())
    width = int(query(d).get("width", 40))
    i = 3
    a, b = int(want.table.iloc[i].start), int(want.table.iloc[i].stop)
    click(d, d.find_elements(By.CSS_SELECTOR, "#match-rows .lv-match-row-body")[i])
    pos = mv.window_pos(a, b, width, len(small))
    until(lambda: query(d).get("pos") == str(pos), what=f"pos={pos} in the URL")
    q = query(d)
    assert q["sel"] == f"{SEL[0]}:{SEL[1]}" and q.get("exclude") == "1"        # S1 kept
    assert pos <= a and b <= pos + width
    until(lambda: d.find_element(By.ID, "pos-input").get_attribute("value") == str(pos), what="pos control")
    # "use": the match becomes the hypothesis, hand exclusions cleared
    j = 5
    a, b = int(want.table.iloc[j].start), int(want.table.iloc[j].stop)
    click(d, d.find_elements(By.CSS_SELECTOR, "#match-rows .lv-use-match")[j])
    until(lambda: query(d).get("sel") == f"{a}:{b}", what="sel = the match")
    assert "exclude" not in query(d)
    cells2 = lv.select(small, LAYER, a, b, THR)
    m2 = lv.match(small, LAYER, cells2, THR)
    wait_rows(d, m2.table[["start", "stop"]].to_numpy().tolist(), what="matches of the new hypothesis")


def test_csv_download_holds_the_full_ranked_table(dash_duo, app_factory, small, expected, tmp_path):
    cells, m = expected
    d = open_app(dash_duo, app_factory)
    d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    wait_rows(d, m.table[["start", "stop"]].to_numpy().tolist())
    click(d, d.find_element(By.ID, mv.DOWNLOAD_BUTTON))
    f = until(lambda: [p for p in Path(tmp_path).glob("*.csv")], what="downloaded CSV")[0]
    until(lambda: f.stat().st_size > 0 and not list(Path(tmp_path).glob("*.crdownload")), what="download done")
    text = f.read_text(encoding="utf-8")
    full = lv.match(small, LAYER, cells, THR, top=None).table
    assert text == mf.matches_csv(small, full)
    assert len(text.splitlines()) == len(full) + 1 > 51


def test_empty_hypothesis_and_no_selection_give_messages_not_errors(dash_duo, app_factory):
    d = open_app(dash_duo, app_factory, "?dataset=small&layer=cells&threshold=0.3")
    until(lambda: "Brush a range" in d.find_element(By.ID, mv.INFO).text, what="hint without selection")
    # a threshold no cell reaches: S1 is empty
    d.get(dash_duo.server_url + f"/?dataset=small&layer=cells&sel={SEL[0]}:{SEL[1]}&threshold=0.9999")
    until(lambda: "S1 is empty" in d.find_element(By.ID, mv.INFO).text, what="empty S1 message")
    assert shown_rows(d) == []
    click(d, d.find_element(By.ID, mv.DOWNLOAD_BUTTON))
    until(lambda: "nothing to download" in d.find_element(By.ID, mv.MESSAGE).text, what="download message")
