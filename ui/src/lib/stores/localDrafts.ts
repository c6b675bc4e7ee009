/** Work kept in this browser until the server has it, and which copy to show on reopening. */

import type { AnnotationView, JsonValue } from "../bindings";

/** Work kept in the browser because the server has not confirmed it yet. */
export interface LocalDraft {
  payload: JsonValue;
  /** Active time not yet sent to the server. */
  pendingMs: number;
  /** When this copy was written (ms since the epoch). */
  savedAt: number;
  /** The server version this copy was edited from (null: none existed). */
  baseVersion: number | null;
}

function defaultStorage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage disabled (privacy settings)
  }
}

/** Drafts in `localStorage`, one key per item, namespaced by project and annotator. */
export class LocalDrafts {
  readonly #prefix: string;
  readonly #storage: Storage | null;

  constructor(namespace: string, storage: Storage | null = defaultStorage()) {
    this.#prefix = `sift:draft:${namespace}:`;
    this.#storage = storage;
  }

  key(itemId: number): string {
    return `${this.#prefix}${itemId}`;
  }

  get(itemId: number): LocalDraft | null {
    const raw = this.#storage?.getItem(this.key(itemId));
    if (!raw) return null;
    try {
      const v = JSON.parse(raw) as LocalDraft;
      if (typeof v !== "object" || v === null || typeof v.savedAt !== "number") return null;
      return { payload: v.payload ?? null, pendingMs: v.pendingMs ?? 0, savedAt: v.savedAt, baseVersion: v.baseVersion ?? null };
    } catch {
      return null;
    }
  }

  put(itemId: number, draft: LocalDraft): boolean {
    try {
      this.#storage?.setItem(this.key(itemId), JSON.stringify(draft));
      return this.#storage !== null;
    } catch {
      return false; // quota exceeded: the server copy is all there is
    }
  }

  remove(itemId: number): void {
    try {
      this.#storage?.removeItem(this.key(itemId));
    } catch {
      // ignore
    }
  }

  /** Item ids that have a local copy. */
  itemIds(): number[] {
    const s = this.#storage;
    if (!s) return [];
    const ids: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const k = s.key(i);
      if (k?.startsWith(this.#prefix)) {
        const id = Number(k.slice(this.#prefix.length));
        if (Number.isInteger(id)) ids.push(id);
      }
    }
    return ids;
  }
}

/** Whether the annotator may still change this work. */
export function isEditable(annotation: AnnotationView | null): boolean {
  return annotation === null || annotation.state === "draft" || annotation.state === "returned";
}

/**
 * Which copy to show when both the server and the browser have one: the local copy wins only
 * when the server copy is older (not saved since the local copy's base version, and not
 * updated after the local copy was written) and the work is still editable.
 */
export function chooseCopy(server: AnnotationView | null, local: LocalDraft | null): "server" | "local" {
  if (!local) return "server";
  if (!server) return "local";
  if (!isEditable(server)) return "server";
  if (local.baseVersion !== null && server.version > local.baseVersion) return "server";
  const serverTime = Date.parse(server.updated_at);
  if (Number.isFinite(serverTime) && serverTime > local.savedAt) return "server";
  return "local";
}
