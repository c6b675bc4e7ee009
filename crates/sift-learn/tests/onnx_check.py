"""Checks ONNX files written by sift-learn (called by tests/onnx.rs).

Usage: onnx_check.py DIR
DIR holds, per model NAME: NAME.onnx, NAME.input.f32 and NAME.expected.f32 (raw little-endian
float32) and NAME.shape (`rows d outputs`). For each model: onnx.checker.check_model with
full_check, onnxruntime on the CPU, and the worst absolute difference from the expected
outputs (absolute, and relative to max(1, |expected|)). Prints one JSON object
{NAME: {"worst", "worst_relative", "largest", "outputs", "input", "metadata", "shape"}}.
"""

import json
import pathlib
import sys

import numpy as np
import onnx
import onnxruntime as ort

root = pathlib.Path(sys.argv[1])
report = {}
for model_path in sorted(root.glob("*.onnx")):
    name = model_path.stem
    rows, d, k = map(int, (root / f"{name}.shape").read_text().split())
    model = onnx.load(str(model_path))
    onnx.checker.check_model(model, full_check=True)
    x = np.fromfile(root / f"{name}.input.f32", dtype="<f4").reshape(rows, d)
    expected = np.fromfile(root / f"{name}.expected.f32", dtype="<f4").reshape(rows, k)
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    got = session.run([outputs[0]], {session.get_inputs()[0].name: x})[0]
    report[name] = {
        "worst": float(np.abs(got.astype(np.float64) - expected).max()),
        "worst_relative": float((np.abs(got.astype(np.float64) - expected) / np.maximum(1.0, np.abs(expected))).max()),
        "largest": float(np.abs(expected).max()),
        "outputs": outputs,
        "input": session.get_inputs()[0].name,
        "metadata": dict(session.get_modelmeta().custom_metadata_map),
        "shape": list(got.shape),
    }
print(json.dumps(report))
