/**
 * Errors at the UI's API boundary: the `{code, message}` error every transport returns, turned
 * into an `ApiError` the UI switches on; a `NetworkError` when no answer came at all; and which
 * failures are worth retrying.
 */

import type { Violation } from "../bindings";
import type { ErrorCode } from "../bindings";

export type { ErrorCode };

/** The codes this UI knows, checked against the type: a code missing here does not compile. */
const KNOWN: Record<ErrorCode, true> = {
  invalid_input: true,
  not_found: true,
  conflict: true,
  unauthenticated: true,
  forbidden: true,
  unavailable: true,
  io: true,
  internal: true,
  busy: true,
  storage_full: true,
  read_only: true,
};
const CODES: ReadonlySet<string> = new Set(Object.keys(KNOWN));

/** An error answered by the server (or by the desktop shell): the UI switches on `code`. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly violations: Violation[];
  /** HTTP status when the error came over HTTP, else null. */
  readonly status: number | null;

  constructor(code: ErrorCode, message: string, violations: Violation[] = [], status: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.violations = violations;
    this.status = status;
  }

  /**
   * Whether retrying the same call soon may succeed: the server or the network was away, or
   * another writer held the project's lock (`busy`).
   */
  get transient(): boolean {
    return this.code === "unavailable" || this.code === "io" || this.code === "busy";
  }
}

/** The network itself failed (no answer at all): the work is kept locally and retried. */
export class NetworkError extends Error {
  constructor(message = "The server could not be reached") {
    super(message);
    this.name = "NetworkError";
  }
}

function isViolation(v: unknown): v is Violation {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.path === "string" && typeof o.code === "string" && typeof o.message === "string";
}

/** Turns an error body `{code, message, violations?}` (or anything else) into an `ApiError`. */
export function toApiError(body: unknown, status: number | null = null): ApiError {
  if (typeof body === "object" && body !== null) {
    const o = body as Record<string, unknown>;
    const code = typeof o.code === "string" && CODES.has(o.code) ? (o.code as ErrorCode) : "internal";
    const message = typeof o.message === "string" ? o.message : `Request failed (${code})`;
    const violations = Array.isArray(o.violations) ? o.violations.filter(isViolation) : [];
    return new ApiError(code, message, violations, status);
  }
  if (typeof body === "string" && body.trim() !== "") {
    return new ApiError(statusCode(status), body, [], status);
  }
  return new ApiError(statusCode(status), `Request failed${status ? ` (HTTP ${status})` : ""}`, [], status);
}

function statusCode(status: number | null): ErrorCode {
  switch (status) {
    case 400:
    case 422:
      return "invalid_input";
    case 401:
      return "unauthenticated";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 409:
      return "conflict";
    case 502:
    case 503:
    case 504:
      return "unavailable";
    case 507:
      return "storage_full";
    default:
      return "internal";
  }
}

/** Whether an error means "keep the work locally and try again later". */
export function isRetryable(err: unknown): boolean {
  return err instanceof NetworkError || (err instanceof ApiError && err.transient);
}

/** A short human sentence for any error. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof NetworkError) return "The server could not be reached.";
  if (err instanceof Error) return err.message;
  return String(err);
}
