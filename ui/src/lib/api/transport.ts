/** Options a call may carry; transports ignore what they cannot honour. */
export interface CallOptions {
  /** Let the request outlive the page (used when the page is being hidden or closed). */
  keepalive?: boolean;
}

/**
 * How the UI reaches Sift: over HTTP to `sift serve`, or through the desktop shell's IPC.
 * Failures reject with an `ApiError` (the server answered an error) or a `NetworkError`.
 */
export interface Transport {
  call<T>(command: string, args: object, options?: CallOptions): Promise<T>;
  /** URL of an item's media file (image or video). */
  mediaUrl(itemId: number): string;
}
