import type { AnnotationView, JsonValue } from "../bindings";
import type { ApiClient } from "../api/client";
import { ApiError, describeError, isRetryable } from "../api/errors";
import type { LocalDrafts } from "./localDrafts";
import type { ActiveTimer } from "./timer";

export type SaveStatus = "idle" | "dirty" | "saving" | "saved" | "offline" | "error";

export const SAVE_STATUS_TEXT: Record<SaveStatus, string> = {
  idle: "",
  dirty: "Unsaved changes",
  saving: "Saving…",
  saved: "Saved",
  offline: "Offline – kept locally",
  error: "Not saved",
};

export interface AutosaveOptions {
  client: ApiClient;
  itemId: number;
  local: LocalDrafts;
  timer: ActiveTimer;
  /** Server version the work starts from (null: nothing saved yet). */
  baseVersion: number | null;
  debounceMs?: number;
  /** Delays between retries of a failed save; the last one repeats. */
  retryMs?: number[];
  onSaved?: (view: AnnotationView) => void;
  onUnauthenticated?: () => void;
}

function clone(payload: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(payload)) as JsonValue;
}

/**
 * Saves one item's draft: debounced after each change, immediately on `flush` (blur, item
 * change, page hide). Every unsaved change is also written to `localStorage` at once, so a
 * crash, a closed tab or a lost network never loses work; failed saves are retried with backoff.
 */
export class Autosave {
  status = $state<SaveStatus>("idle");
  error = $state<string | null>(null);
  savedAt = $state<number | null>(null);

  readonly itemId: number;
  readonly #o: Required<Omit<AutosaveOptions, "onSaved" | "onUnauthenticated" | "baseVersion">> &
    Pick<AutosaveOptions, "onSaved" | "onUnauthenticated">;
  #baseVersion: number | null;
  #pending: JsonValue | undefined = undefined;
  #debounce: ReturnType<typeof setTimeout> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #retryCount = 0;
  #chain: Promise<boolean> = Promise.resolve(true);
  #disposed = false;

  constructor(options: AutosaveOptions) {
    this.itemId = options.itemId;
    this.#baseVersion = options.baseVersion;
    this.#o = {
      client: options.client,
      itemId: options.itemId,
      local: options.local,
      timer: options.timer,
      debounceMs: options.debounceMs ?? 800,
      retryMs: options.retryMs ?? [2_000, 5_000, 10_000, 30_000],
      onSaved: options.onSaved,
      onUnauthenticated: options.onUnauthenticated,
    };
  }

  /** Whether some change has not reached the server yet. */
  get hasUnsaved(): boolean {
    return this.#pending !== undefined;
  }

  get baseVersion(): number | null {
    return this.#baseVersion;
  }

  /** The annotator changed the work: keep it locally now, save it after the debounce. */
  change(payload: JsonValue): void {
    if (this.#disposed) return;
    this.#pending = clone(payload);
    this.#keepLocally();
    this.status = this.status === "offline" ? "offline" : "dirty";
    this.#clearDebounce();
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      void this.flush();
    }, this.#o.debounceMs);
  }

  /** Saves now whatever is pending. Resolves true when nothing is left unsaved. */
  flush(options: { keepalive?: boolean } = {}): Promise<boolean> {
    this.#clearDebounce();
    const run = this.#chain.then(() => this.#save(options.keepalive === true));
    this.#chain = run.catch(() => false);
    return run;
  }

  /** The page is being hidden or closed: keep locally (synchronous), then send with keepalive. */
  flushOnHide(): void {
    if (this.#pending === undefined) return;
    this.#keepLocally();
    void this.flush({ keepalive: true });
  }

  /** Stops the pending save without forgetting the local copy (a submit carries the work). */
  cancelPending(): void {
    this.#clearDebounce();
    this.#clearRetry();
    this.#pending = undefined;
  }

  /** Drops what is pending without saving (after a successful submit). */
  discardPending(): void {
    this.#clearDebounce();
    this.#clearRetry();
    this.#pending = undefined;
    this.#o.local.remove(this.itemId);
  }

  /** Waits for saves in flight (used before a submit so the two never race). */
  settle(): Promise<boolean> {
    return this.#chain;
  }

  /** Stops timers. Pending work stays in localStorage. */
  dispose(): void {
    this.#disposed = true;
    this.#clearDebounce();
    this.#clearRetry();
  }

  async #save(keepalive: boolean): Promise<boolean> {
    const payload = this.#pending;
    if (payload === undefined) return true;
    this.#pending = undefined;
    this.#clearRetry();
    const ms = this.#o.timer.take();
    this.status = "saving";
    try {
      const view = await this.#o.client.saveDraft(this.itemId, payload, ms, { keepalive });
      this.#baseVersion = view.version;
      this.#retryCount = 0;
      this.error = null;
      this.savedAt = Date.now();
      if (this.#pending === undefined) {
        this.#o.local.remove(this.itemId);
        this.status = "saved";
      } else {
        this.#keepLocally(); // newer work arrived while saving; it keeps the new base version
        this.status = "dirty";
      }
      this.#o.onSaved?.(view);
      return this.#pending === undefined;
    } catch (err) {
      this.#o.timer.giveBack(ms);
      if (this.#pending === undefined) this.#pending = payload;
      this.#keepLocally();
      if (err instanceof ApiError && err.code === "unauthenticated") {
        this.status = "offline";
        this.error = describeError(err);
        this.#o.onUnauthenticated?.();
      } else if (isRetryable(err)) {
        this.status = "offline";
        this.error = describeError(err);
        this.#scheduleRetry();
      } else {
        this.status = "error";
        this.error = describeError(err);
      }
      return false;
    }
  }

  #keepLocally(): void {
    if (this.#pending === undefined) return;
    this.#o.local.put(this.itemId, {
      payload: this.#pending,
      pendingMs: this.#o.timer.peek(),
      savedAt: Date.now(),
      baseVersion: this.#baseVersion,
    });
  }

  #scheduleRetry(): void {
    if (this.#disposed || this.#retry !== null) return;
    const delays = this.#o.retryMs;
    const delay = delays[Math.min(this.#retryCount, delays.length - 1)];
    this.#retryCount++;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      void this.flush();
    }, delay);
  }

  #clearDebounce(): void {
    if (this.#debounce !== null) clearTimeout(this.#debounce);
    this.#debounce = null;
  }

  #clearRetry(): void {
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
  }
}
