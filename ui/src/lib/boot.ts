/** Start-up: which transport to use where the UI runs, and the `#token=` sign-in link. */

import { ApiClient } from "./api/client";
import { HttpTransport } from "./api/http";
import { TauriTransport, inTauri } from "./api/tauri";
import type { Transport } from "./api/transport";

/** Takes `#token=…` out of the address bar (before anything else) and returns it. */
export function takeHashToken(loc: Location = location, hist: History = history): string | null {
  const hash = loc.hash.replace(/^#/, "");
  if (!hash) return null;
  const params = new URLSearchParams(hash);
  const token = params.get("token");
  if (token === null) return null;
  params.delete("token");
  const rest = params.toString();
  hist.replaceState(hist.state, "", `${loc.pathname}${loc.search}${rest ? `#${rest}` : ""}`);
  return token.trim() || null;
}

/** The transport for where the page runs: the desktop shell's IPC, else HTTP. */
export async function pickTransport(): Promise<Transport> {
  return inTauri() ? TauriTransport.create() : new HttpTransport("");
}

export function clientFor(transport: Transport): ApiClient {
  return new ApiClient(transport);
}
