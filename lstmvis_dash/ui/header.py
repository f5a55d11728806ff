"""Header: dataset and layer choice, position and navigation, zoom, and the phrase search.

The header's controls are written and read by `state_sync` (one callback keeps controls, view state
and URL in step); this module owns their layout and the phrase search.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from . import ids
from .registry import find_phrase

SEARCH_LIMIT = 50
CONTEXT = 5


def layout():
    nav_btn = {"color": "secondary", "outline": True, "size": "sm"}
    return html.Header(className="lv-header border-bottom bg-light px-3 py-2", children=[
        dbc.Row(className="g-2 align-items-center", children=[
            dbc.Col(html.H1("LSTMVis-Dash", className="lv-title h5 mb-0"), width="auto"),
            dbc.Col(dcc.Dropdown(id=ids.DATASET, clearable=False, searchable=False, placeholder="dataset",
                                 className="lv-dropdown"), width=3, lg=2),
            dbc.Col(dcc.Dropdown(id=ids.LAYER, clearable=False, searchable=False, placeholder="layer",
                                 className="lv-dropdown"), width=3, lg=3),
            dbc.Col(html.Small(id=ids.DATASET_INFO, className="text-muted lv-info"), className="text-truncate"),
        ]),
        dbc.Row(className="g-2 align-items-center mt-1", children=[
            dbc.Col(dbc.ButtonGroup([
                dbc.Button("«", id=ids.PAGE_BACK, title="back one page", **nav_btn),
                dbc.Button("‹", id=ids.STEP_BACK, title="back one step", **nav_btn),
            ]), width="auto"),
            dbc.Col(dbc.InputGroup([
                dbc.InputGroupText("pos"),
                dcc.Input(id=ids.POS, type="number", step=1, debounce=True, className="form-control lv-num"),
            ], size="sm"), width="auto"),
            dbc.Col(dbc.ButtonGroup([
                dbc.Button("›", id=ids.STEP_FWD, title="forward one step", **nav_btn),
                dbc.Button("»", id=ids.PAGE_FWD, title="forward one page", **nav_btn),
            ]), width="auto"),
            dbc.Col(dbc.InputGroup([
                dbc.InputGroupText("width"),
                dcc.Input(id=ids.WIDTH, type="number", step=1, debounce=True, className="form-control lv-num"),
                dbc.Button("−", id=ids.ZOOM_OUT, title="zoom out (wider window)", color="secondary", outline=True),
                dbc.Button("+", id=ids.ZOOM_IN, title="zoom in (narrower window)", color="secondary", outline=True),
            ], size="sm"), width="auto"),
            dbc.Col(dbc.InputGroup([
                dcc.Input(id=ids.SEARCH_INPUT, type="text", placeholder="find a phrase, e.g. ( 4 4",
                          debounce=False, className="form-control", n_submit=0),
                dbc.Button("Search", id=ids.SEARCH_BUTTON, color="primary", n_clicks=0),
            ], size="sm"), className="lv-search"),
        ]),
        html.Div(id=ids.SEARCH_RESULTS, className="lv-search-results"),
    ])


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


def search_results(ds, vocab_index: dict, query: str, limit: int = SEARCH_LIMIT):
    """Components listing the occurrences of `query` with context; each is a button moving there."""
    query = (query or "").strip()[:500]
    phrase, message = phrase_ids(query, vocab_index)
    if phrase is None:
        return html.Div(message, className="text-muted small py-1")
    starts, total = find_phrase(ds.token_ids, phrase, limit)
    n = len(phrase)
    if total == 0:
        return html.Div(f"no occurrence of “{query}”", className="text-muted small py-1")
    T = len(ds)
    items = []
    for t in starts.tolist():
        lo, hi = max(0, t - CONTEXT), min(T, t + n + CONTEXT)
        toks = ds.tokens(lo, hi)
        before, hit, after = toks[: t - lo], toks[t - lo: t - lo + n], toks[t - lo + n:]
        items.append(html.Button(
            [html.Span(str(t), className="lv-hit-pos"), " ", " ".join(before) + " ",
             html.Mark(" ".join(hit)), " " + " ".join(after)],
            id={"type": ids.SEARCH_HIT, "pos": t}, className="lv-hit list-group-item list-group-item-action",
            n_clicks=0, title=f"go to {t}"))
    head = f"{total} occurrence{'s' if total != 1 else ''} of “{query}”"
    if total > limit:
        head += f" (first {limit} shown)"
    return html.Div([html.Div(head, className="small text-muted py-1"),
                     html.Div(items, className="list-group list-group-flush lv-hit-list")])


def register_callbacks(app, registry):
    @app.callback(
        Output(ids.SEARCH_RESULTS, "children"),
        Input(ids.SEARCH_BUTTON, "n_clicks"), Input(ids.SEARCH_INPUT, "n_submit"),
        State(ids.SEARCH_INPUT, "value"), State(ids.VIEW_STATE, "data"),
        prevent_initial_call=True,
    )
    def _search(_clicks, _submits, query, state):
        if not isinstance(state, dict) or not state.get("dataset"):
            return no_update
        try:
            ds = registry.get(state["dataset"])
            return search_results(ds, registry.vocab_index(state["dataset"]), query)
        except Exception as e:  # noqa: BLE001 - a broken dataset is reported, never a traceback
            return html.Div(str(e), className="text-danger small py-1")

    # hide the result list when the user picks another dataset
    @app.callback(Output(ids.SEARCH_RESULTS, "children", allow_duplicate=True),
                  Input(ids.DATASET, "value"), prevent_initial_call=True)
    def _clear(_name):
        return None

