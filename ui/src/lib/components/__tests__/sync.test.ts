import { afterEach, describe, expect, it } from "vitest";
import { render, within } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { invoke } from "@tauri-apps/api/core";
import type { SyncConfig, SyncReport, SyncStatus } from "../../bindings";
import { SyncClient, type SyncProgress } from "../../api/sync";
import { TauriTransport } from "../../api/tauri";
import { SyncStore } from "../../stores/sync.svelte";
import SyncPanel from "../SyncPanel.svelte";
import App from "../../../App.svelte";
import { FakeTransport } from "../../../test/fake";
import { fireEvent, press, screen, waitFor } from "../../../test/util";

afterEach(() => {
  clearMocks();
});

const CONFIG: SyncConfig = {
  bucket: "team-labels",
  prefix: "week-1",
  region: "garage",
  endpoint: "http://127.0.0.1:3900",
  path_style: true,
  profile: null,
  role: "lead",
  annotator: null,
  media: true,
};

const STATUS: SyncStatus = {
  role: "lead",
  location: "s3://team-labels/week-1 at http://127.0.0.1:3900",
  batches_to_push: ["week-1"],
  versions_to_push: 0,
  batches_to_pull: [],
  segments_to_pull: ["results/ann/week-1/000001.jsonl", "results/bob/week-1/000001.jsonl"],
  media_to_pull: 0,
  reviews_to_pull: [],
};

const ANNOTATOR_STATUS: SyncStatus = {
  ...STATUS,
  role: "annotator",
  batches_to_push: [],
  segments_to_pull: [],
  versions_to_push: 1,
  reviews_to_pull: ["week-1"],
};

function report(direction: "push" | "pull", fields: Partial<SyncReport> = {}): SyncReport {
  return {
    direction,
    role: "lead",
    location: STATUS.location,
    batches: [],
    batches_unchanged: 0,
    items_added: 0,
    segments: [],
    segments_unchanged: 0,
    versions: 0,
    duplicate_versions: 0,
    recovered: 0,
    reviews: 0,
    returned: 0,
    media_files: 0,
    media_bytes: 0,
    media_unchanged: 0,
    resumed_parts: 0,
    resumed_bytes: 0,
    conditional_writes: null,
    problems: [],
    seconds: 1.25,
    ...fields,
  };
}

interface Backend {
  calls: Array<{ cmd: string; args: Record<string, unknown> }>;
  config: SyncConfig | null;
  /** The page's progress channel of the running `sync_now`. */
  channel: { id: number } | null;
  finish: (reports: SyncReport[]) => void;
  fail: (error: { code: string; message: string }) => void;
  /** Sends a progress message through the channel, as the shell does. */
  progress: (message: SyncProgress) => void;
}

/** The desktop shell's sync commands behind Tauri's IPC mock. */
function backend(config: SyncConfig | null, fallback?: (cmd: string, args: Record<string, unknown>) => unknown): Backend {
  let index = 0;
  const b: Backend = {
    calls: [],
    config,
    channel: null,
    finish: () => undefined,
    fail: () => undefined,
    progress: (message) => {
      const internals = (window as unknown as { __TAURI_INTERNALS__: { runCallback: (id: number, data: unknown) => void } }).__TAURI_INTERNALS__;
      internals.runCallback(b.channel!.id, { index: index++, message });
    },
  };
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    b.calls.push({ cmd, args });
    switch (cmd) {
      case "sync_settings":
        return b.config;
      case "save_sync_settings":
        if ((args.config as SyncConfig).bucket.includes("_")) {
          throw { code: "invalid_input", message: `bucket "${(args.config as SyncConfig).bucket}": use 3-63 lowercase letters, digits, '-' or '.'` };
        }
        b.config = args.config as SyncConfig;
        return b.config;
      case "sync_status":
        return b.config?.role === "annotator" ? ANNOTATOR_STATUS : STATUS;
      case "sync_now":
        b.channel = args.on_progress as { id: number };
        index = 0;
        return new Promise((resolve, reject) => {
          b.finish = resolve;
          b.fail = reject;
        });
      default:
        if (fallback) return fallback(cmd, args);
        throw { code: "not_found", message: `no command ${cmd}` };
    }
  });
  return b;
}

/** The calls of one command, in order. */
function calls(b: Backend, cmd: string) {
  return b.calls.filter((c) => c.cmd === cmd);
}

async function panel(config: SyncConfig | null, user = "alice") {
  const b = backend(config);
  const client = await SyncClient.create(new TauriTransport(invoke as never));
  const store = new SyncStore(client);
  let closed = 0;
  const { unmount } = render(SyncPanel, { props: { sync: store, user, chord: "Alt+Y", onclose: () => closed++ } });
  return { b, store, closed: () => closed, unmount };
}

/** Each text is somewhere in the element. */
function expectTexts(el: HTMLElement, texts: string[]) {
  for (const text of texts) expect(el).toHaveTextContent(text);
}

/** Where CONFIG syncs, as the panel shows it. */
async function expectLocation() {
  expect(await screen.findByTestId("sync-location")).toHaveTextContent("s3://team-labels/week-1");
  expect(screen.getByTestId("sync-endpoint-text")).toHaveTextContent("http://127.0.0.1:3900");
}

/**
 * The app, ready, on a QA project led by "lead": in the desktop shell (Tauri's IPC mocked: the sync
 * commands by `backend(CONFIG)`, the rest by the fake) or in a browser over `sift serve` (the fake).
 */
async function app(shell: "desktop"): Promise<{ fake: FakeTransport<"qa">; b: Backend }>;
async function app(shell: "browser"): Promise<{ fake: FakeTransport<"qa"> }>;
async function app(shell: "desktop" | "browser") {
  const fake = new FakeTransport("qa", [{ source: "A passage." }], "lead");
  const b = shell === "desktop" ? backend(CONFIG, (cmd, args) => fake.call(cmd, args)) : undefined;
  render(App, { props: { transport: b ? await TauriTransport.create() : fake } });
  await waitFor(() => expect(window.__siftReady).toBe(true));
  return { fake, b };
}

/** Opens the list of keyboard shortcuts with "?". */
function shortcutList() {
  press("?", { shift: true, code: "Slash" });
  return screen.findByTestId("shortcut-overlay");
}

describe("Sync panel (desktop)", () => {
  it("says sync is not set up and saves the settings form, without credentials", async () => {
    const { b } = await panel(null);
    expect(await screen.findByTestId("sync-empty")).toHaveTextContent("Sync is not set up");
    expect(screen.getByTestId("sync-credentials-note")).toHaveTextContent("Credentials are never stored");
    const bucket = screen.getByLabelText("Bucket");
    await waitFor(() => expect(document.activeElement).toBe(bucket));

    // The bucket is required.
    await fireEvent.submit(screen.getByTestId("sync-form"));
    expect(screen.getByRole("alert")).toHaveTextContent("Enter the bucket name");
    expect(calls(b, "save_sync_settings")).toHaveLength(0);

    // The shell's refusal is shown, and focused.
    await fireEvent.input(bucket, { target: { value: "Team_Labels" } });
    await fireEvent.submit(screen.getByTestId("sync-form"));
    const refused = await screen.findByTestId("sync-save-error");
    expect(refused).toHaveTextContent(`bucket "Team_Labels": use 3-63 lowercase letters`);
    await waitFor(() => expect(document.activeElement).toBe(refused));
    expect(screen.getByTestId("sync-empty")).toBeInTheDocument();

    await fireEvent.input(bucket, { target: { value: " team-labels " } });
    await fireEvent.input(screen.getByTestId("sync-prefix"), { target: { value: "/week-1/" } });
    await fireEvent.input(screen.getByTestId("sync-region"), { target: { value: "garage" } });
    await fireEvent.input(screen.getByTestId("sync-endpoint"), { target: { value: "http://127.0.0.1:3900" } });
    await fireEvent.click(screen.getByTestId("sync-path-style"));
    await fireEvent.submit(screen.getByTestId("sync-form"));

    const saved = calls(b, "save_sync_settings").at(-1)!;
    // What was typed, trimmed: CONFIG but without media.
    expect(saved.args).toEqual({ config: { ...CONFIG, media: false } });
    await expectLocation();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("sync-now")));
  });

  it("shows where and what is waiting, runs sync_now with progress, then the summary of what moved", async () => {
    const { b, store } = await panel(CONFIG);
    await expectLocation();
    expect(screen.getByTestId("sync-role")).toHaveTextContent("Lead");
    const pending = await screen.findByTestId("sync-pending");
    expect(pending).toHaveTextContent("1 batch to push: week-1");
    expect(pending).toHaveTextContent("2 result files from annotators to pull");

    const button = screen.getByTestId("sync-now");
    await waitFor(() => expect(document.activeElement).toBe(button));
    await fireEvent.click(button);
    expect(calls(b, "sync_now")).toHaveLength(1);
    await waitFor(() => expect(screen.getByTestId("sync-now")).toBeDisabled());
    expect(screen.getByTestId("sync-progress-label")).toHaveTextContent("Connecting");

    b.progress({ direction: "pull", phase: "merging results", position: 1, total: 4 });
    await waitFor(() => expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "25"));
    expect(screen.getByTestId("sync-progress-label")).toHaveTextContent("Pulling — merging results");
    expect(screen.getByTestId("sync-progress")).toHaveTextContent("1 of 4");
    b.progress({ direction: "push", phase: "uploading media", position: 3 << 20, total: 4 << 20 });
    await waitFor(() => expect(screen.getByRole("progressbar")).toHaveAttribute("aria-valuenow", "75"));
    expect(screen.getByTestId("sync-progress")).toHaveTextContent("3.0 MB of 4.0 MB");
    b.progress({ direction: "push", phase: "", position: 0, total: null });
    await waitFor(() => expect(screen.getByRole("progressbar")).not.toHaveAttribute("aria-valuenow"));

    // A second sync while one runs is not started.
    press("y", { alt: true }, screen.getByTestId("sync-panel"));
    expect(calls(b, "sync_now")).toHaveLength(1);

    b.finish([
      report("pull", { versions: 12, duplicate_versions: 2, segments: ["results/ann/week-1/000001.jsonl"], segments_unchanged: 1, problems: ["results/bob/week-1/000001.jsonl line 3: field \"kind\": \"final\" is not draft or submitted"] }),
      report("push", { batches: ["week-1"], batches_unchanged: 2, media_files: 3, media_bytes: 5 << 20, resumed_parts: 2 }),
    ]);
    const summary = await screen.findByTestId("sync-summary");
    expect(screen.queryByTestId("sync-progress")).toBeNull();
    const [pull, push] = within(summary).getAllByTestId("sync-report");
    expectTexts(pull, ["Pulled results", "12 annotation versions merged", "1 result file read", "2 versions already merged earlier (skipped)"]);
    expectTexts(push, ["Pushed batches", "1 batch published: week-1", "3 media files uploaded (5.0 MB)", "2 parts of an interrupted upload reused", "2 batches already up to date"]);
    expect(summary).toHaveTextContent("Synced with 1 problem");
    expect(screen.getByTestId("sync-problems")).toHaveTextContent('field "kind": "final" is not draft or submitted');
    expect(store.error).toBeNull();
    // What is waiting is asked again afterwards.
    await waitFor(() => expect(calls(b, "sync_status").length).toBeGreaterThanOrEqual(2));
    expect(screen.getByTestId("sync-now")).toBeEnabled();
  });

  it("shows why a sync failed, and syncs again from the keyboard", async () => {
    const { b, closed } = await panel(CONFIG);
    await screen.findByTestId("sync-location");
    press("y", { alt: true }, screen.getByTestId("sync-panel"));
    await waitFor(() => expect(calls(b, "sync_now")).toHaveLength(1));
    b.fail({ code: "unauthenticated", message: "s3://team-labels/week-1: the credentials were refused (InvalidAccessKeyId)" });
    const alert = await screen.findByTestId("sync-error");
    expect(alert).toHaveAttribute("role", "alert");
    expect(screen.getByTestId("sync-error-message")).toHaveTextContent("the credentials were refused (InvalidAccessKeyId)");
    expect(alert).toHaveTextContent("AWS_ACCESS_KEY_ID");
    expect(screen.queryByTestId("sync-summary")).toBeNull();

    // The message is shown as text, never as markup.
    press("y", { alt: true }, screen.getByTestId("sync-panel"));
    await waitFor(() => expect(calls(b, "sync_now")).toHaveLength(2));
    expect(screen.queryByTestId("sync-error")).toBeNull();
    b.fail({ code: "unavailable", message: "<img src=x onerror=alert(1)> cannot be reached" });
    expect(await screen.findByTestId("sync-error-message")).toHaveTextContent("<img src=x onerror=alert(1)> cannot be reached");
    expect(screen.getByTestId("sync-error").querySelector("img")).toBeNull();
    expect(screen.getByTestId("sync-error")).toHaveTextContent("Check the endpoint");

    press("Escape", {}, screen.getByTestId("sync-panel"));
    expect(closed()).toBe(1);
  });

  it("warns when the synced annotator is not the one labeling here, and edits settings", async () => {
    const { b } = await panel({ ...CONFIG, role: "annotator", annotator: "ann", media: false }, "alice");
    expect(await screen.findByTestId("sync-role")).toHaveTextContent("Annotator: ann");
    expect(screen.getByTestId("sync-other-annotator")).toHaveTextContent("This project syncs the work of ann; you label here as alice.");
    expect(screen.getByText(/Pushes your work, then pulls new batches/)).toBeInTheDocument();
    expectTexts(await screen.findByTestId("sync-pending"), ["1 saved version of your work to push", "1 batch with reviews of your work to pull: week-1"]);
    await fireEvent.click(screen.getByTestId("sync-now"));
    await waitFor(() => expect(calls(b, "sync_now").length).toBeGreaterThan(0));
    b.finish([
      report("push", { role: "annotator", versions: 1, segments: ["results/ann/week-1/000002.jsonl"] }),
      report("pull", { role: "annotator", batches: ["week-2"], items_added: 3, recovered: 4, reviews: 2, returned: 1, media_files: 3, media_bytes: 323584, resumed_bytes: 2048 }),
    ]);
    const [push, pull] = within(await screen.findByTestId("sync-summary")).getAllByTestId("sync-report");
    expectTexts(push, ["Pushed your work", "1 annotation version pushed"]);
    expectTexts(pull, ["Pulled batches", "1 batch received: week-2", "3 new items to label", "4 earlier versions of your work taken back", "2 reviews received from the lead (1 item returned to you for rework)", "3 media files downloaded (316 KB)", "2.0 KB of interrupted downloads reused"]);
    expect(screen.getByTestId("sync-summary")).toHaveTextContent("✓ Synced");
    await fireEvent.click(screen.getByTestId("sync-edit"));
    expect(screen.getByLabelText("Bucket")).toHaveValue("team-labels");
    expect(screen.queryByTestId("sync-empty")).toBeNull();
    await fireEvent.click(screen.getByText("Cancel"));
    expect(screen.getByTestId("sync-location")).toBeInTheDocument();
  });
  it("keeps Tab inside the panel, and gives focus back when it closes", async () => {
    const opener = document.body.appendChild(document.createElement("button"));
    opener.focus();
    const { unmount } = await panel(CONFIG);
    const now = await screen.findByTestId("sync-now");
    await waitFor(() => expect(document.activeElement).toBe(now));
    const close = screen.getByRole("button", { name: /Close/ });
    press("Tab", {}, now);
    expect(document.activeElement).toBe(close);
    press("Tab", { shift: true }, close);
    expect(document.activeElement).toBe(now);
    unmount();
    expect(document.activeElement).toBe(opener);
    opener.remove();
  });
});

describe("Sync in the app", () => {
  it("is in the desktop header; Alt+Y opens it and syncs now", async () => {
    const { fake, b } = await app("desktop");
    const button = await screen.findByTestId("sync-button");
    expect(button).toHaveTextContent("Sync");
    expect(button.getAttribute("title")).toContain("Alt+Y");
    press("y", { alt: true });
    await screen.findByTestId("sync-panel");
    await waitFor(() => expect(calls(b, "sync_now")).toHaveLength(1));
    expect(screen.getByTestId("sync-button")).toHaveTextContent("Syncing…");
    // Keys typed in the panel do not reach the labeling screen underneath (Alt+S skips there).
    const queueCalls = () => fake.calls.filter((c) => c.command === "queue").length;
    const before = queueCalls();
    press("s", { alt: true }, screen.getByTestId("sync-panel"));
    await new Promise((r) => setTimeout(r, 20));
    expect(queueCalls()).toBe(before);
    expect(screen.queryByTestId("all-done")).toBeNull();
    b.finish([report("pull"), report("push")]);
    await screen.findByTestId("sync-summary");
    press("Escape", {}, screen.getByTestId("sync-panel"));
    expect(screen.queryByTestId("sync-panel")).toBeNull();
    // The shortcut list names it.
    expect(await shortcutList()).toHaveTextContent("Sync now");
  });

  it("is not there in a browser over sift serve", async () => {
    const { fake } = await app("browser");
    expect(screen.queryByTestId("sync-button")).toBeNull();
    press("y", { alt: true });
    expect(screen.queryByTestId("sync-panel")).toBeNull();
    expect(fake.calls.some((c) => c.command.startsWith("sync"))).toBe(false);
    expect(await shortcutList()).not.toHaveTextContent("Sync now");
  });
});
