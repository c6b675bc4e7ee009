/**
 * Review anchors: where a comment points (span, object, time), parsed and described. In a
 * classification project `{"object": name}` points at the class `name` (the API's anchor
 * shapes are span, object and time; a class is the object a classification is about).
 */

import type { AnnotationView, ReviewRow } from "../bindings";
import type { ReviewAnchor } from "../api/client";
import { formatTime } from "../templates/video/model";

/** A stored anchor (JSON text) as a typed anchor; null when absent or unreadable. */
export function parseAnchor(text: string | null | undefined): ReviewAnchor | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (Array.isArray(v.span) && v.span.length === 2 && v.span.every((n) => typeof n === "number")) {
      return { span: [v.span[0] as number, v.span[1] as number] };
    }
    if (typeof v.object === "string") return { object: v.object };
    if (typeof v.time === "number" && Number.isFinite(v.time)) return { time: v.time };
  } catch {
    // not JSON
  }
  return null;
}

/** The review that sent this work back, when it is returned. */
export function returnReview(annotation: AnnotationView | null): ReviewRow | null {
  if (!annotation || annotation.state !== "returned") return null;
  const returned = annotation.reviews.filter((r) => r.decision === "returned");
  if (returned.length === 0) return null;
  return returned.reduce((a, b) => (b.version > a.version || (b.version === a.version && b.id > a.id) ? b : a));
}

export function anchorLabel(anchor: ReviewAnchor | null, passageText?: (s: number, e: number) => string, kind?: string): string {
  if (!anchor) return "";
  if ("object" in anchor && kind === "classification") return `class “${anchor.object}”`;
  if ("span" in anchor) {
    const text = passageText?.(anchor.span[0], anchor.span[1]);
    return text ? `“${text.length > 60 ? `${text.slice(0, 57)}…` : text}”` : `characters ${anchor.span[0]}–${anchor.span[1]}`;
  }
  if ("object" in anchor) return `object ${anchor.object}`;
  return `at ${formatTime(anchor.time)}`;
}

export function spanOf(anchor: ReviewAnchor | null): [number, number] | null {
  return anchor && "span" in anchor ? anchor.span : null;
}

export function objectOf(anchor: ReviewAnchor | null): string | null {
  return anchor && "object" in anchor ? anchor.object : null;
}

export function timeOf(anchor: ReviewAnchor | null): number | null {
  return anchor && "time" in anchor ? anchor.time : null;
}
