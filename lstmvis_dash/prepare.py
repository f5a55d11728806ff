"""`python -m lstmvis_dash prepare NAME...`: build the engine's index of datasets ahead of time.

Opening a layer for the first time builds its index (a uint8 transposed copy, and a row copy for
compressed or chunked sources) with a progress bar; doing it here keeps that wait away from the
first user of the dashboard. An index that is up to date is left as it is.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .config import ConfigError, load_config


def run(args) -> int:
    from . import open_dataset
    try:
        config = load_config(args.config)
    except ConfigError as e:
        print(f"prepare: error: {e}", file=sys.stderr)
        return 2
    names = args.names or config.names()
    unknown = [n for n in names if n not in config.names()]
    if unknown:
        print(f"prepare: error: {unknown} not in {config.file}; datasets are {config.names()}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        started = time.monotonic()
        try:
            ds = open_dataset(name, config=config)
            for layer in ds.layers:
                ds.arrays(layer)
        except ValueError as e:
            print(f"prepare: {name}: {e}", file=sys.stderr)
            failed += 1
            continue
        print(f"{name}: {len(ds):,} tokens, {len(ds.layers)} layers ready "
              f"({time.monotonic() - started:.1f}s)")
    return 1 if failed else 0


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register `prepare` on the shared `python -m lstmvis_dash` parser."""
    default = Path(__file__).resolve().parent.parent / "datasets.yml"
    p = subparsers.add_parser("prepare", help="build the index of datasets ahead of time",
                              description=__doc__.split("\n\n", 1)[1])
    p.add_argument("names", metavar="NAME", nargs="*", help="datasets of the config (default: all)")
    p.add_argument("--config", default=str(default), help="datasets.yml (default: the one beside app.py)")
    p.set_defaults(run=run)
    return p
