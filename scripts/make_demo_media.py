#!/usr/bin/env python3
"""Makes the image and video demo media and their manifests (idempotent).

Usage: make_demo_media.py DEMO_JSON OUT_DIR

Photos come from registry packages: scikit-learn's sample images (always installed with
the project's Python tools) and scikit-image's data folder (used when installed; images
from it are left out otherwise, and videos fall back to the photos that are there).
Videos are 60-second H.264/MP4 clips made from the photos with ffmpeg: three 20-second
scenes with a slow zoom or pan, a one-second keyframe interval (fast, exact seeking), the
index at the front of the file (faststart), and the time and frame number burned in.

Writes OUT_DIR/images/*.jpg, OUT_DIR/videos/*.mp4, OUT_DIR/image.jsonl and
OUT_DIR/video.jsonl (Ground Truth manifests, media paths relative to the manifest) and
OUT_DIR/.stamp; when the stamp matches the inputs, does nothing.
"""

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

VERSION = "2"  # bump to rebuild everyone's demo media
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def photo_path(package, file):
    if package == "scikit-learn":
        root = package_dir("sklearn")
        path = root / "datasets" / "images" / file if root else None
    elif package == "scikit-image":
        root = package_dir("skimage")
        path = root / "data" / file if root else None
    else:
        raise SystemExit(f"unknown package {package!r}")
    return path if path and path.is_file() else None


def plate(src, out, width, height, focus_y=0.5):
    """The photo cover-cropped to the video's aspect, at twice its size (room to zoom);
    `focus_y` (0 top, 1 bottom) says which part of a tall photo to keep."""
    from PIL import Image

    im = Image.open(src).convert("RGB")
    w, h = width * 2, height * 2
    scale = max(w / im.width, h / im.height)
    im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
    left, top = (im.width - w) // 2, round((im.height - h) * focus_y)
    im.crop((left, top, left + w, top + h)).save(out)


def motion_filter(motion, frames, width, height, fps):
    """A zoompan expression for one scene: slow, steady camera moves."""
    t = f"(on/{frames - 1})"
    centre = "x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
    exprs = {
        "zoom-in": f"z='1+0.5*{t}':{centre}",
        "zoom-out": f"z='1.5-0.5*{t}':{centre}",
        "pan-right": f"z='1.3':x='(iw-iw/zoom)*{t}':y='ih/2-(ih/zoom/2)'",
        "pan-left": f"z='1.3':x='(iw-iw/zoom)*(1-{t})':y='ih/2-(ih/zoom/2)'",
        "pan-up": f"z='1.3':x='iw/2-(iw/zoom/2)':y='(ih-ih/zoom)*(1-{t})'",
    }
    if motion not in exprs:
        raise SystemExit(f"unknown motion {motion!r}")
    return f"zoompan={exprs[motion]}:d=1:s={width}x{height}:fps={fps}"


def make_video(out, plates, seconds, fps, width, height):
    frames = seconds * fps
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    chains = []
    for i, (png, motion) in enumerate(plates):
        args += ["-loop", "1", "-framerate", str(fps), "-t", str(seconds), "-i", str(png)]
        chains.append(
            f"[{i}:v]{motion_filter(motion, frames, width, height, fps)},"
            f"trim=end_frame={frames},setpts=PTS-STARTPTS[s{i}]"
        )
    joined = "".join(f"[s{i}]" for i in range(len(plates)))
    tail = f"{joined}concat=n={len(plates)}:v=1:a=0,format=yuv420p"
    if FONT.is_file():
        tail += (
            f",drawtext=fontfile={FONT}:text='%{{pts\\:hms}}  frame %{{n}}'"
            ":x=16:y=h-44:fontsize=24:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=6"
        )
    graph = ";".join(chains + [tail + "[v]"])
    args += [
        "-filter_complex", graph, "-map", "[v]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-profile:v", "high",
        "-g", str(fps), "-keyint_min", str(fps), "-sc_threshold", "0",
        "-r", str(fps), "-movflags", "+faststart", "-t", str(seconds * len(plates)),
        str(out),
    ]
    subprocess.run(args, check=True)


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    spec_file, out = Path(sys.argv[1]), Path(sys.argv[2])
    spec = json.loads(spec_file.read_text())
    available = {
        img["id"]: photo_path(img["package"], img["file"]) for img in spec["images"]
    }
    present = sorted(k for k, v in available.items() if v)
    stamp_text = hashlib.sha256(
        (VERSION + spec_file.read_text() + ",".join(present)).encode()
    ).hexdigest()
    stamp = out / ".stamp"
    if stamp.is_file() and stamp.read_text().strip() == stamp_text:
        print(f"demo media up to date in {out}")
        return
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is missing (apt-get install ffmpeg)")
    missing = [img["file"] for img in spec["images"] if not available[img["id"]]]
    if missing:
        print(f"note: not installed, left out of the demo: {', '.join(missing)} "
              "(pip install scikit-image for all of them)")
    images_dir, videos_dir = out / "images", out / "videos"
    images_dir.mkdir(parents=True, exist_ok=True)
    videos_dir.mkdir(parents=True, exist_ok=True)

    from PIL import Image

    lines = []
    for img in spec["images"]:
        src = available[img["id"]]
        if not src:
            continue
        dest = images_dir / f"{img['id']}.jpg"
        im = Image.open(src).convert("RGB")
        im.save(dest, quality=92)
        lines.append({
            "source-ref": f"images/{dest.name}", "id": img["id"], "title": img["title"],
            "notes": img["notes"], "credit": img["credit"],
            "width": im.width, "height": im.height,
        })
    (out / "image.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))

    v = spec["video"]
    seconds, fps, width, height = v["seconds_per_segment"], v["fps"], v["width"], v["height"]
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        fallback = list(present)
        focus = {img["id"]: img.get("focus_y", 0.5) for img in spec["images"]}
        for video in spec["videos"]:
            plates = []
            for i, seg in enumerate(video["segments"]):
                image = seg["image"] if available.get(seg["image"]) else fallback[i % len(fallback)]
                png = Path(tmp) / f"{image}.png"
                if not png.exists():
                    plate(available[image], png, width, height, focus.get(image, 0.5))
                plates.append((png, seg["motion"]))
            dest = videos_dir / f"{video['id']}.mp4"
            print(f"making {dest.name} ({seconds * len(plates)} s)")
            make_video(dest, plates, seconds, fps, width, height)
            lines.append({
                "source-ref": f"videos/{dest.name}", "id": video["id"], "title": video["title"],
                "notes": video["notes"], "duration": float(seconds * len(plates)), "fps": fps,
            })
    (out / "video.jsonl").write_text("".join(json.dumps(l) + "\n" for l in lines))
    stamp.write_text(stamp_text + "\n")
    print(f"demo media ready in {out}")


if __name__ == "__main__":
    main()
