"""The shareable URL (SPEC.md section 5) <-> the canonical view state. Pure: no Dash, no files.

The view state is a plain dict (it lives in a dcc.Store):

    {"dataset": str, "layer": str | None, "pos": int, "width": int,
     "sel": [start, stop] | None, "pad": [left, right], "threshold": float,
     "exclude": [cells], "length": int | None, "annotation": str | None,
     "compare": str}   # only present when set: a layer of this dataset, or "dataset:layer"

`parse_query` reads a query string against a `Catalog` (what the datasets hold), whitelists and
clamps every key, and returns the state plus a list of notices, one per bad value, each naming the
key and the value. Unknown keys are ignored. `serialize` writes the state back; for a valid state
`parse_query(serialize(s))` gives `s` again with no notices.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence
from urllib.parse import parse_qsl, urlencode

KEYS = ("dataset", "layer", "pos", "width", "sel", "pad", "threshold", "exclude", "length", "annotation",
        "compare")
DEFAULT_WIDTH = 40
MAX_WIDTH = 200
MAX_PAD = 200
MAX_SEL = 10_000  # a hypothesis longer than this is cut (with a notice); the paper's are a few words
DEFAULT_THRESHOLD = 0.3
MAX_ABS_THRESHOLD = 1e6
MAX_QUERY = 8000


@dataclass(frozen=True)
class LayerInfo:
    D: int
    transform: str = "tanh"


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    T: int
    layers: Mapping[str, LayerInfo]
    annotations: Sequence[str] = ()


@dataclass
class Catalog:
    """The datasets of the config, in config order; `infos[name]` is None when it cannot be opened."""
    names: list
    infos: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    def info(self, name):
        return self.infos.get(name)

    def default_dataset(self):
        for n in self.names:
            if self.infos.get(n) is not None:
                return n
        return self.names[0] if self.names else None


def default_state(catalog: Catalog, dataset: str | None = None) -> dict:
    name = dataset if dataset is not None else catalog.default_dataset()
    info = catalog.info(name) if name is not None else None
    layer = next(iter(info.layers)) if info is not None and info.layers else None
    width = min(DEFAULT_WIDTH, info.T) if info is not None else DEFAULT_WIDTH
    return {"dataset": name, "layer": layer, "pos": 0, "width": width, "sel": None, "pad": [0, 0],
            "threshold": DEFAULT_THRESHOLD, "exclude": [], "length": None, "annotation": None}


def _short(value: str, n: int = 40) -> str:
    value = str(value)
    return value if len(value) <= n else value[: n - 1] + "…"


def _int(text: str):
    text = text.strip()
    if not text or len(text) > 18:
        return None
    sign = text[0] in "+-"
    digits = text[1:] if sign else text
    if not digits.isdigit() or not digits.isascii():
        return None
    return int(text)


def _pair(text: str):
    parts = text.split(":")
    if len(parts) != 2:
        return None
    a, b = _int(parts[0]), _int(parts[1])
    if a is None or b is None:
        return None
    return [a, b]


def _float(text: str):
    text = text.strip()
    if not text or len(text) > 40:
        return None
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def threshold_bounds(transform: str) -> tuple[float, float]:
    """The thresholds the URL accepts: tanh values lie in [-1, 1]; untransformed states are open."""
    return (-1.0, 1.0) if transform == "tanh" else (-MAX_ABS_THRESHOLD, MAX_ABS_THRESHOLD)


def parse_query(search: str | None, catalog: Catalog) -> tuple[dict, list[str]]:
    """Query string (with or without '?') -> (view state, notices)."""
    notices: list[str] = []
    search = search or ""
    if search.startswith("?"):
        search = search[1:]
    if len(search) > MAX_QUERY:
        notices.append(f"the address is too long ({len(search)} characters); showing the default view")
        search = ""
    raw: dict[str, str] = {}
    try:
        pairs = parse_qsl(search, keep_blank_values=True, max_num_fields=100)
    except ValueError:
        notices.append("the address has too many parameters; showing the default view")
        pairs = []
    for k, v in pairs:
        if k in KEYS:
            raw[k] = v  # the last of repeated keys wins

    def bad(key, why, default):
        shown = "none" if default is None else default
        if isinstance(default, list):
            shown = ":".join(map(str, default)) if key in ("sel", "pad") else (",".join(map(str, default)) or "none")
        notices.append(f"{key}={_short(raw[key])!r} {why}; using {key}={shown}")

    # dataset
    name = catalog.default_dataset()
    if "dataset" in raw:
        want = raw["dataset"]
        if want not in catalog.names:
            bad("dataset", f"is not a dataset of this server (datasets: {', '.join(catalog.names)})", name)
        elif catalog.info(want) is None:
            reason = catalog.errors.get(want, "it cannot be opened")
            bad("dataset", f"is unavailable ({_short(reason, 120)})", name)
        else:
            name = want
    state = default_state(catalog, name)
    info = catalog.info(name) if name is not None else None
    if info is None:
        # nothing can be validated against a dataset: keep the defaults
        return state, notices
    T = info.T

    # layer
    if "layer" in raw:
        if raw["layer"] in info.layers:
            state["layer"] = raw["layer"]
        else:
            bad("layer", f"is not a layer of {name} (layers: {', '.join(info.layers)})", state["layer"])
    layer = info.layers[state["layer"]]

    # width
    if "width" in raw:
        w = _int(raw["width"])
        limit = min(MAX_WIDTH, T)
        if w is None or w < 1:
            bad("width", "is not a positive whole number", state["width"])
        elif w > limit:
            state["width"] = limit
            notices.append(f"width={w} is wider than the maximum; using width={limit}")
        else:
            state["width"] = w
    width = state["width"]

    # sel
    if "sel" in raw:
        p = _pair(raw["sel"])
        if p is None:
            bad("sel", "is not start:stop", None)
        elif not (0 <= p[0] < p[1] <= T):
            bad("sel", f"is outside the data (need 0 <= start < stop <= {T})", None)
        elif p[1] - p[0] > MAX_SEL:
            state["sel"] = [p[0], p[0] + MAX_SEL]
            notices.append(f"sel={p[0]}:{p[1]} is longer than {MAX_SEL:,} tokens; using sel={p[0]}:{p[0] + MAX_SEL}")
        else:
            state["sel"] = p

    # pos (its default follows the selection, so that a URL with only sel shows it)
    if state["sel"] is not None:
        state["pos"] = max(0, min(state["sel"][0] - width // 4, T - width))
    if "pos" in raw:
        p = _int(raw["pos"])
        if p is None:
            bad("pos", "is not a whole number", state["pos"])
        elif not (0 <= p <= T - width):
            bad("pos", f"is outside the data (need 0 <= pos <= {T - width} for width {width})", state["pos"])
        else:
            state["pos"] = p

    # pad
    if "pad" in raw:
        p = _pair(raw["pad"])
        if p is None:
            bad("pad", "is not left:right", state["pad"])
        elif not (0 <= p[0] <= MAX_PAD and 0 <= p[1] <= MAX_PAD):
            bad("pad", f"is out of range (each side 0..{MAX_PAD})", state["pad"])
        else:
            state["pad"] = p

    # threshold
    if "threshold" in raw:
        v = _float(raw["threshold"])
        lo, hi = threshold_bounds(layer.transform)
        if v is None:
            bad("threshold", "is not a number", state["threshold"])
        elif not (lo <= v <= hi):
            bad("threshold", f"is out of range ({lo:g}..{hi:g} for a {layer.transform} layer)", state["threshold"])
        else:
            state["threshold"] = v

    # exclude
    if "exclude" in raw and raw["exclude"].strip():
        items = raw["exclude"].split(",")
        cells = [_int(x) for x in items]
        if len(items) > layer.D or any(c is None or not (0 <= c < layer.D) for c in cells):
            bad("exclude", f"is not a list of cell ids in 0..{layer.D - 1}", [])
        else:
            state["exclude"] = sorted(set(cells))

    # length
    if "length" in raw:
        n = _int(raw["length"])
        if n is None or not (1 <= n <= T):
            bad("length", f"is not a match length in 1..{T}", None)
        else:
            state["length"] = n

    # annotation
    if "annotation" in raw:
        if raw["annotation"] in info.annotations:
            state["annotation"] = raw["annotation"]
        else:
            have = ", ".join(info.annotations) or "none"
            bad("annotation", f"is not an annotation of {name} (annotations: {have})", None)

    # compare (the comparison view's second layer): absent from the state unless set
    if raw.get("compare"):
        target, why = parse_compare(raw["compare"], name, catalog)
        if target is None:
            bad("compare", why, None)
        else:
            state["compare"] = target
    return state, notices


def parse_compare(value: str, dataset: str, catalog: Catalog) -> tuple[str | None, str]:
    """`compare` -> (canonical value, "") or (None, why). A layer of `dataset` is written as the bare
    layer id (layer ids may contain ':'); a layer of another dataset as "dataset:layer"."""
    info = catalog.info(dataset)
    if info is not None and value in info.layers:
        return value, ""
    unavailable = None
    for i, ch in enumerate(value):
        if ch != ":":
            continue
        name, layer = value[:i], value[i + 1:]
        if name not in catalog.names:
            continue
        other = catalog.info(name)
        if other is None:
            unavailable = name
            continue
        if layer in other.layers:
            return (layer if name == dataset else f"{name}:{layer}"), ""
    if unavailable is not None:
        reason = catalog.errors.get(unavailable, "it cannot be opened")
        return None, f"names an unavailable dataset ({_short(reason, 120)})"
    return None, (f"is not a layer of {dataset} or dataset:layer of this server "
                  f"(layers: {', '.join(info.layers) if info else 'none'})")


def format_threshold(v: float) -> str:
    return repr(float(v))


def serialize(state: Mapping) -> str:
    """View state -> query string starting with '?', keys in SPEC order; unset optional keys left out."""
    pairs = []
    if state.get("dataset") is not None:
        pairs.append(("dataset", state["dataset"]))
    if state.get("layer") is not None:
        pairs.append(("layer", state["layer"]))
    pairs.append(("pos", str(int(state.get("pos", 0)))))
    pairs.append(("width", str(int(state.get("width", DEFAULT_WIDTH)))))
    sel = state.get("sel")
    if sel:
        pairs.append(("sel", f"{int(sel[0])}:{int(sel[1])}"))
    pad = state.get("pad") or [0, 0]
    if any(pad):
        pairs.append(("pad", f"{int(pad[0])}:{int(pad[1])}"))
    pairs.append(("threshold", format_threshold(state.get("threshold", DEFAULT_THRESHOLD))))
    if state.get("exclude"):
        pairs.append(("exclude", ",".join(str(int(c)) for c in sorted(set(state["exclude"])))))
    if state.get("length") is not None:
        pairs.append(("length", str(int(state["length"]))))
    if state.get("annotation") is not None:
        pairs.append(("annotation", state["annotation"]))
    if state.get("compare"):
        pairs.append(("compare", state["compare"]))
    return "?" + urlencode(pairs, safe=":,")


def normalize(state: Mapping, catalog: Catalog) -> tuple[dict, list[str]]:
    """Check a state built from user input the same way a URL is checked (clamps + notices)."""
    return parse_query(serialize(state), catalog)
