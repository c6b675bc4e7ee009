/**
 * Model suggestions as the UI shows and records them. `usableSuggestion` keeps what fits the
 * template and the item (classes of the template; orders of the template's dimensions over
 * exactly the item's responses), null when nothing is left to show. A save records whether a
 * suggestion was shown and whether the saved answer is the suggestion unchanged:
 * classification, the chosen classes are exactly the suggested ones; ranking, every suggested
 * dimension is ranked exactly in the suggested order.
 */

import type { ItemView, JsonValue } from "../bindings";
import { suggestionOf, type RankingSuggestion, type Suggestion, type SuggestionRecord } from "../api/pending-bindings";
import { fieldValue, type TemplateView } from "../template";
import { normalizeClassification, sameLabels } from "./classification/model";
import { normalizeRanking, responsesOf } from "./ranking/model";

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
    return { model: s.model, version: s.version, labels, probabilities };
  }
  if (template.kind === "ranking") {
    const ids = responsesOf(fieldValue(item.content, template.fields.responses)).map((r) => r.id);
    const rankings: Record<string, RankingSuggestion> = {};
    for (const d of template.rules.dimensions) {
      const r = s.rankings?.[d.name];
      if (r && r.order.length === ids.length && ids.every((id) => r.order.includes(id))) rankings[d.name] = r;
    }
    if (Object.keys(rankings).length === 0) return null;
    return { model: s.model, version: s.version, rankings };
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

/** A probability as a short percentage: "72%", "<1%", "100%". */
export function percent(p: number): string {
  if (p > 0 && p < 0.005) return "<1%";
  return `${Math.round(p * 100)}%`;
}
