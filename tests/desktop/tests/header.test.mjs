// The header of the real desktop window at 1024 and 1280 px wide, in the light and the dark
// theme (GTK_THEME=Adwaita:dark makes WebKitGTK report prefers-color-scheme: dark), with
// the longest save state an annotator sees while labeling ("Unsaved changes"): no two
// items of the header may overlap, and none may run past the window's edge. Screenshots of
// the real window (X screen) and of the header go to artifacts/desktop/header-*.png.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, makeDemo, startDriver, stopOnSignals } from "../lib/desktop.mjs";
import { waitReady } from "../lib/label.mjs";
import { note, startStepLog, step, withDeadline } from "../lib/steps.mjs";

const WIDTHS = [1024, 1280];
const THEMES = [
  ["light", {}],
  ["dark", { GTK_THEME: "Adwaita:dark" }],
];
const TEST_MS = 4 * 60_000;

/**
 * Every pair of header items whose boxes overlap, and every item past the header's right
 * edge. Items: the project and template names, the mode tabs, each control of the status
 * area (queue navigation, state, progress, save state) and of the user area (Sync, help,
 * user) — the innermost of these, so a container never counts against its own contents.
 */
const MEASURE = `
  const header = document.querySelector("header.header");
  const all = [...header.querySelectorAll(".brand .project, .brand .template, .modes, .status > *, .status nav > *, .user > *")];
  const items = all.filter((e) => !all.some((o) => o !== e && e.contains(o)))
    .map((e) => ({ e, r: e.getBoundingClientRect(), name: (e.dataset.testid || [...e.classList].filter((c) => !c.startsWith("svelte-")).join(".") || e.tagName) + ' "' + e.textContent.trim().replace(/\\s+/g, " ").slice(0, 24) + '"' }))
    .filter((i) => i.r.width > 0 && i.r.height > 0);
  const problems = [];
  for (let a = 0; a < items.length; a++)
    for (let b = a + 1; b < items.length; b++) {
      const p = items[a].r, q = items[b].r;
      const w = Math.min(p.right, q.right) - Math.max(p.left, q.left), h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
      if (w > 0.5 && h > 0.5) problems.push(items[a].name + " overlaps " + items[b].name + " by " + w.toFixed(1) + " px");
    }
  const edge = header.getBoundingClientRect().right;
  for (const i of items) if (i.r.right > edge + 0.5) problems.push(i.name + " runs " + (i.r.right - edge).toFixed(1) + " px past the window's edge");
  return { width: innerWidth, state: document.querySelector('[data-testid="autosave-status"]')?.dataset.status ?? null, problems };`;

let demo;
let driver;
const removeDemo = () => {
  if (demo && process.env.SIFT_KEEP !== "1") rmSync(demo.dir, { recursive: true, force: true });
};
stopOnSignals(async () => {
  await driver?.stop();
  removeDemo();
});
before(async () => {
  startStepLog(join(ARTIFACTS, "header-steps.log"));
  demo = await step("make the demo projects", async () => makeDemo(), 120_000);
});
after(async () => {
  await driver?.stop();
  removeDemo();
});

/** Types one more word into the caption, so the save state is "Unsaved changes" again. */
async function makeDirty(s) {
  await s.execute(`document.querySelector('textarea[data-path="caption"]').focus();`);
  await s.typeKeys(" pagoda");
}

test("the header's items never overlap at 1024 and 1280 px, light and dark", { timeout: TEST_MS + 60_000 }, async () => {
  const found = [];
  await withDeadline("the header test", TEST_MS, async () => {
    for (const [theme, env] of THEMES) {
      driver = await step(`${theme}: start Xvfb and tauri-driver`, () => startDriver(join(demo.dir, theme), { env, log: "header-driver.log" }), 30_000);
      const s = await step(`${theme}: launch the app on the image project`, () => driver.launch([demo.projects.image]), 90_000);
      try {
        await step(`${theme}: first item shown`, () => waitReady(s));
        const dark = await s.query(`return matchMedia("(prefers-color-scheme: dark)").matches;`);
        assert.equal(dark, theme === "dark", `the window is in the ${theme} theme`);
        for (const width of WIDTHS) {
          await step(`${theme} ${width} px: measure the header with unsaved changes`, async () => {
            await s.cmd("POST", "/window/rect", { width, height: 800 }, { idempotent: true });
            await s.waitForScript(`innerWidth === ${width}`, 5000);
            // The state is "Unsaved changes" for 0.8 s after a change (the autosave's debounce):
            // measured and photographed inside that window, tried again if it was missed.
            let m;
            for (let attempt = 0; attempt < 5; attempt++) {
              await makeDirty(s);
              m = await s.query(MEASURE);
              const header = await s.find("header.header");
              const shot = await s.cmd("GET", `/element/${header}/screenshot`);
              const after = await s.query(`return document.querySelector('[data-testid="autosave-status"]')?.dataset.status;`);
              if (m.state === "dirty" && after === "dirty") {
                writeFileSync(join(ARTIFACTS, `header-${theme}-${width}.png`), Buffer.from(shot, "base64"));
                break;
              }
            }
            assert.equal(m.state, "dirty", "the save state shown while measuring is Unsaved changes");
            driver.x11Screenshot(`header-window-${theme}-${width}`);
            note(`${theme} ${width} px: ${m.problems.length ? m.problems.join("; ") : "no overlap"}`);
            for (const p of m.problems) found.push(`${theme} ${width} px: ${p}`);
          });
        }
      } finally {
        await step(`${theme}: quit the app`, () => s.delete(), 20_000);
        await step(`${theme}: stop tauri-driver and Xvfb`, () => driver.stop(), 15_000);
      }
    }
  }, () => driver?.stop());
  assert.deepEqual(found, [], `header items overlap:\n${found.join("\n")}`);
});
