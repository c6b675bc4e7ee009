// Work is never lost: a draft autosaved mid-edit survives the server stopping and a new
// `sift serve` on the same port; typing while the server is down is kept in the browser, the
// UI says so, and it reaches the server once the server is back.

import { test } from "node:test";
import assert from "node:assert/strict";
import { makeProject, startServer, openAs, browser, useBrowser } from "../lib/harness.mjs";
import { PASSAGE, waitForSave, serverItem } from "../lib/flows.mjs";

const QUESTION = "How tall are the towers of the bridge?";
const PART = "The towers are 227 m";
const MORE = " tall, and fog often hides them in summer.";

useBrowser();

/** The first pair's question and answer as the page shows them. */
const firstPair = (page) =>
  page.evaluate(() => ({
    question: document.querySelector('[data-testid="pair-question"]')?.value,
    answer: document.querySelector('[data-testid="pair-answer"]')?.value,
  }));

/** Types a question and the start of its answer, and waits until autosave says "Saved". */
async function startDraft(page) {
  await page.waitForSelector('[data-testid="item-state"][data-state="new"]');
  await page.keyboard.press("Alt+N");
  await page.keyboard.type(QUESTION);
  await page.keyboard.press("Tab");
  await page.keyboard.type(PART);
  await waitForSave(page, "saved");
  assert.equal(await page.textContent('[data-testid="autosave-status"]'), "Saved");
}

async function reloadAndCheck(page, answer) {
  await page.reload();
  await page.waitForFunction(() => window.__siftReady === true);
  await page.waitForSelector('[data-testid="item-state"][data-state="draft"]');
  assert.deepEqual(await firstPair(page), { question: QUESTION, answer });
  // Nothing is left waiting in the browser: the server copy is the work.
  assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("sift:draft:"))), []);
}

test("a draft autosaved mid-edit is there, exactly as typed, after the server restarts on the same port", async () => {
  const p = makeProject({ template: "qa.toml", lines: [{ source: PASSAGE }] });
  let server = await startServer(p.project);
  const { port, url } = server;
  let context;
  try {
    const opened = await openAs(browser, url, p.tokens.ann);
    context = opened.context;
    const { page } = opened;
    await startDraft(page);
    const saved = await serverItem(url, p.tokens.ann, 1);
    assert.equal(saved.annotation.state, "draft");
    assert.deepEqual([saved.annotation.payload.pairs[0].question, saved.annotation.payload.pairs[0].answer], [QUESTION, PART]);

    // Saved means saved on the server: the browser holds no copy of its own any more.
    assert.deepEqual(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("sift:draft:"))), []);

    await server.stop();
    server = await startServer(p.project, { port });
    assert.equal(server.url, url, "the new server listens where the old one did");

    await reloadAndCheck(page, PART);
  } finally {
    await context?.close();
    await server.stop();
    p.cleanup();
  }
});

test("typing while the server is down is kept locally, shown as such, and saved once it is back", async () => {
  const p = makeProject({ template: "qa.toml", lines: [{ source: PASSAGE }] });
  let server = await startServer(p.project);
  const { port, url } = server;
  let context;
  try {
    const opened = await openAs(browser, url, p.tokens.ann);
    context = opened.context;
    const { page } = opened;
    await startDraft(page);

    await server.stop();
    await page.keyboard.type(MORE);
    // The debounced save fails: the status says the change is kept in this browser…
    await waitForSave(page, "offline");
    assert.equal(await page.textContent('[data-testid="autosave-status"]'), "Offline – kept locally");
    // …and it is: the browser's copy holds every character typed.
    const kept = await page.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith("sift:draft:"));
      return key ? JSON.parse(localStorage.getItem(key)).payload.pairs[0] : null;
    });
    assert.equal(kept?.answer, PART + MORE);
    assert.equal((await firstPair(page)).answer, PART + MORE);

    // The server comes back on the same port: the retry saves the work without any action.
    server = await startServer(p.project, { port });
    await waitForSave(page, "saved", 20000);
    assert.equal(await page.textContent('[data-testid="autosave-status"]'), "Saved");
    const saved = await serverItem(url, p.tokens.ann, 1);
    assert.equal(saved.annotation.payload.pairs[0].answer, PART + MORE);

    await reloadAndCheck(page, PART + MORE);
  } finally {
    await context?.close();
    await server.stop();
    p.cleanup();
  }
});
