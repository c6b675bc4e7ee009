// Which frame of a video the window shows: the video element's picture, cut from a WebDriver
// screenshot, compared (PSNR, with ffmpeg) with the file's frames around the expected one,
// on the part of the picture where the demo videos burn in the frame number.
// The page cannot read the pixels itself (the media is another origin), and WebKitGTK has no
// requestVideoFrameCallback.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FFMPEG_MS } from "./desktop.mjs";

/** The number of the frame shown (the best match among `expected ± spread`) and every score. */
export async function frameShown(s, videoFile, fps, expected, spread = 3) {
  const rect = await s.query(`
    const v = document.querySelector('[data-testid="video"]');
    const r = v.getBoundingClientRect();
    const k = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
    const w = v.videoWidth * k, h = v.videoHeight * k, d = devicePixelRatio;
    return { x: Math.round((r.left + (r.width - w) / 2) * d), y: Math.round((r.top + (r.height - h) / 2) * d),
             w: Math.round(w * d), h: Math.round(h * d), vw: v.videoWidth, vh: v.videoHeight };`);
  const dir = mkdtempSync(join(tmpdir(), "sift-frames-"));
  try {
    const shot = join(dir, "shot.png");
    writeFileSync(shot, await s.screenshot());
    const first = expected - spread;
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", videoFile, "-vf", `select='between(n\\,${first}\\,${expected + spread})'`, "-vsync", "0", "-start_number", String(first), join(dir, "f%d.png")], { timeout: FFMPEG_MS });
    // Compared: the burned-in "time  frame N" box at the bottom left (see
    // scripts/make_demo_media.py), where neighbouring frames differ most.
    // Compared at the size shown on screen (the file's frames scaled down).
    const box = `crop=${Math.round(rect.w * 0.26)}:${Math.round(rect.h * 0.08)}:${Math.round(rect.w * 0.1)}:${Math.round(rect.h * 0.9)}`;
    const size = `${rect.w}:${rect.h}`;
    const scores = {};
    for (let n = first; n <= expected + spread; n++) {
      const out = execFileSync("sh", ["-c", `exec ffmpeg -hide_banner -nostats -i "$1" -i "$2" -lavfi "[0]crop=${rect.w}:${rect.h}:${rect.x}:${rect.y},${box}[a];[1]scale=${size},${box}[b];[a][b]psnr" -f null - 2>&1`, "sh", shot, join(dir, `f${n}.png`)], { encoding: "utf8", timeout: FFMPEG_MS });
      const m = out.match(/average:([\d.]+|inf)/);
      scores[n] = m ? (m[1] === "inf" ? Infinity : Number(m[1])) : 0;
    }
    const best = Number(Object.entries(scores).sort((a, b) => b[1] - a[1])[0][0]);
    return { frame: best, time: best / fps, scores };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
