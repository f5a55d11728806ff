"""The Select View (paper section 5.1): parallel coordinates of the window, the brushed hypothesis,
the threshold, and under the words the share of S1 on, the on-ranges per cell and the S1 chips.

Its controls (threshold slider/field, brush slider, graph brushing, chip crosses, clear) are read by
`state_sync`, which turns them into the view state; this module renders the view state. When only
the threshold or the brush changed (same window), the main figure is updated with a `dash.Patch`
carrying just the S1 lines and the shapes, not all D lines again.
"""
from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
import numpy as np
from dash import ClientsideFunction, Input, Output, Patch, State, dcc, html, no_update

from .. import engine
from . import ids
from . import select_figures as sf

log = logging.getLogger("lstmvis_dash.ui")

GRAPH_CONFIG = {
    "displaylogo": False,
    "scrollZoom": False,
    "doubleClick": "reset",
    "modeBarButtonsToRemove": ["lasso2d", "autoScale2d", "toImage", "zoomIn2d", "zoomOut2d", "pan2d"],
    "modeBarButtonsToAdd": [],
}


def layout():
    m = sf.MARGIN
    return dbc.Card(id=ids.SELECT_VIEW, className="lv-select-view mt-2", children=[
        dbc.CardHeader(dbc.Row(className="g-2 align-items-center", children=[
            dbc.Col(html.Strong("Select"), width="auto"),
            dbc.Col(html.Span("threshold ℓ", className="lv-threshold-label"), width="auto"),
            dbc.Col(dcc.Slider(id=ids.THRESHOLD_SLIDER, min=-1, max=1, step=0.01, value=0.3,
                               updatemode="mouseup", marks=None, allow_direct_input=False,
                               tooltip={"placement": "bottom", "always_visible": False}),
                    className="lv-threshold-slider"),
            dbc.Col(dcc.Input(id=ids.THRESHOLD_INPUT, type="number", step=0.01, debounce=True,
                              className="form-control form-control-sm lv-num"), width="auto"),
            dbc.Col(html.Span(id=ids.S1_SUMMARY, className="lv-s1-summary small"), width="auto"),
            dbc.Col(dbc.Button("clear selection", id=ids.CLEAR, size="sm", color="secondary", outline=True,
                               n_clicks=0), width="auto"),
        ])),
        dbc.CardBody(className="p-2", children=[
            html.Div("Drag across the words (or click a start and then an end word) to select a range; "
                     "drag the gray outer handles under the words outwards to require the cells to be off "
                     "before/after it. Drag the red dashed line to change ℓ. Hover a cell to highlight it.",
                     className="lv-help small text-muted mb-1"),
            dcc.Graph(id=ids.GRAPH, config=GRAPH_CONFIG, className="lv-graph",
                      style={"height": f"{sf.MAIN_HEIGHT}px"}),
            html.Div(className="lv-brush", style={"marginLeft": f"{m['l']}px", "marginRight": f"{m['r']}px"},
                     children=dcc.RangeSlider(id=ids.BRUSH, min=0, max=40, step=1, value=[0, 0, 40, 40],
                                              updatemode="mouseup", marks=None, allow_direct_input=False,
                                              pushable=False, disabled=True, className="lv-brush-slider",
                                              tooltip={"placement": "bottom", "always_visible": False})),
            dcc.Graph(id=ids.DETAIL, config={"displayModeBar": False}, className="lv-detail"),
            dbc.Row(className="g-2 align-items-center mt-1", children=[
                dbc.Col(html.Span("S1", className="fw-semibold"), width="auto"),
                dbc.Col(html.Div(id=ids.CHIPS, className="lv-chips"), className="lv-chips-col"),
                dbc.Col(dbc.Button("restore excluded", id=ids.RESTORE_CELLS, size="sm", color="link",
                                   n_clicks=0, style={"display": "none"}), width="auto"),
                dbc.Col(dbc.InputGroup([
                    dbc.InputGroupText("hide on-runs shorter than"),
                    dcc.Input(id=ids.MIN_RUN, type="number", min=1, step=1, value=1, debounce=True,
                              className="form-control lv-num"),
                ], size="sm"), width="auto"),
            ]),
            dcc.Store(id=ids.RENDERED, storage_type="memory"),
        ]),
    ])


# ---------------------------------------------------------------------------------------------

def compute_s1(ds, state) -> np.ndarray:
    """S1 of the state's hypothesis (all cells of lv.select), before the hand-made exclusions."""
    sel = state.get("sel")
    if not sel:
        return np.zeros(0, np.int64)
    pad = state.get("pad") or [0, 0]
    return engine.select(ds, state["layer"], int(sel[0]), int(sel[1]), float(state["threshold"]),
                         pad_left=int(pad[0]), pad_right=int(pad[1]))


def window_key(state) -> list:
    return [state["dataset"], state["layer"], int(state["pos"]), int(state["width"])]


def summary(state, s1, cells):
    if not state.get("sel"):
        return "no range selected"
    a, b = state["sel"]
    pl, pr = state.get("pad") or [0, 0]
    excl = len(s1) - len(cells)
    text = f"|S1| = {len(cells)}" + (f" ({excl} excluded)" if excl else "") + f" · {a}:{b}"
    if pl or pr:
        text += f" · off {pl}/{pr}"
    return text


def render(ds, state, min_run: int, rendered, selection):
    """All outputs of the select view for a view state (patching the figure when the window is kept)."""
    layer = state["layer"]
    pos, W = int(state["pos"]), int(state["width"])
    thr = float(state["threshold"])
    values = ds.values(layer, pos, pos + W)
    s1 = compute_s1(ds, state)
    excluded = set(state.get("exclude") or [])
    cells = np.array([c for c in s1.tolist() if c not in excluded], dtype=np.int64)
    on = values[:, cells] >= np.float32(thr)
    key = window_key(state)
    uirev = f"{state['dataset']}|{layer}"
    if rendered and rendered.get("key") == key:
        fig = Patch()
        xs, ys = sf.lines_xy(values, cells)
        fig["data"][sf.TRACE_S1]["x"] = sf.b64(xs)
        fig["data"][sf.TRACE_S1]["y"] = sf.b64(ys)
        fig["data"][sf.TRACE_WORDS]["textfont"]["color"] = sf.word_colors(pos, W, state.get("sel"))
        fig["layout"]["shapes"] = [sf.threshold_shape(thr)] + sf.range_shapes(pos, W, state.get("sel"),
                                                                              state.get("pad"))
        fig["layout"]["meta"] = {"pos": pos, "width": W, "D": int(values.shape[1]), "s1": cells.tolist()}
    else:
        fig = sf.main_figure_spec(ds.tokens(pos, pos + W), values, pos, cells, thr, state.get("sel"),
                                  state.get("pad"), transform=ds.transform(layer), uirevision=uirev)
    detail = sf.detail_figure_spec(on, cells, pos, max(1, int(min_run or 1)), uirevision=uirev)
    sel_data = {"dataset": state["dataset"], "layer": layer, "sel": state.get("sel"), "pad": state.get("pad"),
                "threshold": thr, "cells": cells.tolist()}
    new_rendered = {"key": key}
    return (fig, detail, sel_data if sel_data != selection else no_update, summary(state, s1, cells),
            new_rendered if new_rendered != rendered else no_update,
            {"display": "inline-block"} if len(s1) > len(cells) else {"display": "none"})


def empty_figure(message: str):
    return {"data": [], "layout": {"template": "none", "height": 120, "xaxis": {"visible": False},
                                   "yaxis": {"visible": False},
                                   "annotations": [{"text": message, "showarrow": False, "xref": "paper",
                                                    "yref": "paper", "x": 0.5, "y": 0.5}]}}


def register_callbacks(app, registry):
    @app.callback(
        Output(ids.GRAPH, "figure"), Output(ids.DETAIL, "figure"), Output(ids.SELECTION, "data"),
        Output(ids.S1_SUMMARY, "children"), Output(ids.RENDERED, "data"), Output(ids.RESTORE_CELLS, "style"),
        Output(ids.NOTICE, "children", allow_duplicate=True),
        Input(ids.VIEW_STATE, "data"), Input(ids.MIN_RUN, "value"),
        State(ids.RENDERED, "data"), State(ids.SELECTION, "data"),
        prevent_initial_call=True,
    )
    def _render(state, min_run, rendered, selection):
        if not isinstance(state, dict) or not state.get("dataset"):
            return (no_update,) * 7
        try:
            ds = registry.get(state["dataset"])
            if state.get("layer") is None:
                raise ValueError(f"dataset {state['dataset']!r} has no layer to show")
            return render(ds, state, min_run, rendered, selection) + (no_update,)
        except Exception as e:  # noqa: BLE001 - a broken dataset is reported, never a traceback
            log.warning("select view: %s", e)
            msg = str(e)
            alert = dbc.Alert(msg, color="danger", dismissable=True, className="py-2 mb-2")
            return (empty_figure(msg), empty_figure(""), None, "", None, {"display": "none"}, alert)

    app.clientside_callback(
        ClientsideFunction(namespace="lstmvis", function_name="chips"),
        Output(ids.CHIPS, "children"),
        Input(ids.SELECTION, "data"),
    )
