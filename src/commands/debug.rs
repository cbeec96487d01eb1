//! DEBUG: the subcommands that make sense for an in-process engine.
//!
//! As in Redis 7.0 DEBUG is refused unless `enable-debug-command` is `yes`
//! or `local` (every embedded client is local); the engine takes that
//! setting at creation: `Redis(config={"enable-debug-command": "yes"})`.
//! Supported: OBJECT, SLEEP, SET-ACTIVE-EXPIRE, ERROR, LOG, POPULATE,
//! PROTOCOL, RELOAD, CHANGE-REPL-ID, HELP. The subcommands that crash or restart
//! the server (SEGFAULT, PANIC, ASSERT, OOM, CRASH-AND-RECOVER, RESTART)
//! answer an error instead: they would take the Python process down. The
//! other Redis subcommands inspect allocator or replication internals the
//! engine does not have and get Redis's unknown-subcommand error.

use std::time::Duration;

use bytes::Bytes;

use super::flags::*;
use super::{args, Command, Ctx, Group};
use crate::engine::value::Value;
use crate::error::{CmdResult, Error};
use crate::persist::{rdb, rdbfile, rdbload, SaveOptions};
use crate::resp::Frame;

pub(crate) const COMMANDS: &[Command] = &[Command::new(
    "debug",
    -2,
    ADMIN | NOSCRIPT | LOADING | STALE,
    Group::Server,
    debug,
)
.traits(super::traits::ALONE)
.status()];

const CRASHERS: &[&str] = &[
    "segfault",
    "panic",
    "assert",
    "oom",
    "crash-and-recover",
    "restart",
];

/// DEBUG subcommand [arg ...]
fn debug(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if !ctx.store.config.enabled("enable-debug-command") {
        return Err(Error::err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."));
    }
    let sub = String::from_utf8_lossy(argv[1]).to_ascii_lowercase();
    match (sub.as_str(), argv.len()) {
        ("help", 2) => Ok(help(argv[0])),
        ("object", 3) => object(ctx, argv[2]),
        ("sleep", 3) => {
            let secs = crate::num::parse_f64(argv[2]).unwrap_or(0.0);
            if secs > 0.0 && secs.is_finite() {
                std::thread::sleep(Duration::from_secs_f64(secs));
            }
            Ok(Frame::ok())
        }
        ("set-active-expire", 3) => {
            ctx.store.config.active_expire_enabled = crate::num::parse_i64(argv[2]) != Some(0);
            Ok(Frame::ok())
        }
        ("error", 3) => Ok(Frame::Error(Bytes::copy_from_slice(argv[2]))),
        ("log", 3) | ("change-repl-id", 2) => Ok(Frame::ok()),
        ("populate", 3..=5) => populate(ctx, argv),
        ("protocol", 3) => protocol(ctx, argv[2]),
        ("reload", _) => reload(ctx, argv),
        (s, _) if CRASHERS.contains(&s) => Err(Error::msg(format!(
            "ERR DEBUG {} is not supported by the embedded engine: it would end the Python process",
            s.to_ascii_uppercase()
        ))),
        _ => Err(Error::msg(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
            crate::error::lossy(argv[1], usize::MAX)
        ))),
    }
}

/// DEBUG OBJECT key — the fields redis-py's `debug_object` parses.
fn object(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let now = ctx.now;
    let opts = SaveOptions::from_config(&ctx.store.config);
    let Some(e) = ctx.db().peek(key, now) else {
        return Err(Error::NoSuchKey);
    };
    let mut body = Vec::new();
    rdb::save_object(&mut body, &e.value, &opts);
    let idle = crate::engine::clock::lru_clock().wrapping_sub(e.lru) & 0xFF_FFFF;
    let mut text = format!(
        "Value at:{:p} refcount:1 encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
        &e.value,
        e.value.encoding(),
        body.len(),
        e.lru,
        idle
    );
    if let Value::List(l) = &e.value {
        let size: usize = l.iter().map(|x| x.len() + 2).sum();
        let nodes = l.node_count().max(1);
        text.push_str(&format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:0 ql_uncompressed_size:{}",
            nodes,
            l.len() as f64 / nodes as f64,
            ctx.store.config.list_max_listpack_size,
            size + 7 * nodes
        ));
    }
    Ok(Frame::Simple(text.into()))
}

/// DEBUG POPULATE count [prefix] [size] — `prefix:N` string keys holding
/// `value:N` (padded or cut to `size`); existing keys are left alone.
fn populate(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let count = args::positive(argv[2])?;
    let prefix = argv.get(3).copied().unwrap_or(b"key");
    let size = match argv.get(4) {
        Some(a) => Some(args::positive(a)? as usize),
        None => None,
    };
    let now = ctx.now;
    for i in 0..count {
        let mut key = prefix.to_vec();
        key.extend_from_slice(format!(":{i}").as_bytes());
        if ctx.db().contains(&key, now) {
            continue;
        }
        let mut value = format!("value:{i}").into_bytes();
        if let Some(n) = size {
            value.resize(n, 0);
        }
        ctx.db().set(&key, Value::string(Bytes::from(value)));
    }
    ctx.dirty(count as u64);
    Ok(Frame::ok())
}

/// DEBUG PROTOCOL type — a sample reply of each RESP type.
fn protocol(ctx: &mut Ctx, kind: &[u8]) -> CmdResult {
    let small = || (0..3).map(Frame::Integer).collect::<Vec<_>>();
    let frame = match kind.to_ascii_lowercase().as_slice() {
        b"string" => Frame::bulk(b"Hello World"),
        b"integer" => Frame::Integer(12345),
        // Redis's sample value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        b"double" => Frame::Double(3.141),
        b"bignum" => Frame::BigNumber(Bytes::from_static(b"1234567999999999999999999999999999999")),
        b"null" => Frame::Null,
        b"array" => Frame::Array(small()),
        b"set" => Frame::Set(small()),
        b"map" => Frame::Map(
            (0..3)
                .map(|i| (Frame::Integer(i), Frame::Boolean(i == 1)))
                .collect(),
        ),
        // The attribute itself is RESP3-only metadata clients skip.
        b"attrib" => Frame::bulk(b"Some real reply following the attribute"),
        b"push" if !ctx.client.resp3 => {
            return Err(Error::err("ERR RESP2 is not supported by this command"))
        }
        b"push" => Frame::Push(vec![Frame::bulk(b"server-cpu-usage"), Frame::Integer(42)]),
        b"verbatim" => Frame::Verbatim(*b"txt", Bytes::from_static(b"This is a verbatim\nstring")),
        b"true" => Frame::Boolean(true),
        b"false" => Frame::Boolean(false),
        _ => return Err(Error::err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")),
    };
    Ok(frame)
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE] — saves the RDB file (unless
/// NOSAVE) and loads it back in place of the data and FUNCTION libraries
/// (NOFLUSH: added to them; MERGE: loaded keys replace existing ones).
/// Unlike Redis, a file that fails to load leaves the data as it was.
fn reload(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for opt in &argv[2..] {
        if args::is(opt, "merge") {
            merge = true;
        } else if args::is(opt, "noflush") {
            flush = false;
        } else if args::is(opt, "nosave") {
            save = false;
        } else {
            return Err(Error::err(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    let now = ctx.now;
    if save {
        let functions = rdbfile::library_codes(ctx.scripts);
        rdbfile::save(ctx.store, now, functions).map_err(|_| Error::err("ERR"))?;
    }
    const FAILED: Error = Error::err("ERR Error trying to load the RDB dump");
    let mut scripts = ctx.scripts.map(|s| s.lock());
    let (loaded, mut libs) = rdbload::read(ctx.store, scripts.is_some())
        .ok()
        .flatten()
        .ok_or(FAILED)?;
    if flush {
        if let Some(s) = scripts.as_deref_mut() {
            std::mem::swap(&mut s.functions, &mut libs);
        }
        rdbload::install(ctx.store, loaded);
    } else {
        let codes = loaded.functions.clone();
        rdbload::merge(ctx.store, loaded, merge).map_err(|_| FAILED)?;
        if let Some(s) = scripts.as_deref_mut() {
            for (_, code) in codes {
                // A library already loaded stays unless MERGE.
                let _ = s.functions.load(&code, merge);
            }
        }
    }
    log::warn!("DB reloaded by DEBUG RELOAD");
    Ok(Frame::ok())
}

/// DEBUG HELP — the supported subcommands.
fn help(name: &[u8]) -> Frame {
    super::server::help_reply(
        name,
        &[
            "CHANGE-REPL-ID",
            "    Accepted; the engine has no replication ids to change.",
            "ERROR <string>",
            "    Reply with an error carrying <string>, for client tests.",
            "LOG <message>",
            "    Accepted; the engine keeps no log.",
            "OBJECT <key>",
            "    Low-level details about the value at <key>.",
            "POPULATE <count> [<prefix>] [<size>]",
            "    Create <count> string keys named <prefix>:<num> (default prefix 'key').",
            "RELOAD [MERGE] [NOFLUSH] [NOSAVE]",
            "    Save the RDB on disk and reload it back to memory. NOSAVE: load the file",
            "    as it is; NOFLUSH: add to the data instead of replacing it; MERGE: loaded",
            "    keys replace existing ones.",
            "PROTOCOL <type>",
            "    Reply with a sample of a RESP type: string, integer, double, bignum, null,",
            "    array, set, map, attrib, push, verbatim, true, false.",
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Turn the background expiry of keys off (0) or on (1).",
            "SLEEP <seconds>",
            "    Hold the engine for <seconds> (fractions allowed).",
        ],
    )
}
