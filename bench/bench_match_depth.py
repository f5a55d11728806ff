"""Do the matches of a depth-4 selection lie at depth 4? (paper section 6.1, Figure 5b)

    python bench/bench_match_depth.py [--dataset data/parens] [--phrases "( 4" "( 4 4"]
                                      [--thresholds 0.1 0.2 0.3 0.4 0.5] [--samples 10]

For each phrase (e.g. `( 4`: an opening bracket that reaches depth 4 and the digit after it), the
first --samples occurrences whose tokens are all at depth 4 are selected in turn; for each layer and
threshold, S1 = lv.select(range) and the top 50 of lv.match(S1). Printed: the share of matched
positions (every position of every top-50 match, as the match view's annotation summary counts them)
whose `depth` annotation is 4, pooled over the samples, and the median |S1|. The natural selection
(the paper's: a cell-state layer at the default threshold 0.3) needs >= 90%.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import lstmvis_dash as lv  # noqa: E402
from lstmvis_dash.ui.match_data import matched_positions  # noqa: E402


def occurrences(ds, phrase: list[str], depth: np.ndarray, level: int, limit: int) -> list[int]:
    ids = ds.token_ids
    vocab = {str(t): i for i, t in enumerate(ds.vocab.tolist())}
    if any(w not in vocab for w in phrase):
        return []
    n = len(phrase)
    ok = np.ones(len(ds) - n + 1, bool)
    for k, w in enumerate(phrase):
        ok &= ids[k:len(ds) - n + 1 + k] == vocab[w]
        ok &= depth[k:len(ds) - n + 1 + k] == level
    return np.flatnonzero(ok)[:limit].tolist()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default=str(ROOT / "data" / "parens"))
    ap.add_argument("--annotation", default="depth")
    ap.add_argument("--level", default="4", help="the annotation value the selection sits at")
    ap.add_argument("--phrases", nargs="+", default=["( 4", "( 4 4"])
    ap.add_argument("--thresholds", nargs="+", type=float, default=[0.1, 0.2, 0.3, 0.4, 0.5])
    ap.add_argument("--layers", nargs="*", default=None)
    ap.add_argument("--samples", type=int, default=10)
    args = ap.parse_args()

    ds = lv.open_dataset(args.dataset)
    labels = [str(x) for x in ds.annotation_labels(args.annotation)]
    level = labels.index(args.level)
    codes = ds.annotation_codes(args.annotation)
    layers = args.layers or ds.layers
    print(f"dataset {ds.name}: T={len(ds):,}, layers {layers}; share of {args.annotation}={args.level} "
          f"over the whole dataset: {np.mean(codes == level):.1%}")
    results = {}
    for phrase in args.phrases:
        starts = occurrences(ds, phrase.split(), codes, level, args.samples)
        if not starts:
            print(f"phrase {phrase!r}: no occurrence at {args.annotation}={args.level}")
            continue
        n = len(phrase.split())
        print(f"\nphrase {phrase!r} at {args.annotation}={args.level}: {len(starts)} selections "
              f"(first at {starts[0]}:{starts[0] + n})")
        print(f"{'layer':>10} " + " ".join(f"{'ℓ=' + format(t, 'g'):>16}" for t in args.thresholds))
        for layer in layers:
            cells_txt = []
            for thr in args.thresholds:
                inside = total = 0
                sizes = []
                for a in starts:
                    s1 = lv.select(ds, layer, a, a + n, thr)
                    sizes.append(len(s1))
                    if len(s1) == 0:
                        continue
                    m = lv.match(ds, layer, s1, thr)
                    pos = matched_positions(m.table)
                    inside += int((codes[pos] == level).sum())
                    total += len(pos)
                share = inside / total if total else float("nan")
                results[(phrase, layer, thr)] = share
                cells_txt.append(f"{share:6.1%} |S1|~{int(np.median(sizes)):<3d}")
            print(f"{layer:>10} " + " ".join(f"{c:>16}" for c in cells_txt))
    natural = [(p, l) for p in args.phrases for l in layers if l.startswith("cell") and (p, l, 0.3) in results]
    if natural:
        print("\nnatural selection (cell-state layers, ℓ = 0.3): " + ", ".join(
            f"{p!r} on {l}: {results[(p, l, 0.3)]:.1%}" for p, l in natural) + "   (need >= 90%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
