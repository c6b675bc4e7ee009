/** Stored payloads in the shape the template components edit, and the colours they share. */

import type {
  ClassificationPayload,
  ImagePayload,
  Payload,
  QaPayload,
  RankingPayload,
  TemplateKind,
  VideoPayload,
} from "../bindings";
import type { TemplateView } from "../template";
import { normalizeClassification } from "./classification/model";
import { normalizeImage } from "./image/model";
import { normalizeQa } from "./qa/model";
import { normalizeRanking } from "./ranking/model";
import { normalizeVideo } from "./video/model";

export type { Payload };

/** The payload type of each template kind. */
export type PayloadOf<K extends TemplateKind> = {
  qa: QaPayload;
  ranking: RankingPayload;
  "image-caption": ImagePayload;
  "video-caption": VideoPayload;
  classification: ClassificationPayload;
}[K];

/**
 * A payload as its template's kind: what the screens show was made by `normalizePayload` for
 * the template shown, so it has that kind's shape (the union cannot say which member it is).
 */
export function payloadOfKind<K extends TemplateKind>(_kind: K, payload: Payload): PayloadOf<K> {
  return payload as PayloadOf<K>;
}

/** A stored payload (`{}`, null, partial) in the full shape the template components edit. */
export function normalizePayload(template: TemplateView, raw: unknown): Payload {
  switch (template.kind) {
    case "qa":
      return normalizeQa(raw);
    case "ranking":
      return normalizeRanking(raw);
    case "image-caption":
      return normalizeImage(raw);
    case "video-caption":
      return normalizeVideo(raw);
    case "classification":
      return normalizeClassification(raw);
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
