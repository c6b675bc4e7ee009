/** The typed API client: every command the UI calls, over one `Transport` (HTTP or Tauri). */

import type {
  AnnotationView,
  ItemView,
  JsonValue,
  QueueArgs,
  QueueView,
  ReviewTask,
  SaveArgs,
  Violation,
  WorkEntry,
} from "../bindings";
import type { TemplateView } from "../template";
import type { Me } from "../bindings";
import type { SuggestionRecord } from "./pending-bindings";
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

  me(): Promise<Me> {
    return this.transport.call<Me>("me", {});
  }

  template(): Promise<TemplateView> {
    return this.transport.call<TemplateView>("template", {});
  }

  /** The first page of the caller's queue, or with `after` the next page of new items after that item id. */
  queue(limit?: number, after?: number): Promise<QueueView> {
    const args: QueueArgs = {};
    if (limit !== undefined) args.limit = limit;
    if (after !== undefined) args.after = after;
    return this.transport.call<QueueView>("queue", args);
  }

  /** The caller's own annotations (any state), most recently changed first. */
  recentWork(limit?: number): Promise<WorkEntry[]> {
    return this.transport.call<WorkEntry[]>("recent_work", limit === undefined ? {} : { limit });
  }

  getItem(itemId: number): Promise<ItemView> {
    return this.transport.call<ItemView>("get_item", { item_id: itemId });
  }

  /** Saves a draft; `suggestion`: what the save records about a model suggestion shown (none: left out). */
  saveDraft(
    itemId: number,
    payload: JsonValue,
    timeSpentMs: number,
    options?: CallOptions,
    suggestion?: SuggestionRecord | null,
  ): Promise<AnnotationView> {
    return this.transport.call<AnnotationView>("save_draft", saveArgs(itemId, payload, timeSpentMs, suggestion), options);
  }

  submit(itemId: number, payload: JsonValue, timeSpentMs: number, suggestion?: SuggestionRecord | null): Promise<AnnotationView> {
    return this.transport.call<AnnotationView>("submit", saveArgs(itemId, payload, timeSpentMs, suggestion));
  }

  validate(itemId: number, payload: JsonValue): Promise<Violation[]> {
    return this.transport.call<Violation[]>("validate", { item_id: itemId, payload });
  }

  pendingReviews(limit?: number): Promise<AnnotationView[]> {
    return this.transport.call<AnnotationView[]>("pending_reviews", limit === undefined ? {} : { limit });
  }

  getAnnotation(annotationId: number): Promise<ReviewTask> {
    return this.transport.call<ReviewTask>("get_annotation", { annotation_id: annotationId });
  }

  review(
    annotationId: number,
    version: number,
    decision: Decision,
    comment: string | null,
    anchor: ReviewAnchor | null,
  ): Promise<AnnotationView> {
    return this.transport.call<AnnotationView>("review", {
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

/** `SaveArgs`; the suggestion fields only when a suggestion was shown (see pending-bindings.ts). */
function saveArgs(itemId: number, payload: JsonValue, timeSpentMs: number, suggestion?: SuggestionRecord | null): SaveArgs & Partial<SuggestionRecord> {
  const args: SaveArgs & Partial<SuggestionRecord> = { item_id: itemId, payload, time_spent_ms: Math.max(0, Math.round(timeSpentMs)) };
  if (suggestion) Object.assign(args, suggestion);
  return args;
}
