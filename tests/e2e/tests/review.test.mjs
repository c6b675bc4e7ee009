// Review loop end to end: a reviewer returns submitted Q&A work with a comment anchored to a
// passage span (selected with the keyboard, without caret browsing), and the annotator finds
// that comment on top of the item, with the span marked in the passage, and can rework and
// resubmit it.

import { test } from "node:test";
import assert from "node:assert/strict";
import { makeProject, startServer, openAs, api, browser, useBrowser } from "../lib/harness.mjs";
import { PASSAGE, spanOf, tabTo, selectPassageText, serverItem } from "../lib/flows.mjs";

const PAYLOAD = {
  pairs: [
    { question: "When did the Golden Gate Bridge open?", answer: "It opened in 1937.", question_type: "factual", spans: [spanOf(PASSAGE, "The Golden Gate Bridge opened in 1937.")], entire_passage: false },
    { question: "Why was the bridge painted orange?", answer: "Because orange is pretty.", question_type: "inferential", spans: [spanOf(PASSAGE, "Engineers chose the orange colour")], entire_passage: false },
    { question: "What is the passage mainly about?", answer: "The Golden Gate Bridge.", question_type: "whole-passage", spans: [], entire_passage: true },
  ],
};
const COMMENT = "The passage gives the reason: ships must see the bridge in fog. Cite that.";
const ANCHOR_TEXT = "so that ships could see the bridge in fog";

// A plain browser: the passage itself takes Shift+arrows (no caret browsing needed).
useBrowser();

test("a reviewer returns work with a comment anchored to a span; the annotator sees it on top of the item", async () => {
  const p = makeProject({ template: "qa.toml", lines: [{ source: PASSAGE }, { source: "A second passage, still waiting." }] });
  const server = await startServer(p.project);
  const contexts = [];
  try {
    const submitted = await api(server.url, p.tokens.ann, "submit", { item_id: 1, payload: PAYLOAD, time_spent_ms: 90000 });
    assert.equal(submitted.status, 200, JSON.stringify(submitted.body));

    // The reviewer: Review tab, the submitted work opens; Alt+P goes to the passage, the span
    // is selected with Ctrl+Shift+arrows (the selection anchors the comment), the comment
    // typed, Return.
    const rev = await openAs(browser, server.url, p.tokens.rev);
    contexts.push(rev.context);
    await rev.page.click('[data-testid="tab-review"]');
    await rev.page.waitForSelector('[data-testid="review-panel"]');
    assert.equal((await selectPassageText(rev.page, ANCHOR_TEXT)).trim(), ANCHOR_TEXT);
    await rev.page.waitForSelector('[data-testid="review-anchor"]');
    assert.equal(await rev.page.textContent('[data-testid="review-anchor"]'), `Points at “${ANCHOR_TEXT}”`);
    await tabTo(rev.page, '[data-testid="review-comment-input"]');
    await rev.page.keyboard.type(COMMENT);
    await tabTo(rev.page, '[data-testid="review-return"]');
    await rev.page.keyboard.press("Enter");
    await rev.page.waitForSelector('[data-testid="review-empty"]');
    assert.deepEqual(rev.events.errors, []);

    // The server recorded the return, the comment and the anchor (code points).
    const item = await serverItem(server.url, p.tokens.ann, 1);
    assert.equal(item.annotation.state, "returned");
    const review = item.annotation.reviews.at(-1);
    assert.equal(review.decision, "returned");
    assert.equal(review.reviewer, "rev");
    assert.equal(review.comment, COMMENT);
    const span = spanOf(PASSAGE, ANCHOR_TEXT);
    assert.deepEqual(JSON.parse(review.anchor), { span: [span.start, span.end] });

    // The annotator: returned work comes first, with the comment on top of the item.
    const ann = await openAs(browser, server.url, p.tokens.ann);
    contexts.push(ann.context);
    const page = ann.page;
    await page.waitForSelector('[data-testid="item-state"][data-state="returned"]');
    const banner = page.locator('[data-testid="review-comment"]');
    assert.equal((await banner.textContent()).replace(/\s+/g, " ").trim(), `Returned rev: ${COMMENT} — “${ANCHOR_TEXT}”`);
    const [bannerBox, mainBox, headerBox] = await Promise.all([banner.boundingBox(), page.locator("main.workspace").boundingBox(), page.locator("header.header").boundingBox()]);
    assert.ok(Math.abs(bannerBox.y - (headerBox.y + headerBox.height)) <= 1, "the comment sits right under the header");
    assert.ok(bannerBox.y + bannerBox.height <= mainBox.y + 1, "the comment is above the task");
    assert.ok(bannerBox.width >= mainBox.width - 1, "the comment spans the window");
    // The anchored span is marked in the passage, and the work is editable again.
    assert.equal(await page.$eval("mark.anchored", (m) => m.textContent), ANCHOR_TEXT);
    assert.equal(await page.$eval('[data-testid="pair-answer"]', (t) => t.readOnly), false);
    assert.deepEqual(ann.events.errors, []);

    // Rework: the answer of pair 2 rewritten, resubmitted with Ctrl+Enter.
    await page.focus('[data-index="1"] [data-testid="pair-answer"]');
    await page.keyboard.press("Control+A");
    await page.keyboard.type("So that ships could see it in fog.");
    await page.keyboard.press("Control+Enter");
    await page.waitForSelector('[data-testid="item-state"][data-state="new"]'); // on to item 2
    const again = await serverItem(server.url, p.tokens.ann, 1);
    assert.equal(again.annotation.state, "submitted");
    assert.equal(again.annotation.payload.pairs[1].answer, "So that ships could see it in fog.");
    assert.ok(again.annotation.version > item.annotation.version);
  } finally {
    for (const c of contexts) await c.close();
    await server.stop();
    p.cleanup();
  }
});
