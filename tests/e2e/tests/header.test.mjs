// The header never overlaps (issue 21): every template mid-task, in the light and the dark theme,
// at 1024 and 1280 px wide, as opened and with the widest save state ("Offline – kept locally",
// the browser really offline). The boxes of the header's parts (brand, modes, status, user) and
// of the parts inside them must not overlap or leave the header, no text in them may be cut, and
// at these widths the header stays one row. Screenshots go to
// artifacts/screenshots/header-<template>-<width>-<theme>.png.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeProject, startServer, launchBrowser, openAs, screenshot, api } from "../lib/harness.mjs";
import { MID_TASK, settle } from "../lib/cases.mjs";

const WIDTHS = [1024, 1280];

/** What is wrong with the header's layout now (empty: nothing). Runs in the page. */
function headerProblems() {
  const header = document.querySelector("header.header");
  if (!header) return ["no header"];
  const hb = header.getBoundingClientRect();
  const name = (el) => {
    const text = (el.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 24);
    return `${el.tagName.toLowerCase()}.${[...el.classList].filter((c) => !c.startsWith("svelte-")).join(".")} "${text}"`;
  };
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden";
  };
  const problems = [];
  /** Siblings must not overlap one another (a pixel of anti-aliasing aside). */
  const siblings = (parent) => {
    const kids = [...parent.children].filter(shown);
    for (let i = 0; i < kids.length; i++) {
      const a = kids[i].getBoundingClientRect();
      if (a.left < hb.left - 0.5 || a.right > hb.right + 0.5 || a.top < hb.top - 0.5 || a.bottom > hb.bottom + 0.5) {
        problems.push(`${name(kids[i])} leaves the header`);
      }
      for (let j = i + 1; j < kids.length; j++) {
        const b = kids[j].getBoundingClientRect();
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1 && h > 1) problems.push(`${name(kids[i])} overlaps ${name(kids[j])} by ${Math.round(w)} px`);
      }
    }
    return kids;
  };
  // The header's parts, the parts of each, and the queue controls inside the status.
  for (const part of siblings(header)) for (const inner of siblings(part)) siblings(inner);
  // Text people read is not cut off (the brand's names may end in an ellipsis: they have a title).
  for (const el of header.querySelectorAll('[data-testid="autosave-status"], .progress, .chip, .btn, .mode, .position')) {
    if (shown(el) && el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} is cut (${el.scrollWidth} > ${el.clientWidth} px)`);
  }
  if (hb.height > 53) problems.push(`the header takes ${Math.round(hb.height)} px: more than one row`);
  return problems;
}

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

for (const c of MID_TASK) {
  test(`header: ${c.name} at ${WIDTHS.join(" and ")} px, light and dark: nothing overlaps`, async () => {
    const tmp = mkdtempSync(join(tmpdir(), "sift-header-"));
    const p = makeProject({ template: c.template, lines: [c.line], files: c.files?.(tmp) ?? {} });
    const server = await startServer(p.project);
    try {
      const saved = await api(server.url, p.tokens.ann, "save_draft", { item_id: 1, payload: c.draft, time_spent_ms: 30000 });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      for (const theme of ["light", "dark"]) {
        const { page, context } = await openAs(browser, server.url, p.tokens.ann, { colorScheme: theme, viewport: { width: WIDTHS[0], height: 800 } });
        try {
          await page.waitForSelector('[data-testid="item-state"][data-state="draft"]');
          await c.ready?.(page);
          const check = async (state) => {
            for (const width of WIDTHS) {
              await page.setViewportSize({ width, height: 800 });
              await settle(page);
              const problems = await page.evaluate(headerProblems);
              assert.deepEqual(problems, [], `${c.name}, ${theme}, ${width} px, ${state}`);
              if (state === "offline") await screenshot(page, `header-${c.name}-${width}-${theme}`);
            }
          };
          await check("as opened");
          // The widest save state: an edit while the browser is offline is kept locally.
          await context.setOffline(true);
          await page.focus(c.field);
          await page.keyboard.type(" more");
          await page.waitForSelector('[data-testid="autosave-status"][data-status="offline"]', { timeout: 10000 });
          await check("offline");
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
