//! HELLO: the protocol handshake (RESP2 or RESP3), with AUTH and SETNAME.

use bytes::Bytes;

use super::flags::*;
use super::{acl, args, Command, Ctx, Group};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

pub(crate) const COMMANDS: &[Command] = &[Command::new(
    "hello",
    -1,
    NOSCRIPT | LOADING | STALE | FAST | NO_AUTH | ALLOW_BUSY,
    Group::Connection,
    hello,
)
.acl(acl::CONNECTION)];

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mut resp3 = ctx.client.resp3;
    if let Some(ver) = argv.get(1) {
        let ver = args::int(ver)
            .map_err(|_| Error::err("ERR Protocol version is not an integer or out of range"))?;
        if !(2..=3).contains(&ver) {
            return Err(Error::err("NOPROTO unsupported protocol version"));
        }
        resp3 = ver == 3;
    }
    let mut name = None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        if args::is(argv[i], "auth") && more >= 2 {
            check_auth(ctx, argv[i + 1], argv[i + 2])?;
            i += 3;
        } else if args::is(argv[i], "setname") && more >= 1 {
            name = Some(argv[i + 1]);
            i += 2;
        } else {
            return Err(Error::msg(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(argv[i])
            )));
        }
    }
    if let Some(name) = name {
        if name.iter().any(|c| !(b'!'..=b'~').contains(c)) {
            return Err(Error::err(
                "ERR Client names cannot contain spaces, newlines or special characters.",
            ));
        }
        ctx.client.name = (!name.is_empty()).then(|| Bytes::copy_from_slice(name));
    }
    ctx.client.resp3 = resp3;
    Ok(server_map(ctx))
}

/// The only user is `default`; it needs the password when `requirepass`
/// is set and accepts any otherwise (Redis's `nopass`).
fn check_auth(ctx: &Ctx, user: &[u8], password: &[u8]) -> Result<(), Error> {
    let required = &ctx.store.config.requirepass;
    let ok = user == b"default" && (required.is_empty() || required.as_bytes() == password);
    if ok {
        Ok(())
    } else {
        Err(Error::err(
            "WRONGPASS invalid username-password pair or user is disabled.",
        ))
    }
}

/// HELLO's reply: who the server is and the connection's protocol.
fn server_map(ctx: &Ctx) -> Frame {
    let text = |s: &str| Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()));
    Frame::Map(vec![
        (text("server"), text("redis")),
        (text("version"), text(super::server_info::REDIS_VERSION)),
        (
            text("proto"),
            Frame::Integer(if ctx.client.resp3 { 3 } else { 2 }),
        ),
        (text("id"), Frame::Integer(ctx.client.id as i64)),
        (text("mode"), text("standalone")),
        (text("role"), text("master")),
        (text("modules"), Frame::Array(Vec::new())),
    ])
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::Harness;
    use crate::resp::Frame;

    #[test]
    fn hello_switches_protocol_and_checks_arguments() {
        let mut h = Harness::new();
        let reply = h.run("HELLO 3");
        assert!(matches!(reply, Frame::Map(_)), "{reply:?}");
        assert!(h.client.resp3);
        h.run("HELLO 2");
        assert!(!h.client.resp3);
        assert!(h.run("HELLO 4").is_error());
        assert!(h.run("HELLO x").is_error());
        assert!(h.run("HELLO 3 AUTH default").is_error());
        assert!(h.run("HELLO 3 AUTH bob pw").is_error());
        h.run("HELLO 3 SETNAME worker");
        assert_eq!(h.client.name.as_deref(), Some(&b"worker"[..]));
    }
}
