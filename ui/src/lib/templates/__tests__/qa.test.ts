import { describe, expect, it, vi } from "vitest";
import { FakeTransport } from "../../../test/fake";
import { fireEvent, press, renderApp, screen, selectText, waitFor } from "../../../test/util";

const PASSAGE = "Tokyo 東京 is big. 😀 The tower 🗼 opened in 1958.";

describe("Q&A template", () => {
  it("renders the passage as text, with the queue position and empty state", async () => {
    const fake = new FakeTransport("qa", [{ source: `${PASSAGE} <script>window.__pwned=1</script>` }, { source: "Second." }]);
    await renderApp(fake);
    const passage = screen.getByTestId("passage");
    expect(passage.textContent).toBe(`${PASSAGE} <script>window.__pwned=1</script>`);
    expect(passage.querySelector("script")).toBeNull();
    expect(screen.getByTestId("queue-position")).toHaveTextContent("1 of 2");
    expect(screen.getByTestId("item-state")).toHaveTextContent("New");
    expect(performance.getEntriesByName("sift:item-rendered:1").length).toBeGreaterThan(0);
  });

  it("cites a selection in code points (emoji, CJK) for the selected pair with Alt+C", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    await renderApp(fake);
    press("n", { alt: true }); // add_pair
    await waitFor(() => expect(screen.getAllByTestId("pair-card")).toHaveLength(1));

    const passage = screen.getByTestId("passage");
    const from = PASSAGE.indexOf("😀");
    const to = PASSAGE.indexOf("🗼") + 2;
    selectText(passage, from, to);
    press("c", { alt: true }); // cite_selection

    const cps = Array.from(PASSAGE);
    const start = cps.indexOf("😀");
    const end = cps.indexOf("🗼") + 1;
    await waitFor(() => expect(screen.getByTestId("pair-span")).toHaveAttribute("data-start", String(start)));
    expect(screen.getByTestId("pair-span")).toHaveAttribute("data-end", String(end));
    // The passage highlights the cited text in the pair's colour.
    const mark = passage.querySelector("mark")!;
    expect(mark.textContent).toBe("😀 The tower 🗼");
    expect(mark.getAttribute("data-pairs")).toBe("1");

    // A second selection in CJK, trimmed of the space before it.
    selectText(passage, PASSAGE.indexOf("東") - 1, PASSAGE.indexOf("京") + 1);
    fireEvent.click(screen.getByTestId("cite-button"));
    await waitFor(() => expect(screen.getAllByTestId("pair-span")).toHaveLength(2));

    await waitFor(() => expect(fake.callsOf("save_draft").length).toBeGreaterThan(0), { timeout: 3000 });
    const pair = fake.lastPayload().pairs[0];
    expect(pair.spans).toEqual([
      { start: 6, end: 8 },
      { start, end },
    ]);
    expect(cps.slice(6, 8).join("")).toBe("東京");
  });

  it("keeps the current pair when focus only passes through another pair; Alt+P jumps to the passage", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    await renderApp(fake);
    press("n", { alt: true });
    press("n", { alt: true });
    await waitFor(() => expect(screen.getAllByTestId("pair-card")).toHaveLength(2));
    const cards = () => screen.getAllByTestId("pair-card");
    await waitFor(() => expect(cards()[1]).toHaveAttribute("aria-current", "true"));
    expect(screen.getByTestId("cite-target")).toHaveTextContent("Pair 2");

    // Shift+Tab from pair 2 back to the passage crosses pair 1: focus alone selects nothing.
    const [q1] = screen.getAllByTestId("pair-question");
    q1.focus();
    await fireEvent.focusIn(q1);
    expect(cards()[1]).toHaveAttribute("aria-current", "true");
    expect(cards()[0]).not.toHaveAttribute("aria-current");

    // Alt+P: straight to the passage, with a caret at its start.
    press("p", { alt: true });
    const passage = screen.getByTestId("passage");
    await waitFor(() => expect(document.activeElement).toBe(passage));
    const sel = window.getSelection()!;
    expect(passage.contains(sel.anchorNode)).toBe(true);
    expect(sel.isCollapsed).toBe(true);

    selectText(passage, PASSAGE.indexOf("The tower"), PASSAGE.indexOf("The tower") + 9);
    press("c", { alt: true });
    await waitFor(() => expect(cards()[1].querySelectorAll("[data-testid='pair-span']")).toHaveLength(1));
    expect(cards()[0].querySelectorAll("[data-testid='pair-span']")).toHaveLength(0);
    // The confirmation names the pair and what was cited.
    expect(screen.getByTestId("toasts")).toHaveTextContent("Cited “The tower” for pair 2");

    // Typing in pair 1 makes it the current pair; so does pressing the pointer in it.
    await fireEvent.input(q1, { target: { value: "Which city is big?" } });
    await waitFor(() => expect(cards()[0]).toHaveAttribute("aria-current", "true"));
    expect(screen.getByTestId("cite-target")).toHaveTextContent("Pair 1");
    await fireEvent.pointerDown(cards()[1]);
    await waitFor(() => expect(cards()[1]).toHaveAttribute("aria-current", "true"));

    // A pair shortcut pressed inside a pair acts on that pair (Alt+E in pair 1 ticks pair 1).
    q1.focus();
    press("e", { alt: true }, q1);
    await waitFor(() => expect((screen.getAllByTestId("entire-passage")[0] as HTMLInputElement).checked).toBe(true));
    expect((screen.getAllByTestId("entire-passage")[1] as HTMLInputElement).checked).toBe(false);

    // The passage shortcut is listed in the ? overlay.
    press("?", { shift: true, code: "Slash" }, passage);
    expect(await screen.findByTestId("shortcut-overlay")).toHaveTextContent("Go to the passage");
  });

  it("selects passage text with the keyboard alone (Shift+arrows by character, Ctrl+Shift+arrows by word) in code points", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    await renderApp(fake);
    press("n", { alt: true });
    await waitFor(() => expect(screen.getAllByTestId("pair-card")).toHaveLength(1));
    press("p", { alt: true });
    const passage = screen.getByTestId("passage");
    await waitFor(() => expect(document.activeElement).toBe(passage));

    const cps = Array.from(PASSAGE);
    const emoji = cps.indexOf("😀");
    press("Home", {}, passage);
    for (let i = 0; i < emoji; i++) press("ArrowRight", {}, passage);
    press("ArrowRight", { shift: true }, passage); // the emoji is one step
    expect(window.getSelection()!.toString()).toBe("😀");
    press("ArrowRight", { shift: true, ctrl: true }, passage); // to the end of "The"
    press("ArrowRight", { shift: true, ctrl: true }, passage); // to the end of "tower"
    expect(window.getSelection()!.toString()).toBe("😀 The tower");
    press("ArrowLeft", { shift: true }, passage); // give one character back
    expect(window.getSelection()!.toString()).toBe("😀 The towe");
    press("ArrowRight", { shift: true }, passage);
    press("c", { alt: true }, passage);
    const span = await screen.findByTestId("pair-span");
    expect(span).toHaveAttribute("data-start", String(emoji));
    expect(span).toHaveAttribute("data-end", String(emoji + Array.from("😀 The tower").length));
    // The caret stays after the cited text, and the highlight is in place.
    await waitFor(() => expect(passage.querySelector("mark")?.textContent).toBe("😀 The tower"));
    expect(document.activeElement).toBe(passage);
    expect(window.getSelection()!.isCollapsed).toBe(true);

    // Shift+End selects to the end of the line; Escape collapses; Ctrl+A selects only the passage.
    press("End", { shift: true }, passage);
    expect(window.getSelection()!.toString()).toBe(" 🗼 opened in 1958.");
    press("Escape", {}, passage);
    expect(window.getSelection()!.isCollapsed).toBe(true);
    press("a", { ctrl: true }, passage);
    expect(window.getSelection()!.toString()).toBe(PASSAGE);
    // Moving never leaves the passage.
    press("End", { ctrl: true }, passage);
    press("ArrowRight", {}, passage);
    press("ArrowLeft", { shift: true }, passage);
    expect(window.getSelection()!.toString()).toBe(".");
  });

  it("adds, edits, reorders and deletes pairs by keyboard; counters follow the rules", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    await renderApp(fake);
    press("n", { alt: true });
    press("n", { alt: true });
    await waitFor(() => expect(screen.getAllByTestId("pair-card")).toHaveLength(2));
    const [q1, q2] = screen.getAllByTestId("pair-question") as HTMLTextAreaElement[];
    await fireEvent.input(q1, { target: { value: "Short?" } });
    await fireEvent.input(q2, { target: { value: "When did the tower open?" } });
    expect(screen.getAllByTestId("pair-card")[0]).toHaveTextContent("6 / 10–300 chars");

    // The second pair is selected (it was added last): move it up.
    press("ArrowUp", { alt: true, shift: true });
    await waitFor(() => expect((screen.getAllByTestId("pair-question")[0] as HTMLTextAreaElement).value).toBe("When did the tower open?"));

    // Cycle the question type and toggle "entire passage" on the selected pair.
    press("t", { alt: true });
    press("e", { alt: true });
    await waitFor(() => expect((screen.getAllByTestId("entire-passage")[0] as HTMLInputElement).checked).toBe(true));
    expect((screen.getAllByRole("combobox", { name: /question type of pair 1/i })[0] as HTMLSelectElement).value).toBe("factual");

    press("Backspace", { alt: true });
    await waitFor(() => expect(screen.getAllByTestId("pair-card")).toHaveLength(1));
    await waitFor(() => expect(fake.lastPayload()?.pairs).toEqual([{ question: "Short?", answer: "", question_type: "", spans: [], entire_passage: false }]), { timeout: 3000 });
  });

  it("shows every violation from validate and focuses the field on click", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    fake.violations = [
      { path: "pairs", code: "too_few", message: "needs at least 3 pairs, found 1" },
      { path: "pairs[0].answer", code: "too_short", message: "must have at least 2 characters" },
    ];
    await renderApp(fake);
    press("n", { alt: true });
    await waitFor(() => expect(screen.getAllByTestId("violation")).toHaveLength(2), { timeout: 3000 });
    expect(screen.getByTestId("validation-summary")).toHaveTextContent("2 rules not yet met");
    expect(screen.getByTestId("validation-summary")).toHaveTextContent("Pair 1 · answer");
    await fireEvent.click(screen.getAllByTestId("violation")[1]);
    expect(document.activeElement).toBe(screen.getByTestId("pair-answer"));
  });

  it("refuses a submit with the server's violations, keeps the work, and submits once fixed", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }, { source: "Next passage." }]);
    await renderApp(fake);
    press("n", { alt: true });
    fake.violations = [{ path: "pairs", code: "too_few", message: "needs at least 3 pairs, found 1" }];
    press("Enter", { ctrl: true });
    await waitFor(() => expect(screen.getByTestId("validation-summary")).toHaveTextContent("needs at least 3 pairs"));
    expect(fake.callsOf("submit")).toHaveLength(1);
    fake.violations = [];
    fireEvent.click(screen.getByTestId("submit"));
    await waitFor(() => expect(screen.getByTestId("queue-position")).toHaveTextContent("2 of 2"));
    expect(fake.annotations.get(1)?.state).toBe("submitted");
    expect(screen.getByTestId("passage")).toHaveTextContent("Next passage.");
    // Going back shows the submitted work read-only.
    fireEvent.click(screen.getByTestId("previous"));
    await waitFor(() => expect(screen.getByTestId("item-state")).toHaveTextContent("Submitted"));
    expect(screen.getByTestId("read-only")).toBeInTheDocument();
    expect(screen.queryByTestId("submit")).toBeNull();
  });

  it("restores an unsaved local copy when the server copy is older", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    localStorage.setItem(
      "sift:draft:/tmp/demo:ann:1",
      JSON.stringify({ payload: { pairs: [{ question: "Kept locally?" }] }, pendingMs: 4200, savedAt: Date.now(), baseVersion: null }),
    );
    await renderApp(fake);
    expect((screen.getByTestId("pair-question") as HTMLTextAreaElement).value).toBe("Kept locally?");
    await waitFor(() => expect(fake.callsOf("save_draft")).toHaveLength(1), { timeout: 3000 });
    expect(fake.callsOf("save_draft")[0].args.time_spent_ms).toBeGreaterThanOrEqual(4200);
    await waitFor(() => expect(localStorage.getItem("sift:draft:/tmp/demo:ann:1")).toBeNull());
  });

  it("flushes the draft with keepalive when the page is hidden", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    await renderApp(fake);
    press("n", { alt: true });
    await waitFor(() => expect(screen.getAllByTestId("pair-card")).toHaveLength(1));
    window.dispatchEvent(new Event("pagehide"));
    await waitFor(() => expect(fake.callsOf("save_draft")).toHaveLength(1));
    expect(fake.callsOf("save_draft")[0].options?.keepalive).toBe(true);
  });

  it("shows 'Offline – kept locally' when saving fails", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    fake.failAlways("save_draft");
    await renderApp(fake);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    press("n", { alt: true });
    await waitFor(() => expect(screen.getByTestId("autosave-status")).toHaveTextContent("Offline – kept locally"), { timeout: 3000 });
    expect(JSON.parse(localStorage.getItem("sift:draft:/tmp/demo:ann:1")!).payload.pairs).toHaveLength(1);
  });
});
