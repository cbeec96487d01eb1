//! Server and connection commands: PING, ECHO, SELECT, DBSIZE, FLUSHDB,
//! FLUSHALL, SWAPDB, TIME and CONFIG (CLIENT is in `connection`). INFO lives in `server_info`,
//! COMMAND in `command_info`; their rows are here.

use bytes::Bytes;

use super::command_info;
use super::flags::*;
use super::generic::{db_index, int32};
use super::routing::{Combine, Nodes};
use super::server_info;
use super::{acl, args, Command, Ctx, Group};
use crate::engine::config::{self, flag};
use crate::engine::Stats;
use crate::error::{CmdResult, Error};
use crate::glob::GlobPattern;
use crate::resp::Frame;

const G: Group = Group::Server;
const C: Group = Group::Connection;
const CONN: u32 = acl::CONNECTION;
const LS: u32 = LOADING | STALE;
const ADMIN_CMD: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

const CONFIG_SUBCOMMANDS: &[Command] = &Command::all_traits(
    [
        Command::new("config|get", -3, ADMIN_CMD, G, config_get)
            .reply2("STR_DICT")
            .reply3("config_get_resp3"),
        Command::new("config|set", -4, ADMIN_CMD, G, config_set)
            .route(Nodes::AllNodes, Combine::AllTrue)
            .reply("OK"),
        Command::new("config|resetstat", 2, ADMIN_CMD, G, config_resetstat)
            .route(Nodes::AllNodes, Combine::AllTrue)
            .reply("OK"),
        Command::new("config|rewrite", 2, ADMIN_CMD, G, config_rewrite)
            .status()
            .route(Nodes::AllNodes, Combine::AllTrue),
        Command::new("config|help", 2, LS, G, config_help),
    ],
    super::traits::ALONE,
);

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("ping", -1, FAST, C, ping)
        .route(Nodes::AllNodes, Combine::AllTrue)
        .reply("PING")
        .acl(CONN)
        .traits(super::traits::SUBSCRIBED_OK),
    Command::new("echo", 2, LS | FAST, C, echo).acl(CONN),
    Command::new("select", 2, LS | FAST, C, select)
        .reply("OK")
        .acl(CONN),
    Command::new("dbsize", 1, READONLY | FAST, G, dbsize)
        .route(Nodes::Primaries, Combine::Sum)
        .acl(acl::KEYSPACE),
    Command::new("flushdb", -1, WRITE, G, flushdb)
        .route(Nodes::Primaries, Combine::AllTrue)
        .reply("OK")
        .acl(acl::KEYSPACE | acl::DANGEROUS),
    Command::new("flushall", -1, WRITE, G, flushall)
        .route(Nodes::Primaries, Combine::AllTrue)
        .reply("OK")
        .acl(acl::KEYSPACE | acl::DANGEROUS),
    Command::new("swapdb", 3, WRITE | FAST, G, swapdb)
        .reply("OK")
        .acl(acl::KEYSPACE | acl::DANGEROUS),
    Command::new("time", 1, LS | FAST, G, time).reply("TIME"),
    Command::new("info", -1, LS, G, server_info::info)
        .traits(super::traits::ALONE)
        .reply("parse_info")
        .acl(acl::DANGEROUS),
    Command::new("config", -2, 0, G, container)
        .subcommands(CONFIG_SUBCOMMANDS)
        .traits(super::traits::ALONE),
    Command::new("command", -1, LS, G, command_info::command)
        .reply2("parse_command")
        .reply3("parse_command_resp3")
        .reply_unified2("parse_command_unified")
        .reply_unified3("parse_command_unified")
        .acl(CONN)
        .subcommands(command_info::SUBCOMMANDS),
];

/// The handler of a container command called without a subcommand, which
/// its arity (-2) already rules out.
pub(crate) fn container(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Err(Error::WrongArity(
        String::from_utf8_lossy(argv[0]).to_ascii_lowercase(),
    ))
}

/// A `<CMD> HELP` reply: the usage header, `lines`, then HELP itself.
pub(crate) fn help_reply(cmd: &[u8], lines: &[&str]) -> Frame {
    let name = String::from_utf8_lossy(cmd).to_ascii_uppercase();
    let mut out = vec![Frame::Simple(
        format!("{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:").into(),
    )];
    out.extend(
        lines
            .iter()
            .map(|l| Frame::Simple(Bytes::copy_from_slice(l.as_bytes()))),
    );
    out.push(Frame::simple_static("HELP"));
    out.push(Frame::simple_static("    Prints this help."));
    Frame::Array(out)
}

/// PING [message]
fn ping(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv.len() > 2 {
        return Err(Error::WrongArity("ping".into()));
    }
    // A RESP2 subscriber gets its pong in the shape of a message.
    if ctx.client.pubsub && !ctx.client.resp3 {
        let msg = argv.get(1).copied().unwrap_or(b"");
        return Ok(Frame::Array(vec![Frame::bulk(b"pong"), Frame::bulk(msg)]));
    }
    match argv.get(1) {
        None => Ok(Frame::simple_static("PONG")),
        Some(m) => Ok(Frame::bulk(m)),
    }
}

/// ECHO message
fn echo(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::bulk(argv[1]))
}

/// SELECT index
fn select(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    ctx.client.db = db_index(ctx, argv[1], None)?;
    Ok(Frame::ok())
}

/// DBSIZE — counts keys whose TTL passed but that were not yet removed,
/// as Redis does.
fn dbsize(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(ctx.db().len() as i64))
}

/// Checks FLUSHDB / FLUSHALL's optional ASYNC | SYNC argument.
fn flush_mode(argv: &[&[u8]]) -> Result<(), Error> {
    match argv.len() {
        1 => Ok(()),
        2 if args::is(argv[1], "async") || args::is(argv[1], "sync") => Ok(()),
        _ => Err(Error::Syntax),
    }
}

/// FLUSHDB [ASYNC | SYNC]
fn flushdb(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    flush_mode(argv)?;
    let n = ctx.db().len() as u64;
    ctx.db().clear();
    ctx.invalidate_all();
    ctx.dirty(n.max(1));
    Ok(Frame::ok())
}

/// FLUSHALL [ASYNC | SYNC]
fn flushall(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    flush_mode(argv)?;
    let mut n = 0;
    for db in &mut ctx.store.dbs {
        n += db.len() as u64;
        db.clear();
    }
    ctx.invalidate_all();
    ctx.dirty(n.max(1));
    Ok(Frame::ok())
}

/// SWAPDB index1 index2 — clients stay on their index and see the other
/// database's data.
fn swapdb(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let a = int32(argv[1], Some("ERR invalid first DB index"))?;
    let b = int32(argv[2], Some("ERR invalid second DB index"))?;
    let n = ctx.store.dbs.len() as i64;
    if a < 0 || a >= n || b < 0 || b >= n {
        return Err(Error::DbIndexOutOfRange);
    }
    let (a, b) = (a.min(b) as usize, a.max(b) as usize);
    if a != b {
        let (low, high) = ctx.store.dbs.split_at_mut(b);
        low[a].swap_contents(&mut high[0]);
    }
    ctx.dirty(1);
    Ok(Frame::ok())
}

/// TIME
fn time(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let us = crate::engine::now_us();
    Ok(Frame::Array(vec![
        Frame::Bulk((us / 1_000_000).to_string().into()),
        Frame::Bulk((us % 1_000_000).to_string().into()),
    ]))
}

/// CONFIG GET parameter [parameter ...] — names or glob patterns (matched
/// without case); an exact name is echoed as given.
fn config_get(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mut matched: Vec<(Bytes, &'static config::Setting)> = Vec::new();
    let seen = |m: &[(Bytes, &config::Setting)], name: &[u8]| {
        m.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    for arg in &argv[2..] {
        if !arg.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
            if let (false, Some(e)) = (seen(&matched, arg), config::lookup(arg)) {
                matched.push((Bytes::copy_from_slice(arg), e.setting));
            }
            continue;
        }
        let pattern = GlobPattern::new(arg, true);
        for e in config::entries() {
            if e.setting.flags & flag::HIDDEN == 0
                && !seen(&matched, e.name.as_bytes())
                && pattern.matches(e.name.as_bytes())
            {
                matched.push((Bytes::from_static(e.name.as_bytes()), e.setting));
            }
        }
    }
    let cfg = &ctx.store.config;
    Ok(Frame::Map(
        matched
            .into_iter()
            .map(|(name, s)| (Frame::Bulk(name), Frame::Bulk(cfg.get(s).into())))
            .collect(),
    ))
}

/// CONFIG SET parameter value [parameter value ...] — all or nothing.
fn config_set(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv.len() % 2 != 0 {
        return Err(Error::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = argv[2..].chunks_exact(2).map(|p| (p[0], p[1])).collect();
    let sets = |name: &[u8]| pairs.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    // A served engine's maxclients must fit the open files limit: like
    // redis-server, raise the limit, or refuse the whole CONFIG SET and
    // say what fits.
    let fd_check = ctx.store.servers > 0 && sets(b"maxclients");
    let before = fd_check.then(|| ctx.store.config.clone());
    ctx.store.config.set_many(&pairs).map_err(Error::msg)?;
    if let Some(before) = before {
        let asked = ctx.store.config.maxclients;
        let fit = crate::engine::config::fdlimit::fit_maxclients(asked);
        if fit != asked {
            ctx.store.config = before;
            let why = crate::engine::config::fdlimit::refusal(fit);
            return Err(Error::msg(crate::engine::config::set_error(
                "maxclients",
                &why,
            )));
        }
    }
    // appendonly / appendfsync take effect at once (AOF on: a rewrite).
    let now = ctx.now;
    crate::persist::aof::apply_config(ctx.store, now, ctx.scripts).map_err(Error::msg)?;
    if sets(b"requirepass") {
        // requirepass is the default user's password, as in Redis.
        let pass = format!(">{}", ctx.store.config.requirepass);
        let rule: &[u8] = if ctx.store.config.requirepass.is_empty() {
            b"nopass"
        } else {
            pass.as_bytes()
        };
        ctx.store
            .acl
            .setuser(b"default", &[b"resetpass", rule])
            .map_err(Error::msg)?;
        ctx.store.refresh_gate();
    }
    if sets(b"maxmemory") {
        // A lower limit takes effect at once: evict down to it now. Not
        // inside EXEC or a script: their effects are one AOF entry, and
        // evictions are entries of their own (Redis evicts after them);
        // the next command's maxmemory gate evicts.
        if !ctx.client.in_exec {
            ctx.store.perform_evictions();
        }
    }
    Ok(Frame::ok())
}

/// CONFIG RESETSTAT
fn config_resetstat(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    ctx.store.stats = Stats::default();
    super::slowlog::reset_stats(ctx.store);
    ctx.store.evictor.peak = 0;
    for db in &mut ctx.store.dbs {
        db.hits = 0;
        db.misses = 0;
        db.expired_count = 0;
    }
    Ok(Frame::ok())
}

/// CONFIG REWRITE — the embedded engine has no config file.
fn config_rewrite(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Err(Error::err(
        "ERR The server is running without a config file",
    ))
}

/// CONFIG HELP
fn config_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(help_reply(
        argv[0],
        &[
            "GET <pattern>",
            "    Return the settings whose names match the glob <pattern>, with their values.",
            "SET <directive> <value>",
            "    Change setting <directive> to <value> (several pairs are set atomically).",
            "RESETSTAT",
            "    Reset the counters INFO reports.",
            "REWRITE",
            "    Write the settings back to the config file.",
        ],
    ))
}
