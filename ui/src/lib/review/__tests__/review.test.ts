import { describe, expect, it } from "vitest";
import type { AnnotationView, ReviewTask } from "../../bindings";
import { FakeTransport } from "../../../test/fake";
import { fireEvent, press, renderApp, screen, selectText, waitFor } from "../../../test/util";

const PASSAGE = "The bridge opened in 1937. Its towers are 227 m tall.";

function submitted(id: number, itemId: number, payload: AnnotationView["payload"], reviews: AnnotationView["reviews"] = []): AnnotationView {
  return {
    id,
    item_id: itemId,
    annotator: "bob",
    state: "submitted",
    version: 2,
    submitted_version: 2,
    payload,
    time_spent_ms: 90_000,
    updated_at: "2026-01-01T10:00:00Z",
    reviews,
  };
}

function reviewTask(fake: FakeTransport, id: number, itemId: number, payload: AnnotationView["payload"]): ReviewTask {
  return { annotation: submitted(id, itemId, payload), item: { id: itemId, content: fake.items.get(itemId)!, media_url: null, annotation: null, suggestion: null } };
}

describe("review mode", () => {
  it("shows the dataset targets and, beside the work judged, the other annotations of the item", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }], "reviewer");
    const pairs = (n: number) => ({
      pairs: Array.from({ length: n }, (_, i) => ({ question: `Question ${i}?`, answer: "An answer.", question_type: "factual", spans: [], entire_passage: true })),
    });
    fake.reviewQueue = [reviewTask(fake, 41, 1, pairs(1)), { ...reviewTask(fake, 42, 1, pairs(2)), annotation: { ...submitted(42, 1, pairs(2)), annotator: "cy" } }];
    fake.moreAnnotations = [{ ...submitted(43, 1, pairs(3)), annotator: "dee", state: "approved" }];
    fake.quotaReport = {
      all_met: false,
      lines: [
        { target: "share of question type `factual`", bounds: { min: 0.4 }, value: 0.25, count: 3, total: 12, status: "not-yet", advice: "3 more `factual` pairs" },
        { target: "share of question type `whole-passage`", bounds: { max: 0.2 }, value: 0.1, count: 1, total: 10, status: "met", advice: "" },
      ],
    };
    await renderApp(fake);
    await fireEvent.click(screen.getByTestId("tab-review"));
    await waitFor(() => expect(screen.getAllByTestId("quota-line")).toHaveLength(2));
    const [factual, whole] = screen.getAllByTestId("quota-line");
    expect(factual).toHaveTextContent("share of question type `factual`");
    expect(factual).toHaveTextContent("25%");
    expect(factual).toHaveTextContent("asked ≥ 40% · 3/12");
    expect(factual).toHaveTextContent("not yet");
    expect(factual).toHaveTextContent("3 more `factual` pairs");
    expect(whole).toHaveAttribute("data-status", "met");
    // Bob's work is judged; cy's and dee's are beside it.
    await waitFor(() => expect(screen.getAllByTestId("other-annotation")).toHaveLength(2));
    expect(screen.getAllByTestId("other-summary").map((s) => s.textContent)).toEqual(["2 pairs", "3 pairs"]);
    expect(screen.getByTestId("other-annotations")).toHaveTextContent("cy");
    expect(screen.getByTestId("other-annotations")).toHaveTextContent("approved");
    // All three in full, side by side (Alt+V), the one judged marked; Esc goes back.
    await fireEvent.keyDown(window, { key: "v", code: "KeyV", altKey: true });
    const dialog = await screen.findByTestId("side-by-side");
    expect(dialog).toHaveTextContent("All 3 annotations of this item");
    const columns = screen.getAllByTestId("compare-column");
    expect(columns.map((c) => c.querySelectorAll(".entry").length)).toEqual([1, 2, 3]);
    expect(columns[0]).toHaveTextContent("under review");
    expect(columns[1]).toHaveTextContent("Question 1?");
    await fireEvent.keyDown(dialog, { key: "Escape" });
    await waitFor(() => expect(screen.queryByTestId("side-by-side")).toBeNull());
    await fireEvent.click(screen.getByTestId("compare-open"));
    await screen.findByTestId("side-by-side");
    await fireEvent.click(screen.getByRole("button", { name: /Close/ }));
    await waitFor(() => expect(screen.queryByTestId("side-by-side")).toBeNull());
    // Cy's submitted one can be opened for review; then bob's is among the others.
    await fireEvent.click(screen.getByRole("button", { name: "Review this one" }));
    await waitFor(() => expect(fake.callsOf("get_annotation").at(-1)?.args).toEqual({ annotation_id: 42 }));
    await waitFor(() => expect(screen.getAllByTestId("other-summary").map((s) => s.textContent)).toEqual(["1 pairs", "3 pairs"]));
  });

  it("shows no target panel when the template sets none", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }], "reviewer");
    fake.reviewQueue = [reviewTask(fake, 41, 1, { pairs: [] })];
    await renderApp(fake);
    await fireEvent.click(screen.getByTestId("tab-review"));
    await waitFor(() => expect(fake.callsOf("quotas")).toHaveLength(1));
    expect(screen.queryByTestId("quota-panel")).toBeNull();
    expect(screen.queryByTestId("other-annotations")).toBeNull();
  });

  it("is offered to reviewers only", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    await renderApp(fake);
    expect(screen.queryByTestId("tab-review")).toBeNull();
  });

  it("approves, and returns only with a comment anchored to a passage span", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }, { source: "Other." }], "reviewer");
    const pairs = { pairs: [{ question: "When did it open?", answer: "1937.", question_type: "factual", spans: [{ start: 0, end: 26 }], entire_passage: false }] };
    fake.reviewQueue = [reviewTask(fake, 41, 1, pairs), reviewTask(fake, 42, 2, { pairs: [] })];
    await renderApp(fake);
    await fireEvent.click(screen.getByTestId("tab-review"));
    await waitFor(() => expect(screen.getAllByTestId("review-entry")).toHaveLength(2));
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent(PASSAGE));
    // Read-only: the annotator's answers are shown, not editable.
    expect((screen.getByTestId("pair-question") as HTMLTextAreaElement).readOnly).toBe(true);
    expect(screen.queryByTestId("cite-button")).toBeNull();

    const ret = screen.getByTestId("review-return");
    expect(ret).toBeDisabled();
    const passage = screen.getByTestId("passage");
    selectText(passage, PASSAGE.indexOf("227"), PASSAGE.indexOf("227") + 7);
    await fireEvent.mouseUp(passage);
    await waitFor(() => expect(screen.getByTestId("review-anchor")).toHaveTextContent("“227 m t”"));
    await fireEvent.input(screen.getByTestId("review-comment-input"), { target: { value: "Cite the height too." } });
    expect(ret).toBeEnabled();
    await fireEvent.click(ret);
    await waitFor(() => expect(fake.callsOf("review")).toHaveLength(1));
    expect(fake.callsOf("review")[0].args).toEqual({
      annotation_id: 41,
      version: 2,
      decision: "returned",
      comment: "Cite the height too.",
      anchor: { span: [42, 49] },
    });
    // The next one opens; approve it without a comment.
    await waitFor(() => expect(screen.getAllByTestId("review-entry")).toHaveLength(1));
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent("Other."));
    await fireEvent.click(screen.getByTestId("review-approve"));
    await waitFor(() => expect(fake.callsOf("review")).toHaveLength(2));
    expect(fake.callsOf("review")[1].args).toMatchObject({ annotation_id: 42, decision: "approved", comment: null, anchor: null });
    await waitFor(() => expect(screen.getByTestId("review-empty")).toBeInTheDocument());
  });

  it("anchors a comment to a span selected with the keyboard alone (Alt+P, Shift+arrows)", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }], "reviewer");
    fake.reviewQueue = [reviewTask(fake, 41, 1, { pairs: [] })];
    await renderApp(fake);
    await fireEvent.click(screen.getByTestId("tab-review"));
    await waitFor(() => expect(screen.getByTestId("passage")).toHaveTextContent(PASSAGE));
    const passage = screen.getByTestId("passage");
    press("p", { alt: true });
    await waitFor(() => expect(document.activeElement).toBe(passage));
    for (let i = 0; i < PASSAGE.indexOf("227"); i++) press("ArrowRight", {}, passage);
    press("ArrowRight", { shift: true, ctrl: true }, passage); // "227"
    press("ArrowRight", { shift: true, ctrl: true }, passage); // " m"
    await waitFor(() => expect(screen.getByTestId("review-anchor")).toHaveTextContent("“227 m”"));
    await fireEvent.input(screen.getByTestId("review-comment-input"), { target: { value: "Cite the height." } });
    await fireEvent.click(screen.getByTestId("review-return"));
    await waitFor(() => expect(fake.callsOf("review")[0]?.args.anchor).toEqual({ span: [42, 47] }));
  });

  it("anchors to an image object by clicking its dot", async () => {
    const fake = new FakeTransport("image-caption", [{ "source-ref": "a.jpg", width: 100, height: 80 }], "lead");
    fake.reviewQueue = [
      reviewTask(fake, 7, 1, { objects: [{ id: "o1", x: 10, y: 10, name: "cat", description: "A cat." }], relationships: [], setting: "", caption: "" }),
    ];
    await renderApp(fake);
    await fireEvent.click(screen.getByTestId("tab-review"));
    await waitFor(() => expect(screen.getAllByTestId("object-dot")).toHaveLength(1));
    const dot = screen.getByTestId("object-dot");
    await fireEvent.pointerDown(dot, { button: 0, clientX: 5, clientY: 5, pointerId: 1 });
    await fireEvent.pointerUp(dot, { button: 0, clientX: 5, clientY: 5, pointerId: 1 });
    await waitFor(() => expect(screen.getByTestId("review-anchor")).toHaveTextContent("object o1"));
    await fireEvent.input(screen.getByTestId("review-comment-input"), { target: { value: "Describe its colour." } });
    await fireEvent.click(screen.getByTestId("review-return"));
    await waitFor(() => expect(fake.callsOf("review")[0]?.args.anchor).toEqual({ object: "o1" }));
  });

  it("anchors to the current video time", async () => {
    const fake = new FakeTransport("video-caption", [{ "source-ref": "a.mp4", duration: 10 }], "reviewer");
    fake.reviewQueue = [reviewTask(fake, 8, 1, { events: [{ start: 1, end: 2, description: "x" }], setting: "", caption: "" })];
    await renderApp(fake);
    await fireEvent.click(screen.getByTestId("tab-review"));
    await waitFor(() => expect(screen.getByTestId("video")).toBeInTheDocument());
    (screen.getByTestId("video") as HTMLVideoElement).currentTime = 3.5;
    await fireEvent.click(screen.getByTestId("anchor-time"));
    await fireEvent.click(screen.getByTestId("review-approve"));
    await waitFor(() => expect(fake.callsOf("review")[0]?.args.anchor).toEqual({ time: 3.5 }));
  });

  it("shows the reviewer's comment and anchor on returned work, which is editable again", async () => {
    const fake = new FakeTransport("qa", [{ source: PASSAGE }]);
    fake.annotations.set(1, {
      ...submitted(3, 1, { pairs: [{ question: "Q?", answer: "A.", question_type: "", spans: [], entire_passage: false }] }, [
        { id: 1, version: 2, reviewer: "rita", decision: "returned", comment: "Cite <b>the</b> evidence.", anchor: '{"span":[4,10]}', created_at: "2026-01-01T11:00:00Z" },
      ]),
      annotator: "ann",
      state: "returned",
    });
    await renderApp(fake);
    const banner = screen.getByTestId("review-comment");
    expect(banner).toHaveTextContent("rita: Cite <b>the</b> evidence.");
    expect(banner).toHaveTextContent("“bridge”");
    expect(screen.getByTestId("passage").querySelector("mark.anchored")?.textContent).toBe("bridge");
    expect(screen.getByTestId("item-state")).toHaveTextContent("Returned");
    expect((screen.getByTestId("pair-question") as HTMLTextAreaElement).readOnly).toBe(false);
  });
});
