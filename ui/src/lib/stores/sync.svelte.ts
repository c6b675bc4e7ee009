/** The desktop app's sync state: settings, status, a running sync and its progress and result. */

import type { SyncConfig, SyncReport, SyncStatus } from "../bindings";
import { ApiError, describeError } from "../api/errors";
import type { SyncClient, SyncProgress } from "../api/sync";

/** A failed call, as the panel shows it. */
export interface SyncFailure {
  code: string;
  message: string;
}

function failure(err: unknown): SyncFailure {
  return { code: err instanceof ApiError ? err.code : "internal", message: describeError(err) };
}

/**
 * The desktop's S3 sync: settings, what is waiting, and "Sync now" with its progress and the
 * reports of what moved. It outlives the panel, so a sync keeps running (and its result
 * stays) while the panel is closed.
 */
export class SyncStore {
  /** The project's settings; null when sync is not set up (see `loaded`). */
  config = $state<SyncConfig | null>(null);
  loaded = $state(false);
  loadError = $state<SyncFailure | null>(null);
  status = $state<SyncStatus | null>(null);
  statusLoading = $state(false);
  statusError = $state<SyncFailure | null>(null);
  saving = $state(false);
  saveError = $state<SyncFailure | null>(null);
  running = $state(false);
  progress = $state<SyncProgress | null>(null);
  /** The last sync's reports (run order), until the next one starts. */
  reports = $state<SyncReport[] | null>(null);
  /** Why the last sync failed. */
  error = $state<SyncFailure | null>(null);

  readonly #client: SyncClient;
  readonly #onsynced: (reports: SyncReport[]) => void;
  #loading: Promise<void> | null = null;
  #statusToken = 0;

  constructor(client: SyncClient, onsynced: (reports: SyncReport[]) => void = () => undefined) {
    this.#client = client;
    this.#onsynced = onsynced;
  }

  /** Loads once (a load already under way is shared). */
  ensureLoaded(): Promise<void> {
    if (this.loaded) return Promise.resolve();
    this.#loading ??= this.load().finally(() => (this.#loading = null));
    return this.#loading;
  }

  /**
   * Reads the settings. What is waiting is asked separately (`refreshStatus`): it reaches the
   * store, and a sync about to start would only ask again when it ends.
   */
  async load(): Promise<void> {
    this.loadError = null;
    try {
      this.config = await this.#client.settings();
      this.loaded = true;
    } catch (err) {
      this.loadError = failure(err);
    }
  }

  /** Asks the store what is waiting (the newest answer wins). */
  async refreshStatus(): Promise<void> {
    if (!this.config) return;
    const mine = ++this.#statusToken;
    this.statusLoading = true;
    this.statusError = null;
    try {
      const status = await this.#client.status();
      if (mine === this.#statusToken) this.status = status;
    } catch (err) {
      if (mine === this.#statusToken) {
        this.status = null;
        this.statusError = failure(err);
      }
    } finally {
      if (mine === this.#statusToken) this.statusLoading = false;
    }
  }

  /** Saves the settings; true when they were accepted. */
  async save(config: SyncConfig): Promise<boolean> {
    this.saving = true;
    this.saveError = null;
    try {
      this.config = await this.#client.save(config);
      this.loaded = true;
      this.reports = null;
      this.error = null;
    } catch (err) {
      this.saveError = failure(err);
      return false;
    } finally {
      this.saving = false;
    }
    void this.refreshStatus();
    return true;
  }

  /** Pushes and pulls; a second call while one runs does nothing. */
  async syncNow(): Promise<void> {
    if (this.running || !this.config) return;
    this.running = true;
    this.error = null;
    this.reports = null;
    this.progress = { direction: null, phase: "connecting", position: 0, total: null };
    try {
      const reports = await this.#client.syncNow((p) => {
        if (this.running) this.progress = p;
      });
      this.reports = reports;
      this.#onsynced(reports);
    } catch (err) {
      this.error = failure(err);
    } finally {
      this.running = false;
      this.progress = null;
    }
    await this.refreshStatus();
  }
}

/** Every message of what moved in one report, empty when nothing did. */
export function reportLines(r: SyncReport): string[] {
  const lines: string[] = [];
  const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;
  const push = r.direction === "push";
  if (r.batches.length > 0) {
    lines.push(`${n(r.batches.length, "batch", "batches")} ${push ? "published" : "received"}: ${r.batches.join(", ")}`);
  }
  if (r.items_added > 0) lines.push(`${n(r.items_added, "new item")} to label`);
  if (r.recovered > 0) lines.push(`${n(r.recovered, "earlier version")} of your work taken back`);
  if (r.versions > 0) lines.push(`${n(r.versions, "annotation version")} ${push ? "pushed" : "merged"}`);
  if (r.segments.length > 0) lines.push(`${n(r.segments.length, "result file")} ${push ? "written" : "read"}`);
  if (r.duplicate_versions > 0) lines.push(`${n(r.duplicate_versions, "version")} already merged earlier (skipped)`);
  if (r.reviews > 0) {
    const back = r.returned > 0 ? ` (${n(r.returned, "item")} returned to you for rework)` : "";
    lines.push(`${n(r.reviews, "review")} ${push ? "published to annotators" : "received from the lead"}${back}`);
  }
  if (r.media_files > 0) lines.push(`${n(r.media_files, "media file")} ${push ? "uploaded" : "downloaded"} (${formatBytes(r.media_bytes)})`);
  if (r.resumed_parts > 0) lines.push(`${n(r.resumed_parts, "part")} of an interrupted upload reused`);
  if (r.resumed_bytes > 0) lines.push(`${formatBytes(r.resumed_bytes)} of interrupted downloads reused`);
  return lines;
}

/** What did not need moving, in a few words ("2 batches, 3 media files up to date"). */
export function unchangedLine(r: SyncReport): string | null {
  const parts: string[] = [];
  if (r.batches_unchanged > 0) parts.push(`${r.batches_unchanged} batch${r.batches_unchanged === 1 ? "" : "es"}`);
  if (r.segments_unchanged > 0) parts.push(`${r.segments_unchanged} result file${r.segments_unchanged === 1 ? "" : "s"}`);
  if (r.media_unchanged > 0) parts.push(`${r.media_unchanged} media file${r.media_unchanged === 1 ? "" : "s"}`);
  return parts.length > 0 ? `${parts.join(", ")} already up to date` : null;
}

/** 1536 → "1.5 KB" (powers of 1024, as file managers show them). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Words for a progress message: "Pulling — merging results". */
export function progressLabel(p: SyncProgress | null): string {
  if (!p) return "";
  if (p.direction === null) return p.phase === "done" ? "Finishing" : "Connecting to the store";
  const verb = p.direction === "push" ? "Pushing" : "Pulling";
  return p.phase ? `${verb} — ${p.phase}` : verb;
}

/** "12.0 MB of 48.0 MB" for byte phases, "3 of 10" otherwise; "" when the total is unknown. */
export function progressCount(p: SyncProgress | null): string {
  if (!p || p.total === null) return "";
  const bytes = /media/.test(p.phase);
  return bytes ? `${formatBytes(p.position)} of ${formatBytes(p.total)}` : `${p.position} of ${p.total}`;
}

/** `s3://bucket/prefix`. */
export function location(c: SyncConfig): string {
  return c.prefix ? `s3://${c.bucket}/${c.prefix}` : `s3://${c.bucket}`;
}

/** Where the store is: the endpoint, else AWS in its region. */
export function endpointText(c: SyncConfig): string {
  if (c.endpoint) return c.endpoint;
  return c.region ? `AWS S3 (${c.region})` : "AWS S3";
}

/** What the user can do about a failed sync, by error code (null when the message says it already). */
export function failureHint(code: string, message = ""): string | null {
  switch (code) {
    case "unauthenticated":
      if (message.includes("AWS_ACCESS_KEY_ID")) return null;
      return "Check the AWS credentials Sift runs with: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in its environment, or the profile in the settings.";
    case "forbidden":
      return "The credentials were accepted but may not use this bucket or prefix.";
    case "unavailable":
      return "Check the endpoint, the network and that the store is running, then sync again: finished transfers are kept.";
    case "not_found":
      return "Check the bucket name, and that the lead has pushed this project.";
    case "conflict":
      return "Something on the store does not match this project: read the message above.";
    default:
      return null;
  }
}
