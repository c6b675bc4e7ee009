#!/usr/bin/env python3
"""Makes the scoring benchmark's inputs (nothing is downloaded):

* N distinct 640x480 JPEG photos cut from the sample photos that ship with scikit-learn
  (random crops, rescales, flips and brightness changes, seeded), and a Ground Truth manifest
  listing them (`source-ref`);
* model.onnx: a small image classifier, float32 NCHW [N, 3, 224, 224] -> [N, 10] logits
  (four strided 3x3 convolutions with ReLU, global average pooling, a linear layer; seeded
  random weights, about 0.1 GFLOP per image), built with the onnx helper API;
* model.toml: Sift's config for it (ImageNet mean/std, bilinear resize to 224x224).

Usage: make_data.py OUT_DIR [--n 2000]
"""

import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper
from PIL import Image, ImageEnhance
from sklearn.datasets import load_sample_images


def photos(out, n, seed=7):
    rng = np.random.default_rng(seed)
    sources = [Image.fromarray(a) for a in load_sample_images().images]  # 640x427 each
    img_dir = os.path.join(out, "images")
    os.makedirs(img_dir, exist_ok=True)
    lines = []
    for i in range(n):
        src = sources[i % len(sources)]
        w, h = src.size
        cw = int(rng.integers(w // 3, w + 1))
        ch = min(h, max(h // 3, int(cw * 0.75 * rng.uniform(0.8, 1.2))))
        x = int(rng.integers(0, w - cw + 1))
        y = int(rng.integers(0, h - ch + 1))
        img = src.crop((x, y, x + cw, y + ch)).resize((640, 480), Image.BICUBIC)
        if rng.random() < 0.5:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        img = ImageEnhance.Brightness(img).enhance(float(rng.uniform(0.7, 1.3)))
        path = os.path.join(img_dir, f"photo-{i:05d}.jpg")
        img.save(path, quality=90)
        # Relative to the manifest, as Ground Truth manifests next to their media usually are.
        lines.append(json.dumps({"source-ref": f"images/photo-{i:05d}.jpg", "id": i}))
    with open(os.path.join(out, "manifest.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")


def model(out, seed=11):
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    prev, channels = "pixels", 3
    for i, c in enumerate([16, 32, 64, 64]):
        w = (rng.standard_normal((c, channels, 3, 3)) * np.sqrt(2.0 / (channels * 9))).astype(np.float32)
        b = np.zeros(c, dtype=np.float32)
        inits += [helper.make_tensor(f"w{i}", TensorProto.FLOAT, w.shape, w.ravel()),
                  helper.make_tensor(f"b{i}", TensorProto.FLOAT, b.shape, b)]
        nodes += [helper.make_node("Conv", [prev, f"w{i}", f"b{i}"], [f"c{i}"], kernel_shape=[3, 3],
                                   strides=[2, 2], pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", [f"c{i}"], [f"r{i}"])]
        prev, channels = f"r{i}", c
    fc = (rng.standard_normal((channels, 10)) * 0.3).astype(np.float32)
    inits += [helper.make_tensor("fc", TensorProto.FLOAT, fc.shape, fc.ravel()),
              helper.make_tensor("fcb", TensorProto.FLOAT, [10], np.zeros(10, dtype=np.float32))]
    nodes += [helper.make_node("GlobalAveragePool", [prev], ["pool"]),
              helper.make_node("Flatten", ["pool"], ["flat"], axis=1),
              helper.make_node("Gemm", ["flat", "fc", "fcb"], ["logits"])]
    graph = helper.make_graph(
        nodes, "bench_cnn",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 9
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, "model.onnx"))
    with open(os.path.join(out, "model.toml"), "w") as f:
        f.write('name = "bench-cnn"\n\n[input]\nadapter = "image"\nfilter = "bilinear"\n'
                'mean = [0.485, 0.456, 0.406]\nstd = [0.229, 0.224, 0.225]\n\n[output]\nkind = "logits"\n')


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--n", type=int, default=2000)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    photos(a.out, a.n)
    model(a.out)
    print(f"wrote {a.n} photos, manifest.jsonl, model.onnx and model.toml to {a.out}")
