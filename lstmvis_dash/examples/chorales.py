"""Build the `chorales` dataset: a chord-level LSTM language model of J. S. Bach's chorales.

    python -m lstmvis_dash.examples.chorales [--out data/chorales] [--cache chorales.json]

LSTMVis paper (Strobelt et al., VIS 2017), section 6.3 and Figure 8: an LSTM language model of chord
sequences, in which single cells turn on at the start of a progression and off at its resolution.
The paper used pop and rock chord charts; these are the 371 four-part chorales of the music21 corpus
(Riemenschneider numbering, `music21.corpus.chorales.Iterator`), installed with the `music21`
package (an optional extra, requirements-extras.txt); nothing is downloaded.

Each chorale becomes one sequence of chords: the score is chordified (one chord per onset in any
voice) and the chords that start on a beat are kept (the off-beat slices are mostly passing and
neighbour tones), each written as a roman numeral in the chorale's key (music21's key analysis of
the whole chorale): quality by case and o / ø / +, inversion by figured bass (I, I6, I64, V7, V65,
V43, V42, ...). Annotations, one value per chord:

- ``numeral``: the chord's roman numeral (the token itself);
- ``phrase_end``: True at a chord under a fermata (in any voice), the chorale's phrase ends;
- ``phrase_pos``: chords since the phrase began (0 at its first chord, the one after a fermata).

A fixed, name-determined tenth of the chorales is the test set and another tenth the development
set; the rest, in seeded order, each after a start-of-chorale token, is the training stream. A
2-layer LSTM (PyTorch, CPU, one thread) is trained with dropout by truncated BPTT, the pass with the
lowest development loss kept. The script prints the test loss (nats per chord, perplexity) beside
unigram and bigram baselines counted on the training chorales, then records the cell and hidden
states of both layers after every chord of the development and test chorales (never trained on;
each read from the zero state after the start token, one document each) and writes them with
`lstmvis_dash.write_dataset`.

Parsing the 371 scores with music21 takes about ten minutes; --cache keeps the chord sequences in
a JSON file so a rebuild skips it.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

import numpy as np

from .lm import LAYERS, TRANSFORMS, build_model, evaluate, folder_size, import_torch, ngram_baselines, \
    record_states, split_by_name, train, tuned_bigram_weight, vocabulary

START = "<s>"           # start-of-chorale token of the model (not written to the dataset)
UNK = "<unk>"           # model class of numerals rarer than --min-count in the training chorales


def simple_numeral(chord, key) -> str:
    """A chord as a roman numeral in `key`: case for quality, o / ø / + marks, inversion figure."""
    from music21 import roman
    rn = roman.romanNumeralFromChord(chord, key)
    base = rn.frontAlterationString + rn.romanNumeralAlone
    inv = rn.inversion()
    if rn.isSeventh():
        if rn.isDiminishedSeventh():
            base += "o"
        elif rn.isHalfDiminishedSeventh():
            base += "ø"
        return base + ("7", "65", "43", "42")[min(inv, 3)]
    if rn.isTriad():
        if rn.quality == "diminished":
            base += "o"
        elif rn.quality == "augmented":
            base += "+"
    return base + ("", "6", "64")[min(inv, 2)]


def chorale_chords(score) -> tuple[str, list[str], list[bool]]:
    """(key, numerals, phrase_end) of one chorale: its on-beat chords, True under a fermata."""
    from music21 import expressions
    key = score.analyze("key")
    fermatas = set()
    for n in score.recurse().notes:
        if any(isinstance(e, expressions.Fermata) for e in n.expressions):
            fermatas.add(float(n.getOffsetInHierarchy(score)))
    chordified = score.chordify()
    numerals, ends = [], []
    for c in chordified.recurse().getElementsByClass("Chord"):
        off = float(c.getOffsetInHierarchy(chordified))
        if off % 1 and off not in fermatas:
            continue
        numerals.append(simple_numeral(c, key))
        ends.append(off in fermatas)
    return str(key), numerals, ends


def load_chorales(cache: str | None = None, log=print) -> list[dict]:
    """[{"name", "key", "numerals", "phrase_end"}] of the music21 corpus's chorales (cached)."""
    if cache and Path(cache).exists():
        return json.loads(Path(cache).read_text())
    try:
        from music21 import corpus
    except ImportError:
        raise SystemExit("this script needs music21 (an optional extra): pip install -r requirements-extras.txt")
    names = list(corpus.chorales.Iterator(returnType="filename"))
    out = []
    for k, name in enumerate(names):
        key, numerals, ends = chorale_chords(corpus.parse(name))
        if len(numerals) >= 8 and any(ends):
            out.append({"name": name, "key": key, "numerals": numerals, "phrase_end": ends})
        if (k + 1) % 50 == 0:
            log(f"parsed {k + 1}/{len(names)} chorales", flush=True)
    if cache:
        Path(cache).write_text(json.dumps(out))
    return out


def phrase_positions(ends: list[bool]) -> list[int]:
    """Chords since the phrase began: 0 at the first chord and at each chord after a phrase end."""
    pos, k = [], 0
    for e in ends:
        pos.append(k)
        k = 0 if e else k + 1
    return pos


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lstmvis_dash.examples.chorales",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/chorales", help="dataset folder (default %(default)s)")
    ap.add_argument("--cache", help="JSON file keeping the parsed chord sequences")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=128, help="cells per layer")
    ap.add_argument("--embed", type=int, default=32)
    ap.add_argument("--dropout", type=float, default=0.3)
    ap.add_argument("--batch", type=int, default=16, help="parallel training streams")
    ap.add_argument("--bptt", type=int, default=32, help="truncated BPTT length")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--epochs", type=int, default=60, help="passes over the training chorales")
    ap.add_argument("--min-count", type=int, default=3,
                    help="numerals rarer than this in the training chorales share one model class")
    args = ap.parse_args(argv)

    torch = import_torch(args.seed)
    if torch is None:
        return 2
    import lstmvis_dash as lv

    chorales = load_chorales(args.cache)
    train_set, dev_set, test_set = split_by_name(chorales, lambda c: c["name"])
    random.Random(args.seed).shuffle(train_set)
    vocab, index = vocabulary((n for c in train_set for n in c["numerals"]), args.min_count, [START, UNK])

    def encode(cs: list[dict]) -> np.ndarray:
        return np.array([i for c in cs for i in [0] + [index.get(n, 1) for n in c["numerals"]]], np.int64)

    train_ids, dev_ids, test_ids = encode(train_set), encode(dev_set), encode(test_set)
    print(f"{len(chorales)} chorales (music21 corpus): {len(train_set)} for training ({len(train_ids)} "
          f"chords), {len(dev_set)} development, {len(test_set)} test; {len(vocab) - 2} numerals seen "
          f">= {args.min_count} times in training, the rest one class ({np.mean(test_ids == 1):.1%} of "
          f"test chords)")

    model = build_model(torch, len(vocab), args.hidden, args.embed, args.dropout)
    info = train(torch, model, train_ids, batch=args.batch, bptt=args.bptt, lr=args.lr,
                 epochs=args.epochs, validate=lambda m: evaluate(torch, m, dev_ids, batch=1),
                 log_every=10 ** 9, unit="chords")
    weight = tuned_bigram_weight(train_ids, dev_ids, len(vocab))
    dev = evaluate(torch, model, dev_ids, batch=1)
    test = evaluate(torch, model, test_ids, batch=1)
    uni, big = ngram_baselines(train_ids, test_ids, len(vocab), weight)
    print(f"trained {info['steps']} steps; development loss best after pass {info['best_epoch']} of "
          f"{args.epochs} (kept): {dev:.3f} nats/chord")
    print(f"test loss ({len(test_ids) - 1} chords), nats/chord (perplexity): model {test:.3f} "
          f"({math.exp(test):.2f}); baselines from training counts: unigram {uni:.3f} ({math.exp(uni):.2f}), "
          f"bigram {big:.3f} ({math.exp(big):.2f}; interpolated with the unigram, weight {weight} "
          f"chosen on the development chorales)")

    tokens, numerals, ends, pos, starts = [], [], [], [], []
    states = {k: [] for k in LAYERS}
    recorded = dev_set + test_set
    for c in recorded:
        starts.append(len(tokens))
        tokens.extend(c["numerals"])
        numerals.extend(c["numerals"])
        ends.extend(c["phrase_end"])
        pos.extend(phrase_positions(c["phrase_end"]))
        ids = np.array([0] + [index.get(n, 1) for n in c["numerals"]], np.int64)
        for k, v in record_states(torch, model, ids, skip=1).items():
            states[k].append(v.astype(np.float16))
    states = {k: np.concatenate(v) for k, v in states.items()}
    description = (
        f"Chord-level 2-layer LSTM language model ({args.hidden} cells per layer) of Bach chorales "
        f"(music21 corpus), chords as roman numerals in each chorale's key, one document per chorale; "
        f"{len(recorded)} held-out chorales recorded. Test {test:.3f} nats/chord (bigram baseline "
        f"{big:.3f}). Built by python -m lstmvis_dash.examples.chorales.")
    out = lv.write_dataset(args.out, tokens, states,
                           annotations={"numeral": numerals, "phrase_end": np.asarray(ends, bool),
                                        "phrase_pos": np.asarray(pos, np.int64)},
                           documents=starts, transforms=TRANSFORMS, name="chorales",
                           description=description, compression="gzip")
    print(f"wrote {out} ({folder_size(out) / 1e6:.1f} MB): layers {list(states)}, T={len(tokens)}, "
          f"{len(recorded)} documents, {np.mean(ends):.1%} of chords at a phrase end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
