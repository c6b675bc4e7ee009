// The header never overlaps (issue 21): every template mid-task, in the light and the dark theme,
// at 1024 and 1280 px wide, as opened and with the widest save state ("Offline – kept locally",
// the browser really offline). No visible piece of the header (button, chip, save state, names,
// text) may overlap another or leave the header, no text in them may be cut, and at these widths
// the header stays one row. Checked for an annotator and for a reviewer (who also has the mode
// tabs), with long names. Screenshots go to
// artifacts/screenshots/header-<template>-<role>-<width>-<theme>.png.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeProject, startServer, openAs, screenshot, api, browser, useBrowser } from "../lib/harness.mjs";
import { MID_TASK, settle } from "../lib/cases.mjs";

const WIDTHS = [1024, 1280];
const PEOPLE = { ann: "annotator", "maria.konstantinou": "reviewer" };

/**
 * What is wrong with the header's layout now (empty: nothing). Runs in the page. Every visible
 * piece of the header (a button, a chip, the save state, the names, a bit of text) is a box that
 * must not overlap any other piece or leave the header, whatever box it sits in.
 */
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
  const WHOLE = "button, .chip, .names, [data-testid='autosave-status'], [role='status']";
  const pieces = [];
  const collect = (el) => {
    for (const child of el.children) {
      if (!shown(child)) continue;
      const inner = [...child.children].filter(shown);
      if (child.matches(WHOLE) || inner.length === 0) pieces.push(child);
      else collect(child);
    }
  };
  collect(header);
  const problems = [];
  for (let i = 0; i < pieces.length; i++) {
    const a = pieces[i].getBoundingClientRect();
    if (a.left < hb.left - 0.5 || a.right > hb.right + 0.5 || a.top < hb.top - 0.5 || a.bottom > hb.bottom + 0.5) {
      problems.push(`${name(pieces[i])} leaves the header`);
    }
    for (let j = i + 1; j < pieces.length; j++) {
      const b = pieces[j].getBoundingClientRect();
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 1 && h > 1) problems.push(`${name(pieces[i])} overlaps ${name(pieces[j])} by ${Math.round(w)} px`);
    }
  }
  // Text people read is not cut off (the brand's names may end in an ellipsis: they have a title).
  for (const el of header.querySelectorAll("[data-testid='autosave-status'], .progress, .score, .chip, .btn, .mode, .position")) {
    if (shown(el) && el.scrollWidth > el.clientWidth + 1) problems.push(`${name(el)} is cut (${el.scrollWidth} > ${el.clientWidth} px)`);
  }
  if (hb.height > 53) problems.push(`the header takes ${Math.round(hb.height)} px: more than one row`);
  return problems;
}

useBrowser();

for (const c of MID_TASK) {
  test(`header: ${c.name} at ${WIDTHS.join(" and ")} px, light and dark: nothing overlaps`, async () => {
    const tmp = mkdtempSync(join(tmpdir(), "sift-header-"));
    // Long names, as real projects and people have them; a reviewer also has the mode tabs.
    const p = makeProject({ template: c.template, lines: [c.line], files: c.files?.(tmp) ?? {}, people: PEOPLE, name: "street-scenes-spring-2026" });
    const server = await startServer(p.project);
    try {
      for (const person of Object.keys(PEOPLE)) {
        const saved = await api(server.url, p.tokens[person], "save_draft", { item_id: 1, payload: c.draft, time_spent_ms: 30000 });
        assert.equal(saved.status, 200, JSON.stringify(saved.body));
      }
      for (const theme of ["light", "dark"]) {
        for (const person of Object.keys(PEOPLE)) {
          const { page, context } = await openAs(browser, server.url, p.tokens[person], { colorScheme: theme, viewport: { width: WIDTHS[0], height: 800 } });
          try {
            await page.waitForSelector('[data-testid="item-state"][data-state="draft"]');
            await c.ready?.(page);
            const check = async (state) => {
              for (const width of WIDTHS) {
                await page.setViewportSize({ width, height: 800 });
                await settle(page);
                const problems = await page.evaluate(headerProblems);
                assert.deepEqual(problems, [], `${c.name}, ${PEOPLE[person]}, ${theme}, ${width} px, ${state}`);
                if (state === "offline") await screenshot(page, `header-${c.name}-${PEOPLE[person]}-${width}-${theme}`);
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
      }
    } finally {
      await server.stop();
      p.cleanup();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
