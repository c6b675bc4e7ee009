import type { JsonValue } from "../bindings";
import type { TemplateView } from "../template";
import { normalizeClassification } from "./classification/model";
import { normalizeImage } from "./image/model";
import { normalizeQa } from "./qa/model";
import { normalizeRanking } from "./ranking/model";
import { normalizeVideo } from "./video/model";

/** A stored payload (`{}`, null, partial) in the full shape the template components edit. */
export function normalizePayload(template: TemplateView, raw: unknown): JsonValue {
  switch (template.kind) {
    case "qa":
      return normalizeQa(raw) as unknown as JsonValue;
    case "ranking":
      return normalizeRanking(raw) as unknown as JsonValue;
    case "image-caption":
      return normalizeImage(raw) as unknown as JsonValue;
    case "video-caption":
      return normalizeVideo(raw) as unknown as JsonValue;
    case "classification":
      return normalizeClassification(raw) as unknown as JsonValue;
  }
}

/** Eight calm, distinct hues for pairs and objects (readable on light and dark). */
export const PALETTE = ["#2f7fd8", "#d9822b", "#2e9e6a", "#c0467a", "#7d5bd6", "#b8a12a", "#1f9fad", "#c8553d"];

export function colour(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** `#rrggbb` → `rgba(r, g, b, a)`. */
export function tint(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}
