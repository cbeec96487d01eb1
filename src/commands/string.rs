//! String commands: GET/SET and their variants, counters, APPEND, the
//! range commands and LCS.

use bytes::Bytes;

use super::args::{self, is};
use super::flags::*;
use super::string_ex::IfCond;
use super::traits::CACHEABLE;
use super::{Command, Ctx, Group};
use crate::engine::notify;
use crate::engine::value::{Str, Value};
use crate::engine::{Db, Now, NO_EXPIRE};
use crate::error::{CmdResult, Error};
use crate::num::{self, IncrFloatError};
use crate::resp::Frame;

const G: Group = Group::String;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("get", 2, READONLY | FAST, G, get)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("set", -3, WRITE | DENYOOM, G, set)
        .reply("SET_RESULT")
        .keys(1, 1, 1),
    Command::new("setnx", 3, WRITE | DENYOOM | FAST, G, setnx)
        .reply("BOOL")
        .keys(1, 1, 1),
    Command::new("setex", 4, WRITE | DENYOOM, G, setex)
        .reply("BOOL")
        .status()
        .keys(1, 1, 1),
    Command::new("psetex", 4, WRITE | DENYOOM, G, psetex)
        .reply("BOOL")
        .status()
        .keys(1, 1, 1),
    Command::new("getset", 3, WRITE | DENYOOM | FAST, G, getset).keys(1, 1, 1),
    Command::new("getdel", 2, WRITE | FAST, G, getdel).keys(1, 1, 1),
    Command::new("getex", -2, WRITE | FAST, G, getex).keys(1, 1, 1),
    Command::new("mget", -2, READONLY | FAST, G, mget)
        .traits(CACHEABLE)
        .keys(1, -1, 1),
    Command::new("mset", -3, WRITE | DENYOOM, G, mset)
        .reply("OK")
        .keys(1, -1, 2),
    Command::new("msetnx", -3, WRITE | DENYOOM, G, msetnx)
        .reply("BOOL")
        .keys(1, -1, 2),
    Command::new("incr", 2, WRITE | DENYOOM | FAST, G, incr).keys(1, 1, 1),
    Command::new("decr", 2, WRITE | DENYOOM | FAST, G, decr).keys(1, 1, 1),
    Command::new("incrby", 3, WRITE | DENYOOM | FAST, G, incrby).keys(1, 1, 1),
    Command::new("decrby", 3, WRITE | DENYOOM | FAST, G, decrby).keys(1, 1, 1),
    Command::new("incrbyfloat", 3, WRITE | DENYOOM | FAST, G, incrbyfloat)
        .reply("FLOAT")
        .keys(1, 1, 1),
    Command::new("strlen", 2, READONLY | FAST, G, strlen)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("append", 3, WRITE | DENYOOM | FAST, G, append).keys(1, 1, 1),
    Command::new("getrange", 4, READONLY, G, getrange)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("substr", 4, READONLY, G, getrange)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("setrange", 4, WRITE | DENYOOM, G, setrange).keys(1, 1, 1),
    Command::new("lcs", -3, READONLY, G, lcs)
        .traits(CACHEABLE)
        .reply_default("lcs_legacy")
        .reply_unified2("lcs_unified")
        .reply_unified3("lcs_unified")
        .keys(1, 2, 1),
];

/// The string under `key`: `Ok(None)` if missing, WRONGTYPE otherwise.
/// GET's core, shared by the handler and the Python fast path.
#[inline]
pub fn lookup<'a>(db: &'a mut Db, key: &[u8], now: Now<'_>) -> Result<Option<&'a [u8]>, Error> {
    Ok(db.get::<Str>(key, now)?.map(|s| &s.data[..]))
}

/// [`lookup`] in the client's database.
#[inline]
pub(crate) fn get_str(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Error> {
    let now = ctx.now;
    Ok(lookup(ctx.db(), key, now)?.map(Bytes::copy_from_slice))
}

/// Fails with `proto-max-bulk-len` if a string would grow past the limit.
pub(crate) fn check_len(ctx: &Ctx, len: u64) -> Result<(), Error> {
    if len > ctx.store.config.proto_max_bulk_len {
        return Err(Error::StringTooLong);
    }
    Ok(())
}

/// GET key
fn get(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::bulk_or_null(get_str(ctx, argv[1])?))
}

/// How a SET-like command treats the key's TTL.
#[derive(Clone, Copy, PartialEq)]
enum Ttl {
    /// Remove any TTL (plain SET).
    Clear,
    /// KEEPTTL.
    Keep,
    /// Expire at this unix-ms timestamp.
    At(i64),
}

/// SET's NX / XX condition.
#[derive(Clone, Copy, PartialEq)]
enum Cond {
    Always,
    /// Only if the key is missing.
    Nx,
    /// Only if the key exists.
    Xx,
}

/// Which expiry option was given.
#[derive(Clone, Copy, PartialEq)]
enum Expire {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl Expire {
    fn parse(opt: &[u8]) -> Option<Expire> {
        match opt.len() {
            2 if is(opt, "ex") => Some(Expire::Ex),
            2 if is(opt, "px") => Some(Expire::Px),
            4 if is(opt, "exat") => Some(Expire::ExAt),
            4 if is(opt, "pxat") => Some(Expire::PxAt),
            _ => None,
        }
    }

    fn absolute(self) -> bool {
        matches!(self, Expire::ExAt | Expire::PxAt)
    }

    /// The deadline `arg` names, in unix ms.
    fn deadline(self, arg: &[u8], now: Now<'_>, cmd: &str) -> Result<i64, Error> {
        let unit = if matches!(self, Expire::Ex | Expire::ExAt) {
            1000
        } else {
            1
        };
        let now = if self.absolute() { 0 } else { now.ms() };
        expire_arg(arg, unit, !self.absolute(), now, cmd)
    }
}

/// Turns an EX/PX/EXAT/PXAT argument into an absolute unix-ms deadline
/// with Redis's checks (`ERR invalid expire time in '<cmd>' command`).
pub(crate) fn expire_arg(
    arg: &[u8],
    unit_ms: i64,
    relative: bool,
    now: i64,
    cmd: &str,
) -> Result<i64, Error> {
    let n = args::int(arg)?;
    let invalid = || Error::InvalidExpire(cmd.to_string());
    if n <= 0 || (unit_ms == 1000 && n > i64::MAX / 1000) {
        return Err(invalid());
    }
    let mut ms = n * unit_ms;
    if relative {
        ms = ms.checked_add(now).ok_or_else(invalid)?;
    }
    Ok(ms)
}

/// The options SET and GETEX share (Redis parses both with one routine, so
/// the same combinations are syntax errors).
#[derive(Default)]
struct StrOpts<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(Expire, &'a [u8])>,
    /// IFEQ / IFNE / IFDEQ / IFDNE and its argument (SET only).
    ifcond: Option<(IfCond, &'a [u8])>,
}

/// Parses SET's options (`for_set`) or GETEX's. Repeating an expiry option
/// is allowed (the last wins); mixing two kinds is a syntax error.
fn parse_opts<'a>(argv: &[&'a [u8]], for_set: bool) -> Result<StrOpts<'a>, Error> {
    let mut o = StrOpts::default();
    let mut i = if for_set { 3 } else { 2 };
    while i < argv.len() {
        let opt = argv[i];
        let if_cond = if for_set { IfCond::parse(opt) } else { None };
        if for_set && is(opt, "nx") && !o.xx && o.ifcond.is_none() {
            o.nx = true;
        } else if for_set && is(opt, "xx") && !o.nx && o.ifcond.is_none() {
            o.xx = true;
        } else if let Some(cond) = if_cond {
            // One condition at most: NX, XX and the IF* options exclude
            // each other.
            let arg = argv.get(i + 1).ok_or(Error::Syntax)?;
            if o.nx || o.xx || o.ifcond.is_some() {
                return Err(Error::Syntax);
            }
            o.ifcond = Some((cond, arg));
            i += 1;
        } else if for_set && is(opt, "get") {
            o.get = true;
        } else if for_set && is(opt, "keepttl") && o.expire.is_none() {
            o.keepttl = true;
        } else if !for_set && is(opt, "persist") && o.expire.is_none() {
            o.persist = true;
        } else {
            let kind = Expire::parse(opt).ok_or(Error::Syntax)?;
            let arg = argv.get(i + 1).ok_or(Error::Syntax)?;
            if o.keepttl || o.persist || o.expire.is_some_and(|(k, _)| k != kind) {
                return Err(Error::Syntax);
            }
            o.expire = Some((kind, arg));
            i += 1;
        }
        i += 1;
    }
    Ok(o)
}

/// SET key value [NX | XX | IFEQ v | IFNE v | IFDEQ digest | IFDNE digest] [GET]
///   [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]
fn set(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv.len() == 3 {
        set_generic(ctx, argv[1], argv[2], Ttl::Clear, Cond::Always)?;
        return Ok(Frame::ok());
    }
    let o = parse_opts(argv, true)?;
    let ttl = match o.expire {
        Some((kind, arg)) => Ttl::At(kind.deadline(arg, ctx.now, "set")?),
        None if o.keepttl => Ttl::Keep,
        None => Ttl::Clear,
    };
    let cond = if o.nx {
        Cond::Nx
    } else if o.xx {
        Cond::Xx
    } else {
        Cond::Always
    };
    // An IF* condition reads the value (WRONGTYPE for other types, with
    // or without GET); GET replies with it whether or not SET happens.
    let old = if o.get || o.ifcond.is_some() {
        Some(get_str(ctx, argv[1])?)
    } else {
        None
    };
    let applied = match (o.ifcond, &old) {
        (Some((c, arg)), Some(current)) if !c.holds(current.as_deref(), arg)? => false,
        _ => set_generic(ctx, argv[1], argv[2], ttl, cond)?,
    };
    let old = if o.get { old } else { None };
    match old {
        Some(old) => Ok(Frame::bulk_or_null(old)),
        None if applied => Ok(Frame::ok()),
        None => Ok(Frame::Null),
    }
}

/// Stores a string (any old value of any type is replaced); returns false
/// when `cond` prevented it. One probe of the keyspace.
fn set_generic(ctx: &mut Ctx, key: &[u8], val: &[u8], ttl: Ttl, cond: Cond) -> Result<bool, Error> {
    let now = ctx.now;
    let expire_at = match ttl {
        Ttl::Clear => Some(NO_EXPIRE),
        Ttl::Keep => None,
        Ttl::At(at) => Some(at),
    };
    let allow = |live: bool| match cond {
        Cond::Always => true,
        Cond::Nx => !live,
        Cond::Xx => live,
    };
    let make = || Value::string_from(val);
    let Some(_created) = ctx.db().upsert(key, now, allow, make, expire_at) else {
        return Ok(false);
    };
    ctx.modified(key, notify::STRING, "set");
    if matches!(ttl, Ttl::At(_)) {
        ctx.notify(notify::GENERIC, "expire", key);
    }
    Ok(true)
}

/// Plain `SET key value` on the database alone (no TTL kept, no
/// condition): what [`set_generic`] does with `Ttl::Clear, Cond::Always`,
/// for the Python fast path ([`crate::engine::Engine::with_db_write`]).
pub fn store_plain(db: &mut crate::engine::Db, key: &[u8], val: &[u8], now: Now<'_>) {
    db.upsert(
        key,
        now,
        |_| true,
        || Value::string_from(val),
        Some(NO_EXPIRE),
    );
}

/// SETNX key value
fn setnx(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(
        set_generic(ctx, argv[1], argv[2], Ttl::Clear, Cond::Nx)? as i64,
    ))
}

/// SETEX key seconds value
fn setex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let at = Expire::Ex.deadline(argv[2], ctx.now, "setex")?;
    set_generic(ctx, argv[1], argv[3], Ttl::At(at), Cond::Always)?;
    Ok(Frame::ok())
}

/// PSETEX key milliseconds value
fn psetex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let at = Expire::Px.deadline(argv[2], ctx.now, "psetex")?;
    set_generic(ctx, argv[1], argv[3], Ttl::At(at), Cond::Always)?;
    Ok(Frame::ok())
}

/// GETSET key value
fn getset(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let old = get_str(ctx, argv[1])?;
    set_generic(ctx, argv[1], argv[2], Ttl::Clear, Cond::Always)?;
    Ok(Frame::bulk_or_null(old))
}

/// GETDEL key
fn getdel(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let Some(val) = get_str(ctx, argv[1])? else {
        return Ok(Frame::Null);
    };
    let now = ctx.now;
    if ctx.db().remove(argv[1], now).is_some() {
        ctx.modified(argv[1], notify::GENERIC, "del");
    }
    Ok(Frame::Bulk(val))
}

/// GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]
fn getex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let o = parse_opts(argv, false)?;
    let key = argv[1];
    // A missing key answers nil before the expiry is even validated.
    let Some(val) = get_str(ctx, key)? else {
        return Ok(Frame::Null);
    };
    let now = ctx.now;
    if let Some((kind, arg)) = o.expire {
        let at = kind.deadline(arg, now, "getex")?;
        if kind.absolute() && at <= now.ms() {
            ctx.db().remove(key, now);
            ctx.modified(key, notify::GENERIC, "del");
        } else {
            ctx.db().set_expire(key, at, now);
            ctx.modified(key, notify::GENERIC, "expire");
        }
    } else if o.persist && ctx.db().persist(key, now) {
        ctx.modified(key, notify::GENERIC, "persist");
    }
    Ok(Frame::Bulk(val))
}

/// MGET key [key ...]
fn mget(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let out = argv[1..]
        .iter()
        .map(|k| match db.get::<Str>(k, now) {
            Ok(Some(s)) => Frame::Bulk(s.to_bytes()),
            _ => Frame::Null,
        })
        .collect();
    Ok(Frame::Array(out))
}

/// MSET key value [key value ...]
fn mset(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    mset_generic(ctx, argv, false)
}

/// MSETNX key value [key value ...]
fn msetnx(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    mset_generic(ctx, argv, true)
}

fn mset_generic(ctx: &mut Ctx, argv: &[&[u8]], nx: bool) -> CmdResult {
    if argv.len() % 2 == 0 {
        let name = if nx { "msetnx" } else { "mset" };
        return Err(Error::WrongArity(name.into()));
    }
    if nx {
        let now = ctx.now;
        let db = ctx.db();
        if argv[1..].iter().step_by(2).any(|k| db.contains(k, now)) {
            return Ok(Frame::Integer(0));
        }
    }
    for pair in argv[1..].chunks_exact(2) {
        set_generic(ctx, pair[0], pair[1], Ttl::Clear, Cond::Always)?;
    }
    Ok(if nx { Frame::Integer(1) } else { Frame::ok() })
}

/// Adds `by` to the integer stored at `key` (INCR, DECR, INCRBY, DECRBY),
/// in place so the TTL stays.
fn incr_generic(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    let new = match db.lookup(key, now) {
        Some(e) => {
            let Value::Str(s) = &mut e.value else {
                return Err(Error::WrongType);
            };
            let new = num::parse_i64(&s.data)
                .ok_or(Error::NotInteger)?
                .checked_add(by)
                .ok_or(Error::Overflow)?;
            *s = Str::new(Bytes::copy_from_slice(&num::format_i64(new)));
            new
        }
        None => {
            db.set(
                key,
                Value::string(Bytes::copy_from_slice(&num::format_i64(by))),
            );
            by
        }
    };
    ctx.modified(key, notify::STRING, "incrby");
    Ok(Frame::Integer(new))
}

/// INCR key
fn incr(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    incr_generic(ctx, argv[1], 1)
}

/// DECR key
fn decr(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    incr_generic(ctx, argv[1], -1)
}

/// INCRBY key increment
fn incrby(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let by = args::int(argv[2])?;
    incr_generic(ctx, argv[1], by)
}

/// DECRBY key decrement
fn decrby(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let by = args::int(argv[2])?;
    let by = by
        .checked_neg()
        .ok_or(Error::err("ERR decrement would overflow"))?;
    incr_generic(ctx, argv[1], by)
}

/// INCRBYFLOAT key increment
fn incrbyfloat(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (now, key) = (ctx.now, argv[1]);
    let db = ctx.db();
    let entry = db.lookup(key, now);
    let current = match entry.as_ref().map(|e| &e.value) {
        Some(Value::Str(s)) => Some(&s.data[..]),
        Some(_) => return Err(Error::WrongType),
        None => None,
    };
    let text = num::incr_by_float(current, argv[2]).map_err(|e| match e {
        IncrFloatError::ResultNotFinite => Error::NanOrInfinity,
        _ => Error::NotFloat,
    })?;
    let data = Bytes::from(text);
    // Redis builds the result as a plain string object: `embstr` even when
    // it reads as an integer. Overwriting keeps the TTL.
    let value = Value::Str(Str::no_int(data.clone()));
    match entry {
        Some(e) => e.value = value,
        None => {
            db.set(key, value);
        }
    }
    ctx.modified(key, notify::STRING, "incrbyfloat");
    Ok(Frame::Bulk(data))
}

/// STRLEN key
fn strlen(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    Ok(Frame::Integer(
        lookup(ctx.db(), argv[1], now)?.map_or(0, |s| s.len() as i64),
    ))
}

/// APPEND key value
fn append(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (now, key, tail) = (ctx.now, argv[1], argv[2]);
    let max = ctx.store.config.proto_max_bulk_len;
    let db = ctx.db();
    let len = match db.get_mut::<Str>(key, now)? {
        Some(s) => {
            if s.data.len() as u64 + tail.len() as u64 > max {
                return Err(Error::StringTooLong);
            }
            s.data.edit(|buf| buf.extend_from_slice(tail));
            s.set_raw();
            s.data.len()
        }
        None => {
            db.set(key, Value::string(Bytes::copy_from_slice(tail)));
            tail.len()
        }
    };
    ctx.modified(key, notify::STRING, "append");
    Ok(Frame::Integer(len as i64))
}

/// GETRANGE key start end (and its old name SUBSTR)
fn getrange(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let start = args::int(argv[2])?;
    let end = args::int(argv[3])?;
    let Some(s) = get_str(ctx, argv[1])? else {
        return Ok(Frame::Bulk(Bytes::new()));
    };
    Ok(Frame::Bulk(match substr_range(start, end, s.len()) {
        Some((a, b)) => s.slice(a..=b),
        None => Bytes::new(),
    }))
}

/// GETRANGE's index rules, which differ from LRANGE's: an end before the
/// start of the string clamps to 0, so `GETRANGE k 0 -100` returns the
/// first byte, while two negative indexes in the wrong order return "".
fn substr_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    if start < 0 && end < 0 && start > end {
        return None;
    }
    let len = len as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let end = if end < 0 { len + end } else { end }.max(0).min(len - 1);
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

/// SETRANGE key offset value
fn setrange(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (now, key, val) = (ctx.now, argv[1], argv[3]);
    let offset = args::int(argv[2])?;
    if offset < 0 {
        return Err(Error::err("ERR offset is out of range"));
    }
    let end = offset as u64 + val.len() as u64;
    let fits = check_len(ctx, end);
    let db = ctx.db();
    let len = match db.get_mut::<Str>(key, now)? {
        Some(s) if val.is_empty() => return Ok(Frame::Integer(s.data.len() as i64)),
        None if val.is_empty() => return Ok(Frame::Integer(0)),
        found => {
            fits?;
            let (offset, end) = (offset as usize, end as usize);
            match found {
                Some(s) => {
                    s.data.edit(|buf| {
                        if buf.len() < end {
                            buf.resize(end, 0);
                        }
                        buf[offset..end].copy_from_slice(val);
                    });
                    s.set_raw();
                    s.data.len()
                }
                None => {
                    let mut buf = vec![0; end];
                    buf[offset..].copy_from_slice(val);
                    db.set(key, Value::Str(Str::raw(Bytes::from(buf))));
                    end
                }
            }
        }
    };
    ctx.modified(key, notify::STRING, "setrange");
    Ok(Frame::Integer(len as i64))
}

/// The error LCS gives for a non-string key (it does not say WRONGTYPE).
const LCS_NOT_STRINGS: Error = Error::err("ERR The specified keys must contain string values");

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
fn lcs(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    // Both keys are looked up before either type is checked, and missing
    // keys count as empty strings.
    let a = db
        .get::<Str>(argv[1], now)
        .map(|s| s.map(|s| s.data.clone()));
    let b = db
        .get::<Str>(argv[2], now)
        .map(|s| s.map(|s| s.data.clone()));
    let (Ok(a), Ok(b)) = (a, b) else {
        return Err(LCS_NOT_STRINGS);
    };
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
    let (mut get_len, mut get_idx, mut with_len, mut min_len) = (false, false, false, 0i64);
    let mut j = 3;
    while j < argv.len() {
        let opt = argv[j];
        if is(opt, "idx") {
            get_idx = true;
        } else if is(opt, "len") {
            get_len = true;
        } else if is(opt, "withmatchlen") {
            with_len = true;
        } else if is(opt, "minmatchlen") && j + 1 < argv.len() {
            min_len = args::int(argv[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    if get_len && get_idx {
        return Err(Error::err(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    if a.len() as u64 >= u64::from(u32::MAX - 1) || b.len() as u64 >= u64::from(u32::MAX - 1) {
        return Err(Error::err("ERR String too long for LCS"));
    }
    let cells = (a.len() as u64 + 1).saturating_mul(b.len() as u64 + 1);
    if cells.saturating_mul(4) > ctx.store.config.proto_max_bulk_len {
        return Err(Error::err(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }
    let table = LcsTable::build(&a, &b).ok_or(Error::err(
        "ERR Insufficient memory, failed allocating transient memory for LCS",
    ))?;
    if get_len {
        return Ok(Frame::Integer(i64::from(table.at(a.len(), b.len()))));
    }
    let (common, matches) = table.walk(&a, &b, get_idx.then_some((min_len, with_len)));
    if !get_idx {
        return Ok(Frame::Bulk(Bytes::from(common)));
    }
    Ok(Frame::Map(vec![
        (Frame::bulk(b"matches"), Frame::Array(matches)),
        (Frame::bulk(b"len"), Frame::Integer(common.len() as i64)),
    ]))
}

/// The classic O(n*m) dynamic-programming table, as Redis builds it:
/// `at(i, j)` is the LCS length of `a[..i]` and `b[..j]`.
struct LcsTable {
    cells: Vec<u32>,
    width: usize,
}

impl LcsTable {
    fn build(a: &[u8], b: &[u8]) -> Option<LcsTable> {
        let width = b.len() + 1;
        let size = (a.len() + 1).checked_mul(width)?;
        let mut cells = Vec::new();
        cells.try_reserve_exact(size).ok()?;
        cells.resize(size, 0u32);
        for i in 1..=a.len() {
            let (prev, row) = cells[(i - 1) * width..(i + 1) * width].split_at_mut(width);
            for j in 1..width {
                row[j] = if a[i - 1] == b[j - 1] {
                    prev[j - 1] + 1
                } else {
                    prev[j].max(row[j - 1])
                };
            }
        }
        Some(LcsTable { cells, width })
    }

    #[inline]
    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Walks back from the end, collecting the common subsequence and, when
    /// `idx` is `Some((min_len, with_len))`, the matching ranges (last
    /// first, as Redis lists them) in IDX's reply shape.
    fn walk(&self, a: &[u8], b: &[u8], idx: Option<(i64, bool)>) -> (Vec<u8>, Vec<Frame>) {
        let mut out = vec![0u8; self.at(a.len(), b.len()) as usize];
        let mut matches = Vec::new();
        let (mut i, mut j, mut k) = (a.len(), b.len(), out.len());
        // The open range: (a_start, a_end, b_start, b_end).
        let mut range: Option<(usize, usize, usize, usize)> = None;
        while i > 0 && j > 0 {
            let mut emit = false;
            if a[i - 1] == b[j - 1] {
                out[k - 1] = a[i - 1];
                match &mut range {
                    None => range = Some((i - 1, i - 1, j - 1, j - 1)),
                    Some(r) if r.0 == i && r.2 == j => {
                        r.0 -= 1;
                        r.2 -= 1;
                    }
                    Some(_) => emit = true,
                }
                emit |= range.is_some_and(|r| r.0 == 0 || r.2 == 0);
                (i, j, k) = (i - 1, j - 1, k - 1);
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                emit = range.is_some();
            }
            if !emit {
                continue;
            }
            if let (Some((a0, a1, b0, b1)), Some((min_len, with_len))) = (range.take(), idx) {
                let len = (a1 - a0 + 1) as i64;
                if len >= min_len {
                    let pos = |x: usize, y: usize| {
                        Frame::Array(vec![Frame::Integer(x as i64), Frame::Integer(y as i64)])
                    };
                    let mut m = vec![pos(a0, a1), pos(b0, b1)];
                    if with_len {
                        m.push(Frame::Integer(len));
                    }
                    matches.push(Frame::Array(m));
                }
            }
        }
        (out, matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::test_support::{argv, Harness};

    #[test]
    fn keyspace_events_match_redis() {
        let mut h = Harness::keyevents();
        assert_eq!(h.events("SET k v EX 100"), ["new:k", "set:k", "expire:k"]);
        assert_eq!(h.events("SET k v"), ["set:k"]);
        assert_eq!(h.events("SET k v NX"), Vec::<String>::new());
        assert_eq!(h.events("SET k v XX GET"), ["set:k"]);
        assert_eq!(h.events("SETNX k v"), Vec::<String>::new());
        assert_eq!(h.events("SETEX k 10 v"), ["set:k", "expire:k"]);
        assert_eq!(h.events("PSETEX p 10 v"), ["new:p", "set:p", "expire:p"]);
        assert_eq!(h.events("GETSET k w"), ["set:k"]);
        assert_eq!(h.events("INCR n"), ["new:n", "incrby:n"]);
        assert_eq!(h.events("DECRBY n 5"), ["incrby:n"]);
        assert_eq!(h.events("INCR k"), Vec::<String>::new());
        assert_eq!(h.events("INCRBYFLOAT n 1.5"), ["incrbyfloat:n"]);
        assert_eq!(h.events("INCRBYFLOAT f 1.5"), ["new:f", "incrbyfloat:f"]);
        assert_eq!(h.events("APPEND k x"), ["append:k"]);
        assert_eq!(h.events("APPEND a x"), ["new:a", "append:a"]);
        assert_eq!(h.events("SETRANGE k 0 "), Vec::<String>::new());
        assert_eq!(h.events("SETRANGE z 5 "), Vec::<String>::new());
        assert_eq!(h.events("SETRANGE k 1 y"), ["setrange:k"]);
        assert_eq!(h.events("SETRANGE s 1 y"), ["new:s", "setrange:s"]);
        assert_eq!(h.events("GETEX k"), Vec::<String>::new());
        assert_eq!(h.events("GETEX k EX 100"), ["expire:k"]);
        assert_eq!(h.events("GETEX k PERSIST"), ["persist:k"]);
        assert_eq!(h.events("GETEX k PERSIST"), Vec::<String>::new());
        assert_eq!(h.events("GETEX k PXAT 1"), ["del:k"]);
        assert_eq!(h.events("GETDEL a"), ["del:a"]);
        assert_eq!(h.events("GETDEL a"), Vec::<String>::new());
        assert_eq!(
            h.events("MSET a 1 b 2"),
            ["new:a", "set:a", "new:b", "set:b"]
        );
        assert_eq!(h.events("MSETNX a 1 c 2"), Vec::<String>::new());
        assert_eq!(
            h.events("MSETNX c 1 d 2"),
            ["new:c", "set:c", "new:d", "set:d"]
        );
        assert_eq!(h.events("GET a"), Vec::<String>::new());
        assert_eq!(h.events("LCS a b"), Vec::<String>::new());
    }

    #[test]
    fn encodings_match_redis() {
        let mut h = Harness::keyevents();
        h.run("SET i 123");
        assert_eq!(h.encoding("i"), "int");
        h.run("APPEND i 4");
        assert_eq!(h.encoding("i"), "raw");
        h.run("INCR i");
        assert_eq!(h.encoding("i"), "int");
        h.run("INCRBYFLOAT f 2");
        assert_eq!(h.encoding("f"), "embstr");
        h.run("INCR f");
        assert_eq!(h.encoding("f"), "int");
        h.run("SETRANGE r 0 1");
        assert_eq!(h.encoding("r"), "raw");
        h.run("SET e 0123");
        assert_eq!(h.encoding("e"), "embstr");
        h.run("APPEND n 55");
        assert_eq!(h.encoding("n"), "int");
    }

    #[test]
    fn appends_reuse_the_buffer() {
        let mut h = Harness::keyevents();
        let mut moves = 0;
        let mut last = std::ptr::null();
        for _ in 0..20_000 {
            h.run("APPEND k ab");
            let cell = std::cell::Cell::new(0);
            let Some(Value::Str(s)) = h.store.dbs[0].peek(b"k", Now::new(&cell)).map(|e| &e.value)
            else {
                panic!("not a string");
            };
            if s.data.as_ptr() != last {
                moves += 1;
                last = s.data.as_ptr();
            }
        }
        assert_eq!(h.run("STRLEN k"), Frame::Integer(40_000));
        assert!(moves < 100, "buffer moved {moves} times");
    }

    #[test]
    fn lcs_matches_redis_examples() {
        let mut h = Harness::keyevents();
        h.run("MSET a ohmytext b mynewtext");
        assert_eq!(h.run("LCS a b"), Frame::bulk(b"mytext"));
        assert_eq!(h.run("LCS a b LEN"), Frame::Integer(6));
        let pos = |x, y| Frame::Array(vec![Frame::Integer(x), Frame::Integer(y)]);
        let want = Frame::Map(vec![
            (
                Frame::bulk(b"matches"),
                Frame::Array(vec![
                    Frame::Array(vec![pos(4, 7), pos(5, 8), Frame::Integer(4)]),
                    Frame::Array(vec![pos(2, 3), pos(0, 1), Frame::Integer(2)]),
                ]),
            ),
            (Frame::bulk(b"len"), Frame::Integer(6)),
        ]);
        assert_eq!(h.run("LCS a b IDX WITHMATCHLEN"), want);
    }

    #[test]
    fn getrange_indexes_follow_redis() {
        assert_eq!(substr_range(0, -1, 5), Some((0, 4)));
        assert_eq!(substr_range(0, -100, 5), Some((0, 0)));
        assert_eq!(substr_range(-100, -200, 5), None);
        assert_eq!(substr_range(-3, -1, 5), Some((2, 4)));
        assert_eq!(substr_range(3, 1, 5), None);
        assert_eq!(substr_range(10, 20, 5), None);
        assert_eq!(substr_range(0, 0, 0), None);
        assert_eq!(substr_range(i64::MIN, i64::MAX, 5), Some((0, 4)));
        assert_eq!(substr_range(-1, i64::MIN, 5), None);
    }

    #[test]
    fn extended_options_follow_redis_grammar() {
        let parse = |s: &str, set: bool| {
            parse_opts(&argv(s), set)
                .map(|o| (o.nx, o.xx, o.get, o.keepttl, o.persist, o.expire.is_some()))
        };
        assert_eq!(
            parse("set k v ex 1 ex 2", true),
            Ok((false, false, false, false, false, true))
        );
        assert_eq!(parse("set k v ex 1 px 2", true), Err(Error::Syntax));
        assert_eq!(parse("set k v nx xx", true), Err(Error::Syntax));
        assert_eq!(
            parse("set k v nx nx get get", true),
            Ok((true, false, true, false, false, false))
        );
        assert_eq!(parse("set k v keepttl ex 1", true), Err(Error::Syntax));
        assert_eq!(parse("set k v ex 1 keepttl", true), Err(Error::Syntax));
        assert_eq!(parse("set k v ex", true), Err(Error::Syntax));
        assert_eq!(parse("set k v persist", true), Err(Error::Syntax));
        assert_eq!(
            parse("getex k persist persist", false),
            Ok((false, false, false, false, true, false))
        );
        assert_eq!(parse("getex k persist ex 1", false), Err(Error::Syntax));
        assert_eq!(parse("getex k nx", false), Err(Error::Syntax));
        assert_eq!(parse("getex k keepttl", false), Err(Error::Syntax));
    }

    #[test]
    fn expire_arguments_are_checked() {
        let cell = std::cell::Cell::new(1_000);
        let now = Now::new(&cell);
        assert_eq!(Expire::Ex.deadline(b"2", now, "set"), Ok(3_000));
        assert_eq!(Expire::PxAt.deadline(b"2", now, "set"), Ok(2));
        assert_eq!(
            Expire::Ex.deadline(b"0", now, "set"),
            Err(Error::InvalidExpire("set".into()))
        );
        assert_eq!(
            Expire::Ex.deadline(b"x", now, "set"),
            Err(Error::NotInteger)
        );
        let huge = (i64::MAX / 1000 + 1).to_string();
        assert!(Expire::ExAt.deadline(huge.as_bytes(), now, "set").is_err());
        assert!(Expire::Px
            .deadline(i64::MAX.to_string().as_bytes(), now, "set")
            .is_err());
    }
}
