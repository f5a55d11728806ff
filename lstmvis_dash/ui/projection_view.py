"""Follow-up analysis (paper section 6.2, Figure 7): the PCA of the on-patterns of annotated ranges.

For the chosen categorical annotation and values, every maximal range carrying one of the values
(`analysis.patterns`) gets the S1 that lv.select would give for it (no padding) on the header's
layer at the view state's threshold; the patterns are projected to 2D (`analysis.project`) and drawn
coloured by value, ranges on the same point as one marker sized by their number. A click on a point
shows its range in the select view (the navigation channel); "use" there adopts it with no padding,
as its pattern was computed.

The card is collapsed at first and computes nothing until opened; the result is cached per
(dataset, layer, threshold, annotation, values, min length). At most MAX_RANGES ranges are projected
(evenly spread over the data, with a notice). The layer is read through its own transform.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
import numpy as np
from dash import dcc, html

from .. import analysis
from . import codecs as cd
from . import data
from . import projection_figures as pf
from .component import Action, Component
from .figures import empty_figure
from .lru import LRUCache

MAX_RANGES = 8000
DEFAULT_TOP_VALUES = 8
TITLE = "Follow-up: projection of range patterns"
FIELDS = ("dataset", "layer", "threshold")

_cache = LRUCache(8)
_counts_cache = LRUCache(32)


def _plain(v):
    """An annotation value as a JSON-able option value."""
    return v.item() if isinstance(v, np.generic) else v


def categorical_annotations(ds) -> list[str]:
    return [a for a in ds.annotations if ds.annotation_kind(a) == "categorical"]


def range_counts(ds, annotation: str) -> tuple[list, list[int]]:
    """(values, number of maximal ranges carrying each value)."""
    def compute():
        _, _, codes = analysis.annotated_ranges(ds, annotation)
        labels = [_plain(v) for v in ds.annotation_labels(annotation)]
        counts = np.bincount(np.asarray(codes, dtype=np.int64), minlength=len(labels))[:len(labels)]
        return labels, counts.tolist()
    return _counts_cache.get((ds.name, id(ds), data.version(ds, ds.layers[0]), annotation), compute)


def compute(ds, layer: str, threshold: float, annotation: str, values: list, min_length: int):
    """(patterns, projection or None)."""
    pats = analysis.patterns(ds, layer, annotation, value=list(values), threshold=threshold,
                             min_length=min_length, max_ranges=MAX_RANGES)
    proj = analysis.project(pats) if len(pats) >= 2 and pats.matrix.shape[1] >= 2 else None
    return pats, proj


class ProjectionView(Component):
    KIND = "projection"
    PARTS = ("card", "toggle", "collapse", "annotation", "values", "min-length", "graph", "info", "message")

    def layout(self):
        i = self.ids
        header = dbc.Row(className="g-2 align-items-center", children=[
            dbc.Col(dbc.Button("▸ " + TITLE, id=i.toggle, n_clicks=0, color="link",
                               className="p-0 fw-semibold lv-projection-toggle"), width="auto"),
            dbc.Col(html.Span("annotation", className="small"), width="auto"),
            dbc.Col(dcc.Dropdown(id=i.annotation, options=[], value=None, clearable=False, placeholder="annotation",
                                 style={"width": "180px"}), width="auto"),
            dbc.Col(html.Span("values", className="small"), width="auto"),
            dbc.Col(dcc.Dropdown(id=i.values, options=[], value=[], multi=True, placeholder="values",
                                 style={"minWidth": "260px"}), className="lv-projection-values"),
            dbc.Col(dbc.InputGroup([dbc.InputGroupText("min length"),
                                    dcc.Input(id=i.min_length, type="number", min=1, step=1, value=1, debounce=True,
                                              className="form-control lv-num")], size="sm"), width="auto"),
        ])
        body = dbc.CardBody(className="p-2", children=[
            html.Div("Each point is one maximal range of the data carrying one annotation value (e.g. one string "
                     "literal, one stretch at one depth), or several with the same pattern (larger points); its "
                     "position is the PCA of the set of cells on over the whole range (the S1 that range would give, "
                     "layer and ℓ from above). Click a point to show its range above; click legend entries to hide "
                     "values.", className="small text-muted mb-1"),
            html.Div(id=i.message, role="status", className="small", style={"color": "#8a6d3b"}),
            html.Div(id=i.info, className="small", style={"color": "#444"}),
            html.Div(dcc.Graph(id=i.graph, figure=empty_figure("open to compute"), config={"displaylogo": False},
                               style={"height": f"{pf.HEIGHT}px"}), **{"data-lv-nav-points": "1"}),
        ])
        return dbc.Card(id=i.card, className="lv-projection-view mt-3",
                        children=[dbc.CardHeader(header), dbc.Collapse(body, id=i.collapse, is_open=False)])

    def actions(self):
        i = self.ids
        local = lambda s, v, ctx: s  # noqa: E731 - the card's own controls: it redraws itself
        return [Action(i.toggle, "n_clicks", lambda s, v, ctx: s if v else None),
                Action(i.annotation, "value", local), Action(i.values, "value", local),
                Action(i.min_length, "value", local)]

    def outputs(self):
        i = self.ids
        return [(i.collapse, "is_open"), (i.toggle, "children"), (i.annotation, "options"), (i.annotation, "value"),
                (i.values, "options"), (i.values, "value"), (i.graph, "figure"), (i.info, "children"),
                (i.message, "children")]

    def states(self):
        return [(self.ids.collapse, "is_open")]

    def render(self, ctx):
        i, s = self.ids, ctx.state
        is_open = ctx.value(i.collapse, "is_open") is True
        out = {}
        if ctx.triggered_by(i.toggle):
            is_open = not is_open
            out[(i.collapse, "is_open")] = is_open
            out[(i.toggle, "children")] = ("▾ " if is_open else "▸ ") + TITLE
        if not is_open or not (ctx.changed(*FIELDS) or ctx.triggered_by(*self.ids)):
            return out
        ds = ctx.ds
        names = categorical_annotations(ds)
        annotation = ctx.value(i.annotation, "value")
        values = ctx.value(i.values, "value")
        if ctx.changed("dataset"):
            out[(i.annotation, "options")] = [{"label": n, "value": n} for n in names]
        fresh = annotation not in names
        if fresh:
            annotation = s.annotation if s.annotation in names else (names[0] if names else None)
            out[(i.annotation, "value")] = annotation
        if not annotation:
            return {**out, (i.graph, "figure"): empty_figure("this dataset has no categorical annotation"),
                    (i.info, "children"): "", (i.message, "children"): ""}
        labels, counts = range_counts(ds, annotation)
        known = {str(v): v for v in labels}
        if fresh or ctx.changed("dataset") or ctx.triggered_by(i.annotation):
            out[(i.values, "options")] = [{"label": f"{v} ({c:,})", "value": v} for v, c in zip(labels, counts) if c > 0]
        if fresh or ctx.triggered_by(i.annotation) or not isinstance(values, list):
            values = pf.default_values(labels, counts, DEFAULT_TOP_VALUES)
            out[(i.values, "value")] = values
        values = [known[str(v)] for v in values if isinstance(v, (str, int, float)) and str(v) in known]
        min_length = cd.int_json(ctx.value(i.min_length, "value"))
        min_length = 1 if min_length is cd.INVALID or min_length < 1 else min(min_length, len(ds))
        if not values:
            return {**out, (i.graph, "figure"): empty_figure("choose at least one value"), (i.info, "children"): "",
                    (i.message, "children"): ""}
        key = (ds.name, id(ds), data.version(ds, s.layer), s.layer, s.threshold, annotation,
               tuple(map(str, values)), min_length)
        pats, proj = _cache.get(key, lambda: compute(ds, s.layer, s.threshold, annotation, values, min_length))
        message = ""
        if pats.n_ranges_total > len(pats):
            message = (f"{pats.n_ranges_total:,} ranges carry these values; showing {len(pats):,} of them, evenly "
                       f"spread over the data (choose fewer values or a larger min length to see all).")
        if s.transform is not None:
            message += f" The projection reads {s.layer} through its own transform, not {s.transform}."
        if proj is None:
            return {**out, (i.graph, "figure"): empty_figure(f"{len(pats)} range(s): too few to project"),
                    (i.info, "children"): "", (i.message, "children"): message}
        n_on = pats.matrix.sum(axis=1)
        chosen = {str(v) for v in values}
        fig = pf.projection_figure_spec(proj.coords[:, :2], pats.labels, pats.starts, pats.stops, pats.texts,
                                        n_on=n_on, order=[v for v in labels if str(v) in chosen],
                                        colours=pf.value_colours(labels), explained=proj.explained_variance_ratio,
                                        uirevision=f"{s.dataset}|{annotation}")
        fig["layout"]["meta"] = {"dataset": s.dataset}
        distinct = int(len(np.unique(pats.matrix, axis=0)))
        info = (f"{len(pats):,} ranges of {annotation} ∈ {{{', '.join(map(str, values))}}} on {s.layer} at "
                f"ℓ = {s.threshold:g}: {distinct:,} distinct on-patterns; mean |S1| = {n_on.mean():.1f}.")
        return {**out, (i.graph, "figure"): fig, (i.info, "children"): info, (i.message, "children"): message}
