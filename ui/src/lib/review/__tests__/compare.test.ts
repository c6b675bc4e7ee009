import { describe, expect, it } from "vitest";
import { classRows, clock, imageParts, qaPairs, rankClassRows, rankTables, videoParts, type Column } from "../compare";

const col = (id: number, annotator: string, payload: unknown, current = false): Column => ({ id, annotator, state: "submitted", current, payload });

describe("side-by-side comparison", () => {
  it("lays classes out one row each, marking where the annotators differ", () => {
    const rows = classRows([col(1, "ann", { labels: ["billing"] }, true), col(2, "bob", { labels: ["billing"] }), col(3, "cy", { labels: ["account"], unsure: { reason: "short text" } })]);
    expect(rows).toEqual([
      { key: "account", cells: [null, null, "✓"], agree: false },
      { key: "billing", cells: ["✓", "✓", null], agree: false },
      { key: "unsure", cells: [null, null, "unsure: short text"], agree: false },
    ]);
    expect(classRows([col(1, "a", { labels: ["x"] }), col(2, "b", { labels: ["x"] })]).every((r) => r.agree)).toBe(true);
  });

  it("gives each dimension a table of ranks by response, and the classifications", () => {
    const a = { rankings: { clarity: { r1: 1, r2: 2 }, accuracy: { r1: 2, r2: 1 } }, classifications: { r1: { safe: "yes" } } };
    const b = { rankings: { clarity: { r1: 1, r2: 2 }, accuracy: { r1: 1, r2: 2 } }, classifications: { r1: { safe: "no" } } };
    const tables = rankTables([col(1, "ann", a), col(2, "bob", b)]);
    expect(tables.map((t) => t.dimension)).toEqual(["clarity", "accuracy"]);
    expect(tables[0].rows.every((r) => r.agree)).toBe(true);
    expect(tables[1].rows).toEqual([
      { key: "r1", cells: ["2", "1"], agree: false },
      { key: "r2", cells: ["1", "2"], agree: false },
    ]);
    expect(rankClassRows([col(1, "ann", a), col(2, "bob", b)])).toEqual([{ key: "r1 · safe", cells: ["yes", "no"], agree: false }]);
  });

  it("reads Q&A pairs, image objects and video events defensively", () => {
    const qa = qaPairs(col(1, "ann", { pairs: [{ question: "Q?", answer: "A.", question_type: "factual", spans: [{ start: 0, end: 4 }, { start: 5, end: 5 }, "bad"], entire_passage: false }, 7] }));
    expect(qa).toEqual([{ question: "Q?", type: "factual", answer: "A.", citations: [{ start: 0, end: 4 }], whole: false }]);
    expect(qaPairs(col(1, "ann", null))).toEqual([]);
    const img = imageParts(col(1, "ann", { objects: [{ id: "o1", name: "dog", x: 0.5, y: 0.25 }, { id: "o2", name: "ball", x: "?", y: 1 }], relationships: [{ subject: "o1", relation: "chases", object: "o2" }], caption: "A dog." }));
    expect(img.objects.map((o) => [o.name, o.x])).toEqual([["dog", 0.5], ["ball", null]]);
    expect(img.relationships).toEqual(["dog chases ball"]);
    const video = videoParts(col(1, "ann", { events: [{ start: 65.25, end: 70, description: "later" }, { start: 1, end: 2, description: "first" }], caption: "" }));
    expect(video.events.map((e) => e.description)).toEqual(["first", "later"]);
    expect(clock(65.25)).toBe("1:05.3");
    expect(clock(null)).toBe("?");
  });
});
