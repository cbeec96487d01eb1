//! Hash and set commands run through the dispatcher: keyspace events (which
//! the Python tests cannot observe) and RESP3 reply shapes.

use crate::commands::test_support::{argv, bulk, Harness};
use crate::engine::notify;
use crate::resp::Frame;

fn harness() -> Harness {
    Harness::listening(notify::KEYEVENT | notify::ALL, b"__keyevent@0__:*")
}

/// The events since the last call, as "event key" strings.
fn events(h: &Harness) -> Vec<String> {
    h.take_pairs()
        .into_iter()
        .map(|(k, e)| format!("{e} {k}"))
        .collect()
}

#[test]
fn hash_events() {
    let mut h = harness();
    h.run("HSET h a 1 b 2");
    h.run("HSET h a 1");
    h.run("HSETNX h a 1");
    h.run("HINCRBY h n 1");
    h.run("HINCRBYFLOAT h n 1.5");
    h.run("HINCRBY h a x");
    assert_eq!(
        events(&h),
        ["hset h", "hset h", "hincrby h", "hincrbyfloat h"]
    );
    h.run("HDEL h zz");
    h.run("HDEL h a b");
    h.run("HDEL h n");
    assert_eq!(events(&h), ["hdel h", "hdel h", "del h"]);
}

#[test]
fn set_events() {
    let mut h = harness();
    h.run("SADD s a b c");
    h.run("SADD s a");
    h.run("SREM s zz");
    h.run("SREM s a");
    assert_eq!(events(&h), ["sadd s", "srem s"]);
    h.run("SMOVE s t b");
    h.run("SMOVE s t zz");
    h.run("SMOVE s t c");
    assert_eq!(
        events(&h),
        ["srem s", "sadd t", "srem s", "del s", "sadd t"]
    );
    h.run("SADD u b");
    h.run("SMOVE t u b");
    assert_eq!(events(&h), ["sadd u", "srem t"]);
    h.run("SPOP t 0");
    h.run("SPOP t 5");
    assert_eq!(events(&h), ["spop t", "del t"]);
    h.run("SADD v 1");
    h.run("SPOP v");
    assert_eq!(events(&h), ["sadd v", "spop v", "del v"]);
}

#[test]
fn store_events() {
    let mut h = harness();
    h.run("SADD a 1 2");
    h.run("SADD b 2 3");
    events(&h);
    h.run("SINTERSTORE d a b");
    h.run("SUNIONSTORE d a b");
    h.run("SDIFFSTORE d a b");
    h.run("SDIFFSTORE d a a");
    h.run("SDIFFSTORE d a a");
    h.run("SINTERSTORE d a missing");
    assert_eq!(
        events(&h),
        ["sinterstore d", "sunionstore d", "sdiffstore d", "del d"]
    );
}

#[test]
fn resp3_shapes() {
    let mut h = harness();
    h.client.resp3 = true;
    h.run("HSET h a 1");
    assert_eq!(
        h.run("HRANDFIELD h 1 WITHVALUES"),
        Frame::Array(vec![Frame::Array(vec![bulk("a"), bulk("1")])])
    );
    assert_eq!(
        h.run("HRANDFIELD h -2 WITHVALUES"),
        Frame::Array(vec![Frame::Array(vec![bulk("a"), bulk("1")]); 2])
    );
    assert_eq!(h.run("HGETALL h"), Frame::Map(vec![(bulk("a"), bulk("1"))]));
    assert_eq!(h.run("HGETALL missing"), Frame::Map(vec![]));
    h.client.resp3 = false;
    assert_eq!(
        h.run("HRANDFIELD h 1 WITHVALUES"),
        Frame::Array(vec![bulk("a"), bulk("1")])
    );
    h.run("SADD s 3 1 2");
    assert_eq!(
        h.run("SMEMBERS s"),
        Frame::Set(vec![bulk("1"), bulk("2"), bulk("3")])
    );
    assert_eq!(h.run("SPOP missing 2"), Frame::Set(vec![]));
    assert_eq!(h.run("SRANDMEMBER missing 2"), Frame::Array(vec![]));
    assert_eq!(h.run("SINTER s missing"), Frame::Set(vec![]));
    assert_eq!(
        h.run("SPOP s 5"),
        Frame::Set(vec![bulk("1"), bulk("2"), bulk("3")])
    );
    assert_eq!(h.run("SPOP missing"), Frame::Null);
}

#[test]
fn sintercard_key_positions() {
    let cmd = crate::commands::lookup(b"sintercard").unwrap();
    assert_eq!(cmd.key_indexes(&argv("SINTERCARD 2 a b LIMIT 1")), [2, 3]);
    assert!(cmd.key_indexes(&argv("SINTERCARD 3 a b")).is_empty());
    assert!(cmd.key_indexes(&argv("SINTERCARD x a")).is_empty());
    let smove = crate::commands::lookup(b"smove").unwrap();
    assert_eq!(smove.key_indexes(&argv("SMOVE a b m")), [1, 2]);
}
