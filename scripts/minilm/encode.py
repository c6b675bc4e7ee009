#!/usr/bin/env python3
"""Embeds the texts of a JSON Lines manifest with an ONNX text encoder from Python
onnxruntime, the way `sift embed` prepares them: the model's tokenizer.json (Hugging Face
`tokenizers`), truncated to the config's max_length, padded to the longest text of each batch,
in manifest order. tests/embed.rs compares `sift embed`'s stored vectors with its output, and
bench/embed/run.sh times it as the baseline.

Usage:
    encode.py MODEL_DIR MANIFEST [--field source] [--batch-size 32] [--out vectors.json]
    encode.py MODEL_DIR MANIFEST --time          # print texts/s as JSON (model loading not timed)

MODEL_DIR holds model.onnx, tokenizer.json and model.toml (scripts/make-minilm-onnx.py).
"""

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def load(model_dir):
    config = tomllib.loads((model_dir / "model.toml").read_text())
    tok = Tokenizer.from_file(str(model_dir / config["input"]["tokenizer"]))
    tok.no_padding()
    tok.enable_truncation(int(config["input"].get("max_length", 512)))
    options = ort.SessionOptions()
    session = ort.InferenceSession(str(model_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])
    return config, tok, session


def encode(session, tok, texts, batch_size, output):
    names = {i.name for i in session.get_inputs()}
    vectors = []
    for start in range(0, len(texts), batch_size):
        encs = tok.encode_batch(texts[start : start + batch_size])
        longest = max(1, max(len(e.ids) for e in encs))
        ids = np.zeros((len(encs), longest), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = e.attention_mask
            types[i, : len(e.ids)] = e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        (out,) = session.run([output], {k: v for k, v in feeds.items() if k in names})
        vectors.append(out)
    return np.concatenate(vectors) if vectors else np.zeros((0, 0), dtype=np.float32)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("model_dir", type=Path)
    p.add_argument("manifest", type=Path)
    p.add_argument("--field", default=None, help="default: the config's input.field")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--out", type=Path)
    p.add_argument("--time", action="store_true")
    args = p.parse_args()

    config, tok, session = load(args.model_dir)
    field = args.field or config["input"].get("field", "source")
    output = config.get("output", {}).get("name") or session.get_outputs()[0].name
    with open(args.manifest, encoding="utf-8") as f:
        texts = [json.loads(line)[field] for line in f if line.strip()]
    if args.time:
        started = time.perf_counter()
        vectors = encode(session, tok, texts, args.batch_size, output)
        seconds = time.perf_counter() - started
        print(json.dumps({"texts": len(texts), "dim": int(vectors.shape[1]), "seconds": seconds,
                          "texts_per_second": len(texts) / seconds}))
        return
    vectors = encode(session, tok, texts, args.batch_size, output)
    text = json.dumps({"field": field, "vectors": vectors.tolist()})
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
