#!/usr/bin/env python3
"""Writes N distinct short texts (JSON Lines, field `source`) for the embedding benchmark: each
joins one to four sentences of demo/classification.jsonl (seeded), so lengths run from a
dozen to about a hundred tokens, like support tickets or reviews.

Usage: make_texts.py OUT.jsonl [--n 2000] [--seed 15]
"""

import argparse
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args()
    sentences = [json.loads(l)["source"] for l in open(ROOT / "demo/classification.jsonl", encoding="utf-8")]
    rng = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for i in range(args.n):
            text = " ".join(rng.sample(sentences, rng.randint(1, 4)))
            f.write(json.dumps({"source": f"#{i + 1} {text}"}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
