/** The toasts shown by `Toasts.svelte`: short messages that go away by themselves. */

export type ToastKind = "info" | "ok" | "warn" | "error";

export interface Toast {
  id: number;
  message: string;
  kind: ToastKind;
}

/** Short messages ("Select passage text first"), announced politely to screen readers. */
export class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;

  show(message: string, kind: ToastKind = "info", ms = 3500): void {
    const id = this.#next++;
    this.items = [...this.items.filter((t) => t.message !== message), { id, message, kind }].slice(-4);
    if (ms > 0) setTimeout(() => this.dismiss(id), ms);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();
