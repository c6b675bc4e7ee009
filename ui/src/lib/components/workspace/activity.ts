/**
 * The workspace's activity timer input: the page events that count as working on the shown
 * item (keys, pointer, typing, wheel, media playing), pointer moves at most once a second.
 * The counter itself is `stores/timer.ts`; `sessions.svelte.ts` pauses it when an item is
 * left or the page is hidden.
 */

const EVENTS = ["keydown", "pointerdown", "pointermove", "input", "wheel", "timeupdate"] as const;

/** Calls `onActivity` on each sign of work; returns the function that stops listening. */
export function trackActivity(onActivity: () => void, target: Window = window): () => void {
  let lastMove = 0;
  const handler = (e: Event) => {
    if (e.type === "pointermove") {
      const now = Date.now();
      if (now - lastMove < 1000) return;
      lastMove = now;
    }
    onActivity();
  };
  for (const type of EVENTS) target.addEventListener(type, handler, { capture: true, passive: true });
  return () => {
    for (const type of EVENTS) target.removeEventListener(type, handler, { capture: true });
  };
}
