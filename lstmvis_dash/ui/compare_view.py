"""Model comparison (G3): a second layer, of this dataset or of another dataset over the same token
sequence, beside the first.

The "compare with" chooser writes the view state key `compare` (a layer id of this dataset, or
"dataset:layer"), so the URL carries it. With a second layer chosen:
- a second SelectView instance ("compare", read-only) shows that layer for the same window and
  brushed range, with its own S1 (lv.select on the second layer, same range, threshold, paddings);
- both S1 lists and the top matches of each side by side; a range in both lists is starred; a click
  on a row shows that range (the navigation channel);
- for another dataset, the two token sequences are compared over their whole length first (cached
  per pair); if they differ, the view says where and shows no plot: positions would not mean the
  same text there.
The first side is the hypothesis as the match view uses it (minus excluded cells); exclusions do not
apply to the second layer. Without a second layer the card computes nothing.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from . import actions as act
from . import compare_figures as cf
from . import data
from .component import Action, Component
from .lru import LRUCache
from .select_view import SelectView, compare_source
from .state import split_compare

TOP = 15
_compat = LRUCache(64)
FIELDS = ("compare", "dataset", "layer", "transform", "sel", "pad", "threshold", "exclude")


def compatibility(ds_a, ds_b):
    """None when ds_b has the same token sequence as ds_a, else the difference (cached per pair)."""
    if ds_a is ds_b:
        return None
    key = (ds_a.name, id(ds_a), data.version(ds_a, ds_a.layers[0]), ds_b.name, id(ds_b),
           data.version(ds_b, ds_b.layers[0]))
    return _compat.get(key, lambda: cf.token_difference(ds_a.token_ids, ds_a.vocab, ds_b.token_ids, ds_b.vocab))


def _context(ds, pos: int) -> str:
    lo, hi = max(0, pos - 6), min(len(ds), pos + 6)
    toks = ds.tokens(lo, hi) if lo < hi else []
    return ("" if all(len(t) <= 1 for t in toks) else " ").join(toks)


def _rows(ds, m):
    tab = m.table
    rows = [(int(a), int(b), int(o)) for a, b, o in zip(tab["start"], tab["stop"], tab["overlap"])]
    sep = "" if all(len(str(v)) <= 1 for v in ds.vocab.tolist()[:2000]) else " "
    texts = [cf.match_words(ds.tokens(a, min(b, a + cf.MAX_WORDS)), sep=sep) + ("…" if b - a > cf.MAX_WORDS else "")
             for a, b, _ in rows]
    return rows, texts


class CompareView(Component):
    KIND = "compare"
    PARTS = ("card", "chooser", "status", "compat", "body", "matches", "s1-a", "s1-b")

    def __init__(self, name: str = "main", **slots):
        slots.setdefault("plot", [SelectView(name if name != "main" else "compare", source=compare_source,
                                             interactive=False)])
        super().__init__(name, **slots)

    def layout(self):
        i = self.ids
        return dbc.Card(id=i.card, className="lv-compare-view mt-2", children=[
            dbc.CardHeader(dbc.Row(className="g-2 align-items-center", children=[
                dbc.Col(html.Strong("Compare"), width="auto"),
                dbc.Col(html.Span("with", className="small"), width="auto"),
                dbc.Col(dcc.Dropdown(id=i.chooser, options=[], value=None, clearable=True,
                                     placeholder="another layer or dataset…", style={"width": "320px"}), width="auto"),
                dbc.Col(html.Span(id=i.status, className="small text-muted"), width="auto"),
            ])),
            dbc.CardBody(className="p-2", children=[
                html.Div(id=i.compat, role="status"),
                html.Div(id=i.body, style={"display": "none"}, children=[
                    self.slot("plot"), html.Div(id=i.matches)]),
            ]),
        ])

    def actions(self):
        return [Action(self.ids.chooser, "value", lambda s, v, ctx: act.set_compare(s, v))]

    def outputs(self):
        i = self.ids
        return [(i.chooser, "options"), (i.chooser, "value"), (i.status, "children"), (i.compat, "children"),
                (i.body, "style"), (i.matches, "children")]

    def render(self, ctx):
        i, s = self.ids, ctx.state
        out = {}
        if ctx.changed("dataset", "layer"):
            out[(i.chooser, "options")] = cf.compare_options(s.dataset, s.layer, ctx.catalog)
        if ctx.changed("compare") or ctx.triggered_by(i.chooser):
            out[(i.chooser, "value")] = s.compare
        if not ctx.changed(*FIELDS):
            return out
        hidden = {"display": "none"}
        if not s.compare:
            if not (ctx.changed("compare") or ctx.changed("dataset")):
                return out      # closed, and it was closed: nothing on the page changes
            return {**out, (i.status, "children"): "choose a second layer (or a dataset over the same text) to see "
                                                   "it beside this one", (i.compat, "children"): "",
                    (i.body, "style"): hidden, (i.matches, "children"): []}
        name_b, layer_b = split_compare(s.compare, s.dataset, ctx.catalog)
        ds_a, ds_b = ctx.ds, ctx.dataset(name_b)
        label_a, label_b = f"{ds_a.name}:{s.layer}", f"{ds_b.name}:{layer_b}"
        diff = compatibility(ds_a, ds_b)
        if diff is not None:
            msg = cf.difference_message(ds_a.name, ds_b.name, diff, _context(ds_a, diff["pos"]),
                                        _context(ds_b, diff["pos"]))
            return {**out, (i.status, "children"): f"{label_b}: not comparable",
                    (i.compat, "children"): dbc.Alert(msg, color="danger", className="py-2 mb-1 lv-compare-incompatible"),
                    (i.body, "style"): hidden, (i.matches, "children"): []}
        notes = []
        if ds_b is not ds_a:
            notes.append(f"{ds_b.name} has the same {len(ds_a):,} tokens as {ds_a.name}")
        t_a, t_b = ctx.transform, ctx.layer_info(name_b, layer_b).transform
        if t_a != t_b:
            notes.append(f"note: {s.layer} is shown with {t_a} and {layer_b} with {t_b}; the same ℓ = "
                         f"{s.threshold:g} applies to both")
        out.update({(i.status, "children"): f"{label_a} (above) vs {label_b}", (i.body, "style"): {"display": "block"},
                    (i.compat, "children"): html.Div("; ".join(notes), className="small text-muted mb-1") if notes else "",
                    (i.matches, "children"): self._side_by_side(ctx, name_b, layer_b, label_a, label_b)})
        return out

    def _side_by_side(self, ctx, name_b, layer_b, label_a, label_b):
        s = ctx.state
        if not s.sel:
            return [html.Div("Brush a range in the select view: both layers' S1 and matches appear here.",
                             className="small text-muted")]
        cells_a, cells_b = ctx.cells, ctx.s1(name_b, layer_b)
        m_a = ctx.matches(top=TOP) if len(cells_a) else None
        m_b = ctx.matches(name_b, layer_b, cells_b, top=TOP) if len(cells_b) else None
        rows_a, texts_a = _rows(ctx.ds, m_a) if m_a is not None else ([], [])
        rows_b, texts_b = _rows(ctx.dataset(name_b), m_b) if m_b is not None else ([], [])
        shared = {(a, b) for a, b, _ in rows_a} & {(a, b) for a, b, _ in rows_b}

        def column(label, cells, rows, texts, element_id):
            return dbc.Col([cf.s1_list(cells, element_id, label),
                            html.Div(f"top {len(rows)} matches of its own S1", className="small text-muted"),
                            cf.match_table(rows, texts, len(cells), s.dataset, shared=shared)],
                           md=6, className="lv-compare-col")
        a, b = s.sel
        head = html.Div(f"range {a}:{b} at ℓ = {s.threshold:g}: {len(shared)} of the top matches are the same range "
                        f"in both (★)", className="small mb-1")
        return [head, dbc.Row([column(label_a, cells_a, rows_a, texts_a, self.ids.s1_a),
                               column(label_b, cells_b, rows_b, texts_b, self.ids.s1_b)], className="g-3")]
