// Desktop end to end: the real `sift-desktop` window (WebKitGTK) on the four demo projects.
// One item of each template is labeled and submitted through the UI; the app quits and is
// started again, and every submission is found saved. In the video template the demo video
// plays and seeks to 30 s (landing within one frame). Commands the capability does not grant
// are refused. A screenshot of the real window per template goes to artifacts/desktop/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { makeDemo, startDriver, webviewScreenshot } from "../lib/desktop.mjs";
import { labelQa, labelRanking, labelImage, labelVideo, submit, waitReady } from "../lib/label.mjs";

const FRAME = 1 / 25; // the demo videos' frame duration

let demo;
let driver;
before(async () => {
  demo = makeDemo();
  driver = await startDriver(demo.dir);
});
after(async () => {
  await driver?.stop();
  if (demo && process.env.SIFT_KEEP !== "1") rmSync(demo.dir, { recursive: true, force: true });
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

test("label one item of each template, quit, relaunch, and find them all saved", async () => {
  const { projects } = demo;
  const submitted = {};
  let s = await driver.launch([projects.qa, projects.ranking, projects.image, projects.video]);
  try {
    await waitReady(s);
    const invoke = (cmd, args) => s.invoke(cmd, args);
    const me = (await invoke("me")).ok;
    assert.equal(me.project.kind, "qa", "the first project named on the command line is open");
    assert.equal(me.annotator.role, "lead", "the local user leads their own projects");
    assert.match(me.media_base_url, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{64}\/\d+\/media$/);
    const recent = (await invoke("recent_projects")).ok;
    assert.deepEqual(recent.map((r) => r.kind).sort(), ["image-caption", "qa", "ranking", "video-caption"], "all four demo projects are listed");
    assert.equal(recent[0].kind, "qa");

    for (const [name, kind, label] of TEMPLATES) {
      if (name !== "qa") await openProject(s, projects[name]);
      const who = (await invoke("me")).ok;
      assert.equal(who.project.kind, kind);
      const first = (await invoke("queue", { limit: 1 })).ok.entries[0];
      await s.waitForScript(`document.querySelector('[data-testid="item-state"]')?.dataset.state === "new"`);
      const extra = await label(s);
      if (name === "video") {
        assert.ok(Math.abs(extra.currentTime - 30) <= FRAME, `seeking to 30 s landed at ${extra.currentTime}`);
        const shown = extra.shown;
        assert.ok(Math.abs(shown.time - 30) <= FRAME, `the window shows frame ${shown.frame} (${shown.time} s) after seeking to 30 s: ${JSON.stringify(shown.scores)}`);
        console.log(`video seek to 30 s: currentTime ${extra.currentTime}, frame shown ${shown.frame} (${shown.time} s), seeked after ${extra.seekMs.toFixed(0)} ms; PSNR by frame ${JSON.stringify(shown.scores)}`);
      }
      driver.x11Screenshot(`window-${name}`);
      await webviewScreenshot(s, `webview-${name}`);
      await submit(s, first.item_id, invoke);
      submitted[name] = { item_id: first.item_id, payload: (await invoke("get_item", { item_id: first.item_id })).ok.annotation.payload };
    }

    // The page may call only what the capability grants: no plugin or window APIs.
    for (const cmd of ["plugin:dialog|open", "plugin:window|set_title", "plugin:webview|internal_toggle_devtools", "plugin:window-state|save_window_state"]) {
      const r = await invoke(cmd, { options: {}, value: "x", flags: 0 });
      assert.ok(r.err, `${cmd} must be refused`);
      assert.match(JSON.stringify(r.err), /not allowed|denied|not found/i, `${cmd}: ${JSON.stringify(r.err)}`);
    }
  } finally {
    await s.delete(); // quits the app
  }

  // Relaunch with no arguments: the most recent project opens, and every submission is there.
  s = await driver.launch([]);
  try {
    await waitReady(s);
    const me = (await s.invoke("me")).ok;
    assert.equal(me.project.kind, "video-caption", "the most recently opened project reopens");
    for (const [name] of TEMPLATES) {
      await openProject(s, demo.projects[name]);
      const { item_id, payload } = submitted[name];
      const item = (await s.invoke("get_item", { item_id })).ok;
      assert.equal(item.annotation.state, "submitted", `${name}: saved across the restart`);
      assert.deepEqual(item.annotation.payload, payload, `${name}: the same payload`);
      const status = (await s.invoke("status")).ok;
      assert.equal(status.annotations.submitted, 1, `${name}: one submission`);
    }
  } finally {
    await s.delete();
  }
});
