"""The dashboard on sharded and cluster entries (issue 10, SPEC.md section 7): through the page
callback, a `shards:` entry shows exactly what one folder with the same data shows (S1, the match
rows with their per-word counts, the histogram) for every transform, dense and sparse; the entry's
`cluster:` answers the matches, and a cluster that goes away is said with a retry and no table."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import lstmvis_dash as lv
from lstmvis_dash.ui.registry import Registry
from test_sparse import sparse_states
from test_shards import write_split

from dash_http import FlaskDashClient

TRANSFORMS = ("tanh", "none", "zscore", "quantile")
LEVEL = {"tanh": 0.3, "none": 0.3, "zscore": 0.5, "quantile": 0.7}
T = 480
MATRIX, HIST, SELECT = "match-main-matrix.figure", "match-main-histogram.figure", "select-main-graph.figure"


def runs(rng, T, D):
    """Cells on over stretches of a few tokens (so that matches have lengths), off between them."""
    on = np.zeros((T, D), bool)
    for c in range(D):
        t = int(rng.integers(0, 6))
        while t < T:
            n = int(rng.integers(1, 7))
            on[t:t + n, c] = True
            t += n + int(rng.integers(1, 9))
    hi, lo = rng.uniform(0.35, 2.0, (T, D)), rng.uniform(-2.0, 0.25, (T, D))
    return np.where(on, hi, lo).astype(np.float32)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """One folder, and the same data as three shards (documents of uneven length): a dense layer
    and a sparse one."""
    rng = np.random.default_rng(10)
    tmp = tmp_path_factory.mktemp("page_shards")
    documents = [0, 37, 90, 150, 151, 230, 301, 333, 420]
    states = {"dense": runs(rng, T, 10), "sae": sp.csr_matrix(sparse_states(rng, T, 40))}
    tokens = [f"w{i}" for i in rng.integers(0, 30, T)]
    tags = np.array(["DT", "NN", "VB"])[rng.integers(0, 3, T)].tolist()
    one, sharded = write_split(tmp, tokens, states, documents, {"pos": tags}, [0, 3, 6],
                               transforms={"dense": "tanh", "sae": "none"})
    return tmp, one, sharded


def write_config(tmp, sharded, name="datasets.yml", cluster=None):
    shards = ", ".join(str(p) for p in sharded.paths)
    text = (f"datasets:\n  - name: one\n    path: {tmp / 'ds'}\n"
            f"  - name: split\n    shards: [{shards}]\n")
    if cluster:
        text += f"  - name: remote\n    shards: [{shards}]\n    cluster: {cluster}\n"
    cfg = tmp / name
    cfg.write_text(text, encoding="utf-8")
    return cfg


def a_selection(ds, layer, transform):
    """A 2-token range whose S1 is not empty (the first one in the data)."""
    for a in range(0, T - 2, 7):
        if len(lv.select(ds, layer, a, a + 2, LEVEL[transform], transform=transform)):
            return a, a + 2
    raise AssertionError(f"no selection on {layer} through {transform}")


def search(dataset, layer, transform, sel, extra=""):
    return (f"?dataset={dataset}&layer={layer}&transform={transform}&pos=0&width=40&sel={sel[0]}:{sel[1]}"
            f"&threshold={LEVEL[transform]}{extra}")


def shown(client):
    """What the page shows of the hypothesis and its matches (everything but the dataset's name)."""
    matrix, hist = client.props[MATRIX], client.props[HIST]
    return {"s1": client.props[SELECT]["layout"]["meta"]["s1"], "rows": matrix["layout"]["meta"]["rows"],
            "counts": matrix["data"][0]["z"], "words": [d.get("text") for d in matrix["data"]],
            "histogram": [d.get("y") for d in hist["data"]],
            "message": client.props.get("match-main-message.children")}


@pytest.mark.parametrize("layer", ["dense", "sae"])
def test_a_sharded_entry_shows_what_one_folder_shows(folders, app_factory, layer):
    tmp, one, sharded = folders
    client = FlaskDashClient(app_factory(config=write_config(tmp, sharded)))
    for transform in TRANSFORMS:
        sel = a_selection(one, layer, transform)
        got = {}
        for name in ("one", "split"):
            client.load_page(search(name, layer, transform, sel))
            assert client.errors == []
            got[name] = shown(client)
        assert got["split"] == got["one"], transform
        s1 = lv.select(one, layer, *sel, LEVEL[transform], transform=transform)
        m = lv.match(one, layer, s1, LEVEL[transform], transform=transform)
        assert got["one"]["s1"] == s1.tolist()
        assert got["one"]["rows"] == m.table[["start", "stop"]].values.tolist() and len(m.table), transform


def test_the_registry_opens_every_shard_and_watches_their_files(folders, tmp_path):
    tmp, one, sharded = folders
    copies = [shutil.copytree(p, tmp_path / p.name) for p in sharded.paths]
    cfg = tmp_path / "datasets.yml"
    cfg.write_text("datasets:\n  - name: split\n    shards: [" + ", ".join(map(str, copies)) + "]\n", encoding="utf-8")
    registry = Registry(lv.load_config(cfg))
    ds = registry.get("split")
    assert len(ds) == T and ds.documents.tolist() == one.documents.tolist()
    assert ds.tokens(0, T) == one.tokens(0, T) and registry.cluster("split") == ""
    assert registry.get("split") is ds
    last = Path(copies[-1]) / "dataset.h5"
    later = last.stat().st_mtime_ns + 10**9
    os.utime(last, ns=(later, later))                  # the last shard's file changed on disk
    again = registry.get("split")
    assert again is not ds and len(again) == T         # opened again: every shard is watched
    shutil.rmtree(copies[1])                           # a shard gone: the entry says which, and serves nothing
    with pytest.raises(ValueError, match="dataset 'split' .*shard 1 "):
        registry.get("split")


# -- the entry's cluster ---------------------------------------------------------------------------
distributed = pytest.importorskip("distributed")


def local_cluster(port):
    return distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=":0",
                                    scheduler_port=port, silence_logs=40)


def test_a_cluster_entry_and_a_cluster_that_goes_away(folders, app_factory):
    from browser import free_port
    tmp, one, sharded = folders
    port = free_port()
    lc = local_cluster(port)
    try:
        address = f"tcp://127.0.0.1:{port}"
        app = app_factory(config=write_config(tmp, sharded, "cluster.yml", cluster=address))
        client = FlaskDashClient(app)
        sel = a_selection(one, "dense", "tanh")
        client.load_page(search("split", "dense", "tanh", sel))
        want = shown(client)
        client.load_page(search("remote", "dense", "tanh", sel))
        assert client.errors == [] and shown(client) == want and want["rows"]

        lc.close()                                     # the scheduler and its worker are gone
        client.act("select-main-threshold-input.value", 0.31)
        message = client.props["match-main-message.children"]
        assert client.errors == [] and "dask" in message and "no matches are shown" in message, message
        assert client.props["match-main-retry.style"] == {"display": "inline-block"}
        assert "rows" not in (client.props[MATRIX]["layout"].get("meta") or {})     # no table
        client.act("match-main-retry.n_clicks", 1)     # still down: said again
        assert "no matches are shown" in client.props["match-main-message.children"]

        lc = local_cluster(port)                       # the cluster is back at its address
        client.act("match-main-retry.n_clicks", 2)
        s1 = lv.select(one, "dense", *sel, 0.31).tolist()
        assert client.errors == [] and client.props["match-main-message.children"] == ""
        assert client.props[MATRIX]["layout"]["meta"]["rows"] == \
            lv.match(one, "dense", s1, 0.31).table[["start", "stop"]].values.tolist()
        assert client.props["match-main-retry.style"] == {"display": "none"}
    finally:
        lc.close()


# -- in the browser ----------------------------------------------------------------------------------
def test_a_sharded_entry_in_chromium_shows_the_match_rows(folders, chromium):
    import browser
    from lstmvis_dash.ui import create_app
    tmp, one, sharded = folders
    server = browser.LiveServer(create_app(write_config(tmp, sharded, "browser.yml")))
    try:
        page = browser.Page(chromium, server)
        sel = a_selection(one, "dense", "tanh")
        s1 = lv.select(one, "dense", *sel, LEVEL["tanh"])
        want = lv.match(one, "dense", s1, LEVEL["tanh"]).table[["start", "stop"]].values.tolist()
        page.open(search("split", "dense", "tanh", sel))
        page.wait(lambda: (page.matrix_meta() or {}).get("rows") == want, "the sharded entry's match rows")
        assert want and page.select_meta()["s1"] == s1.tolist()
        assert page.console_errors() == [] and server.log.tracebacks() == []
    finally:
        server.stop()
