"""Follow-up analysis (paper section 6.2, Figure 7): the PCA of the on-patterns of annotated ranges.

For the chosen categorical annotation and values, every maximal range carrying one of the values
(`analysis.patterns`) gets the S1 that lv.select would give for it on the header's layer at the
view state's threshold; the patterns are projected to 2D (`analysis.project`) and drawn coloured by
value. Clicking a point selects that range in the select view (VIEW_STATE `sel`, `pos` moved to
show it, exclusions cleared).

The card is collapsed at first and computes nothing until opened; the result is cached per
(dataset, layer, threshold, annotation, values, min length), so moving the window does not
recompute it. At most MAX_RANGES ranges are projected (evenly spread over the data, with a notice).
"""
from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
import numpy as np
from dash import Input, Output, State, dcc, html, no_update

from .. import analysis
from . import ids
from . import match_view as mv
from . import projection_figures as pf
from .callback_guard import error_guard
from .lru import LRUCache

MAX_RANGES = 8000
DEFAULT_TOP_VALUES = 8

VIEW = "projection-view"
TOGGLE = "projection-toggle"
COLLAPSE = "projection-collapse"
ANNOTATION = "projection-annotation"
VALUES = "projection-values"
MIN_LENGTH = "projection-min-length"
GRAPH = "projection-graph"
INFO = "projection-info"
MESSAGE = "projection-message"
KEY = "projection-key"        # store: the key of the figure shown




_cache = LRUCache(8)
_counts_cache = LRUCache(32)


def _version(ds, layer=None) -> str:
    """The layer's file fingerprint: id(ds) alone may be reused by a Dataset the registry reopens
    after the file changed on disk (as in match_view.query)."""
    return json.dumps(ds.arrays(layer or ds.layers[0]).fingerprint, sort_keys=True)


def _plain(v):
    """An annotation value as a JSON-able option value."""
    return v.item() if isinstance(v, np.generic) else v


def layout():
    header = dbc.Row(className="g-2 align-items-center", children=[
        dbc.Col(dbc.Button("▸ Follow-up: projection of range patterns", id=TOGGLE, n_clicks=0, color="link",
                           className="p-0 fw-semibold lv-projection-toggle"), width="auto"),
        dbc.Col(html.Span("annotation", className="small"), width="auto"),
        dbc.Col(dcc.Dropdown(id=ANNOTATION, options=[], value=None, clearable=False, placeholder="annotation",
                             style={"width": "180px"}), width="auto"),
        dbc.Col(html.Span("values", className="small"), width="auto"),
        dbc.Col(dcc.Dropdown(id=VALUES, options=[], value=[], multi=True, placeholder="values",
                             style={"minWidth": "260px"}), className="lv-projection-values"),
        dbc.Col(dbc.InputGroup([
            dbc.InputGroupText("min length"),
            dcc.Input(id=MIN_LENGTH, type="number", min=1, step=1, value=1, debounce=True,
                      className="form-control lv-num"),
        ], size="sm"), width="auto"),
    ])
    body = dbc.CardBody(className="p-2", children=[
        html.Div("Each point is one maximal range of the data carrying one annotation value (e.g. one string "
                 "literal, one stretch at one depth); its position is the PCA of the set of cells on over the "
                 "whole range (the S1 that range would give, layer and ℓ from above). Click a point to select "
                 "that range above; click legend entries to hide values.",
                 className="small text-muted mb-1"),
        html.Div(id=MESSAGE, role="status", className="small", style={"color": "#8a6d3b"}),
        html.Div(id=INFO, className="small", style={"color": "#444"}),
        dcc.Loading(type="default", delay_show=150, children=dcc.Graph(
            id=GRAPH, figure=pf.empty_figure("open to compute"), config={"displaylogo": False},
            style={"height": f"{pf.HEIGHT}px"})),
        dcc.Store(id=KEY, data=None),
    ])
    return dbc.Card(id=VIEW, className="lv-projection-view mt-3", children=[
        dbc.CardHeader(header),
        dbc.Collapse(body, id=COLLAPSE, is_open=False),
    ])


# -- callback bodies (plain functions) -----------------------------------------------------------
def categorical_annotations(ds) -> list[str]:
    return [a for a in ds.annotations if ds.annotation_kind(a) == "categorical"]


def annotation_choice(registry, view_state, current):
    """-> (options, value) of the annotation chooser for the dataset of the view state."""
    vs = view_state if isinstance(view_state, dict) else {}
    try:
        names = categorical_annotations(registry.get(vs["dataset"])) if vs.get("dataset") else []
    except ValueError:
        names = []
    options = [{"label": n, "value": n} for n in names]
    if current in names:
        value = current
    elif vs.get("annotation") in names:
        value = vs["annotation"]
    else:
        value = names[0] if names else None
    return options, value


def range_counts(ds, annotation: str) -> tuple[list, list[int]]:
    """(values, number of maximal ranges carrying each value)."""
    def compute():
        _, _, codes = analysis.annotated_ranges(ds, annotation)
        labels = [_plain(v) for v in ds.annotation_labels(annotation)]
        counts = np.bincount(np.asarray(codes, dtype=np.int64), minlength=len(labels))[:len(labels)]
        return labels, counts.tolist()
    return _counts_cache.get((ds.name, id(ds), _version(ds), annotation), compute)


def value_choice(registry, view_state, annotation):
    """-> (options, default values) of the values chooser."""
    vs = view_state if isinstance(view_state, dict) else {}
    if not annotation or not vs.get("dataset"):
        return [], []
    ds = registry.get(vs["dataset"])
    if annotation not in ds.annotations:
        return [], []
    labels, counts = range_counts(ds, annotation)
    options = [{"label": f"{v} ({c:,})", "value": v} for v, c in zip(labels, counts) if c > 0]
    return options, pf.default_values(labels, counts, DEFAULT_TOP_VALUES)


def compute(ds, layer: str, threshold: float, annotation: str, values: list, min_length: int):
    """(patterns, projection or None)."""
    pats = analysis.patterns(ds, layer, annotation, value=list(values), threshold=threshold,
                             min_length=min_length, max_ranges=MAX_RANGES)
    proj = analysis.project(pats) if len(pats) >= 2 and pats.matrix.shape[1] >= 2 else None
    return pats, proj


def render(registry, view_state, is_open, annotation, values, min_length, shown_key):
    """-> (figure, info, message, key); no_update everywhere when nothing changed or it is closed."""
    nothing = (no_update,) * 4
    vs = view_state if isinstance(view_state, dict) else {}
    if not is_open or not vs.get("dataset") or not vs.get("layer"):
        return nothing
    try:
        min_length = max(1, int(min_length or 1))
    except (TypeError, ValueError):
        min_length = 1
    values = list(values or [])
    key = [vs["dataset"], vs["layer"], float(vs["threshold"]), annotation, values, min_length]
    if key == shown_key:
        return nothing
    ds = registry.get(vs["dataset"])
    if not annotation:
        return pf.empty_figure("this dataset has no categorical annotation"), "", "", key
    if annotation not in categorical_annotations(ds):
        return nothing              # the chooser still shows the previous dataset's annotation
    labels_all, _ = range_counts(ds, annotation)
    known = {str(v) for v in labels_all}
    values = [v for v in values if str(v) in known]     # values of the previous annotation: left out
    if not values:
        return pf.empty_figure("choose at least one value"), "", "", key
    ck = (ds.name, id(ds), _version(ds, vs["layer"]), vs["layer"], float(vs["threshold"]), annotation,
          tuple(map(str, values)), min_length)
    pats, proj = _cache.get(ck, lambda: compute(ds, vs["layer"], float(vs["threshold"]), annotation, values,
                                                min_length))
    message = ""
    if pats.n_ranges_total > len(pats):
        message = (f"{pats.n_ranges_total:,} ranges carry these values; showing {len(pats):,} of them, evenly "
                   f"spread over the data (choose fewer values or a larger min length to see all).")
    if proj is None:
        return pf.empty_figure(f"{len(pats)} range(s): too few to project"), "", message, key
    n_on = pats.matrix.sum(axis=1)
    same = pf.pattern_multiplicity(pats.matrix)
    chosen = {str(v) for v in values}
    order = [v for v in labels_all if str(v) in chosen]        # annotation order, stable colours
    fig = pf.projection_figure_spec(proj.coords[:, :2], pats.labels, pats.starts, pats.stops, pats.texts,
                                    n_on=n_on, same=same, order=order, colours=pf.value_colours(labels_all),
                                    explained=proj.explained_variance_ratio,
                                    uirevision=f"{vs['dataset']}|{annotation}")
    distinct = int(len(np.unique(pats.matrix, axis=0)))
    info = (f"{len(pats):,} ranges of {annotation} ∈ {{{', '.join(map(str, values))}}} on {vs['layer']} at "
            f"ℓ = {float(vs['threshold']):g}: {distinct:,} distinct on-patterns; mean |S1| = {n_on.mean():.1f}.")
    return fig, info, message, key


def point_click(click, view_state, T: int):
    """A click on a point -> VIEW_STATE patch selecting its range."""
    if not click or not click.get("points") or not isinstance(view_state, dict):
        return no_update
    custom = click["points"][0].get("customdata")
    try:
        a, b = int(custom[0]), int(custom[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return no_update
    if not (0 <= a < b <= T):
        return no_update
    patch = dash.Patch()
    patch["pos"] = mv.window_pos(a, b, int(view_state.get("width") or 40), T)
    patch["sel"] = [a, b]
    patch["exclude"] = []
    return patch


# Any exception -> a message (at `message_index`) and no_update elsewhere (callback_guard).
_safe = error_guard("projection view", lambda e: f"projection error: {e}")


def register_callbacks(app, registry):
    @app.callback(Output(COLLAPSE, "is_open"), Output(TOGGLE, "children"),
                  Input(TOGGLE, "n_clicks"), State(COLLAPSE, "is_open"), prevent_initial_call=True)
    def _toggle(n, is_open):
        now = not is_open
        return now, ("▾" if now else "▸") + " Follow-up: projection of range patterns"

    @app.callback(Output(ANNOTATION, "options"), Output(ANNOTATION, "value"),
                  Input(ids.VIEW_STATE, "data"), State(ANNOTATION, "value"), State(ANNOTATION, "options"))
    @_safe(2)
    def _annotations(view_state, current, current_options):
        options, value = annotation_choice(registry, view_state, current)
        return (options if options != current_options else no_update,
                value if value != current else no_update)

    @app.callback(Output(VALUES, "options"), Output(VALUES, "value"),
                  Input(ANNOTATION, "value"), State(ids.VIEW_STATE, "data"))
    @_safe(2)
    def _values(annotation, view_state):
        return value_choice(registry, view_state, annotation)

    @app.callback(Output(GRAPH, "figure"), Output(INFO, "children"), Output(MESSAGE, "children"), Output(KEY, "data"),
                  Input(ids.VIEW_STATE, "data"), Input(COLLAPSE, "is_open"), Input(ANNOTATION, "value"),
                  Input(VALUES, "value"), Input(MIN_LENGTH, "value"), State(KEY, "data"))
    @_safe(4, message_index=2)
    def _render(view_state, is_open, annotation, values, min_length, shown_key):
        return render(registry, view_state, is_open, annotation, values, min_length, shown_key)

    @app.callback(Output(ids.VIEW_STATE, "data", allow_duplicate=True), Output(GRAPH, "clickData"),
                  Input(GRAPH, "clickData"), State(ids.VIEW_STATE, "data"), prevent_initial_call=True)
    @_safe(2)
    def _click(click, view_state):
        if not click:
            return no_update, no_update
        T = len(registry.get(view_state["dataset"]))
        return point_click(click, view_state, T), None
