//! Connection commands: CLIENT (every subcommand), HELLO, RESET and QUIT.
//! CLIENT LIST / INFO / KILL read the engine's client registry
//! (`engine::clients`), so they see every client of an engine.

use bytes::Bytes;

use super::flags::*;
use super::routing::{Combine, Nodes};
use super::server::{container, help_reply};
use super::server_info::REDIS_VERSION;
use super::traits::ALONE;
use super::{acl, args, Command, Ctx, Group};
use crate::engine::client::ReplyMode;
use crate::engine::clients::{self, ClientInfo};
use crate::engine::tracking::Options;
use crate::engine::{now_ms, Store};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

const C: Group = Group::Connection;
const CONN: u32 = acl::CONNECTION;
const LS: u32 = LOADING | STALE;
const ADMIN_CMD: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

const CLIENT_SUBCOMMANDS: &[Command] = &[
    Command::new("client|id", 2, NOSCRIPT | LS, C, client_id).acl(CONN),
    Command::new("client|getname", 2, NOSCRIPT | LS, C, client_getname)
        .reply2("STR")
        .reply_unified3("STR")
        .acl(CONN),
    Command::new("client|setname", 3, NOSCRIPT | LS, C, client_setname)
        .route(Nodes::AllNodes, Combine::AllTrue)
        .reply("OK")
        .acl(CONN),
    Command::new("client|info", 2, NOSCRIPT | LS, C, client_info)
        .reply("parse_client_info")
        .acl(CONN),
    Command::new("client|list", -2, ADMIN_CMD, C, client_list)
        .reply("parse_client_list")
        .acl(CONN),
    Command::new("client|kill", -3, ADMIN_CMD, C, client_kill)
        .traits(ALONE)
        .reply("parse_client_kill")
        .acl(CONN),
    Command::new("client|no-evict", 3, ADMIN_CMD, C, client_no_evict)
        .status()
        .acl(CONN)
        .traits(ALONE),
    Command::new("client|no-touch", 3, NOSCRIPT | LS, C, client_no_touch)
        .status()
        .acl(CONN)
        .traits(ALONE),
    Command::new("client|setinfo", 4, NOSCRIPT | LS, C, client_setinfo)
        .status()
        .acl(CONN),
    Command::new("client|unblock", -3, ADMIN_CMD, C, client_unblock)
        .reply("BOOL")
        .acl(CONN),
    Command::new("client|getredir", 2, NOSCRIPT | LS, C, client_getredir).acl(CONN),
    Command::new(
        "client|trackinginfo",
        2,
        NOSCRIPT | LS,
        C,
        client_trackinginfo,
    )
    .reply("parse_trackinginfo")
    .acl(CONN),
    Command::new("client|tracking", -3, NOSCRIPT | LS, C, client_tracking)
        .status()
        .acl(CONN)
        .traits(ALONE),
    Command::new("client|caching", 3, NOSCRIPT | LS, C, client_caching)
        .status()
        .acl(CONN),
    Command::new("client|pause", -3, ADMIN_CMD, C, client_pause)
        .traits(ALONE)
        .route(Nodes::AllNodes, Combine::AllTrue)
        .reply("OK")
        .acl(CONN),
    Command::new("client|unpause", 2, ADMIN_CMD, C, client_unpause)
        .status()
        .traits(ALONE)
        .route(Nodes::AllNodes, Combine::AllTrue)
        .acl(CONN),
    Command::new("client|reply", 3, NOSCRIPT | LS, C, client_reply)
        .status()
        .acl(CONN),
    Command::new("client|help", 2, LS, C, client_help).acl(CONN),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("client", -2, 0, C, container).subcommands(CLIENT_SUBCOMMANDS),
    Command::new("monitor", 1, ADMIN | NOSCRIPT | LS, Group::Server, monitor)
        .status()
        .traits(ALONE),
    Command::new(
        "hello",
        -1,
        NOSCRIPT | LS | FAST | NO_AUTH | ALLOW_BUSY,
        C,
        hello,
    )
    .acl(CONN)
    .traits(ALONE),
    Command::new(
        "reset",
        1,
        NOSCRIPT | LS | FAST | NO_AUTH | ALLOW_BUSY,
        C,
        reset,
    )
    .status()
    .traits(ALONE)
    .reply2("STR")
    .reply3("_str")
    .reply_unified3("STR")
    .acl(CONN),
    Command::new(
        "quit",
        -1,
        NOSCRIPT | LS | FAST | NO_AUTH | ALLOW_BUSY,
        C,
        quit,
    )
    .traits(ALONE)
    .reply("OK")
    .acl(CONN),
];

/// CLIENT ID
fn client_id(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(ctx.client.id as i64))
}

/// CLIENT GETNAME
fn client_getname(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::bulk_or_null(ctx.client.name.clone()))
}

/// CLIENT SETNAME's (and HELLO SETNAME's) error for a name with spaces or
/// special characters.
const BAD_CLIENT_NAME: &str =
    "ERR Client names cannot contain spaces, newlines or special characters.";

/// Checks a connection name as CLIENT SETNAME does (an embedded client's
/// `client_name=` goes through it too).
pub fn check_client_name(name: &[u8]) -> Result<(), Error> {
    valid_name(name, BAD_CLIENT_NAME)
}

/// Checks a client name: printable, no spaces.
fn valid_name(name: &[u8], what: &'static str) -> Result<(), Error> {
    if name.iter().any(|c| !(b'!'..=b'~').contains(c)) {
        return Err(Error::err(what));
    }
    Ok(())
}

/// CLIENT SETNAME connection-name — an empty name clears it.
fn client_setname(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    check_client_name(argv[2])?;
    ctx.client.name = (!argv[2].is_empty()).then(|| Bytes::copy_from_slice(argv[2]));
    Ok(Frame::ok())
}

/// Parses an ON | OFF argument.
fn on_off(arg: &[u8]) -> Result<bool, Error> {
    if args::is(arg, "on") {
        Ok(true)
    } else if args::is(arg, "off") {
        Ok(false)
    } else {
        Err(Error::Syntax)
    }
}

/// CLIENT NO-EVICT ON | OFF
fn client_no_evict(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    ctx.client.no_evict = on_off(argv[2])?;
    Ok(Frame::ok())
}

/// CLIENT NO-TOUCH ON | OFF (Redis 7.2)
fn client_no_touch(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    ctx.client.no_touch = on_off(argv[2])?;
    Ok(Frame::ok())
}

/// CLIENT SETINFO LIB-NAME libname | LIB-VER libver (Redis 7.2) — an
/// empty value clears it.
fn client_setinfo(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (attr, value) = (argv[2], argv[3]);
    let lib_name = args::is(attr, "lib-name");
    if !lib_name && !args::is(attr, "lib-ver") {
        let attr = String::from_utf8_lossy(attr);
        return Err(Error::msg(format!("ERR Unrecognized option '{attr}'")));
    }
    if value.iter().any(|c| !(b'!'..=b'~').contains(c)) {
        return Err(Error::msg(format!(
            "ERR {} cannot contain spaces, newlines or special characters.",
            String::from_utf8_lossy(attr)
        )));
    }
    let value = (!value.is_empty()).then(|| Bytes::copy_from_slice(value));
    if lib_name {
        ctx.client.lib_name = value;
    } else {
        ctx.client.lib_ver = value;
    }
    Ok(Frame::ok())
}

/// CLIENT INFO
fn client_info(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let line = clients::own_line(ctx.store, ctx.client, "client|info");
    Ok(Frame::Verbatim(*b"txt", line.into()))
}

/// The registry's entries, oldest id first, with the caller's own entry
/// brought up to date.
fn entries(ctx: &mut Ctx, cmd: &'static str) -> Vec<ClientInfo> {
    clients::sync(ctx.store, ctx.client, cmd);
    let mut all: Vec<ClientInfo> = ctx.store.clients.map.values().cloned().collect();
    all.sort_by_key(|c| c.id);
    all
}

fn lines(store: &Store, list: &[ClientInfo]) -> Frame {
    let now = now_ms();
    let text: String = list.iter().map(|e| clients::line(store, e, now)).collect();
    Frame::Verbatim(*b"txt", text.into())
}

/// CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id ...]
fn client_list(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let all = entries(ctx, "client|list");
    let chosen: Vec<ClientInfo> = if argv.len() == 4 && args::is(argv[2], "type") {
        let pubsub = client_type(argv[3])?;
        all.into_iter()
            .filter(|c| pubsub.is_some_and(|p| p == c.pubsub))
            .collect()
    } else if argv.len() > 3 && args::is(argv[2], "id") {
        let mut ids = Vec::new();
        for a in &argv[3..] {
            let id = crate::num::parse_i64(a)
                .filter(|&n| n > 0)
                .ok_or(Error::err("ERR Invalid client ID"))?;
            ids.push(id as u64);
        }
        all.into_iter().filter(|c| ids.contains(&c.id)).collect()
    } else if argv.len() == 2 {
        all
    } else {
        return Err(Error::Syntax);
    };
    Ok(lines(ctx.store, &chosen))
}

/// A CLIENT LIST / KILL type: `Some(pubsub?)` for normal and pubsub,
/// `None` for the replication types an engine never has.
fn client_type(arg: &[u8]) -> Result<Option<bool>, Error> {
    match arg.to_ascii_lowercase().as_slice() {
        b"normal" => Ok(Some(false)),
        b"pubsub" => Ok(Some(true)),
        b"master" | b"replica" | b"slave" => Ok(None),
        _ => Err(Error::msg(format!(
            "ERR Unknown client type '{}'",
            String::from_utf8_lossy(arg)
        ))),
    }
}

/// CLIENT KILL's filters.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    kind: Option<Option<bool>>,
    user: Option<Bytes>,
    addr: Option<Bytes>,
    laddr: Option<Bytes>,
    skipme: bool,
    maxage: Option<i64>,
}

impl KillFilter {
    fn parse(ctx: &Ctx, pairs: &[&[u8]]) -> Result<KillFilter, Error> {
        if pairs.len() % 2 != 0 {
            return Err(Error::Syntax);
        }
        let mut f = KillFilter {
            skipme: true,
            ..KillFilter::default()
        };
        for p in pairs.chunks_exact(2) {
            let (opt, val) = (p[0].to_ascii_lowercase(), p[1]);
            match opt.as_slice() {
                b"id" => {
                    let id = crate::num::parse_i64(val)
                        .filter(|&n| n > 0)
                        .ok_or(Error::err("ERR client-id should be greater than 0"))?;
                    f.id = Some(id as u64);
                }
                b"type" => f.kind = Some(client_type(val)?),
                b"user" => {
                    if ctx.store.acl.user(val).is_none() {
                        return Err(Error::msg(format!(
                            "ERR No such user '{}'",
                            String::from_utf8_lossy(val)
                        )));
                    }
                    f.user = Some(Bytes::copy_from_slice(val));
                }
                b"addr" => f.addr = Some(Bytes::copy_from_slice(val)),
                b"laddr" => f.laddr = Some(Bytes::copy_from_slice(val)),
                b"skipme" => {
                    f.skipme = match val.to_ascii_lowercase().as_slice() {
                        b"yes" => true,
                        b"no" => false,
                        _ => return Err(Error::Syntax),
                    }
                }
                b"maxage" => f.maxage = Some(args::int(val)?),
                _ => return Err(Error::Syntax),
            }
        }
        Ok(f)
    }

    fn matches(&self, c: &ClientInfo, me: u64, now: i64) -> bool {
        self.id.is_none_or(|id| id == c.id)
            && self
                .kind
                .is_none_or(|k| k.is_some_and(|pubsub| pubsub == c.pubsub))
            && self.user.as_ref().is_none_or(|u| *u == c.user)
            && self
                .addr
                .as_ref()
                .is_none_or(|a| a.as_ref() == c.addr().as_bytes())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| a.as_ref() == c.laddr().as_bytes())
            && !(self.skipme && c.id == me)
            && self
                .maxage
                .is_none_or(|age| (now - c.created_ms) / 1000 >= age)
    }
}

/// Kills clients: each is dropped from the list now, and its next
/// command runs on a fresh connection (see `engine::clients`).
pub fn kill(store: &mut Store, ids: &[u64]) {
    for id in ids {
        store.clients.map.remove(id);
        store.clients.killed.insert(*id);
        if let Some(w) = store.blocking.by_client(*id) {
            if let Some(w) = store.blocking.remove(w) {
                w.slot
                    .complete(Frame::error("ERR Connection closed by server."));
            }
        }
    }
    store.refresh_gate();
}

/// CLIENT KILL ip:port | CLIENT KILL <filter value> ...
fn client_kill(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let me = ctx.client.id;
    let all = entries(ctx, "client|kill");
    if argv.len() == 3 {
        let target = all
            .iter()
            .find(|c| c.addr().as_bytes() == argv[2])
            .map(|c| c.id)
            .ok_or(Error::err("ERR No such client"))?;
        kill(ctx.store, &[target]);
        return Ok(Frame::ok());
    }
    let filter = KillFilter::parse(ctx, &argv[2..])?;
    let now = now_ms();
    let ids: Vec<u64> = all
        .iter()
        .filter(|c| filter.matches(c, me, now))
        .map(|c| c.id)
        .collect();
    kill(ctx.store, &ids);
    Ok(Frame::Integer(ids.len() as i64))
}

/// CLIENT UNBLOCK client-id [TIMEOUT | ERROR]
fn client_unblock(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let id = args::int(argv[2])?;
    let error = match argv.get(3) {
        None => false,
        Some(a) if argv.len() == 4 && args::is(a, "timeout") => false,
        Some(a) if argv.len() == 4 && args::is(a, "error") => true,
        _ => {
            return Err(Error::err(
                "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
    };
    let waiter = u64::try_from(id)
        .ok()
        .and_then(|id| ctx.store.blocking.by_client(id))
        .and_then(|w| ctx.store.blocking.remove(w));
    let Some(w) = waiter else {
        return Ok(Frame::Integer(0));
    };
    let reply = if error {
        Frame::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    } else {
        w.timeout_reply.clone()
    };
    w.slot.complete(reply);
    Ok(Frame::Integer(1))
}

/// CLIENT PAUSE timeout [WRITE | ALL]
fn client_pause(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let ms = crate::num::parse_i64(argv[2])
        .ok_or(Error::err("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(Error::err("ERR timeout is negative"));
    }
    let write_only =
        match argv {
            [_, _, _] => false,
            [_, _, _, mode] if args::is(mode, "write") => true,
            [_, _, _, mode] if args::is(mode, "all") => false,
            [_, _, _, _] => return Err(Error::err("ERR CLIENT PAUSE mode must be WRITE or ALL")),
            _ => return Err(Error::err(
                "ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.",
            )),
        };
    ctx.store.pause.set(now_ms().saturating_add(ms), write_only);
    Ok(Frame::ok())
}

/// CLIENT UNPAUSE
fn client_unpause(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    ctx.store.pause.clear();
    Ok(Frame::ok())
}

/// CLIENT TRACKING ON | OFF [REDIRECT id] [PREFIX prefix ...] [BCAST]
/// [OPTIN] [OPTOUT] [NOLOOP]
fn client_tracking(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let on = on_off(argv[2])?;
    let mut o = Options::default();
    let mut rest = &argv[3..];
    while let Some(opt) = rest.first() {
        let lower = opt.to_ascii_lowercase();
        match lower.as_slice() {
            b"redirect" | b"prefix" if rest.len() < 2 => return Err(Error::Syntax),
            b"redirect" => {
                let id = crate::num::parse_i64(rest[1]).ok_or(Error::NotInteger)?;
                o.redirect = id.max(0) as u64;
                rest = &rest[1..];
            }
            b"prefix" => {
                o.prefixes.push(Bytes::copy_from_slice(rest[1]));
                rest = &rest[1..];
            }
            b"bcast" => o.bcast = true,
            b"optin" => o.optin = true,
            b"optout" => o.optout = true,
            b"noloop" => o.noloop = true,
            _ => return Err(Error::Syntax),
        }
        rest = &rest[1..];
    }
    let id = ctx.client.id;
    if !on {
        ctx.store.tracking.disable(id);
        ctx.store.refresh_gate();
        return Ok(Frame::ok());
    }
    if o.redirect != 0 && o.redirect != id && !ctx.store.clients.map.contains_key(&o.redirect) {
        return Err(Error::err(
            "ERR The client ID you want redirect to does not exist",
        ));
    }
    if o.optin && o.optout {
        return Err(Error::err(
            "ERR You can't specify both OPTIN mode and OPTOUT mode",
        ));
    }
    if !o.bcast && !o.prefixes.is_empty() {
        return Err(Error::err(
            "ERR PREFIX option requires BCAST mode to be enabled",
        ));
    }
    if let Some(old) = ctx.store.tracking.clients.get(&id) {
        if old.bcast != o.bcast {
            return Err(Error::err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."));
        }
    }
    // Tracking for itself, a RESP3 connection takes its invalidations as
    // pushes on its own connection (RESP2 needs a REDIRECT).
    let own = (o.redirect == 0 || o.redirect == id)
        .then(|| ctx.client.sink.clone())
        .flatten();
    ctx.store.tracking.set_own_sink(id, own);
    ctx.store.tracking.clients.insert(id, o);
    ctx.store.refresh_gate();
    Ok(Frame::ok())
}

/// CLIENT CACHING YES | NO — for the next command of an OPTIN / OPTOUT
/// tracking client.
fn client_caching(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mode = ctx.store.tracking.clients.get(&ctx.client.id);
    let (optin, optout) = mode.map_or((false, false), |o| (o.optin, o.optout));
    if !optin && !optout {
        return Err(Error::err("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"));
    }
    let yes = if args::is(argv[2], "yes") {
        true
    } else if args::is(argv[2], "no") {
        false
    } else {
        return Err(Error::Syntax);
    };
    if (yes && !optin) || (!yes && !optout) {
        return Err(Error::msg(format!(
            "ERR CLIENT CACHING {} is only valid when tracking is enabled in {} mode.",
            if yes { "YES" } else { "NO" },
            if yes { "OPTIN" } else { "OPTOUT" }
        )));
    }
    ctx.client.caching = Some(yes);
    Ok(Frame::ok())
}

/// CLIENT GETREDIR — the redirect target, 0 when tracking without one,
/// -1 when not tracking.
fn client_getredir(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(
        ctx.store
            .tracking
            .clients
            .get(&ctx.client.id)
            .map_or(-1, |o| o.redirect as i64),
    ))
}

/// CLIENT TRACKINGINFO
fn client_trackinginfo(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let o = ctx.store.tracking.clients.get(&ctx.client.id);
    let mut flags = vec![if o.is_some() { "on" } else { "off" }];
    if let Some(o) = o {
        for (set, name) in [
            (o.bcast, "bcast"),
            (o.optin, "optin"),
            (o.optout, "optout"),
            (ctx.client.caching == Some(true), "caching-yes"),
            (ctx.client.caching == Some(false), "caching-no"),
            (o.noloop, "noloop"),
        ] {
            if set {
                flags.push(name);
            }
        }
        if o.redirect != 0 && !ctx.store.clients.map.contains_key(&o.redirect) {
            flags.push("broken_redirect");
        }
    }
    let prefixes = o.map_or_else(Vec::new, |o| {
        o.prefixes.iter().cloned().map(Frame::Bulk).collect()
    });
    Ok(Frame::Map(vec![
        (
            Frame::bulk(b"flags"),
            Frame::Array(flags.iter().map(|f| Frame::bulk(f.as_bytes())).collect()),
        ),
        (
            Frame::bulk(b"redirect"),
            Frame::Integer(o.map_or(-1, |o| o.redirect as i64)),
        ),
        (Frame::bulk(b"prefixes"), Frame::Array(prefixes)),
    ]))
}

/// CLIENT REPLY ON | OFF | SKIP — an embedded call always returns, so
/// OFF and SKIP make the replies they suppress come back as None (inside
/// a queued pipeline; a Python client running it alone raises TimeoutError
/// and reconnects, as redis-py does on a server: `check_reply_off`).
fn client_reply(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mode = argv[2].to_ascii_lowercase();
    ctx.client.reply_mode = match mode.as_slice() {
        b"on" => ReplyMode::On,
        b"off" => ReplyMode::Off,
        b"skip" => ReplyMode::SkipNext,
        _ => return Err(Error::Syntax),
    };
    if ctx.client.reply_mode == ReplyMode::On {
        Ok(Frame::ok())
    } else {
        Ok(Frame::Null)
    }
}

/// HELLO [protover [AUTH username password] [SETNAME clientname]]
fn hello(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mut proto = None;
    let mut rest = &argv[1..];
    if let Some(v) = rest.first() {
        let n = crate::num::parse_i64(v).ok_or(Error::err(
            "ERR Protocol version is not an integer or out of range",
        ))?;
        if !(2..=3).contains(&n) {
            return Err(Error::err("NOPROTO unsupported protocol version"));
        }
        proto = Some(n);
        rest = &rest[1..];
    }
    let mut auth = None;
    let mut setname = None;
    while let Some(opt) = rest.first() {
        if args::is(opt, "auth") && rest.len() >= 3 {
            auth = Some((rest[1], rest[2]));
            rest = &rest[3..];
        } else if args::is(opt, "setname") && rest.len() >= 2 {
            check_client_name(rest[1])?;
            setname = Some(rest[1]);
            rest = &rest[2..];
        } else {
            return Err(Error::msg(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            )));
        }
    }
    if let Some((user, pass)) = auth {
        super::auth::authenticate(ctx.store, ctx.client, user, pass)?;
    }
    if !ctx.client.authenticated && !ctx.store.acl.default_opens() {
        return Err(Error::err(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
        ));
    }
    if let Some(name) = setname {
        ctx.client.name = (!name.is_empty()).then(|| Bytes::copy_from_slice(name));
    }
    if let Some(p) = proto {
        ctx.client.resp3 = p == 3;
    }
    let field = |k: &'static str, v: Frame| (Frame::bulk(k.as_bytes()), v);
    let fields = vec![
        field("server", Frame::bulk(b"redis")),
        field("version", Frame::bulk(REDIS_VERSION.as_bytes())),
        field(
            "proto",
            Frame::Integer(if ctx.client.resp3 { 3 } else { 2 }),
        ),
        field("id", Frame::Integer(ctx.client.id as i64)),
        field("mode", Frame::bulk(b"standalone")),
        field("role", Frame::bulk(b"master")),
        field("modules", Frame::Array(Vec::new())),
    ];
    // The reply goes out in the protocol HELLO just chose: after HELLO 2 a
    // RESP3 client reads a flat array, as from a server.
    if ctx.client.resp3 {
        Ok(Frame::Map(fields))
    } else {
        Ok(Frame::Array(
            fields.into_iter().flat_map(|(k, v)| [k, v]).collect(),
        ))
    }
}

/// RESET — back to a fresh connection's state: no MULTI, WATCH,
/// subscriptions or name, database 0, RESP2, the default user (and not
/// authenticated if it needs a password).
fn reset(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let client = &mut *ctx.client;
    client.multi = None;
    super::transactions::unwatch_all(ctx.store, client);
    ctx.store.pubsub.remove_client(client.id);
    client.pubsub = false;
    client.db = 0;
    client.resp3 = false;
    client.name = None;
    client.no_evict = false;
    client.no_touch = false;
    client.reply_mode = ReplyMode::On;
    client.user = Bytes::from_static(b"default");
    client.authenticated = ctx.store.acl.default_opens();
    client.caching = None;
    ctx.store.tracking.disable(client.id);
    ctx.store.refresh_gate();
    Ok(Frame::simple_static("RESET"))
}

/// MONITOR — from now on every command of every client of the engine
/// reaches this client's stream (a `Redis.monitor()` object's).
fn monitor(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let Some(sink) = ctx.client.sink.clone() else {
        return Err(Error::err(
            "ERR MONITOR needs a client that reads a stream: use Redis.monitor()",
        ));
    };
    if ctx.client.in_exec || ctx.client.multi.is_some() {
        return Err(Error::err("ERR MONITOR isn't allowed inside a transaction"));
    }
    ctx.store.monitors.add(ctx.client.id, sink.0);
    ctx.store.refresh_gate();
    Ok(Frame::ok())
}

/// QUIT — the connection closes after the reply; the next command on an
/// embedded client runs on a fresh connection.
fn quit(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    kill(ctx.store, &[ctx.client.id]);
    Ok(Frame::ok())
}

/// CLIENT HELP
fn client_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(help_reply(
        argv[0],
        &[
            "GETNAME",
            "    Return the name of this connection.",
            "GETREDIR",
            "    Return the client id tracking invalidations are redirected to, or -1.",
            "ID",
            "    Return the id of this connection.",
            "INFO",
            "    Return details about this connection.",
            "KILL <ip:port> | <option> <value> [<option> <value> ...]",
            "    Close connections by address, or by ID, TYPE, USER, ADDR, LADDR, SKIPME, MAXAGE.",
            "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]",
            "    Return details about connections.",
            "NO-EVICT (ON|OFF)",
            "    Protect this connection from client eviction.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Hold the commands of every client (or only writes) for <timeout> ms.",
            "REPLY (ON|OFF|SKIP)",
            "    Turn replies on or off, or skip the next one.",
            "SETNAME <name>",
            "    Name this connection.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> ...] [OPTIN] [OPTOUT] [NOLOOP]",
            "    Turn client-side caching invalidations on or off.",
            "CACHING (YES|NO)",
            "    Whether the next command's keys are tracked (OPTIN / OPTOUT modes).",
            "TRACKINGINFO",
            "    Return the client-side caching state of this connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    End the blocking command of another connection.",
            "UNPAUSE",
            "    End a CLIENT PAUSE.",
        ],
    ))
}

#[cfg(test)]
mod hello_tests {
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
