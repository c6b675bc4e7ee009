#!/usr/bin/env python3
"""`make bench`: continuous backup (docs/backup.md) on a local Garage, three figures:

1. save latency: two `sift serve` processes on two copies of the same project, one with backup
   on, one without; one annotator saves drafts on both, alternating save by save (SAVES each,
   paced ~50/s), so both sides see the same machine at the same moment. Prints p50/p99 of each
   and the ratios. Target: p99 with backup at most 10 ms above p99 without.
2. bytes shipped per saved annotation: the change segments in the bucket after the run,
   divided by the saves (the snapshot is counted apart).
3. restore time of a 1,000,000-item project (ITEMS): `sift backup restore` of a project backed
   up with `sift backup enable`, beside copying its file with `cp` (the floor: the same bytes
   from the local disk). Target: under 120 s.

Usage: bench.py --sift target/release/sift [--saves 2000] [--items 1000000]
Needs AWS_ENDPOINT_URL, SIFT_S3_BUCKET and a key in the environment (bench/backup/run.sh
starts Garage and sets them).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def run(sift, *args):
    out = subprocess.run([sift, "--json", *args], check=True, capture_output=True, text=True).stdout
    return json.loads(out) if out.strip() else None


def store_args():
    return ["--endpoint", os.environ["AWS_ENDPOINT_URL"], "--region", "garage", "--path-style"]


def serve(sift, proj):
    server = subprocess.Popen([sift, "serve", "-p", proj, "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    m = re.search(r"http://([0-9.]+):(\d+)", line)
    if not m:
        server.kill()
        sys.exit(f"sift serve did not print its address: {line!r}")
    return server, m.group(1), int(m.group(2))


def latency(sift, work, saves, bucket):
    base = os.path.join(work, "base")
    run(sift, "init", base, "--template", os.path.join(ROOT, "labeling-templates", "qa.toml"))
    manifest = os.path.join(work, "m.jsonl")
    with open(manifest, "w") as f:
        for i in range(500):
            f.write(json.dumps({"source": f"Passage {i}: the bridge opened in 1932 after four years."}) + "\n")
    run(sift, "import", manifest, "-p", base)
    token = run(sift, "annotator", "add", "ann", "-p", base)["token"]
    plain, backed = os.path.join(work, "plain"), os.path.join(work, "backed")
    shutil.copytree(base, plain)
    shutil.copytree(base, backed)
    run(sift, "backup", "enable", "-p", backed, "--bucket", bucket, "--prefix", "bench-latency", *store_args())
    servers = [serve(sift, plain), serve(sift, backed)]
    times = {"plain": [], "backed": []}
    try:
        conns = [http.client.HTTPConnection(h, p, timeout=30) for _, h, p in servers]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for i in range(saves):
            body = json.dumps({"item_id": i % 500 + 1, "time_spent_ms": 1000, "payload": {
                "pairs": [{"question": f"When did the bridge open? ({i})", "answer": "In 1932."}]}})
            order = [0, 1] if i % 2 == 0 else [1, 0]
            for side in order:
                t0 = time.perf_counter()
                conns[side].request("POST", "/api/save_draft", body=body, headers=headers)
                r = conns[side].getresponse()
                r.read()
                dt = time.perf_counter() - t0
                if r.status != 200:
                    sys.exit(f"save refused: {r.status}")
                times["plain" if side == 0 else "backed"].append(dt * 1000)
            time.sleep(0.02)
        time.sleep(2)
    finally:
        for s, _, _ in servers:
            s.terminate()
            s.wait()
    status = run(sift, "backup", "status", "-p", backed)
    return times, status


def restore_time(sift, work, items, bucket):
    proj = os.path.join(work, "big")
    run(sift, "init", proj, "--template", os.path.join(ROOT, "labeling-templates", "qa.toml"))
    manifest = os.path.join(work, "big.jsonl")
    with open(manifest, "w") as f:
        for i in range(items):
            f.write('{"source":"Passage %d: the river rose after three days of rain, and the bridge was closed."}\n' % i)
    t0 = time.perf_counter()
    run(sift, "import", manifest, "-p", proj)
    print(f"  import of {items:,} items: {time.perf_counter() - t0:.1f} s")
    os.remove(manifest)
    t0 = time.perf_counter()
    enabled = run(sift, "backup", "enable", "-p", proj, "--bucket", bucket, "--prefix", "bench-restore", *store_args())
    enable_s = time.perf_counter() - t0
    run(sift, "annotator", "add", "late", "-p", proj)
    run(sift, "backup", "now", "-p", proj)
    size = os.path.getsize(os.path.join(proj, "project.sift"))
    t0 = time.perf_counter()
    shutil.copyfile(os.path.join(proj, "project.sift"), os.path.join(work, "copy.sift"))
    cp_s = time.perf_counter() - t0
    os.remove(os.path.join(work, "copy.sift"))
    to = os.path.join(work, "restored")
    t0 = time.perf_counter()
    report = run(sift, "backup", "restore", f"{bucket}/bench-restore", "--to", to, *store_args())
    restore_s = time.perf_counter() - t0
    if report["problems"]:
        sys.exit(f"restore reported problems: {report['problems']}")
    restored_items = run(sift, "status", "-p", to)["items"]
    if restored_items != items:
        sys.exit(f"the restored project has {restored_items} items, not {items}")
    print(f"  restored project: {restored_items:,} items, {report['changes']} changes after the snapshot")
    return enable_s, enabled["snapshot_bytes"], size, cp_s, restore_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sift", required=True)
    ap.add_argument("--saves", type=int, default=2000)
    ap.add_argument("--items", type=int, default=1_000_000)
    a = ap.parse_args()
    bucket = os.environ["SIFT_S3_BUCKET"]
    work = tempfile.mkdtemp(prefix="sift-backup-bench-", dir=os.environ.get("SIFT_BENCH_WORK"))
    ok = True
    try:
        print(f"== save latency, {a.saves} saves on each side, alternating")
        times, status = latency(a.sift, work, a.saves, bucket)
        p = {k: (percentile(v, 50), percentile(v, 99)) for k, v in times.items()}
        print(f"  without backup: p50 {p['plain'][0]:.2f} ms  p99 {p['plain'][1]:.2f} ms")
        print(f"  with backup:    p50 {p['backed'][0]:.2f} ms  p99 {p['backed'][1]:.2f} ms")
        print(f"  ratio (with / without): p50 {p['backed'][0] / p['plain'][0]:.2f}x  p99 {p['backed'][1] / p['plain'][1]:.2f}x")
        if p["backed"][1] - p["plain"][1] > 10:
            print("  MISSED: p99 with backup more than 10 ms above p99 without")
            ok = False
        print(f"== bytes shipped: {status['segment_bytes']:,} B of change segments in {status['segments']} segments "
              f"for {a.saves} saves: {status['segment_bytes'] / a.saves:.0f} B per saved annotation "
              f"(waiting to ship at the end: {status['pending']})")
        print(f"== restore of a {a.items:,}-item project")
        enable_s, snap_bytes, size, cp_s, restore_s = restore_time(a.sift, work, a.items, bucket)
        print(f"  backup enable (first snapshot, {snap_bytes / 1e6:.0f} MB uploaded): {enable_s:.1f} s")
        print(f"  restore: {restore_s:.1f} s; cp of the {size / 1e6:.0f} MB file: {cp_s:.2f} s "
              f"(restore / cp: {restore_s / max(cp_s, 1e-3):.1f}x)")
        if restore_s > 120:
            print("  MISSED: restore took more than 120 s")
            ok = False
        with open(os.path.join(os.environ.get("SIFT_BENCH_OUT", work), "backup-results.json"), "w") as f:
            json.dump({"latency_ms": p, "segment_bytes": status["segment_bytes"], "saves": a.saves,
                       "restore_s": restore_s, "cp_s": cp_s, "enable_s": enable_s, "file_bytes": size}, f)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
