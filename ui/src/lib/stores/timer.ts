/** After this long without input the clock stops (issue 18: the figure the quality report uses). */
export const IDLE_MS = 60_000;

/**
 * Active time on one item: counts while the page is visible and the annotator has done
 * something (typed, clicked, scrolled, played media) within the last `idleMs` (default
 * `IDLE_MS`, 60 s); the workspace pauses it while the page is hidden. Time is handed
 * to the server in increments with each save (`take`), and given back if the save fails.
 */
export class ActiveTimer {
  readonly idleMs: number;
  readonly #now: () => number;
  #pendingMs = 0;
  #since: number | null = null;
  #lastActivity = 0;

  constructor(options: { idleMs?: number; now?: () => number; pendingMs?: number } = {}) {
    this.idleMs = options.idleMs ?? IDLE_MS;
    this.#now = options.now ?? (() => Date.now());
    this.#pendingMs = options.pendingMs ?? 0;
  }

  get running(): boolean {
    return this.#since !== null;
  }

  /** The annotator did something: start or continue counting. */
  activity(): void {
    const now = this.#now();
    if (this.#since !== null && now - this.#lastActivity > this.idleMs) {
      // They had gone idle: close the segment at their last action and start a new one.
      this.#pendingMs += Math.max(0, this.#lastActivity - this.#since);
      this.#since = now;
    } else if (this.#since === null) {
      this.#since = now;
    }
    this.#lastActivity = now;
  }

  /** Stop counting (item left, page hidden). */
  pause(): void {
    if (this.#since === null) return;
    this.#pendingMs += this.#segment(this.#now());
    this.#since = null;
  }

  /** Time counted and not yet taken. */
  peek(): number {
    return this.#pendingMs + (this.#since === null ? 0 : this.#segment(this.#now()));
  }

  /** Takes the time counted so far (for a save); counting goes on. */
  take(): number {
    const now = this.#now();
    let ms = this.#pendingMs;
    if (this.#since !== null) {
      ms += this.#segment(now);
      const idle = now - this.#lastActivity > this.idleMs;
      this.#since = idle ? null : now;
    }
    this.#pendingMs = 0;
    return Math.round(ms);
  }

  /** Returns time a failed save had taken. */
  giveBack(ms: number): void {
    this.#pendingMs += Math.max(0, ms);
  }

  #segment(now: number): number {
    if (this.#since === null) return 0;
    const end = now - this.#lastActivity > this.idleMs ? this.#lastActivity : now;
    return Math.max(0, end - this.#since);
  }
}
