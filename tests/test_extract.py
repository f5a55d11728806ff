"""lstmvis_dash.extract and the streaming writer: models in, dataset folders out, read back."""
from __future__ import annotations

import gc
import os

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash.writer import DatasetWriter

WORDS = "the cat sat on a mat and dog ran far".split()


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _fixed_mmap_threshold():
    """glibc raises its mmap threshold after large frees and then keeps freed blocks in the heap,
    which shows in RSS as memory nobody uses; a fixed threshold returns them at once."""
    import ctypes
    try:
        ctypes.CDLL("libc.so.6").mallopt(-3, 128 * 1024)      # M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        pass


class _PeakRSS:
    """Peak growth of this process's resident memory while the block runs, sampled every 2 ms."""

    def __enter__(self):
        import threading
        _fixed_mmap_threshold()
        gc.collect()
        self.before = self.peak = _rss_kb()
        self._stop = threading.Event()

        def sample():
            while not self._stop.is_set():
                self.peak = max(self.peak, _rss_kb())
                self._stop.wait(0.002)
        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_kb())
        self.growth_kb = self.peak - self.before
        return False


# ----------------------------------------------------------------------------------------------
# the writer (no torch needed)


def _random_corpus(seed=0, T=1000):
    rng = np.random.default_rng(seed)
    toks = [WORDS[i] for i in rng.integers(0, len(WORDS), T)]
    states = rng.normal(size=(T, 8)).astype(np.float32)
    annos = {"n": rng.integers(0, 4, T), "s": rng.normal(size=T).astype(np.float32),
             "l": np.array(["a", "b", "c"])[rng.integers(0, 3, T)], "b": rng.random(T) < 0.5}
    return toks, states, annos


def _h5_contents(file):
    import h5py
    out = {}
    with h5py.File(file) as f:
        out["/"] = {k: v for k, v in f.attrs.items() if k != "name"}

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = (obj[()].tolist(), dict(obj.attrs), obj.dtype.str, obj.chunks)
            else:
                out[name] = dict(obj.attrs)
        f.visititems(visit)
    return out


def test_writer_matches_write_dataset_byte_for_byte_content(tmp_path):
    toks, states, annos = _random_corpus()
    docs = list(range(0, 1000, 140))
    with DatasetWriter(tmp_path / "w", buffer_bytes=1000, progress=False) as w:
        for s in range(0, 1000, 70):
            w.add(toks[s:s + 70], {"x": states[s:s + 70], "y": states[s:s + 70, :3]},
                  annotations={k: v[s:s + 70] for k, v in annos.items()}, new_document=s % 140 == 0)
    lv.write_dataset(tmp_path / "ref", toks, {"x": states, "y": states[:, :3]}, annotations=annos,
                     documents=docs)
    assert _h5_contents(tmp_path / "w" / "dataset.h5") == _h5_contents(tmp_path / "ref" / "dataset.h5")
    assert sorted(os.listdir(tmp_path / "w")) == ["dataset.h5"]
    ds = lv.open_dataset(tmp_path / "w")
    assert ds.tokens(0, 1000) == toks
    assert ds.documents.tolist() == docs
    np.testing.assert_array_equal(ds.raw("x", 0, 1000), states)
    assert ds.annotation("l", 0, 1000) == annos["l"].tolist()
    assert ds.annotation("b", 0, 1000) == annos["b"].tolist()
    import h5py
    with h5py.File(tmp_path / "w" / "dataset.h5") as f:     # memory-mappable: contiguous float32
        d = f["states/0"]
        assert d.chunks is None and d.compression is None and d.dtype == np.dtype("<f4")
        assert d.id.get_offset() is not None


def test_writer_errors_and_abort(tmp_path):
    w = DatasetWriter(tmp_path / "a", progress=False)
    w.add(["a", "b"], {"x": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="earlier chunks had \\['x'\\]"):
        w.add(["c"], {"y": np.zeros((1, 3))})
    with pytest.raises(ValueError, match="3 cells, earlier chunks had 3|has 4 cells"):
        w.add(["c"], {"x": np.zeros((1, 4))})
    with pytest.raises(ValueError, match="has 2 rows but the chunk has 1 tokens"):
        w.add(["c"], {"x": np.zeros((2, 3))})
    w.abort()
    assert not (tmp_path / "a").exists()
    with pytest.raises(ValueError, match="no tokens were added"):
        DatasetWriter(tmp_path / "b", progress=False).close()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="refusing to overwrite"):
        DatasetWriter(tmp_path / "c")
    with pytest.raises(ValueError, match="transforms"):
        DatasetWriter(tmp_path / "d", transforms="sigmoid")
    with pytest.raises(ValueError, match="transforms names unknown layers"):
        DatasetWriter(tmp_path / "d", transforms={"q": "none"}, progress=False).add(["a"], {"x": np.zeros((1, 2))})


def test_writer_failure_keeps_existing_dataset(tmp_path):
    lv.write_dataset(tmp_path / "ds", ["a", "b"], {"x": np.ones((2, 2))})
    with pytest.raises(RuntimeError):
        with DatasetWriter(tmp_path / "ds", progress=False) as w:
            w.add(["c"], {"x": np.zeros((1, 2))})
            raise RuntimeError("model crashed")
    assert lv.open_dataset(tmp_path / "ds").tokens(0, 2) == ["a", "b"]
    assert sorted(os.listdir(tmp_path / "ds")) == ["dataset.h5"]


def test_writer_memory_bounded_on_long_input(tmp_path):
    """200k tokens x 128 cells (100 MB as float32) in chunks of 1000: RSS grows far less than that.

    What growth there is (about 15 MB) is the write buffer, the copy blocks and HDF5's own caches,
    the same for any T.
    """
    T, D, step = 200_000, 128, 1000
    full_kb = T * D * 4 // 1024
    rng = np.random.default_rng(1)
    chunk_states = rng.normal(size=(step, D)).astype(np.float32)
    with DatasetWriter(tmp_path / "warm", progress=False) as w:
        w.add(["a"] * step, {"x": chunk_states})
    with _PeakRSS() as peak:
        with DatasetWriter(tmp_path / "long", progress=False) as w:
            for s in range(0, T, step):
                w.add([WORDS[(s // step) % len(WORDS)]] * step, {"x": chunk_states + s},
                      new_document=s % 50_000 == 0)
    assert peak.growth_kb < full_kb / 4, f"RSS grew {peak.growth_kb} kB writing {full_kb} kB of states"
    ds = lv.open_dataset(tmp_path / "long")
    assert len(ds) == T and ds.documents.tolist() == [0, 50_000, 100_000, 150_000]
    np.testing.assert_array_equal(ds.raw("x", 123_000, 124_000), chunk_states + 123_000)


def test_import_without_torch():
    """`import lstmvis_dash.extract` works without torch; calling it says what to install."""
    import subprocess
    import sys
    from pathlib import Path
    code = ("import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None\n"
            "import lstmvis_dash, lstmvis_dash.extract as ex, lstmvis_dash.__main__\n"
            "try:\n    ex.extract(None, [], 'x')\nexcept ImportError as e:\n    print(e)\n")
    root = Path(__file__).resolve().parents[1]
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                         env=dict(os.environ, PYTHONPATH=str(root)))
    assert res.returncode == 0, res.stderr
    assert "needs PyTorch; install it with `pip install torch`" in res.stdout


# ----------------------------------------------------------------------------------------------
# PyTorch


class _Pieces:
    """A batch of padded sequences of different lengths, embedded, with their tokens."""

    def __init__(self, torch, lengths=(7, 3, 5, 1), seed=0, vocab=len(WORDS)):
        g = torch.Generator().manual_seed(seed)
        self.lengths = torch.tensor(lengths)
        L = max(lengths)
        self.ids = torch.zeros(len(lengths), L, dtype=torch.long)
        for i, n in enumerate(lengths):
            self.ids[i, :n] = torch.randint(0, vocab, (n,), generator=g)
        self.tokens = [[WORDS[j] for j in self.ids[i, :n].tolist()] for i, n in enumerate(lengths)]


def _rnn_model(torch, cls, batch_first):
    nn = torch.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(len(WORDS), 6)
            self.rnn = cls(6, 5, num_layers=2, batch_first=batch_first, dropout=0.3)
            self.out = nn.Linear(5, len(WORDS))

        def forward(self, ids, lengths):
            x = self.embed(ids)
            if not batch_first:
                x = x.transpose(0, 1)
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=batch_first,
                                                       enforce_sorted=False)
            y, _ = self.rnn(packed)
            y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True)
            return self.out(y)

    torch.manual_seed(0)
    return Model()


def _stepped(torch, rnn, x, n):
    """Reference: one sequence stepped through time with cells holding the module's weights."""
    nn = torch.nn
    out, inp = {}, x[:n]
    for k in range(rnn.num_layers):
        cell = (nn.LSTMCell if isinstance(rnn, nn.LSTM) else nn.GRUCell)(inp.shape[1], rnn.hidden_size)
        for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, w).data.copy_(getattr(rnn, f"{w}_l{k}"))
        h = torch.zeros(1, rnn.hidden_size)
        c = torch.zeros(1, rnn.hidden_size)
        hs, cs = [], []
        for t in range(n):
            if isinstance(rnn, nn.LSTM):
                h, c = cell(inp[t:t + 1], (h, c))
                cs.append(c[0])
            else:
                h = cell(inp[t:t + 1], h)
            hs.append(h[0])
        out[f"l{k}.h"] = torch.stack(hs)
        if cs:
            out[f"l{k}.c"] = torch.stack(cs)
        inp = out[f"l{k}.h"]
    return out


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [True, False])
def test_rnn_every_layer_every_step(tmp_path, kind, batch_first):
    torch = pytest.importorskip("torch")
    from lstmvis_dash.extract import extract
    cls = getattr(torch.nn, kind)
    model = _rnn_model(torch, cls, batch_first)
    model.train()                              # extract runs in eval mode and restores this
    b1, b2 = _Pieces(torch, (7, 3, 5, 1), seed=1), _Pieces(torch, (2, 6), seed=2)
    batches = [((b.ids, b.lengths), b.tokens, b.lengths) for b in (b1, b2)]
    out = extract(model, batches, tmp_path / "ds", layers=["rnn"], progress=False)
    assert model.training and model.rnn.training
    ds = lv.open_dataset(out)
    names = ["l0.h", "l0.c", "l1.h", "l1.c"] if kind == "LSTM" else ["l0.h", "l1.h"]
    assert ds.layers == [f"rnn.{n}" for n in names]
    seqs = b1.tokens + b2.tokens
    assert len(ds) == sum(map(len, seqs))
    assert ds.documents.tolist() == np.cumsum([0] + [len(s) for s in seqs])[:-1].tolist()
    model.eval()
    with torch.no_grad():
        for d, b in enumerate((b1, b2)):
            emb = model.embed(b.ids)
            # the module's own last-layer output for the whole padded batch
            direct = model.rnn(emb if batch_first else emb.transpose(0, 1))[0]
            direct = direct if batch_first else direct.transpose(0, 1)
            for i, toks in enumerate(b.tokens):
                k = (0 if d == 0 else len(b1.tokens)) + i
                start, stop = ds.document_bounds(int(ds.documents[k]))
                assert ds.tokens(start, stop) == toks        # each sequence a document, no pads
                ref = _stepped(torch, model.rnn, emb[i], len(toks))
                for n in names:
                    np.testing.assert_allclose(ds.raw(f"rnn.{n}", start, stop), ref[n].numpy(),
                                               rtol=1e-5, atol=1e-6)
                np.testing.assert_allclose(ds.raw("rnn.l1.h", start, stop), direct[i, :len(toks)].numpy(),
                                           rtol=1e-5, atol=1e-6)


def test_rnn_default_layers_and_final_state(tmp_path):
    """Without `layers`, every RNN in the model is recorded; the last step equals nn.LSTM's h_n, c_n."""
    torch = pytest.importorskip("torch")
    from lstmvis_dash.extract import extract
    lstm = torch.nn.LSTM(4, 3, num_layers=3, batch_first=True)
    x = torch.randn(2, 6, 4)
    lengths = torch.tensor([6, 4])
    tokens = [list("abcdef"), list("abcd")]
    out = extract(lstm, [(x, tokens, lengths)], tmp_path / "ds", transforms="none", progress=False)
    ds = lv.open_dataset(out)
    assert ds.layers == [f"lstm.l{k}.{s}" for k in range(3) for s in "hc"]
    assert all(ds.transform(layer) == "none" for layer in ds.layers)
    with torch.no_grad():
        _, (hn, cn) = lstm(x[:1])
    for k in range(3):
        np.testing.assert_allclose(ds.values(f"lstm.l{k}.h", 5, 6)[0], hn[k, 0].numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ds.values(f"lstm.l{k}.c", 5, 6)[0], cn[k, 0].numpy(), rtol=1e-5, atol=1e-6)
    assert ds.documents.tolist() == [0, 6] and ds.tokens(6, 10) == list("abcd")


def test_pad_positions_never_written(tmp_path):
    """Pads carry a token and huge values; none of either reaches the dataset, whatever the padding side."""
    torch = pytest.importorskip("torch")
    from lstmvis_dash.extract import extract
    nn = torch.nn

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(1, 2)

        def forward(self, x):
            return self.proj(x.unsqueeze(-1))

    model = Tagger()
    with torch.no_grad():
        model.proj.weight.fill_(1.0)
        model.proj.bias.zero_()
    PAD = 1e6
    # left-padded batch, positions given by a mask
    x = torch.tensor([[PAD, PAD, 1.0, 2.0], [3.0, 4.0, 5.0, 6.0], [PAD, PAD, PAD, 7.0]])
    mask = (x != PAD).long()
    tokens = [["a", "b"], ["c", "d", "e", "f"], ["g"]]
    ds = lv.open_dataset(extract(model, [{"inputs": x, "tokens": tokens, "mask": mask}], tmp_path / "l",
                                 layers={"proj": "proj"}, transforms="none", progress=False))
    np.testing.assert_array_equal(ds.raw("proj", 0, len(ds))[:, 0], [1, 2, 3, 4, 5, 6, 7])
    assert ds.tokens(0, len(ds)) == list("abcdefg") and ds.documents.tolist() == [0, 2, 6]
    # right-padded batch, positions from the token lists' lengths
    x = torch.tensor([[1.0, 2.0, PAD], [3.0, 4.0, 5.0]])
    ds = lv.open_dataset(extract(model, [(x, [["a", "b"], ["c", "d", "e"]])], tmp_path / "r",
                                 layers="proj", transforms="none", progress=False))
    assert ds.raw("proj", 0, len(ds)).max() < 100
    assert "<pad>" not in ds.vocab.tolist()


def test_hooks_on_arbitrary_module_and_stepping_cell(tmp_path):
    """A plain Linear inside a model, a module returning a tuple, and an LSTMCell called once per step."""
    torch = pytest.importorskip("torch")
    from lstmvis_dash.extract import extract
    nn = torch.nn

    class Stepper(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(len(WORDS), 4)
            self.mix = nn.Linear(4, 3)
            self.cell = nn.LSTMCell(3, 5)

        def forward(self, ids):
            x = torch.tanh(self.mix(self.embed(ids)))
            h = x.new_zeros(ids.shape[0], 5)
            c = x.new_zeros(ids.shape[0], 5)
            for t in range(ids.shape[1]):
                h, c = self.cell(x[:, t], (h, c))
            return h

    torch.manual_seed(3)
    model = Stepper()
    p = _Pieces(torch, (4, 2, 3), seed=4)
    ds = lv.open_dataset(extract(
        model, [(p.ids, p.tokens)], tmp_path / "ds",
        layers={"mix": model.mix, "h": "cell", "c": "cell"},
        select={"h": lambda out: out[0], "c": lambda out: out[1]}, progress=False))
    assert ds.layers == ["mix", "h", "c"] and ds.dims("mix") == 3 and ds.dims("c") == 5
    with torch.no_grad():
        for i, toks in enumerate(p.tokens):
            start, stop = ds.document_bounds(int(ds.documents[i]))
            ids = p.ids[i:i + 1, :len(toks)]
            mix = model.mix(model.embed(ids))[0]
            np.testing.assert_allclose(ds.raw("mix", start, stop), mix.numpy(), rtol=1e-6, atol=1e-6)
            x = torch.tanh(mix)
            h = c = torch.zeros(1, 5)
            for t in range(len(toks)):
                h, c = model.cell(x[t:t + 1], (h, c))
            np.testing.assert_allclose(ds.raw("h", stop - 1, stop), h.numpy(), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(ds.raw("c", stop - 1, stop), c.numpy(), rtol=1e-5, atol=1e-6)


def test_extract_errors(tmp_path):
    torch = pytest.importorskip("torch")
    from lstmvis_dash.extract import extract
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    x = torch.zeros(1, 3, 2)
    with pytest.raises(ValueError, match="holds no nn.LSTM"):
        extract(model, [(x, [list("abc")])], tmp_path / "a", progress=False)
    with pytest.raises(ValueError, match="no submodule 'nope'; submodules are \\['0'\\]"):
        extract(model, [(x, [list("abc")])], tmp_path / "a", layers=["nope"], progress=False)
    with pytest.raises(ValueError, match="batch 0: sequence 0 has length 2 but 3 tokens"):
        extract(model, [(x, [list("abc")], [2])], tmp_path / "a", layers=["0"], progress=False)
    with pytest.raises(ValueError, match="needs position 3 but layer '0' has only 3 time steps"):
        extract(model, [(x, [list("abcd")])], tmp_path / "a", layers=["0"], progress=False)
    with pytest.raises(ValueError, match="one list of token strings per sequence"):
        extract(model, [(x, list("abc"))], tmp_path / "a", layers=["0"], progress=False)
    with pytest.raises(ValueError, match="tokens must be strings .* got a Tensor; map ids to words first"):
        extract(model, [(x, [torch.arange(3)])], tmp_path / "a", layers=["0"], progress=False)
    with pytest.raises(ValueError, match="expected \\(inputs, tokens\\)"):
        extract(model, [x], tmp_path / "a", layers=["0"], progress=False)
    assert not (tmp_path / "a").exists()


def test_long_input_streams_with_bounded_memory(tmp_path):
    """200k tokens x 128 cells (100 MB as float32) through a model in batches of 8 x 250.

    The peak RSS growth over the whole run (sampled by a thread, after a warm-up run so that torch's
    one-time allocations do not count) stays far below the size of the states.
    """
    torch = pytest.importorskip("torch")
    from lstmvis_dash.extract import extract
    emb = torch.nn.Embedding(len(WORDS), 128)
    B, L, n = 8, 250, 100
    T, D = B * L * n, 128
    g = torch.Generator().manual_seed(0)

    def batches(count):
        for k in range(count):
            ids = torch.randint(0, len(WORDS), (B, L), generator=g)
            yield ids, [[WORDS[j] for j in row] for row in ids.tolist()]

    extract(emb, batches(2), tmp_path / "warm", layers={"emb": emb}, progress=False)
    with _PeakRSS() as peak:
        out = extract(emb, batches(n), tmp_path / "long", layers={"emb": emb}, total=n, progress=False)
    full_kb = T * D * 4 // 1024
    assert peak.growth_kb < full_kb / 4, f"RSS grew {peak.growth_kb} kB for {full_kb} kB of states"
    ds = lv.open_dataset(out)
    assert len(ds) == T and len(ds.documents) == B * n
    ids = [WORDS.index(w) for w in ds.tokens(T - 5, T)]
    np.testing.assert_allclose(ds.raw("emb", T - 5, T), emb.weight[ids].detach().numpy(), rtol=1e-6)


def test_continued_documents_and_annotations(tmp_path):
    """One long document fed in chunks with the LSTM state carried across them."""
    torch = pytest.importorskip("torch")
    from lstmvis_dash.extract import extract
    torch.manual_seed(5)
    lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
    x = torch.randn(1, 30, 3)
    state = [None]

    def forward(model, inputs):
        y, state[0] = model(inputs, state[0])
        return y

    batches = [{"inputs": x[:, s:s + 10], "tokens": [[f"t{t}" for t in range(s, s + 10)]],
                "continues": [s > 0], "annotations": {"pos": [list(range(s, s + 10))]}}
               for s in range(0, 30, 10)]
    ds = lv.open_dataset(extract(lstm, batches, tmp_path / "ds", forward=forward, progress=False))
    assert ds.documents.tolist() == [0] and len(ds) == 30
    assert ds.annotation("pos", 0, 30) == list(range(30))
    with torch.no_grad():
        from lstmvis_dash.extract import rnn_states
        whole = rnn_states(lstm, x)
    for name in ("l0.h", "l0.c", "l1.h", "l1.c"):
        np.testing.assert_allclose(ds.raw(f"lstm.{name}", 0, 30), whole[name][0].numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_rnn_states_bidirectional_packed_projection():
    torch = pytest.importorskip("torch")
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    from lstmvis_dash.extract import rnn_states
    torch.manual_seed(6)
    rnn = torch.nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True, proj_size=3)
    x = torch.randn(3, 8, 5)
    lengths = torch.tensor([8, 3, 5])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    h0, c0 = torch.randn(4, 3, 3), torch.randn(4, 3, 6)
    with torch.no_grad():
        st = rnn_states(rnn, packed, (h0, c0))
        out, (hn, cn) = rnn(packed, (h0, c0))
    out = pad_packed_sequence(out, batch_first=True)[0]
    for b, n in enumerate(lengths.tolist()):
        np.testing.assert_allclose(st["l1.h"][b, :n], out[b, :n], rtol=1e-5, atol=1e-6)
        for k in range(2):       # forward direction ends at n-1, reverse at 0
            np.testing.assert_allclose(st[f"l{k}.h"][b, n - 1, :3], hn[2 * k, b], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(st[f"l{k}.h"][b, 0, 3:], hn[2 * k + 1, b], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(st[f"l{k}.c"][b, n - 1, :6], cn[2 * k, b], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(st[f"l{k}.c"][b, 0, 6:], cn[2 * k + 1, b], rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# transformers


def _tiny_gpt2(torch, transformers):
    from tokenizers import Tokenizer, models, pre_tokenizers
    vocab = {"[PAD]": 0, "[UNK]": 1, "[BOS]": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    tk = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", unk_token="[UNK]")
    cfg = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=len(vocab), n_positions=16,
                                  bos_token_id=2, eos_token_id=2, pad_token_id=0)
    torch.manual_seed(0)
    return transformers.GPT2Model(cfg).eval(), tokenizer


def test_transformers_hidden_states(tmp_path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    from lstmvis_dash.extract import extract_transformers
    model, tokenizer = _tiny_gpt2(torch, transformers)
    texts = ["the cat sat", "a dog ran far and the cat sat on a mat", "dog", "on the mat"]
    ds = lv.open_dataset(extract_transformers(model, tokenizer, texts, tmp_path / "ds", batch_size=3,
                                              progress=False))
    assert ds.layers == ["hidden.0", "hidden.1", "hidden.2"]
    assert ds.tokens(0, len(ds)) == " ".join(texts).split()
    assert "[PAD]" not in ds.vocab.tolist()
    assert ds.documents.tolist() == [0, 3, 14, 15]
    with torch.no_grad():
        for i, text in enumerate(texts):
            enc = tokenizer(text, return_tensors="pt")
            hs = model(**enc, output_hidden_states=True).hidden_states
            start, stop = ds.document_bounds(int(ds.documents[i]))
            for k in range(3):
                np.testing.assert_allclose(ds.raw(f"hidden.{k}", start, stop), hs[k][0].numpy(),
                                           rtol=1e-4, atol=1e-5)


def test_transformers_errors_and_options(tmp_path):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("tokenizers")
    from lstmvis_dash.extract import extract_transformers
    model, tokenizer = _tiny_gpt2(torch, transformers)
    long_text = " ".join(WORDS * 2)
    with pytest.raises(ValueError, match="text 1 has 20 tokens, more than the model's 16 positions"):
        extract_transformers(model, tokenizer, ["the cat", long_text], tmp_path / "a", progress=False)
    with pytest.raises(ValueError, match="distinct indices in \\[0, 3\\)"):
        extract_transformers(model, tokenizer, ["the cat"], tmp_path / "a", layers=[3], progress=False)
    ds = lv.open_dataset(extract_transformers(model, tokenizer, ["the cat", long_text], tmp_path / "b",
                                              layers=[2], max_length=16, transforms="none", progress=False))
    assert ds.layers == ["hidden.2"] and ds.transform("hidden.2") == "none"
    assert len(ds) == 2 + 16 and ds.tokens(2, 18) == (WORDS * 2)[:16]
    ds = lv.open_dataset(extract_transformers(model, tokenizer, ["the cat mat"], tmp_path / "c", decode=True,
                                              progress=False))
    assert ds.tokens(0, 3) == ["the", "cat", "mat"]


def test_transformers_special_tokens_bert(tmp_path):
    """An encoder with [CLS]/[SEP]: kept as words by default, dropped (states too) with special_tokens=False."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    from lstmvis_dash.extract import extract_transformers
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, **{w: i + 4 for i, w in enumerate(WORDS)}}
    tk = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tk.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tk.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", unk_token="[UNK]",
                                                     cls_token="[CLS]", sep_token="[SEP]")
    cfg = transformers.BertConfig(num_hidden_layers=2, hidden_size=32, num_attention_heads=2,
                                  intermediate_size=64, vocab_size=len(vocab), max_position_embeddings=32)
    torch.manual_seed(1)
    model = transformers.BertModel(cfg).eval()
    texts = ["the cat sat", "a dog ran far and on"]
    ds = lv.open_dataset(extract_transformers(model, tokenizer, texts, tmp_path / "all", progress=False))
    assert ds.tokens(0, 5) == ["[CLS]", "the", "cat", "sat", "[SEP]"] and ds.documents.tolist() == [0, 5]
    ds = lv.open_dataset(extract_transformers(model, tokenizer, texts, tmp_path / "words", progress=False,
                                              special_tokens=False))
    assert ds.tokens(0, len(ds)) == " ".join(texts).split() and ds.documents.tolist() == [0, 3]
    with torch.no_grad():
        enc = tokenizer(texts[1], return_tensors="pt")
        hs = model(**enc, output_hidden_states=True).hidden_states
    np.testing.assert_allclose(ds.raw("hidden.2", 3, len(ds)), hs[2][0, 1:-1].numpy(), rtol=1e-4, atol=1e-5)
