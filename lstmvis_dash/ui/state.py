"""The view state: one typed object whose fields are declared once (SPEC.md section 5).

Each `Field` of FIELDS says its name, its URL key (None: kept by the page but not in the URL), its
codec (how a value is read from URL text or from the JSON the browser sends back, and written), its
default and its check against what the datasets hold (a `Scope`: bounds that depend on the dataset
are computed there). `parse_query`, `serialize`, `from_store` and `check` are loops over FIELDS;
nothing else knows a key. Pure: no Dash, no files.

To add a field: add it to `ViewState` (with its default) and one `Field(...)` to FIELDS, after the
fields its check depends on. It is then parsed, written, validated and round-tripped everywhere.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence
from urllib.parse import parse_qsl, urlencode

from . import codecs as cd

DEFAULT_WIDTH = 40
MAX_WIDTH = 200
MAX_PAD = 200
MAX_SEL = 10_000  # a hypothesis longer than this is cut (with a notice); the paper's are a few words
MAX_ABS_THRESHOLD = 1e6
MAX_QUERY = 8000
TRANSFORMS = ("tanh", "none", "zscore", "quantile")
DEFAULT_THRESHOLDS = {"quantile": 0.9, "zscore": 1.0}
DEFAULT_THRESHOLD = 0.3


@dataclass(frozen=True)
class LayerInfo:
    D: int
    transform: str = "tanh"
    transforms: tuple = ()  # the transforms the layer can be viewed through (default: its own)
    # (transform) -> (lo, hi) of the layer's values under it, or None when unknown; computed lazily
    value_range: Callable | None = field(default=None, compare=False, repr=False)

    def offers(self) -> tuple:
        return self.transforms or (self.transform,)


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


@dataclass(frozen=True)
class ViewState:
    """What the page shows. `transform` None is the layer's own; `focus` is the range a match row,
    search hit or projection point asked to show (marked in the select view, not in the URL), and
    `focus_pad` the padding "use it" adopts with it (None: keep the current one)."""
    dataset: str | None = None
    layer: str | None = None
    transform: str | None = None
    width: int = DEFAULT_WIDTH
    sel: tuple | None = None
    pos: int = 0
    pad: tuple = (0, 0)
    threshold: float = DEFAULT_THRESHOLD
    exclude: tuple = ()
    length: int | None = None
    annotation: str | None = None
    compare: str | None = None
    focus: tuple | None = None
    focus_pad: tuple | None = None

    def replace(self, **changes) -> "ViewState":
        return dataclasses.replace(self, **changes)

    def to_store(self) -> dict:
        return {f.name: f.codec.to_json(getattr(self, f.name)) for f in FIELDS}


class Scope:
    """What the checks may read: the catalog, and the dataset and layer chosen so far."""

    def __init__(self, catalog: Catalog):
        self.catalog = catalog
        self.info: DatasetInfo | None = None
        self.layer: LayerInfo | None = None

    @property
    def T(self) -> int:
        return self.info.T if self.info is not None else 0


def effective_transform(layer: LayerInfo | None, transform: str | None) -> str:
    return transform or (layer.transform if layer is not None else "tanh")


def threshold_bounds(layer: LayerInfo | None, transform: str | None) -> tuple[float, float]:
    """tanh values lie in [-1, 1], quantiles in [0, 1]; other values in the layer's own range."""
    t = effective_transform(layer, transform)
    if t == "tanh":
        return -1.0, 1.0
    if t == "quantile":
        return 0.0, 1.0
    rng = layer.value_range(t) if layer is not None and layer.value_range is not None else None
    if rng is None:
        return -MAX_ABS_THRESHOLD, MAX_ABS_THRESHOLD
    return float(rng[0]), float(rng[1])


# -- the checks: (value, scope, state so far) -> cd.Ok | cd.Clamped | cd.Invalid -------------------

def _one_of(v, names, what: str, kind: str):
    """v if it is one of `names`, else a notice that lists them."""
    return cd.Ok(v) if v in names else cd.Invalid(f"is not {what} ({kind}: {', '.join(names) or 'none'})")


def _check_dataset(v, scope, s):
    found = _one_of(v, scope.catalog.names, "a dataset of this server", "datasets")
    if not isinstance(found, cd.Ok):
        return found
    if scope.catalog.info(v) is None:
        return cd.Invalid(f"is unavailable ({cd.short(scope.catalog.errors.get(v, 'it cannot be opened'), 120)})")
    return cd.Ok(v)


def _check_layer(v, scope, s):
    return _one_of(v, scope.info.layers, f"a layer of {scope.info.name}", "layers")


def _check_transform(v, scope, s):
    if v is None or v == scope.layer.transform:
        return cd.Ok(None)
    offers = scope.layer.offers()
    return cd.Ok(v) if v in offers else cd.Invalid(f"is not a transform this layer offers ({', '.join(offers)})")


def _check_width(v, scope, s):
    return cd.clamp(v, 1, min(MAX_WIDTH, scope.T))


def _check_sel(v, scope, s):
    a, b = max(0, v[0]), min(scope.T, v[1])
    if a >= b:
        return cd.Invalid(f"is outside the data (need 0 <= start < stop <= {scope.T})")
    if b - a > MAX_SEL:
        return cd.Clamped((a, a + MAX_SEL), f"is longer than {MAX_SEL:,} tokens")
    return cd.Ok((a, b)) if (a, b) == tuple(v) else cd.Clamped((a, b), "reaches outside the data")


def _check_pos(v, scope, s):
    return cd.clamp(v, 0, max(0, scope.T - s["width"]))


def _check_pad(v, scope, s):
    p = (min(max(v[0], 0), MAX_PAD), min(max(v[1], 0), MAX_PAD))
    return cd.Ok(p) if p == tuple(v) else cd.Clamped(p, f"is out of range (each side 0..{MAX_PAD})")


def _check_threshold(v, scope, s):
    lo, hi = threshold_bounds(scope.layer, s["transform"])
    return cd.clamp(v, lo, hi, f"for {effective_transform(scope.layer, s['transform'])} values")


def _check_exclude(v, scope, s):
    D = scope.layer.D
    keep = tuple(c for c in v if 0 <= c < D)
    return cd.Ok(keep) if len(keep) == len(v) else cd.Clamped(keep, f"names cells outside 0..{D - 1}")


def _check_length(v, scope, s):
    return cd.clamp(v, 1, max(1, scope.T))


def _check_annotation(v, scope, s):
    return _one_of(v, scope.info.annotations, f"an annotation of {scope.info.name}", "annotations")


def _check_compare(v, scope, s):
    target, why = parse_compare(v, s["dataset"], s["layer"], scope.catalog)
    return cd.Ok(target) if target is not None else cd.Invalid(why)


def _check_focus(v, scope, s):
    a, b = v
    return cd.Ok((a, b)) if 0 <= a < b <= scope.T else cd.Invalid("is outside the data")


def _default_pos(scope, s):
    if s.get("sel"):
        return max(0, min(s["sel"][0] - s["width"] // 4, scope.T - s["width"]))
    return 0


def _default_threshold(scope, s):
    lo, hi = threshold_bounds(scope.layer, s.get("transform"))
    t = DEFAULT_THRESHOLDS.get(effective_transform(scope.layer, s.get("transform")), DEFAULT_THRESHOLD)
    return min(max(t, lo), hi)


@dataclass(frozen=True)
class Field:
    name: str
    key: str | None             # URL key; None: not in the URL
    codec: cd.Codec
    check: Callable             # (value, scope, state so far) -> Ok | Clamped | Invalid
    default: Callable = lambda scope, s: None
    always: bool = False        # written to the URL even when it holds its default / empty value
    needs: str = "layer"        # what must be known before the check runs: "catalog", "dataset", "layer"


FIELDS: tuple[Field, ...] = (
    Field("dataset", "dataset", cd.NAME, _check_dataset, lambda scope, s: scope.catalog.default_dataset(),
          always=True, needs="catalog"),
    Field("layer", "layer", cd.NAME, _check_layer,
          lambda scope, s: next(iter(scope.info.layers), None), always=True, needs="dataset"),
    Field("transform", "transform", cd.optional(cd.NAME, "the layer's own"), _check_transform),
    Field("width", "width", cd.INT, _check_width, lambda scope, s: min(DEFAULT_WIDTH, max(1, scope.T)),
          always=True, needs="dataset"),
    Field("sel", "sel", cd.optional(cd.PAIR), _check_sel, needs="dataset"),
    Field("pos", "pos", cd.INT, _check_pos, _default_pos, always=True, needs="dataset"),
    Field("pad", "pad", cd.PAIR, _check_pad, lambda scope, s: (0, 0), needs="dataset"),
    Field("threshold", "threshold", cd.FLOAT, _check_threshold, _default_threshold, always=True),
    Field("exclude", "exclude", cd.INT_SET, _check_exclude, lambda scope, s: ()),
    Field("length", "length", cd.optional(cd.INT), _check_length, needs="dataset"),
    Field("annotation", "annotation", cd.optional(cd.NAME), _check_annotation, needs="dataset"),
    Field("compare", "compare", cd.optional(cd.NAME), _check_compare),
    Field("focus", None, cd.optional(cd.PAIR), _check_focus, needs="dataset"),
    Field("focus_pad", None, cd.optional(cd.PAIR), _check_pad, needs="dataset"),
)
KEYS = tuple(f.key for f in FIELDS if f.key)
URL_ORDER = ("dataset", "layer", "pos", "width", "sel", "pad", "threshold", "exclude", "length", "annotation",
             "transform", "compare")  # SPEC.md's table: how people read a shared address
_EMPTY = {None, (), (0, 0)}


def _resolve(raw: Mapping, catalog: Catalog, read: Callable, show: Callable) -> tuple[ViewState, list[str]]:
    """The one loop: each field's raw value (absent: its default) read by `read(codec, value)`,
    checked in order against the scope, clamped or replaced by its default with a notice."""
    scope, s, notices = Scope(catalog), {}, []
    for f in FIELDS:
        known = {"catalog": True, "dataset": scope.info is not None,
                 "layer": scope.layer is not None}[f.needs]
        default = f.default(scope, s) if known else None
        if f.name in raw and known:
            value = read(f.codec, raw[f.name])
            if value is cd.INVALID:
                outcome = cd.Invalid("is not " + f.codec.what)
            elif value is None:
                outcome = cd.Ok(None)  # an optional field left unset
            else:
                outcome = f.check(value, scope, s)
            if isinstance(outcome, cd.Invalid):
                notices.append(f"{f.key or f.name}={show(raw[f.name])} {outcome.why}; "
                               f"using {f.key or f.name}={f.codec.show(default)}")
                value = default
            else:
                if isinstance(outcome, cd.Clamped):
                    notices.append(f"{f.key or f.name}={show(raw[f.name])} {outcome.why}; "
                                   f"using {f.key or f.name}={f.codec.show(outcome.value)}")
                value = outcome.value
        else:
            value = default
        s[f.name] = value
        if f.name == "dataset":
            scope.info = catalog.info(value) if value is not None else None
        elif f.name == "layer":
            scope.layer = scope.info.layers.get(value) if scope.info is not None and value else None
    return ViewState(**s), notices


def parse_query(search: str | None, catalog: Catalog) -> tuple[ViewState, list[str]]:
    """Query string (with or without '?') -> (view state, notices naming each bad key and value)."""
    notices: list[str] = []
    search = (search or "").removeprefix("?")
    if len(search) > MAX_QUERY:
        notices.append(f"the address is too long ({len(search)} characters); showing the default view")
        search = ""
    try:
        pairs = parse_qsl(search, keep_blank_values=True, max_num_fields=100)
    except ValueError:
        notices.append("the address has too many parameters; showing the default view")
        pairs = []
    by_key = {f.key: f.name for f in FIELDS if f.key}
    raw = {by_key[k]: v for k, v in pairs if k in by_key}  # the last of repeated keys wins; others ignored
    state, more = _resolve(raw, catalog, lambda codec, text: codec.from_text(text),
                           lambda text: repr(cd.short(text)))
    return state, notices + more


def serialize(state: ViewState) -> str:
    """View state -> query string starting with '?'; unset optional keys left out."""
    pairs = []
    for f in sorted((f for f in FIELDS if f.key), key=lambda f: URL_ORDER.index(f.key)):
        v = getattr(state, f.name)
        if f.always and v is not None or v not in _EMPTY:
            pairs.append((f.key, f.codec.to_text(v)))
    return "?" + urlencode(pairs, safe=":,")


def from_store(obj, catalog: Catalog) -> ViewState | None:
    """The state the browser sent back (a store), checked like a URL; None when it is malformed or
    does not hold a valid state exactly (nothing from the browser is trusted)."""
    if not isinstance(obj, dict):
        return None
    state, notices = _resolve({k: v for k, v in obj.items() if isinstance(k, str)}, catalog,
                              lambda codec, value: codec.from_json(value), lambda v: cd.short(repr(v)))
    if notices or state.dataset is None or state.to_store() != {f.name: obj.get(f.name) for f in FIELDS}:
        return None
    return state


def check(state: ViewState, catalog: Catalog) -> tuple[ViewState, list[str]]:
    """A state built by an action, checked (clamped, with notices) the same way a URL is."""
    return _resolve(state.to_store(), catalog, lambda codec, value: codec.from_json(value),
                    lambda v: cd.short(codec_text(v)))


def codec_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return ":".join(map(str, value)) if len(value) == 2 else ",".join(map(str, value))
    return str(value)


def default_state(catalog: Catalog, dataset: str | None = None) -> ViewState:
    return _resolve({"dataset": dataset} if dataset else {}, catalog, lambda c, v: v, str)[0]


def parse_compare(value: str, dataset: str | None, layer: str | None, catalog: Catalog) -> tuple[str | None, str]:
    """`compare` -> (canonical value, "") or (None, why). A layer of this dataset is written as the bare
    layer id (layer ids may contain ':'); a layer of another dataset as "dataset:layer"."""
    info = catalog.info(dataset) if dataset is not None else None
    if info is not None and value in info.layers:
        return (value, "") if value != layer else (None, "is the layer shown")
    unavailable = None
    for i, ch in enumerate(value):
        if ch != ":" or value[:i] not in catalog.names:
            continue
        name, other_layer = value[:i], value[i + 1:]
        other = catalog.info(name)
        if other is None:
            unavailable = name
        elif other_layer in other.layers:
            if name == dataset:
                return (other_layer, "") if other_layer != layer else (None, "is the layer shown")
            return f"{name}:{other_layer}", ""
    if unavailable is not None:
        return None, f"names an unavailable dataset ({cd.short(catalog.errors.get(unavailable, 'it cannot be opened'), 120)})"
    return None, (f"is not a layer of {dataset} or dataset:layer of this server "
                  f"(layers: {', '.join(info.layers) if info else 'none'})")


def split_compare(value: str, dataset: str, catalog: Catalog) -> tuple[str, str]:
    """A canonical `compare` value -> (dataset, layer)."""
    info = catalog.info(dataset)
    if info is not None and value in info.layers:
        return dataset, value
    for i, ch in enumerate(value):
        if ch == ":" and value[:i] in catalog.names:
            return value[:i], value[i + 1:]
    raise ValueError(f"compare={value!r} names no layer")
