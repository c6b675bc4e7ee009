// A small W3C WebDriver client over fetch, for tauri-driver + WebKitWebDriver (no
// dependencies). WebKitWebDriver sometimes resets a connection while a page plays video:
// requests are retried when the connection fails, never when the driver answered.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriverError extends Error {
  constructor(method, path, status, value) {
    super(`${method} ${path}: HTTP ${status} ${value?.error ?? ""} ${value?.message ?? JSON.stringify(value)}`);
    this.status = status;
    this.value = value;
  }
}

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

  /** Opens a session on a Tauri app: `application` is the binary, `args` its arguments. */
  static async start(base, application, args = []) {
    const value = await request(base, "POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application, args } } },
    });
    return new Session(base, value.sessionId);
  }

  cmd(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async delete() {
    try {
      await this.cmd("DELETE", "");
    } catch {
      // Already gone.
    }
  }

  /** Runs `script` (a function body) in the page with `args`. */
  execute(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Runs `script`; it calls `arguments[arguments.length - 1](result)` when done. */
  executeAsync(script, ...args) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  /** Calls a Tauri command from the page, as the UI does: `{ok}` or `{err}`. */
  invoke(command, args = {}) {
    return this.executeAsync(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
         .then((ok) => done({ ok: ok ?? null }), (err) => done({ err: err ?? "rejected" }));`,
      command,
      args,
    );
  }

  async find(css) {
    const value = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return value[ELEMENT];
  }

  async findAll(css) {
    const value = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return value.map((v) => v[ELEMENT]);
  }

  async click(css) {
    const el = typeof css === "string" ? await this.waitForElement(css) : css;
    return this.cmd("POST", `/element/${el}/click`, {});
  }

  /** Types `text` into the element (focusing it first). */
  async type(css, text) {
    const el = typeof css === "string" ? await this.waitForElement(css) : css;
    return this.cmd("POST", `/element/${el}/value`, { text });
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

  /** Polls `check` (an async function) until it returns something truthy. */
  async waitFor(check, timeout = 20000, what = "condition") {
    const end = Date.now() + timeout;
    let last;
    for (;;) {
      try {
        const v = await check();
        if (v) return v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
      await sleep(100);
    }
  }

  /** Polls a page expression until it is truthy and returns its value. */
  waitForScript(expression, timeout = 20000) {
    return this.waitFor(() => this.execute(`return (${expression});`), timeout, expression);
  }
}

/** One WebDriver request; retried when the connection fails (not when the driver answers). */
export async function request(base, method, path, body) {
  let lastError;
  for (let attempt = 0; attempt < 4; attempt++) {
    let res;
    try {
      res = await fetch(base + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      lastError = e;
      await sleep(200 * (attempt + 1));
      continue;
    }
    const text = await res.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = { message: text };
    }
    if (!res.ok) throw new WebDriverError(method, path, res.status, json?.value ?? json);
    return json?.value ?? null;
  }
  throw new Error(`${method} ${path}: no answer from the WebDriver server: ${lastError?.cause?.code ?? lastError?.message}`);
}
