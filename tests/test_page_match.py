"""The match view in headless Chromium: one figure of rows (paper Fig. 1g), the histogram filter,
the annotation track and summary, row click / "use", CSV and figure export."""
from __future__ import annotations

import csv
import io
import time


import lstmvis_dash as lv
from lstmvis_dash.ui import match_data as md
from lstmvis_dash.ui import match_figures as mf
from lstmvis_dash.ui import select_figures as sf

MATRIX = "match-main-matrix"
SEARCH = "?dataset=small&layer=cells&pos=0&width=40&sel=20:24&threshold=0.3"


def expected(ds, sel=(20, 24), thr=0.3, **kw):
    cells = lv.select(ds, "cells", sel[0], sel[1], thr).tolist()
    return cells, lv.match(ds, "cells", cells, thr, **kw)


def rows_shown(page, rows):
    return page.wait(lambda: (page.matrix_meta() or {}).get("rows") == rows and page.matrix_meta(), "match rows")


def test_the_top_50_of_lv_match_as_one_figure(page, small):
    cells, m = expected(small)
    page.open(SEARCH)
    meta = rows_shown(page, m.table[["start", "stop"]].values.tolist())
    assert len(meta["rows"]) == 50
    # the words of row 0 and their colours: the number of S1 cells on (one figure, no component tree)
    grid = md.row_grid(small, "cells", m.table, cells, 0.3)
    fig = page.js(f"var gd = document.getElementById('{MATRIX}').querySelector('.js-plotly-plot');"
                  "var t = gd.data.find(d => d.name === 'text');"
                  "return {z: gd.data[0].z[0], text: t.text, y: t.y};")
    want_z = [None if c < 0 else float(c) for c, k in zip(grid.counts[0], grid.kind[0])]
    assert fig["z"] == want_z
    first_row_words = [t for t, y in zip(fig["text"], fig["y"]) if y == mf.ROW_PX / 2]
    elided = int(m.table["length"].iloc[0]) - (grid.max_shown - 1)
    assert first_row_words == [f"…+{elided}" if t == "…" else t for t in grid.tokens[0].tolist() if t]
    assert "top 50 of" in page.el("match-main-info").text
    # the words are drawn on the canvas over the plot (plotly draws no text there): row 0's words in
    # order, each with ink at its place, and the ranks and "use" labels beside every row
    drawn = page.wait(lambda: page.js(f"var c = document.querySelector('#{MATRIX} canvas.lv-text-layer');"
                                      "return c && c._lvDrawn && c._lvDrawn.length && c._lvDrawn;"), "canvas text")
    words = [d for d in drawn if d[4] == "text"]
    row0 = [d for d in words if d[1] == min(w[1] for w in words)]
    assert [d[2] for d in row0] == [t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
                                    for t in first_row_words]
    assert [d[2] for d in drawn if d[4] == "rank"] == [str(r + 1) for r in range(50)]
    assert [d[2] for d in drawn if d[4] == "use"] == ["use"] * 50
    ink = page.js(f"""var c = document.querySelector('#{MATRIX} canvas.lv-text-layer'), g = c.getContext('2d');
        var k = window.devicePixelRatio || 1;
        return arguments[0].map(function (d) {{ var px = g.getImageData(Math.round((d[0] - 4) * k), Math.round((d[1] - 5) * k),
            Math.round(8 * k), Math.round(10 * k)).data, n = 0;
            for (var i = 3; i < px.length; i += 4) {{ if (px[i] > 0) {{ n++; }} }} return n; }});""", row0)
    assert all(n > 0 for n in ink), ink
    assert page.js(f"return document.querySelectorAll('#{MATRIX} .textpoint').length") == 0


def test_histogram_click_filters_to_that_length_and_writes_the_url(page, small):
    cells, m = expected(small)
    page.open(SEARCH)
    rows_shown(page, m.table[["start", "stop"]].values.tolist())
    L = int(m.histogram.query("length >= 3")["length"].iloc[0])
    x, y = page.point("match-main-histogram", str(L), 0.5)
    page.click_at(x, y - 2)
    page.wait(lambda: page.query().get("length") == str(L), "length in the URL")
    _, mL = expected(small, min_length=L, max_length=L)
    rows_shown(page, mL.table[["start", "stop"]].values.tolist())
    x, y = page.point("match-main-histogram", str(L), 0.5)
    page.click_at(x, y - 2)                                               # the same bar again clears it
    page.wait(lambda: "length" not in page.query(), "length cleared")


def test_annotation_track_under_the_words_summary_and_paint(page, small):
    cells, m = expected(small)
    page.open(SEARCH + "&annotation=depth")
    rows_shown(page, m.table[["start", "stop"]].values.tolist())
    info = page.js(f"""var gd = document.getElementById('{MATRIX}').querySelector('.js-plotly-plot');
        return {{names: gd.data.map(t => t.name), wordsY: gd.data[0].y.slice(0, 3), trackY: gd.data[1].y.slice(0, 3)}};""")
    assert info["names"][:2] == ["words", "depth"]
    assert info["wordsY"][1] <= info["trackY"][0] < info["trackY"][1] <= info["wordsY"][2]   # under each row
    page.wait(lambda: page.el("match-main-summary-box").is_displayed(), "the annotation summary")
    title = page.js("""var s = document.querySelector('#match-main-summary .main-svg'), t = document.querySelector(
        '#match-main-summary .gtitle'); var a = t.getBoundingClientRect(), b = s.getBoundingClientRect();
        return [a.left >= b.left - 1, a.right <= b.right + 1, a.top >= b.top - 1];""")
    assert title == [True, True, True], "the summary's title is clipped"
    page.click(page.el("match-main-paint").find_element("css selector", "label"))
    page.wait(lambda: page.js(f"return document.getElementById('{MATRIX}').querySelector('.js-plotly-plot')"
                              ".data[0].zmax") == 4.5, "words painted with the 5 depth values")


def test_markup_in_the_data_is_shown_literally(page, markup_dataset):
    """Issue 9: an annotation value <b>bold</b> was bold and <a href=...> a link in the summary."""
    kinds = lv.open_dataset(markup_dataset).annotation("kind_of_markup_in_the_text", 0, 400)
    a = next(i for i in range(400) if kinds[i:i + 3] == ["plain"] * 3)     # cell 0 is on (2.5) over "plain"
    page.open(f"?dataset=markup&layer=raw&pos=0&width=40&sel={a}:{a + 3}&threshold=2&annotation=kind_of_markup_in_the_text")
    page.wait(lambda: page.el("match-main-summary-box").is_displayed(), "summary")
    page.wait(lambda: page.js("return document.querySelectorAll('#match-main-summary .xtick text').length") == 3,
              "summary ticks")
    ticks = page.js("return Array.from(document.querySelectorAll('#match-main-summary .xtick text')).map(t => t.textContent)")
    assert "<b>bold</b>" in ticks and "<a href='http://example.invalid'>click</a>" in ticks
    title = page.js("""var s = document.querySelector('#match-main-summary .main-svg'), t = document.querySelector(
        '#match-main-summary .gtitle'); var a = t.getBoundingClientRect(), b = s.getBoundingClientRect();
        return [a.left >= b.left - 1, a.right <= b.right + 1, a.top >= b.top - 1];""")
    assert title == [True, True, True], "a long annotation name clips the summary's title"
    for graph in ("match-main-summary", MATRIX, "select-main-graph"):
        assert page.js(f"return document.querySelectorAll('#{graph} svg a, #{graph} svg tspan[style*=\"bold\"]').length") == 0
    words = page.js("return Array.from(document.querySelectorAll('#select-main-graph .textpoint text')).map(t => t.textContent)")
    assert sf.short_word("<i>c</i>", sf.word_style(40)[1]) in words


def test_a_row_click_shows_the_match_and_use_adopts_it(page, small):
    cells, m = expected(small)
    page.open(SEARCH)
    meta = rows_shown(page, m.table[["start", "stop"]].values.tolist())
    r = 7
    a, b = meta["rows"][r]
    x, y = page.point(MATRIX, md.CONTEXT, r * meta["row_h"] + mf.ROW_PX / 2)
    page.click_at(x, y)
    page.wait(lambda: page.select_meta()["pos"] == max(0, min(a - (40 - (b - a)) // 2, 560)), "window moved there")
    q = page.query()
    assert q["sel"] == "20:24"                                                    # the hypothesis is kept
    focus = page.js("var gd = document.getElementById('select-main-graph').querySelector('.js-plotly-plot');"
                    "return gd.layout.shapes[4];")
    pos = page.select_meta()["pos"]
    assert focus["visible"] and (focus["x0"], focus["x1"]) == (a - pos - 0.5, b - pos - 0.5)   # marked
    assert page.el("select-main-use-focus").is_displayed()
    # "use": the match becomes the hypothesis
    r = 3
    a, b = meta["rows"][r]
    x, y = page.point(MATRIX, -1.4, r * meta["row_h"] + mf.ROW_PX / 2)
    page.click_at(x, y)
    page.wait(lambda: page.query().get("sel") == f"{a}:{b}", "sel = the used match")
    want = lv.select(small, "cells", a, b, 0.3).tolist()
    page.wait(lambda: page.select_meta()["s1"] == want, "S1 of the used match")


def test_csv_download_holds_the_full_ranked_table(page, small, downloads):
    cells, m = expected(small)
    full = lv.match(small, "cells", cells, 0.3, top=None).table
    for f in downloads.glob("*.csv"):
        f.unlink()
    page.open(SEARCH)
    rows_shown(page, m.table[["start", "stop"]].values.tolist())
    page.click(page.el("match-main-download-button"))
    path = page.wait(lambda: next(iter(downloads.glob("matches_small_cells_20-24*.csv")), None), "the CSV")
    time.sleep(0.5)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0][:5] == ["start", "stop", "length", "overlap", "union"] and len(rows) == len(full) + 1
    assert [int(v) for v in rows[1][:2]] == full[["start", "stop"]].values[0].tolist()


def test_figures_export_as_png_and_svg(page, small, downloads):
    page.open(SEARCH + "&annotation=depth")
    cells, m = expected(small)
    rows_shown(page, m.table[["start", "stop"]].values.tolist())
    from urllib.parse import unquote
    for graph in ("select-main-graph", MATRIX, "match-main-histogram"):
        for fmt, head in (("svg", "data:image/svg+xml"), ("png", "data:image/png")):
            url = page.d.execute_async_script(
                "var done = arguments[arguments.length - 1]; LV.figureImage(arguments[0], arguments[1])"
                ".then(done, function (e) { done('error: ' + e); });", graph, fmt)
            assert url.startswith(head), (graph, fmt, url[:80])
            if fmt == "svg" and graph == "select-main-graph":
                svg = unquote(url.split(",", 1)[1])
                assert "<image" not in svg and svg.count("class=\"js-line\"") >= 2      # vectors, not a raster
            if fmt == "svg" and graph == MATRIX:   # the words the page draws on a canvas are SVG text here
                svg = unquote(url.split(",", 1)[1])
                n_words = page.js(f"return document.querySelector('#{MATRIX} canvas.lv-text-layer')._lvDrawn.length")
                assert svg.count('class="textpoint"') >= n_words > 50 * 3
    # the buttons download the files
    for f in list(downloads.glob("*.png")) + list(downloads.glob("*.svg")):
        f.unlink()
    buttons = page.d.find_elements("css selector", "[data-lv-export]")
    assert {(b.get_attribute("data-lv-export"), b.get_attribute("data-lv-format")) for b in buttons} >= {
        (g, f) for g in ("select-main-graph", MATRIX, "match-main-histogram") for f in ("png", "svg")}
    for b in buttons:
        if b.get_attribute("data-lv-export") in ("select-main-graph", MATRIX, "match-main-histogram"):
            page.click(b)
    for name in ("select", "matches", "length_histogram"):
        png = page.wait(lambda: next(iter(downloads.glob(f"{name}*.png")), None), f"{name}.png")
        svg = page.wait(lambda: next(iter(downloads.glob(f"{name}*.svg")), None), f"{name}.svg")
        page.wait(lambda: png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"</svg>" in svg.read_bytes(), f"{name} files")


def test_no_selection_and_an_empty_hypothesis_say_so(page):
    page.open("?dataset=small&layer=cells&pos=0&width=40&threshold=0.3")
    page.wait(lambda: "Brush a range" in page.el("match-main-info").text, "no selection")
    page.open("?dataset=small&layer=cells&pos=0&width=40&sel=0:300&threshold=0.99")
    page.wait(lambda: "S1 is empty" in page.el("match-main-info").text, "empty S1")
