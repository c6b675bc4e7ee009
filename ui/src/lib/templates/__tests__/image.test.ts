import { describe, expect, it, vi } from "vitest";
import { FakeTransport } from "../../../test/fake";
import { fireEvent, press, renderApp, screen, waitFor } from "../../../test/util";

const ITEM = { "source-ref": "s3://bucket/pets.jpg", width: 640, height: 480 };

describe("image captioning template", () => {
  it("drops a dot by keyboard (Alt+O, arrows, Enter) in image pixels", async () => {
    const fake = new FakeTransport("image-caption", [ITEM]);
    await renderApp(fake);
    expect(screen.getByTestId("image")).toHaveAttribute("src", "/media/items/1");
    press("o", { alt: true });
    const viewport = screen.getByTestId("image-viewport");
    await waitFor(() => expect(screen.getByTestId("crosshair")).toBeInTheDocument());
    press("ArrowRight", {}, viewport); // 1% of the longer side: 6.4 px
    press("Enter", {}, viewport);
    await waitFor(() => expect(screen.getAllByTestId("object-dot")).toHaveLength(1));
    const dot = screen.getByTestId("object-dot");
    expect(dot).toHaveAttribute("data-object-id", "o1");
    await waitFor(() => expect(fake.lastPayload()?.objects).toEqual([{ id: "o1", x: 326.4, y: 240, name: "", description: "" }]), { timeout: 3000 });
  });

  it("drops a dot where the image is clicked, whatever the zoom", async () => {
    const fake = new FakeTransport("image-caption", [ITEM]);
    await renderApp(fake);
    const viewport = screen.getByTestId("image-viewport");
    const stage = screen.getByTestId("image").parentElement!;
    // The stage is shown at 2x: 1280 × 960 on screen, starting at (100, 50).
    stage.getBoundingClientRect = () => ({ left: 100, top: 50, width: 1280, height: 960, right: 1380, bottom: 1010, x: 100, y: 50, toJSON: () => ({}) });
    await fireEvent.pointerDown(viewport, { button: 0, clientX: 740, clientY: 530, pointerId: 1 });
    await fireEvent.pointerUp(viewport, { button: 0, clientX: 740, clientY: 530, pointerId: 1 });
    await waitFor(() => expect(screen.getAllByTestId("object-card")).toHaveLength(1));
    // A drag pans instead of dropping a dot.
    await fireEvent.pointerDown(viewport, { button: 0, clientX: 300, clientY: 300, pointerId: 1 });
    await fireEvent.pointerMove(viewport, { clientX: 360, clientY: 330, pointerId: 1 });
    await fireEvent.pointerUp(viewport, { clientX: 360, clientY: 330, pointerId: 1 });
    expect(screen.getAllByTestId("object-card")).toHaveLength(1);
    await waitFor(() => expect(fake.lastPayload()?.objects[0]).toMatchObject({ x: 320, y: 240 }), { timeout: 3000 });
  });

  it("names objects, relates them and checks the caption mentions every name", async () => {
    const fake = new FakeTransport("image-caption", [ITEM]);
    await renderApp(fake);
    const viewport = screen.getByTestId("image-viewport");
    for (const key of ["ArrowLeft", "ArrowRight"]) {
      press("o", { alt: true });
      press(key, { shift: true }, viewport);
      press("Enter", {}, viewport);
    }
    await waitFor(() => expect(screen.getAllByTestId("object-card")).toHaveLength(2));
    const names = screen.getAllByRole("textbox", { name: /name of object/i });
    await fireEvent.input(names[0], { target: { value: "cat" } });
    await fireEvent.input(names[1], { target: { value: "golden retriever" } });
    press("r", { alt: true }); // add_relationship
    await waitFor(() => expect(screen.getAllByTestId("relationship")).toHaveLength(1));
    await fireEvent.input(screen.getByRole("textbox", { name: "Relation 1" }), { target: { value: "sleeps next to" } });
    press("c", { alt: true }); // focus_caption
    const caption = screen.getByTestId("caption");
    expect(document.activeElement).toBe(caption);
    await fireEvent.input(caption, { target: { value: "A cat sleeps beside two golden retrievers" } });
    const mentions = screen.getByTestId("mentions");
    await waitFor(() => expect([...mentions.querySelectorAll("li")].map((l) => l.getAttribute("data-mentioned"))).toEqual(["true", "true"]));
    await fireEvent.input(caption, { target: { value: "A cat sleeps" } });
    await waitFor(() => expect(mentions.querySelectorAll('[data-mentioned="false"]')).toHaveLength(1));
    // Going to the caption brings its checklist into view (it sits under the caption).
    const scrolled = vi.mocked(Element.prototype.scrollIntoView).mock.contexts;
    expect(scrolled).toContain(mentions.parentElement);
  });

  it("names objects by their names in the validation summary", async () => {
    const fake = new FakeTransport("image-caption", [ITEM]);
    fake.seedDraft(1, 5, { objects: [{ id: "o1", x: 1, y: 1, name: "cat", description: "" }, { id: "o2", x: 2, y: 2, name: "pink patch", description: "" }], relationships: [], setting: "", caption: "" }, "2026-01-01T00:00:00Z");
    fake.violations = [
      { path: "caption", code: "object_not_mentioned", message: 'the caption does not mention "pink patch" (objects[1])' },
      { path: "objects[1].description", code: "required", message: "the object description is required" },
    ];
    await renderApp(fake);
    await waitFor(() => expect(screen.getAllByTestId("violation")).toHaveLength(2), { timeout: 3000 });
    const [caption, description] = screen.getAllByTestId("violation");
    expect(caption).toHaveTextContent("the caption does not mention “pink patch”");
    expect(caption.textContent).not.toContain("objects[1]");
    expect(description).toHaveTextContent("Object “pink patch” · description");
    await fireEvent.click(description);
    expect(document.activeElement).toHaveAttribute("data-path", "objects[1].description");
  });

  it("deletes the selected object with its relationships", async () => {
    const fake = new FakeTransport("image-caption", [ITEM]);
    fake.seedDraft(1, 5, {
      objects: [
        { id: "o1", x: 1, y: 2, name: "cat", description: "" },
        { id: "o2", x: 3, y: 4, name: "dog", description: "" },
      ],
      relationships: [{ subject: "o1", relation: "near", object: "o2" }],
      setting: "",
      caption: "",
    });
    await renderApp(fake);
    expect(screen.getAllByTestId("object-dot")).toHaveLength(2);
    press("ArrowDown", { alt: true }); // next_object selects o1
    press("Backspace", { alt: true });
    await waitFor(() => expect(screen.getAllByTestId("object-dot")).toHaveLength(1));
    expect(screen.queryAllByTestId("relationship")).toHaveLength(0);
    await waitFor(() => expect(fake.lastPayload()?.objects.map((o: { id: string }) => o.id)).toEqual(["o2"]), { timeout: 3000 });
  });
});
