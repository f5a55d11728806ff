"""Record a model's per-token states while it runs and write them as a dataset folder.

Three entry points, all streaming to disk chunk by chunk through `writer.DatasetWriter` (memory is
bounded by one batch, not by the corpus), with a progress bar, ending in a folder that
`lstmvis_dash.open_dataset` reads:

* `extract(model, batches, out, layers=...)` — any PyTorch module. Forward hooks on the chosen
  submodules record their per-token outputs while the user's batches run. An `nn.LSTM` / `nn.GRU` /
  `nn.RNN` among them gives the per-time-step states of *every* layer (hidden `h` and, for an LSTM,
  cell `c`), recomputed from the module's own weights and inputs (`rnn_states`) and checked against
  the module's own output on every batch.
* `rnn_states(rnn, input, hx=None)` — those per-layer, per-step states for one call, as tensors.
* `extract_transformers(model, tokenizer, texts, out)` — a Hugging Face transformers model: every
  layer's hidden states (`output_hidden_states=True`), the tokenizer's tokens as words.

Each input sequence becomes one document; padded positions are never written (the positions of a
sequence are taken from its attention mask, its length, or the length of its token list).

torch and transformers are optional extras, imported only when these functions run.
"""
from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .progress import Progress
from .writer import DatasetWriter

__all__ = ["extract", "extract_transformers", "rnn_states"]


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("lstmvis_dash.extract needs PyTorch; install it with `pip install torch`") from None
    return torch


# ----------------------------------------------------------------------------------------------
# per-layer, per-step states of nn.LSTM / nn.GRU / nn.RNN


def _rnn_kind(rnn) -> str:
    torch = _torch()
    nn = torch.nn
    if isinstance(rnn, nn.LSTM):
        return "LSTM"
    if isinstance(rnn, nn.GRU):
        return "GRU"
    if isinstance(rnn, nn.RNN):
        return "RNN_TANH" if rnn.nonlinearity == "tanh" else "RNN_RELU"
    raise ValueError(f"rnn must be an nn.LSTM, nn.GRU or nn.RNN, got {type(rnn).__name__}")


def _reverse_time(x, lengths):
    """Each sequence's first `length` steps reversed in place ((B, L, ...) batch-first)."""
    torch = _torch()
    if lengths is None:
        return x.flip(1)
    B, L = x.shape[:2]
    t = torch.arange(L, device=x.device).unsqueeze(0).expand(B, L)
    n = lengths.to(x.device).unsqueeze(1)
    idx = torch.where(t < n, n - 1 - t, t)
    return x.gather(1, idx.view(B, L, *([1] * (x.dim() - 2))).expand_as(x))


class _SingleDirection:
    """One layer, one direction of a multi-layer RNN, as a single-layer module with the same weights."""

    def __init__(self, rnn, kind: str, layer: int, reverse: bool):
        torch = _torch()
        nn = torch.nn
        sfx = f"_l{layer}" + ("_reverse" if reverse else "")
        w_ih = getattr(rnn, "weight_ih" + sfx)
        proj = getattr(rnn, "proj_size", 0) or 0
        kw = dict(input_size=w_ih.shape[1], hidden_size=rnn.hidden_size, num_layers=1, bias=rnn.bias,
                  batch_first=True, device=w_ih.device, dtype=w_ih.dtype)
        if kind == "LSTM":
            m = nn.LSTM(proj_size=proj, **kw)
        elif kind == "GRU":
            m = nn.GRU(**kw)
        else:
            m = nn.RNN(nonlinearity="tanh" if kind == "RNN_TANH" else "relu", **kw)
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if rnn.bias else []) \
            + (["weight_hr"] if proj else [])
        with torch.no_grad():
            for n in names:
                getattr(m, n + "_l0").copy_(getattr(rnn, n + sfx))
        m.eval()
        self.module, self.kind, self.proj = m, kind, proj
        self.w_ih, self.w_hh = getattr(rnn, "weight_ih" + sfx), getattr(rnn, "weight_hh" + sfx)
        self.b = (getattr(rnn, "bias_ih" + sfx) + getattr(rnn, "bias_hh" + sfx)) if rnn.bias else None

    def __call__(self, x, h0, c0):
        """x (B, L, I) → h (B, L, H') and, for an LSTM, c (B, L, H)."""
        torch = _torch()
        if self.kind != "LSTM":
            h, _ = self.module(x, h0.unsqueeze(0))
            return h, None
        h, _ = self.module(x, (h0.unsqueeze(0), c0.unsqueeze(0)))
        # nn.LSTM gives every step's h but only the last c: rebuild c from the gates, which depend
        # on x_t and h_{t-1} only (one matrix product for all steps), then c_t = f c_{t-1} + i g.
        h_prev = torch.cat([h0.unsqueeze(1), h[:, :-1]], dim=1)
        gates = x @ self.w_ih.T + h_prev @ self.w_hh.T
        if self.b is not None:
            gates = gates + self.b
        i, f, g, _ = gates.chunk(4, dim=2)
        i, f, g = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g)
        ig = i * g
        c = torch.empty_like(ig)
        prev = c0
        for t in range(x.shape[1]):
            prev = torch.addcmul(ig[:, t], f[:, t], prev)
            c[:, t] = prev
        return h, c


class RNNStates:
    """`rnn_states` with the single-layer copies of the weights built once, for many calls."""

    def __init__(self, rnn):
        self.rnn = rnn
        self.kind = _rnn_kind(rnn)
        self.dirs = 2 if rnn.bidirectional else 1
        self.parts = [[_SingleDirection(rnn, self.kind, k, bool(d)) for d in range(self.dirs)]
                      for k in range(rnn.num_layers)]

    def names(self) -> list:
        per = ("h", "c") if self.kind == "LSTM" else ("h",)
        return [f"l{k}.{s}" for k in range(self.rnn.num_layers) for s in per]

    def __call__(self, input, hx=None):
        """(states {"l0.h": (B, L, D), "l0.c": ..., ...} batch-first, lengths (B,) or None)."""
        torch = _torch()
        from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence
        rnn = self.rnn
        unbatched = False
        if isinstance(input, PackedSequence):
            x, lengths = pad_packed_sequence(input, batch_first=True)
        else:
            x, lengths = input, None
            if x.dim() == 2:
                unbatched, x = True, x.unsqueeze(0)
            elif not rnn.batch_first:
                x = x.transpose(0, 1)
        B = x.shape[0]
        n = rnn.num_layers * self.dirs
        proj = getattr(rnn, "proj_size", 0) or 0
        hsize = proj or rnn.hidden_size
        if self.kind == "LSTM":
            h0, c0 = hx if hx is not None else (None, None)
        else:
            h0, c0 = hx, None
        if unbatched:
            h0 = h0.unsqueeze(1) if h0 is not None else None
            c0 = c0.unsqueeze(1) if c0 is not None else None
        if h0 is None:
            h0 = x.new_zeros(n, B, hsize)
        if c0 is None and self.kind == "LSTM":
            c0 = x.new_zeros(n, B, rnn.hidden_size)
        out = {}
        layer_in = x
        for k, directions in enumerate(self.parts):
            hs, cs = [], []
            for d, part in enumerate(directions):
                j = k * self.dirs + d
                xin = layer_in if d == 0 else _reverse_time(layer_in, lengths)
                h, c = part(xin, h0[j], c0[j] if c0 is not None else None)
                if d:
                    h = _reverse_time(h, lengths)
                    c = _reverse_time(c, lengths) if c is not None else None
                hs.append(h)
                cs.append(c)
            h = torch.cat(hs, dim=2) if len(hs) > 1 else hs[0]
            out[f"l{k}.h"] = h
            if self.kind == "LSTM":
                out[f"l{k}.c"] = torch.cat(cs, dim=2) if len(cs) > 1 else cs[0]
            layer_in = h                      # eval semantics: no dropout between layers
        return out, lengths


def rnn_states(rnn, input, hx=None) -> dict:
    """Every layer's per-step states of an nn.LSTM / nn.GRU / nn.RNN called as `rnn(input, hx)`.

    Returns {"l0.h": tensor (B, L, D), "l0.c": ..., "l1.h": ...} (batch-first whatever the module's
    `batch_first`; `c` only for an LSTM; a bidirectional layer has both directions concatenated as in
    the module's output). nn.LSTM returns only the last layer's outputs and the final state; here each
    layer is run as a single-layer module with the same weights, feeding the next, and an LSTM's cell
    states are rebuilt from its gates. Padded steps of a PackedSequence hold no meaningful values.
    Computed as in eval mode (no dropout between layers).
    """
    torch = _torch()
    with torch.no_grad():
        return RNNStates(rnn)(input, hx)[0]


# ----------------------------------------------------------------------------------------------
# recorders: where a batch's states come from


def _default_select(output, lid: str):
    torch = _torch()
    from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, PackedSequence):
        return pad_packed_sequence(output, batch_first=True)[0]
    if hasattr(output, "last_hidden_state") and output.last_hidden_state is not None:
        return output.last_hidden_state
    if isinstance(output, (tuple, list)) and output:
        return _default_select(output[0], lid)
    raise ValueError(f"layer {lid!r}: cannot find a tensor in the module's output ({type(output).__name__}); "
                     f"pass select={{{lid!r}: function(output) -> tensor (B, L, D)}}")


def _join_calls(calls: list, lid: str):
    """One (B, L, ...) tensor from the outputs of one or more calls of a module in a forward pass.

    A module called several times (a cell stepping through time, a layer run on chunks) has its
    outputs joined along time: (B, D) outputs are per-step and stacked (one call: one step), (B, l, ...)
    outputs are concatenated.
    """
    torch = _torch()
    if not calls:
        raise ValueError(f"layer {lid!r}: the module was not called during the forward pass")
    if all(c.dim() == 2 for c in calls):
        return torch.stack(calls, dim=1)
    if len(calls) == 1:
        return calls[0]
    try:
        return torch.cat(calls, dim=1)
    except RuntimeError as e:
        raise ValueError(f"layer {lid!r}: the module was called {len(calls)} times with outputs of shapes "
                         f"{[tuple(c.shape) for c in calls]} that cannot be joined along time ({e})") from None


class _HookRecorder:
    """The output of one submodule, through a forward hook."""

    def __init__(self, lid: str, module, select=None, batch_first: bool = True):
        self.lid, self.module, self.select, self.batch_first = lid, module, select, batch_first
        self.calls: list = []
        self.handle = None

    def ids(self) -> list:
        return [self.lid]

    def attach(self):
        def hook(_module, _args, output):
            t = self.select(output) if self.select is not None else _default_select(output, self.lid)
            torch = _torch()
            if not isinstance(t, torch.Tensor):
                raise ValueError(f"layer {self.lid!r}: select returned {type(t).__name__}, not a tensor")
            if not self.batch_first and t.dim() >= 3:
                t = t.transpose(0, 1)
            self.calls.append(t.detach())
        self.handle = self.module.register_forward_hook(hook)

    def reset(self):
        self.calls = []

    def collect(self, _output) -> dict:
        t = _join_calls(self.calls, self.lid)
        self.calls = []
        return {self.lid: t}

    def detach(self):
        if self.handle is not None:
            self.handle.remove()


class _RNNRecorder:
    """Every layer's per-step states of an nn.LSTM / nn.GRU / nn.RNN, from its inputs in each call."""

    def __init__(self, lid: str, module):
        self.lid, self.module = lid, module
        self.states = RNNStates(module)
        self.calls: list = []
        self.handles = []

    def ids(self) -> list:
        return [f"{self.lid}.{n}" for n in self.states.names()]

    def attach(self):
        pending = []

        def pre(_module, args, kwargs):
            inp = args[0] if args else kwargs.get("input")
            hx = args[1] if len(args) > 1 else kwargs.get("hx")
            pending.append((inp, hx))

        def post(_module, _args, _kwargs, output):
            inp, hx = pending.pop()
            states, lengths = self.states(inp, hx)
            if lengths is not None:           # a PackedSequence: zeros past each length, like its output
                torch = _torch()
                L = next(iter(states.values())).shape[1]
                valid = torch.arange(L).unsqueeze(0) < lengths.unsqueeze(1)
                states = {k: v * valid.unsqueeze(2).to(device=v.device, dtype=v.dtype) for k, v in states.items()}
            self._check(states, output)
            self.calls.append(states)

        self.handles = [self.module.register_forward_pre_hook(pre, with_kwargs=True),
                        self.module.register_forward_hook(post, with_kwargs=True)]

    def _check(self, states: dict, output) -> None:
        """The recomputed last layer must equal the module's own output; say so loudly if not."""
        torch = _torch()
        got = states[f"l{self.module.num_layers - 1}.h"]
        want = _default_select(output, self.lid)
        if isinstance(output[0], torch.Tensor):
            if want.dim() == 2:
                want = want.unsqueeze(0)
            elif not self.module.batch_first:
                want = want.transpose(0, 1)
        want = want.to(got.dtype)
        if got.shape != want.shape:
            raise RuntimeError(f"layer {self.lid!r}: recomputed states have shape {tuple(got.shape)}, "
                               f"the module's output {tuple(want.shape)}")
        err = float((got - want).abs().max()) if got.numel() else 0.0
        scale = float(want.abs().max()) if want.numel() else 0.0
        tol = max(1e-4, 50 * torch.finfo(got.dtype).eps) if got.is_floating_point() else 1e-4
        if err > tol * max(1.0, scale):
            raise RuntimeError(f"layer {self.lid!r}: recomputed states differ from the module's output by "
                               f"{err:.3g}; is the module a subclass with its own forward?")

    def reset(self):
        self.calls = []

    def collect(self, _output) -> dict:
        if not self.calls:
            raise ValueError(f"layer {self.lid!r}: the module was not called during the forward pass")
        out = {}
        for name in self.states.names():
            out[f"{self.lid}.{name}"] = _join_calls([c[name] for c in self.calls], self.lid)
        self.calls = []
        return out

    def detach(self):
        for h in self.handles:
            h.remove()


class _HiddenStatesRecorder:
    """Hugging Face transformers: every layer's hidden states from the model's output."""

    def __init__(self, layers: list, n: int):
        self.layers, self.n = layers, n

    def ids(self) -> list:
        return [f"hidden.{k}" for k in self.layers]

    def attach(self):
        pass

    def reset(self):
        pass

    def collect(self, output) -> dict:
        hs = getattr(output, "hidden_states", None)
        if hs is None:
            hs = getattr(output, "encoder_hidden_states", None)
        if hs is None:
            raise ValueError("the model returned no hidden_states; does it accept output_hidden_states=True?")
        if len(hs) != self.n:
            raise ValueError(f"the model returned {len(hs)} hidden states, expected {self.n}")
        return {f"hidden.{k}": hs[k] for k in self.layers}

    def detach(self):
        pass


# ----------------------------------------------------------------------------------------------
# batches


def _as_numpy(x, what: str) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x)
    except Exception:
        raise ValueError(f"{what} must be an array, a tensor or a list, got {type(x).__name__}") from None


def _parse_batch(batch, k: int) -> dict:
    """{inputs, tokens, positions: [index arrays], continues: [bool], annotations: {name: [values]}}."""
    where = f"batch {k}"
    if isinstance(batch, Mapping) and "inputs" in batch:
        b = dict(batch)
        unknown = set(b) - {"inputs", "tokens", "lengths", "mask", "continues", "annotations"}
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}; a batch dict has inputs, tokens "
                             f"and optionally lengths or mask, continues, annotations")
        if "tokens" not in b:
            raise ValueError(f"{where}: a batch dict needs 'tokens' (one list of token strings per sequence)")
    elif isinstance(batch, (tuple, list)) and len(batch) in (2, 3):
        b = {"inputs": batch[0], "tokens": batch[1]}
        if len(batch) == 3 and batch[2] is not None:
            third = _as_numpy(batch[2], f"{where}: the third item (lengths or mask)")
            b["mask" if third.ndim == 2 else "lengths"] = third
    else:
        raise ValueError(f"{where}: expected (inputs, tokens), (inputs, tokens, lengths or mask) or a dict "
                         f"with 'inputs' and 'tokens'; got {type(batch).__name__}")
    tokens = b["tokens"]
    if isinstance(tokens, str) or not hasattr(tokens, "__len__") or \
            any(isinstance(t, str) or not hasattr(t, "__len__") for t in tokens):
        raise ValueError(f"{where}: tokens must be a list with one list of token strings per sequence")
    for t in tokens:
        for w in t:
            if not isinstance(w, (str, int, np.integer)):
                raise ValueError(f"{where}: tokens must be strings (one list per sequence), got a "
                                 f"{type(w).__name__}; map ids to words first")
    tokens = [[str(w) for w in t] for t in tokens]
    B = len(tokens)
    if b.get("mask") is None and b.get("lengths") is None and isinstance(b["inputs"], Mapping) \
            and b["inputs"].get("attention_mask") is not None:
        b["mask"] = b["inputs"]["attention_mask"]
    positions = []
    if b.get("mask") is not None:
        mask = _as_numpy(b["mask"], f"{where}: mask")
        if mask.ndim != 2 or mask.shape[0] != B:
            raise ValueError(f"{where}: mask has shape {mask.shape}, expected ({B}, L) for {B} token lists")
        for i in range(B):
            pos = np.flatnonzero(mask[i])
            if len(pos) != len(tokens[i]):
                raise ValueError(f"{where}: sequence {i} has {len(pos)} positions in its mask but "
                                 f"{len(tokens[i])} tokens")
            positions.append(pos)
    elif b.get("lengths") is not None:
        lengths = _as_numpy(b["lengths"], f"{where}: lengths").reshape(-1)
        if len(lengths) != B:
            raise ValueError(f"{where}: {len(lengths)} lengths for {B} token lists")
        for i in range(B):
            if int(lengths[i]) != len(tokens[i]):
                raise ValueError(f"{where}: sequence {i} has length {int(lengths[i])} but {len(tokens[i])} tokens")
            positions.append(np.arange(len(tokens[i])))
    else:
        positions = [np.arange(len(t)) for t in tokens]
    continues = b.get("continues")
    continues = [False] * B if continues is None else [bool(c) for c in continues]
    if len(continues) != B:
        raise ValueError(f"{where}: {len(continues)} continues flags for {B} token lists")
    annotations = {}
    for name, per_seq in (b.get("annotations") or {}).items():
        if len(per_seq) != B:
            raise ValueError(f"{where}: annotation {name!r} has {len(per_seq)} lists for {B} token lists")
        for i in range(B):
            if len(per_seq[i]) != len(tokens[i]):
                raise ValueError(f"{where}: annotation {name!r} of sequence {i} has {len(per_seq[i])} values "
                                 f"for {len(tokens[i])} tokens")
        annotations[name] = per_seq
    return {"inputs": b["inputs"], "tokens": tokens, "positions": positions, "continues": continues,
            "annotations": annotations}


def _call(model, inputs):
    if isinstance(inputs, Mapping):
        return model(**inputs)
    if isinstance(inputs, tuple):
        return model(*inputs)
    return model(inputs)


class _Null:
    def write(self, _):
        pass

    def flush(self):
        pass


class SaeEncoder:
    """A dictionary (SAE) encoder applied to one layer's states while extracting (`extract(sae=...)`).

    encoder: a torch module (`module.encode(x)` when it has one, else `module(x)`; the first tensor
    of a tuple), or arrays: a mapping or tuple with W_enc (d_in, F) and b_enc (F,), and optionally
    b_dec (d_in,) (subtracted from the input first), `threshold` (F,) for JumpReLU
    (f = pre where pre > threshold, else 0) or `k` for TopK (the k largest pre-activations of each
    token, then ReLU); plain ReLU otherwise. Features come out as a scipy CSR matrix (n, F).
    """

    def __init__(self, encoder, what: str):
        torch = _torch()
        self.what = what
        self.module = encoder if isinstance(encoder, torch.nn.Module) else None
        if self.module is not None:
            return
        if isinstance(encoder, (tuple, list)) and len(encoder) == 2:
            encoder = {"W_enc": encoder[0], "b_enc": encoder[1]}
        if not isinstance(encoder, Mapping) or "W_enc" not in encoder or "b_enc" not in encoder:
            raise ValueError(f"{what} must be a torch module, or W_enc and b_enc (a mapping or a pair), "
                             f"got {type(encoder).__name__}")
        unknown = set(encoder) - {"W_enc", "b_enc", "b_dec", "threshold", "k"}
        if unknown:
            raise ValueError(f"{what}: unknown keys {sorted(unknown)}; give W_enc, b_enc, b_dec, threshold or k")
        t = lambda k: torch.as_tensor(np.asarray(encoder[k], np.float32))   # noqa: E731
        self.W, self.b = t("W_enc"), t("b_enc")
        if self.W.dim() != 2 or self.b.shape != (self.W.shape[1],):
            raise ValueError(f"{what}: W_enc must be (d_in, F) and b_enc (F,), got {tuple(self.W.shape)} "
                             f"and {tuple(self.b.shape)}")
        self.b_dec = t("b_dec") if encoder.get("b_dec") is not None else None
        if self.b_dec is not None and self.b_dec.shape != (self.W.shape[0],):
            raise ValueError(f"{what}: b_dec must be (d_in,) = ({self.W.shape[0]},), got {tuple(self.b_dec.shape)}")
        self.threshold = t("threshold") if encoder.get("threshold") is not None else None
        if self.threshold is not None and self.threshold.shape not in ((), (self.W.shape[1],)):
            raise ValueError(f"{what}: threshold must be a number or (F,), got {tuple(self.threshold.shape)}")
        self.k = encoder.get("k")
        if self.k is not None and (isinstance(self.k, bool) or not isinstance(self.k, (int, np.integer))
                                   or not 1 <= self.k <= self.W.shape[1]):
            raise ValueError(f"{what}: k must be an integer in [1, {self.W.shape[1]}], got {self.k!r}")
        if self.k is not None and self.threshold is not None:
            raise ValueError(f"{what}: give threshold (JumpReLU) or k (TopK), not both")

    def features(self, x: np.ndarray):
        """scipy CSR (n, F) float32 of the states x (n, d_in)."""
        import scipy.sparse as sp
        torch = _torch()
        xt = torch.as_tensor(np.ascontiguousarray(x, np.float32))
        if self.module is not None:
            f = self.module.encode(xt) if hasattr(self.module, "encode") else self.module(xt)
            if isinstance(f, (tuple, list)):
                f = f[0]
            if f.dim() != 2 or f.shape[0] != len(x):
                raise ValueError(f"{self.what}: the module gave features of shape {tuple(f.shape)} for "
                                 f"{len(x)} tokens; expected (tokens, F)")
            return sp.csr_matrix(f.detach().float().cpu().numpy())
        if xt.shape[1] != self.W.shape[0]:
            raise ValueError(f"{self.what}: the layer has {xt.shape[1]} cells but W_enc expects {self.W.shape[0]}")
        pre = (xt - self.b_dec if self.b_dec is not None else xt) @ self.W + self.b
        if self.threshold is not None:
            f = torch.where(pre > self.threshold, pre, torch.zeros_like(pre))
        elif self.k is not None:
            top = torch.topk(pre, int(self.k), dim=1)
            f = torch.zeros_like(pre).scatter_(1, top.indices, torch.relu(top.values))
        else:
            f = torch.relu(pre)
        return sp.csr_matrix(f.numpy())


def _encoders(sae, layer_ids: list) -> dict:
    """{layer id: SaeEncoder} from extract's `sae=`: one encoder for the only layer, or a mapping."""
    if sae is None:
        return {}
    if isinstance(sae, Mapping) and not (set(sae) & {"W_enc", "b_enc", "b_dec", "threshold", "k"}):
        unknown = set(sae) - set(layer_ids)
        if unknown:
            raise ValueError(f"sae names unknown layers {sorted(unknown)}; layers are {layer_ids}")
        return {lid: SaeEncoder(e, f"sae[{lid!r}]") for lid, e in sae.items()}
    if len(layer_ids) != 1:
        raise ValueError(f"sae: with several layers ({layer_ids}) give {{layer id: encoder}}")
    return {layer_ids[0]: SaeEncoder(sae, "sae")}


def _run(model, batches, out, recorders, *, forward, writer_kwargs, progress, total, label, extra=None,
         sae=None):
    """The shared loop: run each batch, collect (B, L, D) states, write each sequence's positions;
    sae: {layer id: SaeEncoder}, whose features go beside the layer as `<id>.sae` (sparse)."""
    torch = _torch()
    if callable(batches) and not hasattr(batches, "__iter__"):
        batches = batches()
    if total is None and hasattr(batches, "__len__"):
        total = len(batches)
    stream = sys.stderr if progress else _Null()
    bar = Progress(label, total or None, stream=stream, unit=" batches")
    modes = [(m, m.training) for m in model.modules()] if hasattr(model, "modules") else []
    shard_tokens = writer_kwargs.pop("shard_tokens", None)
    if shard_tokens:
        from .sharding import ShardWriter
        writer = ShardWriter(out, shard_tokens, progress=progress, **writer_kwargs)
    else:
        writer = DatasetWriter(out, progress=progress, **writer_kwargs)
    try:
        for r in recorders:
            r.attach()
        if hasattr(model, "eval"):
            model.eval()
        with bar, torch.no_grad():
            for k, batch in enumerate(batches):
                b = _parse_batch(batch, k)
                for r in recorders:
                    r.reset()
                output = (forward or _call)(model, b["inputs"])
                states = {}
                for r in recorders:
                    states.update(r.collect(output))
                if extra is not None:
                    extra(b, output)
                arrays = {}
                B = len(b["tokens"])
                for lid, t in states.items():
                    if t.dim() < 3 or t.shape[0] != B:
                        raise ValueError(f"batch {k}: layer {lid!r} has shape {tuple(t.shape)}, expected "
                                         f"({B}, L, D) for {B} sequences (batch first)")
                    arrays[lid] = t.detach().float().cpu().numpy().reshape(B, t.shape[1], -1)
                n_tokens = 0
                for i in range(B):
                    pos = b["positions"][i]
                    if not len(pos):
                        continue
                    for lid, a in arrays.items():
                        if pos[-1] >= a.shape[1]:
                            raise ValueError(f"batch {k}: sequence {i} needs position {int(pos[-1])} but layer "
                                             f"{lid!r} has only {a.shape[1]} time steps")
                    chunk = {lid: a[i, pos] for lid, a in arrays.items()}
                    for lid, enc in (sae or {}).items():
                        chunk[f"{lid}.sae"] = enc.features(chunk[lid])
                    writer.add(b["tokens"][i], chunk,
                               annotations={n: v[i] for n, v in b["annotations"].items()},
                               new_document=not b["continues"][i])
                    n_tokens += len(pos)
                bar.update(1, tokens=n_tokens)
        return writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        for r in recorders:
            r.detach()
        for m, training in modes:
            m.training = training


def _resolve_layers(model, layers, select) -> list:
    torch = _torch()
    nn = torch.nn
    rnn_types = (nn.LSTM, nn.GRU, nn.RNN)
    if layers is None:
        found = [(name, m) for name, m in model.named_modules() if isinstance(m, rnn_types)]
        if not found:
            raise ValueError("no layers given and the model holds no nn.LSTM, nn.GRU or nn.RNN; pass "
                             "layers={id: submodule or its name}")
        layers = {(name or type(m).__name__.lower()): m for name, m in found}
    elif isinstance(layers, (str, nn.Module)):
        layers = [layers]
    if not isinstance(layers, Mapping):
        items = {}
        for entry in layers:
            if isinstance(entry, str):
                items[entry] = entry
            elif isinstance(entry, nn.Module):
                names = [n for n, m in model.named_modules() if m is entry]
                if not names:
                    raise ValueError(f"layers: a {type(entry).__name__} that is not a submodule of the model")
                items[names[0] or type(entry).__name__.lower()] = entry
            else:
                raise ValueError(f"layers entries must be submodules or their names, got {entry!r}")
        layers = items
    select = dict(select or {})
    unknown = set(select) - set(layers)
    if unknown:
        raise ValueError(f"select names unknown layers {sorted(unknown)}; layers are {list(layers)}")
    recorders = []
    for lid, m in layers.items():
        if isinstance(m, str):
            try:
                m = model.get_submodule(m)
            except AttributeError:
                names = [n for n, _ in model.named_modules() if n][:20]
                raise ValueError(f"layers[{lid!r}]: the model has no submodule {m!r}; submodules are "
                                 f"{names}{' ...' if len(names) == 20 else ''}") from None
        if not isinstance(m, nn.Module):
            raise ValueError(f"layers[{lid!r}] must be a submodule or its name, got {type(m).__name__}")
        if type(m) in rnn_types and lid not in select:
            recorders.append(_RNNRecorder(str(lid), m))
        else:
            bf = getattr(m, "batch_first", True) if isinstance(m, rnn_types) else True
            recorders.append(_HookRecorder(str(lid), m, select.get(lid), batch_first=bf))
    return recorders


def extract(model, batches, out, *, layers=None, select=None, forward=None, name=None, description=None,
            transforms=None, dtype="float32", progress=True, total=None, sae=None, compression=None,
            shard_tokens=None) -> Path:
    """Run `batches` through `model`, record the chosen submodules per token, write a dataset folder.

    batches: an iterable (or a function returning one) of `(inputs, tokens)`,
        `(inputs, tokens, lengths_or_mask)` or dicts `{"inputs", "tokens", "lengths" | "mask",
        "continues", "annotations"}`. `tokens` has one list of token strings per sequence in the
        batch; each sequence becomes a document (or continues the last one where `continues[i]` is
        true). Its positions are where `mask[i]` is nonzero, else the first `len(tokens[i])` steps
        (`lengths[i]` must agree); a dict `inputs` with an `attention_mask` gives the mask.
        `annotations` maps a name to one list of values per sequence.
    inputs: passed as `model(**inputs)` for a dict, `model(*inputs)` for a tuple, else
        `model(inputs)`, or however `forward(model, inputs)` does it.
    layers: {id: submodule or its dotted name}, or a list of them (ids from the names); default every
        nn.LSTM / nn.GRU / nn.RNN in the model. Such an RNN gives `<id>.l<k>.h` (and `<id>.l<k>.c` for
        an LSTM) for every layer k; any other module gives `<id>`, its output (the first tensor of a
        tuple, or `select[id](output)`), batch first, trailing dimensions flattened. A module called
        several times in one forward pass has its outputs joined along time.
    transforms: "tanh" (default), "none", "zscore" or "quantile", for all layers or as
        {layer_id: ...} (a layer's SAE features, `<id>.sae`, default to "none").
    sae: a dictionary (SAE) encoder for the recorded layer (see `SaeEncoder`: a torch module, or
        W_enc, b_enc with a JumpReLU threshold or a TopK k), or {layer id: encoder}. Its features
        are written sparse beside the layer as `<id>.sae`.
    compression: None, or "gzip" for a small folder to ship.
    shard_tokens: write shards out/part-000, ... (SPEC.md section 7) instead of one folder, a new one
        at the first document start after every shard_tokens tokens; returns their list.
    The model runs in eval mode without gradients; its modes are restored afterwards.
    Returns the dataset folder.
    """
    recorders = _resolve_layers(model, layers, select)
    encoders = _encoders(sae, [lid for r in recorders for lid in r.ids()])
    return _run(model, batches, out, recorders, forward=forward, progress=progress, total=total,
                label="extracting", sae=encoders,
                writer_kwargs=dict(name=name, description=description, transforms=transforms, dtype=dtype,
                                   compression=compression, shard_tokens=shard_tokens))


def extract_transformers(model, tokenizer, texts, out, *, layers=None, batch_size=8, max_length=None,
                         special_tokens=True, decode=False, name=None, description=None, transforms=None,
                         dtype="float32", progress=True, tokenizer_kwargs=None, shard_tokens=None) -> Path:
    """Every layer's hidden states of a Hugging Face transformers model over `texts`, as a dataset.

    texts: strings (or whatever the tokenizer takes per example), one document each.
    layers: indices into `hidden_states` (0 is the embedding output, k the output of block k);
        default all. Layer ids are `hidden.<k>`.
    Words are the tokenizer's tokens (`convert_ids_to_tokens`, e.g. "Ġcat" for GPT-2), or with
        decode=True each token's text (`decode([id])`, e.g. " cat"); special tokens ([CLS], <s>, ...)
        are kept unless special_tokens=False. Pads are never written.
    max_length: truncate each text to this many tokens (default: no truncation; a text longer than
        the model's positions is an error naming it).
    """
    _torch()
    n_hidden = None
    cfg = getattr(model, "config", None)
    for attr in ("num_hidden_layers", "n_layer", "num_layers"):
        if cfg is not None and isinstance(getattr(cfg, attr, None), int):
            n_hidden = getattr(cfg, attr) + 1
            break
    max_pos = None
    for attr in ("max_position_embeddings", "n_positions"):
        if cfg is not None and isinstance(getattr(cfg, attr, None), int):
            max_pos = getattr(cfg, attr)
            break
    if n_hidden is None:
        raise ValueError("cannot tell the model's number of layers from its config; is it a transformers model?")
    if layers is None:
        layers = list(range(n_hidden))
    layers = [int(k) for k in layers]
    bad = [k for k in layers if not 0 <= k < n_hidden]
    if bad or len(set(layers)) != len(layers):
        raise ValueError(f"layers {layers} must be distinct indices in [0, {n_hidden}) (0 is the embeddings)")
    if tokenizer.pad_token is None:
        raise ValueError("the tokenizer has no pad token; set one (e.g. tokenizer.pad_token = "
                         "tokenizer.eos_token) to batch texts")
    kw = dict(tokenizer_kwargs or {})
    device = next(model.parameters()).device

    def batches():
        buf, done = [], 0

        def encode(chunk, first):
            enc = tokenizer(chunk, padding=True, truncation=max_length is not None, max_length=max_length,
                            return_tensors="pt", return_special_tokens_mask=True, **kw)
            special = enc.pop("special_tokens_mask").numpy().astype(bool)
            mask = enc["attention_mask"].numpy().astype(bool)
            if max_pos is not None and enc["input_ids"].shape[1] > max_pos:
                lens = mask.sum(1)
                i = int(np.argmax(lens))
                raise ValueError(f"text {first + i} has {int(lens[i])} tokens, more than the model's {max_pos} "
                                 f"positions; pass max_length= to truncate")
            keep = mask & ~special if not special_tokens else mask
            ids = enc["input_ids"].numpy()
            if decode:
                tokens = [[tokenizer.decode([t]) for t in ids[i][keep[i]].tolist()] for i in range(len(chunk))]
            else:
                tokens = [tokenizer.convert_ids_to_tokens(ids[i][keep[i]].tolist()) for i in range(len(chunk))]
            inputs = {k: v.to(device) for k, v in enc.items()}
            return {"inputs": inputs, "tokens": tokens, "mask": keep}

        for text in texts:
            buf.append(text)
            if len(buf) == batch_size:
                yield encode(buf, done)
                done += len(buf)
                buf = []
        if buf:
            yield encode(buf, done)

    total = None
    if hasattr(texts, "__len__"):
        total = -(-len(texts) // batch_size)

    def forward(m, inputs):
        return m(**inputs, output_hidden_states=True)

    return _run(model, batches(), out, [_HiddenStatesRecorder(layers, n_hidden)], forward=forward,
                progress=progress, total=total, label="extracting",
                writer_kwargs=dict(name=name, description=description, transforms=transforms, dtype=dtype,
                                   shard_tokens=shard_tokens))
