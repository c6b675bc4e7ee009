// Runs the desktop end-to-end suite N times in a row (`npm run repeat -- 20 [test files]`,
// default all of tests/), each run a fresh `node --test` with nothing retried, and prints a table: pass or fail, how long it took,
// where a failed run stopped (its first ✘ step), and whether any Xvfb, driver or app process
// was left behind. Each run's artifacts (steps.log, driver.log, screenshots) are kept under
// artifacts/desktop/repeat/run-N/; the table is written to artifacts/desktop/repeat/summary.md.

import { spawnSync, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS } from "./lib/desktop.mjs";

const runs = Number(process.argv[2] || 20);
const files = process.argv.length > 3 ? process.argv.slice(3) : ["tests/"];
const out = join(ARTIFACTS, "repeat");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

/** Processes of the stack still alive (none should be, between runs). */
function leftovers() {
  const ps = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return ps
    .split("\n")
    .filter((l) => /\b(Xvfb -displayfd|tauri-driver --port|WebKitWebDriver --port|sift-desktop|WebKitWebProcess|WebKitNetworkProcess)/.test(l))
    .filter((l) => !l.includes("repeat.mjs"))
    .map((l) => l.trim());
}

const rows = [];
for (let i = 1; i <= runs; i++) {
  const before = leftovers();
  const t = Date.now();
  const r = spawnSync("node", ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 15 * 60_000 });
  const seconds = (Date.now() - t) / 1000;
  const dir = join(out, `run-${i}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "output.log"), `${r.stdout}\n${r.stderr}`);
  for (const f of existsSync(ARTIFACTS) ? readdirSync(ARTIFACTS) : []) {
    if (f !== "repeat") cpSync(join(ARTIFACTS, f), join(dir, f), { recursive: true });
  }
  const steps = existsSync(join(dir, "steps.log")) ? readFileSync(join(dir, "steps.log"), "utf8") : "";
  const failed = steps.split("\n").find((l) => l.includes("✘"));
  const left = leftovers().filter((l) => !before.includes(l));
  const row = { run: i, pass: r.status === 0, seconds, stopped: failed ? failed.replace(/^.*✘\s*/, "") : r.status === 0 ? "" : `exit ${r.status ?? r.signal}`, left: left.length };
  rows.push(row);
  console.log(`run ${i}: ${row.pass ? "pass" : "FAIL"} in ${seconds.toFixed(1)} s${row.stopped ? ` — ${row.stopped}` : ""}${left.length ? ` — left behind: ${left.join("; ")}` : ""}`);
}

const passed = rows.filter((r) => r.pass).length;
const times = rows.map((r) => r.seconds).sort((a, b) => a - b);
const table = [
  `| run | result | seconds | where a failure stopped | processes left |`,
  `| ---: | --- | ---: | --- | ---: |`,
  ...rows.map((r) => `| ${r.run} | ${r.pass ? "pass" : "**fail**"} | ${r.seconds.toFixed(1)} | ${r.stopped.replace(/\|/g, "\\|")} | ${r.left} |`),
  "",
  `${passed} of ${rows.length} passed on the first try; time min ${times[0].toFixed(1)} s, median ${times[Math.floor(times.length / 2)].toFixed(1)} s, max ${times.at(-1).toFixed(1)} s.`,
].join("\n");
writeFileSync(join(out, "summary.md"), `${table}\n`);
console.log(`\n${table}`);
process.exit(passed === rows.length ? 0 : 1);
