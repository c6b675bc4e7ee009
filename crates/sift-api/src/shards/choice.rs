//! Which shard an item belongs to, and which shard this worker is: `I/N` from `--shard` or from
//! the array job's environment (Kubernetes Indexed Jobs, Slurm job arrays, AWS Batch array
//! jobs).
//!
//! An item's shard is its content hash's first eight bytes, read as a little-endian `u64`,
//! modulo `N`. It depends on the item alone, so adding items to the pool never moves an item
//! already there to another shard (changing `N` does: a new `N` is a new set of shards, with
//! keys of its own).

use crate::{Error, Result};

/// The most shards a pool is split into (keys and listings stay small below it).
pub const MAX_SHARDS: u32 = 100_000;

/// One worker's part of the pool: shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Shard {
    /// This worker's shard, `0..count`.
    pub index: u32,
    /// How many shards the pool is split into.
    pub count: u32,
}

impl Shard {
    /// Shard `index` of `count`, checked.
    pub fn new(index: u32, count: u32, source: &str) -> Result<Self> {
        if count == 0 || count > MAX_SHARDS {
            return Err(Error::BadRequest(format!(
                "{source}: {count} shards; use 1 to {MAX_SHARDS}"
            )));
        }
        if index >= count {
            return Err(Error::BadRequest(format!(
                "{source}: shard {index} of {count} does not exist; shards count from 0 to {}",
                count - 1
            )));
        }
        Ok(Self { index, count })
    }

    /// `I/N` as typed after `--shard`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::BadRequest(format!(
                "--shard {text:?}: write I/N, e.g. 0/4 (shards count from 0)"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let i = i.trim().parse().map_err(|_| bad())?;
        let n = n.trim().parse().map_err(|_| bad())?;
        Self::new(i, n, "--shard")
    }

    /// The shard an array job's environment names, read through `var`: `JOB_COMPLETION_INDEX`
    /// (Kubernetes), `SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT` (Slurm; minus
    /// `SLURM_ARRAY_TASK_MIN` when set), `AWS_BATCH_JOB_ARRAY_INDEX` (AWS Batch). The count
    /// comes from `count` (`--shards`) when given, else from `SIFT_SHARD_COUNT`, else (Slurm)
    /// from `SLURM_ARRAY_TASK_COUNT`. `None` when no index variable is set.
    pub fn from_env(count: Option<u32>, var: &dyn Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let number = |name: &str| -> Result<Option<u32>> {
            match var(name) {
                None => Ok(None),
                Some(v) => v.trim().parse::<u32>().map(Some).map_err(|_| {
                    Error::BadRequest(format!(
                        "{name}={v:?}: not a shard number (a whole number from 0)"
                    ))
                }),
            }
        };
        let count_from = |fallback: Option<(&str, u32)>| -> Result<(u32, String)> {
            if let Some(n) = count {
                return Ok((n, "--shards".to_owned()));
            }
            if let Some(n) = number("SIFT_SHARD_COUNT")? {
                return Ok((n, "SIFT_SHARD_COUNT".to_owned()));
            }
            fallback.map(|(name, n)| (n, name.to_owned())).ok_or_else(|| {
                Error::BadRequest(
                    "the shard index comes from the job's environment, but not how many shards there are: \
                     pass --shards N or set SIFT_SHARD_COUNT"
                        .into(),
                )
            })
        };
        for name in ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"] {
            if let Some(index) = number(name)? {
                let (n, from) = count_from(None)?;
                return Self::new(index, n, &format!("{name} with {from}")).map(Some);
            }
        }
        if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
            let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = id.checked_sub(min).ok_or_else(|| {
                Error::BadRequest(format!(
                    "SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"
                ))
            })?;
            let slurm = number("SLURM_ARRAY_TASK_COUNT")?;
            let (n, from) = count_from(slurm.map(|n| ("SLURM_ARRAY_TASK_COUNT", n)))?;
            return Self::new(index, n, &format!("SLURM_ARRAY_TASK_ID with {from}")).map(Some);
        }
        Ok(None)
    }

    /// Whether the item with content hash `hash` is in this shard.
    pub fn owns(&self, hash: &[u8; 16]) -> bool {
        shard_of(hash, self.count) == self.index
    }

    /// `<I>-of-<N>`, the key segment of this shard's results.
    pub fn key_segment(&self) -> String {
        format!("{}-of-{}", self.index, self.count)
    }

    /// `I/N`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.index, self.count)
    }
}

/// The shard (of `count`) of the item with content hash `hash`.
pub fn shard_of(hash: &[u8; 16], count: u32) -> u32 {
    let mut first = [0_u8; 8];
    first.copy_from_slice(&hash[..8]);
    (u64::from_le_bytes(first) % u64::from(count.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn parses_i_of_n_and_refuses_bad_ones() {
        assert_eq!(Shard::parse("2/4").unwrap(), Shard { index: 2, count: 4 });
        for bad in ["4/4", "1", "a/4", "0/0", "-1/3", "1/100001"] {
            let e = Shard::parse(bad).unwrap_err().to_string();
            assert!(e.contains("--shard") || e.contains("shards"), "{bad}: {e}");
        }
    }

    #[test]
    fn reads_each_scheduler_and_names_the_variable_on_bad_values() {
        let k = env(&[("JOB_COMPLETION_INDEX", "3")]);
        assert_eq!(
            Shard::from_env(Some(8), &k).unwrap(),
            Some(Shard { index: 3, count: 8 })
        );
        let e = Shard::from_env(None, &k).unwrap_err().to_string();
        assert!(e.contains("SIFT_SHARD_COUNT"), "{e}");
        let k = env(&[("JOB_COMPLETION_INDEX", "9"), ("SIFT_SHARD_COUNT", "4")]);
        let e = Shard::from_env(None, &k).unwrap_err().to_string();
        assert!(
            e.contains("JOB_COMPLETION_INDEX") && e.contains("SIFT_SHARD_COUNT"),
            "{e}"
        );
        let s = env(&[
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "10"),
        ]);
        assert_eq!(
            Shard::from_env(None, &s).unwrap(),
            Some(Shard { index: 4, count: 10 })
        );
        let s = env(&[("SLURM_ARRAY_TASK_ID", "x")]);
        assert!(
            Shard::from_env(None, &s)
                .unwrap_err()
                .to_string()
                .contains("SLURM_ARRAY_TASK_ID=\"x\"")
        );
        let a = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "0"), ("SIFT_SHARD_COUNT", "2")]);
        assert_eq!(
            Shard::from_env(None, &a).unwrap(),
            Some(Shard { index: 0, count: 2 })
        );
        assert_eq!(Shard::from_env(Some(2), &env(&[])).unwrap(), None);
    }

    /// Property: for random pools and random additions, every item already in the pool keeps
    /// its shard, and every item lands in exactly one of the N shards.
    #[test]
    fn adding_items_never_moves_an_existing_item() {
        let mut rng = sift_al::SplitMix64::new(0x5eed);
        let mut hash = || {
            let mut h = [0_u8; 16];
            for chunk in h.chunks_mut(8) {
                chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
            }
            h
        };
        for round in 0..200 {
            let count = 1 + (round % 37) as u32;
            let pool: Vec<[u8; 16]> = (0..50 + round).map(|_| hash()).collect();
            let before: Vec<u32> = pool.iter().map(|h| shard_of(h, count)).collect();
            let mut grown = pool.clone();
            grown.extend((0..round + 1).map(|_| hash()));
            let turn = round % grown.len();
            grown.rotate_left(turn);
            let after: HashMap<[u8; 16], u32> = grown.iter().map(|h| (*h, shard_of(h, count))).collect();
            for (h, s) in pool.iter().zip(&before) {
                assert_eq!(after[h], *s, "round {round}: an added item moved an existing one");
                let owners = (0..count).filter(|&i| Shard { index: i, count }.owns(h)).count();
                assert_eq!(owners, 1);
            }
        }
    }
}
