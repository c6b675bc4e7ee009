/**
 * Key chords of templates: `Mod+Enter`, `alt+shift+n`, `F1`, `?`. `Mod` is Cmd on macOS and
 * Ctrl elsewhere. Matching uses `KeyboardEvent.code` for printable keys, so `Alt+C` works on
 * macOS too (where Option+C types "ç").
 */

export interface Chord {
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
  /** Canonical key: "A", "7", "[", "Enter", "ArrowUp", "F1", "+". */
  key: string;
}

export function isMac(): boolean {
  if (typeof navigator === "undefined") return false;
  const nav = navigator as Navigator & { userAgentData?: { platform?: string } };
  const platform = nav.userAgentData?.platform ?? navigator.platform ?? "";
  return /mac|iphone|ipad/i.test(platform);
}

const NAMED: Record<string, string> = {
  enter: "Enter",
  return: "Enter",
  escape: "Escape",
  esc: "Escape",
  tab: "Tab",
  space: " ",
  backspace: "Backspace",
  delete: "Delete",
  del: "Delete",
  insert: "Insert",
  up: "ArrowUp",
  down: "ArrowDown",
  left: "ArrowLeft",
  right: "ArrowRight",
  arrowup: "ArrowUp",
  arrowdown: "ArrowDown",
  arrowleft: "ArrowLeft",
  arrowright: "ArrowRight",
  home: "Home",
  end: "End",
  pageup: "PageUp",
  pagedown: "PageDown",
  plus: "+",
};

/** Physical key codes of printable keys on a US layout. */
const CODES: Record<string, string[]> = {
  "[": ["BracketLeft"],
  "]": ["BracketRight"],
  ",": ["Comma"],
  ".": ["Period", "NumpadDecimal"],
  "/": ["Slash", "NumpadDivide"],
  ";": ["Semicolon"],
  "'": ["Quote"],
  "`": ["Backquote"],
  "-": ["Minus", "NumpadSubtract"],
  "=": ["Equal"],
  "\\": ["Backslash"],
  "+": ["NumpadAdd"],
  "*": ["NumpadMultiply"],
  Enter: ["Enter", "NumpadEnter"],
};

/** Parses a chord; null for "none" or an empty string. */
export function parseChord(text: string, mac = isMac()): Chord | null {
  const raw = text.trim();
  if (raw === "" || raw.toLowerCase() === "none") return null;
  const chord: Chord = { ctrl: false, alt: false, shift: false, meta: false, key: "" };
  // Split on "+" but keep a trailing "+" key ("Mod++" is not valid syntax, "Plus" is).
  const parts = raw === "+" ? ["+"] : raw.split("+").filter((p, i, all) => p !== "" || i === all.length - 1);
  const keyPart = parts.pop() ?? "";
  for (const part of parts) {
    switch (part.trim().toLowerCase()) {
      case "mod":
        if (mac) chord.meta = true;
        else chord.ctrl = true;
        break;
      case "ctrl":
      case "control":
        chord.ctrl = true;
        break;
      case "alt":
      case "option":
        chord.alt = true;
        break;
      case "shift":
        chord.shift = true;
        break;
      case "meta":
      case "cmd":
      case "command":
      case "super":
        chord.meta = true;
        break;
      default:
        return null;
    }
  }
  const k = keyPart.trim();
  const lower = k.toLowerCase();
  if (NAMED[lower]) chord.key = NAMED[lower];
  else if (/^f([1-9]|1[0-2])$/.test(lower)) chord.key = lower.toUpperCase();
  else if (k.length === 1) chord.key = k.toUpperCase();
  else return null;
  return chord;
}

function eventKey(event: KeyboardEvent): string {
  if (event.key.length === 1) return event.key.toUpperCase();
  return event.key;
}

/** Whether two parsed chords are the same key combination. */
export function sameChord(a: Chord, b: Chord): boolean {
  return a.ctrl === b.ctrl && a.alt === b.alt && a.shift === b.shift && a.meta === b.meta && a.key === b.key;
}

/** Whether a keyboard event is this chord. */
export function matches(chord: Chord, event: KeyboardEvent): boolean {
  if (event.ctrlKey !== chord.ctrl || event.altKey !== chord.alt || event.metaKey !== chord.meta) return false;
  const key = chord.key;
  // Printable punctuation typed with Shift ("?", "+") carries Shift implicitly.
  const punctuation = key.length === 1 && !/[A-Z0-9 ]/.test(key);
  if (event.shiftKey !== chord.shift && !(punctuation && !chord.shift && eventKey(event) === key)) return false;
  if (/^[A-Z]$/.test(key) && event.code === `Key${key}`) return true;
  if (/^[0-9]$/.test(key) && (event.code === `Digit${key}` || event.code === `Numpad${key}`)) return true;
  if (CODES[key]?.includes(event.code) && !(key === "+" && event.code !== "NumpadAdd")) return true;
  if (key === "+" && event.key === "+") return true;
  // Layout-dependent fallback: the typed character, when modifiers did not change it.
  return eventKey(event) === key;
}

/** Human form of a chord for the current platform: "Ctrl+Enter" or "⌘↩". */
export function formatChord(text: string, mac = isMac()): string {
  const chord = parseChord(text, mac);
  if (!chord) return "—";
  const names: Record<string, string> = mac
    ? { ArrowUp: "↑", ArrowDown: "↓", ArrowLeft: "←", ArrowRight: "→", Enter: "↩", Backspace: "⌫", Delete: "⌦", Escape: "Esc", " ": "Space", Tab: "⇥" }
    : { ArrowUp: "↑", ArrowDown: "↓", ArrowLeft: "←", ArrowRight: "→", " ": "Space", Escape: "Esc" };
  const key = names[chord.key] ?? chord.key;
  if (mac) {
    return `${chord.ctrl ? "⌃" : ""}${chord.alt ? "⌥" : ""}${chord.shift ? "⇧" : ""}${chord.meta ? "⌘" : ""}${key}`;
  }
  const mods = [chord.ctrl && "Ctrl", chord.alt && "Alt", chord.shift && "Shift", chord.meta && "Meta"].filter(Boolean);
  return [...mods, key].join("+");
}

/** Binding table: action → parsed chord (unbound actions left out). */
export type Keymap = Array<{ action: string; chord: Chord; text: string }>;

export function buildKeymap(shortcuts: Record<string, string>, mac = isMac()): Keymap {
  const out: Keymap = [];
  for (const [action, text] of Object.entries(shortcuts)) {
    const chord = parseChord(text, mac);
    if (chord) out.push({ action, chord, text });
  }
  return out;
}

/** The action bound to this event, if any. */
export function actionFor(keymap: Keymap, event: KeyboardEvent): string | null {
  for (const { action, chord } of keymap) if (matches(chord, event)) return action;
  return null;
}

/** Whether the event target is a place where the user types text. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return false;
}
