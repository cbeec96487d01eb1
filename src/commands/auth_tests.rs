//! ACL SAVE / LOAD need an `aclfile`, which is fixed at startup: tested
//! here on a store built with one (the Python suite cannot set it).

use crate::commands::test_support::run;
use crate::engine::{ClientState, Config, Store};
use crate::resp::Frame;

fn store_with_aclfile(path: &std::path::Path) -> Store {
    let mut config = Config::default();
    config
        .extra
        .insert("aclfile", path.to_string_lossy().into_owned());
    Store::new(config)
}

#[test]
fn acl_save_then_load_restores_users() {
    let path = std::env::temp_dir().join(format!("redcore-acl-{}.acl", std::process::id()));
    let mut store = store_with_aclfile(&path);
    let mut c = ClientState::new(0);
    assert_eq!(
        run(&mut store, &mut c, "ACL SETUSER lee on >pw ~k* +get"),
        Frame::ok()
    );
    assert_eq!(run(&mut store, &mut c, "ACL SAVE"), Frame::ok());
    let text = std::fs::read_to_string(&path).expect("saved");
    assert!(text.contains("user lee on #"), "{text}");
    assert!(
        text.contains("user default on nopass ~* &* +@all"),
        "{text}"
    );
    assert_eq!(
        run(&mut store, &mut c, "ACL DELUSER lee"),
        Frame::Integer(1)
    );
    assert_eq!(run(&mut store, &mut c, "ACL LOAD"), Frame::ok());
    let users = run(&mut store, &mut c, "ACL USERS");
    assert_eq!(
        users,
        Frame::Array(vec![Frame::bulk(b"default"), Frame::bulk(b"lee")])
    );
    // A bad file changes nothing.
    std::fs::write(&path, "user lee on +nosuch\n").expect("write");
    assert!(run(&mut store, &mut c, "ACL LOAD").is_error());
    assert_eq!(store.acl.users.len(), 2);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn noauth_until_auth_when_the_default_user_has_a_password() {
    let mut store = Store::new(Config::default());
    let mut admin = ClientState::new(0);
    assert_eq!(
        run(&mut store, &mut admin, "CONFIG SET requirepass s3"),
        Frame::ok()
    );
    // Connected before: still authenticated.
    assert_eq!(run(&mut store, &mut admin, "GET k"), Frame::Null);
    let mut late = ClientState::new(0);
    let reply = run(&mut store, &mut late, "GET k");
    assert_eq!(reply, Frame::error("NOAUTH Authentication required."));
    assert_eq!(run(&mut store, &mut late, "AUTH s3"), Frame::ok());
    assert_eq!(run(&mut store, &mut late, "GET k"), Frame::Null);
}

#[test]
fn a_killed_client_reconnects_and_the_gate_reopens() {
    use std::sync::atomic::Ordering;
    let mut store = Store::new(Config::default());
    let mut a = ClientState::new(0);
    let mut b = ClientState::new(0);
    run(&mut store, &mut b, "MULTI");
    let old = b.id;
    let kill = format!("CLIENT KILL ID {old}");
    let args: Vec<&[u8]> = kill.split(' ').map(str::as_bytes).collect();
    assert_eq!(
        crate::commands::dispatch(&mut store, &mut a, &args),
        Frame::Integer(1)
    );
    assert!(store.gate.load(Ordering::Relaxed));
    // The MULTI went with the old connection: SET runs at once.
    assert_eq!(run(&mut store, &mut b, "SET k v"), Frame::ok());
    assert_ne!(b.id, old);
    assert!(!store.gate.load(Ordering::Relaxed));
    // A client dropped while killed leaves nothing behind.
    let id = b.id;
    let kill = format!("CLIENT KILL ID {id}");
    let args: Vec<&[u8]> = kill.split(' ').map(str::as_bytes).collect();
    crate::commands::dispatch(&mut store, &mut a, &args);
    crate::engine::clients::disconnect(&mut store, &mut b);
    assert!(store.clients.killed.is_empty());
    assert!(!store.gate.load(Ordering::Relaxed));
}
