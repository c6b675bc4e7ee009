/**
 * The template as the `template` command returns it (`sift template show` prints the same JSON).
 * Written by hand: the template is not a generated binding.
 */

import { isMac, parseChord, sameChord, type Chord } from "./shortcuts";

export type TemplateKind = "qa" | "ranking" | "image-caption" | "video-caption" | "classification";

export interface QaRules {
  min_pairs: number;
  max_pairs: number;
  question_types: string[];
  required_question_types: string[];
  question_min_chars: number;
  question_max_chars: number;
  answer_min_chars: number;
  answer_max_chars: number;
  require_spans: boolean;
  allow_entire_passage: boolean;
  max_spans_per_pair?: number | null;
}

export interface RankingDimension {
  name: string;
  title?: string | null;
  description: string;
  direction?: "more-is-better" | "less-is-better";
}

export interface RankingClassification {
  name: string;
  question: string;
  options: string[];
  required?: boolean;
}

export interface RankingRules {
  min_responses: number;
  max_responses?: number | null;
  allow_ties: boolean;
  rationale: "off" | "optional" | "required";
  rationale_max_chars: number;
  dimensions: RankingDimension[];
  classifications: RankingClassification[];
}

export interface ImageRules {
  min_objects: number;
  max_objects?: number | null;
  object_name_max_chars: number;
  require_object_description: boolean;
  object_description_max_chars: number;
  min_relationships: number;
  require_setting: boolean;
  setting_max_chars: number;
  caption_min_words: number;
  caption_max_words?: number | null;
  caption_must_mention_objects: boolean;
}

export interface VideoRules {
  min_events: number;
  max_events?: number | null;
  event_description_max_chars: number;
  allow_overlapping_events: boolean;
  require_setting: boolean;
  setting_max_chars: number;
  caption_min_words: number;
  caption_max_words?: number | null;
}

/** One class of a classification template (labeling-templates/README.md, `rules.classes`). */
export interface ClassificationClass {
  name: string;
  /** What belongs in the class (may be empty). */
  description: string;
  /** The key that picks it, pressed without modifiers (one character), or "none". */
  key: string;
  /** `#rrggbb`. */
  colour: string;
}

export interface ClassificationRules {
  multi_label: boolean;
  /** Multi-label only (default 1). */
  min_labels?: number | null;
  /** Multi-label only. */
  max_labels?: number | null;
  allow_unsure: boolean;
  /** With `allow_unsure`. */
  unsure_reason?: "optional" | "required" | null;
  unsure_reason_max_chars?: number | null;
  classes: ClassificationClass[];
}

interface TemplateBase {
  name: string;
  version: number;
  title: string;
  description?: string | null;
  /** Markdown. */
  instructions: string;
  label_attribute: string;
  job_name: string;
  /** Action name → chord ("Mod+Enter", "Alt+C", "F1"), or "none" when unbound. */
  shortcuts: Record<string, string>;
}

export interface QaTemplate extends TemplateBase {
  kind: "qa";
  fields: { passage: string };
  rules: QaRules;
}

export interface RankingTemplate extends TemplateBase {
  kind: "ranking";
  fields: { prompt: string; responses: string };
  rules: RankingRules;
}

export interface ImageTemplate extends TemplateBase {
  kind: "image-caption";
  fields: { image: string; width?: string | null; height?: string | null };
  rules: ImageRules;
}

export interface VideoTemplate extends TemplateBase {
  kind: "video-caption";
  fields: { video: string; duration?: string | null; frame_rate?: string | null };
  rules: VideoRules;
}

export interface ClassificationTemplate extends TemplateBase {
  kind: "classification";
  /** Exactly one of `text` (the text to classify) and `image` (the image reference). */
  fields: { text: string; image?: undefined } | { image: string; text?: undefined };
  rules: ClassificationRules;
}

export type TemplateView = QaTemplate | RankingTemplate | ImageTemplate | VideoTemplate | ClassificationTemplate;

/** Shortcut actions every kind has. */
export const COMMON_ACTIONS = ["submit", "save_draft", "skip", "toggle_instructions"] as const;

export interface ActionInfo {
  chord: string;
  label: string;
  /**
   * An action of this UI only (not a template action of labeling-templates/README.md): bound
   * to its chord unless the template defines it or the chord is taken by a template action.
   */
  ui?: boolean;
  /** Only in the desktop app (S3 sync): left out in a browser over `sift serve`. */
  desktop?: boolean;
}

/** Every action per kind with its default chord and what it does (labeling-templates/README.md). */
export const ACTIONS: Record<TemplateKind | "common", Record<string, ActionInfo>> = {
  common: {
    submit: { chord: "Mod+Enter", label: "Submit the annotation" },
    save_draft: { chord: "Mod+S", label: "Save as draft" },
    skip: { chord: "Alt+S", label: "Skip the item" },
    toggle_instructions: { chord: "F1", label: "Show or hide the instructions" },
    open_my_work: { chord: "Alt+W", label: "Open “My work” (reopen earlier items)", ui: true },
    sync_now: { chord: "Alt+Y", label: "Sync now with the team’s S3 bucket (opens Sync)", ui: true, desktop: true },
  },
  qa: {
    focus_passage: { chord: "Alt+P", label: "Go to the passage (then Shift+arrows select)", ui: true },
    add_pair: { chord: "Alt+N", label: "Add a question/answer pair" },
    delete_pair: { chord: "Alt+Backspace", label: "Delete the selected pair" },
    next_pair: { chord: "Alt+Down", label: "Select the next pair" },
    previous_pair: { chord: "Alt+Up", label: "Select the previous pair" },
    cite_selection: { chord: "Alt+C", label: "Cite the selected passage text" },
    toggle_entire_passage: { chord: "Alt+E", label: "Toggle “references entire passage”" },
    cycle_question_type: { chord: "Alt+T", label: "Cycle the question type" },
  },
  ranking: {
    move_up: { chord: "Alt+Up", label: "Move the selected response up (better)" },
    move_down: { chord: "Alt+Down", label: "Move the selected response down (worse)" },
    next_response: { chord: "Alt+J", label: "Select the next response" },
    previous_response: { chord: "Alt+K", label: "Select the previous response" },
    next_dimension: { chord: "Alt+Right", label: "Next ranking dimension" },
    previous_dimension: { chord: "Alt+Left", label: "Previous ranking dimension" },
    tie_with_next: { chord: "Alt+T", label: "Tie the selected response with the next one" },
    focus_rationale: { chord: "Alt+R", label: "Go to the rationale" },
  },
  "image-caption": {
    add_object: { chord: "Alt+O", label: "Place a point for a new object" },
    delete_object: { chord: "Alt+Backspace", label: "Delete the selected object" },
    next_object: { chord: "Alt+Down", label: "Select the next object" },
    previous_object: { chord: "Alt+Up", label: "Select the previous object" },
    add_relationship: { chord: "Alt+R", label: "Add a relationship" },
    focus_caption: { chord: "Alt+C", label: "Go to the caption" },
    zoom_in: { chord: "Mod+=", label: "Zoom in" },
    zoom_out: { chord: "Mod+-", label: "Zoom out" },
    reset_zoom: { chord: "Mod+0", label: "Fit the image to the view" },
  },
  "video-caption": {
    play_pause: { chord: "Alt+K", label: "Play or pause" },
    seek_back: { chord: "Alt+J", label: "Jump back 5 seconds" },
    seek_forward: { chord: "Alt+L", label: "Jump forward 5 seconds" },
    step_back_frame: { chord: "Alt+,", label: "Step back one frame" },
    step_forward_frame: { chord: "Alt+.", label: "Step forward one frame" },
    mark_event_start: { chord: "Alt+[", label: "Start a new event at the current time" },
    mark_event_end: { chord: "Alt+]", label: "End the selected event at the current time" },
    delete_event: { chord: "Alt+Backspace", label: "Delete the selected event" },
    next_event: { chord: "Alt+Down", label: "Select the next event" },
    previous_event: { chord: "Alt+Up", label: "Select the previous event" },
    focus_caption: { chord: "Alt+C", label: "Go to the caption" },
  },
  classification: {
    toggle_unsure: { chord: "Alt+U", label: "Mark the item as unsure (or sure again) and go to the reason" },
    clear_labels: { chord: "Alt+Backspace", label: "Clear the chosen classes" },
  },
};

/**
 * The template's chords merged over the defaults of its kind ("none" unbinds). Actions of this
 * UI only keep their default chord unless the template binds it to one of its own actions;
 * desktop-only ones (sync) are there only when `desktop` is true.
 */
export function effectiveShortcuts(template: TemplateView, mac = isMac(), desktop = false): Record<string, string> {
  const out: Record<string, string> = {};
  const actions = Object.fromEntries(
    Object.entries({ ...ACTIONS.common, ...ACTIONS[template.kind] }).filter(([, info]) => desktop || !info.desktop),
  );
  for (const [action, { chord, ui }] of Object.entries(actions)) if (!ui) out[action] = chord;
  for (const [action, chord] of Object.entries(template.shortcuts ?? {})) out[action] = chord;
  const taken = Object.values(out).map((c) => parseChord(c, mac)).filter((c): c is Chord => c !== null);
  for (const [action, { chord, ui }] of Object.entries(actions)) {
    if (!ui || action in out) continue;
    const parsed = parseChord(chord, mac);
    out[action] = parsed && !taken.some((t) => sameChord(t, parsed)) ? chord : "none";
  }
  return out;
}

/**
 * The manifest key of the item's text that review comments can point into (code-point spans):
 * the Q&A passage, or the text of a text classification; null for the other kinds.
 */
export function anchorTextField(template: TemplateView): string | null {
  if (template.kind === "qa") return template.fields.passage;
  if (template.kind === "classification") return template.fields.text ?? null;
  return null;
}

/** The manifest value of a template field (a key of the item's content object). */
export function fieldValue(content: unknown, key: string | null | undefined): unknown {
  if (!key || typeof content !== "object" || content === null || Array.isArray(content)) return undefined;
  return (content as Record<string, unknown>)[key];
}
