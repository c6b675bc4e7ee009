// Screenshots of every template mid-task (a saved draft with some content: highlights, ranks,
// dots, an event on the timeline, and the rules still unmet) in the light and the dark theme,
// written to artifacts/screenshots/<template>-<theme>.png for people to look at; plus a few
// states worth a look (<template>-<state>-<theme>.png): the Q&A passage selected with the
// keyboard and the "My work" list, the image caption focused with its must-mention checklist
// in view, the ranking tabs in a narrow window, and classification at 1024 and 1280 px with the
// reason focused from the keyboard.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeProject, startServer, openAs, screenshot, api, browser, useBrowser } from "../lib/harness.mjs";
import { MID_TASK, settle } from "../lib/cases.mjs";

const BACKGROUND = { light: "rgb(246, 247, 249)", dark: "rgb(18, 21, 25)" };

/** What each template shows beyond the mid-task screenshot (lib/cases.mjs has the rest). */
const EXTRA = {
  async qa(page, theme) {
    // The passage selected with the keyboard: Alt+P, then Shift+arrows; the caret is drawn.
    await page.keyboard.press("Alt+P");
    await page.keyboard.press("Control+Home");
    for (let i = 0; i < 4; i++) await page.keyboard.press("Control+ArrowRight");
    for (let i = 0; i < 3; i++) await page.keyboard.press("Control+Shift+ArrowRight");
    assert.equal((await page.evaluate(() => getSelection().toString())).trim(), "Bridge opened in");
    await page.waitForSelector('[data-testid="passage-caret"]');
    await settle(page);
    await screenshot(page, `qa-keyboard-selection-${theme}`);
    // "My work" (Alt+W): the draft, with its state.
    await page.keyboard.press("Alt+W");
    await page.waitForSelector('[data-testid="my-work-entry"][data-state="draft"]');
    await settle(page);
    await screenshot(page, `qa-my-work-${theme}`);
    await page.keyboard.press("Escape");
  },
  async ranking(page, theme) {
    // A narrow window: the dimension tabs stay on one row and scroll, with an arrow.
    await page.setViewportSize({ width: 1024, height: 760 });
    await page.waitForSelector(".tabs-arrow.right");
    const rows = await page.$$eval('[data-testid="dimension-tab"]', (tabs) => new Set(tabs.map((t) => Math.round(t.getBoundingClientRect().top))).size);
    assert.equal(rows, 1, "the dimension tabs are on one row");
    await page.keyboard.press("Alt+ArrowRight");
    await page.keyboard.press("Alt+ArrowRight");
    await page.waitForSelector(".tabs-arrow.left");
    await settle(page);
    await screenshot(page, `ranking-narrow-${theme}`);
  },
  async "image-caption"(page, theme) {
    // Alt+C: the caption, and its must-mention checklist above the sticky submit bar.
    await page.keyboard.press("Alt+C");
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "caption");
    await page.waitForFunction(() => {
      const row = document.querySelector('[data-testid="mentions"]').getBoundingClientRect();
      const bar = document.querySelector(".submit-bar").getBoundingClientRect();
      return row.bottom <= bar.top && row.top >= 0;
    });
    await settle(page);
    await screenshot(page, `image-caption-caption-${theme}`);
  },
  async classification(page, theme) {
    // Alt+U twice: the mark off and on again, the cursor in the reason (a visible focus ring).
    await page.keyboard.press("Alt+U");
    await page.keyboard.press("Alt+U");
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "unsure-reason");
    for (const width of [1024, 1280]) {
      await page.setViewportSize({ width, height: 760 });
      await settle(page);
      const pane = await page.$eval(".answers-pane", (el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      assert.ok(pane.scroll <= pane.client, `the classes fit the answers pane at ${width} px`);
      await screenshot(page, `classification-${width}-${theme}`);
    }
  },
};

const CASES = MID_TASK.map((c) => ({ ...c, extra: EXTRA[c.name] }));

useBrowser();

for (const c of CASES) {
  test(`screenshots: ${c.name}, light and dark, mid-task`, async () => {
    const tmp = mkdtempSync(join(tmpdir(), "sift-shots-"));
    const p = makeProject({ template: c.template, lines: [c.line], files: c.files?.(tmp) ?? {} });
    const server = await startServer(p.project);
    try {
      const saved = await api(server.url, p.tokens.ann, "save_draft", { item_id: 1, payload: c.draft, time_spent_ms: 30000 });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      for (const theme of ["light", "dark"]) {
        const { page, context, events } = await openAs(browser, server.url, p.tokens.ann, { colorScheme: theme });
        try {
          await page.waitForSelector('[data-testid="item-state"][data-state="draft"]');
          assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), BACKGROUND[theme]);
          await c.ready?.(page);
          // The draft's unmet rules are listed, as they are mid-task.
          await page.waitForSelector('[data-testid="validation-summary"] [data-testid="violation"]');
          await settle(page);
          await screenshot(page, `${c.name}-${theme}`);
          await c.extra?.(page, theme);
          assert.deepEqual(events.errors, [], `${c.name}-${theme}: console errors`);
          assert.deepEqual(events.csp, [], `${c.name}-${theme}: CSP violations`);
        } finally {
          await context.close();
        }
      }
    } finally {
      await server.stop();
      p.cleanup();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
