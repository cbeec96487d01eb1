//! Stream objects: exact bytes against a redis-server payload, round trips
//! through the node layout, and corrupt input.

use bytes::Bytes;

use super::rdb::{self, types, Reader};
use super::*;
use crate::engine::stream::{
    Group, NewId, NodeLimits, RefPolicy, Stream, StreamId, Trim, TrimBy, INVALID_ENTRIES_READ,
};

fn add(s: &mut Stream, ms: u64, seq: u64, pairs: &[&str], limits: NodeLimits) {
    let pairs: Vec<&[u8]> = pairs.iter().map(|p| p.as_bytes()).collect();
    s.add(NewId::Exact(StreamId::new(ms, seq)), &pairs, 0, limits)
        .expect("increasing ids");
}

/// `XADD s 1-1 a 1 b hello`, `XADD s 1-2 a 2 b x`, `XADD s 2-0 c 3`,
/// `XDEL s 1-2`, `XGROUP CREATE s g 0`, then DUMP s on redis-server 7.0.15.
const REDIS_PAYLOAD: [u8; 122] = [
    0x13, 0x1, 0x10, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x1, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0, 0x0,
    0x1, 0x40, 0x43, 0x43, 0x0, 0x0, 0x0, 0x19, 0x0, 0x2, 0x1, 0x1, 0x1, 0x2, 0x1, 0x81, 0x61, 0x2,
    0x81, 0x62, 0x2, 0x0, 0x1, 0x2, 0x1, 0x0, 0x1, 0x0, 0x1, 0x1, 0x1, 0x85, 0x68, 0x65, 0x6c,
    0x6c, 0x6f, 0x6, 0x5, 0x1, 0x3, 0x1, 0x0, 0x1, 0x1, 0x1, 0x2, 0x1, 0x81, 0x78, 0x2, 0x5, 0x1,
    0x0, 0x1, 0x1, 0x1, 0xdf, 0xff, 0x2, 0x1, 0x1, 0x81, 0x63, 0x2, 0x3, 0x1, 0x6, 0x1, 0xff, 0x2,
    0x2, 0x0, 0x1, 0x1, 0x1, 0x2, 0x3, 0x1, 0x1, 0x67, 0x0, 0x0, 0x81, 0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0x0, 0x0, 0xa, 0x0, 0xd, 0xb8, 0x4d, 0xb, 0x22, 0xc3, 0x56, 0x6,
];

fn redis_history() -> Stream {
    let l = NodeLimits::default();
    let mut s = Stream::new();
    add(&mut s, 1, 1, &["a", "1", "b", "hello"], l);
    add(&mut s, 1, 2, &["a", "2", "b", "x"], l);
    add(&mut s, 2, 0, &["c", "3"], l);
    s.delete(&[StreamId::new(1, 2)]);
    s.groups.insert(
        Bytes::from_static(b"g"),
        Group::new(StreamId::ZERO, INVALID_ENTRIES_READ),
    );
    s
}

#[test]
fn dump_matches_redis_byte_for_byte() {
    let v = Value::Stream(Box::new(redis_history()));
    assert_eq!(dump_payload(&v, &SaveOptions::default()), REDIS_PAYLOAD);
}

#[test]
fn redis_payload_loads_and_dumps_back_identically() {
    assert!(payload_footer_ok(&REDIS_PAYLOAD));
    let v = load_payload(&REDIS_PAYLOAD, &LoadOptions::default()).expect("valid");
    let Value::Stream(s) = &v else {
        panic!("not a stream")
    };
    assert_eq!(s.len(), 2);
    assert_eq!(s.max_deleted, StreamId::new(1, 2));
    assert_eq!(s.groups[b"g".as_slice()].entries_read, INVALID_ENTRIES_READ);
    assert_eq!(dump_payload(&v, &SaveOptions::default()), REDIS_PAYLOAD);
}

/// A stream with several nodes, tombstones, trimming and consumer groups.
fn busy_stream() -> Stream {
    let limits = NodeLimits::new(300, 7);
    let mut s = Stream::new();
    for i in 1..=60u64 {
        let v = format!("value-{i}");
        let pairs: Vec<&str> = match i % 4 {
            0 => vec!["f", &v],
            1 => vec!["f", &v, "g", "12"],
            2 => vec!["other", "-5000", "f", &v],
            _ => vec!["f", "x"],
        };
        add(&mut s, i, i % 3, &pairs, limits);
    }
    s.delete(&[
        StreamId::new(9, 0),
        StreamId::new(30, 0),
        StreamId::new(31, 1),
    ]);
    s.trim(Trim {
        by: TrimBy::MaxLen(50),
        approx: false,
        limit: 0,
        policy: RefPolicy::KeepRef,
    });
    let mut g = Group::new(StreamId::new(20, 2), 17);
    g.create_consumer(b"alice", 1_700_000_000_000);
    g.create_consumer(b"idle", -3);
    let alice = Bytes::from_static(b"alice");
    g.deliver(StreamId::new(12, 0), &alice, 1_700_000_000_123);
    g.deliver(StreamId::new(9, 0), &alice, 5);
    s.groups.insert(Bytes::from_static(b"12345"), g);
    s.groups.insert(
        Bytes::from_static(b""),
        Group::new(StreamId::MAX, INVALID_ENTRIES_READ),
    );
    s
}

fn entries(s: &Stream) -> Vec<(StreamId, Vec<Bytes>)> {
    s.range(StreamId::ZERO, StreamId::MAX, false)
        .map(|(id, f)| (id, f.to_vec()))
        .collect()
}

#[test]
fn busy_stream_round_trips() {
    let s = busy_stream();
    assert!(s.rax_keys() > 5);
    let v = Value::Stream(Box::new(s.clone()));
    let p = dump_payload(&v, &SaveOptions::default());
    let back = load_payload(&p, &LoadOptions::default()).expect("valid");
    let Value::Stream(t) = &back else {
        panic!("not a stream")
    };
    assert_eq!(entries(t), entries(&s));
    assert_eq!(t.rax_keys(), s.rax_keys());
    assert_eq!(
        (t.last_id, t.first_id, t.max_deleted, t.entries_added),
        (s.last_id, s.first_id, s.max_deleted, s.entries_added)
    );
    let g = &t.groups[b"12345".as_slice()];
    assert_eq!((g.last_id, g.entries_read), (StreamId::new(20, 2), 17));
    assert_eq!(g.pel[&StreamId::new(9, 0)].consumer.as_ref(), b"alice");
    assert_eq!(g.consumers[b"idle".as_slice()].seen_time, -3);
    assert_eq!(dump_payload(&back, &SaveOptions::default()), p);
    // Without compression the bytes differ but the value does not.
    let plain = SaveOptions {
        compression: false,
        ..SaveOptions::default()
    };
    let p2 = dump_payload(&v, &plain);
    let again = load_payload(&p2, &LoadOptions::default()).expect("valid");
    assert_eq!(dump_payload(&again, &SaveOptions::default()), p);
}

#[test]
fn restored_nodes_keep_filling_like_the_original() {
    let limits = NodeLimits::new(300, 7);
    let mut a = busy_stream();
    let v = Value::Stream(Box::new(a.clone()));
    let p = dump_payload(&v, &SaveOptions::default());
    let Ok(Value::Stream(mut b)) = load_payload(&p, &LoadOptions::default()) else {
        panic!("not a stream")
    };
    for s in [&mut a, &mut *b] {
        for i in 0..20 {
            add(s, 100, i, &["f", "more"], limits);
        }
        s.delete(&[StreamId::new(100, 3)]);
    }
    let (pa, pb) = (
        dump_payload(&Value::Stream(Box::new(a)), &SaveOptions::default()),
        dump_payload(&Value::Stream(b), &SaveOptions::default()),
    );
    assert_eq!(pa, pb);
}

/// The body of an object: its payload without the footer.
fn body(p: &[u8]) -> &[u8] {
    &p[..p.len() - 10]
}

fn load_body(b: &[u8]) -> Result<Value, LoadError> {
    let mut r = Reader::new(b);
    let t = r.read_u8()?;
    rdb::load_object(&mut r, t, &LoadOptions::default())
}

#[test]
fn corrupt_stream_bodies_never_panic() {
    let v = Value::Stream(Box::new(busy_stream()));
    let plain = SaveOptions {
        compression: false,
        ..SaveOptions::default()
    };
    let p = dump_payload(&v, &plain);
    let b = body(&p);
    assert!(load_body(b).is_ok());
    for cut in 0..b.len() {
        assert!(load_body(&b[..cut]).is_err(), "cut at {cut}");
    }
    let mut accepted = 0;
    for i in 0..b.len() {
        for x in [0x01u8, 0x80, 0xFF] {
            let mut bad = b.to_vec();
            bad[i] ^= x;
            if let Ok(v) = load_body(&bad) {
                accepted += 1;
                // Whatever loads can be saved and loaded again.
                let again = dump_payload(&v, &plain);
                assert!(load_body(body(&again)).is_ok());
            }
        }
    }
    // Values and names may change freely; structure may not.
    assert!(accepted < b.len() * 3);
}

#[test]
fn redis6_streams_get_counters_derived() {
    // Type 15 is type 19 without first/max-deleted IDs, entries-added and
    // the groups' read counters.
    let p = REDIS_PAYLOAD;
    let b = body(&p);
    let mut r = Reader::new(b);
    r.read_u8().expect("type");
    let nodes = r.read_len().expect("count");
    assert_eq!(nodes, 1);
    for _ in 0..2 {
        r.read_string().expect("node");
    }
    let at = b.len() - r.remaining();
    // length, last id: 2, 2-0; then first id, max deleted, entries added.
    let (head, tail) = b.split_at(at);
    assert_eq!(&tail[..3], &[2, 2, 0]);
    let mut old = vec![types::STREAM_LISTPACKS];
    old.extend_from_slice(&head[1..]);
    old.extend_from_slice(&tail[..3]);
    // Groups: count, name, last id, (no entries_read), empty PEL, none.
    old.extend_from_slice(&[1, 1, b'g', 0, 0, 0, 0]);
    let Ok(Value::Stream(s)) = load_body(&old) else {
        panic!("type 15 should load")
    };
    assert_eq!(s.first_id, StreamId::new(1, 1));
    assert_eq!(s.max_deleted, StreamId::ZERO);
    assert_eq!(s.entries_added, 2);
    assert_eq!(s.groups[b"g".as_slice()].entries_read, 0);
}
