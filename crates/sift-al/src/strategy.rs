//! The four uncertainty-sampling strategies and their stable names.

use std::fmt;
use std::str::FromStr;

/// An uncertainty-sampling strategy.
///
/// Each maps a row of class probabilities to a score in `[0, 1]`, `1` being the most uncertain.
/// With `p1 >= p2` the two largest probabilities and `n` the number of classes:
///
/// * [`LeastConfidence`](Strategy::LeastConfidence): `(1 - p1) * n / (n - 1)`;
/// * [`Margin`](Strategy::Margin): `1 - (p1 - p2)`;
/// * [`Ratio`](Strategy::Ratio): `p2 / p1` (a confident row scores near `0`);
/// * [`Entropy`](Strategy::Entropy): `-sum(p * log2 p) / log2 n`, with `0 * log 0 = 0`.
///
/// The stable names (used by [`Display`](fmt::Display) and [`FromStr`]) are
/// `least-confidence`, `margin`, `ratio` and `entropy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Strategy {
    /// `(1 - p1) * n / (n - 1)`: how far the top class is from certainty.
    LeastConfidence,
    /// `1 - (p1 - p2)`: how close the two best classes are.
    Margin,
    /// `p2 / p1`: the ratio of the two best classes; from logits, `exp(-(z1 - z2))`.
    Ratio,
    /// `-sum(p * log2 p) / log2 n`: the normalised Shannon entropy of the whole row.
    Entropy,
}

impl Strategy {
    /// All strategies, in declaration order.
    pub const ALL: [Strategy; 4] = [
        Strategy::LeastConfidence,
        Strategy::Margin,
        Strategy::Ratio,
        Strategy::Entropy,
    ];

    /// The stable kebab-case name of the strategy, e.g. `least-confidence`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Strategy::LeastConfidence => "least-confidence",
            Strategy::Margin => "margin",
            Strategy::Ratio => "ratio",
            Strategy::Entropy => "entropy",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The error returned when parsing a [`Strategy`] from an unknown name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown uncertainty strategy `{name}` (expected least-confidence, margin, ratio or entropy)")]
pub struct ParseStrategyError {
    /// The name that was not recognised.
    pub name: String,
}

impl FromStr for Strategy {
    type Err = ParseStrategyError;

    /// Parses the stable name of a strategy. Exact names only (`least-confidence`, `margin`,
    /// `ratio`, `entropy`), ASCII case-insensitive and ignoring surrounding whitespace.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        Strategy::ALL
            .into_iter()
            .find(|strategy| strategy.name().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| ParseStrategyError { name: s.to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for strategy in Strategy::ALL {
            assert_eq!(strategy.to_string().parse::<Strategy>(), Ok(strategy));
        }
        assert_eq!(
            " Least-Confidence ".parse::<Strategy>(),
            Ok(Strategy::LeastConfidence)
        );
        assert_eq!(
            "least_confidence".parse::<Strategy>().map_err(|e| e.name),
            Err("least_confidence".into())
        );
        assert!("".parse::<Strategy>().is_err());
    }
}
