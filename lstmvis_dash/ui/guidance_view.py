"""Threshold guidance in the select view (issue 11 item 4): where ℓ falls in each cell's distribution.

For the cells of S1 (and, clientside, the hovered cell) a small figure (guidance_figures.py): the
cell's quantiles over the whole dataset in the viewed transform, its lowest value through the
selected range, ℓ and the suggested ℓ (lstmvis_dash.guidance: Otsu's split of the cells' range
minima), and the share of all positions the cell is on at ℓ. A button sets ℓ to the suggestion.

The per-cell statistics come from the index (`lstmvis_dash.guide.cell_guide`). The hovered row is drawn by assets/guidance.js from the statistics store: the
quantiles, range minima and on-shares of every cell (of the cells on somewhere in the window for a
layer wider than MAX_HOVER_CELLS), so following the mouse costs no round trip.
"""
from __future__ import annotations

import numpy as np
from dash import dcc, html
import dash_bootstrap_components as dbc

from .. import guidance
from ..guide import cell_guide
from . import actions as act
from .component import Action, Component
from .figures import b64, empty_figure
from .guidance_figures import PROBS, guidance_figure

GUIDANCE_FIELDS = ("dataset", "layer", "transform", "sel", "pad", "threshold", "exclude")
MAX_HOVER_CELLS = 4096


def guidance_data(ds, layer: str, transform, sel, threshold: float, cells, window_values=None) -> dict:
    """Everything the figure and the hover need for one view (statistics from guide.cell_guide)."""
    D = ds.dims(layer)
    low = guidance.range_minima(ds, layer, sel[0], sel[1], transform)
    suggested = guidance.otsu_split(low)
    hover = np.arange(D)
    if D > MAX_HOVER_CELLS and window_values is not None:
        with np.errstate(invalid="ignore"):
            lit = np.flatnonzero((window_values >= np.float32(threshold)).any(axis=0))
        hover = np.union1d(lit[:MAX_HOVER_CELLS], np.asarray(cells, np.int64))
    g = cell_guide(ds, layer, hover, threshold, transform)      # rows in the order of g.cells (sorted)
    hover = g.cells
    at = [int(np.argmin(np.abs(g.levels - p))) for p in PROBS]
    q, share = g.quantiles[:, at], g.share_on
    rows = np.searchsorted(hover, np.asarray(cells, np.int64))
    cells = hover[rows]
    order = np.argsort(share[rows], kind="stable")
    return {"cells": cells[order], "q": q[rows[order]], "low": low[cells[order]], "share": share[rows[order]],
            "suggested": suggested, "hover": hover, "hover_q": q, "hover_low": low[hover], "hover_share": share}


class ThresholdGuidance(Component):
    KIND = "guidance"
    PARTS = ("card", "graph", "stats", "use")

    def layout(self):
        i = self.ids
        return html.Div(id=i.card, className="lv-guidance mt-2", style={"display": "none"}, children=[
            dbc.Row(className="g-2 align-items-center", children=[
                dbc.Col(html.Span("Threshold guidance", className="fw-semibold small"), width="auto"),
                dbc.Col(html.Span("each S1 cell's values over the whole dataset (bar 1–99%, box 25–75%, tick: "
                                  "median, dot: its lowest value in the selection), ℓ (red), the suggestion "
                                  "(green: the split that best separates the cells staying high through the "
                                  "range), and the share of all positions it is on at ℓ; hover a line to add "
                                  "its cell on top", className="small text-muted"), className="lv-guidance-help"),
                dbc.Col(dbc.Button("use the suggested ℓ", id=i.use, size="sm", color="success", outline=True,
                                   n_clicks=0), width="auto"),
            ]),
            dcc.Graph(id=i.graph, config={"displayModeBar": False}, figure=empty_figure("")),
            dcc.Store(id=i.stats, storage_type="memory"),
        ])

    def actions(self):
        return [Action(self.ids.use, "n_clicks", self._use)]

    @staticmethod
    def _use(state, value, ctx):
        if not value or not state.sel or state.layer is None:
            return None
        ds = ctx.dataset(state.dataset)
        suggested = guidance.suggest_threshold(ds, state.layer, state.sel[0], state.sel[1],
                                               ctx.engine_transform(state.dataset, state.layer))
        return None if suggested is None else act.set_threshold(state, round(suggested, 4), typed=False)

    def outputs(self):
        i = self.ids
        return [(i.card, "style"), (i.graph, "figure"), (i.stats, "data"), (i.use, "children"),
                (i.use, "disabled")]

    def render(self, ctx):
        if not ctx.changed(*GUIDANCE_FIELDS):
            return {}
        i, s = self.ids, ctx.state
        hidden = {(i.card, "style"): {"display": "none"}, (i.stats, "data"): None}
        if not s.sel or s.layer is None:
            return hidden
        ds = ctx.ds
        transform = ctx.engine_transform(s.dataset, s.layer)
        window = ctx.window() if ds.dims(s.layer) > MAX_HOVER_CELLS else None
        g = guidance_data(ds, s.layer, transform, s.sel, s.threshold, ctx.cells,
                          window.values if window is not None else None)
        fig = guidance_figure(g["cells"], g["q"], g["low"], g["share"], s.threshold, g["suggested"],
                              n_s1=len(g["cells"]), transform=ctx.transform)
        sugg = g["suggested"]
        return {
            (i.card, "style"): {},
            (i.graph, "figure"): fig,
            (i.stats, "data"): {"source": [s.dataset, s.layer], "cells": b64(g["hover"].astype(np.int32)),
                                "q": b64(g["hover_q"].astype(np.float32).ravel()),
                                "low": b64(g["hover_low"].astype(np.float32)),
                                "share": b64(g["hover_share"].astype(np.float32)), "n_probs": len(PROBS)},
            (i.use, "children"): "no suggestion" if sugg is None else f"use the suggested ℓ = {sugg:.4g}",
            (i.use, "disabled"): sugg is None or round(sugg, 4) == s.threshold,
        }

    def register(self, app, registry) -> None:
        from dash import ClientsideFunction, Input, State
        from . import ids
        i = self.ids
        # the hovered cell's row: on every hover, and again once a new figure (and its statistics) came
        app.clientside_callback(ClientsideFunction(namespace="lstmvis_guidance", function_name="hover"),
                                Input(ids.HOVER_CELL, "data"), Input(i.stats, "data"), State(i.graph, "id"),
                                prevent_initial_call=True)
