"""Build the `english` dataset: a word-level LSTM language model of English prose, with POS tags and
phrase chunks.

    python -m lstmvis_dash.examples.english [--out data/english] [--docs /usr/share/doc/python3.11/html/_sources]

LSTMVis paper (Strobelt et al., VIS 2017), section 6.2, Figures 6 and 7: a 2-layer LSTM language
model in which a selected noun phrase matches other noun phrases, a verb-phrase prefix other verb
phrases, and the on-patterns (S1) of noun and verb phrases separate under PCA. The paper used the
Penn Treebank with CoNLL chunks, neither of which can be installed here. The prose is the Python
documentation, written by its many authors: Debian's `python3-doc` package (`apt-get install
python3-doc`) ships its reStructuredText sources under /usr/share/doc/python3.X/html/_sources;
`rst_prose.paragraphs` keeps the running text and leaves out code, tables and markup.

The Penn Treebank POS tags and the chunks come from the pattern tagger and chunker that ships in
the TextBlob wheel (`textblob.en.parse`, its lexicon inside the package, nothing downloaded; an
optional extra, requirements-extras.txt). It also tokenizes. Annotations, one value per word:

- ``pos``: the Penn Treebank tag (NN, VBZ, DT, ...);
- ``chunk``: the type of the chunk the word is in (NP, VP, PP, ADJP, ADVP, PRT, ...), O outside any;
- ``chunk_iob``: the same with the chunk's boundary, CoNLL style (B-NP at a noun phrase's first
  word, I-NP inside it, O), so that adjacent chunks of one type stay apart (bench_findings.py).

Each .rst source file is one document. A fixed, path-determined tenth of the files is the test
set and another tenth the development set; the rest, in seeded order, each after a
start-of-document token, is the training stream. The model reads lower-cased words (words seen
fewer than --min-count times in training share one class). A 2-layer LSTM (PyTorch, CPU, one
thread) is trained with dropout by truncated BPTT, the pass with the lowest development loss kept.
The script prints the test perplexity beside unigram and bigram baselines counted on the training
files, then records the cell and hidden states of both layers after every word of the first
paragraphs of test files (each file read from the zero state after the start token, one
document each, whole paragraphs up to --words in all) and writes them with
`lstmvis_dash.write_dataset`.
"""
from __future__ import annotations

import argparse
import math
import random
import sys
import sysconfig
from pathlib import Path

import numpy as np

from .lm import LAYERS, TRANSFORMS, build_model, evaluate, folder_size, import_torch, ngram_baselines, \
    record_states, split_by_name, train, tuned_bigram_weight, vocabulary
from .rst_prose import paragraphs

START = "<s>"           # start-of-document token of the model (not written to the dataset)
UNK = "<unk>"


def default_docs() -> Path:
    v = sysconfig.get_python_version()
    return Path(f"/usr/share/doc/python{v}/html/_sources")


def tag(paragraph: str, parse) -> list[tuple[str, str, str]]:
    """(word, Penn tag, IOB chunk tag) of every word of one paragraph, by the pattern parser."""
    out = []
    for sentence in parse(paragraph, tokenize=True, tags=True, chunks=True, relations=False,
                          lemmata=False).split():
        for word, pos, chunk, *_ in sentence:
            out.append((word, pos, chunk))
    return out


def chunk_type(iob: str) -> str:
    """'B-NP' / 'I-NP' -> 'NP'; 'O' -> 'O'."""
    return iob.split("-", 1)[1] if "-" in iob else "O"


def load_documents(root: Path, log=print) -> list[tuple[str, list[tuple[str, str, str]], list[int]]]:
    """[(relative path, tagged words, paragraph start offsets)] of every .rst source with prose."""
    try:
        from textblob.en import parse
    except ImportError:
        raise SystemExit("this script needs TextBlob (an optional extra): pip install -r requirements-extras.txt")
    files = sorted(root.rglob("*.rst.txt"))
    if not files:
        raise SystemExit(f"no .rst.txt sources under {root}: apt-get install python3-doc, or pass --docs")
    docs = []
    for k, p in enumerate(files):
        words, starts = [], []
        for para in paragraphs(p.read_text(encoding="utf-8", errors="replace")):
            starts.append(len(words))
            words.extend(tag(para, parse))
        if words:
            docs.append((p.relative_to(root).as_posix(), words, starts))
        if (k + 1) % 100 == 0:
            log(f"tagged {k + 1}/{len(files)} files", flush=True)
    return docs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lstmvis_dash.examples.english",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/english", help="dataset folder (default %(default)s)")
    ap.add_argument("--docs", default=str(default_docs()), help="reStructuredText sources (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=128, help="cells per layer")
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--dropout", type=float, default=0.0)
    ap.add_argument("--batch", type=int, default=16, help="parallel training streams")
    ap.add_argument("--bptt", type=int, default=32, help="truncated BPTT length")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--epochs", type=int, default=3, help="passes over the training text")
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="time budget (the run then depends on the machine); see lm.train")
    ap.add_argument("--min-count", type=int, default=8,
                    help="words rarer than this in the training text share one model class")
    ap.add_argument("--words", type=int, default=10000, help="recorded words at most")
    ap.add_argument("--doc-words", type=int, default=1000, help="recorded words of one file at most")
    args = ap.parse_args(argv)

    torch = import_torch(args.seed)
    if torch is None:
        return 2
    import lstmvis_dash as lv

    docs = load_documents(Path(args.docs))
    train_docs, dev_docs, test_docs = split_by_name(docs, lambda d: d[0])
    random.Random(args.seed).shuffle(train_docs)
    vocab, index = vocabulary((w.lower() for _, words, _ in train_docs for w, _, _ in words),
                              args.min_count, [START, UNK])

    def encode(words) -> list[int]:
        return [0] + [index.get(w.lower(), 1) for w, _, _ in words]

    def stream(ds) -> np.ndarray:
        return np.array([i for _, words, _ in ds for i in encode(words)], np.int64)

    train_ids, dev_ids, test_ids = stream(train_docs), stream(dev_docs), stream(test_docs)
    print(f"{len(docs)} documents of prose under {args.docs}: {len(train_docs)} for training "
          f"({len(train_ids)} words), {len(dev_docs)} development ({len(dev_ids)}), {len(test_docs)} "
          f"test ({len(test_ids)}); vocabulary {len(vocab) - 2} lower-cased words seen >= "
          f"{args.min_count} times, the rest one class ({np.mean(test_ids == 1):.1%} of test words)",
          flush=True)

    model = build_model(torch, len(vocab), args.hidden, args.embed, args.dropout)
    info = train(torch, model, train_ids, batch=args.batch, bptt=args.bptt, lr=args.lr,
                 epochs=args.epochs, max_minutes=args.max_minutes,
                 validate=lambda m: evaluate(torch, m, dev_ids, batch=8), unit="words")
    weight = tuned_bigram_weight(train_ids, dev_ids, len(vocab))
    test = evaluate(torch, model, test_ids, batch=8)
    uni, big = ngram_baselines(train_ids, test_ids, len(vocab), weight)
    print(f"trained {info['steps']} steps ({info['chars'] / 1e6:.2f}M words) in {info['seconds'] / 60:.1f} "
          f"min; development loss best after pass {info['best_epoch']} (kept)"
          + (" (time budget reached)" if info["stopped_early"] else ""))
    print(f"test perplexity ({len(test_ids)} words, {len(vocab)} classes): model {math.exp(test):.1f} "
          f"({test:.3f} nats/word); baselines from training counts: unigram {math.exp(uni):.1f}, "
          f"bigram {math.exp(big):.1f} (interpolated with the unigram, weight {weight} chosen on the "
          f"development files)")

    tokens, pos, chunk, iob, starts = [], [], [], [], []
    states = {k: [] for k in LAYERS}
    recorded = []
    random.Random(args.seed).shuffle(test_docs)       # not only the first files in path order
    for rel, words, para_starts in test_docs:
        room = min(args.words - len(tokens), args.doc_words)
        cut = max((s for s in para_starts + [len(words)] if s <= room), default=0)
        if cut < 50:                        # whole paragraphs only, and not a scrap
            continue
        words = words[:cut]
        starts.append(len(tokens))
        recorded.append(rel)
        for w, p, c in words:
            tokens.append(w)
            pos.append(p)
            iob.append(c)
            chunk.append(chunk_type(c))
        for k, v in record_states(torch, model, np.array(encode(words), np.int64), skip=1).items():
            states[k].append(v.astype(np.float16))
        if args.words - len(tokens) < 50:
            break
    states = {k: np.concatenate(v) for k, v in states.items()}
    description = (
        f"Word-level 2-layer LSTM language model ({args.hidden} cells per layer) of English prose "
        f"(the Python documentation's text); POS tags and chunks from the pattern tagger in TextBlob. "
        f"{len(recorded)} held-out files, one document each. Test perplexity {math.exp(test):.1f} "
        f"(bigram baseline {math.exp(big):.1f}). Built by python -m lstmvis_dash.examples.english.")
    out = lv.write_dataset(args.out, tokens, states,
                           annotations={"pos": pos, "chunk": chunk, "chunk_iob": iob},
                           documents=starts, transforms=TRANSFORMS, name="english",
                           description=description, compression="gzip")
    share = {c: np.mean(np.asarray(chunk) == c) for c in ("NP", "VP")}
    print(f"wrote {out} ({folder_size(out) / 1e6:.1f} MB): layers {list(states)}, T={len(tokens)}, "
          f"{len(recorded)} documents; {share['NP']:.1%} of words in noun phrases, {share['VP']:.1%} "
          f"in verb phrases: " + ", ".join(recorded))
    return 0


if __name__ == "__main__":
    sys.exit(main())
