"""The match view (paper section 5.2): the corpus-wide matches of the hypothesis S1.

One figure holds the top matches (match_figures.matrix_figure); a click on a row shows that match
in the select view, its "use" cell adopts it as the hypothesis (assets/match.js, through the
navigation channel). Beside it the length histogram (a click filters to that length, the URL key
`length`; the same bar again clears it) and the annotation summary; the annotation track follows the
URL key `annotation`. "download CSV" sends the full ranked table (its own callback: not a view update).

A failed query (a cluster that does not answer, a dataset gone) is said in the view, with a retry.
"""
from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from . import actions as act
from . import codecs as cd
from . import data, ids
from . import match_data as md
from . import match_figures as mf
from .component import Action, Component
from .figures import empty_figure
from .select_view import export_buttons
from ..cluster import ClusterError
from .state import from_store

log = logging.getLogger("lstmvis_dash.ui")

PAINT_ON = "paint"
FIELDS = ("dataset", "layer", "transform", "sel", "pad", "threshold", "exclude", "length", "annotation")


def result_key(state) -> str:
    """Names what the matrix shows (layout.meta.key): the inputs of the query, in URL terms."""
    return "|".join(str(getattr(state, f)) for f in FIELDS)


def click_length(click):
    """A histogram click payload -> the clicked length, or None when it is not one."""
    if not isinstance(click, dict) or not isinstance(click.get("points"), list) or not click["points"]:
        return None
    point = click["points"][0]
    if not isinstance(point, dict):
        return None
    custom = point.get("customdata")
    value = custom[0] if isinstance(custom, list) and custom else point.get("x")
    if isinstance(value, str):
        value = cd.int_text(value)
    n = cd.int_json(value)
    return None if n is cd.INVALID else n


def retry(state, n_clicks):
    """The retry button: the same view state drawn again (the match view renders on its trigger and
    asks the engine anew: a failed query is never cached). None for a payload that is not a click."""
    n = cd.int_json(n_clicks)
    return state if n is not cd.INVALID and n > 0 else None


def failed(i, error) -> dict:
    """The match view's outputs when the query failed: what happened and a retry, and NO table or
    histogram (never an earlier or partial answer under the new hypothesis)."""
    if isinstance(error, ClusterError):
        what = f"the dask cluster could not answer, so no matches are shown: {error}"
    elif isinstance(error, (ValueError, OSError)):
        what = f"cannot compute the matches: {error}"
    else:
        log.exception("the match query failed")
        what = f"cannot compute the matches ({type(error).__name__}: {error})"
    return {(i.message, "children"): what, (i.retry, "style"): {"display": "inline-block"},
            (i.matrix, "figure"): empty_figure("no matches: the query failed"),
            (i.histogram, "figure"): empty_figure("no matches"),
            (i.info, "children"): ""}


class MatchView(Component):
    KIND = "match"
    PARTS = ("card", "annotation", "paint", "info", "message", "retry", "matrix", "histogram", "summary",
             "summary-box", "download-button", "download")

    def layout(self):
        i = self.ids
        toolbar = dbc.Row(className="g-2 align-items-center", children=[
            dbc.Col(html.Strong("Match"), width="auto"),
            dbc.Col(html.Span("annotation", className="small"), width="auto"),
            dbc.Col(dcc.Dropdown(id=i.annotation, options=[], value=None, placeholder="none", clearable=True,
                                 style={"width": "200px"}), width="auto"),
            dbc.Col(dcc.Checklist(id=i.paint, value=[], className="small",
                                  options=[{"label": " paint it onto the words", "value": PAINT_ON}]), width="auto"),
            dbc.Col(export_buttons(i.matrix, "matches"), width="auto", className="ms-auto"),
            dbc.Col([dbc.Button("download CSV", id=i.download_button, n_clicks=0, size="sm", color="secondary",
                                outline=True, title="the full ranked match table (all matches) as CSV"),
                     dcc.Loading(dcc.Download(id=i.download), type="circle", delay_show=300,
                                 parent_style={"width": "24px", "display": "inline-block"})], width="auto"),
        ])
        side = html.Div([
            html.Div(export_buttons(i.histogram, "length_histogram"), className="text-end"),
            html.Div(dcc.Graph(id=i.histogram, config={"displayModeBar": False}, figure=empty_figure("no selection"),
                               style={"height": "240px"}), **{"data-lv-react-order": "3"}),
            html.Div(dcc.Graph(id=i.summary, config={"displayModeBar": False}, style={"height": "260px"},
                               figure=empty_figure("choose an annotation")),
                     id=i.summary_box, style={"display": "none", "marginTop": "10px"}),
        ], className="lv-match-side")
        rows = html.Div([
            html.Div(id=i.info, className="small text-secondary mb-1"),
            html.Div([html.Span(id=i.message), dbc.Button("retry", id=i.retry, size="sm", color="danger",
                                                          outline=True, n_clicks=0, className="ms-2",
                                                          style={"display": "none"})],
                     className="lv-match-message small", role="alert"),
            html.Div(dcc.Graph(id=i.matrix, config={"displayModeBar": False, "responsive": False},
                               figure=empty_figure("no selection")),
                     className="lv-match-matrix", **{"data-lv-matches": "1", "data-lv-react-order": "1"}),
        ], className="lv-match-rows")
        return dbc.Card([dbc.CardHeader(toolbar), dbc.CardBody(html.Div([rows, side], className="lv-match-body"),
                                                               className="p-2")],
                        id=i.card, className="lv-match-view mt-2")

    def actions(self):
        i = self.ids
        return [
            Action(i.histogram, "clickData", lambda s, v, ctx: (act.toggle_length(s, n) if (n := click_length(v))
                                                               is not None else None)),
            Action(i.annotation, "value", lambda s, v, ctx: act.set_annotation(s, v)),
            Action(i.paint, "value", lambda s, v, ctx: s),          # local: redraws the matrix
            Action(i.retry, "n_clicks", lambda s, v, ctx: retry(s, v)),
        ]

    def outputs(self):
        i = self.ids
        return [(i.annotation, "options"), (i.annotation, "value"), (i.info, "children"), (i.message, "children"),
                (i.retry, "style"), (i.matrix, "figure"), (i.histogram, "figure"), (i.histogram, "clickData"),
                (i.summary, "figure"), (i.summary_box, "style")]

    def render(self, ctx):
        i, s = self.ids, ctx.state
        out = {}
        if ctx.changed("dataset"):
            try:
                names = ctx.ds.annotations
            except ValueError:
                names = []
            out[(i.annotation, "options")] = [{"label": n, "value": n} for n in names]
        if ctx.changed("annotation", "dataset") or ctx.triggered_by(i.annotation):
            out[(i.annotation, "value")] = s.annotation
        if ctx.triggered_by(i.histogram):
            out[(i.histogram, "clickData")] = None   # the same bar can be clicked again
        if not (ctx.changed(*FIELDS) or ctx.triggered_by(i.paint, i.retry)):
            return out
        hidden = {"display": "none"}
        out.update({(i.message, "children"): "", (i.retry, "style"): hidden})
        if ctx.first or ctx.before.annotation is not None or ctx.changed("dataset"):   # it may be showing
            out[(i.summary_box, "style")] = hidden
        if not s.sel:
            return {**out, (i.matrix, "figure"): empty_figure("no selection"),
                    (i.histogram, "figure"): empty_figure("no selection"),
                    (i.info, "children"): "Brush a range of words in the select view to form a hypothesis; "
                                          "its matches appear here."}
        cells = ctx.cells
        if len(cells) == 0:
            return {**out, (i.matrix, "figure"): empty_figure("no cells selected"),
                    (i.histogram, "figure"): empty_figure("no cells selected"),
                    (i.info, "children"): "S1 is empty: no cell is on over the whole selected range at this "
                                          "threshold (lower the threshold or brush a shorter range)."}
        try:
            m = ctx.matches(length=s.length)
        except Exception as e:  # noqa: BLE001 - an engine or cluster failure is said here, with a retry
            return {**out, **failed(i, e)}
        ds = ctx.ds
        grid = md.row_grid(ds, s.layer, m.table, cells, s.threshold, ctx.engine_transform(s.dataset, s.layer))
        track = md.annotation_track(ds, s.annotation, grid) if s.annotation in ds.annotations else None
        paint = PAINT_ON in (ctx.value(i.paint, "value") or []) if isinstance(ctx.value(i.paint, "value"), list) else False
        out[(i.matrix, "figure")] = mf.matrix_figure(grid, track, paint and track is not None, result_key(s),
                                                   s.dataset)
        hist = m.histogram
        out[(i.histogram, "figure")] = mf.length_histogram_figure(hist, selected=s.length, n_cells=len(cells))
        lo, hi = (s.length, s.length) if s.length is not None else (2, len(ds))
        total = int(hist[(hist["length"] >= lo) & (hist["length"] <= hi)]["fuzzy"].sum())
        what = f"length {s.length}" if s.length is not None else "length ≥ 2"
        out[(i.info, "children")] = (
            f"top {len(m.table)} of {total:,} matches ({what}) for |S1| = {len(cells)} cells of {s.layer} at "
            f"ℓ = {s.threshold:g}; colour: cells of S1 on at each word; outlined: the matched range. "
            f"Click a row to show it above, “use” to make it the hypothesis.")
        if s.length is not None and total == 0:
            out[(i.message, "children")] = f"no match has length {s.length}; click the highlighted bar or another length"
        if track is not None:
            out[(i.summary, "figure")] = mf.annotation_summary_figure(ds, s.annotation, m.table)
            out[(i.summary_box, "style")] = {"display": "block", "marginTop": "10px"}
        return out

    def register(self, app, registry):
        i = self.ids

        @app.callback(Output(i.download, "data"), Output(i.message, "children", allow_duplicate=True),
                      Input(i.download_button, "n_clicks"), State(ids.VIEW_STATE, "data"), prevent_initial_call=True)
        def _download(n_clicks, store):
            if not n_clicks:
                return no_update, no_update
            try:
                state = from_store(store, registry.catalog())
                if state is None or not state.sel:
                    return no_update, "nothing to download: there is no hypothesis"
                return download(registry, state)
            except (ValueError, ClusterError) as e:
                return no_update, f"cannot build the CSV: {e}"


def download(registry, state):
    """-> (dcc.Download data, message): the full ranked table (top=None) of the state's hypothesis."""
    ds = registry.get(state.dataset)
    s1 = data.select(ds, state.layer, state.sel, state.pad, state.threshold, state.transform)
    cells = [c for c in s1.tolist() if c not in set(state.exclude)]
    if not cells:
        return no_update, "nothing to download: S1 is empty"
    m = data.matches(ds, state.layer, cells, state.threshold, state.pad, state.length, state.transform, top=None,
                     cluster=registry.cluster(state.dataset))
    a, b = state.sel
    name = f"matches_{ds.name}_{state.layer}_{a}-{b}" + (f"_len{state.length}" if state.length else "") + ".csv"
    name = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)
    return dcc.send_string(md.matches_csv(ds, m.table), name), ""
