#!/usr/bin/env python3
"""The Python baseline: the same photos and model, the usual way: Pillow decode (EXIF
orientation applied), bilinear resize to the model's size, numpy normalisation, onnxruntime's
Python API, batches of 32, one process.

Usage: python_pipeline.py MANIFEST MODEL [--batch 32] [--device cpu|cuda] [--json OUT]
Prints images/s; with --json writes {"images", "seconds", "images_per_second", "provider"}.
"""

import argparse
import json
import os
import time

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageOps

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)


def preprocess(path, size):
    img = ImageOps.exif_transpose(Image.open(path)).convert("RGB").resize(size, Image.BILINEAR)
    a = np.asarray(img, dtype=np.float32) / 255.0
    return ((a - MEAN) / STD).transpose(2, 0, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json")
    a = ap.parse_args()
    base = os.path.dirname(os.path.abspath(a.manifest))
    paths = [os.path.join(base, json.loads(l)["source-ref"]) for l in open(a.manifest) if l.strip()]
    providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if a.device.startswith("cuda") else ["CPUExecutionProvider"]
    sess = ort.InferenceSession(a.model, providers=providers)
    used = sess.get_providers()[0]
    if a.device.startswith("cuda") and used != "CUDAExecutionProvider":
        raise SystemExit(f"CUDA was asked for but onnxruntime runs on {used}: install onnxruntime-gpu")
    inp = sess.get_inputs()[0]
    size = (inp.shape[3], inp.shape[2])
    start = time.perf_counter()
    n = 0
    for i in range(0, len(paths), a.batch):
        batch = np.stack([preprocess(p, size) for p in paths[i:i + a.batch]])
        sess.run(None, {inp.name: batch})
        n += len(batch)
    seconds = time.perf_counter() - start
    result = {"images": n, "seconds": seconds, "images_per_second": n / seconds, "provider": used}
    print(f"python: {n} images in {seconds:.2f} s = {n / seconds:.1f} images/s ({used})")
    if a.json:
        json.dump(result, open(a.json, "w"))


if __name__ == "__main__":
    main()
