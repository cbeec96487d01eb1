//! Hash-field expiration: the HEXPIRE, HTTL and HPERSIST families (Redis
//! 7.4) and HGETDEL, HGETEX, HSETEX (Redis 8.0).
//!
//! Field deadlines live in [`Hash::ttls`]; the database keeps an index of
//! the hashes that have any, for the active sweep. A field past its
//! deadline reads as missing everywhere; commands that look a field up
//! reclaim it (lazy expiry) and report `hexpired`.

use bytes::Bytes;

use super::args::{self, is};
use super::flags::*;
use super::hash::{after_write, limits, new_hash, set_field_ex};
use super::{Command, Ctx, Group};
use crate::engine::hfe::is_past;
use crate::engine::notify;
use crate::engine::value::Hash;
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

const G: Group = Group::Hash;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("hexpire", -6, WRITE | DENYOOM | FAST, G, hexpire).keys(1, 1, 1),
    Command::new("hpexpire", -6, WRITE | DENYOOM | FAST, G, hpexpire).keys(1, 1, 1),
    Command::new("hexpireat", -6, WRITE | DENYOOM | FAST, G, hexpireat).keys(1, 1, 1),
    Command::new("hpexpireat", -6, WRITE | DENYOOM | FAST, G, hpexpireat).keys(1, 1, 1),
    Command::new("httl", -5, READONLY | FAST, G, httl).keys(1, 1, 1),
    Command::new("hpttl", -5, READONLY | FAST, G, hpttl).keys(1, 1, 1),
    Command::new("hexpiretime", -5, READONLY | FAST, G, hexpiretime).keys(1, 1, 1),
    Command::new("hpexpiretime", -5, READONLY | FAST, G, hpexpiretime).keys(1, 1, 1),
    Command::new("hpersist", -5, WRITE | FAST, G, hpersist).keys(1, 1, 1),
    Command::new("hgetdel", -5, WRITE | FAST, G, hgetdel).keys(1, 1, 1),
    Command::new("hgetex", -5, WRITE | FAST, G, hgetex).keys(1, 1, 1),
    Command::new("hsetex", -6, WRITE | DENYOOM | FAST, G, hsetex).keys(1, 1, 1),
];

/// The latest deadline a field may get (Redis keeps 46 bits of it).
const MAX_DEADLINE_MS: i64 = (1 << 46) - 1;

const FIELDS_MISSING: &str =
    "ERR Mandatory argument FIELDS is missing or not at the right position";
const COUNT_MISMATCH: &str = "ERR The `numfields` parameter must match the number of arguments";
const COUNT_POSITIVE: &str = "ERR Number of fields must be a positive integer";
const COUNT_HEXPIRE: &str = "ERR Parameter `numFields` should be greater than 0";
const NEGATIVE_EXPIRE: &str = "ERR invalid expire time, must be >= 0";

// Per-field reply codes.
const NO_FIELD: i64 = -2;
const NO_TTL: i64 = -1;
const NOT_MET: i64 = 0;
const DONE: i64 = 1;
const DELETED: i64 = 2;

/// Seconds or milliseconds, for arguments and replies.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Sec,
    Ms,
}

/// Reads `FIELDS numfields field...` whose count sits at `argv[at]`: the
/// fields, or Redis's error for a missing keyword, a bad count (`bad_count`)
/// or a count that disagrees with the arguments.
fn fields_at<'a>(
    argv: &'a [&'a [u8]],
    at: usize,
    bad_count: &'static str,
) -> Result<&'a [&'a [u8]], Error> {
    if at >= argv.len() {
        return Err(Error::WrongArity(lower(argv[0])));
    }
    if !is(argv[at - 1], "fields") {
        return Err(Error::err(FIELDS_MISSING));
    }
    let n = args::int(argv[at])
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(Error::err(bad_count))?;
    if n != (argv.len() - at - 1) as i64 {
        return Err(Error::err(COUNT_MISMATCH));
    }
    Ok(&argv[at + 1..])
}

fn lower(name: &[u8]) -> String {
    String::from_utf8_lossy(name).to_ascii_lowercase()
}

/// Parses an expire argument as Redis's `parseExpireTime` does: an
/// integer, not negative, whose absolute deadline (`base` + value) fits
/// 46 bits. Returns the deadline in unix milliseconds.
fn parse_deadline(arg: &[u8], unit: Unit, base: i64, cmd: &str) -> Result<i64, Error> {
    let mut v = args::int(arg)?;
    if v < 0 {
        return Err(Error::err(NEGATIVE_EXPIRE));
    }
    if unit == Unit::Sec {
        if v > MAX_DEADLINE_MS / 1000 {
            return Err(Error::InvalidExpire(cmd.into()));
        }
        v *= 1000;
    }
    if v > MAX_DEADLINE_MS - base {
        return Err(Error::InvalidExpire(cmd.into()));
    }
    Ok(v + base)
}

/// The NX | XX | GT | LT condition of the HEXPIRE family.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    Always,
    Nx,
    Xx,
    Gt,
    Lt,
}

impl Cond {
    /// True if a field whose deadline is `prev` may get `when`. A field
    /// without one counts as never expiring (so LT holds, GT does not).
    fn allows(self, prev: Option<i64>, when: i64) -> bool {
        match (self, prev) {
            (Cond::Always, _) => true,
            (Cond::Nx, prev) => prev.is_none(),
            (Cond::Xx, prev) => prev.is_some(),
            (Cond::Gt, None) => false,
            (Cond::Gt, Some(p)) => when > p,
            (Cond::Lt, None) => true,
            (Cond::Lt, Some(p)) => when < p,
        }
    }
}

/// What one field-expiry pass did, for the events and the dirty count.
#[derive(Default)]
struct Outcome {
    /// Fields found past their deadline and reclaimed.
    expired: usize,
    /// Those fields (for the AOF's `HDEL`).
    lapsed: Vec<Bytes>,
    /// Fields deleted because their new deadline had passed.
    deleted: usize,
    /// Fields whose deadline was set (or removed, for PERSIST).
    updated: usize,
}

/// Gives `field` the deadline `when` as `hashTypeSetEx` does: the reply
/// code, deleting the field when `when` is not in the future.
fn expire_field(
    h: &mut Hash,
    field: &[u8],
    when: i64,
    cond: Cond,
    now: i64,
    out: &mut Outcome,
) -> i64 {
    if !h.map.contains_key(field) {
        return NO_FIELD;
    }
    if h.is_expired(field, now) {
        h.remove_field(field);
        out.expired += 1;
        out.lapsed.push(Bytes::copy_from_slice(field));
        return NO_FIELD;
    }
    if !cond.allows(h.ttl_of(field), when) {
        return NOT_MET;
    }
    if when <= now {
        h.remove_field(field);
        out.deleted += 1;
        return DELETED;
    }
    h.set_field_ttl(field, when);
    out.updated += 1;
    DONE
}

/// Reports a field-expiry pass over `key`: `hexpired` for reclaimed
/// fields, then `changed` (Redis's event for the command), then `del` if
/// the hash is left empty, which deletes the key.
fn finish(ctx: &mut Ctx, key: &[u8], out: &Outcome, changed: Option<&str>) {
    if out.expired + out.deleted + out.updated == 0 {
        return;
    }
    ctx.dirty((out.deleted + out.updated) as u64);
    ctx.db().touch(key);
    for f in &out.lapsed {
        ctx.db().log_lapsed_field(key, f);
    }
    if out.expired > 0 {
        ctx.notify(notify::HASH, "hexpired", key);
    }
    if let Some(event) = changed {
        ctx.notify(notify::HASH, event, key);
    }
    if ctx.db().remove_if_empty(key) {
        ctx.notify(notify::GENERIC, "del", key);
    }
    ctx.db().hfe_sync(key);
}

/// HEXPIRE / HPEXPIRE / HEXPIREAT / HPEXPIREAT: `relative` adds the
/// current time to the argument.
fn hexpire_generic(ctx: &mut Ctx, argv: &[&[u8]], unit: Unit, relative: bool) -> CmdResult {
    let now = ctx.now;
    let exists = ctx.db().get_mut::<Hash>(argv[1], now)?.is_some();
    let base = if relative { now.ms() } else { 0 };
    let when = parse_deadline(argv[2], unit, base, &lower(argv[0]))?;
    let cond = match argv[3] {
        c if is(c, "nx") => Cond::Nx,
        c if is(c, "xx") => Cond::Xx,
        c if is(c, "gt") => Cond::Gt,
        c if is(c, "lt") => Cond::Lt,
        _ => Cond::Always,
    };
    let at = if cond == Cond::Always { 4 } else { 5 };
    let fields = fields_at(argv, at, COUNT_HEXPIRE)?;
    if !exists {
        return Ok(codes(fields.iter().map(|_| NO_FIELD)));
    }
    let Some(h) = ctx.db().get_mut::<Hash>(argv[1], now)? else {
        return Ok(codes(fields.iter().map(|_| NO_FIELD)));
    };
    h.enable_ttls();
    let mut out = Outcome::default();
    let reply: Vec<i64> = fields
        .iter()
        .map(|f| expire_field(h, f, when, cond, now.ms(), &mut out))
        .collect();
    let event = if out.deleted > 0 { "hdel" } else { "hexpire" };
    finish(
        ctx,
        argv[1],
        &out,
        (out.deleted + out.updated > 0).then_some(event),
    );
    Ok(codes(reply.into_iter()))
}

fn codes(it: impl Iterator<Item = i64>) -> Frame {
    Frame::Array(it.map(Frame::Integer).collect())
}

/// HEXPIRE key seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
fn hexpire(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    hexpire_generic(ctx, argv, Unit::Sec, true)
}

/// HPEXPIRE key milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
fn hpexpire(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    hexpire_generic(ctx, argv, Unit::Ms, true)
}

/// HEXPIREAT key unix-time-seconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
fn hexpireat(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    hexpire_generic(ctx, argv, Unit::Sec, false)
}

/// HPEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] FIELDS numfields field [field ...]
fn hpexpireat(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    hexpire_generic(ctx, argv, Unit::Ms, false)
}

/// HTTL / HPTTL / HEXPIRETIME / HPEXPIRETIME: per field -2 (missing or
/// expired), -1 (no TTL), or the TTL (`relative`) or the deadline, rounded
/// up to seconds for `Unit::Sec` as Redis does.
fn httl_generic(ctx: &mut Ctx, argv: &[&[u8]], unit: Unit, relative: bool) -> CmdResult {
    let now = ctx.now;
    let h = ctx.db().get::<Hash>(argv[1], now)?;
    let fields = fields_at(argv, 3, COUNT_POSITIVE)?;
    let base = if relative { now.ms() } else { 0 };
    Ok(codes(fields.iter().map(|f| {
        let Some(h) = h.filter(|h| h.map.contains_key(*f)) else {
            return NO_FIELD;
        };
        match h.ttl_of(f) {
            None => NO_TTL,
            Some(at) if is_past(at, now.ms()) => NO_FIELD,
            Some(at) if unit == Unit::Sec => (at + 999 - base) / 1000,
            Some(at) => at - base,
        }
    })))
}

/// HTTL key FIELDS numfields field [field ...]
fn httl(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    httl_generic(ctx, argv, Unit::Sec, true)
}

/// HPTTL key FIELDS numfields field [field ...]
fn hpttl(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    httl_generic(ctx, argv, Unit::Ms, true)
}

/// HEXPIRETIME key FIELDS numfields field [field ...]
fn hexpiretime(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    httl_generic(ctx, argv, Unit::Sec, false)
}

/// HPEXPIRETIME key FIELDS numfields field [field ...]
fn hpexpiretime(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    httl_generic(ctx, argv, Unit::Ms, false)
}

/// HPERSIST key FIELDS numfields field [field ...]
fn hpersist(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let exists = ctx.db().get_mut::<Hash>(argv[1], now)?.is_some();
    let fields = fields_at(argv, 3, COUNT_POSITIVE)?;
    let Some(h) = ctx.db().get_mut::<Hash>(argv[1], now)?.filter(|_| exists) else {
        return Ok(codes(fields.iter().map(|_| NO_FIELD)));
    };
    let mut changed = false;
    let reply: Vec<i64> = fields
        .iter()
        .map(|f| match h.ttl_of(f) {
            _ if !h.map.contains_key(*f) => NO_FIELD,
            None => NO_TTL,
            Some(at) if is_past(at, now.ms()) => NO_FIELD,
            Some(_) => {
                h.persist_field(f);
                changed = true;
                DONE
            }
        })
        .collect();
    if changed {
        ctx.db().hfe_sync(argv[1]);
        ctx.modified(argv[1], notify::HASH, "hpersist");
    }
    Ok(codes(reply.into_iter()))
}

/// Reads `field` with lazy expiry: its value if live; a field past its
/// deadline is reclaimed and counted in `out.expired`.
fn take_live(h: &mut Hash, field: &[u8], now: i64, out: &mut Outcome) -> Option<Bytes> {
    if super::hash::expire_if_due(h, field, now) {
        out.expired += 1;
        out.lapsed.push(Bytes::copy_from_slice(field));
        return None;
    }
    h.map.get(field).cloned()
}

/// HGETDEL key FIELDS numfields field [field ...]
fn hgetdel(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let exists = ctx.db().get_mut::<Hash>(argv[1], now)?.is_some();
    let fields = fields_at(argv, 3, COUNT_POSITIVE)?;
    let Some(h) = ctx.db().get_mut::<Hash>(argv[1], now)?.filter(|_| exists) else {
        return Ok(Frame::Array(fields.iter().map(|_| Frame::Null).collect()));
    };
    let mut out = Outcome::default();
    let reply = fields
        .iter()
        .map(|f| {
            let v = take_live(h, f, now.ms(), &mut out);
            if v.is_some() {
                h.remove_field(f);
                out.deleted += 1;
            }
            Frame::bulk_or_null(v)
        })
        .collect();
    finish(ctx, argv[1], &out, (out.deleted > 0).then_some("hdel"));
    Ok(Frame::Array(reply))
}

/// What HGETEX does to the deadlines of the fields it reads.
#[derive(Clone, Copy)]
enum GetEx {
    Keep,
    Persist,
    At(i64),
}

/// HGETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds |
/// PXAT unix-time-milliseconds | PERSIST] FIELDS numfields field [field ...]
fn hgetex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let exists = ctx.db().get_mut::<Hash>(argv[1], now)?.is_some();
    let timed = |unit, relative| {
        let base = if relative { now.ms() } else { 0 };
        parse_deadline(argv[3], unit, base, "hgetex").map(GetEx::At)
    };
    let (op, at) = match argv[2] {
        o if is(o, "ex") => (timed(Unit::Sec, true)?, 5),
        o if is(o, "px") => (timed(Unit::Ms, true)?, 5),
        o if is(o, "exat") => (timed(Unit::Sec, false)?, 5),
        o if is(o, "pxat") => (timed(Unit::Ms, false)?, 5),
        o if is(o, "persist") => (GetEx::Persist, 4),
        _ => (GetEx::Keep, 3),
    };
    let fields = fields_at(argv, at, COUNT_POSITIVE)?;
    let Some(h) = ctx.db().get_mut::<Hash>(argv[1], now)?.filter(|_| exists) else {
        return Ok(Frame::Array(fields.iter().map(|_| Frame::Null).collect()));
    };
    if !matches!(op, GetEx::Keep) {
        h.enable_ttls();
    }
    let mut out = Outcome::default();
    let reply = fields
        .iter()
        .map(|f| {
            let v = take_live(h, f, now.ms(), &mut out);
            if v.is_some() {
                match op {
                    GetEx::Keep => {}
                    GetEx::Persist => out.updated += h.persist_field(f) as usize,
                    GetEx::At(when) => {
                        expire_field(h, f, when, Cond::Always, now.ms(), &mut out);
                    }
                }
            }
            Frame::bulk_or_null(v)
        })
        .collect();
    let event = match op {
        _ if out.updated == 0 && out.deleted > 0 => Some("hdel"),
        _ if out.updated == 0 => None,
        GetEx::Persist => Some("hpersist"),
        _ => Some("hexpire"),
    };
    finish(ctx, argv[1], &out, event);
    Ok(Frame::Array(reply))
}

/// HSETEX's options.
#[derive(Default)]
struct SetEx {
    /// FNX (`Some(false)`: none may exist) or FXX (`Some(true)`).
    must_exist: Option<bool>,
    deadline: Option<i64>,
    keep_ttl: bool,
    /// Index of the first field.
    first: usize,
}

/// Parses HSETEX's options up to `FIELDS numfields`, as Redis does before
/// it looks the key up.
fn parse_setex(ctx: &Ctx, argv: &[&[u8]]) -> Result<SetEx, Error> {
    const ONE_EXPIRY: &str =
        "ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified";
    let arity = || Error::WrongArity("hsetex".into());
    let mut o = SetEx::default();
    let mut i = 2;
    while i < argv.len() {
        let a = argv[i];
        let unit = match a {
            _ if is(a, "ex") || is(a, "exat") => Some(Unit::Sec),
            _ if is(a, "px") || is(a, "pxat") => Some(Unit::Ms),
            _ => None,
        };
        if is(a, "fields") {
            if i + 3 >= argv.len() {
                return Err(arity());
            }
            let n = args::int(argv[i + 1])
                .ok()
                .filter(|n| (1..=i64::from(i32::MAX)).contains(n))
                .ok_or(Error::err("ERR invalid number of fields"))?;
            let rest = argv.len() - i - 2;
            if rest % 2 != 0 || n != (rest / 2) as i64 {
                return Err(arity());
            }
            o.first = i + 2;
            return Ok(o);
        } else if let Some(unit) = unit {
            if o.deadline.is_some() || o.keep_ttl {
                return Err(Error::err(ONE_EXPIRY));
            }
            if i + 1 >= argv.len() {
                return Err(Error::err("ERR missing expire time"));
            }
            let relative = is(a, "ex") || is(a, "px");
            let base = if relative { ctx.now.ms() } else { 0 };
            o.deadline = Some(parse_deadline(argv[i + 1], unit, base, "hsetex")?);
            i += 1;
        } else if is(a, "keepttl") {
            if o.deadline.is_some() || o.keep_ttl {
                return Err(Error::err(ONE_EXPIRY));
            }
            o.keep_ttl = true;
        } else if is(a, "fxx") || is(a, "fnx") {
            if o.must_exist.is_some() {
                return Err(Error::err(
                    "ERR Only one of FXX or FNX arguments can be specified",
                ));
            }
            o.must_exist = Some(is(a, "fxx"));
        } else {
            return Err(Error::msg(format!(
                "ERR unknown argument: {}",
                String::from_utf8_lossy(a)
            )));
        }
        i += 1;
    }
    Err(Error::Syntax)
}

/// HSETEX key [FNX | FXX] [EX seconds | PX milliseconds | EXAT
/// unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] FIELDS
/// numfields field value [field value ...]
fn hsetex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let o = parse_setex(ctx, argv)?;
    let now = ctx.now;
    let exists = ctx.db().get_mut::<Hash>(argv[1], now)?.is_some();
    if !exists && o.must_exist == Some(true) {
        return Ok(Frame::Integer(0));
    }
    let lim = limits(ctx);
    let h = ctx.db().get_or_create::<Hash>(argv[1], now, new_hash)?;
    let pairs = &argv[o.first..];
    let mut out = Outcome::default();
    if let Some(must) = o.must_exist {
        // Stops at the first field that decides, as Redis does.
        let ok = pairs
            .chunks_exact(2)
            .all(|p| take_live(h, p[0], now.ms(), &mut out).is_some() == must);
        if !ok {
            finish(ctx, argv[1], &out, None);
            return Ok(Frame::Integer(0));
        }
    }
    let volatile = h.ttls.is_some() || o.deadline.is_some();
    if o.deadline.is_some() {
        h.enable_ttls();
    }
    let keep = o.keep_ttl || o.deadline.is_some();
    for p in pairs.chunks_exact(2) {
        set_field_ex(h, lim, p[0], Bytes::copy_from_slice(p[1]), keep);
        if let Some(when) = o.deadline {
            expire_field(h, p[0], when, Cond::Always, now.ms(), &mut out);
        }
    }
    ctx.dirty(pairs.len() as u64 / 2);
    hsetex_done(ctx, argv[1], &out);
    after_write(ctx, argv[1], None, volatile);
    Ok(Frame::Integer(1))
}

/// HSETEX's events once its fields are set: `hexpired` (fields its
/// FNX/FXX check reclaimed), `hset`, then `hdel` (a deadline already past)
/// or `hexpire`, and `del` if nothing is left.
fn hsetex_done(ctx: &mut Ctx, key: &[u8], out: &Outcome) {
    ctx.db().touch(key);
    for f in &out.lapsed {
        ctx.db().log_lapsed_field(key, f);
    }
    if out.expired > 0 {
        ctx.notify(notify::HASH, "hexpired", key);
    }
    ctx.notify(notify::HASH, "hset", key);
    if out.deleted + out.updated > 0 {
        let event = if out.deleted > 0 { "hdel" } else { "hexpire" };
        ctx.notify(notify::HASH, event, key);
    }
    if ctx.db().remove_if_empty(key) {
        ctx.notify(notify::GENERIC, "del", key);
    }
}

#[cfg(test)]
#[path = "hash_ttl_tests.rs"]
mod tests;
