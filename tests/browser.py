"""One headless Chromium and one live server for all browser tests of a session (they are slow to
start here: software WebGL), and a small page driver over the new page's ids.

    def test_x(page):
        page.open("?dataset=small&sel=10:14")
        page.wait(lambda: page.select_meta()["s1"] == [...], "S1")
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from urllib.parse import parse_qs, urlparse

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--no-first-run",
               "--window-size=1280,1100"]
IGNORED_CONSOLE = ("dash-version.plotly.com", "favicon", "WebGL", "GPU stall", "swiftshader")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chrome(download_dir=None):
    o = Options()
    o.binary_location = CHROMIUM
    for a in CHROME_ARGS:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if download_dir:
        o.add_experimental_option("prefs", {"download.default_directory": str(download_dir),
                                            "download.prompt_for_download": False})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
    if download_dir:
        d.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    d.set_script_timeout(60)
    return d


class ServerLog(logging.Handler):
    """What the server logged at WARNING and above, and every traceback."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def tracebacks(self):
        return [f"{r.name}: {r.getMessage()}" for r in self.records if r.exc_info or "Traceback" in r.getMessage()]


class LiveServer:
    def __init__(self, dash_app):
        from werkzeug.serving import make_server
        self.app = dash_app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, dash_app.server, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.log = ServerLog()
        logging.getLogger().addHandler(self.log)
        self.thread.start()

    def stop(self):
        logging.getLogger().removeHandler(self.log)
        self.server.shutdown()


def until(fn, timeout=30.0, what="condition", interval=0.1):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - the page may be between renders
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


META = "var b = document.getElementById(arguments[0]); var gd = b && b.querySelector('.js-plotly-plot');" \
       "return gd && gd.layout && gd.layout.meta && gd._fullLayout ? gd.layout.meta : null;"


class Page:
    def __init__(self, driver, server):
        self.d, self.server = driver, server

    # -- navigation ------------------------------------------------------------------------------
    def open(self, search="", ready=True):
        self.d.get_log("browser")
        self.d.get(self.server.url + "/" + search)
        if ready:
            self.wait(lambda: self.select_meta() is not None and self.js(
                "return !document.querySelector('[data-dash-is-loading=\"true\"]')"), "the page", 60)
            self.settle()
        return self

    def settle(self):
        """Wait until the page's height holds still (figures drawn) and no callback is running."""
        last = [None]

        def still():
            h = self.js("return document.body.scrollHeight + (document.querySelector("
                        "'[data-dash-is-loading=\"true\"]') ? 0.5 : 0)")
            ok, last[0] = h == last[0], h
            return ok
        self.wait(still, "the page to settle", 30)

    def query(self) -> dict:
        q = parse_qs(urlparse(self.d.current_url).query, keep_blank_values=True)
        return {k: v[-1] for k, v in q.items()}

    def wait(self, fn, what="condition", timeout=30.0):
        return until(fn, timeout=timeout, what=what)

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def el(self, cid):
        return self.d.find_element(By.ID, cid)

    def center(self, element):
        # Bootstrap scrolls smoothly: jump instead, so that the element is where it is said to be
        self.js("document.documentElement.style.scrollBehavior = 'auto';"
                "arguments[0].scrollIntoView({block: 'center'});", element)
        time.sleep(0.2)
        return element

    # -- what is shown -----------------------------------------------------------------------------
    def meta(self, graph_id):
        return self.js(META, graph_id)

    def select_meta(self, name="main"):
        return self.meta(f"select-{name}-graph")

    def matrix_meta(self):
        return self.meta("match-main-matrix")

    def chips(self, kind="s1-chip"):
        return [int(e.get_attribute("data-cell")) for e in
                self.d.find_elements(By.CSS_SELECTOR, f"#select-main-chips .{kind}")]

    def notice(self) -> str:
        return self.el("notice").text

    def console_errors(self):
        return [e["message"] for e in self.d.get_log("browser")
                if e["level"] == "SEVERE" and not any(s in e["message"] for s in IGNORED_CONSOLE)]

    # -- input ---------------------------------------------------------------------------------------
    def type(self, cid, text):
        box = self.center(self.el(cid))
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(str(text), Keys.ENTER)

    def click(self, element):
        """A real click at the element's centre, once the page has stopped moving under it."""
        self.settle()
        self.center(element).click()

    def pixel(self, graph_id, x, y, axes=("xaxis", "yaxis")):
        """Page coordinates (CSS px, viewport) of data point (x, y) of a graph."""
        return self.js(f"""var gd = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
            var xa = gd._fullLayout.{axes[0]}, ya = gd._fullLayout.{axes[1]}, r = gd.getBoundingClientRect();
            var x = xa.type === 'category' ? xa.l2p(xa._categoriesMap[arguments[1]]) : xa.d2p(arguments[1]);
            return [r.left + xa._offset + x, r.top + ya._offset + ya.d2p(arguments[2])];""",
                       graph_id, x, y)

    def point(self, graph_id, x, y, axes=("xaxis", "yaxis")):
        """`pixel`, after scrolling the page so that the point is in the viewport."""
        px, py = self.pixel(graph_id, x, y, axes)
        height = self.js("return window.innerHeight")
        if not 40 < py < height - 40:
            self.js("document.documentElement.style.scrollBehavior = 'auto';"
                    "window.scrollBy(0, arguments[0]);", py - height / 2)
            time.sleep(0.2)
            px, py = self.pixel(graph_id, x, y, axes)
        return px, py

    def mouse(self, points, hold=True):
        """Press at the first (x, y) viewport point, move through the others, release."""
        from selenium.webdriver.common.actions.action_builder import ActionBuilder
        a = ActionBuilder(self.d)
        x0, y0 = points[0]
        a.pointer_action.move_to_location(int(x0), int(y0))
        if hold:
            a.pointer_action.pointer_down()
        for x, y in points[1:]:
            a.pointer_action.move_to_location(int(x), int(y))
        if hold:
            a.pointer_action.pointer_up()
        a.perform()

    def click_at(self, x, y):
        from selenium.webdriver.common.actions.action_builder import ActionBuilder
        a = ActionBuilder(self.d)
        a.pointer_action.move_to_location(int(x), int(y)).click()
        a.perform()
