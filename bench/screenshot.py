"""Start the app on a config, open a view in headless Chromium and save a screenshot.

    python bench/screenshot.py [--config datasets.yml] [--query "?dataset=parens&sel=..."]
                               [--out docs/screenshot.png] [--width 1280] [--height 2100]

Without --config it uses datasets.yml when data/parens exists, else the LSTMVis fixture in
tests/fixtures. Prints the browser console's errors (there should be none).
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--no-first-run",
               "--hide-scrollbars"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_config() -> tuple[Path, str]:
    if (ROOT / "data" / "parens").exists():
        return ROOT / "datasets.yml", ""
    tmp = Path(tempfile.mkdtemp()) / "datasets.yml"
    tmp.write_text("datasets:\n  - name: parens_small\n"
                   f"    path: {ROOT / 'tests' / 'fixtures' / 'lstmvis_parens_small'}\n"
                   "    description: 2-layer LSTM (100 cells) on the bracket-nesting language (fixture)\n")
    return tmp, ""


def wait_up(url: str, timeout: float = 60) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config")
    ap.add_argument("--query", default="?layer=cell2&pos=80&width=40&sel=94:97&pad=1:0&threshold=0.3&annotation=depth",
                    help="query string of the view to show (dataset defaults to the first)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshot.png"))
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=2100)
    ap.add_argument("--hover-chip", action="store_true", help="hover the first S1 chip (red highlight)")
    ap.add_argument("--use-row", type=int, default=None, help="click this match row first (shown, outlined)")
    args = ap.parse_args(argv)

    cfg = Path(args.config) if args.config else default_config()[0]
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--config", str(cfg)],
                            cwd=ROOT)
    try:
        base = f"http://127.0.0.1:{port}/"
        wait_up(base)
        from selenium import webdriver
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for a in CHROME_ARGS:
            opts.add_argument(a)
        opts.add_argument(f"--window-size={args.width},{args.height}")
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=opts)
        try:
            driver.get(base + args.query)
            end = time.time() + 60
            ready = ("var m = document.querySelector('#match-main-matrix .js-plotly-plot');"
                     "return !!(document.querySelector('#select-main-graph canvas') && m && m.layout && m.layout.meta"
                     " && !document.querySelector('[data-dash-is-loading=\"true\"]'));")
            while time.time() < end and not driver.execute_script(ready):
                time.sleep(0.3)
            time.sleep(2.0)
            if args.use_row is not None:
                x, y = driver.execute_script("""var gd = document.querySelector('#match-main-matrix .js-plotly-plot');
                    var m = gd.layout.meta, xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, r = gd.getBoundingClientRect();
                    return [r.left + xa._offset + xa.l2p(3), r.top + ya._offset + ya.l2p(arguments[0] * m.row_h + 10)];""",
                                             args.use_row)
                from selenium.webdriver.common.actions.action_builder import ActionBuilder
                a = ActionBuilder(driver)
                a.pointer_action.move_to_location(int(x), int(y)).click()
                a.perform()
                time.sleep(3.0)
                driver.execute_script("window.scrollTo(0, 0)")
                time.sleep(0.5)
            if args.hover_chip:
                chips = driver.find_elements(By.CSS_SELECTOR, ".s1-chip")
                if chips:
                    ActionChains(driver).move_to_element(chips[0]).perform()
                    time.sleep(1.0)
            out = Path(args.out)
            out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(out))
            print(f"saved {out} ({driver.current_url})")
            logs = driver.get_log("browser")
            errors = [e for e in logs if e.get("level") == "SEVERE" and "dash-version" not in e.get("message", "")]
            for e in logs:
                print("console:", e.get("level"), e.get("message")[:300])
            return 1 if errors else 0
        finally:
            driver.quit()
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
