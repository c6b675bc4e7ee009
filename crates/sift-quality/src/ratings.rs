//! The reliability matrix: units (items, or parts of items) by coders (annotators), any cell
//! possibly missing. Every multi-coder measure of the crate reads one.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::Serialize;

use crate::error::{QualityError, Result};

/// A `units x coders` matrix of ratings; `None` is a missing rating (the coder did not rate
/// that unit). Stored row-major: one row per unit.
///
/// A unit is whatever is rated once per coder: an item's class, one response's rank on one
/// dimension, the question type of a matched Q&A pair. A batch or a project is the matrix of
/// its units; per-batch figures come from [`Ratings::select_units`], leave-one-out consensus
/// from [`Ratings::without_coder`]. (Serializable for reports; not deserializable, so that
/// every matrix comes through a constructor that checks its shape.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ratings<V> {
    units: usize,
    coders: usize,
    cells: Vec<Option<V>>,
}

/// A [`Ratings`] matrix built from `(unit, coder, value)` records, with the identifiers of its
/// rows and columns (in order of first appearance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Labelled<U, C, V> {
    /// The matrix.
    pub ratings: Ratings<V>,
    /// `units[i]` is the identifier of row `i`.
    pub units: Vec<U>,
    /// `coders[j]` is the identifier of column `j`.
    pub coders: Vec<C>,
}

impl<V> Ratings<V> {
    /// An empty matrix: every rating missing.
    pub fn new(units: usize, coders: usize) -> Self {
        Ratings {
            units,
            coders,
            cells: std::iter::repeat_with(|| None).take(units * coders).collect(),
        }
    }

    /// A matrix from its rows (one per unit, one cell per coder). Every row must have as many
    /// cells as the first; an empty list gives a `0 x 0` matrix.
    pub fn from_rows<R>(rows: impl IntoIterator<Item = R>) -> Result<Self>
    where
        R: IntoIterator<Item = Option<V>>,
    {
        let mut cells = Vec::new();
        let mut coders = None;
        let mut units = 0;
        for (row, cells_of_row) in rows.into_iter().enumerate() {
            let before = cells.len();
            cells.extend(cells_of_row);
            let found = cells.len() - before;
            match coders {
                None => coders = Some(found),
                Some(expected) if expected != found => {
                    return Err(QualityError::Ragged { row, found, expected });
                }
                Some(_) => {}
            }
            units += 1;
        }
        Ok(Ratings {
            units,
            coders: coders.unwrap_or(0),
            cells,
        })
    }

    /// A matrix from `(unit, coder, value)` records, for data that comes as rows of a table.
    /// Units and coders get indices in order of first appearance. A unit rated twice by the
    /// same coder is an error (pick the version to count before calling).
    pub fn from_records<U, C>(records: impl IntoIterator<Item = (U, C, V)>) -> Result<Labelled<U, C, V>>
    where
        U: Ord + Clone + Debug,
        C: Ord + Clone + Debug,
    {
        let mut units: Vec<U> = Vec::new();
        let mut coders: Vec<C> = Vec::new();
        let mut unit_index = BTreeMap::new();
        let mut coder_index = BTreeMap::new();
        let mut seen: BTreeMap<(usize, usize), V> = BTreeMap::new();
        for (unit, coder, value) in records {
            let u = *unit_index.entry(unit.clone()).or_insert_with(|| {
                units.push(unit.clone());
                units.len() - 1
            });
            let c = *coder_index.entry(coder.clone()).or_insert_with(|| {
                coders.push(coder.clone());
                coders.len() - 1
            });
            if seen.insert((u, c), value).is_some() {
                return Err(QualityError::DuplicateRating {
                    unit: format!("{unit:?}"),
                    coder: format!("{coder:?}"),
                });
            }
        }
        let mut ratings = Ratings::new(units.len(), coders.len());
        for ((u, c), value) in seen {
            ratings.cells[u * ratings.coders + c] = Some(value);
        }
        Ok(Labelled {
            ratings,
            units,
            coders,
        })
    }

    /// Number of units (rows).
    pub fn units(&self) -> usize {
        self.units
    }

    /// Number of coders (columns).
    pub fn coders(&self) -> usize {
        self.coders
    }

    fn check(&self, unit: usize, coder: usize) -> Result<usize> {
        if unit < self.units && coder < self.coders {
            Ok(unit * self.coders + coder)
        } else {
            Err(QualityError::OutOfRange {
                unit,
                coder,
                units: self.units,
                coders: self.coders,
            })
        }
    }

    /// Sets (or, with `None`, removes) one rating.
    pub fn set(&mut self, unit: usize, coder: usize, value: Option<V>) -> Result<()> {
        let index = self.check(unit, coder)?;
        self.cells[index] = value;
        Ok(())
    }

    /// One rating; `None` when missing or out of range.
    pub fn get(&self, unit: usize, coder: usize) -> Option<&V> {
        self.check(unit, coder).ok().and_then(|i| self.cells[i].as_ref())
    }

    /// The cells of one unit, one per coder; empty when `unit` is out of range.
    pub fn row(&self, unit: usize) -> &[Option<V>] {
        if unit < self.units {
            &self.cells[unit * self.coders..(unit + 1) * self.coders]
        } else {
            &[]
        }
    }

    /// The ratings present on one unit, in coder order.
    pub fn values(&self, unit: usize) -> impl Iterator<Item = &V> {
        self.row(unit).iter().flatten()
    }

    /// The units both coders rated, with their two ratings, in unit order.
    pub fn pairs(&self, a: usize, b: usize) -> impl Iterator<Item = (usize, &V, &V)> {
        (0..self.units).filter_map(move |u| Some((u, self.get(u, a)?, self.get(u, b)?)))
    }

    /// The same matrix with every value transformed (e.g. labels to class indices).
    pub fn map<W>(&self, mut f: impl FnMut(&V) -> W) -> Ratings<W> {
        Ratings {
            units: self.units,
            coders: self.coders,
            cells: self.cells.iter().map(|c| c.as_ref().map(&mut f)).collect(),
        }
    }

    /// The matrix with the values transformed by a fallible function; the first error stops.
    pub fn try_map<W, E>(
        &self,
        mut f: impl FnMut(usize, usize, &V) -> Result<W, E>,
    ) -> Result<Ratings<W>, E> {
        let mut cells = Vec::with_capacity(self.cells.len());
        for (index, cell) in self.cells.iter().enumerate() {
            cells.push(match cell {
                Some(v) => Some(f(index / self.coders.max(1), index % self.coders.max(1), v)?),
                None => None,
            });
        }
        Ok(Ratings {
            units: self.units,
            coders: self.coders,
            cells,
        })
    }
}

impl<V: Clone> Ratings<V> {
    /// The units for which `keep(unit)` holds (e.g. one batch's items), in order.
    pub fn select_units(&self, mut keep: impl FnMut(usize) -> bool) -> Ratings<V> {
        let kept: Vec<usize> = (0..self.units).filter(|&u| keep(u)).collect();
        Ratings {
            units: kept.len(),
            coders: self.coders,
            cells: kept.iter().flat_map(|&u| self.row(u).iter().cloned()).collect(),
        }
    }

    /// The matrix without one coder's ratings (same shape, that column missing): the input of
    /// a leave-one-out consensus, so an annotator is not compared with a vote that includes
    /// their own.
    pub fn without_coder(&self, coder: usize) -> Ratings<V> {
        let mut out = self.clone();
        for u in 0..self.units {
            if coder < self.coders {
                out.cells[u * self.coders + coder] = None;
            }
        }
        out
    }
}

/// Units that carry at least two ratings, with those ratings (the "pairable" values of
/// Krippendorff's alpha).
pub(crate) fn pairable_units<V>(ratings: &Ratings<V>) -> impl Iterator<Item = Vec<&V>> {
    (0..ratings.units())
        .map(|u| ratings.values(u).collect::<Vec<_>>())
        .filter(|values| values.len() >= 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_must_be_the_same_length() {
        let err = Ratings::from_rows(vec![vec![Some(1), None], vec![Some(2)]]).unwrap_err();
        assert_eq!(
            err,
            QualityError::Ragged {
                row: 1,
                found: 1,
                expected: 2
            }
        );
        let empty = Ratings::<u8>::from_rows(Vec::<Vec<Option<u8>>>::new()).unwrap();
        assert_eq!((empty.units(), empty.coders()), (0, 0));
    }

    #[test]
    fn records_are_indexed_in_order_of_appearance_and_duplicates_refused() {
        let built = Ratings::from_records([("i2", "bo", 'x'), ("i1", "al", 'y'), ("i2", "al", 'z')]).unwrap();
        assert_eq!(built.units, ["i2", "i1"]);
        assert_eq!(built.coders, ["bo", "al"]);
        assert_eq!(built.ratings.get(0, 0), Some(&'x'));
        assert_eq!(built.ratings.get(0, 1), Some(&'z'));
        assert_eq!(built.ratings.get(1, 0), None);
        assert_eq!(built.ratings.get(1, 1), Some(&'y'));
        let err = Ratings::from_records([("i1", "al", 1), ("i1", "al", 2)]).unwrap_err();
        assert_eq!(
            err,
            QualityError::DuplicateRating {
                unit: "\"i1\"".into(),
                coder: "\"al\"".into()
            }
        );
    }

    #[test]
    fn pairs_selection_and_leave_one_out() {
        let mut r = Ratings::new(3, 3);
        r.set(0, 0, Some(1)).unwrap();
        r.set(0, 1, Some(2)).unwrap();
        r.set(1, 1, Some(3)).unwrap();
        r.set(2, 0, Some(4)).unwrap();
        r.set(2, 1, Some(5)).unwrap();
        assert!(r.set(3, 0, Some(9)).is_err());
        let pairs: Vec<_> = r.pairs(0, 1).map(|(u, a, b)| (u, *a, *b)).collect();
        assert_eq!(pairs, [(0, 1, 2), (2, 4, 5)]);
        let odd = r.select_units(|u| u != 1);
        assert_eq!(odd.units(), 2);
        assert_eq!(odd.get(1, 1), Some(&5));
        let loo = r.without_coder(1);
        assert_eq!(loo.values(0).copied().collect::<Vec<_>>(), [1]);
        assert_eq!(pairable_units(&r).count(), 2);
        assert_eq!(pairable_units(&loo).count(), 0);
    }
}
