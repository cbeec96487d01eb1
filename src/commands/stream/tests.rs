//! Engine-level tests of the stream commands: RESP3 shapes and the blocked
//! reader re-runs, which the Python tests (RESP2, real threads) cannot
//! pin down exactly.

use super::*;
use crate::commands::test_support::{bulk, run};
use crate::engine::{ClientState, Config, Store};
use crate::resp::Frame;

fn entry(id: &str, kv: &[&str]) -> Frame {
    Frame::Array(vec![
        bulk(id),
        Frame::Array(kv.iter().map(|s| bulk(s)).collect()),
    ])
}

#[test]
fn xread_replies_with_a_map_in_resp3() {
    let mut store = Store::new(Config::default());
    let mut c = ClientState::new(0);
    run(&mut store, &mut c, "XADD s 1-0 a 1");
    c.resp3 = true;
    assert_eq!(
        run(&mut store, &mut c, "XREAD STREAMS s 0"),
        Frame::Map(vec![(
            bulk("s"),
            Frame::Array(vec![entry("1-0", &["a", "1"])])
        )])
    );
    c.resp3 = false;
    assert_eq!(
        run(&mut store, &mut c, "XREAD STREAMS s 0"),
        Frame::Array(vec![Frame::Array(vec![
            bulk("s"),
            Frame::Array(vec![entry("1-0", &["a", "1"])])
        ])])
    );
    assert_eq!(
        run(&mut store, &mut c, "XREAD STREAMS s $"),
        Frame::NullArray
    );
}

#[test]
fn blocked_reader_gets_only_the_stream_that_changed_with_default_count() {
    let mut store = Store::new(Config::default());
    let mut writer = ClientState::new(0);
    let mut reader = ClientState::new(0);
    run(&mut store, &mut writer, "XADD a 1-0 f 1");
    // `$` is resolved when blocking: entries added later are what it waits for.
    assert_eq!(
        run(&mut store, &mut reader, "XREAD BLOCK 0 STREAMS a b $ $"),
        Frame::Null
    );
    let blocked = reader.blocked.take().expect("the reader blocks");
    run(&mut store, &mut writer, "SET unrelated x");
    assert_eq!(blocked.slot.take(), None);
    run(&mut store, &mut writer, "MULTI");
    for i in 2..1502 {
        let cmd = format!("XADD a {i}-0 f {i}");
        run(&mut store, &mut writer, &cmd);
    }
    run(&mut store, &mut writer, "XADD b 1-0 f 1");
    run(&mut store, &mut writer, "EXEC");
    let Some(Frame::Array(streams)) = blocked.slot.take() else {
        panic!("the reader was served");
    };
    assert_eq!(streams.len(), 1);
    let Frame::Array(ref pair) = streams[0] else {
        panic!("a [key, entries] pair");
    };
    assert_eq!(pair[0], bulk("a"));
    assert!(matches!(&pair[1], Frame::Array(e) if e.len() == 1000));
    assert!(store.blocking.is_empty());
}

#[test]
fn blocked_group_readers_see_later_waiters_and_errors() {
    let mut store = Store::new(Config::default());
    let mut w = ClientState::new(0);
    run(&mut store, &mut w, "XGROUP CREATE s g $ MKSTREAM");
    run(&mut store, &mut w, "XGROUP CREATE s ahead 100-0");
    let mut first = ClientState::new(0);
    let mut second = ClientState::new(0);
    let mut third = ClientState::new(0);
    run(
        &mut store,
        &mut first,
        "XREADGROUP GROUP ahead c BLOCK 0 STREAMS s >",
    );
    run(
        &mut store,
        &mut second,
        "XREADGROUP GROUP g c COUNT 1 BLOCK 0 STREAMS s >",
    );
    run(
        &mut store,
        &mut third,
        "XREADGROUP GROUP g d BLOCK 0 STREAMS s >",
    );
    let (b1, b2, b3) = (
        first.blocked.take().expect("blocks"),
        second.blocked.take().expect("blocks"),
        third.blocked.take().expect("blocks"),
    );
    // The oldest waiter cannot be served (its group is ahead); the next
    // one still is, and only one of the same group gets the single entry.
    run(&mut store, &mut w, "XADD s 5-0 f v");
    assert_eq!(b1.slot.take(), None);
    assert_eq!(
        b2.slot.take(),
        Some(Frame::Array(vec![Frame::Array(vec![
            bulk("s"),
            Frame::Array(vec![entry("5-0", &["f", "v"])])
        ])]))
    );
    assert_eq!(b3.slot.take(), None);
    run(&mut store, &mut w, "XGROUP DESTROY s g");
    assert_eq!(
        b3.slot.take(),
        Some(Frame::error(
            "NOGROUP the consumer group this client was blocked on no longer exists"
        ))
    );
    run(&mut store, &mut w, "SET s overwritten");
    assert_eq!(
        b1.slot.take(),
        Some(Frame::error("UNBLOCKED the stream key no longer exists"))
    );
    assert!(store.blocking.is_empty());
}

fn id(s: &str) -> Result<StreamId, Error> {
    parse_id(s.as_bytes())
}

#[test]
fn ids_parse_like_string2ull() {
    assert_eq!(id("5"), Ok(StreamId::new(5, 0)));
    assert_eq!(id("5-3"), Ok(StreamId::new(5, 3)));
    assert_eq!(id(" 5-+3"), Ok(StreamId::new(5, 3)));
    assert_eq!(id("05-007"), Ok(StreamId::new(5, 7)));
    assert_eq!(id("1--01"), Ok(StreamId::new(1, u64::MAX)));
    assert!(id("1--1").is_err());
    assert!(id("-").is_err());
    assert!(id("").is_err());
    assert!(id("5-").is_err());
    assert!(id("5 ").is_err());
    assert!(id("18446744073709551616").is_err());
    assert_eq!(id("18446744073709551615-1"), Ok(StreamId::new(u64::MAX, 1)));
    assert_eq!(id("7\0junk"), Ok(StreamId::new(7, 0)));
    let star = IdRules {
        seq_star: true,
        ..STRICT
    };
    assert_eq!(
        parse_id_with(b"9-*", star),
        Ok((StreamId::new(9, 0), false))
    );
    assert!(parse_id_with(b"9-*", STRICT).is_err());
}

#[test]
fn intervals() {
    assert_eq!(range_start(b"-"), Ok(StreamId::ZERO));
    assert_eq!(range_end(b"+"), Ok(StreamId::MAX));
    assert_eq!(range_end(b"5"), Ok(StreamId::new(5, u64::MAX)));
    assert_eq!(range_start(b"(5-1"), Ok(StreamId::new(5, 2)));
    assert_eq!(range_end(b"(5-0"), Ok(StreamId::new(4, u64::MAX)));
    assert!(range_end(b"(0-0").is_err());
    assert!(range_start(b"(-").is_err());
    assert!(range_start(b"(").is_err());
}

#[test]
fn xread_key_positions() {
    let argv: Vec<&[u8]> = vec![b"XREAD", b"COUNT", b"2", b"STREAMS", b"a", b"b", b"0", b"0"];
    assert_eq!(xread_keys(&argv), vec![4, 5]);
    let argv: Vec<&[u8]> = vec![
        b"XREADGROUP",
        b"GROUP",
        b"streams",
        b"c",
        b"STREAMS",
        b"k",
        b">",
    ];
    assert_eq!(xread_keys(&argv), vec![5]);
    let argv: Vec<&[u8]> = vec![b"XREAD", b"STREAMS", b"k"];
    assert!(xread_keys(&argv).is_empty());
}
