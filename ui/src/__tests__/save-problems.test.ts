// The annotate screen when the project cannot be written: a read-only project says so when it
// is opened; a full disk or a read-only file names the cause while the draft stays in this
// browser, and the draft saves on the next edit once the cause is gone.

import { describe, expect, it, vi } from "vitest";
import { toApiError } from "../lib/api/errors";
import { FakeTransport } from "../test/fake";
import { fireEvent, press, renderApp, screen, waitFor } from "../test/util";

const PASSAGE = "The Golden Gate Bridge opened in 1937.";

describe("saving when the project cannot be written", () => {
  it("says a read-only project is read-only when it is opened", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    fake.me = { ...fake.me, read_only: true };
    await renderApp(fake);
    const banner = screen.getByTestId("save-problem");
    expect(banner).toHaveAttribute("data-cause", "read_only");
    expect(banner).toHaveTextContent(/read-only/i);
    expect(banner).toHaveTextContent(/kept in this browser/i);
  });

  it("says so on the review screen too (reviews cannot be recorded)", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }], "reviewer");
    fake.me = { ...fake.me, read_only: true };
    await renderApp(fake);
    await fireEvent.click(screen.getByTestId("tab-review"));
    await waitFor(() => expect(screen.getByTestId("save-problem")).toHaveTextContent(/reviews cannot be recorded/i));
  });

  it("shows no banner for a writable project", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    fake.me = { ...fake.me, read_only: false };
    await renderApp(fake);
    expect(screen.queryByTestId("save-problem")).toBeNull();
  });

  it("says the project is busy while another writer holds it, and saves by itself once the lock is released", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    fake.failAlways("save_draft", toApiError({ code: "busy", message: "The project is locked by another writer" }, 503));
    await renderApp(fake);
    press("n", { alt: true });
    await waitFor(() => expect(screen.getByTestId("autosave-status")).toHaveTextContent("Project busy – retrying"), { timeout: 3000 });
    expect(screen.getByTestId("autosave-status")).toHaveAttribute("data-status", "busy");
    expect(screen.queryByTestId("save-problem")).toBeNull(); // a short wait, not a problem to act on
    expect(JSON.parse(localStorage.getItem("sift:draft:/tmp/demo:ann:1")!).payload.pairs).toHaveLength(1);
    fake.heal("save_draft"); // no further edit: the retry alone saves it
    await waitFor(() => expect(screen.getByTestId("autosave-status")).toHaveTextContent("Saved"), { timeout: 5000 });
    expect(fake.lastPayload().pairs).toHaveLength(1);
    expect(localStorage.getItem("sift:draft:/tmp/demo:ann:1")).toBeNull();
  });

  it.each([
    ["storage_full", "No space left on the disk that holds the project", /disk .*full/i],
    ["read_only", "The project file is read-only", /read-only/i],
  ])("on %s names the cause, keeps the draft locally, and saves on the next edit once it is gone", async (code, message, cause) => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    fake.failAlways("save_draft", toApiError({ code, message }, 507));
    await renderApp(fake);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    press("n", { alt: true }); // add a pair: an edit
    const banner = await screen.findByTestId("save-problem", undefined, { timeout: 3000 });
    expect(banner).toHaveAttribute("data-cause", code);
    expect(banner).toHaveTextContent(cause);
    expect(banner).toHaveTextContent(/kept in this browser/i);
    expect(screen.getByTestId("autosave-status")).toHaveTextContent(cause);
    expect(JSON.parse(localStorage.getItem("sift:draft:/tmp/demo:ann:1")!).payload.pairs).toHaveLength(1);
    fake.heal("save_draft");
    press("n", { alt: true }); // the next edit saves at once (after the debounce)
    await waitFor(() => expect(screen.getByTestId("autosave-status")).toHaveTextContent("Saved"), { timeout: 3000 });
    expect(screen.queryByTestId("save-problem")).toBeNull();
    expect(fake.lastPayload().pairs).toHaveLength(2);
    expect(localStorage.getItem("sift:draft:/tmp/demo:ann:1")).toBeNull();
  });
});
