"""Threshold guidance in the select view (issue 11 item 4): where ℓ falls in each cell's distribution.

For the cells of S1 (and, clientside, the hovered cell) a small figure (guidance_figures.py): the
cell's quantiles over the whole dataset in the viewed transform, its lowest value through the
selected range, ℓ and the suggested ℓ (lstmvis_dash.guidance: Otsu's split of the cells' range
minima), and the share of all positions the cell is on at ℓ. A button sets ℓ to the suggestion.
Cells on at almost every position are counted in a warning: they match anywhere (the trap of
`quantile` on a sparse layer at a high ℓ, which turns rare features on at their zeros).

The hovered row is drawn by assets/guidance.js from the statistics store: the quantiles, range
minima and on-shares of the cells the mouse can reach (every cell of a layer the select plot draws
whole; else the drawn cells and S1's), so following the mouse costs no round trip. Placed in the
select view's "extras" slot: `SelectView(extras=[ThresholdGuidance()])`.
"""
from __future__ import annotations

import numpy as np
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, State, dcc, html

from .. import guidance
from . import actions as act
from . import ids as page_ids
from .component import Action, Component
from .figures import b64, empty_figure
from .guidance_data import EVERYWHERE, PROBS, view_guidance
from .guidance_figures import MAX_ROWS, guidance_figure

GUIDANCE_FIELDS = ("dataset", "layer", "transform", "sel", "pad", "threshold", "exclude")
WINDOW_FIELDS = ("pos", "width")     # the cells the mouse can reach, where the plot draws only some
HIDDEN = {"display": "none"}
HELP = ("Each S1 cell's values over the whole dataset in the viewed transform, ℓ (red) and the suggested ℓ "
        "(green: the split that best separates the cells staying high through the range from the rest), and the "
        "share of all positions each cell is on at ℓ (a full bar: on everywhere, it tells nothing apart). Hover a "
        "line of the plot to see its cell in the top row.")


def suggestion(state, ctx) -> float | None:
    """The suggested ℓ for the state's range (rounded as the button shows it), or None."""
    if not state.sel or state.layer is None:
        return None
    ds = ctx.dataset(state.dataset)
    s = guidance.suggest_threshold(ds, state.layer, state.sel[0], state.sel[1],
                                   ctx.engine_transform(state.dataset, state.layer))
    return None if s is None else round(s, 4)


def warning(everywhere: int, n_s1: int, sparse: bool, transform: str) -> str:
    if not everywhere:
        return ""
    text = (f"{everywhere} of the {n_s1} S1 cells are on at {EVERYWHERE:.0%} or more of all positions at this ℓ: "
            "they match almost anywhere.")
    if sparse and transform == "quantile":
        text += (" Through quantile, a sparse feature that is zero at more than ℓ of all positions is on at its "
                 "zeros; view this layer through none or tanh, or raise ℓ.")
    return text


class ThresholdGuidance(Component):
    KIND = "guidance"
    PARTS = ("card", "graph", "stats", "use", "warn")

    def layout(self):
        i = self.ids
        return html.Div(id=i.card, className="lv-guidance mt-2", style=HIDDEN, children=[
            dbc.Row(className="g-2 align-items-center", children=[
                dbc.Col(html.Span("Threshold guidance", className="fw-semibold small"), width="auto"),
                dbc.Col(html.Span("values over the dataset (bar 1–99%, box 25–75%, tick median; dot: lowest in the "
                                  "range) · ℓ red, suggestion green · right: share of positions on at ℓ",
                                  className="small text-muted", title=HELP), className="lv-guidance-help"),
                dbc.Col(dbc.Button("no suggestion", id=i.use, size="sm", color="success", outline=True,
                                   n_clicks=0, disabled=True), width="auto"),
            ]),
            dcc.Graph(id=i.graph, config={"displayModeBar": False}, figure=empty_figure("")),
            html.Div(id=i.warn, className="small text-danger lv-guidance-warn"),
            dcc.Store(id=i.stats, storage_type="memory"),
        ])

    def actions(self):
        return [Action(self.ids.use, "n_clicks", self._use)]

    @staticmethod
    def _use(state, value, ctx):
        if not value:
            return None
        s = suggestion(state, ctx)
        return None if s is None else act.set_threshold(state, s, typed=False)

    def outputs(self):
        i = self.ids
        return [(i.card, "style"), (i.graph, "figure"), (i.stats, "data"), (i.use, "children"),
                (i.use, "disabled"), (i.warn, "children")]

    def render(self, ctx):
        if not ctx.changed(*GUIDANCE_FIELDS, *WINDOW_FIELDS):
            return {}
        i, s = self.ids, ctx.state
        if s.dataset is None or s.layer is None or ctx.layer_info() is None:
            return {(i.card, "style"): HIDDEN, (i.stats, "data"): None}
        window = ctx.window()
        partial = bool(window.n_flat or window.n_weak)
        if not (ctx.changed(*GUIDANCE_FIELDS) or partial):
            return {}
        ds, transform = ctx.ds, ctx.engine_transform(s.dataset, s.layer)
        cells = ctx.cells if s.sel else np.zeros(0, np.int64)
        g = view_guidance(ds, s.layer, transform, s.sel, s.threshold, cells,
                          window.cells if partial else None, max_rows=MAX_ROWS)
        key = format(hash((s.dataset, s.layer, s.transform, s.sel, s.pad, s.threshold, s.exclude, s.pos,
                           s.width)) & 0xFFFFFFFF, "08x")
        sugg = None if g.suggested is None else round(g.suggested, 4)
        fig = guidance_figure(g.cells, g.q, g.low, g.share, s.threshold, sugg, n_s1=g.n_s1,
                              transform=ctx.transform, everywhere=g.everywhere, key=key)
        sparse = ds.layer_source(s.layer).kind == "sparse"
        out = {(i.card, "style"): {}} if ctx.changed("dataset", "layer") else {}   # shown: it stays shown
        return {
            **out,
            (i.graph, "figure"): fig,
            (i.stats, "data"): {"key": key, "source": [s.dataset, s.layer], "n_probs": len(PROBS),
                                "cells": b64(g.hover.astype(np.int32)),
                                "q": b64(np.ascontiguousarray(g.hover_q, np.float32).ravel()),
                                "low": b64(g.hover_low.astype(np.float32)),
                                "share": b64(g.hover_share.astype(np.float32))},
            (i.use, "children"): "no suggestion" if sugg is None else f"use the suggested ℓ = {sugg:g}",
            (i.use, "disabled"): sugg is None or sugg == s.threshold,
            (i.warn, "children"): warning(g.everywhere, g.n_s1, sparse, ctx.transform),
        }

    def register(self, app, registry) -> None:
        # the hovered cell's row: on every hover, and again once a new figure (and its statistics) came
        app.clientside_callback(ClientsideFunction(namespace="lstmvis_guidance", function_name="hover"),
                                Input(page_ids.HOVER_CELL, "data"), Input(self.ids.stats, "data"),
                                State(self.ids.graph, "id"), prevent_initial_call=True)
