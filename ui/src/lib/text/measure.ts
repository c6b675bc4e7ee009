/**
 * Text measures with the same definitions as Sift's validator (`sift-template`): characters are
 * Unicode scalar values of the trimmed text; words are pieces separated by Unicode white space.
 */

const EDGE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;
const SPACE_RUN = /\p{White_Space}+/u;

/** The text without surrounding Unicode white space (Rust's `str::trim`). */
export function trimText(text: string): string {
  return text.replace(EDGE_SPACE, "");
}

/** Characters (code points) of the trimmed text. */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of trimText(text)) n++;
  return n;
}

/** Words: pieces separated by Unicode white space. */
export function wordCount(text: string): number {
  const t = trimText(text);
  return t === "" ? 0 : t.split(SPACE_RUN).length;
}

const TOKEN = /[\p{Alphabetic}\p{N}]+/gu;

/** Runs of letters and digits, lower-cased. */
export function tokens(text: string): string[] {
  return Array.from(text.matchAll(TOKEN), (m) => m[0].toLowerCase());
}

/**
 * Whether `caption` mentions `name`: the name's tokens appear as a contiguous run of the
 * caption's tokens, compared case-insensitively, and the name's last token may carry an `s` or
 * `es` suffix in the caption ("golden retriever" matches "two Golden Retrievers").
 */
export function mentions(caption: string, name: string): boolean {
  const want = tokens(name);
  if (want.length === 0) return true;
  const have = tokens(caption);
  const last = want.length - 1;
  for (let i = 0; i + want.length <= have.length; i++) {
    let ok = true;
    for (let j = 0; j < want.length && ok; j++) {
      const h = have[i + j];
      const w = want[j];
      ok = h === w || (j === last && (h === `${w}s` || h === `${w}es`));
    }
    if (ok) return true;
  }
  return false;
}

/** Counter text and state against optional limits. */
export function limitState(n: number, min: number | null | undefined, max: number | null | undefined): "ok" | "under" | "over" | "empty" {
  if (max != null && n > max) return "over";
  if (n === 0 && (min ?? 0) > 0) return "empty";
  if (min != null && n < min) return "under";
  return "ok";
}
