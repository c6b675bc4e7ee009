//! The project settings of the learning loop (`sift learn config`): which vectors heads learn
//! from, the queue strategy, the gold field, the background round size, the training
//! command, and whether annotators see the model's suggestions. Each value is checked when it is set, so a round never meets a bad one.

use sift_al::Strategy;

use super::command::{SETTING_COMMAND, SETTING_TIMEOUT};
use super::features::SETTING_FEATURES;
use super::runner::SETTING_EVERY;
use super::suggestions::{SETTING_SUGGESTIONS, parse_switch};
use super::{SETTING_GOLD_FIELD, SETTING_STRATEGY};
use crate::{Error, Project, Result};

/// Every setting of the loop, in the order `sift learn config` lists them.
pub const LEARN_SETTINGS: [&str; 7] = [
    SETTING_FEATURES,
    SETTING_STRATEGY,
    SETTING_GOLD_FIELD,
    SETTING_EVERY,
    SETTING_COMMAND,
    SETTING_TIMEOUT,
    SETTING_SUGGESTIONS,
];

impl Project {
    /// The loop's settings with their values (`None`: not set, the default applies).
    pub fn learn_settings(&self) -> Result<Vec<(String, Option<String>)>> {
        LEARN_SETTINGS
            .iter()
            .map(|k| Ok(((*k).to_owned(), self.store.setting(k)?)))
            .collect()
    }

    /// Sets one of [`LEARN_SETTINGS`] after checking its value; `None` (or an empty value)
    /// removes it.
    pub fn set_learn_setting(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        if !LEARN_SETTINGS.contains(&key) {
            return Err(Error::BadRequest(format!(
                "{key:?} is not a setting of the learning loop (one of {})",
                LEARN_SETTINGS.join(", ")
            )));
        }
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            self.store.remove_setting(key)?;
            return Ok(());
        };
        let positive = |what: &str| {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|_| ())
                .ok_or_else(|| {
                    Error::BadRequest(format!(
                        "{key} = {value:?}: {what} must be a whole number above 0"
                    ))
                })
        };
        match key {
            SETTING_FEATURES => {
                self.feature_source(Some(value))?;
            }
            SETTING_STRATEGY => {
                value
                    .parse::<Strategy>()
                    .map_err(|e| Error::BadRequest(format!("{key} = {value:?}: {e}")))?;
            }
            SETTING_EVERY => positive("the number of labels between rounds")?,
            SETTING_TIMEOUT => positive("the time limit in seconds")?,
            SETTING_SUGGESTIONS => {
                parse_switch(value)?;
            }
            _ => {}
        }
        self.store.set_setting(key, value)?;
        Ok(())
    }
}
