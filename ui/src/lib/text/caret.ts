/**
 * Keyboard selection in read-only text (the Q&A passage) without the browser's caret browsing.
 *
 * Real browsers move the selection with `Selection.modify` (Chromium, WebKit and Gecko have it;
 * it works in content that is not editable). Where it is missing (jsdom), `moveOffset` moves a
 * UTF-16 offset of the text by the same units. Offsets here are UTF-16 (the DOM's unit); the
 * passage maps them to code points with `text/offsets.ts` as before.
 */

import { domPointToUtf16 } from "./offsets";

export type Alter = "move" | "extend";
export type Direction = "forward" | "backward";
export type Granularity = "character" | "word" | "line" | "lineboundary" | "documentboundary";

export interface CaretKey {
  alter: Alter;
  direction: Direction;
  granularity: Granularity;
}

/**
 * The caret movement a key stands for, as in a text field: arrows by character (by line up
 * and down), Ctrl+arrows by word (Option on macOS), Home/End to the line's ends (Cmd+arrows on
 * macOS), Ctrl+Home/End to the text's ends (Cmd+Up/Down on macOS). Shift extends the selection.
 */
export function caretKey(e: Pick<KeyboardEvent, "key" | "altKey" | "ctrlKey" | "metaKey" | "shiftKey">, mac: boolean): CaretKey | null {
  const alter: Alter = e.shiftKey ? "extend" : "move";
  const word = mac ? e.altKey && !e.ctrlKey && !e.metaKey : e.ctrlKey && !e.altKey && !e.metaKey;
  const plain = !e.altKey && !e.ctrlKey && !e.metaKey;
  const cmd = mac && e.metaKey && !e.altKey && !e.ctrlKey;
  const docEnds = mac ? cmd : e.ctrlKey && !e.altKey && !e.metaKey;
  const horizontal = e.key === "ArrowLeft" || e.key === "ArrowRight";
  const direction: Direction = e.key === "ArrowRight" || e.key === "ArrowDown" || e.key === "End" || e.key === "PageDown" ? "forward" : "backward";
  if (horizontal) {
    if (plain) return { alter, direction, granularity: "character" };
    if (word) return { alter, direction, granularity: "word" };
    if (cmd) return { alter, direction, granularity: "lineboundary" };
    return null;
  }
  if (e.key === "ArrowUp" || e.key === "ArrowDown") {
    if (plain) return { alter, direction, granularity: "line" };
    if (cmd) return { alter, direction, granularity: "documentboundary" };
    return null;
  }
  if (e.key === "Home" || e.key === "End") {
    if (plain) return { alter, direction, granularity: "lineboundary" };
    if (docEnds) return { alter, direction, granularity: "documentboundary" };
  }
  return null;
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

type Segmenter = { segment(text: string): Iterable<{ segment: string; index: number; isWordLike?: boolean }> };

function segmenter(granularity: "grapheme" | "word"): Segmenter | null {
  const S = (Intl as unknown as { Segmenter?: new (locale?: string, o?: object) => Segmenter }).Segmenter;
  return S ? new S(undefined, { granularity }) : null;
}

/** Boundaries (UTF-16 offsets) of user-perceived characters, 0 and `text.length` included. */
function graphemeStops(text: string): number[] {
  const seg = segmenter("grapheme");
  if (seg) return [...[...seg.segment(text)].map((s) => s.index), text.length];
  const stops = [0];
  for (let i = 0; i < text.length; ) {
    i += isHigh(text.charCodeAt(i)) && i + 1 < text.length && isLow(text.charCodeAt(i + 1)) ? 2 : 1;
    stops.push(i);
  }
  return stops;
}

/** Words as [start, end) UTF-16 ranges (letters, digits; punctuation and spaces are not words). */
function words(text: string): Array<[number, number]> {
  const seg = segmenter("word");
  if (seg) {
    return [...seg.segment(text)].filter((s) => s.isWordLike).map((s) => [s.index, s.index + s.segment.length]);
  }
  const out: Array<[number, number]> = [];
  for (const m of text.matchAll(/[\p{L}\p{N}\p{M}_'’]+/gu)) out.push([m.index ?? 0, (m.index ?? 0) + m[0].length]);
  return out;
}

/**
 * Where a caret at UTF-16 offset `at` of `text` goes for a movement, clamped to the text.
 * Lines are the text's own lines (`\n`): without layout, wrapped lines are not known.
 */
export function moveOffset(text: string, at: number, direction: Direction, granularity: Granularity): number {
  const n = text.length;
  const pos = Math.max(0, Math.min(n, at));
  const forward = direction === "forward";
  switch (granularity) {
    case "character": {
      const stops = graphemeStops(text);
      if (forward) return stops.find((s) => s > pos) ?? n;
      return [...stops].reverse().find((s) => s < pos) ?? 0;
    }
    case "word": {
      const ws = words(text);
      if (forward) return ws.find(([, e]) => e > pos)?.[1] ?? n;
      return [...ws].reverse().find(([s]) => s < pos)?.[0] ?? 0;
    }
    case "lineboundary": {
      if (forward) {
        const nl = text.indexOf("\n", pos);
        return nl < 0 ? n : nl;
      }
      return text.lastIndexOf("\n", pos - 1) + 1;
    }
    case "line": {
      const start = text.lastIndexOf("\n", pos - 1) + 1;
      const column = pos - start;
      if (forward) {
        const nl = text.indexOf("\n", pos);
        if (nl < 0) return n;
        const nextEnd = text.indexOf("\n", nl + 1);
        return Math.min(nl + 1 + column, nextEnd < 0 ? n : nextEnd);
      }
      if (start === 0) return 0;
      const prevStart = text.lastIndexOf("\n", start - 2) + 1;
      return Math.min(prevStart + column, start - 1);
    }
    case "documentboundary":
      return forward ? n : 0;
  }
}

/** The DOM point of UTF-16 offset `offset` of `root`'s text (the start of the next text node at a boundary). */
export function domPointAt(root: Node, offset: number): { node: Node; offset: number } {
  const doc = root.ownerDocument ?? document;
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let left = Math.max(0, offset);
  let last: Text | null = null;
  let node: Node | null;
  while ((node = walker.nextNode())) {
    const t = node as Text;
    if (left < t.data.length) return { node: t, offset: left };
    left -= t.data.length;
    last = t;
  }
  return last ? { node: last, offset: last.data.length } : { node: root, offset: root.childNodes.length };
}

/** The selection's anchor and focus as UTF-16 offsets of `root`'s text, or null when not inside it. */
export function selectionOffsets(root: Node, selection: Selection | null): { anchor: number; focus: number } | null {
  if (!selection || selection.rangeCount === 0 || !selection.anchorNode || !selection.focusNode) return null;
  const anchor = domPointToUtf16(root, selection.anchorNode, selection.anchorOffset);
  const focus = domPointToUtf16(root, selection.focusNode, selection.focusOffset);
  return anchor === null || focus === null ? null : { anchor, focus };
}

/** Selects from `anchor` to `focus` (UTF-16 offsets of `root`'s text); equal offsets make a caret. */
export function setSelectionOffsets(root: Node, selection: Selection, anchor: number, focus: number): void {
  const a = domPointAt(root, anchor);
  const f = domPointAt(root, focus);
  if (typeof selection.setBaseAndExtent === "function") {
    selection.setBaseAndExtent(a.node, a.offset, f.node, f.offset);
    return;
  }
  selection.collapse(a.node, a.offset);
  selection.extend(f.node, f.offset);
}

/**
 * Moves or extends the selection inside `root` (whose text is `text`) by one step, with
 * `Selection.modify` where the browser has it, and never lets it leave `root`.
 */
export function modifySelection(root: Node, text: string, selection: Selection, step: CaretKey): void {
  const before = selectionOffsets(root, selection) ?? { anchor: 0, focus: 0 };
  const native = (selection as Selection & { modify?: (a: string, d: string, g: string) => void }).modify;
  if (typeof native === "function") {
    native.call(selection, step.alter, step.direction, step.granularity);
    const after = selectionOffsets(root, selection);
    if (after) return;
    // Stepped out of the passage (into the page around it): stop at its edge instead.
    const edge = step.direction === "forward" ? text.length : 0;
    setSelectionOffsets(root, selection, step.alter === "extend" ? before.anchor : edge, edge);
    return;
  }
  let focus: number;
  if (step.alter === "move" && before.anchor !== before.focus && step.granularity === "character") {
    // A selection collapses to its edge in the direction of the arrow, as in a text field.
    focus = step.direction === "forward" ? Math.max(before.anchor, before.focus) : Math.min(before.anchor, before.focus);
  } else {
    focus = moveOffset(text, before.focus, step.direction, step.granularity);
  }
  setSelectionOffsets(root, selection, step.alter === "extend" ? before.anchor : focus, focus);
}

/**
 * Where to draw a caret for DOM point (`node`, `offset`), relative to `origin`'s box: a 0-width
 * rectangle. Null when the browser gives no geometry (jsdom).
 */
export function caretRect(node: Node, offset: number, origin: Element): { left: number; top: number; height: number } | null {
  const doc = node.ownerDocument ?? document;
  const range = doc.createRange();
  const box = origin.getBoundingClientRect();
  const pick = (r: DOMRect | undefined, edge: "left" | "right") =>
    r && r.height > 0 ? { left: (edge === "left" ? r.left : r.right) - box.left, top: r.top - box.top, height: r.height } : null;
  const rects = (r: Range) => (typeof r.getClientRects === "function" ? Array.from(r.getClientRects()) : []);
  try {
    range.setStart(node, offset);
    range.collapse(true);
    const at = pick(rects(range)[0], "left");
    if (at) return at;
    if (node.nodeType === Node.TEXT_NODE) {
      const data = (node as Text).data;
      if (offset > 0) {
        range.setStart(node, offset - 1);
        range.setEnd(node, offset);
        const before = pick(rects(range).at(-1), "right");
        if (before) return before;
      }
      if (offset < data.length) {
        range.setStart(node, offset);
        range.setEnd(node, offset + 1);
        return pick(rects(range)[0], "left");
      }
    }
  } catch {
    // a point that no longer exists (the text was re-rendered)
  }
  return null;
}
