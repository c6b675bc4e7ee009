// Classification end to end, with the keyboard only: an annotator picks classes with the
// template's number keys (the last one wins; multi-label toggles), marks an item unsure with a
// reason (Alt+U, Esc back to the classes) and submits with a bare Enter; the work is found
// intact on the server, read-only in the session, after a reload and in a reviewer's view. A
// reviewer approves one item and returns another with a comment pointed at a class by its key;
// the annotator sees it, reworks and resubmits. Screenshots of the text (1024 and 1280 px),
// the image (multi-label) and the review, in the light and the dark theme.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, makeProject, startServer, openAs, screenshot, api, browser, useBrowser } from "../lib/harness.mjs";
import { MESSAGES, IMAGE_ITEM, PNG, tabTo, readClassification, serverItem } from "../lib/flows.mjs";
import { settle } from "../lib/cases.mjs";

const REASON = "They also cannot sign in, which is an account problem.";

useBrowser();

/** The chosen classes as the list marks them (template order). */
const chosen = (page) => page.$$eval('[data-testid="class"][data-chosen="true"]', (rows) => rows.map((r) => r.dataset.class));

/** The classification template, as an image, multi-label one (at most two classes, no unsure). */
function imageTemplate(dir) {
  const toml = readFileSync(join(ROOT, "labeling-templates/classification.toml"), "utf8")
    .replace('text = "source"', 'image = "source-ref"')
    .replace("multi_label = false", "multi_label = true\nmax_labels = 2")
    .replace(/allow_unsure = true\nunsure_reason = "required"\nunsure_reason_max_chars = 300\n/, "");
  const path = join(dir, "image-classification.toml");
  writeFileSync(path, toml);
  return path;
}

test("classification: number keys choose, Alt+U marks unsure with a reason, Enter submits (keyboard only)", async () => {
  const p = makeProject({ template: "classification.toml", lines: MESSAGES.slice(0, 2) });
  const server = await startServer(p.project);
  const contexts = [];
  try {
    const { page, context, events } = await openAs(browser, server.url, p.tokens.ann);
    contexts.push(context);
    await page.waitForSelector('[data-testid="item-state"][data-state="new"]');
    assert.equal(await page.textContent('[data-testid="item-text"]'), MESSAGES[0].source);

    // 2 chooses "technical", 1 changes it to "billing".
    await page.keyboard.press("2");
    await page.waitForSelector('[data-testid="class"][data-class="technical"][data-chosen="true"]');
    await page.keyboard.press("1");
    await page.waitForSelector('[data-testid="class"][data-class="billing"][data-chosen="true"]');
    assert.deepEqual(await chosen(page), ["billing"]);
    // Alt+U: unsure, the cursor in the reason; number keys and Enter type there.
    await page.keyboard.press("Alt+U");
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "unsure-reason");
    await page.keyboard.type(REASON);
    // The required reason given: every rule is met.
    await page.waitForSelector('[data-testid="validation-summary"] .title.ok');
    // Esc: back to the classes, with a visible focus ring on the chosen one.
    await page.keyboard.press("Escape");
    await page.waitForFunction(() => document.activeElement?.matches('[data-testid="class-input"][value="billing"]'));
    const ring = await page.$eval('[data-testid="class"][data-class="billing"]', (row) => getComputedStyle(row).outlineStyle);
    assert.equal(ring, "solid", "the focused class shows a focus ring");
    const expected = { labels: ["billing"], unsure: { reason: REASON } };
    assert.deepEqual(await readClassification(page), expected);
    await page.keyboard.press("Enter");

    // Item 2: 4 then Enter.
    await page.waitForFunction((t) => document.querySelector('[data-testid="item-text"]')?.textContent === t, MESSAGES[1].source);
    await page.keyboard.press("4");
    await page.waitForSelector('[data-testid="class"][data-class="feature-request"][data-chosen="true"]');
    await page.keyboard.press("Enter");
    await page.waitForSelector('[data-testid="all-done"]');

    // The server holds exactly what was submitted.
    const first = await serverItem(server.url, p.tokens.ann, 1);
    assert.equal(first.annotation.state, "submitted");
    assert.deepEqual(first.annotation.payload, expected);
    const second = await serverItem(server.url, p.tokens.ann, 2);
    assert.equal(second.annotation.state, "submitted");
    assert.deepEqual(second.annotation.payload, { labels: ["feature-request"] });

    // Back to item 2 (Alt+PageUp): read-only; number keys and Enter change nothing.
    await page.keyboard.press("Alt+PageUp");
    await page.waitForSelector('[data-testid="item-state"][data-state="submitted"]');
    await page.waitForSelector('[data-testid="read-only"]');
    await page.keyboard.press("1");
    await page.keyboard.press("Enter");
    assert.deepEqual(await readClassification(page), { labels: ["feature-request"] });

    // After a reload: all done; "My work" (Alt+W, Enter) reopens item 1 intact.
    await page.reload();
    await page.waitForFunction(() => window.__siftReady === true);
    await page.waitForSelector('[data-testid="all-done"]');
    assert.match(await page.textContent(".progress"), /^2\/2 done$/);
    await page.keyboard.press("Alt+W");
    await page.waitForSelector('[data-testid="my-work-entry"][data-item-id="1"][data-state="submitted"]');
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "my-work-entry");
    await tabTo(page, '[data-testid="my-work-entry"][data-item-id="1"]');
    await page.keyboard.press("Enter");
    await page.waitForFunction((t) => document.querySelector('[data-testid="item-text"]')?.textContent === t, MESSAGES[0].source);
    await page.waitForSelector('[data-testid="read-only"]');
    assert.deepEqual(await readClassification(page), expected);

    // A reviewer sees the chosen class, the unsure mark and its reason.
    const rev = await openAs(browser, server.url, p.tokens.rev);
    contexts.push(rev.context);
    await rev.page.click('[data-testid="tab-review"]');
    await rev.page.waitForSelector('[data-testid="review-panel"]');
    await rev.page.waitForFunction((t) => document.querySelector('[data-testid="item-text"]')?.textContent === t, MESSAGES[0].source);
    assert.deepEqual(await readClassification(rev.page), expected);

    assert.deepEqual(events.errors, [], "no console errors for the annotator");
    assert.deepEqual(rev.events.errors, [], "no console errors for the reviewer");
  } finally {
    for (const c of contexts) await c.close();
    await server.stop();
    p.cleanup();
  }
});

test("classification of an image, multi-label: shown large, keys toggle, at most two, Enter submits", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "sift-cls-"));
  const p = makeProject({ template: imageTemplate(tmp), lines: [IMAGE_ITEM], files: { "img/scene.png": PNG } });
  const server = await startServer(p.project);
  try {
    for (const theme of ["light", "dark"]) {
      const { page, context, events } = await openAs(browser, server.url, p.tokens.ann, { colorScheme: theme, viewport: { width: 1280, height: 800 } });
      try {
        await page.waitForFunction(() => document.querySelector('[data-testid="image"]')?.naturalWidth === 64);
        // Shown large: the 64×48 image fills most of the pane's width.
        const box = await page.locator('[data-testid="image"]').boundingBox();
        assert.ok(box.width >= 500, `the image is shown large (${box.width} px wide)`);
        if (theme === "light") {
          await page.keyboard.press("3");
          await page.keyboard.press("1");
          await page.keyboard.press("5"); // a third class: refused
          await page.waitForFunction(() => /At most 2 classes/.test(document.querySelector('[data-testid="toasts"]')?.textContent ?? ""));
          await page.keyboard.press("3"); // toggled off
          await page.keyboard.press("5");
          await page.waitForFunction(() => document.querySelectorAll('[data-testid="class"][data-chosen="true"]').length === 2);
          assert.deepEqual(await readClassification(page), { labels: ["billing", "other"] });
          await page.waitForSelector('[data-testid="autosave-status"][data-status="saved"]', { timeout: 10000 });
        } else {
          await page.waitForSelector('[data-testid="item-state"][data-state="draft"]');
          assert.deepEqual(await readClassification(page), { labels: ["billing", "other"] }, "the draft, reopened in the dark theme");
        }
        await settle(page);
        await screenshot(page, `classification-image-multi-${theme}`);
        if (theme === "dark") {
          await page.keyboard.press("Enter");
          await page.waitForSelector('[data-testid="all-done"]');
          const item = await serverItem(server.url, p.tokens.ann, 1);
          assert.equal(item.annotation.state, "submitted");
          assert.deepEqual(item.annotation.payload, { labels: ["billing", "other"] });
        }
        assert.deepEqual(events.errors, [], `${theme}: console errors`);
        assert.deepEqual(events.csp, [], `${theme}: CSP violations`);
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

test("classification review: approved, and returned with a comment pointed at a class by its key; reworked", async () => {
  const p = makeProject({ template: "classification.toml", lines: MESSAGES });
  const server = await startServer(p.project);
  const contexts = [];
  try {
    for (const [id, payload] of [
      [1, { labels: ["billing"] }],
      [2, { labels: ["technical"], unsure: { reason: "Maybe a feature request?" } }],
    ]) {
      const r = await api(server.url, p.tokens.ann, "submit", { item_id: id, payload, time_spent_ms: 20000 });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }

    const rev = await openAs(browser, server.url, p.tokens.rev);
    contexts.push(rev.context);
    await rev.page.click('[data-testid="tab-review"]');
    await rev.page.waitForSelector('[data-testid="review-panel"]');
    await rev.page.waitForFunction((t) => document.querySelector('[data-testid="item-text"]')?.textContent === t, MESSAGES[0].source);
    // Approve item 1 from the keyboard.
    await tabTo(rev.page, '[data-testid="review-approve"]', { max: 80 });
    await rev.page.keyboard.press("Enter");
    // Item 2: its key (4) points the comment at "feature-request"; comment; return.
    await rev.page.waitForFunction((t) => document.querySelector('[data-testid="item-text"]')?.textContent === t, MESSAGES[1].source);
    assert.deepEqual(await readClassification(rev.page), { labels: ["technical"], unsure: { reason: "Maybe a feature request?" } });
    await rev.page.evaluate(() => document.activeElement?.blur());
    await rev.page.keyboard.press("4");
    await rev.page.waitForSelector('[data-testid="review-anchor"]');
    assert.equal(await rev.page.textContent('[data-testid="review-anchor"]'), "Points at class “feature-request”");
    assert.deepEqual(await chosen(rev.page), ["technical"], "pointing changes no answer");
    await tabTo(rev.page, '[data-testid="review-comment-input"]', { max: 80 });
    await rev.page.keyboard.type("Dark mode is a feature the app does not have yet.");
    for (const theme of ["light", "dark"]) {
      await rev.page.emulateMedia({ colorScheme: theme });
      await settle(rev.page);
      await screenshot(rev.page, `classification-review-${theme}`);
    }
    await tabTo(rev.page, '[data-testid="review-return"]');
    await rev.page.keyboard.press("Enter");
    await rev.page.waitForSelector('[data-testid="review-empty"]');
    assert.deepEqual(rev.events.errors, []);

    const approved = await serverItem(server.url, p.tokens.ann, 1);
    assert.equal(approved.annotation.state, "approved");
    const returned = await serverItem(server.url, p.tokens.ann, 2);
    assert.equal(returned.annotation.state, "returned");
    const review = returned.annotation.reviews.at(-1);
    assert.equal(review.decision, "returned");
    assert.deepEqual(JSON.parse(review.anchor), { object: "feature-request" });

    // The annotator: the returned item first, the comment on top naming the class, marked in the list.
    const ann = await openAs(browser, server.url, p.tokens.ann);
    contexts.push(ann.context);
    const page = ann.page;
    await page.waitForSelector('[data-testid="item-state"][data-state="returned"]');
    assert.equal(
      (await page.textContent('[data-testid="review-comment"]')).replace(/\s+/g, " ").trim(),
      "Returned rev: Dark mode is a feature the app does not have yet. — class “feature-request”",
    );
    assert.equal(await page.$eval('[data-testid="class"].anchored', (r) => r.dataset.class), "feature-request");
    // Rework: 4, Alt+U takes the unsure mark off, Enter resubmits.
    await page.keyboard.press("4");
    await page.keyboard.press("Alt+U");
    await page.waitForFunction(() => !document.querySelector('[data-testid="unsure"]').checked);
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelector('[data-testid="item-state"]')?.dataset.state === "new");
    const again = await serverItem(server.url, p.tokens.ann, 2);
    assert.equal(again.annotation.state, "submitted");
    assert.deepEqual(again.annotation.payload, { labels: ["feature-request"] });
    assert.ok(again.annotation.version > returned.annotation.version);
    assert.deepEqual(ann.events.errors, []);
  } finally {
    for (const c of contexts) await c.close();
    await server.stop();
    p.cleanup();
  }
});
