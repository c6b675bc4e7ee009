/**
 * Model suggestions as the UI shows and records them. `usableSuggestion` keeps what fits the
 * template and the item (classes of the template; orders of the template's dimensions over
 * exactly the item's responses), null when nothing is left to show. A save records whether a
 * suggestion was shown and whether the saved answer is the suggestion unchanged:
 * classification, the chosen classes are exactly the suggested ones; ranking, every suggested
 * dimension is ranked exactly in the suggested order.
 *
 * Everything in a suggestion is data from the project: `suggestionOf` reads
 * `ItemView.suggestion` (the generated `Suggestion`, null when there is none or the project
 * turned suggestions off) defensively.
 */

import type { ItemView, JsonValue, RankingSuggestion, Suggestion } from "../bindings";
import type { SuggestionRecord } from "../api/client";
import { fieldValue, type TemplateView } from "../template";
import { normalizeClassification, sameLabels } from "./classification/model";
import { normalizeRanking, responsesOf } from "./ranking/model";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isProbability = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1;

/**
 * The item's suggestion, checked: null when absent or not well formed. Probabilities outside
 * 0…1 and labels that are not strings are left out; a ranking order is kept with one
 * confidence per neighbouring pair, or with none (an imported prediction gives none; its
 * `score` for the whole order, when a probability, is kept).
 */
export function suggestionOf(item: ItemView | null | undefined): Suggestion | null {
  const raw: unknown = item?.suggestion;
  if (!isObject(raw) || typeof raw.model !== "string" || typeof raw.version !== "number") return null;
  const out: Suggestion = { model: raw.model, version: raw.version };
  if (typeof raw.imported === "string") out.imported = raw.imported;
  if (Array.isArray(raw.labels)) out.labels = [...new Set(raw.labels.filter((l): l is string => typeof l === "string"))];
  if (isObject(raw.probabilities)) {
    out.probabilities = Object.fromEntries(Object.entries(raw.probabilities).filter(([, p]) => isProbability(p))) as Record<string, number>;
  }
  if (isObject(raw.rankings)) {
    const rankings: Record<string, RankingSuggestion> = {};
    for (const [dim, r] of Object.entries(raw.rankings)) {
      if (!isObject(r) || !Array.isArray(r.order) || !Array.isArray(r.confidence)) continue;
      const order = r.order.filter((id): id is string => typeof id === "string");
      const confidence = r.confidence.filter(isProbability);
      if (order.length !== r.order.length || new Set(order).size !== order.length) continue;
      if (confidence.length !== r.confidence.length) continue;
      if (confidence.length !== 0 && confidence.length !== Math.max(0, order.length - 1)) continue;
      rankings[dim] = isProbability(r.score) ? { order, confidence, score: r.score } : { order, confidence };
    }
    out.rankings = rankings;
  }
  return out;
}

/** Dense ranks 1…n for an order, best first. */
export function ranksOf(order: string[]): Record<string, number> {
  return Object.fromEntries(order.map((id, i) => [id, i + 1]));
}

/** The item's suggestion reduced to what this template can show; null when nothing is left. */
export function usableSuggestion(template: TemplateView, item: ItemView | null): Suggestion | null {
  const s = suggestionOf(item);
  if (!s || !item) return null;
  if (template.kind === "classification") {
    const names = template.rules.classes.map((c) => c.name);
    const wanted = new Set(s.labels ?? []);
    let labels = names.filter((n) => wanted.has(n));
    if (!template.rules.multi_label) labels = labels.slice(0, 1);
    const probabilities = Object.fromEntries(Object.entries(s.probabilities ?? {}).filter(([n]) => names.includes(n)));
    if (labels.length === 0) return null;
    return { ...(s.imported !== undefined ? { imported: s.imported } : {}), model: s.model, version: s.version, labels, probabilities };
  }
  if (template.kind === "ranking") {
    const ids = responsesOf(fieldValue(item.content, template.fields.responses)).map((r) => r.id);
    const rankings: Record<string, RankingSuggestion> = {};
    for (const d of template.rules.dimensions) {
      const r = s.rankings?.[d.name];
      if (r && r.order.length === ids.length && ids.every((id) => r.order.includes(id))) rankings[d.name] = r;
    }
    if (Object.keys(rankings).length === 0) return null;
    return { ...(s.imported !== undefined ? { imported: s.imported } : {}), model: s.model, version: s.version, rankings };
  }
  return null;
}

function accepted(template: TemplateView, suggestion: Suggestion, payload: JsonValue): boolean {
  if (template.kind === "classification") {
    return sameLabels(normalizeClassification(payload).labels, suggestion.labels ?? []);
  }
  if (template.kind === "ranking") {
    const rankings = normalizeRanking(payload).rankings;
    return Object.entries(suggestion.rankings ?? {}).every(([dim, s]) => {
      const got = rankings[dim] ?? {};
      const want = ranksOf(s.order);
      return Object.keys(got).length === s.order.length && s.order.every((id) => got[id] === want[id]);
    });
  }
  return false;
}

/**
 * The suggestion fields of a save of `payload`, given the usable suggestion shown for the item
 * (`usableSuggestion`); null when none was shown (nothing is sent).
 */
export function suggestionRecord(template: TemplateView, shown: Suggestion | null, payload: JsonValue): SuggestionRecord | null {
  if (!shown) return null;
  return { suggestion_shown: true, suggestion_accepted: accepted(template, shown, payload) };
}

/** Where a suggestion came from, in words: "digits v3", or "bert-2 (imported from Label Studio)". */
export function suggestionSource(s: Suggestion): string {
  if (s.imported === undefined) return `${s.model} v${s.version}`;
  const from = s.imported === "label-studio" ? "Label Studio" : s.imported === "ground-truth" ? "Ground Truth" : s.imported;
  return `${s.model} (imported from ${from})`;
}

/** A probability as a short percentage: "72%", "<1%", "100%". */
export function percent(p: number): string {
  if (p > 0 && p < 0.005) return "<1%";
  return `${Math.round(p * 100)}%`;
}
