//! Payload round trips and robustness against corrupt input.

use bytes::Bytes;

use super::*;
use crate::engine::value::{Hash, Set, SortedSet, Str};
use crate::engine::zset::ZSet;

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn samples() -> Vec<Value> {
    let mut zl = ZSet::new();
    zl.insert(b("a"), 1.0);
    zl.insert(b("b"), 2.5);
    zl.insert(b("c"), f64::NEG_INFINITY);
    let mut zs = ZSet::new();
    for i in 0..200 {
        zs.insert(Bytes::from(format!("m{i}")), f64::from(i) / 3.0);
    }
    vec![
        Value::string(b("hello")),
        Value::string(b("12345")),
        Value::string(Bytes::from(vec![b'x'; 100])),
        Value::Str(Str::raw(b("raw"))),
        Value::List(Box::new(
            (0..1000)
                .map(|i| Bytes::from(format!("item-{i}")))
                .collect(),
        )),
        Value::Set(Box::new(Set {
            members: [b("1"), b("-70000"), b("3")].into_iter().collect(),
            intset: true,
        })),
        Value::Set(Box::new(Set {
            members: [b("a"), b("b")].into_iter().collect(),
            intset: false,
        })),
        Value::Hash(Box::new(Hash::from_map(
            [(b("f"), b("v")), (b("n"), b("12"))].into_iter().collect(),
            true,
        ))),
        Value::Hash(Box::new(Hash::from_map(
            [(b("f"), Bytes::from(vec![b'v'; 65]))]
                .into_iter()
                .collect(),
            false,
        ))),
        Value::ZSet(Box::new(SortedSet {
            zset: zl,
            listpack: true,
        })),
        Value::ZSet(Box::new(SortedSet {
            zset: zs,
            listpack: false,
        })),
    ]
}

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => x.data == y.data,
        (Value::List(x), Value::List(y)) => x == y,
        (Value::Set(x), Value::Set(y)) => {
            x.intset == y.intset
                && x.members.len() == y.members.len()
                && x.members.iter().all(|m| y.members.contains(m))
        }
        (Value::Hash(x), Value::Hash(y)) => x.listpack == y.listpack && x.map == y.map,
        (Value::ZSet(x), Value::ZSet(y)) => {
            x.listpack == y.listpack && x.zset.iter().eq(y.zset.iter())
        }
        _ => false,
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn every_sample_roundtrips() {
    let so = SaveOptions::default();
    let lo = LoadOptions::default();
    for v in samples() {
        let p = dump_payload(&v, &so);
        assert!(payload_footer_ok(&p));
        let back = load_payload(&p, &lo).unwrap();
        assert!(same(&v, &back), "{v:?} came back as {back:?}");
        assert_eq!(dump_payload(&back, &so), p, "re-dump differs for {v:?}");
    }
}

#[test]
fn known_payloads_from_redis() {
    // DUMP of `SET k hello` and `SET k 1` on Redis 7.0.15.
    let hello = dump_payload(&Value::string(b("hello")), &SaveOptions::default());
    assert_eq!(&hello[..8], b"\x00\x05hello\x0a");
    let one = dump_payload(&Value::string(b("1")), &SaveOptions::default());
    assert_eq!(&one[..4], b"\x00\xc0\x01\x0a");
    let a50 = dump_payload(
        &Value::string(Bytes::from(vec![b'a'; 50])),
        &SaveOptions::default(),
    );
    assert_eq!(hex(&a50), "00c30932016161e025000161610a0009ac48b9ab15fbc9");
    let list: Value = Value::List(Box::new([b("a"), b("1"), b("-2000")].into_iter().collect()));
    let l = dump_payload(&list, &SaveOptions::default());
    assert_eq!(
        hex(&l),
        "1201020f0f00000003008161020101d83002ff0a009bd50ed30c91a3e9"
    );
}

#[test]
fn corrupt_payloads_never_panic() {
    let lo = LoadOptions::default();
    let mut rng = 0x1234_5678_u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for v in samples() {
        let p = dump_payload(&v, &SaveOptions::default());
        for cut in 0..p.len() {
            let _ = load_payload(&p[..cut], &lo);
        }
        for _ in 0..2000 {
            let mut q = p.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % q.len();
                q[i] = next() as u8;
            }
            let _ = load_payload(&q, &lo);
        }
    }
}
