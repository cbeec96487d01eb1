//! Keyspace events, WATCH signals and encodings of the bitmap and geo
//! commands, checked against what redis-server 7.0 emits.

use crate::commands::test_support::{argv, Harness};
use crate::resp::Frame;

const NONE: [&str; 0] = [];

#[test]
fn bitmap_events_match_redis() {
    let mut h = Harness::keyevents();
    assert_eq!(h.events("SETBIT b 3 1"), ["new:b", "setbit:b"]);
    assert_eq!(h.events("SETBIT b 3 1"), NONE);
    assert_eq!(h.events("SETBIT b 3 0"), ["setbit:b"]);
    // Growing the string counts as a change even when the bit stays 0.
    assert_eq!(h.events("SETBIT b 30 0"), ["setbit:b"]);
    // A refused write still creates the key (Redis pads it first).
    assert_eq!(h.events("BITFIELD nf OVERFLOW FAIL SET u1 0 5"), ["new:nf"]);
    assert_eq!(h.events("BITFIELD nf SET u1 0 0"), NONE);
    assert_eq!(h.events("BITFIELD nf SET u1 0 1 SET u1 1 1"), ["setbit:nf"]);
    assert_eq!(h.events("BITFIELD nf GET u8 0"), NONE);
    assert_eq!(h.events("BITOP OR d b"), ["new:d", "set:d"]);
    assert_eq!(h.events("BITOP OR d b"), ["set:d"]);
    assert_eq!(h.events("BITOP OR d nokey"), ["del:d"]);
    assert_eq!(h.events("BITOP OR d nokey"), NONE);
}

#[test]
fn bit_writes_leave_raw_strings() {
    let mut h = Harness::keyevents();
    h.run("SET n 123");
    assert_eq!(h.encoding("n"), "int");
    // Unshared for editing even though no bit changes.
    h.run("SETBIT n 0 0");
    assert_eq!(h.encoding("n"), "raw");
    h.run("SET e abc");
    h.run("BITFIELD e GET u8 0");
    assert_eq!(h.encoding("e"), "embstr");
    h.run("BITFIELD e OVERFLOW FAIL SET u1 0 3");
    assert_eq!(h.encoding("e"), "raw");
    h.run("SET x 1");
    h.run("BITOP AND d x");
    assert_eq!(h.encoding("d"), "raw");
    assert_eq!(h.run("GET d"), Frame::bulk(b"1"));
}

#[test]
fn geo_events_match_redis() {
    let mut h = Harness::keyevents();
    // GEOADD runs ZADD, so the events are ZADD's (Redis also sends `new`
    // first when the key is created; that is ZADD's business).
    assert_eq!(
        h.events("GEOADD g 1 1 a").last().map(String::as_str),
        Some("zadd:g")
    );
    assert_eq!(h.events("GEOADD g 1 1 a"), NONE);
    assert_eq!(h.events("GEOADD g 2 1 a"), ["zadd:g"]);
    let store = "GEOSEARCHSTORE s g FROMLONLAT 1 1 BYRADIUS 1000 km";
    assert_eq!(h.events(store), ["new:s", "geosearchstore:s"]);
    assert_eq!(h.events(store), ["geosearchstore:s"]);
    assert_eq!(
        h.events("GEOSEARCHSTORE s g FROMLONLAT 50 1 BYRADIUS 1 km"),
        ["del:s"]
    );
    assert_eq!(
        h.events("GEORADIUS g 1 1 1000 km STORE s2"),
        ["new:s2", "georadiusstore:s2"]
    );
    assert_eq!(
        h.events("GEORADIUS nokey 1 1 1000 km STOREDIST s2"),
        ["del:s2"]
    );
    assert_eq!(h.events("GEOSEARCH g FROMLONLAT 1 1 BYRADIUS 1 km"), NONE);
}

#[test]
fn store_encodings_follow_size() {
    let mut h = Harness::keyevents();
    h.run("GEOADD g 1 1 a 1.1 1.1 b");
    h.run("GEOSEARCHSTORE s g FROMLONLAT 1 1 BYRADIUS 1000 km");
    assert_eq!(h.encoding("s"), "listpack");
    h.run("CONFIG SET zset-max-listpack-entries 1");
    h.run("GEOSEARCHSTORE s g FROMLONLAT 1 1 BYRADIUS 1000 km STOREDIST");
    assert_eq!(h.encoding("s"), "skiplist");
}

#[test]
fn georadius_keys_include_the_store_target() {
    let cmd = crate::commands::lookup(b"georadius").unwrap();
    let args = argv("GEORADIUS src 1 1 1 km STORE a STOREDIST b COUNT 1");
    assert_eq!(cmd.key_indexes(&args), [1, 9]);
    let args = argv("GEORADIUSBYMEMBER src m 1 km STORE");
    let cmd = crate::commands::lookup(b"georadiusbymember").unwrap();
    assert_eq!(cmd.key_indexes(&args), [1]);
}
