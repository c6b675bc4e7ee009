/** The ranking payload (type generated from Rust), the item's responses, and rank edits as buckets. */

import type { RankingPayload } from "../../bindings";
import { asArray, asObject, asString } from "../json";

export type { RankingPayload };

export interface Response {
  id: string;
  text: string;
  /** Display label: A, B, C… */
  label: string;
}

/** Responses of an item: plain strings (ids "0", "1", …) or `{id, text}` objects. */
export function responsesOf(value: unknown): Response[] {
  return asArray(value).map((r, i) => {
    const label = letter(i);
    if (typeof r === "string") return { id: String(i), text: r, label };
    const o = asObject(r);
    const id = typeof o.id === "number" ? String(o.id) : asString(o.id) || String(i);
    return { id, text: asString(o.text), label };
  });
}

/** A, B, …, Z, AA, AB, … */
export function letter(i: number): string {
  let s = "";
  let n = i;
  do {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}

export function normalizeRanking(raw: unknown): RankingPayload {
  const o = asObject(raw);
  const rankings: RankingPayload["rankings"] = {};
  for (const [dim, ranks] of Object.entries(asObject(o.rankings))) {
    const r: Record<string, number> = {};
    for (const [id, rank] of Object.entries(asObject(ranks))) {
      if (typeof rank === "number" && Number.isInteger(rank) && rank > 0) r[id] = rank;
    }
    rankings[dim] = r;
  }
  const classifications: RankingPayload["classifications"] = {};
  for (const [id, answers] of Object.entries(asObject(o.classifications))) {
    const a: Record<string, string> = {};
    for (const [name, option] of Object.entries(asObject(answers))) {
      if (typeof option === "string") a[name] = option;
    }
    classifications[id] = a;
  }
  return { rankings, classifications, rationale: asString(o.rationale) };
}

/** Ranked responses as buckets, best first; tied responses share a bucket. */
export type Buckets = string[][];

/** Buckets from stored ranks (order within a bucket follows `ids`); unranked ids apart. */
export function toBuckets(ranks: Record<string, number> | undefined, ids: string[]): { buckets: Buckets; unranked: string[] } {
  const byRank = new Map<number, string[]>();
  const unranked: string[] = [];
  for (const id of ids) {
    const r = ranks?.[id];
    if (typeof r === "number" && r > 0) {
      const b = byRank.get(r) ?? [];
      b.push(id);
      byRank.set(r, b);
    } else {
      unranked.push(id);
    }
  }
  const buckets = [...byRank.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
  return { buckets, unranked };
}

/** Dense ranks from buckets: 1, 2, 3… with tied responses sharing a rank. */
export function toRanks(buckets: Buckets): Record<string, number> {
  const out: Record<string, number> = {};
  buckets.filter((b) => b.length > 0).forEach((b, i) => b.forEach((id) => (out[id] = i + 1)));
  return out;
}

function without(buckets: Buckets, id: string): Buckets {
  return buckets.map((b) => b.filter((x) => x !== id)).filter((b) => b.length > 0);
}

function indexOf(buckets: Buckets, id: string): number {
  return buckets.findIndex((b) => b.includes(id));
}

/**
 * Gives `id` rank `k` (1 = best). Without ties the others make room (ranks stay a permutation);
 * with ties it joins whoever holds rank `k`. A rank past the end places it last.
 */
export function setRank(buckets: Buckets, id: string, k: number, allowTies: boolean): Buckets {
  const rest = without(buckets, id);
  const at = Math.max(0, Math.min(k - 1, rest.length));
  if (allowTies && at < rest.length) {
    return rest.map((b, i) => (i === at ? [...b, id] : b));
  }
  return [...rest.slice(0, at), [id], ...rest.slice(at)];
}

/**
 * Moves `id` one place up (better). A tied response leaves its tie, just above it; otherwise
 * it swaps with the response(s) above. An unranked response enters the ranking last.
 */
export function moveUp(buckets: Buckets, id: string): Buckets {
  const i = indexOf(buckets, id);
  if (i < 0) return [...buckets, [id]];
  if (buckets[i].length > 1) {
    const rest = without(buckets, id);
    return [...rest.slice(0, i), [id], ...rest.slice(i)];
  }
  if (i === 0) return buckets;
  const out = buckets.slice();
  [out[i - 1], out[i]] = [out[i], out[i - 1]];
  return out;
}

/** Moves `id` one place down (worse); the mirror of `moveUp`. Unranked stays unranked. */
export function moveDown(buckets: Buckets, id: string): Buckets {
  const i = indexOf(buckets, id);
  if (i < 0) return buckets;
  if (buckets[i].length > 1) {
    const rest = without(buckets, id);
    return [...rest.slice(0, i + 1), [id], ...rest.slice(i + 1)];
  }
  if (i === buckets.length - 1) return buckets;
  const out = buckets.slice();
  [out[i], out[i + 1]] = [out[i + 1], out[i]];
  return out;
}

/** Ties `id` with the next ranked response (it joins the next rank down). */
export function tieWithNext(buckets: Buckets, id: string): Buckets {
  const i = indexOf(buckets, id);
  if (i < 0 || i === buckets.length - 1) return buckets;
  const target = buckets[i + 1];
  const out = buckets.map((b, j) => (j === i ? b.filter((x) => x !== id) : j === i + 1 ? [...target, id] : b));
  return out.filter((b) => b.length > 0);
}

/** Takes `id` out of the ranking. */
export function unrank(buckets: Buckets, id: string): Buckets {
  return without(buckets, id);
}

/** Places `id` at position `at` (0-based, among buckets without it), as its own rank. */
export function placeAt(buckets: Buckets, id: string, at: number): Buckets {
  const rest = without(buckets, id);
  const k = Math.max(0, Math.min(at, rest.length));
  return [...rest.slice(0, k), [id], ...rest.slice(k)];
}
