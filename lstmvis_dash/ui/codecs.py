"""Typed values of the view state: read from URL text or from browser JSON, never trusted, and
written back. Each codec returns INVALID for anything that is not exactly its type.

Also the outcome of a field's check (Ok, Clamped, Invalid) and `clamp`, which the field checks of
state.py share.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

INVALID = object()
MAX_ITEMS = 100_000  # longest list accepted from the browser (a layer has fewer cells)
MAX_TEXT = 400


def short(value, n: int = 40) -> str:
    value = str(value)
    return value if len(value) <= n else value[: n - 1] + "…"


# -- check outcomes ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ok:
    value: Any


@dataclass(frozen=True)
class Clamped:
    value: Any
    why: str


@dataclass(frozen=True)
class Invalid:
    why: str


def clamp(v, lo, hi, what: str = ""):
    """Ok(v) inside [lo, hi], else Clamped to the nearest bound (SPEC.md 5: numbers are clamped)."""
    if lo <= v <= hi:
        return Ok(v)
    fmt = (lambda x: f"{x:g}") if isinstance(v, float) else str
    return Clamped(min(max(v, lo), hi), f"is out of range ({fmt(lo)}..{fmt(hi)}{' ' + what if what else ''})")


# -- scalar readers --------------------------------------------------------------------------------
def int_text(text: str):
    text = text.strip()
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or len(text) > 18 or not digits.isdigit() or not digits.isascii():
        return INVALID
    return int(text)


def int_json(obj):
    if isinstance(obj, bool):
        return INVALID
    if isinstance(obj, int):
        return obj if abs(obj) < 2 ** 53 else INVALID
    if isinstance(obj, float) and math.isfinite(obj) and obj.is_integer() and abs(obj) < 2 ** 53:
        return int(obj)
    return INVALID


def float_text(text: str):
    text = text.strip()
    if not text or len(text) > 40:
        return INVALID
    try:
        v = float(text)
    except ValueError:
        return INVALID
    return v if math.isfinite(v) else INVALID


def float_json(obj):
    if isinstance(obj, bool) or not isinstance(obj, (int, float)):
        return INVALID
    v = float(obj)
    return v if math.isfinite(v) else INVALID


def name_text(text: str):
    return text if isinstance(text, str) and 0 < len(text) <= MAX_TEXT else INVALID


# -- codecs ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Codec:
    what: str                           # for notices: "a whole number", ...
    from_text: Callable                 # URL text -> value | INVALID
    from_json: Callable                 # browser JSON -> value | INVALID
    to_text: Callable                   # value -> URL text
    to_json: Callable                   # value -> JSON
    show: Callable = str                # value -> text in a notice


def _pair_text(text: str):
    parts = text.split(":")
    if len(parts) != 2:
        return INVALID
    a, b = int_text(parts[0]), int_text(parts[1])
    return INVALID if a is INVALID or b is INVALID else (a, b)


def _pair_json(obj):
    if not isinstance(obj, (list, tuple)) or len(obj) != 2:
        return INVALID
    a, b = int_json(obj[0]), int_json(obj[1])
    return INVALID if a is INVALID or b is INVALID else (a, b)


def _set_text(text: str):
    if not text.strip():
        return ()
    items = text.split(",")
    if len(items) > MAX_ITEMS:
        return INVALID
    values = [int_text(x) for x in items]
    return INVALID if any(v is INVALID for v in values) else tuple(sorted(set(values)))


def _set_json(obj):
    if not isinstance(obj, (list, tuple)) or len(obj) > MAX_ITEMS:
        return INVALID
    values = [int_json(x) for x in obj]
    return INVALID if any(v is INVALID for v in values) else tuple(sorted(set(values)))


INT = Codec("a whole number", int_text, int_json, lambda v: str(int(v)), int)
FLOAT = Codec("a number", float_text, float_json, lambda v: repr(float(v)), float, lambda v: f"{v:g}")
PAIR = Codec("a pair a:b of whole numbers", _pair_text, _pair_json, lambda v: f"{int(v[0])}:{int(v[1])}",
             lambda v: [int(v[0]), int(v[1])], lambda v: f"{v[0]}:{v[1]}")
INT_SET = Codec("a list of cell ids c1,c2,…", _set_text, _set_json, lambda v: ",".join(map(str, v)),
                lambda v: [int(c) for c in v], lambda v: ",".join(map(str, v)) or "none")
NAME = Codec("a name", name_text, name_text, str, str)


def optional(codec: Codec, unset: str = "none") -> Codec:
    """The codec, or None (shown as `unset` in notices): absent from the URL, null in JSON."""
    return Codec(codec.what, codec.from_text, lambda obj: None if obj is None else codec.from_json(obj),
                 codec.to_text, lambda v: None if v is None else codec.to_json(v),
                 lambda v: unset if v is None else codec.show(v))
