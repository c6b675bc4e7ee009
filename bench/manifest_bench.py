#!/usr/bin/env python3
"""`make bench`: Sift's manifest import and export against the Python baseline, in one run.

Prints lines/s for both, the ratio, and Sift's peak RSS. Each job runs TRIALS times (default
3) on fresh projects, Sift and the baseline taking turns to go first; the verdicts use the
medians, and every trial's figure is printed too. Targets (2-core machine):
import >= 200,000 lines/s, export >= 500,000 lines/s, >= 3x the baseline on both,
peak RSS < 200 MB for the 1M-line import. Exit code 1 if a target is missed.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PASSAGE_WORDS = ("river bridge rain council vote engineer valley passage mast steel cable town "
                 "harbour winter opened closed rose fell north south").split()


def run_measured(cmd, **kw):
    """Runs cmd, returns (seconds, peak RSS in MB, stdout). Flushes the page cache's dirty
    pages first, so no run pays for the write-back of the previous one's output."""
    os.sync()
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.perf_counter() - start
    out = p.stdout.read().decode()
    err = p.stderr.read().decode()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{out}\n{err}")
    return elapsed, usage.ru_maxrss / 1024.0, out


def passage(rng, i):
    return f"Passage {i}: " + " ".join(rng.choice(PASSAGE_WORDS) for _ in range(12)) + "."


def write_manifest(path, n, labelled):
    rng = random.Random(42)
    payload = {"pairs": [{"question": "What rose after the rain?", "answer": "The river.",
                          "question_type": "factual", "spans": [{"start": 0, "end": 7}], "entire_passage": False}]}
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            obj = {"source": passage(rng, i), "id": i, "lang": "en", "meta": {"batch": f"b{i % 97}", "score": round(rng.random(), 4)}}
            if labelled:
                obj["qa"] = payload
                obj["qa-metadata"] = {"annotator": f"ann{i % 5}", "creation-date": "2026-11-01T10:00:00.000000Z"}
            f.write(json.dumps(obj, separators=(",", ":")))
            f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--sift", default=os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "sift"))
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "out"))
    ap.add_argument("--trials", type=int, default=int(os.environ.get("TRIALS", "3")))
    args = ap.parse_args()
    n = args.lines
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    template = os.path.join(HERE, "fixtures", "qa-bench.toml")
    manifest = os.path.join(args.work, "input.jsonl")
    labelled = os.path.join(args.work, "labelled.jsonl")
    print(f"generating {n:,} lines ...", flush=True)
    write_manifest(manifest, n, labelled=False)
    write_manifest(labelled, n, labelled=True)
    size_mb = os.path.getsize(manifest) / 1e6

    baseline = os.path.join(HERE, "manifest_baseline.py")
    times = {k: [] for k in ("import_sift", "import_py", "export_sift", "export_py")}
    rss = {"import_sift": 0.0, "import_py": 0.0, "export_sift": 0.0}

    def timed(key, cmd):
        t, r, out = run_measured(cmd)
        times[key].append(t)
        if key in rss:
            rss[key] = max(rss[key], r)
        return out

    for trial in range(args.trials):
        print(f"trial {trial + 1} of {args.trials} ...", flush=True)
        sift_first = trial % 2 == 0
        # Import: a fresh project and a fresh baseline database each time.
        proj = os.path.join(args.work, f"import-proj-{trial}")
        db = os.path.join(args.work, f"baseline-{trial}.db")
        subprocess.run([args.sift, "init", proj, "--template", template], check=True, stdout=subprocess.DEVNULL)
        jobs = [("import_sift", [args.sift, "import", manifest, "-p", proj]),
                ("import_py", [sys.executable, baseline, "import", manifest, db])]
        for key, cmd in jobs if sift_first else reversed(jobs):
            timed(key, cmd)
        shutil.rmtree(proj, ignore_errors=True)
        os.remove(db)

        # Export: a project with n submitted annotations (made by importing an output
        # manifest; not timed), exported once by each right after it was made.
        eproj = os.path.join(args.work, f"export-proj-{trial}")
        subprocess.run([args.sift, "init", eproj, "--template", template], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.sift, "import", labelled, "-p", eproj], check=True, stdout=subprocess.DEVNULL)
        sift_out = os.path.join(args.work, "sift-out.jsonl")
        jobs = [("export_sift", [args.sift, "export", "-p", eproj, "-o", sift_out]),
                ("export_py", [sys.executable, baseline, "export", os.path.join(eproj, "project.sift"),
                               os.path.join(args.work, "py-out.jsonl"), "qa", "qa-bench"])]
        for key, cmd in jobs if sift_first else reversed(jobs):
            out = timed(key, cmd)
            if key == "export_py":
                assert int(out.strip()) == n, out
        with open(sift_out, "rb") as f:
            exported = sum(1 for _ in f)
        assert exported == n, exported
        shutil.rmtree(eproj, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    t_sift, t_py, e_sift, e_py = med["import_sift"], med["import_py"], med["export_sift"], med["export_py"]
    rss_sift, rss_py, erss_sift = rss["import_sift"], rss["import_py"], rss["export_sift"]

    rows = [
        ("import", n / t_sift, n / t_py, rss_sift, rss_py, 200_000),
        ("export", n / e_sift, n / e_py, erss_sift, None, 500_000),
    ]
    print(f"\nmanifest benchmarks: {n:,} lines ({size_mb:.0f} MB input), {os.cpu_count()} cores, "
          f"median of {args.trials} trial(s), peak RSS the largest")
    print(f"{'job':<8}{'sift lines/s':>15}{'python lines/s':>17}{'ratio':>8}{'sift peak RSS':>16}{'python RSS':>12}   target")
    ok = True
    for job, s, p, rs, rp, target in rows:
        ratio = s / p
        met = s >= target and ratio >= 3.0 and (job != "import" or rs < 200)
        ok &= met
        rp_s = f"{rp:.0f} MB" if rp else "-"
        print(f"{job:<8}{s:>15,.0f}{p:>17,.0f}{ratio:>7.1f}x{rs:>13.0f} MB{rp_s:>12}   >={target:,}/s, >=3x"
              + (", RSS<200MB" if job == "import" else "") + ("  OK" if met else "  MISSED"))
    print("every trial (lines/s):")
    for key, ts in times.items():
        print(f"  {key:<12}" + " ".join(f"{n / t:>10,.0f}" for t in ts))
    shutil.rmtree(args.work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
