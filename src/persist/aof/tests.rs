//! Engine-level AOF tests: what the file holds after commands, and
//! reopening a directory through [`crate::engine::Engine::open`].

use std::path::PathBuf;

use super::load::Loaded;
use crate::commands::dispatch;
use crate::engine::{ClientState, Config, Engine, Store};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "aof-test-{tag}-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn config(dir: &std::path::Path, extra: &[(&[u8], &[u8])]) -> Config {
    let mut c = Config::default();
    let d = dir.to_string_lossy().into_owned();
    let mut pairs: Vec<(&[u8], &[u8])> = vec![
        (b"dir", d.as_bytes()),
        (b"appendonly", b"yes"),
        (b"appendfsync", b"always"),
    ];
    pairs.extend_from_slice(extra);
    c.set_startup(&pairs).unwrap();
    c
}

fn incr_file(dir: &std::path::Path) -> Vec<u8> {
    std::fs::read(dir.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap()
}

fn resp(cmds: &[&[&str]]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in cmds {
        super::encode_command(&mut out, c);
    }
    out
}

#[test]
fn commands_are_appended_with_select_and_multi_exec() {
    let dir = temp_dir("append");
    let mut store = Store::new(config(&dir, &[]));
    super::open(&mut store, None).unwrap();
    let mut c = ClientState::new(0);
    dispatch(&mut store, &mut c, &[b"SET", b"a", b"1"]);
    dispatch(&mut store, &mut c, &[b"GET", b"a"]);
    dispatch(&mut store, &mut c, &[b"DEL", b"nothing"]);
    dispatch(&mut store, &mut c, &[b"SELECT", b"2"]);
    dispatch(&mut store, &mut c, &[b"MULTI"]);
    dispatch(&mut store, &mut c, &[b"SET", b"b", b"1"]);
    dispatch(&mut store, &mut c, &[b"INCR", b"b"]);
    dispatch(&mut store, &mut c, &[b"EXEC"]);
    let want = resp(&[
        &["SELECT", "0"],
        &["SET", "a", "1"],
        &["SELECT", "2"],
        &["MULTI"],
        &["SET", "b", "1"],
        &["INCR", "b"],
        &["EXEC"],
    ]);
    assert_eq!(
        String::from_utf8_lossy(&incr_file(&dir)),
        String::from_utf8_lossy(&want)
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_engine_reopened_on_the_directory_has_the_data() {
    let dir = temp_dir("reopen");
    let e = Engine::open(config(&dir, &[])).unwrap();
    let mut c = ClientState::new(0);
    e.execute(&mut c, &[b"RPUSH", b"l", b"x", b"y"]);
    e.execute(&mut c, &[b"SET", b"gone", b"v", b"PX", b"1"]);
    drop(e);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let e = Engine::open(config(&dir, &[])).unwrap();
    let mut c = ClientState::new(0);
    assert_eq!(
        e.execute(&mut c, &[b"LLEN", b"l"]),
        crate::resp::Frame::Integer(2)
    );
    assert_eq!(
        e.execute(&mut c, &[b"EXISTS", b"gone"]),
        crate::resp::Frame::Integer(0)
    );
    drop(e);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn truncated_tails_follow_aof_load_truncated() {
    let dir = temp_dir("trunc");
    let e = Engine::open(config(&dir, &[])).unwrap();
    let mut c = ClientState::new(0);
    e.execute(&mut c, &[b"SET", b"a", b"1"]);
    drop(e);
    let path = dir.join("appendonlydir/appendonly.aof.1.incr.aof");
    let whole = std::fs::metadata(&path).unwrap().len();
    let mut data = std::fs::read(&path).unwrap();
    data.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nb");
    std::fs::write(&path, &data).unwrap();
    let err = Engine::open(config(&dir, &[(b"aof-load-truncated", b"no")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("appendonly.aof.1.incr.aof"), "{err}");
    assert!(err.contains(&format!("offset {whole}")), "{err}");
    let mut store = Store::new(config(&dir, &[]));
    let loaded: Loaded = super::load::load(&mut store, None).unwrap().unwrap();
    assert_eq!(
        loaded.truncated,
        Some(("appendonly.aof.1.incr.aof".into(), whole))
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), whole);
    assert_eq!(store.dbs[0].len(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn evictions_are_propagated_as_their_own_deletions() {
    let dir = temp_dir("evict");
    let mut store = Store::new(config(&dir, &[]));
    super::open(&mut store, None).unwrap();
    let mut c = ClientState::new(0);
    dispatch(&mut store, &mut c, &[b"SET", b"a", b"1"]);
    super::propagate_eviction(&mut store, 0, b"a");
    store
        .config
        .extra
        .insert("lazyfree-lazy-eviction", "yes".into());
    super::propagate_eviction(&mut store, 3, b"b");
    let want = resp(&[
        &["SELECT", "0"],
        &["SET", "a", "1"],
        &["DEL", "a"],
        &["SELECT", "3"],
        &["UNLINK", "b"],
    ]);
    assert_eq!(incr_file(&dir), want);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn resp_base_batches_items_and_writes_ttls_after_the_key() {
    use crate::engine::Now;
    let mut store = Store::new(Config::default());
    let mut c = ClientState::new(0);
    let mut push: Vec<Vec<u8>> = vec![b"RPUSH".to_vec(), b"l".to_vec()];
    push.extend((0..130).map(|i| i.to_string().into_bytes()));
    let argv: Vec<&[u8]> = push.iter().map(|a| a.as_slice()).collect();
    dispatch(&mut store, &mut c, &argv);
    dispatch(&mut store, &mut c, &[b"PEXPIREAT", b"l", b"99999999999999"]);
    dispatch(&mut store, &mut c, &[b"HSET", b"h", b"f", b"v", b"g", b"w"]);
    dispatch(
        &mut store,
        &mut c,
        &[
            b"HPEXPIREAT",
            b"h",
            b"70000000000000",
            b"FIELDS",
            b"1",
            b"g",
        ],
    );
    dispatch(&mut store, &mut c, &[b"SELECT", b"3"]);
    dispatch(&mut store, &mut c, &[b"SET", b"s", b"x"]);
    let cell = std::cell::Cell::new(0);
    let snap = crate::persist::rdbfile::Snapshot::take_copied(&mut store, Now::new(&cell));
    let data = super::rewrite::encode(&snap);
    let items =
        |from: usize, to: usize| -> Vec<String> { (from..to).map(|i| i.to_string()).collect() };
    let mut want: Vec<Vec<String>> = vec![vec!["SELECT".into(), "0".into()]];
    for (from, to) in [(0, 64), (64, 128), (128, 130)] {
        let mut cmd = vec!["RPUSH".to_string(), "l".into()];
        cmd.extend(items(from, to));
        want.push(cmd);
    }
    want.push(vec![
        "PEXPIREAT".into(),
        "l".into(),
        "99999999999999".into(),
    ]);
    // A hash with field TTLs: one HMSET per field, the TTL after it (a
    // listpack keeps its volatile fields first, as Redis's does).
    want.push(vec!["HMSET".into(), "h".into(), "g".into(), "w".into()]);
    want.push(
        ["HPEXPIREAT", "h", "70000000000000", "FIELDS", "1", "g"]
            .map(String::from)
            .to_vec(),
    );
    want.push(vec!["HMSET".into(), "h".into(), "f".into(), "v".into()]);
    want.push(vec!["SELECT".into(), "3".into()]);
    want.push(vec!["SET".into(), "s".into(), "x".into()]);
    let mut expected = Vec::new();
    for cmd in &want {
        let argv: Vec<&str> = cmd.iter().map(String::as_str).collect();
        super::encode_command(&mut expected, &argv);
    }
    assert_eq!(
        String::from_utf8_lossy(&data),
        String::from_utf8_lossy(&expected)
    );
}

#[test]
fn strerror_is_the_c_text() {
    assert_eq!(super::strerror(libc::ENOSPC), "No space left on device");
    assert_eq!(super::strerror(libc::EACCES), "Permission denied");
}

#[test]
fn the_active_sweep_propagates_each_expired_key_apart() {
    let dir = temp_dir("sweep");
    let mut store = Store::new(config(&dir, &[]));
    super::open(&mut store, None).unwrap();
    let mut c = ClientState::new(0);
    for key in ["a", "b", "c"] {
        dispatch(
            &mut store,
            &mut c,
            &[b"SET", key.as_bytes(), b"1", b"PX", b"1"],
        );
    }
    let len = incr_file(&dir).len();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(
        store.active_expire_cycle(std::time::Duration::from_millis(100)),
        3
    );
    let file = incr_file(&dir);
    let tail = String::from_utf8_lossy(&file[len..]).into_owned();
    let dels = tail.matches("*2\r\n$3\r\nDEL\r\n").count();
    assert_eq!(dels, 3, "{tail:?}");
    assert!(!tail.contains("MULTI"), "{tail:?}");
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
