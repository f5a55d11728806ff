"""Model comparison (G3): a second layer, of this dataset or of another dataset over the same token
sequence, beside the first.

The "compare with" chooser writes the view state key `compare` (a layer id of this dataset, or
"dataset:layer"; see urlstate), so the URL carries it. With a second layer chosen:
- a second, read-only select plot follows the first's window and brushed range and shows its own
  S1 (lv.select on the second layer with the same range, threshold and paddings);
- both S1 lists, and the top matches of each (lv.match of each layer's own S1, same threshold and
  paddings) side by side; a range in both lists is starred; clicking a row moves the window there;
- for another dataset, the two token sequences are compared over their whole length first (cached
  per pair of datasets); if they differ, the view says where they first differ and shows no plot and
  no side-by-side, since positions of the two would not mean the same text.
The first side is the select view's S1 as the match view uses it (minus excluded cells); the
exclusions do not apply to the second layer.
"""
from __future__ import annotations

import json
import threading

import dash
import dash_bootstrap_components as dbc
import numpy as np
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

import lstmvis_dash as lv

from . import compare_figures as cf
from . import ids
from . import match_view as mv
from .callback_guard import error_guard

TOP = 15

VIEW = "compare-view"
CHOOSER = "compare-with"
STATUS = "compare-status"
COMPAT = "compare-compat"
BODY = "compare-body"
GRAPH = "compare-graph"
S1_A = "compare-s1-a"
S1_B = "compare-s1-b"
MATCHES = "compare-matches"
PARAMS = "compare-params"     # store: what the side-by-side depends on besides SELECTION
SHOWN = "compare-shown"       # store: {"dataset", "T", "a": [[start, stop]], "b": [...]} for row clicks
ROW = "compare-row"

_compat: dict = {}
_compat_lock = threading.Lock()


def layout():
    return dbc.Card(id=VIEW, className="lv-compare-view mt-2", children=[
        dbc.CardHeader(dbc.Row(className="g-2 align-items-center", children=[
            dbc.Col(html.Strong("Compare"), width="auto"),
            dbc.Col(html.Span("with", className="small"), width="auto"),
            dbc.Col(dcc.Dropdown(id=CHOOSER, options=[], value=None, clearable=True,
                                 placeholder="another layer or dataset…", style={"width": "320px"}),
                    width="auto"),
            dbc.Col(html.Span(id=STATUS, className="small text-muted"), width="auto"),
        ])),
        dbc.CardBody(className="p-2", children=[
            html.Div(id=COMPAT, role="status"),
            html.Div(id=BODY, style={"display": "none"}, children=[
                dcc.Graph(id=GRAPH, config={"displayModeBar": False}, className="lv-compare-graph",
                          style={"height": f"{cf.SECOND_HEIGHT}px"}),
                dcc.Loading(type="default", delay_show=150, children=html.Div(id=MATCHES)),
            ]),
            dcc.Store(id=PARAMS, data=None),
            dcc.Store(id=SHOWN, data=None),
        ]),
    ])


# -- callback bodies (plain functions) -------------------------------------------------------------
def sync_chooser(registry, view_state, chooser_value, triggered, current_options=None):
    """-> (options, value, view_state patch)."""
    vs = view_state if isinstance(view_state, dict) else {}
    if triggered == CHOOSER:
        if (chooser_value or None) == vs.get("compare"):
            return no_update, no_update, no_update
        patch = dash.Patch()
        patch["compare"] = chooser_value or None
        return no_update, no_update, patch
    if not vs.get("dataset"):
        return [], None, no_update
    if vs.get("compare") and vs.get("compare") == vs.get("layer"):
        patch = dash.Patch()            # the header switched to the compared layer: nothing to compare
        patch["compare"] = None
        return no_update, None, patch
    catalog = registry.catalog()
    options = cf.compare_options(vs["dataset"], vs.get("layer"), catalog)
    value = vs.get("compare")
    return (options if options != current_options else no_update,
            value if value != chooser_value else no_update, no_update)


def _version(ds) -> str:
    """File fingerprint: id(ds) may be reused by a Dataset reopened after its file changed."""
    return json.dumps(ds.arrays(ds.layers[0]).fingerprint, sort_keys=True)


def compatibility(ds_a, ds_b):
    """None when ds_b has the same token sequence as ds_a, else the difference (cached per pair)."""
    if ds_a is ds_b:
        return None
    key = (ds_a.name, id(ds_a), _version(ds_a), ds_b.name, id(ds_b), _version(ds_b))
    with _compat_lock:
        if key in _compat:
            return _compat[key]
    diff = cf.token_difference(ds_a.token_ids, ds_a.vocab, ds_b.token_ids, ds_b.vocab)
    with _compat_lock:
        if len(_compat) > 64:
            _compat.clear()
        _compat[key] = diff
    return diff


def _context(ds, pos: int) -> str:
    lo, hi = max(0, pos - 6), min(len(ds), pos + 6)
    if lo >= hi:
        return ""
    toks = ds.tokens(lo, hi)
    sep = "" if all(len(t) <= 1 for t in toks) else " "
    return sep.join(toks)


def second(registry, vs):
    """(dataset B, layer B, difference or None) for the view state's compare value."""
    catalog = registry.catalog()
    name_b, layer_b = cf.split_compare(vs["compare"], vs["dataset"], catalog)
    ds_a, ds_b = registry.get(vs["dataset"]), registry.get(name_b)
    return ds_b, layer_b, compatibility(ds_a, ds_b)


def render(registry, view_state, current_params):
    """-> (status, compat message, body style, figure, params)."""
    hidden = {"display": "none"}
    vs = view_state if isinstance(view_state, dict) else {}
    if not vs.get("dataset") or not vs.get("layer"):
        return "", "", hidden, no_update, None
    if not vs.get("compare"):
        return ("choose a second layer (or a dataset over the same text) to see it beside this one",
                "", hidden, no_update, None)
    ds_a = registry.get(vs["dataset"])
    ds_b, layer_b, diff = second(registry, vs)
    label_a, label_b = f"{ds_a.name}:{vs['layer']}", f"{ds_b.name}:{layer_b}"
    if diff is not None:
        msg = cf.difference_message(ds_a.name, ds_b.name, diff, _context(ds_a, diff["pos"]),
                                    _context(ds_b, diff["pos"]))
        alert = dbc.Alert(msg, color="danger", className="py-2 mb-1 lv-compare-incompatible")
        return f"{label_b}: not comparable", alert, hidden, no_update, None
    pos, W = int(vs["pos"]), int(vs["width"])
    thr = float(vs["threshold"])
    sel, pad = vs.get("sel"), vs.get("pad") or [0, 0]
    if sel:
        s1_b = lv.select(ds_b, layer_b, int(sel[0]), int(sel[1]), thr, pad_left=int(pad[0]), pad_right=int(pad[1]))
    else:
        s1_b = np.zeros(0, np.int64)
    fig = cf.second_figure_spec(ds_b.tokens(pos, pos + W), ds_b.values(layer_b, pos, pos + W), pos, s1_b, thr,
                                sel, pad, transform=ds_b.transform(layer_b),
                                uirevision=f"{ds_b.name}|{layer_b}", title=f"{label_b}: same window and range")
    notes = []
    if ds_b is not ds_a:
        notes.append(f"{ds_b.name} has the same {len(ds_a):,} tokens as {ds_a.name}")
    if ds_b.transform(layer_b) != ds_a.transform(vs["layer"]):
        notes.append(f"note: {vs['layer']} is shown with {ds_a.transform(vs['layer'])} and {layer_b} with "
                     f"{ds_b.transform(layer_b)}; the same ℓ = {thr:g} applies to both")
    compat = html.Div("; ".join(notes), className="small text-muted mb-1") if notes else ""
    params = {"dataset_b": ds_b.name, "layer_b": layer_b, "sel": sel, "pad": pad, "threshold": thr,
              "s1_b": s1_b.tolist()}
    status = f"{label_a} (above) vs {label_b}"
    return (status, compat, {"display": "block"}, fig,
            params if params != current_params else no_update)


def _rows(ds, m):
    tab = m.table
    rows = [(int(a), int(b), int(o)) for a, b, o in zip(tab["start"], tab["stop"], tab["overlap"])]
    sep = "" if all(len(str(v)) <= 1 for v in ds.vocab.tolist()[:2000]) else " "
    texts = [cf.match_words(ds.tokens(a, min(b, a + cf.MAX_WORDS)), sep=sep) + ("…" if b - a > cf.MAX_WORDS else "")
             for a, b, _ in rows]
    return rows, texts


def side_by_side(registry, selection, params):
    """-> (children of MATCHES, shown store)."""
    if not params or not isinstance(selection, dict) or not selection.get("dataset"):
        return [], None
    ds_a = registry.get(selection["dataset"])
    ds_b = registry.get(params["dataset_b"])
    cells_a = sorted({int(c) for c in selection.get("cells") or []})
    cells_b = [int(c) for c in params["s1_b"]]
    label_a = f"{ds_a.name}:{selection['layer']}"
    label_b = f"{ds_b.name}:{params['layer_b']}"
    if not selection.get("sel") or not params.get("sel"):
        note = html.Div("Brush a range in the select view: both layers' S1 and matches appear here.",
                        className="small text-muted")
        return [note], None
    if (selection.get("sel"), selection.get("pad"), float(selection["threshold"])) != \
            (params["sel"], params["pad"], float(params["threshold"])):
        return no_update, no_update     # one of the two stores is not updated yet
    thr = float(params["threshold"])
    sel_b = {"layer": params["layer_b"], "cells": cells_b, "threshold": thr, "pad": params["pad"]}
    _, m_a = mv.query(ds_a, selection, None, top=TOP) if cells_a else (None, None)
    _, m_b = mv.query(ds_b, sel_b, None, top=TOP) if cells_b else (None, None)
    rows_a, texts_a = _rows(ds_a, m_a) if m_a is not None else ([], [])
    rows_b, texts_b = _rows(ds_b, m_b) if m_b is not None else ([], [])
    in_a = {(a, b) for a, b, _ in rows_a}
    in_b = {(a, b) for a, b, _ in rows_b}
    shared = in_a & in_b

    def column(label, cells, sid, rows, texts, side, others):
        return dbc.Col([
            cf.s1_list(cells, sid, label),
            html.Div(f"top {len(rows)} matches of its own S1", className="small text-muted"),
            cf.match_table(rows, texts, len(cells), side, shared=others, row_type=ROW),
        ], md=6, className="lv-compare-col")
    a, b = selection["sel"]
    head = html.Div(f"range {a}:{b} at ℓ = {thr:g}: {len(shared)} of the top matches are the same range in both "
                    f"(★)", className="small mb-1")
    out = [head, dbc.Row([column(label_a, cells_a, S1_A, rows_a, texts_a, "a", shared),
                          column(label_b, cells_b, S1_B, rows_b, texts_b, "b", shared)], className="g-3")]
    shown = {"dataset": ds_a.name, "T": len(ds_a), "a": [[r[0], r[1]] for r in rows_a],
             "b": [[r[0], r[1]] for r in rows_b]}
    return out, shown


def row_click(triggered, shown, view_state):
    if not isinstance(triggered, dict) or not shown or not isinstance(view_state, dict):
        return no_update
    if shown.get("dataset") != view_state.get("dataset"):
        return no_update
    rows = shown.get(triggered.get("side")) or []
    i = triggered.get("index")
    if not isinstance(i, int) or not (0 <= i < len(rows)):
        return no_update
    a, b = rows[i]
    patch = dash.Patch()
    patch["pos"] = mv.window_pos(a, b, int(view_state.get("width") or 40), int(shown["T"]))
    return patch


# Any exception -> a message (at `message_index`) and no_update elsewhere (callback_guard).
_safe = error_guard("compare view",
                    lambda e: dbc.Alert(f"comparison error: {e}", color="danger", className="py-2 mb-1"))


def register_callbacks(app, registry):
    @app.callback(Output(CHOOSER, "options"), Output(CHOOSER, "value"),
                  Output(ids.VIEW_STATE, "data", allow_duplicate=True),
                  Input(ids.VIEW_STATE, "data"), Input(CHOOSER, "value"), State(CHOOSER, "options"),
                  prevent_initial_call="initial_duplicate")
    @_safe(3)
    def _sync(view_state, chooser_value, options):
        return sync_chooser(registry, view_state, chooser_value, ctx.triggered_id, options)

    @app.callback(Output(STATUS, "children"), Output(COMPAT, "children"), Output(BODY, "style"),
                  Output(GRAPH, "figure"), Output(PARAMS, "data"),
                  Input(ids.VIEW_STATE, "data"), State(PARAMS, "data"))
    @_safe(5, message_index=1)
    def _render(view_state, params):
        return render(registry, view_state, params)

    @app.callback(Output(MATCHES, "children"), Output(SHOWN, "data"),
                  Input(ids.SELECTION, "data"), Input(PARAMS, "data"))
    @_safe(2, message_index=0)
    def _matches(selection, params):
        return side_by_side(registry, selection, params)

    @app.callback(Output(ids.VIEW_STATE, "data", allow_duplicate=True),
                  Input({"type": ROW, "side": ALL, "index": ALL}, "n_clicks"),
                  State(SHOWN, "data"), State(ids.VIEW_STATE, "data"), prevent_initial_call=True)
    @_safe(1)
    def _row_click(_clicks, shown, view_state):
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update
        return row_click(ctx.triggered_id, shown, view_state)
