//! Whole-file loading: round trips through the writer, hand-built older
//! files, and robustness (every truncation and random mutations of a file
//! are errors with an offset, never a panic or a partial load).

use super::*;
use crate::commands::test_support::run;
use crate::engine::{ClientState, Config, Now};
use crate::persist::rdbfile::{encode, Snapshot};
use crate::resp::Frame;

/// A store holding every type in small and large encodings, a TTL and
/// keys in several databases.
fn populated() -> Store {
    let mut store = Store::new(Config::default());
    let mut c = ClientState::new(0);
    let cmds = [
        "SET s hello",
        "SET n 12345",
        "RPUSH small a b c",
        "SADD ints 1 2 3 -70000",
        "SADD words x y z",
        "HSET h f1 v1 f2 v2",
        "ZADD z 1 a 2.5 b -3 c",
        "XADD st 1-1 a 1",
        "XADD st 2-1 b 2",
        "XGROUP CREATE st g 0",
        "XREADGROUP GROUP g alice COUNT 1 STREAMS st >",
        "PFADD hll a b c d",
        "SET ttl v PX 100000000",
        "SELECT 15",
        "SET in15 yes",
    ];
    for cmd in cmds {
        let reply = run(&mut store, &mut c, cmd);
        assert!(!matches!(reply, Frame::Error(_)), "{cmd}: {reply:?}");
    }
    c.db = 3;
    for i in 0..600 {
        run(&mut store, &mut c, &format!("RPUSH biglist item-{i}"));
        run(&mut store, &mut c, &format!("SADD bigset {i}"));
        run(&mut store, &mut c, &format!("HSET bighash field{i} {i}"));
        run(&mut store, &mut c, &format!("ZADD bigz {i} m{i}"));
    }
    store
}

fn image(store: &mut Store) -> Vec<u8> {
    let cell = std::cell::Cell::new(0);
    let snap = Snapshot::take(store, Now::new(&cell));
    encode(&snap, 1_700_000_000)
}

fn opts() -> ParseOptions {
    ParseOptions {
        load: LoadOptions::default(),
        databases: 16,
        now_ms: Some(crate::engine::now_ms()),
        lfu: None,
    }
}

#[test]
fn round_trip_keeps_every_key_and_dump() {
    let mut store = populated();
    let data = image(&mut store);
    let loaded = parse(&data, &opts()).unwrap();
    assert_eq!(loaded.version, 10);
    assert_eq!(loaded.keys_loaded, 15);
    let mut fresh = Store::new(Config::default());
    install(&mut fresh, loaded);
    let mut a = ClientState::new(0);
    let mut b = ClientState::new(0);
    for db in [0usize, 3, 15] {
        a.db = db;
        b.db = db;
        let sorted = |f: Frame| match f {
            Frame::Array(mut v) => {
                v.sort_by_key(|k| format!("{k:?}"));
                v
            }
            other => panic!("{other:?}"),
        };
        let keys = sorted(run(&mut store, &mut a, "KEYS *"));
        assert_eq!(keys, sorted(run(&mut fresh, &mut b, "KEYS *")));
        for k in keys {
            let Frame::Bulk(k) = k else { panic!() };
            let k = String::from_utf8(k.to_vec()).unwrap();
            // A short HLL reloads as embstr, as in Redis (it was raw).
            let probes: &[&str] = if k == "hll" {
                &["DUMP", "TYPE"]
            } else {
                &["DUMP", "OBJECT ENCODING", "TYPE"]
            };
            for probe in probes {
                let q = format!("{probe} {k}");
                assert_eq!(
                    run(&mut store, &mut a, &q),
                    run(&mut fresh, &mut b, &q),
                    "{q}"
                );
            }
        }
    }
    a.db = 0;
    b.db = 0;
    let ttl = run(&mut fresh, &mut b, "PEXPIRETIME ttl");
    assert!(matches!(ttl, Frame::Integer(t) if t > 0), "{ttl:?}");
    assert_eq!(ttl, run(&mut store, &mut a, "PEXPIRETIME ttl"));
    assert_eq!(fresh.persistence.last_load_keys_loaded, 15);
}

#[test]
fn expired_keys_are_dropped_and_counted() {
    let mut store = Store::new(Config::default());
    let mut c = ClientState::new(0);
    run(&mut store, &mut c, "SET gone v PX 50");
    run(&mut store, &mut c, "SET kept v");
    let data = image(&mut store);
    let mut o = opts();
    o.now_ms = Some(crate::engine::now_ms() + 10_000);
    let loaded = parse(&data, &o).unwrap();
    assert_eq!((loaded.keys_loaded, loaded.keys_expired), (1, 1));
    o.now_ms = None;
    assert_eq!(parse(&data, &o).unwrap().keys_loaded, 2);
}

/// An RDB 6 file as Redis 3.2 wrote it: a ziplist list, a zipmap-free
/// ziplist hash, an intset, seconds-precision EXPIRETIME, and no
/// checksum (zeros).
fn old_file() -> Vec<u8> {
    let mut f = b"REDIS0006".to_vec();
    f.extend_from_slice(&[OP_SELECTDB, 0]);
    // Seconds: far in the future.
    f.push(OP_EXPIRETIME);
    f.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    f.extend_from_slice(&[rdb::types::STRING, 1, b'k', 2, b'v', b'1']);
    let ints = crate::persist::intset::encode(&[1, 2, 300]);
    f.extend_from_slice(&[rdb::types::SET_INTSET, 2, b'i', b's']);
    rdb::write_string(&mut f, &ints, false);
    f.push(OP_EOF);
    f.extend_from_slice(&[0; 8]);
    f
}

#[test]
fn older_versions_load() {
    let loaded = parse(&old_file(), &opts()).unwrap();
    assert_eq!((loaded.version, loaded.keys_loaded), (6, 2));
    let mut store = Store::new(Config::default());
    install(&mut store, loaded);
    let mut c = ClientState::new(0);
    assert_eq!(
        run(&mut store, &mut c, "EXPIRETIME k"),
        Frame::Integer(2_000_000_000)
    );
    assert_eq!(run(&mut store, &mut c, "SCARD is"), Frame::Integer(3));
    assert_eq!(
        run(&mut store, &mut c, "OBJECT ENCODING is"),
        Frame::bulk(b"intset")
    );
}

#[test]
fn functions_aux_and_access_records() {
    let mut f = b"REDIS0010".to_vec();
    f.push(OP_AUX);
    rdb::write_string(&mut f, b"redis-ver", false);
    rdb::write_string(&mut f, b"7.0.15", false);
    f.push(OP_FUNCTION2);
    rdb::write_string(
        &mut f,
        b"#!lua name=lib\nredis.register_function('f', function() return 1 end)",
        false,
    );
    f.extend_from_slice(&[OP_SELECTDB, 1, OP_RESIZEDB, 1, 0]);
    f.extend_from_slice(&[OP_IDLE, 0x40, 100]);
    f.extend_from_slice(&[rdb::types::STRING, 1, b'k', 1, b'v']);
    f.extend_from_slice(&[OP_FREQ, 77]);
    f.extend_from_slice(&[rdb::types::STRING, 1, b'j', 1, b'w']);
    f.push(OP_EOF);
    let crc = crc64::crc64(0, &f);
    f.extend_from_slice(&crc.to_le_bytes());
    let loaded = parse(&f, &opts()).unwrap();
    assert_eq!(loaded.aux[0].0, b"redis-ver");
    assert_eq!(loaded.functions.len(), 1);
    assert!(loaded.dbs[1].contains_raw(b"k"));
    assert!(loaded.dbs[1].contains_raw(b"j"));
}

#[test]
fn bad_headers_checksums_and_opcodes() {
    let mut store = populated();
    let good = image(&mut store);
    let err = parse(b"RUBBISH00", &opts()).unwrap_err();
    assert_eq!(err.offset, 0);
    let err = parse(b"REDIS0099\xff", &opts()).unwrap_err();
    assert!(err.reason.contains("version 99"), "{err}");
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 1] ^= 1;
    let err = parse(&bad, &opts()).unwrap_err();
    assert_eq!(
        (err.offset, err.reason.as_str()),
        (n - 8, "wrong RDB checksum")
    );
    // A zero checksum means "not computed".
    bad[n - 8..].fill(0);
    assert!(parse(&bad, &opts()).is_ok());
    let err = parse(b"REDIS0010\xfe\x10\xff", &opts()).unwrap_err();
    assert_eq!(err.offset, 9);
    let err = parse(b"REDIS0010\xe0", &opts()).unwrap_err();
    assert!(err.reason.contains("unknown RDB opcode"), "{err}");
}

#[test]
fn every_truncation_is_an_error_with_an_offset() {
    let mut store = populated();
    let good = image(&mut store);
    for cut in 0..good.len() {
        let err = parse(&good[..cut], &opts()).expect_err("truncated file loaded");
        assert!(err.offset <= cut, "cut {cut}: {err}");
    }
}

/// Random byte changes, with the checksum recomputed (so the parser
/// itself is exercised) or zeroed: each load either fails cleanly or
/// succeeds, and never panics.
#[test]
fn mutated_files_never_panic() {
    let mut store = populated();
    let good = image(&mut store);
    let rounds = if cfg!(debug_assertions) { 3000 } else { 30000 };
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let body = good.len() - 8;
    for round in 0..rounds {
        let mut f = good.clone();
        for _ in 0..rng.usize(1..4) {
            let at = rng.usize(9..body);
            f[at] = match rng.u8(0..3) {
                0 => rng.u8(..),
                1 => f[at] ^ (1 << rng.u8(0..8)),
                _ => f[at].wrapping_add(1),
            };
        }
        let crc = if round % 2 == 0 {
            crc64::crc64(0, &f[..body])
        } else {
            0
        };
        f[body..].copy_from_slice(&crc.to_le_bytes());
        if let Err(e) = parse(&f, &opts()) {
            assert!(e.offset < f.len(), "{e}");
        }
    }
}

#[test]
fn load_file_names_the_file() {
    let path = std::env::temp_dir().join(format!("rdb-loadtest-{}.rdb", std::process::id()));
    std::fs::write(&path, b"REDIS0010\xfa").unwrap();
    let err = load_file(&path, &opts(), &mut |_, _| {}).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&*path.to_string_lossy()) && text.contains("offset 9"),
        "{text}"
    );
    std::fs::remove_file(&path).unwrap();
    let err = load_file(&path, &opts(), &mut |_, _| {}).unwrap_err();
    assert!(err.offset.is_none());
}

#[test]
fn engine_open_locks_loads_and_refuses_bad_files() {
    use crate::engine::{Engine, OpenError};
    let dir = std::env::temp_dir().join(format!("rdb-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = Config {
        dir: dir.to_string_lossy().into_owned(),
        ..Config::default()
    };
    let mut store = populated();
    std::fs::write(dir.join("dump.rdb"), image(&mut store)).unwrap();
    let engine = Engine::open(config.clone()).unwrap();
    assert_eq!(engine.owned_dir(), Some(dir.as_path()));
    assert_eq!(engine.lock().persistence.last_load_keys_loaded, 15);
    assert!(matches!(
        Engine::open(config.clone()),
        Err(OpenError::Busy(_))
    ));
    drop(engine);
    let good = std::fs::read(dir.join("dump.rdb")).unwrap();
    std::fs::write(dir.join("dump.rdb"), &good[..good.len() / 2]).unwrap();
    match Engine::open(config.clone()) {
        Err(OpenError::Load(e)) => assert!(e.offset.is_some() && e.path.ends_with("dump.rdb")),
        other => panic!("{other:?}"),
    }
    // The failed open released the directory; an AOF engine skips the RDB.
    config.appendonly = true;
    let engine = Engine::open(config).unwrap();
    assert_eq!(engine.lock().dbs[0].len(), 0);
    drop(engine);
    std::fs::remove_dir_all(&dir).unwrap();
}
