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
  responses: "response",
  labels: "Class",
  unsure: "Unsure",
  reason: "reason",
};

/** A list named without an index: the whole list ("Pairs", not "Pair"). */
const LIST_NAMES: Record<string, string> = {
  pairs: "Pairs",
  objects: "Objects",
  relationships: "Relationships",
  events: "Events",
  spans: "spans",
  rankings: "Rankings",
  classifications: "Classifications",
  labels: "Classes",
};

/**
 * What the screen calls the things violations name by id: responses by letter (A, B, C),
 * dimensions by title, objects by name. Each returns null when it does not know the id.
 */
export interface ScreenLabels {
  /** Response id → its letter ("0" → "A"). */
  response?: (id: string) => string | null;
  /** Dimension name → its title ("accuracy" → "Accuracy"). */
  dimension?: (name: string) => string | null;
  /** Classification name → a short title ("factual_error" → "factual error"). */
  classification?: (name: string) => string | null;
  /** Object index → its name ("pink patch"); null when unnamed. */
  object?: (index: number) => { id: string; name: string } | null;
  /** Object id → its name; null when unknown. */
  objectById?: (id: string) => { id: string; name: string } | null;
}

function objectText(o: { id: string; name: string } | null, fallback: string): string {
  if (!o) return fallback;
  return o.name.trim() ? `“${o.name.trim()}”` : o.id;
}

function segmentsOf(path: string): Array<{ key: string } | { index: number }> {
  const out: Array<{ key: string } | { index: number }> = [];
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|([^.[\]]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(path)) !== null) {
    if (m[1] !== undefined) out.push({ index: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ key: m[2].replace(/\\(.)/g, "$1") });
    else out.push({ key: m[3] });
  }
  return out;
}

/**
 * A readable place for a path, with the names the screen uses: `pairs[1].answer` → "Pair 2 ·
 * answer", `rankings.accuracy.0` → "Ranking · Accuracy · Response A", `objects[1].name` →
 * "Object “pink patch” · name".
 */
export function describePath(path: string, labels: ScreenLabels = {}): string {
  if (!path) return "Annotation";
  const segs = segmentsOf(path);
  const parts: string[] = [];
  const root = "key" in (segs[0] ?? {}) ? (segs[0] as { key: string }).key : "";
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const prev = segs[i - 1];
    const parent = prev && "key" in prev ? prev.key : null;
    if ("index" in seg) {
      const last = parts.length - 1;
      if (parent === "objects" && root === "objects" && i === 1) {
        const o = labels.object?.(seg.index) ?? null;
        parts[last] = o ? `Object ${objectText(o, "")}` : `Object ${seg.index + 1}`;
      } else if (last >= 0) {
        parts[last] = `${parts[last]} ${seg.index + 1}`;
      }
      continue;
    }
    const next = segs[i + 1];
    if (root === "rankings" && i === 1) {
      parts.push(labels.dimension?.(seg.key) ?? seg.key);
    } else if (root === "rankings" && i === 2) {
      const letter = labels.response?.(seg.key);
      parts.push(letter ? `Response ${letter}` : `response ${seg.key}`);
    } else if (root === "classifications" && i === 1) {
      const letter = labels.response?.(seg.key);
      parts[0] = letter ? `Response ${letter}` : `Response ${seg.key}`;
    } else if (root === "classifications" && i === 2) {
      parts.push(labels.classification?.(seg.key) ?? seg.key.replace(/_/g, " "));
    } else if (next && "index" in next) {
      parts.push(FIELD_NAMES[seg.key] ?? seg.key);
    } else {
      parts.push((i === 0 && !next ? LIST_NAMES[seg.key] : undefined) ?? FIELD_NAMES[seg.key] ?? seg.key);
    }
  }
  return parts.join(" · ");
}

/** A piece of a readable message: plain text, or a literal (a name or value) shown as code. */
export interface MessagePart {
  text: string;
  code?: boolean;
}

/**
 * A violation message with the internal names replaced by what the screen shows: "response
 * `0` is not ranked on `accuracy`" → "response A is not ranked on Accuracy", "(objects[1])" →
 * the object's name, "pairs[0]" → "pair 1". Back-quoted literals left over come back as code.
 */
export function readableMessage(message: string, labels: ScreenLabels = {}): MessagePart[] {
  let m = message;
  // Responses by letter: "response `0`", "responses `0`, `1`".
  m = m.replace(/\b(responses?) ((?:`[^`]+`(?:, | and )?)+)/g, (all, word: string, list: string) => {
    let known = true;
    const mapped = list.replace(/`([^`]+)`/g, (_: string, id: string) => {
      const letter = labels.response?.(id);
      if (!letter) known = false;
      return letter ?? `\`${id}\``;
    });
    return known ? `${word} ${mapped}` : all;
  });
  // Dimensions by title: "on `accuracy`".
  m = m.replace(/\bon `([^`]+)`/g, (all, name: string) => {
    const title = labels.dimension?.(name);
    return title ? `on ${title}` : all;
  });
  // Objects by name: "(objects[1])" (dropped when the name is already quoted), "object `o1`".
  m = m.replace(/ ?\(objects\[(\d+)\]\)/g, (all, i: string) => {
    const o = labels.object?.(Number(i)) ?? null;
    if (!o) return all;
    if (o.name.trim() && m.includes(`"${o.name.trim()}"`)) return "";
    return ` (${o.name.trim() ? `“${o.name.trim()}”` : `object ${o.id}`})`;
  });
  m = m.replace(/\bobjects\[(\d+)\]/g, (_, i: string) => {
    const o = labels.object?.(Number(i)) ?? null;
    return o ? `object ${objectText(o, o.id)}` : `object ${Number(i) + 1}`;
  });
  m = m.replace(/\bobject `([^`]+)`/g, (all, id: string) => {
    const o = labels.objectById?.(id) ?? null;
    return o ? `object ${objectText(o, id)}` : all;
  });
  // Other list positions count from 1, as on screen: "pairs[0]" → "pair 1".
  const singular: Record<string, string> = { pairs: "pair", spans: "span", events: "event", relationships: "relationship" };
  m = m.replace(/\b(pairs|spans|events|relationships)\[(\d+)\]/g, (_, list: string, i: string) => `${singular[list]} ${Number(i) + 1}`);
  // Quoted texts get typographic quotes.
  m = m.replace(/"([^"]*)"/g, "“$1”");

  const parts: MessagePart[] = [];
  const re = /`([^`]+)`/g;
  let at = 0;
  let hit: RegExpExecArray | null;
  while ((hit = re.exec(m)) !== null) {
    if (hit.index > at) parts.push({ text: m.slice(at, hit.index) });
    parts.push({ text: hit[1], code: true });
    at = hit.index + hit[0].length;
  }
  if (at < m.length) parts.push({ text: m.slice(at) });
  return parts;
}
