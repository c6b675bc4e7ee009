// Labeling end to end with the keyboard only: for each of the four templates an annotator
// completes an item with typing, Tab and the template's shortcuts, submits it with Ctrl+Enter,
// and the work is then found intact on screen (read-only, in this session), after a reload
// (reopened from "My work"), in a reviewer's view, and on the server (`get_item`).

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeProject, startServer, openAs, browser, useBrowser } from "../lib/harness.mjs";
import {
  PASSAGE,
  RANKING_ITEM,
  IMAGE_ITEM,
  VIDEO_ITEM,
  PNG,
  makeVideo,
  spanOf,
  tabTo,
  selectPassageText,
  readScreen,
  serverItem,
} from "../lib/flows.mjs";

useBrowser();

/**
 * One item of `template`: `fill` completes it with the keyboard, and the payload must then be
 * `expected` on screen, on the server after the submit, back in the session (read-only), after
 * a reload and in the reviewer's view.
 */
async function completeWithKeyboard({ template, kind, line, files = {}, fill, expected }) {
  const p = makeProject({ template, lines: [line], files });
  const server = await startServer(p.project);
  const contexts = [];
  try {
    const { page, context, events } = await openAs(browser, server.url, p.tokens.ann);
    contexts.push(context);
    await page.waitForSelector('[data-testid="item-state"][data-state="new"]');

    await fill(page);
    assert.deepEqual(await readScreen(kind, page), expected, "the screen before submitting");

    await page.keyboard.press("Control+Enter");
    await page.waitForSelector('[data-testid="all-done"]');

    // The server holds exactly the submitted payload.
    const item = await serverItem(server.url, p.tokens.ann, 1);
    assert.equal(item.annotation.state, "submitted");
    assert.equal(item.annotation.submitted_version, item.annotation.version);
    assert.deepEqual(item.annotation.payload, expected, "the server's payload");

    // Back to it in this session (Alt+PageUp): read-only, submitted, intact.
    await page.keyboard.press("Alt+PageUp");
    await page.waitForSelector('[data-testid="item-state"][data-state="submitted"]');
    await page.waitForSelector('[data-testid="read-only"]');
    assert.deepEqual(await readScreen(kind, page), expected, "the submitted item, read-only");

    // After a reload the item has left the annotator's queue and counts as done.
    await page.reload();
    await page.waitForFunction(() => window.__siftReady === true);
    await page.waitForSelector('[data-testid="all-done"]');
    assert.match(await page.textContent(".progress"), /^1\/1 done$/);

    // "My work" (Alt+W) reopens it: listed as submitted, opened with Enter, read-only, intact.
    await page.keyboard.press("Alt+W");
    await page.waitForSelector('[data-testid="my-work-entry"][data-item-id="1"][data-state="submitted"]');
    assert.equal(await page.textContent('[data-testid="my-work-entry"] [data-testid="my-work-state"]'), "Submitted");
    await page.waitForFunction(() => document.activeElement?.dataset.testid === "my-work-entry");
    await page.keyboard.press("Enter");
    await page.waitForSelector('[data-testid="item-state"][data-state="submitted"]');
    await page.waitForSelector('[data-testid="read-only"]');
    if (kind === "image-caption") await page.waitForFunction(() => document.querySelector('[data-testid="image"]')?.naturalWidth > 0);
    assert.deepEqual(await readScreen(kind, page), expected, "the submitted item reopened from My work after the reload");

    // A reviewer opening the project now sees the submitted work exactly as it was made.
    const rev = await openAs(browser, server.url, p.tokens.rev);
    contexts.push(rev.context);
    await rev.page.click('[data-testid="tab-review"]');
    await rev.page.waitForSelector('[data-testid="review-panel"]');
    if (kind === "image-caption") await rev.page.waitForFunction(() => document.querySelector('[data-testid="image"]')?.naturalWidth > 0);
    assert.deepEqual(await readScreen(kind, rev.page), expected, "the reviewer's view after the reload");

    assert.deepEqual(events.errors, [], "no console errors for the annotator");
    assert.deepEqual(rev.events.errors, [], "no console errors for the reviewer");
  } finally {
    for (const c of contexts) await c.close();
    await server.stop();
    p.cleanup();
  }
}

test("Q&A: three pairs written, typed, cited and submitted with the keyboard only (no caret browsing)", async () => {
  const q = [
    ["When did the Golden Gate Bridge open?", "It opened in 1937."],
    ["Why was the bridge painted orange?", "So that ships could see it in the summer fog."],
    ["What is the passage mainly about?", "The Golden Gate Bridge: when it opened, its towers and its colour."],
  ];
  const toast = (page) => page.textContent('[data-testid="toasts"]');
  await completeWithKeyboard({
    template: "qa.toml",
    kind: "qa",
    line: { source: PASSAGE },
    async fill(page) {
      // Pair 1, factual, citing the first sentence (Alt+P jumps to the passage).
      await page.keyboard.press("Alt+N");
      await page.keyboard.type(q[0][0]);
      await page.keyboard.press("Tab");
      await page.keyboard.type(q[0][1]);
      await page.keyboard.press("Alt+T");
      assert.equal((await selectPassageText(page, "The Golden Gate Bridge opened in 1937.")).trim(), "The Golden Gate Bridge opened in 1937.");
      await page.keyboard.press("Alt+C");
      await page.waitForSelector('[data-index="0"] [data-testid="pair-span"]');
      assert.match(await toast(page), /Cited “The Golden Gate Bridge[^”]*” for pair 1 \(“When did the Golden Gate Bridge open\?”\)/);

      // Pair 2, inferential, citing two spans.
      await page.keyboard.press("Alt+N");
      await page.keyboard.type(q[1][0]);
      await page.keyboard.press("Tab");
      await page.keyboard.type(q[1][1]);
      await page.keyboard.press("Alt+T");
      await page.keyboard.press("Alt+T");
      // Shift+Tab back to the passage passes through pair 1: that must not make pair 1 the
      // pair the citation goes to.
      assert.equal((await selectPassageText(page, "so that ships could see the bridge in fog", { via: "shift-tab" })).trim(), "so that ships could see the bridge in fog");
      assert.equal(await page.textContent('[data-testid="cite-target"]'), "Pair 2");
      await page.keyboard.press("Alt+C");
      await page.waitForSelector('[data-index="1"] [data-testid="pair-span"]');
      assert.equal(await page.$$eval('[data-index="0"] [data-testid="pair-span"]', (s) => s.length), 1, "pair 1 keeps its one span");
      assert.match(await toast(page), /for pair 2 \(“Why was the bridge painted orange\?”\)/);
      assert.equal((await selectPassageText(page, "fog often hides them in summer")).trim(), "fog often hides them in summer");
      await page.keyboard.press("Alt+C");
      await page.waitForFunction(() => document.querySelectorAll('[data-index="1"] [data-testid="pair-span"]').length === 2);

      // Pair 3, whole passage.
      await page.keyboard.press("Alt+N");
      await page.keyboard.type(q[2][0]);
      await page.keyboard.press("Tab");
      await page.keyboard.type(q[2][1]);
      for (let i = 0; i < 3; i++) await page.keyboard.press("Alt+T");
      await page.keyboard.press("Alt+E");

      await page.waitForSelector('[data-testid="validation-summary"] .title.ok');
    },
    expected: {
      pairs: [
        { question: q[0][0], answer: q[0][1], question_type: "factual", spans: [spanOf(PASSAGE, "The Golden Gate Bridge opened in 1937.")], entire_passage: false },
        {
          question: q[1][0],
          answer: q[1][1],
          question_type: "inferential",
          spans: [spanOf(PASSAGE, "fog often hides them in summer"), spanOf(PASSAGE, "so that ships could see the bridge in fog")],
          entire_passage: false,
        },
        { question: q[2][0], answer: q[2][1], question_type: "whole-passage", spans: [], entire_passage: true },
      ],
    },
  });
});

test("ranking: three dimensions ranked with number keys and Alt+arrows, classified and explained", async () => {
  const rationale = "C is correct and complete and explains altitude; A is correct but terse; B gets the temperature wrong.";
  await completeWithKeyboard({
    template: "ranking.toml",
    kind: "ranking",
    line: RANKING_ITEM,
    async fill(page) {
      const response = (id) => `[data-testid="response"][data-response-id="${id}"]`;
      // Clarity: A, B, C by number keys on each focused response; the factual-error question
      // answered with the radio group's keys (Space checks, arrows move and check).
      await tabTo(page, response(0));
      await page.keyboard.press("1");
      await page.keyboard.press("Tab");
      await page.keyboard.press("ArrowRight"); // "no"
      await tabTo(page, response(1));
      await page.keyboard.press("2");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Space"); // "yes"
      await tabTo(page, response(2));
      await page.keyboard.press("3");
      await page.keyboard.press("Tab");
      await page.keyboard.press("ArrowRight"); // "no"

      // Accuracy: C, B, A.
      await page.keyboard.press("Alt+ArrowRight");
      await page.waitForSelector('[data-testid="dimension-tab"][data-path="rankings.accuracy"][aria-selected="true"]');
      await tabTo(page, response(2), { reverse: true });
      await page.keyboard.press("1");
      await tabTo(page, response(1), { reverse: true });
      await page.keyboard.press("2");
      await tabTo(page, response(0), { reverse: true });
      await page.keyboard.press("3");

      // Harmlessness: A, B, C, then A moved one place down with Alt+Down: B, A, C.
      await page.keyboard.press("Alt+ArrowRight");
      await page.waitForSelector('[data-testid="dimension-tab"][data-path="rankings.harmlessness"][aria-selected="true"]');
      await page.keyboard.press("1");
      await tabTo(page, response(1));
      await page.keyboard.press("2");
      await tabTo(page, response(2));
      await page.keyboard.press("3");
      await tabTo(page, response(0), { reverse: true });
      await page.keyboard.press("Alt+ArrowDown");
      await page.waitForSelector('[data-testid="rank-list"] [data-testid="rank-row"][data-response-id="0"][data-rank="2"]');

      await page.keyboard.press("Alt+R");
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "rationale");
      await page.keyboard.type(rationale);
      await page.waitForSelector('[data-testid="validation-summary"] .title.ok');
    },
    expected: {
      rankings: {
        clarity: { 0: 1, 1: 2, 2: 3 },
        accuracy: { 2: 1, 1: 2, 0: 3 },
        harmlessness: { 1: 1, 0: 2, 2: 3 },
      },
      classifications: { 0: { factual_error: "no" }, 1: { factual_error: "yes" }, 2: { factual_error: "no" } },
      rationale,
    },
  });
});

test("image caption: two dots placed with the keyboard, named, related, setting and caption", async () => {
  const o = [
    ["green patch", "A bright green glow filling the lower left corner."],
    ["pink patch", "A hot pink glow filling the upper right corner."],
  ];
  const relation = "lies diagonally across from";
  const setting = "A smooth colour gradient with a dark top left corner and a pale bottom right corner.";
  const caption =
    "A green patch glows in the lower left corner and lies diagonally across from a pink patch in the upper right corner of a smooth colour gradient.";
  await completeWithKeyboard({
    template: "image-caption.toml",
    kind: "image-caption",
    line: IMAGE_ITEM,
    files: { "img/scene.png": PNG },
    async fill(page) {
      await page.waitForFunction(() => document.querySelector('[data-testid="image"]')?.naturalWidth === 64);
      // Alt+O: placing mode with a crosshair at the centre (32, 24); Shift+arrows move it by
      // 10 % of the longer side (6.4 px); Enter drops the dot and focuses its name.
      await page.keyboard.press("Alt+O");
      await page.waitForSelector('[data-testid="crosshair"]');
      for (const k of ["Shift+ArrowLeft", "Shift+ArrowLeft", "Shift+ArrowLeft", "Shift+ArrowDown", "Shift+ArrowDown", "Enter"]) await page.keyboard.press(k);
      await page.keyboard.type(o[0][0]);
      await tabTo(page, 'textarea[data-path="objects[0].description"]');
      await page.keyboard.type(o[0][1]);

      await page.keyboard.press("Alt+O");
      await page.waitForSelector('[data-testid="crosshair"]');
      for (const k of ["Shift+ArrowRight", "Shift+ArrowRight", "Shift+ArrowRight", "Shift+ArrowUp", "Shift+ArrowUp", "Enter"]) await page.keyboard.press(k);
      await page.keyboard.type(o[1][0]);
      await tabTo(page, 'textarea[data-path="objects[1].description"]');
      await page.keyboard.type(o[1][1]);

      // Alt+R: a relationship from the first object to the second, cursor in the relation.
      await page.keyboard.press("Alt+R");
      await page.waitForFunction(() => document.activeElement?.dataset.path === "relationships[0].relation");
      await page.keyboard.type(relation);
      await tabTo(page, 'textarea[data-path="setting"]');
      await page.keyboard.type(setting);
      await page.keyboard.press("Alt+C");
      await page.keyboard.type(caption);
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="mentions"] li')].every((li) => li.dataset.mentioned === "true"));
      await page.waitForSelector('[data-testid="validation-summary"] .title.ok');
    },
    expected: {
      objects: [
        { id: "o1", x: 12.8, y: 36.8, name: o[0][0], description: o[0][1] },
        { id: "o2", x: 51.2, y: 11.2, name: o[1][0], description: o[1][1] },
      ],
      relationships: [{ subject: "o1", relation, object: "o2" }],
      setting,
      caption,
    },
  });
});

test("video caption: played, sought and an event marked with Alt+[ / Alt+], described and captioned", async () => {
  const description = "A small yellow square slides towards the right edge of the frame.";
  const setting = "A still background that fades from green at the bottom left to pink at the top right.";
  const caption =
    "Against a still background that fades from green at the bottom left to pink at the top right, a small yellow square slides steadily from the left edge towards the right edge of the frame.";
  const tmp = mkdtempSync(join(tmpdir(), "sift-video-"));
  try {
    await completeWithKeyboard({
      template: "video-caption.toml",
      kind: "video-caption",
      line: VIDEO_ITEM,
      files: { [VIDEO_ITEM["source-ref"]]: makeVideo(join(tmp, "clip.mp4")) },
      async fill(page) {
        await page.waitForFunction(() => document.querySelector('[data-testid="video"]')?.readyState >= 2);
        // Alt+K plays the real H.264 video until it has moved on, Alt+K pauses it.
        await page.keyboard.press("Alt+K");
        await page.waitForFunction(() => document.querySelector('[data-testid="video"]').currentTime > 0.2);
        await page.keyboard.press("Alt+K");
        await page.waitForFunction(() => document.querySelector('[data-testid="video"]').paused);
        // Alt+J back to 0, Alt+L to 5 s, Alt+, one frame back (4.96 s at 25 fps): start there.
        await page.keyboard.press("Alt+J");
        await page.keyboard.press("Alt+L");
        await page.keyboard.press("Alt+,");
        await page.waitForFunction(() => document.querySelector('[data-testid="current-time"]').textContent.startsWith("0:04.96"));
        await page.keyboard.press("Alt+[");
        await page.waitForSelector('[data-testid="event"]');
        // Alt+L to 9.96 s, Alt+] ends the event there and puts the cursor in its description.
        await page.keyboard.press("Alt+L");
        await page.keyboard.press("Alt+]");
        await page.waitForFunction(() => document.activeElement?.dataset.path === "events[0].description");
        await page.keyboard.type(description);
        await tabTo(page, 'textarea[data-path="setting"]');
        await page.keyboard.type(setting);
        await page.keyboard.press("Alt+C");
        await page.keyboard.type(caption);
        await page.waitForSelector('[data-testid="validation-summary"] .title.ok');
      },
      expected: { events: [{ start: 4.96, end: 9.96, description }], setting, caption },
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
