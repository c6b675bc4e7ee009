/**
 * Passage offsets. Sift counts spans in Unicode scalar values (code points), like Rust `char`s
 * and Python `str` indices; the DOM counts UTF-16 code units. Everything that crosses between
 * the two goes through these functions.
 */

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Number of code points in `text`. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) i++;
    n++;
  }
  return n;
}

/**
 * The code-point offset of UTF-16 offset `utf16` in `text`. An offset inside a surrogate pair
 * (which no real selection produces) rounds up to the end of that character.
 */
export function utf16ToCodePoint(text: string, utf16: number): number {
  const end = Math.max(0, Math.min(utf16, text.length));
  let cp = 0;
  let i = 0;
  while (i < end) {
    const pair = isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1));
    i += pair ? 2 : 1;
    cp++;
  }
  return cp;
}

/** The UTF-16 offset of code-point offset `cp` in `text` (clamped to the text). */
export function codePointToUtf16(text: string, cp: number): number {
  let i = 0;
  let n = 0;
  while (i < text.length && n < cp) {
    const pair = isHighSurrogate(text.charCodeAt(i)) && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1));
    i += pair ? 2 : 1;
    n++;
  }
  return i;
}

/** The text of code-point range `[start, end)`. */
export function sliceCodePoints(text: string, start: number, end: number): string {
  return text.slice(codePointToUtf16(text, start), codePointToUtf16(text, end));
}

const WHITE_SPACE = /\p{White_Space}/u;

/** Shrinks code-point range `[start, end)` so it neither starts nor ends with white space. */
export function trimRange(text: string, start: number, end: number): [number, number] {
  const chars = Array.from(sliceCodePoints(text, start, end));
  let a = 0;
  let b = chars.length;
  while (a < b && WHITE_SPACE.test(chars[a])) a++;
  while (b > a && WHITE_SPACE.test(chars[b - 1])) b--;
  return [start + a, start + b];
}

/**
 * The UTF-16 offset, within `root`'s text, of DOM point (`node`, `offset`), or null when the
 * point lies outside `root`. Counts only text nodes, like `Range.toString()`.
 */
export function domPointToUtf16(root: Node, node: Node, offset: number): number | null {
  if (node !== root && !root.contains(node)) return null;
  const doc = root.ownerDocument ?? document;
  const range = doc.createRange();
  range.setStart(root, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}

/**
 * The selection inside `root` as a code-point range of `text` (which must be `root`'s text),
 * or null when the selection is collapsed or not entirely inside `root`.
 */
export function selectionToCodePointRange(
  root: Node,
  text: string,
  selection: Selection | null,
): [number, number] | null {
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  const a = domPointToUtf16(root, range.startContainer, range.startOffset);
  const b = domPointToUtf16(root, range.endContainer, range.endOffset);
  if (a === null || b === null) return null;
  const start = utf16ToCodePoint(text, Math.min(a, b));
  const end = utf16ToCodePoint(text, Math.max(a, b));
  return start === end ? null : [start, end];
}
