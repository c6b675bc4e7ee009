// The side-by-side comparison of an item's annotations (overlap: k people labeled it), as plain
// data the dialog lays out: for classes and rankings one row per class or response with each
// annotator's answer and whether they all agree; for Q&A pairs, image objects and video events
// each annotator's full list. Payloads are data from the project: read defensively.

export type Column = { id: number; annotator: string; state: string; current: boolean; payload: unknown };

type Loose = Record<string, unknown>;
const isObject = (v: unknown): v is Loose => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (p: unknown, k: string): unknown[] => (isObject(p) && Array.isArray(p[k]) ? (p[k] as unknown[]) : []);
const text = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** A row of a comparison table: a class or a response, one cell per column. */
export type Row = { key: string; cells: (string | null)[]; agree: boolean };

const agreeing = (cells: (string | null)[]) => cells.every((c) => c === cells[0]);

/** Classification: one row per class anybody chose (✓ where chosen), then the unsure marks. */
export function classRows(cols: Column[]): Row[] {
  const labels = cols.map((c) => new Set(list(c.payload, "labels").map(text).filter((l) => l !== "")));
  const all = [...new Set(labels.flatMap((s) => [...s]))].sort();
  const rows: Row[] = all.map((label) => {
    const cells = labels.map((s) => (s.has(label) ? "✓" : null));
    return { key: label, cells, agree: agreeing(cells) };
  });
  const unsure = cols.map((c) => {
    const u = isObject(c.payload) ? c.payload.unsure : undefined;
    if (!isObject(u)) return null;
    const reason = text(u.reason);
    return reason ? `unsure: ${reason}` : "unsure";
  });
  if (unsure.some((u) => u !== null)) rows.push({ key: "unsure", cells: unsure, agree: agreeing(unsure) });
  return rows;
}

/** Ranking: per dimension, one row per response with each annotator's rank. */
export function rankTables(cols: Column[]): { dimension: string; rows: Row[] }[] {
  const ranks = cols.map((c) => (isObject(c.payload) && isObject(c.payload.rankings) ? c.payload.rankings : {}));
  const dims = [...new Set(ranks.flatMap((r) => Object.keys(r)))];
  return dims.map((dimension) => {
    const per = ranks.map((r) => (isObject(r[dimension]) ? (r[dimension] as Loose) : {}));
    const ids = [...new Set(per.flatMap((d) => Object.keys(d)))].sort();
    const rows = ids.map((id) => {
      const cells = per.map((d) => {
        const n = num(d[id]);
        return n === null ? null : String(n);
      });
      return { key: id, cells, agree: agreeing(cells) };
    });
    return { dimension, rows };
  });
}

/** Ranking: per response, each annotator's classification choices. */
export function rankClassRows(cols: Column[]): Row[] {
  const cls = cols.map((c) => (isObject(c.payload) && isObject(c.payload.classifications) ? c.payload.classifications : {}));
  const keys = new Set<string>();
  for (const c of cls) for (const [resp, by] of Object.entries(c)) if (isObject(by)) for (const name of Object.keys(by)) keys.add(`${resp} · ${name}`);
  return [...keys].sort().map((key) => {
    const [resp, name] = key.split(" · ");
    const cells = cls.map((c) => {
      const by = c[resp];
      return isObject(by) && typeof by[name] === "string" ? (by[name] as string) : null;
    });
    return { key, cells, agree: agreeing(cells) };
  });
}

/** Q&A: each pair of a column. */
export type PairEntry = { question: string; type: string; answer: string; citations: { start: number; end: number }[]; whole: boolean };
export function qaPairs(c: Column): PairEntry[] {
  return list(c.payload, "pairs")
    .filter(isObject)
    .map((p) => ({
      question: text(p.question),
      type: text(p.question_type),
      answer: text(p.answer),
      citations: (Array.isArray(p.spans) ? p.spans : [])
        .filter(isObject)
        .map((s) => ({ start: num(s.start) ?? 0, end: num(s.end) ?? 0 }))
        .filter((s) => s.end > s.start),
      whole: p.entire_passage === true,
    }));
}

/** Image captioning: the objects, relationships, setting and caption of a column. */
export function imageParts(c: Column) {
  const objects = list(c.payload, "objects")
    .filter(isObject)
    .map((o) => ({ id: text(o.id), name: text(o.name), x: num(o.x), y: num(o.y), description: text(o.description) }));
  const names = new Map(objects.map((o) => [o.id, o.name || o.id]));
  const relationships = list(c.payload, "relationships")
    .filter(isObject)
    .map((r) => `${names.get(text(r.subject)) ?? text(r.subject)} ${text(r.relation)} ${names.get(text(r.object)) ?? text(r.object)}`);
  const p = isObject(c.payload) ? c.payload : {};
  return { objects, relationships, setting: text(p.setting), caption: text(p.caption) };
}

/** `m:ss.s` for a time in seconds. */
export function clock(seconds: number | null): string {
  if (seconds === null) return "?";
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, "0")}`;
}

/** Video captioning: the events (in time order), setting and caption of a column. */
export function videoParts(c: Column) {
  const events = list(c.payload, "events")
    .filter(isObject)
    .map((e) => ({ start: num(e.start), end: num(e.end), description: text(e.description) }))
    .sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
  const p = isObject(c.payload) ? c.payload : {};
  return { events, setting: text(p.setting), caption: text(p.caption) };
}

/** How many words a caption has (for the length comparison). */
export const words = (s: string) => (s.trim() === "" ? 0 : s.trim().split(/\s+/).length);
