"""The page callback: every component's actions in, every component's outputs out, in ONE callback.

One user action is one round trip: the action makes the next view state (actions.py), the state is
checked against the datasets (state.check: clamped, with notices), pushed to the URL, and every
component renders what changed for it. Views that are closed render nothing, so they cost nothing.

The URL is an input too (page load, back/forward, a preset link): it is parsed, a non-canonical
address is rewritten in place, and the views follow. The state store is the page's memory of what
it shows; a store that does not hold a valid state (it came from the browser) is replaced by the
URL's state and everything is drawn again.
"""
from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback_context, html, no_update
from dash.exceptions import PreventUpdate

from . import actions, ids
from .component import Navigate, Reject, walk
from .context import RenderContext
from .state import check, from_store, parse_query, serialize

log = logging.getLogger("lstmvis_dash.ui")
SHARED_OUTPUTS = [(ids.VIEW_STATE, "data"), (ids.URL, "search"), (ids.URL_REPLACE, "data"), (ids.NOTICE, "children")]


def notice_alert(notices):
    return dbc.Alert([html.Div(n) for n in notices], color="warning", dismissable=True,
                     className="py-2 mb-2 lv-notice-alert")


class PageCallback:
    """The wiring of the page callback, collected from the components (see component.py)."""

    def __init__(self, components):
        self.components = list(walk(components))
        self.actions = {}
        for c in self.components:
            for a in c.actions():
                if a.key in self.actions or a.key in ((ids.URL, "search"), (ids.NAVIGATE, "data")):
                    raise ValueError(f"input {a.key} is declared twice")
                self.actions[a.key] = a
        self.outputs = list(SHARED_OUTPUTS)
        self.states = []
        for c in self.components:
            self.outputs += c.outputs()
            self.states += [s for s in c.states() if s not in self.states]
        if len(set(self.outputs)) != len(self.outputs):
            dup = sorted({o for o in self.outputs if self.outputs.count(o) > 1})
            raise ValueError(f"outputs written by two components: {dup}")
        self.inputs = [(ids.URL, "search"), (ids.NAVIGATE, "data")] + list(self.actions)

    def register(self, app, registry) -> None:
        @app.callback([Output(i, p) for i, p in self.outputs], [Input(i, p) for i, p in self.inputs],
                      [State(ids.VIEW_STATE, "data")] + [State(i, p) for i, p in self.states])
        def page(*args):
            return self.run(registry, args, [item["prop_id"] for item in callback_context.triggered])

    # ---------------------------------------------------------------------------------------------
    def run(self, registry, args, triggered_props):
        n_in = len(self.inputs)
        inputs = dict(zip(self.inputs, args[:n_in]))
        store = args[n_in]
        values = dict(zip(self.states, args[n_in + 1:]))
        values.update(inputs)
        triggered = [tuple(p.rsplit(".", 1)) for p in triggered_props if p and p != "."]
        search = inputs[(ids.URL, "search")]
        if search is not None and not isinstance(search, str):
            return [no_update] * len(self.outputs)
        try:
            catalog = registry.catalog()
        except Exception as e:  # noqa: BLE001 - the page says so instead of failing
            log.exception("the datasets cannot be listed")
            return self._only_notice([f"the datasets cannot be listed: {e}"])
        current = from_store(store, catalog)
        url_state, url_notices = parse_query(search, catalog)
        replace, notices = no_update, []

        if not triggered or (ids.URL, "search") in triggered:
            if search is None:
                raise PreventUpdate  # dcc.Location has not read the address yet
            state, notices = url_state, url_notices
            if serialize(state) != search:
                replace = {"search": serialize(state)}
            before = current if triggered else None
            trigger = (ids.URL, "search") if triggered else None
            if state == current and not notices and replace is no_update:
                return [no_update] * len(self.outputs)
        else:
            base = current or url_state
            before = current
            trigger, result = None, None
            act_ctx = RenderContext(registry, catalog, base, base, None, values)
            for key in triggered:
                result = self._apply(key, inputs.get(key), base, act_ctx, catalog)
                if result is not None:
                    trigger = key
                    break
            if result is None:
                return [no_update] * len(self.outputs)
            if isinstance(result, Reject):
                notices = [result.why] if result.why else []
                state = base
            else:
                state, notices = check(result, catalog)
            if current is None:  # the page's memory was not a valid state: the address says why
                notices = url_notices + notices
        push = no_update
        if trigger != (ids.URL, "search") and trigger is not None and serialize(state) != search:
            push = serialize(state)
        ctx = RenderContext(registry, catalog, state, before, trigger, values)
        out = {}
        for c in self.components:
            out.update(self._render(c, ctx))
        notices += ctx.notices
        out[(ids.VIEW_STATE, "data")] = state.to_store() if state != current else no_update
        out[(ids.URL, "search")] = push
        out[(ids.URL_REPLACE, "data")] = replace
        out[(ids.NOTICE, "children")] = notice_alert(notices) if notices else no_update
        return [out.get(o, no_update) for o in self.outputs]

    def _apply(self, key, value, state, ctx, catalog):
        if key == (ids.NAVIGATE, "data"):
            nav = actions.navigation(value, state)
            return actions.navigate(state, nav, catalog) if nav is not None else None
        action = self.actions.get(key)
        if action is None:
            return None
        result = action.apply(state, value, ctx)
        if isinstance(result, Navigate):
            return actions.navigate(state, result, catalog)
        return result

    @staticmethod
    def _render(component, ctx) -> dict:
        try:
            return component.render(ctx)
        except ValueError as e:  # a dataset that cannot be opened, a layer gone: said on the page
            log.warning("%s %r: %s", type(component).__name__, component.name, e)
            ctx.notice(str(e))
        except Exception as e:  # noqa: BLE001 - a bug: logged, and the page says so
            log.exception("%s %r failed", type(component).__name__, component.name)
            ctx.notice(f"{type(component).__name__} failed: {e}")
        return {}

    def _only_notice(self, notices):
        return [notice_alert(notices) if o == (ids.NOTICE, "children") else no_update for o in self.outputs]
