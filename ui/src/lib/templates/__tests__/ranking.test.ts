import { describe, expect, it } from "vitest";
import { FakeTransport } from "../../../test/fake";
import { fireEvent, press, renderApp, screen, waitFor } from "../../../test/util";

const ITEM = {
  prompt: "Why is the sky blue? <b>bold?</b>",
  responses: ["Rayleigh scattering.", "It reflects the sea.", "Blue light scatters more."],
};

const rowsOrder = () => screen.getAllByTestId("rank-row").map((r) => [r.getAttribute("data-response-id"), r.getAttribute("data-rank")]);

describe("ranking template", () => {
  it("shows the prompt as text and every response", async () => {
    const fake = new FakeTransport("ranking", [ITEM]);
    await renderApp(fake);
    expect(screen.getByTestId("prompt")).toHaveTextContent("Why is the sky blue? <b>bold?</b>");
    expect(screen.getAllByTestId("response")).toHaveLength(3);
    expect(screen.getAllByTestId("dimension-tab").map((t) => t.textContent?.trim())).toEqual([
      "○ Clarity",
      "○ Accuracy",
      "○ Harmlessness (least harmful first)",
    ]);
  });

  it("ranks with number keys on the focused response, densely and without ties", async () => {
    const fake = new FakeTransport("ranking", [ITEM]);
    await renderApp(fake);
    const [a, b, c] = screen.getAllByTestId("response");
    a.focus();
    press("2", {}, a);
    press("1", {}, b);
    await waitFor(() => expect(rowsOrder()).toEqual([["1", "1"], ["0", "2"], ["2", ""]]));
    press("1", {}, c); // takes rank 1; the others make room
    await waitFor(() => expect(rowsOrder()).toEqual([["2", "1"], ["1", "2"], ["0", "3"]]));
    expect(screen.getAllByTestId("response-rank").map((r) => r.textContent?.trim())).toEqual(["#3", "#2", "#1"]);
    await waitFor(() => expect(fake.lastPayload()?.rankings).toEqual({ clarity: { "2": 1, "1": 2, "0": 3 } }), { timeout: 3000 });
  });

  it("moves the selected response with Alt+Up/Down and switches dimensions with Alt+Left/Right", async () => {
    const fake = new FakeTransport("ranking", [ITEM]);
    await renderApp(fake);
    fireEvent.click(screen.getByRole("button", { name: "Rank in this order" }));
    await waitFor(() => expect(rowsOrder()).toEqual([["0", "1"], ["1", "2"], ["2", "3"]]));
    screen.getAllByTestId("rank-row")[2].focus();
    press("ArrowUp", { alt: true });
    press("ArrowUp", { alt: true });
    await waitFor(() => expect(rowsOrder()).toEqual([["2", "1"], ["0", "2"], ["1", "3"]]));
    press("ArrowRight", { alt: true });
    await waitFor(() => expect(screen.getAllByTestId("dimension-tab")[1]).toHaveAttribute("aria-selected", "true"));
    expect(rowsOrder().every(([, rank]) => rank === "")).toBe(true); // accuracy is not ranked yet
    expect(screen.getAllByTestId("dimension-tab")[0]).toHaveTextContent("✓");
    // Ties are refused when not allowed.
    press("t", { alt: true });
    await waitFor(() => expect(screen.getByTestId("toasts")).toHaveTextContent("Ties are not allowed"));
  });

  it("records classifications and the rationale (Alt+R focuses it)", async () => {
    const fake = new FakeTransport("ranking", [ITEM]);
    await renderApp(fake);
    const radios = screen.getAllByRole("radio", { name: "yes" });
    await fireEvent.click(radios[1]);
    press("r", { alt: true });
    expect(document.activeElement).toBe(screen.getByTestId("rationale"));
    await fireEvent.input(screen.getByTestId("rationale"), { target: { value: "A is right." } });
    await waitFor(
      () =>
        expect(fake.lastPayload()).toEqual({
          rankings: {},
          classifications: { "1": { factual_error: "yes" } },
          rationale: "A is right.",
        }),
      { timeout: 3000 },
    );
  });

  it("shows an imported order with its source and score, without pairwise confidences", async () => {
    const fake = new FakeTransport("ranking", [ITEM]);
    fake.suggestions.set(1, {
      model: "reward-7",
      version: 0,
      imported: "label-studio",
      rankings: { clarity: { order: ["1", "0", "2"], confidence: [], score: 0.6 } },
    });
    await renderApp(fake);
    const box = screen.getByTestId("suggested-order");
    expect(screen.getAllByTestId("suggested-response").map((r) => r.textContent)).toEqual(["B", "A", "C"]);
    expect(screen.queryAllByTestId("suggested-confidence")).toHaveLength(0);
    expect(screen.getByTestId("suggested-source")).toHaveTextContent("From reward-7 (imported from Label Studio), score 60%");
    expect(box).not.toHaveTextContent("v0");
    press("a", { alt: true });
    await waitFor(() => expect(fake.lastPayload()?.rankings).toEqual({ clarity: { "1": 1, "0": 2, "2": 3 } }), { timeout: 3000 });
    expect(fake.callsOf("save_draft").at(-1)?.args).toMatchObject({ suggestion_shown: true, suggestion_accepted: true });
  });

  it("shows violations with the response letters and dimension titles of the screen", async () => {
    const fake = new FakeTransport("ranking", [ITEM]);
    fake.violations = [
      { path: "rankings.accuracy.0", code: "missing_response", message: "response `0` is not ranked on `accuracy`" },
      { path: "classifications.2.factual_error", code: "missing_classification", message: 'answer "Does this response contain a factual error?" for response `2`' },
    ];
    await renderApp(fake);
    press("1", {}, screen.getAllByTestId("response")[0]);
    await waitFor(() => expect(screen.getAllByTestId("violation")).toHaveLength(2), { timeout: 3000 });
    const [first, second] = screen.getAllByTestId("violation");
    expect(first).toHaveTextContent("Ranking · Accuracy · Response A");
    expect(first).toHaveTextContent("response A is not ranked on Accuracy");
    expect(first.textContent).not.toContain("`");
    expect(second).toHaveTextContent("Response C · factual error");
    expect(second).toHaveTextContent("for response C");
    // The raw path still drives click-to-focus: the Accuracy tab.
    expect(first).toHaveAttribute("data-violation-path", "rankings.accuracy.0");
    await fireEvent.click(first);
    expect(document.activeElement).toHaveAttribute("data-path", "rankings.accuracy");
  });

  it("offers a model's suggested order per dimension as a starting point (Alt+A), and saves record it", async () => {
    const fake = new FakeTransport("ranking", [ITEM]);
    fake.suggestions.set(1, {
      model: "reward-head",
      version: 2,
      rankings: { clarity: { order: ["2", "0", "1"], confidence: [0.81, 0.66] }, accuracy: { order: ["0", "1"], confidence: [0.9] } },
    });
    await renderApp(fake);
    const box = screen.getByTestId("suggested-order");
    expect(screen.getAllByTestId("suggested-response").map((r) => r.textContent)).toEqual(["C", "A", "B"]);
    expect(screen.getAllByTestId("suggested-confidence").map((r) => r.textContent)).toEqual(["81%", "66%"]);
    expect(box).toHaveTextContent("reward-head v2");
    expect(rowsOrder().every(([, rank]) => rank === "")).toBe(true); // nothing ranked for the annotator
    // Accuracy's order does not cover the three responses: no suggestion there.
    press("ArrowRight", { alt: true });
    await waitFor(() => expect(screen.getAllByTestId("dimension-tab")[1]).toHaveAttribute("aria-selected", "true"));
    expect(screen.queryByTestId("suggested-order")).toBeNull();
    press("ArrowLeft", { alt: true });
    await waitFor(() => expect(screen.getByTestId("suggested-order")).toBeInTheDocument());

    press("a", { alt: true });
    await waitFor(() => expect(rowsOrder()).toEqual([["2", "1"], ["0", "2"], ["1", "3"]]));
    expect(screen.getByTestId("suggestion-used")).toBeInTheDocument();
    await waitFor(() => expect(fake.lastPayload()?.rankings).toEqual({ clarity: { "2": 1, "0": 2, "1": 3 } }), { timeout: 3000 });
    expect(fake.callsOf("save_draft").at(-1)?.args).toMatchObject({ suggestion_shown: true, suggestion_accepted: true });

    // Changed from there: shown, not accepted.
    screen.getAllByTestId("rank-row")[2].focus();
    press("ArrowUp", { alt: true });
    await waitFor(() => expect(fake.lastPayload()?.rankings).toEqual({ clarity: { "2": 1, "1": 2, "0": 3 } }), { timeout: 3000 });
    expect(fake.callsOf("save_draft").at(-1)?.args).toMatchObject({ suggestion_shown: true, suggestion_accepted: false });
    expect(screen.getByTestId("use-suggestion")).toBeInTheDocument();
  });
});
