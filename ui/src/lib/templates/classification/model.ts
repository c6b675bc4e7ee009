/**
 * The classification payload (`{"labels": [...], "unsure": {"reason": "..."}}`) and its edits:
 * normalising a stored payload, picking a class (single-label: the one; multi-label: toggled,
 * within `max_labels`), the unsure mark, the class keys, and a model suggestion taken as the
 * answer.
 */

import type { ClassificationClass, ClassificationRules } from "../../template";
import { asArray, asObject, asString } from "../json";

export interface ClassificationPayload {
  labels: string[];
  /** Present only when the annotator marked the item as unsure. */
  unsure?: { reason: string };
}

/** A stored payload (`{}`, partial, null) in the shape the UI edits; `unsure` kept only when set. */
export function normalizeClassification(raw: unknown): ClassificationPayload {
  const o = asObject(raw);
  const labels = asArray(o.labels).filter((l): l is string => typeof l === "string");
  const out: ClassificationPayload = { labels };
  if (typeof o.unsure === "object" && o.unsure !== null && !Array.isArray(o.unsure)) {
    out.unsure = { reason: asString(asObject(o.unsure).reason) };
  }
  return out;
}

/** What picking `name` did: the new labels, or why nothing changed. */
export type PickResult = { labels: string[] } | { refused: string };

/**
 * Picks a class. Single-label: it becomes the one label. Multi-label: it is toggled, in the
 * order chosen; adding past `max_labels` is refused.
 */
export function pick(labels: string[], name: string, rules: ClassificationRules): PickResult {
  if (!rules.multi_label) return { labels: [name] };
  if (labels.includes(name)) return { labels: labels.filter((l) => l !== name) };
  if (rules.max_labels != null && labels.length >= rules.max_labels) {
    return { refused: `At most ${rules.max_labels} ${rules.max_labels === 1 ? "class" : "classes"} per item` };
  }
  return { labels: [...labels, name] };
}

/** The class picked by a key press without modifiers (not Shift for digits), or null. */
export function classForKey(classes: ClassificationClass[], e: Pick<KeyboardEvent, "key" | "code" | "altKey" | "ctrlKey" | "metaKey" | "shiftKey">): ClassificationClass | null {
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  for (const c of classes) {
    const k = c.key;
    if (!k || k === "none" || Array.from(k).length !== 1) continue;
    if (/^[0-9]$/.test(k)) {
      // The digit typed, or its key without Shift (layouts where digits need Shift).
      if (e.key === k || (!e.shiftKey && (e.code === `Digit${k}` || e.code === `Numpad${k}`))) return c;
    } else if (/^[a-z]$/i.test(k)) {
      if (e.key.toLowerCase() === k.toLowerCase()) return c;
    } else if (e.key === k) {
      return c;
    }
  }
  return null;
}

/** The class key shown to people ("1", "Q"), or "" when the class has none. */
export function keyLabel(c: ClassificationClass): string {
  return c.key && c.key !== "none" ? c.key.toUpperCase() : "";
}

/** Whether the labels are exactly the suggested ones (order does not matter). */
export function sameLabels(a: string[], b: string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}
