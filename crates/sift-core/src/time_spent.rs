//! Time spent on work: the bound on what one save may add, and saturating totals.
//!
//! Each save carries the active time spent since the previous save. A single save adds at
//! most [`MAX_TIME_SPENT_MS`] (24 hours) and never a negative amount; totals add with
//! saturation, so no input can overflow a sum or make a total unreadable.

/// The most time one save may add, in milliseconds: 24 hours.
pub const MAX_TIME_SPENT_MS: i64 = 24 * 60 * 60 * 1000;

/// A save's time outside `0..=MAX_TIME_SPENT_MS`; the field is the refused value in
/// milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("time_spent_ms must be between 0 and {MAX_TIME_SPENT_MS} (24 hours) for one save; got {0}")]
pub struct TimeSpentError(pub i64);

/// Checks the time one save adds, in milliseconds: returns it unchanged when it lies in
/// `0..=MAX_TIME_SPENT_MS`, otherwise a [`TimeSpentError`] naming the value.
pub fn check_time_spent_ms(ms: i64) -> Result<i64, TimeSpentError> {
    if (0..=MAX_TIME_SPENT_MS).contains(&ms) {
        Ok(ms)
    } else {
        Err(TimeSpentError(ms))
    }
}

/// A save's time as stored history is read back: values written before the bound existed
/// are clamped into `0..=MAX_TIME_SPENT_MS` (the stored row itself never changes).
pub fn clamp_time_spent_ms(ms: i64) -> i64 {
    ms.clamp(0, MAX_TIME_SPENT_MS)
}

/// Adds a save's time to a total, saturating at `i64::MAX` (and never below zero).
pub fn add_time_spent_ms(total: i64, ms: i64) -> i64 {
    total.max(0).saturating_add(ms.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_save_is_bounded_to_a_day() {
        assert_eq!(check_time_spent_ms(0), Ok(0));
        assert_eq!(check_time_spent_ms(MAX_TIME_SPENT_MS), Ok(MAX_TIME_SPENT_MS));
        for bad in [-1, MAX_TIME_SPENT_MS + 1, i64::MAX, i64::MIN] {
            let e = check_time_spent_ms(bad).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("time_spent_ms must be between 0 and 86400000"),
                "{e}"
            );
            assert!(e.to_string().ends_with(&bad.to_string()), "{e}");
        }
    }

    #[test]
    fn totals_saturate_and_reads_clamp() {
        assert_eq!(add_time_spent_ms(i64::MAX - 5, 1000), i64::MAX);
        assert_eq!(add_time_spent_ms(-3, 10), 10);
        assert_eq!(add_time_spent_ms(10, -3), 10);
        assert_eq!(clamp_time_spent_ms(i64::MAX), MAX_TIME_SPENT_MS);
        assert_eq!(clamp_time_spent_ms(-40), 0);
        assert_eq!(clamp_time_spent_ms(1500), 1500);
    }
}
