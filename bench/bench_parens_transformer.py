"""The parens_transformer showcase's findings (issue 11): loss, and the depth-4 finding on both layers.

    python bench/bench_parens_transformer.py [--data data/parens_transformer] [--samples 20]

(a) Loss. The models saved beside the recording (models.pt; needs torch) are run on fresh
    validation documents (--seed): the transformer's loss beside the best achievable loss (the
    generator's own log-loss, exact: lstmvis_dash.examples.parens), the loss with the SAE's
    reconstruction spliced into the residual stream, and the SAE's unexplained variance.
(b) The depth-4 finding of the paper's section 6.1 (and the same at depths 3, 2, 1) (bench/bench_match_depth.py for the LSTM), on
    the residual stream and on the SAE's features: the first 2 x --samples occurrences of each
    phrase ("( 4", "( 4 4") whose tokens are all at depth 4 are selected in turn; for each layer x
    phrase x threshold, S1 = lv.select(range), then lv.match(S1) (top 50), and the share of matched
    positions at depth 4, pooled over the selections. The phrase and threshold of each layer are
    chosen on the even-numbered selections and the share reported on the odd-numbered ones, so the
    choice does not flatter the result. Thresholds are in each layer's own transform; the row
    "sugg." matches each selection at its own suggested threshold (lstmvis_dash.guidance: Otsu's
    split of the cells' range minima), which needs no choice at all.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import lstmvis_dash as lv  # noqa: E402
from lstmvis_dash import guidance  # noqa: E402
from bench_match_depth import occurrences  # noqa: E402
from lstmvis_dash.ui.match_figures import matched_positions  # noqa: E402

# thresholds tried, by the layer's transform (zscore: standard deviations; none: SAE activations)
GRIDS = {"zscore": [0.5, 1.0, 1.5, 2.0], "none": [0.5, 1.0, 2.0, 5.0, 10.0],
         "quantile": [0.5, 0.7, 0.8, 0.9, 0.95], "tanh": [0.1, 0.2, 0.3, 0.4, 0.5]}


def bench_loss(data: Path, n_docs: int, seed: int) -> None:
    try:
        import torch
    except ImportError:
        print("(a) skipped: the saved models need PyTorch (pip install torch==2.13.0)")
        return
    from lstmvis_dash.examples import parens_transformer as pt
    torch.set_num_threads(1)
    model, sae, block = pt.load_models(torch, data / pt.MODEL_FILE)
    ids, before, _ = pt.documents(n_docs, model.context, np.random.default_rng(seed))
    nll, best = pt.lm_nll(torch, model, ids), pt.best_nll(ids, before)
    spliced = pt.lm_nll(torch, model, ids, replace=(block, lambda o: sae.decode(sae.encode(o))))
    q = pt.sae_quality(torch, sae, pt.residual_stream(torch, model, ids, block))
    print(f"(a) validation, {n_docs} fresh documents of {model.context} tokens (seed {seed}), nats/token: "
          f"transformer {nll:.4f}, best achievable {best:.4f} (gap {nll - best:.4f}); with the SAE "
          f"spliced into blocks.{block}: {spliced:.4f}; SAE unexplained variance {q['fvu']:.4f}, "
          f"{q['l0']:.0f} active features per token")


def depth_share(ds, codes, level, layer, starts, n, thr) -> tuple:
    """(positions at `level`, matched positions, |S1| per selection) over the selections; thr None:
    each selection at its own suggested threshold (lstmvis_dash.guidance)."""
    inside = total = 0
    sizes = []
    for a in starts:
        if thr is None:
            thr_a = guidance.suggest_threshold(ds, layer, a, a + n)
            if thr_a is None:
                sizes.append(0)
                continue
        s1 = lv.select(ds, layer, a, a + n, thr if thr is not None else thr_a)
        sizes.append(len(s1))
        if len(s1):
            pos = matched_positions(lv.match(ds, layer, s1, thr if thr is not None else thr_a).table)
            inside += int((codes[pos] == level).sum())
            total += len(pos)
    return inside, total, sizes


def bench_depth(ds, samples: int, depth: int) -> dict:
    labels = [str(x) for x in ds.annotation_labels("depth")]
    level = labels.index(str(depth))
    codes = np.asarray(ds.annotation_codes("depth"))
    phrases = [f"( {depth}", f"( {depth} {depth}"]
    results = {}
    print(f"(b) depth-{depth} finding; {np.mean(codes == level):.1%} of all positions are at depth {depth} "
          f"(what matches at random would get)")
    print(f"    {'layer':6s} {'phrase':7s} {'thr':>5s} {'share tune':>10s} {'share eval':>10s} "
          f"{'matched':>7s} {'median |S1|':>11s} {'empty S1':>8s}")
    for layer in ds.layers:
        rows = []
        for phrase in phrases:
            n = len(phrase.split())
            starts = occurrences(ds, phrase.split(), codes, level, 2 * samples)
            halves = {"tune": starts[0::2], "eval": starts[1::2]}
            for thr in GRIDS[ds.transform(layer)] + [None]:
                res = {h: depth_share(ds, codes, level, layer, s, n, thr) for h, s in halves.items()}
                share = {h: r[0] / r[1] if r[1] else float("nan") for h, r in res.items()}
                sizes = res["tune"][2] + res["eval"][2]
                row = dict(phrase=phrase, thr=thr, tune=share["tune"], eval=share["eval"],
                           matched=res["tune"][1] + res["eval"][1], s1=float(np.median(sizes)),
                           empty=sum(s == 0 for s in sizes), n=len(sizes))
                rows.append(row)
                print(f"    {layer:6s} {phrase!r:7s} {'sugg.' if thr is None else format(thr, 'g'):>5s} {row['tune']:10.1%} {row['eval']:10.1%} "
                      f"{row['matched']:7d} {row['s1']:11.0f} {row['empty']:4d}/{row['n']}")
        sugg = [r for r in rows if r["thr"] is None]
        print(f"    {layer}: at each selection's suggested threshold: " + ", ".join(
            f"{r['phrase']!r} {r['eval']:.1%} on the eval half ({r['tune']:.1%} tune)" for r in sugg))
        ok = [r for r in rows if r["thr"] is not None and r["empty"] <= r["n"] // 4 and not np.isnan(r["tune"])]
        if not ok:
            print(f"    {layer}: no threshold gives a non-empty S1 for most selections")
            continue
        best = max(ok, key=lambda r: (r["tune"], r["matched"]))
        results[layer] = (best, sugg)
        print(f"    RESULT depth {depth}, {layer} ({ds.transform(layer)}): chosen on the tune half: "
              f"{best['phrase']!r} at threshold {best['thr']:g}; share of matched positions at depth {depth} on "
              f"the other {best['n'] // 2} selections: {best['eval']:.1%} (median |S1| {best['s1']:.0f})")
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "parens_transformer"))
    ap.add_argument("--samples", type=int, default=20, help="selections per half (tune, eval) and phrase")
    ap.add_argument("--valid-docs", type=int, default=800)
    ap.add_argument("--seed", type=int, default=7, help="seed of the validation documents")
    ap.add_argument("--depths", type=int, nargs="+", default=[4, 3, 2, 1],
                    help="the depths whose finding is measured (the paper's is 4)")
    args = ap.parse_args(argv)
    data = Path(args.data)
    ds = lv.open_dataset(data)
    print(f"{ds.name}: T={len(ds):,}, {len(ds.documents)} documents, layers "
          + ", ".join(f"{l} ({ds.dims(l)}, {ds.transform(l)})" for l in ds.layers))
    bench_loss(data, args.valid_docs, args.seed)
    summary = {d: bench_depth(ds, args.samples, d) for d in args.depths}
    print("SUMMARY share of matched positions at the selection's depth, on the evaluation half "
          "(chosen threshold | each selection's suggested threshold):")
    for d, res in summary.items():
        print(f"    depth {d}: " + "; ".join(
            f"{layer} {best['eval']:.1%} | {min(r['eval'] for r in sugg):.1%}-{max(r['eval'] for r in sugg):.1%}"
            for layer, (best, sugg) in res.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
