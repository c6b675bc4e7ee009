// Desktop benchmark (`make bench`): cold start to the first item shown, and the memory of the
// app (its process and WebKit's) with a 100,000-item project open. Targets: under 1.5 s and
// under 250 MB.
//
// Start time: from the kernel's start time of the `sift-desktop` process to the moment the
// page has shown the first item (`window.__siftReady`, read with the page's own clock), so
// WebDriver's own set-up is not counted. Memory: resident set (RSS) and proportional set
// (PSS: shared libraries divided among the processes using them) of `sift-desktop` and every
// process under it (WebKitWebProcess, WebKitNetworkProcess), after the first item is shown.
//
// Usage: node bench.mjs [--runs N] [--items N]  (needs sift, sift-desktop, tauri-driver; see
// docs/desktop.md). Writes artifacts/desktop/bench.json.

import { execFileSync } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { ARTIFACTS, SIFT, startDriver } from "./lib/desktop.mjs";
import { sleep } from "./lib/webdriver.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("--runs", 5);
const ITEMS = arg("--items", 100_000);
const TARGET_START_MS = 1500;
const TARGET_MEMORY_MB = 250;

const WORDS = (
  "the river valley bridge opened carries across southern tallest mast metres ground deck supported " +
  "cables engineers chose colour ships could see fog summer towers water boils lower pressure altitude " +
  "honeybees communicate location food dance forager hive straight line angle direction sun duration"
).split(" ");

/** A 100,000-item Q&A project, made once and kept in the cache. */
async function bigProject() {
  const dir = join(homedir(), ".cache/sift/bench-desktop");
  const project = join(dir, `qa-${ITEMS}`);
  if (existsSync(join(project, "project.sift"))) return project;
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, `qa-${ITEMS}.jsonl`);
  const out = createWriteStream(manifest);
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < ITEMS; i++) {
    const words = Array.from({ length: 60 + Math.floor(rnd() * 40) }, () => WORDS[Math.floor(rnd() * WORDS.length)]);
    const line = JSON.stringify({ source: `Passage ${i + 1}. ${words.join(" ")}.`, id: `bench-${i + 1}` }) + "\n";
    if (!out.write(line)) await new Promise((r) => out.once("drain", r));
  }
  await new Promise((r) => out.end(r));
  const t = Date.now();
  execFileSync(SIFT, ["init", project, "--template", join(process.cwd(), "../../labeling-templates/qa.toml"), "--name", `bench-${ITEMS}`]);
  execFileSync(SIFT, ["import", manifest, "-p", project]);
  console.log(`made a ${ITEMS}-item project in ${((Date.now() - t) / 1000).toFixed(1)} s: ${project}`);
  rmSync(manifest);
  return project;
}

const TICKS = 100; // USER_HZ on Linux
function bootTimeMs() {
  const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  return Date.now() - uptime * 1000;
}
function startTimeMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return bootTimeMs() + (Number(fields[19]) / TICKS) * 1000;
}
function processes() {
  const list = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      list.push({ pid: Number(d), ppid, comm });
    } catch {
      // gone
    }
  }
  return list;
}
function kb(pid, file, key) {
  const m = readFileSync(`/proc/${pid}/${file}`, "utf8").match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"));
  return m ? Number(m[1]) : 0;
}
/** The newest sift-desktop process and everything under it. */
function appTree() {
  const all = processes();
  const app = all.filter((p) => p.comm === "sift-desktop").sort((a, b) => b.pid - a.pid)[0];
  if (!app) return null;
  const tree = [app];
  for (let i = 0; i < tree.length; i++) for (const p of all) if (p.ppid === tree[i].pid) tree.push(p);
  return tree;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const project = await bigProject();
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), "sift-desktop-bench-"));
    const driver = await startDriver(dir);
    let session;
    try {
      session = await driver.launch([project]);
      const readyAt = await session.waitFor(
        () => session.query(`return window.__siftReady === true && document.querySelector('[data-testid="passage"]') ? performance.timeOrigin + performance.now() : null;`),
        30000,
        "the first item",
      );
      const tree = appTree();
      if (!tree) throw new Error("no sift-desktop process");
      const started = startTimeMs(tree[0].pid);
      await sleep(1000); // let the page settle before measuring memory
      const mem = appTree().map((p) => ({ comm: p.comm, rss_kb: kb(p.pid, "status", "VmRSS"), pss_kb: kb(p.pid, "smaps_rollup", "Pss") }));
      const r = {
        start_ms: Math.round(readyAt - started),
        rss_mb: mem.reduce((a, p) => a + p.rss_kb, 0) / 1024,
        pss_mb: mem.reduce((a, p) => a + p.pss_kb, 0) / 1024,
        processes: mem,
      };
      runs.push(r);
      console.log(`run ${run + 1}: first item after ${r.start_ms} ms; memory PSS ${r.pss_mb.toFixed(0)} MB, RSS ${r.rss_mb.toFixed(0)} MB (${mem.map((p) => `${p.comm} ${Math.round(p.rss_kb / 1024)}`).join(", ")})`);
    } finally {
      await session?.delete();
      await driver.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const summary = {
    items: ITEMS,
    runs: runs.length,
    first_start_ms: runs[0].start_ms,
    median_start_ms: median(runs.map((r) => r.start_ms)),
    median_pss_mb: Math.round(median(runs.map((r) => r.pss_mb))),
    median_rss_mb: Math.round(median(runs.map((r) => r.rss_mb))),
    targets: { start_ms: TARGET_START_MS, memory_mb: TARGET_MEMORY_MB },
    detail: runs,
  };
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, "bench.json"), JSON.stringify(summary, null, 2) + "\n");
  const ok = (v, t) => (v <= t ? "ok" : "OVER");
  console.log(`\nsift-desktop, ${ITEMS}-item project, ${runs.length} launches:`);
  console.log(`  start to first item   first ${summary.first_start_ms} ms, median ${summary.median_start_ms} ms   target < ${TARGET_START_MS} ms  ${ok(summary.median_start_ms, TARGET_START_MS)}`);
  console.log(`  memory (PSS, all)     median ${summary.median_pss_mb} MB                 target < ${TARGET_MEMORY_MB} MB  ${ok(summary.median_pss_mb, TARGET_MEMORY_MB)}`);
  console.log(`  memory (RSS, all)     median ${summary.median_rss_mb} MB (shared pages counted in every process)`);
}

await main();
