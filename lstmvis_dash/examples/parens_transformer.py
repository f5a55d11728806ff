"""Build the bundled showcase: a small transformer LM on the parens language and an SAE on its residual stream.

    python -m lstmvis_dash.examples.parens_transformer [--out data/parens_transformer] [--seed 1]

The language and its exact best achievable loss come from `lstmvis_dash.examples.parens` (the
paper's section 6.1: matched brackets, nesting at most 4, every digit equal to the depth). Here
every sequence is a document of its own that starts at depth 0, so a causal transformer with a
finite context sees everything that fixes the next token's distribution, and the best achievable
loss is still the generator's own log-loss.

1. A causal transformer language model (pre-LayerNorm blocks, learned positions) is trained on
   such documents; its validation loss is printed beside the best achievable loss.
2. A TopK sparse autoencoder (SAE) is trained on the residual stream after one block, on
   activations of training documents; printed: the fraction of variance it leaves unexplained, its
   dead features, and the language model's loss with the residual stream replaced by the SAE's
   reconstruction.
3. A held-out set of documents is recorded with `lstmvis_dash.extract.extract`: the residual
   stream (shown through zscore) and the SAE's features (a sparse layer), with the `depth`
   annotation.

torch is an optional extra, imported only by this script. Seeded and on one thread, a run with the
defaults and torch 2.13.0 reproduces the bundled folder.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from .lm import folder_size, import_torch
from .parens import MAX_DEPTH, TOKENS, check_stream, entropy_per_state, generate, true_logprob


# ----------------------------------------------------------------------------------------------
# data: documents of the parens language, each starting at depth 0


def documents(n_docs: int, length: int, rng: np.random.Generator):
    """(ids, before, depth), each (n_docs, length): `n_docs` independent streams from depth 0."""
    parts = [generate(length, rng) for _ in range(n_docs)]
    ids, before, depth = (np.stack([p[k] for p in parts]) for k in range(3))
    for i in range(n_docs):
        check_stream(ids[i], depth[i])
    return ids, before, depth


def best_nll(ids: np.ndarray, before: np.ndarray) -> float:
    """The generator's log-loss (nats/token) on tokens 1 … L-1 of every document: the best any
    model can reach on them (token 0 has no history and is not predicted by the model either)."""
    return float(-true_logprob(ids, before)[:, 1:].mean())


# ----------------------------------------------------------------------------------------------
# the models


def build_model(torch, *, d_model: int, n_layers: int, n_heads: int, d_mlp: int, context: int):
    """A causal transformer LM whose blocks each return the residual stream after them, so that a
    forward hook on `blocks.<k>` records exactly that residual stream."""
    nn = torch.nn
    F = torch.nn.functional

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(d_model)
            self.qkv = nn.Linear(d_model, 3 * d_model)
            self.proj = nn.Linear(d_model, d_model)
            self.ln2 = nn.LayerNorm(d_model)
            self.mlp = nn.Sequential(nn.Linear(d_model, d_mlp), nn.GELU(), nn.Linear(d_mlp, d_model))

        def forward(self, x):
            B, L, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(B, L, 3, n_heads, -1).permute(2, 0, 3, 1, 4)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(a.transpose(1, 2).reshape(B, L, d_model))
            return x + self.mlp(self.ln2(x))

    class TransformerLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.context = context
            self.arch = {"d_model": d_model, "n_layers": n_layers, "n_heads": n_heads, "d_mlp": d_mlp,
                         "context": context}
            self.embed = nn.Embedding(len(TOKENS), d_model)
            self.pos = nn.Embedding(context, d_model)
            self.blocks = nn.ModuleList(Block() for _ in range(n_layers))
            self.ln_f = nn.LayerNorm(d_model)
            self.out = nn.Linear(d_model, len(TOKENS))

        def forward(self, x):
            h = self.embed(x) + self.pos.weight[: x.shape[1]]
            for block in self.blocks:
                h = block(h)
            return self.out(self.ln_f(h))

    return TransformerLM()


def build_sae(torch, d_in: int, n_features: int, k: int):
    """A TopK sparse autoencoder (Gao et al. 2024): f = TopK(ReLU(W_enc (x - b_dec) + b_enc)),
    x̂ = W_dec f + b_dec, the decoder's rows kept at unit norm."""
    nn = torch.nn

    class TopKSAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.k = k
            w = torch.randn(n_features, d_in)
            w = w / w.norm(dim=1, keepdim=True)
            self.W_dec = nn.Parameter(w.clone())                    # (F, d)
            self.W_enc = nn.Parameter(w.T.clone())                  # (d, F)
            self.b_enc = nn.Parameter(torch.zeros(n_features))
            self.b_dec = nn.Parameter(torch.zeros(d_in))

        def encode(self, x):
            pre = torch.relu((x - self.b_dec) @ self.W_enc + self.b_enc)
            top = pre.topk(self.k, dim=-1)
            return torch.zeros_like(pre).scatter_(-1, top.indices, top.values)

        def decode(self, f):
            return f @ self.W_dec + self.b_dec

        def forward(self, x):
            return self.encode(x)

        def normalise_decoder(self):
            with torch.no_grad():
                self.W_dec /= self.W_dec.norm(dim=1, keepdim=True).clamp_min(1e-8)

    return TopKSAE()


# ----------------------------------------------------------------------------------------------
# training and evaluation


def _cosine(total: int):
    return lambda s: min(1.0, (s + 1) / 100) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(s, total) / total)))


def train_lm(torch, model, ids: np.ndarray, *, steps: int, batch: int, lr: float, max_minutes: float,
             rng: np.random.Generator, log=None) -> dict:
    """AdamW on random batches of training documents (next-token cross-entropy, tokens 1 … L-1)."""
    log = log or (lambda msg: print(msg, flush=True))
    x = torch.as_tensor(ids, dtype=torch.long)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _cosine(steps))
    t0, run = time.time(), 0.0
    for step in range(steps):
        xb = x[torch.as_tensor(rng.integers(0, len(ids), batch))]
        logits = model(xb[:, :-1])
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(TOKENS)), xb[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        run += loss.item()
        if (step + 1) % 250 == 0:
            log(f"LM step {step + 1}/{steps}: train loss {run / 250:.4f} ({time.time() - t0:.0f} s)")
            run = 0.0
        if time.time() - t0 > max_minutes * 60:
            log(f"LM: time budget of {max_minutes} min reached after {step + 1} of {steps} steps")
            return {"steps": step + 1, "seconds": time.time() - t0}
    return {"steps": steps, "seconds": time.time() - t0}


def lm_nll(torch, model, ids: np.ndarray, *, replace=None, chunk: int = 256) -> float:
    """The model's mean log-loss (nats/token) on tokens 1 … L-1 of every document; `replace`
    (block index, function) swaps that block's output for function(output) — to splice in an SAE."""
    x = torch.as_tensor(ids, dtype=torch.long)
    hook = None
    if replace is not None:
        block, fn = replace
        hook = model.blocks[block].register_forward_hook(lambda m, i, o: fn(o))
    model.eval()
    total = 0.0
    try:
        with torch.no_grad():
            for s in range(0, len(ids), chunk):
                xb = x[s:s + chunk]
                logits = model(xb[:, :-1])
                total += float(torch.nn.functional.cross_entropy(
                    logits.reshape(-1, len(TOKENS)), xb[:, 1:].reshape(-1), reduction="sum"))
    finally:
        model.train()
        if hook is not None:
            hook.remove()
    return total / (ids.shape[0] * (ids.shape[1] - 1))


def residual_stream(torch, model, ids: np.ndarray, block: int, chunk: int = 256) -> np.ndarray:
    """The residual stream after `block` at every position, (n_docs * L, d_model) float32."""
    got = []
    hook = model.blocks[block].register_forward_hook(lambda m, i, o: got.append(o.detach().clone()))
    model.eval()
    try:
        with torch.no_grad():
            x = torch.as_tensor(ids, dtype=torch.long)
            for s in range(0, len(ids), chunk):
                model(x[s:s + chunk])
    finally:
        model.train()
        hook.remove()
    return torch.cat(got).reshape(-1, got[0].shape[-1]).numpy()


def train_sae(torch, sae, acts: np.ndarray, *, steps: int, batch: int, lr: float,
              rng: np.random.Generator, log=None) -> dict:
    """Adam on the reconstruction error (MSE), decoder rows renormalised after every step; b_dec
    starts at the mean activation."""
    log = log or (lambda msg: print(msg, flush=True))
    x = torch.as_tensor(acts)
    with torch.no_grad():
        sae.b_dec.copy_(x.mean(0))
    opt = torch.optim.Adam(sae.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _cosine(steps))
    t0, run = time.time(), 0.0
    for step in range(steps):
        xb = x[torch.as_tensor(rng.integers(0, len(acts), batch))]
        loss = ((sae.decode(sae.encode(xb)) - xb) ** 2).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        sae.normalise_decoder()
        run += loss.item()
        if (step + 1) % 500 == 0:
            log(f"SAE step {step + 1}/{steps}: reconstruction error {run / 500:.4f} ({time.time() - t0:.0f} s)")
            run = 0.0
    return {"steps": steps, "seconds": time.time() - t0}


def sae_quality(torch, sae, acts: np.ndarray) -> dict:
    """Fraction of variance unexplained, features never active, mean active features per token."""
    with torch.no_grad():
        x = torch.as_tensor(acts)
        f = sae.encode(x)
        err = ((sae.decode(f) - x) ** 2).sum()
        var = ((x - x.mean(0)) ** 2).sum()
        fired = (f > 0).any(0)
    return {"fvu": float(err / var), "dead": int((~fired).sum()), "l0": float((f > 0).sum(-1).float().mean())}


def record_batches(torch, ids: np.ndarray, depth: np.ndarray, batch: int = 32):
    """The recorded documents as `extract` batches: inputs, tokens and the depth annotation."""
    for s in range(0, len(ids), batch):
        chunk = ids[s:s + batch]
        yield {"inputs": torch.as_tensor(chunk, dtype=torch.long),
               "tokens": [[TOKENS[i] for i in row] for row in chunk],
               "annotations": {"depth": [[int(d) for d in row] for row in depth[s:s + batch]]}}


def record(torch, model, sae, ids: np.ndarray, depth: np.ndarray, block: int, out, *, description: str):
    """The residual stream after `block` (layer `resid`, shown through zscore) and the SAE's
    features on it (`resid.sae`, sparse), with the depth annotation, through the project's
    extraction path (the SAE is applied while extracting, by `extract(..., sae=)`)."""
    from lstmvis_dash.extract import extract
    return extract(model, lambda: record_batches(torch, ids, depth), out, layers={"resid": f"blocks.{block}"},
                   sae=sae, transforms={"resid": "zscore"}, dtype="float16", compression="gzip",
                   name="parens_transformer", description=description, progress=False)


# ----------------------------------------------------------------------------------------------
# the weights beside the recording, so that the bench (and a notebook) can run the models again

MODEL_FILE = "models.pt"


def save_models(torch, path: Path, model, sae, block: int) -> None:
    torch.save({"arch": model.arch, "model": model.state_dict(), "sae_block": int(block),
                "sae": {"n_features": sae.W_enc.shape[1], "k": sae.k, "state": sae.state_dict()}}, path)


def load_models(torch, path):
    """(model, sae, block) as save_models stored them, in eval mode."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = build_model(torch, **saved["arch"])
    model.load_state_dict(saved["model"])
    sae = build_sae(torch, saved["arch"]["d_model"], saved["sae"]["n_features"], saved["sae"]["k"])
    sae.load_state_dict(saved["sae"]["state"])
    return model.eval(), sae.eval(), int(saved["sae_block"])


# ----------------------------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lstmvis_dash.examples.parens_transformer",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="data/parens_transformer", help="dataset folder (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--length", type=int, default=128, help="tokens per document (the model's context)")
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--train-docs", type=int, default=16_000)
    ap.add_argument("--valid-docs", type=int, default=800)
    ap.add_argument("--record-docs", type=int, default=160, help="held-out documents recorded")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--max-minutes", type=float, default=60.0,
                    help="stop LM training after this long (a stopped run no longer reproduces the bundled one)")
    ap.add_argument("--sae-block", type=int, default=None, help="block whose output the SAE reads (default: the last)")
    ap.add_argument("--sae-features", type=int, default=512)
    ap.add_argument("--sae-k", type=int, default=8, help="active features per token (TopK)")
    ap.add_argument("--sae-docs", type=int, default=4000, help="training documents the SAE is trained on")
    ap.add_argument("--sae-steps", type=int, default=6000)
    ap.add_argument("--from-weights", default=None,
                    help="record with the models saved in this file (models.pt) instead of training")
    args = ap.parse_args(argv)

    torch = import_torch(args.seed)
    if torch is None:
        return 2
    rng = np.random.default_rng(args.seed)
    L = args.length
    train_ids, _, _ = documents(args.train_docs, L, rng)
    valid_ids, valid_before, _ = documents(args.valid_docs, L, rng)
    rec_ids, rec_before, rec_depth = documents(args.record_docs, L, rng)
    shares = np.bincount(rec_depth.ravel(), minlength=MAX_DEPTH + 1) / rec_depth.size
    print(f"recorded: {args.record_docs} documents of {L} tokens, depth 0..4 shares "
          + " ".join(f"{s:.3f}" for s in shares))

    block = args.layers - 1 if args.sae_block is None else args.sae_block
    if args.from_weights:
        model, sae, block = load_models(torch, args.from_weights)
        print(f"loaded the models from {args.from_weights} (not trained again)")
    else:
        model = build_model(torch, d_model=args.d_model, n_layers=args.layers, n_heads=args.heads,
                            d_mlp=4 * args.d_model, context=L)
        info = train_lm(torch, model, train_ids, steps=args.steps, batch=args.batch, lr=args.lr,
                        max_minutes=args.max_minutes, rng=rng)
        print(f"LM trained {info['steps']} steps in {info['seconds'] / 60:.1f} min", flush=True)
        acts = residual_stream(torch, model, train_ids[: args.sae_docs], block)
        sae = build_sae(torch, args.d_model, args.sae_features, args.sae_k)
        sinfo = train_sae(torch, sae, acts, steps=args.sae_steps, batch=256, lr=1e-3, rng=rng)
        print(f"SAE trained in {sinfo['seconds'] / 60:.1f} min", flush=True)
    nll, best = lm_nll(torch, model, valid_ids), best_nll(valid_ids, valid_before)
    cond_entropy = entropy_per_state()[valid_before[:, 1:]].mean()
    print(f"validation ({valid_ids.size} tokens), nats/token: model {nll:.4f}, best achievable {best:.4f} "
          f"(conditional entropy {cond_entropy:.4f}); gap {nll - best:.4f}")
    q = sae_quality(torch, sae, residual_stream(torch, model, valid_ids, block))
    spliced = lm_nll(torch, model, valid_ids, replace=(block, lambda o: sae.decode(sae.encode(o))))
    print(f"SAE on blocks.{block} ({sae.W_enc.shape[1]} features, k={sae.k}); validation: unexplained "
          f"variance {q['fvu']:.4f}, dead features {q['dead']}, LM loss with the SAE spliced in "
          f"{spliced:.4f} nats/token", flush=True)

    description = (
        f"Causal transformer language model ({len(model.blocks)} blocks, d_model {model.pos.weight.shape[1]}) "
        f"on the parenthesis language of the LSTMVis paper, section 6.1, one document per sequence "
        f"starting at depth 0, and a TopK SAE ({sae.W_enc.shape[1]} features, k={sae.k}) on the residual "
        f"stream after blocks.{block}. Held-out: {len(rec_ids)} documents of {L} tokens. Validation loss "
        f"{nll:.4f} nats/token, best achievable {best:.4f}. Built by python -m "
        f"lstmvis_dash.examples.parens_transformer --seed {args.seed}.")
    out = record(torch, model, sae, rec_ids, rec_depth, block, args.out, description=description)
    save_models(torch, Path(out) / MODEL_FILE, model, sae, block)
    print(f"wrote {out} ({folder_size(out) / 1e6:.2f} MB with the weights)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
