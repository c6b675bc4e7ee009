/**
 * API contract additions the generated bindings (`../bindings`) do not have yet: model
 * suggestions (issue 16, point 1). The Rust side (being built on the `loop` branch) adds them
 * to `sift_api::ItemView` and `sift_api::commands::SaveArgs`; they are declared here, in this
 * one place, so the UI is written against the exact shapes now. Once the regenerated bindings
 * carry them (`make types`), these become plain re-exports and this file can go.
 *
 * What the Rust side adds:
 * - `ItemView.suggestion: Suggestion | null`: the current model's prediction for the item, or
 *   null when there is none or the project turned suggestions off (to measure anchoring).
 *   The UI never shows a suggestion as an answer already given.
 * - `SaveArgs.suggestion_shown?: boolean` and `SaveArgs.suggestion_accepted?: boolean`
 *   (`#[serde(default)]`, `#[ts(optional)]`), on `save_draft` and `submit`, recorded with the
 *   saved version. The UI sends them only when the item carried a suggestion (so a server
 *   without them, whose `SaveArgs` denies unknown fields, never sees them); absent means "no
 *   suggestion was shown".
 *
 * Everything in a suggestion is data from the project: `suggestionOf` reads it defensively.
 */

import type { ItemView } from "../bindings";

/** A ranking dimension's suggested order (the reward head's, for one dimension). */
export interface RankingSuggestion {
  /** Response ids, best first (every response of the item once; the suggestion never ties). */
  order: string[];
  /**
   * The model's probability that `order[i]` is preferred to `order[i + 1]` (length
   * `order.length - 1`; Bradley–Terry: σ(r[i] − r[i+1])).
   */
  confidence: number[];
}

/** A model's prediction for an item, shown to the annotator as a suggestion. */
export interface Suggestion {
  /** The registered model that made it, and its version. */
  model: string;
  version: number;
  /** Classification: the suggested class names (one for a single-label template). */
  labels?: string[];
  /** Classification: the probability of each class, by class name (0…1). */
  probabilities?: Record<string, number>;
  /** Ranking: the suggested order per dimension name (dimensions without one left out). */
  rankings?: Record<string, RankingSuggestion>;
}

/** `ItemView` with its suggestion (pending in the generated bindings). */
export type ItemViewWithSuggestion = ItemView & { suggestion?: Suggestion | null };

/** What a save records about the suggestion (pending in the generated `SaveArgs`). */
export interface SuggestionRecord {
  /** A suggestion was shown for this item. */
  suggestion_shown: boolean;
  /** The saved answer is the suggestion, unchanged. */
  suggestion_accepted: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isProbability = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1;

/**
 * The item's suggestion, checked: null when absent or not well formed. Probabilities outside
 * 0…1 and labels that are not strings are left out; a ranking order without its confidences
 * (or with other lengths) is left out.
 */
export function suggestionOf(item: ItemView | null | undefined): Suggestion | null {
  const raw = (item as ItemViewWithSuggestion | null | undefined)?.suggestion;
  if (!isObject(raw) || typeof raw.model !== "string" || typeof raw.version !== "number") return null;
  const out: Suggestion = { model: raw.model, version: raw.version };
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
      if (confidence.length !== r.confidence.length || confidence.length !== Math.max(0, order.length - 1)) continue;
      rankings[dim] = { order, confidence };
    }
    out.rankings = rankings;
  }
  return out;
}
