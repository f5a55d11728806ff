"""Unit tests of the match view's data and figures (ui/match_data.py, ui/match_figures.py)."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import lstmvis_dash as lv
from lstmvis_dash.ui import match_data as md
from lstmvis_dash.ui.figures import empty_figure
from lstmvis_dash.ui import match_figures as mf

FIXTURE = Path(__file__).parent / "fixtures" / "lstmvis_parens_small"


@pytest.fixture(scope="module")
def small():
    return lv.open_dataset(FIXTURE)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """12 tokens in two documents, 3 cells with known on/off patterns (transform none)."""
    tokens = "a b c d e f g h i j k l".split()
    s = np.full((12, 3), -1.0, np.float32)
    s[2:5, 0] = 1.0          # cell 0 on at 2,3,4
    s[3:5, 1] = 1.0          # cell 1 on at 3,4
    s[8:11, 0] = 1.0         # cell 0 on at 8,9,10 (second document starts at 7)
    s[:, 2] = 1.0            # cell 2 always on
    cat = np.array([0, 0, 1, 1, 2, 2, 0, 1, 1, 1, 2, 0])
    scal = np.linspace(0, 1.1, 12).astype(np.float32)
    scal[5] = np.nan
    path = lv.write_dataset(tmp_path_factory.mktemp("toy") / "toy", tokens, {"L": s},
                            annotations={"cat": [f"c{x}" for x in cat], "val": scal},
                            documents=[0, 7], transforms={"L": "none"})
    return lv.open_dataset(path)


def _table(rows):
    df = pd.DataFrame(rows, columns=["start", "stop", "length", "overlap", "union"])
    return df.astype(np.int64)


# -- grid ---------------------------------------------------------------------------------------
def test_grid_aligns_rows_at_match_start_and_clips_context_at_documents(toy):
    t = _table([[2, 5, 3, 1, 2], [8, 11, 3, 1, 2], [0, 2, 2, 0, 1]])
    g = md.row_grid(toy, "L", t, [0, 1], 0.5, context=3, max_shown=20)
    assert g.width == 3 + 3 + 3
    # row 0: left context 0,1 (doc starts at 0, so column 0 is empty), match 2..4, right 5,6 (doc ends at 7)
    assert g.pos[0].tolist() == [-1, 0, 1, 2, 3, 4, 5, 6, -1]
    assert g.kind[0].tolist() == [0, 1, 1, 2, 2, 2, 3, 3, 0]
    # row 1: doc 7..12: left 7, match 8..10, right 11
    assert g.pos[1].tolist() == [-1, -1, 7, 8, 9, 10, 11, -1, -1]
    # row 2: length 2 -> right context follows directly after the match
    assert g.pos[2].tolist() == [-1, -1, -1, 0, 1, 2, 3, 4, -1]
    assert g.kind[2].tolist() == [0, 0, 0, 2, 2, 3, 3, 3, 0]
    assert g.tokens[0].tolist() == ["", "a", "b", "c", "d", "e", "f", "g", ""]
    # counts of cells {0, 1} on: position 2 -> 1, 3 -> 2, 4 -> 2, 8 -> 1
    assert g.counts[0].tolist() == [-1, 0, 0, 1, 2, 2, 0, 0, -1]
    assert g.counts[1].tolist() == [-1, -1, 0, 1, 1, 1, 0, -1, -1]
    assert g.n_cells == 2


def test_grid_elides_long_matches(toy):
    t = _table([[0, 7, 7, 1, 1], [8, 10, 2, 1, 1]])
    g = md.row_grid(toy, "L", t, [2], 0.5, context=1, max_shown=4)
    assert g.width == 1 + 4 + 1
    assert g.kind[0].tolist() == [0, 2, 2, 2, 4, 0]     # right context at 7 is another document
    assert g.tokens[0].tolist() == ["", "a", "b", "c", "…", ""]
    assert g.pos[1].tolist() == [7, 8, 9, 10, -1, -1]
    assert g.kind[1].tolist() == [1, 2, 2, 3, 0, 0]


def test_grid_counts_agree_with_values_and_threshold(small):
    layer = small.layers[0]
    cells = lv.select(small, layer, 10, 14, 0.3)
    m = lv.match(small, layer, cells, 0.3)
    g = md.row_grid(small, layer, m.table, cells, 0.3)
    assert g.n_rows == 50
    for i in (0, 17, 49):
        for j in range(g.width):
            p = g.pos[i, j]
            if p < 0:
                assert g.counts[i, j] == -1
                continue
            v = small.values(layer, int(p), int(p) + 1)[0, cells]
            assert g.counts[i, j] == int((v >= np.float32(0.3)).sum())
            assert g.tokens[i, j] == small.tokens(int(p), int(p) + 1)[0]
    # inside a match with overlap o, at least o cells are on at every position
    for i, row in enumerate(m.table.itertuples()):
        inside = g.counts[i][g.kind[i] == md.MATCH]
        assert (inside >= row.overlap).all()


def test_grid_of_empty_table(small):
    g = md.row_grid(small, small.layers[0], _table([]), [], 0.3)
    assert g.n_rows == 0


def test_overlap_colours_for_any_set_size():
    for n in range(0, 700):
        c = mf.overlap_colours(n)
        assert len(c) == n + 1 and c[0] == "#ffffff"


# -- the matrix figure ----------------------------------------------------------------------------
def _fig(d):
    return go.Figure(d)      # validates every property


def test_matrix_words_colours_outline_and_rows(toy):
    t = _table([[2, 5, 3, 1, 2], [8, 11, 3, 1, 2]])
    g = md.row_grid(toy, "L", t, [0, 1], 0.5)
    d = mf.matrix_figure(g, key="k", dataset="toy")
    fig = _fig(d)
    heat, text, outline, use, rank, scale = fig.data
    # the bricks are filled on a canvas under the plot (assets/lstmvis.js); the colour bar is its carrier's
    assert (heat.meta, heat.visible, heat.showscale) == (mf.CANVAS_HEATMAP, False, False)
    assert scale.showscale and scale.colorbar.title.text == "S1 on" and scale.colorscale == heat.colorscale
    assert (scale.meta, scale.visible) == (mf.CANVAS_COLORBAR, False)                    # drawn by the page too
    assert (scale.zmin, scale.zmax) == (heat.zmin, heat.zmax) and d["layout"]["paper_bgcolor"] == "rgba(0,0,0,0)"
    z = np.array(heat.z, dtype=float)
    assert z.shape == (4, g.width)                              # a word row and a filler row per match
    assert z[0].tolist()[1:8] == [0, 0, 1, 2, 2, 0, 0] and np.isnan(z[1]).all()
    palette = mf.overlap_colours(2)
    assert heat.zmin == -0.5 and heat.zmax == 2.5 and heat.colorscale[2][1] == palette[1]
    words = [w for w, y in zip(text.text, text.y) if y == mf.ROW_PX / 2]
    assert words == ["a", "b", "c", "d", "e", "f", "g"]
    xs = [x for x in outline.x if x is not None]
    assert min(xs) == g.context - 0.5 and max(xs) == g.context + 3 - 0.5
    assert list(use.text) == ["use", "use"] and list(rank.text) == ["1", "2"]
    # the words, "use" labels and ranks are drawn on a canvas (assets/lstmvis.js), not by plotly
    assert {t.meta for t in (text, use, rank)} == {mf.CANVAS_TEXT} and text.visible is False and rank.visible is False
    assert use.visible is False and use.marker.symbol == "square"   # its box on the canvas; assets/match.js clicks it
    assert d["layout"]["meta"] == {"rows": [[2, 5], [8, 11]], "row_h": mf.ROW_PX + mf.GAP_PX, "key": "k",
                                   "dataset": "toy"}
    assert "3: d · 2/2 on" in json.dumps(d, ensure_ascii=False) and "NaN" not in json.dumps(d)


def test_matrix_track_rows_under_the_words_and_paint(toy):
    t = _table([[2, 5, 3, 1, 2]])
    g = md.row_grid(toy, "L", t, [0], 0.5)
    tr = md.annotation_track(toy, "cat", g)
    assert tr.kind == "categorical" and tr.labels == ["c0", "c1", "c2"]
    assert tr.values[0].tolist()[1:8] == [0, 0, 1, 1, 2, 2, 0]         # positions 0..6
    assert tr.texts[0].tolist()[1:4] == ["c0", "c0", "c1"]
    fig = _fig(mf.matrix_figure(g, tr))
    words, track = fig.data[0], fig.data[1]
    y_words, y_track = list(words.y), list(track.y)
    assert y_track[0] >= y_words[1] and y_track[1] <= y_words[2]           # the track row sits under the words
    assert np.array(track.z, dtype=float)[0].tolist()[1:8] == [0, 0, 1, 1, 2, 2, 0]
    painted = _fig(mf.matrix_figure(g, tr, paint=True)).data[0]
    assert np.array(painted.z, dtype=float)[0].tolist()[3:6] == [1, 1, 2]


def test_scalar_track_keeps_missing_values_empty(toy):
    t = _table([[3, 6, 3, 1, 1]])
    g = md.row_grid(toy, "L", t, [2], 0.5)
    tr = md.annotation_track(toy, "val", g)
    assert tr.kind == "scalar" and tr.lo == 0.0 and tr.hi == pytest.approx(1.1)
    j = int(np.flatnonzero(g.pos[0] == 5)[0])
    assert np.isnan(tr.values[0, j]) and tr.texts[0, j] == "nan"
    assert mf.track_scale(tr)["colorscale"] == mf.SCALAR_SCALE


def test_matrix_text_is_literal(tmp_path):
    tokens = ["<b>", "&amp;", "<a href='x'>l</a>", "x", "y", "z"]
    s = np.ones((6, 2), np.float32)
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "m", tokens, {"L": s}, annotations={"k": tokens},
                                          transforms={"L": "none"}))
    t = _table([[1, 4, 3, 2, 2]])
    g = md.row_grid(ds, "L", t, [0, 1], 0.5)
    d = mf.matrix_figure(g, md.annotation_track(ds, "k", g))
    text = d["data"][2]["text"]
    assert "&lt;b&gt;" in text and "&amp;amp;" in text and not any("<" in x for x in text)
    assert "<a" not in json.dumps(d["data"][0]["text"]) and "<a" not in json.dumps(d["data"][1]["text"])


def test_empty_matrix():
    assert "no matches" in json.dumps(mf.matrix_figure(md.RowGrid(_table([]), np.zeros((0, 0), np.int64),
                                                                   np.zeros((0, 0), np.int8), np.zeros((0, 0), object),
                                                                   np.zeros((0, 0), np.int64), 0, 3)))


# -- summary ------------------------------------------------------------------------------------
def test_matched_positions_and_shares(toy):
    t = _table([[2, 5, 3, 1, 2], [3, 5, 2, 1, 2]])
    assert md.matched_positions(t).tolist() == [2, 3, 4, 3, 4]
    s = md.annotation_shares(toy, "cat", t)
    assert s["label"].tolist() == ["c0", "c1", "c2"]
    assert s["inside"].tolist() == [0, 3, 2]
    assert s["inside_share"].tolist() == pytest.approx([0, 0.6, 0.4])
    assert s["overall"].tolist() == [4, 5, 3]
    fig = go.Figure(mf.annotation_summary_figure(toy, "cat", t))
    assert list(fig.data[0].y) == pytest.approx([0, 60, 40])
    assert list(fig.data[1].y) == pytest.approx([100 * 4 / 12, 100 * 5 / 12, 100 * 3 / 12])


def test_scalar_summary(toy):
    t = _table([[0, 3, 3, 1, 1]])
    fig = go.Figure(mf.annotation_summary_figure(toy, "val", t))
    assert len(fig.data) == 2
    assert sum(fig.data[0].y) == pytest.approx(100)
    assert sum(fig.data[1].y) == pytest.approx(100)
    mean_in = float(np.mean(toy.annotation_codes("val")[0:3]))
    assert f"{mean_in:.3g}" in fig.data[0].name
    assert pio.to_json(fig)


def test_summary_without_matches(toy):
    fig = go.Figure(mf.annotation_summary_figure(toy, "cat", _table([])))
    assert "no matches" in fig.layout.annotations[0].text


def test_templates_are_none(toy):
    t = _table([[2, 5, 3, 1, 2]])
    hist = pd.DataFrame({"length": [1, 3], "strict": [0, 1], "fuzzy": [4, 2]})
    for d in (mf.annotation_summary_figure(toy, "cat", t), mf.annotation_summary_figure(toy, "val", t),
              mf.length_histogram_figure(hist), empty_figure("x")):
        fig = go.Figure(d)             # validates every property
        assert fig.layout.template == pio.templates["none"]
        assert json.loads(json.dumps(d)) == d


# -- histogram ----------------------------------------------------------------------------------
def test_length_histogram(small):
    layer = small.layers[0]
    cells = lv.select(small, layer, 10, 14, 0.3)
    m = lv.match(small, layer, cells, 0.3)
    fig = go.Figure(mf.length_histogram_figure(m.histogram, selected=5, n_cells=len(cells)))
    fuzzy, strict = fig.data
    assert list(fuzzy.x) == [str(v) for v in m.histogram["length"]]
    assert list(fuzzy.y) == m.histogram["fuzzy"].tolist()
    assert list(strict.y) == m.histogram["strict"].tolist()
    assert [c[0] for c in fuzzy.customdata] == m.histogram["length"].tolist()
    i5 = m.histogram["length"].tolist().index(5)
    assert fuzzy.marker.color[i5] == mf.HIST_SELECTED
    assert sum(c == mf.HIST_SELECTED for c in fuzzy.marker.color) == 1
    assert "strict" in fuzzy.hovertemplate and "fuzzy" in fuzzy.hovertemplate
    assert "length 5" in fig.layout.title.text
    assert go.Figure(mf.length_histogram_figure(m.histogram)).layout.title.text.startswith("candidates")
    empty = go.Figure(mf.length_histogram_figure(m.histogram.iloc[:0]))
    assert "no candidates" in empty.layout.annotations[0].text


# -- CSV ----------------------------------------------------------------------------------------
def test_csv_holds_the_full_ranked_table(small):
    layer = small.layers[0]
    cells = lv.select(small, layer, 10, 14, 0.3)
    full = lv.match(small, layer, cells, 0.3, top=None).table
    assert len(full) > 50
    text = md.matches_csv(small, full)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0].keys()) == md.CSV_COLUMNS + small.annotations
    assert len(rows) == len(full)
    back = pd.DataFrame(rows)[["start", "stop", "length", "overlap", "union"]].astype(np.int64)
    pd.testing.assert_frame_equal(back, full.reset_index(drop=True))
    for r in (rows[0], rows[len(rows) // 2], rows[-1]):
        a, b = int(r["start"]), int(r["stop"])
        assert r["words"] == " ".join(small.tokens(a, b))
        assert r["depth"].split(" ") == [str(x) for x in small.annotation("depth", a, b)]
        assert [float(x) for x in r["depth_scaled"].split(" ")] == pytest.approx(
            small.annotation("depth_scaled", a, b))


def test_csv_quotes_awkward_tokens(tmp_path):
    tokens = ['say', '"hi",', 'a,b', 'x']
    ds = lv.open_dataset(lv.write_dataset(tmp_path / "q", tokens, {"L": np.ones((4, 2), np.float32)}))
    text = md.matches_csv(ds, _table([[0, 3, 3, 2, 2]]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][5] == 'say "hi", a,b'
