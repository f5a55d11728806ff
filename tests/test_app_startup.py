"""`python app.py` and `import app` (gunicorn): config choice, config errors, broken datasets."""
import os
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]


def run(args, env_extra=None, timeout=60):
    env = dict(os.environ)
    env.pop("LSTMVIS_CONFIG", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_config_error_stops_startup_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("datasets:\n  - name: x\n    path: /tmp\n    colour: red\n")
    r = run(["app.py", "--config", str(bad), "--port", "1"])
    assert r.returncode == 2
    assert f"{bad}:4:" in r.stderr and "colour" in r.stderr
    assert "Traceback" not in r.stderr


def test_missing_config_file(tmp_path):
    r = run(["app.py", "--config", str(tmp_path / "nope.yml"), "--port", "1"])
    assert r.returncode == 2 and "nope.yml:0:" in r.stderr


def test_gunicorn_import_honours_env(small_config):
    code = "import app; print(type(app.server).__name__, app.app.registry.names)"
    r = run(["-c", code], {"LSTMVIS_CONFIG": str(small_config)})
    assert r.returncode == 0, r.stderr
    assert "Flask ['small', 'parens_small', 'missing']" in r.stdout


def test_gunicorn_import_with_bad_config(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("datasets: [\n")
    r = run(["-c", "import app"], {"LSTMVIS_CONFIG": str(bad)})
    assert r.returncode != 0 and f"{bad}:" in r.stderr and "Traceback" not in r.stderr


def test_broken_dataset_reported_others_serve(app_factory):
    app = app_factory()
    reg = app.registry
    assert reg.error("small") is None
    err = reg.error("missing")
    assert "missing" in err and "does/not/exist" in err
    cat = reg.catalog()
    assert cat.info("missing") is None and cat.info("small").T == 600
    assert cat.default_dataset() == "small"
    c = app.server.test_client()
    assert c.get("/").status_code == 200
    assert c.get("/_dash-layout").status_code == 200


def test_component_list_and_app_callbacks(app_factory):
    from lstmvis_dash.ui.header import Header
    from lstmvis_dash.ui.select_view import SelectView
    app = app_factory(components=[Header(), SelectView()])
    outputs = " ".join(cb["output"] for cb in app._callback_list)
    assert "view-state.data" in outputs and "select-main-graph.figure" in outputs
    assert "match-" not in outputs
    # two apps in one process do not share callbacks (no global dash.callback)
    other = app_factory(components=[Header(), SelectView()])
    assert len(other._callback_list) == len(app._callback_list)


def test_a_component_twice_needs_two_names(app_factory):
    import pytest
    from lstmvis_dash.ui.header import Header
    from lstmvis_dash.ui.select_view import SelectView
    with pytest.raises(ValueError, match="used twice"):
        app_factory(components=[Header(), SelectView(), SelectView()])
    app = app_factory(components=[Header(), SelectView(), SelectView("second")])
    assert "select-second-graph" in str(app.layout.to_plotly_json())


def test_an_extra_figure_in_the_select_view_follows_s1(app_factory):
    """What a helper builds on: a component in the select view's "extras" slot renders from the
    same context, in the same page callback (one round trip)."""
    from dash import dcc
    from lstmvis_dash.ui.component import Component
    from lstmvis_dash.ui.header import Header
    from lstmvis_dash.ui.select_view import SelectView
    from dash_http import FlaskDashClient

    class S1Size(Component):
        KIND, PARTS = "s1size", ("text",)

        def layout(self):
            return dcc.Markdown(id=self.ids.text)

        def outputs(self):
            return [(self.ids.text, "children")]

        def render(self, ctx):
            if not ctx.changed("sel", "threshold", "pad"):
                return {}
            return {(self.ids.text, "children"): f"{len(ctx.s1())} cells"}

    app = app_factory(components=[Header(), SelectView(extras=[S1Size()])])
    client = FlaskDashClient(app)
    client.load_page("?dataset=small&layer=cells&sel=10:14&threshold=0.3")
    n = len(client.props["select-main-graph.figure"]["layout"]["meta"]["s1"])
    assert client.props["s1size-main-text.children"] == f"{n} cells"
    client.act("select-main-threshold-input.value", 0.9)
    n = len(client.props["select-main-graph.figure"]["layout"]["meta"]["s1"])
    assert client.props["s1size-main-text.children"] == f"{n} cells" and client.errors == []
