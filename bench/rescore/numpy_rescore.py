"""The baseline of bench/rescore/run.sh: what `sift learn` does after training, in Python with
numpy and sqlite3, on one thread, on the same project file and the same head:

  1. read: every stored vector of the encoder version (`item_embeddings`, little-endian f32
     blobs) into a matrix;
  2. predict: the head's standardisation and coefficients (its `head.json`) folded into one
     matrix product, softmax, argmax, and the four uncertainty scores (least confidence, margin, ratio,
     entropy, as sift-al defines them);
  3. save: into a fresh SQLite file with the project's settings (WAL, synchronous=FULL) and
     tables: every item's prediction (`predictions`), every unlabeled item's four scores
     (`item_scores`) and the new queue order (`queue_order`), in one transaction.

It also reads the predictions `sift learn` stored for that head version and reports how far
they are from numpy's. Prints one JSON object: the best time of each step over the repeats.

Usage: numpy_rescore.py PROJECT_DIR ENCODER_VERSION_ID HEAD_VERSION_ID HEAD_JSON OUT_DB [--repeats N]
"""

import json
import os
import sqlite3
import sys
import time

import numpy as np

project, encoder_id, head_id, head_json, out_db = sys.argv[1:6]
repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 3
assert os.environ.get("OMP_NUM_THREADS") == "1", "run through bench/rescore/run.sh (one thread)"
db = os.path.join(project, "project.sift")
head = json.load(open(head_json))
mean = np.asarray(head["scaler"]["mean"])
scale = np.asarray(head["scaler"]["scale"])
d = len(mean)
coef = np.asarray(head["coef"]).reshape(-1, d)
intercept = np.asarray(head["intercept"])
assert head["kind"] == "single-label", head["kind"]


def read():
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute(
        "SELECT item_id, vector FROM item_embeddings WHERE model_version_id = ? ORDER BY item_id", (encoder_id,)
    ).fetchall()
    labeled = {r[0] for r in con.execute("SELECT DISTINCT item_id FROM annotations")}
    con.close()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    x = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), d)
    return ids, x, labeled


# The scaler folded into the weights, the product in float32 (as an expert would write it: no
# 100,000 x 384 float64 temporaries), the softmax in float64.
w32 = (coef / scale).T.astype(np.float32)
b64 = intercept - (coef / scale) @ mean


def predict(x):
    z = (x @ w32).astype(np.float64) + b64
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    p = p.astype(np.float32)
    top = p.argmax(axis=1)
    s = -np.sort(-p, axis=1)
    k = p.shape[1]
    least = (1 - s[:, 0]) * k / (k - 1)
    margin = 1 - (s[:, 0] - s[:, 1])
    ratio = s[:, 1] / s[:, 0]
    entropy = -(p * np.log(np.clip(p, 1e-30, None))).sum(axis=1) / np.log(k)
    return p, top, {"least-confidence": least, "margin": margin, "ratio": ratio, "entropy": entropy}


def save(ids, p, top, scores, labeled):
    if os.path.exists(out_db):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(out_db + suffix):
                os.remove(out_db + suffix)
    con = sqlite3.connect(out_db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.executescript(
        """
        CREATE TABLE predictions (model_version_id INTEGER NOT NULL, item_id INTEGER NOT NULL,
            top INTEGER NOT NULL, vals BLOB NOT NULL, PRIMARY KEY (model_version_id, item_id)) WITHOUT ROWID;
        CREATE TABLE item_scores (model_version_id INTEGER NOT NULL, item_id INTEGER NOT NULL,
            strategy TEXT NOT NULL, score REAL, error TEXT, run_id INTEGER NOT NULL,
            PRIMARY KEY (model_version_id, item_id, strategy)) WITHOUT ROWID;
        CREATE INDEX item_scores_by_model ON item_scores(model_version_id, strategy, item_id);
        CREATE TABLE queue_order (item_id INTEGER PRIMARY KEY, position INTEGER NOT NULL UNIQUE,
            score REAL NOT NULL, order_id INTEGER NOT NULL);
        """
    )
    version = int(head_id)
    unlabeled = np.array([i not in labeled for i in ids.tolist()])
    with con:
        con.executemany(
            "INSERT INTO predictions VALUES (?, ?, ?, ?)",
            zip([version] * len(ids), ids.tolist(), top.tolist(), (row.tobytes() for row in p)),
        )
        for name, s in scores.items():
            con.executemany(
                "INSERT INTO item_scores VALUES (?, ?, ?, ?, NULL, 1)",
                zip([version] * int(unlabeled.sum()), ids[unlabeled].tolist(), [name] * int(unlabeled.sum()),
                    s[unlabeled].astype(float).tolist()),
            )
        m = scores["margin"][unlabeled].astype(float)
        u = ids[unlabeled]
        order = np.lexsort((u, -m))
        con.executemany(
            "INSERT INTO queue_order VALUES (?, ?, ?, 1)",
            zip(u[order].tolist(), range(len(order)), m[order].tolist()),
        )
    con.close()


best = {"read": float("inf"), "predict": float("inf"), "save": float("inf"), "total": float("inf")}
for _ in range(repeats):
    t0 = time.perf_counter()
    ids, x, labeled = read()
    t1 = time.perf_counter()
    p, top, scores = predict(x)
    t2 = time.perf_counter()
    save(ids, p, top, scores, labeled)
    t3 = time.perf_counter()
    for key, v in (("read", t1 - t0), ("predict", t2 - t1), ("save", t3 - t2), ("total", t3 - t0)):
        best[key] = min(best[key], v)

con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
stored = con.execute(
    "SELECT item_id, vals FROM predictions WHERE model_version_id = ? ORDER BY item_id", (head_id,)
).fetchall()
con.close()
sift_p = np.frombuffer(b"".join(r[1] for r in stored), dtype="<f4").reshape(len(stored), -1)
assert [r[0] for r in stored] == ids.tolist(), "sift and numpy predicted different items"
best.update(
    rows=int(len(ids)),
    dim=int(d),
    classes=int(p.shape[1]),
    max_abs_probability_difference=float(np.abs(sift_p - p).max()),
    same_top=float((sift_p.argmax(axis=1) == top).mean()),
)
print(json.dumps(best))
