import { describe, expect, it } from "vitest";
import { charCount, limitState, mentions, wordCount } from "../text/measure";

describe("text measures", () => {
  it("counts code points of the trimmed text", () => {
    expect(charCount("  é東😀 ")).toBe(3);
    expect(charCount("\u3000\u00a0x\n")).toBe(1);
    expect(charCount("")).toBe(0);
  });

  it("counts words split by Unicode white space", () => {
    expect(wordCount("a cat\tsat\non\u00a0the\u3000mat")).toBe(6);
    expect(wordCount("   ")).toBe(0);
    expect(wordCount("日本語の文章")).toBe(1);
  });

  it("matches object names like the validator", () => {
    expect(mentions("two Golden Retrievers play", "golden retriever")).toBe(true);
    expect(mentions("a pile of boxes", "box")).toBe(true);
    expect(mentions("a hotdog stand", "dog")).toBe(false);
    expect(mentions("the dog-house", "dog")).toBe(true);
    expect(mentions("retriever golden", "golden retriever")).toBe(false);
    expect(mentions("anything", "  ")).toBe(true);
    expect(mentions("ÉCOLE rouge", "école")).toBe(true);
  });

  it("reports limit states", () => {
    expect(limitState(0, 1, 10)).toBe("empty");
    expect(limitState(3, 5, 10)).toBe("under");
    expect(limitState(11, 1, 10)).toBe("over");
    expect(limitState(5, 1, null)).toBe("ok");
  });
});
