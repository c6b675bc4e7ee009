import { describe, expect, it } from "vitest";
import { FakeTransport } from "../../../test/fake";
import { fireEvent, press, renderApp, screen, waitFor } from "../../../test/util";

const ITEM = { "source-ref": "s3://bucket/kitchen.mp4", duration: 12.5, fps: 20 };

describe("video captioning template", () => {
  it("marks an event's start and end at the current time", async () => {
    const fake = new FakeTransport("video-caption", [ITEM]);
    await renderApp(fake);
    const video = screen.getByTestId("video") as HTMLVideoElement;
    video.currentTime = 1.5;
    press("[", { alt: true, code: "BracketLeft" });
    await waitFor(() => expect(screen.getAllByTestId("event")).toHaveLength(1));
    video.currentTime = 4.25;
    press("]", { alt: true, code: "BracketRight" });
    await waitFor(() => expect(screen.getByTestId("event")).toHaveTextContent("0:01.50 → 0:04.25"));
    await fireEvent.input(screen.getByRole("textbox", { name: /description of the event/i }), { target: { value: "He stirs the soup." } });
    await waitFor(() => expect(fake.lastPayload()?.events).toEqual([{ start: 1.5, end: 4.25, description: "He stirs the soup." }]), { timeout: 3000 });
  });

  it("steps frames at the item's frame rate, lists events in time order and seeks on click", async () => {
    const fake = new FakeTransport("video-caption", [ITEM]);
    fake.seedDraft(1, 9, {
      events: [
        { start: 6, end: 8, description: "Second." },
        { start: 1, end: 2, description: "First." },
      ],
      setting: "",
      caption: "",
    });
    await renderApp(fake);
    const video = screen.getByTestId("video") as HTMLVideoElement;
    expect(screen.getAllByTestId("event").map((e) => e.querySelector("textarea")?.value)).toEqual(["First.", "Second."]);
    fireEvent.click(screen.getAllByTestId("event-seek")[1]);
    expect(video.currentTime).toBe(6);
    press(".", { alt: true, code: "Period" });
    expect(video.currentTime).toBeCloseTo(6.05, 5); // 1/20 s
    press(",", { alt: true, code: "Comma" });
    press(",", { alt: true, code: "Comma" });
    expect(video.currentTime).toBeCloseTo(5.95, 5);
    press("l", { alt: true });
    expect(video.currentTime).toBeCloseTo(10.95, 5);
    press("l", { alt: true });
    expect(video.currentTime).toBe(12.5); // clamped to the duration
    press("k", { alt: true });
    expect(HTMLMediaElement.prototype.play).toHaveBeenCalled();
  });

  it("counts caption words against the rules", async () => {
    const fake = new FakeTransport("video-caption", [ITEM]);
    await renderApp(fake);
    const caption = screen.getByTestId("caption");
    await fireEvent.input(caption, { target: { value: "A man\u00a0stirs soup." } });
    expect(caption.closest(".field")).toHaveTextContent("4 / 20–120 words");
  });
});
