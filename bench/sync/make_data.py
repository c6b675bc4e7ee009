#!/usr/bin/env python3
"""Files for the S3 sync benchmark: random bytes (nothing compresses or deduplicates), each
small file distinct, written once and reused while the marker file says they are complete.

    make_data.py DIR --small 10000 --small-size 10240 --large 20 --large-size 52428800

Writes DIR/small/s00000.jpg..., DIR/large/l00.jpg..., and DIR/small.jsonl / DIR/large.jsonl,
Ground Truth manifests whose `source-ref` is each file's absolute path.
"""

import argparse
import json
import os
import sys


def write_set(root, name, prefix, count, size, digits):
    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(count):
        path = os.path.join(folder, f"{prefix}{i:0{digits}d}.jpg")
        if not (os.path.isfile(path) and os.path.getsize(path) == size):
            with open(path, "wb") as f:
                left = size
                while left:
                    chunk = min(left, 8 << 20)
                    f.write(os.urandom(chunk))
                    left -= chunk
        paths.append(path)
    # Nothing else in the folder: `aws s3 sync` uploads the folder as it is.
    keep = {os.path.basename(p) for p in paths}
    for extra in os.listdir(folder):
        if extra not in keep:
            os.remove(os.path.join(folder, extra))
    with open(os.path.join(root, f"{name}.jsonl"), "w") as f:
        for p in paths:
            f.write(json.dumps({"source-ref": p}) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--small", type=int, default=10000)
    ap.add_argument("--small-size", type=int, default=10 << 10)
    ap.add_argument("--large", type=int, default=20)
    ap.add_argument("--large-size", type=int, default=50 << 20)
    a = ap.parse_args()
    root = os.path.abspath(a.dir)
    marker = os.path.join(root, ".complete")
    spec = f"{a.small}x{a.small_size} {a.large}x{a.large_size}\n"
    if os.path.isfile(marker) and open(marker).read() == spec:
        return
    os.makedirs(root, exist_ok=True)
    if os.path.exists(marker):
        os.remove(marker)
    print(f"  writing {a.small} x {a.small_size} B and {a.large} x {a.large_size} B of random bytes to {root}",
          file=sys.stderr)
    write_set(root, "small", "s", a.small, a.small_size, 5)
    write_set(root, "large", "l", a.large, a.large_size, 2)
    with open(marker, "w") as f:
        f.write(spec)


if __name__ == "__main__":
    main()
