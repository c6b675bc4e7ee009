//! Consensus on synthetic data: Dawid-Skene recovers planted annotator reliabilities, Kemeny
//! agrees with a brute-force search, and ties are flagged and resolved the same way whatever
//! order the votes come in.

use sift_quality::{DawidSkeneOptions, Ratings, borda, dawid_skene, kemeny, majority_vote, majority_votes};

/// A small deterministic generator (SplitMix64): the tests need no `rand` crate and always
/// see the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn dawid_skene_recovers_planted_reliabilities() {
    let mut rng = Rng(7);
    let classes = 3;
    let priors = [0.5, 0.3, 0.2];
    let accuracy = [0.95, 0.9, 0.8, 0.7, 0.55, 0.4];
    let (units, per_unit) = (800, 3);
    let mut ratings = Ratings::new(units, accuracy.len());
    let mut truth = Vec::with_capacity(units);
    let (mut correct, mut given) = ([0usize; 6], [0usize; 6]);
    for u in 0..units {
        let r = rng.unit();
        let t = if r < priors[0] {
            0
        } else if r < priors[0] + priors[1] {
            1
        } else {
            2
        };
        truth.push(t);
        // `per_unit` distinct annotators per unit, as an overlap of 3 would assign them.
        let mut chosen = Vec::new();
        while chosen.len() < per_unit {
            let c = rng.below(accuracy.len());
            if !chosen.contains(&c) {
                chosen.push(c);
            }
        }
        for c in chosen {
            let label = if rng.unit() < accuracy[c] {
                t
            } else {
                (t + 1 + rng.below(classes - 1)) % classes
            };
            ratings.set(u, c, Some(label)).unwrap();
            correct[c] += usize::from(label == t);
            given[c] += 1;
        }
    }
    let ds = dawid_skene(&ratings, classes, DawidSkeneOptions::default()).unwrap();
    assert!(ds.converged, "{} iterations", ds.iterations);
    for c in 0..accuracy.len() {
        let observed = correct[c] as f64 / given[c] as f64;
        let estimated = ds.reliability[c].unwrap();
        assert!(
            (estimated - observed).abs() < 0.05,
            "annotator {c}: planted {}, observed {observed:.3}, estimated {estimated:.3}",
            accuracy[c]
        );
    }
    for (k, &p) in priors.iter().enumerate() {
        assert!((ds.priors[k] - p).abs() < 0.05, "prior {k}: {:?}", ds.priors);
    }
    // Weighting by reliability beats the plain vote on the same data.
    let votes = majority_votes(&ratings);
    let vote_right = (0..units)
        .filter(|&u| votes[u].as_ref().ok().and_then(|v| v.label()) == Some(&truth[u]))
        .count();
    let ds_right = (0..units)
        .filter(|&u| ds.units[u].as_ref().map(|e| e.label) == Some(truth[u]))
        .count();
    assert!(
        ds_right > vote_right,
        "Dawid-Skene {ds_right} vs majority vote {vote_right} of {units}"
    );
    // Confidence is calibrated enough to rank: confident units are right more often.
    let (mut confident, mut confident_right) = (0, 0);
    for (estimate, &t) in ds.units.iter().zip(&truth) {
        let e = estimate.as_ref().unwrap();
        if e.confidence > 0.95 {
            confident += 1;
            confident_right += usize::from(e.label == t);
        }
    }
    assert!(confident > units / 3 && confident_right as f64 / confident as f64 > 0.95);
}

#[test]
fn dawid_skene_sees_a_systematic_confusion() {
    // Annotator 2 always says 1 when the truth is 0 and is right otherwise; 0 and 1 are
    // reliable. The vote on a 0 unit is 2-1 for 0, but only DS learns the pattern.
    let mut rng = Rng(11);
    let units = 300;
    let mut ratings = Ratings::new(units, 3);
    for u in 0..units {
        let t = rng.below(2);
        for c in 0..2 {
            let label = if rng.unit() < 0.9 { t } else { 1 - t };
            ratings.set(u, c, Some(label)).unwrap();
        }
        ratings.set(u, 2, Some(1)).unwrap();
    }
    let ds = dawid_skene(&ratings, 2, DawidSkeneOptions::default()).unwrap();
    let confusion = &ds.confusion[2];
    assert!(confusion[0][1] > 0.95 && confusion[1][1] > 0.95, "{confusion:?}");
    assert!(ds.reliability[2].unwrap() < 0.6 && ds.reliability[0].unwrap() > 0.85);
}

/// Brute force over all n! orders: (best distance x 2, number of optimal orders, the
/// lexicographically smallest optimal order).
fn brute_force(rankings: &[Vec<u32>]) -> (u64, u64, Vec<usize>) {
    fn permutations(prefix: &mut Vec<usize>, n: usize, out: &mut Vec<Vec<usize>>) {
        if prefix.len() == n {
            out.push(prefix.clone());
            return;
        }
        for i in 0..n {
            if !prefix.contains(&i) {
                prefix.push(i);
                permutations(prefix, n, out);
                prefix.pop();
            }
        }
    }
    let n = rankings[0].len();
    let mut all = Vec::new();
    permutations(&mut Vec::new(), n, &mut all); // lexicographic order
    let mut best: Option<(u64, u64, Vec<usize>)> = None;
    for order in all {
        let mut twice = 0u64;
        for (p, &i) in order.iter().enumerate() {
            for &j in &order[p + 1..] {
                for r in rankings {
                    twice += match r[j].cmp(&r[i]) {
                        std::cmp::Ordering::Less => 2,
                        std::cmp::Ordering::Equal => 1,
                        std::cmp::Ordering::Greater => 0,
                    };
                }
            }
        }
        best = match best {
            None => Some((twice, 1, order)),
            Some((b, c, o)) if twice == b => Some((b, c + 1, o)),
            Some((b, _, _)) if twice < b => Some((twice, 1, order)),
            keep => keep,
        };
    }
    best.expect("at least one order")
}

#[test]
fn kemeny_equals_brute_force_on_random_rankings() {
    let mut rng = Rng(3);
    let mut ties_seen = 0;
    for _ in 0..400 {
        let n = 1 + rng.below(6);
        let voters = 1 + rng.below(7);
        let rankings: Vec<Vec<u32>> = (0..voters)
            .map(|_| {
                if rng.below(3) == 0 {
                    (0..n).map(|_| 1 + rng.below(n.max(2) - 1) as u32).collect()
                } else {
                    let mut order: Vec<u32> = (1..=n as u32).collect();
                    for i in (1..n).rev() {
                        order.swap(i, rng.below(i + 1));
                    }
                    order
                }
            })
            .collect();
        let k = kemeny(&rankings).unwrap();
        let (twice, count, order) = brute_force(&rankings);
        assert_eq!(k.distance * 2.0, twice as f64, "{rankings:?}");
        assert_eq!(k.optimal_orders, count, "{rankings:?}");
        assert_eq!(k.order, order, "{rankings:?}");
        ties_seen += usize::from(k.consensus.tie);
    }
    assert!(ties_seen > 20, "the random rankings include ties: {ties_seen}");
}

#[test]
fn ties_are_flagged_whatever_the_vote_order() {
    let labels = ["b", "a", "c", "a", "b"];
    let mut orders = vec![labels.to_vec()];
    let mut rng = Rng(5);
    for _ in 0..20 {
        let mut shuffled = labels.to_vec();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i + 1));
        }
        orders.push(shuffled);
    }
    for order in &orders {
        let vote = majority_vote(order.iter()).unwrap();
        assert!(vote.is_tie());
        assert_eq!(vote.label(), None);
        assert_eq!(vote.winners, ["a", "b"]);
        assert_eq!((vote.votes, vote.voters), (2, 5));
    }
    // Rankings: two voters in exact opposition over three responses, in either order.
    let forward = vec![vec![1, 2, 3], vec![3, 2, 1]];
    let backward = vec![vec![3, 2, 1], vec![1, 2, 3]];
    for rankings in [&forward, &backward] {
        let b = borda(rankings).unwrap();
        assert_eq!(b.consensus.ranks, [1, 1, 1]);
        assert!(b.consensus.tie);
        let k = kemeny(rankings).unwrap();
        assert!(k.consensus.tie);
        assert_eq!(k.order, [0, 1, 2]);
    }
}
