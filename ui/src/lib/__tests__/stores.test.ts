import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../api/client";
import { ApiError, NetworkError, toApiError } from "../api/errors";
import { Autosave, saveStatusText } from "../stores/autosave.svelte";
import { chooseCopy, LocalDrafts } from "../stores/localDrafts";
import { QueueStore } from "../stores/queue.svelte";
import { ActiveTimer } from "../stores/timer";
import type { AnnotationView } from "../bindings";
import { FakeTransport } from "../../test/fake";

const passages = [{ source: "One." }, { source: "Two." }, { source: "Three." }, { source: "Four." }];

describe("ActiveTimer", () => {
  it("counts active time and stops counting when idle", () => {
    let now = 0;
    const t = new ActiveTimer({ idleMs: 1000, now: () => now });
    t.activity();
    now = 500;
    t.activity();
    now = 800;
    expect(t.peek()).toBe(800);
    now = 5000; // idle since 500: counted up to the last action
    expect(t.peek()).toBe(500);
    t.activity(); // back: a new segment starts
    now = 5300;
    expect(t.take()).toBe(800);
    now = 5400;
    expect(t.take()).toBe(100);
  });

  it("stops after 60 s without input by default, counting up to the last action", () => {
    let now = 0;
    const t = new ActiveTimer({ now: () => now });
    expect(t.idleMs).toBe(60_000);
    t.activity();
    now = 59_000;
    expect(t.peek()).toBe(59_000); // 59 s since the last key: still working
    now = 61_000;
    expect(t.peek()).toBe(0); // a minute without input: the time since it does not count
    t.activity();
    now = 70_000;
    t.activity();
    now = 130_001;
    expect(t.take()).toBe(9_000); // idle again: only 61 to 70 s counted
  });

  it("pauses, and takes back time a failed save had taken", () => {
    let now = 0;
    const t = new ActiveTimer({ idleMs: 10_000, now: () => now, pendingMs: 250 });
    t.activity();
    now = 1000;
    t.pause();
    now = 9000;
    expect(t.peek()).toBe(1250);
    const ms = t.take();
    expect(ms).toBe(1250);
    t.giveBack(ms);
    expect(t.peek()).toBe(1250);
  });
});

describe("LocalDrafts and restore", () => {
  const server = (over: Partial<AnnotationView>): AnnotationView => ({
    id: 1,
    item_id: 1,
    annotator: "ann",
    state: "draft",
    version: 3,
    submitted_version: null,
    payload: {},
    time_spent_ms: 0,
    updated_at: "2026-01-01T00:00:10Z",
    reviews: [],
    ...over,
  });
  const local = (over = {}) => ({ payload: { pairs: [] }, pendingMs: 0, savedAt: Date.parse("2026-01-01T00:00:20Z"), baseVersion: 3, ...over });

  it("stores per project, annotator and item", () => {
    const a = new LocalDrafts("p:ann");
    const b = new LocalDrafts("p:bob");
    a.put(7, local());
    expect(a.get(7)?.baseVersion).toBe(3);
    expect(b.get(7)).toBeNull();
    expect(a.itemIds()).toEqual([7]);
    a.remove(7);
    expect(a.get(7)).toBeNull();
  });

  it("prefers the local copy only when the server copy is older", () => {
    expect(chooseCopy(null, local())).toBe("local");
    expect(chooseCopy(server({}), null)).toBe("server");
    expect(chooseCopy(server({}), local())).toBe("local");
    expect(chooseCopy(server({ version: 4 }), local())).toBe("server"); // saved since
    expect(chooseCopy(server({ updated_at: "2026-01-01T00:00:30Z" }), local({ baseVersion: null }))).toBe("server");
    expect(chooseCopy(server({ state: "submitted" }), local())).toBe("server");
    expect(chooseCopy(server({ state: "returned" }), local())).toBe("local");
  });
});

describe("Autosave", () => {
  let fake: FakeTransport;
  let client: ApiClient;
  let drafts: LocalDrafts;
  let timer: ActiveTimer;
  let now: number;

  beforeEach(() => {
    vi.useFakeTimers();
    fake = new FakeTransport("qa", passages);
    client = new ApiClient(fake);
    drafts = new LocalDrafts("test");
    now = 0;
    timer = new ActiveTimer({ now: () => now });
  });
  afterEach(() => vi.useRealTimers());

  const make = (over = {}) => new Autosave({ client, itemId: 1, local: drafts, timer, baseVersion: null, debounceMs: 800, retryMs: [1000, 3000], ...over });

  it("debounces changes into one save, with the active time since the last save", async () => {
    const a = make();
    timer.activity();
    now = 1500;
    a.change({ pairs: [{ question: "Q1" }] });
    await vi.advanceTimersByTimeAsync(400);
    a.change({ pairs: [{ question: "Q12" }] });
    expect(a.status).toBe("dirty");
    expect(drafts.get(1)?.payload).toEqual({ pairs: [{ question: "Q12" }] }); // kept locally at once
    await vi.advanceTimersByTimeAsync(799);
    expect(fake.callsOf("save_draft")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    const saves = fake.callsOf("save_draft");
    expect(saves).toHaveLength(1);
    expect(saves[0].args).toEqual({ item_id: 1, payload: { pairs: [{ question: "Q12" }] }, time_spent_ms: 1500 });
    expect(a.status).toBe("saved");
    expect(drafts.get(1)).toBeNull();
    expect(a.baseVersion).toBe(1);
  });

  it("flushes at once (blur, item change) and with keepalive on page hide", async () => {
    const a = make();
    a.change({ pairs: [] });
    await a.flush();
    expect(fake.callsOf("save_draft")).toHaveLength(1);
    a.change({ pairs: [{ question: "x" }] });
    a.flushOnHide();
    await vi.advanceTimersByTimeAsync(0);
    const last = fake.callsOf("save_draft").at(-1)!;
    expect(last.options?.keepalive).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(fake.callsOf("save_draft")).toHaveLength(2); // the debounce was cancelled
  });

  it("keeps work locally when offline and retries with backoff", async () => {
    fake.failAlways("save_draft", new NetworkError());
    const a = make();
    timer.activity();
    now = 2000;
    a.change({ pairs: [{ question: "offline" }] });
    await vi.advanceTimersByTimeAsync(800);
    expect(a.status).toBe("offline");
    const kept = drafts.get(1)!;
    expect(kept.payload).toEqual({ pairs: [{ question: "offline" }] });
    expect(kept.pendingMs).toBe(2000); // the time is not lost either
    await vi.advanceTimersByTimeAsync(1000);
    expect(fake.callsOf("save_draft")).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2999);
    expect(fake.callsOf("save_draft")).toHaveLength(2);
    fake.heal("save_draft");
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.callsOf("save_draft")).toHaveLength(3);
    expect(a.status).toBe("saved");
    expect(fake.callsOf("save_draft")[2].args.time_spent_ms).toBe(2000);
    expect(drafts.get(1)).toBeNull();
  });

  it("a newer change during a save wins and stays local until saved", async () => {
    const a = make();
    a.change({ n: 1 });
    const first = a.flush();
    await Promise.resolve();
    await Promise.resolve();
    expect(fake.callsOf("save_draft")).toHaveLength(1); // in flight
    a.change({ n: 2 });
    await first;
    expect(a.status).toBe("dirty");
    expect(drafts.get(1)?.payload).toEqual({ n: 2 });
    expect(drafts.get(1)?.baseVersion).toBe(1);
    await vi.advanceTimersByTimeAsync(800);
    expect(fake.lastPayload()).toEqual({ n: 2 });
    expect(drafts.get(1)).toBeNull();
  });

  it("reports a refused draft and asks for sign-in when the session ended", async () => {
    const onUnauthenticated = vi.fn();
    const a = make({ onUnauthenticated });
    fake.failNext("save_draft", new ApiError("invalid_input", "span 9..3 is reversed"));
    a.change({ x: 1 });
    await a.flush();
    expect(a.status).toBe("error");
    expect(a.error).toContain("reversed");
    fake.failNext("save_draft", new ApiError("unauthenticated", "signed out"));
    await a.flush();
    expect(onUnauthenticated).toHaveBeenCalledOnce();
    expect(drafts.get(1)?.payload).toEqual({ x: 1 });
  });
});

describe("Autosave through transient and blocking store errors", () => {
  let fake: FakeTransport;
  let drafts: LocalDrafts;
  let timer: ActiveTimer;

  beforeEach(() => {
    vi.useFakeTimers();
    fake = new FakeTransport("qa", passages);
    drafts = new LocalDrafts("test");
    timer = new ActiveTimer({ now: () => 0 });
  });
  afterEach(() => vi.useRealTimers());

  const make = (over = {}) =>
    new Autosave({ client: new ApiClient(fake), itemId: 1, local: drafts, timer, baseVersion: null, debounceMs: 800, ...over });
  // The error bodies as the server sends them (decoded as the HTTP and Tauri transports do).
  const refusal = (code: string, message: string, status: number) => toApiError({ code, message }, status);

  it("retries a save refused while the project is busy, with backoff, and saves once the lock is released", async () => {
    fake.failAlways("save_draft", refusal("busy", "The project is locked by another writer (an import)", 503));
    const a = make({ busyRetryMs: [200, 400] });
    a.change({ n: 1 });
    await vi.advanceTimersByTimeAsync(800);
    expect(a.status).toBe("busy");
    expect(a.error).toContain("locked by another writer");
    expect(drafts.get(1)?.payload).toEqual({ n: 1 });
    await vi.advanceTimersByTimeAsync(200);
    expect(fake.callsOf("save_draft")).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(399);
    expect(fake.callsOf("save_draft")).toHaveLength(2); // backing off
    fake.heal("save_draft"); // the import committed: the lock is released
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.callsOf("save_draft")).toHaveLength(3);
    expect(a.status).toBe("saved");
    expect(a.error).toBeNull();
    expect(drafts.get(1)).toBeNull();
  });

  it.each([
    ["storage_full", "No space left on the disk that holds the project", 507, "Disk full"],
    ["read_only", "The project file is read-only", 403, "Read-only"],
  ])("on %s: keeps the draft locally, names the cause, retries periodically and on the next edit", async (code, message, status, text) => {
    fake.failAlways("save_draft", refusal(code, message, status));
    const a = make({ blockedRetryMs: 5000 });
    a.change({ n: 1 });
    await vi.advanceTimersByTimeAsync(800);
    expect(a.status).toBe("blocked");
    expect(a.problem).toBe(code);
    expect(a.error).toBe(message);
    expect(saveStatusText(a.status, a.problem)).toContain(text);
    expect(drafts.get(1)?.payload).toEqual({ n: 1 });
    await vi.advanceTimersByTimeAsync(4999);
    expect(fake.callsOf("save_draft")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // periodically
    expect(fake.callsOf("save_draft")).toHaveLength(2);
    a.change({ n: 2 }); // and on the next edit, without waiting for the period
    expect(a.status).toBe("blocked"); // the cause stays on screen while typing
    await vi.advanceTimersByTimeAsync(800);
    expect(fake.callsOf("save_draft")).toHaveLength(3);
    expect(fake.lastPayload()).toEqual({ n: 2 });
    expect(drafts.get(1)?.payload).toEqual({ n: 2 });
    fake.heal("save_draft"); // space freed / permissions fixed
    await vi.advanceTimersByTimeAsync(5000);
    expect(fake.callsOf("save_draft")).toHaveLength(4);
    expect(a.status).toBe("saved");
    expect(a.problem).toBeNull();
    expect(drafts.get(1)).toBeNull();
  });

  it("still treats an unexpected internal error as final (no retry loop)", async () => {
    fake.failAlways("save_draft", refusal("internal", "bug", 500));
    const a = make({ blockedRetryMs: 1000, busyRetryMs: [100] });
    a.change({ n: 1 });
    await vi.advanceTimersByTimeAsync(800);
    expect(a.status).toBe("error");
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fake.callsOf("save_draft")).toHaveLength(1);
    expect(drafts.get(1)?.payload).toEqual({ n: 1 });
  });
});

describe("QueueStore", () => {
  it("navigates, prefetches and serves the next item from the cache", async () => {
    const fake = new FakeTransport("qa", passages);
    const q = new QueueStore(new ApiClient(fake), { prefetch: 1 });
    await q.load();
    expect(q.position).toEqual({ n: 1, m: 4 });
    expect(q.current?.item_id).toBe(1);
    await vi.waitFor(() => expect(q.cached(2)).not.toBeNull());
    expect(await q.next()).toBe(true);
    expect(q.current?.item_id).toBe(2);
    expect(q.cached(2)?.content).toEqual({ source: "Two." });
    const gets = fake.callsOf("get_item").filter((c) => c.args.item_id === 2);
    expect(gets).toHaveLength(1);
    expect(q.previous()).toBe(true);
    expect(q.current?.item_id).toBe(1);
    expect(q.previous()).toBe(false);
  });

  it("skips to the end of the list", async () => {
    const fake = new FakeTransport("qa", passages);
    const q = new QueueStore(new ApiClient(fake));
    await q.load();
    await q.skip();
    expect(q.entries.map((e) => e.item_id)).toEqual([2, 3, 4, 1]);
    expect(q.current?.item_id).toBe(2);
  });

  it("asks the server for more at the end, then says all done", async () => {
    const fake = new FakeTransport("qa", passages.slice(0, 2));
    const client = new ApiClient(fake);
    const q = new QueueStore(client);
    await q.load();
    await client.submit(1, {}, 0);
    await q.next();
    await client.submit(2, {}, 0);
    fake.items.set(3, { source: "New import." });
    expect(await q.next()).toBe(true);
    expect(q.current?.item_id).toBe(3);
    await client.submit(3, {}, 0);
    expect(await q.next()).toBe(false);
    expect(q.exhausted).toBe(true);
    expect(q.current).toBeNull();
    expect(q.remaining).toBe(0);
    expect(q.done).toBe(3);
    q.previous();
    expect(q.current?.item_id).toBe(3);
  });

  it("continues past the first page with the next page of new items, never the first page again", async () => {
    const six = [...passages, { source: "Five." }, { source: "Six." }];
    const fake = new FakeTransport("qa", six);
    const client = new ApiClient(fake);
    await client.saveDraft(5, { pairs: [] }, 0); // a draft: first in the queue, not a new item
    const q = new QueueStore(client, { limit: 2, prefetch: 1 });
    await q.load();
    expect(q.entries.map((e) => [e.item_id, e.reason])).toEqual([
      [5, "draft"],
      [1, "new"],
    ]);
    expect(await q.next()).toBe(true);
    expect(await q.next()).toBe(true); // past the page: new items after item 1
    expect(q.current?.item_id).toBe(2);
    expect(await q.next()).toBe(true);
    expect(q.current?.item_id).toBe(3);
    expect(await q.next()).toBe(true); // the next page: after item 3
    expect(q.current?.item_id).toBe(4);
    expect(await q.next()).toBe(true);
    expect(q.current?.item_id).toBe(6); // 5 is a draft: already in the list
    expect(q.position).toEqual({ n: 6, m: 6 });
    expect(await q.next()).toBe(false);
    expect(q.exhausted).toBe(true);
    expect(q.remaining).toBe(6); // nothing submitted: everything is still waiting
    const queues = fake.callsOf("queue").map((c) => c.args);
    expect(queues[0]).toEqual({ limit: 2 });
    // After the first page, only continuations: every later call names where to go on from.
    expect(queues.slice(1).every((a) => typeof a.after === "number")).toBe(true);
    expect(queues.slice(1).map((a) => a.after)).toEqual(expect.arrayContaining([1, 3, 6]));
    // The continuation was fetched ahead, and its first item too: no wait on "next".
    expect(q.cached(6)).not.toBeNull();
  });

  it("says all done only when the continuation is empty, and finds items imported since", async () => {
    const fake = new FakeTransport("qa", passages.slice(0, 1));
    const client = new ApiClient(fake);
    const q = new QueueStore(client, { limit: 1 });
    await q.load();
    await client.submit(1, {}, 0);
    fake.items.set(2, { source: "Imported later." });
    expect(await q.next()).toBe(true); // the prefetched page was empty: asked again
    expect(q.current?.item_id).toBe(2);
    await client.submit(2, {}, 0);
    expect(await q.next()).toBe(false);
    expect(q.exhausted).toBe(true);
    expect(q.remaining).toBe(0);
    // From "All done", next asks for a continuation again, not the first page.
    fake.items.set(3, { source: "Imported even later." });
    expect(await q.next()).toBe(true);
    expect(q.current?.item_id).toBe(3);
    expect(fake.callsOf("queue").filter((c) => c.args.after === undefined)).toHaveLength(1);
  });

  it("keeps the cache in step with our own saves", async () => {
    const fake = new FakeTransport("qa", passages);
    const client = new ApiClient(fake);
    const q = new QueueStore(client);
    await q.load();
    await q.item(1);
    const saved = await client.saveDraft(1, { pairs: [] }, 10);
    q.updateAnnotation(saved);
    expect(q.cached(1)?.annotation?.version).toBe(1);
  });
});
