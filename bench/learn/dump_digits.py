"""Writes scikit-learn's digits data set as crates/sift-learn/tests/fixtures/digits.txt.

The file is what the simulation tests and bench/learn read, so they run without Python.
One item per line: the class (0-9), a space, then the 64 pixel values (8 x 8, row by row,
each 0..16) as one base-17 digit each (0-9, then a-g).

Source: scikit-learn's bundled copy of the UCI "Optical Recognition of Handwritten Digits"
test set (1,797 images; E. Alpaydin and C. Kaynak, 1998; CC BY 4.0).

Usage: PYTHON bench/learn/dump_digits.py [OUT]
"""

import pathlib
import sys

from sklearn.datasets import load_digits

ALPHABET = "0123456789abcdefg"
root = pathlib.Path(__file__).resolve().parents[2]
out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "crates/sift-learn/tests/fixtures/digits.txt"
x, y = load_digits(return_X_y=True)
assert x.shape == (1797, 64) and x.min() >= 0 and x.max() <= 16 and (x == x.astype(int)).all()
lines = [f"{label} " + "".join(ALPHABET[int(v)] for v in row) for row, label in zip(x, y)]
out.write_text("\n".join(lines) + "\n")
print(f"wrote {out}: {len(lines)} items")
