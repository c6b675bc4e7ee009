/** The desktop app's S3 sync commands (Tauri only), typed. */

import type { SyncConfig, SyncReport, SyncStatus } from "../bindings";
import type { Transport } from "./transport";

/**
 * One progress message of `sync_now` (the desktop shell's `SyncProgress`). `direction` is
 * null while connecting (`phase: "connecting"`) and at the end (`phase: "done"`); `phase` is
 * "" when a direction starts, before the sync names a step ("uploading media"…); `total` is
 * null when unknown.
 */
export interface SyncProgress {
  direction: "push" | "pull" | null;
  phase: string;
  position: number;
  total: number | null;
}

/** Makes the object a command receives as a channel: each message goes to `onmessage`. */
export type MakeChannel = (onmessage: (message: SyncProgress) => void) => unknown;

/**
 * The desktop shell's S3 sync commands (desktop only: `sift serve` has none of them). Calls
 * go through the same transport as the labeling API, so failures are `ApiError`s.
 * Credentials never pass through here: the shell's AWS environment or profile supplies them.
 */
export class SyncClient {
  readonly #transport: Transport;
  readonly #channel: MakeChannel;

  constructor(transport: Transport, channel: MakeChannel) {
    this.#transport = transport;
    this.#channel = channel;
  }

  /** A client whose progress arrives through a Tauri channel (loaded lazily). */
  static async create(transport: Transport): Promise<SyncClient> {
    const core = await import("@tauri-apps/api/core");
    return new SyncClient(transport, (onmessage) => new core.Channel<SyncProgress>(onmessage));
  }

  /** The project's sync settings; null when sync is not set up. */
  settings(): Promise<SyncConfig | null> {
    return this.#transport.call<SyncConfig | null>("sync_settings", {});
  }

  /** Checks and saves the settings; answers them as stored. */
  save(config: SyncConfig): Promise<SyncConfig> {
    return this.#transport.call<SyncConfig>("save_sync_settings", { config });
  }

  /** What is waiting in each direction (asks the store). */
  status(): Promise<SyncStatus> {
    return this.#transport.call<SyncStatus>("sync_status", {});
  }

  /** Pushes and pulls in the order the role needs; one report per direction, in run order. */
  syncNow(onProgress: (progress: SyncProgress) => void): Promise<SyncReport[]> {
    return this.#transport.call<SyncReport[]>("sync_now", { on_progress: this.#channel(onProgress) });
  }
}
