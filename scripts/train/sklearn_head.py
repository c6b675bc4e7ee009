#!/usr/bin/env python3
"""A sample training command for Sift's learning loop: scikit-learn on the vectors Sift hands out.

Set it as the project's training command and `sift learn` (or the background learner of
`sift serve` and the desktop app) runs it instead of training its own head:

    sift learn config -p proj \\
      --command 'python scripts/train/sklearn_head.py {train} {val} {out}' --timeout 600

Sift fills in {train} and {val} (JSON Lines in the classification training format: one record
per label, `{"text" | "image", "label", "unsure", "sift-item-id", "sift-features"}`, where
`sift-features` is the item's stored embedding, or its numeric `features` field) and {out},
an empty folder. This script

  1. fits StandardScaler + LogisticRegression (multinomial, L2; one-vs-rest for multi-label
     records, whose `label` is a list) on the training records' `sift-features`;
  2. writes the fitted pipeline as `{out}/model.onnx`, built by hand with the `onnx` helper
     API (input `features` float32 [batch, d] -> standardise -> MatMul + bias -> Softmax, or
     Sigmoid for multi-label -> `probabilities` float32 [batch, k]), and checks with
     onnxruntime that the file gives scikit-learn's probabilities within 1e-5 on every record;
  3. writes `{out}/model.toml` (the `features` adapter on `sift-features`, output kind
     `probabilities`), `{out}/classes.json` (the output columns' class names) and
     `{out}/metrics.json` (accuracy, macro_f1, log_loss and ece on {val}, when it has records).

Sift then checks the model, registers it as the next version of the project's head, scores
the pool with it and reorders the queue. Anything wrong (no vectors in the records, one class
only) exits non-zero with a message on stderr, which goes to the project's logs/learn.log;
the previous version stays in use.

Needs numpy, scikit-learn, onnx and onnxruntime (the venv of `make setup-python`).
Usage: sklearn_head.py TRAIN VAL OUT [--c C] [--max-iter N]
"""

import argparse
import json
import os
import sys

import numpy as np

FEATURES = "sift-features"
OPSET = 17
IR_VERSION = 8
PARITY = 1e-5
ECE_BINS = 10

MODEL_TOML = """\
# Written by scripts/train/sklearn_head.py: StandardScaler + LogisticRegression ({what})
# fitted with scikit-learn on {n} training records of {d} numbers.
# Input: the item's vector, which Sift adds to each item it scores as `sift-features`.
batch_size = 256

[input]
adapter = "features"
field = "sift-features"

[output]
name = "probabilities"
kind = "probabilities"
"""


class Refused(Exception):
    """Input this command cannot train on; the message says why."""


def read_records(path):
    records = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise Refused(f"{path}, line {n}: not JSON ({e})") from None
    return records


def matrix(records, path):
    rows = []
    for n, r in enumerate(records, 1):
        v = r.get(FEATURES)
        if not isinstance(v, list) or not v:
            raise Refused(
                f"{path}, record {n}: no `{FEATURES}` vector. Give the project vectors "
                "(`sift embed`, then `sift learn config --features embeddings:MODEL@VERSION`, "
                "or a numeric `features` field in the manifest)"
            )
        rows.append(v)
    d = len(rows[0]) if rows else 0
    bad = next((i for i, v in enumerate(rows, 1) if len(v) != d), None)
    if bad is not None:
        raise Refused(f"{path}, record {bad}: {len(rows[bad - 1])} numbers, the first record has {d}")
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), d)


def labels_of(records, path):
    """Per record, the list of class names it was given."""
    out = []
    for n, r in enumerate(records, 1):
        label = r.get("label")
        if isinstance(label, str):
            out.append([label])
        elif isinstance(label, list) and all(isinstance(c, str) for c in label):
            out.append(list(label))
        else:
            raise Refused(f"{path}, record {n}: `label` is neither a class name nor a list of them")
    return out


def fit(x, labels, multi_label, c, max_iter):
    """The fitted scaler and (classes, W [d, k], b [k]) with the model's logits = z @ W + b."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    classes = sorted({c for ls in labels for c in ls})
    if multi_label:
        weights, biases = [], []
        for cls in classes:
            y = np.array([cls in ls for ls in labels], dtype=int)
            if y.min() == y.max():
                raise Refused(
                    f"class {cls!r} is chosen on {'every' if y[0] else 'no'} training record: "
                    "one-vs-rest needs records with and without it"
                )
            m = LogisticRegression(C=c, max_iter=max_iter).fit(z, y)
            weights.append(m.coef_[0])
            biases.append(m.intercept_[0])
        return scaler, classes, np.array(weights).T, np.array(biases)
    if len(classes) < 2:
        raise Refused(f"every training record has the class {classes[0]!r}: at least two classes are needed")
    y = np.array([ls[0] for ls in labels])
    m = LogisticRegression(C=c, max_iter=max_iter).fit(z, y)
    assert list(m.classes_) == classes
    if len(classes) == 2:
        # Binary: P(classes[1]) = sigmoid(z . w + b), which is softmax over the logits [0, z . w + b].
        w = np.stack([np.zeros_like(m.coef_[0]), m.coef_[0]], axis=1)
        b = np.array([0.0, m.intercept_[0]])
        return scaler, classes, w, b
    return scaler, classes, m.coef_.T, m.intercept_


def probabilities(scaler, w, b, x, multi_label):
    logits = scaler.transform(x) @ w + b
    if multi_label:
        return 1.0 / (1.0 + np.exp(-logits))
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


def onnx_model(scaler, w, b, multi_label):
    from onnx import TensorProto, helper, numpy_helper

    d, k = w.shape
    scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
    init = [
        numpy_helper.from_array(scaler.mean_.astype(np.float32), "mean"),
        numpy_helper.from_array(scale.astype(np.float32), "scale"),
        numpy_helper.from_array(w.astype(np.float32), "weights"),
        numpy_helper.from_array(b.astype(np.float32), "bias"),
    ]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["standardised"]),
        helper.make_node("MatMul", ["standardised", "weights"], ["product"]),
        helper.make_node("Add", ["product", "bias"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["probabilities"])
        if multi_label
        else helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes,
        "sklearn_head",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", d])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", k])],
        init,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="sift-sklearn-head")
    model.ir_version = IR_VERSION
    import onnx

    onnx.checker.check_model(model)
    return model


def check_parity(path, x, want):
    import onnxruntime as ort

    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = session.run(["probabilities"], {"features": x.astype(np.float32)})[0]
    worst = float(np.max(np.abs(got - want))) if len(x) else 0.0
    if worst > PARITY:
        raise Refused(f"{path} differs from scikit-learn by {worst:.2e} (more than {PARITY})")
    return worst


def metrics(classes, labels, p, multi_label):
    """Validation metrics as Sift records them (`sift learn status`)."""
    n = len(labels)
    index = {c: i for i, c in enumerate(classes)}
    if multi_label:
        truth = np.array([[c in ls for c in classes] for ls in labels], dtype=bool)
        pred = p >= 0.5
        return {"accuracy": float(np.mean(np.all(truth == pred, axis=1)))}
    truth = [ls[0] for ls in labels]
    top = p.argmax(axis=1)
    predicted = [classes[i] for i in top]
    accuracy = float(np.mean([a == b for a, b in zip(predicted, truth)]))
    f1s = []
    for c in sorted(set(classes) | set(truth)):
        tp = sum(1 for a, b in zip(predicted, truth) if a == c and b == c)
        fp = sum(1 for a, b in zip(predicted, truth) if a == c and b != c)
        fn = sum(1 for a, b in zip(predicted, truth) if a != c and b == c)
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    # A validation class the model never saw has probability 0, clipped as scikit-learn does.
    eps = np.finfo(np.float64).eps
    chosen = np.array([p[i, index[t]] if t in index else 0.0 for i, t in enumerate(truth)])
    log_loss = float(-np.mean(np.log(np.clip(chosen, eps, 1.0))))
    # Equal-width bins over (0, 1] of the top probability (sift_learn::expected_calibration_error).
    conf = p.max(axis=1)
    bins = np.minimum(np.maximum(np.ceil(conf * ECE_BINS).astype(int) - 1, 0), ECE_BINS - 1)
    correct = np.array([a == b for a, b in zip(predicted, truth)], dtype=float)
    ece = 0.0
    for b in range(ECE_BINS):
        sel = bins == b
        if sel.any():
            ece += sel.sum() / n * abs(correct[sel].mean() - conf[sel].mean())
    return {"accuracy": accuracy, "macro_f1": float(np.mean(f1s)), "log_loss": log_loss, "ece": float(ece)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("train")
    ap.add_argument("val")
    ap.add_argument("out")
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength (scikit-learn's C)")
    ap.add_argument("--max-iter", type=int, default=1000)
    a = ap.parse_args()

    train, val = read_records(a.train), read_records(a.val)
    if not train:
        raise Refused(f"{a.train} holds no records")
    x, labels = matrix(train, a.train), labels_of(train, a.train)
    multi_label = any(isinstance(r.get("label"), list) for r in train)
    scaler, classes, w, b = fit(x, labels, multi_label, a.c, a.max_iter)

    os.makedirs(a.out, exist_ok=True)
    model_path = os.path.join(a.out, "model.onnx")
    with open(model_path, "wb") as f:
        f.write(onnx_model(scaler, w, b, multi_label).SerializeToString())
    xv = matrix(val, a.val) if val else np.zeros((0, x.shape[1]))
    both = np.vstack([x, xv])
    worst = check_parity(model_path, both, probabilities(scaler, w, b, both, multi_label))
    what = "one-vs-rest, sigmoid" if multi_label else "multinomial, softmax"
    with open(os.path.join(a.out, "model.toml"), "w", encoding="utf-8") as f:
        f.write(MODEL_TOML.format(what=what, n=len(train), d=x.shape[1]))
    with open(os.path.join(a.out, "classes.json"), "w", encoding="utf-8") as f:
        json.dump(classes, f)
    m = metrics(classes, labels_of(val, a.val), probabilities(scaler, w, b, xv, multi_label), multi_label) if val else {}
    with open(os.path.join(a.out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump(m, f)
    print(
        f"sklearn_head: {len(train)} training and {len(val)} validation records, {x.shape[1]} numbers each, "
        f"{len(classes)} classes ({what}); ONNX parity {worst:.1e}; validation {json.dumps(m)}"
    )


if __name__ == "__main__":
    try:
        main()
    except Refused as e:
        print(f"sklearn_head: {e}", file=sys.stderr)
        sys.exit(2)
