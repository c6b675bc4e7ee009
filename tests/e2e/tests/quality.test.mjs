// Quality control on the review screen (issue 18), in a real browser against the real `sift
// serve`: a classification template with a dataset target (`billing` at least half of the
// labels), three annotators label the same messages (`sift batch create --overlap 3`, the real
// `sift annotate`), and the reviewer sees the target with where it stands and what would meet
// it, and beside the work under review the other two annotations of the item, and all three side
// by side (Alt+V). Screenshots kept.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, makeProject, startServer, openAs, screenshot, sift, browser, useBrowser } from "../lib/harness.mjs";
import { MESSAGES } from "../lib/flows.mjs";
import { settle } from "../lib/cases.mjs";

useBrowser();

test("quality: the reviewer sees the dataset targets and the other annotations of the item", async () => {
  const dir = mkdtempSync(join(tmpdir(), "sift-quality-"));
  const template = join(dir, "topics.toml");
  const text = readFileSync(join(ROOT, "labeling-templates", "classification.toml"), "utf8");
  const at = text.indexOf("[shortcuts]");
  const quotas = '[quotas]\nclasses = { billing = { min = 0.5 } }\n\n';
  writeFileSync(template, at >= 0 ? text.slice(0, at) + quotas + text.slice(at) : text + "\n" + quotas);
  const p = makeProject({
    template,
    lines: MESSAGES,
    people: { ann: "annotator", bob: "annotator", cy: "annotator", rev: "reviewer" },
  });
  const server = await startServer(p.project);
  let session;
  try {
    sift("batch", "create", "-p", p.project, "--size", "3", "--assign", "ann,bob,cy", "--overlap", "3");
    const labels = { ann: ["billing", "feature-request", "technical"], bob: ["billing", "technical", "technical"], cy: ["account", "feature-request", "technical"] };
    for (const [who, row] of Object.entries(labels)) {
      row.forEach((label, i) => sift("annotate", String(i + 1), "--as", who, "--submit", "--payload", JSON.stringify({ labels: [label] }), "-p", p.project));
    }
    session = await openAs(browser, server.url, p.tokens.rev, { colorScheme: "light", viewport: { width: 1366, height: 860 } });
    const { page, events } = session;
    await page.click('[data-testid="tab-review"]');
    await page.waitForSelector('[data-testid="quota-line"]');
    await page.waitForSelector('[data-testid="other-annotation"]');
    await settle(page);
    await screenshot(page, "review-quality-light");

    // 2 billing of 9 labels: 22 %, below the 50 % asked; (2 + x) / (9 + x) >= 0.5 from x = 5.
    const line = (await page.textContent('[data-testid="quota-line"]')).replace(/\s+/g, " ");
    assert.match(line, /share of class `billing`/);
    assert.match(line, /22%/);
    assert.match(line, /asked ≥ 50% · 2\/9/);
    assert.match(line, /not yet/);
    assert.match(line, /5 more `billing` labels/);
    // The first item under review has two other annotations beside it.
    const others = await page.$$eval('[data-testid="other-summary"]', (els) => els.map((e) => e.textContent.trim()));
    assert.equal(others.length, 2);
    // All three side by side (Alt+V): ann's billing beside bob's billing and cy's account.
    await page.keyboard.press("Alt+KeyV");
    await page.waitForSelector('[data-testid="side-by-side"]');
    await settle(page);
    await screenshot(page, "review-side-by-side-light");
    const columns = await page.$$eval('[data-testid="compare-column"]', (els) => els.map((e) => e.textContent.replace(/\s+/g, " ").trim()));
    assert.equal(columns.length, 3);
    const rows = await page.$$eval('[data-testid="compare-row"]', (els) => els.map((e) => [e.querySelector("th").textContent.replace(/[^a-z-]/g, ""), e.dataset.agree]));
    assert.deepEqual(rows, [["account", "false"], ["billing", "false"]]);
    await page.keyboard.press("Escape");
    await page.waitForSelector('[data-testid="side-by-side"]', { state: "detached" });
    assert.deepEqual(events.errors, [], "no console errors");
    assert.deepEqual(events.csp, [], "no CSP violations");
  } finally {
    await session?.context.close().catch(() => {});
    await server.stop();
    p.cleanup();
  }
});
