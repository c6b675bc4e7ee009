/** The API client's public surface. */

export { ApiClient } from "./client";
export type { Decision, ReviewAnchor } from "./client";
export { ApiError, NetworkError, describeError, isRetryable, toApiError } from "./errors";
export type { ErrorCode } from "./errors";
export { HttpTransport } from "./http";
export { TauriTransport, inTauri } from "./tauri";
export type { CallOptions, Transport } from "./transport";
