//! Expected values come from redis-server 7.0.15 (PFDEBUG DECODE, PFCOUNT,
//! GET of the same operations).

use super::*;

const MAX: usize = 3000;

fn hll_of(elements: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut h = empty();
    for e in elements {
        add(&mut h, e.as_bytes(), MAX).unwrap();
    }
    h
}

fn numbers(n: usize) -> Vec<u8> {
    hll_of((0..n).map(|i| i.to_string()))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A dense HLL with the given registers.
fn dense_with(regs: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut d = vec![0u8; DENSE_SIZE];
    d[..4].copy_from_slice(b"HYLL");
    for i in 0..REGISTERS {
        set_register(&mut d, i, regs(i));
    }
    d
}

#[test]
fn elements_hash_to_redis_registers() {
    // (element, register, run length), read from PFDEBUG DECODE.
    let cases: &[(&str, usize, u8)] = &[
        ("a", 12711, 2),
        ("b", 15780, 1),
        ("c", 8436, 1),
        ("foo", 7348, 5),
        ("", 5938, 2),
        ("hello", 9216, 1),
        ("12345678", 10579, 3),
        ("123456789", 9293, 2),
    ];
    for &(e, reg, run) in cases {
        assert_eq!(pattern(e.as_bytes()), (reg, run), "{e:?}");
    }
}

#[test]
fn empty_hll_is_one_xzero_with_a_valid_zero_cache() {
    let h = empty();
    assert_eq!(h, b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
    assert!(is_valid(&h));
    assert_eq!(cached_card(&h), Some(0));
    assert_eq!(count(&h), Ok(0));
    assert_eq!(decode(&h), "Z:16384");
}

#[test]
fn sparse_bytes_match_redis() {
    let h = numbers(20);
    let expect = hex(
        "48594c4c01000000000000000000008041ee8444118044108045228040f5884210\
         8044d48045719040db8043558043518c41108045248040928048ca8c43738042d7\
         8042128c40b88015844322",
    );
    assert_eq!(h, expect);
    assert_eq!(cached_card(&h), None);
}

#[test]
fn counts_match_redis() {
    for (n, card) in [
        (1, 1),
        (10, 10),
        (100, 100),
        (1000, 1001),
        (2000, 2007),
        (10_000, 9987),
        (100_000, 99_565),
        (1_000_000, 1_009_972),
    ] {
        let h = numbers(n);
        assert_eq!(count(&h), Ok(card), "n={n}");
        let sparse = h[4] == SPARSE;
        assert_eq!(sparse, n <= 1000, "encoding at n={n}");
    }
}

#[test]
fn sparse_and_dense_agree() {
    let sparse = numbers(700);
    assert_eq!(sparse[4], SPARSE);
    let mut dense = sparse.clone();
    assert_eq!(sparse_to_dense(&mut dense), Ok(true));
    assert_eq!(sparse_to_dense(&mut dense), Ok(false));
    assert_eq!(dense.len(), DENSE_SIZE);
    // The header (stale cache included) is carried over.
    assert_eq!(dense[5..16], sparse[5..16]);
    assert_eq!(count(&dense), count(&sparse));
    let (mut a, mut b) = (vec![0; REGISTERS], vec![0; REGISTERS]);
    merge(&mut a, &sparse).unwrap();
    merge(&mut b, &dense).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, dense_registers(&dense));
    assert_eq!(Ok(count_raw(&a)), count(&dense));
}

#[test]
fn adjacent_equal_values_merge_into_one_run() {
    let mut h = empty();
    assert_eq!(sparse_set(&mut h, 100, 3, MAX), Ok(true));
    assert_eq!(decode(&h), "Z:100 v:3,1 Z:16283");
    assert_eq!(sparse_set(&mut h, 101, 3, MAX), Ok(true));
    assert_eq!(decode(&h), "Z:100 v:3,2 Z:16282");
    assert_eq!(sparse_set(&mut h, 101, 2, MAX), Ok(false));
    assert_eq!(sparse_set(&mut h, 99, 3, MAX), Ok(true));
    assert_eq!(decode(&h), "Z:99 v:3,3 Z:16282");
    // Splitting a VAL run in the middle.
    assert_eq!(sparse_set(&mut h, 100, 7, MAX), Ok(true));
    assert_eq!(decode(&h), "Z:99 v:3,1 v:7,1 v:3,1 Z:16282");
    // Short zero runs use ZERO opcodes.
    assert_eq!(sparse_set(&mut h, 110, 1, MAX), Ok(true));
    assert_eq!(decode(&h), "Z:99 v:3,1 v:7,1 v:3,1 z:8 v:1,1 Z:16273");
}

#[test]
fn promotes_when_a_value_exceeds_32() {
    let mut h = empty();
    assert_eq!(sparse_set(&mut h, 5, 32, MAX), Ok(true));
    assert_eq!(h[4], SPARSE);
    assert_eq!(sparse_set(&mut h, 6, 33, MAX), Ok(true));
    assert_eq!(h[4], DENSE);
    let regs = dense_registers(&h);
    assert_eq!((regs[5], regs[6], regs[7]), (32, 33, 0));
}

#[test]
fn promotes_at_the_sparse_size_limit() {
    // Growing past the limit promotes; staying within it does not.
    let mut h = empty();
    assert_eq!(sparse_set(&mut h, 1000, 1, 21), Ok(true));
    assert_eq!(h.len(), 21);
    assert_eq!(h[4], SPARSE);
    assert_eq!(sparse_set(&mut h, 3000, 1, 21), Ok(true));
    assert_eq!(h[4], DENSE);
    // A change that does not grow the string stays sparse at any limit.
    let mut h = empty();
    sparse_set(&mut h, 0, 1, MAX).unwrap();
    assert_eq!(sparse_set(&mut h, 0, 2, 0), Ok(true));
    assert_eq!(h[4], SPARSE);

    let mut h = empty();
    let mut i = 0u64;
    while h[4] == SPARSE {
        assert!(h.len() <= MAX);
        add(&mut h, &i.to_le_bytes(), MAX).unwrap();
        i += 1;
    }
    assert!(i > 1000, "promoted after {i}");
}

#[test]
fn corrupt_sparse_bodies_are_detected() {
    let good = numbers(50);
    // Truncated: the runs stop short of the last register.
    assert_eq!(count(&good[..good.len() - 1]), Err(Corrupt));
    assert_eq!(count(&good[..HDR_SIZE]), Err(Corrupt));
    // Trailing opcodes past the last register.
    for extra in [0x80u8, 0x00, 0x40] {
        let mut bad = good.clone();
        bad.push(extra);
        assert_eq!(count(&bad), Err(Corrupt), "{extra:#x}");
        assert_eq!(merge(&mut [0; REGISTERS], &bad), Err(Corrupt));
        assert_eq!(sparse_to_dense(&mut bad.clone()), Err(Corrupt));
    }
    // Runs that overshoot the register count.
    let mut bad = empty();
    bad.extend_from_slice(&[0x80, 0x80]);
    assert_eq!(count(&bad), Err(Corrupt));
    // An index beyond the runs cannot be set.
    let mut short = empty();
    short.truncate(HDR_SIZE);
    short.extend_from_slice(&xzero_op(10));
    assert_eq!(sparse_set(&mut short, 100, 1, MAX), Err(Corrupt));
    assert_eq!(sparse_set(&mut short, 5, 1, MAX), Ok(true));
    assert_eq!(decode(&short), "z:5 v:1,1 z:4");
}

#[test]
fn validity_checks_header_only() {
    let mut h = empty();
    assert!(is_valid(&h));
    assert!(!is_valid(&h[..15]));
    h[0] = b'h';
    assert!(!is_valid(&h));
    let mut h = empty();
    h[4] = 2;
    assert!(!is_valid(&h));
    let mut d = dense_with(|_| 0);
    assert!(is_valid(&d));
    d.push(0);
    assert!(!is_valid(&d));
    // A sparse body is only checked when read.
    let mut s = empty();
    s.push(0xff);
    assert!(is_valid(&s));
}

#[test]
fn registers_round_trip_without_touching_neighbours() {
    let mut d = dense_with(|i| (i * 7 % 64) as u8);
    let regs = dense_registers(&d);
    assert!(regs
        .iter()
        .enumerate()
        .all(|(i, &r)| r == (i * 7 % 64) as u8));
    set_register(&mut d, REGISTERS - 1, 63);
    set_register(&mut d, 0, 0);
    let regs = dense_registers(&d);
    assert_eq!((regs[0], regs[1]), (0, 7));
    assert_eq!(regs[REGISTERS - 2], ((REGISTERS - 2) * 7 % 64) as u8);
    assert_eq!(regs[REGISTERS - 1], 63);
}

#[test]
fn estimator_edge_cases_match_redis() {
    assert_eq!(count(&dense_with(|_| 0)), Ok(0));
    // Registers at 51 go through tau(); values past 51 are ignored, and
    // overflowing estimates come out as 2^63 (as PFCOUNT shows them).
    let half = dense_with(|i| if i < 8000 { 51 } else { 0 });
    assert_eq!(count(&half), Ok(12712));
    assert_eq!(count(&dense_with(|_| 63)), Ok(1 << 63));
    assert_eq!(count(&dense_with(|_| 50)), Ok(1 << 63));
}

#[test]
fn cache_bits() {
    let mut h = empty();
    set_card(&mut h, 1234);
    assert_eq!(cached_card(&h), Some(1234));
    invalidate(&mut h);
    assert_eq!(cached_card(&h), None);
    assert_eq!(&h[8..16], &[0xd2, 0x04, 0, 0, 0, 0, 0, 0x80]);
}

#[test]
fn murmur_reads_blocks_little_endian() {
    // Same bytes, same hash; the tail bytes all take part.
    assert_ne!(murmur64a(b"12345678a", SEED), murmur64a(b"12345678b", SEED));
    assert_ne!(murmur64a(b"", SEED), murmur64a(b"", 0));
    assert_eq!(murmur64a(b"abc", SEED), murmur64a(b"abc", SEED));
}
