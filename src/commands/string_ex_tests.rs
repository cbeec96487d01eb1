use super::*;
use crate::commands::test_support::Harness;

fn err(text: &str) -> Frame {
    Frame::Error(text.to_string().into())
}

fn pair(a: i64, b: i64) -> Frame {
    Frame::Array(vec![Frame::Integer(a), Frame::Integer(b)])
}

#[test]
fn digests_match_redis_examples() {
    // redis.io's DIGEST example, and Redis's test of a digest with
    // leading zeros.
    assert_eq!(digest_hex(b"Hello world"), "b6acb9d84a38ff74");
    let long = b"v8lf0c11xh8ymlqztfd3eeq16kfn4sspw7fqmnuuq3k3t75em5wdizgcdw7uc26nnf961u2jkfzkjytls2kwlj7626sd";
    assert_eq!(digest_hex(long), "00006c38adf31777");
    assert_eq!(parse_digest(b"00006C38ADF31777"), Ok(0x6c38adf31777));
    assert_eq!(parse_digest(b"6c38adf31777"), Err(BAD_DIGEST));
    assert_eq!(parse_digest(b"+006c38adf31777"), Err(BAD_DIGEST));
}

#[test]
fn keyspace_events_match_redis() {
    let mut h = Harness::keyevents();
    assert_eq!(h.events("INCREX n BYINT 5"), ["new:n", "incrby:n"]);
    assert_eq!(h.events("INCREX f BYFLOAT 0.5"), ["new:f", "incrbyfloat:f"]);
    assert_eq!(
        h.events("INCREX n BYINT 1 EX 100"),
        ["incrby:n", "expire:n"]
    );
    assert_eq!(h.events("INCREX n BYINT 1 EX 200 ENX"), ["incrby:n"]);
    assert_eq!(
        h.events("INCREX n BYINT 1 PERSIST"),
        ["incrby:n", "persist:n"]
    );
    assert_eq!(h.events("INCREX n UBOUND 0"), Vec::<String>::new());
    assert_eq!(h.events("INCREX n EXAT 1"), ["del:n"]);
    assert_eq!(h.events("INCREX gone EXAT 1"), Vec::<String>::new());
    assert_eq!(h.events("SET k v"), ["new:k", "set:k"]);
    assert_eq!(h.events("DELEX k IFEQ w"), Vec::<String>::new());
    assert_eq!(h.events("DELEX k IFEQ v"), ["del:k"]);
    assert_eq!(
        h.events("MSETEX 2 a 1 b 2 EX 10"),
        ["new:a", "set:a", "expire:a", "new:b", "set:b", "expire:b"]
    );
    assert_eq!(h.events("MSETEX 1 a 1 NX"), Vec::<String>::new());
    assert_eq!(h.events("SET a x IFNE x"), ["set:a"]);
    assert_eq!(h.events("SET a y IFEQ z"), Vec::<String>::new());
    assert_eq!(h.events("DIGEST a"), Vec::<String>::new());
}

#[test]
fn increx_integer_bounds() {
    let mut h = Harness::new();
    assert_eq!(h.run("INCREX k"), pair(1, 1));
    h.run("SET k 10");
    assert_eq!(h.run("INCREX k BYINT 5 UBOUND 12"), pair(10, 0));
    assert_eq!(h.run("INCREX k BYINT 5 UBOUND 12 SATURATE"), pair(12, 2));
    assert_eq!(h.run("INCREX k BYINT 5 UBOUND 5 SATURATE"), pair(5, -7));
    h.run("SET k 9223372036854775800");
    assert_eq!(
        h.run("INCREX k BYINT 9223372036854775800 SATURATE"),
        pair(i64::MAX, 7)
    );
    assert_eq!(
        h.run("INCREX k BYINT -5 UBOUND -9223372036854775808 SATURATE"),
        err("ERR applied increment would overflow")
    );
    assert_eq!(
        h.run("INCREX k LBOUND 10 UBOUND 5"),
        err("ERR LBOUND can't be greater than UBOUND")
    );
    assert_eq!(
        h.run("INCREX k UBOUND 1.5"),
        err("ERR UBOUND is not an integer or out of range")
    );
    assert_eq!(
        h.run("INCREX k BYINT x"),
        err("ERR Increment is not an integer or out of range")
    );
}

#[test]
fn increx_float_bounds() {
    let mut h = Harness::new();
    h.run("SET k 10");
    let bulk =
        |a: &str, b: &str| Frame::Array(vec![Frame::bulk(a.as_bytes()), Frame::bulk(b.as_bytes())]);
    assert_eq!(
        h.run("INCREX k BYFLOAT 2.5 LBOUND 5 UBOUND 15"),
        bulk("12.5", "2.5")
    );
    assert_eq!(h.run("INCREX k BYFLOAT 5.5 UBOUND 12.5"), bulk("12.5", "0"));
    assert_eq!(
        h.run("INCREX k BYFLOAT -6 LBOUND 8 SATURATE"),
        bulk("8", "-4.5")
    );
    assert_eq!(
        h.run("INCREX k BYFLOAT 1 LBOUND -inf UBOUND -inf"),
        bulk("8", "0")
    );
    assert_eq!(
        h.run("INCREX k BYFLOAT 1 LBOUND inf UBOUND inf SATURATE"),
        err("ERR applied increment would be Infinity")
    );
    assert_eq!(
        h.run("INCREX k BYFLOAT 1 UBOUND -inf"),
        err("ERR LBOUND can't be greater than UBOUND")
    );
    assert_eq!(
        h.run("INCREX k BYFLOAT inf"),
        err("ERR BYFLOAT increment cannot be Infinity")
    );
    h.run("SET k inf");
    assert_eq!(
        h.run("INCREX k BYFLOAT 1"),
        err("ERR value cannot be Infinity")
    );
}

#[test]
fn increx_grammar() {
    let mut h = Harness::new();
    for bad in [
        "INCREX k BYINT 1 BYFLOAT 1",
        "INCREX k BYINT 1 BYINT 2",
        "INCREX k EX 10 PX 10",
        "INCREX k EX 10 EX 10",
        "INCREX k PERSIST ENX",
        "INCREX k ENX PERSIST",
        "INCREX k SATURATE SATURATE",
        "INCREX k LBOUND",
        "INCREX k FOO",
    ] {
        assert_eq!(h.run(bad), Frame::Error("ERR syntax error".into()), "{bad}");
    }
    assert_eq!(
        h.run("INCREX k ENX"),
        err("ERR ENX flag requires an expiration")
    );
    assert_eq!(
        h.run("INCREX k EX 0"),
        err("ERR invalid expire time in 'increx' command")
    );
}

#[test]
fn msetex_and_delex_grammar() {
    let mut h = Harness::new();
    assert_eq!(h.run("MSETEX k v EX 10"), err("ERR invalid numkeys value"));
    assert_eq!(
        h.run("MSETEX 2147483648 k v EX 10"),
        err("ERR invalid numkeys value")
    );
    assert_eq!(
        h.run("MSETEX 2147483647 k v EX 10"),
        err("ERR wrong number of key-value pairs")
    );
    assert_eq!(
        h.run("MSETEX 1 k v NX XX"),
        Frame::Error("ERR syntax error".into())
    );
    assert_eq!(
        h.run("MSETEX 1 k v KEEPTTL EX 1"),
        Frame::Error("ERR syntax error".into())
    );
    assert_eq!(
        msetex_keys(&[b"msetex", b"2", b"a", b"1", b"b", b"2"]),
        [2, 4]
    );
    assert_eq!(
        msetex_keys(&[b"msetex", b"3", b"a", b"1"]),
        Vec::<usize>::new()
    );
    assert_eq!(
        h.run("DELEX k IFEQ"),
        err("ERR wrong number of arguments for 'delex' command")
    );
    h.run("SET k v");
    assert_eq!(
        h.run("DELEX k IFDEQ 123"),
        err("ERR must be exactly 16 hexadecimal characters")
    );
    assert_eq!(h.run("DELEX nokey IFDEQ 123"), Frame::Integer(0));
}
