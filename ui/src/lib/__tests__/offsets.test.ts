import { describe, expect, it } from "vitest";
import {
  codePointLength,
  codePointToUtf16,
  selectionToCodePointRange,
  sliceCodePoints,
  trimRange,
  utf16ToCodePoint,
} from "../text/offsets";

const TEXT = "naïve café 東京 😀";

describe("UTF-16 ↔ code points", () => {
  it("matches the README example", () => {
    // 東京 is {start: 11, end: 13} and 😀 is {start: 14, end: 15} in code points.
    expect(sliceCodePoints(TEXT, 11, 13)).toBe("東京");
    expect(sliceCodePoints(TEXT, 14, 15)).toBe("😀");
    expect(codePointLength(TEXT)).toBe(15);
    expect(TEXT.length).toBe(16); // the emoji is two UTF-16 units
  });

  it("converts both ways around astral characters", () => {
    const emoji = TEXT.indexOf("😀");
    expect(utf16ToCodePoint(TEXT, emoji)).toBe(14);
    expect(utf16ToCodePoint(TEXT, emoji + 2)).toBe(15);
    expect(codePointToUtf16(TEXT, 14)).toBe(emoji);
    expect(codePointToUtf16(TEXT, 15)).toBe(TEXT.length);
    for (let cp = 0; cp <= 15; cp++) expect(utf16ToCodePoint(TEXT, codePointToUtf16(TEXT, cp))).toBe(cp);
  });

  it("rounds an offset inside a surrogate pair to the end of the character", () => {
    const s = "a😀b";
    expect(utf16ToCodePoint(s, 2)).toBe(2);
    expect(utf16ToCodePoint(s, 3)).toBe(2);
    expect(utf16ToCodePoint(s, 4)).toBe(3);
  });

  it("handles CJK, combining marks and flags (each code point counts)", () => {
    const s = "日本語e\u0301🇫🇷!";
    expect(codePointLength(s)).toBe(Array.from(s).length);
    expect(sliceCodePoints(s, 3, 5)).toBe("e\u0301");
    expect(sliceCodePoints(s, 5, 7)).toBe("🇫🇷");
  });

  it("clamps out-of-range offsets", () => {
    expect(utf16ToCodePoint("ab", 10)).toBe(2);
    expect(codePointToUtf16("ab", 10)).toBe(2);
    expect(utf16ToCodePoint("ab", -1)).toBe(0);
  });

  it("trims white space off a range", () => {
    const s = "  😀 hello  ";
    expect(trimRange(s, 0, codePointLength(s))).toEqual([2, 9]);
    expect(trimRange(s, 0, 2)).toEqual([2, 2]);
  });
});

describe("DOM selection → code-point range", () => {
  it("measures across highlight elements and emoji", () => {
    const root = document.createElement("div");
    const passage = "Tokyo 東京 😀 is big 🗼 and bright.";
    // Split the text into several nodes, as highlights do.
    const cut1 = passage.indexOf("😀");
    const cut2 = passage.indexOf("🗼");
    root.append(passage.slice(0, cut1));
    const mark = document.createElement("mark");
    mark.textContent = passage.slice(cut1, cut2);
    root.append(mark, passage.slice(cut2));
    document.body.append(root);

    const range = document.createRange();
    range.setStart(mark.firstChild!, 0); // at 😀
    range.setEnd(root.lastChild!, 2); // after 🗼
    const sel = window.getSelection()!;
    sel.removeAllRanges();
    sel.addRange(range);
    const got = selectionToCodePointRange(root, passage, sel)!;
    const cps = Array.from(passage);
    expect(cps.slice(got[0], got[1]).join("")).toBe(passage.slice(cut1, cut2 + 2));
    expect(got).toEqual([cps.indexOf("😀"), cps.indexOf("🗼") + 1]);
    root.remove();
  });

  it("ignores selections outside the root and collapsed ones", () => {
    const root = document.createElement("div");
    root.textContent = "abc";
    const other = document.createElement("p");
    other.textContent = "xyz";
    document.body.append(root, other);
    const sel = window.getSelection()!;
    const r = document.createRange();
    r.setStart(other.firstChild!, 0);
    r.setEnd(other.firstChild!, 2);
    sel.removeAllRanges();
    sel.addRange(r);
    expect(selectionToCodePointRange(root, "abc", sel)).toBeNull();
    r.setStart(root.firstChild!, 1);
    r.setEnd(root.firstChild!, 1);
    sel.removeAllRanges();
    sel.addRange(r);
    expect(selectionToCodePointRange(root, "abc", sel)).toBeNull();
    root.remove();
    other.remove();
  });
});
