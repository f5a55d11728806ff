"""Load test: N simulated users replaying dashboard sessions against a gunicorn server for S seconds.

    python bench/load.py                        # start gunicorn (-w 4) on 127.0.0.1, 50 users, 60 s
    python bench/load.py --users 10 --seconds 20 --workers 2
    python bench/load.py --url http://127.0.0.1:8050/   # target a running server instead

Each user is a thread with its own keep-alive connection that behaves like the browser's Dash
renderer: it loads the page (`/`, `/_dash-layout`, `/_dash-dependencies`), then fires the callbacks
the way the renderer does, from the wiring the server publishes in `/_dash-dependencies`: a callback
runs when one of its inputs changed, with the current values of its inputs and states, and its
outputs (Patches applied) feed the next callbacks. A session is: open a shared URL (window + a
brushed range), change the threshold, brush another range, click a bar of the match-length
histogram, page forward a few times; with a think time between actions. Only the standard library.

Dataset: bench/data/markov_1000000_650 (T = 1M, D = 650, from bench/synthetic.py) when it exists,
else the bundled demo; the config is written to /tmp and its indexes are prepared before the clock
starts. Reported: requests served, errors (HTTP status other than 200/204, connection errors, and
responses that carry an error notice), and median / p95 / max latency per callback and per action.
"""
from __future__ import annotations

import argparse
import base64
import copy
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATA = ROOT / "bench" / "data" / "markov_1000000_650"
DEMO = ROOT / "data" / "parens"
ERROR_MARKERS = ("failed:", "cannot compute the matches", "cannot be listed", "Traceback")


# ---------------------------------------------------------------------------------------------
# a Dash client that behaves like the renderer

def _split_output(output: str) -> list[dict]:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        out.append({"id": json.loads(cid) if cid.startswith("{") else cid, "property": prop.split("@")[0]})
    return out


def _key(dep: dict) -> str:
    return f"{dep['id']}.{dep['property']}"


def apply_patch(value, patch: dict):
    """Apply a dash.Patch response (the operations the renderer applies) to a copy of value."""
    value = copy.deepcopy(value) if value is not None else {}
    for op in patch.get("operations", []):
        loc, params = op.get("location", []), op.get("params", {})
        if not loc:
            continue
        target = value
        try:
            for k in loc[:-1]:
                target = target[k]
            name = op.get("operation")
            if name == "Assign":
                target[loc[-1]] = params.get("value")
            elif name == "Delete":
                del target[loc[-1]]
            elif name == "Merge":
                target[loc[-1]].update(params.get("value") or {})
        except (KeyError, IndexError, TypeError):
            continue  # figure internals we do not keep
    return value


class DashClient:
    """One user's connection and component state."""

    def __init__(self, base_url: str, auth: tuple | None = None, timeout: float = 300.0, record=None):
        u = urlsplit(base_url)
        self.host, self.port = u.hostname, u.port or 80
        self.prefix = u.path if u.path.endswith("/") else u.path + "/"
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        self.conn = None
        self.props: dict = {}
        self.callbacks: list = []
        self.record = record or (lambda *a: None)

    # -- HTTP --
    def _request(self, method, path, body=None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request(method, self.prefix + path, body=body, headers=self.headers)
                r = self.conn.getresponse()
                return r.status, r.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = None
                if attempt:  # a keep-alive connection closed by the server is retried once
                    raise
            except Exception:
                self.conn.close()
                self.conn = None
                raise

    def get(self, path: str, label: str):
        t0 = time.perf_counter()
        try:
            status, data = self._request("GET", path)
        except OSError as e:
            self.record(label, time.perf_counter() - t0, False, f"{type(e).__name__}: {e}")
            raise
        self.record(label, time.perf_counter() - t0, status == 200, None if status == 200 else f"HTTP {status}")
        return status, data

    def close(self):
        if self.conn is not None:
            self.conn.close()

    # -- page load --
    def load_page(self, search: str):
        self.get("", "GET /")
        _, layout = self.get("_dash-layout", "GET /_dash-layout")
        _, deps = self.get("_dash-dependencies", "GET /_dash-dependencies")
        self.props = {}
        self._walk(json.loads(layout))
        self.props["url.search"] = search
        self.props["url.pathname"] = self.prefix
        self.callbacks = []
        for cb in json.loads(deps):
            if cb.get("clientside_function") is not None:
                continue  # runs in the browser
            cb = dict(cb)
            cb["outputs_list"] = _split_output(cb["output"])
            first_in = cb["inputs"][0]["id"] if cb["inputs"] else "?"
            if not isinstance(first_in, str):
                first_in = json.dumps(first_in, separators=(",", ":"))
            cb["label"] = f"{cb['outputs_list'][0]['id']} <- {first_in}"
            self.callbacks.append(cb)
        # the renderer runs every callback without prevent_initial_call, each once its inputs settled
        self.run({id(cb): (cb, set()) for cb in self.callbacks if not cb.get("prevent_initial_call")})

    def _walk(self, node):
        if isinstance(node, list):
            for x in node:
                self._walk(x)
        elif isinstance(node, dict) and "props" in node and "type" in node:
            props = node["props"]
            cid = props.get("id")
            for k, v in props.items():
                if k == "children" or k == "id":
                    continue
                if isinstance(cid, str):
                    self.props[f"{cid}.{k}"] = v
            self._walk(props.get("children"))

    # -- callbacks --
    def body(self, cb, changed) -> dict:
        def item(dep):
            if not isinstance(dep["id"], str):
                return []  # pattern-matching (ALL) over components this client does not track
            return {"id": dep["id"], "property": dep["property"], "value": self.props.get(_key(dep))}
        outputs = cb["outputs_list"]
        return {"output": cb["output"], "outputs": outputs if len(outputs) > 1 or cb["output"].startswith("..")
                else outputs[0], "inputs": [item(d) for d in cb["inputs"]],
                "state": [item(d) for d in cb["state"]], "changedPropIds": list(changed)}

    def fire(self, cb, changed) -> set:
        """POST one callback, apply its response; the set of props it changed."""
        payload = json.dumps(self.body(cb, changed)).encode()
        t0 = time.perf_counter()
        try:
            status, data = self._request("POST", "_dash-update-component", payload)
        except OSError as e:
            self.record(cb["label"], time.perf_counter() - t0, False, f"{type(e).__name__}: {e}")
            return set()
        dt = time.perf_counter() - t0
        if status == 204:
            self.record(cb["label"], dt, True, None)
            return set()
        if status != 200:
            self.record(cb["label"], dt, False, f"HTTP {status}: {data[:200]!r}")
            return set()
        text = data.decode("utf-8", "replace")
        bad = next((m for m in ERROR_MARKERS if m in text), None)
        self.record(cb["label"], dt, bad is None, None if bad is None else f"error notice: {bad}")
        resp = json.loads(text).get("response", {})
        out = set()
        for cid, props in resp.items():
            for prop, value in props.items():
                k = f"{cid}.{prop}"
                if isinstance(value, dict) and value.get("__dash_patch_update") == "__dash_patch_update":
                    value = apply_patch(self.props.get(k), value)
                self.props[k] = value
                out.add(k)
        return out

    def run(self, pending: dict, max_calls: int = 40):
        """Fire pending callbacks as the renderer does: one waits while another pending callback
        writes one of its inputs; the props a callback changed queue the callbacks that read them
        (not itself: Dash lets a callback write its own input without firing it again)."""
        def reads(cb):
            return {_key(i) for i in cb["inputs"] if isinstance(i["id"], str)}
        calls = 0
        while pending and calls < max_calls:
            items = list(pending.values())
            ready = []
            for cb, trig in items:
                writers = {_key(o) for other, _ in items if other is not cb for o in other["outputs_list"]
                           if _key(o) not in reads(other)}
                if not (reads(cb) & writers):
                    ready.append((cb, trig))
            for cb, trig in ready or items[:1]:
                pending.pop(id(cb))
                changed = self.fire(cb, sorted(trig))
                calls += 1
                for other in self.callbacks:
                    if other is cb:
                        continue
                    hit = reads(other) & changed
                    if hit:
                        pending.setdefault(id(other), (other, set()))[1].update(hit)

    def act(self, prop: str, value) -> None:
        """The user changes one prop (a click, a typed value): fire what listens to it."""
        self.props[prop] = value
        self.run({id(cb): (cb, {prop}) for cb in self.callbacks
                  if prop in {_key(i) for i in cb["inputs"] if isinstance(i["id"], str)}})


class FlaskClient(DashClient):
    """The same renderer-like client over a Flask test client (no socket): for tests and for the
    server-time bench. `errors` collects what the load test counts as errors, `statuses` every status."""

    def __init__(self, dash_app, prefix: str = "/", headers=None):
        self.errors = []
        super().__init__("http://localhost" + prefix,
                         record=lambda label, dt, ok, why: ok or self.errors.append(f"{label}: {why}"))
        self.flask = dash_app.server.test_client()
        self.headers.update(headers or {})
        self.statuses = []

    def _request(self, method, path, body=None):
        r = self.flask.open(self.prefix + path, method=method, data=body, headers=self.headers)
        self.statuses.append(r.status_code)
        return r.status_code, r.get_data()


# ---------------------------------------------------------------------------------------------
# sessions

def session(client: DashClient, dataset: str, layer: str, T: int, rng: random.Random, think, stop_at, act_rec):
    def timed(name, fn):
        if time.monotonic() >= stop_at:
            raise TimeoutError
        t0 = time.perf_counter()
        fn()
        act_rec(name, time.perf_counter() - t0)
        time.sleep(think(rng))

    pos = rng.randrange(0, max(1, T - 400))
    a = pos + rng.randrange(5, 30)
    search = f"?dataset={dataset}&layer={layer}&pos={pos}&width=40&sel={a}:{a + rng.randrange(1, 5)}&threshold=0.3"
    timed("open URL", lambda: client.load_page(search))
    timed("change threshold", lambda: client.act("select-main-threshold-input.value", round(rng.uniform(0.1, 0.6), 2)))
    b0 = pos + rng.randrange(0, 35)
    timed("brush", lambda: client.act("select-main-gestures.data", {"kind": "brush", "start": b0,
                                                                    "stop": b0 + rng.randrange(1, 4), "n": rng.random()}))
    fig = client.props.get("match-main-histogram.figure") or {}
    xs = []
    for tr in fig.get("data") or []:
        for row in tr.get("customdata") or []:  # [length, strict, fuzzy] per bar
            if isinstance(row, list) and row and isinstance(row[0], int) and row[0] >= 2:
                xs.append(row[0])
    if xs:
        L = int(rng.choice(xs))
        timed("match: length filter", lambda: client.act("match-main-histogram.clickData",
                                                         {"points": [{"x": L, "customdata": [L]}]}))
    for _ in range(3):
        key = "header-main-page-fwd.n_clicks"
        timed("page forward", lambda: client.act(key, (client.props.get(key) or 0) + 1))


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.lat = defaultdict(list)
        self.errors = defaultdict(int)
        self.samples = []
        self.actions = defaultdict(list)

    def record(self, label, dt, ok, why):
        with self.lock:
            self.lat[label].append(dt)
            if not ok:
                self.errors[label] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{label}: {why}")

    def action(self, name, dt):
        with self.lock:
            self.actions[name].append(dt)


def _pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))]


def report(stats: Stats, users: int, seconds: float, wall: float, dataset: str, T: int, D, workers) -> str:
    lines = []
    total = sum(len(v) for v in stats.lat.values())
    errors = sum(stats.errors.values())
    lines.append(f"dataset {dataset} (T={T:,}, D={D}), gunicorn workers: {workers}, {users} users, "
                 f"{seconds:g} s (ran {wall:.1f} s)")
    lines.append(f"requests served: {total}  errors: {errors}  ({total / wall:.1f} req/s)")
    lines.append("")
    lines.append(f"{'request / callback':58s} {'n':>6s} {'err':>4s} {'median':>9s} {'p95':>9s} {'max':>9s}")
    for label in sorted(stats.lat, key=lambda k: -len(stats.lat[k])):
        xs = stats.lat[label]
        lines.append(f"{label[:58]:58s} {len(xs):6d} {stats.errors.get(label, 0):4d} "
                     f"{statistics.median(xs) * 1e3:7.0f}ms {_pct(xs, 0.95) * 1e3:7.0f}ms {max(xs) * 1e3:7.0f}ms")
    lines.append("")
    lines.append(f"{'user action (all its callbacks, end to end)':58s} {'n':>6s} {'':>4s} {'median':>9s} {'p95':>9s} "
                 f"{'max':>9s}")
    for name, xs in stats.actions.items():
        lines.append(f"{name:58s} {len(xs):6d} {'':4s} {statistics.median(xs) * 1e3:7.0f}ms "
                     f"{_pct(xs, 0.95) * 1e3:7.0f}ms {max(xs) * 1e3:7.0f}ms")
    if stats.samples:
        lines.append("")
        lines.append("first errors:")
        lines += ["  " + s for s in stats.samples]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(url: str, auth=None, deadline: float = 600.0, proc=None) -> dict:
    c = DashClient(url, auth, timeout=60)
    t_end = time.monotonic() + deadline
    while time.monotonic() < t_end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        try:
            status, data = c._request("GET", "health")
            if status in (200, 503):
                return json.loads(data)
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url}health did not answer within {deadline:.0f} s")


def start_gunicorn(config: Path, port: int, workers: int, threads: int, log_path: Path, extra_env=None):
    env = dict(os.environ, LSTMVIS_CONFIG=str(config), LSTMVIS_LOG_LEVEL="WARNING", **(extra_env or {}))
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "300"]
    if threads > 1:
        cmd += ["--threads", str(threads)]
    cmd.append("app:server")
    log = open(log_path, "wb")
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--url", help="target this running server (its datasets must include --dataset)")
    p.add_argument("--dataset", help="dataset name (default: the benchmark set if present, else parens)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn workers when the script starts the server")
    p.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1: sync workers)")
    p.add_argument("--think", type=float, nargs=2, default=[0.5, 2.0], metavar=("MIN", "MAX"),
                   help="seconds a user waits between actions (uniform)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write the raw figures here")
    args = p.parse_args(argv)

    proc = None
    tmp = Path(tempfile.mkdtemp(prefix="lstmvis-load-"))
    if args.url:
        url, dataset = args.url if args.url.endswith("/") else args.url + "/", args.dataset
    else:
        folder, name = (BENCH_DATA, "markov_1000000_650") if BENCH_DATA.exists() else (DEMO, "parens")
        dataset = args.dataset or name
        config = tmp / "datasets.yml"
        config.write_text(f"datasets:\n  - name: {dataset}\n    path: {folder}\n", encoding="utf-8")
        print(f"preparing the index of {folder} ...", flush=True)
        subprocess.run([sys.executable, "-m", "lstmvis_dash", "prepare", "--config", str(config)], cwd=ROOT,
                       check=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        print(f"starting gunicorn -w {args.workers} on {url} (log: {tmp / 'gunicorn.log'})", flush=True)
        proc = start_gunicorn(config, port, args.workers, args.threads, tmp / "gunicorn.log")
    try:
        health = wait_health(url, proc=proc)
        if dataset is None:
            dataset = next(iter(health["datasets"]))
        info = health["datasets"].get(dataset, {})
        if info.get("state") != "ok":
            print(f"dataset {dataset!r} is not served: {info}", file=sys.stderr)
            return 2
        layer, D = next(iter(info["layers"].items()))
        T = info["T"]
        # one untimed session per worker's first request would be unfair to hide; the clock starts now
        stats = Stats()
        stop_at = time.monotonic() + args.seconds
        lo, hi = args.think

        def user(i):
            rng = random.Random(args.seed * 1000 + i)
            client = DashClient(url, record=stats.record)
            try:
                time.sleep(rng.uniform(0, min(5.0, args.seconds / 4)))  # users arrive over a few seconds
                while time.monotonic() < stop_at:
                    try:
                        session(client, dataset, layer, T, rng, lambda r: r.uniform(lo, hi), stop_at, stats.action)
                    except TimeoutError:
                        break
                    except Exception as e:  # noqa: BLE001 - count it and go on with a new session
                        stats.record("session", 0.0, False, f"{type(e).__name__}: {e}")
                        client.close()
                        client.conn = None
            finally:
                client.close()

        print(f"running {args.users} users for {args.seconds:g} s ...", flush=True)
        t0 = time.monotonic()
        threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(args.users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.monotonic() - t0
        print(report(stats, args.users, args.seconds, wall, dataset, T, D, args.workers if proc else "?"))
        if args.json:
            Path(args.json).write_text(json.dumps({"latency": stats.lat, "errors": stats.errors,
                                                   "actions": stats.actions}, default=list))
        return 0 if sum(stats.errors.values()) == 0 else 1
    finally:
        if proc is not None:
            stop(proc)


if __name__ == "__main__":
    sys.exit(main())
