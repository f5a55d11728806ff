"""Header: dataset, layer and transform choice, position and navigation, zoom, the phrase search.

Slot "links": components shown at the right of the title row (e.g. preset links to a dataset's
findings); they render from the RenderContext like every view (`ctx.changed("dataset")`).
A search hit is a button carrying data-lv-nav-start/stop: assets/lstmvis.js sends its range down
the navigation channel (ids.NAVIGATE), like a match row.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from . import actions as act
from .component import Action, Component
from .registry import find_phrase

SEARCH_LIMIT = 50
CONTEXT = 5


def dataset_options(catalog) -> list[dict]:
    opts = []
    for n in catalog.names:
        info = catalog.info(n)
        if info is None:
            opts.append({"label": f"{n} (unavailable)", "value": n, "disabled": True,
                         "title": catalog.errors.get(n) or ""})
        else:
            opts.append({"label": f"{n} · T={info.T:,}", "value": n})
    return opts


def phrase_ids(query: str, vocab_index: dict):
    """The query as a list of allowed-id lists, or (None, message). Tokens are taken literally.

    Tokens are separated by spaces; a query without spaces that is not a token itself is read as a
    sequence of one-character tokens when each character is one (character-level models).
    """
    words = query.split()
    if not words:
        return None, "type one or more tokens separated by spaces"
    missing = [w for w in words if w not in vocab_index]
    if missing and len(words) == 1 and len(words[0]) > 1 and all(ch in vocab_index for ch in words[0]):
        words, missing = list(words[0]), []
    if missing:
        return None, "not in the vocabulary: " + ", ".join(repr(w) for w in missing[:5])
    return [vocab_index[w] for w in words], None


def search_results(ds, vocab_index: dict, query, limit: int = SEARCH_LIMIT):
    """The occurrences of `query` with context; each is a button that shows it (navigation channel)."""
    query = (query if isinstance(query, str) else "").strip()[:500]
    phrase, message = phrase_ids(query, vocab_index)
    if phrase is None:
        return html.Div(message, className="text-muted small py-1")
    starts, total = find_phrase(ds.token_ids, phrase, limit)
    n = len(phrase)
    if total == 0:
        return html.Div(f"no occurrence of “{query}”", className="text-muted small py-1")
    items = []
    for t in starts.tolist():
        lo, hi = max(0, t - CONTEXT), min(len(ds), t + n + CONTEXT)
        toks = ds.tokens(lo, hi)
        before, hit, after = toks[: t - lo], toks[t - lo: t - lo + n], toks[t - lo + n:]
        items.append(html.Button(
            [html.Span(str(t), className="lv-hit-pos"), " ", " ".join(before) + " ",
             html.Mark(" ".join(hit)), " " + " ".join(after)],
            className="lv-hit list-group-item list-group-item-action", title=f"show {t}:{t + n}",
            **{"data-lv-nav-start": t, "data-lv-nav-stop": t + n, "data-lv-nav-dataset": ds.name}))
    head = f"{total} occurrence{'s' if total != 1 else ''} of “{query}”"
    if total > limit:
        head += f" (first {limit} shown)"
    return html.Div([html.Div(head, className="small text-muted py-1"),
                     html.Div(items, className="list-group list-group-flush lv-hit-list")])


class Header(Component):
    KIND = "header"
    PARTS = ("dataset", "layer", "transform", "info", "pos", "page-back", "step-back", "step-fwd", "page-fwd",
             "width", "zoom-in", "zoom-out", "search-input", "search-button", "search-results")

    def layout(self):
        i = self.ids
        nav_btn = {"color": "secondary", "outline": True, "size": "sm"}
        return html.Header(className="lv-header border-bottom bg-light px-3 py-2", children=[
            dbc.Row(className="g-2 align-items-center", children=[
                dbc.Col(html.H1("LSTMVis-Dash", className="lv-title h5 mb-0"), width="auto"),
                dbc.Col(dcc.Dropdown(id=i.dataset, clearable=False, searchable=False, placeholder="dataset",
                                     className="lv-dropdown"), width=3, lg=2),
                dbc.Col(dcc.Dropdown(id=i.layer, clearable=False, searchable=False, placeholder="layer",
                                     className="lv-dropdown"), width=3, lg=2),
                dbc.Col(html.Div(dcc.Dropdown(id=i.transform, clearable=False, searchable=False,
                                              placeholder="transform", className="lv-dropdown lv-transform"),
                                 title="the transform the layer's values are viewed (and thresholded) through"),
                        width="auto"),
                dbc.Col(html.Small(id=i.info, className="text-muted lv-info"), className="text-truncate"),
                dbc.Col(self.slot("links", className="lv-links"), width="auto"),
            ]),
            dbc.Row(className="g-2 align-items-center mt-1", children=[
                dbc.Col(dbc.ButtonGroup([
                    dbc.Button("«", id=i.page_back, title="back one page", **nav_btn),
                    dbc.Button("‹", id=i.step_back, title="back one step", **nav_btn),
                ]), width="auto"),
                dbc.Col(dbc.InputGroup([
                    dbc.InputGroupText("pos"),
                    dcc.Input(id=i.pos, type="number", step=1, debounce=True, className="form-control lv-num"),
                ], size="sm"), width="auto"),
                dbc.Col(dbc.ButtonGroup([
                    dbc.Button("›", id=i.step_fwd, title="forward one step", **nav_btn),
                    dbc.Button("»", id=i.page_fwd, title="forward one page", **nav_btn),
                ]), width="auto"),
                dbc.Col(dbc.InputGroup([
                    dbc.InputGroupText("width"),
                    dcc.Input(id=i.width, type="number", step=1, debounce=True, className="form-control lv-num"),
                    dbc.Button("−", id=i.zoom_out, title="zoom out (wider window)", color="secondary", outline=True),
                    dbc.Button("+", id=i.zoom_in, title="zoom in (narrower window)", color="secondary", outline=True),
                ], size="sm"), width="auto"),
                dbc.Col(dbc.InputGroup([
                    dcc.Input(id=i.search_input, type="text", placeholder="find a phrase, e.g. ( 4 4",
                              debounce=False, className="form-control", n_submit=0),
                    dbc.Button("Search", id=i.search_button, color="primary", n_clicks=0),
                ], size="sm"), className="lv-search"),
            ]),
            html.Div(id=i.search_results, className="lv-search-results"),
        ])

    def actions(self):
        i = self.ids
        page = lambda k: lambda s, v, ctx: act.step(s, k(s), ctx.catalog) if v else None  # noqa: E731
        zoom = lambda f: lambda s, v, ctx: act.zoom(s, f, ctx.catalog) if v else None  # noqa: E731
        search = lambda s, v, ctx: s if v else None  # noqa: E731 - the state stays; the results are drawn
        return [
            Action(i.dataset, "value", lambda s, v, ctx: act.set_dataset(s, v, ctx.catalog)),
            Action(i.layer, "value", lambda s, v, ctx: act.set_layer(s, v, ctx.catalog)),
            Action(i.transform, "value", lambda s, v, ctx: act.set_transform(s, v)),
            Action(i.pos, "value", lambda s, v, ctx: act.set_pos(s, v, ctx.catalog)),
            Action(i.width, "value", lambda s, v, ctx: act.set_width(s, v, ctx.catalog)),
            Action(i.page_back, "n_clicks", page(lambda s: -s.width)),
            Action(i.step_back, "n_clicks", page(lambda s: -1)),
            Action(i.step_fwd, "n_clicks", page(lambda s: 1)),
            Action(i.page_fwd, "n_clicks", page(lambda s: s.width)),
            Action(i.zoom_in, "n_clicks", zoom(1 / act.ZOOM)),
            Action(i.zoom_out, "n_clicks", zoom(act.ZOOM)),
            Action(i.search_button, "n_clicks", search),
            Action(i.search_input, "n_submit", search),
        ]

    def outputs(self):
        i = self.ids
        return [(i.dataset, "options"), (i.dataset, "value"), (i.layer, "options"), (i.layer, "value"),
                (i.transform, "options"), (i.transform, "value"), (i.transform, "disabled"), (i.info, "children"),
                (i.pos, "value"), (i.width, "value"), (i.search_results, "children")]

    def states(self):
        return [(self.ids.search_input, "value")]

    def render(self, ctx):
        i, s, catalog = self.ids, ctx.state, ctx.catalog
        out = {}
        if ctx.first:
            out[(i.dataset, "options")] = dataset_options(catalog)
        if ctx.changed("dataset") or ctx.triggered_by(i.dataset):
            out[(i.dataset, "value")] = s.dataset
            out[(i.search_results, "children")] = None
        info = catalog.info(s.dataset) if s.dataset else None
        if info is None:
            out[(i.info, "children")] = catalog.errors.get(s.dataset) or "no dataset available"
            return out
        if ctx.changed("dataset"):
            out[(i.layer, "options")] = [{"label": f"{n} · D={li.D}", "value": n} for n, li in info.layers.items()]
        if ctx.changed("dataset", "layer") or ctx.triggered_by(i.layer):
            out[(i.layer, "value")] = s.layer
        layer = info.layers.get(s.layer)
        if layer is not None and (ctx.changed("dataset", "layer", "transform") or ctx.triggered_by(i.transform)):
            offers = layer.offers()
            out[(i.transform, "options")] = [{"label": t + (" (layer's own)" if t == layer.transform else ""),
                                              "value": t} for t in offers]
            out[(i.transform, "value")] = s.transform or layer.transform
            out[(i.transform, "disabled")] = len(offers) < 2
            desc = ""
            try:
                desc = ctx.ds.description or ""
            except ValueError:
                pass
            out[(i.info, "children")] = (f"T = {info.T:,} tokens · D = {layer.D:,} cells · "
                                         f"{s.transform or layer.transform}" + (f" · {desc}" if desc else ""))
        if ctx.changed("pos") or ctx.triggered_by(i.pos):
            out[(i.pos, "value")] = s.pos
        if ctx.changed("width") or ctx.triggered_by(i.width):
            out[(i.width, "value")] = s.width
        if ctx.triggered_by(i.search_button, i.search_input):
            out[(i.search_results, "children")] = search_results(ctx.ds, ctx.registry.vocab_index(s.dataset),
                                                                 ctx.value(i.search_input, "value"))
        return out
