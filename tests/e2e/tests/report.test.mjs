// The quality report (issue 18) in a real browser: three annotators label the same messages
// (an overlap batch, `sift batch create --overlap 3`) with the real `sift annotate`, a reviewer
// returns one piece of work, `sift report -o` writes the HTML file, and Chromium opens it from
// disk: no console error, no request other than the file itself (it is self-contained), the
// figures on screen are the JSON report's, and a screenshot is kept as an artifact.

import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { makeProject, screenshot, sift, browser, useBrowser } from "../lib/harness.mjs";
import { MESSAGES } from "../lib/flows.mjs";

useBrowser();

const LABELS = [
  ["billing", "billing", "billing"],
  ["account", "account", "technical"],
  ["technical", "technical", "technical"],
];

test("report: the HTML quality report opens offline with no script error and no request", async () => {
  const p = makeProject({
    template: "classification.toml",
    lines: MESSAGES,
    people: { ann: "annotator", bob: "annotator", cy: "annotator", rita: "reviewer" },
    name: "q<i>&a",
  });
  try {
    const people = ["ann", "bob", "cy"];
    sift("batch", "create", "-p", p.project, "--size", "3", "--assign", people.join(","), "--overlap", "3", "--name", "week-1");
    LABELS.forEach((row, i) => {
      row.forEach((label, j) => {
        sift("annotate", String(i + 1), "--as", people[j], "--submit", "--time-spent-ms", String(20000 + 5000 * j), "--payload", JSON.stringify({ labels: [label] }), "-p", p.project);
      });
    });
    const file = join(p.dir, "quality.html");
    sift("report", "-p", p.project, "-o", file);
    const json = JSON.parse(sift("report", "-p", p.project, "--json"));

    const context = await browser.newContext({ viewport: { width: 1200, height: 1400 } });
    const page = await context.newPage();
    const errors = [];
    const requests = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url);
    await page.waitForLoadState("load");
    await screenshot(page, "quality-report");
    assert.deepEqual(errors, [], "no console error");
    assert.deepEqual(requests, [url], "nothing but the file itself is requested");
    assert.equal(await page.$("script"), null, "no script in the page");

    // The project's name has markup in it: shown as text, never as markup.
    assert.equal(await page.textContent("h1"), "Quality report: q<i>&a");
    assert.equal(await page.$("main i"), null);
    const alpha = json.overall.measures.find((m) => m.name === "Krippendorff's alpha (nominal)");
    const row = await page.$$eval("table tr", (rows) => rows.map((r) => r.textContent));
    assert.ok(row.some((t) => t.includes("Krippendorff's alpha (nominal)") && t.includes(alpha.value.toFixed(3))), `alpha ${alpha.value} on screen`);
    assert.equal(await page.$$eval("svg.chart", (s) => s.length) >= 3, true, "charts are drawn");
    assert.equal(json.batches[0].overlap, 3);
    assert.equal(json.batches[0].complete, 3);
    await context.close();
  } finally {
    p.cleanup();
  }
});
