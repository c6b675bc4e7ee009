// Labeling one item of each template in the real desktop window, through WebDriver: typing
// with the keyboard (send keys to the focused field), the templates' shortcuts (Alt+N, Alt+O,
// Alt+K, Alt+[, Ctrl+Enter…), and clicks. Text selection in the passage is made with a DOM
// range (WebKitGTK has no caret browsing to select with keys); everything else is as an
// annotator does it.

import assert from "node:assert/strict";
import { join } from "node:path";
import { frameShown } from "./frames.mjs";
import { MEDIA } from "./desktop.mjs";
import { step } from "./steps.mjs";
import { Key, sleep } from "./webdriver.mjs";

/** Waits until the UI shows an item (`window.__siftReady`). */
export async function waitReady(s, timeout = 30000) {
  await s.waitForScript("window.__siftReady === true", timeout);
}

/** Types into the focused element, key by key. */
export async function typeFocused(s, text) {
  await s.typeKeys(text);
}

/** Focuses `css` (scrolling it into view) and types `text`. */
export async function typeInto(s, css, text) {
  await s.waitForElement(css);
  await s.execute("const e = document.querySelector(arguments[0]); e.scrollIntoView({block: 'center'}); e.focus();", css);
  await typeFocused(s, text);
}

export async function focus(s, css) {
  await s.waitForElement(css);
  await s.execute("const e = document.querySelector(arguments[0]); e.scrollIntoView({block: 'center'}); e.focus();", css);
}

/** The validation summary says every rule is met. */
export async function waitValid(s) {
  await s.waitForScript(`!!document.querySelector('[data-testid="validation-summary"] .title.ok')`, 10000).catch(async (e) => {
    const text = await s.query(`return document.querySelector('[data-testid="validation-summary"]')?.innerText ?? "(no summary)"`);
    throw new Error(`the item is not valid yet: ${text}`);
  });
}

/** Selects `phrase` inside the passage with a DOM range. */
async function selectInPassage(s, phrase) {
  const ok = await s.execute(
    `const phrase = arguments[0];
     const p = document.querySelector('[data-testid="passage"]');
     const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
     const nodes = []; let text = "";
     while (walker.nextNode()) { nodes.push([walker.currentNode, text.length]); text += walker.currentNode.data; }
     const i = text.indexOf(phrase);
     if (i < 0) return false;
     const at = (pos) => { for (const [n, off] of nodes) if (pos <= off + n.data.length) return [n, pos - off]; };
     const r = document.createRange();
     r.setStart(...at(i)); r.setEnd(...at(i + phrase.length));
     const sel = getSelection(); sel.removeAllRanges(); sel.addRange(r);
     return sel.toString() === phrase;`,
    phrase,
  );
  assert.ok(ok, `"${phrase}" is not in the passage`);
}

async function spanCount(s, index) {
  return s.query(`return document.querySelectorAll('[data-index="${index}"] [data-testid="pair-span"]').length;`);
}

export async function labelQa(s) {
  const passage = await s.query(`return document.querySelector('[data-testid="passage"]').textContent;`);
  assert.match(passage, /Millau Viaduct/, "the first demo passage");
  const pairs = [
    ["When did the Millau Viaduct open?", "In December 2004.", 1, "opened in December 2004"],
    ["Why does the passage compare the viaduct with the Eiffel Tower?", "To show how tall its tallest mast is: at 343 metres it is taller than the tower.", 2, "making it taller than the Eiffel Tower"],
    ["What is the passage mainly about?", "The Millau Viaduct in southern France: when it opened, what it carries and how tall it is.", 3, null],
  ];
  for (const [i, [question, answer, types, phrase]] of pairs.entries()) {
    await s.press(Key.Alt, "n");
    await s.waitForScript(`document.querySelectorAll('[data-testid="pair-card"]').length === ${i + 1}`);
    await s.waitForScript(`document.activeElement?.dataset.testid === "pair-question"`);
    await typeFocused(s, question);
    await s.press(Key.Tab);
    await typeFocused(s, answer);
    for (let t = 0; t < types; t++) await s.press(Key.Alt, "t");
    if (phrase) {
      await selectInPassage(s, phrase);
      await s.press(Key.Alt, "c");
      await s.waitFor(async () => (await spanCount(s, i)) === 1, 5000, `pair ${i + 1}'s cited span`);
    } else {
      await s.press(Key.Alt, "e");
      await s.waitForScript(`document.querySelector('[data-index="${i}"] [data-testid="entire-passage"]')?.checked === true`);
    }
  }
  await waitValid(s);
}

export async function labelRanking(s) {
  const ids = await s.query(`return [...document.querySelectorAll('[data-testid="response"]')].map((r) => r.dataset.responseId);`);
  assert.equal(ids.length, 4, "the first demo prompt has four responses");
  const orders = [
    ["0", "2", "3", "1"], // clarity
    ["0", "2", "3", "1"], // accuracy
    ["2", "0", "3", "1"], // harmlessness
  ];
  for (const [d, order] of orders.entries()) {
    await s.waitForScript(`document.querySelectorAll('[data-testid="dimension-tab"]')[${d}]?.getAttribute("aria-selected") === "true"`);
    for (const [rank, id] of order.entries()) {
      await focus(s, `[data-testid="response"][data-response-id="${id}"]`);
      await s.press(String(rank + 1));
    }
    for (const [rank, id] of order.entries()) {
      await s.waitForScript(`!!document.querySelector('[data-testid="rank-list"] [data-testid="rank-row"][data-response-id="${id}"][data-rank="${rank + 1}"]')`, 5000);
    }
    if (d < orders.length - 1) await s.press(Key.Alt, Key.ArrowRight);
  }
  // Factual errors: response 1 says the sky reflects the oceans, response 3 that blue light
  // has the longest wavelength.
  for (const id of ids) {
    const value = id === "1" || id === "3" ? "yes" : "no";
    await s.click(`[data-testid="response"][data-response-id="${id}"] fieldset[data-path^="classifications."] input[value="${value}"]`);
  }
  await s.press(Key.Alt, "r");
  await s.waitForScript(`document.activeElement?.dataset.testid === "rationale"`);
  await typeFocused(s, "Response 0 names Rayleigh scattering and explains what we see; response 2 is right but thin; responses 3 and 1 state false physics, so they rank last on accuracy.");
  await waitValid(s);
}

export async function labelImage(s) {
  await s.waitForScript(`document.querySelector('[data-testid="image"]')?.naturalWidth > 0`, 20000);
  const objects = [
    ["pagoda", "A tall tiered pagoda with red pillars and green and gold roofs.", [Key.ArrowUp]],
    ["lake", "A wide calm lake stretching to hazy hills on the far shore.", [Key.ArrowRight, Key.ArrowRight, Key.ArrowDown]],
  ];
  for (const [i, [name, description, moves]] of objects.entries()) {
    await s.press(Key.Alt, "o");
    await s.waitForElement('[data-testid="crosshair"]');
    for (const k of moves) await s.press(Key.Shift, k);
    await s.press(Key.Enter);
    await s.waitForScript(`document.querySelectorAll('[data-testid="object-card"]').length === ${i + 1}`);
    await typeFocused(s, name);
    await typeInto(s, `textarea[data-path="objects[${i}].description"]`, description);
  }
  await s.press(Key.Alt, "r");
  await s.waitForScript(`document.activeElement?.dataset.path === "relationships[0].relation"`);
  await typeFocused(s, "stands above");
  await typeInto(s, 'textarea[data-path="setting"]', "A hillside park on a clear day, with trees in front and haze over the water.");
  await s.press(Key.Alt, "c");
  await typeFocused(s, "A tall tiered pagoda with red pillars stands on a wooded hillside above a wide calm lake, where small boats float below hazy hills on a clear summer day.");
  await waitValid(s);
}

/**
 * Plays the video, seeks it to 30 s (returns where it landed: `currentTime` and the frame the
 * window shows) and logs one event with the keyboard.
 */
export async function labelVideo(s) {
  const entry = (await s.invoke("queue", { limit: 1 })).ok.entries[0];
  const item = (await s.invoke("get_item", { item_id: entry.item_id })).ok;
  assert.equal(item.content.id, "demo-video-palace-garden", "the first demo video");
  const file = join(MEDIA, item.content["source-ref"]);
  await step("video: first frame loaded", async () => {
    await s.waitForScript(`document.querySelector('[data-testid="video"]')?.readyState >= 2`, 30000);
    const duration = await s.query(`return document.querySelector('[data-testid="video"]').duration;`);
    assert.ok(Math.abs(duration - 60) < 0.1, `a 60 s demo video (${duration})`);
  });
  // Play (Alt+K) until the video has moved on, then pause.
  await step("video: play and pause (Alt+K)", async () => {
    await s.press(Key.Alt, "k");
    await s.waitForScript(`document.querySelector('[data-testid="video"]').currentTime > 0.3`, 15000);
    await s.press(Key.Alt, "k");
    await s.waitForScript(`document.querySelector('[data-testid="video"]').paused`);
  });
  // Seek to 30 s and wait for the seek to finish.
  const landed = await step("video: seek to 30 s", async () => {
    const seek = await s.executeAsync(
      `const done = arguments[arguments.length - 1];
       const v = document.querySelector('[data-testid="video"]');
       const t0 = performance.now();
       v.addEventListener("seeked", () => {
         const ms = performance.now() - t0;
         const report = (frame) => done({ currentTime: v.currentTime, seekMs: ms, frameTime: frame });
         if (v.requestVideoFrameCallback) {
           const timer = setTimeout(() => report(null), 1500);
           v.requestVideoFrameCallback((_now, meta) => { clearTimeout(timer); report(meta.mediaTime); });
         } else report(null);
       }, { once: true });
       v.currentTime = 30;`,
    );
    await s.waitForScript(`document.querySelector('[data-testid="current-time"]')?.textContent.startsWith("0:30.00")`, 5000);
    return seek;
  });
  await sleep(500); // let the new frame be painted
  landed.shown = await step("video: which frame the window shows", () => frameShown(s, file, item.content.fps, Math.round(30 * item.content.fps)));
  // An event from 30 s to 35 s (Alt+L: 5 s on), described.
  await step("video: an event from 30 s to 35 s", async () => {
    await s.press(Key.Alt, "[");
    await s.waitForElement('[data-testid="event"]');
    await s.press(Key.Alt, "l");
    await s.waitForScript(`document.querySelector('[data-testid="video"]').currentTime > 34.9`, 5000);
    await s.press(Key.Alt, "]");
    await s.waitForScript(`document.activeElement?.dataset.path === "events[0].description"`);
    await typeFocused(s, "The camera pans slowly to the right across an orange dahlia in full bloom.");
  });
  await step("video: setting and caption", async () => {
    await typeInto(s, 'textarea[data-path="setting"]', "Outdoors on a clear day: a hillside park above a lake, then a garden with dark green leaves.");
    await s.press(Key.Alt, "c");
    await typeFocused(s, "The camera slowly moves in on a tall tiered pagoda above a lake on a clear day, then pans across an orange dahlia in front of dark green leaves, and finally pulls back from the face of a tabby cat with green eyes.");
    await waitValid(s);
  });
  return landed;
}

/** Submits with Ctrl+Enter and waits until the item has left the screen. */
export async function submit(s, itemId, invoke) {
  await s.press(Key.Control, Key.Enter);
  await s.waitFor(async () => {
    const r = await invoke("get_item", { item_id: itemId });
    return r.ok?.annotation?.state === "submitted";
  }, 15000, `item ${itemId} submitted`);
  await sleep(300);
}
