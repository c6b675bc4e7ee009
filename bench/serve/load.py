#!/usr/bin/env python3
"""`make bench`: `sift serve` under 50 concurrent annotators saving drafts (autosave), beside the
same load against Label Studio when it is installed.

Two phases per server, each client with its own keep-alive connection and its own item:
  1. paced: the clients together offer RATE saves/s (default 200) for SECONDS (default 20);
     latency is measured from each save's scheduled moment (no coordinated omission);
  2. flat out: every client saves back to back for 10 s: the sustained saves/s.
Target (2-core machine): p99 < 50 ms in the paced phase, with >= 95% of the offered rate
achieved and no failed save. Exit code 1 if the target is missed.

Label Studio runs from its own virtual environment (default ~/.cache/sift/ls-venv, made with
`python -m venv ~/.cache/sift/ls-venv && ~/.cache/sift/ls-venv/bin/pip install label-studio`);
its drafts endpoint (POST /api/tasks/<id>/drafts) is the counterpart of `save_draft`.
"""
import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def percentile(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


class Client:
    """One annotator: a keep-alive connection and one request shape."""

    def __init__(self, host, port, path, headers, body):
        self.host, self.port, self.path, self.headers, self.body = host, port, path, headers, body
        self.conn = None

    def save(self):
        for attempt in (0, 1):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.conn.request("POST", self.path, body=self.body, headers=self.headers)
                r = self.conn.getresponse()
                r.read()
                return 200 <= r.status < 300
            except (OSError, http.client.HTTPException):
                self.conn = None
                if attempt:
                    return False
        return False


def paced(clients, rate, seconds):
    per_client = rate / len(clients)
    interval = 1.0 / per_client
    lat, failed = [], [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def run(i, c):
        k = 0
        offset = interval * i / len(clients)  # spread the clients over the interval
        mine = []
        while True:
            due = start + offset + k * interval
            # Stop at the end of the phase; a server far behind gets 10 s of grace, no more
            # (what it did not answer by then counts against its achieved rate).
            if due - start >= seconds or time.perf_counter() - start > seconds + 10:
                break
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            ok = c.save()
            mine.append(time.perf_counter() - due)
            if not ok:
                with lock:
                    failed[0] += 1
            k += 1
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return len(lat) / elapsed, lat, failed[0]


def flat_out(clients, seconds):
    count, failed = [0], [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(c):
        n = f = 0
        while time.perf_counter() < stop:
            if c.save():
                n += 1
            else:
                f += 1
        with lock:
            count[0] += n
            failed[0] += f

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count[0] / (time.perf_counter() - start), failed[0]


def measure(name, clients, rate, seconds):
    for c in clients:  # warm up: connections open, first versions exist
        c.save()
    achieved, lat, failed = paced(clients, rate, seconds)
    p50, p99 = percentile(lat, 50) * 1000, percentile(lat, 99) * 1000
    sustained, failed2 = flat_out(clients, 10)
    print(f"{name:<13} paced {rate}/s offered: {achieved:7.1f} saves/s achieved, "
          f"p50 {p50:6.1f} ms, p99 {p99:6.1f} ms, max {max(lat) * 1000:7.1f} ms, {failed} failed")
    print(f"{name:<13} flat out ({len(clients)} clients): {sustained:7.1f} saves/s sustained, {failed2} failed")
    return {"achieved": achieved, "p50": p50, "p99": p99, "failed": failed + failed2, "sustained": sustained}


def sift_run(sift, n, rate, seconds):
    work = tempfile.mkdtemp(prefix="sift-serve-bench-")
    try:
        proj = os.path.join(work, "proj")
        subprocess.run([sift, "init", proj, "--template", os.path.join(ROOT, "labeling-templates", "qa.toml")],
                       check=True, capture_output=True)
        manifest = os.path.join(work, "m.jsonl")
        with open(manifest, "w") as f:
            for i in range(n):
                f.write(json.dumps({"source": f"Passage {i}: the bridge opened in 1932 after four years."}) + "\n")
        subprocess.run([sift, "import", manifest, "-p", proj], check=True, capture_output=True)
        names = [f"ann{i:02d}" for i in range(n)]
        tokens = {}
        for name in names:
            out = subprocess.run([sift, "--json", "annotator", "add", name, "-p", proj],
                                 check=True, capture_output=True, text=True).stdout
            tokens[name] = json.loads(out)["token"]
        subprocess.run([sift, "batch", "create", "-p", proj, "--size", str(n), "--assign", ",".join(names)],
                       check=True, capture_output=True)
        server = subprocess.Popen([sift, "serve", "-p", proj, "--port", "0"], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        try:
            line = server.stdout.readline()
            m = re.search(r"http://([0-9.]+):(\d+)", line)
            if not m:
                sys.exit(f"sift serve did not print its address: {line!r}")
            host, port = m.group(1), int(m.group(2))
            clients = []
            for name in names:
                auth = {"Authorization": f"Bearer {tokens[name]}", "Content-Type": "application/json"}
                c = http.client.HTTPConnection(host, port, timeout=30)
                c.request("POST", "/api/queue", body="{}", headers=auth)
                item = json.loads(c.getresponse().read())["entries"][0]["item_id"]
                c.close()
                body = json.dumps({"item_id": item, "time_spent_ms": 1000, "payload": {
                    "pairs": [{"question": "When did the bridge open?", "answer": "In 1932."}]}})
                clients.append(Client(host, port, "/api/save_draft", auth, body))
            return measure("sift serve", clients, rate, seconds)
        finally:
            server.kill()
            server.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ls_run(venv, n, rate, seconds):
    exe = os.path.join(venv, "bin", "label-studio")
    if not os.path.exists(exe):
        print(f"Label Studio: not measured: {exe} is missing (pip install label-studio into {venv})")
        return None
    work = tempfile.mkdtemp(prefix="ls-bench-")
    token = secrets.token_hex(20)
    port = 18000 + os.getpid() % 1000
    # Label Studio >= 1.18 accepts `Authorization: Token` only with legacy tokens enabled.
    env = dict(os.environ, LABEL_STUDIO_BASE_DATA_DIR=work, LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true")
    log = open(os.path.join(work, "ls.log"), "w")
    server = subprocess.Popen([exe, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
                               "--data-dir", work, "--username", "bench@sift.local", "--password", "bench-pass-123",
                               "--user-token", token], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": f"Token {token}", "Content-Type": "application/json"}

        def api(method, path, body=None):
            req = urllib.request.Request(base + path, method=method, headers=auth,
                                         data=None if body is None else json.dumps(body).encode())
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"null")

        deadline = time.time() + 240
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=5).read()
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    print(f"Label Studio: not measured: it did not start (see {work}/ls.log)")
                    return None
                time.sleep(1)
        config = ('<View><Text name="text" value="$text"/>'
                  '<TextArea name="answer" toName="text" editable="true"/></View>')
        project = api("POST", "/api/projects", {"title": "bench", "label_config": config})["id"]
        api("POST", f"/api/projects/{project}/import",
            [{"text": f"Passage {i}: the bridge opened in 1932 after four years."} for i in range(n)])
        tasks = api("GET", f"/api/tasks?project={project}&page_size={n}")
        tasks = tasks["tasks"] if isinstance(tasks, dict) else tasks
        clients = []
        for t in tasks[:n]:
            body = json.dumps({"lead_time": 1.0, "result": [{
                "from_name": "answer", "to_name": "text", "type": "textarea",
                "value": {"text": ["When did the bridge open? In 1932."]}}]})
            clients.append(Client("127.0.0.1", port, f"/api/tasks/{t['id']}/drafts", auth, body))
        if len(clients) < n:
            print(f"Label Studio: not measured: {len(clients)} tasks listed, {n} expected")
            return None
        return measure("Label Studio", clients, rate, seconds)
    except (OSError, KeyError, ValueError) as e:
        print(f"Label Studio: not measured: {e!r} (see {work}/ls.log)")
        return None
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sift", required=True, help="the sift binary (release)")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rate", type=int, default=200, help="saves/s offered in the paced phase")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--label-studio-venv", default=os.path.expanduser("~/.cache/sift/ls-venv"))
    ap.add_argument("--no-label-studio", action="store_true")
    a = ap.parse_args()
    s = sift_run(a.sift, a.clients, a.rate, a.seconds)
    ls = None if a.no_label_studio else ls_run(a.label_studio_venv, a.clients, a.rate, a.seconds)
    if ls:
        print(f"ratio (sift / Label Studio): flat-out saves/s {s['sustained'] / ls['sustained']:.1f}x, "
              f"paced p99 {ls['p99'] / s['p99']:.1f}x lower")
    ok = s["p99"] < 50 and s["achieved"] >= 0.95 * a.rate and s["failed"] == 0
    print(f"target p99 < 50 ms at {a.rate} saves/s with no failure: {'met' if ok else 'MISSED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
