"""LSTMVis-Dash: look inside sequence models. `import lstmvis_dash as lv`."""
from __future__ import annotations

import os
from pathlib import Path

from .analysis import Patterns, Projection, patterns, project
from .cluster import ClusterError
from .config import Config, ConfigError, load_config
from .dataset import Dataset, open_folder
from .engine import Matches, match, select
from .notebook import show
from .shards import open_entry, open_shards
from .store import write_dataset

__all__ = ["ClusterError", "Config", "ConfigError", "Dataset", "Matches", "Patterns", "Projection", "load_config",
           "match", "open_dataset", "open_entry", "open_shards", "patterns", "project", "select", "show", "write_dataset"]
__version__ = "0.1.0"


def open_dataset(path_or_name, config=None) -> Dataset:
    """A write_dataset folder, an LSTMVis folder, or a dataset name looked up in `config`.

    `config` is a datasets.yml path or a loaded `Config`; without it, a name is looked up in
    $LSTMVIS_CONFIG when set.
    """
    if config is None and os.environ.get("LSTMVIS_CONFIG") and not Path(str(path_or_name)).exists():
        config = os.environ["LSTMVIS_CONFIG"]
    if config is not None:
        cfg = config if isinstance(config, Config) else load_config(config)
        if str(path_or_name) in cfg.names():
            return open_entry(cfg.entry(str(path_or_name)))
        if not Path(str(path_or_name)).exists():
            raise ValueError(f"dataset {path_or_name!r} is not in {cfg.file}; datasets are {cfg.names()}")
    return open_folder(Path(path_or_name))
