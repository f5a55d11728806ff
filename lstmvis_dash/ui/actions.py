"""User actions: small pure functions from a view state (and the untrusted value the browser sent)
to the next view state. They return None when the value changes nothing or is malformed (the
view stays as it is), and `Reject(why)` for a malformed value a person typed. The controller
checks every result against the datasets (state.check) before it is shown."""
from __future__ import annotations

from . import codecs as cd
from .component import Navigate, Reject
from .state import MAX_PAD, MAX_WIDTH, Catalog, ViewState, default_state

MIN_WIDTH = 5
ZOOM = 1.5


def _T(state: ViewState, catalog: Catalog) -> int:
    info = catalog.info(state.dataset)
    return info.T if info is not None else 0


def _pos(state: ViewState, catalog: Catalog, pos: int, width: int | None = None) -> int:
    width = state.width if width is None else width
    return int(max(0, min(int(pos), _T(state, catalog) - width)))


def window_pos(start: int, stop: int, width: int, T: int) -> int:
    """The window start that shows [start, stop) centred (its start, when it is wider than the window)."""
    width = max(1, min(int(width), T))
    length = stop - start
    pos = start - (width - length) // 2 if length < width else start
    return int(max(0, min(pos, T - width)))


# -- dataset, layer, transform -----------------------------------------------------------------------
def set_dataset(state: ViewState, name, catalog: Catalog):
    if not isinstance(name, str) or name == state.dataset or catalog.info(name) is None:
        return None
    new = default_state(catalog, name)
    return new.replace(width=min(state.width, catalog.info(name).T), threshold=state.threshold)


def set_layer(state: ViewState, layer, catalog: Catalog):
    info = catalog.info(state.dataset)
    if not isinstance(layer, str) or layer == state.layer or info is None or layer not in info.layers:
        return None
    offered = info.layers[layer].offers()
    return state.replace(layer=layer, exclude=(), transform=state.transform if state.transform in offered else None,
                         compare=None if state.compare == layer else state.compare)


def set_transform(state: ViewState, transform):
    if not isinstance(transform, str) or transform == state.transform:
        return None
    return state.replace(transform=transform)


# -- window ------------------------------------------------------------------------------------------
def set_pos(state: ViewState, value, catalog: Catalog):
    pos = cd.int_json(value)
    if pos is cd.INVALID:
        return Reject(f"pos={cd.short(value)!r} is not a whole number; keeping pos={state.pos}") if value not in (None, "") \
            else Reject("")
    return state.replace(pos=pos)


def step(state: ViewState, delta: int, catalog: Catalog):
    return state.replace(pos=_pos(state, catalog, state.pos + delta))


def set_width(state: ViewState, value, catalog: Catalog):
    w = cd.int_json(value)
    if w is cd.INVALID:
        return Reject(f"width={cd.short(value)!r} is not a whole number; keeping width={state.width}") \
            if value not in (None, "") else Reject("")
    return _resize(state, w, catalog, keep_start=True)


def zoom(state: ViewState, factor: float, catalog: Catalog):
    w = max(MIN_WIDTH, int(round(state.width * factor)))
    return _resize(state, min(w, MAX_WIDTH, _T(state, catalog)), catalog, keep_start=False)


def _resize(state, w, catalog, keep_start):
    if w == state.width:
        return None
    centre = state.pos + (w if keep_start else state.width) / 2
    return state.replace(width=w, pos=_pos(state, catalog, int(round(centre - w / 2)), max(1, w)))


# -- threshold ----------------------------------------------------------------------------------------
def set_threshold(state: ViewState, value, typed: bool = True):
    t = cd.float_json(value)
    if t is cd.INVALID:
        return (Reject(f"threshold {cd.short(value)!r} is not a number; keeping ℓ = {state.threshold:g}")
                if typed and value not in (None, "") else Reject("") if typed else None)
    return state.replace(threshold=t) if t != state.threshold else None


# -- the hypothesis -----------------------------------------------------------------------------------
def brush(state: ViewState, start, stop, catalog: Catalog):
    a, b = cd.int_json(start), cd.int_json(stop)
    if a is cd.INVALID or b is cd.INVALID or not 0 <= a < b <= _T(state, catalog):
        return None
    if (a, b) == state.sel:
        return None
    return state.replace(sel=(a, b), exclude=(), focus=None, focus_pad=None)


def pad_handles(state: ViewState, value, shown):
    """The four handles under the words [left pad, start, stop, right pad] were moved. Only handles
    that moved count: a handle pinned at the window's edge (its range reaches outside) keeps the
    state's value. Overlapping handles (no padding on a side) move as a pair: dragged inwards they
    move the range's edge, dragged outwards they open a padding."""
    new, old = _handles(value), _handles(shown)
    if new is None or old is None or not state.sel:
        return None
    new = sorted(new)
    (a, b), (pl, pr) = state.sel, state.pad
    true = [a - pl, a, b, b + pr]
    v = [n if n != o else t for n, o, t in zip(new, old, true)]
    if pl == 0 and v[0] == a and v[1] > a:
        v[0] = v[1]
    if pr == 0 and v[3] == b and v[2] < b:
        v[3] = v[2]
    if v[2] <= v[1]:
        return None
    sel = (v[1], v[2])
    pad = (min(MAX_PAD, max(0, v[1] - v[0])), min(MAX_PAD, max(0, v[3] - v[2])))
    if (sel, pad) == (state.sel, state.pad):
        return None
    return state.replace(sel=sel, pad=pad, exclude=() if sel != state.sel else state.exclude)


def _handles(value):
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        return None
    v = [cd.int_json(x) for x in value]
    return None if any(x is cd.INVALID for x in v) else v


def exclude_cell(state: ViewState, cell):
    c = cd.int_json(cell)
    if c is cd.INVALID or c in state.exclude:
        return None
    return state.replace(exclude=tuple(sorted(set(state.exclude) | {c})))


def restore_cell(state: ViewState, cell):
    c = cd.int_json(cell)
    if c is cd.INVALID or c not in state.exclude:
        return None
    return state.replace(exclude=tuple(x for x in state.exclude if x != c))


def restore_all(state: ViewState):
    return state.replace(exclude=()) if state.exclude else None


def clear(state: ViewState):
    if state.sel is None and state.focus is None:
        return None
    return state.replace(sel=None, pad=(0, 0), exclude=(), focus=None, focus_pad=None)


# -- navigation: one channel for match rows, search hits and projection points ---------------------------
def navigation(value, state: ViewState) -> Navigate | None:
    """The navigate store's payload {"dataset", "start", "stop", "use", "pad"?} as a request, or None."""
    if not isinstance(value, dict) or value.get("dataset") != state.dataset:
        return None
    a, b = cd.int_json(value.get("start")), cd.int_json(value.get("stop"))
    pad = value.get("pad")
    pad = None if pad is None else cd.PAIR.from_json(pad)
    if a is cd.INVALID or b is cd.INVALID or pad is cd.INVALID or not isinstance(value.get("use", False), bool):
        return None
    return Navigate(a, b, bool(value.get("use", False)), pad)


def navigate(state: ViewState, nav: Navigate, catalog: Catalog):
    """Show nav's range (window centred on it, marked as the clicked range), keeping the hypothesis;
    with `use`, the range becomes the hypothesis (with nav's padding, if it brings one)."""
    T = _T(state, catalog)
    if not 0 <= nav.start < nav.stop <= T:
        return None
    pos = window_pos(nav.start, nav.stop, state.width, T)
    focus = (nav.start, nav.stop)
    if nav.use:
        return state.replace(pos=pos, sel=focus, pad=nav.pad if nav.pad is not None else state.pad, exclude=(),
                             focus=None, focus_pad=None)
    return state.replace(pos=pos, focus=focus, focus_pad=nav.pad)


def use_focus(state: ViewState, catalog: Catalog):
    if state.focus is None:
        return None
    return navigate(state, Navigate(state.focus[0], state.focus[1], True, state.focus_pad), catalog)


# -- match view ----------------------------------------------------------------------------------------
def toggle_length(state: ViewState, length):
    n = cd.int_json(length)
    if n is cd.INVALID:
        return None
    return state.replace(length=None if state.length == n else n)


def set_annotation(state: ViewState, name):
    if name is not None and not isinstance(name, str) or name == state.annotation:
        return None
    return state.replace(annotation=name)


def set_compare(state: ViewState, value):
    if value is not None and not isinstance(value, str) or (value or None) == state.compare:
        return None
    return state.replace(compare=value or None)

