/** The HTTP transport of `sift serve`: `POST /api/<command>` with a JSON body, the session cookie, and errors turned into `ApiError` / `NetworkError`. */

import { ApiError, NetworkError, toApiError } from "./errors";
import type { CallOptions, Transport } from "./transport";

type Fetch = typeof fetch;

/** Talks to `sift serve`: `POST /api/<command>` with a JSON body; a session cookie authenticates. */
export class HttpTransport implements Transport {
  readonly #base: string;
  readonly #fetch: Fetch;

  /** `base` is the server origin plus path prefix ("" for the page's own origin). */
  constructor(base = "", fetchImpl?: Fetch) {
    this.#base = base.replace(/\/+$/, "");
    this.#fetch = fetchImpl ?? ((input, init) => globalThis.fetch(input, init));
  }

  async call<T>(command: string, args: object, options: CallOptions = {}): Promise<T> {
    return this.#request<T>("POST", `/api/${encodeURIComponent(command)}`, args, options);
  }

  mediaUrl(itemId: number): string {
    return `${this.#base}/media/items/${encodeURIComponent(String(itemId))}`;
  }

  /** Exchanges an access token for a session cookie. */
  async signIn(token: string): Promise<void> {
    await this.#request<unknown>("POST", "/api/session", { token });
  }

  /** Ends the session on the server (and clears the cookie); throws when the server did not. */
  async signOut(): Promise<void> {
    await this.#request<unknown>("DELETE", "/api/session", {});
  }

  async #request<T>(method: string, path: string, body: object | undefined, options: CallOptions = {}): Promise<T> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        credentials: "same-origin",
        headers: body === undefined ? { Accept: "application/json" } : { "Content-Type": "application/json", Accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        keepalive: options.keepalive === true,
      });
    } catch (err) {
      throw new NetworkError(err instanceof Error ? err.message : undefined);
    }
    const text = await response.text().catch(() => "");
    if (!response.ok) {
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // Not JSON (a proxy's error page): keep the text.
      }
      throw toApiError(parsed, response.status);
    }
    if (text === "") return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError("internal", `The server answered ${path} with something that is not JSON`, [], response.status);
    }
  }
}
