"""What a person waits for: headless Chromium against `python app.py`, from a real user action until
the page shows its result, and the longest main-thread task meanwhile.

    python bench/bench_latency.py                      # parens, then the 1M x 650 bench dataset
    python bench/bench_latency.py --datasets parens --repeat 9

Actions (selenium sends real input events): threshold typed + Enter, the threshold line dragged,
a click-click brush (timed from the second click), a drag brush, a histogram bar clicked, a match row
clicked. "Shown" is the first animation frame at which the view holds the new result: for the first
five, the match view's figure names a new result (layout.meta.key); for a row click, the select view
shows the clicked match. Also printed: "all views", until the last figure of the answer is drawn
(the page draws the awaited one first), and the server's time (its Server-Timing header). The action's time is the input event's own timestamp (keydown of Enter,
mouseup of the release or click), so the WebDriver's overhead is not counted. Long tasks come from a
PerformanceObserver on 'longtask' (tasks over 50 ms; "< 50" means none). Also: the first match after a
fresh start (an empty numba cache, as after a fresh install), page opened as soon as /health answers.

The machine's load average is printed beside the numbers: on a shared machine they are noisy.
Chromium: --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.actions.action_builder import ActionBuilder  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

from bench.load import free_port  # noqa: E402

CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--window-size=1280,1000"]
OLD = {"threshold typed + Enter": "2.0–2.3 s (worst 2.9 s)", "click-click brush": "1.9–2.0 s",
       "drag brush": "1.9–2.0 s"}
OLD_TASK = "1.4–2.0 s"
TARGET = {"parens": "≤ 300 ms, no task > 100 ms", "1m": "≤ 600 ms"}

# recorded in the page from its first script on: input event times, long tasks, and when each
# Plotly.react ends (plotly.js is wrapped as it loads: the page's own queue then calls this wrapper)
INSTRUMENT = """
window.__lv = {tasks: [], input: {}, reacts: []};
try { new PerformanceObserver(function (l) { l.getEntries().forEach(function (e) {
    window.__lv.tasks.push([e.startTime, e.duration]); }); }).observe({type: 'longtask', buffered: true}); } catch (e) {}
['keydown', 'mouseup', 'mousedown'].forEach(function (t) { window.addEventListener(t, function (e) {
    window.__lv.input[t] = e.timeStamp; }, true); });
(function () {
    var P;
    Object.defineProperty(window, 'Plotly', {configurable: true, get: function () { return P; }, set: function (v) {
        P = v;
        var react = v && v.react;
        if (!react) { return; }
        v.react = function () {
            var t0 = performance.now(), out = react.apply(this, arguments);
            Promise.resolve(out).then(function () { window.__lv.reacts.push([t0, performance.now()]); });
            return out;
        };
    }});
})();
"""
# waits (in the page) for the first frame at which `done()` holds; resolves to that frame's time. A
# result with no matches is a figure with no key ("no matches", "no cells selected"): new is shown too.
WATCH = """
var done = new Function('m', 's', 'sg', arguments[0]), start = performance.now();
window.__lv.shown = null;
function plot(id) { var b = document.getElementById(id); return b && b.querySelector('.js-plotly-plot'); }
function frame(ts) {
    var mg = plot('match-main-matrix'), s = plot('select-main-graph');
    var m = mg && mg.layout && (mg.layout.meta || (mg.layout !== window.__lv.before && {key: 'a figure with no key'}));
    if (done(m, s && s.layout && s.layout.meta, s)) {
        window.__lv.shown = performance.now(); return; }
    if (performance.now() - start < 60000) { requestAnimationFrame(frame); }
}
requestAnimationFrame(frame);
"""


def chrome():
    o = Options()
    o.binary_location = "/usr/bin/chromium"
    for a in CHROME_ARGS:
        o.add_argument(a)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": INSTRUMENT})
    d.set_script_timeout(90)
    return d


def start_server(config: Path, port: int, env=None):
    log = open(Path(tempfile.gettempdir()) / f"lstmvis-latency-{port}.log", "wb")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--config", str(config)],
                            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 900
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped; see {log.name}")
    raise SystemExit("the server did not answer /health")


class Bench:
    def __init__(self, driver, url):
        self.d, self.url = driver, url
        self.search = ""

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def open(self, search, timeout=120):
        self.d.get(self.url + "/" + search)
        self.wait("return m && m.key && s && !document.querySelector('[data-dash-is-loading=\"true\"]');", timeout)

    def wait(self, condition, timeout=120):
        end = time.time() + timeout
        while time.time() < end:
            ok = self.js("var b = document.getElementById('match-main-matrix'), c = document.getElementById("
                         "'select-main-graph'); var m = b && b.querySelector('.js-plotly-plot'), s = c && "
                         "c.querySelector('.js-plotly-plot'); m = m && m.layout && m.layout.meta; s = s && s.layout "
                         "&& s.layout.meta; " + condition.replace("return ", "return !!(", 1).rstrip(";") + ");")
            if ok:
                return
            time.sleep(0.05)
        raise TimeoutError(condition)

    def point(self, graph, x, y, axes=("xaxis", "yaxis")):
        """Viewport x, y of data point (x, y) of a graph, scrolled into view (a tall figure, such as
        the match matrix, does not fit the viewport)."""
        script = f"""var gd = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
            var xa = gd._fullLayout.{axes[0]}, ya = gd._fullLayout.{axes[1]}, r = gd.getBoundingClientRect();
            var x = xa.type === 'category' ? xa.l2p(xa._categoriesMap[arguments[1]]) : xa.d2p(arguments[1]);
            return [r.left + xa._offset + x, r.top + ya._offset + ya.d2p(arguments[2])];"""
        self.js("document.documentElement.style.scrollBehavior = 'auto';"   # Bootstrap scrolls smoothly
                "arguments[0].scrollIntoView({block: 'center'});", self.d.find_element(By.ID, graph))
        px, py = self.js(script, graph, x, y)
        height = self.js("return window.innerHeight")
        if not 40 < py < height - 40:
            self.js("window.scrollBy(0, arguments[0]);", py - height / 2)
            px, py = self.js(script, graph, x, y)
        time.sleep(0.15)
        return px, py

    def pointer(self, moves, press=True):
        a = ActionBuilder(self.d)
        a.pointer_action.move_to_location(int(moves[0][0]), int(moves[0][1]))
        if press:
            a.pointer_action.pointer_down()
        for x, y in moves[1:]:
            a.pointer_action.move_to_location(int(x), int(y))
        if press:
            a.pointer_action.pointer_up()
        a.perform()

    def click(self, x, y):
        a = ActionBuilder(self.d)
        a.pointer_action.move_to_location(int(x), int(y)).click()
        a.perform()

    def measure(self, act, done: str, event: str):
        """Run `act()`, then the ms from its input event to the first frame showing `done`, the
        longest task in between (0 when none is over 50 ms), the ms until every view of the answer
        is drawn (the last Plotly.react that started after the input ended), and the server's time
        (the Server-Timing of the callback requests made meanwhile)."""
        self.js("window.__lv.tasks = []; window.__lv.input = {}; window.__lv.reacts = []; performance.clearResourceTimings();"
                "var b = document.getElementById('match-main-matrix');"
                "var gd = b && b.querySelector('.js-plotly-plot'); window.__lv.before = gd && gd.layout;")
        self.js(WATCH, done)
        act()
        end = time.time() + 90
        while time.time() < end and self.js("return window.__lv.shown") is None:
            time.sleep(0.02)
        shown, t0 = self.js("return window.__lv.shown"), self.js(f"return window.__lv.input['{event}']")
        if shown is None or t0 is None:
            raise TimeoutError(f"no result shown ({event}: {t0})")
        self.wait("return !document.querySelector('[data-dash-is-loading=\"true\"]');")
        time.sleep(0.6)  # tasks that end after the frame (the rest of the render) still count
        tasks = self.js("return window.__lv.tasks")
        longest = max([dur for start, dur in tasks if start + dur >= t0 and start <= shown + 300] or [0])
        settled = max([end for start, end in self.js("return window.__lv.reacts") if start >= t0] or [shown])
        server = self.js("return performance.getEntriesByType('resource').filter(function (r) {"
                         "return r.name.indexOf('_dash-update-component') >= 0; }).map(function (r) {"
                         "return r.serverTiming.reduce(function (a, t) { return a + t.duration; }, 0); });")
        return Sample(shown - t0, longest, max(settled, shown) - t0, sum(server or [0]))

    def key(self):
        return self.js("var gd = document.getElementById('match-main-matrix').querySelector('.js-plotly-plot');"
                       "return (gd.layout.meta || {}).key || '';")


@dataclass
class Sample:
    ms: float          # input event -> the awaited view shows the result
    task: float        # the longest main-thread task meanwhile (0: none over 50 ms)
    settled: float     # input event -> every view of the answer drawn
    server: float      # the server's time for the action's callback requests


class Results(dict):
    """{action: [Sample]}; an action whose result never showed is counted apart (and said), not
    allowed to end the run."""

    def __init__(self):
        super().__init__()
        self.failed: dict = {}

    def add(self, name: str, b: "Bench", act, done: str, event: str):
        try:
            x = b.measure(act, done, event)
        except TimeoutError as e:
            self.failed[name] = self.failed.get(name, 0) + 1
            print(f"  {name}: NOT SHOWN ({e}; at {b.js('return location.search')})", flush=True)
            b.open(b.search)
            return
        self.setdefault(name, []).append(x)
        print(f"  {name}: {x.ms:.0f} ms (all views {x.settled:.0f}, server {x.server:.0f}), longest task "
              f"{x.task:.0f} ms", flush=True)


def histogram_bars(b: Bench) -> list:
    """[length, count, height px] of the histogram's bars tall enough to hit (at least 8 px)."""
    return b.js("var gd = document.getElementById('match-main-histogram').querySelector('.js-plotly-plot');"
                "var ya = gd && gd._fullLayout.yaxis, d = gd && gd.data[0]; if (!d || !d.x) { return []; }"
                "return d.x.map((x, k) => [x, d.y[k], ya.d2p(0) - ya.d2p(d.y[k])]).filter(b => b[2] >= 8);") or []


def run_actions(b: Bench, search: str, repeat: int, words=(20, 23)):
    """Each action `repeat` times: Results."""
    out = Results()
    b.search = search
    b.open(search)
    changed = "return m && m.key !== '%s';"
    for i in range(repeat):
        thr = (0.35, 0.4, 0.3, 0.45, 0.25)[i % 5]
        key = b.key()

        def typed():
            box = b.d.find_element(By.ID, "select-main-threshold-input")
            b.js("arguments[0].scrollIntoView({block: 'center'});", box)
            box.send_keys(Keys.CONTROL, "a")
            box.send_keys(f"{thr}")
            box.send_keys(Keys.ENTER)
        if abs(float(b.js("return document.getElementById('select-main-threshold-input').value") or 0) - thr) < 1e-9:
            thr += 0.05
        out.add("threshold typed + Enter", b, typed, changed % key, "keydown")

        key = b.key()
        y_now = float(b.js("return document.getElementById('select-main-graph').querySelector('.js-plotly-plot')"
                           ".layout.shapes[0].y0"))
        x, y = b.point("select-main-graph", 10.3, y_now)
        dy = -25 if i % 2 else 25
        out.add("threshold line dragged", b, lambda: b.pointer([(x, y), (x + 4, y + dy / 2), (x + 8, y + dy)]),
                changed % key, "mouseup")

        key = b.key()
        w0, w1 = words[0] + i % 4, words[1] + i % 4
        (xa, yw), (xb, _) = b.point("select-main-graph", w0, 0, ("xaxis2", "yaxis2")), \
            b.point("select-main-graph", w1, 0, ("xaxis2", "yaxis2"))
        b.click(xa, yw)    # the first click: a one-word range (often no matches: a figure with no key)
        b.wait(f"return s && location.search.indexOf('sel=' + (s.pos + {w0}) + ':' + (s.pos + {w0 + 1})) >= 0 && "
               "!document.querySelector('[data-dash-is-loading=\"true\"]');")
        key = b.key()
        out.add("click-click brush", b, lambda: b.click(xb, yw), changed % key, "mouseup")

        key = b.key()
        w0, w1 = 5 + i % 5, 8 + i % 5
        (xa, yw), (xb, _) = b.point("select-main-graph", w0, 0, ("xaxis2", "yaxis2")), \
            b.point("select-main-graph", w1, 0, ("xaxis2", "yaxis2"))
        out.add("drag brush", b, lambda: b.pointer([(xa - 3, yw), (xa + 15, yw), (xb + 3, yw)]), changed % key,
                "mouseup")

        if not histogram_bars(b):   # the dragged range may have no matches: the histogram and the rows
            b.open(search)          # are clicked on the starting view's then, so every action gets its repeats
        key = b.key()
        bars = histogram_bars(b)
        if bars:
            L, count, _ = bars[min(len(bars) - 1, 1 + i % 3)]
            hx, hy = b.point("match-main-histogram", L, count / 2)
            out.add("histogram bar click", b, lambda: b.click(hx, hy), changed % key, "mouseup")
        meta = b.js("return document.getElementById('match-main-matrix').querySelector('.js-plotly-plot').layout.meta")
        if meta and meta.get("rows"):
            r = (3 + 5 * i) % len(meta["rows"])
            start = meta["rows"][r][0]
            rx, ry = b.point("match-main-matrix", 3, r * meta["row_h"] + 10)
            done = (f"return s && sg.layout.shapes[4] && sg.layout.shapes[4].visible && "
                    f"sg.layout.shapes[4].x0 === {start} - s.pos - 0.5;")
            out.add("match row click", b, lambda: b.click(rx, ry), done, "mouseup")
        b.js("window.scrollTo(0, 0);")
        b.open(search)
    return out


def cold_start(config: Path, search: str) -> float:
    """ms from opening the page (as soon as the server answers /health) to the first match shown, with
    an empty numba cache: what the first user after a fresh install waits for."""
    env = dict(os.environ, NUMBA_CACHE_DIR=tempfile.mkdtemp(prefix="lstmvis-numba-"))
    port = free_port()
    proc = start_server(config, port, env)
    d = chrome()
    try:
        t0 = time.perf_counter()
        Bench(d, f"http://127.0.0.1:{port}").open(search, timeout=900)   # compiling on a busy machine
        return (time.perf_counter() - t0) * 1000
    finally:
        d.quit()
        proc.terminate()
        proc.wait(30)


def report(name: str, results: dict, load: tuple, cold: float | None):
    print(f"\n== {name}: load average {load[0]:.1f} / {load[1]:.1f} (before / after) on {os.cpu_count()} CPUs ==")
    print(f"{'action':24s} {'median':>7s} {'worst':>7s} {'all views':>9s} {'server':>7s} {'longest task':>13s}   "
          f"{'issue (before)':24s} target")
    print(f"{'':24s} {'ms':>7s} {'ms':>7s} {'med ms':>9s} {'med ms':>7s} {'med/worst ms':>13s}")
    fmt = lambda t: f"{t:.0f}" if t else "<50"  # noqa: E731
    for action, xs in results.items():
        med = lambda f: statistics.median([f(x) for x in xs])  # noqa: E731
        print(f"{action:24s} {med(lambda x: x.ms):7.0f} {max(x.ms for x in xs):7.0f} {med(lambda x: x.settled):9.0f} "
              f"{med(lambda x: x.server):7.0f} {fmt(med(lambda x: x.task)):>6s}/{fmt(max(x.task for x in xs)):>6s}   "
              f"{OLD.get(action, '—'):24s} {TARGET['parens' if name == 'parens' else '1m']}  (n={len(xs)})")
    for action, n in results.failed.items():
        print(f"{action}: {n} time(s) the result was NOT shown within 90 s (not in the medians)")
    print(f"(median: until the awaited view shows the result: the match view, or the select view for a row click; "
          f"all views: until every figure of the answer is drawn; the issue's longest task before: {OLD_TASK})")
    if cold is not None:
        print(f"first match after a fresh start (empty numba cache): {cold:.0f} ms from opening the page "
              f"(the issue: about 8 s waiting for the kernels)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", default=["parens", "1m"], choices=["parens", "1m"])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-cold", action="store_true", help="skip the fresh-start measurement")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="lstmvis-latency-"))
    for name in args.datasets:
        if name == "parens":
            config = ROOT / "datasets.yml"
            search = "?dataset=parens&layer=cell2&pos=80&width=40&sel=94:97&pad=1:0&threshold=0.3"
        else:
            from synthetic import build
            folder = build("markov_1000000_650", 1_000_000, 650)
            config = tmp / "bench.yml"
            config.write_text(f"datasets:\n  - name: bench\n    path: {folder}\n", encoding="utf-8")
            search = "?dataset=bench&layer=cells&pos=500000&width=40&sel=500020:500023&threshold=0.3"
        cold = None if args.no_cold else cold_start(config, search)
        port = free_port()
        proc = start_server(config, port)
        d = chrome()
        try:
            b = Bench(d, f"http://127.0.0.1:{port}")
            b.open(search)          # the first page load builds indexes and warms the browser's caches
            load0 = os.getloadavg()
            results = run_actions(b, search, args.repeat)
            report(name, results, (load0[0], os.getloadavg()[0]), cold)
        finally:
            d.quit()
            proc.terminate()
            proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
