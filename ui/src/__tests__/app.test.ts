import { describe, expect, it, vi } from "vitest";
import { render } from "@testing-library/svelte";
import App from "../App.svelte";
import { ApiError } from "../lib/api/errors";
import { FakeTransport } from "../test/fake";
import { fireEvent, press, renderApp, screen, waitFor } from "../test/util";

/** Serves the fake project over a mocked `fetch`, with a cookie session like `sift serve`. */
function serve(fake: FakeTransport, token = "sift_good") {
  let signedIn = false;
  const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
    const json = (status: number, body: unknown) => new Response(body === undefined ? "" : JSON.stringify(body), { status });
    if (url === "/api/session") {
      if (init.method === "DELETE") {
        signedIn = false;
        return json(200, undefined);
      }
      const ok = JSON.parse(String(init.body)).token === token;
      signedIn = ok;
      return ok ? json(200, undefined) : json(401, { code: "unauthenticated", message: "bad token" });
    }
    if (!signedIn) return json(401, { code: "unauthenticated", message: "sign in" });
    const command = url.replace("/api/", "");
    try {
      return json(200, await fake.call(command, JSON.parse(String(init.body))));
    } catch (err) {
      const e = err as ApiError;
      return json(400, { code: e.code, message: e.message, violations: e.violations });
    }
  });
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

describe("start-up", () => {
  it("signs in from the #token= link and removes it from the address bar first", async () => {
    const fake = new FakeTransport("qa", [{ source: "A passage." }]);
    const fetchMock = serve(fake);
    history.replaceState(null, "", "/#token=sift_good");
    render(App);
    expect(location.hash).toBe("");
    await waitFor(() => expect(window.__siftReady).toBe(true));
    expect(fetchMock.mock.calls[0][0]).toBe("/api/session");
    expect(screen.getByTestId("passage")).toHaveTextContent("A passage.");
    vi.unstubAllGlobals();
  });

  it("shows the sign-in screen without a session, and signs in with a pasted token", async () => {
    const fake = new FakeTransport("qa", [{ source: "A passage." }]);
    serve(fake);
    history.replaceState(null, "", "/");
    render(App);
    const input = await screen.findByTestId("token-input");
    await fireEvent.input(input, { target: { value: "sift_bad" } });
    await fireEvent.submit(screen.getByTestId("sign-in"));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("not accepted"));
    await fireEvent.input(input, { target: { value: "sift_good" } });
    await fireEvent.submit(screen.getByTestId("sign-in"));
    await waitFor(() => expect(window.__siftReady).toBe(true));
    await fireEvent.click(screen.getByTestId("sign-out"));
    await screen.findByTestId("token-input");
    vi.unstubAllGlobals();
  });

  it("says All done when the queue is empty", async () => {
    const fake = new FakeTransport("qa", []);
    await renderApp(fake);
    expect(screen.getByTestId("all-done")).toHaveTextContent("All done");
  });

  it("toggles the instructions (F1) and the shortcut overlay (?)", async () => {
    const fake = new FakeTransport("ranking", [{ prompt: "P", responses: ["a", "b"] }]);
    await renderApp(fake);
    const panel = screen.getByTestId("instructions");
    const body = panel.querySelector("#instructions-body")!;
    const before = body.hasAttribute("hidden");
    press("F1");
    await waitFor(() => expect(body.hasAttribute("hidden")).toBe(!before));
    press("?", { shift: true, code: "Slash" });
    const overlay = await screen.findByTestId("shortcut-overlay");
    for (const label of ["Submit the annotation", "Tie the selected response with the next one", "Go to the rationale", "Give the focused response that rank"]) {
      expect(overlay).toHaveTextContent(label);
    }
    await fireEvent.keyDown(overlay, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("shortcut-overlay")).toBeNull());
  });

  it("renders instructions sanitised", async () => {
    const fake = new FakeTransport("qa", [{ source: "x" }]);
    fake.template = { ...fake.template, instructions: "# Hi\n\n<img src=x onerror=alert(1)> [bad](javascript:alert(1))" };
    await renderApp(fake);
    const panel = screen.getByTestId("instructions");
    expect(panel.querySelector("h1")).toHaveTextContent("Hi");
    expect(panel.querySelector("img")).toBeNull();
    expect(panel.querySelector("a")).toBeNull();
  });

  it("skips and navigates with cached prefetched items", async () => {
    const fake = new FakeTransport("qa", [{ source: "One." }, { source: "Two." }, { source: "Three." }]);
    await renderApp(fake);
    await waitFor(() => expect(fake.callsOf("get_item").map((c) => c.args.item_id)).toEqual(expect.arrayContaining([1, 2, 3])));
    const before = fake.callsOf("get_item").length;
    press("s", { alt: true }); // skip
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("Two."));
    expect(screen.getByTestId("queue-position")).toHaveTextContent("1 of 3");
    await fireEvent.click(screen.getByTestId("next"));
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("Three."));
    expect(fake.callsOf("get_item").length).toBe(before); // rendered from the prefetch cache
    await fireEvent.click(screen.getByTestId("next"));
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("One."));
  });
});
