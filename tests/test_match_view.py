"""The match view's render without a browser (a RenderContext over the registry): what it shows,
the filter, the error path with its retry, the CSV."""
from __future__ import annotations

import csv
import io

import pytest
from dash import no_update

import lstmvis_dash as lv
from lstmvis_dash.config import load_config
from lstmvis_dash.ui import data
from lstmvis_dash.ui.context import RenderContext
from lstmvis_dash.ui.match_view import MatchView, click_length, download
from lstmvis_dash.ui.registry import Registry
from lstmvis_dash.ui.state import ViewState

LAYER, SEL, THR = "cells", (20, 24), 0.3


@pytest.fixture
def registry(small_config):
    return Registry(load_config(small_config))


@pytest.fixture
def view():
    return MatchView()


def render(view, registry, state, trigger=None, values=None):
    ctx = RenderContext(registry, registry.catalog(), state, None, trigger, values or {})
    return view.render(ctx), ctx


STATE = ViewState(dataset="small", layer=LAYER, sel=SEL, threshold=THR)


def test_render_shows_lv_match_top_50(view, registry):
    out, _ = render(view, registry, STATE)
    i = view.ids
    ds = registry.get("small")
    m = lv.match(ds, LAYER, lv.select(ds, LAYER, *SEL, THR), THR)
    assert out[(i.matrix, "figure")]["layout"]["meta"]["rows"] == m.table[["start", "stop"]].values.tolist()
    assert out[(i.histogram, "figure")]["data"][0]["y"] == m.histogram["fuzzy"].tolist()
    assert f"top 50 of {int(m.histogram.query('length >= 2')['fuzzy'].sum()):,}" in out[(i.info, "children")]
    assert out[(i.retry, "style")] == {"display": "none"} and out[(i.summary_box, "style")] == {"display": "none"}


def test_length_filter_annotation_and_paint(view, registry):
    out, _ = render(view, registry, STATE.replace(length=2, annotation="depth"), (view.ids.paint, "value"),
                    {(view.ids.paint, "value"): ["paint"]})
    i = view.ids
    rows = out[(i.matrix, "figure")]["layout"]["meta"]["rows"]
    assert rows and all(b - a == 2 for a, b in rows)
    assert out[(i.summary_box, "style")]["display"] == "block"
    assert out[(i.summary, "figure")]["data"][0]["x"] == ["0", "1", "2", "3", "4"]
    assert "length 2" in out[(i.info, "children")]
    assert out[(i.matrix, "figure")]["data"][0]["zmax"] == 4.5     # painted: the 5 depth categories


def test_no_selection_and_empty_s1(view, registry):
    out, _ = render(view, registry, STATE.replace(sel=None))
    assert "Brush a range" in out[(view.ids.info, "children")]
    out, _ = render(view, registry, STATE.replace(threshold=0.999))
    assert "S1 is empty" in out[(view.ids.info, "children")]


def test_a_failed_query_is_said_with_a_retry(view, registry, monkeypatch):
    def fail(*a, **k):
        raise ConnectionError("the scheduler at tcp://x:8786 does not answer")
    monkeypatch.setattr(data, "matches", fail)
    out, _ = render(view, registry, STATE)
    i = view.ids
    assert "does not answer" in out[(i.message, "children")]
    assert out[(i.retry, "style")] == {"display": "inline-block"}
    monkeypatch.undo()
    out, _ = render(view, registry, STATE, (i.retry, "n_clicks"))
    assert out[(i.retry, "style")] == {"display": "none"} and out[(i.matrix, "figure")]["layout"]["meta"]["rows"]


@pytest.mark.parametrize("click,length", [
    ({"points": [{"x": "3", "customdata": [3, 1, 4]}]}, 3), ({"points": [{"x": "7"}]}, 7),
    (None, None), ({"points": []}, None), ({"points": [{"x": "junk"}]}, None), ({"points": ["x"]}, None),
    ({"points": [{"customdata": [True]}]}, None)])
def test_click_length(click, length):
    assert click_length(click) == length


def test_download(registry):
    out, message = download(registry, STATE)
    assert message == "" and out["filename"].endswith(".csv")
    rows = list(csv.reader(io.StringIO(out["content"])))
    ds = registry.get("small")
    full = lv.match(ds, LAYER, lv.select(ds, LAYER, *SEL, THR), THR, top=None).table
    assert len(rows) == len(full) + 1
    out, message = download(registry, STATE.replace(threshold=0.999))
    assert out is no_update and "nothing to download" in message
