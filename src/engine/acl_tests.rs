use super::*;
use crate::commands::lookup;

fn set(acl: &mut Acl, name: &str, rules: &str) -> Result<(), String> {
    let rules: Vec<&[u8]> = rules.split(' ').map(|r| r.as_bytes()).collect();
    acl.setuser(name.as_bytes(), &rules)
}

fn check(acl: &Acl, user: &str, argv: &str) -> Result<(), (Denied, usize)> {
    let argv: Vec<&[u8]> = argv.split(' ').map(|a| a.as_bytes()).collect();
    let cmd = crate::commands::resolve(&argv).expect("known command");
    acl.user(user.as_bytes()).expect("user").check(cmd, &argv)
}

#[test]
fn sha256_matches_known_digests() {
    assert_eq!(
        sha256_hex(b"password"),
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
    );
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let long = vec![b'a'; 200];
    assert_eq!(sha256_hex(&long).len(), 64);
}

#[test]
fn default_user_is_unrestricted() {
    let acl = Acl::default();
    assert!(acl.trivial());
    assert_eq!(
        acl.default_user().describe(),
        "user default on nopass ~* &* +@all"
    );
}

#[test]
fn new_user_and_describe() {
    let mut acl = Acl::default();
    set(
        &mut acl,
        "u",
        "on >p1 ~k* %R~r* &ch* +get +@hash -hdel +client|id",
    )
    .unwrap();
    let u = acl.user(b"u").unwrap();
    assert!(u.password_ok(b"p1"));
    assert!(!u.password_ok(b"p2"));
    assert_eq!(u.root.describe_keys(), "~k* %R~r*");
    assert_eq!(u.root.describe_channels(), "&ch*");
    assert_eq!(
        u.root.describe_commands(),
        "-@all +@hash +client|id +get -hdel"
    );
    assert!(!acl.trivial());
}

#[test]
fn rule_errors_leave_the_user_unchanged() {
    let mut acl = Acl::default();
    set(&mut acl, "u", "on nopass").unwrap();
    let err = set(&mut acl, "u", "off foo").unwrap_err();
    assert_eq!(err, "ERR Error in ACL SETUSER modifier 'foo': Syntax error");
    assert!(acl.user(b"u").unwrap().enabled);
    let err = set(&mut acl, "u", "+nosuch").unwrap_err();
    assert!(
        err.ends_with("Unknown command or category name in ACL"),
        "{err}"
    );
    let err = set(&mut acl, "u", "allkeys ~a").unwrap_err();
    assert!(
        err.contains("Adding a pattern after the * pattern"),
        "{err}"
    );
    let err = set(&mut acl, "u", "<nothere").unwrap_err();
    assert!(err.contains("does not exist"), "{err}");
    let err = set(&mut acl, "u", "#abc").unwrap_err();
    assert!(err.contains("exactly 64 characters"), "{err}");
    let err = set(&mut acl, "u", "(+get").unwrap_err();
    assert_eq!(
        err,
        "ERR Unmatched parenthesis in acl selector starting at '(+get'."
    );
}

#[test]
fn commands_keys_and_channels_are_checked() {
    let mut acl = Acl::default();
    set(
        &mut acl,
        "u",
        "on nopass ~k* %R~r* &c1 +get +set +publish +psubscribe",
    )
    .unwrap();
    assert_eq!(check(&acl, "u", "get k1"), Ok(()));
    assert_eq!(check(&acl, "u", "get x"), Err((Denied::Key, 1)));
    assert_eq!(check(&acl, "u", "get r1"), Ok(()));
    assert_eq!(check(&acl, "u", "set r1 v"), Err((Denied::Key, 1)));
    assert_eq!(check(&acl, "u", "hget k f"), Err((Denied::Command, 0)));
    assert_eq!(check(&acl, "u", "publish c1 m"), Ok(()));
    assert_eq!(check(&acl, "u", "publish c2 m"), Err((Denied::Channel, 1)));
    // A pattern subscription must name one of the user's patterns exactly.
    assert_eq!(check(&acl, "u", "psubscribe c*"), Err((Denied::Channel, 1)));
}

#[test]
fn selectors_extend_the_root() {
    let mut acl = Acl::default();
    set(&mut acl, "u", "on nopass ~k* +get (~s* +set)").unwrap();
    assert_eq!(check(&acl, "u", "get k"), Ok(()));
    assert_eq!(check(&acl, "u", "set s1 v"), Ok(()));
    // The root refuses the command, the selector the key: the key wins.
    assert_eq!(check(&acl, "u", "set k v"), Err((Denied::Key, 1)));
    assert_eq!(
        acl.user(b"u").unwrap().describe(),
        "user u on nopass ~k* resetchannels -@all +get (~s* resetchannels -@all +set)"
    );
}

#[test]
fn containers_and_subcommands() {
    let mut acl = Acl::default();
    set(&mut acl, "u", "on nopass +config|get +config").unwrap();
    assert_eq!(
        acl.user(b"u").unwrap().root.describe_commands(),
        "-@all +config"
    );
    set(&mut acl, "u", "-config +config|get").unwrap();
    assert_eq!(
        acl.user(b"u").unwrap().root.describe_commands(),
        "-@all +config|get"
    );
    assert_eq!(check(&acl, "u", "config get x"), Ok(()));
    assert_eq!(
        check(&acl, "u", "config set x y"),
        Err((Denied::Command, 0))
    );
    set(&mut acl, "u", "allcommands -get").unwrap();
    assert_eq!(
        acl.user(b"u").unwrap().root.describe_commands(),
        "+@all -get"
    );
    assert!(lookup(b"get").is_some());
}

#[test]
fn reset_and_passwords() {
    let mut acl = Acl::default();
    set(&mut acl, "u", "on >a >b <a").unwrap();
    let u = acl.user(b"u").unwrap();
    assert!(!u.password_ok(b"a") && u.password_ok(b"b"));
    set(&mut acl, "u", "reset").unwrap();
    assert_eq!(
        acl.user(b"u").unwrap().describe(),
        "user u off sanitize-payload resetchannels -@all"
    );
}

#[test]
fn log_merges_similar_entries() {
    let mut acl = Acl::default();
    let entry = |object: &'static [u8], ms| LogEntry {
        count: 1,
        reason: Denied::Key,
        context: "toplevel",
        object: Bytes::from_static(object),
        username: Bytes::from_static(b"u"),
        updated_ms: ms,
        client_info: String::new(),
    };
    acl.log_denial(entry(b"a", 0), 128);
    acl.log_denial(entry(b"b", 1), 128);
    acl.log_denial(entry(b"a", 2), 128);
    assert_eq!(acl.log.len(), 2);
    assert_eq!(acl.log[0].object.as_ref(), b"a");
    assert_eq!(acl.log[0].count, 2);
    acl.log_denial(entry(b"c", 3), 2);
    assert_eq!(acl.log.len(), 2);
}

#[test]
fn genpass_has_the_asked_length() {
    assert_eq!(genpass(256).len(), 64);
    assert_eq!(genpass(5).len(), 2);
    assert_eq!(genpass(1).len(), 1);
}
