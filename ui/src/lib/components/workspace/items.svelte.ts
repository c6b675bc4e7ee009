/**
 * Which item the workspace shows, and loading it: the queue's current item or one reopened
 * from "My work" (`override`); moving through the queue; fetching the item (or taking it from
 * the queue's cache); choosing between the server's copy and a copy kept in this browser;
 * the load error and its retry. Leaving an item pauses its timer and saves what is pending.
 */

import { tick } from "svelte";
import type { AnnotationView, ItemView, JsonValue, Payload, WorkEntry } from "../../bindings";
import { ApiError, describeError } from "../../api/errors";
import { chooseCopy, isEditable, type LocalDrafts } from "../../stores/localDrafts";
import type { QueueStore } from "../../stores/queue.svelte";
import { toasts } from "../../stores/toasts.svelte";
import type { TemplateView } from "../../template";
import { normalizePayload } from "../../templates/payload";
import { suggestionRecord, usableSuggestion } from "../../templates/suggestion";
import type { Suggestion } from "../../bindings";
import type { AutosaveSessions, Session } from "./sessions.svelte";
import type { LiveValidation } from "./validation.svelte";

export interface ItemsOptions {
  template: () => TemplateView;
  queue: () => QueueStore;
  local: () => LocalDrafts;
  sessions: AutosaveSessions;
  validation: LiveValidation;
  onUnauthenticated: () => void;
}

export class ShownItem {
  item = $state<ItemView | null>(null);
  annotation = $state<AnnotationView | null>(null);
  /** The work on screen (normalised for the template's kind); the task component edits it in place. */
  payload = $state<Payload | null>(null);
  session = $state<Session | null>(null);
  loading = $state(false);
  loadError = $state<string | null>(null);
  /** An item opened from "My work" that is not in the queue's list (null: the queue's item). */
  override = $state<number | null>(null);
  /** The work as last shown or saved, as JSON: a payload that differs is an edit. */
  lastJson = "";

  readonly #o: ItemsOptions;
  #openToken = 0;
  /** The model suggestion shown with each item opened (as last fetched), for what saves record. */
  readonly #suggestions = new Map<number, Suggestion | null>();

  constructor(options: ItemsOptions) {
    this.#o = options;
  }

  /** Whether the work on screen cannot be changed (nothing shown, submitted or approved). */
  get readOnly(): boolean {
    return !this.item || !isEditable(this.annotation);
  }

  /** The queue entry shown (null for an item opened from "My work"). */
  get entry() {
    return this.override === null ? this.#o.queue().current : null;
  }

  /** The item to show: the one opened from "My work", else the queue's current one. */
  get shownId(): number | null {
    return this.override ?? this.#o.queue().current?.item_id ?? null;
  }

  /** Shows item `id` (null: nothing). */
  open(id: number | null): void {
    if (id !== null && this.item?.id === id && !this.loadError) return;
    this.#leave();
    const token = ++this.#openToken;
    this.loadError = null;
    if (id === null) {
      this.item = null;
      this.payload = null;
      this.session = null;
      this.loading = false;
      return;
    }
    const queue = this.#o.queue();
    const cached = queue.cached(id);
    if (cached) {
      this.#show(cached, token);
      return;
    }
    this.loading = true;
    queue.item(id).then(
      (view) => token === this.#openToken && this.#show(view, token),
      (err) => {
        if (token !== this.#openToken) return;
        this.loading = false;
        this.item = null;
        this.payload = null;
        this.loadError = describeError(err);
        if (err instanceof ApiError && err.code === "unauthenticated") this.#o.onUnauthenticated();
      },
    );
  }

  /** Fetches the item that could not be loaded again. */
  retry(): void {
    const id = this.shownId;
    if (this.item === null && id !== null) {
      this.#o.queue().forget(id);
      this.loadError = null;
      this.open(id);
    }
  }

  /** What a save of `payload` for item `itemId` records about the suggestion shown with it (null: none). */
  suggestionRecord(itemId: number, payload: JsonValue) {
    return suggestionRecord(this.#o.template(), this.#suggestions.get(itemId) ?? null, payload);
  }

  /** A draft of some item reached the server. */
  saved(view: AnnotationView): void {
    this.#o.queue().updateAnnotation(view);
    if (this.item?.id === view.item_id) this.annotation = view;
  }

  /** Runs a queue step; errors become a toast (or the sign-in screen). */
  async go(step: () => Promise<boolean> | boolean): Promise<void> {
    try {
      await step();
    } catch (err) {
      if (err instanceof ApiError && err.code === "unauthenticated") this.#o.onUnauthenticated();
      else toasts.show(describeError(err), "error");
    }
  }

  /** From an item opened in "My work", back to where the queue was. */
  backToQueue(): void {
    this.override = null;
  }

  next(): void | Promise<void> {
    return this.override !== null ? this.backToQueue() : this.go(() => this.#o.queue().next());
  }

  previous(): void | Promise<void> {
    return this.override !== null ? this.backToQueue() : this.go(() => this.#o.queue().previous());
  }

  skip(): void | Promise<void> {
    return this.override !== null ? this.backToQueue() : this.go(() => this.#o.queue().skip());
  }

  /** Opens an item from "My work": in the queue's list when it is there, else on its own. */
  openWork(e: WorkEntry): void {
    if (e.item_id === this.item?.id && !this.loadError) return;
    const queue = this.#o.queue();
    // A reviewer may have acted on it since it was fetched: show the server's state now.
    queue.forget(e.item_id);
    if (queue.goTo(e.item_id)) this.override = null;
    else this.override = e.item_id;
  }

  #leave(): void {
    this.#o.validation.cancel();
    if (this.session) {
      this.session.timer.pause();
      void this.session.autosave.flush();
    }
  }

  #show(view: ItemView, token: number): void {
    const { local, sessions, validation } = this.#o;
    const template = this.#o.template();
    this.loading = false;
    const copy = local().get(view.id);
    const choice = chooseCopy(view.annotation, copy);
    const serverPayload = normalizePayload(template, view.annotation?.payload ?? {});
    const serverJson = JSON.stringify(serverPayload);
    const shown = choice === "local" && copy ? normalizePayload(template, copy.payload) : serverPayload;
    const existing = sessions.get(view.id);
    if (choice === "server" && copy && !existing?.autosave.hasUnsaved) local().remove(view.id);
    this.#suggestions.set(view.id, usableSuggestion(template, view));
    const s = sessions.open(view.id, view.annotation?.version ?? null, choice === "local" ? (copy?.pendingMs ?? 0) : 0, (payload) =>
      this.suggestionRecord(view.id, payload),
    );
    this.item = view;
    this.annotation = view.annotation;
    this.session = s;
    validation.reset();
    this.lastJson = serverJson;
    this.payload = shown;
    if (choice === "local") {
      if (JSON.stringify(shown) === serverJson) local().remove(view.id);
      else toasts.show("Restored unsaved work kept in this browser", "info");
    }
    if (isEditable(view.annotation)) s.timer.activity();
    if (view.annotation && isEditable(view.annotation)) validation.schedule(50);
    void tick().then(() => {
      if (token !== this.#openToken) return;
      performance.mark(`sift:item-rendered:${view.id}`);
      window.__siftReady = true;
    });
  }
}
