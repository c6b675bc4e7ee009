// Security end to end against a real `sift serve`: tokens, per-annotator isolation, media
// confinement, and hostile data that must render as inert text in a real browser.

import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, startServer, openAs, api, screenshot, ROOT, browser, useBrowser } from "../lib/harness.mjs";

const PNG = join(ROOT, "tests/fixtures/media/scene-64x48.png");
// Every payload tries to set window.__pwned, open a dialog, or load a remote image.
const XSS = [
  `<script>window.__pwned = 1; alert("script")</script>`,
  `<img src=x onerror="window.__pwned = 2; alert('img')">`,
  `<a href="javascript:window.__pwned = 3">click me</a>`,
  `<svg onload="window.__pwned = 4"><script>window.__pwned = 5</script></svg>`,
  `"><iframe src="javascript:alert(6)"></iframe>`,
].join(" ");
const SVG_WITH_SCRIPT = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="48" onload="window.__pwned = 7"><script>window.__pwned = 8; alert(8)</script><rect width="64" height="48" fill="#c33"/></svg>`;

useBrowser();

test("requests without a token get 401; another annotator cannot read or change my draft", async () => {
  const p = makeProject({ template: "qa.toml", lines: [{ source: "The bridge opened in 1932." }], people: { ann: "annotator", other: "annotator" } });
  const server = await startServer(p.project);
  try {
    assert.equal((await api(server.url, null, "me")).status, 401);
    assert.equal((await api(server.url, "sift_not_a_token", "get_item", { item_id: 1 })).status, 401);
    const media = await fetch(new URL("/media/items/1", server.url));
    assert.equal(media.status, 401);

    const draft = { pairs: [{ question: "When did the bridge open?", answer: "In 1932." }] };
    const saved = await api(server.url, p.tokens.ann, "save_draft", { item_id: 1, payload: draft, time_spent_ms: 1000 });
    assert.equal(saved.status, 200);
    // Once I started it, the item has left the other annotator's queue (issue 13 #6).
    const peek = await api(server.url, p.tokens.other, "get_item", { item_id: 1 });
    assert.equal(peek.status, 403);
    assert.equal(peek.body.annotation, undefined, "another annotator must not see my draft");
    const overwrite = await api(server.url, p.tokens.other, "save_draft", { item_id: 1, payload: { pairs: [] } });
    assert.equal(overwrite.status, 403);
    const open = await api(server.url, p.tokens.other, "get_annotation", { annotation_id: saved.body.id });
    assert.equal(open.status, 403);
    const review = await api(server.url, p.tokens.other, "review", { annotation_id: saved.body.id, version: 1, decision: "returned", comment: "x" });
    assert.equal(review.status, 403);
    const mine = await api(server.url, p.tokens.ann, "get_item", { item_id: 1 });
    assert.deepEqual(mine.body.annotation.payload.pairs[0].answer, "In 1932.");
  } finally {
    await server.stop();
    p.cleanup();
  }
});

test("media paths escaping the allowed roots get 403", async () => {
  const p = makeProject({
    template: "image-caption.toml",
    lines: [{ "source-ref": "img/ok.png" }, { "source-ref": "../outside.png" }, { "source-ref": "/etc/passwd" }],
    files: { "img/ok.png": PNG, "../outside.png": "secret" },
  });
  const server = await startServer(p.project);
  try {
    const get = (id, range) =>
      fetch(new URL(`/media/items/${id}`, server.url), {
        headers: { authorization: `Bearer ${p.tokens.ann}`, ...(range ? { range } : {}) },
      });
    assert.equal((await get(1)).status, 200);
    const partial = await get(1, "bytes=0-15");
    assert.equal(partial.status, 206);
    assert.equal((await partial.arrayBuffer()).byteLength, 16);
    assert.equal((await get(2)).status, 403, "../ escapes the manifest folder");
    assert.equal((await get(3)).status, 403, "an absolute path outside the roots");
  } finally {
    await server.stop();
    p.cleanup();
  }
});

test("hostile text, file names, instructions and SVG render inert", async () => {
  const hostileTemplate = join(ROOT, "labeling-templates", "qa.toml");
  const p = makeProject({
    template: "image-caption.toml",
    lines: [{ "source-ref": `img/"><img src=x onerror=alert(1)>.svg`, width: 64, height: 48, note: XSS }],
    files: { [`img/"><img src=x onerror=alert(1)>.svg`]: SVG_WITH_SCRIPT },
  });
  const q = makeProject({ template: hostileTemplate, lines: [{ source: `Passage ${XSS} end.` }] });
  const servers = [await startServer(p.project), await startServer(q.project)];
  try {
    for (const [server, proj, name] of [
      [servers[0], p, "hostile-image"],
      [servers[1], q, "hostile-passage"],
    ]) {
      const { page, context, events } = await openAs(browser, server.url, proj.tokens.ann);
      await page.waitForTimeout(500);
      await screenshot(page, name);
      const pwned = await page.evaluate(() => window.__pwned);
      assert.equal(pwned, undefined, `${name}: a payload ran`);
      assert.deepEqual(events.dialogs, [], `${name}: a dialog opened`);
      const injected = await page.evaluate(() => ({
        iframes: document.querySelectorAll("iframe").length,
        imgX: document.querySelectorAll('img[src="x"]').length,
        scripts: [...document.querySelectorAll("script")].filter((s) => !s.src).length,
        jsLinks: [...document.querySelectorAll("a")].filter((a) => a.href.startsWith("javascript:")).length,
      }));
      assert.deepEqual(injected, { iframes: 0, imgX: 0, scripts: 0, jsLinks: 0 }, `${name}: markup was injected`);
      if (name === "hostile-passage") {
        const text = await page.textContent("body");
        assert.ok(text.includes("<script>window.__pwned = 1"), "the payload is shown as text");
      }
      await context.close();
    }
  } finally {
    for (const s of servers) await s.stop();
    p.cleanup();
    q.cleanup();
  }
});

test("hostile template instructions are sanitised", async () => {
  const { readFileSync, mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const base = readFileSync(join(ROOT, "labeling-templates", "qa.toml"), "utf8");
  const evil = `\n\n${XSS}\n\n[a javascript link](javascript:window.__pwned=9)\n\n<img src=x onerror="window.__pwned=10">\n`;
  const patched = base.replace(/instructions = """\n/, `instructions = """\n${evil.replaceAll('"""', "")}\n`);
  const tplDir = mkdtempSync(join(tmpdir(), "sift-tpl-"));
  const file = join(tplDir, "evil.toml");
  writeFileSync(file, patched);
  const p = makeProject({ template: file, lines: [{ source: "A calm passage." }] });
  const server = await startServer(p.project);
  try {
    const { page, context, events } = await openAs(browser, server.url, p.tokens.ann);
    await page.waitForTimeout(300);
    await screenshot(page, "hostile-instructions");
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    assert.deepEqual(events.dialogs, []);
    const jsLinks = await page.evaluate(() => [...document.querySelectorAll("a")].filter((a) => /^javascript:/i.test(a.getAttribute("href") || "")).length);
    assert.equal(jsLinks, 0);
    await context.close();
  } finally {
    await server.stop();
    p.cleanup();
    rmSync(tplDir, { recursive: true, force: true });
  }
});

test("signing out in the browser ends the session on the server", async () => {
  const p = makeProject({ template: "qa.toml", lines: [{ source: "A calm passage." }], people: { ann: "annotator" } });
  const server = await startServer(p.project);
  try {
    const { page, context } = await openAs(browser, server.url, p.tokens.ann);
    const cookie = (await context.cookies()).find((c) => c.name === "sift_session");
    assert.ok(cookie, "signing in sets the session cookie");
    assert.ok(cookie.httpOnly && cookie.sameSite === "Strict", JSON.stringify(cookie));
    assert.ok(!cookie.value.includes(p.tokens.ann.replace(/^sift_/, "")), "the cookie carries the token");
    const me = (value) =>
      fetch(new URL("/api/me", server.url), {
        method: "POST",
        headers: { "content-type": "application/json", cookie: `sift_session=${value}` },
        body: "{}",
      }).then((r) => r.status);
    assert.equal(await me(cookie.value), 200);
    await page.click('[data-testid="sign-out"]');
    await page.waitForSelector('[data-testid="token-input"]');
    assert.equal((await context.cookies()).find((c) => c.name === "sift_session"), undefined, "the cookie is cleared");
    assert.equal(await me(cookie.value), 401, "a copy of the cookie still signs in after sign-out");
    await page.reload();
    await page.waitForSelector('[data-testid="token-input"]');
    await context.close();
  } finally {
    await server.stop();
    p.cleanup();
  }
});
