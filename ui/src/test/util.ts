/** Test helpers: render the app on a fake transport, send key chords, select text. */

import { expect } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import App from "../App.svelte";
import type { FakeTransport } from "./fake";

/** Renders the whole app on a fake transport and waits for the first item. */
export async function renderApp(fake: FakeTransport) {
  const result = render(App, { props: { transport: fake } });
  await waitFor(() => expect(window.__siftReady).toBe(true));
  return result;
}

/** A chord on the window, as the browser sends it. */
export function press(key: string, init: { alt?: boolean; ctrl?: boolean; shift?: boolean; meta?: boolean; code?: string } = {}, target: Element | Window = window) {
  const code = init.code ?? (/^[a-z]$/i.test(key) ? `Key${key.toUpperCase()}` : /^[0-9]$/.test(key) ? `Digit${key}` : key);
  return fireEvent.keyDown(target, { key, code, altKey: !!init.alt, ctrlKey: !!init.ctrl, shiftKey: !!init.shift, metaKey: !!init.meta, bubbles: true });
}

/** Selects characters [from, to) (UTF-16 offsets) of an element's text. */
export function selectText(el: Element, from: number, to: number): void {
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  const points: Array<[Node, number]> = [];
  let offset = 0;
  let node: Node | null;
  while ((node = walker.nextNode())) {
    const len = (node as Text).data.length;
    if (points.length === 0 && from <= offset + len) points.push([node, from - offset]);
    if (points.length === 1 && to <= offset + len) {
      points.push([node, to - offset]);
      break;
    }
    offset += len;
  }
  const range = document.createRange();
  range.setStart(points[0][0], points[0][1]);
  range.setEnd(points[1][0], points[1][1]);
  const sel = window.getSelection()!;
  sel.removeAllRanges();
  sel.addRange(range);
}

export { screen, waitFor, fireEvent };
