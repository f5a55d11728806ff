"""The paper's findings on real corpora (section 6.2, Figures 6 and 7; section 6.3, Figure 8), each
beside its baseline, measured on the bundled `chorales` and `english` datasets (issue 12).

    python bench/bench_findings.py [--chorales data/chorales] [--english data/english] [--only chorales]

Every finding is tried over a grid (layer x threshold x selection shape), the configuration is
chosen on the selections of the even-numbered documents ("tune") and the number reported is the
one on the selections of the odd-numbered documents ("eval"), so the choice does not flatter it
(as bench/bench_python_source.py does). A configuration must give a non-empty S1 for at least
three quarters of its tune selections.

chorales (Fig. 8):
(a) Cadences. The last L chords of a phrase (ending at a chord under a fermata) selected with R
    chords of off-padding on the right, matched with the same padding (top 50). Measured: the
    share of the matches whose last chord is a phrase end, beside the share of phrase-end chords
    among all chords (what matches at random would get).
(b) Single cells. Each cell's on-runs (at least 3 chords long, inside a chorale). A run "resolves"
    when the cell turns off at a phrase end: the chord after the run is the phrase's last chord.
    The cell with the best F1 on the tune chorales is reported on the eval chorales: the share of
    its runs that resolve (beside the phrase-end share, the chance that a run stops before a phrase
    end at random) and the share of phrase ends it resolves at (beside its runs per chord, what its
    runs would reach placed at random).

english (Fig. 6, Fig. 7):
(c) Noun phrases, closed on the right: whole multi-word NP chunks selected with R words of
    off-padding on the right (R >= 1), matched with it. Measured: the share of matched words (every
    position of every top-50 match) inside noun phrases, beside the share of NP words overall.
(d) Verb-phrase prefixes, open on the right: the first two words of VP chunks of two words or more,
    no padding on the right. The share of matched words inside verb phrases, beside the VP share.
(e) PCA of the S1 patterns of all multi-word chunks (analysis.range_patterns on the chunk spans of
    `chunk_iob`, analysis.project to 2D). A logistic regression (bench_python_source.classify) on the
    2D coordinates of the tune-half NP and VP chunks, its accuracy on the eval half beside the
    majority class of that half; layer and threshold chosen on a validation part of the tune half.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import lstmvis_dash as lv  # noqa: E402
from lstmvis_dash import analysis  # noqa: E402
from lstmvis_dash.ui.match_figures import matched_positions  # noqa: E402
from bench_python_source import classify  # noqa: E402

THRESHOLDS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
MIN_RUN = 3             # chords a cell stays on for a "progression" (b)


def document_of(ds) -> np.ndarray:
    """Document number of every position."""
    docs = np.asarray(ds.documents, np.int64)
    return np.searchsorted(docs, np.arange(len(ds)), side="right") - 1


def category(ds, name: str, value) -> np.ndarray:
    """bool (T,): the categorical annotation `name` equals `value`."""
    labels = ds.annotation_labels(name)
    hits = [k for k, lab in enumerate(labels) if lab == value and type(lab) is type(value)]
    return np.isin(ds.annotation_codes(name), hits)


def spread(items: list, n: int) -> list:
    """At most n items evenly spread over the list (deterministic)."""
    if len(items) <= n:
        return list(items)
    return [items[i] for i in np.unique(np.linspace(0, len(items) - 1, n).round().astype(int))]


def halves(selections: list[tuple[int, int]], doc: np.ndarray, n: int):
    """(tune, eval) selections: from even- and odd-numbered documents, n each at most."""
    tune = [s for s in selections if doc[s[0]] % 2 == 0]
    ev = [s for s in selections if doc[s[0]] % 2 == 1]
    return spread(tune, n), spread(ev, n)


def choose_and_report(rows: list[dict], what: str, baseline: float, fmt=lambda r: "") -> dict:
    """The row with the best tune share (non-empty S1 for >= 3/4 of its tune selections); its
    `example` is the eval selection whose own share is nearest the pooled eval share (a typical
    one, for the preset link)."""
    ok = [r for r in rows if r["tune_empty"] <= r["tune_n"] // 4 and not np.isnan(r["tune"])] \
        or [r for r in rows if not np.isnan(r["tune"])]
    best = max(ok, key=lambda r: (r["tune"], r["tune_count"]))
    if best["per_selection"]:
        a, b, _, _ = min(best["per_selection"], key=lambda x: (abs(x[2] / x[3] - best["eval"]), x[0]))
        best["example"] = (a, b)
    print(f"    chosen on the tune half: {fmt(best)}: {what} {best['eval']:.1%} on the eval half "
          f"({best['eval_n']} selections, S1 empty for {best['eval_empty']}), tune {best['tune']:.1%}; "
          f"baseline {baseline:.1%}")
    best["baseline"] = baseline
    return best


def match_grid(ds, selections, doc, hit_fn, shapes, n_per_half: int, label: str) -> list[dict]:
    """Every layer x threshold x shape: the pooled hit share of the top-50 matches per half.

    `selections(shape)` -> list of (start, stop); shape = (pad_left, pad_right, extra); `hit_fn(table)`
    -> (hits, count) of one match table.
    """
    rows = []
    print(f"    {'layer':8s} {'thr':>4s} {'shape':>10s} {'tune':>7s} {'eval':>7s} {'|S1| med':>8s} {'empty':>9s}")
    for shape in shapes:
        pl, pr = shape[0], shape[1]
        tune, ev = halves(selections(shape), doc, n_per_half)
        for layer in ds.layers:
            for thr in THRESHOLDS:
                res = {}
                sizes = []
                per_selection = []          # (start, stop, hits, count) of the eval selections
                for half, sels in (("tune", tune), ("eval", ev)):
                    hits = count = empty = 0
                    for a, b in sels:
                        s1 = lv.select(ds, layer, a, b, thr, pad_left=pl, pad_right=pr)
                        sizes.append(len(s1))
                        if len(s1) == 0:
                            empty += 1
                            continue
                        m = lv.match(ds, layer, s1, thr, pad_left=pl, pad_right=pr, min_length=1)
                        h, c = hit_fn(m.table)
                        hits += h
                        count += c
                        if half == "eval":
                            per_selection.append((a, b, h, c))
                    res[half] = (hits / count if count else float("nan"), count, empty, len(sels))
                row = dict(layer=layer, threshold=thr, shape=shape, tune=res["tune"][0],
                           tune_count=res["tune"][1], tune_empty=res["tune"][2], tune_n=res["tune"][3],
                           eval=res["eval"][0], eval_count=res["eval"][1], eval_empty=res["eval"][2],
                           eval_n=res["eval"][3], s1=float(np.median(sizes)) if sizes else 0.0,
                           per_selection=per_selection)
                rows.append(row)
                print(f"    {layer:8s} {thr:4.1f} {label.format(*shape):>10s} {row['tune']:7.1%} "
                      f"{row['eval']:7.1%} {row['s1']:8.0f} {row['tune_empty'] + row['eval_empty']:4d}/"
                      f"{row['tune_n'] + row['eval_n']:<4d}")
    return rows


# ----------------------------------------------------------------------------------------------
# chorales


def bench_cadences(ds, n_per_half: int) -> dict:
    end = np.asarray(ds.annotation_codes("phrase_end")) == ds.annotation_labels("phrase_end").index(True)
    pos = np.asarray(ds.annotation("phrase_pos", 0, len(ds)))
    doc = document_of(ds)
    base = float(end.mean())
    print(f"(a) cadences: the last L chords of a phrase, R chords of off-padding on the right; share of "
          f"the top-50 matches ending at a phrase end ({base:.1%} of all chords are phrase ends)")
    ends = np.flatnonzero(end)

    def selections(shape):
        L = shape[2]
        return [(int(e) - L + 1, int(e) + 1) for e in ends if pos[e] >= L - 1]

    def hit_fn(table):
        stops = table["stop"].to_numpy()
        return int(end[stops - 1].sum()), len(stops)

    shapes = [(0, r, L) for L in (2, 3, 4) for r in (1, 2)]
    rows = match_grid(ds, selections, doc, hit_fn, shapes, n_per_half, "L{2} R{1}")
    return choose_and_report(rows, "matches ending at a phrase end", base,
                             lambda r: f"layer {r['layer']}, threshold {r['threshold']}, last "
                                       f"{r['shape'][2]} chords, pad right {r['shape'][1]}")


def cell_runs(on: np.ndarray, doc: np.ndarray):
    """(cells, starts, stops) of the maximal on-runs of every cell, split at documents."""
    same_prev = np.zeros(len(doc), bool)
    same_prev[1:] = doc[1:] == doc[:-1]
    prev_on = np.zeros_like(on)
    prev_on[1:] = on[:-1]
    next_on = np.zeros_like(on)
    next_on[:-1] = on[1:]
    same_next = np.r_[same_prev[1:], False]
    t0, c0 = np.nonzero((on & ~(prev_on & same_prev[:, None])).T)[::-1]
    t1, c1 = np.nonzero((on & ~(next_on & same_next[:, None])).T)[::-1]
    return c0.astype(np.int64), t0.astype(np.int64), t1.astype(np.int64) + 1


def bench_single_cells(ds, show: int = 2) -> dict:
    end = np.asarray(ds.annotation_codes("phrase_end")) == ds.annotation_labels("phrase_end").index(True)
    pos = np.asarray(ds.annotation("phrase_pos", 0, len(ds)))
    doc = document_of(ds)
    T = len(ds)
    half = doc % 2                                  # 0 tune, 1 eval
    base = float(end.mean())
    print(f"\n(b) single cells on for >= {MIN_RUN} chords that turn off at a phrase end (the chord after "
          f"the run is the cadence's last chord)")
    print(f"    {'layer':8s} {'thr':>4s} {'cell':>4s} {'F1 tune':>7s} {'prec eval':>9s} {'recall eval':>11s} "
          f"{'runs/chord':>10s}")
    rows = []
    targets = end & (pos >= MIN_RUN)                # phrase ends a run of MIN_RUN can lead up to
    for layer in ds.layers:
        v = ds.values(layer, 0, T)
        for thr in THRESHOLDS:
            cells, a, b = cell_runs(v >= np.float32(thr), doc)
            keep = (b - a >= MIN_RUN) & (b < T)
            keep[keep] &= doc[b[keep]] == doc[a[keep]]          # turns off inside its chorale
            cells, a, b = cells[keep], a[keep], b[keep]
            resolves = end[b]
            best = None
            for c in np.unique(cells):
                sel = cells == c
                stats = {}
                for h in (0, 1):
                    s = sel & (half[a] == h)
                    runs = int(s.sum())
                    hit = int((s & resolves).sum())
                    reached = len(np.unique(b[s & resolves]))
                    n_t = int((targets & (half == h)).sum())
                    prec = hit / runs if runs else 0.0
                    rec = reached / n_t if n_t else 0.0
                    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
                    stats[h] = (f1, prec, rec, runs / max(1, int((half == h).sum())), runs)
                if best is None or stats[0][0] > best["tune_f1"]:
                    best = dict(layer=layer, threshold=thr, cell=int(c), tune_f1=stats[0][0],
                                tune_prec=stats[0][1], eval_prec=stats[1][1], eval_rec=stats[1][2],
                                eval_rate=stats[1][3], eval_runs=stats[1][4])
            if best is not None:
                rows.append(best)
                print(f"    {layer:8s} {thr:4.1f} {best['cell']:4d} {best['tune_f1']:7.1%} "
                      f"{best['eval_prec']:9.1%} {best['eval_rec']:11.1%} {best['eval_rate']:10.3f}")
    best = max(rows, key=lambda r: r["tune_f1"])
    print(f"    chosen on the tune chorales: cell {best['cell']} of {best['layer']} at threshold "
          f"{best['threshold']}: on the eval chorales {best['eval_prec']:.1%} of its {best['eval_runs']} runs "
          f"turn off at a phrase end (baseline {base:.1%}), and it does so at {best['eval_rec']:.1%} of the "
          f"phrase ends (baseline {best['eval_rate']:.1%}, its runs per chord)")
    # Figure 8 in text: the chosen cell over the first eval phrases
    v = ds.values(best["layer"], 0, T)[:, best["cell"]]
    first = int(np.flatnonzero(half == 1)[0])
    stop = first
    for _ in range(show):
        stop = int(np.flatnonzero(end[stop:])[0]) + stop + 1
    toks = ds.tokens(first, stop)
    on = v[first:stop] >= best["threshold"]
    print("    " + " ".join(f"{t}{'|' if end[first + k] else ''}" for k, t in enumerate(toks)))
    print("    " + " ".join(("#" if o else ".") * len(t) + (" " if end[first + k] else "")
                            for k, (t, o) in enumerate(zip(toks, on))))
    cells, a, b = cell_runs(ds.values(best["layer"], 0, T) >= np.float32(best["threshold"]), doc)
    ok = (cells == best["cell"]) & (b - a >= MIN_RUN) & (b < T) & (half[a] == 1)
    ok[ok] &= end[b[ok]] & (doc[b[ok]] == doc[a[ok]])
    k = int(np.flatnonzero(ok)[0]) if ok.any() else None
    best["run"] = (int(a[k]), int(b[k])) if k is not None else (first, first + MIN_RUN)
    best["baseline_prec"] = base
    return best


# ----------------------------------------------------------------------------------------------
# english


def chunk_spans(ds) -> list[tuple[int, int, str]]:
    """(start, stop, type) of every chunk, from chunk_iob (B-X opens, I-X continues), inside documents."""
    labels = ds.annotation_labels("chunk_iob")
    codes = np.asarray(ds.annotation_codes("chunk_iob"))
    doc = document_of(ds)
    spans, cur = [], None
    for t, c in enumerate(codes.tolist()):
        tag = str(labels[c])
        kind = tag[2:] if tag[:2] in ("B-", "I-") else None
        cont = cur is not None and tag.startswith("I-") and kind == cur[2] and doc[t] == doc[cur[0]]
        if cont:
            cur[1] = t + 1
            continue
        if cur is not None:
            spans.append(tuple(cur))
        cur = [t, t + 1, kind] if kind else None
    if cur is not None:
        spans.append(tuple(cur))
    return spans


def bench_phrases(ds, n_per_half: int) -> tuple[dict, dict]:
    spans = chunk_spans(ds)
    doc = document_of(ds)
    np_words, vp_words = category(ds, "chunk", "NP"), category(ds, "chunk", "VP")

    def share_fn(inside):
        def hit_fn(table):
            p = matched_positions(table)
            return int(inside[p].sum()), len(p)
        return hit_fn

    print(f"(c) noun phrases closed on the right: whole NP chunks of 2-5 words, R words of off-padding "
          f"on the right; share of matched words in noun phrases ({np_words.mean():.1%} of all words)")
    nps = [(a, b) for a, b, k in spans if k == "NP" and 2 <= b - a <= 5]
    rows = match_grid(ds, lambda shape: [(a, b) for a, b in nps if b + shape[1] <= len(ds)], doc,
                      share_fn(np_words), [(0, 1, 0), (0, 2, 0), (1, 1, 0)], n_per_half, "L{0} R{1}")
    np_best = choose_and_report(rows, "matched words in noun phrases", float(np_words.mean()),
                                lambda r: f"layer {r['layer']}, threshold {r['threshold']}, pad "
                                          f"{r['shape'][0]}:{r['shape'][1]}")
    print(f"\n(d) verb-phrase prefixes open on the right: the first 2 words of VP chunks of >= 2 words, "
          f"no padding on the right; share of matched words in verb phrases ({vp_words.mean():.1%} of all)")
    vps = [(a, a + 2) for a, b, k in spans if k == "VP" and b - a >= 2]
    rows = match_grid(ds, lambda shape: vps, doc, share_fn(vp_words), [(0, 0, 0), (1, 0, 0)],
                      n_per_half, "L{0} R{1}")
    vp_best = choose_and_report(rows, "matched words in verb phrases", float(vp_words.mean()),
                                lambda r: f"layer {r['layer']}, threshold {r['threshold']}, pad "
                                          f"{r['shape'][0]}:{r['shape'][1]}")
    return np_best, vp_best


def bench_projection(ds) -> dict:
    spans = [(a, b, k) for a, b, k in chunk_spans(ds) if b - a >= 2]
    doc = document_of(ds)
    starts = np.array([a for a, _, _ in spans], np.int64)
    stops = np.array([b for _, b, _ in spans], np.int64)
    kinds = np.array([k for _, _, k in spans])
    counts = {str(k): int((kinds == k).sum()) for k in np.unique(kinds)}
    print(f"\n(e) PCA of the S1 patterns of all {len(spans)} multi-word chunks ({counts}); NP vs VP by a "
          f"logistic regression on the 2D coordinates")
    nv = np.isin(kinds, ["NP", "VP"])
    y = (kinds == "NP").astype(float)
    tune = np.flatnonzero(nv & (doc[starts] % 2 == 0))
    test = np.flatnonzero(nv & (doc[starts] % 2 == 1))
    fit, val = tune[: len(tune) * 3 // 4], tune[len(tune) * 3 // 4:]
    majority = max(y[test].mean(), 1 - y[test].mean())
    print(f"    {'layer':8s} {'thr':>4s} {'var 2D':>6s} {'acc val':>7s} {'acc eval':>8s} {'majority':>8s}")
    rows = []
    for layer in ds.layers:
        for thr in THRESHOLDS:
            matrix = analysis.range_patterns(ds, layer, starts, stops, thr)
            if not matrix[nv].any():
                continue
            proj = analysis.project(matrix[nv], n_components=2)
            coords = np.zeros((len(spans), 2))
            coords[nv] = proj.coords
            row = dict(layer=layer, threshold=thr, var=float(proj.explained_variance_ratio.sum()),
                       val=classify(coords, y, fit, val), test=classify(coords, y, tune, test),
                       majority=majority, n_test=len(test), n=int(nv.sum()))
            rows.append(row)
            print(f"    {layer:8s} {thr:4.1f} {row['var']:6.1%} {row['val']:7.1%} {row['test']:8.1%} "
                  f"{majority:8.1%}")
    best = max(rows, key=lambda r: r["val"])
    print(f"    chosen on the validation part of the tune half: layer {best['layer']}, threshold "
          f"{best['threshold']}: NP vs VP accuracy {best['test']:.1%} on the {best['n_test']} eval-half "
          f"chunks (majority class {best['majority']:.1%})")
    return best


def preset_query(layer: str, start: int, stop: int, threshold: float, pad=(0, 0), annotation=None,
                 exclude=()) -> str:
    """The shareable-URL query (SPEC section 5, without `dataset`) that opens a selection."""
    q = [f"layer={layer}", f"pos={max(0, start - 8)}", f"sel={start}:{stop}"]
    if tuple(pad) != (0, 0):                        # the page's canonical URL leaves a default out
        q.append(f"pad={pad[0]}:{pad[1]}")
    q.append(f"threshold={threshold:g}")
    if exclude:
        q.append("exclude=" + ",".join(str(c) for c in exclude))
    if annotation:
        q.append(f"annotation={annotation}")
    return "&".join(q)


def match_preset(row: dict, annotation: str) -> str:
    a, b = row["example"]
    return preset_query(row["layer"], a, b, row["threshold"], row["shape"][:2], annotation)


def cell_preset(ds, row: dict) -> str:
    """The chosen cell alone: its first eval run that turns off at a phrase end, the other cells
    of that range's S1 excluded."""
    a, b = row["run"]
    s1 = lv.select(ds, row["layer"], a, b, row["threshold"], pad_right=1)
    others = [int(c) for c in s1 if c != row["cell"]]
    return preset_query(row["layer"], a, b, row["threshold"], (0, 1), "phrase_end", others)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chorales", default=str(ROOT / "data" / "chorales"))
    ap.add_argument("--english", default=str(ROOT / "data" / "english"))
    ap.add_argument("--only", choices=["chorales", "english"])
    ap.add_argument("--selections", type=int, default=30, help="selections per half and shape")
    args = ap.parse_args(argv)
    results, presets = [], []
    if args.only in (None, "chorales"):
        ds = lv.open_dataset(args.chorales)
        print(f"{ds.name}: T={len(ds)}, {len(ds.documents)} chorales, layers "
              + ", ".join(f"{l} ({ds.dims(l)})" for l in ds.layers))
        a = bench_cadences(ds, args.selections)
        b = bench_single_cells(ds)
        presets.append(("chorales", "Cadence: the last chords of a phrase, off-padding on the right",
                        match_preset(a, "phrase_end")))
        presets.append(("chorales", f"Cell {b['cell']} of {b['layer']}: on through a progression, off at "
                                    f"its resolution (Fig. 8)", cell_preset(ds, b)))
        results.append(f"chorales: cadence matches ending at a phrase end {a['eval']:.1%} (baseline "
                       f"{a['baseline']:.1%}); single cell {b['layer']}:{b['cell']} turns off at a phrase end "
                       f"after {b['eval_prec']:.1%} of its runs (baseline {b['baseline_prec']:.1%}), at "
                       f"{b['eval_rec']:.1%} of phrase ends (baseline {b['eval_rate']:.1%})")
    if args.only in (None, "english"):
        ds = lv.open_dataset(args.english)
        print(f"\n{ds.name}: T={len(ds)}, {len(ds.documents)} documents, layers "
              + ", ".join(f"{l} ({ds.dims(l)})" for l in ds.layers))
        c, d = bench_phrases(ds, args.selections)
        e = bench_projection(ds)
        presets.append(("english", "Noun phrase closed on the right (Fig. 6a)", match_preset(c, "chunk")))
        presets.append(("english", "Verb-phrase prefix open on the right (Fig. 6b)", match_preset(d, "chunk")))
        results.append(f"english: NP selection -> words in NPs {c['eval']:.1%} (baseline {c['baseline']:.1%}); "
                       f"VP prefix -> words in VPs {d['eval']:.1%} (baseline {d['baseline']:.1%}); "
                       f"NP vs VP from the 2D PCA {e['test']:.1%} (majority {e['majority']:.1%})")
    for name, label, query in presets:
        print(f"PRESET {name}: {label}: {query}")
    for r in results:
        print("RESULT " + r)
    return 0


if __name__ == "__main__":
    sys.exit(main())
