"""Build the second bundled dataset: a character-level LSTM language model of Python source code.

    python -m lstmvis_dash.examples.python_source [--out data/python_source] [--max-minutes 0]

The text is the running Python's own standard library (``sysconfig.get_paths()["stdlib"]``, present
on every install, written by nobody here): every ``.py`` file outside test suites and
site-packages, in sorted path order. A fixed, path-determined share of the files is held out;
the rest, in a seeded shuffled order, is the training text.

A 2-layer LSTM (PyTorch, CPU, one thread) is trained on single characters with truncated BPTT.
The script prints its validation loss in bits per character beside unigram and bigram baselines
counted on the training text, then records the cell and hidden states of both layers after every
character of a stretch of whole held-out files (each file one document) and writes them with
`lstmvis_dash.write_dataset`. It is the offline analogue of Karpathy's quote- and
bracket-tracking cells ("The Unreasonable Effectiveness of Recurrent Neural Networks", 2015).

Annotations come from Python's `tokenize` on each held-out file, one value per character:

- ``token_type``: string, comment, name, keyword, number, operator, indentation (leading
  whitespace of a line), whitespace (other blanks and line ends), other (e.g. a ``\\``
  continuation);
- ``bracket_depth``: nesting depth of ``( [ {`` outside strings and comments; a bracket carries
  the deeper side (an opener the depth after it, a closer the depth before it), as the parens
  dataset does;
- ``in_string``: True on every character of a string literal, prefix and quotes included.

Tokens are the real characters (a blank is " ", a line end "\\n"); the UI labels them.

By default training runs 5 passes over the training text (13,210 updates of 32 streams x 128
characters) and ends on that step count, so a rebuild is reproducible; --max-minutes N stops it at a
wall-time budget instead. The bundled data/python_source was built with the defaults on a shared
2-core machine in 53 minutes (resumed once from its checkpoint): validation 1.348 bits/char against
4.716 (unigram) and 3.488 (bigram). Earlier, budget-limited runs did worse (bench/bench_python_source.py):
30 minutes (4,443 updates) gave 1.512 bits/char and a string-match share of at most 70.2% without
dropping cells by hand; --batch 64 --lr 3e-3, 1.722 bits/char; --bptt 256 with an 85-minute budget
on a heavily loaded machine (1,810 updates), 1.641 bits/char and 48.9%: the number of updates is
what counts.
--checkpoint saves the run every --checkpoint-minutes, so a long run can be evaluated while it
goes on (--load-model CHECKPOINT) and resumed (--resume).

torch is an optional extra, imported only by this script: ``pip install torch``.
"""
from __future__ import annotations

import argparse
import io
import keyword
import math
import random
import sys
import sysconfig
import tokenize
from pathlib import Path

import numpy as np

from .lm import LAYERS, TRANSFORMS, build_model, evaluate, folder_size, import_torch, load_weights, \
    ngram_baselines, record_states, train

SKIP_DIRS = {"test", "tests", "idle_test", "site-packages", "__pycache__"}
HELD_OUT_EVERY = 10       # file k of the sorted list is held out when k % 10 == HELD_OUT_AT
HELD_OUT_AT = 7
UNK = "\x00"              # model input/output class of characters rarer than --min-count


# ----------------------------------------------------------------------------------------------
# the text


def stdlib_files(root: Path | None = None) -> list[Path]:
    """Sorted .py files of the standard library, test suites and site-packages left out."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    out = []
    for p in root.rglob("*.py"):
        rel = p.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith("config-") for part in rel.parts[:-1]):
            continue
        if rel.name.startswith("test_"):
            continue
        out.append(p)
    return sorted(out, key=lambda p: p.relative_to(root).as_posix())


def read_source(path: Path) -> str | None:
    """The file's text (its declared encoding honoured, line ends as \\n), None if unreadable."""
    try:
        with tokenize.open(path) as f:
            return f.read()
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def split_files(files: list[Path]) -> tuple[list[Path], list[Path]]:
    held = [p for k, p in enumerate(files) if k % HELD_OUT_EVERY == HELD_OUT_AT]
    train = [p for k, p in enumerate(files) if k % HELD_OUT_EVERY != HELD_OUT_AT]
    return train, held


# ----------------------------------------------------------------------------------------------
# annotations from tokenize


def annotate(text: str) -> dict[str, list]:
    """Per-character token_type, bracket_depth and in_string of Python source (see module doc).

    Raises tokenize.TokenError / SyntaxError / IndentationError when `text` does not tokenize.
    """
    n = len(text)
    line_starts = [0]
    for k, ch in enumerate(text):
        if ch == "\n":
            line_starts.append(k + 1)

    def offset(row_col) -> int:
        row, col = row_col
        return min(n, line_starts[row - 1] + col) if row - 1 < len(line_starts) else n

    kind = ["whitespace"] * n
    in_string = [False] * n
    change = np.zeros(n, dtype=np.int64)             # +1 on an opening bracket, -1 on a closing one
    string_types = {tokenize.STRING}
    for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END"):   # Python >= 3.12
        if hasattr(tokenize, name):
            string_types.add(getattr(tokenize, name))
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        a, b = offset(tok.start), offset(tok.end)
        if b <= a:
            continue
        t = tok.type
        if t in string_types:
            label = "string"
            in_string[a:b] = [True] * (b - a)
        elif t == tokenize.COMMENT:
            label = "comment"
        elif t == tokenize.NAME:
            label = "keyword" if keyword.iskeyword(tok.string) else "name"
        elif t == tokenize.NUMBER:
            label = "number"
        elif t == tokenize.OP:
            label = "operator"
            if tok.string in ("(", "[", "{"):
                change[a] = 1
            elif tok.string in (")", "]", "}"):
                change[a] = -1
        elif t == tokenize.INDENT:
            label = "indentation"
        elif t in (tokenize.NEWLINE, tokenize.NL, tokenize.DEDENT, tokenize.ENDMARKER):
            label = "whitespace"
        else:
            label = "other"
        kind[a:b] = [label] * (b - a)
    # leading blanks of any line not already inside a token (continuation lines, blank lines,
    # lines at an unchanged indentation level, which get no INDENT token)
    for s in line_starts:
        k = s
        while k < n and text[k] in " \t\f" and kind[k] == "whitespace":
            kind[k] = "indentation"
            k += 1
    for k, ch in enumerate(text):
        if ch == "\\" and kind[k] == "whitespace":
            kind[k] = "other"
    after = np.cumsum(change)                           # depth after each character
    depth = np.maximum(after - change, after)           # the deeper of before and after
    return {"token_type": kind, "bracket_depth": [int(d) for d in depth], "in_string": in_string}


# ----------------------------------------------------------------------------------------------


def pick_documents(held: list[tuple[str, str]], budget: int, min_chars: int, max_chars: int):
    """Whole held-out files in sorted order, sized min_chars..max_chars, that tokenize and hold
    at least one string and one comment, at most one per top-level package (so near-identical
    siblings such as the generated codec modules of `encodings` do not fill the stretch), while
    the total stays within `budget` characters."""
    docs, total, packages = [], 0, set()
    for rel, text in held:
        package = rel.split("/")[0] if "/" in rel else None
        if not (min_chars <= len(text) <= max_chars) or total + len(text) > budget \
                or (package is not None and package in packages):
            continue
        try:
            ann = annotate(text)
        except (tokenize.TokenError, SyntaxError):
            continue
        kinds = set(ann["token_type"])
        if "string" not in kinds or "comment" not in kinds:
            continue
        docs.append((rel, text, ann))
        packages.add(package)
        total += len(text)
    return docs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lstmvis_dash.examples.python_source",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/python_source", help="dataset folder (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=128, help="cells per layer")
    ap.add_argument("--embed", type=int, default=32)
    ap.add_argument("--batch", type=int, default=32, help="parallel training streams")
    ap.add_argument("--bptt", type=int, default=128, help="truncated BPTT length")
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--epochs", type=int, default=5, help="passes over the training text at most")
    ap.add_argument("--max-minutes", type=float, default=0.0,
                    help="time budget: the learning-rate cosine also runs on wall time over this "
                         "budget and training ends when it is spent, so the run depends on the "
                         "machine; 0: no budget, the run ends on its step count and is reproducible")
    ap.add_argument("--checkpoint", help="save weights, optimiser and step here every --checkpoint-minutes")
    ap.add_argument("--checkpoint-minutes", type=float, default=15.0)
    ap.add_argument("--resume", action="store_true", help="continue the run saved in --checkpoint")
    ap.add_argument("--min-count", type=int, default=20,
                    help="characters rarer than this in the training text share one class")
    ap.add_argument("--valid-chars", type=int, default=300_000, help="held-out characters scored")
    ap.add_argument("--chars", type=int, default=16_000, help="recorded characters at most")
    ap.add_argument("--doc-chars", default="1000:5000",
                    help="size range MIN:MAX of the held-out files recorded (default %(default)s)")
    ap.add_argument("--save-model", help="also save the trained weights here (torch.save)")
    ap.add_argument("--load-model", help="skip training and load weights saved by --save-model")
    args = ap.parse_args(argv)

    torch = import_torch(args.seed)
    if torch is None:
        return 2
    import lstmvis_dash as lv

    root = Path(sysconfig.get_paths()["stdlib"])
    files = stdlib_files(root)
    train_files, held_files = split_files(files)

    def load(paths):
        out = []
        for p in paths:
            text = read_source(p)
            if text:
                out.append((p.relative_to(root).as_posix(), text))
        return out

    train_texts = load(train_files)
    held_texts = load(held_files)
    random.Random(args.seed).shuffle(train_texts)
    train_text = "".join(t for _, t in train_texts)
    valid_text = "".join(t for _, t in held_texts)[: args.valid_chars]
    print(f"Python {sys.version.split()[0]} standard library at {root}: {len(files)} files, "
          f"{len(train_texts)} for training ({len(train_text) / 1e6:.2f}M chars), "
          f"{len(held_texts)} held out (every {HELD_OUT_EVERY}th in sorted order)")

    chars, counts = np.unique(np.frombuffer(train_text.encode("utf-32-le"), dtype=np.uint32),
                              return_counts=True)
    alphabet = [UNK] + sorted(chr(c) for c, n in zip(chars, counts) if n >= args.min_count and chr(c) != UNK)
    index = {ch: k for k, ch in enumerate(alphabet)}
    lut = np.zeros(0x110000, dtype=np.int64)
    for ch, k in index.items():
        lut[ord(ch)] = k

    def encode(text: str) -> np.ndarray:
        return lut[np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)]

    train_ids, valid_ids = encode(train_text), encode(valid_text)
    print(f"alphabet: {len(alphabet)} classes (characters seen >= {args.min_count} times, "
          f"the rest one class; {np.mean(valid_ids == 0):.4%} of held-out chars)")

    model = build_model(torch, len(alphabet), args.hidden, args.embed)
    if args.load_model:
        load_weights(torch, model, args.load_model)
        info = {"steps": 0, "chars": 0, "seconds": 0.0, "stopped_early": False}
        print(f"loaded weights from {args.load_model}")
    else:
        info = train(torch, model, train_ids, batch=args.batch, bptt=args.bptt, lr=args.lr,
                     epochs=args.epochs, max_minutes=args.max_minutes or None, checkpoint=args.checkpoint,
                     checkpoint_minutes=args.checkpoint_minutes, resume=args.resume)
        print(f"trained {info['steps']} steps ({info['chars'] / 1e6:.1f}M chars, "
              f"{info['chars'] / len(train_ids):.2f} passes) in {info['seconds'] / 60:.1f} min"
              + (" (time budget reached)" if info["stopped_early"] else ""))
        if args.save_model:
            torch.save(model.state_dict(), args.save_model)

    bpc = evaluate(torch, model, valid_ids) / math.log(2)
    uni, big = (v / math.log(2) for v in ngram_baselines(train_ids, valid_ids, len(alphabet)))
    print(f"validation ({len(valid_ids)} held-out chars), bits/char: model {bpc:.3f}; "
          f"baselines from training counts: unigram {uni:.3f}, bigram {big:.3f}")

    lo, hi = (int(v) for v in args.doc_chars.split(":"))
    docs = pick_documents(held_texts, args.chars, lo, hi)
    tokens, anns, starts = [], {"token_type": [], "bracket_depth": [], "in_string": []}, []
    states = {k: [] for k in LAYERS}
    rec_bits, rec_n = 0.0, 0
    for rel, text, ann in docs:
        starts.append(len(tokens))
        tokens.extend(text)
        for k in anns:
            anns[k].extend(ann[k])
        ids = encode(text)
        for k, v in record_states(torch, model, ids).items():
            states[k].append(v.astype(np.float16))
        rec_bits += evaluate(torch, model, ids, batch=1) / math.log(2) * (len(ids) - 1)
        rec_n += len(ids) - 1
    states = {k: np.concatenate(v) for k, v in states.items()}
    share = np.mean(anns["in_string"])
    print(f"recorded {len(docs)} held-out files, {len(tokens)} chars ({share:.1%} inside strings), "
          f"model {rec_bits / rec_n:.3f} bits/char on them: " + ", ".join(r for r, _, _ in docs))

    description = (
        f"Character-level 2-layer LSTM language model ({args.hidden} cells per layer) trained on "
        f"{len(train_texts)} source files of the Python {sys.version_info[0]}.{sys.version_info[1]} "
        f"standard library ({info['chars'] / 1e6:.1f}M chars seen). {len(docs)} held-out files, one "
        f"document each; annotations from tokenize. Validation {bpc:.3f} bits/char (bigram "
        f"baseline {big:.3f}). Built by python -m lstmvis_dash.examples.python_source.")
    out = lv.write_dataset(args.out, tokens, states,
                           annotations={"token_type": anns["token_type"],
                                        "bracket_depth": np.asarray(anns["bracket_depth"], np.int64),
                                        "in_string": np.asarray(anns["in_string"], bool)},
                           documents=starts, transforms=TRANSFORMS, name="python_source",
                           description=description, compression="gzip")
    size = folder_size(out)
    print(f"wrote {out} ({size / 1e6:.1f} MB): layers {list(states)}, T={len(tokens)}, "
          f"{len(docs)} documents")
    return 0


if __name__ == "__main__":
    sys.exit(main())
