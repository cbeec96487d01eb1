//! Server administration: persistence (SAVE, BGSAVE, LASTSAVE,
//! BGREWRITEAOF, SHUTDOWN), replication (ROLE, WAIT, WAITAOF, REPLICAOF,
//! SLAVEOF, FAILOVER, PSYNC, SYNC, REPLCONF), MODULE and RESTORE-ASKING.
//! SLOWLOG and LATENCY live in `slowlog`, CLUSTER in `cluster`, DEBUG in
//! `debug`, LOLWUT in `lolwut`, MIGRATE in `migrate`.
//!
//! The embedded engine is a master without replicas, modules or a process
//! of its own; where a server would act on its process these handlers do
//! what a Python user expects of an in-process engine, as each one notes.

use std::sync::atomic::Ordering;

use bytes::Bytes;

use super::flags::*;
use super::routing::{Combine, Nodes};
use super::{acl, args, Command, Ctx, Group};
use crate::engine::blocking::BlockRequest;
use crate::error::{CmdResult, Error};
use crate::persist::rdbfile;
use crate::resp::Frame;

const S: Group = Group::Server;
const ADM: u32 = acl::ADMIN | acl::DANGEROUS;
const MODULE_SUBCOMMANDS: &[Command] = &[
    Command::new("module|list", 2, ADMIN | NOSCRIPT, S, module_list).reply("parse_module_list"),
    Command::new(
        "module|load",
        -3,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        S,
        module_load,
    )
    .reply("BOOL")
    .status(),
    Command::new(
        "module|loadex",
        -3,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        S,
        module_load,
    ),
    Command::new(
        "module|unload",
        3,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        S,
        module_unload,
    )
    .reply("BOOL"),
    Command::new("module|help", 2, LOADING | STALE, S, module_help),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new(
        "save",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        S,
        save,
    )
    .route(Nodes::AllNodes, Combine::AllTrue)
    .reply("OK"),
    Command::new("bgsave", -1, ADMIN | NOSCRIPT | NO_ASYNC_LOADING, S, bgsave)
        .route(Nodes::AllNodes, Combine::AllTrue)
        .reply2("TRUE"),
    Command::new("lastsave", 1, LOADING | STALE | FAST, S, lastsave)
        .reply("timestamp_to_datetime")
        .acl(ADM),
    Command::new(
        "bgrewriteaof",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING,
        S,
        bgrewriteaof,
    )
    .reply2("TRUE"),
    Command::new(
        "shutdown",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | NO_MULTI | ALLOW_BUSY,
        S,
        shutdown,
    )
    .traits(super::traits::ALONE)
    .reply("OK"),
    Command::new("role", 1, NOSCRIPT | LOADING | STALE | FAST, S, role).acl(ADM),
    Command::new("wait", 3, NOSCRIPT, Group::Generic, wait)
        .acl(acl::CONNECTION)
        .traits(super::traits::ALONE),
    Command::new("waitaof", 4, NOSCRIPT, Group::Generic, waitaof)
        .acl(acl::CONNECTION)
        .traits(super::traits::ALONE),
    Command::new(
        "replicaof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        S,
        replicaof,
    )
    .status(),
    Command::new(
        "slaveof",
        3,
        ADMIN | NOSCRIPT | STALE | NO_ASYNC_LOADING,
        S,
        replicaof,
    )
    .reply("OK"),
    Command::new("failover", -1, ADMIN | NOSCRIPT | STALE, S, failover)
        .status()
        .traits(super::traits::ALONE),
    Command::new(
        "psync",
        -3,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        S,
        psync,
    ),
    Command::new(
        "sync",
        1,
        ADMIN | NOSCRIPT | NO_ASYNC_LOADING | NO_MULTI,
        S,
        sync,
    ),
    Command::new(
        "replconf",
        -1,
        ADMIN | NOSCRIPT | LOADING | STALE | ALLOW_BUSY,
        S,
        replconf,
    ),
    Command::new("module", -2, 0, S, super::server::container).subcommands(MODULE_SUBCOMMANDS),
    Command::new(
        "restore-asking",
        -4,
        WRITE | DENYOOM | ASKING,
        Group::Generic,
        restore_asking,
    )
    .status()
    .keys(1, 1, 1)
    .acl(acl::KEYSPACE | acl::DANGEROUS),
];

/// True while a background save runs.
fn bgsave_running(ctx: &Ctx) -> bool {
    ctx.store
        .persistence
        .status
        .in_progress
        .load(Ordering::Acquire)
}

/// SAVE — writes the RDB file (`dir`/`dbfilename`) now, atomically.
fn save(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    if bgsave_running(ctx) {
        return Err(Error::err("ERR Background save already in progress"));
    }
    let now = ctx.now;
    let functions = rdbfile::library_codes(ctx.scripts);
    rdbfile::save(ctx.store, now, functions).map_err(|_| Error::err("ERR"))?;
    Ok(Frame::ok())
}

/// BGSAVE [SCHEDULE] — snapshots the data under the lock and writes the
/// file on a background thread (the engine's fork). Inside MULTI the save
/// starts at once and answers "scheduled", as Redis's does after EXEC.
fn bgsave(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    match argv {
        [_] => {}
        [_, a] if args::is(a, "schedule") => {}
        _ => return Err(Error::Syntax),
    }
    if bgsave_running(ctx) {
        return Err(Error::err("ERR Background save already in progress"));
    }
    let now = ctx.now;
    let functions = rdbfile::library_codes(ctx.scripts);
    if !rdbfile::background_save(ctx.store, now, functions) {
        return Err(Error::err("ERR"));
    }
    Ok(Frame::simple_static(if ctx.client.in_exec {
        "Background saving scheduled"
    } else {
        "Background saving started"
    }))
}

/// LASTSAVE — unix time of the last successful save.
fn lastsave(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    rdbfile::SaveStatus::settle(ctx.store);
    Ok(Frame::Integer(ctx.store.last_save))
}

/// BGREWRITEAOF — with AOF on, a background rewrite (new base, new
/// incremental file, manifest swapped); with it off, as Redis 7.0 does, a
/// new base file and a manifest naming it (see `persist::aof`).
fn bgrewriteaof(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    crate::persist::aof::bgrewriteaof(ctx.store, now, ctx.scripts).map_err(Error::msg)?;
    Ok(Frame::simple_static(
        "Background append only file rewriting started",
    ))
}

/// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT] — an embedded engine
/// does not end the Python process: it saves when asked (SAVE) or when
/// save points are configured (unless NOSAVE), then restarts in place as
/// a server would: data that was saved stays (a restart would load it),
/// otherwise the dataset starts empty; scripts and the slow log are
/// cleared. A failed save aborts the shutdown unless FORCE. The reply is
/// OK where a server would close the connection.
fn shutdown(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (mut save, mut nosave, mut abort, mut force) = (false, false, false, false);
    for a in &argv[1..] {
        if args::is(a, "save") {
            save = true;
        } else if args::is(a, "nosave") {
            nosave = true;
        } else if args::is(a, "now") {
        } else if args::is(a, "force") {
            force = true;
        } else if args::is(a, "abort") {
            abort = true;
        } else {
            return Err(Error::Syntax);
        }
    }
    if (save && nosave) || (abort && argv.len() > 2) {
        return Err(Error::Syntax);
    }
    if abort {
        return Err(Error::err("ERR No shutdown in progress."));
    }
    let want_save = save || (!nosave && !ctx.store.config.save.is_empty());
    let now = ctx.now;
    let functions = rdbfile::library_codes(ctx.scripts);
    if want_save && rdbfile::save(ctx.store, now, functions).is_err() && !force {
        return Err(Error::err("ERR Errors trying to SHUTDOWN. Check logs."));
    }
    // With AOF on, the restarted server would replay the AOF: flushed and
    // fsynced, it holds everything, so the data stays.
    let aof = ctx.store.aof.on();
    crate::persist::aof::flush(ctx.store);
    restart(ctx.store, want_save || aof);
    if let Some(scripts) = ctx.scripts.filter(|_| !aof) {
        // The script cache is gone after a restart; function libraries
        // come back from the RDB file when one was saved.
        let mut scripts = scripts.lock();
        scripts.flush();
        if !want_save {
            scripts.functions.flush();
        }
    }
    Ok(Frame::ok())
}

/// The state a restarted server would come back with (the scripting
/// state is the caller's).
fn restart(store: &mut crate::engine::Store, saved: bool) {
    if !saved {
        for db in &mut store.dbs {
            db.clear();
        }
    }
    store.dirty = 0;
    store.last_save = crate::engine::now_ms() / 1000;
    store.stats = Default::default();
    store.slowlog = Default::default();
}

/// ROLE — always a master without replicas.
fn role(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Array(vec![
        Frame::bulk(b"master"),
        Frame::Integer(0),
        Frame::Array(Vec::new()),
    ]))
}

/// A WAIT / WAITAOF timeout in milliseconds (0: forever).
fn wait_timeout(arg: &[u8]) -> Result<u64, Error> {
    let t = crate::num::parse_i64(arg)
        .ok_or(Error::err("ERR timeout is not an integer or out of range"))?;
    if t < 0 {
        return Err(Error::err("ERR timeout is negative"));
    }
    Ok(t as u64)
}

/// Blocks for `timeout_ms` (0: forever) and then answers `reply`: what a
/// master does while it waits for replicas it does not have.
fn wait_for_nothing(ctx: &mut Ctx, timeout_ms: u64, reply: Frame) -> CmdResult {
    Ok(ctx.block(BlockRequest {
        keys: Vec::new(),
        timeout_ms,
        timeout_reply: reply,
        argv: None,
    }))
}

/// WAIT numreplicas timeout — there are no replicas: 0 at once when none
/// are asked for (or inside MULTI), else 0 after the timeout, which for 0
/// means blocking until the client gives up, as on a lone server.
fn wait(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let want = args::int(argv[1])?;
    let timeout = wait_timeout(argv[2])?;
    if want <= 0 || ctx.client.in_exec {
        return Ok(Frame::Integer(0));
    }
    wait_for_nothing(ctx, timeout, Frame::Integer(0))
}

/// WAITAOF numlocal numreplicas timeout (Redis 7.2) — the engine keeps no
/// AOF, so asking for a local fsync fails as on a server with
/// `appendonly no`; otherwise `[0, 0]` like WAIT.
fn waitaof(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let local = args::int(argv[1])?;
    let replicas = args::int(argv[2])?;
    let timeout = wait_timeout(argv[3])?;
    if local > 0 && !ctx.store.config.appendonly {
        return Err(Error::err(
            "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.",
        ));
    }
    let reply = Frame::Array(vec![Frame::Integer(0), Frame::Integer(0)]);
    if (local <= 0 && replicas <= 0) || ctx.client.in_exec {
        return Ok(reply);
    }
    wait_for_nothing(ctx, timeout, reply)
}

/// REPLICAOF host port | NO ONE (and SLAVEOF) — NO ONE is what the engine
/// already is; it cannot become a replica of a server.
fn replicaof(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if args::is(argv[1], "no") && args::is(argv[2], "one") {
        return Ok(Frame::ok());
    }
    args::int(argv[2]).map_err(|_| Error::err("ERR Invalid master port"))?;
    Err(Error::err(
        "ERR the embedded redcore engine cannot be a replica: run a redis-server for replication",
    ))
}

/// FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT ms] — needs replicas.
fn failover(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (mut abort, mut to, mut force, mut timeout) = (false, false, false, false);
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i];
        let left = argv.len() - i - 1;
        if args::is(a, "to") && left >= 2 && !to {
            args::int(argv[i + 2]).map_err(|_| Error::NotInteger)?;
            to = true;
            i += 3;
        } else if args::is(a, "force") && !force {
            force = true;
            i += 1;
        } else if args::is(a, "timeout") && left >= 1 && !timeout {
            let t = args::int(argv[i + 1])?;
            if t <= 0 {
                return Err(Error::err("ERR FAILOVER timeout must be greater than 0"));
            }
            timeout = true;
            i += 2;
        } else if args::is(a, "abort") && !abort {
            abort = true;
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
    }
    if abort {
        if to || force || timeout {
            return Err(Error::Syntax);
        }
        return Err(Error::err("ERR No failover in progress."));
    }
    // Redis checks for replicas before the FORCE requirements.
    let _ = (to, force, timeout);
    Err(Error::err("ERR FAILOVER requires connected replicas."))
}

/// PSYNC replicationid offset — the engine keeps no replication backlog,
/// so it always offers a full resync: the `FULLRESYNC <replid> 0` line a
/// server starts with (the snapshot itself is what SYNC returns).
fn psync(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let id = replication_id(ctx);
    Ok(Frame::Simple(format!("FULLRESYNC {id} 0").into()))
}

/// This engine's replication id: 40 hex digits, fixed for its lifetime.
fn replication_id(ctx: &mut Ctx) -> String {
    let p = &mut ctx.store.persistence;
    if p.replid.is_empty() {
        p.replid = (0..40)
            .map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)]))
            .collect();
    }
    p.replid.clone()
}

/// SYNC — the RDB snapshot a replica's full sync starts with, as one bulk
/// string (no command stream follows: the engine has no replication).
fn sync(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let snap = rdbfile::Snapshot::take(ctx.store, now);
    let t = crate::engine::now_ms() / 1000;
    Ok(Frame::Bulk(Bytes::from(rdbfile::encode(&snap, t))))
}

/// REPLCONF option value [option value ...] — the options a replica sends
/// are accepted (there is nothing to configure).
fn replconf(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv.len() % 2 == 0 {
        return Err(Error::Syntax);
    }
    for pair in argv[1..].chunks_exact(2) {
        let known = [
            "listening-port",
            "ip-address",
            "capa",
            "getack",
            "ack",
            "rdb-only",
        ];
        if !known.iter().any(|k| args::is(pair[0], k)) {
            return Err(Error::msg(format!(
                "ERR Unrecognized REPLCONF option: {}",
                crate::error::lossy(pair[0], usize::MAX)
            )));
        }
    }
    Ok(Frame::ok())
}

/// The refusal Redis gives while `enable-module-command` is `no`.
fn modules_enabled(ctx: &Ctx) -> Result<(), Error> {
    match ctx.store.config.enabled("enable-module-command") {
        true => Ok(()),
        false => Err(Error::err("ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")),
    }
}

/// MODULE LIST — no modules are loaded.
fn module_list(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Array(Vec::new()))
}

/// MODULE LOAD path [arg ...] / MODULE LOADEX ... — the engine cannot load
/// native Redis modules.
fn module_load(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    modules_enabled(ctx)?;
    Err(Error::err(
        "ERR Error loading the extension. Please check the server logs.",
    ))
}

/// MODULE UNLOAD name
fn module_unload(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    modules_enabled(ctx)?;
    Err(Error::err(
        "ERR Error unloading module: no such module with that name",
    ))
}

/// MODULE HELP
fn module_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(super::server::help_reply(
        argv[0],
        &[
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
        ],
    ))
}

/// RESTORE-ASKING key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME
/// seconds] [FREQ frequency] — RESTORE as a cluster node runs it during a
/// migration.
fn restore_asking(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    super::dump::restore(ctx, argv)
}
