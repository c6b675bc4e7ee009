/**
 * The workspace's autosave: one `Autosave` with its `ActiveTimer` per item opened in this
 * page (kept while the page lives, so work on an item left behind still saves), "Save draft"
 * (Mod+S), and the page events that save at once: the window losing focus, a text field
 * losing focus, the page being hidden (with keepalive) and the network coming back. How one
 * item's draft is saved (debounce, local copy, retries) is `stores/autosave.svelte.ts`.
 */

import type { AnnotationView, JsonValue } from "../../bindings";
import type { ApiClient } from "../../api/client";
import type { SuggestionRecord } from "../../api/client";
import { Autosave } from "../../stores/autosave.svelte";
import type { LocalDrafts } from "../../stores/localDrafts";
import { ActiveTimer } from "../../stores/timer";
import { toasts } from "../../stores/toasts.svelte";

/** One item's autosave and active time. */
export interface Session {
  timer: ActiveTimer;
  autosave: Autosave;
}

export interface SessionsOptions {
  client: () => ApiClient;
  local: () => LocalDrafts;
  debounceMs: () => number;
  /** A draft reached the server. */
  onSaved: (view: AnnotationView) => void;
  onUnauthenticated: () => void;
}

export class AutosaveSessions {
  readonly #sessions = new Map<number, Session>();
  readonly #o: SessionsOptions;

  constructor(options: SessionsOptions) {
    this.#o = options;
  }

  get(itemId: number): Session | undefined {
    return this.#sessions.get(itemId);
  }

  /**
   * The item's session, made when it is first opened: saves start from `baseVersion`, and
   * `pendingMs` is active time not yet sent (from a copy kept in this browser); `suggestion`
   * says what each save records about a model suggestion shown for the item.
   */
  open(
    itemId: number,
    baseVersion: number | null,
    pendingMs: number,
    suggestion?: (payload: JsonValue) => SuggestionRecord | null,
  ): Session {
    let s = this.#sessions.get(itemId);
    if (!s) {
      const timer = new ActiveTimer({ pendingMs });
      const autosave = new Autosave({
        client: this.#o.client(),
        itemId,
        local: this.#o.local(),
        timer,
        baseVersion,
        debounceMs: this.#o.debounceMs(),
        onSaved: this.#o.onSaved,
        onUnauthenticated: this.#o.onUnauthenticated,
        suggestion,
      });
      s = { timer, autosave };
      this.#sessions.set(itemId, s);
    }
    return s;
  }

  /** Saves every item with unsaved work; `hidden`: the page is going away (keepalive, timers paused). */
  flushAll(hidden: boolean): void {
    for (const s of this.#sessions.values()) {
      if (hidden) {
        s.timer.pause();
        s.autosave.flushOnHide();
      } else if (s.autosave.hasUnsaved) {
        void s.autosave.flush();
      }
    }
  }

  /**
   * Saves on page hide, on the network coming back, and (the shown item, `current`) when the
   * window loses focus. Returns the function that stops listening.
   */
  listen(current: () => Session | null): () => void {
    const onVisibility = () => document.visibilityState === "hidden" && this.flushAll(true);
    const onPageHide = () => this.flushAll(true);
    const onOnline = () => this.flushAll(false);
    const onBlur = () => {
      const s = current();
      if (s?.autosave.hasUnsaved) void s.autosave.flush();
    };
    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("pagehide", onPageHide);
    window.addEventListener("online", onOnline);
    window.addEventListener("blur", onBlur);
    return () => {
      document.removeEventListener("visibilitychange", onVisibility);
      window.removeEventListener("pagehide", onPageHide);
      window.removeEventListener("online", onOnline);
      window.removeEventListener("blur", onBlur);
    };
  }

  /** The workspace closes: save what is pending, stop the timers (local copies stay). */
  dispose(): void {
    this.flushAll(false);
    for (const s of this.#sessions.values()) s.autosave.dispose();
  }
}

/** "Save draft": saves now, or says why there is nothing to save. */
export async function saveNow(session: Session, hasServerCopy: boolean): Promise<void> {
  if (!session.autosave.hasUnsaved) {
    toasts.show(session.autosave.status === "saved" || hasServerCopy ? "Already saved" : "Nothing to save yet", "info", 1500);
    return;
  }
  await session.autosave.flush();
}

/** A text field lost focus: save what was typed in it. */
export function saveOnFieldBlur(e: FocusEvent, session: Session | null): void {
  const t = e.target;
  if ((t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement) && session?.autosave.hasUnsaved) {
    void session.autosave.flush();
  }
}
