/** The annotator's queue: its order, the position in it, paging, and a cache of fetched items. */

import type { AnnotationView, ItemView, QueueEntry, QueueView } from "../bindings";
import type { ApiClient } from "../api/client";

interface CacheEntry {
  promise: Promise<ItemView>;
  value: ItemView | null;
  at: number;
}

export interface QueueOptions {
  /** How many entries to ask the server for at once. */
  limit?: number;
  /** How many items ahead (and one behind) to fetch in the background. */
  prefetch?: number;
  /** Cached items older than this are fetched again on the next visit. */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * The annotator's queue for this session: an ordered list of unique items (returned work first,
 * then drafts, assigned and new, as the server orders them), a position in it, and a cache of
 * fetched items so moving on renders at once.
 */
export class QueueStore {
  entries = $state<QueueEntry[]>([]);
  index = $state(0);
  totalItems = $state(0);
  done = $state(0);
  loaded = $state(false);
  /** The server had nothing more to give: "All done". */
  exhausted = $state(false);
  /** Items still waiting for this person (drafts, returned work, skipped and new items). */
  remaining = $state(0);

  readonly #client: ApiClient;
  readonly #limit: number;
  readonly #prefetch: number;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<number, CacheEntry>();
  /** The next page past the end of the list, asked for ahead of time. */
  #continuation: { after: number; promise: Promise<QueueView> } | null = null;

  constructor(client: ApiClient, options: QueueOptions = {}) {
    this.#client = client;
    this.#limit = options.limit ?? 200;
    this.#prefetch = options.prefetch ?? 2;
    this.#maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
    this.#now = options.now ?? (() => Date.now());
  }

  get current(): QueueEntry | null {
    return this.exhausted ? null : (this.entries[this.index] ?? null);
  }

  /** 1-based position and length, for "n of m". */
  get position(): { n: number; m: number } {
    return { n: this.entries.length === 0 ? 0 : this.index + 1, m: this.entries.length };
  }

  get hasPrevious(): boolean {
    return this.index > 0 || (this.exhausted && this.entries.length > 0);
  }

  /** Fetches the queue from the start. */
  async load(): Promise<void> {
    const view = await this.#client.queue(this.#limit);
    this.entries = dedupe(view.entries);
    this.#counts(view);
    this.index = 0;
    this.exhausted = this.entries.length === 0;
    this.#continuation = null;
    this.loaded = true;
    this.prefetch();
  }

  /**
   * Moves to the next item; past the end of the list, continues with the server's next page of
   * new items (never back to the first page). Returns whether one exists.
   */
  async next(): Promise<boolean> {
    if (!this.exhausted && this.index + 1 < this.entries.length) {
      this.index++;
      this.prefetch();
      return true;
    }
    return this.#continue();
  }

  /** Moves back one item (from "All done", back to the last one). */
  previous(): boolean {
    if (this.exhausted && this.entries.length > 0) {
      this.exhausted = false;
      this.index = this.entries.length - 1;
      return true;
    }
    if (this.index === 0) return false;
    this.index--;
    this.prefetch();
    return true;
  }

  /** Jumps to an item already in the list. */
  goTo(itemId: number): boolean {
    const i = this.entries.findIndex((e) => e.item_id === itemId);
    if (i < 0) return false;
    this.exhausted = false;
    this.index = i;
    this.prefetch();
    return true;
  }

  /** Puts the current item at the end of the list and moves on. */
  async skip(): Promise<boolean> {
    const current = this.current;
    if (!current) return false;
    if (this.entries.length === 1) return (await this.#continue()) || this.#refill(1);
    const rest = this.entries.filter((_, i) => i !== this.index);
    this.entries = [...rest, current];
    if (this.index >= this.entries.length - 1) this.index = 0;
    this.prefetch();
    return true;
  }

  /** Asks the server again (used from "All done" and after submitting). */
  async refresh(): Promise<boolean> {
    return this.#refill(this.entries.length);
  }

  /**
   * Merges the server's queue in: items not in the list are appended; items seen earlier and
   * still waiting (drafts, skipped) move to the end. Then moves to position `at` if it exists.
   */
  async #refill(at: number): Promise<boolean> {
    const view = await this.#client.queue(this.#limit);
    this.#counts(view);
    this.#continuation = null;
    const fresh = dedupe(view.entries);
    const currentId = this.entries[this.index]?.item_id;
    const keep = this.entries.slice(0, at);
    const waitingAgain = new Set(fresh.map((e) => e.item_id));
    // Earlier items the server still lists move to the end, except the one on screen.
    const history = keep.filter((e) => !waitingAgain.has(e.item_id) || e.item_id === currentId);
    const historyIds = new Set(history.map((e) => e.item_id));
    const appended = fresh.filter((e) => !historyIds.has(e.item_id));
    this.entries = [...history, ...appended];
    if (appended.length === 0) {
      this.exhausted = true;
      this.index = Math.max(0, this.entries.length - 1);
      return false;
    }
    this.exhausted = false;
    this.index = history.length;
    this.prefetch();
    return true;
  }

  /**
   * Past the end of the list: the next page of new items after the last new item we hold
   * (`queue {after}`), appended. "All done" only when that page has nothing we do not hold.
   */
  async #continue(): Promise<boolean> {
    const after = this.#lastNewId();
    const pending = this.#continuation;
    this.#continuation = null;
    let view = pending && pending.after === after ? await pending.promise.catch(() => null) : null;
    // An empty prefetched page may be stale (items imported since): ask again to be sure.
    if (!view || view.entries.length === 0) view = await this.#client.queue(this.#limit, after);
    this.#counts(view);
    const held = new Set(this.entries.map((e) => e.item_id));
    const appended = dedupe(view.entries).filter((e) => !held.has(e.item_id));
    if (appended.length === 0) {
      this.exhausted = true;
      this.index = Math.max(0, this.entries.length - 1);
      return false;
    }
    const at = this.entries.length;
    this.entries = [...this.entries, ...appended];
    this.exhausted = false;
    this.index = at;
    this.prefetch();
    return true;
  }

  /** The id of the last never-started item in the list (0: none), where the next page starts. */
  #lastNewId(): number {
    let last = 0;
    for (const e of this.entries) if (e.reason === "new" && e.item_id > last) last = e.item_id;
    return last;
  }

  #counts(view: QueueView): void {
    this.totalItems = view.total_items;
    this.done = view.done;
    // Everything still waiting for this person: drafts, returned work, skipped and new items.
    this.remaining = Math.max(0, view.total_items - view.done);
  }

  /** Updates the progress counts only. */
  async refreshCounts(): Promise<void> {
    const view = await this.#client.queue(1);
    this.#counts(view);
  }

  /** The cached item, if fetched and fresh: lets the UI render without waiting. */
  cached(itemId: number): ItemView | null {
    const c = this.#cache.get(itemId);
    if (!c || !c.value || this.#now() - c.at > this.#maxAgeMs) return null;
    return c.value;
  }

  /** The item, from the cache or the server. */
  item(itemId: number): Promise<ItemView> {
    const c = this.#cache.get(itemId);
    if (c && this.#now() - c.at <= this.#maxAgeMs) return c.promise;
    return this.#fetch(itemId);
  }

  /** Fetches again, ignoring the cache. */
  reload(itemId: number): Promise<ItemView> {
    return this.#fetch(itemId);
  }

  /** Fetches the next items (and the previous one) in the background. */
  prefetch(): void {
    const ids: number[] = [];
    for (let k = 1; k <= this.#prefetch; k++) {
      const e = this.entries[this.index + k];
      if (e) ids.push(e.item_id);
    }
    const prev = this.entries[this.index - 1];
    if (prev) ids.push(prev.item_id);
    for (const id of ids) {
      const c = this.#cache.get(id);
      if (!c || this.#now() - c.at > this.#maxAgeMs) void this.#fetch(id).catch(() => undefined);
    }
    // Near the end of the list: ask for the next page already, so moving on stays instant.
    if (this.entries.length > 0 && this.index + this.#prefetch >= this.entries.length - 1) {
      const after = this.#lastNewId();
      if (this.#continuation?.after !== after) {
        const promise = this.#client.queue(this.#limit, after);
        promise.then(
          (view) => {
            for (const e of view.entries.slice(0, this.#prefetch)) {
              if (!this.#cache.has(e.item_id)) void this.#fetch(e.item_id).catch(() => undefined);
            }
          },
          () => undefined,
        );
        this.#continuation = { after, promise };
      }
    }
  }

  /** Our own save or submit changed an item's annotation: keep the cache in step. */
  updateAnnotation(view: AnnotationView): void {
    const c = this.#cache.get(view.item_id);
    if (c?.value) {
      const value = { ...c.value, annotation: view };
      this.#cache.set(view.item_id, { promise: Promise.resolve(value), value, at: c.at });
    }
  }

  /** Forgets a cached item (e.g. after an error). */
  forget(itemId: number): void {
    this.#cache.delete(itemId);
  }

  #fetch(itemId: number): Promise<ItemView> {
    const entry: CacheEntry = { promise: this.#client.getItem(itemId), value: null, at: this.#now() };
    this.#cache.set(itemId, entry);
    entry.promise.then(
      (v) => {
        if (this.#cache.get(itemId) === entry) entry.value = v;
      },
      () => {
        if (this.#cache.get(itemId) === entry) this.#cache.delete(itemId);
      },
    );
    return entry.promise;
  }
}

function dedupe(entries: QueueEntry[]): QueueEntry[] {
  const seen = new Set<number>();
  return entries.filter((e) => (seen.has(e.item_id) ? false : (seen.add(e.item_id), true)));
}
