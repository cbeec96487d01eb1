//! Randomized checks of the packed list against a `VecDeque<Vec<u8>>`
//! model, plus the node invariants after every operation.

use super::*;

type Model = VecDeque<Vec<u8>>;

/// Every structural invariant: counts, no empty nodes, entries that parse
/// to the node's end, nodes within the fill (unless alone), heap total.
fn check(l: &List, m: &Model) {
    assert_eq!(l.len(), m.len());
    let mut total = 0;
    let mut heap = 0;
    for node in &l.nodes {
        assert!(node.count > 0, "empty node");
        assert!(node.start <= node.end && node.end <= node.buf.len());
        let (mut p, mut n) = (node.start, 0);
        while p < node.end {
            let (d, len, next) = read_fwd(&node.buf, p);
            assert_eq!(d + len + varint_len(len), next);
            // The same entry read backwards.
            assert_eq!(read_back(&node.buf, next), (d, len, p));
            p = next;
            n += 1;
        }
        assert_eq!(p, node.end);
        assert_eq!(n, node.count);
        assert!(
            node.count == 1 || fits(l.fill, node.used(), node.count),
            "node of {} entries, {} bytes over fill {}",
            node.count,
            node.used(),
            l.fill
        );
        total += node.count;
        heap += node.buf.len();
    }
    assert_eq!(total, l.len());
    assert_eq!(heap, l.heap);
    let got: Vec<&[u8]> = l.iter().collect();
    let want: Vec<&[u8]> = m.iter().map(|v| v.as_slice()).collect();
    assert_eq!(got, want);
    let back: Vec<&[u8]> = l.iter().rev().collect();
    let want_back: Vec<&[u8]> = m.iter().rev().map(|v| v.as_slice()).collect();
    assert_eq!(back, want_back);
}

/// An element: mostly short, sometimes around the 1- and 2-byte length
/// boundaries, sometimes larger than a node.
fn element(rng: &mut fastrand::Rng) -> Vec<u8> {
    let len = match rng.u8(0..100) {
        0..=59 => rng.usize(0..12),
        60..=79 => rng.usize(120..140),
        80..=89 => rng.usize(0..600),
        90..=95 => rng.usize(16_370..16_400),
        _ => rng.usize(9_000..20_000),
    };
    // Few distinct values, so LREM/LPOS-style matches happen.
    let b = b'a' + rng.u8(0..4);
    vec![b; len]
}

fn run(seed: u64, fill: i64, ops: usize) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut l = List::with_fill(fill);
    let mut m = Model::new();
    let mut stats = (0usize, 0usize);
    for step in 0..ops {
        let op = rng.u8(0..100);
        let len = m.len();
        match op {
            0..=19 => {
                let e = element(&mut rng);
                l.push_back(&e);
                m.push_back(e);
            }
            20..=39 => {
                let e = element(&mut rng);
                l.push_front(&e);
                m.push_front(e);
            }
            40..=47 => assert_eq!(l.pop_front().map(|b| b.to_vec()), m.pop_front()),
            48..=55 => assert_eq!(l.pop_back().map(|b| b.to_vec()), m.pop_back()),
            56..=61 => {
                let i = rng.usize(0..=len);
                assert_eq!(l.get(i), m.get(i).map(|v| v.as_slice()));
            }
            62..=67 => {
                let i = rng.usize(0..=len);
                let e = element(&mut rng);
                assert_eq!(l.set(i, &e), i < len);
                if let Some(slot) = m.get_mut(i) {
                    *slot = e;
                }
            }
            68..=75 => {
                let i = rng.usize(0..=len);
                let e = element(&mut rng);
                l.insert(i, &e);
                m.insert(i.min(len), e);
            }
            76..=80 => {
                let i = rng.usize(0..=len);
                assert_eq!(l.remove(i), i < len);
                if i < len {
                    m.remove(i);
                }
            }
            81..=83 => {
                // Mostly LTRIM as capped lists use it (a few off either
                // end), sometimes anything.
                let (s, e) = if rng.u8(0..10) == 0 {
                    (rng.usize(0..=len), rng.usize(0..=len + 1))
                } else {
                    (
                        rng.usize(0..=len.min(5)),
                        len.saturating_sub(rng.usize(1..7)),
                    )
                };
                l.trim(s, e);
                if s <= e && e < len {
                    m.truncate(e + 1);
                    m.drain(..s);
                } else {
                    m.clear();
                }
            }
            84..=88 => {
                let target = vec![b'a' + rng.u8(0..4); rng.usize(0..3)];
                let from_tail = rng.bool();
                let limit = if rng.bool() {
                    usize::MAX
                } else {
                    rng.usize(1..4)
                };
                let got = l.remove_where(from_tail, limit, |e| e == target.as_slice());
                let mut hits: Vec<usize> = (0..len).filter(|&i| m[i] == target).collect();
                if from_tail {
                    hits.reverse();
                }
                hits.truncate(limit);
                hits.sort_unstable();
                for &i in hits.iter().rev() {
                    m.remove(i);
                }
                assert_eq!(got, hits.len());
            }
            89..=96 => {
                let (s, e) = (rng.usize(0..=len), rng.usize(0..=len));
                let got: Vec<&[u8]> = l.range(s, e).collect();
                let want: Vec<&[u8]> = if s <= e && e < len {
                    m.range(s..=e).map(|v| v.as_slice()).collect()
                } else {
                    Vec::new()
                };
                assert_eq!(got, want);
                // Both ends of the same range, meeting in the middle.
                let mut it = l.range(s, e);
                let mut mixed = Vec::new();
                let mut tail = Vec::new();
                loop {
                    let Some(x) = (if rng.bool() { it.next() } else { None }) else {
                        match it.next_back() {
                            Some(y) => tail.push(y),
                            None => break,
                        }
                        continue;
                    };
                    mixed.push(x);
                }
                tail.reverse();
                mixed.extend(tail);
                assert_eq!(mixed, want);
            }
            97..=98 => {
                // A burst of small pushes, to fill nodes with many entries.
                let front = rng.bool();
                for _ in 0..rng.usize(1..300) {
                    let e = vec![b'a' + rng.u8(0..4); rng.usize(0..10)];
                    if front {
                        l.push_front(&e);
                        m.push_front(e);
                    } else {
                        l.push_back(&e);
                        m.push_back(e);
                    }
                }
            }
            _ => {
                if rng.u8(0..10) == 0 {
                    l.clear();
                    m.clear();
                }
            }
        }
        if step % 7 == 0 || ops < 5000 {
            check(&l, &m);
        }
        stats.0 = stats.0.max(l.len());
        stats.1 = stats.1.max(l.node_count());
    }
    check(&l, &m);
    // The run reached lists of many entries over several nodes.
    assert!(stats.0 > 500 && stats.1 > 5, "{stats:?}");
}

#[test]
fn randomized_against_a_model() {
    for (seed, fill) in [(1, -2), (2, -1), (3, -5), (4, 1), (5, 3), (6, 0), (7, 128)] {
        run(seed, fill, 4000);
    }
}

#[test]
fn randomized_long_run() {
    run(42, -1, 60_000);
}

#[test]
fn an_empty_list() {
    let mut l = List::new();
    assert!(l.is_empty());
    assert_eq!(l.iter().next(), None);
    assert_eq!(l.iter().next_back(), None);
    assert_eq!(l.range(0, 0).count(), 0);
    assert_eq!(l.get(0), None);
    assert!(!l.set(0, b"x"));
    assert!(!l.remove(0));
    assert_eq!(l.pop_front(), None);
    assert_eq!(l.pop_back(), None);
    assert_eq!(l.remove_where(false, usize::MAX, |_| true), 0);
    l.trim(0, 0);
    assert_eq!(l.mem_usage(), std::mem::size_of::<List>());
    l.insert(5, b"only");
    check(&l, &Model::from([b"only".to_vec()]));
}

#[test]
fn lengths_encode_on_both_sides() {
    for n in [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152] {
        let e = vec![7u8; n];
        let mut buf = vec![0u8; entry_size(n) + 2];
        let end = write_entry(&mut buf, 1, &e);
        assert_eq!(end, 1 + entry_size(n));
        assert_eq!(read_fwd(&buf, 1), (1 + varint_len(n), n, end));
        assert_eq!(read_back(&buf, end), (1 + varint_len(n), n, 1));
    }
}

#[test]
fn small_elements_are_packed() {
    let mut l = List::new();
    for i in 0..100_000u32 {
        l.push_back(format!("{:08}", i % 100_000_000).as_bytes());
    }
    // 10 bytes an entry in ~8 KB nodes: well under 11 bytes an element.
    assert!(l.mem_usage() < 11 * 100_000, "{}", l.mem_usage());
    assert!(l.node_count() >= 100_000 * 10 / 8192);
    assert_eq!(l.get(54_321), Some(&b"00054321"[..]));
}

#[test]
fn a_queue_keeps_its_memory_bounded() {
    // LPUSH/RPOP with a steady backlog: nodes come and go at the ends.
    let mut l = List::new();
    let mut m = Model::new();
    let mut peak = 0;
    for i in 0..200_000u32 {
        let e = format!("job:{i}").into_bytes();
        l.push_front(&e);
        m.push_front(e);
        if l.len() > 1_000 {
            assert_eq!(l.pop_back().map(|b| b.to_vec()), m.pop_back());
        }
        if i > 10_000 {
            peak = peak.max(l.mem_usage());
        }
    }
    check(&l, &m);
    // ~12 bytes an entry, 1,000 entries: a few nodes with their slack.
    assert!(peak < 40_000, "{peak}");
}

#[test]
fn removals_merge_nodes() {
    let mut l = List::new();
    for i in 0..10_000u32 {
        l.push_back(if i % 10 == 0 { b"keep" } else { b"drop" });
    }
    let before = l.node_count();
    assert_eq!(l.remove_where(false, usize::MAX, |e| e == b"drop"), 9_000);
    assert!(
        l.node_count() <= before / 5,
        "{} of {before}",
        l.node_count()
    );
    assert!(l.mem_usage() < 1_000 * 6 + 1_000, "{}", l.mem_usage());
    let m: Model = (0..1_000).map(|_| b"keep".to_vec()).collect();
    check(&l, &m);
}

#[test]
fn huge_elements_get_nodes_of_their_own() {
    let mut l = List::new();
    let big = vec![b'x'; 100_000];
    l.push_back(b"a");
    l.push_back(&big);
    l.push_back(b"b");
    assert_eq!(l.node_count(), 3);
    // An insert in the middle of a full node splits it around the element.
    let mut l2 = List::new();
    for _ in 0..2_000 {
        l2.push_back(b"small");
    }
    l2.insert(1_000, &big);
    let mut m: Model = (0..2_000).map(|_| b"small".to_vec()).collect();
    m.insert(1_000, big.clone());
    check(&l2, &m);
    assert!(l2.nodes.iter().any(|n| n.count == 1 && n.used() > 100_000));
    // Replacing it with a small element lets the nodes merge back.
    let nodes = l2.node_count();
    assert!(l2.set(1_000, b"small"));
    m[1_000] = b"small".to_vec();
    check(&l2, &m);
    assert!(l2.node_count() < nodes);
}
