"""The threshold guidance and the preset links on the page, through Dash's HTTP endpoint (as the
renderer calls it): what they show for a view, the "use the suggested ℓ" action, and odd input."""
from __future__ import annotations

import base64

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash import guidance
from lstmvis_dash.ui.guidance_data import share_on
from lstmvis_dash.ui.presets_view import preset_href

from dash_http import FlaskDashClient

SEARCH = "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3"


def decode(spec, dtype):
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype)


@pytest.fixture
def client(app_factory):
    c = FlaskDashClient(app_factory())
    c.load_page(SEARCH)
    assert c.errors == []
    return c


def meta(client):
    return client.props["guidance-main-graph.figure"]["layout"]["meta"]


def test_guidance_shows_s1_by_share_and_the_suggestion(client, small):
    s1 = lv.select(small, "cells", 10, 14, 0.3)
    share = share_on(small, "cells", s1, 0.3)
    assert meta(client)["cells"] == s1[np.argsort(share, kind="stable")][:12].tolist()
    want = round(guidance.suggest_threshold(small, "cells", 10, 14), 4)
    assert meta(client)["suggested"] == want
    assert client.props["guidance-main-use.children"] == f"use the suggested ℓ = {want:g}"
    assert client.props["guidance-main-card.style"] == {}
    stats = client.props["guidance-main-stats.data"]
    assert stats["source"] == ["small", "cells"] and stats["key"] == meta(client)["key"]
    cells = decode(stats["cells"], np.int32)
    assert cells.tolist() == list(range(small.dims("cells")))        # every line of the plot can be hovered
    np.testing.assert_allclose(decode(stats["share"], np.float32), share_on(small, "cells", cells, 0.3), rtol=1e-6)
    assert decode(stats["q"], np.float32).shape == (len(cells) * stats["n_probs"],)


def test_use_the_suggestion_sets_the_threshold_in_one_round_trip(client, small):
    want = meta(client)["suggested"]
    client.act("guidance-main-use.n_clicks", 1)
    assert client.errors == []
    assert client.props["view-state.data"]["threshold"] == want
    assert f"threshold={want:g}" in client.props["url.search"]
    assert meta(client)["threshold"] == want and client.props["guidance-main-use.disabled"] is True
    assert client.props["select-main-graph.figure"] is not None


@pytest.mark.parametrize("value", [0, None, "x", {"a": 1}, [1], -1e308, True])
def test_odd_clicks_never_fail(client, value):
    before = client.props["view-state.data"]["threshold"]
    client.act("guidance-main-use.n_clicks", value)
    assert client.errors == []
    assert client.props["view-state.data"]["threshold"] in (before, meta(client)["suggested"])


def test_the_guidance_follows_the_transform_and_an_empty_selection(client, small):
    client.act("header-main-transform.value", "quantile")
    assert client.errors == []
    s1 = lv.select(small, "cells", 10, 14, 0.3, transform="quantile")
    share = share_on(small, "cells", s1, 0.3, "quantile")
    assert meta(client)["cells"] == s1[np.argsort(share, kind="stable")][:12].tolist()
    assert client.props["guidance-main-graph.figure"]["layout"]["xaxis"]["range"] == [-0.02, 1.02]
    client.act("select-main-clear.n_clicks", 1)
    assert meta(client)["cells"] == [] and meta(client)["suggested"] is None
    assert client.props["guidance-main-use.disabled"] is True


def test_preset_links_of_the_current_dataset(app_factory, small_dataset, tmp_path):
    cfg = tmp_path / "datasets.yml"
    cfg.write_text("datasets:\n"
                   f"  - name: small\n    path: {small_dataset}\n    presets:\n"
                   "      - label: \"<b>nested</b> & co\"\n        query: layer=hidden&sel=20:23&threshold=0.4\n"
                   f"  - name: plain\n    path: {small_dataset}\n", encoding="utf-8")
    c = FlaskDashClient(app_factory(config=cfg))
    c.load_page("?dataset=small")
    links = [x for x in c.props["presets-main-links.children"] if x["type"] == "Link"]
    assert [(x["props"]["children"], x["props"]["href"]) for x in links] == [
        ("<b>nested</b> & co", "?dataset=small&layer=hidden&sel=20:23&threshold=0.4")]   # text, not markup
    c.act("header-main-dataset.value", "plain")
    assert c.errors == [] and c.props["presets-main-links.children"] == []
    assert preset_href("a b&c", "sel=1:2") == "?dataset=a%20b%26c&sel=1:2"
