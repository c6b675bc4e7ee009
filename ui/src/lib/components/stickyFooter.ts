/**
 * Svelte action for a footer stuck to the bottom of its scrolling pane (the submit bar, the
 * review panel). It keeps the pane's `--footer-h` at the footer's height, so the pane's
 * `scroll-padding-bottom` (app.css) scrolls focused fields and hints above the footer instead
 * of behind it, and marks the footer `covering` (a shadow on its top edge) while part of the
 * pane's content lies underneath it, so nothing looks finished when it is not.
 */
export function stickyFooter(node: HTMLElement): { destroy(): void } {
  const pane = node.parentElement;
  const check = () => {
    if (!pane) return;
    node.classList.toggle("covering", pane.scrollTop + pane.clientHeight < pane.scrollHeight - 2);
  };
  const set = () => {
    pane?.style.setProperty("--footer-h", `${Math.ceil(node.getBoundingClientRect().height)}px`);
    check();
  };
  set();
  const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(set);
  ro?.observe(node);
  if (pane) ro?.observe(pane);
  // The content's height changes as fields grow and lists fill.
  const mo = typeof MutationObserver === "undefined" || !pane ? null : new MutationObserver(check);
  mo?.observe(pane as Node, { childList: true, subtree: true });
  pane?.addEventListener("scroll", check, { passive: true });
  return {
    destroy() {
      ro?.disconnect();
      mo?.disconnect();
      pane?.removeEventListener("scroll", check);
      pane?.style.removeProperty("--footer-h");
    },
  };
}
