//! Engine-level tests for the sorted set commands: RESP3 reply shapes,
//! encodings and the key table, which the Python tests cannot all see.

use crate::commands::lookup;
use crate::commands::test_support::{argv, bulk, Harness};
use crate::engine::value::SortedSet;
use crate::engine::Now;
use crate::resp::Frame;

/// A copy of the sorted set under `key`.
fn zset(f: &mut Harness, key: &str) -> SortedSet {
    // Keys here have no TTL, so any clock reading will do.
    let cell = std::cell::Cell::new(1);
    let found = f.store.dbs[0].get::<SortedSet>(key.as_bytes(), Now::new(&cell));
    found
        .ok()
        .flatten()
        .cloned()
        .unwrap_or_else(|| panic!("{key} is not a sorted set"))
}

fn pair(m: &str, s: f64) -> Frame {
    Frame::Array(vec![bulk(m), Frame::Double(s)])
}

#[test]
fn resp3_nests_withscores_pairs() {
    let mut f = Harness::resp3();
    f.run("ZADD z 1 a 2 b");
    let nested = Frame::Array(vec![pair("a", 1.0), pair("b", 2.0)]);
    assert_eq!(f.run("ZRANGE z 0 -1 WITHSCORES"), nested);
    assert_eq!(f.run("ZRANGEBYSCORE z -inf +inf WITHSCORES"), nested);
    assert_eq!(f.run("ZUNION 1 z WITHSCORES"), nested);
    assert_eq!(f.run("ZDIFF 1 z WITHSCORES"), nested);
    assert_eq!(
        f.run("ZRANDMEMBER z 5 WITHSCORES"),
        Frame::Array(vec![pair("b", 2.0), pair("a", 1.0)])
    );
    // ZPOPMIN nests only when a count was given.
    assert_eq!(
        f.run("ZPOPMIN z"),
        Frame::Array(vec![bulk("a"), Frame::Double(1.0)])
    );
    assert_eq!(f.run("ZPOPMAX z 1"), Frame::Array(vec![pair("b", 2.0)]));
    f.run("ZADD z 3 c");
    assert_eq!(
        f.run("ZMPOP 1 z MIN"),
        Frame::Array(vec![bulk("z"), Frame::Array(vec![pair("c", 3.0)])])
    );
    assert_eq!(f.run("ZMPOP 1 z MIN"), Frame::NullArray);
}

#[test]
fn resp2_flattens_pairs() {
    let mut f = Harness::new();
    f.run("ZADD z 1 a 2 b");
    let flat = Frame::Array(vec![
        bulk("a"),
        Frame::Double(1.0),
        bulk("b"),
        Frame::Double(2.0),
    ]);
    assert_eq!(f.run("ZRANGE z 0 -1 WITHSCORES"), flat);
    assert_eq!(f.run("ZINTER 1 z WITHSCORES"), flat);
    assert_eq!(
        f.run("ZPOPMIN z 1"),
        Frame::Array(vec![bulk("a"), Frame::Double(1.0)])
    );
    // ZSCAN scores are bulk strings whatever the protocol.
    assert_eq!(
        f.run("ZSCAN z 0"),
        Frame::Array(vec![bulk("0"), Frame::Array(vec![bulk("b"), bulk("2")])])
    );
}

#[test]
fn encodings_follow_listpack_limits() {
    let mut f = Harness::new();
    let many: Vec<String> = (0..128).map(|i| format!("{i} m{i}")).collect();
    f.run(&format!("ZADD z {}", many.join(" ")));
    assert!(zset(&mut f, "z").listpack);
    f.run("ZADD z 0 another");
    assert!(!zset(&mut f, "z").listpack);
    f.run("ZREMRANGEBYRANK z 0 -3");
    assert!(
        !zset(&mut f, "z").listpack,
        "Redis never converts back on removal"
    );
    f.run(&format!("ZADD long 1 {}", "x".repeat(65)));
    assert!(!zset(&mut f, "long").listpack);
    f.run(&format!("ZADD edge 1 {}", "x".repeat(64)));
    assert!(zset(&mut f, "edge").listpack);
    // Store results are converted to a listpack when small enough.
    f.run("ZUNIONSTORE u 1 z");
    assert!(zset(&mut f, "u").listpack);
    f.run("ZRANGESTORE r z 0 -1");
    assert!(zset(&mut f, "r").listpack);
    f.store.config.zset_max_listpack_entries = 1;
    f.run("ZRANGESTORE r z 0 -1");
    assert!(!zset(&mut f, "r").listpack);
    f.run("ZRANGESTORE r z -inf +inf BYSCORE");
    assert!(!zset(&mut f, "r").listpack);
    f.run("ZINTERSTORE i 2 z z");
    assert!(!zset(&mut f, "i").listpack);
    f.store.config.zset_max_listpack_entries = 0;
    f.run("ZADD zero 1 a");
    assert!(!zset(&mut f, "zero").listpack);
}

#[test]
fn negative_zero_depends_on_encoding() {
    let mut f = Harness::new();
    f.run("ZADD small -0 a");
    assert_eq!(
        zset(&mut f, "small").zset.score(b"a").map(f64::to_bits),
        Some(0.0f64.to_bits())
    );
    f.store.config.zset_max_listpack_entries = 0;
    f.run("ZADD big -0 a");
    assert_eq!(
        zset(&mut f, "big").zset.score(b"a").map(f64::to_bits),
        Some((-0.0f64).to_bits())
    );
    // ZRANGESTORE into a skiplist keeps the sign; the union store result
    // of a single small input is a listpack again (limits restored).
    f.run("ZRANGESTORE dst big 0 -1");
    assert_eq!(f.run("ZSCORE dst a"), Frame::Double(-0.0));
    f.store.config.zset_max_listpack_entries = 128;
    f.run("ZUNIONSTORE u 1 big");
    assert!(zset(&mut f, "u").listpack);
    assert_eq!(
        zset(&mut f, "u").zset.score(b"a").map(f64::to_bits),
        Some(0.0f64.to_bits())
    );
}

#[test]
fn key_positions() {
    let keys = |cmd: &str| {
        let argv = argv(cmd);
        lookup(argv[0])
            .map(|c| c.key_indexes(&argv))
            .unwrap_or_default()
    };
    assert_eq!(keys("ZUNIONSTORE d 2 a b WEIGHTS 1 2"), vec![1, 3, 4]);
    assert_eq!(keys("ZDIFFSTORE d 0"), vec![1]);
    assert_eq!(keys("ZINTER 2 a b WITHSCORES"), vec![2, 3]);
    assert_eq!(keys("ZMPOP 1 a MIN"), vec![2]);
    assert_eq!(keys("ZUNION 5 a"), Vec::<usize>::new());
    assert_eq!(keys("ZRANGESTORE d s 0 -1"), vec![1, 2]);
    assert_eq!(keys("ZADD z 1 a"), vec![1]);
}

#[test]
fn huge_arguments_do_not_panic() {
    let mut f = Harness::new();
    f.run("ZADD z 1 a 2 b 3 c");
    for cmd in [
        "ZRANGE z -9223372036854775808 9223372036854775807",
        "ZRANGE z 0 -1 BYSCORE LIMIT 9223372036854775807 9223372036854775807",
        "ZRANGE z - + BYLEX REV LIMIT 9223372036854775807 -9223372036854775808",
        "ZREMRANGEBYRANK z -9223372036854775808 -9223372036854775808",
        "ZPOPMIN z 9223372036854775807",
        "ZMPOP 9223372036854775807 z MIN",
        "ZUNION 9223372036854775807 z",
        "ZSCAN z 18446744073709551615 COUNT 9223372036854775807",
    ] {
        let _ = f.run(cmd);
    }
    assert_eq!(f.run("ZCARD z"), Frame::Integer(0));
}

#[test]
fn keyspace_events_match_redis() {
    let flags = crate::engine::notify::parse_flags(b"KEA").unwrap_or(0);
    let mut f = Harness::listening(flags, b"__keyspace@0__:*");
    for cmd in [
        "ZADD z 1 a 2 b",
        "ZADD z 1 a",
        "ZINCRBY z 1 a",
        "ZADD z XX 5 nosuch",
        "ZREM z nosuch",
        "ZREM z a",
        "ZPOPMIN z 0",
        "ZUNIONSTORE u 1 z",
        "ZINTERSTORE u 1 missing",
        "ZINTERSTORE u 1 missing",
        "ZRANGESTORE r z 0 -1",
        "ZREMRANGEBYSCORE z -inf +inf",
        "ZADD p 1 a 2 b",
        "ZMPOP 1 p MAX COUNT 5",
        "ZDIFFSTORE r 1 missing",
    ] {
        f.run(cmd);
    }
    // What redis-server 7.0 publishes for the same sequence.
    let expected = [
        ("z", "zadd"),
        ("z", "zincr"),
        ("z", "zrem"),
        ("u", "zunionstore"),
        ("u", "del"),
        ("r", "zrangestore"),
        ("z", "zremrangebyscore"),
        ("z", "del"),
        ("p", "zadd"),
        ("p", "zpopmax"),
        ("p", "del"),
        ("r", "del"),
    ];
    let got = f.take_pairs();
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(k, e)| (k.to_string(), e.to_string()))
        .collect();
    assert_eq!(got, want);
}
