"""datasets.yml (SPEC.md section 6): good files load; each error names `file:line`."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import lstmvis_dash as lv
from lstmvis_dash.config import ConfigError

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path, text, name="datasets.yml"):
    f = tmp_path / name
    f.write_text(text)
    return f


def test_good_config(tmp_path):
    (tmp_path / "abs").mkdir()
    f = write(tmp_path, f"""# the datasets
datasets:
  - name: parens                  # unique; used in the URL
    path: data/parens
    description: LSTM language model on a bracket-nesting language
  - name: other.v2_x-1
    path: {tmp_path / 'abs'}
  - name: "quoted"
    path: ../up
    description: "with: a colon"
""")
    cfg = lv.load_config(f)
    assert isinstance(cfg, lv.Config)
    assert cfg.names() == ["parens", "other.v2_x-1", "quoted"]
    e = cfg.entry("parens")
    assert Path(e.path) == (tmp_path / "data" / "parens").resolve()          # relative to the file
    assert e.description == "LSTM language model on a bracket-nesting language"
    assert Path(cfg.entry("other.v2_x-1").path) == (tmp_path / "abs").resolve()
    assert cfg.entry("other.v2_x-1").description == ""
    assert Path(cfg.entry("quoted").path) == (tmp_path.parent / "up").resolve()
    assert cfg.entry("quoted").description == "with: a colon"
    with pytest.raises(ValueError, match="nope"):
        cfg.entry("nope")


def test_config_relative_to_file_not_cwd(tmp_path, monkeypatch):
    sub = tmp_path / "conf"
    sub.mkdir()
    f = write(sub, "datasets:\n  - name: a\n    path: d\n")
    monkeypatch.chdir(tmp_path)
    cfg = lv.load_config(Path("conf") / "datasets.yml")
    assert Path(cfg.entry("a").path) == (sub / "d").resolve()
    assert lv.load_config(str(f)).names() == ["a"]


def test_repository_config_loads():
    cfg = lv.load_config(REPO / "datasets.yml")
    assert "parens" in cfg.names()
    assert Path(cfg.entry("parens").path) == (REPO / "data" / "parens").resolve()


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)
    assert lv.ConfigError is ConfigError


BAD = {
    "yaml_syntax": ("""datasets:
  - name: a
    path: x: y
""", 3),
    "yaml_tab": ("""datasets:
  - name: a
    path: x
\t- name: b
""", 4),
    "yaml_unclosed_quote": ("""datasets:
  - name: a
    path: x
    description: "never closed
""", None),
    "empty_file": ("", 1),
    "missing_datasets": ("""# no list here
sets:
  - name: a
    path: x
""", 1),
    "top_is_a_list": ("""- name: a
  path: x
""", 1),
    "not_a_list_scalar": ("""# comment

datasets: parens
""", 3),
    "not_a_list_mapping": ("""datasets:
  name: a
  path: x
""", 2),
    "empty_list": ("""datasets: []
""", 1),
    "item_not_mapping": ("""datasets:
  - name: a
    path: x
  - just a string
""", 4),
    "missing_name": ("""datasets:
  - name: a
    path: x
  - path: y
    description: no name
""", 4),
    "missing_path": ("""datasets:
  - name: a
    path: x

  - name: b
    description: no path
""", 5),
    "unknown_key": ("""datasets:
  - name: a
    path: x
    description: fine
    colour: red
""", 5),
    "unknown_key_second_item": ("""datasets:
  - name: a
    path: x
  - name: b
    path: y
    paht: z
""", 6),
    "duplicate_name": ("""datasets:
  - name: a
    path: x
  - name: b
    path: y
  - name: a
    path: z
""", 6),
    "name_with_space": ("""datasets:
  - name: a
    path: x
  - name: my data
    path: y
""", 4),
    "name_with_slash": ("""datasets:
  - name: a/b
    path: x
""", 2),
    "name_starts_with_dash": ("""datasets:
  - path: x
    name: -a
""", 3),
    "name_with_ampersand_quoted": ("""datasets:
  - name: "a&b"
    path: x
""", 2),
    "name_too_long": ("""datasets:
  - name: """ + "a" * 65 + """
    path: x
""", 2),
    "name_empty": ("""datasets:
  - name: ""
    path: x
""", 2),
    "name_is_a_list": ("""datasets:
  - name:
      - a
    path: x
""", 3),
    "path_empty": ("""datasets:
  - name: a
    path:
""", 3),
    "description_is_a_mapping": ("""datasets:
  - name: a
    path: x
    description:
      text: nested
""", 5),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config(tmp_path, case):
    text, line = BAD[case]
    f = write(tmp_path, text)
    with pytest.raises(ConfigError) as e:
        lv.load_config(f)
    msg = str(e.value)
    assert str(f) in msg
    if line is None:
        # the line the parser stopped at: at least a positive line number
        import re
        m = re.search(re.escape(str(f)) + r":(\d+)", msg)
        assert m and int(m.group(1)) >= 4, msg
    else:
        assert f"{f}:{line}:" in msg, msg


def test_missing_config_file(tmp_path):
    f = tmp_path / "nope.yml"
    with pytest.raises(ConfigError) as e:
        lv.load_config(f)
    assert str(f) in str(e.value)


def test_open_dataset_reports_config_errors(tmp_path):
    f = write(tmp_path, "datasets:\n  - name: a\n    path: x\n    bad: 1\n")
    with pytest.raises(ValueError) as e:
        lv.open_dataset("a", config=f)
    assert f"{f}:4:" in str(e.value)


def test_environment_config(tmp_path, monkeypatch):
    import numpy as np
    lv.write_dataset(tmp_path / "d", ["a", "b"], {"L": np.zeros((2, 2))})
    f = write(tmp_path, "datasets:\n  - name: envds\n    path: d\n")
    monkeypatch.setenv("LSTMVIS_CONFIG", str(f))
    monkeypatch.chdir(os.path.dirname(tmp_path))
    ds = lv.open_dataset("envds")
    assert ds.name == "envds" and len(ds) == 2
