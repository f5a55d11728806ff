"""Build the bundled demo dataset: an LSTM language model on the parenthesis language of the paper.

    python -m lstmvis_dash.examples.parens [--out data/parens] [--seed 1] [--epochs 3]

LSTMVis paper (Strobelt et al., VIS 2017), section 6.1: alphabet ``( ) 0 1 2 3 4``, matched
parentheses, nesting at most 4 levels, every digit equal to the nesting depth at its position.

The generator is a Markov chain on the current depth d: the next token is "(" (only if d < 4),
")" (only if d > 0) or the digit d, with the probabilities of ``PROBS[d]``. The history determines d,
so the exact conditional distribution of the next token given the whole history is ``PROBS[d]``;
that gives the best achievable loss of any language model on a stream exactly.

The script trains a 2-layer LSTM language model (PyTorch, CPU, one thread), prints its validation
loss beside that best achievable loss, then records cell and hidden states of both layers at
every step of a held-out stream and writes them with `lstmvis_dash.write_dataset`.

torch is an optional extra, imported only by this script. The bundled data/parens was built with
``pip install torch==2.13.0`` (CPU) and the defaults; with that version the run reproduces it
byte for byte (seeded, one thread).
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

TOKENS = ["(", ")", "0", "1", "2", "3", "4"]
OPEN, CLOSE = 0, 1          # token ids; the digit d has id 2 + d
MAX_DEPTH = 4
# PROBS[d] = (P(open), P(close), P(digit d)) given current depth d. Below depth 4 opening is at
# least as likely as closing, so deep nesting is common: tokens at depth 0..4 are about
# 8% / 15% / 20% / 26% / 31% of a long stream.
PROBS = np.array([
    [0.40, 0.00, 0.60],
    [0.40, 0.30, 0.30],
    [0.40, 0.30, 0.30],
    [0.35, 0.35, 0.30],
    [0.00, 0.40, 0.60],
])


# ----------------------------------------------------------------------------------------------
# the language


def generate(n: int, rng: np.random.Generator, depth: int = 0):
    """A stream of n tokens starting at `depth`.

    Returns (ids, before, annotation): token ids, the depth before each token (the generator's
    state, which fixes the next-token distribution), and the depth annotation of each token in
    the convention of the original LSTMVis sample: "(" carries the depth after opening, ")" the
    depth before closing, a digit the current depth — i.e. max(depth before, depth after).
    """
    u = rng.random(n)
    cum = np.cumsum(PROBS, axis=1)
    ids = np.empty(n, dtype=np.int64)
    before = np.empty(n, dtype=np.int64)
    d = depth
    for t in range(n):
        before[t] = d
        r = u[t]
        if r < cum[d, 0]:
            ids[t] = OPEN
            d += 1
        elif r < cum[d, 1]:
            ids[t] = CLOSE
            d -= 1
        else:
            ids[t] = 2 + d
    after = before + (ids == OPEN) - (ids == CLOSE)
    return ids, before, np.maximum(before, after)


def true_logprob(ids: np.ndarray, before: np.ndarray) -> np.ndarray:
    """log P(token | history) under the generator, for every token of a stream."""
    kind = np.where(ids == OPEN, 0, np.where(ids == CLOSE, 1, 2))
    return np.log(PROBS[before, kind])


def entropy_per_state() -> np.ndarray:
    """H(next token | depth d) in nats, for d = 0..4."""
    p = np.where(PROBS > 0, PROBS, 1.0)
    return -(PROBS * np.log(p)).sum(axis=1)


def check_stream(ids: np.ndarray, annotation: np.ndarray) -> None:
    """Assert the language's rules on a generated stream (a cheap self-test of `generate`)."""
    depth = np.cumsum((ids == OPEN).astype(int) - (ids == CLOSE))
    assert depth.min() >= 0 and depth.max() <= MAX_DEPTH
    digits = ids >= 2
    assert np.all(ids[digits] - 2 == depth[digits]), "a digit differs from its depth"
    assert np.all(annotation[digits] == depth[digits])
    assert np.all(annotation[ids == OPEN] == depth[ids == OPEN])
    assert np.all(annotation[ids == CLOSE] == depth[ids == CLOSE] + 1)


# ----------------------------------------------------------------------------------------------
# the model


def build_model(torch, hidden: int, embed: int):
    nn = torch.nn

    class LSTMLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(len(TOKENS), embed)
            self.lstm = nn.LSTM(embed, hidden, num_layers=2, batch_first=True)
            self.out = nn.Linear(hidden, len(TOKENS))

        def forward(self, x, state=None):
            y, state = self.lstm(self.embed(x), state)
            return self.out(y), state

    return LSTMLM()


def evaluate(torch, model, ids: np.ndarray, chunk: int = 2000) -> np.ndarray:
    """log P(token t | tokens < t) the model gives tokens 1 … n-1 of one stream, read left to right.

    Token 0 has no history (training never predicts it either), so it is left out.
    """
    x = torch.as_tensor(ids, dtype=torch.long)[None]
    logps, state = [], None
    model.eval()
    with torch.no_grad():
        for s in range(0, len(ids) - 1, chunk):
            logits, state = model(x[:, s:s + chunk][:, :len(ids) - 1 - s], state)
            tgt = x[:, s + 1:s + 1 + logits.shape[1]]
            logps.append(torch.log_softmax(logits, -1).gather(-1, tgt[..., None])[0, :, 0])
    model.train()
    return torch.cat(logps).numpy().astype(np.float64)


def record_states(torch, model, ids: np.ndarray) -> dict:
    """Cell and hidden state of both layers after every token, by stepping through time.

    nn.LSTM returns only the last layer's outputs and the final state, so each layer is re-run
    step by step with its own weights; the second layer's hidden states are checked against
    nn.LSTM's outputs.
    """
    lstm = model.lstm
    x = torch.as_tensor(ids, dtype=torch.long)
    out = {}
    with torch.no_grad():
        inp = model.embed(x)
        for layer in range(lstm.num_layers):
            w_ih = getattr(lstm, f"weight_ih_l{layer}")
            w_hh = getattr(lstm, f"weight_hh_l{layer}")
            b = getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")
            pre = inp @ w_ih.T + b                      # (T, 4H), input part of all gates
            H = lstm.hidden_size
            h = torch.zeros(H)
            c = torch.zeros(H)
            hs = torch.empty(len(ids), H)
            cs = torch.empty(len(ids), H)
            w_hh_t = w_hh.T.contiguous()
            for t in range(len(ids)):
                g = pre[t] + h @ w_hh_t
                i, f, gg, o = g.split(H)                # PyTorch gate order: input, forget, cell, output
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
                h = torch.sigmoid(o) * torch.tanh(c)
                hs[t] = h
                cs[t] = c
            out[f"cell{layer + 1}"] = cs.numpy()
            out[f"hidden{layer + 1}"] = hs.numpy()
            inp = hs
        ref, _ = lstm(model.embed(x)[None])
        err = float((ref[0] - hs).abs().max())
    if err > 1e-4:
        raise RuntimeError(f"stepped states differ from nn.LSTM's by {err}")
    return {k: out[k] for k in ("cell1", "hidden1", "cell2", "hidden2")}


def train(torch, model, ids: np.ndarray, *, epochs: int, bptt: int, lr: float,
          max_minutes: float, log=print) -> dict:
    """Truncated BPTT over `ids` (B, N): B parallel streams, the state carried across chunks."""
    B, N = ids.shape
    x = torch.as_tensor(ids, dtype=torch.long)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = (N - 1) // bptt
    total = epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(k, total) / total)))
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.time()
    step = 0
    stopped_early = False
    for epoch in range(epochs):
        state = None
        run = 0.0
        for k in range(steps_per_epoch):
            s = k * bptt
            inp, tgt = x[:, s:s + bptt], x[:, s + 1:s + bptt + 1]
            logits, state = model(inp, state)
            state = tuple(v.detach() for v in state)
            loss = loss_fn(logits.reshape(-1, len(TOKENS)), tgt.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            run += loss.item()
            if (k + 1) % 200 == 0:
                log(f"epoch {epoch + 1} step {k + 1}/{steps_per_epoch}: train loss {run / 200:.4f} "
                    f"lr {sched.get_last_lr()[0]:.2e} ({time.time() - t0:.0f} s)")
                run = 0.0
            if time.time() - t0 > max_minutes * 60:
                stopped_early = True
                break
        if stopped_early:
            log(f"time budget of {max_minutes} min reached after {step} of {total} steps")
            break
    return {"steps": step, "total_steps": total, "seconds": time.time() - t0,
            "stopped_early": stopped_early}


def depth4_match_share(lv, ds, layer: str, start: int, stop: int, threshold: float, top: int = 50):
    """Select start:stop in `layer`, match the selection, and return (|S1|, share of the positions
    covered by the top matches whose depth annotation is 4)."""
    cells = lv.select(ds, layer, start, stop, threshold)
    table = lv.match(ds, layer, cells, threshold, top=top).table
    depth = np.asarray(ds.annotation("depth", 0, len(ds)))
    pos = [t for a, b in zip(table["start"], table["stop"]) for t in range(a, b)]
    return len(cells), float(np.mean(depth[pos] == 4)) if pos else float("nan")


# ----------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lstmvis_dash.examples.parens",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/parens", help="dataset folder to write (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=3, help="passes over the training streams")
    ap.add_argument("--hidden", type=int, default=100, help="cells per layer")
    ap.add_argument("--embed", type=int, default=16)
    ap.add_argument("--batch", type=int, default=32, help="parallel training streams")
    ap.add_argument("--train-tokens", type=int, default=2_000_000, help="training tokens in all")
    ap.add_argument("--bptt", type=int, default=100, help="truncated BPTT length")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--valid-tokens", type=int, default=100_000)
    ap.add_argument("--tokens", type=int, default=20_000, help="tokens recorded into the dataset")
    ap.add_argument("--max-minutes", type=float, default=15.0, help="stop training after this long")
    args = ap.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("this script needs PyTorch (an optional extra): pip install torch==2.13.0", file=sys.stderr)
        return 2
    import lstmvis_dash as lv

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    per_stream = args.train_tokens // args.batch
    train_ids = np.stack([generate(per_stream, rng)[0] for _ in range(args.batch)])
    valid_ids, valid_before, _ = generate(args.valid_tokens, rng)
    ids, before, depth = generate(args.tokens, rng)
    check_stream(ids, depth)
    counts = np.bincount(depth, minlength=MAX_DEPTH + 1) / len(depth)
    print(f"recorded stream: {len(ids)} tokens, depth 0..4 shares "
          + " ".join(f"{c:.3f}" for c in counts))

    model = build_model(torch, args.hidden, args.embed)
    info = train(torch, model, train_ids, epochs=args.epochs, bptt=args.bptt, lr=args.lr,
                 max_minutes=args.max_minutes)
    print(f"trained {info['steps']} steps ({info['steps'] * args.bptt * args.batch} tokens) "
          f"in {info['seconds'] / 60:.1f} min")

    model_nll = -evaluate(torch, model, valid_ids).mean()
    true_nll = -true_logprob(valid_ids, valid_before)[1:].mean()
    cond_entropy = entropy_per_state()[valid_before[1:]].mean()
    print(f"validation ({len(valid_ids)} tokens), nats/token: model {model_nll:.4f}, "
          f"best achievable {true_nll:.4f} (the generator's exact log-loss on this stream; "
          f"its conditional entropy averaged over the stream is {cond_entropy:.4f}); "
          f"gap {model_nll - true_nll:.4f}")
    rec_nll = -evaluate(torch, model, ids).mean()
    rec_true = -true_logprob(ids, before)[1:].mean()
    print(f"recorded stream: model {rec_nll:.4f}, best achievable {rec_true:.4f} nats/token")

    states = record_states(torch, model, ids)
    transforms = {"cell1": "tanh", "hidden1": "none", "cell2": "tanh", "hidden2": "none"}
    description = (
        f"2-layer LSTM language model ({args.hidden} cells per layer) trained on the parenthesis "
        f"language of the LSTMVis paper, section 6.1 (nesting at most 4, digits = depth). "
        f"Held-out stream of {len(ids)} tokens. Validation loss {model_nll:.4f} nats/token, "
        f"best achievable {true_nll:.4f}. Built by python -m lstmvis_dash.examples.parens "
        f"--seed {args.seed} --epochs {args.epochs}.")
    out = lv.write_dataset(args.out, [TOKENS[i] for i in ids],
                           {k: v.astype(np.float16) for k, v in states.items()},
                           annotations={"depth": [int(d) for d in depth]},
                           transforms=transforms, name="parens", description=description,
                           compression="gzip")
    size = sum(p.stat().st_size for p in Path(out).rglob("*") if p.is_file())
    print(f"wrote {out} ({size / 1e6:.1f} MB): layers {list(states)}, T={len(ids)}")

    # the hypothesis of the paper's section 6.1: select a depth-4 phrase "( 4 4", match it
    ds = lv.open_dataset(out)
    text = " ".join(TOKENS[i] for i in ids)
    a = text.index("( 4 4 ") // 2
    for layer in ds.layers:
        n, share = depth4_match_share(lv, ds, layer, a, a + 3, 0.3)
        print(f"select {layer} {a}:{a + 3} '( 4 4' at threshold 0.3: |S1| = {n}, "
              f"{share:.0%} of the positions in the top 50 matches are at depth 4", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
