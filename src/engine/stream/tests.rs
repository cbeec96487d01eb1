use super::*;

fn pairs(v: &str) -> Vec<&[u8]> {
    vec![b"f".as_slice(), v.as_bytes()]
}

fn add(s: &mut Stream, ms: u64, seq: u64) -> StreamId {
    s.add(
        NewId::Exact(StreamId::new(ms, seq)),
        &pairs("v"),
        0,
        NodeLimits::default(),
    )
    .expect("increasing ids")
}

/// A clock under test control, standing in for the wall clock.
struct FakeClock(u64);

impl FakeClock {
    fn xadd(&self, s: &mut Stream) -> StreamId {
        s.add(NewId::Auto, &pairs("v"), self.0, NodeLimits::default())
            .expect("auto ids always grow")
    }
}

#[test]
fn auto_ids_stay_monotonic_when_the_clock_goes_backwards() {
    let mut s = Stream::new();
    let mut clock = FakeClock(1_000);
    assert_eq!(clock.xadd(&mut s), StreamId::new(1_000, 0));
    assert_eq!(clock.xadd(&mut s), StreamId::new(1_000, 1));
    clock.0 = 400; // the clock jumps back
    assert_eq!(clock.xadd(&mut s), StreamId::new(1_000, 2));
    assert_eq!(clock.xadd(&mut s), StreamId::new(1_000, 3));
    clock.0 = 1_000; // catches up to the last ID's millisecond
    assert_eq!(clock.xadd(&mut s), StreamId::new(1_000, 4));
    clock.0 = 1_001;
    assert_eq!(clock.xadd(&mut s), StreamId::new(1_001, 0));
    let ids: Vec<StreamId> = s
        .range(StreamId::ZERO, StreamId::MAX, false)
        .map(|(id, _)| id)
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn auto_ids_roll_the_sequence_into_the_next_millisecond() {
    assert_eq!(
        next_auto_id(StreamId::new(5, u64::MAX), 3),
        StreamId::new(6, 0)
    );
    assert_eq!(next_auto_id(StreamId::MAX, 3), StreamId::ZERO);
}

#[test]
fn explicit_ids_must_grow() {
    let mut s = Stream::new();
    add(&mut s, 5, 0);
    let again = s.add(
        NewId::Exact(StreamId::new(5, 0)),
        &pairs("v"),
        0,
        NodeLimits::default(),
    );
    assert_eq!(again, Err(AddError::NotGreater));
    assert_eq!(
        s.add(NewId::Ms(5), &pairs("v"), 0, NodeLimits::default()),
        Ok(StreamId::new(5, 1))
    );
    assert_eq!(
        s.add(NewId::Ms(4), &pairs("v"), 0, NodeLimits::default()),
        Err(AddError::NotGreater)
    );
}

#[test]
fn nodes_close_at_max_entries_and_approx_trim_drops_whole_nodes() {
    let mut s = Stream::new();
    for i in 1..=250 {
        add(&mut s, i, 0);
    }
    assert_eq!(s.rax_keys(), 3);
    let trim = Trim {
        by: TrimBy::MaxLen(120),
        approx: true,
        limit: 10_000,
        policy: RefPolicy::KeepRef,
    };
    // Only the first node can go whole: 250 - 100 >= 120, 150 - 100 < 120.
    assert_eq!(s.trim(trim), 100);
    assert_eq!(s.len(), 150);
    assert_eq!(s.first_id, StreamId::new(101, 0));
    let exact = Trim {
        by: TrimBy::MaxLen(120),
        approx: false,
        limit: 0,
        policy: RefPolicy::KeepRef,
    };
    assert_eq!(s.trim(exact), 30);
    assert_eq!(
        s.first_entry().map(|(id, _)| id),
        Some(StreamId::new(131, 0))
    );
    // Deleted entries still fill their node.
    assert_eq!(s.rax_keys(), 2);
}

#[test]
fn nodes_close_at_max_bytes() {
    let mut s = Stream::new();
    let big = "x".repeat(1000);
    for i in 1..=10 {
        s.add(
            NewId::Exact(StreamId::new(i, 0)),
            &pairs(&big),
            0,
            NodeLimits::default(),
        )
        .expect("grows");
    }
    // About four 1 KB values fit under 4096 bytes.
    assert_eq!(s.rax_keys(), 3);
}

#[test]
fn deleting_every_entry_of_a_node_drops_it() {
    let mut s = Stream::new();
    for i in 1..=3 {
        add(&mut s, i, 0);
    }
    assert_eq!(s.delete(&[StreamId::new(1, 0), StreamId::new(9, 0)]), 1);
    assert_eq!(s.first_id, StreamId::new(2, 0));
    assert_eq!(s.max_deleted, StreamId::new(1, 0));
    assert_eq!(s.delete(&[StreamId::new(2, 0), StreamId::new(3, 0)]), 2);
    assert_eq!(s.rax_keys(), 0);
    assert_eq!(s.first_id, StreamId::ZERO);
    assert_eq!(s.last_id, StreamId::new(3, 0));
}

#[test]
fn lag_follows_reads_and_goes_unknown_after_deletions() {
    let mut s = Stream::new();
    for i in 1..=5 {
        add(&mut s, i, 0);
    }
    s.groups
        .insert(Bytes::from_static(b"g"), Group::new(StreamId::ZERO, 0));
    let c = Bytes::from_static(b"c");
    if let Some(g) = s.groups.get_mut(b"g".as_slice()) {
        g.create_consumer(b"c", 0);
    }
    let meta = s.meta();
    assert_eq!(meta.lag(&s.groups[b"g".as_slice()]), Some(5));
    assert_eq!(s.deliver(b"g", &c, StreamId::ZERO, 2, false, 0).len(), 2);
    let g = &s.groups[b"g".as_slice()];
    assert_eq!((g.entries_read, g.pel.len()), (2, 2));
    assert_eq!(s.meta().lag(g), Some(3));
    s.delete(&[StreamId::new(4, 0)]);
    let g = &s.groups[b"g".as_slice()];
    assert_eq!(s.meta().lag(g), None);
}

#[test]
fn consumers_and_pels_stay_consistent() {
    let mut g = Group::new(StreamId::ZERO, INVALID_ENTRIES_READ);
    let (a, b) = (Bytes::from_static(b"a"), Bytes::from_static(b"b"));
    g.create_consumer(b"a", 0);
    g.create_consumer(b"b", 0);
    g.deliver(StreamId::new(1, 0), &a, 0);
    g.deliver(StreamId::new(2, 0), &a, 0);
    assert!(g.transfer(StreamId::new(2, 0), &b));
    assert_eq!(g.consumers[b"a".as_slice()].pel.len(), 1);
    assert_eq!(g.consumers[b"b".as_slice()].pel.len(), 1);
    // A redelivery moves the entry back and resets its count.
    g.deliver(StreamId::new(2, 0), &a, 0);
    assert_eq!(g.consumers[b"b".as_slice()].pel.len(), 0);
    assert_eq!(g.delete_consumer(b"a"), Some(2));
    assert!(g.pel.is_empty());
    assert!(!g.ack(StreamId::new(1, 0)));
}

/// 250 entries (three nodes of 100), group `g` delivered up to 150-0 with
/// 120-0 still pending.
fn stream_with_group() -> Stream {
    let mut s = Stream::new();
    for i in 1..=250 {
        add(&mut s, i, 0);
    }
    let mut g = Group::new(StreamId::new(150, 0), 150);
    g.create_consumer(b"c", 0);
    g.deliver(StreamId::new(120, 0), &Bytes::from_static(b"c"), 0);
    s.groups.insert(Bytes::from_static(b"g"), g);
    s
}

fn trim_by(by: TrimBy, approx: bool, policy: RefPolicy) -> Trim {
    Trim {
        by,
        approx,
        limit: 0,
        policy,
    }
}

#[test]
fn acked_trims_only_what_every_group_read_and_acknowledged() {
    let mut s = stream_with_group();
    assert!(s.is_referenced(StreamId::new(120, 0)));
    assert!(s.is_referenced(StreamId::new(151, 0)));
    assert!(!s.is_referenced(StreamId::new(119, 0)));
    // Exact: everything up to 150-0 but 120-0 goes; the rest is needed.
    let exact = trim_by(TrimBy::MaxLen(0), false, RefPolicy::Acked);
    assert_eq!(s.trim(exact), 149);
    assert_eq!(
        s.first_entry().map(|(id, _)| id),
        Some(StreamId::new(120, 0))
    );
    assert_eq!(s.max_deleted, StreamId::new(150, 0));
    assert_eq!(s.groups[b"g".as_slice()].pel.len(), 1);
}

#[test]
fn acked_approximate_trim_stops_at_a_node_holding_a_needed_entry() {
    let mut s = stream_with_group();
    // The first node (1..=100) can go whole; the second holds 120-0.
    let approx = trim_by(TrimBy::MinId(StreamId::new(240, 0)), true, RefPolicy::Acked);
    assert_eq!(s.trim(approx), 100);
    assert_eq!(s.first_id, StreamId::new(101, 0));
    assert!(s.max_deleted.is_zero());
}

#[test]
fn delref_trims_like_keepref_and_drops_the_references() {
    let mut s = stream_with_group();
    let mut keep = s.clone();
    let by = TrimBy::MaxLen(100);
    assert_eq!(s.trim(trim_by(by, false, RefPolicy::DelRef)), 150);
    assert_eq!(keep.trim(trim_by(by, false, RefPolicy::KeepRef)), 150);
    assert_eq!(s.first_id, keep.first_id);
    assert!(s.groups[b"g".as_slice()].pel.is_empty());
    assert_eq!(keep.groups[b"g".as_slice()].pel.len(), 1);
    assert!(!s.drop_refs(StreamId::new(120, 0)));
}
