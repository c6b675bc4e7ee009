import { describe, expect, it } from "vitest";
import { moveDown, moveUp, placeAt, responsesOf, setRank, tieWithNext, toBuckets, toRanks, unrank } from "../templates/ranking/model";
import { addSpan, segments } from "../templates/qa/model";

describe("ranking buckets", () => {
  const ids = ["0", "1", "2", "3"];

  it("reads ranks into buckets and writes dense ranks", () => {
    const { buckets, unranked } = toBuckets({ "0": 2, "1": 1, "3": 2 }, ids);
    expect(buckets).toEqual([["1"], ["0", "3"]]);
    expect(unranked).toEqual(["2"]);
    expect(toRanks(buckets)).toEqual({ "1": 1, "0": 2, "3": 2 });
    // Gaps close up: 1, 3 becomes 1, 2.
    expect(toRanks(toBuckets({ a: 1, b: 3 }, ["a", "b"]).buckets)).toEqual({ a: 1, b: 2 });
  });

  it("sets a rank without ties by making room", () => {
    let b = setRank([], "2", 1, false);
    b = setRank(b, "0", 2, false);
    b = setRank(b, "3", 1, false);
    expect(toRanks(b)).toEqual({ "3": 1, "2": 2, "0": 3 });
    b = setRank(b, "1", 9, false);
    expect(toRanks(b)).toEqual({ "3": 1, "2": 2, "0": 3, "1": 4 });
  });

  it("sets a rank with ties by joining it, ranks staying dense", () => {
    let b = setRank([["a"], ["b"], ["c"]], "c", 1, true);
    expect(toRanks(b)).toEqual({ a: 1, c: 1, b: 2 });
    b = setRank(b, "b", 1, true);
    expect(toRanks(b)).toEqual({ a: 1, c: 1, b: 1 });
  });

  it("moves up and down, splitting ties", () => {
    const b = [["a"], ["b", "c"], ["d"]];
    expect(moveUp(b, "d")).toEqual([["a"], ["d"], ["b", "c"]]);
    expect(moveUp(b, "c")).toEqual([["a"], ["c"], ["b"], ["d"]]);
    expect(moveDown(b, "b")).toEqual([["a"], ["c"], ["b"], ["d"]]);
    expect(moveUp(b, "a")).toEqual(b);
    expect(moveDown(b, "d")).toEqual(b);
    expect(moveUp(b, "z")).toEqual([...b, ["z"]]);
  });

  it("ties with the next and unranks", () => {
    expect(tieWithNext([["a"], ["b"], ["c"]], "a")).toEqual([["b", "a"], ["c"]]);
    expect(tieWithNext([["a"], ["b"]], "b")).toEqual([["a"], ["b"]]);
    expect(unrank([["a"], ["b", "c"]], "a")).toEqual([["b", "c"]]);
    expect(placeAt([["a"], ["b"], ["c"]], "c", 0)).toEqual([["c"], ["a"], ["b"]]);
  });

  it("reads response ids like Sift", () => {
    expect(responsesOf(["x", "y"]).map((r) => r.id)).toEqual(["0", "1"]);
    expect(responsesOf([{ id: "m-a", text: "7" }, { id: 12, text: "9" }]).map((r) => [r.id, r.label])).toEqual([
      ["m-a", "A"],
      ["12", "B"],
    ]);
  });
});

describe("passage spans", () => {
  it("merges overlapping spans of one pair and keeps touching ones apart", () => {
    expect(addSpan([{ start: 0, end: 5 }], { start: 3, end: 8 })).toEqual([{ start: 0, end: 8 }]);
    expect(addSpan([{ start: 0, end: 5 }], { start: 5, end: 8 })).toEqual([
      { start: 0, end: 5 },
      { start: 5, end: 8 },
    ]);
  });

  it("cuts the passage at span boundaries", () => {
    const chars = Array.from("ab😀cd");
    const segs = segments(chars, [
      { question: "", answer: "", question_type: "", entire_passage: false, spans: [{ start: 1, end: 3 }] },
      { question: "", answer: "", question_type: "", entire_passage: false, spans: [{ start: 2, end: 5 }] },
    ]);
    expect(segs.map((s) => [s.text, s.pairs])).toEqual([
      ["a", []],
      ["b", [0]],
      ["😀", [0, 1]],
      ["cd", [1]],
    ]);
  });
});
