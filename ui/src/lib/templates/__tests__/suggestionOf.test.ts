import { describe, expect, it } from "vitest";
import type { ItemView } from "../../bindings";
import { suggestionOf } from "../suggestion";

const item = (suggestion: unknown) => ({ id: 1, content: {}, media_url: null, annotation: null, suggestion }) as unknown as ItemView;

describe("suggestionOf (untrusted ItemView.suggestion)", () => {
  it("is null when absent, off (null) or without its model", () => {
    expect(suggestionOf({ id: 1, content: {}, media_url: null, annotation: null } as unknown as ItemView)).toBeNull();
    expect(suggestionOf(item(null))).toBeNull();
    expect(suggestionOf(item({ labels: ["a"] }))).toBeNull();
    expect(suggestionOf(item("billing"))).toBeNull();
  });

  it("keeps string labels once and probabilities within 0…1", () => {
    const s = suggestionOf(item({ model: "m", version: 2, labels: ["a", 1, "a", "b"], probabilities: { a: 0.7, b: 1.5, c: -1, d: "x", e: Number.NaN, f: 0 } }));
    expect(s).toEqual({ model: "m", version: 2, labels: ["a", "b"], probabilities: { a: 0.7, f: 0 } });
  });

  it("keeps a ranking order only with one confidence per neighbouring pair and no repeated id", () => {
    const s = suggestionOf(
      item({
        model: "r",
        version: 1,
        rankings: {
          ok: { order: ["2", "0", "1"], confidence: [0.8, 0.6] },
          short: { order: ["2", "0", "1"], confidence: [0.8] },
          twice: { order: ["0", "0"], confidence: [0.5] },
          numbers: { order: [0, 1], confidence: [0.5] },
          odd: { order: ["0", "1"], confidence: [2] },
        },
      }),
    );
    expect(s?.rankings).toEqual({ ok: { order: ["2", "0", "1"], confidence: [0.8, 0.6] } });
  });

  it("keeps an imported order without pairwise confidences, with its score when it is a probability", () => {
    const s = suggestionOf(
      item({
        model: "reward-7",
        version: 0,
        imported: "label-studio",
        rankings: {
          clarity: { order: ["r2", "r3", "r1"], confidence: [], score: 0.6 },
          accuracy: { order: ["r1", "r2"], confidence: [], score: 7 },
        },
      }),
    );
    expect(s).toEqual({
      model: "reward-7",
      version: 0,
      imported: "label-studio",
      rankings: { clarity: { order: ["r2", "r3", "r1"], confidence: [], score: 0.6 }, accuracy: { order: ["r1", "r2"], confidence: [] } },
    });
  });
});
