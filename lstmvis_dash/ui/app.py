"""The app factory: `create_app(config, components=None)` builds the page from component instances.

The page is the shared stores (ids.py), the header, the notice area and the views, top to bottom.
Components (component.py) are wired by controller.py into one page callback; their own side
callbacks are registered on this app with `app.callback` (never the global `dash.callback`), so
several apps can live in one process (tests, notebooks).

    create_app("datasets.yml")                                  # the full page
    create_app(config, components=[Header(), SelectView(extras=[MyFigure()]), MatchView()])
"""
from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import plotly.io.json
from dash import dcc, html

from ..config import Config, load_config
from . import ids
from .compare_view import CompareView
from .component import check_unique
from .controller import PageCallback
from .guidance_view import ThresholdGuidance
from .header import Header
from .match_view import MatchView
from .presets_view import PresetLinks
from .projection_view import ProjectionView
from .registry import Registry
from .select_view import SelectView

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def default_components() -> list:
    """The page's components, top to bottom (the first is the header)."""
    return [Header(links=[PresetLinks()]), SelectView(extras=[ThresholdGuidance()]), CompareView(), MatchView(),
            ProjectionView()]


def shared_stores() -> list:
    return [dcc.Location(id=ids.URL, refresh="callback-nav"),
            dcc.Store(id=ids.VIEW_STATE, storage_type="memory"),
            dcc.Store(id=ids.NAVIGATE, storage_type="memory"),
            dcc.Store(id=ids.URL_REPLACE, storage_type="memory"),
            dcc.Store(id=ids.HOVER_CELL, storage_type="memory")]


def page(components) -> html.Div:
    header, rest = (components[0], components[1:]) if components else (None, [])
    return html.Div(className="lv-page", **{"data-lv-navigate": ids.NAVIGATE, "data-lv-hover": ids.HOVER_CELL,
                                                    "data-lv-url": ids.URL}, children=[
        *shared_stores(),
        header.layout() if header is not None else None,
        dbc.Container(fluid=True, className="lv-main px-3", children=[
            html.Div(id=ids.NOTICE, className="lv-notice mt-2", role="status", **{"aria-live": "polite"}),
            *[c.layout() for c in rest],
        ]),
    ])


def create_app(config, components=None, *, title: str = "LSTMVis-Dash", **dash_kwargs) -> dash.Dash:
    """A Dash app serving the datasets of `config` (a Config or a datasets.yml path)."""
    if not isinstance(config, Config):
        config = load_config(config)
    # Dash encodes answers with plotly's JSON encoder: its "orjson" engine first walks every list in
    # Python (27 ms of a 150 KB answer at 1M tokens), the "json" engine encodes the same text in C (4.5 ms)
    plotly.io.json.config.default_engine = "json"
    registry = Registry(config)
    comps = list(components) if components is not None else default_components()
    check_unique(comps)
    dash_kwargs.setdefault("assets_folder", str(ASSETS))
    app = dash.Dash(__name__, title=title, update_title=None, serve_locally=True,
                    external_stylesheets=[], **dash_kwargs)
    app.layout = page(comps)
    wiring = PageCallback(comps)
    wiring.register(app, registry)
    app.clientside_callback(dash.ClientsideFunction(namespace="lstmvis", function_name="replaceUrl"),
                            dash.Input(ids.URL_REPLACE, "data"), prevent_initial_call=True)
    for comp in wiring.components:
        comp.register(app, registry)
    app.registry = registry
    app.components = comps
    return app
