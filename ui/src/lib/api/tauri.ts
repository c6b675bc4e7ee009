/** The Tauri transport: commands as `invoke` calls to the desktop shell, media from its loopback server. */

import { NetworkError, toApiError } from "./errors";
import type { Transport } from "./transport";

type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;

/** Talks to the desktop shell through Tauri's IPC. Errors arrive as `{code, message, violations?}`. */
export class TauriTransport implements Transport {
  readonly #invoke: Invoke;
  #mediaBase: string | null = null;

  constructor(invoke: Invoke) {
    this.#invoke = invoke;
  }

  /** Loads `@tauri-apps/api/core` lazily, so the browser build does not pay for it. */
  static async create(): Promise<TauriTransport> {
    const core = await import("@tauri-apps/api/core");
    return new TauriTransport(core.invoke as Invoke);
  }

  /** Set from `me.media_base_url` once known. */
  setMediaBase(base: string | null): void {
    this.#mediaBase = base ? base.replace(/\/+$/, "") : null;
  }

  async call<T>(command: string, args: object): Promise<T> {
    try {
      return await this.#invoke<T>(command, { ...(args as Record<string, unknown>) });
    } catch (err) {
      if (typeof err === "object" && err !== null && "code" in err) throw toApiError(err);
      if (typeof err === "string") throw toApiError({ code: "internal", message: err });
      throw new NetworkError(err instanceof Error ? err.message : "The desktop shell did not answer");
    }
  }

  mediaUrl(itemId: number): string {
    const base = this.#mediaBase ?? "";
    return `${base}/items/${encodeURIComponent(String(itemId))}`;
  }
}

/** Whether the page runs inside the desktop shell. */
export function inTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
