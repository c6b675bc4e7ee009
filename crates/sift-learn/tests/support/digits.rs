//! Reads `tests/fixtures/digits.txt` (scikit-learn's digits, written by
//! `bench/learn/dump_digits.py`): 1,797 items of 64 pixel values 0..16, classes 0..9. The
//! data is the UCI "Optical Recognition of Handwritten Digits" test set (E. Alpaydin and
//! C. Kaynak, 1998; CC BY 4.0), as bundled with scikit-learn.

/// The fixture's text, compiled in.
pub const DIGITS: &str = include_str!("../fixtures/digits.txt");

/// Features (`1797 x 64`, row-major) and classes.
pub fn digits() -> (Vec<f32>, Vec<u32>) {
    let mut x = Vec::with_capacity(1797 * 64);
    let mut y = Vec::with_capacity(1797);
    for (i, line) in DIGITS.lines().enumerate() {
        let (label, pixels) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("digits.txt line {}: no space", i + 1));
        y.push(
            label
                .parse()
                .unwrap_or_else(|_| panic!("digits.txt line {}: bad class", i + 1)),
        );
        assert_eq!(pixels.len(), 64, "digits.txt line {}: expected 64 pixels", i + 1);
        x.extend(
            pixels
                .chars()
                .map(|c| c.to_digit(17).expect("a base-17 digit") as f32),
        );
    }
    assert_eq!(y.len(), 1797);
    (x, y)
}
