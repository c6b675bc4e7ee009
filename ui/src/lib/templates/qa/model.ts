/** The Q&A payload (types generated from Rust), its normaliser, span merging and passage segments. */

import type { QaPair, QaPayload, Span } from "../../bindings";
import { asArray, asNumber, asObject, asString } from "../json";

export type { QaPair, QaPayload, Span };

export function emptyPair(): QaPair {
  return { question: "", answer: "", question_type: "", spans: [], entire_passage: false };
}

/** A stored payload (possibly `{}` or null) in the full shape the UI edits. */
export function normalizeQa(raw: unknown): QaPayload {
  const pairs = asArray(asObject(raw).pairs).map((p) => {
    const o = asObject(p);
    return {
      question: asString(o.question),
      answer: asString(o.answer),
      question_type: asString(o.question_type),
      spans: asArray(o.spans).map((s) => {
        const so = asObject(s);
        return { start: asNumber(so.start), end: asNumber(so.end) };
      }),
      entire_passage: o.entire_passage === true,
    };
  });
  return { pairs };
}

/**
 * Adds a span to a pair's spans, merging it with the spans it overlaps (overlapping spans in
 * one pair are an error on submit; touching spans are fine and stay apart). Sorted by start.
 */
export function addSpan(spans: Span[], span: Span): Span[] {
  let { start, end } = span;
  const rest: Span[] = [];
  for (const s of spans) {
    if (s.start < end && start < s.end) {
      start = Math.min(start, s.start);
      end = Math.max(end, s.end);
    } else {
      rest.push(s);
    }
  }
  return [...rest, { start, end }].sort((a, b) => a.start - b.start || a.end - b.end);
}

export interface Segment {
  start: number;
  end: number;
  text: string;
  /** Indices of the pairs citing this piece, in pair order. */
  pairs: number[];
  /** Inside the review anchor span. */
  anchored: boolean;
}

/**
 * Cuts the passage (as code points) at every span boundary, so each piece can be coloured by
 * the pairs citing it.
 */
export function segments(chars: string[], pairs: QaPair[], anchor: [number, number] | null = null): Segment[] {
  const n = chars.length;
  const cuts = new Set<number>([0, n]);
  const clamp = (x: number) => Math.max(0, Math.min(n, Math.floor(x)));
  pairs.forEach((p) =>
    p.spans.forEach((s) => {
      cuts.add(clamp(s.start));
      cuts.add(clamp(s.end));
    }),
  );
  if (anchor) {
    cuts.add(clamp(anchor[0]));
    cuts.add(clamp(anchor[1]));
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const start = sorted[i];
    const end = sorted[i + 1];
    if (start === end) continue;
    const covering: number[] = [];
    pairs.forEach((p, k) => {
      if (p.spans.some((s) => s.start <= start && end <= s.end && s.start < s.end)) covering.push(k);
    });
    out.push({
      start,
      end,
      text: chars.slice(start, end).join(""),
      pairs: covering,
      anchored: anchor !== null && anchor[0] <= start && end <= anchor[1],
    });
  }
  if (out.length === 0) out.push({ start: 0, end: 0, text: "", pairs: [], anchored: false });
  return out;
}
