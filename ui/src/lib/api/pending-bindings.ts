/**
 * API contract additions the generated bindings (`../bindings`) do not have yet. The store's
 * hardening (issue 13, defect 3) adds them on the Rust side: the boundary error codes "busy"
 * (retryable: another writer holds the project's lock), "storage_full" and "read_only", and
 * `read_only` on the `me` command's result. They are declared here, in this one place, so the
 * UI can be written against the exact strings now; once the regenerated bindings carry them
 * (`make types`), these become plain re-exports and this file can go.
 */

import type { ErrorCode as GeneratedErrorCode, Me as GeneratedMe } from "../bindings";

/** Every boundary error code (`sift-error`), a public contract. */
export type ErrorCode = GeneratedErrorCode | "busy" | "storage_full" | "read_only";

/** The signed-in person and their project; `read_only`: the project cannot be written. */
export type Me = GeneratedMe & { read_only: boolean };
