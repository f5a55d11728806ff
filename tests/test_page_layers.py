"""Issue 11 in headless Chromium: the transform selector and the `transform` URL key round trip,
a sparse (SAE) layer and zscore layers in the select and match views, and the guidance's warning
on a sparse layer through quantile (conftest.page over the test datasets, conftest.repo_page over
the bundled ones)."""
from __future__ import annotations

import pytest

import lstmvis_dash as lv

from conftest import REPO_CONFIG

SMALL = "?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3"


@pytest.fixture(scope="module")
def showcase():
    try:
        return lv.open_dataset("parens_transformer", config=REPO_CONFIG)
    except (ValueError, OSError) as e:
        pytest.skip(f"the bundled parens_transformer dataset: {e}")


def s1_of(ds, layer, sel, thr, transform=None):
    return lv.select(ds, layer, sel[0], sel[1], thr, transform=transform).tolist()


def rows_of(ds, layer, cells, thr, transform=None):
    return lv.match(ds, layer, cells, thr, transform=transform).table[["start", "stop"]].values.tolist()


def shown(page, what, **expect):
    def ok():
        m = page.select_meta()
        return m if m and all(m.get(k) == v for k, v in expect.items()) else None
    return page.wait(ok, what)


def match_rows(page, rows, what):
    page.wait(lambda: (page.matrix_meta() or {}).get("rows") == rows, what)


def choose(page, dropdown_id, label_start):
    page.click(page.el(dropdown_id))
    option = page.wait(lambda: [e for e in page.d.find_elements("css selector", "[role=option]")
                                if e.text.startswith(label_start)], f"the option {label_start!r}")[0]
    page.click(option)


def test_the_transform_selector_and_its_url_key(page, small):
    page.open(SMALL)
    shown(page, "tanh S1", s1=s1_of(small, "cells", (10, 14), 0.3))
    choose(page, "header-main-transform", "quantile")
    page.wait(lambda: page.query().get("transform") == "quantile", "transform=quantile in the URL")
    shown(page, "quantile S1", s1=s1_of(small, "cells", (10, 14), 0.3, "quantile"))
    # the URL key round trip: an address with transform= opens that view, the selector shows it
    page.open(SMALL.replace("threshold=0.3", "threshold=0.5&transform=zscore"))
    want = s1_of(small, "cells", (10, 14), 0.5, "zscore")
    assert want and want != s1_of(small, "cells", (10, 14), 0.5)
    shown(page, "zscore S1 from the URL", s1=want)
    assert page.query().get("transform") == "zscore"
    page.wait(lambda: page.el("header-main-transform").text.startswith("zscore"), "the selector shows zscore")
    match_rows(page, rows_of(small, "cells", want, 0.5, "zscore"), "zscore matches of a tanh layer")
    # back to the layer's own transform: the key leaves the URL (it is the default)
    choose(page, "header-main-transform", "tanh")
    page.wait(lambda: "transform" not in page.query(), "no transform key for the layer's own")


def test_a_sparse_layer_in_the_select_and_match_views(repo_page, showcase):
    page = repo_page
    page.open("?dataset=parens_transformer&layer=resid.sae&sel=31:34&threshold=0.5")
    want = s1_of(showcase, "resid.sae", (31, 34), 0.5)
    assert want, "the showcase's SAE finding selects features"
    m = shown(page, "the SAE layer's S1", s1=want, source=["parens_transformer", "resid.sae"])
    assert m["D"] == showcase.dims("resid.sae") and len(m["cells"]) < m["D"]   # only the active features drawn
    match_rows(page, rows_of(showcase, "resid.sae", want, 0.5), "the SAE layer's matches")
    assert "error" not in page.notice().lower() and "error" not in page.el("match-main-info").text.lower()


def test_zscore_layer_in_the_match_view(repo_page, showcase):
    page = repo_page
    page.open("?dataset=parens_transformer&layer=resid&sel=31:34&threshold=0.5")
    assert showcase.transform("resid") == "zscore"
    want = s1_of(showcase, "resid", (31, 34), 0.5)
    shown(page, "the zscore layer's S1", s1=want)
    match_rows(page, rows_of(showcase, "resid", want, 0.5), "the zscore layer's matches")
    assert "error" not in page.notice().lower()


def test_quantile_on_a_sparse_layer_warns_in_the_guidance(repo_page, showcase):
    page = repo_page
    page.open("?dataset=parens_transformer&layer=resid.sae&sel=31:34&threshold=0.99&transform=quantile")
    want = s1_of(showcase, "resid.sae", (31, 34), 0.99, "quantile")
    shown(page, "quantile S1 of the SAE layer", s1=want)
    text = page.wait(lambda: page.el("guidance-main-warn").text, "the guidance's warning")
    assert "on at its zeros" in text and f"of the {len(want)} S1 cells" in text
