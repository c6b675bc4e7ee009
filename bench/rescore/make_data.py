"""Data of bench/rescore/run.sh (numpy, fixed seed), written to OUT:

    items.jsonl    N items {"source", "x": 16 numbers, "truth": "c0".."c9"}
    encoder.onnx   a small real encoder: x [batch, 16] -> tanh(x W + b) -> embedding [batch, 384]
    encoder.toml   its Sift config (`features` adapter on `x`, output kind `embedding`)
    labels.tsv     item line (1-based) and class of 20 items per class, for `sift annotate`

The class of an item is the argmax of a fixed linear map of x, so a head on the 384-dimension
embeddings learns it. Usage: make_data.py OUT [N]
"""

import json
import pathlib
import sys

import numpy as np
from onnx import TensorProto, checker, helper, numpy_helper

out = pathlib.Path(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
IN, DIM, K, PER_CLASS = 16, 384, 10, 20
rng = np.random.default_rng(7)
out.mkdir(parents=True, exist_ok=True)

x = rng.normal(size=(n, IN)).astype(np.float32).round(4)
truth = (x @ rng.normal(size=(IN, K))).argmax(axis=1)
with open(out / "items.jsonl", "w", encoding="utf-8") as f:
    for i in range(n):
        f.write(json.dumps({"source": f"Item {i}", "x": x[i].tolist(), "truth": f"c{truth[i]}"}) + "\n")

labels = []
for k in range(K):
    labels += [(int(i) + 1, f"c{k}") for i in np.flatnonzero(truth == k)[:PER_CLASS]]
with open(out / "labels.tsv", "w", encoding="utf-8") as f:
    f.writelines(f"{line}\t{cls}\n" for line, cls in sorted(labels))

w = (rng.normal(size=(IN, DIM)) / np.sqrt(IN)).astype(np.float32)
b = (rng.normal(size=DIM) * 0.1).astype(np.float32)
graph = helper.make_graph(
    [
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["z"]),
        helper.make_node("Tanh", ["z"], ["embedding"]),
    ],
    "bench_encoder",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", IN])],
    [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIM])],
    [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
checker.check_model(model)
(out / "encoder.onnx").write_bytes(model.SerializeToString())
(out / "encoder.toml").write_text(
    'name = "encoder"\nbatch_size = 1024\n\n[input]\nadapter = "features"\nfield = "x"\n\n'
    '[output]\nname = "embedding"\nkind = "embedding"\n'
)
print(f"make_data: {n:,} items, {len(labels)} labels, encoder {IN} -> {DIM}")
