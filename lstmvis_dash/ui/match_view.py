"""The match view (paper section 5.2): corpus-wide matches of the current hypothesis S1.

Reads the shared `SELECTION` store (written by the select view whenever S1 changes) and the view
state keys `length` and `annotation`; writes `length`, `annotation`, `pos`, and (for "use") `sel`
and `exclude` back into `VIEW_STATE` with dash.Patch, so the URL follows.

Callbacks:
- `_sync_params`  VIEW_STATE <-> annotation chooser, and the (length, annotation) params store;
                  the params store only changes when those keys change, so moving the select
                  window (pos) does not recompute the matches
- `_update`       SELECTION / params / paint toggle -> rows, histogram, legend, summary (one match
                  query per committed selection; results cached per process)
- `_length_click` histogram click -> VIEW_STATE length (the same bar again clears it)
- `_row_click`    row click -> VIEW_STATE pos; "use" button -> sel = the match, exclude cleared
- `_download`     the full ranked table (top=None) as CSV

Every callback turns an error into a visible message in the view instead of a traceback.
"""
from __future__ import annotations

import json

import dash
import numpy as np
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

import lstmvis_dash as lv

from . import ids
from . import match_figures as mf
from .callback_guard import error_guard
from .lru import LRUCache

TOP = 50

# component ids of this view (own prefix, so ids.py stays the select view's)
VIEW = "match-view"
PARAMS = "match-params"            # store {"length", "annotation"}: changes only when those do
SHOWN = "match-shown"              # store: the rows shown, for clicks {"dataset", "T", "rows": [[a, b]]}
INFO = "match-info"
MESSAGE = "match-message"
ROWS = "match-rows"
LEGEND = "match-legend"
HIST = "match-histogram"
SUMMARY = "match-summary"
SUMMARY_BOX = "match-summary-box"
ANNOTATION = "match-annotation"
PAINT = "match-paint"
DOWNLOAD_BUTTON = "match-download-button"
DOWNLOAD = "match-download"
LOADING = "match-loading"
ROW = "match-row"                  # pattern-matching type: {"type": ROW, "index": i}
USE = "match-use"                  # pattern-matching type: {"type": USE, "index": i}
PAINT_ON = "paint"


# -- a small per-process cache of match results -------------------------------------------------


_cache = LRUCache(16)


def query(ds, selection: dict, length: int | None, top: int | None = TOP):
    """lv.match for a SELECTION dict, filtered to one length when `length` is set."""
    cells = sorted({int(c) for c in selection.get("cells") or []})
    pad = selection.get("pad") or [0, 0]
    kw = dict(pad_left=int(pad[0]), pad_right=int(pad[1]), top=top)
    if length is not None:
        kw.update(min_length=int(length), max_length=int(length))
    # the layer's fingerprint (file identity and times) keys the cache too: id(ds) alone may be
    # reused by the Dataset the registry reopens after the file changed on disk
    version = json.dumps(ds.arrays(selection["layer"]).fingerprint, sort_keys=True)
    key = (ds.name, id(ds), version, selection["layer"], tuple(cells), float(selection["threshold"]),
           kw["pad_left"], kw["pad_right"], length, top)
    return cells, _cache.get(key, lambda: lv.match(ds, selection["layer"], cells,
                                                     float(selection["threshold"]), **kw))


def _usable(selection) -> bool:
    return (isinstance(selection, dict) and selection.get("dataset") and selection.get("layer")
            and selection.get("threshold") is not None)


# -- layout -----------------------------------------------------------------------------------
def layout():
    toolbar = html.Div([
        html.Span("annotation", style={"marginRight": "6px"}),
        dcc.Dropdown(id=ANNOTATION, options=[], value=None, placeholder="none", clearable=True,
                     style={"width": "200px"}),
        dcc.Checklist(id=PAINT, options=[{"label": " paint annotation colours onto the words", "value": PAINT_ON}],
                      value=[], style={"marginLeft": "14px"}),
        html.Button("download CSV", id=DOWNLOAD_BUTTON, n_clicks=0, style={"marginLeft": "auto"},
                    title="the full ranked match table (all matches, not only the top 50) as CSV"),
        # a spinner beside the button while the full table is built (seconds on a large dataset)
        dcc.Loading(dcc.Download(id=DOWNLOAD), type="circle", delay_show=300,
                    style={"width": "24px"}, parent_style={"width": "24px", "display": "inline-block"}),
    ], style={"display": "flex", "alignItems": "center", "gap": "4px", "margin": "4px 0"})
    rows_col = html.Div([
        html.Div(id=INFO, style={"color": "#444", "fontSize": "13px", "margin": "2px 0 4px 0"}),
        html.Div(id=LEGEND, style={"fontSize": "12px", "margin": "2px 0 6px 0"}),
        html.Div(id=ROWS, style={"overflowX": "auto"}),
    ], style={"flex": "3 1 600px", "minWidth": "0"})
    side_col = html.Div([
        dcc.Graph(id=HIST, config={"displayModeBar": False}, style={"height": "230px"},
                  figure=mf._empty_figure("no selection")),
        html.Div(dcc.Graph(id=SUMMARY, config={"displayModeBar": False}, style={"height": "230px"},
                           figure=mf._empty_figure("choose an annotation")),
                 id=SUMMARY_BOX, style={"display": "none", "marginTop": "14px"}),
    ], style={"flex": "1 1 340px", "minWidth": "300px"})
    return html.Div([
        html.H4("Match view", style={"margin": "8px 0 2px 0"}),
        toolbar,
        html.Div(id=MESSAGE, role="alert", style={"color": "#a94442", "fontSize": "13px"}),
        dcc.Loading(id=LOADING, type="default", delay_show=150,
                    children=html.Div([rows_col, side_col], style={"display": "flex", "gap": "16px",
                                                                   "flexWrap": "wrap"})),
        dcc.Store(id=PARAMS, data={"length": None, "annotation": None}),
        dcc.Store(id=SHOWN, data=None),
    ], id=VIEW, className="lv-match-view", style={"marginTop": "10px", "borderTop": "1px solid #ddd"})


# -- callback bodies (plain functions, so they are benchmarked and tested without a browser) --------
def sync_params(registry, view_state, annotation_value, params, triggered):
    """-> (params, dropdown value, dropdown options, view_state patch); no_update where unchanged."""
    vs = view_state if isinstance(view_state, dict) else {}
    options = no_update
    value = no_update
    patch = no_update
    want = dict(params or {})
    if triggered == ANNOTATION:
        if vs.get("annotation") != annotation_value:
            patch = dash.Patch()
            patch["annotation"] = annotation_value
        want["annotation"] = annotation_value
    else:
        names = []
        try:
            if vs.get("dataset"):
                names = registry.get(vs["dataset"]).annotations
        except ValueError:
            names = []
        options = [{"label": n, "value": n} for n in names]
        value = vs.get("annotation") if vs.get("annotation") in names else None
        want["annotation"] = value
    want["length"] = vs.get("length")
    new_params = want if want != (params or {}) else no_update
    return new_params, value, options, patch


def update(registry, selection, params, paint):
    """-> (rows, histogram figure, legend, summary figure, summary box style, info, message, shown)."""
    params = params or {}
    length = params.get("length")
    hidden = {"display": "none"}
    if not _usable(selection) or not selection.get("sel"):
        return ([], mf._empty_figure("no selection"), [], no_update, hidden,
                "Brush a range of words in the select view to form a hypothesis; its matches appear here.",
                "", None)
    try:
        ds = registry.get(selection["dataset"])
        cells, m = query(ds, selection, length)
    except ValueError as e:
        return ([], mf._empty_figure("no matches"), [], no_update, hidden, "", f"cannot compute matches: {e}",
                None)
    if not cells:
        return ([], mf._empty_figure("no cells selected"), [], no_update, hidden,
                "S1 is empty: no cell is on over the whole selected range at this threshold "
                "(lower the threshold or brush a shorter range).", "", None)
    layer, thr = selection["layer"], float(selection["threshold"])
    grid = mf.row_grid(ds, layer, m.table, cells, thr)
    ann = params.get("annotation")
    track = mf.annotation_track(ds, ann, grid) if ann in ds.annotations else None
    rows = mf.match_rows(grid, row_id={"type": ROW}, use_id={"type": USE}, track=track,
                         paint=bool(paint) and PAINT_ON in paint and track is not None)
    hist = m.histogram
    fig = mf.length_histogram_figure(hist, selected=length, n_cells=len(cells))
    lo, hi = (length, length) if length is not None else (2, len(ds))
    in_range = hist[(hist["length"] >= lo) & (hist["length"] <= hi)]
    total = int(in_range["fuzzy"].sum())
    what = f"length {length}" if length is not None else "length ≥ 2"
    info = (f"top {len(m.table)} of {total:,} matches ({what}) for |S1| = {len(cells)} cells of {layer} "
            f"at ℓ = {thr:g}; colour: cells of S1 on at each word; outlined: the matched range. "
            f"Click a row to show it above.")
    message = ""
    if length is not None and total == 0:
        message = f"no match has length {length}; click the highlighted bar or another length"
    if track is not None:
        summary, box = mf.annotation_summary_figure(ds, ann, m.table), {"display": "block", "marginTop": "14px"}
    else:
        summary, box = no_update, hidden
    shown = {"dataset": ds.name, "T": len(ds),
             "rows": m.table[["start", "stop"]].to_numpy(np.int64).tolist()}
    return rows, fig, mf.annotation_legend(track), summary, box, info, message, shown


def length_click(click, view_state):
    """Histogram click -> (view_state patch, clickData reset)."""
    if not click or not click.get("points"):
        return no_update, no_update
    point = click["points"][0]
    custom = point.get("customdata")
    try:
        length = int(custom[0]) if custom is not None else int(point["x"])
    except (TypeError, ValueError, KeyError, IndexError):
        return no_update, None
    current = (view_state or {}).get("length")
    patch = dash.Patch()
    patch["length"] = None if current == length else length
    return patch, None


def window_pos(start: int, stop: int, width: int, T: int) -> int:
    """The window start that shows [start, stop) centred (its start, when it is wider than the window)."""
    width = max(1, min(int(width), T))
    length = stop - start
    pos = start - (width - length) // 2 if length < width else start
    return int(max(0, min(pos, T - width)))


def row_click(triggered, shown, view_state):
    """A row or "use" click -> view_state patch."""
    if not isinstance(triggered, dict) or not shown or not isinstance(view_state, dict):
        return no_update
    i = triggered.get("index")
    rows = shown.get("rows") or []
    if not isinstance(i, int) or not (0 <= i < len(rows)) or shown.get("dataset") != view_state.get("dataset"):
        return no_update
    a, b = rows[i]
    patch = dash.Patch()
    patch["pos"] = window_pos(a, b, int(view_state.get("width") or 40), int(shown["T"]))
    if triggered.get("type") == USE:
        patch["sel"] = [int(a), int(b)]
        patch["exclude"] = []
    return patch


def download(registry, selection, params):
    """-> (dcc.Download data, message)."""
    if not _usable(selection) or not selection.get("cells"):
        return no_update, "nothing to download: there is no hypothesis (S1 is empty)"
    length = (params or {}).get("length")
    ds = registry.get(selection["dataset"])
    _, m = query(ds, selection, length, top=None)
    text = mf.matches_csv(ds, m.table)
    a, b = (selection.get("sel") or [0, 0])[:2]
    name = f"matches_{ds.name}_{selection['layer']}_{a}-{b}" + (f"_len{length}" if length else "") + ".csv"
    name = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return dcc.send_string(text, name), ""


# Any exception -> a message (at `message_index`) and no_update elsewhere (callback_guard).
_safe = error_guard("match view", lambda e: f"match view error: {e}")


# -- callbacks ----------------------------------------------------------------------------------
def register_callbacks(app, registry):
    @app.callback(
        Output(PARAMS, "data"),
        Output(ANNOTATION, "value"),
        Output(ANNOTATION, "options"),
        Output(ids.VIEW_STATE, "data", allow_duplicate=True),
        Input(ids.VIEW_STATE, "data"),
        Input(ANNOTATION, "value"),
        State(PARAMS, "data"),
        prevent_initial_call="initial_duplicate",
    )
    @_safe(4)
    def _sync_params(view_state, annotation_value, params):
        return sync_params(registry, view_state, annotation_value, params, ctx.triggered_id)

    @app.callback(
        Output(ROWS, "children"),
        Output(HIST, "figure"),
        Output(LEGEND, "children"),
        Output(SUMMARY, "figure"),
        Output(SUMMARY_BOX, "style"),
        Output(INFO, "children"),
        Output(MESSAGE, "children"),
        Output(SHOWN, "data"),
        Input(ids.SELECTION, "data"),
        Input(PARAMS, "data"),
        Input(PAINT, "value"),
    )
    @_safe(8, message_index=6)
    def _update(selection, params, paint):
        return update(registry, selection, params, paint)

    @app.callback(
        Output(ids.VIEW_STATE, "data", allow_duplicate=True),
        Output(HIST, "clickData"),
        Input(HIST, "clickData"),
        State(ids.VIEW_STATE, "data"),
        prevent_initial_call=True,
    )
    @_safe(2)
    def _length_click(click, view_state):
        return length_click(click, view_state)

    @app.callback(
        Output(ids.VIEW_STATE, "data", allow_duplicate=True),
        Input({"type": ROW, "index": ALL}, "n_clicks"),
        Input({"type": USE, "index": ALL}, "n_clicks"),
        State(SHOWN, "data"),
        State(ids.VIEW_STATE, "data"),
        prevent_initial_call=True,
    )
    @_safe(1)
    def _row_click(_rows, _uses, shown, view_state):
        if not ctx.triggered or not ctx.triggered[0].get("value"):
            return no_update          # rows re-rendered (n_clicks 0), not a click
        return row_click(ctx.triggered_id, shown, view_state)

    @app.callback(
        Output(DOWNLOAD, "data"),
        Output(MESSAGE, "children", allow_duplicate=True),
        Input(DOWNLOAD_BUTTON, "n_clicks"),
        State(ids.SELECTION, "data"),
        State(PARAMS, "data"),
        prevent_initial_call=True,
    )
    @_safe(2, message_index=1)
    def _download(n_clicks, selection, params):
        if not n_clicks:
            return no_update, no_update
        return download(registry, selection, params)
