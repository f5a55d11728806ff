"""Deployment: settings from the environment, `/health`, optional HTTP basic auth, and a guard that
keeps malformed callback requests from reaching Dash.

Environment (all optional):

    LSTMVIS_CONFIG         datasets.yml to serve (default: the one beside app.py)
    LSTMVIS_HOST           address to bind (default 127.0.0.1; `python app.py` and gunicorn.conf.py)
    LSTMVIS_PORT           port (default 8050)
    LSTMVIS_LOG_LEVEL      DEBUG, INFO (default), WARNING, ERROR
    LSTMVIS_URL_PREFIX     serve under a path, e.g. /lstmvis/ behind a reverse proxy that keeps the path
    LSTMVIS_AUTH_USER      with LSTMVIS_AUTH_PASSWORD: HTTP basic auth on every route
    LSTMVIS_AUTH_PASSWORD
    LSTMVIS_DEBUG          1 turns on Dash's debug mode (never in production)

Each serving process compiles the engine's kernels in the background at its first request (warmup.py;
gunicorn.conf.py starts it once the worker has loaded the app, `python app.py` at start-up).

`/health` (and `<prefix>health`) answers JSON with each dataset's state, HTTP 200 when all are ok and
503 otherwise. It opens datasets only when it is asked, in the worker that answers, never at import
time, so nothing HDF5 is open when gunicorn forks its workers.
"""
from __future__ import annotations

import base64
import hmac
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .. import warmup

log = logging.getLogger("lstmvis_dash.ui")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRUE = ("1", "true", "yes", "on")
FALSE = ("", "0", "false", "no", "off")
CALLBACK_ROUTE = "_dash-update-component"


class SettingsError(ValueError):
    """An environment variable with a value that cannot be used; the message names it."""


@dataclass(frozen=True)
class Settings:
    config: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8050
    log_level: str = "INFO"
    url_prefix: str = "/"
    auth_user: str | None = None
    auth_password: str | None = None
    debug: bool = False

    @property
    def auth(self) -> bool:
        return self.auth_user is not None


def normalize_prefix(value: str) -> str:
    """'lstmvis' / '/lstmvis' / '/lstmvis/' -> '/lstmvis/'; '' or '/' -> '/'."""
    value = (value or "").strip()
    parts = [p for p in value.split("/") if p]
    for p in parts:
        if p in (".", "..") or not all(ch.isalnum() or ch in "-_.~" for ch in p):
            raise SettingsError(f"LSTMVIS_URL_PREFIX={value!r}: use a path of letters, digits, '-', '_', '.', "
                                "e.g. /lstmvis/")
    return "/" + "".join(p + "/" for p in parts)


def settings_from_env(environ=None) -> Settings:
    env = os.environ if environ is None else environ
    config = env.get("LSTMVIS_CONFIG") or None
    port_text = env.get("LSTMVIS_PORT", "").strip()
    port = 8050
    if port_text:
        try:
            port = int(port_text)
        except ValueError:
            port = -1
        if not 0 < port < 65536:
            raise SettingsError(f"LSTMVIS_PORT={port_text!r} is not a port number (1..65535)")
    level = (env.get("LSTMVIS_LOG_LEVEL") or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LSTMVIS_LOG_LEVEL={level!r}: use one of {', '.join(LOG_LEVELS)}")
    user, password = env.get("LSTMVIS_AUTH_USER") or None, env.get("LSTMVIS_AUTH_PASSWORD") or None
    if (user is None) != (password is None):
        raise SettingsError("set both LSTMVIS_AUTH_USER and LSTMVIS_AUTH_PASSWORD for basic auth, or neither")
    if user is not None and ":" in user:
        raise SettingsError("LSTMVIS_AUTH_USER must not contain ':'")
    debug_text = (env.get("LSTMVIS_DEBUG") or "").strip().lower()
    if debug_text not in TRUE + FALSE:
        raise SettingsError(f"LSTMVIS_DEBUG={debug_text!r}: use 1 or 0")
    return Settings(config=Path(config) if config else None,
                    host=(env.get("LSTMVIS_HOST") or "127.0.0.1").strip(), port=port, log_level=level,
                    url_prefix=normalize_prefix(env.get("LSTMVIS_URL_PREFIX", "")),
                    auth_user=user, auth_password=password, debug=debug_text in TRUE)


def dash_kwargs(settings: Settings) -> dict:
    """Keyword arguments for dash.Dash (through create_app) that follow the settings."""
    return {"url_base_pathname": settings.url_prefix} if settings.url_prefix != "/" else {}


def configure_logging(settings: Settings) -> None:
    """The level for our loggers; a handler on the root logger only when nobody (gunicorn) set one up."""
    level = getattr(logging, settings.log_level)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("lstmvis_dash").setLevel(level)


# ---------------------------------------------------------------------------------------------
# health

def health_report(registry) -> tuple[dict, int]:
    """({"status", "datasets": {name: {"state": "ok", "T", "layers": {id: D}} | {"state": "error",
    "error"}}}, HTTP status). Each dataset is checked in this process; a file changed on disk is seen
    (the registry re-checks it)."""
    out, ok = {}, True
    for name in registry.names:
        try:
            ds = registry.get(name)
            out[name] = {"state": "ok", "T": len(ds), "layers": {layer: ds.dims(layer) for layer in ds.layers}}
        except Exception as e:  # noqa: BLE001 - a broken dataset is a state to report, not a crash
            ok = False
            out[name] = {"state": "error", "error": str(e)}
    return {"status": "ok" if ok else "error", "datasets": out}, (200 if ok else 503)


# ---------------------------------------------------------------------------------------------
# callback request guard

def _dep_ok(item) -> bool:
    if isinstance(item, list):  # a pattern-matching input: a list of {id, property, value}
        return all(_dep_ok(x) for x in item if not isinstance(x, list)) and all(not isinstance(x, list) for x in item)
    return isinstance(item, dict) and "id" in item and isinstance(item.get("property"), str)


def callback_body_problem(body, callback_map) -> str | None:
    """Why a body posted to _dash-update-component is not one Dash's renderer would send; None if ok."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "unknown callback output"
    cb = callback_map[output]
    outputs = body.get("outputs")
    if not isinstance(outputs, (dict, list)):
        return "'outputs' must be an object or a list"
    if isinstance(outputs, list) and not all(isinstance(o, (dict, list)) for o in outputs):
        return "'outputs' must hold objects"
    inputs, state = body.get("inputs"), body.get("state", [])
    if not isinstance(inputs, list) or not isinstance(state, list):
        return "'inputs' and 'state' must be lists"
    if len(inputs) != len(cb.get("inputs", [])) or len(state) != len(cb.get("state", [])):
        return "wrong number of inputs or states for this callback"
    if not all(_dep_ok(x) for x in inputs + state):
        return "each input and state must be an object with id and property"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "'changedPropIds' must be a list of strings"
    return None


def as_javascript_numbers(node):
    """Integers beyond 2**53 become floats (beyond 1e308: null) in place, as the browser reads every
    number: a value echoed back must stay serialisable (Dash's encoder refuses ints beyond 64 bits)."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2 ** 53:
            node[k] = float(v) if abs(v) < 1e308 else None  # JSON.stringify(Infinity) is null
        elif isinstance(v, (dict, list)):
            as_javascript_numbers(v)
    return node


# ---------------------------------------------------------------------------------------------

def _authorized(header: str | None, settings: Settings) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        user, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return False
    # compare both, always, in constant time (no early exit that tells which one was wrong)
    u = hmac.compare_digest(user.encode(), settings.auth_user.encode())
    p = hmac.compare_digest(password.encode(), settings.auth_password.encode())
    return u and p


def install(app, settings: Settings) -> None:
    """Add /health, basic auth (when set) and the callback guard to a Dash app from create_app."""
    import flask
    from werkzeug.exceptions import HTTPException

    server = app.server
    registry = app.registry
    prefix = settings.url_prefix
    callback_path = prefix + CALLBACK_ROUTE
    app.settings = settings

    def health():
        report, status = health_report(registry)
        resp = flask.jsonify(report)
        resp.status_code = status
        resp.headers["Cache-Control"] = "no-store"
        return resp

    for path in {"/health", prefix + "health"}:
        server.add_url_rule(path, endpoint="lstmvis_health" + path.replace("/", "_"), view_func=health)

    def guard():
        flask.g.lv_started = time.perf_counter()
        warmup.start()  # once per process: after a fork, each worker compiles its own kernels
        if settings.auth and not _authorized(flask.request.headers.get("Authorization"), settings):
            return flask.Response("authentication required\n", 401,
                                  {"WWW-Authenticate": 'Basic realm="LSTMVis-Dash", charset="UTF-8"',
                                   "Content-Type": "text/plain; charset=utf-8"})
        if flask.request.method == "POST" and flask.request.path == callback_path:
            body = flask.request.get_json(silent=True)  # cached: Dash reads this same object
            problem = callback_body_problem(body, app.callback_map)
            if problem is not None:
                return flask.jsonify({"error": f"bad callback request: {problem}"}), 400
            as_javascript_numbers(body)
        return None

    # first in line: before Dash's own before_request hooks (no work for an unauthorised request)
    server.before_request_funcs.setdefault(None, []).insert(0, guard)

    @server.after_request
    def _server_timing(resp):
        # the server's share of what the person waits for, readable in the browser
        # (PerformanceResourceTiming.serverTiming; bench/bench_latency.py reports it per action)
        started = flask.g.get("lv_started")
        if started is not None:
            resp.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return resp

    if not settings.debug:
        @server.errorhandler(Exception)
        def _internal_error(e):
            if isinstance(e, HTTPException):
                return e
            log.exception("request %s %s failed", flask.request.method, flask.request.path)
            return flask.jsonify({"error": "internal error; see the server log"}), 500
