import { describe, expect, it } from "vitest";
import { actionFor, buildKeymap, formatChord, isTypingTarget, matches, parseChord } from "../shortcuts";
import { ACTIONS, effectiveShortcuts } from "../template";
import { TEMPLATES } from "../../test/fake";

const ev = (key: string, code: string, mods: Partial<Record<"altKey" | "ctrlKey" | "shiftKey" | "metaKey", boolean>> = {}) =>
  new KeyboardEvent("keydown", { key, code, ...mods });

describe("chords", () => {
  it("parses and resolves Mod per platform", () => {
    expect(parseChord("Mod+Enter", false)).toMatchObject({ ctrl: true, meta: false, key: "Enter" });
    expect(parseChord("Mod+Enter", true)).toMatchObject({ ctrl: false, meta: true, key: "Enter" });
    expect(parseChord("alt+shift+n", false)).toMatchObject({ alt: true, shift: true, key: "N" });
    expect(parseChord("none")).toBeNull();
    expect(parseChord("Hyper+X")).toBeNull();
  });

  it("matches by physical key so Option+C on a Mac still counts", () => {
    expect(matches(parseChord("Alt+C", true)!, ev("ç", "KeyC", { altKey: true }))).toBe(true);
    expect(matches(parseChord("Alt+[", false)!, ev("[", "BracketLeft", { altKey: true }))).toBe(true);
    expect(matches(parseChord("Alt+,", false)!, ev(",", "Comma", { altKey: true }))).toBe(true);
    expect(matches(parseChord("Mod+=", false)!, ev("=", "Equal", { ctrlKey: true }))).toBe(true);
    expect(matches(parseChord("Alt+Up", false)!, ev("ArrowUp", "ArrowUp", { altKey: true }))).toBe(true);
    expect(matches(parseChord("F1", false)!, ev("F1", "F1"))).toBe(true);
    expect(matches(parseChord("?", false)!, ev("?", "Slash", { shiftKey: true }))).toBe(true);
    expect(matches(parseChord("Alt+C", false)!, ev("c", "KeyC"))).toBe(false);
    expect(matches(parseChord("Alt+C", false)!, ev("C", "KeyC", { altKey: true, shiftKey: true }))).toBe(false);
  });

  it("maps every default action of every template, plus this UI's own actions", () => {
    for (const t of Object.values(TEMPLATES)) {
      const map = buildKeymap(effectiveShortcuts(t, false), false);
      const uiActions = Object.entries({ ...ACTIONS.common, ...ACTIONS[t.kind] }).filter(([, a]) => a.ui);
      const browserActions = uiActions.filter(([, a]) => !a.desktop);
      expect(map.length).toBe(Object.keys(t.shortcuts).length + browserActions.length);
      expect(actionFor(map, ev("Enter", "Enter", { ctrlKey: true }))).toBe("submit");
      expect(actionFor(map, ev("F1", "F1"))).toBe("toggle_instructions");
      expect(actionFor(map, ev("w", "KeyW", { altKey: true }))).toBe("open_my_work");
      // Sync is the desktop app's only: Alt+Y there, nothing in a browser.
      expect(actionFor(map, ev("y", "KeyY", { altKey: true }))).toBeNull();
      const desktop = buildKeymap(effectiveShortcuts(t, false, true), false);
      expect(desktop.length).toBe(Object.keys(t.shortcuts).length + uiActions.length);
      expect(actionFor(desktop, ev("y", "KeyY", { altKey: true }))).toBe("sync_now");
    }
    const qa = buildKeymap(effectiveShortcuts(TEMPLATES.qa, false), false);
    expect(actionFor(qa, ev("p", "KeyP", { altKey: true }))).toBe("focus_passage");
  });

  it("never lets a UI action take a chord the template uses", () => {
    const qa = TEMPLATES.qa;
    // The template binds Alt+P to one of its actions: the passage shortcut steps aside.
    const taken = effectiveShortcuts({ ...qa, shortcuts: { ...qa.shortcuts, add_pair: "alt+p" } }, false);
    expect(taken.focus_passage).toBe("none");
    expect(taken.add_pair).toBe("alt+p");
    // Mod+W is Ctrl+W off macOS: it does not collide with Alt+W.
    expect(effectiveShortcuts({ ...qa, shortcuts: { ...qa.shortcuts, skip: "Mod+W" } }, false).open_my_work).toBe("Alt+W");
    // The same for the desktop's sync key.
    expect(effectiveShortcuts({ ...qa, shortcuts: { ...qa.shortcuts, add_pair: "Alt+Y" } }, false, true).sync_now).toBe("none");
    // A template that names the action itself wins.
    expect(effectiveShortcuts({ ...qa, shortcuts: { ...qa.shortcuts, focus_passage: "Alt+Shift+P" } }, false).focus_passage).toBe("Alt+Shift+P");
  });

  it("formats chords for people", () => {
    expect(formatChord("Mod+Enter", false)).toBe("Ctrl+Enter");
    expect(formatChord("Mod+Enter", true)).toBe("⌘↩");
    expect(formatChord("Alt+Down", false)).toBe("Alt+↓");
  });

  it("knows where people type", () => {
    expect(isTypingTarget(document.createElement("textarea"))).toBe(true);
    const cb = document.createElement("input");
    cb.type = "checkbox";
    expect(isTypingTarget(cb)).toBe(false);
    expect(isTypingTarget(document.createElement("div"))).toBe(false);
  });
});
