// Shared pieces of the labeling end-to-end tests: keyboard helpers, real media, the five
// templates' manifests, and readers that turn what the UI shows back into a payload (so the
// same expected payload is checked on screen, after a reload and on the server).

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, api } from "./harness.mjs";

export const PNG = join(ROOT, "tests/fixtures/media/scene-64x48.png");

/**
 * A real 10 s, 25 fps H.264 MP4 (320×240: the fixture PNG scaled, with a yellow square moving
 * left to right at 30 px/s) written to `path` with ffmpeg. Tests call it at set-up time.
 */
export function makeVideo(path) {
  mkdirSync(join(path, ".."), { recursive: true });
  const args = [
    "-hide_banner", "-loglevel", "error", "-y",
    "-loop", "1", "-framerate", "25", "-i", PNG,
    "-f", "lavfi", "-i", "color=c=yellow:s=20x20:r=25",
    "-filter_complex", "[0:v]scale=320:240:flags=neighbor[bg];[bg][1:v]overlay=x='t*30':y=110,format=yuv420p",
    "-t", "10", "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "+faststart",
    path,
  ];
  try {
    execFileSync("ffmpeg", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    if (err.code === "ENOENT") throw new Error("ffmpeg is missing: the video tests make their clip with it (apt-get install ffmpeg)");
    throw new Error(`ffmpeg failed: ${err.stderr ?? err.message}`);
  }
  if (!existsSync(path)) throw new Error(`ffmpeg did not write ${path}`);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Items of each template (every manifest field the template reads).

export const PASSAGE =
  "🌉 The Golden Gate Bridge opened in 1937. Its towers are 227 m tall, and fog often hides them in summer. " +
  "Engineers chose the orange colour so that ships could see the bridge in fog.";

export const RANKING_ITEM = {
  source: "boiling-point",
  prompt: "What is the boiling point of water at sea level?",
  responses: [
    "100 °C (212 °F).",
    "About 90 °C, a little less than a kettle shows.",
    "Water boils at 100 degrees Celsius at sea level, which is 212 degrees Fahrenheit; higher up it boils at a lower temperature.",
  ],
};

export const IMAGE_ITEM = { "source-ref": "img/scene.png", width: 64, height: 48 };

/** Customer messages for the classification template (labeling-templates/classification.toml). */
export const MESSAGES = [
  { source: "I was charged twice for my subscription this month and I cannot sign in to see the invoice. Please refund one of the charges." },
  { source: "Could you add a dark mode to the mobile app? Reading at night hurts my eyes." },
  { source: "The export button does nothing since yesterday's update: no file, no error message." },
];
export const VIDEO_ITEM = { "source-ref": "video/clip.mp4", duration: 10, fps: 25 };

/** Code-point span of `text` inside the passage (what the validator counts). */
export function spanOf(passage, text) {
  const chars = Array.from(passage);
  for (let i = 0; i + Array.from(text).length <= chars.length; i++) {
    if (chars.slice(i, i + Array.from(text).length).join("") === text) return { start: i, end: i + Array.from(text).length };
  }
  throw new Error(`"${text}" is not in the passage`);
}

// ---------------------------------------------------------------------------------------------
// Keyboard helpers.

/** The `data-testid` (or tag) of the focused element. */
export function focused(page) {
  return page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? document.activeElement?.tagName ?? null);
}

/**
 * Presses Tab (or Shift+Tab) until the focused element matches `selector`, as a keyboard user
 * does; fails after `max` presses.
 */
export async function tabTo(page, selector, { reverse = false, max = 40 } = {}) {
  for (let i = 0; i <= max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i;
    await page.keyboard.press(reverse ? "Shift+Tab" : "Tab");
  }
  throw new Error(`focus never reached ${selector} in ${max} ${reverse ? "Shift+Tab" : "Tab"} presses (at ${await focused(page)})`);
}

/**
 * Selects `target` in the passage with the keyboard, in a plain browser (no caret browsing):
 * the passage is reached with its shortcut Alt+P (or by Tab / Shift+Tab when `via` says so),
 * Ctrl+Home puts the caret at its start, Ctrl+Right moves word by word up to the target, then
 * Ctrl+Shift+Right extends until the target is selected. Chromium's word stops are the ends of
 * words and of punctuation marks, so the selection starts with the space before the target,
 * which the UI trims; Shift+Left gives back punctuation a stop took along. Returns the
 * selected text.
 */
export async function selectPassageText(page, target, { via = "shortcut" } = {}) {
  if (via === "shortcut") await page.keyboard.press("Alt+P");
  else await tabTo(page, '[data-testid="passage"]', { reverse: via === "shift-tab", max: 80 });
  await page.waitForFunction(() => document.activeElement?.dataset.testid === "passage");
  const caret = () =>
    page.evaluate(() => {
      const s = getSelection();
      const p = document.querySelector('[data-testid="passage"]');
      if (!p.contains(s.focusNode)) return { inside: false };
      const before = document.createRange();
      before.setStart(p, 0);
      before.setEnd(s.focusNode, s.focusOffset);
      return { inside: true, at: before.toString().length, selected: s.toString(), collapsed: s.isCollapsed };
    });
  await page.keyboard.press("Control+Home");
  const start = await caret();
  if (!start.inside || start.at !== 0 || !start.collapsed) throw new Error(`the caret did not reach the start of the passage: ${JSON.stringify(start)}`);
  // The caret is drawn, so a keyboard user sees where the selection will start.
  await page.waitForSelector('[data-testid="passage-caret"]', { state: "visible" });
  const text = await page.$eval('[data-testid="passage"]', (p) => p.textContent);
  const at = text.indexOf(target);
  if (at < 0) throw new Error(`"${target}" is not in the passage`);
  for (let c = start; text.slice(c.at, at).trim() !== ""; c = await caret()) {
    if (c.at > at) throw new Error(`the caret passed the start of "${target}" (at ${c.at})`);
    await page.keyboard.press("Control+ArrowRight");
  }
  for (let c = await caret(); c.selected.trim().length < target.length; c = await caret()) {
    if (!c.inside) throw new Error(`the selection left the passage while selecting "${target}"`);
    await page.keyboard.press("Control+Shift+ArrowRight");
  }
  // A word stop may take trailing punctuation along ("fog." at the end): give it back.
  for (let c = await caret(); c.selected.trim().length > target.length; c = await caret()) {
    await page.keyboard.press("Shift+ArrowLeft");
  }
  return page.evaluate(() => getSelection().toString());
}

/** Waits until the autosave indicator shows `status` (saved, offline, dirty…). */
export async function waitForSave(page, status, timeout = 15000) {
  await page.waitForFunction((s) => document.querySelector('[data-testid="autosave-status"]')?.dataset.status === s, status, { timeout });
}

/** The server's view of an item for `token` (its annotation, payload and reviews). */
export async function serverItem(url, token, itemId) {
  const res = await api(url, token, "get_item", { item_id: itemId });
  if (res.status !== 200) throw new Error(`get_item ${itemId}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

// ---------------------------------------------------------------------------------------------
// What the screen shows, as a payload.

export function readQa(page) {
  return page.evaluate(() => ({
    pairs: [...document.querySelectorAll('[data-testid="pair-card"]')].map((card) => ({
      question: card.querySelector('[data-testid="pair-question"]').value,
      answer: card.querySelector('[data-testid="pair-answer"]').value,
      question_type: card.querySelector("select")?.value ?? "",
      spans: [...card.querySelectorAll('[data-testid="pair-span"]')].map((s) => ({ start: Number(s.dataset.start), end: Number(s.dataset.end) })),
      entire_passage: card.querySelector('[data-testid="entire-passage"]')?.checked ?? false,
    })),
  }));
}

/** Reads every dimension's ranking by stepping through the tabs with Alt+Right. */
export async function readRanking(page) {
  const dims = await page.$$eval('[data-testid="dimension-tab"]', (tabs) => tabs.length);
  const rankings = {};
  for (let i = 0; i < dims; i++) {
    const { name, ranks } = await page.evaluate(() => {
      const tab = document.querySelector('[data-testid="dimension-tab"][aria-selected="true"]');
      const ranks = {};
      for (const row of document.querySelectorAll('[data-testid="rank-list"] [data-testid="rank-row"]')) {
        ranks[row.dataset.responseId] = Number(row.dataset.rank);
      }
      return { name: tab.dataset.path.replace(/^rankings\./, ""), ranks };
    });
    rankings[name] = ranks;
    await page.keyboard.press("Alt+ArrowRight");
  }
  const rest = await page.evaluate(() => {
    const classifications = {};
    for (const fs of document.querySelectorAll('[data-testid="response"] fieldset[data-path^="classifications."]')) {
      const [, id, name] = fs.dataset.path.split(".");
      const checked = fs.querySelector("input:checked");
      if (checked) classifications[id] = { ...(classifications[id] ?? {}), [name]: checked.value };
    }
    return { classifications, rationale: document.querySelector('[data-testid="rationale"]').value };
  });
  return { rankings, ...rest };
}

export function readImage(page) {
  return page.evaluate(() => {
    const img = document.querySelector('[data-testid="image"]');
    const w = img.naturalWidth;
    const h = img.naturalHeight;
    const round = (v) => Math.round(v * 100) / 100;
    const dots = new Map(
      [...document.querySelectorAll('[data-testid="object-dot"]')].map((d) => [
        d.dataset.objectId,
        { x: round((parseFloat(d.style.left) * w) / 100), y: round((parseFloat(d.style.top) * h) / 100) },
      ]),
    );
    return {
      objects: [...document.querySelectorAll('[data-testid="object-card"]')].map((c) => ({
        id: c.dataset.objectId,
        ...dots.get(c.dataset.objectId),
        name: c.querySelector("input").value,
        description: c.querySelector("textarea").value,
      })),
      relationships: [...document.querySelectorAll('[data-testid="relationship"]')].map((r) => {
        const [subject, object] = r.querySelectorAll("select");
        return { subject: subject.value, relation: r.querySelector("input").value, object: object.value };
      }),
      setting: document.querySelector('textarea[data-path="setting"]').value,
      caption: document.querySelector('[data-testid="caption"]').value,
    };
  });
}

export function readVideo(page) {
  return page.evaluate(() => {
    const secs = (t) => {
      const parts = t.trim().split(":").map(Number);
      return parts.reduce((a, b) => a * 60 + b, 0);
    };
    return {
      events: [...document.querySelectorAll('[data-testid="event"]')].map((ev) => {
        const [start, end] = ev.querySelector('[data-testid="event-seek"]').textContent.split("→").map(secs);
        return { start, end, description: ev.querySelector("textarea").value };
      }),
      setting: document.querySelector('textarea[data-path="setting"]').value,
      caption: document.querySelector('[data-testid="caption"]').value,
    };
  });
}

/** The chosen classes in the order chosen (each checked class carries its `labels[i]` path), and the unsure mark. */
export function readClassification(page) {
  return page.evaluate(() => {
    const labels = [...document.querySelectorAll('[data-testid="class-input"]:checked')]
      .map((i) => [Number(/\[(\d+)\]/.exec(i.dataset.path)[1]), i.value])
      .sort((a, b) => a[0] - b[0])
      .map(([, name]) => name);
    const out = { labels };
    if (document.querySelector('[data-testid="unsure"]')?.checked) {
      out.unsure = { reason: document.querySelector('[data-testid="unsure-reason"]')?.value ?? "" };
    }
    return out;
  });
}

/** Reads the screen for a template kind. */
export function readScreen(kind, page) {
  return { qa: readQa, ranking: readRanking, "image-caption": readImage, "video-caption": readVideo, classification: readClassification }[kind](page);
}
