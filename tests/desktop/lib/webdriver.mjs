// A small W3C WebDriver client over fetch, for tauri-driver + WebKitWebDriver (no
// dependencies).
//
// Every request has a time limit (`REQUEST_MS`, longer for a new session). A request that
// gets no answer — the connection reset or refused, or nothing back within its limit — is
// tried again only when it is idempotent: the same request sent twice leaves the app as
// sending it once did. Idempotent here: GET; DELETE (of the session, of the input state);
// finding elements; setting the session's timeouts; scripts the caller marks as read-only
// (`query`, `waitForScript`, and `invoke` of the read-only commands). Never retried: a new
// session (WebKitWebDriver allows one), key presses and clicks (`/actions`, element click
// and value), and scripts that change something (`execute`, `invoke` of other commands).
// An answer from the driver, even an error, is never retried. Every retry is logged.

import { note } from "./steps.mjs";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/** Time limit of one WebDriver request (ms). */
export const REQUEST_MS = 30000;
/** Time limit of a new session: the driver starts the app and waits for its window. */
export const SESSION_MS = 60000;
/** Attempts of an idempotent request. */
const ATTEMPTS = 4;

/** Tauri commands that only read: `invoke` of these is retried. */
const READ_ONLY_COMMANDS = new Set(["me", "template", "status", "queue", "recent_work", "pending_reviews", "get_item", "get_annotation", "validate", "recent_projects", "sync_settings"]);

export class WebDriverError extends Error {
  constructor(method, path, status, value) {
    super(`${method} ${path}: HTTP ${status} ${value?.error ?? ""} ${value?.message ?? JSON.stringify(value)}`);
    this.status = status;
    this.value = value;
  }
}

/** No answer: the connection failed or the request passed its time limit. */
export class NoAnswer extends Error {}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Keys of the W3C key table that the tests use. */
export const Key = {
  Enter: "\uE007",
  Tab: "\uE004",
  Escape: "\uE00C",
  Space: "\uE00D",
  Shift: "\uE008",
  Control: "\uE009",
  Alt: "\uE00A",
  ArrowLeft: "\uE012",
  ArrowUp: "\uE013",
  ArrowRight: "\uE014",
  ArrowDown: "\uE015",
  PageUp: "\uE00E",
  PageDown: "\uE00F",
};

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  /**
   * Opens a session on a Tauri app: `application` is the binary, `args` its arguments. The
   * driver's own limits are set below ours, so a script or page load that never finishes comes
   * back as the driver's timeout error instead of a request that never returns.
   */
  static async start(base, application, args = []) {
    const value = await request(base, "POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application, args } } },
    }, { timeout: SESSION_MS });
    const session = new Session(base, value.sessionId);
    await session.cmd("POST", "/timeouts", { script: 20000, pageLoad: 20000, implicit: 0 }, { idempotent: true });
    return session;
  }

  /** One request on this session; `{idempotent}` allows retries, `{timeout}` changes the limit. */
  cmd(method, path, body, options = {}) {
    return request(this.base, method, `/session/${this.id}${path}`, body, options);
  }

  async delete() {
    try {
      await this.cmd("DELETE", "", undefined, { timeout: 15000 });
    } catch (e) {
      note(`(deleting the session: ${e.message})`);
    }
  }

  /** Runs `script` (a function body) in the page with `args`; not retried. */
  execute(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Runs a script that only reads the page (retried when it gets no answer). */
  query(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args }, { idempotent: true });
  }

  /** Runs `script`; it calls `arguments[arguments.length - 1](result)` when done. */
  executeAsync(script, args = [], options = {}) {
    return this.cmd("POST", "/execute/async", { script, args }, options);
  }

  /** Calls a Tauri command from the page, as the UI does: `{ok}` or `{err}`. */
  invoke(command, args = {}) {
    return this.executeAsync(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
         .then((ok) => done({ ok: ok ?? null }), (err) => done({ err: err ?? "rejected" }));`,
      [command, args],
      { idempotent: READ_ONLY_COMMANDS.has(command) },
    );
  }

  async find(css) {
    const value = await this.cmd("POST", "/element", { using: "css selector", value: css }, { idempotent: true });
    return value[ELEMENT];
  }

  async findAll(css) {
    const value = await this.cmd("POST", "/elements", { using: "css selector", value: css }, { idempotent: true });
    return value.map((v) => v[ELEMENT]);
  }

  async click(css) {
    const el = typeof css === "string" ? await this.waitForElement(css) : css;
    return this.cmd("POST", `/element/${el}/click`, {});
  }

  /** Presses a chord such as [Key.Alt, "n"]: modifiers down, the key, all up. */
  async press(...chord) {
    const actions = [];
    for (const k of chord) actions.push({ type: "keyDown", value: k });
    for (const k of [...chord].reverse()) actions.push({ type: "keyUp", value: k });
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
    await this.cmd("DELETE", "/actions");
  }

  /** Types `text` with key events into whatever has the focus. */
  async typeKeys(text) {
    const actions = [];
    for (const ch of text) actions.push({ type: "keyDown", value: ch }, { type: "keyUp", value: ch });
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
    await this.cmd("DELETE", "/actions");
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  async waitForElement(css, timeout = 20000) {
    return this.waitFor(async () => {
      try {
        return await this.find(css);
      } catch (e) {
        if (e instanceof WebDriverError && e.status === 404) return null;
        throw e;
      }
    }, timeout, `element ${css}`);
  }

  /**
   * Polls `check` (an async function) until it returns something truthy. Fails after
   * `timeout` ms, counted to the start of the last try (one try is bounded by its requests').
   */
  async waitFor(check, timeout = 20000, what = "condition") {
    const end = Date.now() + timeout;
    let last;
    for (;;) {
      if (Date.now() > end) throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${last ? `: ${last.message}` : ""}`);
      try {
        const v = await check();
        if (v) return v;
      } catch (e) {
        last = e;
      }
      await sleep(100);
    }
  }

  /** Polls a page expression (read-only) until it is truthy and returns its value. */
  waitForScript(expression, timeout = 20000) {
    return this.waitFor(() => this.query(`return (${expression});`), timeout, expression);
  }
}

/**
 * One WebDriver request, with a time limit of `timeout` ms. Without an answer it is sent again
 * when `idempotent` (by default GET and DELETE), at most `ATTEMPTS` times in all.
 */
export async function request(base, method, path, body, { timeout = REQUEST_MS, idempotent = method === "GET" || method === "DELETE" } = {}) {
  const attempts = idempotent ? ATTEMPTS : 1;
  let lastError;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let res;
    let text;
    try {
      res = await fetch(base + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeout),
      });
      text = await res.text();
    } catch (e) {
      lastError = e.name === "TimeoutError" ? `no answer within ${timeout / 1000} s` : (e.cause?.code ?? e.cause?.message ?? e.message);
      if (attempt < attempts) {
        note(`↻ ${method} ${path}: ${lastError}; trying again (${attempt + 1}/${attempts})`);
        await sleep(200 * attempt);
      }
      continue;
    }
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { message: text };
    }
    if (!res.ok) throw new WebDriverError(method, path, res.status, json?.value ?? json);
    if (attempt > 1) note(`↻ ${method} ${path}: answered on attempt ${attempt}`);
    return json?.value ?? null;
  }
  const why = idempotent ? `after ${attempts} attempts` : "(not retried: it is not idempotent)";
  throw new NoAnswer(`${method} ${path}: no answer from the WebDriver server ${why}: ${lastError}`);
}
