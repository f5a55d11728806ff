"""lv.show and Matches in a notebook: the HTML table, the preset view's validation."""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from selenium.webdriver.common.by import By

import lstmvis_dash as lv
from lstmvis_dash import notebook


def test_matches_html_lists_every_ranked_row_with_its_words(small_dataset):
    ds = lv.open_dataset(small_dataset)
    cells = lv.select(ds, "cells", 10, 14, 0.3)
    m = lv.match(ds, "cells", cells, 0.3, top=20)
    assert len(m.table) > 0
    page = notebook.matches_html(m, ds, context=2)
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>"
                      r"<td>(\d+)</td><td[^>]*>(.*?)</td></tr>", page)
    assert len(rows) == len(m.table)
    for (rank, a, b, n, ov, un, words), rec in zip(rows, m.table.itertuples(index=False)):
        assert (int(a), int(b), int(n), int(ov), int(un)) == (rec.start, rec.stop, rec.length, rec.overlap, rec.union)
        bold = re.search(r"<b>(.*?)</b>", words).group(1)
        assert bold.split(" ") == ds.tokens(rec.start, rec.stop)
    assert f"of {m.n_candidates:,} candidates" in page


def test_matches_html_context_stops_at_the_document_edge(small_dataset):
    ds = lv.open_dataset(small_dataset)
    second = int(ds.documents[1])

    class M:                 # a one-row Matches whose range starts a document
        import pandas as pd
        table = pd.DataFrame({"start": [second], "stop": [second + 2], "length": [2], "overlap": [1], "union": [1]})
        histogram = pd.DataFrame({"length": [2], "strict": [1], "fuzzy": [1]})
        n_candidates = 1
    page = notebook.matches_html(M, ds, context=3)
    words = re.search(r"monospace'>(.*?)</td>", page).group(1)
    assert words.startswith("<b>")
    assert words.split("</b> ")[1].split(" ") == ds.tokens(second + 2, second + 5)


def test_matches_repr_html_is_the_table(small_dataset):
    ds = lv.open_dataset(small_dataset)
    m = lv.match(ds, "cells", lv.select(ds, "cells", 10, 14, 0.3), 0.3)
    html = m._repr_html_()
    assert "<table>" in html and html.count("<tr><td>") == len(m.table)
    empty = lv.match(ds, "cells", [], 0.3)
    assert "<b>0</b> ranked matches" in empty._repr_html_()


# -- the README's notebook, executed in a real kernel, its dashboards loaded in Chromium ---------

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook.ipynb"


def _outputs(cell, kind):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == kind]


def _shown(cell) -> tuple[str, str]:
    """(the URL lv.show returned, the iframe HTML the cell displays for it)."""
    (result,) = _outputs(cell, "execute_result")
    url = result["data"]["text/plain"].strip("'\"")
    frames = [o["data"]["text/html"] for o in _outputs(cell, "display_data") if "text/html" in o.get("data", {})]
    (frame,) = [f for f in frames if "<iframe" in f and f'src="{url}"' in f]
    return url, frame


def _page_view(driver, frame_html: str, folder: Path) -> dict:
    """Render a cell's iframe as the notebook does; once the dashboard in it has drawn its select
    view: the dashboard's URL query and S1 chips, and the notices it shows."""
    from conftest import until
    page = folder / "cell.html"
    page.write_text(f"<html><body>{frame_html}</body></html>", encoding="utf-8")
    driver.get(page.as_uri())
    driver.switch_to.frame(until(lambda: driver.find_element(By.TAG_NAME, "iframe"), what="the iframe"))
    try:
        until(lambda: driver.find_elements(By.CSS_SELECTOR, "#select-main-graph .js-plotly-plot"), what="the select view")
        chips = until(lambda: driver.find_elements(By.CSS_SELECTOR, ".s1-chip"), what="the S1 chips")
        search = driver.execute_script("return window.location.search")
        return {"query": {k: v[-1] for k, v in parse_qs(search[1:]).items()},
                "s1": sorted(int(c.get_attribute("data-cell")) for c in chips),
                "notices": [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".alert")]}
    finally:
        driver.switch_to.default_content()


@pytest.fixture(scope="module")
def executed_notebook(tmp_path_factory):
    """docs/notebook.ipynb run cell by cell in an IPython kernel, as Jupyter runs it; right after
    each lv.show cell, its dashboard is loaded in headless Chromium (a later show replaces it).
    Yields (notebook, [(show cell, URL, page view)])."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from selenium import webdriver
    import conftest
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    driver = webdriver.Chrome(options=conftest.pytest_setup_options())
    shown = []
    saved = os.environ.get("PYTHONPATH")
    # as the README starts Jupyter: the repository on the kernel's path (the notebook runs in docs/)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(NOTEBOOK.parents[1])] + ([saved] if saved else []))
    try:
        with client.setup_kernel():
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                client.execute_cell(cell, i)
                if "lv.show(" in cell.source and not _outputs(cell, "error"):
                    url, frame = _shown(cell)
                    shown.append((cell, url, _page_view(driver, frame, tmp_path_factory.mktemp("cell"))))
        yield nb, shown
    finally:
        driver.quit()
        if saved is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved


def test_notebook_runs_and_shows_matches_as_a_table(executed_notebook):
    nb, _ = executed_notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    for c in code:
        assert not _outputs(c, "error"), (c.source, _outputs(c, "error"))
    matches_cell = next(c for c in code if c.source.rstrip().endswith("\nm"))
    page = _outputs(matches_cell, "execute_result")[0]["data"]["text/html"]
    assert page.count("<tr><td>") == 50 and "<th>words</th>" in page
    share = next(c for c in code if "depth[matched] == 4" in c.source)
    assert float(_outputs(share, "execute_result")[0]["data"]["text/plain"]) >= 0.9


def test_notebook_dashboards_open_their_preset_views(executed_notebook):
    nb, shown = executed_notebook
    assert len(shown) == 2
    (_, first, view1), (_, second, view2) = shown
    assert urlparse(first).netloc == urlparse(second).netloc        # the second replaced the first
    assert {k: view1["query"].get(k) for k in ("dataset", "layer", "sel", "threshold")} == \
        {"dataset": "parens", "layer": "cell2", "sel": "94:97", "threshold": "0.3"}
    ds = lv.open_dataset("parens", config=NOTEBOOK.parents[1] / "datasets.yml")
    assert view1["s1"] == lv.select(ds, "cell2", 94, 97, 0.3).tolist()
    assert view2["query"].get("dataset") == "sentence" and view2["query"].get("sel") == "5:7"
    assert view2["s1"] and not view1["notices"] and not view2["notices"]


def test_preset_view_is_validated_like_a_typed_url(app_factory):
    app = app_factory()
    q = notebook.view_query(app, "small", {"layer": "hidden", "sel": (10, 14), "pad": [1, 0], "exclude": {3, 1},
                                           "threshold": 0.5})
    assert parse_qs(q) == {"dataset": ["small"], "layer": ["hidden"], "sel": ["10:14"], "pad": ["1:0"],
                           "exclude": ["1,3"], "threshold": ["0.5"]}
    for view, word in [({"layer": "nope"}, "layer"), ({"threshold": "high"}, "threshold"),
                       ({"sel": (10, 20, 30)}, "sel"), ({"width": 10_000}, "width"), ({"colour": "red"}, "colour"),
                       ({"pos": None}, "pos")]:
        with pytest.raises(ValueError, match=word):
            notebook.view_query(app, "small", view)


def test_show_serves_a_dataset_object_by_its_folder_and_names_bad_sources(small_dataset, small_config):
    ds = lv.open_dataset(small_dataset)
    cfg, first = notebook._config_for(ds, None)
    assert first == ds.name and cfg.names() == [ds.name] and cfg.entry(ds.name).path == Path(small_dataset)
    cfg, first = notebook._config_for("parens_small", small_config)
    assert first == "parens_small" and "small" in cfg.names()
    cfg, first = notebook._config_for(str(small_config), None)
    assert first is None and cfg.file == Path(small_config)
    with pytest.raises(ValueError, match="'nope' is neither a config file nor a dataset"):
        notebook._config_for("nope", small_config)
    with pytest.raises(ValueError, match="expected a Dataset"):
        notebook._config_for(42, None)


def test_show_outside_a_notebook_says_how_to_start_the_dashboard(small_dataset):
    with pytest.raises(RuntimeError, match="python app.py"):
        lv.show(lv.open_dataset(small_dataset))


def test_show_serves_a_sharded_dataset_by_its_shard_folders(tmp_path):
    from conftest import make_small_dataset
    a = make_small_dataset(tmp_path / "a", T=200)
    b = make_small_dataset(tmp_path / "b", T=100, seed=1)
    ds = lv.open_shards([a, b])
    cfg, first = notebook._config_for(ds, None)
    entry = cfg.entry(first)
    assert entry.shards == (Path(a), Path(b))
    served = lv.open_dataset(first, config=cfg)
    assert len(served) == len(ds) == 300
