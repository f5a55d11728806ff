"""One callback keeps the URL, the canonical view state (ids.VIEW_STATE) and the controls in step.

Dash forbids dependency cycles between callbacks but allows a callback to take a prop as input and
also write it. So every control that mirrors the view state, the URL and the view state itself are
inputs *and* outputs of this one callback:

- the URL changed (page load, browser back/forward): parse it, show notices, set the controls;
  a bad or non-canonical address is rewritten in place (history.replaceState, no new history entry);
- a control changed: apply the action to the state, check it like a URL, push the new query string
  (one history entry per committed change: sliders commit on mouse-up, number fields on Enter/blur);
- another view wrote ids.VIEW_STATE (e.g. the match view adopting a match, with allow_duplicate):
  check it and push it to the URL and the controls.

Controls whose value did not change get `no_update`, so no downstream callback fires needlessly.
"""
from __future__ import annotations

import logging
import math

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from . import ids, urlstate

log = logging.getLogger("lstmvis_dash.ui")
URL_REPLACE = "url-replace"  # store: {"search": ...} rewritten in place by assets/lstmvis.js
MIN_WIDTH = 5

CONTROLS = [
    (ids.DATASET, "options"), (ids.DATASET, "value"), (ids.LAYER, "options"), (ids.LAYER, "value"),
    (ids.DATASET_INFO, "children"), (ids.POS, "value"), (ids.WIDTH, "value"), (ids.THRESHOLD_SLIDER, "value"), (ids.THRESHOLD_SLIDER, "min"),
    (ids.THRESHOLD_SLIDER, "max"), (ids.THRESHOLD_INPUT, "value"), (ids.BRUSH, "value"), (ids.BRUSH, "min"),
    (ids.BRUSH, "max"), (ids.BRUSH, "disabled"),
]

INPUTS = [
    (ids.URL, "search"), (ids.VIEW_STATE, "data"), (ids.DATASET, "value"), (ids.LAYER, "value"),
    (ids.POS, "value"), (ids.PAGE_BACK, "n_clicks"), (ids.STEP_BACK, "n_clicks"), (ids.STEP_FWD, "n_clicks"),
    (ids.PAGE_FWD, "n_clicks"), (ids.WIDTH, "value"), (ids.ZOOM_IN, "n_clicks"), (ids.ZOOM_OUT, "n_clicks"),
    (ids.THRESHOLD_SLIDER, "value"), (ids.THRESHOLD_INPUT, "value"), (ids.THRESHOLD_DRAG, "data"),
    (ids.BRUSH_RANGE, "data"), (ids.GRAPH, "clickData"), (ids.BRUSH, "value"), (ids.REMOVE_CELL, "data"),
    (ids.RESTORE_CELLS, "n_clicks"), (ids.CLEAR, "n_clicks"),
]


def layout():
    """Shared, invisible parts: the URL, the state stores, and the URL rewrite helper."""
    return [
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        dcc.Store(id=ids.VIEW_STATE, storage_type="memory"),
        dcc.Store(id=ids.SELECTION, storage_type="memory"),
        dcc.Store(id=URL_REPLACE, storage_type="memory"),
        dcc.Store(id=ids.BRUSH_ANCHOR, storage_type="memory"),
        dcc.Store(id=ids.REMOVE_CELL, storage_type="memory"),
        dcc.Store(id=ids.BRUSH_RANGE, storage_type="memory"),
        dcc.Store(id=ids.THRESHOLD_DRAG, storage_type="memory"),
    ]


# ---------------------------------------------------------------------------------------------
# controls as a function of the state

def controls(state: dict, catalog: urlstate.Catalog, registry=None) -> dict:
    out = {}
    opts = []
    for n in catalog.names:
        info = catalog.info(n)
        if info is None:
            opts.append({"label": f"{n} (unavailable)", "value": n, "disabled": True,
                         "title": catalog.errors.get(n) or ""})
        else:
            opts.append({"label": f"{n} · T={info.T:,}", "value": n})
    out[(ids.DATASET, "options")] = opts
    out[(ids.DATASET, "value")] = state["dataset"]
    info = catalog.info(state["dataset"]) if state["dataset"] is not None else None
    if info is None:
        out[(ids.LAYER, "options")] = []
        out[(ids.LAYER, "value")] = None
        out[(ids.DATASET_INFO, "children")] = catalog.errors.get(state["dataset"]) or "no dataset available"
        for key in CONTROLS:
            out.setdefault(key, None)
        out[(ids.BRUSH, "disabled")] = True
        return out
    out[(ids.LAYER, "options")] = [{"label": f"{name} · D={li.D}", "value": name} for name, li in info.layers.items()]
    out[(ids.LAYER, "value")] = state["layer"]
    layer = info.layers[state["layer"]]
    desc = ""
    if registry is not None:
        try:
            desc = registry.get(state["dataset"]).description or ""
        except ValueError:
            desc = ""
    out[(ids.DATASET_INFO, "children")] = (f"T = {info.T:,} tokens · D = {layer.D} cells · "
                                           f"{layer.transform}" + (f" · {desc}" if desc else ""))
    W, pos = state["width"], state["pos"]
    out[(ids.POS, "value")] = pos
    out[(ids.WIDTH, "value")] = W
    thr = state["threshold"]
    if layer.transform == "tanh":
        lo, hi = -1.0, 1.0
    else:
        lo, hi = slider_bounds_untransformed(registry, state)
    out[(ids.THRESHOLD_SLIDER, "min")] = lo
    out[(ids.THRESHOLD_SLIDER, "max")] = hi
    out[(ids.THRESHOLD_SLIDER, "value")] = min(max(thr, lo), hi)
    out[(ids.THRESHOLD_INPUT, "value")] = thr
    sel, pad = state["sel"], state["pad"]
    if sel:
        v = [sel[0] - pad[0], sel[0], sel[1], sel[1] + pad[1]]
        out[(ids.BRUSH, "value")] = v
        out[(ids.BRUSH, "min")] = min(pos, v[0])
        out[(ids.BRUSH, "max")] = max(pos + W, v[3])
        out[(ids.BRUSH, "disabled")] = False
    else:
        out[(ids.BRUSH, "value")] = [pos, pos, pos + W, pos + W]
        out[(ids.BRUSH, "min")] = pos
        out[(ids.BRUSH, "max")] = pos + W
        out[(ids.BRUSH, "disabled")] = True
    return out


def slider_bounds_untransformed(registry, state) -> tuple[float, float]:
    """Slider range for a layer shown without transform: the values in the window, rounded out."""
    lo, hi = -1.0, 1.0
    if registry is not None:
        try:
            v = registry.get(state["dataset"]).values(state["layer"], state["pos"], state["pos"] + state["width"])
            if v.size:
                lo, hi = float(min(v.min(), lo)), float(max(v.max(), hi))
        except ValueError:
            pass
    return math.floor(min(lo, state["threshold"])), math.ceil(max(hi, state["threshold"]))


# ---------------------------------------------------------------------------------------------
# actions: (state, value) -> new state (before checking)

def _T(catalog, state):
    info = catalog.info(state["dataset"])
    return info.T if info is not None else 0


def _clamp_pos(pos, state, catalog):
    return int(max(0, min(int(pos), _T(catalog, state) - state["width"])))


def _range_to_sel(rng: dict, pos: int, width: int):
    xs = None
    for key, val in (rng or {}).items():
        if key.startswith("x") and isinstance(val, list) and len(val) == 2:
            xs = val
            break
    if xs is None:
        return None
    x0, x1 = sorted(float(v) for v in xs)
    first, last = max(0, math.ceil(x0)), min(width - 1, math.floor(x1))
    if first > last:  # the box holds no word centre (e.g. a vertical drag): not a brush
        return None
    return [pos + first, pos + last + 1]


def apply_action(trigger, value, state: dict, catalog, anchor):
    """New (state, anchor, notices) for one user action; None when the action changes nothing."""
    s = dict(state)
    notices = []
    W = s["width"]
    if trigger == ids.DATASET:
        if not value or value == s["dataset"]:
            return None
        new = urlstate.default_state(catalog, value)
        if catalog.info(value) is not None:
            new["width"] = min(W, catalog.info(value).T)
        new["threshold"] = s["threshold"]
        return new, None, notices
    if trigger == ids.LAYER:
        if not value or value == s["layer"]:
            return None
        s.update(layer=value, exclude=[])
        return s, anchor, notices
    if trigger == ids.POS:
        if value is None:
            return None
        try:
            want = int(value)
        except (TypeError, ValueError):
            return None
        s["pos"] = _clamp_pos(want, s, catalog)
        if s["pos"] != want:
            notices.append(f"pos={want} is outside the data; moved to pos={s['pos']}")
    elif trigger in (ids.PAGE_BACK, ids.STEP_BACK, ids.STEP_FWD, ids.PAGE_FWD):
        delta = {ids.PAGE_BACK: -W, ids.STEP_BACK: -1, ids.STEP_FWD: 1, ids.PAGE_FWD: W}[trigger]
        s["pos"] = _clamp_pos(s["pos"] + delta, s, catalog)
    elif trigger in (ids.WIDTH, ids.ZOOM_IN, ids.ZOOM_OUT):
        if trigger == ids.WIDTH:
            if value is None:
                return None
            try:
                w = int(value)
            except (TypeError, ValueError):
                return None
        elif trigger == ids.ZOOM_IN:
            w = max(MIN_WIDTH, int(round(W / 1.5)))
        else:
            w = int(round(W * 1.5))
        limit = min(urlstate.MAX_WIDTH, _T(catalog, s))
        if w > limit:
            if trigger == ids.WIDTH:
                notices.append(f"width={w} is wider than the maximum; using width={limit}")
            w = limit
        if w < 1:
            notices.append(f"width={w} is not a positive whole number; keeping width={W}")
            w = W
        centre = s["pos"] + W / 2 if trigger != ids.WIDTH else s["pos"] + w / 2
        s["width"] = w
        s["pos"] = _clamp_pos(int(round(centre - w / 2)), s, catalog)
    elif trigger in (ids.THRESHOLD_SLIDER, ids.THRESHOLD_INPUT):
        if value is None:
            return None
        try:
            t = float(value)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(t):
            return None
        s["threshold"] = t
    elif trigger == ids.THRESHOLD_DRAG:
        t = value.get("y") if isinstance(value, dict) else None
        if t is None:
            return None
        try:
            t = round(float(t), 2)
        except (TypeError, ValueError):
            return None
        info = catalog.info(s["dataset"])
        if info is not None and info.layers[s["layer"]].transform == "tanh":
            t = min(1.0, max(-1.0, t))
        s["threshold"] = t
    elif trigger == ids.BRUSH_RANGE:
        if not isinstance(value, dict) or not value.get("range"):
            return None
        sel = _range_to_sel(value["range"], s["pos"], W)
        if sel is None:
            return None
        if sel != s["sel"]:
            s.update(sel=sel, exclude=[])
        anchor = None
    elif trigger == ids.GRAPH + ".clickData":
        pts = (value or {}).get("points") or []
        if not pts or pts[0].get("curveNumber") != 3:
            return None
        x = pts[0].get("x")
        if not isinstance(x, (int, float)):
            return None
        t = s["pos"] + int(round(x))
        if anchor is not None and isinstance(anchor, dict) and anchor.get("t") is not None \
                and anchor.get("dataset") == s["dataset"]:
            a = int(anchor["t"])
            sel = [min(a, t), max(a, t) + 1]
            anchor = None
        else:
            sel = [t, t + 1]
            anchor = {"t": t, "dataset": s["dataset"]}
        if sel != s["sel"]:
            s.update(sel=sel, exclude=[])
    elif trigger == ids.BRUSH:
        if not isinstance(value, list) or len(value) != 4 or not s["sel"]:
            return None
        v = [int(round(x)) for x in sorted(value)]
        (a, b), (pl, pr) = s["sel"], s["pad"]
        # Overlapping handles (no padding on a side) move as a pair: dragged inwards they move the
        # range's edge (a padding cannot lie inside the range), dragged outwards they open a padding.
        if pl == 0 and v[0] == a and v[1] > a:
            v[0] = v[1]
        if pr == 0 and v[3] == b and v[2] < b:
            v[3] = v[2]
        sel = [v[1], v[2]] if v[2] > v[1] else s["sel"]
        pad = [v[1] - v[0], v[3] - v[2]] if v[2] > v[1] else [sel[0] - v[0], v[3] - sel[1]]
        pad = [max(0, min(urlstate.MAX_PAD, p)) for p in pad]
        if sel != s["sel"]:
            s["exclude"] = []
        s.update(sel=sel, pad=pad)
    elif trigger == ids.REMOVE_CELL:
        if not isinstance(value, dict) or not isinstance(value.get("cell"), int):
            return None
        s["exclude"] = sorted(set(s["exclude"]) | {value["cell"]})
    elif trigger == ids.RESTORE_CELLS:
        if not value:
            return None
        s["exclude"] = []
    elif trigger == ids.CLEAR:
        if not value:
            return None
        s.update(sel=None, pad=[0, 0], exclude=[])
        anchor = None
    elif isinstance(trigger, dict) and trigger.get("type") == ids.SEARCH_HIT:
        if not value:
            return None
        s["pos"] = _clamp_pos(int(trigger["pos"]) - W // 4, s, catalog)
    else:
        return None
    return s, anchor, notices


def _trigger_key(prop_id: str):
    """'select-graph.relayoutData' -> 'select-graph.relayoutData'; 'pos-input.value' -> 'pos-input';
    a pattern-matching id -> its dict."""
    import json
    cid, prop = prop_id.rsplit(".", 1)
    if cid.startswith("{"):
        return json.loads(cid)
    return f"{cid}.{prop}" if cid == ids.GRAPH else cid


def notice_alert(notices):
    return dbc.Alert([html.Div(n) for n in notices], color="warning", dismissable=True,
                     className="py-2 mb-2 lv-notice-alert")


# ---------------------------------------------------------------------------------------------

def register_callbacks(app, registry):
    outputs = ([Output(ids.VIEW_STATE, "data"), Output(ids.URL, "search"), Output(URL_REPLACE, "data"),
                Output(ids.NOTICE, "children"), Output(ids.BRUSH_ANCHOR, "data")]
               + [Output(i, p) for i, p in CONTROLS])
    inputs = [Input(i, p) for i, p in INPUTS] + [Input({"type": ids.SEARCH_HIT, "pos": ALL}, "n_clicks")]
    n_out = len(outputs)

    app.clientside_callback(ClientsideFunction(namespace="lstmvis", function_name="replaceUrl"),
                            Input(URL_REPLACE, "data"), prevent_initial_call=True)

    @app.callback(outputs, inputs, State(ids.BRUSH_ANCHOR, "data"))
    def _sync_safe(*args):
        try:
            return _sync(*args)
        except PreventUpdate:
            raise
        except Exception as e:  # noqa: BLE001 - the user gets a notice, never a traceback
            log.exception("state sync failed")
            out = [no_update] * n_out
            out[3] = notice_alert([f"that did not work: {e}"])
            return out

    def _sync(*args):
        search, current = args[0], args[1]
        anchor = args[-1]
        trig = ctx.triggered_id
        nothing = [no_update] * n_out
        try:
            catalog = registry.catalog()
        except Exception as e:  # noqa: BLE001 - never a traceback for the user
            log.exception("catalog failed")
            out = list(nothing)
            out[3] = notice_alert([f"the datasets cannot be listed: {e}"])
            return out
        notices, replace = [], no_update
        old_controls = controls(current, catalog, registry) if current else None

        if trig is None or trig == ids.URL:
            if search is None:
                raise PreventUpdate  # dcc.Location has not read the address yet
            state, notices = urlstate.parse_query(search, catalog)
            new_search = urlstate.serialize(state)
            push = no_update
            if new_search != search:
                replace = {"search": new_search}
            if state == current and not notices and replace is no_update:
                return nothing
            new_anchor = no_update if state.get("dataset") == (current or {}).get("dataset") else None
            force_all = current is None
        else:
            if not current:
                raise PreventUpdate
            if trig == ids.VIEW_STATE:
                state, notices = urlstate.normalize(current, catalog)
                new_anchor = no_update
                force_all = False
                # another view changed the state: the address still holds the state before that change
                before, _ = urlstate.parse_query(search, catalog)
                old_controls = controls(before, catalog, registry)
            else:
                result = None
                for item in ctx.triggered:  # e.g. a box select fires relayoutData and selectedData together
                    key = _trigger_key(item["prop_id"])
                    try:
                        result = apply_action(key, item["value"], current, catalog, anchor)
                    except Exception:  # noqa: BLE001 - never a traceback for the user
                        log.exception("action %s failed", key)
                        result = None
                    if result is not None:
                        break
                if result is None:
                    out = list(nothing)
                    if trig in (ids.POS, ids.WIDTH, ids.THRESHOLD_INPUT) and old_controls:
                        # an empty or invalid field: show the current value again
                        out[n_out - len(CONTROLS) + CONTROLS.index((trig, "value"))] = old_controls[(trig, "value")]
                    return out
                state, new_anchor, action_notices = result
                state, check_notices = urlstate.normalize(state, catalog)
                notices = action_notices + check_notices
                new_anchor = no_update if new_anchor == anchor else new_anchor
                force_all = False
            new_search = urlstate.serialize(state)
            push = new_search if new_search != search else no_update

        new_controls = controls(state, catalog, registry)
        out = [state if state != current else no_update, push, replace,
               notice_alert(notices) if notices else no_update, new_anchor]
        for key in CONTROLS:
            val = new_controls[key]
            same = old_controls is not None and not force_all and old_controls.get(key) == val
            if same and key[0] != trig:
                out.append(no_update)
            else:
                out.append(val)
        if trig is None or trig == ids.URL:
            out[1] = no_update
        return out
