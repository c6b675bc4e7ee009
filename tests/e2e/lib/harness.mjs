// Test harness for Sift's browser end-to-end tests: real project files made with the real
// `sift` binary, a real `sift serve` on a loopback port, and Debian's Chromium driven by
// playwright-core (never a downloaded browser).

import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { before, after } from "node:test";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The binary under test: always named by the caller (`make e2e` builds it, then sets SIFT_BIN),
 * so a run never tests a binary an earlier build left behind. */
export const SIFT = required("SIFT_BIN", "the `sift` binary to test (make e2e builds it and sets it)");
export const ARTIFACTS = process.env.SIFT_ARTIFACTS || join(ROOT, "artifacts");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

function required(name, what) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: it names ${what}`);
  if (!existsSync(value)) throw new Error(`${name}=${value} does not exist`);
  return value;
}

/** Runs the `sift` CLI and returns its stdout. */
export function sift(...args) {
  return execFileSync(SIFT, args, { encoding: "utf8", env: { ...process.env, SIFT_PROJECT: "" } });
}

/**
 * A project in a fresh temporary folder: `sift init` from a template, the manifest lines
 * imported from `data/m.jsonl`, and people added. Returns the folder and each person's token.
 * `name` is the project folder's name (the project's name on screen).
 */
export function makeProject({ template, lines, files = {}, people = { ann: "annotator", rev: "reviewer" }, name = "proj" }) {
  const dir = mkdtempSync(join(tmpdir(), "sift-e2e-"));
  const data = join(dir, "data");
  mkdirSync(data, { recursive: true });
  for (const [name, source] of Object.entries(files)) {
    mkdirSync(dirname(join(data, name)), { recursive: true });
    if (typeof source === "string" && existsSync(source)) copyFileSync(source, join(data, name));
    else writeFileSync(join(data, name), source);
  }
  writeFileSync(join(data, "m.jsonl"), lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  const project = join(dir, name);
  const templatePath = template.includes("/") ? template : join(ROOT, "labeling-templates", template);
  sift("init", project, "--template", templatePath);
  sift("import", join(data, "m.jsonl"), "-p", project);
  const tokens = {};
  for (const [name, role] of Object.entries(people)) {
    tokens[name] = JSON.parse(sift("annotator", "add", name, "--role", role, "-p", project, "--json")).token;
  }
  return { dir, project, data, tokens, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts `sift serve` on a free loopback port; resolves with its URL and a stop(). */
export async function startServer(project, { port = 0 } = {}) {
  const child = spawn(SIFT, ["serve", "-p", project, "--port", String(port), "--json", "--ui", join(ROOT, "ui", "dist")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((resolveUrl, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`sift serve did not start: ${stderr}`)), 15000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/"url":\s*"([^"]+)"/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`sift serve exited (${code}): ${stderr}`)));
  });
  const stop = () =>
    new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once("exit", () => done());
      child.kill("SIGTERM");
    });
  return { url, port: Number(new URL(url).port), stop, process: child };
}

/** Debian's Chromium, headless, with the flags this machine needs (Playwright gives each
 * launch a fresh temporary profile). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** The browser of the test file that called `useBrowser()` (each file runs in its own process). */
export let browser;

/** Launches the file's browser before its tests and closes it after them. */
export function useBrowser() {
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
}

/**
 * A page signed in as `token` (through the `#token=` link `sift serve` prints), with a
 * record of console errors, dialogs and CSP violations, waiting until the UI is ready.
 */
export async function openAs(browser, url, token, { colorScheme = "light", viewport = { width: 1400, height: 900 } } = {}) {
  const context = await browser.newContext({ colorScheme, viewport });
  const page = await context.newPage();
  const events = { dialogs: [], errors: [], csp: [] };
  page.on("dialog", async (d) => {
    events.dialogs.push(d.message());
    await d.dismiss();
  });
  page.on("pageerror", (e) => events.errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") events.errors.push(m.text());
    if (/Content Security Policy/i.test(m.text())) events.csp.push(m.text());
  });
  await page.goto(`${url}#token=${token}`);
  await page.waitForFunction(() => window.__siftReady === true, null, { timeout: 20000 });
  return { page, context, events };
}

/** Saves a screenshot under artifacts/screenshots/. */
export async function screenshot(page, name) {
  const dir = join(ARTIFACTS, "screenshots");
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/** POST /api/<command> from Node with a bearer token (for isolation checks). */
export async function api(url, token, command, body = {}) {
  const res = await fetch(new URL(`/api/${command}`, url), {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  let json = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  return { status: res.status, body: json };
}
