"""Writes the embedding-like data of bench/learn: train_x.npy (10,000 x 384 float32),
train_y.npy (int64, ten classes) and pool_x.npy (100,000 x 384 float32).

Rows imitate sentence-encoder outputs: a class centre plus isotropic noise in a latent space,
mixed by a random rotation after scaling the latent axes by 1 / (1 + i / 10) (an anisotropic
spectrum, as real embeddings have: standardising the columns does not undo it), then scaled
to unit length. The classes overlap: a linear head fits about 84% of the training rows, and
scikit-learn's lbfgs needs about 120 iterations, as on real embeddings; well-separated
synthetic blobs would converge in ten and flatter every solver.

Usage: PYTHON bench/learn/make_data.py OUT_DIR
"""

import pathlib
import sys

import numpy as np

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20250101)
d, k = 384, 10
centres = rng.normal(size=(k, d)) * 0.12
rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
spectrum = 1.0 / (1.0 + np.arange(d) / 10.0)


def rows(n):
    y = rng.integers(0, k, n)
    z = centres[y] + rng.normal(size=(n, d))
    x = (z * spectrum) @ rotation
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), y.astype(np.int64)


x, y = rows(10_000)
np.save(out / "train_x.npy", x)
np.save(out / "train_y.npy", y)
pool, _ = rows(100_000)
np.save(out / "pool_x.npy", pool)
print(f"wrote {out}/train_x.npy {x.shape}, train_y.npy, pool_x.npy {pool.shape}")
