"""LSTMVis-Dash server.

    python app.py [--host 127.0.0.1] [--port 8050] [--config datasets.yml] [--debug]
    gunicorn -w 4 app:server          # reads gunicorn.conf.py beside this file when started here

The config is --config, else $LSTMVIS_CONFIG, else datasets.yml beside this file. A config error
stops start-up with `file:line: reason`. For gunicorn (`gunicorn app:server`), importing this module
builds `app` and `server` from $LSTMVIS_CONFIG or datasets.yml. The other settings ($LSTMVIS_HOST,
$LSTMVIS_PORT, $LSTMVIS_LOG_LEVEL, $LSTMVIS_URL_PREFIX, $LSTMVIS_AUTH_USER/_PASSWORD,
$LSTMVIS_DEBUG) are described in lstmvis_dash/ui/server.py. No dataset is opened at import time.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from lstmvis_dash import warmup  # noqa: E402
from lstmvis_dash.config import ConfigError, load_config  # noqa: E402
from lstmvis_dash.ui import create_app  # noqa: E402
from lstmvis_dash.ui import server as deploy  # noqa: E402


def config_path(cli_value: str | None = None) -> Path:
    if cli_value:
        return Path(cli_value)
    if os.environ.get("LSTMVIS_CONFIG"):
        return Path(os.environ["LSTMVIS_CONFIG"])
    return HERE / "datasets.yml"


def build(cli_config: str | None = None, settings: deploy.Settings | None = None):
    """The Dash app for the chosen config; ConfigError (file:line: reason) when the config is bad,
    SettingsError when an environment variable is."""
    settings = settings or deploy.settings_from_env()
    config = load_config(config_path(cli_config))
    dash_app = create_app(config, **deploy.dash_kwargs(settings))
    deploy.install(dash_app, settings)
    return dash_app


def main(argv=None) -> int:
    try:
        settings = deploy.settings_from_env()
    except deploy.SettingsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(description="LSTMVis-Dash: visual analysis of RNN hidden states")
    parser.add_argument("--host", default=settings.host, help="default: $LSTMVIS_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, default=settings.port, help="default: $LSTMVIS_PORT or 8050")
    parser.add_argument("--config", default=None, help="datasets.yml (default: $LSTMVIS_CONFIG or ./datasets.yml)")
    parser.add_argument("--debug", action="store_true", default=settings.debug,
                        help="Dash dev tools and reloading (default: off unless $LSTMVIS_DEBUG=1)")
    args = parser.parse_args(argv)
    settings = dataclasses.replace(settings, host=args.host, port=args.port, debug=args.debug)
    deploy.configure_logging(settings)
    try:
        dash_app = build(args.config, settings)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    warmup.start()  # the kernels compile in the background while the datasets are opened
    for name in dash_app.registry.names:  # open each dataset once: a broken one is logged, the others serve
        dash_app.registry.error(name)
    dash_app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
else:
    try:
        _settings = deploy.settings_from_env()
        deploy.configure_logging(_settings)
        app = build(settings=_settings)
    except (ConfigError, deploy.SettingsError) as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        # exit status 4 is gunicorn's "App failed to load": the master stops instead of restarting
        # the worker for ever; for a plain `import app` it is just a failed start
        raise SystemExit(4) from None
    server = app.server
