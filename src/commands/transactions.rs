//! MULTI / EXEC / DISCARD / WATCH / UNWATCH.

use bytes::Bytes;

use super::flags::*;
use super::{Command, Ctx, Group};
use crate::engine::client::MultiState;
use crate::engine::{ClientState, Store};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

const G: Group = Group::Transactions;
const T: u32 = super::acl::TRANSACTION;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new(
        "multi",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        G,
        multi,
    )
    .status()
    .acl(T),
    Command::new(
        "exec",
        1,
        NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG,
        G,
        exec,
    )
    .acl(T),
    Command::new(
        "discard",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        G,
        discard,
    )
    .status()
    .acl(T),
    Command::new(
        "watch",
        -2,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        G,
        watch,
    )
    .reply("OK")
    .keys(1, -1, 1)
    .acl(T),
    Command::new(
        "unwatch",
        1,
        NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY,
        G,
        unwatch,
    )
    .reply("OK")
    .acl(T),
];

/// Commands that run immediately even inside MULTI.
pub fn runs_inside_multi(cmd: &Command) -> bool {
    matches!(
        cmd.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Queues a command inside MULTI, or rejects one that may not be queued;
/// `flags` are its command flags as the dispatcher's gates judged them
/// (a script's declared ones).
pub fn queue(client: &mut ClientState, argv: &[&[u8]], flags: u32) -> Frame {
    let Some(multi) = client.multi.as_mut() else {
        return Frame::simple_static("QUEUED");
    };
    let no_multi = super::resolve(argv).is_ok_and(|c| c.has(NO_MULTI));
    if no_multi {
        multi.aborted = true;
        return Error::err("ERR Command not allowed inside a transaction").to_frame();
    }
    if !multi.aborted {
        multi.flags |= flags;
        let bytes: usize = argv.iter().map(|a| a.len()).sum();
        multi.mem += (bytes + argv.len() * std::mem::size_of::<usize>()) as u64;
        multi
            .queued
            .push(argv.iter().map(|a| Bytes::copy_from_slice(a)).collect());
    }
    Frame::simple_static("QUEUED")
}

/// MULTI
fn multi(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(Error::err("ERR MULTI calls can not be nested"));
    }
    ctx.client.multi = Some(MultiState::default());
    Ok(Frame::ok())
}

/// DISCARD
fn discard(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    if ctx.client.multi.take().is_none() {
        return Err(Error::err("ERR DISCARD without MULTI"));
    }
    unwatch_all(ctx.store, ctx.client);
    Ok(Frame::ok())
}

/// EXEC
fn exec(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let Some(multi) = ctx.client.multi.take() else {
        return Err(Error::err("ERR EXEC without MULTI"));
    };
    let dirty = ctx.client.watch_dirty()
        || ctx.client.watch_lost
        || watched_key_expired(ctx.store, ctx.client, ctx.now);
    unwatch_all(ctx.store, ctx.client);
    if multi.aborted {
        return Err(Error::err(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if dirty {
        return Ok(Frame::NullArray);
    }
    Ok(Frame::Array(exec_queued(ctx, &multi.queued)))
}

/// Runs queued commands back to back under the caller's lock, with the
/// clock frozen at the EXEC's start.
pub fn exec_queued(ctx: &mut Ctx, queued: &[Vec<Bytes>]) -> Vec<Frame> {
    let was = std::mem::replace(&mut ctx.client.in_exec, true);
    let mut replies = Vec::with_capacity(queued.len());
    let mut argv: Vec<&[u8]> = Vec::new();
    for cmd in queued {
        argv.clear();
        argv.extend(cmd.iter().map(|a| a.as_ref()));
        let reply = match super::resolve(&argv) {
            Ok(c) if c.arity_ok(argv.len()) => {
                match super::auth::exec_check(ctx.store, ctx.client, c, &argv) {
                    Some(refused) => refused,
                    None => {
                        let reply =
                            super::run(ctx.store, ctx.scripts, ctx.client, c, &argv, ctx.now);
                        let store = &mut *ctx.store;
                        if !store.monitors.is_empty() && !crate::engine::monitor::hidden(c) {
                            let addr = crate::engine::clients::monitor_addr(ctx.client);
                            crate::engine::monitor::feed(store, ctx.client.db, &addr, c, &argv);
                        }
                        reply
                    }
                }
            }
            Ok(c) => Error::WrongArity(c.name.to_string()).to_frame(),
            Err(e) => e.to_frame(),
        };
        replies.push(reply);
    }
    ctx.client.in_exec = was;
    replies
}

/// A key watched while alive has since passed its deadline (Redis aborts
/// EXEC then even if nothing deleted the key yet).
fn watched_key_expired(store: &Store, client: &ClientState, now: crate::engine::Now<'_>) -> bool {
    client
        .watched
        .iter()
        .any(|(db, key, was_expired)| !was_expired && store.dbs[*db].key_is_expired(key, now))
}

/// WATCH key [key ...]
fn watch(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if ctx.client.multi.is_some() {
        return Err(Error::err("ERR WATCH inside MULTI is not allowed"));
    }
    let flag = ctx.client.watch_flag();
    let dbi = ctx.client.db;
    let now = ctx.now;
    for key in &argv[1..] {
        if ctx
            .client
            .watched
            .iter()
            .any(|(d, k, _)| *d == dbi && k.as_ref() == *key)
        {
            continue;
        }
        let db = &mut ctx.store.dbs[dbi];
        db.watch(key, &flag);
        let expired = db.key_is_expired(key, now);
        ctx.client
            .watched
            .push((dbi, Bytes::copy_from_slice(key), expired));
    }
    Ok(Frame::ok())
}

/// UNWATCH
fn unwatch(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    unwatch_all(ctx.store, ctx.client);
    Ok(Frame::ok())
}

/// Drops every WATCH of `client` and clears its dirty flag.
pub fn unwatch_all(store: &mut Store, client: &mut ClientState) {
    client.watch_lost = false;
    if let Some(flag) = client.watch_flag.as_ref() {
        for (db, key, _) in client.watched.drain(..) {
            store.dbs[db].unwatch(&key, flag);
        }
        flag.store(false, std::sync::atomic::Ordering::Release);
    }
}
