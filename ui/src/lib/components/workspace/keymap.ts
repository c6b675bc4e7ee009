/**
 * The workspace's keyboard. A chord bound to an action (the template's and this UI's, parsed
 * by `shortcuts.ts`) runs it: the workspace's own actions here, any other goes to the task.
 * Then keys the task claims (number keys on a ranked response…), then the fixed keys: `?`
 * for the shortcut list, Alt+PageDown / Alt+PageUp for the next and previous item, and for a
 * task that asks for it (classification) a bare Enter submits, unless focus is where Enter
 * means something else (a text field, a button, a link, a list box). While the shortcut list
 * is open nothing reaches here; while "My work" is open, only its own chord.
 */

import { actionFor, isTypingTarget, type Keymap } from "../../shortcuts";

/** The actions the workspace itself handles, by name. */
export const WORKSPACE_ACTIONS = ["submit", "save_draft", "skip", "toggle_instructions", "open_my_work", "sync_now"] as const;
export type WorkspaceAction = (typeof WORKSPACE_ACTIONS)[number];

export interface KeyHandlers {
  keymap: Keymap;
  /** The shortcut list is open (it has the keyboard). */
  helpOpen: () => boolean;
  /** "My work" is open (it has the keyboard, but its chord closes it). */
  workOpen: () => boolean;
  closeWork: () => void;
  actions: Record<WorkspaceAction, () => void>;
  /** A template action (add pair, zoom in…). */
  taskAction: (action: string) => void;
  /** Keys the task claims; false when it does not (or no item is shown). */
  taskKey: (e: KeyboardEvent) => boolean;
  openHelp: () => void;
  next: () => void;
  previous: () => void;
  /** Whether a bare Enter submits (the task asks for it: classification). */
  enterSubmits?: () => boolean;
}

/** Whether Enter on this element has a meaning of its own (typing, pressing, following, choosing). */
export function ownsEnter(target: EventTarget | null): boolean {
  if (isTypingTarget(target)) return true;
  if (!(target instanceof Element)) return false;
  return target.closest("button, a[href], summary, select, [role='button'], [role='link'], [role='menuitem'], [role='option'], [role='tab']") !== null;
}

/** Runs an action by name: the workspace's own, else the task's. */
function runAction(action: string, h: Pick<KeyHandlers, "actions" | "taskAction">): void {
  const own = (h.actions as Record<string, (() => void) | undefined>)[action];
  if (own) own();
  else h.taskAction(action);
}

/** The window's keydown in the workspace. */
export function onWorkspaceKey(e: KeyboardEvent, h: KeyHandlers): void {
  if (h.helpOpen() || e.defaultPrevented || e.isComposing) return;
  const action = actionFor(h.keymap, e);
  if (h.workOpen()) {
    // The "My work" list has the keyboard; its own shortcut closes it again.
    if (action === "open_my_work") {
      e.preventDefault();
      h.closeWork();
    }
    return;
  }
  if (action) {
    e.preventDefault();
    runAction(action, h);
    return;
  }
  if (h.taskKey(e)) {
    e.preventDefault();
    return;
  }
  const bare = !e.ctrlKey && !e.metaKey && !e.altKey;
  if (e.key === "Enter" && bare && !e.shiftKey && h.enterSubmits?.() && !ownsEnter(e.target)) {
    e.preventDefault();
    h.actions.submit();
  } else if (e.key === "?" && bare && !isTypingTarget(e.target)) {
    e.preventDefault();
    h.openHelp();
  } else if (e.altKey && !e.ctrlKey && !e.metaKey && e.key === "PageDown") {
    e.preventDefault();
    h.next();
  } else if (e.altKey && !e.ctrlKey && !e.metaKey && e.key === "PageUp") {
    e.preventDefault();
    h.previous();
  }
}
