"""The pieces the example builders share: a 2-layer LSTM language model over token ids, its training
by truncated BPTT, its held-out loss, n-gram baselines and the recording of its per-token states.

Used by python_source (characters), chorales (chords) and english (words). torch is passed in by
the caller, which imports it (an optional extra); numpy only here.
"""
from __future__ import annotations

import math
import time
import zlib
from pathlib import Path

import numpy as np

LAYERS = ("cell1", "hidden1", "cell2", "hidden2")
TRANSFORMS = {"cell1": "tanh", "hidden1": "none", "cell2": "tanh", "hidden2": "none"}


def build_model(torch, vocab_size: int, hidden: int, embed: int, dropout: float = 0.0):
    """Embedding, 2-layer nn.LSTM, linear read-out; `dropout` on the embeddings, between the layers
    and before the read-out while training (none in eval mode, so none in the recorded states)."""
    nn = torch.nn

    class TokenLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab_size, embed)
            self.lstm = nn.LSTM(embed, hidden, num_layers=2, batch_first=True, dropout=dropout)
            self.out = nn.Linear(hidden, vocab_size)
            self.drop = nn.Dropout(dropout)

        def forward(self, x, state=None):
            y, state = self.lstm(self.drop(self.embed(x)), state)
            return self.out(self.drop(y)), state

    return TokenLSTM()


def streams(ids: np.ndarray, batch: int) -> np.ndarray:
    """(batch, N) parallel streams cut from one id sequence."""
    n = len(ids) // batch
    return ids[: n * batch].reshape(batch, n)


def evaluate(torch, model, ids: np.ndarray, batch: int = 16, chunk: int = 500) -> float:
    """Mean -ln P(token | earlier tokens of its stream) in nats, `ids` cut into `batch` parallel
    streams (batch=1: the whole sequence read once). The first token of each stream is not scored."""
    batch = max(1, min(batch, len(ids) // 2))
    x = torch.as_tensor(streams(ids, batch), dtype=torch.long)
    total, count, state = 0.0, 0, None
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for s in range(0, x.shape[1] - 1, chunk):
            inp = x[:, s:min(s + chunk, x.shape[1] - 1)]
            tgt = x[:, s + 1:s + 1 + inp.shape[1]]
            logits, state = model(inp, state)
            nll = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                    tgt.reshape(-1), reduction="sum")
            total += float(nll)
            count += tgt.numel()
    model.train(was_training)
    return total / count


def ngram_counts(train_ids: np.ndarray, V: int) -> tuple[np.ndarray, np.ndarray]:
    """Unigram (V,) and bigram (V, V) counts of a training sequence."""
    uni = np.bincount(train_ids, minlength=V).astype(np.float64)
    big = np.zeros((V, V), np.float64)
    np.add.at(big, (train_ids[:-1], train_ids[1:]), 1)
    return uni, big


def ngram_baselines(train_ids: np.ndarray, eval_ids: np.ndarray, V: int,
                    weight: float | None = None) -> tuple[float, float]:
    """Nats per token of a unigram and a bigram model counted on the training sequence, scored on
    eval_ids[1:]. Unigram: add-one. Bigram: add-one when `weight` is None, else the maximum-likelihood
    bigram interpolated with the unigram, weight * P(w | v) + (1 - weight) * P(w) (a bigram that
    has never seen v falls back to the unigram)."""
    uni, big = ngram_counts(train_ids, V)
    p_uni = (uni + 1) / (uni.sum() + V)
    prev, nxt = eval_ids[:-1], eval_ids[1:]
    u = -np.log(p_uni[nxt]).mean()
    if weight is None:
        p_big = (big[prev, nxt] + 1) / (big[prev].sum(axis=1) + V)
    else:
        rows = big[prev].sum(axis=1)
        ml = np.divide(big[prev, nxt], rows, out=np.zeros(len(nxt)), where=rows > 0)
        w = np.where(rows > 0, weight, 0.0)
        p_big = w * ml + (1 - w) * p_uni[nxt]
    return float(u), float(-np.log(p_big).mean())


def tuned_bigram_weight(train_ids: np.ndarray, dev_ids: np.ndarray, V: int) -> float:
    """The interpolation weight of ngram_baselines with the lowest loss on a development sequence."""
    grid = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]
    return min(grid, key=lambda w: ngram_baselines(train_ids, dev_ids, V, w)[1])


def train(torch, model, ids: np.ndarray, *, batch: int, bptt: int, lr: float, epochs: int,
          max_minutes: float | None = None, checkpoint: str | None = None,
          checkpoint_minutes: float = 15.0, resume: bool = False, validate=None,
          log_every: int = 250, unit: str = "chars", log=print) -> dict:
    """Truncated BPTT over `batch` parallel streams of `ids`, the state carried across chunks (and
    so across document boundaries: the streams are the training documents concatenated).

    The learning rate follows a cosine over all `epochs` passes by step count, so a run that ends
    on its step count is the same on any machine however loaded (one thread, seeded). With
    `max_minutes`, the cosine runs on wall time instead whenever that is further along, so a run
    cut short by its time budget still ends at a low rate (but then depends on the machine).
    With `checkpoint`, the weights, the optimiser, the step and the carried state are saved there
    every `checkpoint_minutes` and at the end, so a long run can be evaluated while it runs
    (load_weights) and resumed exactly after an interruption (`resume`).
    With `validate` (model -> loss on held-out data), the loss is computed after every pass and the
    weights of the best pass are kept at the end (early stopping for small corpora).
    """
    x = torch.as_tensor(streams(ids, batch), dtype=torch.long)
    N = x.shape[1]
    steps_per_epoch = (N - 1) // bptt
    if steps_per_epoch < 1:
        raise ValueError(f"{len(ids)} training tokens are too few for {batch} streams of {bptt}")
    total = epochs * steps_per_epoch
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    step, seen, state, spent = 0, 0, None, 0.0
    if resume and checkpoint and Path(checkpoint).exists():
        ck = torch.load(checkpoint)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, seen, state, spent = ck["step"], ck["chars"], ck["state"], ck["seconds"]
        log(f"resumed from {checkpoint} at step {step} of {total}")
    t0 = last_save = time.time()

    def elapsed() -> float:
        return spent + time.time() - t0

    def save():
        if checkpoint:
            tmp = f"{checkpoint}.tmp"
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                        "chars": seen, "state": state, "seconds": elapsed(), "total_steps": total}, tmp)
            Path(tmp).replace(checkpoint)

    best = (math.inf, None, 0)          # (validation loss, weights, pass)
    history = []
    run, stopped_early = 0.0, False
    model.train()
    while step < total:
        progress = step / total
        if max_minutes is not None:
            progress = max(progress, elapsed() / (max_minutes * 60))
            if progress >= 1:
                stopped_early = True
                break
        epoch, k = divmod(step, steps_per_epoch)
        if k == 0:
            state = None
        for g in opt.param_groups:
            g["lr"] = lr * (0.03 + 0.97 * 0.5 * (1 + math.cos(math.pi * progress)))
        s = k * bptt
        inp, tgt = x[:, s:s + bptt], x[:, s + 1:s + bptt + 1]
        logits, state = model(inp, state)
        state = tuple(v.detach() for v in state)
        loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        seen += inp.numel()
        run += loss.item()
        if step % log_every == 0:
            log(f"epoch {epoch + 1} step {k + 1}/{steps_per_epoch}: train {run / log_every / math.log(2):.3f} "
                f"bits/{unit[:-1]}, lr {opt.param_groups[0]['lr']:.1e}, {seen / 1e6:.2f}M {unit} "
                f"({elapsed():.0f} s)", flush=True)
            run = 0.0
        if validate is not None and step % steps_per_epoch == 0:
            v = validate(model)
            history.append(v)
            if v < best[0]:
                best = (v, {n: t.detach().clone() for n, t in model.state_dict().items()}, epoch + 1)
            log(f"epoch {epoch + 1}: validation {v:.4f} nats/{unit[:-1]} (best {best[0]:.4f} after "
                f"pass {best[2]})", flush=True)
        if checkpoint and time.time() - last_save > checkpoint_minutes * 60:
            save()
            last_save = time.time()
    if validate is not None and step % steps_per_epoch:     # a pass cut short: score it too
        v = validate(model)
        history.append(v)
        log(f"end of training (pass {step / steps_per_epoch:.2f}): validation {v:.4f} nats/{unit[:-1]}",
            flush=True)
        if v < best[0]:
            best = (v, None, round(step / steps_per_epoch, 2))
    if best[1] is not None:
        model.load_state_dict(best[1])
    save()
    return {"steps": step, "chars": seen, "seconds": elapsed(), "stopped_early": stopped_early,
            "best_epoch": best[2], "history": history}


def load_weights(torch, model, path: str) -> None:
    """Weights saved with torch.save(model.state_dict()), or the model inside a train() checkpoint."""
    saved = torch.load(path)
    model.load_state_dict(saved["model"] if "optimizer" in saved else saved)


def record_states(torch, model, ids: np.ndarray, skip: int = 0) -> dict[str, np.ndarray]:
    """Cell and hidden states of both layers after every token of one document read from the zero
    state, the first `skip` positions (e.g. a start-of-document token) left out.

    Uses `lstmvis_dash.extract.rnn_states` (each layer re-run with its own weights); the top
    layer's hidden states are checked against nn.LSTM's own output.
    """
    from lstmvis_dash.extract import rnn_states
    x = torch.as_tensor(ids, dtype=torch.long)[None]
    model.eval()
    with torch.no_grad():
        emb = model.embed(x)
        st = rnn_states(model.lstm, emb)
        ref, _ = model.lstm(emb)
    err = float((st["l1.h"] - ref).abs().max())
    if err > 1e-4:
        raise RuntimeError(f"recorded states differ from nn.LSTM's output by {err}")
    return {"cell1": st["l0.c"][0, skip:].numpy(), "hidden1": st["l0.h"][0, skip:].numpy(),
            "cell2": st["l1.c"][0, skip:].numpy(), "hidden2": st["l1.h"][0, skip:].numpy()}


def folder_size(path) -> int:
    """Bytes of a dataset folder as shipped (its index cache left out)."""
    return sum(p.stat().st_size for p in Path(path).rglob("*")
               if p.is_file() and ".lstmvis-index" not in p.parts)


def import_torch(seed: int):
    """torch set to one thread and seeded, or None (with a message) when it is not installed."""
    try:
        import torch
    except ImportError:
        import sys
        print("this script needs PyTorch (an optional extra): pip install torch", file=sys.stderr)
        return None
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    return torch


def split_by_name(items: list, name) -> tuple[list, list, list]:
    """(train, dev, test) by a hash of each item's name(item): a tenth each for dev and test, the
    same on every machine and however the list grows."""
    part = {0: [], 1: [], 2: []}
    for item in items:
        h = zlib.crc32(name(item).encode()) % 10
        part[0 if h >= 2 else 1 + h].append(item)
    return part[0], part[1], part[2]


def vocabulary(tokens, min_count: int, specials: list[str]) -> tuple[list[str], dict[str, int]]:
    """(vocab, index): `specials` first, then the tokens seen >= min_count times, sorted."""
    counts: dict[str, int] = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    vocab = list(specials) + sorted(t for t, k in counts.items() if k >= min_count and t not in specials)
    return vocab, {t: k for k, t in enumerate(vocab)}
