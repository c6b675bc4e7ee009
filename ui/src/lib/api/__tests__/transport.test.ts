import { describe, expect, it, vi } from "vitest";
import { ApiClient } from "../client";
import { ApiError, NetworkError } from "../errors";
import { HttpTransport } from "../http";
import { TauriTransport } from "../tauri";
import { takeHashToken } from "../../boot";

function response(status: number, body: unknown): Response {
  return new Response(body === undefined ? "" : JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

describe("HttpTransport", () => {
  it("posts JSON to /api/<command> with the session cookie", async () => {
    const fetch = vi.fn(async () => response(200, { entries: [], total_items: 0, done: 0 }));
    const client = new ApiClient(new HttpTransport("", fetch as unknown as typeof globalThis.fetch));
    await client.queue(5);
    expect(fetch).toHaveBeenCalledWith("/api/queue", expect.objectContaining({
      method: "POST",
      credentials: "same-origin",
      body: JSON.stringify({ limit: 5 }),
      keepalive: false,
    }));
    const init = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect((init.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("throws typed errors with violations", async () => {
    const violations = [{ path: "pairs", code: "too_few", message: "needs 3" }];
    const fetch = vi.fn(async () => response(400, { code: "invalid_input", message: "1 rule", violations }));
    const t = new HttpTransport("", fetch as unknown as typeof globalThis.fetch);
    const err = (await t.call("submit", {}).catch((e: ApiError) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe("invalid_input");
    expect(err.violations).toEqual(violations);
    fetch.mockImplementationOnce(async () => response(401, { code: "unauthenticated", message: "sign in" }));
    expect(((await t.call("me", {}).catch((e: ApiError) => e)) as ApiError).code).toBe("unauthenticated");
    fetch.mockImplementationOnce(async () => new Response("Bad gateway", { status: 502 }));
    const e502 = (await t.call("me", {}).catch((e: ApiError) => e)) as ApiError;
    expect(e502.code).toBe("unavailable");
    expect(e502.transient).toBe(true);
    fetch.mockImplementationOnce(async () => {
      throw new TypeError("Failed to fetch");
    });
    expect(await t.call("me", {}).catch((e: ApiError) => e)).toBeInstanceOf(NetworkError);
  });

  it("signs in and out through /api/session and builds media URLs", async () => {
    const fetch = vi.fn(async () => response(200, undefined));
    const t = new HttpTransport("", fetch as unknown as typeof globalThis.fetch);
    await t.signIn("sift_abc");
    expect(fetch).toHaveBeenLastCalledWith("/api/session", expect.objectContaining({ method: "POST", body: '{"token":"sift_abc"}' }));
    await t.signOut();
    expect(fetch).toHaveBeenLastCalledWith("/api/session", expect.objectContaining({ method: "DELETE" }));
    expect(t.mediaUrl(12)).toBe("/media/items/12");
    const client = new ApiClient(t);
    expect(client.mediaUrl({ id: 3, content: {}, media_url: "/media/items/3?v=1", annotation: null, suggestion: null })).toBe("/media/items/3?v=1");
  });
});

describe("TauriTransport", () => {
  it("invokes commands and maps errors and media URLs", async () => {
    const invoke = vi.fn(async (cmd: string) => {
      if (cmd === "submit") throw { code: "invalid_input", message: "no", violations: [] };
      return { ok: cmd };
    });
    const t = new TauriTransport(invoke as never);
    expect(await t.call("me", {})).toEqual({ ok: "me" });
    expect(invoke).toHaveBeenCalledWith("me", {});
    expect(((await t.call("submit", { item_id: 1 }).catch((e: ApiError) => e)) as ApiError).code).toBe("invalid_input");
    t.setMediaBase("http://127.0.0.1:4567/media/");
    expect(t.mediaUrl(9)).toBe("http://127.0.0.1:4567/media/items/9");
  });
});

describe("sign-in link", () => {
  it("takes the token out of the address bar", () => {
    history.replaceState(null, "", "/app?x=1#token=sift_abc123");
    expect(takeHashToken()).toBe("sift_abc123");
    expect(location.hash).toBe("");
    expect(location.pathname + location.search).toBe("/app?x=1");
    history.replaceState(null, "", "/#view=2&token=sift_x");
    expect(takeHashToken()).toBe("sift_x");
    expect(location.hash).toBe("#view=2");
    expect(takeHashToken()).toBeNull();
  });
});
