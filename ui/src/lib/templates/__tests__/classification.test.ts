import { describe, expect, it } from "vitest";
import type { AnnotationView, ReviewTask } from "../../bindings";
import type { ClassificationTemplate } from "../../template";
import { FakeTransport, TEMPLATES } from "../../../test/fake";
import { fireEvent, press, renderApp, screen, selectText, waitFor } from "../../../test/util";
import { classForKey, normalizeClassification, pick } from "../classification/model";
import { describePath } from "../../validation";

const TEXT = "I was charged twice for my subscription this month. Please refund one of the charges.";
const base = TEMPLATES.classification as ClassificationTemplate;

/** The support-topics template as an image, multi-label one (at most 2 classes). */
function imageMulti(): ClassificationTemplate {
  return { ...base, fields: { image: "source-ref" }, rules: { ...base.rules, multi_label: true, min_labels: 1, max_labels: 2, allow_unsure: false, unsure_reason: undefined, unsure_reason_max_chars: undefined } };
}

const chosen = () => screen.getAllByTestId("class").filter((c) => c.dataset.chosen === "true").map((c) => c.dataset.class);
const lastSave = (fake: FakeTransport) => fake.callsOf("save_draft").at(-1)?.args;
/** Lets a submit that was (wrongly) started reach the transport. */
const settle = () => new Promise((r) => setTimeout(r, 100));

describe("classification model", () => {
  it("picks one class (single-label) or toggles within max_labels (multi-label)", () => {
    expect(pick(["billing"], "account", base.rules)).toEqual({ labels: ["account"] });
    const multi = imageMulti().rules;
    expect(pick(["billing"], "account", multi)).toEqual({ labels: ["billing", "account"] });
    expect(pick(["billing", "account"], "billing", multi)).toEqual({ labels: ["account"] });
    expect(pick(["billing", "account"], "other", multi)).toEqual({ refused: "At most 2 classes per item" });
  });

  it("reads class keys without modifiers; digits from the number row and the keypad", () => {
    const key = (init: Partial<KeyboardEvent>) => classForKey(base.rules.classes, { key: "", code: "", altKey: false, ctrlKey: false, metaKey: false, shiftKey: false, ...init })?.name ?? null;
    expect(key({ key: "2", code: "Digit2" })).toBe("technical");
    expect(key({ key: "3", code: "Numpad3" })).toBe("account");
    expect(key({ key: "2", code: "Digit2", altKey: true })).toBeNull();
    expect(key({ key: "2", code: "Digit2", ctrlKey: true })).toBeNull();
    expect(key({ key: "9", code: "Digit9" })).toBeNull();
  });

  it("normalises stored payloads: unsure only when set", () => {
    expect(normalizeClassification({})).toEqual({ labels: [] });
    expect(normalizeClassification({ labels: ["a", 3, "b"], unsure: null })).toEqual({ labels: ["a", "b"] });
    expect(normalizeClassification({ labels: ["a"], unsure: {} })).toEqual({ labels: ["a"], unsure: { reason: "" } });
  });

  it("names classification violation paths as the screen does", () => {
    expect(describePath("labels")).toBe("Classes");
    expect(describePath("labels[1]")).toBe("Class 2");
    expect(describePath("unsure.reason")).toBe("Unsure · reason");
  });
});

describe("classification template", () => {
  it("shows the text large and every class with its description, key and colour", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }]);
    await renderApp(fake);
    expect(screen.getByTestId("item-text")).toHaveTextContent(TEXT);
    const rows = screen.getAllByTestId("class");
    expect(rows.map((r) => r.dataset.class)).toEqual(["billing", "technical", "account", "feature-request", "other"]);
    expect(rows[0]).toHaveTextContent("Charges, invoices, refunds, payment methods, prices.");
    expect(rows[0].querySelector("kbd")).toHaveTextContent("1");
    expect(rows[0].style.getPropertyValue("--class-colour")).toBe("#4e79a7");
    expect(screen.getAllByRole("radio")).toHaveLength(5);
  });

  it("picks a class with its number key (the last one wins) and autosaves it", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }]);
    await renderApp(fake);
    press("2");
    await waitFor(() => expect(chosen()).toEqual(["technical"]));
    press("1");
    await waitFor(() => expect(chosen()).toEqual(["billing"]));
    expect((screen.getAllByRole("radio")[0] as HTMLInputElement).checked).toBe(true);
    await waitFor(() => expect(fake.lastPayload()).toEqual({ labels: ["billing"] }), { timeout: 3000 });
    // No suggestion: the save says nothing about one (a server without the fields accepts it).
    expect(lastSave(fake)).not.toHaveProperty("suggestion_shown");
  });

  it("submits with Enter, but not while typing the reason nor on a button", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }, { source: "Second message." }]);
    await renderApp(fake);
    press("3");
    press("u", { alt: true }); // unsure: the reason gets the keyboard
    const reason = await screen.findByTestId("unsure-reason");
    await waitFor(() => expect(document.activeElement).toBe(reason));
    await fireEvent.input(reason, { target: { value: "Could be billing" } });
    press("Enter", {}, reason);
    press("1", {}, reason); // typing, not choosing
    await settle();
    expect(fake.callsOf("submit")).toHaveLength(0);
    expect(chosen()).toEqual(["account"]);
    const saveButton = screen.getByTestId("save-draft");
    saveButton.focus();
    press("Enter", {}, saveButton);
    await settle();
    expect(fake.callsOf("submit")).toHaveLength(0);
    // Esc leaves the reason for the classes; Enter there submits.
    press("Escape", {}, reason);
    await waitFor(() => expect(document.activeElement).toBe(screen.getAllByRole("radio")[2]));
    press("Enter", {}, document.activeElement!);
    await waitFor(() => expect(fake.callsOf("submit")).toHaveLength(1));
    expect(fake.callsOf("submit")[0].args.payload).toEqual({ labels: ["account"], unsure: { reason: "Could be billing" } });
    // On to the next item; Enter with focus nowhere in particular submits too.
    await waitFor(() => expect(screen.getByTestId("item-text")).toHaveTextContent("Second message."));
    press("5");
    press("Enter", {}, document.body);
    await waitFor(() => expect(fake.callsOf("submit")).toHaveLength(2));
    expect(fake.callsOf("submit")[1].args.payload).toEqual({ labels: ["other"] });
  });

  it("takes the unsure mark off again with Alt+U (keeping the reason for a change of mind)", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }]);
    await renderApp(fake);
    press("1");
    press("u", { alt: true });
    const reason = await screen.findByTestId("unsure-reason");
    await fireEvent.input(reason, { target: { value: "Hmm" } });
    press("u", { alt: true }, reason);
    await waitFor(() => expect(screen.queryByTestId("unsure-reason")).toBeNull());
    await waitFor(() => expect(fake.lastPayload()).toEqual({ labels: ["billing"] }), { timeout: 3000 });
    press("u", { alt: true });
    await waitFor(() => expect((screen.getByTestId("unsure-reason") as HTMLTextAreaElement).value).toBe("Hmm"));
    // Alt+Backspace clears the classes.
    press("Backspace", { alt: true });
    await waitFor(() => expect(chosen()).toEqual([]));
  });

  it("multi-label: shows the image, toggles classes with their keys and refuses more than max_labels", async () => {
    const fake = new FakeTransport("classification", [{ "source-ref": "pets/1.jpg" }]);
    fake.template = imageMulti();
    await renderApp(fake);
    const img = screen.getByTestId("image") as HTMLImageElement;
    expect(img.getAttribute("src")).toBe("/media/items/1");
    expect(screen.getAllByRole("checkbox")).toHaveLength(5);
    press("1");
    press("3");
    await waitFor(() => expect(chosen()).toEqual(["billing", "account"]));
    press("5");
    await waitFor(() => expect(screen.getByTestId("toasts")).toHaveTextContent("At most 2 classes per item"));
    expect(chosen()).toEqual(["billing", "account"]);
    press("1");
    press("5");
    await waitFor(() => expect(chosen()).toEqual(["account", "other"]));
    await waitFor(() => expect(fake.lastPayload()).toEqual({ labels: ["account", "other"] }), { timeout: 3000 });
    // A click on a class past the limit is refused too, and its box stays clear.
    const box = screen.getAllByRole("checkbox")[1] as HTMLInputElement;
    await fireEvent.click(box);
    expect(box.checked).toBe(false);
    expect(screen.queryByTestId("unsure")).toBeNull();
  });
});

describe("classification suggestions", () => {
  const SUGGESTION = { model: "topic-head", version: 3, labels: ["billing"], probabilities: { billing: 0.72, technical: 0.2, account: 0.05, "feature-request": 0.02, other: 0.01 } };

  it("shows the suggestion with its probability without choosing it; A accepts; saves record it", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }]);
    fake.suggestions.set(1, SUGGESTION);
    await renderApp(fake);
    const box = screen.getByTestId("suggestion");
    expect(box).toHaveTextContent("billing");
    expect(box).toHaveTextContent("72%");
    expect(box).toHaveTextContent("topic-head v3");
    expect(chosen()).toEqual([]); // never an answer already given
    expect(screen.getAllByTestId("class")[0]).toHaveClass("suggested");
    expect(screen.getAllByTestId("class-probability").map((p) => p.textContent?.trim())).toEqual(["72%", "20%", "5%", "2%", "1%"]);
    expect(screen.getByTestId("accept-suggestion")).toHaveTextContent("A");

    press("a");
    await waitFor(() => expect(chosen()).toEqual(["billing"]));
    expect(screen.getByTestId("suggestion-accepted")).toBeInTheDocument();
    await waitFor(() => expect(lastSave(fake)?.payload).toEqual({ labels: ["billing"] }), { timeout: 3000 });
    expect(lastSave(fake)).toMatchObject({ suggestion_shown: true, suggestion_accepted: true });

    // Changed: the suggestion was shown but not accepted.
    press("2");
    await waitFor(() => expect(lastSave(fake)?.payload).toEqual({ labels: ["technical"] }), { timeout: 3000 });
    expect(lastSave(fake)).toMatchObject({ suggestion_shown: true, suggestion_accepted: false });
    press("Enter");
    await waitFor(() => expect(fake.callsOf("submit")).toHaveLength(1));
    expect(fake.callsOf("submit")[0].args).toMatchObject({ payload: { labels: ["technical"] }, suggestion_shown: true, suggestion_accepted: false });
  });

  it("Alt+A accepts while typing the reason; a class whose key is A takes A", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }]);
    fake.template = { ...base, rules: { ...base.rules, classes: base.rules.classes.map((c, i) => (i === 2 ? { ...c, key: "a" } : c)) } };
    fake.suggestions.set(1, SUGGESTION);
    await renderApp(fake);
    expect(screen.getByTestId("accept-suggestion")).toHaveTextContent("Alt+A");
    press("a");
    await waitFor(() => expect(chosen()).toEqual(["account"]));
    press("u", { alt: true });
    const reason = await screen.findByTestId("unsure-reason");
    press("a", { alt: true }, reason);
    await waitFor(() => expect(chosen()).toEqual(["billing"]));
  });

  it("names an imported prediction's source; only its class has a probability", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }]);
    fake.suggestions.set(1, { model: "topics-bert-2024-05", version: 0, imported: "label-studio", labels: ["account"], probabilities: { account: 0.81 } });
    await renderApp(fake);
    const box = screen.getByTestId("suggestion");
    expect(box).toHaveTextContent("account");
    expect(box).toHaveTextContent("81%");
    expect(screen.getByTestId("suggestion-source")).toHaveTextContent("From topics-bert-2024-05 (imported from Label Studio): a guess to check");
    expect(chosen()).toEqual([]);
    expect(screen.getAllByTestId("class-probability").map((p) => p.textContent?.trim())).toEqual(["81%"]);
    press("a");
    await waitFor(() => expect(chosen()).toEqual(["account"]));
    await waitFor(() => expect(lastSave(fake)).toMatchObject({ payload: { labels: ["account"] }, suggestion_shown: true, suggestion_accepted: true }), { timeout: 3000 });
  });

  it("leaves out a suggestion that names no class of the template", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }]);
    fake.suggestions.set(1, { model: "m", version: 1, labels: ["<b>nope</b>"], probabilities: { "<b>nope</b>": 0.9 } });
    await renderApp(fake);
    expect(screen.queryByTestId("suggestion")).toBeNull();
    expect(screen.queryAllByTestId("class-probability")).toHaveLength(0);
    press("1");
    await waitFor(() => expect(lastSave(fake)?.payload).toEqual({ labels: ["billing"] }), { timeout: 3000 });
    expect(lastSave(fake)).not.toHaveProperty("suggestion_shown");
  });

  it("tells the expected answer of a check item only after it is submitted", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }, { source: TEXT + " Again." }]);
    fake.gold.set(1, { labels: ["account"] });
    await renderApp(fake);
    expect(screen.getByTestId("toasts")).not.toHaveTextContent("check item");
    expect(document.body.textContent).not.toContain("expected answer");
    press("1"); // billing
    await waitFor(() => expect(chosen()).toEqual(["billing"]));
    await waitFor(() => expect(lastSave(fake)?.payload).toEqual({ labels: ["billing"] }), { timeout: 3000 });
    expect(screen.getByTestId("toasts")).not.toHaveTextContent("check item");
    press("Enter");
    await waitFor(() =>
      expect(screen.getByTestId("toasts")).toHaveTextContent("That was a check item: the expected answer was different: account."),
    );
  });

  it("shows no suggestion on submitted (read-only) work", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }]);
    fake.suggestions.set(1, SUGGESTION);
    await renderApp(fake);
    expect(screen.getByTestId("suggestion")).toBeInTheDocument();
    press("a");
    press("Enter");
    await waitFor(() => expect(screen.getByTestId("all-done")).toBeInTheDocument());
    expect(fake.callsOf("submit")[0].args).toMatchObject({ payload: { labels: ["billing"] }, suggestion_shown: true, suggestion_accepted: true });
    press("PageUp", { alt: true });
    await waitFor(() => expect(screen.getByTestId("item-state")).toHaveTextContent("Submitted"));
    expect(chosen()).toEqual(["billing"]);
    expect(screen.queryByTestId("suggestion")).toBeNull();
    expect(screen.queryAllByTestId("class-probability")).toHaveLength(0);
  });
});

function reviewTask(fake: FakeTransport, id: number, itemId: number, payload: AnnotationView["payload"], reviews: AnnotationView["reviews"] = []): ReviewTask {
  const annotation: AnnotationView = { id, item_id: itemId, annotator: "bob", state: "submitted", version: 2, submitted_version: 2, payload, time_spent_ms: 60_000, updated_at: "2026-01-01T10:00:00Z", reviews };
  return { annotation, item: { id: itemId, content: fake.items.get(itemId)!, media_url: null, annotation: null, suggestion: null } };
}

describe("classification review", () => {
  it("shows the chosen class and the unsure reason; a class key points the comment at a class", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }, { source: "Other one." }], "reviewer");
    fake.suggestions.set(1, { model: "m", version: 1, labels: ["technical"], probabilities: { technical: 0.9 } });
    fake.reviewQueue = [reviewTask(fake, 41, 1, { labels: ["technical"], unsure: { reason: "Maybe billing" } }), reviewTask(fake, 42, 2, { labels: ["other"] })];
    await renderApp(fake);
    await fireEvent.click(screen.getByTestId("tab-review"));
    await waitFor(() => expect(screen.getByTestId("item-text")).toHaveTextContent(TEXT));
    expect(chosen()).toEqual(["technical"]);
    expect(screen.getAllByRole("radio").every((r) => (r as HTMLInputElement).disabled)).toBe(true);
    expect((screen.getByTestId("unsure") as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId("unsure-reason")).toHaveValue("Maybe billing");
    expect(screen.queryByTestId("suggestion")).toBeNull(); // the reviewer judges the work, not the model

    press("1");
    await waitFor(() => expect(screen.getByTestId("review-anchor")).toHaveTextContent("class “billing”"));
    expect(screen.getAllByTestId("class")[0]).toHaveClass("anchored");
    expect(chosen()).toEqual(["technical"]); // pointing at a class changes nothing
    await fireEvent.input(screen.getByTestId("review-comment-input"), { target: { value: "They want a refund: billing." } });
    press("2", {}, screen.getByTestId("review-comment-input")); // typing the comment, not pointing
    expect(screen.getByTestId("review-anchor")).toHaveTextContent("class “billing”");
    await fireEvent.click(screen.getByTestId("review-return"));
    await waitFor(() => expect(fake.callsOf("review")).toHaveLength(1));
    expect(fake.callsOf("review")[0].args).toEqual({ annotation_id: 41, version: 2, decision: "returned", comment: "They want a refund: billing.", anchor: { object: "billing" } });

    // The next one: a span of the text anchors the comment; approve.
    await waitFor(() => expect(screen.getByTestId("item-text")).toHaveTextContent("Other one."));
    const text = screen.getByTestId("item-text");
    selectText(text, 6, 9);
    await fireEvent.mouseUp(text);
    await waitFor(() => expect(screen.getByTestId("review-anchor")).toHaveTextContent("“one”"));
    await fireEvent.click(screen.getByTestId("review-approve"));
    await waitFor(() => expect(fake.callsOf("review")).toHaveLength(2));
    expect(fake.callsOf("review")[1].args).toMatchObject({ annotation_id: 42, decision: "approved", anchor: { span: [6, 9] } });
  });

  it("shows the annotator the returned work's comment with the class it points at", async () => {
    const fake = new FakeTransport("classification", [{ source: TEXT }]);
    fake.annotations.set(1, {
      ...reviewTask(fake, 3, 1, { labels: ["technical"] }, [
        { id: 1, version: 2, reviewer: "rita", decision: "returned", comment: "A refund is billing.", anchor: '{"object":"billing"}', created_at: "2026-01-01T11:00:00Z" },
      ]).annotation,
      annotator: "ann",
      state: "returned",
    });
    await renderApp(fake);
    expect(screen.getByTestId("review-comment")).toHaveTextContent("rita: A refund is billing. — class “billing”");
    expect(screen.getAllByTestId("class")[0]).toHaveClass("anchored");
    press("1");
    await waitFor(() => expect(chosen()).toEqual(["billing"]));
  });
});
