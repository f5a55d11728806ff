"""Preset links (issue 12): each finding of the current dataset as a link to the shared URL that opens it.

The presets are declared per dataset in datasets.yml (`presets:`, config.Preset); a link is the
page's own query string, `?dataset=<name>&<query>`, so following it is exactly opening a shared URL
(the page callback parses and validates it like any other address). A dcc.Link changes the address
in place: one round trip, no reload. Placed in the header's "links" slot: `Header(links=[PresetLinks()])`.
"""
from __future__ import annotations

from urllib.parse import quote

from dash import dcc, html

from .component import Component


def preset_href(dataset: str, query: str) -> str:
    """The relative URL of a preset: the current path with the preset's view as its query."""
    return f"?dataset={quote(dataset, safe='')}&{query}"


def dataset_presets(config, name) -> tuple:
    """The presets of a dataset of the config (none for a name that is not one of its datasets)."""
    try:
        return config.entry(name).presets if isinstance(name, str) else ()
    except ValueError:
        return ()


class PresetLinks(Component):
    KIND = "presets"
    PARTS = ("links",)

    def layout(self):
        return html.Div(id=self.ids.links, className="lv-presets small")

    def outputs(self):
        return [(self.ids.links, "children")]

    def render(self, ctx) -> dict:
        if not ctx.changed("dataset"):
            return {}
        name = ctx.state.dataset
        links = [dcc.Link(p.label, href=preset_href(name, p.query), className="lv-preset me-3",
                          title=f"open this finding: {p.query}") for p in dataset_presets(ctx.registry.config, name)]
        return {(self.ids.links, "children"): [html.Span("Findings:", className="text-muted me-2")] + links
                if links else []}
