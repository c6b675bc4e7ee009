// Experiment (not part of the suite): the video project's page with the media loads stalled.
import { makeDemo, startDriver } from "./lib/desktop.mjs";
import { note, startStepLog } from "./lib/steps.mjs";
import { execSync } from "node:child_process";
startStepLog("/tmp/desk/exp/steps.log");
const demo = makeDemo();
const driver = await startDriver(demo.dir);
const s = await driver.launch([demo.projects.video]);
const q = async (label, script, timeout = 60000) => {
  const t = Date.now();
  try {
    const v = await s.cmd("POST", "/execute/sync", { script, args: [] }, { timeout });
    note(`${label}: ${JSON.stringify(v)} after ${Date.now() - t} ms`);
  } catch (e) {
    note(`${label}: FAILED after ${Date.now() - t} ms: ${e.message}`);
  }
};
try {
  const state = `const v = document.querySelector("video"); return { ready: document.readyState, sift: window.__siftReady ?? null, video: v && { rs: v.readyState, ns: v.networkState } };`;
  await s.waitForScript("window.__siftReady === true", 30000);
  await q("loaded normally", state);
  await s.cmd("POST", "/timeouts", { pageLoad: Number(process.env.PAGELOAD || 20000) });
  const net = execSync(`for g in $(pgrep -f "wt/desktop/tests/desktop/lib/guard.sh /root/.cargo"); do pgrep -g $g -x WebKitNetworkPr; done; true`, { encoding: "utf8" }).trim().split("\n").at(-1);
  note(`SIGSTOP network process ${net}; reload`);
  process.kill(Number(net), "SIGSTOP");
  await q("reload", `window.__siftReady = false; location.reload();`);
  for (let i = 0; i < 4; i++) await q(`state ${i}`, state);
  process.kill(Number(net), "SIGCONT");
  note("SIGCONT network process");
  for (let i = 0; i < 3; i++) await q(`state after CONT ${i}`, state);
} finally {
  await s.delete();
  await driver.stop();
}
