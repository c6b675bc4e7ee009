/** The desktop app's recovery offer: with no project open and a recent project's folder gone but
 *  its backup in the bucket, the start screen offers to restore it, shows progress, shows the
 *  shell's error with "Try again", and opens the project once restored. Never in a browser. */

import { afterEach, describe, expect, it } from "vitest";
import { render } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { TauriTransport } from "../../api/tauri";
import { describeAge, type RecoveryCandidate } from "../../api/recovery";
import App from "../../../App.svelte";
import { FakeTransport } from "../../../test/fake";
import { fireEvent, screen, waitFor } from "../../../test/util";

afterEach(() => {
  clearMocks();
});

const NO_PROJECT = { code: "not_found", message: "no project is open: choose one with File ▸ Open Project…" };

function candidate(over: Partial<RecoveryCandidate> = {}): RecoveryCandidate {
  return {
    path: "/home/ann/field-notes",
    name: "field notes",
    kind: "qa",
    location: "s3://backups/team/field-notes",
    last_change_ms: Date.now() - 120_000,
    last_change_age_s: 125,
    error: null,
    ...over,
  };
}

/** The desktop shell with no project open; `restore` answers `restore_project`. */
function shell(candidates: () => RecoveryCandidate[], restore: (args: Record<string, unknown>) => unknown) {
  const fake = new FakeTransport("qa", [{ source: "A passage." }], "lead");
  const calls: string[] = [];
  let open = false;
  let release: (() => void) | null = null;
  mockIPC(async (cmd, args) => {
    calls.push(cmd);
    if (cmd === "recovery_candidates") return candidates();
    if (cmd === "restore_project") {
      await new Promise<void>((r) => (release = r));
      const done = restore((args ?? {}) as Record<string, unknown>);
      open = true;
      return done;
    }
    if (cmd === "sync_settings") return null;
    if (!open) throw NO_PROJECT;
    return fake.call(cmd, (args ?? {}) as object);
  });
  return { fake, calls, finish: () => release?.() };
}

describe("recovery offer", () => {
  it("offers a lost project's backup, shows progress, and opens it once restored", async () => {
    const s = shell(
      () => [candidate()],
      (args) => {
        expect(args.path).toBe("/home/ann/field-notes");
        return { me: {}, changes: 12, last_change_ms: Date.now(), problems: [], backup_resumed: true };
      },
    );
    render(App, { props: { transport: await TauriTransport.create() } });
    const offer = await screen.findByTestId("recovery");
    expect(offer).toHaveTextContent("This project is not on this disk");
    expect(screen.getByTestId("recovery-text")).toHaveTextContent(
      "A backup of it is in s3://backups/team/field-notes (last change 2 min ago). Restore it here?",
    );
    expect(offer).toHaveTextContent("Into /home/ann/field-notes");
    const button = screen.getByTestId("recovery-restore");
    // Keyboard-first: the one action has the focus.
    expect(document.activeElement).toBe(button);
    await fireEvent.click(button);
    expect(await screen.findByTestId("recovery-progress")).toHaveTextContent("Restoring from s3://backups/team/field-notes");
    expect(button).toBeDisabled();
    s.finish();
    await waitFor(() => expect(window.__siftReady).toBe(true));
    expect(screen.queryByTestId("recovery")).toBeNull();
    expect(await screen.findByText(/Restored field notes from s3:\/\/backups\/team\/field-notes\. Backup is on again\./)).toBeInTheDocument();
    expect(s.calls.filter((c) => c === "restore_project")).toHaveLength(1);
  });

  it("shows the shell's error and restores on Try again", async () => {
    let tries = 0;
    const s = shell(
      () => [candidate()],
      () => {
        tries++;
        if (tries === 1) throw { code: "unavailable", message: "s3://backups: the endpoint cannot be reached" };
        return { me: {}, changes: 0, last_change_ms: null, problems: [], backup_resumed: true };
      },
    );
    render(App, { props: { transport: await TauriTransport.create() } });
    await fireEvent.click(await screen.findByTestId("recovery-restore"));
    s.finish();
    const error = await screen.findByTestId("recovery-error");
    expect(error).toHaveTextContent("The restore failed");
    expect(error).toHaveTextContent("the endpoint cannot be reached");
    expect(screen.queryByTestId("recovery-progress")).toBeNull();
    const again = screen.getByTestId("recovery-restore");
    expect(again).toHaveTextContent("Try again");
    expect(again).not.toBeDisabled();
    await fireEvent.click(again);
    await waitFor(() => expect(s.calls.filter((c) => c === "restore_project")).toHaveLength(2));
    s.finish();
    await waitFor(() => expect(window.__siftReady).toBe(true));
  });

  it("says when a bucket cannot be checked, and checks again on request", async () => {
    let reachable = false;
    shell(
      () => [reachable ? candidate() : candidate({ error: "no credentials in the environment", last_change_ms: null, last_change_age_s: null })],
      () => ({}),
    );
    render(App, { props: { transport: await TauriTransport.create() } });
    expect(await screen.findByTestId("recovery-unreachable")).toHaveTextContent(
      "the bucket could not be checked: no credentials in the environment",
    );
    expect(screen.getByTestId("recovery-restore")).toBeDisabled();
    reachable = true;
    await fireEvent.click(screen.getByTestId("recovery-recheck"));
    expect(await screen.findByTestId("recovery-text")).toHaveTextContent("Restore it here?");
    expect(screen.getByTestId("recovery-restore")).not.toBeDisabled();
  });

  it("keeps the plain no-project message when nothing can be recovered", async () => {
    shell(
      () => [],
      () => ({}),
    );
    render(App, { props: { transport: await TauriTransport.create() } });
    expect(await screen.findByTestId("fatal")).toHaveTextContent("no project is open");
    expect(screen.queryByTestId("recovery")).toBeNull();
  });

  it("is never offered in a browser", async () => {
    const fake = new FakeTransport("qa", [], "lead");
    fake.failNext("me", new (await import("../../api/errors")).ApiError("not_found", "no project"));
    render(App, { props: { transport: fake } });
    expect(await screen.findByTestId("fatal")).toBeInTheDocument();
    expect(fake.calls.some((c) => c.command === "recovery_candidates")).toBe(false);
  });

  it("describes ages", () => {
    expect(describeAge(5)).toBe("just now");
    expect(describeAge(125)).toBe("2 min ago");
    expect(describeAge(3 * 3600 + 5)).toBe("3 h ago");
    expect(describeAge(5 * 86400)).toBe("5 days ago");
  });
});
