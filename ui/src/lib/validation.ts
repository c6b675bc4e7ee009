/**
 * Violation paths (`pairs[2].answer`, `rankings.clarity["resp a"]`, `objects[0]`) and the form
 * fields they point to. Fields carry `data-path` in the normalised form (`["x"]` → `.x`).
 */

/** `rankings.clarity["resp a"]` → `rankings.clarity.resp a`. */
export function normalizePath(path: string): string {
  return path.replace(/\["((?:[^"\\]|\\.)*)"\]/g, (_, key: string) => `.${key.replace(/\\(.)/g, "$1")}`);
}

/** The path, then each shorter prefix: `pairs[1].spans[0]`, `pairs[1].spans`, `pairs[1]`, `pairs`. */
export function pathCandidates(path: string): string[] {
  const out: string[] = [];
  let p = normalizePath(path);
  while (p) {
    out.push(p);
    const cut = Math.max(p.lastIndexOf("."), p.lastIndexOf("["));
    if (cut <= 0) break;
    p = p.slice(0, cut);
  }
  return out;
}

function focusable(el: Element): HTMLElement | null {
  const sel = "input:not([type=hidden]), textarea, select, button, [tabindex]:not([tabindex='-1'])";
  if (el instanceof HTMLElement && el.matches(sel)) return el;
  return el.querySelector<HTMLElement>(sel);
}

/** Focuses (or at least scrolls to) the field a violation points to. Returns whether found. */
export function focusPath(root: ParentNode, path: string): boolean {
  for (const candidate of pathCandidates(path)) {
    const el = root.querySelector(`[data-path="${cssEscape(candidate)}"]`);
    if (!el) continue;
    const target = focusable(el);
    el.scrollIntoView?.({ block: "nearest" });
    if (target) {
      target.focus();
      return true;
    }
    if (el instanceof HTMLElement) {
      el.setAttribute("tabindex", "-1");
      el.focus();
    }
    return true;
  }
  return false;
}

function cssEscape(s: string): string {
  return typeof CSS !== "undefined" && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&");
}

const FIELD_NAMES: Record<string, string> = {
  pairs: "Pair",
  objects: "Object",
  relationships: "Relationship",
  events: "Event",
  spans: "span",
  question: "question",
  answer: "answer",
  question_type: "question type",
  entire_passage: "entire passage",
  rankings: "Ranking",
  classifications: "Classification",
  rationale: "Rationale",
  setting: "Setting",
  caption: "Caption",
  name: "name",
  description: "description",
  relation: "relation",
  subject: "subject",
  object: "object",
  start: "start",
  end: "end",
  item: "Item",
};

/** A readable place for a path: `pairs[1].answer` → "Pair 2 · answer". */
export function describePath(path: string): string {
  if (!path) return "Annotation";
  const parts: string[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let m: RegExpExecArray | null;
  const norm = normalizePath(path);
  while ((m = re.exec(norm)) !== null) {
    if (m[2] !== undefined) {
      const last = parts.length - 1;
      if (last >= 0) parts[last] = `${parts[last]} ${Number(m[2]) + 1}`;
    } else {
      parts.push(FIELD_NAMES[m[1]] ?? m[1]);
    }
  }
  return parts.join(" · ");
}
