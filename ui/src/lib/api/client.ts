/** The typed API client: every command the UI calls, over one `Transport` (HTTP or Tauri). */

import type {
  AnnotationView,
  ItemView,
  JsonValue,
  QueueArgs,
  QueueView,
  QuotaReport,
  ReviewTask,
  SaveArgs,
  Violation,
  WorkEntry,
} from "../bindings";
import type { CommandName, Commands } from "../bindings/commands";
import type { TemplateView } from "../template";
import type { Me } from "../bindings";
import type { CallOptions, Transport } from "./transport";

export type Decision = "approved" | "returned";

/** Where a review comment points: a passage span, an image object or a video time. */
export type ReviewAnchor = { span: [number, number] } | { object: string } | { time: number };

/** Every call the UI makes, typed. All go through one `Transport`. */
export class ApiClient {
  readonly transport: Transport;

  constructor(transport: Transport) {
    this.transport = transport;
  }

  /** One command of the generated table: its arguments and result are the Rust types. */
  private call<K extends CommandName>(name: K, args: Commands[K]["args"], options?: CallOptions): Promise<Commands[K]["result"]> {
    return this.transport.call<Commands[K]["result"]>(name, args, options);
  }

  me(): Promise<Me> {
    return this.call("me", {});
  }

  template(): Promise<TemplateView> {
    return this.call("template", {});
  }

  /** The first page of the caller's queue, or with `after` the next page of new items after that item id. */
  queue(limit?: number, after?: number): Promise<QueueView> {
    const args: QueueArgs = {};
    if (limit !== undefined) args.limit = limit;
    if (after !== undefined) args.after = after;
    return this.call("queue", args);
  }

  /** The caller's own annotations (any state), most recently changed first. */
  recentWork(limit?: number): Promise<WorkEntry[]> {
    return this.call("recent_work", limit === undefined ? {} : { limit });
  }

  getItem(itemId: number): Promise<ItemView> {
    return this.call("get_item", { item_id: itemId });
  }

  /** Saves a draft; `suggestion`: what the save records about a model suggestion shown (none: left out). */
  saveDraft(
    itemId: number,
    payload: JsonValue,
    timeSpentMs: number,
    options?: CallOptions,
    suggestion?: SuggestionRecord | null,
  ): Promise<AnnotationView> {
    return this.call("save_draft", saveArgs(itemId, payload, timeSpentMs, suggestion), options);
  }

  submit(itemId: number, payload: JsonValue, timeSpentMs: number, suggestion?: SuggestionRecord | null): Promise<AnnotationView> {
    return this.call("submit", saveArgs(itemId, payload, timeSpentMs, suggestion));
  }

  validate(itemId: number, payload: JsonValue): Promise<Violation[]> {
    return this.call("validate", { item_id: itemId, payload });
  }

  pendingReviews(limit?: number): Promise<AnnotationView[]> {
    return this.call("pending_reviews", limit === undefined ? {} : { limit });
  }

  /** Every annotation of an item but drafts (reviewers and leads). */
  itemAnnotations(itemId: number): Promise<AnnotationView[]> {
    return this.call("item_annotations", { item_id: itemId });
  }

  /** The template's dataset targets against the work so far (reviewers and leads). */
  quotas(): Promise<QuotaReport> {
    return this.call("quotas", {});
  }

  getAnnotation(annotationId: number): Promise<ReviewTask> {
    return this.call("get_annotation", { annotation_id: annotationId });
  }

  review(
    annotationId: number,
    version: number,
    decision: Decision,
    comment: string | null,
    anchor: ReviewAnchor | null,
  ): Promise<AnnotationView> {
    return this.call("review", {
      annotation_id: annotationId,
      version,
      decision,
      comment,
      anchor,
    });
  }

  /** URL of an item's media: the server's own when it gave one, else the transport's. */
  mediaUrl(item: ItemView): string {
    return item.media_url ?? this.transport.mediaUrl(item.id);
  }
}

/** What a save records about a model suggestion shown for the item (`SaveArgs`' suggestion fields). */
export type SuggestionRecord = Required<Pick<SaveArgs, "suggestion_shown" | "suggestion_accepted">>;

/**
 * `SaveArgs`; the suggestion fields only when a suggestion was shown (absent means none was,
 * so a server without them, whose `SaveArgs` denies unknown fields, never sees them).
 */
function saveArgs(itemId: number, payload: JsonValue, timeSpentMs: number, suggestion?: SuggestionRecord | null): SaveArgs {
  const args: SaveArgs = { item_id: itemId, payload, time_spent_ms: Math.max(0, Math.round(timeSpentMs)) };
  if (suggestion) Object.assign(args, suggestion);
  return args;
}
