/**
 * Live validation of the shown item: after each edit (debounced) the work is checked with the
 * `validate` command and the answer feeds the validation summary. Answers to an older request
 * or for another item are dropped; when the check fails (offline) the summary keeps its last
 * answer. A submit's own answer (`settle`) replaces whatever is in flight.
 */

import type { JsonValue, Violation } from "../../bindings";
import type { ApiClient } from "../../api/client";

export interface ValidationOptions {
  client: () => ApiClient;
  /** Debounce after an edit. */
  delayMs: () => number;
  /** The shown item (null: none). */
  itemId: () => number | null;
  /** Whether the shown item can still be changed (nothing to check otherwise). */
  editable: () => boolean;
  /** The work as it is now. */
  snapshot: () => JsonValue;
}

export class LiveValidation {
  violations = $state<Violation[]>([]);
  /** Whether `violations` is an answer (not just "not checked yet"). */
  validated = $state(false);

  readonly #o: ValidationOptions;
  #token = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ValidationOptions) {
    this.#o = options;
  }

  /** Another item is shown: nothing checked yet. */
  reset(): void {
    this.violations = [];
    this.validated = false;
  }

  /** Checks the work after `delay` (again from the start if a check was already waiting). */
  schedule(delay = this.#o.delayMs()): void {
    clearTimeout(this.#timer);
    const id = this.#o.itemId();
    if (id === null || !this.#o.editable()) return;
    this.#timer = setTimeout(() => {
      const mine = ++this.#token;
      const snapshot = this.#o.snapshot();
      this.#o
        .client()
        .validate(id, snapshot)
        .then(
          (v) => {
            if (mine !== this.#token || this.#o.itemId() !== id) return;
            this.violations = v;
            this.validated = true;
          },
          () => undefined, // offline: the summary keeps its last answer
        );
    }, delay);
  }

  /** Drops the check that is waiting (the item is left). */
  cancel(): void {
    clearTimeout(this.#timer);
  }

  /** A submit is under way: its answer wins over any check waiting or in flight. */
  supersede(): void {
    this.#token++;
    clearTimeout(this.#timer);
  }

  /** The answer a submit brought (none on success, the unmet rules on refusal). */
  settle(violations: Violation[]): void {
    this.violations = violations;
    this.validated = true;
  }
}
