#!/usr/bin/env bash
# Embedding benchmark: `sift embed` (release build) against the same ONNX model run from Python
# onnxruntime (scripts/minilm/encode.py: Hugging Face `tokenizers`, padding per batch, as Sift
# prepares texts) on the same texts, same machine, same run. The model is the all-MiniLM-L6-v2
# encoder that `make setup` builds (scripts/make-minilm-onnx.py); the texts are N distinct
# tickets of one to four demo sentences (bench/embed/make_texts.py).
#
# Usage: bench/embed/run.sh                     (CPU; prints texts/s and the Sift/Python ratio)
#        N=5000 BATCH=32 ROUNDS=3 bench/embed/run.sh
#        SIFT_BIN=path/to/release/sift bench/embed/run.sh   (else it builds one)
# Needs the venv of `make setup` (PYTHON, default ~/.cache/sift/venv/bin/python) and its ONNX
# Runtime. Both sides use every core: ONNX Runtime's intra-op threads, and Sift's tokenizing
# workers or `tokenizers`' own threads. Model loading is not timed on either side. Outputs go
# to bench/out/embed/ (ignored by git).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${SIFT_BENCH_OUT:-$root/bench/out/embed}"
n="${N:-2000}"
batch="${BATCH:-32}"
rounds="${ROUNDS:-2}"
python="${PYTHON:-$HOME/.cache/sift/venv/bin/python}"
encoder="${SIFT_ENCODER_DIR:-$HOME/.cache/sift/models/all-minilm-l6-v2}"
target="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$out"

if ! "$python" -c 'import onnxruntime, onnx, numpy, tokenizers' 2>/dev/null; then
    echo "run.sh: $python needs onnxruntime, onnx, numpy and tokenizers (make setup)" >&2
    exit 2
fi
"$python" "$root/scripts/make-minilm-onnx.py" --out "$encoder"

texts="$out/texts-$n.jsonl"
[ -f "$texts" ] || "$python" "$root/bench/embed/make_texts.py" "$texts" --n "$n"

if [ -n "${SIFT_BIN:-}" ]; then
    sift="$SIFT_BIN"
else
    echo "== building sift (release)"
    cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p sift-cli --bins
    sift="$target/release/sift"
fi

for round in $(seq 1 "$rounds"); do
    echo "== round $round: python onnxruntime (batch $batch)"
    "$python" "$root/scripts/minilm/encode.py" "$encoder" "$texts" --batch-size "$batch" --time \
        > "$out/python-$round.json"
    cat "$out/python-$round.json"
    echo "== round $round: sift embed (batch $batch)"
    proj="$out/project"
    rm -rf "$proj"
    "$sift" init "$proj" --template "$root/labeling-templates/qa.toml" > /dev/null
    "$sift" import "$texts" -p "$proj" > /dev/null
    "$sift" model add "$encoder/model.onnx" --config "$encoder/model.toml" -p "$proj" > /dev/null
    "$sift" embed -p "$proj" --device cpu --batch-size "$batch" --json 2>/dev/null > "$out/sift-$round.json"
    "$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({k: r[k] for k in ("items_embedded","items_failed","dim","seconds","items_per_second","device","runtime_version")}))' "$out/sift-$round.json"
done

echo "== comparison ($n texts, batch $batch, cpu, $(nproc) cores, $rounds rounds)"
"$python" - "$out" "$rounds" <<'PY'
import json, sys
out, rounds = sys.argv[1], int(sys.argv[2])
py = [json.load(open(f"{out}/python-{r}.json"))["texts_per_second"] for r in range(1, rounds + 1)]
sf = [json.load(open(f"{out}/sift-{r}.json"))["items_per_second"] for r in range(1, rounds + 1)]
for r, (p, s) in enumerate(zip(py, sf), 1):
    print(f"  round {r}: python onnxruntime {p:8.1f} texts/s   sift embed {s:8.1f} texts/s   {s / p:5.2f}x")
print(f"  best:    python onnxruntime {max(py):8.1f} texts/s   sift embed {max(sf):8.1f} texts/s   {max(sf) / max(py):5.2f}x python")
PY
