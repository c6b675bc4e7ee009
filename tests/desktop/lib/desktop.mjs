// Desktop end-to-end harness: the real `sift-desktop` binary (built with
// `npx tauri build --debug --no-bundle`, so the UI is embedded), driven through tauri-driver
// and WebKitWebDriver, in Xvfb when there is no display. Each run gets fresh XDG folders, so
// the recent list, window state and webview storage start empty.
//
// Xvfb and tauri-driver run under `guard.sh`, each in a process group of its own that ends
// when the harness ends, however it ends (see guard.sh): no driver, app or X server is left
// behind. Their output (tauri-driver's, WebKitWebDriver's and the app's stderr) goes straight
// to artifacts/desktop/driver.log, with the harness's step lines written between.

import { spawn, execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { alsoLogTo, note, where } from "./steps.mjs";
import { Session } from "./webdriver.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
// The binaries under test are always named by the caller (`make desktop-test` builds them, then
// sets these), so a run never tests binaries an earlier build left behind.
export const DESKTOP = required("SIFT_DESKTOP_BIN", "the `sift-desktop` binary to test");
export const SIFT = required("SIFT_BIN", "the `sift` binary that makes the demo projects");

function required(name, what) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: it names ${what} (make desktop-test builds and sets it)`);
  if (!existsSync(value)) throw new Error(`${name}=${value} does not exist`);
  return value;
}
export const MEDIA = process.env.SIFT_DEMO_MEDIA || join(homedir(), ".cache/sift/demo-media");
export const ARTIFACTS = process.env.SIFT_ARTIFACTS || join(ROOT, "artifacts", "desktop");
const TAURI_DRIVER = process.env.TAURI_DRIVER || which("tauri-driver") || join(homedir(), ".cargo/bin/tauri-driver");
const GUARD = join(dirname(fileURLToPath(import.meta.url)), "guard.sh");
/** The driver logs this process has started (later drivers append to them). */
const logsOpened = new Set();
/** Time limit of one ffmpeg call (a screenshot of the X screen, a frame comparison). */
export const FFMPEG_MS = 30000;

function which(name) {
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

function waitForPort(port, timeout = 15000) {
  const end = Date.now() + timeout;
  return new Promise((resolveWait, reject) => {
    const attempt = () => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.end();
        resolveWait();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > end) reject(new Error(`nothing listens on port ${port} after ${timeout / 1000} s`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/**
 * Starts `cmd args` under guard.sh as a new process group. `stdio` are the child's fds from
 * 1 on (stdin is the guard's pipe). Returns `{ child, stop() }`; `stop` closes the pipe, so the
 * guard ends the group (SIGTERM, SIGKILL a second later), and waits at most 5 s for it.
 */
export function guarded(cmd, args, { env = process.env, stdio = ["ignore", "ignore"] } = {}) {
  const child = spawn(GUARD, [cmd, ...args], { env, stdio: ["pipe", ...stdio], detached: true });
  child.stdin.on("error", () => {}); // the guard is gone: nothing to stop
  const exited = new Promise((r) => child.once("exit", r));
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.destroy();
      const late = setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(late);
    },
  };
}

/** The four demo projects in a fresh folder (media from the shared cache). */
export function makeDemo() {
  for (const [what, path] of [["sift-desktop", DESKTOP], ["sift", SIFT]]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: build ${what} first (see docs/desktop.md)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "sift-desktop-e2e-"));
  const demo = join(dir, "demo");
  execFileSync(join(ROOT, "scripts/make-demo-projects.sh"), [SIFT, demo, MEDIA], { stdio: ["ignore", "inherit", "inherit"], timeout: 120000 });
  const projects = Object.fromEntries(["qa", "ranking", "image", "video"].map((p) => [p, join(demo, p)]));
  return { dir, projects };
}

/** Xvfb on a display it picks itself (`-displayfd`): the display name, once it is ready. */
async function startXvfb(env, stops) {
  const xvfb = guarded("Xvfb", ["-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { env, stdio: ["ignore", "ignore", "pipe"] });
  stops.push(xvfb.stop);
  const display = await new Promise((resolveDisplay, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("Xvfb did not report a display within 15 s")), 15000);
    xvfb.child.stdio[3].on("data", (d) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolveDisplay(`:${out.trim()}`);
      }
    });
  });
  xvfb.child.stdio[3].destroy();
  return display;
}

/**
 * Xvfb (unless a display is set) and tauri-driver with fresh XDG folders under `dir` (and the
 * variables in `env`, for the app too). The driver's output goes to artifacts/desktop/`log`.
 * Returns `{ launch(args) -> Session, x11Screenshot(name), logPath, stop() }`.
 */
export async function startDriver(dir, { port = 4444 + Math.floor(Math.random() * 2000) * 2, env: extraEnv = {}, log = "driver.log" } = {}) {
  const stops = [];
  let stopped = null;
  /** Stops tauri-driver (and so the app), then Xvfb; safe to call again or concurrently. */
  const stop = () =>
    (stopped ??= (async () => {
      for (const s of stops.reverse()) await s();
    })());
  try {
    const env = {
      ...process.env,
      XDG_CONFIG_HOME: join(dir, "config"),
      XDG_DATA_HOME: join(dir, "data"),
      XDG_CACHE_HOME: join(dir, "cache"),
      WEBKIT_DISABLE_COMPOSITING_MODE: "1",
      WEBKIT_DISABLE_DMABUF_RENDERER: "1",
      NO_AT_BRIDGE: "1",
      ...extraEnv,
    };
    for (const d of ["config", "data", "cache"]) mkdirSync(join(dir, d), { recursive: true });
    if (!env.DISPLAY && !env.WAYLAND_DISPLAY) {
      env.DISPLAY = await startXvfb(env, stops);
      note(`Xvfb ready on ${env.DISPLAY}`);
    }
    if (!existsSync(TAURI_DRIVER)) throw new Error(`tauri-driver is missing: cargo install tauri-driver --locked (see docs/desktop.md)`);
    mkdirSync(ARTIFACTS, { recursive: true });
    const logPath = join(ARTIFACTS, log);
    const logFd = openSync(logPath, logsOpened.has(logPath) ? "a" : "w"); // one log per run of the harness
    logsOpened.add(logPath);
    alsoLogTo(logPath);
    const driver = guarded(TAURI_DRIVER, ["--port", String(port), "--native-port", String(port + 1)], { env, stdio: [logFd, logFd] });
    closeSync(logFd);
    stops.push(driver.stop);
    note(`tauri-driver on port ${port} (WebKitWebDriver on ${port + 1}); its log: ${logPath}`);
    // Both ports: tauri-driver listens at once, but answers nothing until WebKitWebDriver
    // (which it starts) listens too — before that it drops each request unanswered.
    await waitForPort(port);
    await waitForPort(port + 1);
    const base = `http://127.0.0.1:${port}`;
    return {
      env,
      logPath,
      /** A WebDriver session on the app, started with `args`. */
      launch: (args = []) => Session.start(base, DESKTOP, args),
      /** The whole X screen (the real window with its menu bar), as a PNG under artifacts/. */
      x11Screenshot(name) {
        const path = join(ARTIFACTS, `${name}.png`);
        execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "x11grab", "-video_size", "1280x800", "-i", env.DISPLAY, "-frames:v", "1", path], { env, timeout: FFMPEG_MS });
        return path;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * On SIGINT, SIGTERM or SIGHUP, or when the process that started this one ends (the
 * `node --test` runner killed: this process is then adopted by another): notes where the run
 * was, runs `stop` (at most 10 s) and exits with 128 + the signal's number (1 when orphaned).
 * Without this the processes would still end, through guard.sh, once this process ends; with
 * it the log says where the run was stopped, and an orphaned run does not go on alone.
 */
export function stopOnSignals(stop) {
  let stopping = false;
  const stopAndExit = async (why, code) => {
    if (stopping) return;
    stopping = true;
    note(`${why} in step ${where()}: stopping the driver, the app and Xvfb`);
    setTimeout(() => process.exit(code), 10000).unref();
    try {
      await stop();
    } finally {
      process.exit(code);
    }
  };
  for (const [signal, n] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]]) process.once(signal, () => stopAndExit(`${signal} received`, 128 + n));
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stopAndExit(`the parent process (${parent}) ended`, 1);
  }, 500).unref();
}

/** Saves the webview's own screenshot (WebDriver) under artifacts/. */
export async function webviewScreenshot(session, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  writeFileSync(path, await session.screenshot());
  return path;
}
