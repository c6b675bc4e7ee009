/** An in-memory Sift for unit tests: one project, one annotator, a queue and a review list. */
import type {
  AnnotationView,
  ItemView,
  JsonValue,
  QuotaReport,
  QueueEntry,
  QueueView,
  ReviewTask,
  Violation,
  WorkEntry,
} from "../lib/bindings";
import { ApiError, NetworkError } from "../lib/api/errors";
import type { CallOptions, Transport } from "../lib/api/transport";
import type { Me } from "../lib/bindings";
import type { TemplateKind, TemplateView } from "../lib/template";
import type { PayloadOf } from "../lib/templates/payload";
import qa from "./templates/qa.json";
import ranking from "./templates/ranking.json";
import image from "./templates/image-caption.json";
import video from "./templates/video-caption.json";
import classification from "./templates/classification.json";

export const TEMPLATES = {
  qa: qa as unknown as TemplateView,
  ranking: ranking as unknown as TemplateView,
  "image-caption": image as unknown as TemplateView,
  "video-caption": video as unknown as TemplateView,
  classification: classification as unknown as TemplateView,
};

export interface Call {
  command: string;
  args: Record<string, any>;
  options?: CallOptions;
}

type Failure = Error | ((args: Record<string, any>) => Error | null);

/** `K`: the template kind (the type of the payloads it records). */
export class FakeTransport<K extends TemplateKind = TemplateKind> implements Transport {
  template: TemplateView;
  me: Me;
  items = new Map<number, JsonValue>();
  annotations = new Map<number, AnnotationView>();
  /** Submitted work of other annotators, for review tests. */
  reviewQueue: ReviewTask[] = [];
  /** More annotations of items (approved or returned work of others), for `item_annotations`. */
  moreAnnotations: AnnotationView[] = [];
  /** The answer to `quotas`. */
  quotaReport: QuotaReport = { lines: [], all_met: true };
  calls: Call[] = [];
  /** Model suggestions by item id, sent as `ItemView.suggestion` (the generated `Suggestion`). */
  suggestions = new Map<number, unknown>();
  /** Gold answers by item id: a submission of one answers with `gold` feedback. */
  gold = new Map<number, { labels: string[] }>();
  /** Violations `validate` answers (and `submit` refuses with, when not empty). */
  violations: Violation[] = [];
  #failures = new Map<string, Failure[]>();
  #failAlways = new Map<string, Failure>();
  #nextAnnotation = 100;
  #clock = Date.parse("2026-01-01T00:00:00Z");

  constructor(kind: K, contents: JsonValue[], role: Me["annotator"]["role"] = "annotator") {
    this.template = TEMPLATES[kind];
    this.me = {
      annotator: { name: "ann", role },
      project: {
        name: "demo",
        path: "/tmp/demo",
        template: this.template.name,
        kind,
        label_attribute: this.template.label_attribute,
        created_at: "2026-01-01T00:00:00Z",
        schema_version: 1,
      },
      media_base_url: null,
      read_only: false,
    };
    contents.forEach((c, i) => this.items.set(i + 1, c));
  }

  /** Gives item `itemId` a saved draft (version 1, by "ann", nothing reviewed) holding `payload`. */
  seedDraft(itemId: number, id: number, payload: PayloadOf<K>, updatedAt = new Date().toISOString()): void {
    this.annotations.set(itemId, {
      id,
      item_id: itemId,
      annotator: "ann",
      state: "draft",
      version: 1,
      submitted_version: null,
      payload: payload as JsonValue,
      time_spent_ms: 0,
      updated_at: updatedAt,
      reviews: [],
    });
  }

  /** The next `command` call fails with `error` (once per call to this method). */
  failNext(command: string, error: Failure = new NetworkError()): void {
    const list = this.#failures.get(command) ?? [];
    list.push(error);
    this.#failures.set(command, list);
  }

  /** Every `command` call fails until `heal`. */
  failAlways(command: string, error: Failure = new NetworkError()): void {
    this.#failAlways.set(command, error);
  }

  heal(command: string): void {
    this.#failAlways.delete(command);
    this.#failures.delete(command);
  }

  callsOf(command: string): Call[] {
    return this.calls.filter((c) => c.command === command);
  }

  /** The payload of the last `command` call (undefined, typed as a payload, when there was none). */
  lastPayload(command = "save_draft"): PayloadOf<K> {
    const c = this.callsOf(command);
    return (c.length === 0 ? undefined : c[c.length - 1].args.payload) as PayloadOf<K>;
  }

  mediaUrl(itemId: number): string {
    return `/media/items/${itemId}`;
  }

  async call<T>(command: string, args: object, options?: CallOptions): Promise<T> {
    const a = JSON.parse(JSON.stringify(args)) as Record<string, any>;
    this.calls.push({ command, args: a, options });
    const queued = this.#failures.get(command);
    const failure = queued && queued.length > 0 ? queued.shift() : this.#failAlways.get(command);
    if (failure) {
      const err = typeof failure === "function" ? failure(a) : failure;
      if (err) throw err;
    }
    return this.#answer(command, a) as T;
  }

  #now(): string {
    this.#clock += 1000;
    return new Date(this.#clock).toISOString();
  }

  #item(id: number): ItemView {
    const content = this.items.get(id);
    if (content === undefined) throw new ApiError("not_found", `item ${id}`);
    // A suggestion is sent as the server sends it (the UI reads it defensively).
    return { id, content, media_url: null, annotation: this.annotations.get(id) ?? null, suggestion: (this.suggestions.get(id) ?? null) as ItemView["suggestion"] };
  }

  #withGold(view: AnnotationView): AnnotationView {
    const expected = this.gold.get(view.item_id);
    if (!expected) return view;
    const given = ((view.payload as { labels?: string[] } | null)?.labels ?? []).slice().sort();
    return { ...view, gold: { correct: JSON.stringify(given) === JSON.stringify(expected.labels.slice().sort()), expected } };
  }

  #record(itemId: number, payload: JsonValue, ms: number, submit: boolean): AnnotationView {
    const prev = this.annotations.get(itemId);
    if (prev && (prev.state === "submitted" || prev.state === "approved")) {
      throw new ApiError("conflict", "already submitted");
    }
    const version = (prev?.version ?? 0) + 1;
    const view: AnnotationView = {
      id: prev?.id ?? this.#nextAnnotation++,
      item_id: itemId,
      annotator: this.me.annotator.name,
      state: submit ? "submitted" : prev?.state === "returned" ? "returned" : "draft",
      version,
      submitted_version: submit ? version : (prev?.submitted_version ?? null),
      payload,
      time_spent_ms: (prev?.time_spent_ms ?? 0) + ms,
      updated_at: this.#now(),
      reviews: prev?.reviews ?? [],
    };
    this.annotations.set(itemId, view);
    return view;
  }

  #answer(command: string, a: Record<string, any>): unknown {
    switch (command) {
      case "me":
        return this.me;
      case "template":
        return this.template;
      case "queue": {
        const done = [...this.annotations.values()].filter((v) => v.state === "submitted" || v.state === "approved").length;
        if (a.after !== undefined) {
          // The next page of never-started items after `after`, in import order.
          const fresh: QueueEntry[] = [...this.items.keys()]
            .filter((id) => id > a.after && !this.annotations.has(id))
            .sort((x, y) => x - y)
            .map((id) => ({ item_id: id, reason: "new", score: null, strategy: null }));
          const view: QueueView = { entries: fresh.slice(0, a.limit ?? 100), total_items: this.items.size, done };
          return view;
        }
        const entries: QueueEntry[] = [];
        for (const id of this.items.keys()) {
          const ann = this.annotations.get(id);
          if (ann && (ann.state === "submitted" || ann.state === "approved")) continue;
          const reason = ann?.state === "returned" ? "returned" : ann ? "draft" : "new";
          entries.push({ item_id: id, reason, score: null, strategy: null });
        }
        const order = { returned: 0, draft: 1, assigned: 2, new: 3 };
        entries.sort((x, y) => order[x.reason] - order[y.reason] || x.item_id - y.item_id);
        const view: QueueView = { entries: entries.slice(0, a.limit ?? 100), total_items: this.items.size, done };
        return view;
      }
      case "recent_work": {
        const mine = [...this.annotations.values()].filter((v) => v.annotator === this.me.annotator.name);
        mine.sort((x, y) => y.updated_at.localeCompare(x.updated_at) || y.id - x.id);
        const out: WorkEntry[] = mine.slice(0, a.limit ?? 100).map((v) => ({
          item_id: v.item_id,
          annotation_id: v.id,
          state: v.state,
          version: v.version,
          updated_at: v.updated_at,
        }));
        return out;
      }
      case "get_item":
        return this.#item(a.item_id);
      case "save_draft":
        return this.#record(a.item_id, a.payload, a.time_spent_ms, false);
      case "submit":
        if (this.violations.length > 0) {
          throw new ApiError("invalid_input", `${this.violations.length} rules are not met`, this.violations);
        }
        return this.#withGold(this.#record(a.item_id, a.payload, a.time_spent_ms, true));
      case "validate":
        return this.violations;
      case "item_annotations":
        return [...this.reviewQueue.map((t) => t.annotation), ...this.moreAnnotations].filter((v) => v.item_id === a.item_id);
      case "quotas":
        return this.quotaReport;
      case "pending_reviews":
        return this.reviewQueue.map((t) => t.annotation);
      case "get_annotation": {
        const t = this.reviewQueue.find((r) => r.annotation.id === a.annotation_id);
        if (!t) throw new ApiError("not_found", `annotation ${a.annotation_id}`);
        return t;
      }
      case "review": {
        const t = this.reviewQueue.find((r) => r.annotation.id === a.annotation_id);
        if (!t) throw new ApiError("not_found", `annotation ${a.annotation_id}`);
        if (a.decision === "returned" && !a.comment) throw new ApiError("invalid_input", "returning needs a comment");
        this.reviewQueue = this.reviewQueue.filter((r) => r !== t);
        return { ...t.annotation, state: a.decision };
      }
    }
    throw new ApiError("not_found", `unknown command ${command}`);
  }
}
