"""The dashboard inside a Jupyter notebook: `lv.show(...)`, and `Matches` as an HTML table.

`show` serves the same app as `python app.py` (`lstmvis_dash.ui.create_app`) from a thread of the
notebook's kernel with Dash's jupyter mode, and displays it in the output cell as an iframe whose
query string is the preset view: the URL keys of SPEC.md section 5, given as keyword arguments and
validated before anything is served (a bad one raises ValueError naming the key).
"""
from __future__ import annotations

import html
import os
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from .config import Config, DatasetEntry, load_config
from .dataset import Dataset

__all__ = ["show", "matches_html"]

_DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "datasets.yml"
_SERVED: dict = {}      # host -> (port, app) of this kernel's last show(), which a later show() replaces


def _config_for(source, config) -> tuple[Config, str | None]:
    """(the Config to serve, the dataset to show first) for any accepted `source`."""
    if isinstance(source, Dataset):
        folder = getattr(source, "folder", None)
        if folder is None:
            raise ValueError("show: this Dataset has no folder on disk (write it with lv.write_dataset "
                             "and open that folder)")
        shards = tuple(Path(f) for f in getattr(source, "paths", ()))       # lv.open_shards
        entry = DatasetEntry(name=source.name, path=Path(folder), description=source.description or "", line=0,
                             shards=shards if len(shards) > 1 else ())
        return Config(file=Path("<notebook>"), datasets=(entry,)), source.name
    if isinstance(source, Config):
        return source, None
    if source is None:
        return _load(config), None
    if not isinstance(source, (str, os.PathLike)):
        raise ValueError(f"show: expected a Dataset, a datasets.yml path or a dataset name, got "
                         f"{type(source).__name__}")
    path = Path(source)
    if path.is_file():
        return load_config(path), None
    cfg = _load(config)
    if str(source) not in cfg.names():
        raise ValueError(f"show: {str(source)!r} is neither a config file nor a dataset of {cfg.file}; "
                         f"datasets are {cfg.names()}")
    return cfg, str(source)


def _load(config) -> Config:
    if isinstance(config, Config):
        return config
    if config is None:
        config = os.environ.get("LSTMVIS_CONFIG") or _DEFAULT_CONFIG
    return load_config(config)


def _query_value(key: str, value) -> str:
    """A keyword argument as the URL writes it: (a, b) -> "a:b" for sel/pad, a list -> "c1,c2"."""
    if key in ("sel", "pad") and isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"show: {key} must be (start, stop) or 'start:stop', got {value!r}")
        return f"{value[0]}:{value[1]}"
    if key == "exclude" and isinstance(value, (tuple, list, set, np.ndarray)):
        return ",".join(str(int(c)) for c in sorted(value))
    if isinstance(value, (bool, np.bool_)) or value is None:
        raise ValueError(f"show: {key}={value!r} is not a value the URL key {key!r} takes")
    return str(value)


def view_query(app, dataset: str | None, view: dict) -> str:
    """The preset view as a query string, validated against the app's datasets like a typed URL;
    ValueError naming the key for anything the page would have replaced or clamped."""
    from .ui import state
    unknown = sorted(set(view) - set(state.KEYS))
    if unknown:
        raise ValueError(f"show: unknown view keys {unknown}; the URL keys are {list(state.URL_ORDER)}")
    params = {"dataset": dataset} if dataset is not None and "dataset" not in view else {}
    params.update({k: _query_value(k, v) for k, v in view.items()})
    query = urlencode(params)
    _, notices = state.parse_query(query, app.registry.catalog())
    if notices:
        raise ValueError("show: " + "; ".join(notices))
    return query


def show(source=None, *, config=None, mode: str = "inline", width="100%", height: int = 900,
         host: str = "127.0.0.1", port: int | None = None, **view) -> str:
    """Open the dashboard in the notebook; returns the page's URL.

    source: a `Dataset` (its folder is served), a datasets.yml path, a loaded `Config`, or the name
        of a dataset in `config` (a path or Config; default $LSTMVIS_CONFIG, else the repository's
        datasets.yml). None serves `config` itself.
    view: the URL keys of SPEC.md section 5 as keyword arguments, e.g.
        `show("parens", layer="cell2", sel=(94, 97), threshold=0.3)`; sel and pad take (a, b) pairs,
        exclude a list of cells.
    mode: "inline" (an iframe in the output cell), "external" (a link) or "tab"; as Dash's
        jupyter_mode.
    port: None serves on the port of this kernel's last show() (replacing that app, so re-running
        a cell does not pile up servers; an older output cell then shows the new app), or on a
        free port for the first; give a port to keep several dashboards side by side.
    """
    from dash._jupyter import jupyter_dash
    from .ui import create_app
    if not jupyter_dash.active:
        raise RuntimeError("lv.show opens the dashboard in a Jupyter notebook (an IPython kernel); "
                           "elsewhere start it with `python app.py --config datasets.yml`")
    cfg, dataset = _config_for(source, config)
    app = create_app(cfg)
    query = view_query(app, dataset, view)
    if port is None:
        port = _SERVED[host][0] if host in _SERVED else _free_port(host)
    app.run(jupyter_mode="_none", host=host, port=port, debug=False)
    _SERVED[host] = (port, app)
    url = _base_url(app, host, port) + ("?" + query if query else "")
    _display(url, mode, width, height)
    return url


def _free_port(host: str) -> int:
    import socket
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _base_url(app, host: str, port: int) -> str:
    """Where Dash's jupyter mode serves the app: behind the notebook's proxy when it found one."""
    from dash import _jupyter
    server = _jupyter._jupyter_config.get("server_url", "").rstrip("/") or f"http://{host}:{port}"
    return server + app.config.requests_pathname_prefix


def _display(url: str, mode: str, width, height) -> None:
    from IPython.display import IFrame, Javascript, display
    if mode == "inline":
        display(IFrame(url, width, height))
    elif mode in ("external", "tab"):
        print(f"LSTMVis-Dash running on {url}")
        if mode == "tab":
            display(Javascript(f"window.open({url!r})"))
    else:
        raise ValueError(f"show: mode must be 'inline', 'external' or 'tab', got {mode!r}")


def matches_html(matches, ds=None, context: int = 3, max_rows: int = 50) -> str:
    """The ranked matches as an HTML table; with the dataset, each row also shows its words (the
    match in bold, `context` tokens either side, clipped at the document's edges)."""
    table = matches.table
    hist = matches.histogram
    head = (f"<p><b>{len(table)}</b> ranked matches of {matches.n_candidates:,} candidates; "
            f"lengths {_length_summary(hist)}</p>")
    cols = list(table.columns)
    rows = []
    starts = ds.documents if ds is not None else None
    for rank, rec in enumerate(table.head(max_rows).itertuples(index=False), 1):
        cells = "".join(f"<td>{int(v)}</td>" for v in rec)
        if ds is not None:
            cells += f"<td style='text-align:left;font-family:monospace'>{_words(ds, starts, rec.start, rec.stop, context)}</td>"
        rows.append(f"<tr><td>{rank}</td>{cells}</tr>")
    more = f"<p>… {len(table) - max_rows} more rows in .table</p>" if len(table) > max_rows else ""
    header = "".join(f"<th>{html.escape(c)}</th>" for c in ["#"] + cols + (["words"] if ds is not None else []))
    return (f"<div class='lstmvis-matches'>{head}<table><thead><tr>{header}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>{more}</div>")


def _length_summary(hist) -> str:
    if len(hist) == 0:
        return "none"
    parts = [f"{int(r.length)}: {int(r.strict)}/{int(r.fuzzy)}" for r in hist.head(8).itertuples(index=False)]
    return ("length: strict/fuzzy candidates " + ", ".join(parts)
            + (" …" if len(hist) > 8 else ""))


def _words(ds, starts: np.ndarray, a: int, b: int, context: int) -> str:
    doc = int(np.searchsorted(starts, a, side="right")) - 1
    lo = max(int(starts[doc]), a - context)
    hi = min(int(starts[doc + 1]) if doc + 1 < len(starts) else len(ds), b + context)
    esc = [html.escape(t) for t in ds.tokens(lo, hi)]
    return " ".join(esc[: a - lo] + [f"<b>{' '.join(esc[a - lo: b - lo])}</b>"] + esc[b - lo:])
