// Desktop end-to-end harness: the real `sift-desktop` binary (built with
// `npx tauri build --debug --no-bundle`, so the UI is embedded), driven through tauri-driver
// and WebKitWebDriver, in Xvfb when there is no display. Each run gets fresh XDG folders, so
// the recent list, window state and webview storage start empty.

import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, sleep } from "./webdriver.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const TARGET = process.env.CARGO_TARGET_DIR || join(homedir(), ".cache/sift/target");
export const DESKTOP = process.env.SIFT_DESKTOP_BIN || join(TARGET, "debug", "sift-desktop");
export const SIFT = process.env.SIFT_BIN || join(TARGET, "debug", "sift");
export const MEDIA = process.env.SIFT_DEMO_MEDIA || join(homedir(), ".cache/sift/demo-media");
export const ARTIFACTS = process.env.SIFT_ARTIFACTS || join(ROOT, "artifacts", "desktop");
const TAURI_DRIVER = process.env.TAURI_DRIVER || which("tauri-driver") || join(homedir(), ".cargo/bin/tauri-driver");

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
        if (Date.now() > end) reject(new Error(`nothing listens on port ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** The four demo projects in a fresh folder (media from the shared cache). */
export function makeDemo() {
  for (const [what, path] of [["sift-desktop", DESKTOP], ["sift", SIFT]]) {
    if (!existsSync(path)) throw new Error(`${path} is missing: build ${what} first (see docs/desktop.md)`);
  }
  const dir = mkdtempSync(join(tmpdir(), "sift-desktop-e2e-"));
  const demo = join(dir, "demo");
  execFileSync(join(ROOT, "scripts/make-demo-projects.sh"), [SIFT, demo, MEDIA], { stdio: ["ignore", "inherit", "inherit"] });
  const projects = Object.fromEntries(["qa", "ranking", "image", "video"].map((p) => [p, join(demo, p)]));
  return { dir, projects };
}

/**
 * Xvfb (unless a display is set) and tauri-driver with fresh XDG folders under `dir`.
 * Returns `{ launch(args) -> Session, x11Screenshot(name), stop() }`.
 */
export async function startDriver(dir, { port = 4444 + Math.floor(Math.random() * 500) * 2 } = {}) {
  const children = [];
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_DATA_HOME: join(dir, "data"),
    XDG_CACHE_HOME: join(dir, "cache"),
    WEBKIT_DISABLE_COMPOSITING_MODE: "1",
    WEBKIT_DISABLE_DMABUF_RENDERER: "1",
    NO_AT_BRIDGE: "1",
  };
  for (const d of ["config", "data", "cache"]) mkdirSync(join(dir, d), { recursive: true });
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) {
    const display = `:${90 + Math.floor(Math.random() * 400)}`;
    const xvfb = spawn("Xvfb", [display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdio: "ignore" });
    children.push(xvfb);
    env.DISPLAY = display;
    await sleep(500);
    if (xvfb.exitCode !== null) throw new Error(`Xvfb ${display} did not start`);
  }
  if (!existsSync(TAURI_DRIVER)) throw new Error(`tauri-driver is missing: cargo install tauri-driver --locked (see docs/desktop.md)`);
  let log = "";
  const driver = spawn(TAURI_DRIVER, ["--port", String(port), "--native-port", String(port + 1)], { env, stdio: ["ignore", "pipe", "pipe"] });
  driver.stdout.on("data", (d) => (log += d));
  driver.stderr.on("data", (d) => (log += d));
  children.push(driver);
  await waitForPort(port).catch((e) => {
    throw new Error(`${e.message}: tauri-driver: ${log}`);
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    env,
    log: () => log,
    /** A WebDriver session on the app, started with `args`. */
    launch: (args = []) => Session.start(base, DESKTOP, args),
    /** The whole X screen (the real window with its menu bar), as a PNG under artifacts/. */
    x11Screenshot(name) {
      mkdirSync(ARTIFACTS, { recursive: true });
      const path = join(ARTIFACTS, `${name}.png`);
      execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "x11grab", "-video_size", "1280x800", "-i", env.DISPLAY, "-frames:v", "1", path], { env });
      return path;
    },
    async stop() {
      for (const c of children.reverse()) {
        if (c.exitCode === null) {
          c.kill("SIGTERM");
          await new Promise((r) => {
            const t = setTimeout(r, 3000);
            c.once("exit", () => (clearTimeout(t), r()));
          });
        }
      }
    },
  };
}

/** Saves the webview's own screenshot (WebDriver) under artifacts/. */
export async function webviewScreenshot(session, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  writeFileSync(path, await session.screenshot());
  return path;
}
