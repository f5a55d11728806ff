"""Preset links (issue 12): `presets:` in datasets.yml, checked with `file:line` errors."""
from __future__ import annotations

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
