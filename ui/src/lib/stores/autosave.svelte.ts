/**
 * Saving one item's draft: debounced after each change, at once on `flush`, every unsaved change
 * kept in `localStorage` first; retries by cause (network, a busy project, a full disk or a
 * read-only project), and the save state the header shows.
 */

import type { AnnotationView, JsonValue } from "../bindings";
import type { ApiClient } from "../api/client";
import type { SuggestionRecord } from "../api/client";
import { ApiError, describeError, isRetryable } from "../api/errors";
import type { LocalDrafts } from "./localDrafts";
import type { ActiveTimer } from "./timer";

/**
 * `busy`: another writer holds the project's lock (retried soon); `blocked`: the project cannot
 * be written (`problem` says why; retried now and then, and on the next edit).
 */
export type SaveStatus = "idle" | "dirty" | "saving" | "saved" | "offline" | "busy" | "blocked" | "error";

/** Why saving is blocked: a full disk, or a project that cannot be written. */
export type SaveProblem = "storage_full" | "read_only";

export const SAVE_STATUS_TEXT: Record<SaveStatus, string> = {
  idle: "",
  dirty: "Unsaved changes",
  saving: "Saving…",
  saved: "Saved",
  offline: "Offline – kept locally",
  busy: "Project busy – retrying",
  blocked: "Not saved – kept locally",
  error: "Not saved",
};

const PROBLEM_TEXT: Record<SaveProblem, string> = {
  storage_full: "Disk full – kept locally",
  read_only: "Read-only – kept locally",
};

/** The save state in a few words (naming the cause when saving is blocked). */
export function saveStatusText(status: SaveStatus, problem: SaveProblem | null): string {
  return status === "blocked" && problem ? PROBLEM_TEXT[problem] : SAVE_STATUS_TEXT[status];
}

export interface AutosaveOptions {
  client: ApiClient;
  itemId: number;
  local: LocalDrafts;
  timer: ActiveTimer;
  /** Server version the work starts from (null: nothing saved yet). */
  baseVersion: number | null;
  debounceMs?: number;
  /** Delays between retries of a save that failed offline; the last one repeats. */
  retryMs?: number[];
  /** Delays between retries while the project is busy (locked by another writer); the last one repeats. */
  busyRetryMs?: number[];
  /** Period of the retries while the disk is full or the project read-only. */
  blockedRetryMs?: number;
  onSaved?: (view: AnnotationView) => void;
  onUnauthenticated?: () => void;
  /** What a save of this payload records about a model suggestion shown for the item (null: none shown). */
  suggestion?: (payload: JsonValue) => SuggestionRecord | null;
}

function clone(payload: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(payload)) as JsonValue;
}

/**
 * Saves one item's draft: debounced after each change, immediately on `flush` (blur, item
 * change, page hide). Every unsaved change is also written to `localStorage` at once, so a
 * crash, a closed tab, a lost network or a project that cannot be written never loses work;
 * failed saves are retried with backoff (a busy project soon, a full disk or a read-only
 * project periodically and on the next edit).
 */
export class Autosave {
  status = $state<SaveStatus>("idle");
  error = $state<string | null>(null);
  /** Why saving is blocked (status `blocked`), else null. */
  problem = $state<SaveProblem | null>(null);
  savedAt = $state<number | null>(null);

  readonly itemId: number;
  readonly #o: Required<Omit<AutosaveOptions, "onSaved" | "onUnauthenticated" | "baseVersion" | "suggestion">> &
    Pick<AutosaveOptions, "onSaved" | "onUnauthenticated" | "suggestion">;
  #baseVersion: number | null;
  #pending: JsonValue | undefined = undefined;
  #debounce: ReturnType<typeof setTimeout> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #retryCount = 0;
  /** What the retries are waiting out (their count restarts when it changes). */
  #retryCause: "offline" | "busy" | "blocked" | null = null;
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
      busyRetryMs: options.busyRetryMs ?? [250, 500, 1_000, 2_000, 4_000],
      blockedRetryMs: options.blockedRetryMs ?? 15_000,
      onSaved: options.onSaved,
      onUnauthenticated: options.onUnauthenticated,
      suggestion: options.suggestion,
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
    // A known problem stays on screen while typing: it is still there until a save gets through.
    if (this.status !== "offline" && this.status !== "busy" && this.status !== "blocked") this.status = "dirty";
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
      const view = await this.#o.client.saveDraft(this.itemId, payload, ms, { keepalive }, this.#o.suggestion?.(payload) ?? null);
      this.#baseVersion = view.version;
      this.#retryCount = 0;
      this.#retryCause = null;
      this.error = null;
      this.problem = null;
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
      this.error = describeError(err);
      this.problem = null;
      const code = err instanceof ApiError ? err.code : null;
      if (code === "unauthenticated") {
        this.status = "offline";
        this.#o.onUnauthenticated?.();
      } else if (code === "busy") {
        this.status = "busy";
        this.#scheduleRetry("busy");
      } else if (code === "storage_full" || code === "read_only") {
        this.status = "blocked";
        this.problem = code;
        this.#scheduleRetry("blocked");
      } else if (isRetryable(err)) {
        this.status = "offline";
        this.#scheduleRetry("offline");
      } else {
        this.status = "error";
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

  #scheduleRetry(cause: "offline" | "busy" | "blocked"): void {
    if (this.#disposed || this.#retry !== null) return;
    if (cause !== this.#retryCause) {
      this.#retryCause = cause;
      this.#retryCount = 0;
    }
    const delays = cause === "busy" ? this.#o.busyRetryMs : cause === "blocked" ? [this.#o.blockedRetryMs] : this.#o.retryMs;
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
