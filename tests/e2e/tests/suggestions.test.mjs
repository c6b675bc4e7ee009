// Model suggestions end to end (issue 16): a Label Studio file's `predictions` imported with the
// real `sift import` become the annotator's suggestions (no Sift head has predicted the items).
// The annotator sees the suggested class highlighted with its probability and the model it came
// from, with no class chosen for them; accepts it with the one key (A) and submits; changes the
// next one. The project records both saves (shown; accepted unchanged or not), read back through
// the CLI (`sift learn status --json`), and the Label Studio export carries the predictions back
// out beside the annotations. Screenshots of the suggestion in the light and the dark theme.
// A ranking prediction (Label Studio `ranker` results with per-region scores) is a suggested
// order per dimension, started from with Alt+A.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { SIFT, makeProject, startServer, openAs, screenshot, sift, browser, useBrowser } from "../lib/harness.mjs";
import { MESSAGES, RANKING_ITEM, readClassification, serverItem } from "../lib/flows.mjs";
import { settle } from "../lib/cases.mjs";

useBrowser();

const choices = (classes) => [{ from_name: "topic", to_name: "text", type: "choices", value: { choices: classes } }];

/** A Label Studio export predicting the first two messages (as a Label Studio project would write it). */
const PREDICTED = [
  { id: 101, data: MESSAGES[0], annotations: [], predictions: [{ model_version: "topics-bert-2", score: 0.87, result: choices(["billing"]) }] },
  { id: 102, data: MESSAGES[1], annotations: [], predictions: [{ model_version: "topics-bert-2", score: 0.64, result: choices(["account"]) }] },
];

test("suggestions: an imported prediction is shown with its probability, accepted with A, and recorded", async () => {
  const p = makeProject({ template: "classification.toml", lines: MESSAGES.slice(0, 2) });
  const ls = join(p.data, "predictions.json");
  writeFileSync(ls, JSON.stringify(PREDICTED, null, 2));
  const imported = JSON.parse(sift("import", ls, "-p", p.project, "--json"));
  assert.equal(imported.added, 0, "the same items: their predictions attach to them");
  assert.equal(imported.predictions_added, 2);
  assert.equal(imported.labels_added, 0, "a prediction is never a label");

  const server = await startServer(p.project);
  const contexts = [];
  try {
    // The light theme first (a screenshot only), then the dark one, where the work is done.
    let session;
    for (const theme of ["light", "dark"]) {
      session = await openAs(browser, server.url, p.tokens.ann, { colorScheme: theme, viewport: { width: 1280, height: 800 } });
      contexts.push(session.context);
      await session.page.waitForSelector('[data-testid="suggestion"]');
      await settle(session.page);
      await screenshot(session.page, `suggestion-imported-${theme}`);
      if (theme === "light") await session.context.close();
    }
    const { page, events } = session;

    // Item 1: suggested "billing" at 87% from the imported model; nothing chosen yet.
    assert.equal(await page.textContent('[data-testid="item-text"]'), MESSAGES[0].source);
    const box = (await page.textContent('[data-testid="suggestion"]')).replace(/\s+/g, " ");
    assert.match(box, /billing/);
    assert.match(box, /87%/);
    assert.match(box, /From topics-bert-2 \(imported from Label Studio\): a guess to check, not an answer\./);
    assert.equal(await page.$eval('[data-testid="class"][data-class="billing"]', (r) => r.classList.contains("suggested")), true);
    assert.equal((await page.textContent('[data-testid="class"][data-class="billing"] [data-testid="class-probability"]')).trim(), "87%");
    assert.deepEqual(await readClassification(page), { labels: [] }, "a suggestion is never an answer already given");

    // A accepts it; Enter submits.
    await page.keyboard.press("a");
    await page.waitForSelector('[data-testid="class"][data-class="billing"][data-chosen="true"]');
    await page.waitForSelector('[data-testid="suggestion-accepted"]');
    await page.keyboard.press("Enter");

    // Item 2: suggested "account"; the annotator chooses "technical" (2) instead.
    await page.waitForFunction((t) => document.querySelector('[data-testid="item-text"]')?.textContent === t, MESSAGES[1].source);
    await page.waitForSelector('[data-testid="class"][data-class="account"].suggested');
    await page.keyboard.press("2");
    await page.waitForSelector('[data-testid="class"][data-class="technical"][data-chosen="true"]');
    assert.equal(await page.$('[data-testid="suggestion-accepted"]'), null);
    await page.keyboard.press("Enter");
    await page.waitForSelector('[data-testid="all-done"]');

    assert.deepEqual((await serverItem(server.url, p.tokens.ann, 1)).annotation.payload, { labels: ["billing"] });
    assert.deepEqual((await serverItem(server.url, p.tokens.ann, 2)).annotation.payload, { labels: ["technical"] });
    assert.deepEqual(events.errors, [], "no console errors");
    assert.deepEqual(events.csp, [], "no CSP violations");
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    await server.stop();
  }
  try {
    // Recorded with the saves: two submissions, both with a suggestion shown, one accepted.
    // (Without SIFT_PROJECT: `sift learn status` refuses the harness's empty one, even with -p.)
    const env = { ...process.env };
    delete env.SIFT_PROJECT;
    const status = JSON.parse(execFileSync(SIFT, ["learn", "status", "-p", p.project, "--json"], { encoding: "utf8", env }));
    assert.deepEqual(
      { submitted: status.suggestions.submitted, shown: status.suggestions.shown, accepted: status.suggestions.accepted },
      { submitted: 2, shown: 2, accepted: 1 },
    );
    // The Label Studio export: the people's annotations and the imported predictions, apart.
    const out = join(p.dir, "export.json");
    sift("export", "-p", p.project, "--format", "label-studio", "-o", out);
    const tasks = JSON.parse(readFileSync(out, "utf8"));
    assert.deepEqual(
      tasks.map((t) => ({
        annotations: t.annotations.map((a) => a.result[0].value.choices),
        predictions: t.predictions.map((x) => [x.model_version, x.score, x.result[0].value.choices]),
      })),
      [
        { annotations: [["billing"]], predictions: [["topics-bert-2", 0.87, ["billing"]]] },
        { annotations: [["technical"]], predictions: [["topics-bert-2", 0.64, ["account"]]] },
      ],
    );
  } finally {
    p.cleanup();
  }
});

test("suggestions: an imported ranking prediction is a suggested order per dimension, started from with Alt+A", async () => {
  const p = makeProject({ template: "ranking.toml", lines: [RANKING_ITEM] });
  const ranker = (dim, ids, score) => ({ from_name: dim, to_name: "responses", type: "ranker", score, value: { ranker: { [dim]: ids } } });
  const ls = join(p.data, "rankings.json");
  const task = { id: 7, data: RANKING_ITEM, annotations: [], predictions: [{ model_version: "reward-7", result: [ranker("clarity", ["2", "0", "1"], 0.8), ranker("accuracy", ["0", "2", "1"], 0.6)] }] };
  writeFileSync(ls, JSON.stringify([task], null, 2));
  const imported = JSON.parse(sift("import", ls, "-p", p.project, "--json"));
  assert.equal(imported.predictions_added, 1);
  assert.equal(imported.labels_added, 0, "a prediction is never a label");

  const server = await startServer(p.project);
  let session;
  try {
    session = await openAs(browser, server.url, p.tokens.ann, { colorScheme: "light", viewport: { width: 1280, height: 800 } });
    const { page, events } = session;
    await page.waitForSelector('[data-testid="suggested-order"]');
    await settle(page);
    await screenshot(page, "suggestion-ranking-imported-light");
    const letters = async () => page.$$eval('[data-testid="suggested-response"]', (els) => els.map((e) => e.textContent.trim()));
    assert.deepEqual(await letters(), ["C", "A", "B"], "clarity: response 2, 0, 1");
    const from = (await page.textContent('[data-testid="suggested-source"]')).replace(/\s+/g, " ").trim();
    assert.equal(from, "From reward-7 (imported from Label Studio), score 60%: a starting point to check, not an answer.");
    assert.equal(await page.$('[data-testid="suggested-confidence"]'), null, "the file gives no pairwise confidences");
    const before = await serverItem(server.url, p.tokens.ann, 1);
    assert.equal(before.annotation, null, "a suggestion is never an answer already given");

    // Alt+A starts clarity from it; the draft saved has exactly that order.
    await page.keyboard.press("Alt+a");
    await page.waitForSelector('[data-testid="suggestion-used"]');
    let saved;
    for (let i = 0; i < 50; i++) {
      saved = (await serverItem(server.url, p.tokens.ann, 1)).annotation?.payload?.rankings;
      if (saved?.clarity) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(saved, { clarity: { 2: 1, 0: 2, 1: 3 } });
    // Accuracy has its own suggested order.
    await page.keyboard.press("Alt+ArrowRight");
    await page.waitForSelector('[data-testid="dimension-tab"][data-path="rankings.accuracy"][aria-selected="true"]');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="suggested-response"]')].map((e) => e.textContent.trim()).join() === "A,C,B");
    assert.deepEqual(events.errors, [], "no console errors");
    assert.deepEqual(events.csp, [], "no CSP violations");
  } finally {
    await session?.context.close().catch(() => {});
    await server.stop();
    p.cleanup();
  }
});
