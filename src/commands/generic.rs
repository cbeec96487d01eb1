//! Keyspace commands that work on keys of any type.

use bytes::Bytes;

use super::args;
use super::flags::*;
use super::hash::parse_cursor;
use super::routing::{Combine, Nodes};
use super::traits::CACHEABLE;
use super::{acl, Command, Ctx, Group};
use crate::engine::clock::lru_clock;
use crate::engine::value::Value;
use crate::engine::{notify, Db, Entry, NO_EXPIRE};
use crate::error::{CmdResult, Error};
use crate::glob::GlobPattern;
use crate::resp::Frame;

const G: Group = Group::Generic;
const KS: u32 = acl::KEYSPACE;

const OBJECT_SUBCOMMANDS: &[Command] = &[
    Command::new("object|encoding", 3, READONLY, G, object_encoding)
        .keys(2, 2, 1)
        .acl(KS),
    Command::new("object|freq", 3, READONLY, G, object_freq)
        .keys(2, 2, 1)
        .acl(KS),
    Command::new("object|idletime", 3, READONLY, G, object_idletime)
        .keys(2, 2, 1)
        .acl(KS),
    Command::new("object|refcount", 3, READONLY, G, object_refcount)
        .keys(2, 2, 1)
        .acl(KS),
    Command::new("object|help", 2, LOADING | STALE, G, object_help).acl(KS),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("del", -2, WRITE, G, del)
        .keys(1, -1, 1)
        .acl(KS),
    Command::new("unlink", -2, WRITE | FAST, G, del)
        .keys(1, -1, 1)
        .acl(KS),
    Command::new("exists", -2, READONLY | FAST, G, exists)
        .traits(CACHEABLE)
        .keys(1, -1, 1)
        .acl(KS),
    Command::new("type", 2, READONLY | FAST, G, type_)
        .traits(CACHEABLE)
        .status()
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("rename", 3, WRITE, G, rename)
        .reply("OK")
        .keys(1, 2, 1)
        .acl(KS),
    Command::new("renamenx", 3, WRITE | FAST, G, renamenx)
        .reply("BOOL")
        .keys(1, 2, 1)
        .acl(KS),
    Command::new("copy", -3, WRITE | DENYOOM, G, copy)
        .reply("BOOL")
        .keys(1, 2, 1)
        .acl(KS),
    Command::new("move", 3, WRITE | FAST, G, move_)
        .reply("BOOL")
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("touch", -2, READONLY | FAST, G, touch)
        .keys(1, -1, 1)
        .acl(KS),
    Command::new("keys", 2, READONLY, G, keys)
        .route(Nodes::Primaries, Combine::Concat)
        .acl(KS | acl::DANGEROUS),
    Command::new("scan", -2, READONLY, G, scan)
        .route(Nodes::Primaries, Combine::Each)
        .reply("SCAN")
        .acl(KS),
    Command::new("randomkey", 1, READONLY, G, randomkey)
        .route(Nodes::Random, Combine::Each)
        .acl(KS),
    Command::new("expire", -3, WRITE | FAST, G, expire)
        .reply("BOOL")
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("pexpire", -3, WRITE | FAST, G, pexpire)
        .reply("BOOL")
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("expireat", -3, WRITE | FAST, G, expireat)
        .reply("BOOL")
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("pexpireat", -3, WRITE | FAST, G, pexpireat)
        .reply("BOOL")
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("ttl", 2, READONLY | FAST, G, ttl)
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("pttl", 2, READONLY | FAST, G, pttl)
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("expiretime", 2, READONLY | FAST, G, expiretime)
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("pexpiretime", 2, READONLY | FAST, G, pexpiretime)
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("persist", 2, WRITE | FAST, G, persist)
        .reply("BOOL")
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("object", -2, 0, G, super::server::container)
        .reply("parse_object")
        .subcommands(OBJECT_SUBCOMMANDS),
];

/// Counts a read lookup for INFO's keyspace_hits / keyspace_misses.
fn count(db: &mut Db, hit: bool) {
    if hit {
        db.hits += 1;
    } else {
        db.misses += 1;
    }
}

/// Like `ctx.modified` for a key in database `db` (MOVE, COPY DB).
fn modified_in(ctx: &mut Ctx, db: usize, key: &[u8], event: &str) {
    let saved = std::mem::replace(&mut ctx.client.db, db);
    ctx.modified(key, notify::GENERIC, event);
    ctx.client.db = saved;
}

/// A 32-bit integer argument as Redis's `getIntFromObjectOrReply` reads it:
/// `msg` replaces both of its errors when given.
pub(crate) fn int32(arg: &[u8], msg: Option<&'static str>) -> Result<i64, Error> {
    let n = crate::num::parse_i64(arg).ok_or(match msg {
        Some(m) => Error::err(m),
        None => Error::NotInteger,
    })?;
    if n < i64::from(i32::MIN) || n > i64::from(i32::MAX) {
        return Err(match msg {
            Some(m) => Error::err(m),
            None => Error::err(
                "ERR value is out of range, value must between -2147483648 and 2147483647",
            ),
        });
    }
    Ok(n)
}

/// A database index argument: an int, then within the configured range.
pub(crate) fn db_index(ctx: &Ctx, arg: &[u8], msg: Option<&'static str>) -> Result<usize, Error> {
    let n = int32(arg, msg)?;
    if n < 0 || n as usize >= ctx.store.dbs.len() {
        return Err(Error::DbIndexOutOfRange);
    }
    Ok(n as usize)
}

/// DEL key [key ...] / UNLINK key [key ...]
fn del(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let mut n = 0;
    for key in &argv[1..] {
        if ctx.db().remove(key, now).is_some() {
            ctx.modified(key, notify::GENERIC, "del");
            n += 1;
        }
    }
    Ok(Frame::Integer(n))
}

/// EXISTS key [key ...] — counts repeated keys each time.
fn exists(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let mut n = 0;
    for key in &argv[1..] {
        let hit = db.contains(key, now);
        count(db, hit);
        n += i64::from(hit);
    }
    Ok(Frame::Integer(n))
}

/// TYPE key
fn type_(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let name = db.peek(argv[1], now).map(|e| e.value.type_name());
    count(db, name.is_some());
    Ok(Frame::simple_static(name.unwrap_or("none")))
}

/// The shared body of RENAME and RENAMENX.
fn rename_generic(ctx: &mut Ctx, argv: &[&[u8]], nx: bool) -> CmdResult {
    let (src, dst) = (argv[1], argv[2]);
    let now = ctx.now;
    if !ctx.db().contains(src, now) {
        return Err(Error::NoSuchKey);
    }
    let done = if nx { Frame::Integer(1) } else { Frame::ok() };
    if src == dst {
        return Ok(if nx { Frame::Integer(0) } else { done });
    }
    if nx && ctx.db().contains(dst, now) {
        return Ok(Frame::Integer(0));
    }
    let db = ctx.db();
    let Some(entry) = db.remove(src, now) else {
        return Err(Error::NoSuchKey);
    };
    db.insert_entry(Bytes::copy_from_slice(dst), entry);
    ctx.modified(src, notify::GENERIC, "rename_from");
    ctx.modified(dst, notify::GENERIC, "rename_to");
    Ok(done)
}

/// RENAME key newkey
fn rename(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    rename_generic(ctx, argv, false)
}

/// RENAMENX key newkey
fn renamenx(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    rename_generic(ctx, argv, true)
}

/// MOVE key db — the key keeps its TTL.
fn move_(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let dst = db_index(ctx, argv[2], None)?;
    let src = ctx.client.db;
    if src == dst {
        return Err(Error::SameObject);
    }
    let now = ctx.now;
    if !ctx.store.dbs[src].contains(key, now) || ctx.store.dbs[dst].contains(key, now) {
        return Ok(Frame::Integer(0));
    }
    let Some(entry) = ctx.store.dbs[src].remove(key, now) else {
        return Ok(Frame::Integer(0));
    };
    ctx.store.dbs[dst].insert_entry(Bytes::copy_from_slice(key), entry);
    ctx.modified(key, notify::GENERIC, "move_from");
    modified_in(ctx, dst, key, "move_to");
    Ok(Frame::Integer(1))
}

/// COPY source destination [DB destination-db] [REPLACE] — the copy keeps
/// the source's TTL and encoding.
fn copy(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (key, newkey) = (argv[1], argv[2]);
    let src = ctx.client.db;
    let mut dst = src;
    let mut replace = false;
    let mut i = 3;
    while i < argv.len() {
        if args::is(argv[i], "replace") {
            replace = true;
        } else if args::is(argv[i], "db") && i + 1 < argv.len() {
            dst = db_index(ctx, argv[i + 1], None)?;
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if src == dst && key == newkey {
        return Err(Error::SameObject);
    }
    let now = ctx.now;
    let found = ctx.store.dbs[src]
        .lookup(key, now)
        .map(|e| (e.value.clone(), e.expire_at));
    count(&mut ctx.store.dbs[src], found.is_some());
    let Some((value, expire_at)) = found else {
        return Ok(Frame::Integer(0));
    };
    if !replace && ctx.store.dbs[dst].contains(newkey, now) {
        return Ok(Frame::Integer(0));
    }
    let entry = Entry {
        value,
        expire_at,
        lru: lru_clock(),
    };
    ctx.store.dbs[dst].insert_entry(Bytes::copy_from_slice(newkey), entry);
    modified_in(ctx, dst, newkey, "copy_to");
    Ok(Frame::Integer(1))
}

/// TOUCH key [key ...]
fn touch(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let mut n = 0;
    for key in &argv[1..] {
        let hit = db.lookup(key, now).is_some();
        count(db, hit);
        n += i64::from(hit);
    }
    Ok(Frame::Integer(n))
}

/// KEYS pattern — a lone `*` matches every key (even the empty one).
fn keys(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let all = argv[1] == b"*";
    let pattern = GlobPattern::new(argv[1], false);
    let out = ctx
        .db()
        .live_keys(now)
        .filter(|(k, _)| all || pattern.matches(k))
        .map(|(k, _)| Frame::bulk(k))
        .collect();
    Ok(Frame::Array(out))
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
fn scan(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let cursor = parse_cursor(argv[1])?;
    let mut count = 10usize;
    let mut pattern: Option<GlobPattern> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if args::is(argv[i], "count") && more {
            let n = args::int(argv[i + 1])?;
            if n < 1 {
                return Err(Error::Syntax);
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if args::is(argv[i], "match") && more {
            // A lone `*` is "no pattern" (it would not match the empty key).
            pattern = (argv[i + 1] != b"*").then(|| GlobPattern::new(argv[i + 1], false));
        } else if args::is(argv[i], "type") && more {
            type_name = Some(argv[i + 1]);
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    let now = ctx.now;
    let mut found = Vec::new();
    let next = ctx.db().scan(cursor, count, now, |k, e| {
        let name_ok = pattern.as_ref().is_none_or(|p| p.matches(k));
        let type_ok =
            type_name.is_none_or(|t| t.eq_ignore_ascii_case(e.value.type_name().as_bytes()));
        if name_ok && type_ok {
            found.push(Frame::bulk(k));
        }
    });
    Ok(Frame::Array(vec![
        Frame::Bulk(next.to_string().into()),
        Frame::Array(found),
    ]))
}

/// RANDOMKEY
fn randomkey(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    Ok(Frame::bulk_or_null(ctx.db().random_key(now)))
}

/// The shared body of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT:
/// `when` in `unit_ms` units, relative to `base` (now, or 0 for *AT).
fn expire_generic(ctx: &mut Ctx, argv: &[&[u8]], base: i64, unit_ms: i64) -> CmdResult {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &argv[3..] {
        if args::is(opt, "nx") {
            nx = true;
        } else if args::is(opt, "xx") {
            xx = true;
        } else if args::is(opt, "gt") {
            gt = true;
        } else if args::is(opt, "lt") {
            lt = true;
        } else {
            return Err(Error::msg(format!(
                "ERR Unsupported option {}",
                crate::error::lossy(opt, usize::MAX)
            )));
        }
    }
    if nx && (xx || gt || lt) {
        return Err(Error::err(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if gt && lt {
        return Err(Error::err(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    let cmd = argv[0].to_ascii_lowercase();
    let invalid = || Error::InvalidExpire(String::from_utf8_lossy(&cmd).into_owned());
    let mut when = args::int(argv[2])?;
    if unit_ms == 1000 {
        if !(i64::MIN / 1000..=i64::MAX / 1000).contains(&when) {
            return Err(invalid());
        }
        when *= 1000;
    }
    if when > i64::MAX - base {
        return Err(invalid());
    }
    when += base;
    let now = ctx.now;
    let key = argv[1];
    let Some(current) = ctx.db().expire_of(key, now) else {
        return Ok(Frame::Integer(0));
    };
    let none = current == NO_EXPIRE;
    if (nx && !none)
        || (xx && none)
        || (gt && (none || when <= current))
        || (lt && !none && when >= current)
    {
        return Ok(Frame::Integer(0));
    }
    if when <= now.ms() {
        ctx.db().remove(key, now);
        ctx.modified(key, notify::GENERIC, "del");
    } else {
        ctx.db().set_expire(key, when, now);
        ctx.modified(key, notify::GENERIC, "expire");
    }
    Ok(Frame::Integer(1))
}

/// EXPIRE key seconds [NX | XX | GT | LT]
fn expire(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now.ms();
    expire_generic(ctx, argv, now, 1000)
}

/// PEXPIRE key milliseconds [NX | XX | GT | LT]
fn pexpire(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now.ms();
    expire_generic(ctx, argv, now, 1)
}

/// EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
fn expireat(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, argv, 0, 1000)
}

/// PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT]
fn pexpireat(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    expire_generic(ctx, argv, 0, 1)
}

/// The shared body of TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 missing,
/// -1 no TTL; seconds are rounded to the nearest one, as Redis does.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], ms: bool, absolute: bool) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let at = db.expire_of(key, now);
    count(db, at.is_some());
    Ok(Frame::Integer(match at {
        None => -2,
        Some(NO_EXPIRE) => -1,
        Some(at) => {
            let left = if absolute {
                at
            } else {
                at.saturating_sub(now.ms())
            }
            .max(0);
            if ms {
                left
            } else {
                left.saturating_add(500) / 1000
            }
        }
    }))
}

/// TTL key
fn ttl(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, argv[1], false, false)
}

/// PTTL key
fn pttl(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, argv[1], true, false)
}

/// EXPIRETIME key
fn expiretime(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, argv[1], false, true)
}

/// PEXPIRETIME key
fn pexpiretime(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    ttl_generic(ctx, argv[1], true, true)
}

/// PERSIST key
fn persist(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let removed = ctx.db().persist(argv[1], now);
    if removed {
        ctx.modified(argv[1], notify::GENERIC, "persist");
    }
    Ok(Frame::from_bool(removed))
}

/// The entry OBJECT reports on (no access-time update), counted as a read.
fn object_entry<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<&'a Entry> {
    let now = ctx.now;
    let db = ctx.db();
    let hit = db.contains(key, now);
    count(db, hit);
    if hit {
        db.peek(key, now)
    } else {
        None
    }
}

/// OBJECT ENCODING key
fn object_encoding(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(match object_entry(ctx, argv[2]) {
        Some(e) => Frame::Bulk(Bytes::from_static(e.value.encoding().as_bytes())),
        None => Frame::Null,
    })
}

/// OBJECT FREQ key — the key's logarithmic access counter, after decay;
/// only under an LFU policy.
fn object_freq(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let params = ctx.store.config.lfu_params();
    let Some(lru) = object_entry(ctx, argv[2]).map(|e| e.lru) else {
        return Ok(Frame::Null);
    };
    let Some(params) = params else {
        return Err(Error::err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    };
    Ok(Frame::Integer(i64::from(crate::engine::lfu::current(
        lru, params,
    ))))
}

/// OBJECT IDLETIME key — seconds since the last access; not under LFU.
fn object_idletime(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let lfu = ctx.store.config.lfu();
    let Some(lru) = object_entry(ctx, argv[2]).map(|e| e.lru) else {
        return Ok(Frame::Null);
    };
    if lfu {
        return Err(Error::err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    }
    Ok(Frame::Integer(i64::from(lru_clock().saturating_sub(lru))))
}

/// Redis shares one object for each small integer string (0..10000), and
/// reports those with the maximal reference count, unless an LRU/LFU policy
/// with a memory limit needs per-key access times.
fn shared_integer(ctx: &Ctx, value: &Value) -> bool {
    let Value::Str(s) = value else { return false };
    let policy = &ctx.store.config.maxmemory_policy;
    let per_key =
        ctx.store.config.maxmemory != 0 && (policy.ends_with("-lru") || policy.ends_with("-lfu"));
    value.encoding() == "int"
        && !per_key
        && crate::num::parse_i64(&s.data).is_some_and(|n| (0..10000).contains(&n))
}

/// OBJECT REFCOUNT key
fn object_refcount(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let Some(value) = object_entry(ctx, argv[2]).map(|e| e.value.clone()) else {
        return Ok(Frame::Null);
    };
    Ok(Frame::Integer(if shared_integer(ctx, &value) {
        i64::from(i32::MAX)
    } else {
        1
    }))
}

/// OBJECT HELP
fn object_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(super::server::help_reply(
        argv[0],
        &[
            "ENCODING <key>",
            "    Return the internal representation used to store the value of <key>.",
            "FREQ <key>",
            "    Return the logarithmic access frequency counter of <key> (LFU policies).",
            "IDLETIME <key>",
            "    Return the seconds since <key> was last accessed (non-LFU policies).",
            "REFCOUNT <key>",
            "    Return the reference count of the value of <key>.",
        ],
    ))
}
