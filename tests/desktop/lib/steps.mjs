// Steps of a desktop end-to-end run: each one logged with a timestamp when it starts and
// ends (stdout and artifacts/desktop/steps.log, written line by line so a killed run keeps
// it), each bounded by its own time limit, and the steps running now named by any failure,
// so a hang says where it hung.

import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";

const t0 = Date.now();
/** Files the step lines go to: the step log, and the driver's log once it is open. */
const logs = [];
/** The steps running now, outermost first. */
const open = [];

/** Starts the step log at `path` (a fresh file per run). */
export function startStepLog(path) {
  mkdirSync(dirname(path), { recursive: true });
  appendFileSync(path, "", { flag: "w" });
  logs.push(path);
}

/** Writes the step lines to `path` too (appended; the driver writes its own lines there). */
export function alsoLogTo(path) {
  if (!logs.includes(path)) logs.push(path);
}

/** Writes one timestamped line (wall clock and seconds since the run started). */
export function note(text) {
  const now = new Date();
  const line = `${now.toISOString().slice(11, 23)} +${((now - t0) / 1000).toFixed(1).padStart(6)}s ${"  ".repeat(open.length)}${text}`;
  console.log(line);
  for (const path of logs) appendFileSync(path, `${line}\n`);
}

/** The steps running now, as "outer > inner". */
export function where() {
  return open.length ? open.map((s) => s.name).join(" > ") : "(no step)";
}

export class StepTimeout extends Error {}

/**
 * Runs `fn` as the step `name`: logs its start and end, and fails with the step's name when it
 * takes longer than `limitMs`. (The work it started is not cancelled by the failure: the
 * caller's teardown stops the processes, which ends any request still waiting.)
 */
export async function step(name, fn, limitMs = 60000) {
  const entry = { name, started: Date.now() };
  note(`▶ ${name}`);
  open.push(entry);
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StepTimeout(`step "${where()}" hung: no result after ${limitMs / 1000} s`)), limitMs);
  });
  try {
    const value = await Promise.race([fn(), deadline]);
    open.splice(open.indexOf(entry), 1);
    note(`✔ ${name} (${Date.now() - entry.started} ms)`);
    return value;
  } catch (e) {
    const at = where();
    open.splice(open.indexOf(entry), 1);
    note(`✘ ${name} (${Date.now() - entry.started} ms): ${e.message.split("\n")[0]}`);
    if (!e.step) e.step = at;
    if (!e.message.includes(`[in step `)) e.message = `${e.message} [in step ${at}]`;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `fn` with an overall time limit. When it passes, the call fails naming the steps that
 * were running, and `onTimeout()` stops the processes (which ends any request still waiting).
 */
export async function withDeadline(name, limitMs, fn, onTimeout) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const at = where();
      note(`⏱ ${name}: over its ${limitMs / 1000} s limit in step ${at}; stopping everything`);
      // Rejected before the processes are stopped, so this error (not the failures that
      // stopping them causes in the step still running) is the one reported.
      reject(new StepTimeout(`${name} took longer than ${limitMs / 1000} s; it was in step ${at}`));
      Promise.resolve(onTimeout?.()).catch((e) => note(`stopping after the time limit: ${e.message}`));
    }, limitMs);
  });
  try {
    return await Promise.race([fn(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
