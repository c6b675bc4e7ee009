// Each template mid-task, for the tests that look at the screen (screenshots, header layout): the
// item, a saved draft with some content (highlights, ranks, dots, an event on the timeline, a
// class marked unsure) and the rules still unmet, and what to wait for before the page is as a
// person would see it.

import { join } from "node:path";
import { PASSAGE, RANKING_ITEM, IMAGE_ITEM, VIDEO_ITEM, MESSAGES, PNG, makeVideo, spanOf } from "./flows.mjs";

export const MID_TASK = [
  {
    name: "qa",
    template: "qa.toml",
    line: { source: PASSAGE },
    draft: {
      pairs: [
        { question: "When did the Golden Gate Bridge open?", answer: "It opened in 1937.", question_type: "factual", spans: [spanOf(PASSAGE, "The Golden Gate Bridge opened in 1937.")], entire_passage: false },
        {
          question: "Why was the bridge painted orange?",
          answer: "So that ships could",
          question_type: "inferential",
          spans: [spanOf(PASSAGE, "fog often hides them in summer"), spanOf(PASSAGE, "so that ships could see the bridge in fog")],
          entire_passage: false,
        },
      ],
    },
    /** A text field of the answers to type into. */
    field: '[data-path="pairs[1].answer"]',
  },
  {
    name: "ranking",
    template: "ranking.toml",
    line: RANKING_ITEM,
    draft: {
      rankings: { clarity: { 0: 2, 1: 3, 2: 1 }, accuracy: { 2: 1 } },
      classifications: { 0: { factual_error: "no" }, 1: { factual_error: "yes" } },
      rationale: "C is correct and complete;",
    },
    field: '[data-testid="rationale"]',
  },
  {
    name: "image-caption",
    template: "image-caption.toml",
    line: IMAGE_ITEM,
    files: () => ({ "img/scene.png": PNG }),
    draft: {
      objects: [
        { id: "o1", x: 12.8, y: 36.8, name: "green patch", description: "A bright green glow filling the lower left corner." },
        { id: "o2", x: 51.2, y: 11.2, name: "pink patch", description: "" },
      ],
      relationships: [{ subject: "o1", relation: "lies diagonally across from", object: "o2" }],
      setting: "A smooth colour gradient.",
      caption: "A green patch glows in the lower left corner",
    },
    field: '[data-testid="caption"]',
    ready: (page) => page.waitForFunction(() => document.querySelector('[data-testid="image"]')?.complete && document.querySelector('[data-testid="image"]').naturalWidth > 0),
  },
  {
    name: "video-caption",
    template: "video-caption.toml",
    line: VIDEO_ITEM,
    files: (tmp) => ({ [VIDEO_ITEM["source-ref"]]: makeVideo(join(tmp, "clip.mp4")) }),
    draft: {
      events: [
        { start: 1.2, end: 4, description: "A small yellow square slides towards the middle of the frame." },
        { start: 5, end: 5, description: "" },
      ],
      setting: "A still background that fades from green to pink.",
      caption: "",
    },
    field: '[data-testid="caption"]',
    async ready(page) {
      await page.waitForFunction(() => document.querySelector('[data-testid="video"]')?.readyState >= 2);
      await page.keyboard.press("Alt+L"); // seek to 5 s
      await page.waitForFunction(() => {
        const v = document.querySelector('[data-testid="video"]');
        return v.currentTime === 5 && !v.seeking && v.readyState >= 2;
      });
    },
  },
  {
    name: "classification",
    template: "classification.toml",
    line: MESSAGES[0],
    // Unsure without the reason the template requires.
    draft: { labels: ["billing"], unsure: { reason: "" } },
    field: '[data-testid="unsure-reason"]',
  },
];

/** Fonts loaded and two frames drawn: the page as a person would see it. */
export async function settle(page) {
  await page.evaluate(() => document.fonts.ready);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}
