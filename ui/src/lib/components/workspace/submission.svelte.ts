/**
 * Submitting the shown item: stops the pending autosave and waits for a save in flight (the two
 * never race), hands over the active time, and on success moves on (the next item in the
 * queue, or back to the queue from "My work"). When the submit fails nothing is lost: the work
 * is kept (locally now, as a draft when possible), the time is given back, and refused work
 * shows its unmet rules with the summary focused.
 */

import { tick } from "svelte";
import type { GoldFeedback, JsonValue } from "../../bindings";
import type { ApiClient } from "../../api/client";
import { ApiError, describeError } from "../../api/errors";
import type { QueueStore } from "../../stores/queue.svelte";
import { toasts } from "../../stores/toasts.svelte";
import type { ShownItem } from "./items.svelte";
import type { LiveValidation } from "./validation.svelte";

/**
 * What an annotator is told after submitting a check item (a gold item, with feedback on):
 * never before the submission, so it cannot steer the answer.
 */
export function goldMessage(gold: GoldFeedback): string {
  const e = gold.expected as { labels?: unknown } | null;
  const labels = e && Array.isArray(e.labels) ? e.labels.filter((l): l is string => typeof l === "string") : null;
  const expected = labels && labels.length > 0 ? `: ${labels.join(" + ")}` : "";
  return gold.correct
    ? `Submitted. That was a check item, and your answer matches the expected one${expected}.`
    : `Submitted. That was a check item: the expected answer was different${expected}.`;
}

export interface SubmissionOptions {
  client: () => ApiClient;
  queue: () => QueueStore;
  shown: ShownItem;
  validation: LiveValidation;
  /** Moves focus to the validation summary (after a refusal). */
  focusSummary: () => void;
  onUnauthenticated: () => void;
}

export class Submission {
  submitting = $state(false);
  readonly #o: SubmissionOptions;

  constructor(options: SubmissionOptions) {
    this.#o = options;
  }

  async submit(): Promise<void> {
    const { shown, validation } = this.#o;
    const item = shown.item;
    const s = shown.session;
    if (!item || !s || shown.readOnly || this.submitting) return;
    this.submitting = true;
    const itemId = item.id;
    const snapshot = JSON.parse(JSON.stringify(shown.payload)) as JsonValue;
    s.autosave.cancelPending();
    await s.autosave.settle();
    const ms = s.timer.take();
    validation.supersede();
    try {
      const view = await this.#o.client().submit(itemId, snapshot, ms, shown.suggestionRecord(itemId, snapshot));
      s.autosave.discardPending();
      const queue = this.#o.queue();
      queue.updateAnnotation(view);
      if (shown.item?.id === itemId) {
        shown.annotation = view;
        validation.settle([]);
      }
      if (view.gold) toasts.show(goldMessage(view.gold), view.gold.correct ? "ok" : "warn", 9000);
      else toasts.show("Submitted", "ok", 2000);
      void queue.refreshCounts().catch(() => undefined);
      if (shown.item?.id === itemId) {
        if (shown.override !== null) shown.override = null; // opened from "My work": back to the queue
        else await shown.go(() => queue.next());
      }
    } catch (err) {
      s.timer.giveBack(ms);
      s.autosave.change(snapshot); // keep the work: locally now, as a draft when possible
      if (err instanceof ApiError && err.code === "invalid_input") {
        validation.settle(err.violations.length > 0 ? err.violations : [{ path: "", code: "invalid_payload", message: err.message }]);
        await tick();
        this.#o.focusSummary();
        toasts.show("Not submitted yet: some rules are not met", "warn");
      } else if (err instanceof ApiError && err.code === "unauthenticated") {
        this.#o.onUnauthenticated();
      } else {
        toasts.show(`Not submitted: ${describeError(err)}`, "error", 6000);
      }
    } finally {
      this.submitting = false;
    }
  }
}
