//! The orders Redis leaves search results in, ties included.
//!
//! A full sort goes through glibc's `qsort`, which is a top-down merge sort
//! (stable); with a COUNT smaller than the result Redis uses its partial
//! quicksort `pqsort` (Bentley-McIlroy), which is not stable. Members at
//! equal distances (duplicates of one position are common) therefore come
//! out in an order only the same algorithms reproduce: the merge sort is
//! re-implemented here, step for step, and the partial quicksort is the one
//! SORT uses too ([`pqsort`]).

use std::cmp::Ordering;

use super::Point;
use crate::commands::pqsort::pqsort;

/// Redis's comparator: greater, equal or less by distance (a NaN compares
/// as "less" both ways, as in C).
fn cmp_asc(a: f64, b: f64) -> Ordering {
    if a > b {
        Ordering::Greater
    } else if a == b {
        Ordering::Equal
    } else {
        Ordering::Less
    }
}

/// Sorts `points` by distance (descending with `desc`) so that the first
/// `wanted` are in Redis's order.
pub(super) fn sort_points(points: &mut Vec<Point>, desc: bool, wanted: usize) {
    let n = points.len();
    let dist: Vec<f64> = points.iter().map(|p| p.dist).collect();
    let cmp = |a: &usize, b: &usize| {
        let c = cmp_asc(dist[*a], dist[*b]);
        if desc {
            c.reverse()
        } else {
            c
        }
    };
    let mut idx: Vec<usize> = (0..n).collect();
    if wanted == n {
        let mut tmp = Vec::with_capacity(n);
        merge_sort(&mut idx, &mut tmp, &cmp);
    } else if wanted > 0 {
        pqsort(&mut idx, 0, wanted - 1, &cmp);
    }
    // Apply the permutation.
    let mut slots: Vec<Option<Point>> = points.drain(..).map(Some).collect();
    points.extend(idx.into_iter().filter_map(|i| slots[i].take()));
}

/// glibc's `msort_with_tmp`: split in halves (the left one the smaller),
/// sort both, merge taking from the left on ties.
fn merge_sort(v: &mut [usize], tmp: &mut Vec<usize>, cmp: &impl Fn(&usize, &usize) -> Ordering) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    merge_sort(&mut v[..n1], tmp, cmp);
    merge_sort(&mut v[n1..], tmp, cmp);
    tmp.clear();
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&v[i], &v[j]).is_le() {
            tmp.push(v[i]);
            i += 1;
        } else {
            tmp.push(v[j]);
            j += 1;
        }
    }
    tmp.extend_from_slice(&v[i..n1]);
    // What is left of the right half is already in place.
    v[..tmp.len()].copy_from_slice(tmp);
}

/// Sanity helper for tests: true if `v` is ordered under `cmp`.
#[cfg(test)]
fn is_sorted_by(v: &[usize], cmp: &impl Fn(&usize, &usize) -> Ordering) -> bool {
    v.windows(2).all(|w| cmp(&w[0], &w[1]).is_le())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_agree_on_distinct_keys() {
        let keys: Vec<f64> = (0..200).map(|i| ((i * 7919) % 211) as f64).collect();
        let cmp = |a: &usize, b: &usize| cmp_asc(keys[*a], keys[*b]);
        let mut full: Vec<usize> = (0..keys.len()).collect();
        merge_sort(&mut full, &mut Vec::new(), &cmp);
        assert!(is_sorted_by(&full, &cmp));
        for wanted in [1, 5, 17, 100, 199] {
            let mut part: Vec<usize> = (0..keys.len()).collect();
            pqsort(&mut part, 0, wanted - 1, &cmp);
            assert_eq!(part[..wanted], full[..wanted], "wanted {wanted}");
        }
    }

    #[test]
    fn merge_sort_is_stable() {
        let keys = [1.0, 0.0, 1.0, 0.0, 1.0];
        let cmp = |a: &usize, b: &usize| cmp_asc(keys[*a], keys[*b]);
        let mut v: Vec<usize> = (0..5).collect();
        merge_sort(&mut v, &mut Vec::new(), &cmp);
        assert_eq!(v, [1, 3, 0, 2, 4]);
    }
}
