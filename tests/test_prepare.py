"""`python -m lstmvis_dash prepare`: indexes built ahead of time, errors reported per dataset."""
import numpy as np

import lstmvis_dash as lv
from lstmvis_dash.__main__ import main


def _config(tmp_path, extra=""):
    rng = np.random.default_rng(0)
    lv.write_dataset(tmp_path / "good", list("abcdefghij"), {"L": rng.normal(size=(10, 4))})
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "dataset.h5").write_bytes(b"not hdf5")
    cfg = tmp_path / "datasets.yml"
    cfg.write_text("datasets:\n  - name: good\n    path: good\n" + extra)
    return cfg


def test_prepare_builds_the_index(tmp_path, capsys):
    cfg = _config(tmp_path)
    assert main(["prepare", "--config", str(cfg)]) == 0
    assert list((tmp_path / "good" / ".lstmvis-index").glob("codes-*.npy"))
    assert "good: 10 tokens, 1 layers ready" in capsys.readouterr().out
    # a second run finds the index up to date and still succeeds
    assert main(["prepare", "--config", str(cfg), "good"]) == 0


def test_prepare_reports_unknown_and_broken_datasets(tmp_path, capsys):
    cfg = _config(tmp_path, "  - name: broken\n    path: broken\n")
    assert main(["prepare", "--config", str(cfg), "nope"]) == 2
    assert "['nope'] not in" in capsys.readouterr().err
    assert main(["prepare", "--config", str(cfg)]) == 1
    captured = capsys.readouterr()
    assert "good: 10 tokens" in captured.out
    assert "prepare: broken:" in captured.err and "dataset.h5" in captured.err


def test_prepare_reports_a_config_error(tmp_path, capsys):
    cfg = tmp_path / "datasets.yml"
    cfg.write_text("datasets: [\n")
    assert main(["prepare", "--config", str(cfg)]) == 2
    assert f"{cfg}:" in capsys.readouterr().err


def test_prepare_compiles_the_kernels(tmp_path, capsys, monkeypatch):
    """So that the first user action after an install waits for no compiler (the warm-up itself is
    tested in test_warmup.py)."""
    from lstmvis_dash import warmup
    calls = []
    monkeypatch.setattr(warmup, "run", lambda: calls.append(1) or 1.5)
    assert main(["prepare", "--config", str(_config(tmp_path))]) == 0
    assert calls == [1]
    assert "engine kernels compiled (1.5s)" in capsys.readouterr().out
