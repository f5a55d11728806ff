"""The app factory: `create_app(config)` builds the page from a list of components.

A component is a module (or object) with `layout()` and `register_callbacks(app, registry)`; its
callbacks are registered on this app with `app.callback` (never the global `dash.callback`), so
several apps can live in one process (tests).
"""
from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import html

from ..config import Config, load_config
from . import compare_view, header, ids, match_view, projection_view, select_view, state_sync
from .registry import Registry

log = logging.getLogger("lstmvis_dash.ui")
ASSETS = Path(__file__).resolve().parents[2] / "assets"
def default_components() -> list:
    """The page's components, top to bottom."""
    return [header, select_view, compare_view, match_view, projection_view]


def page(components) -> html.Div:
    body = []
    for comp in components:
        part = comp.layout()
        body.extend(part if isinstance(part, list) else [part])
    header, rest = (body[0], body[1:]) if body else (None, [])
    return html.Div(className="lv-page", children=[
        *state_sync.layout(),
        header,
        dbc.Container(fluid=True, className="lv-main px-3", children=[
            html.Div(id=ids.NOTICE, className="lv-notice mt-2", role="status", **{"aria-live": "polite"}),
            *rest,
        ]),
    ])


def create_app(config, components=None, *, title: str = "LSTMVis-Dash", **dash_kwargs) -> dash.Dash:
    """A Dash app serving the datasets of `config` (a Config or a datasets.yml path)."""
    if not isinstance(config, Config):
        config = load_config(config)
    registry = Registry(config)
    comps = list(components) if components is not None else default_components()
    dash_kwargs.setdefault("assets_folder", str(ASSETS))
    app = dash.Dash(__name__, title=title, update_title=None, serve_locally=True,
                    external_stylesheets=[], **dash_kwargs)
    app.layout = page(comps)
    state_sync.register_callbacks(app, registry)
    for comp in comps:
        comp.register_callbacks(app, registry)
    app.registry = registry
    app.components = comps
    return app
