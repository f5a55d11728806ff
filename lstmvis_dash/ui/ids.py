"""Every component id of the dashboard, in one place.

Shared contract (other views depend on these):
- URL (dcc.Location): the query string of SPEC.md section 5.
- VIEW_STATE (dcc.Store): the canonical view state dict, see `urlstate.ViewState`.
- SELECTION (dcc.Store): written by the select view whenever S1 changes:
  {"dataset", "layer", "sel", "pad", "threshold", "cells"} (cells = S1 minus exclude).
- NOTICE: the visible alert area for URL and input notices.
"""

# shared state
URL = "url"
VIEW_STATE = "view-state"
SELECTION = "selection"
NOTICE = "notice"

# header
DATASET = "dataset-dropdown"
LAYER = "layer-dropdown"
DATASET_INFO = "dataset-info"
POS = "pos-input"
PAGE_BACK = "nav-page-back"
STEP_BACK = "nav-step-back"
STEP_FWD = "nav-step-fwd"
PAGE_FWD = "nav-page-fwd"
WIDTH = "width-input"
ZOOM_IN = "zoom-in"
ZOOM_OUT = "zoom-out"
SEARCH_INPUT = "search-input"
SEARCH_BUTTON = "search-button"
SEARCH_RESULTS = "search-results"
SEARCH_HIT = "search-hit"  # pattern-matching type: {"type": SEARCH_HIT, "pos": t}

# select view
SELECT_VIEW = "select-view"
GRAPH = "select-graph"
DETAIL = "select-detail"
THRESHOLD_SLIDER = "threshold-slider"
THRESHOLD_INPUT = "threshold-input"
BRUSH = "brush-slider"
BRUSH_RANGE = "brush-range"  # store set clientside from plotly's box select: {"range": {...}, "n": nonce}
THRESHOLD_DRAG = "threshold-drag"  # store set clientside when the threshold line is dragged: {"y": ℓ, "n"}
BRUSH_ANCHOR = "brush-anchor"  # store: the first clicked word of a click-click selection
CHIPS = "s1-chips"
REMOVE_CELL = "remove-cell"  # store set clientside by a chip's cross: {"cell": c, "n": nonce}
RESTORE_CELLS = "restore-cells"
CLEAR = "clear-selection"
MIN_RUN = "min-run-input"
S1_SUMMARY = "s1-summary"
RENDERED = "select-rendered"  # store: which window the graph currently shows
