"""Faults while the server runs: a dataset file deleted, truncated or replaced gives a clear error
for that dataset (on the page and in /health) while the other datasets keep serving; a malformed
datasets.yml stops start-up with file, line and reason; a stale index is rebuilt, never used."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import app as app_module
import lstmvis_dash as lv
from lstmvis_dash.ui import registry as registry_module
from lstmvis_dash.ui import server as deploy

from conftest import make_small_dataset
from dash_http import FlaskDashClient

ROOT = Path(__file__).resolve().parents[1]
URL_A = "?dataset=a&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3"
URL_B = "?dataset=b&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Two datasets of the same shape with different states, and a shorter one."""
    root = tmp_path_factory.mktemp("sources")
    return {"seed0": make_small_dataset(root / "seed0", seed=0),
            "seed1": make_small_dataset(root / "seed1", seed=1),
            "short": make_small_dataset(root / "short", T=300, seed=2)}


@pytest.fixture
def served(sources, tmp_path, monkeypatch):
    """An app serving a (a copy of seed0) and b (another copy); the retry delay of a failed open is 0
    so that a fix on disk is seen at once (the delay is a throttle, not a behaviour under test)."""
    monkeypatch.setattr(registry_module, "RETRY_SECONDS", 0.0)
    for name in ("a", "b"):
        shutil.copytree(sources["seed0"], tmp_path / name)
    cfg = tmp_path / "datasets.yml"
    cfg.write_text(f"datasets:\n  - name: a\n    path: {tmp_path / 'a'}\n  - name: b\n    path: {tmp_path / 'b'}\n",
                   encoding="utf-8")
    dash_app = app_module.build(str(cfg), deploy.Settings())
    return dash_app, tmp_path


def health(dash_app):
    r = dash_app.server.test_client().get("/health")
    return r.status_code, r.get_json()


def open_page(dash_app, url):
    client = FlaskDashClient(dash_app)
    client.load_page(url)
    return client


def page_text(client) -> str:
    return json.dumps({k: client.props.get(k) for k in ("notice.children", "select-main-graph.figure",
                                                        "match-main-message.children", "header-main-info.children")})


def s1(client):
    return client.props["select-main-graph.figure"]["layout"]["meta"]["s1"]


def assert_serves(dash_app, url, name):
    client = open_page(dash_app, url)
    assert client.errors == [] and set(client.statuses) <= {200, 204}
    assert client.props["view-state.data"]["dataset"] == name
    assert s1(client), "no S1 on the healthy dataset"
    assert "matches" in json.dumps(client.props["match-main-info.children"])
    return client


def assert_error_for_a(dash_app, words):
    status, body = health(dash_app)
    assert status == 503 and body["datasets"]["b"]["state"] == "ok"
    err = body["datasets"]["a"]
    assert err["state"] == "error" and "'a'" in err["error"] and any(w in err["error"] for w in words), err
    # on the page: the address names a; the notice says a is unavailable and why; b is shown instead
    client = open_page(dash_app, URL_A)
    assert set(client.statuses) <= {200, 204}
    text = page_text(client)
    assert "dataset=" in text and "unavailable" in text and "Traceback" not in text
    assert client.props["view-state.data"]["dataset"] == "b"
    options = {o["value"]: o for o in client.props["header-main-dataset.options"]}
    assert options["a"].get("disabled") and "(unavailable)" in options["a"]["label"]
    # the other dataset keeps serving
    assert_serves(dash_app, URL_B, "b")


def test_deleted_file(served):
    dash_app, root = served
    assert health(dash_app)[0] == 200
    before = assert_serves(dash_app, URL_A, "a")
    os.remove(root / "a" / "dataset.h5")
    assert_error_for_a(dash_app, ["does not exist", "No such file", "holds neither"])
    # a session that was open on a: its next action shows the error instead of stale data
    before.act("select-main-threshold-input.value", 0.4)
    assert set(before.statuses) <= {200, 204}
    assert "cannot" in page_text(before) or "holds neither" in page_text(before)


def test_truncated_file(served):
    dash_app, root = served
    assert_serves(dash_app, URL_A, "a")
    f = root / "a" / "dataset.h5"
    with open(f, "r+b") as fh:
        fh.truncate(f.stat().st_size // 2)
    assert_error_for_a(dash_app, ["truncated", "cannot be opened", "Unable", "unable"])


def test_garbage_file(served):
    dash_app, root = served
    assert_serves(dash_app, URL_A, "a")
    tmp = root / "junk.h5"
    tmp.write_bytes(b"not an hdf5 file\n" * 1000)
    os.replace(tmp, root / "a" / "dataset.h5")
    assert_error_for_a(dash_app, ["cannot be opened", "signature", "Unable", "unable"])


def test_replaced_by_other_dataset_serves_the_new_one(served, sources):
    dash_app, root = served
    assert_serves(dash_app, URL_A, "a")
    tmp = root / "new.h5"
    shutil.copy(sources["short"] / "dataset.h5", tmp)
    os.replace(tmp, root / "a" / "dataset.h5")
    status, body = health(dash_app)
    assert status == 200 and body["datasets"]["a"]["T"] == 300
    client = assert_serves(dash_app, URL_A, "a")
    assert "T = 300" in json.dumps(client.props["header-main-info.children"])


def test_fixed_file_serves_again(served, sources):
    dash_app, root = served
    os.remove(root / "a" / "dataset.h5")
    assert health(dash_app)[0] == 503
    shutil.copy(sources["seed0"] / "dataset.h5", root / "a" / "dataset.h5")
    assert health(dash_app)[0] == 200
    assert_serves(dash_app, URL_A, "a")


def match_rows(client):
    return client.props["match-main-matrix.figure"]["layout"]["meta"]["rows"]


@pytest.mark.parametrize("how", ["replace", "rewrite_in_place_same_mtime"])
def test_stale_index_rebuilt_not_used(served, sources, how):
    dash_app, root = served
    client = assert_serves(dash_app, URL_A, "a")
    old_rows, old_cells = match_rows(client), s1(client)
    index = root / "a" / ".lstmvis-index"
    codes_meta = sorted(index.glob("codes-*.json"))
    assert codes_meta, "the first match built no index"
    old_fp = codes_meta[0].read_text()
    target = root / "a" / "dataset.h5"
    if how == "replace":
        tmp = root / "new.h5"
        shutil.copy(sources["seed1"] / "dataset.h5", tmp)
        os.replace(tmp, target)
    else:  # the same file rewritten in place, same size, its mtime put back: only ctime tells
        st = target.stat()
        data = (sources["seed1"] / "dataset.h5").read_bytes()
        assert len(data) == st.st_size
        with open(target, "r+b") as fh:
            fh.write(data)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    fresh = lv.open_dataset(root / "a")
    want_cells = lv.select(fresh, "cells", 10, 14, 0.3).tolist()
    want = lv.match(fresh, "cells", want_cells, 0.3).table[["start", "stop"]].to_numpy().tolist()
    client = assert_serves(dash_app, URL_A, "a")
    assert s1(client) == want_cells
    assert match_rows(client) == want
    assert (want_cells, want) != (old_cells, old_rows), "the two datasets should differ"
    assert codes_meta[0].read_text() != old_fp  # the index was rebuilt for the new file


def test_tampered_index_fingerprint_is_rebuilt(served):
    """An index whose recorded fingerprint does not match its source is rebuilt, not trusted."""
    dash_app, root = served
    client = assert_serves(dash_app, URL_A, "a")
    want = match_rows(client)
    meta = sorted((root / "a" / ".lstmvis-index").glob("codes-*.json"))[0]
    codes = meta.with_suffix(".npy")
    arr = np.load(codes, mmap_mode="r+")
    arr[:] = 0  # wrong codes on disk ...
    arr.flush()
    del arr
    fp = json.loads(meta.read_text())
    fp["size"] += 1  # ... recorded for another version of the source
    meta.write_text(json.dumps(fp))
    fresh_app = app_module.build(str(root / "datasets.yml"), deploy.Settings())  # a new worker
    assert match_rows(assert_serves(fresh_app, URL_A, "a")) == want


# -- start-up with a malformed config ----------------------------------------------------------------

BAD_CONFIGS = [
    ("datasets:\n  - name: a\n    path: x\n  - name: b\n   path: y\n", 5, "not valid YAML"),
    ("datasets:\n  - name: a\n    path: [x\n  - name: b\n", 4, "not valid YAML"),
    ("datasets:\n  - name: a\n    path: x\n  - name a\n", 4, "must be a mapping"),
    ("datasets:\n  - name: a\n\tpath: x\n", 3, "not valid YAML"),
    ("datasets:\n  - name: a\n    path: x\n    colour: red\n", 4, "unknown key 'colour'"),
    ("datasets:\n  - name: a\n    path: x\n  - name: a\n    path: y\n", 4, "already used on line 2"),
    ("datasets:\n  - name: a\n", 2, "missing 'path'"),
    ("datasets:\n  - name: ../etc\n    path: x\n", 2, "must be letters"),
    ("datasets: []\n", 1, "empty"),
    ("something: else\n", 1, "missing the 'datasets' list"),
]


@pytest.mark.parametrize("text,line,reason", BAD_CONFIGS)
def test_malformed_config_stops_app_py(tmp_path, text, line, reason):
    bad = tmp_path / "datasets.yml"
    bad.write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LSTMVIS_")}
    r = subprocess.run([sys.executable, "app.py", "--config", str(bad), "--port", "1"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    assert f"{bad}:{line}:" in r.stderr and reason in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_malformed_config_stops_gunicorn(tmp_path):
    pytest.importorskip("gunicorn")
    bad = tmp_path / "datasets.yml"
    bad.write_text("datasets:\n  - name: a\n    path: x\n    colour: red\n", encoding="utf-8")
    env = dict(os.environ, LSTMVIS_CONFIG=str(bad))
    r = subprocess.run([sys.executable, "-m", "gunicorn", "-w", "1", "-b", "127.0.0.1:0", "app:server"], cwd=ROOT,
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 4  # gunicorn's "App failed to load": the master stops, no restart loop
    assert f"{bad}:4: unknown key 'colour'" in r.stderr + r.stdout
