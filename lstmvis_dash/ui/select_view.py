"""The Select View (paper section 5.1): parallel coordinates of the window, the brushed hypothesis,
the threshold, and under the words the share of S1 on, the on-ranges per cell and the S1 chips.

`SelectView("main")` is the interactive view of the header's layer. `SelectView("compare",
source=compare_source, interactive=False)` is the comparison's second plot: the same window and
hypothesis on another layer, read-only. Pointer gestures (brush by drag or click-click, threshold
drag, a chip's cross) are handled in assets/select.js, which writes them to this instance's
gesture store: {"kind": "brush", "start", "stop"} | {"kind": "threshold", "y"} |
{"kind": "exclude" | "restore", "cell"}.

Slot "extras": components shown under the plot (e.g. threshold guidance); they render from the
same RenderContext (ctx.s1(), ctx.window(), ...) and may follow ids.HOVER_CELL.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
import numpy as np
from dash import ClientsideFunction, Input, Patch, State, dcc, html

from . import actions as act
from . import codecs as cd
from . import select_figures as sf
from .component import Action, Component
from .state import split_compare, threshold_bounds

GRAPH_CONFIG = {"displaylogo": False, "displayModeBar": False, "scrollZoom": False, "doubleClick": False}
WINDOW_FIELDS = ("dataset", "layer", "transform", "pos", "width")
HYPOTHESIS_FIELDS = ("sel", "pad", "threshold", "exclude", "focus", "compare")
MAX_CHIPS = 200


def main_source(state, catalog):
    return (state.dataset, state.layer) if state.dataset and state.layer else None


def compare_source(state, catalog):
    return split_compare(state.compare, state.dataset, catalog) if state.compare else None


def export_buttons(graph_id: str, filename: str):
    """PNG and SVG of a figure, drawn in the browser (assets/export.js)."""
    return html.Div([html.Button(fmt.upper(), className="btn btn-sm btn-outline-secondary lv-export",
                                 title=f"download this figure as {fmt.upper()}",
                                 **{"data-lv-export": graph_id, "data-lv-format": fmt, "data-lv-filename": filename})
                     for fmt in ("png", "svg")], className="btn-group btn-group-sm", role="group")


def chips(s1, excluded, selected: bool = True) -> dict:
    """What the S1 chips show (drawn by assets/select.js: 200 chips as Dash components were 600
    React elements to mount per update, 100+ ms at 1M): S1's cells in order (hover: highlight;
    ×: drop), which of them are dropped (↺: restore one by one), how many more are not shown, or
    the text to show instead."""
    if not selected:
        return {"text": "brush a range over the words"}
    if len(s1) == 0:
        return {"text": "no cell is on over the whole range"}
    shown = [int(c) for c in s1.tolist()[:MAX_CHIPS]]
    return {"cells": shown, "excluded": [c for c in shown if c in excluded], "more": max(0, len(s1) - MAX_CHIPS)}


def handles(state) -> tuple[list, int, int, bool]:
    """The brush slider's four handles, clamped into the window (so they stay under the words), its
    bounds (the window's token boundaries) and whether it is disabled (no range in the window)."""
    lo, hi = state.pos, state.pos + state.width
    if not state.sel or state.sel[1] + state.pad[1] < lo or state.sel[0] - state.pad[0] > hi:
        return [lo, lo, hi, hi], lo, hi, True
    (a, b), (pl, pr) = state.sel, state.pad
    return [min(max(v, lo), hi) for v in (a - pl, a, b, b + pr)], lo, hi, False


def summary(state, s1, cells, window) -> str:
    if not state.sel:
        text = "no range selected"
    else:
        a, b = state.sel
        excl = len(s1) - len(cells)
        text = f"|S1| = {len(cells)}" + (f" ({excl} excluded)" if excl else "") + f" · {a}:{b}"
        if any(state.pad):
            text += f" · off {state.pad[0]}/{state.pad[1]}"
    if window.n_flat or window.n_weak:
        text += f" · {len(window.cells):,} of {window.D:,} cells drawn"
    return text


def lines_note(window) -> str:
    parts = []
    if window.n_flat:
        parts.append(f"{window.n_flat:,} of {window.D:,} cells are zero all through this window and not drawn")
    if window.n_weak:
        parts.append(f"{window.n_weak:,} weaker active cells are left out ({len(window.cells):,} drawn)")
    return "; ".join(parts)


def threshold_step(y: float) -> float:
    return round(y, 2) if abs(y) < 10 else float(f"{y:.3g}")


class SelectView(Component):
    KIND = "select"
    PARTS = ("card", "graph", "gestures", "detail", "threshold-slider", "threshold-input", "brush", "chips",
             "chips-data", "summary", "clear", "restore-all", "use-focus", "min-run", "note")

    def __init__(self, name: str = "main", source=main_source, interactive: bool = True, **slots):
        super().__init__(name, **slots)
        self.source = source
        self.interactive = interactive

    # -- layout ---------------------------------------------------------------------------------
    def layout(self):
        i = self.ids
        graph = html.Div(dcc.Graph(id=i.graph, config=GRAPH_CONFIG, className="lv-graph",
                                   style={"height": f"{sf.MAIN_HEIGHT if self.interactive else 300}px"}),
                         className="lv-select-graph", **{"data-lv-gestures": i.gestures, "data-lv-react-order": "2",
                                                          "data-lv-interactive": "1" if self.interactive else "0"})
        note = html.Div(id=i.note, className="small text-muted lv-lines-note")
        store = dcc.Store(id=i.gestures, storage_type="memory")
        if not self.interactive:
            return html.Div([graph, note, store], className="lv-select-view lv-select-readonly")
        m = sf.MARGIN
        head = dbc.CardHeader(dbc.Row(className="g-2 align-items-center", children=[
            dbc.Col(html.Strong("Select"), width="auto"),
            dbc.Col(html.Span("threshold ℓ", className="lv-threshold-label"), width="auto"),
            dbc.Col(dcc.Slider(id=i.threshold_slider, min=-1, max=1, step=0.01, value=0.3, updatemode="mouseup",
                               marks=None, allow_direct_input=False,
                               tooltip={"placement": "bottom", "always_visible": False}),
                    className="lv-threshold-slider"),
            dbc.Col(dcc.Input(id=i.threshold_input, type="number", step=0.01, debounce=True,
                              className="form-control form-control-sm lv-num"), width="auto"),
            dbc.Col(html.Span(id=i.summary, className="lv-s1-summary small"), width="auto"),
            dbc.Col(dbc.Button("use the marked range", id=i.use_focus, size="sm", color="warning", outline=True,
                               n_clicks=0, style={"display": "none"}), width="auto"),
            dbc.Col(dbc.Button("clear selection", id=i.clear, size="sm", color="secondary", outline=True,
                               n_clicks=0), width="auto"),
            dbc.Col(export_buttons(i.graph, "select"), width="auto"),
        ]))
        body = dbc.CardBody(className="p-2", children=[
            html.Div("Drag across the words or the lines (or click a start and then an end word) to select a "
                     "range; drag the gray outer handles under the words outwards to require the cells to be off "
                     "before/after it. Drag the red dashed line to change ℓ. Hover a line to name its cell.",
                     className="lv-help small text-muted mb-1"),
            graph, note,
            html.Div(className="lv-brush", style={"marginLeft": f"{m['l']}px", "marginRight": f"{m['r']}px"},
                     children=dcc.RangeSlider(id=i.brush, min=0, max=40, step=1, value=[0, 0, 40, 40],
                                              updatemode="mouseup", marks=None, allow_direct_input=False,
                                              pushable=False, disabled=True, className="lv-brush-slider",
                                              tooltip={"placement": "bottom", "always_visible": False})),
            dcc.Graph(id=i.detail, config=GRAPH_CONFIG, className="lv-detail"),
            dbc.Row(className="g-2 align-items-center mt-1", children=[
                dbc.Col(html.Span("S1", className="fw-semibold"), width="auto"),
                dbc.Col([html.Div(id=i.chips, className="lv-chips"), dcc.Store(id=i.chips_data)],
                        className="lv-chips-col"),
                dbc.Col(dbc.Button("restore all", id=i.restore_all, size="sm", color="link", n_clicks=0,
                                   style={"display": "none"}), width="auto"),
                dbc.Col(dbc.InputGroup([
                    dbc.InputGroupText("hide on-runs shorter than"),
                    dcc.Input(id=i.min_run, type="number", min=1, step=1, value=1, debounce=True,
                              className="form-control lv-num"),
                ], size="sm"), width="auto"),
            ]),
            self.slot("extras", className="lv-select-extras"),
            store,
        ])
        return html.Div(dbc.Card([head, body], id=i.card, className="lv-select-view mt-2"),
                        **{"data-lv-gestures": i.gestures})

    # -- actions ----------------------------------------------------------------------------------
    def actions(self):
        if not self.interactive:
            return []
        i = self.ids
        clicked = lambda fn: lambda s, v, ctx: fn(s, ctx) if v else None  # noqa: E731
        return [
            Action(i.gestures, "data", self._gesture),
            Action(i.threshold_slider, "value", lambda s, v, ctx: act.set_threshold(s, v, typed=False)),
            Action(i.threshold_input, "value", lambda s, v, ctx: act.set_threshold(s, v)),
            Action(i.brush, "value", lambda s, v, ctx: act.pad_handles(s, v, handles(s)[0])),
            Action(i.clear, "n_clicks", clicked(lambda s, ctx: act.clear(s))),
            Action(i.restore_all, "n_clicks", clicked(lambda s, ctx: act.restore_all(s))),
            Action(i.use_focus, "n_clicks", clicked(lambda s, ctx: act.use_focus(s, ctx.catalog))),
            Action(i.min_run, "value", lambda s, v, ctx: s),  # local: redraws the plot under the words
        ]

    @staticmethod
    def _gesture(state, value, ctx):
        if not isinstance(value, dict):
            return None
        kind = value.get("kind")
        if kind == "brush":
            return act.brush(state, value.get("start"), value.get("stop"), ctx.catalog)
        if kind == "threshold":
            y = cd.float_json(value.get("y"))
            return None if y is cd.INVALID else act.set_threshold(state, threshold_step(y), typed=False)
        if kind == "exclude":
            return act.exclude_cell(state, value.get("cell"))
        if kind == "restore":
            return act.restore_cell(state, value.get("cell"))
        return None

    def register(self, app, registry) -> None:
        if self.interactive:   # the chips are drawn in the browser from their data
            app.clientside_callback(ClientsideFunction(namespace="lstmvis", function_name="chips"),
                                    Input(self.ids.chips_data, "data"), State(self.ids.chips, "id"),
                                    prevent_initial_call=True)

    # -- render -----------------------------------------------------------------------------------
    def outputs(self):
        i = self.ids
        out = [(i.graph, "figure"), (i.note, "children")]
        if self.interactive:
            out += [(i.detail, "figure"), (i.threshold_slider, "value"), (i.threshold_slider, "min"),
                    (i.threshold_slider, "max"), (i.threshold_slider, "step"), (i.threshold_input, "value"),
                    (i.brush, "value"), (i.brush, "min"), (i.brush, "max"), (i.brush, "disabled"),
                    (i.chips_data, "data"), (i.summary, "children"), (i.restore_all, "style"),
                    (i.use_focus, "style"), (i.use_focus, "children")]
        return out

    def render(self, ctx):
        src = self.source(ctx.state, ctx.catalog)
        if src is None:
            return {}
        i, s = self.ids, ctx.state
        mine = ctx.triggered_by(*self.ids)
        window_changed = ctx.changed(*WINDOW_FIELDS) or not self.interactive and ctx.changed("compare")
        if not (window_changed or ctx.changed(*HYPOTHESIS_FIELDS) or mine):
            return {}
        dataset, layer = src
        ds = ctx.dataset(dataset)
        s1 = ctx.s1(dataset, layer)
        cells = ctx.cells if self.interactive else s1
        window = ctx.window(dataset, layer)
        focus = s.focus if self.interactive else None
        transform = ctx.transform if self.interactive else ctx.layer_info(dataset, layer).transform
        if window_changed:
            title = "" if self.interactive else f"{dataset}:{layer}: same window and range"
            fig = sf.main_figure(ds.tokens(s.pos, s.pos + s.width), window, s.pos, cells, s.threshold, s.sel, s.pad,
                                 focus, transform, src, height=sf.MAIN_HEIGHT if self.interactive else 300,
                                 title=title)
        else:
            fig = sf.main_patch(Patch(), window, s.pos, cells, s.threshold, s.sel, s.pad, focus, src)
        out = {(i.graph, "figure"): fig}
        if window_changed:
            out[(i.note, "children")] = lines_note(window)
        if self.interactive:
            out.update(self._controls(ctx, s1, cells, window))
        return out

    def _controls(self, ctx, s1, cells, window) -> dict:
        i, s = self.ids, ctx.state
        min_run = cd.int_json(ctx.value(i.min_run, "value"))
        min_run = 1 if min_run is cd.INVALID or min_run < 1 else min(min_run, s.width)
        on = window.columns(cells) >= np.float32(s.threshold)
        out = {(i.detail, "figure"): sf.detail_figure(on, cells, s.pos, min_run, uirevision=f"{s.dataset}|{s.layer}")}
        if ctx.changed("threshold", "dataset", "layer", "transform") or ctx.triggered_by(i.threshold_input,
                                                                                           i.threshold_slider):
            lo, hi = threshold_bounds(ctx.layer_info(), s.transform)
            if hi - lo > 1e5:  # a layer whose range is not known: the slider spans the window's values
                finite = window.values[np.isfinite(window.values)]
                lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
            if ctx.changed("dataset", "layer", "transform", "pos", "width"):   # the slider's span
                out[(i.threshold_slider, "min")], out[(i.threshold_slider, "max")] = lo, hi
                out[(i.threshold_slider, "step")] = 0.01 if hi - lo <= 20 else float(f"{(hi - lo) / 1000:.1g}")
            out[(i.threshold_slider, "value")] = min(max(s.threshold, lo), hi)
            out[(i.threshold_input, "value")] = s.threshold
        if ctx.changed("sel", "pad", "pos", "width", "dataset") or ctx.triggered_by(i.brush):
            now = dict(zip(("value", "min", "max", "disabled"), handles(s)))
            was = {} if ctx.first or ctx.triggered_by(i.brush) else dict(zip(now, handles(ctx.before)))
            out.update({(i.brush, k): v for k, v in now.items() if was.get(k) != v})  # only what moved
        excluded = set(s.exclude)
        out[(i.chips_data, "data")] = chips(s1, excluded, bool(s.sel))
        out[(i.summary, "children")] = summary(s, s1, cells, window)
        if excluded or ctx.first or ctx.before.exclude:   # with nothing excluded before or now it stays hidden
            out[(i.restore_all, "style")] = {"display": "inline-block"} if excluded & set(s1.tolist()) else {"display": "none"}
        if ctx.changed("focus"):
            out[(i.use_focus, "style")] = {"display": "inline-block" if s.focus else "none"}
            if s.focus:
                out[(i.use_focus, "children")] = f"use {s.focus[0]}:{s.focus[1]} as the hypothesis"
        return out
