"""Preset links (issue 12): `presets:` in datasets.yml, checked with `file:line` errors."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import pytest

import lstmvis_dash as lv
from lstmvis_dash.config import ConfigError, Preset


def write(tmp_path, text):
    f = tmp_path / "datasets.yml"
    f.write_text(text)
    return f


def test_presets_load_in_order(tmp_path):
    f = write(tmp_path, """datasets:
  - name: a
    path: x
    presets:
      - label: Cadence
        query: layer=cell2&sel=10:13&pad=0:1&threshold=0.3
      - label: Open verb phrase
        query: "?sel=4:6&annotation=chunk"
  - name: b
    path: y
""")
    cfg = lv.load_config(f)
    assert cfg.entry("a").presets == (
        Preset("Cadence", "layer=cell2&sel=10:13&pad=0:1&threshold=0.3", 5),
        Preset("Open verb phrase", "sel=4:6&annotation=chunk", 7))
    assert cfg.entry("b").presets == ()


@pytest.mark.parametrize("body, line, words", [
    ("    presets: cadence\n", 4, "must be a list"),
    ("    presets:\n      - just text\n", 5, "must be a mapping"),
    ("    presets:\n      - label: x\n", 5, "missing 'query'"),
    ("    presets:\n      - query: sel=1:2\n", 5, "missing 'label'"),
    ("    presets:\n      - label: x\n        query: sel=1:2\n        colour: red\n", 5, "unknown preset key"),
    ("    presets:\n      - label: x\n        query: dataset=other&sel=1:2\n", 6, "'dataset' is not a view key"),
    ("    presets:\n      - label: x\n        query: sel\n", 6, "not a query string"),
    ("    presets:\n      - label: ''\n        query: sel=1:2\n", 5, "non-empty"),
])
def test_bad_presets_name_the_line(tmp_path, body, line, words):
    f = write(tmp_path, "datasets:\n  - name: a\n    path: x\n" + body)
    with pytest.raises(ConfigError) as e:
        lv.load_config(f)
    assert str(e.value).startswith(f"{f}:{line}:"), str(e.value)
    assert words in str(e.value)


REPO_CONFIG = lv.load_config(Path(__file__).resolve().parent.parent / "datasets.yml")
REPO_PRESETS = [(e.name, p) for e in REPO_CONFIG.datasets for p in e.presets]


@pytest.mark.parametrize("name, preset", REPO_PRESETS, ids=[f"{n}:{p.label[:30]}" for n, p in REPO_PRESETS])
def test_repository_presets_open_a_selection(name, preset):
    """Each finding's link names a real layer, range and annotation, and its S1 (after the cells it
    excludes) is not empty: the link opens the finding's selection, not an empty view."""
    ds = lv.open_dataset(name, config=REPO_CONFIG)
    q = dict(parse_qsl(preset.query))
    assert q["layer"] in ds.layers
    a, b = (int(x) for x in q["sel"].split(":"))
    pl, pr = (int(x) for x in q.get("pad", "0:0").split(":"))
    assert 0 <= a < b <= len(ds) and 0 <= int(q.get("pos", 0)) <= a
    if "annotation" in q:
        assert q["annotation"] in ds.annotations
    s1 = lv.select(ds, q["layer"], a, b, float(q["threshold"]), pad_left=pl, pad_right=pr)
    exclude = [int(c) for c in q["exclude"].split(",")] if "exclude" in q else []
    assert set(exclude) <= set(s1.tolist())
    kept = sorted(set(s1.tolist()) - set(exclude))
    assert kept
    m = lv.match(ds, q["layer"], kept, float(q["threshold"]), pad_left=pl, pad_right=pr)
    assert len(m.table) > 0
