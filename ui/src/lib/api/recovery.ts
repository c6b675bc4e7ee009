/**
 * The desktop shell's recovery from backup (Tauri only: `sift serve` has no such commands), typed.
 * A recent project whose folder has gone, but whose backup settings the shell remembered, is
 * offered back from its bucket; restoring it rebuilds it in the same folder and opens it.
 */

import type { Me } from "../bindings";
import type { Transport } from "./transport";

/** A recent project that is not on this disk, with a backup in its bucket (`recovery_candidates`). */
export interface RecoveryCandidate {
  /** The folder it lived in, and is restored into. */
  path: string;
  name: string;
  kind: string;
  /** `s3://bucket/prefix` of its backup. */
  location: string;
  /** When the newest change in the backup was written (Unix ms); null when the bucket could not be asked. */
  last_change_ms: number | null;
  /** Its age in seconds when asked. */
  last_change_age_s: number | null;
  /** Why the bucket could not be asked (credentials, network); null when it answered. */
  error: string | null;
}

/** What `restore_project` did: the project as opened, and the restore's report. */
export interface RestoredProject {
  me: Me;
  changes: number;
  last_change_ms: number | null;
  /** Damaged or missing objects the restore went around. */
  problems: string[];
  /** Whether backup is on again, to the same bucket and prefix. */
  backup_resumed: boolean;
}

/** The recent projects that can be restored from their backup (asks each bucket). */
export function recoveryCandidates(transport: Transport): Promise<RecoveryCandidate[]> {
  return transport.call<RecoveryCandidate[]>("recovery_candidates", {});
}

/** Restores the recent project in `path` from its backup, opens it and turns its backup on again. */
export function restoreProject(transport: Transport, path: string): Promise<RestoredProject> {
  return transport.call<RestoredProject>("restore_project", { path });
}

/** "just now", "2 min ago", "3 h ago", "5 days ago". */
export function describeAge(seconds: number): string {
  if (seconds < 60) return "just now";
  const min = Math.floor(seconds / 60);
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} days ago`;
}
