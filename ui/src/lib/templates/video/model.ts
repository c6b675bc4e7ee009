/** The video-caption payload (types generated from Rust), its normaliser, and time helpers. */

import type { VideoEvent, VideoPayload } from "../../bindings";
import { asArray, asNumber, asObject, asString } from "../json";

export type { VideoEvent, VideoPayload };

export function normalizeVideo(raw: unknown): VideoPayload {
  const o = asObject(raw);
  return {
    events: asArray(o.events).map((e) => {
      const ev = asObject(e);
      return { start: asNumber(ev.start), end: asNumber(ev.end), description: asString(ev.description) };
    }),
    setting: asString(o.setting),
    caption: asString(o.caption),
  };
}

/** Indices of events in time order (start, then end, then original order). */
export function timeOrder(events: VideoEvent[]): number[] {
  return events.map((_, i) => i).sort((a, b) => events[a].start - events[b].start || events[a].end - events[b].end || a - b);
}

/** Times are kept to the millisecond. */
export function roundTime(t: number): number {
  return Math.round(Math.max(0, t) * 1000) / 1000;
}

/** 75.25 → "1:15.25" (hours when needed). */
export function formatTime(t: number): string {
  if (!Number.isFinite(t) || t < 0) return "0:00.00";
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = t % 60;
  const ss = s.toFixed(2).padStart(5, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}
