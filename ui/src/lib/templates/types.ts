/** The props every template component shares (`TaskCommon`) and the extra keys one adds to the shortcut list. */

import type { Snippet } from "svelte";
import type { ItemView } from "../bindings";
import type { ReviewAnchor } from "../api/client";

/** What every template component receives besides its template and payload. */
export interface TaskCommon {
  item: ItemView;
  readOnly: boolean;
  /** Effective chords, for button titles. */
  shortcuts: Record<string, string>;
  /** A review anchor to show (the reviewer's comment on returned work, or the one being set). */
  highlight?: ReviewAnchor | null;
  /** A reviewer is picking an anchor: selections, dot clicks and times become anchors. */
  reviewing?: boolean;
  onanchor?: (anchor: ReviewAnchor) => void;
  /** Rendered at the bottom of the answers pane (submit bar or review panel). */
  footer?: Snippet;
  /** Short feedback ("Select passage text first"). */
  notify?: (message: string, kind?: "info" | "warn" | "error" | "ok") => void;
}

/** Extra keys a template handles on top of its template actions (shown in the `?` overlay). */
export interface ExtraKey {
  keys: string;
  label: string;
}
