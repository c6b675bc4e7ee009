import { describe, expect, it, vi } from "vitest";
import { render, within } from "@testing-library/svelte";
import App from "../App.svelte";
import { ApiError } from "../lib/api/errors";
import { FakeTransport } from "../test/fake";
import { fireEvent, press, renderApp, screen, waitFor } from "../test/util";
import { ApiClient } from "../lib/api/client";

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

  it("continues past the first queue page with `after` instead of looping back to item 1", async () => {
    const fake = new FakeTransport("qa", [{ source: "One." }, { source: "Two." }, { source: "Three." }]);
    // A first page of two items, as when the queue is longer than a page.
    const call = fake.call.bind(fake);
    fake.call = (command, args, options) =>
      call(command, command === "queue" && (args as { limit?: number }).limit === 200 ? { ...args, limit: 2 } : args, options);
    await renderApp(fake);
    expect(screen.getByTestId("queue-position")).toHaveTextContent("1 of 2");
    await fireEvent.click(screen.getByTestId("next"));
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("Two."));
    await fireEvent.click(screen.getByTestId("next"));
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("Three."));
    expect(screen.getByTestId("queue-position")).toHaveTextContent("3 of 3");
    expect(fake.callsOf("queue").some((c) => c.args.after === 2)).toBe(true);
    await waitFor(() => expect(performance.getEntriesByName("sift:item-rendered:3").length).toBeGreaterThan(0));
    // Past the last page: All done, never item 1 again.
    await fireEvent.click(screen.getByTestId("next"));
    await waitFor(() => expect(screen.getByTestId("all-done")).toBeInTheDocument());
    expect(screen.queryByTestId("passage")).toBeNull();
  });

  it("lists my work (Alt+W) with state badges and reopens it: submitted read-only, drafts editable", async () => {
    const fake = new FakeTransport("qa", [{ source: "Submitted one." }, { source: "Draft two." }, { source: "New three." }]);
    const client = new ApiClient(fake);
    await client.submit(1, { pairs: [{ question: "Q?", answer: "A.", question_type: "factual", spans: [], entire_passage: true }] }, 10);
    await client.saveDraft(2, { pairs: [{ question: "Half done?", answer: "", question_type: "", spans: [], entire_passage: false }] }, 10);
    await renderApp(fake);
    // After a reload the submitted item has left the queue: drafts first, then new items.
    expect(screen.getByTestId("passage")).toHaveTextContent("Draft two.");

    press("w", { alt: true });
    const drawer = await screen.findByTestId("my-work");
    await waitFor(() => expect(within(drawer).getAllByTestId("my-work-entry")).toHaveLength(2));
    const entries = within(drawer).getAllByTestId("my-work-entry");
    expect(entries.map((e) => [e.getAttribute("data-item-id"), within(e).getByTestId("my-work-state").textContent])).toEqual([
      ["2", "Draft"],
      ["1", "Submitted"],
    ]);
    // Keyboard: the list has focus; Down moves, Enter opens.
    await waitFor(() => expect(document.activeElement).toBe(entries[0]));
    await fireEvent.keyDown(drawer, { key: "ArrowDown" });
    expect(document.activeElement).toBe(entries[1]);
    await fireEvent.click(entries[1]);
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("Submitted one."));
    expect(screen.queryByTestId("my-work")).toBeNull();
    expect(screen.getByTestId("item-state")).toHaveTextContent("Submitted");
    expect(screen.getByTestId("read-only")).toBeInTheDocument();
    expect((screen.getByTestId("pair-question") as HTMLTextAreaElement).value).toBe("Q?");
    expect((screen.getByTestId("pair-question") as HTMLTextAreaElement).readOnly).toBe(true);
    expect(screen.getByTestId("queue-position")).toHaveTextContent("Item 1");

    // Back to the queue where it was.
    await fireEvent.click(screen.getByTestId("back-to-queue"));
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("Draft two."));
    expect(screen.getByTestId("queue-position")).toHaveTextContent("1 of 2");

    // A draft opens editable (here it is in the queue: the queue moves to it).
    await fireEvent.click(screen.getByTestId("next"));
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("New three."));
    await fireEvent.click(screen.getByTestId("my-work-button"));
    const again = await screen.findByTestId("my-work");
    await waitFor(() => expect(within(again).getAllByTestId("my-work-entry")).toHaveLength(2));
    await fireEvent.click(within(again).getAllByTestId("my-work-entry")[0]);
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("Draft two."));
    expect((screen.getByTestId("pair-question") as HTMLTextAreaElement).readOnly).toBe(false);
    expect(screen.getByTestId("item-state")).toHaveTextContent("Draft");

    // Escape closes the list.
    press("w", { alt: true });
    const third = await screen.findByTestId("my-work");
    await fireEvent.keyDown(third, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("my-work")).toBeNull());
  });
});
