"""The page-level ids every component may read (each component owns the rest: component.Ids).

- URL (dcc.Location): the query string of SPEC.md section 5.
- VIEW_STATE (dcc.Store): the view state the page shows (`state.ViewState.to_store()`).
- NAVIGATE (dcc.Store): the navigation channel. Any view (or the JS of one) writes
  {"dataset", "start", "stop", "use": bool, "pad": [l, r] | absent, "n": nonce} to ask the page to
  show a range (and with "use", to adopt it as the hypothesis); see actions.navigate.
- URL_REPLACE (dcc.Store): a non-canonical address rewritten in place (assets/lstmvis.js).
- NOTICE: the visible alert area for URL and input notices.
- HOVER_CELL (dcc.Store): the cell under the mouse in the select view, {"dataset", "layer", "cell"}
  or null, set clientside (debounced) for extra figures that follow the hovered cell.
"""

URL = "url"
VIEW_STATE = "view-state"
NAVIGATE = "navigate"
URL_REPLACE = "url-replace"
NOTICE = "notice"
HOVER_CELL = "hover-cell"
