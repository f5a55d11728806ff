"""The component interface: every part of the page is a `Component` instance with ids of its own.

A component declares
- `PARTS`: the names of its ids; `self.ids.<part>` is "<kind>-<name>-<part>", so one component
  can appear twice on a page (the comparison's second select view is `SelectView("compare", ...)`);
- `layout()`: its Dash tree; child components go into named slots (`self.slot("extras")`);
- `actions()`: the user inputs it owns, each an `Action(id, prop, apply)` whose `apply(state, value,
  ctx)` is a small pure function from the view state to the next one (or a `Navigate` request, or
  None for "nothing to do", or `Reject(why)` for a bad value a person typed);
- `outputs()` and `render(ctx) -> {(id, prop): value}`: what it shows for the view state, drawing
  only what changed (`ctx.changed(...)`); `states()`: extra props it reads in render (`ctx.value`);
- `register(app, registry)`: side callbacks that are not a view update (a download, clientside JS).

`controller.py` turns all of this into ONE page callback, so one user action is one round trip and
a view that is closed (renders nothing) costs nothing. Nothing a component receives is trusted:
`apply` and `render` validate the values they read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from dash import html


class Ids:
    """The ids of one component instance, as attributes: `ids.graph == "select-main-graph"`."""

    def __init__(self, kind: str, name: str, parts):
        self._all = {}
        for part in parts:
            value = f"{kind}-{name}-{part}"
            self._all[part] = value
            setattr(self, part.replace("-", "_"), value)

    def __iter__(self):
        return iter(self._all.values())


@dataclass(frozen=True)
class Navigate:
    """A view asks to show the range start:stop (a match row, a search hit, a projection point): the
    window moves there and the range is marked; with `use`, it becomes the hypothesis. `pad` is the
    padding "use" adopts with it (None: keep the current one)."""
    start: int
    stop: int
    use: bool = False
    pad: tuple | None = None


@dataclass(frozen=True)
class Reject:
    """A value a person typed that cannot be used: the view stays, the control shows the state
    again and the page says `why`."""
    why: str


@dataclass(frozen=True)
class Action:
    id: str
    prop: str
    apply: Callable[[Any, Any, Any], Any]   # (state, value, ctx) -> ViewState | Navigate | Reject | None

    @property
    def key(self) -> tuple[str, str]:
        return self.id, self.prop


class Component:
    KIND = "component"
    PARTS: tuple = ()

    def __init__(self, name: str = "main", **slots):
        self.name = name
        self.ids = Ids(self.KIND, name, self.PARTS)
        self.slots: dict[str, list] = {k: list(v) for k, v in slots.items()}

    def layout(self):
        raise NotImplementedError

    def actions(self) -> list[Action]:
        return []

    def outputs(self) -> list[tuple[str, str]]:
        return []

    def states(self) -> list[tuple[str, str]]:
        return []

    def render(self, ctx) -> dict:
        return {}

    def register(self, app, registry) -> None:
        return None

    # -- slots ---------------------------------------------------------------------------------
    def slot(self, name: str, **div_props) -> html.Div:
        """The layouts of the components placed in slot `name`, in a Div (empty when none)."""
        return html.Div([c.layout() for c in self.slots.get(name, [])], **div_props)

    def children(self) -> list["Component"]:
        return [c for comps in self.slots.values() for c in comps]


def walk(components) -> Iterator[Component]:
    """Every component of the page, parents before the components in their slots."""
    for c in components:
        yield c
        yield from walk(c.children())


def check_unique(components) -> None:
    """Two components (or two parts) with the same id would make the page ambiguous: refuse early."""
    seen: dict[str, str] = {}
    for c in walk(components):
        for i in c.ids:
            if i in seen:
                raise ValueError(f"component id {i!r} is used twice ({seen[i]} and {type(c).__name__} "
                                 f"{c.name!r}); give one of them another name")
            seen[i] = f"{type(c).__name__} {c.name!r}"
