// The harness's own guarantees (a few seconds): a WebDriver request that gets no answer fails
// after its limit and is sent again only when it is idempotent (against a real loopback
// server that accepts connections and never answers, as a stalled driver does); a step that
// hangs fails naming itself; the processes the harness starts end when the test process dies,
// even by SIGKILL; and a session opens even when WebKitWebDriver is slow to start (the real
// stack: tauri-driver answers nothing until WebKitWebDriver listens).

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeDemo, startDriver } from "../lib/desktop.mjs";
import { step, withDeadline } from "../lib/steps.mjs";
import { NoAnswer, request, sleep } from "../lib/webdriver.mjs";

/** A loopback server that accepts every connection and never answers; counts the requests. */
async function silentServer() {
  const sockets = [];
  let requests = 0;
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.once("data", () => requests++); // (fetch may open a spare connection it never uses)
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    requests: () => requests,
    /** The count once it reaches `n` or has stayed put for a second (a loaded machine may run
     * the server's read after the client has already given up). */
    settled: async (n) => {
      for (let waited = 0; requests < n && waited < 1000; waited += 20) await sleep(20);
      await sleep(50); // a request sent once too often would show up here
      return requests;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test("a request with no answer fails after its limit; only an idempotent one is sent again", { timeout: 40_000 }, async () => {
  const server = await silentServer();
  try {
    let t = Date.now();
    await assert.rejects(request(server.base, "POST", "/session/s/actions", { actions: [] }, { timeout: 1000 }), (e) => e instanceof NoAnswer && /not idempotent/.test(e.message));
    assert.ok(Date.now() - t < 4000, `a key press without an answer fails after its limit (${Date.now() - t} ms)`);
    assert.equal(await server.settled(1), 1, "a key press is sent once");

    t = Date.now();
    await assert.rejects(request(server.base, "GET", "/session/s/screenshot", undefined, { timeout: 1000 }), (e) => e instanceof NoAnswer && /after 4 attempts/.test(e.message));
    assert.ok(Date.now() - t < 12000, `a screenshot without an answer fails after 4 tries (${Date.now() - t} ms)`);
    assert.equal(await server.settled(1 + 4), 1 + 4, "a screenshot is asked for 4 times");

    await assert.rejects(request(server.base, "POST", "/session/s/execute/sync", { script: "return 1", args: [] }, { timeout: 1000, idempotent: true }), NoAnswer);
    assert.equal(await server.settled(1 + 4 + 4), 1 + 4 + 4, "a read-only script is sent 4 times");
  } finally {
    server.close();
  }
});

test("a step that hangs fails naming itself and the steps around it", { timeout: 10_000 }, async () => {
  const never = () => new Promise(() => {});
  await assert.rejects(
    step("video: label it", () => step("video: seek to 30 s", never, 200), 1000),
    (e) => /step "video: label it > video: seek to 30 s" hung/.test(e.message) && e.step === "video: label it > video: seek to 30 s",
  );
  let stopped = false;
  await assert.rejects(
    withDeadline("the test", 200, () => step("ranking: label it", never, 1000), () => (stopped = true)),
    /the test took longer than 0.2 s; it was in step ranking: label it/,
  );
  assert.ok(stopped, "the deadline stops the processes");
});

test("what the harness started ends when the test process is killed (SIGKILL)", { timeout: 20_000 }, async () => {
  // A test process that starts two processes (one of them with a child of its own) the way the
  // harness starts Xvfb and tauri-driver, reports their process groups, then waits.
  const desktop = fileURLToPath(new URL("../lib/desktop.mjs", import.meta.url));
  const script = `
    const { guarded } = await import(${JSON.stringify(desktop)});
    const a = guarded("sh", ["-c", "sleep 300 & sleep 300"]);
    const b = guarded("sleep", ["300"]);
    console.log(JSON.stringify([a.child.pid, b.child.pid]));
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const groups = await new Promise((resolve) => child.stdout.once("data", (d) => resolve(JSON.parse(String(d)))));
  const members = () => groups.flatMap((g) => {
    try {
      return execFileSync("pgrep", ["-g", String(g)], { encoding: "utf8" }).trim().split("\n");
    } catch {
      return []; // pgrep exits 1 when the group is empty
    }
  });
  await sleep(300);
  assert.ok(members().length >= 5, `both guards and their processes run: ${members()}`);
  child.kill("SIGKILL");
  const end = Date.now() + 5000;
  while (members().length && Date.now() < end) await sleep(100);
  assert.deepEqual(members(), [], "nothing of either group is left 5 s after the test process was killed");
});

test("a session opens even when WebKitWebDriver takes 1.5 s to start listening", { timeout: 90_000 }, async () => {
  // tauri-driver finds WebKitWebDriver on the PATH: this one waits before it starts the real one.
  const bin = mkdtempSync(join(tmpdir(), "sift-slow-webdriver-"));
  writeFileSync(join(bin, "WebKitWebDriver"), '#!/bin/sh\nsleep 1.5\nexec /usr/bin/WebKitWebDriver "$@"\n');
  chmodSync(join(bin, "WebKitWebDriver"), 0o755);
  const demo = makeDemo();
  const driver = await startDriver(demo.dir, { env: { PATH: `${bin}:${process.env.PATH}` }, log: "harness-driver.log" });
  try {
    const s = await driver.launch([demo.projects.qa]);
    assert.match(s.id, /^[0-9a-f-]{36}$/, "a session id");
    await s.delete();
  } finally {
    await driver.stop();
    rmSync(bin, { recursive: true, force: true });
    rmSync(demo.dir, { recursive: true, force: true });
  }
});
