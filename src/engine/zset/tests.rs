use std::cmp::Ordering;
use std::collections::HashMap;

use bytes::Bytes;

use super::*;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Collects with score bits so `-0.0` vs `0.0` differences are caught.
fn bits<'a>(it: impl Iterator<Item = (&'a Bytes, f64)>) -> Vec<(Bytes, u64)> {
    it.map(|(m, s)| (m.clone(), s.to_bits())).collect()
}

fn members<'a>(it: impl Iterator<Item = (&'a Bytes, f64)>) -> Vec<&'a [u8]> {
    it.map(|(m, _)| &m[..]).collect()
}

fn sr(min: &str, max: &str) -> ScoreRange {
    ScoreRange::parse(min.as_bytes(), max.as_bytes()).expect("valid score range")
}

fn lr(min: &str, max: &str) -> LexRange {
    LexRange::parse(min.as_bytes(), max.as_bytes()).expect("valid lex range")
}

fn zset(items: &[(&str, f64)]) -> ZSet {
    let mut z = ZSet::new();
    for &(m, s) in items {
        z.insert(b(m), s);
    }
    z.check();
    z
}

/// Sorted-Vec reference model with the same semantics, written naively.
#[derive(Default)]
struct Model {
    sorted: Vec<(f64, Bytes)>,
    map: HashMap<Bytes, f64>,
}

fn key_cmp(a: &(f64, Bytes), score: f64, member: &[u8]) -> Ordering {
    a.0.partial_cmp(&score)
        .unwrap()
        .then_with(|| a.1[..].cmp(member))
}

impl Model {
    fn pos(&self, score: f64, member: &[u8]) -> usize {
        self.sorted
            .binary_search_by(|e| key_cmp(e, score, member))
            .expect("model member present")
    }

    fn insert(&mut self, member: Bytes, score: f64) -> Option<f64> {
        if let Some(&old) = self.map.get(&member) {
            if old != score {
                self.remove(&member);
                self.insert(member, score);
            }
            return Some(old);
        }
        let at = self
            .sorted
            .binary_search_by(|e| key_cmp(e, score, &member))
            .unwrap_err();
        self.sorted.insert(at, (score, member.clone()));
        self.map.insert(member, score);
        None
    }

    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.map.remove(member)?;
        let at = self.pos(score, member);
        self.sorted.remove(at);
        Some(score)
    }

    fn rank(&self, member: &[u8]) -> Option<usize> {
        self.map.get(member).map(|&s| self.pos(s, member))
    }

    fn all(&self) -> Vec<(Bytes, u64)> {
        self.sorted
            .iter()
            .map(|(s, m)| (m.clone(), s.to_bits()))
            .collect()
    }

    fn filtered(&self, keep: impl Fn(f64, &[u8]) -> bool, rev: bool) -> Vec<(Bytes, u64)> {
        let mut v: Vec<_> = self
            .all()
            .into_iter()
            .filter(|(m, s)| keep(f64::from_bits(*s), m))
            .collect();
        if rev {
            v.reverse();
        }
        v
    }

    fn remove_where(&mut self, keep: impl Fn(usize, f64, &[u8]) -> bool) -> Vec<Bytes> {
        let gone: Vec<Bytes> = (self.sorted.iter().enumerate())
            .filter(|(i, (s, m))| keep(*i, *s, m))
            .map(|(_, (_, m))| m.clone())
            .collect();
        for m in &gone {
            self.remove(m);
        }
        gone
    }
}

fn gen_score(rng: &mut fastrand::Rng, lex_mode: bool) -> f64 {
    if lex_mode {
        return if rng.bool() { 0.0 } else { -0.0 };
    }
    match rng.u8(..16) {
        0 => f64::NEG_INFINITY,
        1 => f64::INFINITY,
        2 => 0.0,
        3 => -0.0,
        4..=10 => f64::from(rng.i8(-4..=4)),
        11 => f64::from(rng.i8(-4..=4)) + 0.5,
        _ => rng.f64() * 10.0 - 5.0,
    }
}

fn gen_member(rng: &mut fastrand::Rng) -> Bytes {
    const ALPHABET: &[u8] = &[0x00, b'a', b'b', b'c', b'd', 0xff];
    let len = rng.usize(0..=4);
    (0..len)
        .map(|_| ALPHABET[rng.usize(..ALPHABET.len())])
        .collect::<Vec<u8>>()
        .into()
}

fn gen_score_range(rng: &mut fastrand::Rng, lex_mode: bool) -> ScoreRange {
    let bound = |rng: &mut fastrand::Rng| {
        let zeros_only = lex_mode && rng.bool();
        ScoreBound {
            value: gen_score(rng, zeros_only),
            exclusive: rng.bool(),
        }
    };
    let (mut min, mut max) = (bound(rng), bound(rng));
    // Mostly well-ordered ranges, sometimes inverted ones.
    if min.value > max.value && rng.u8(..4) != 0 {
        std::mem::swap(&mut min, &mut max);
    }
    ScoreRange { min, max }
}

fn gen_lex_range(rng: &mut fastrand::Rng) -> LexRange {
    let bound = |rng: &mut fastrand::Rng| match rng.u8(..8) {
        0 => LexBound::NegInf,
        1 => LexBound::PosInf,
        2..=4 => LexBound::Inclusive(gen_member(rng)),
        _ => LexBound::Exclusive(gen_member(rng)),
    };
    LexRange {
        min: bound(rng),
        max: bound(rng),
    }
}

/// Runs `ops` random operations against both implementations.
fn model_run(seed: u64, ops: usize, lex_mode: bool) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut z = ZSet::new();
    let mut m = Model::default();
    let mut max_len = 0;
    for op in 0..ops {
        let len = m.sorted.len();
        max_len = max_len.max(len);
        let lex_ok = lex_mode || m.sorted.windows(2).all(|w| w[0].0 == w[1].0);
        let rev = rng.bool();
        match rng.u16(..100) {
            0..=34 => {
                // Batches keep the set large despite the range removals.
                for _ in 0..rng.usize(1..=12) {
                    let (member, score) = (gen_member(&mut rng), gen_score(&mut rng, lex_mode));
                    let want = m.insert(member.clone(), score).map(f64::to_bits);
                    assert_eq!(z.insert(member, score).map(f64::to_bits), want);
                }
            }
            35..=46 => {
                let member = gen_member(&mut rng);
                assert_eq!(
                    z.remove(&member).map(f64::to_bits),
                    m.remove(&member).map(f64::to_bits)
                );
            }
            47..=52 => {
                let member = gen_member(&mut rng);
                let rank = m.rank(&member);
                assert_eq!(z.rank(&member), rank);
                assert_eq!(z.rev_rank(&member), rank.map(|r| len - 1 - r));
                assert_eq!(
                    z.score(&member).map(f64::to_bits),
                    m.map.get(&member).map(|s| s.to_bits())
                );
            }
            53..=56 => {
                let r = rng.usize(..len + 2);
                let want = m.sorted.get(r).map(|(s, mm)| (mm.clone(), s.to_bits()));
                assert_eq!(z.by_rank(r).map(|(mm, s)| (mm.clone(), s.to_bits())), want);
            }
            57..=66 => {
                let range = gen_score_range(&mut rng, lex_mode);
                let want = m.filtered(|s, _| range.contains(s), rev);
                assert_eq!(bits(z.iter_range_by_score(&range, rev)), want, "{range:?}");
                assert_eq!(z.count_in_score_range(&range), want.len());
                let ranks = z.score_range_ranks(&range);
                if let Some((lo, hi)) = ranks {
                    assert_eq!(hi - lo + 1, want.len());
                    assert_eq!(m.rank(&want[0].0), Some(if rev { hi } else { lo }));
                } else {
                    assert!(want.is_empty());
                }
                let (off, cnt) = (rng.usize(..80), rng.usize(..40));
                let page: Vec<_> = want.iter().skip(off).take(cnt).cloned().collect();
                assert_eq!(
                    bits(z.iter_range_by_score(&range, rev).skip(off).take(cnt)),
                    page
                );
                let k = rng.usize(..60);
                let got = z
                    .iter_range_by_score(&range, rev)
                    .nth_back(k)
                    .map(|(mm, _)| mm.clone());
                assert_eq!(got, want.iter().rev().nth(k).map(|(mm, _)| mm.clone()));
            }
            67..=71 => {
                let (start, end) = (rng.usize(..len + 3), rng.usize(..len + 3));
                let mut want: Vec<_> = m.all();
                if rev {
                    want.reverse();
                }
                let want: Vec<_> = (start..=end).filter_map(|i| want.get(i).cloned()).collect();
                let mut it = z.iter_range_by_rank(start, end, rev);
                assert_eq!(it.len(), want.len());
                // Interleave both ends to exercise double-ended bookkeeping.
                let (mut front, mut back) = (Vec::new(), Vec::new());
                while let Some(e) = if rng.bool() {
                    it.next().map(|e| (true, e))
                } else {
                    it.next_back().map(|e| (false, e))
                } {
                    let item = (e.1 .0.clone(), e.1 .1.to_bits());
                    if e.0 {
                        front.push(item);
                    } else {
                        back.push(item);
                    }
                }
                front.extend(back.into_iter().rev());
                assert_eq!(front, want);
            }
            72..=77 => {
                let range = gen_lex_range(&mut rng);
                let got = bits(z.iter_range_by_lex(&range, rev));
                let count = z.count_in_lex_range(&range);
                if lex_ok {
                    let want = m.filtered(|_, mm| range.contains(mm), rev);
                    assert_eq!(got, want, "{range:?}");
                    assert_eq!(count, want.len());
                    let off = rng.usize(..60);
                    let page: Vec<_> = want.iter().skip(off).cloned().collect();
                    assert_eq!(bits(z.iter_range_by_lex(&range, rev).skip(off)), page);
                }
            }
            78..=79 => {
                let start = rng.usize(..len + 2);
                let end = start + rng.usize(..8);
                let want = m.remove_where(|i, _, _| i >= start && i <= end);
                assert_eq!(z.remove_range_by_rank(start, end), want);
            }
            80..=81 => {
                let range = gen_score_range(&mut rng, lex_mode);
                let want = if range.is_empty() {
                    Vec::new()
                } else {
                    m.remove_where(|_, s, _| range.contains(s))
                };
                assert_eq!(z.remove_range_by_score(&range), want);
            }
            82..=83 if lex_ok => {
                let range = gen_lex_range(&mut rng);
                let want = m.remove_where(|_, _, mm| range.contains(mm));
                assert_eq!(z.remove_range_by_lex(&range), want);
            }
            84..=87 => {
                let (got, want) = if rev {
                    (z.pop_max(), m.sorted.last().map(|e| e.1.clone()))
                } else {
                    (z.pop_min(), m.sorted.first().map(|e| e.1.clone()))
                };
                if let Some(mm) = &want {
                    m.remove(mm);
                }
                assert_eq!(got.map(|(mm, _)| mm), want);
            }
            88..=89 => {
                if let Some((mm, s)) = z.random_member() {
                    assert_eq!(m.map.get(mm).map(|v| v.to_bits()), Some(s.to_bits()));
                } else {
                    assert_eq!(len, 0);
                }
            }
            90 => {
                let c = z.clone();
                z.insert(b("clone-probe"), 1.0);
                z.remove(b"clone-probe");
                c.check();
                assert_eq!(bits(c.iter()), m.all());
            }
            91 if rng.u8(..20) == 0 => {
                // Occasionally empty the set to exercise the arena reset.
                let want = m.remove_where(|_, _, _| true);
                assert_eq!(z.remove_range_by_rank(0, usize::MAX), want);
            }
            _ => {
                assert_eq!(bits(z.iter()), m.all());
                assert_eq!(
                    bits(z.iter().rev()),
                    m.all().into_iter().rev().collect::<Vec<_>>()
                );
            }
        }
        assert_eq!(z.len(), m.sorted.len());
        if op % 1000 == 0 {
            z.check();
        }
    }
    z.check();
    assert_eq!(bits(z.iter()), m.all());
    assert!(max_len > 300, "model run never grew: {max_len}");
    eprintln!("max_len {max_len}, final {}", z.len());
}

#[test]
fn model_random_scores() {
    model_run(0x5eed_0001, 200_000, false);
}

#[test]
fn model_equal_scores_lex() {
    model_run(0x5eed_0002, 100_000, true);
}

#[test]
fn parse_score_bounds() {
    let p = |s: &str| ScoreBound::parse(s.as_bytes()).map(|b| (b.value, b.exclusive));
    assert_eq!(p("(1"), Some((1.0, true)));
    assert_eq!(p("1.5"), Some((1.5, false)));
    assert_eq!(p("+inf"), Some((f64::INFINITY, false)));
    assert_eq!(p("-inf"), Some((f64::NEG_INFINITY, false)));
    assert_eq!(p("inf"), Some((f64::INFINITY, false)));
    assert_eq!(p("(inf"), Some((f64::INFINITY, true)));
    assert_eq!(p("-Infinity"), Some((f64::NEG_INFINITY, false)));
    assert_eq!(p("1e2"), Some((100.0, false)));
    assert_eq!(p("+1"), Some((1.0, false)));
    assert_eq!(p(".5"), Some((0.5, false)));
    assert_eq!(p("5."), Some((5.0, false)));
    assert_eq!(p("1e400"), Some((f64::INFINITY, false)));
    assert_eq!(p("1e-400"), Some((0.0, false)));
    assert_eq!(p("0x10"), Some((16.0, false)));
    assert_eq!(p("0X1P1"), Some((2.0, false)));
    assert_eq!(p("0x.8"), Some((0.5, false)));
    assert_eq!(p("0x1p-1074"), Some((f64::from_bits(1), false)));
    assert_eq!(p("0x1.fffffffffffff8p1023"), Some((f64::INFINITY, false)));
    // Redis 7.0 hands these to plain strtod, which skips leading
    // whitespace, and treats "" as 0 (verified against redis-server 7.0.15).
    assert_eq!(p(" 1"), Some((1.0, false)));
    assert_eq!(p("\t\n1"), Some((1.0, false)));
    assert_eq!(p(""), Some((0.0, false)));
    assert_eq!(p("("), Some((0.0, true)));
    assert_eq!(p("1\0abc"), Some((1.0, false)));
    assert_eq!(p("-0").map(|(v, _)| v.to_bits()), Some((-0.0f64).to_bits()));
    for bad in [
        "nan",
        "(nan",
        "-nan",
        "NaN",
        "1 ",
        "1e",
        "1e+",
        "abc",
        " ",
        ".",
        "-",
        "0x",
        "0x1p",
        "  (1",
        "((1",
        "1.2.3",
        "infx",
        "inf inity",
        "1,5",
    ] {
        assert_eq!(p(bad), None, "{bad:?}");
    }
    assert!(ScoreRange::parse(b"1", b"x").is_none());
    assert!(ScoreRange::parse(b"x", b"1").is_none());
}

#[test]
fn parse_lex_bounds() {
    let p = |s: &str| LexBound::parse(s.as_bytes());
    assert_eq!(p("[a"), Some(LexBound::Inclusive(b("a"))));
    assert_eq!(p("(a"), Some(LexBound::Exclusive(b("a"))));
    assert_eq!(p("["), Some(LexBound::Inclusive(Bytes::new())));
    assert_eq!(p("("), Some(LexBound::Exclusive(Bytes::new())));
    assert_eq!(p("-"), Some(LexBound::NegInf));
    assert_eq!(p("+"), Some(LexBound::PosInf));
    for bad in ["a", "", "+a", "-a", "++", " [a"] {
        assert_eq!(p(bad), None, "{bad:?}");
    }
    assert!(LexRange::parse(b"[a", b"b").is_none());
}

#[test]
fn range_emptiness() {
    assert!(!sr("1", "1").is_empty());
    assert!(sr("(1", "1").is_empty());
    assert!(sr("1", "(1").is_empty());
    assert!(sr("2", "1").is_empty());
    assert!(!sr("-inf", "+inf").is_empty());
    assert!(!sr("inf", "inf").is_empty());
    assert!(sr("(inf", "inf").is_empty());
    assert!(!sr("-0", "0").is_empty());
    assert!(sr("(-0", "0").is_empty());
    assert!(sr("(1", "(1.5").contains(1.25) && !sr("(1", "(1.5").contains(1.0));
    assert!(lr("-", "-").is_empty());
    assert!(lr("+", "+").is_empty());
    assert!(lr("+", "-").is_empty());
    assert!(lr("+", "[a").is_empty());
    assert!(lr("[a", "-").is_empty());
    assert!(!lr("-", "+").is_empty());
    assert!(!lr("[a", "[a").is_empty());
    assert!(lr("(a", "[a").is_empty());
    assert!(lr("[b", "[a").is_empty());
    assert!(!lr("[", "(a").is_empty());
    assert!(lr("[a", "(a").is_empty());
}

#[test]
fn equal_scores_order_by_member_bytes() {
    let z = zset(&[
        ("b", 1.0),
        ("a", 1.0),
        ("", 1.0),
        ("\u{7f}", 1.0),
        ("ab", 1.0),
        ("c", 0.5),
    ]);
    assert_eq!(
        members(z.iter()),
        [&b"c"[..], b"", b"a", b"ab", b"b", b"\x7f"]
    );
    assert_eq!(z.rank(b""), Some(1));
    assert_eq!(z.rev_rank(b"c"), Some(5));
    // memcmp order: bytes >= 0x80 sort after ASCII.
    let mut z = ZSet::new();
    z.insert(Bytes::from_static(b"\xff"), 0.0);
    z.insert(Bytes::from_static(b"\x00"), 0.0);
    z.insert(Bytes::from_static(b"z"), 0.0);
    assert_eq!(members(z.iter()), [&b"\x00"[..], b"z", b"\xff"]);
}

#[test]
fn infinite_scores() {
    let z = zset(&[
        ("max", f64::INFINITY),
        ("min", f64::NEG_INFINITY),
        ("mid", 0.0),
        ("max2", f64::INFINITY),
    ]);
    assert_eq!(members(z.iter()), [&b"min"[..], b"mid", b"max", b"max2"]);
    assert_eq!(
        members(z.iter_range_by_score(&sr("inf", "inf"), false)),
        [&b"max"[..], b"max2"]
    );
    assert_eq!(z.count_in_score_range(&sr("(-inf", "(inf")), 1);
    assert_eq!(z.count_in_score_range(&sr("-inf", "-inf")), 1);
    assert_eq!(z.count_in_score_range(&sr("-inf", "+inf")), 4);
}

#[test]
fn negative_zero_equals_zero() {
    let mut z = zset(&[("b", -0.0), ("a", 0.0), ("c", -0.0)]);
    // Equal scores, so member order decides; signs are kept as stored.
    assert_eq!(
        bits(z.iter()),
        [
            (b("a"), 0),
            (b("b"), (-0.0f64).to_bits()),
            (b("c"), (-0.0f64).to_bits())
        ]
    );
    // Re-adding with the other zero is not a change (Redis: score != curscore).
    assert_eq!(
        z.insert(b("b"), 0.0).map(f64::to_bits),
        Some((-0.0f64).to_bits())
    );
    assert_eq!(z.score(b"b").map(f64::to_bits), Some((-0.0f64).to_bits()));
    assert_eq!(z.count_in_score_range(&sr("0", "0")), 3);
    assert_eq!(z.count_in_score_range(&sr("-0", "(0")), 0);
    assert_eq!(z.count_in_score_range(&sr("(-0", "+inf")), 0);
    assert_eq!(z.remove_range_by_score(&sr("-0", "-0")).len(), 3);
    assert!(z.is_empty());
    z.check();
}

#[test]
fn exclusive_bounds_both_ends() {
    let z = zset(&[("a", 1.0), ("b", 2.0), ("c", 2.0), ("d", 3.0), ("e", 4.0)]);
    let r = sr("(1", "(3");
    assert_eq!(members(z.iter_range_by_score(&r, false)), [&b"b"[..], b"c"]);
    assert_eq!(members(z.iter_range_by_score(&r, true)), [&b"c"[..], b"b"]);
    assert_eq!(z.score_range_ranks(&r), Some((1, 2)));
    assert_eq!(
        members(z.iter_range_by_score(&sr("(2", "4"), false)),
        [&b"d"[..], b"e"]
    );
    assert_eq!(
        members(z.iter_range_by_score(&sr("1", "(2"), false)),
        [&b"a"[..]]
    );
    assert_eq!(z.count_in_score_range(&sr("(2", "(3")), 0);
    let z = zset(&[("a", 0.0), ("b", 0.0), ("c", 0.0), ("d", 0.0)]);
    assert_eq!(
        members(z.iter_range_by_lex(&lr("(a", "(d"), false)),
        [&b"b"[..], b"c"]
    );
    assert_eq!(
        members(z.iter_range_by_lex(&lr("[b", "+"), true)),
        [&b"d"[..], b"c", b"b"]
    );
    assert_eq!(z.count_in_lex_range(&lr("(a", "[c")), 2);
    assert_eq!(z.lex_range_ranks(&lr("[bb", "[cc")), Some((2, 2)));
    assert_eq!(z.count_in_lex_range(&lr("(b", "(c")), 0);
}

#[test]
fn empty_and_inverted_ranges() {
    let mut z = zset(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]);
    for r in [
        sr("3", "1"),
        sr("(2", "2"),
        sr("2", "(2"),
        sr("(2", "(2"),
        sr("4", "+inf"),
        sr("-inf", "(1"),
    ] {
        assert_eq!(z.iter_range_by_score(&r, false).count(), 0, "{r:?}");
        assert_eq!(z.iter_range_by_score(&r, true).count(), 0, "{r:?}");
        assert_eq!(z.count_in_score_range(&r), 0);
        assert_eq!(z.score_range_ranks(&r), None);
        assert!(z.remove_range_by_score(&r).is_empty());
    }
    for r in [
        lr("[c", "[a"),
        lr("(b", "[b"),
        lr("+", "-"),
        lr("-", "-"),
        lr("(c", "+"),
    ] {
        assert_eq!(z.iter_range_by_lex(&r, true).count(), 0, "{r:?}");
        assert_eq!(z.count_in_lex_range(&r), 0);
        assert!(z.remove_range_by_lex(&r).is_empty());
    }
    assert_eq!(z.iter_range_by_rank(2, 1, false).count(), 0);
    assert_eq!(z.iter_range_by_rank(3, 10, false).count(), 0);
    assert_eq!(
        members(z.iter_range_by_rank(1, 99, false)),
        [&b"b"[..], b"c"]
    );
    assert_eq!(members(z.iter_range_by_rank(0, 1, true)), [&b"c"[..], b"b"]);
    assert!(z.remove_range_by_rank(5, 9).is_empty());
    assert!(z.remove_range_by_rank(2, 1).is_empty());
    assert_eq!(z.len(), 3);
    let empty = ZSet::new();
    assert_eq!(
        empty
            .iter_range_by_score(&sr("-inf", "+inf"), false)
            .count(),
        0
    );
    assert_eq!(empty.count_in_lex_range(&lr("-", "+")), 0);
    assert_eq!(empty.by_rank(0), None);
    assert_eq!(empty.random_member(), None);
    assert_eq!(empty.iter().next_back(), None);
    z.check();
}

#[test]
fn remove_last_element_and_reuse() {
    let mut z = zset(&[("only", 5.0)]);
    assert_eq!(z.remove(b"only"), Some(5.0));
    assert!(z.is_empty() && z.iter().next().is_none());
    assert_eq!(z.remove(b"only"), None);
    assert_eq!(z.pop_min(), None);
    assert_eq!(z.pop_max(), None);
    z.check();
    z.insert(b("x"), 1.0);
    z.insert(b("y"), 2.0);
    assert_eq!(z.pop_max(), Some((b("y"), 2.0)));
    assert_eq!(z.pop_min(), Some((b("x"), 1.0)));
    assert!(z.is_empty());
    z.check();
    for i in 0..100 {
        z.insert(Bytes::from(format!("m{i:03}")), f64::from(i % 7));
    }
    assert_eq!(z.remove_range_by_score(&sr("-inf", "+inf")).len(), 100);
    assert!(z.dict().is_empty());
    z.check();
}

#[test]
fn score_updates() {
    let mut z = zset(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]);
    assert_eq!(z.insert(b("b"), 2.0), Some(2.0));
    // Moves within its gap: same rank, new score.
    assert_eq!(z.insert(b("b"), 2.5), Some(2.0));
    assert_eq!((z.rank(b"b"), z.score(b"b")), (Some(1), Some(2.5)));
    // Ties with a neighbour: member order decides the side.
    assert_eq!(z.insert(b("b"), 3.0), Some(2.5));
    assert_eq!(members(z.iter()), [&b"a"[..], b"b", b"c"]);
    assert_eq!(z.insert(b("a"), 3.0), Some(1.0));
    assert_eq!(members(z.iter()), [&b"a"[..], b"b", b"c"]);
    assert_eq!(z.insert(b("c"), -1.0), Some(3.0));
    assert_eq!(members(z.iter()), [&b"c"[..], b"a", b"b"]);
    assert_eq!(z.insert(b("c"), f64::INFINITY), Some(-1.0));
    assert_eq!(z.rank(b"c"), Some(2));
    assert_eq!(z.len(), 3);
    z.check();
}

#[test]
fn limit_skips_jump_by_rank() {
    let mut z = ZSet::new();
    for i in 0..10_000 {
        z.insert(Bytes::from(format!("{i:05}")), f64::from(i / 10));
    }
    let r = sr("(100", "900");
    let asc: Vec<_> = z
        .iter_range_by_score(&r, false)
        .skip(5_000)
        .take(3)
        .map(|(m, _)| m.clone())
        .collect();
    assert_eq!(asc, [b("06010"), b("06011"), b("06012")]);
    let desc: Vec<_> = z
        .iter_range_by_score(&r, true)
        .skip(5_000)
        .take(2)
        .map(|(m, _)| m.clone())
        .collect();
    assert_eq!(desc, [b("04009"), b("04008")]);
    let mut it = z.iter_range_by_score(&r, false);
    assert_eq!(it.len(), 8_000);
    assert_eq!(it.nth(7_999).map(|(m, _)| m.clone()), Some(b("09009")));
    assert_eq!(it.next(), None);
    let mut it = z.iter();
    assert_eq!(it.nth_back(100).map(|(m, _)| m.clone()), Some(b("09899")));
    assert_eq!(it.nth(9_000).map(|(m, _)| m.clone()), Some(b("09000")));
    assert_eq!(it.len(), 898);
    assert_eq!(it.nth(10_000), None);
    assert_eq!(it.len(), 0);
    assert_eq!(z.by_rank(1234).map(|(m, _)| m.clone()), Some(b("01234")));
    assert_eq!(z.remove_range_by_rank(10, 9_989).len(), 9_980);
    assert_eq!(
        members(z.iter_range_by_rank(8, 11, false)),
        [&b"00008"[..], b"00009", b"09990", b"09991"]
    );
    z.check();
}

#[test]
fn clone_is_independent() {
    let mut a = zset(&[("a", 1.0), ("b", 2.0)]);
    let b2 = a.clone();
    a.insert(b("c"), 0.0);
    a.remove(b"a");
    assert_eq!(members(b2.iter()), [&b"a"[..], b"b"]);
    assert_eq!(members(a.iter()), [&b"c"[..], b"b"]);
    b2.check();
    a.check();
}

#[test]
fn random_member_and_mem_usage() {
    let mut z = ZSet::new();
    let base = z.mem_usage();
    for i in 0..50 {
        z.insert(Bytes::from(format!("member-{i}")), f64::from(i));
    }
    assert!(z.mem_usage() > base + 50 * 8);
    let mut seen = std::collections::HashSet::new();
    for _ in 0..2_000 {
        let (m, s) = z.random_member().expect("non-empty");
        assert_eq!(z.score(m), Some(s));
        seen.insert(m.clone());
    }
    assert_eq!(seen.len(), 50);
    assert_eq!(format!("{:?}", zset(&[("a", 1.0)])), "{b\"a\": 1.0}");
}

#[test]
fn scan_survives_concurrent_changes() {
    let mut rng = fastrand::Rng::with_seed(9);
    for round in 0..50 {
        let mut z = ZSet::new();
        for i in 0..300 {
            z.insert(Bytes::from(format!("k{i}")), f64::from(i));
        }
        // Members never removed during the scan must all be reported.
        let stable: Vec<Bytes> = z
            .iter()
            .map(|(m, _)| m.clone())
            .filter(|_| rng.bool())
            .collect();
        let (mut seen, mut cursor, mut calls) = (std::collections::HashSet::new(), 0, 0);
        loop {
            cursor = z.scan(cursor, rng.usize(..20), |m, s| {
                assert_eq!(z.score(m), Some(s));
                seen.insert(m.clone());
            });
            calls += 1;
            if cursor == 0 {
                break;
            }
            for _ in 0..rng.usize(..10) {
                if let Some((m, _)) = z.random_member().map(|(m, s)| (m.clone(), s)) {
                    if !stable.contains(&m) {
                        z.remove(&m);
                    }
                }
                if rng.u8(..4) == 0 {
                    z.insert(Bytes::from(format!("new{round}-{}", rng.u32(..))), 0.5);
                }
            }
        }
        assert!(calls > 5);
        for m in &stable {
            assert!(seen.contains(m), "{m:?} missed");
        }
    }
    assert_eq!(ZSet::new().scan(0, 10, |_, _| panic!("empty")), 0);
    let z = zset(&[("a", 1.0), ("b", 2.0)]);
    let mut n = 0;
    assert_eq!(z.scan(u64::MAX, 10, |_, _| n += 1), 0);
    assert_eq!(n, 2);
}

/// `cargo test --release -- --ignored --nocapture bench`
#[test]
#[ignore]
fn bench_million() {
    use std::time::Instant;
    let mut rng = fastrand::Rng::with_seed(7);
    let keys: Vec<Bytes> = (0..1_000_000)
        .map(|_| Bytes::from(format!("member:{}", rng.u64(..))))
        .collect();
    let mut z = ZSet::new();
    let t = Instant::now();
    for k in &keys {
        z.insert(k.clone(), rng.f64() * 1e6);
    }
    let insert = t.elapsed();
    let t = Instant::now();
    let mut sum = 0usize;
    for _ in 0..1_000_000 {
        sum = sum.wrapping_add(z.rank(&keys[rng.usize(..keys.len())]).unwrap_or(0));
    }
    let rank = t.elapsed();
    let t = Instant::now();
    for _ in 0..1_000_000 {
        sum = sum.wrapping_add(
            z.by_rank(rng.usize(..keys.len()))
                .map_or(0, |(m, _)| m.len()),
        );
    }
    let select = t.elapsed();
    let t = Instant::now();
    for k in &keys {
        z.insert(k.clone(), rng.f64() * 1e6);
    }
    let update = t.elapsed();
    eprintln!(
        "1M inserts {insert:?}, 1M rank {rank:?}, 1M by_rank {select:?}, 1M score updates {update:?}, mem_usage {} MB ({sum})",
        z.mem_usage() >> 20
    );
}

#[test]
fn set_score_updates_in_place() {
    let mut z = zset(&[("a", 1.0), ("b", 2.0), ("c", 3.0)]);
    assert_eq!(z.set_score(b"a", 5.0), Some(1.0));
    assert_eq!(z.set_score(b"x", 5.0), None);
    assert_eq!(z.len(), 3);
    assert_eq!(members(z.iter()), vec![&b"b"[..], b"c", b"a"]);
    assert_eq!(z.set_score(b"b", 2.0), Some(2.0));
    z.check();
}
