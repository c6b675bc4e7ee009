import { describe, expect, it } from "vitest";
import { describePath, readableMessage, type ScreenLabels } from "../validation";

const text = (parts: ReturnType<typeof readableMessage>) => parts.map((p) => (p.code ? `[${p.text}]` : p.text)).join("");

const ranking: ScreenLabels = {
  response: (id) => ({ "0": "A", "1": "B", "2": "C" })[id] ?? null,
  dimension: (name) =>
    ({ accuracy: "Accuracy", harmlessness: "Harmlessness (least harmful first)", "Harmlessness (least harmful first)": "Harmlessness (least harmful first)" })[name] ??
    null,
  classification: (name) => (name === "factual_error" ? "factual error" : null),
};

const objects = [
  { id: "o1", name: "green patch" },
  { id: "o2", name: "pink patch" },
  { id: "o3", name: "" },
];
const image: ScreenLabels = {
  object: (i) => objects[i] ?? null,
  objectById: (id) => objects.find((o) => o.id === id) ?? null,
};

describe("violations as the screen names things", () => {
  it("names responses by letter and dimensions by title", () => {
    expect(text(readableMessage("response `0` is not ranked on `accuracy`", ranking))).toBe("response A is not ranked on Accuracy");
    expect(text(readableMessage("responses `0`, `2` share rank 1; ties are not allowed", ranking))).toBe("responses A, C share rank 1; ties are not allowed");
    expect(text(readableMessage("rank the responses on `Harmlessness (least harmful first)`", ranking))).toBe("rank the responses on Harmlessness (least harmful first)");
    expect(text(readableMessage('answer "Does this response contain a factual error?" for response `2`', ranking))).toBe(
      "answer “Does this response contain a factual error?” for response C",
    );
    // Unknown ids stay as they are, shown as code.
    expect(text(readableMessage("the item has no response with id `9`", ranking))).toBe("the item has no response with id [9]");
    expect(describePath("rankings.accuracy.0", ranking)).toBe("Ranking · Accuracy · Response A");
    expect(describePath('rankings.accuracy["resp a"]', ranking)).toBe("Ranking · Accuracy · response resp a");
    expect(describePath("classifications.2.factual_error", ranking)).toBe("Response C · factual error");
    expect(describePath("rankings.harmlessness", ranking)).toBe("Ranking · Harmlessness (least harmful first)");
  });

  it("names objects by their names, and counts list positions from 1", () => {
    expect(text(readableMessage('the caption does not mention "pink patch" (objects[1])', image))).toBe("the caption does not mention “pink patch”");
    expect(text(readableMessage("relates object `o1` to itself", image))).toBe("relates object “green patch” to itself");
    expect(text(readableMessage("relates object `o3` to itself", image))).toBe("relates object o3 to itself");
    expect(describePath("objects[1].description", image)).toBe("Object “pink patch” · description");
    expect(describePath("objects[2]", image)).toBe("Object o3");
    expect(describePath("objects", image)).toBe("Objects");
    expect(text(readableMessage("repeats the question of pairs[0]"))).toBe("repeats the question of pair 1");
    expect(text(readableMessage("3..9 overlaps spans[0] (1..5); merge them into one span"))).toBe("3..9 overlaps span 1 (1..5); merge them into one span");
    expect(text(readableMessage("overlaps events[2]; events may not overlap in this template"))).toBe("overlaps event 3; events may not overlap in this template");
    expect(describePath("pairs[1].answer")).toBe("Pair 2 · answer");
    expect(describePath("pairs")).toBe("Pairs");
    expect(text(readableMessage("at least one pair must have question type `factual`"))).toBe("at least one pair must have question type [factual]");
  });
});
