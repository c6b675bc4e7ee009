/** The desktop shell's "Open in Lab" (Tauri only: `sift serve` has no such command), typed. */

import type { Transport } from "./transport";

/** What the shell started: the `sift-lab` program and the project folder it was given. */
export interface LabStarted {
  program: string;
  project: string;
}

/**
 * Starts the Lab, the lead's console (`sift-lab PROJECT_FOLDER`), on the open project. The shell
 * refuses anyone but a lead of the project (`forbidden`) and says where it looked when `sift-lab`
 * is not installed (`unavailable`).
 */
export function openInLab(transport: Transport): Promise<LabStarted> {
  return transport.call<LabStarted>("open_in_lab", {});
}
