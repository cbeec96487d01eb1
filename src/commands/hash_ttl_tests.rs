//! Hash-field expiration through the dispatcher, with fields made
//! "expired but not yet reclaimed" by hand (no sweeper runs here), so lazy
//! expiry is observed deterministically.

use super::super::test_support::{bulk, Harness};
use crate::engine::notify;
use crate::engine::value::Hash;
use crate::engine::Now;
use crate::resp::Frame;

fn ints(v: &[i64]) -> Frame {
    Frame::Array(v.iter().map(|&n| Frame::Integer(n)).collect())
}

/// Gives `fields` of hash `key` a deadline long past, as if their TTL ran
/// out while nobody looked.
fn lapse(h: &mut Harness, key: &str, fields: &[&str]) {
    let cell = std::cell::Cell::new(1);
    let db = &mut h.store.dbs[0];
    let hash = db
        .get_mut::<Hash>(key.as_bytes(), Now::new(&cell))
        .expect("a hash")
        .expect("present");
    for f in fields {
        hash.set_field_ttl(f.as_bytes(), 1);
    }
    db.hfe_sync(key.as_bytes());
}

fn harness() -> Harness {
    Harness::listening(notify::ALL | notify::KEYEVENT, b"__keyevent@0__:*")
}

#[test]
fn hlen_counts_lapsed_fields_until_a_read_reclaims_them() {
    let mut h = harness();
    h.run("HSET h f1 v1 f2 v2 f3 v3");
    lapse(&mut h, "h", &["f1", "f2", "f3"]);
    assert_eq!(h.run("EXISTS h"), Frame::Integer(1));
    assert_eq!(h.run("HLEN h"), Frame::Integer(3));
    assert_eq!(h.run("HEXISTS h f1"), Frame::Integer(0));
    assert_eq!(h.run("HLEN h"), Frame::Integer(2));
    h.take_events();
    assert_eq!(h.run("HGET h f2"), Frame::Null);
    assert_eq!(h.take_events(), ["hexpired:h"]);
    assert_eq!(h.run("HLEN h"), Frame::Integer(1));
    assert_eq!(h.run("HSTRLEN h f3"), Frame::Integer(0));
    assert_eq!(h.take_events(), ["hexpired:h", "del:h"]);
    assert_eq!(h.run("EXISTS h"), Frame::Integer(0));
}

#[test]
fn iteration_skips_lapsed_fields_without_reclaiming() {
    let mut h = harness();
    h.run("HSET h f1 v1 f2 v2 f3 v3");
    lapse(&mut h, "h", &["f2"]);
    h.take_events();
    let all = h.run("HGETALL h");
    assert_eq!(
        all,
        Frame::Map(vec![(bulk("f1"), bulk("v1")), (bulk("f3"), bulk("v3"))])
    );
    assert_eq!(h.run("HKEYS h"), Frame::Array(vec![bulk("f1"), bulk("f3")]));
    assert_eq!(h.run("HVALS h"), Frame::Array(vec![bulk("v1"), bulk("v3")]));
    assert!(h.take_events().is_empty());
    assert_eq!(h.run("HLEN h"), Frame::Integer(3));
    assert_eq!(h.run("HTTL h FIELDS 3 f1 f2 nofield"), ints(&[-1, -2, -2]));
    assert_eq!(h.run("HPERSIST h FIELDS 1 f2"), ints(&[-2]));
    // HMGET reports one `hexpired` for all it reclaimed.
    h.take_events();
    assert_eq!(
        h.run("HMGET h f1 f2 f3"),
        Frame::Array(vec![bulk("v1"), Frame::Null, bulk("v3")])
    );
    assert_eq!(h.take_events(), ["hexpired:h"]);
    assert_eq!(h.run("HLEN h"), Frame::Integer(2));
}

#[test]
fn hrandfield_reclaims_every_lapsed_field_first() {
    let mut h = harness();
    h.run("HSET h f1 v1 f2 v2 f3 v3 f4 v4 f5 v5");
    lapse(&mut h, "h", &["f1", "f2"]);
    h.take_events();
    let Frame::Array(got) = h.run("HRANDFIELD h 5") else {
        panic!("array")
    };
    assert_eq!(got.len(), 3);
    assert_eq!(h.take_events(), ["hexpired:h"]);
    lapse(&mut h, "h", &["f3", "f4", "f5"]);
    assert_eq!(h.run("HRANDFIELD h"), Frame::Null);
    assert_eq!(h.take_events(), ["hexpired:h", "del:h"]);
}

#[test]
fn writes_treat_lapsed_fields_as_gone() {
    let mut h = harness();
    h.run("HSET h n 10 s x keep 1");
    lapse(&mut h, "h", &["n", "s"]);
    h.take_events();
    assert_eq!(h.run("HINCRBY h n 5"), Frame::Integer(5));
    assert_eq!(h.take_events(), ["hexpired:h", "hincrby:h"]);
    assert_eq!(h.run("HSETNX h s y"), Frame::Integer(1));
    assert_eq!(h.run("HTTL h FIELDS 2 n s"), ints(&[-1, -1]));
    lapse(&mut h, "h", &["keep"]);
    assert_eq!(h.run("HEXPIRE h 100 FIELDS 1 keep"), ints(&[-2]));
    assert_eq!(
        h.run("HGETDEL h FIELDS 2 n keep"),
        Frame::Array(vec![bulk("5"), Frame::Null])
    );
    lapse(&mut h, "h", &["s"]);
    h.take_events();
    assert_eq!(
        h.run("HGETEX h EX 100 FIELDS 1 s"),
        Frame::Array(vec![Frame::Null])
    );
    assert_eq!(h.take_events(), ["hexpired:h", "del:h"]);
}

#[test]
fn hsetex_conditions_see_lapsed_fields_as_missing() {
    let mut h = harness();
    h.run("HSET h a 1 b 2");
    lapse(&mut h, "h", &["a"]);
    assert_eq!(h.run("HSETEX h FXX FIELDS 2 a 9 b 9"), Frame::Integer(0));
    // The check reclaimed `a`; FNX on it now succeeds.
    assert_eq!(
        h.run("HSETEX h FNX PX 100000 FIELDS 1 a 3"),
        Frame::Integer(1)
    );
    h.take_events();
    assert_eq!(h.run("HSETEX h KEEPTTL FIELDS 1 a 4"), Frame::Integer(1));
    assert_eq!(h.take_events(), ["hset:h"]);
    let Frame::Array(ttl) = h.run("HPTTL h FIELDS 1 a") else {
        panic!("array")
    };
    assert!(matches!(ttl[0], Frame::Integer(ms) if ms > 90_000));
}

#[test]
fn events_and_dirty_counts() {
    let mut h = harness();
    h.run("HSET h a 1 b 2 c 3");
    assert_eq!(
        h.events_and_dirty("HEXPIRE h 100 FIELDS 3 a b zz"),
        (vec!["hexpire:h".to_string()], 2)
    );
    assert_eq!(
        h.events_and_dirty("HEXPIRE h 100 NX FIELDS 1 a"),
        (vec![], 0)
    );
    assert_eq!(
        h.events_and_dirty("HPEXPIRE h 0 FIELDS 2 a c"),
        (vec!["hdel:h".to_string()], 2)
    );
    assert_eq!(
        h.events_and_dirty("HPERSIST h FIELDS 1 b"),
        (vec!["hpersist:h".to_string()], 1)
    );
    assert_eq!(
        h.events_and_dirty("HEXPIREAT h 1 FIELDS 1 b"),
        (vec!["hdel:h".to_string(), "del:h".to_string()], 1)
    );
    assert_eq!(h.run("EXISTS h"), Frame::Integer(0));
}
