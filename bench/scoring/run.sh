#!/usr/bin/env bash
# Scoring benchmark: `sift score` end to end on 2,000 JPEG photos (640x480) against the Python
# pipeline people write (Pillow decode, numpy preprocessing, onnxruntime's Python API, batch 32),
# with the same image model on the same images, in one run; plus the model alone on pre-made
# tensors, for the end-to-end / model-only ratio.
#
# Usage: bench/scoring/run.sh                 (CPU; prints images/s and the Sift/Python ratio)
#        DEVICE=cuda bench/scoring/run.sh     (a machine with an NVIDIA GPU and onnxruntime-gpu:
#                                              see docs/active-learning.md)
#        N=500 BATCH=32 bench/scoring/run.sh
# Needs the venv of `make setup` (PYTHON=~/.cache/sift/venv/bin/python by default), and the
# ONNX Runtime it holds (or ORT_DYLIB_PATH). Outputs go to bench/out/scoring/ (ignored by git);
# the photos and model are made once and reused.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${SIFT_BENCH_OUT:-$root/bench/out/scoring}"
n="${N:-2000}"
batch="${BATCH:-32}"
device="${DEVICE:-cpu}"
python="${PYTHON:-$HOME/.cache/sift/venv/bin/python}"
target="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$out"

if ! "$python" -c 'import onnxruntime, PIL, numpy, onnx, sklearn' 2>/dev/null; then
    echo "run.sh: $python needs onnxruntime, pillow, numpy, onnx and scikit-learn (make setup)" >&2
    exit 2
fi

data="$out/data-$n"
if [ ! -f "$data/model.onnx" ] || [ "$(ls "$data/images" 2>/dev/null | wc -l)" -ne "$n" ]; then
    echo "== making $n photos and the model"
    rm -rf "$data"
    "$python" "$root/bench/scoring/make_data.py" "$data" --n "$n"
fi

echo "== building sift and the model-only runner (release)"
# One invocation, so the two share one feature resolution (no rebuild ping-pong).
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p sift-cli -p sift-onnx --bins --examples
sift="$target/release/sift"

# Let the OS cache hold the photos for both sides alike.
cat "$data"/images/*.jpg > /dev/null

echo "== python pipeline ($device)"
"$python" "$root/bench/scoring/python_pipeline.py" "$data/manifest.jsonl" "$data/model.onnx" \
    --batch "$batch" --device "$device" --json "$out/python.json"

echo "== sift score ($device)"
proj="$out/project"
rm -rf "$proj"
"$sift" init "$proj" --template "$root/labeling-templates/image-caption.toml" > /dev/null
"$sift" import "$data/manifest.jsonl" -p "$proj" > /dev/null
"$sift" model add "$data/model.onnx" --config "$data/model.toml" -p "$proj" > /dev/null
"$sift" score -p "$proj" --device "$device" --batch-size "$batch" --json > "$out/sift.json"
"$python" - "$out/sift.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"sift:   {r['items_scored']} images in {r['seconds']:.2f} s = {r['items_per_second']:.1f} images/s "
      f"({r['device']}, {r['runtime_version']}, {r['items_failed']} failed)")
PY

echo "== model only, pre-made tensors ($device)"
"$target/release/examples/model_only" "$data/model.onnx" "$data/model.toml" "$data/manifest.jsonl" \
    --device "$device" --batch "$batch" --images "$n" --json "$out/model_only.json"

echo "== comparison ($n photos 640x480, batch $batch, $device, $(nproc) cores)"
"$python" - "$out/python.json" "$out/sift.json" "$out/model_only.json" <<'PY'
import json, sys
py, sift, model = (json.load(open(p)) for p in sys.argv[1:])
s, p, m = sift["items_per_second"], py["images_per_second"], model["images_per_second"]
print(f"  python pipeline      {p:9.1f} images/s")
print(f"  sift score           {s:9.1f} images/s   {s / p:5.2f}x python (target >= 1.5x on CPU)")
print(f"  model only (tensors) {m:9.1f} images/s   sift end-to-end / model-only = {s / m:4.2f} (target >= 0.8 on GPU)")
PY
