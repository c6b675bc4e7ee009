/** "Open in Lab": in the desktop app's header for a lead, on both screens; never for annotators or
 *  reviewers, never in a browser over `sift serve`; reached with Tab; the shell's errors shown. */

import { afterEach, describe, expect, it } from "vitest";
import { render } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import type { Me } from "../../bindings";
import { TauriTransport } from "../../api/tauri";
import App from "../../../App.svelte";
import { FakeTransport } from "../../../test/fake";
import { fireEvent, screen, waitFor } from "../../../test/util";

afterEach(() => {
  clearMocks();
});

type Role = Me["annotator"]["role"];

/** The app, ready, on a Q&A project where "ann" has `role`: in the desktop shell (Tauri's IPC
 *  mocked; `open_in_lab` answers `lab`, everything else goes to the fake) or in a browser. */
async function app(shell: "desktop" | "browser", role: Role, lab: () => unknown = () => ({ program: "/usr/bin/sift-lab", project: "/tmp/demo" })) {
  const fake = new FakeTransport("qa", [{ source: "A passage." }], role);
  const opened: unknown[] = [];
  if (shell === "desktop") {
    mockIPC((cmd, args) => {
      if (cmd === "open_in_lab") {
        opened.push(args);
        return lab();
      }
      if (cmd === "sync_settings") return null;
      return fake.call(cmd, (args ?? {}) as object);
    });
  }
  render(App, { props: { transport: shell === "desktop" ? await TauriTransport.create() : fake } });
  await waitFor(() => expect(window.__siftReady).toBe(true));
  return { fake, opened };
}

describe("Open in Lab", () => {
  it("is in the desktop header for a lead and starts the Lab through the shell", async () => {
    const { opened } = await app("desktop", "lead");
    const button = await screen.findByTestId("open-in-lab");
    expect(button).toHaveTextContent("Open in Lab");
    expect(button.tagName).toBe("BUTTON");
    expect(button.getAttribute("title")).toContain("sift-lab");
    // A plain button in the header: in the Tab order, and Enter/Space on it click it.
    expect(button.tabIndex).toBe(0);
    button.focus();
    expect(document.activeElement).toBe(button);
    await fireEvent.click(button);
    await waitFor(() => expect(opened).toHaveLength(1));
    expect(await screen.findByText("Opening the project in the Lab…")).toBeInTheDocument();

    // The review screen has it too.
    await fireEvent.click(screen.getByTestId("tab-review"));
    await screen.findByTestId("review-count");
    expect(screen.getByTestId("open-in-lab")).toBeInTheDocument();
  });

  it("shows the shell's error when sift-lab is not installed", async () => {
    await app("desktop", "lead", () => {
      throw { code: "unavailable", message: "the Lab (sift-lab) is not installed: it was not found next to Sift or on PATH" };
    });
    await fireEvent.click(await screen.findByTestId("open-in-lab"));
    expect(await screen.findByText(/The Lab could not be opened: .*sift-lab\) is not installed/)).toBeInTheDocument();
  });

  for (const role of ["annotator", "reviewer"] as const) {
    it(`is not there for a ${role} in the desktop app`, async () => {
      await app("desktop", role);
      // The desktop header is drawn (its sync button), without the Lab.
      await screen.findByTestId("sync-button");
      expect(screen.queryByTestId("open-in-lab")).toBeNull();
    });
  }

  it("is not there in a browser over sift serve, even for a lead", async () => {
    await app("browser", "lead");
    await screen.findByTestId("tab-review");
    expect(screen.queryByTestId("open-in-lab")).toBeNull();
    expect(screen.queryByText("Open in Lab")).toBeNull();
  });
});
