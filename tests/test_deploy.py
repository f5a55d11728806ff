"""Deployment: settings from the environment, /health, basic auth, a URL prefix, debug off and
127.0.0.1 by default, and a real gunicorn with two workers serving Dash callbacks."""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import app as app_module
from lstmvis_dash.ui import server as deploy

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.load import DashClient, free_port, wait_health  # noqa: E402


def settings(**kw):
    return deploy.Settings(**kw)


@pytest.fixture(scope="module")
def ok_config(small_dataset, tmp_path_factory):
    cfg = tmp_path_factory.mktemp("deploy") / "datasets.yml"
    cfg.write_text(f"datasets:\n  - name: small\n    path: {small_dataset}\n", encoding="utf-8")
    return cfg


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


# -- settings ------------------------------------------------------------------------------------

def test_settings_defaults():
    s = deploy.settings_from_env({})
    assert (s.host, s.port, s.debug, s.url_prefix, s.auth, s.log_level, s.config) == \
        ("127.0.0.1", 8050, False, "/", False, "INFO", None)


def test_settings_from_env():
    s = deploy.settings_from_env({
        "LSTMVIS_CONFIG": "/srv/lv.yml", "LSTMVIS_HOST": "0.0.0.0", "LSTMVIS_PORT": "9000",
        "LSTMVIS_LOG_LEVEL": "warning", "LSTMVIS_URL_PREFIX": "lstmvis", "LSTMVIS_AUTH_USER": "lab",
        "LSTMVIS_AUTH_PASSWORD": "s3cret", "LSTMVIS_DEBUG": "1"})
    assert s.config == Path("/srv/lv.yml") and s.host == "0.0.0.0" and s.port == 9000
    assert s.log_level == "WARNING" and s.url_prefix == "/lstmvis/" and s.auth and s.debug
    assert deploy.dash_kwargs(s) == {"url_base_pathname": "/lstmvis/"}
    assert deploy.dash_kwargs(deploy.settings_from_env({})) == {}


@pytest.mark.parametrize("env,word", [
    ({"LSTMVIS_PORT": "http"}, "LSTMVIS_PORT"), ({"LSTMVIS_PORT": "70000"}, "LSTMVIS_PORT"),
    ({"LSTMVIS_LOG_LEVEL": "loud"}, "LSTMVIS_LOG_LEVEL"), ({"LSTMVIS_AUTH_USER": "lab"}, "LSTMVIS_AUTH_PASSWORD"),
    ({"LSTMVIS_URL_PREFIX": "/a/../b"}, "LSTMVIS_URL_PREFIX"), ({"LSTMVIS_DEBUG": "maybe"}, "LSTMVIS_DEBUG"),
])
def test_settings_errors_name_the_variable(env, word):
    with pytest.raises(deploy.SettingsError, match=word):
        deploy.settings_from_env(env)


def test_main_binds_localhost_without_debug_by_default(monkeypatch, ok_config):
    for k in list(os.environ):
        if k.startswith("LSTMVIS_"):
            monkeypatch.delenv(k)
    seen = {}
    monkeypatch.setattr("dash.Dash.run", lambda self, **kw: seen.update(kw))
    assert app_module.main(["--config", str(ok_config)]) == 0
    assert seen == {"host": "127.0.0.1", "port": 8050, "debug": False}
    monkeypatch.setenv("LSTMVIS_HOST", "0.0.0.0")
    monkeypatch.setenv("LSTMVIS_PORT", "8123")
    assert app_module.main(["--config", str(ok_config)]) == 0
    assert seen == {"host": "0.0.0.0", "port": 8123, "debug": False}
    assert app_module.main(["--config", str(ok_config), "--port", "8124", "--debug"]) == 0
    assert seen["port"] == 8124 and seen["debug"] is True


def test_bad_env_stops_startup(tmp_path):
    env = dict(os.environ, LSTMVIS_PORT="nope")
    r = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "LSTMVIS_PORT" in r.stderr and "Traceback" not in r.stderr


# -- health --------------------------------------------------------------------------------------

def test_health_ok(ok_config):
    c = app_module.build(str(ok_config), settings()).server.test_client()
    r = c.get("/health")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "datasets": {
        "small": {"state": "ok", "T": 600, "layers": {"cells": 24, "hidden": 24}}}}


def test_health_503_names_the_broken_dataset(small_config):
    c = app_module.build(str(small_config), settings()).server.test_client()
    r = c.get("/health")
    assert r.status_code == 503
    body = r.get_json()
    assert body["status"] == "error"
    assert body["datasets"]["small"]["state"] == "ok" and body["datasets"]["parens_small"]["state"] == "ok"
    assert body["datasets"]["missing"]["state"] == "error"
    assert "does/not/exist" in body["datasets"]["missing"]["error"]


def test_build_opens_no_dataset(monkeypatch, ok_config):
    """Nothing HDF5 is opened before gunicorn forks: building the app (what `import app` does) opens
    no dataset; the first request in a worker does."""
    import lstmvis_dash.ui.registry as registry_module
    opened = []
    real = registry_module.open_entry
    monkeypatch.setattr(registry_module, "open_entry", lambda e: opened.append(e) or real(e))
    dash_app = app_module.build(str(ok_config), settings())
    assert opened == []
    assert dash_app.server.test_client().get("/health").status_code == 200
    assert len(opened) == 1


# -- auth ----------------------------------------------------------------------------------------

AUTH = dict(auth_user="lab", auth_password="pä55:word")


@pytest.fixture(scope="module")
def auth_client(ok_config):
    dash_app = app_module.build(str(ok_config), settings(**AUTH))
    return dash_app, dash_app.server.test_client()


def every_route(dash_app):
    import re
    assets = sorted(p.name for p in Path(dash_app.config.assets_folder).iterdir() if p.suffix in (".js", ".css"))
    html = dash_app.server.test_client().get("/", headers=basic(AUTH["auth_user"], AUTH["auth_password"]))
    suite = re.search(r'src="(/_dash-component-suites/[^"]+)"', html.get_data(as_text=True)).group(1)
    return ["/", "/_dash-layout", "/_dash-dependencies", "/health", "/_favicon.ico", "/anything/else",
            f"/assets/{assets[0]}", suite]


def test_auth_required_on_every_route(auth_client):
    dash_app, c = auth_client
    for path in every_route(dash_app):
        r = c.get(path)
        assert r.status_code == 401, path
        assert r.headers["WWW-Authenticate"].startswith("Basic ")
        assert b"LSTMVis" not in r.data and b"small" not in r.data
    r = c.post("/_dash-update-component", json={"output": "x"})
    assert r.status_code == 401


def test_auth_accepted(auth_client):
    dash_app, c = auth_client
    h = basic(AUTH["auth_user"], AUTH["auth_password"])
    assert c.get("/", headers=h).status_code == 200
    assert c.get("/_dash-layout", headers=h).status_code == 200
    assert c.get("/health", headers=h).status_code == 200
    assets = sorted(p.name for p in Path(dash_app.config.assets_folder).iterdir() if p.suffix == ".js")
    assert c.get(f"/assets/{assets[0]}", headers=h).status_code == 200
    deps = c.get("/_dash-dependencies", headers=h).get_json()
    client = DashLikeFlask(c, deps, h)
    status, resp = client.sync("?dataset=small&layer=cells&sel=10:14")
    assert status == 200 and resp["view-state"]["data"]["sel"] == [10, 14]


@pytest.mark.parametrize("header", [
    basic("lab", "wrong"), basic("other", AUTH["auth_password"]), basic("lab", ""), basic("", ""),
    {"Authorization": "Basic !!notbase64"}, {"Authorization": "Bearer x"},
    {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()},
    basic("lab", AUTH["auth_password"] + "x"), basic("lab", AUTH["auth_password"][:-1]),
])
def test_auth_rejected(auth_client, header):
    _, c = auth_client
    assert c.get("/", headers=header).status_code == 401
    assert c.get("/_dash-layout", headers=header).status_code == 401


def test_auth_compare_is_constant_time(monkeypatch):
    calls = []
    real = deploy.hmac.compare_digest
    monkeypatch.setattr(deploy.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    s = settings(**AUTH)
    assert not deploy._authorized(basic("nobody", "x")["Authorization"], s)
    assert len(calls) == 2  # the password is compared even when the user is wrong: no early exit
    assert deploy._authorized(basic("lab", AUTH["auth_password"])["Authorization"], s)


# -- prefix --------------------------------------------------------------------------------------

def test_url_prefix(ok_config):
    dash_app = app_module.build(str(ok_config), settings(url_prefix="/lstmvis/"))
    c = dash_app.server.test_client()
    r = c.get("/lstmvis/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert '"url_base_pathname": "/lstmvis/"' in html or "/lstmvis/_dash-" in html
    assert "/lstmvis/assets/" in html
    assert c.get("/lstmvis/_dash-layout").status_code == 200
    assert c.get("/_dash-layout").status_code == 404
    assert c.get("/lstmvis/health").status_code == 200 and c.get("/health").status_code == 200
    deps = c.get("/lstmvis/_dash-dependencies").get_json()
    status, resp = DashLikeFlask(c, deps, {}, prefix="/lstmvis/").sync("?dataset=small&sel=3:5")
    assert status == 200 and resp["view-state"]["data"]["sel"] == [3, 5]


def test_malformed_callback_requests_are_400_not_500(ok_config):
    c = app_module.build(str(ok_config), settings()).server.test_client()
    for body in [None, [], "x", {"output": 5}, {"output": "nope.children", "inputs": []},
                 {"output": "search-results.children", "outputs": {"id": "search-results", "property": "children"},
                  "inputs": "x"},
                 {"output": "search-results.children", "outputs": {"id": "search-results", "property": "children"},
                  "inputs": [{"id": "search-button"}], "state": []}]:
        r = c.post("/_dash-update-component", json=body)
        assert r.status_code == 400, body
        assert "Traceback" not in r.get_data(as_text=True)
    r = c.post("/_dash-update-component", data=b"{not json", content_type="application/json")
    assert r.status_code == 400


class DashLikeFlask:
    """The sync callback through a Flask test client, with the payload bench/load.py builds."""

    def __init__(self, client, deps, headers, prefix="/"):
        self.c, self.headers, self.prefix = client, headers, prefix
        self.sync_cb = next(cb for cb in deps if cb["output"].startswith("..view-state.data...url.search"))

    def sync(self, search):
        dc = DashClient("http://x" + self.prefix)
        cb = dict(self.sync_cb, outputs_list=__import__("bench.load", fromlist=["_split_output"])
                  ._split_output(self.sync_cb["output"]))
        dc.props = {"url.search": search}
        r = self.c.post(self.prefix + "_dash-update-component", json=dc.body(cb, []), headers=self.headers)
        return r.status_code, (r.get_json() or {}).get("response", {})


# -- a real gunicorn -----------------------------------------------------------------------------

def test_gunicorn_two_workers(ok_config, tmp_path):
    pytest.importorskip("gunicorn")
    port = free_port()
    env = dict(os.environ, LSTMVIS_CONFIG=str(ok_config), LSTMVIS_AUTH_USER="lab", LSTMVIS_AUTH_PASSWORD="pw",
               LSTMVIS_URL_PREFIX="/lv/")
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "app:server"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/lv/"
        health = wait_health(url, auth=("lab", "pw"), deadline=300, proc=proc)
        assert health["status"] == "ok" and health["datasets"]["small"]["T"] == 600
        errors = []
        client = DashClient(url, auth=("lab", "pw"), record=lambda label, dt, ok, why: ok or errors.append(why))
        client.load_page("?dataset=small&layer=cells&pos=0&width=40&sel=10:14&threshold=0.3")
        assert client.props["view-state.data"]["sel"] == [10, 14]
        assert client.props["select-main-graph.figure"]["layout"]["meta"]["s1"]  # the select view answered with S1
        assert "matches" in json.dumps(client.props.get("match-main-info.children"))  # and the match view
        client.act("select-main-threshold-input.value", 0.5)
        assert client.props["view-state.data"]["threshold"] == 0.5
        client.act("header-main-page-fwd.n_clicks", 1)
        assert client.props["view-state.data"]["pos"] == 40
        assert errors == []
        # without credentials: refused
        assert DashClient(url)._request("GET", "")[0] == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    out = (tmp_path / "gunicorn.log").read_text()
    assert "Booting worker" in out and "Traceback" not in out, out[-3000:]
