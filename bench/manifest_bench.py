#!/usr/bin/env python3
"""`make bench`: Sift's manifest import and export beside the Python baseline and beside the
limits of this machine, measured on the same file in the same run.

Each trial (TRIALS, default 3) runs, on fresh projects:
  import  `sift import` of the N-line manifest, and the Python baseline (taking turns to go first);
  limits  crates/sift-api/examples/manifest_limits.rs on the same file: (a) parsing every line
          with Sift's parser, nothing stored; (b) inserting the already-parsed rows into a new
          project's table with one prepared statement in one transaction, with the settings of a
          bulk import (commit timed); (c) the same without the unique content-hash index; and,
          for a schema Sift does not have yet, (c) plus the hashes in a table of their own,
          added in sorted batches (what deduplication costs without a random B-tree insertion
          per line);
  export  `sift export` of N submitted annotations, the first export after the import that made
          them, and the Python baseline; then the limits of an export: the same rows read with
          one query and nothing written, and the export's bytes written to a file and synced.
Prints lines/s (medians of the trials; every trial too), Sift as a fraction of each limit, the
peak RSS, and the load average (other work on the machine makes every figure noisier; the
ratios within one run are what to compare). Targets (2-core machine): import >= 400,000 lines/s,
export >= 1,000,000 lines/s, >= 3x the baseline on both, import peak RSS < 200 MB.
Exit code 1 if a target is missed.
"""
import argparse
import filecmp
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
IMPORT_TARGET = 400_000
EXPORT_TARGET = 1_000_000


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


def load():
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def limits_binary(sift):
    """The limits tool sits beside the release `sift` binary (cargo puts examples there)."""
    return os.path.join(os.path.dirname(sift), "examples", "manifest_limits")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    target_dir = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    ap.add_argument("--sift", default=os.path.join(target_dir, "release", "sift"))
    ap.add_argument("--limits", help="the manifest_limits example binary (default: beside --sift)")
    ap.add_argument("--work", default=os.path.join(ROOT, "bench", "out"))
    ap.add_argument("--trials", type=int, default=int(os.environ.get("TRIALS", "3")))
    ap.add_argument("--no-baseline", action="store_true", help="skip the Python baseline (quick runs while working)")
    ap.add_argument("--before", help="another sift binary (e.g. built from an earlier commit) timed in the same trials")
    args = ap.parse_args()
    limits = args.limits or limits_binary(args.sift)
    if not os.path.isfile(limits):
        sys.exit(f"{limits} is missing: cargo build --release -p sift-api --example manifest_limits")
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
    load_start = load()

    baseline = os.path.join(HERE, "manifest_baseline.py")
    keys = ("import_sift", "import_py", "import_before", "export_sift", "export_py", "export_before", "parse",
            "insert", "insert_no_unique", "insert_sorted_hashes", "scan", "write")
    times = {k: [] for k in keys}
    rss = {"import_sift": 0.0, "import_py": 0.0, "export_sift": 0.0, "import_before": 0.0, "export_before": 0.0}
    export_bytes = 0

    def timed(key, cmd):
        t, r, out = run_measured(cmd)
        times[key].append(t)
        if key in rss:
            rss[key] = max(rss[key], r)
        return out

    def measure_limits(extra):
        _, _, out = run_measured([limits, "--manifest", manifest, "--template", template,
                                  "--work", os.path.join(args.work, "limits")] + extra)
        return json.loads(out)

    for trial in range(args.trials):
        print(f"trial {trial + 1} of {args.trials} (load {load()}) ...", flush=True)
        sift_first = trial % 2 == 0
        # Import: a fresh project and a fresh baseline database each time.
        proj = os.path.join(args.work, f"import-proj-{trial}")
        db = os.path.join(args.work, f"baseline-{trial}.db")
        subprocess.run([args.sift, "init", proj, "--template", template], check=True, stdout=subprocess.DEVNULL)
        jobs = [("import_sift", [args.sift, "import", manifest, "-p", proj])]
        if not args.no_baseline:
            jobs.append(("import_py", [sys.executable, baseline, "import", manifest, db]))
        bproj = os.path.join(args.work, f"import-before-{trial}")
        if args.before:
            subprocess.run([args.before, "init", bproj, "--template", template], check=True, stdout=subprocess.DEVNULL)
            jobs.append(("import_before", [args.before, "import", manifest, "-p", bproj]))
        for key, cmd in jobs if sift_first else reversed(jobs):
            timed(key, cmd)
        shutil.rmtree(proj, ignore_errors=True)
        shutil.rmtree(bproj, ignore_errors=True)
        if os.path.exists(db):
            os.remove(db)

        # Export: a project with n submitted annotations (made by importing an output
        # manifest; not timed), exported once by each right after it was made.
        eproj = os.path.join(args.work, f"export-proj-{trial}")
        subprocess.run([args.sift, "init", eproj, "--template", template], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([args.sift, "import", labelled, "-p", eproj], check=True, stdout=subprocess.DEVNULL)
        sift_out = os.path.join(args.work, "sift-out.jsonl")
        jobs = [("export_sift", [args.sift, "export", "-p", eproj, "-o", sift_out])]
        if not args.no_baseline:
            jobs.append(("export_py", [sys.executable, baseline, "export", os.path.join(eproj, "project.sift"),
                                       os.path.join(args.work, "py-out.jsonl"), "qa", "qa-bench"]))
        before_out = os.path.join(args.work, "before-out.jsonl")
        beproj = os.path.join(args.work, f"export-before-{trial}")
        if args.before:
            # The earlier build's own project (its schema may be older), made the same way.
            subprocess.run([args.before, "init", beproj, "--template", template], check=True,
                           stdout=subprocess.DEVNULL)
            subprocess.run([args.before, "import", labelled, "-p", beproj], check=True, stdout=subprocess.DEVNULL)
            jobs.append(("export_before", [args.before, "export", "-p", beproj, "-o", before_out]))
        for key, cmd in jobs if sift_first else reversed(jobs):
            out = timed(key, cmd)
            if key == "export_py":
                assert int(out.strip()) == n, out
        if args.before:
            # In chunks: a child's peak RSS counts the parent's at fork, so this process stays small.
            assert filecmp.cmp(sift_out, before_out, shallow=False), "the export differs from the earlier build's"
            os.remove(before_out)
            shutil.rmtree(beproj, ignore_errors=True)
        with open(sift_out, "rb") as f:
            exported = sum(1 for _ in f)
        assert exported == n, exported
        export_bytes = os.path.getsize(sift_out)
        os.remove(sift_out)
        py_out = os.path.join(args.work, "py-out.jsonl")
        if os.path.exists(py_out):
            os.remove(py_out)  # half a gigabyte a trial: the disk is shared

        # The limits, on the same file and project.
        lim = measure_limits(["--export-project", eproj, "--write-bytes", str(export_bytes)])
        assert lim["lines"] == n and lim["scan_rows"] == n, lim
        for k in ("parse", "insert", "insert_no_unique", "insert_sorted_hashes", "scan", "write"):
            times[k].append(lim[f"{k}_s"])
        shutil.rmtree(eproj, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items() if v}
    rate = {k: n / t for k, t in med.items()}
    py_import, py_export = rate.get("import_py"), rate.get("export_py")

    print(f"\nmanifest benchmarks: {n:,} lines ({size_mb:.0f} MB input, {export_bytes / 1e6:.0f} MB exported), "
          f"{os.cpu_count()} cores, median of {args.trials} trial(s), peak RSS the largest")
    print(f"load average (1, 5, 15 min): {load_start} at the start, {load()} at the end")
    print(f"{'job':<8}{'sift lines/s':>15}{'python lines/s':>17}{'ratio':>8}{'sift peak RSS':>16}{'python RSS':>12}   target")
    ok = True
    rows = [("import", rate["import_sift"], py_import, rss["import_sift"], rss["import_py"], IMPORT_TARGET),
            ("export", rate["export_sift"], py_export, rss["export_sift"], None, EXPORT_TARGET)]
    for job, s, p, rs, rp, target in rows:
        ratio = s / p if p else None
        met = s >= target and (ratio is None or ratio >= 3.0) and (job != "import" or rs < 200)
        ok &= met
        p_s = f"{p:>17,.0f}" if p else f"{'-':>17}"
        r_s = f"{ratio:>7.1f}x" if ratio else f"{'-':>8}"
        rp_s = f"{rp:.0f} MB" if rp else "-"
        print(f"{job:<8}{s:>15,.0f}{p_s}{r_s}{rs:>13.0f} MB{rp_s:>12}   >={target:,}/s, >=3x"
              + (", RSS<200MB" if job == "import" else "") + ("  OK" if met else "  MISSED"))

    if args.before:
        print(f"\nthe earlier build ({args.before}), same trials (export: its own project made the same "
              "way, output checked byte-identical to sift's):")
        for job in ("import", "export"):
            b = rate[f"{job}_before"]
            print(f"  {job:<8}{b:>13,.0f} lines/s   sift now = {rate[f'{job}_sift'] / b:.2f}x   "
                  f"peak RSS {rss[f'{job}_before']:.0f} MB")

    print("\nlimits of this machine (same file, same run; lines/s) and Sift as a fraction of each:")
    limit_rows = [
        ("parse", "import", "(a) parse every line with Sift's parser, nothing stored"),
        ("insert", "import", "(b) insert parsed rows, 1 stmt, 1 tx, unique hash (schema<=12)"),
        ("insert_no_unique", "import", "(c) the same without the unique content-hash index"),
        ("insert_sorted_hashes", "import", "    (c) + hashes sorted into their own table at the end (15)"),
        ("scan", "export", "    read the export's rows with one query, nothing written"),
        ("write", "export", "    write the export's bytes to a file and fsync (dd-like)"),
    ]
    for key, job, label in limit_rows:
        sift = rate[f"{job}_sift"]
        print(f"  {label:<62}{rate[key]:>12,.0f}   sift {job} = {sift / rate[key]:>5.2f} of it")
    print("every trial (lines/s):")
    for key, ts in times.items():
        if ts:
            print(f"  {key:<17}" + " ".join(f"{n / t:>10,.0f}" for t in ts))
    shutil.rmtree(args.work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
