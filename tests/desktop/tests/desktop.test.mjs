// Desktop end to end: the real `sift-desktop` window (WebKitGTK) on the four demo projects.
// One item of each template is labeled and submitted through the UI; the app quits and is
// started again, and every submission is found saved. In the video template the demo video
// plays and seeks to 30 s (landing within one frame). Commands the capability does not grant
// are refused. A screenshot of the real window per template goes to artifacts/desktop/.
//
// Every step is logged with timestamps (artifacts/desktop/steps.log, and between the
// driver's own lines in artifacts/desktop/driver.log) and has a time limit; the whole test
// has one too (TEST_MS). A step that hangs fails naming itself, and the driver, the app and
// Xvfb are stopped whatever happens.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, makeDemo, startDriver, stopOnSignals, webviewScreenshot } from "../lib/desktop.mjs";
import { labelQa, labelRanking, labelImage, labelVideo, submit, waitReady } from "../lib/label.mjs";
import { note, startStepLog, step, withDeadline } from "../lib/steps.mjs";

const FRAME = 1 / 25; // the demo videos' frame duration
/** The whole test's limit. A passing run takes about a minute (three on a loaded machine). */
const TEST_MS = Number(process.env.SIFT_DESKTOP_TEST_MS || 6 * 60_000);

let demo;
let driver;
const stopAll = async () => {
  await driver?.stop();
};
const removeDemo = () => {
  if (demo && process.env.SIFT_KEEP !== "1") rmSync(demo.dir, { recursive: true, force: true });
};
stopOnSignals(async () => {
  await stopAll();
  removeDemo();
});

before(async () => {
  startStepLog(join(ARTIFACTS, "steps.log"));
  demo = await step("make the demo projects", async () => makeDemo(), 120_000);
  driver = await step("start Xvfb and tauri-driver", () => startDriver(demo.dir), 30_000);
});
after(async () => {
  await step("stop tauri-driver, the app and Xvfb", stopAll, 15_000);
  removeDemo();
});

const TEMPLATES = [
  ["qa", "qa", labelQa],
  ["ranking", "ranking", labelRanking],
  ["image", "image-caption", labelImage],
  ["video", "video-caption", labelVideo],
];

/** Opens `project` from the page (as a project picker does) and reloads the UI. */
async function openProject(s, project) {
  const r = await s.invoke("open_project", { path: project });
  assert.ok(r.ok, `open_project ${project}: ${JSON.stringify(r.err)}`);
  await s.execute("window.__siftReady = false; location.reload();");
  await waitReady(s);
  return r.ok;
}

/**
 * What the page is doing, for the log when a step fails: its URL and load state, whether the
 * UI is ready, and the video element's state. Asked with a short limit: a hung page must not
 * hold up the failure report.
 */
async function notePageState(s) {
  try {
    const state = await s.cmd("POST", "/execute/sync", {
      script: `const v = document.querySelector("video");
        return { url: location.href, readyState: document.readyState, siftReady: window.__siftReady ?? null,
                 video: v && { src: v.currentSrc, readyState: v.readyState, networkState: v.networkState, paused: v.paused,
                               currentTime: v.currentTime, error: v.error && v.error.code } };`,
      args: [],
    }, { timeout: 5000 });
    note(`page state: ${JSON.stringify(state)}`);
  } catch (e) {
    note(`page state: no answer (${e.message})`);
  }
}

async function labelAndRelaunch() {
  const { projects } = demo;
  const submitted = {};
  let s = await step("launch the app on the four projects", () => driver.launch([projects.qa, projects.ranking, projects.image, projects.video]), 90_000);
  try {
    const invoke = (cmd, args) => s.invoke(cmd, args);
    await step("first item shown; me and recent projects", async () => {
      await waitReady(s);
      const me = (await invoke("me")).ok;
      assert.equal(me.project.kind, "qa", "the first project named on the command line is open");
      assert.equal(me.annotator.role, "lead", "the local user leads their own projects");
      assert.match(me.media_base_url, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{64}\/\d+\/media$/);
      const recent = (await invoke("recent_projects")).ok;
      assert.deepEqual(recent.map((r) => r.kind).sort(), ["image-caption", "qa", "ranking", "video-caption"], "all four demo projects are listed");
      assert.equal(recent[0].kind, "qa");
    });

    for (const [name, kind, label] of TEMPLATES) {
      if (name !== "qa") await step(`${name}: open the project`, () => openProject(s, projects[name]));
      const first = await step(`${name}: first item in the queue`, async () => {
        const who = (await invoke("me")).ok;
        assert.equal(who.project.kind, kind);
        const entry = (await invoke("queue", { limit: 1 })).ok.entries[0];
        await s.waitForScript(`document.querySelector('[data-testid="item-state"]')?.dataset.state === "new"`);
        return entry;
      });
      const extra = await step(`${name}: label it`, () => label(s), 150_000);
      if (name === "video") {
        assert.ok(Math.abs(extra.currentTime - 30) <= FRAME, `seeking to 30 s landed at ${extra.currentTime}`);
        const shown = extra.shown;
        assert.ok(Math.abs(shown.time - 30) <= FRAME, `the window shows frame ${shown.frame} (${shown.time} s) after seeking to 30 s: ${JSON.stringify(shown.scores)}`);
        note(`video seek to 30 s: currentTime ${extra.currentTime}, frame shown ${shown.frame} (${shown.time} s), seeked after ${extra.seekMs.toFixed(0)} ms; PSNR by frame ${JSON.stringify(shown.scores)}`);
      }
      await step(`${name}: screenshots`, async () => {
        driver.x11Screenshot(`window-${name}`);
        await webviewScreenshot(s, `webview-${name}`);
      });
      await step(`${name}: submit`, async () => {
        await submit(s, first.item_id, invoke);
        submitted[name] = { item_id: first.item_id, payload: (await invoke("get_item", { item_id: first.item_id })).ok.annotation.payload };
      });
    }

    // The page may call only what the capability grants: no plugin or window APIs.
    await step("commands outside the capability are refused", async () => {
      for (const cmd of ["plugin:dialog|open", "plugin:window|set_title", "plugin:webview|internal_toggle_devtools", "plugin:window-state|save_window_state"]) {
        const r = await invoke(cmd, { options: {}, value: "x", flags: 0 });
        assert.ok(r.err, `${cmd} must be refused`);
        assert.match(JSON.stringify(r.err), /not allowed|denied|not found/i, `${cmd}: ${JSON.stringify(r.err)}`);
      }
    });
  } catch (e) {
    await notePageState(s);
    throw e;
  } finally {
    await step("quit the app (delete the session)", () => s.delete(), 20_000);
  }

  // Relaunch with no arguments: the most recent project opens, and every submission is there.
  s = await step("relaunch the app with no arguments", () => driver.launch([]), 90_000);
  try {
    await step("the most recent project reopens", async () => {
      await waitReady(s);
      const me = (await s.invoke("me")).ok;
      assert.equal(me.project.kind, "video-caption", "the most recently opened project reopens");
    });
    for (const [name] of TEMPLATES) {
      await step(`${name}: saved across the restart`, async () => {
        await openProject(s, demo.projects[name]);
        const { item_id, payload } = submitted[name];
        const item = (await s.invoke("get_item", { item_id })).ok;
        assert.equal(item.annotation.state, "submitted", `${name}: saved across the restart`);
        assert.deepEqual(item.annotation.payload, payload, `${name}: the same payload`);
        const status = (await s.invoke("status")).ok;
        assert.equal(status.annotations.submitted, 1, `${name}: one submission`);
      });
    }
  } catch (e) {
    await notePageState(s);
    throw e;
  } finally {
    await step("quit the app again", () => s.delete(), 20_000);
  }
}

test("label one item of each template, quit, relaunch, and find them all saved", { timeout: TEST_MS + 60_000 }, async () => {
  await withDeadline("the desktop test", TEST_MS, labelAndRelaunch, stopAll);
});
