/// <reference types="svelte" />
/// <reference types="vite/client" />

declare global {
  interface Window {
    /** Set once the first item has rendered (read by the end-to-end and speed tests). */
    __siftReady?: boolean;
    __TAURI_INTERNALS__?: unknown;
  }
}

export {};
