"""LSTMVis-Dash server.

    python app.py [--host 127.0.0.1] [--port 8050] [--config datasets.yml] [--debug]

The config is --config, else $LSTMVIS_CONFIG, else datasets.yml beside this file. A config error
stops start-up with `file:line: reason`. For gunicorn (`gunicorn app:server`), importing this module
builds `app` and `server` from $LSTMVIS_CONFIG or datasets.yml.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from lstmvis_dash.config import ConfigError, load_config  # noqa: E402
from lstmvis_dash.ui import create_app  # noqa: E402


def config_path(cli_value: str | None = None) -> Path:
    if cli_value:
        return Path(cli_value)
    if os.environ.get("LSTMVIS_CONFIG"):
        return Path(os.environ["LSTMVIS_CONFIG"])
    return HERE / "datasets.yml"


def build(cli_config: str | None = None):
    """The Dash app for the chosen config; ConfigError (file:line: reason) when the config is bad."""
    config = load_config(config_path(cli_config))
    return create_app(config)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="LSTMVis-Dash: visual analysis of RNN hidden states")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--config", default=None, help="datasets.yml (default: $LSTMVIS_CONFIG or ./datasets.yml)")
    parser.add_argument("--debug", action="store_true", help="Dash dev tools and reloading")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        dash_app = build(args.config)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for name in dash_app.registry.names:  # open each dataset once: a broken one is logged, the others serve
        dash_app.registry.error(name)
    dash_app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
else:
    try:
        app = build()
    except ConfigError as e:
        raise SystemExit(f"error: {e}") from None
    server = app.server
