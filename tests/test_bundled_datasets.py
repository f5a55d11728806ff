"""The bundled datasets (datasets.yml): each opens with its annotations, they are consistent with
what their build scripts promise, and all of them fit the repository's data budget (issue 12)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lstmvis_dash as lv
from lstmvis_dash.examples.lm import folder_size

REPO = Path(__file__).resolve().parent.parent
CONFIG = lv.load_config(REPO / "datasets.yml")
BUDGET_MB = 45

ANNOTATIONS = {
    "parens": {"depth"},
    "python_source": {"token_type", "bracket_depth", "in_string"},
    "chorales": {"numeral", "phrase_end", "phrase_pos"},
    "english": {"pos", "chunk", "chunk_iob"},
}
PENN = {"CC", "CD", "DT", "EX", "FW", "IN", "JJ", "JJR", "JJS", "LS", "MD", "NN", "NNS", "NNP", "NNPS",
        "PDT", "POS", "PRP", "PRP$", "RB", "RBR", "RBS", "RP", "SYM", "TO", "UH", "VB", "VBD", "VBG",
        "VBN", "VBP", "VBZ", "WDT", "WP", "WP$", "WRB", ".", ",", ":", "(", ")", "``", "''", "#", "$",
        '"'}    # the pattern tagger tags a straight double quote '"' (Penn: `` and '')


def whole(ds, name):
    return ds.annotation(name, 0, len(ds))


@pytest.fixture(scope="module", params=CONFIG.names())
def bundled(request):
    return request.param, lv.open_dataset(request.param, config=CONFIG)


def test_each_bundled_dataset_opens_with_its_annotations(bundled):
    name, ds = bundled
    assert len(ds) > 0 and ds.layers
    assert ANNOTATIONS.get(name, set()) <= set(ds.annotations), (name, ds.annotations)
    for layer in ds.layers:
        v = ds.values(layer, 0, min(len(ds), 50))
        assert v.shape == (min(len(ds), 50), ds.dims(layer)) and np.isfinite(v).all()
    for a in ds.annotations:
        assert len(whole(ds, a)) == len(ds)


def test_chorales_annotations_agree():
    if "chorales" not in CONFIG.names():
        pytest.skip("no chorales dataset")
    ds = lv.open_dataset("chorales", config=CONFIG)
    assert whole(ds, "numeral") == ds.tokens(0, len(ds))
    end = np.asarray(whole(ds, "phrase_end"))
    pos = np.asarray(whole(ds, "phrase_pos"))
    assert end.dtype == bool and 0.03 < end.mean() < 0.4
    docs = set(np.asarray(ds.documents).tolist())
    for t in range(len(ds)):         # 0 at each chorale's start and after each phrase end, else +1
        expected = 0 if t in docs or end[t - 1] else pos[t - 1] + 1
        assert pos[t] == expected, t
    assert {"I", "V", "i"} <= set(ds.tokens(0, len(ds)))


def test_english_annotations_agree():
    if "english" not in CONFIG.names():
        pytest.skip("no english dataset")
    ds = lv.open_dataset("english", config=CONFIG)
    pos, chunk, iob = whole(ds, "pos"), whole(ds, "chunk"), whole(ds, "chunk_iob")
    assert set(pos) <= PENN, set(pos) - PENN
    assert {"NP", "VP", "PP", "O"} <= set(chunk)
    for c, b in zip(chunk, iob):
        assert c == (b[2:] if b != "O" else "O")
    assert all(b.startswith(("B-", "O")) for b, prev in zip(iob[1:], iob) if prev == "O")
    nouns = [c for p, c in zip(pos, chunk) if p in ("NN", "NNS")]
    assert nouns.count("NP") > 0.8 * len(nouns)


def test_bundled_data_fit_the_budget():
    total = sum(folder_size(e.path) for e in CONFIG.datasets if Path(e.path).is_relative_to(REPO))
    assert total <= BUDGET_MB * 1e6, f"bundled data {total / 1e6:.1f} MB > {BUDGET_MB} MB"
