"""Pure builders of the comparison view (G3): token-sequence check, the chooser's options, side-by-side
match lists. Data in, Dash components out; no callbacks, no app state. (The second plot is a second
SelectView instance.)
"""
from __future__ import annotations

import numpy as np
from dash import html

MAX_WORDS = 12          # words of a match shown in a compact row
CONTEXT = 12            # characters / tokens of context shown around a token difference


# -- which sequences can be compared ------------------------------------------------------------
def canonical_ids(vocab) -> tuple[np.ndarray, dict]:
    """(map id -> first id with the same string, string -> that id): a vocabulary may repeat a string."""
    first: dict = {}
    canon = np.empty(len(vocab), dtype=np.int64)
    for i, tok in enumerate(np.asarray(vocab).tolist()):
        canon[i] = first.setdefault(str(tok), i)
    return canon, first


def token_difference(ids_a, vocab_a, ids_b, vocab_b, block: int = 1 << 22):
    """None when the two token sequences are the same strings position by position; else
    {"pos": first position where they differ, "a": token of A there or None, "b": ..., "len_a", "len_b"}.

    Compares whole sequences (by string, not by id: the vocabularies may number tokens differently),
    block by block so memory stays bounded.
    """
    ids_a, ids_b = np.asarray(ids_a), np.asarray(ids_b)
    canon_a, index_a = canonical_ids(vocab_a)
    # b's vocabulary in a's canonical ids; strings a does not have get ids no token of a has
    vb = np.asarray(vocab_b).tolist()
    map_b = np.array([index_a.get(str(t), -1 - i) for i, t in enumerate(vb)], dtype=np.int64)
    n = min(len(ids_a), len(ids_b))
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        diff = canon_a[ids_a[lo:hi]] != map_b[ids_b[lo:hi]]
        if diff.any():
            pos = lo + int(np.argmax(diff))
            return {"pos": pos, "a": str(vocab_a[ids_a[pos]]), "b": str(vb[ids_b[pos]]),
                    "len_a": int(len(ids_a)), "len_b": int(len(ids_b))}
    if len(ids_a) != len(ids_b):
        return {"pos": n, "a": str(vocab_a[ids_a[n]]) if n < len(ids_a) else None,
                "b": str(vb[ids_b[n]]) if n < len(ids_b) else None,
                "len_a": int(len(ids_a)), "len_b": int(len(ids_b))}
    return None


def difference_message(name_a: str, name_b: str, diff: dict, context_a: str = "", context_b: str = "") -> str:
    """One sentence saying that and where the two token sequences differ."""
    def tok(t):
        return "(end of data)" if t is None else repr(t)
    text = (f"{name_a} and {name_b} are not the same token sequence, so their positions cannot be compared: "
            f"they first differ at position {diff['pos']:,} ({tok(diff['a'])} vs {tok(diff['b'])})")
    if diff["len_a"] != diff["len_b"]:
        text += f"; lengths {diff['len_a']:,} vs {diff['len_b']:,} tokens"
    text += "."
    if context_a or context_b:
        text += f" Around it: {context_a!r} vs {context_b!r}."
    return text


# -- the compare-with chooser ---------------------------------------------------------------------
def compare_options(dataset: str, layer: str, catalog) -> list[dict]:
    """Other layers of this dataset (value: the layer id), then every layer of the other available
    datasets (value: "dataset:layer"); unavailable datasets are listed disabled."""
    opts = []
    info = catalog.info(dataset)
    if info is not None:
        for name, li in info.layers.items():
            if name != layer:
                opts.append({"label": f"{name} · D={li.D}", "value": name})
    for other in catalog.names:
        if other == dataset:
            continue
        oi = catalog.info(other)
        if oi is None:
            opts.append({"label": f"{other} (unavailable)", "value": f"{other}:", "disabled": True})
            continue
        for name, li in oi.layers.items():
            opts.append({"label": f"{other} : {name} · D={li.D}", "value": f"{other}:{name}"})
    return opts


# -- side by side -------------------------------------------------------------------------------------
def s1_list(cells, element_id: str, label: str) -> html.Div:
    """The S1 of one side as text, its cell ids also in data-cells (comma separated)."""
    cells = [int(c) for c in cells]
    shown = ", ".join(map(str, cells)) if cells else "empty"
    return html.Div([html.Span(f"{label}: |S1| = {len(cells)}", className="fw-semibold me-2"),
                     html.Span(shown, className="lv-compare-cells")],
                    id=element_id, className="small mb-1", **{"data-cells": ",".join(map(str, cells))})


def match_words(tokens, max_words: int = MAX_WORDS, sep: str = " ") -> str:
    toks = [str(t).replace("\n", "⏎").replace("\t", "→") for t in tokens]
    if len(toks) > max_words:
        toks = toks[: max_words - 1] + ["…"]
    return sep.join(toks)


def match_table(rows, texts, n_cells: int, dataset: str, shared=frozenset()):
    """Compact ranked rows: rank, range, words, overlap/|S1|. `rows` is a list of (start, stop, overlap);
    a range in `shared` (also in the other side's list) is marked. A click shows the range (the
    navigation channel: data-lv-nav-*, assets/lstmvis.js)."""
    if not rows:
        return html.Div("no matches", className="small text-muted")
    body = []
    for i, ((a, b, overlap), text) in enumerate(zip(rows, texts)):
        both = (a, b) in shared
        body.append(html.Tr([
            html.Td(str(i + 1), className="text-muted"),
            html.Td(f"{a}:{b}", className="text-nowrap"),
            html.Td(text, className="lv-compare-words"),
            html.Td(f"{overlap}/{n_cells}", className="text-nowrap"),
            html.Td("★" if both else "", title="also in the other list" if both else ""),
        ], className="lv-compare-row" + (" lv-compare-shared" if both else ""),
            title="click to show this range above",
            **{"data-lv-nav-start": a, "data-lv-nav-stop": b, "data-lv-nav-dataset": dataset}))
    return html.Table([
        html.Thead(html.Tr([html.Th("#"), html.Th("range"), html.Th("words"), html.Th("overlap"),
                            html.Th("", title="★: the same range is in the other list")])),
        html.Tbody(body),
    ], className="table table-sm table-hover lv-compare-table mb-0", style={"fontSize": "12px"})
