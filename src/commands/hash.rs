//! Hash commands, plus the cursor and option parsing of the SCAN family.
//!
//! A listpack-encoded hash keeps its fields in insertion order (Redis
//! appends to the listpack), so while `listpack` is set deletions use
//! `shift_remove` to keep that order; HGETALL, HKEYS, HSCAN... of small
//! hashes then list fields exactly as Redis does.

use bytes::Bytes;

use super::args::{self, is};
use super::flags::*;
use super::set::sample_distinct;
use super::traits::CACHEABLE;
use super::{Command, Ctx, Group};
use crate::engine::value::{Hash, Value};
use crate::engine::{notify, Db, Now};
use crate::error::{CmdResult, Error};
use crate::glob::GlobPattern;
use crate::num::{self, IncrFloatError};
use crate::resp::Frame;

const G: Group = Group::Hash;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("hset", -4, WRITE | DENYOOM | FAST, G, hset).keys(1, 1, 1),
    Command::new("hsetnx", 4, WRITE | DENYOOM | FAST, G, hsetnx).keys(1, 1, 1),
    Command::new("hmset", -4, WRITE | DENYOOM | FAST, G, hmset)
        .reply("BOOL")
        .status()
        .keys(1, 1, 1),
    Command::new("hget", 3, READONLY | FAST, G, hget)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("hmget", -3, READONLY | FAST, G, hmget)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("hgetall", 2, READONLY, G, hgetall)
        .traits(CACHEABLE)
        .reply2("DICT")
        .reply3("RAW")
        .no_reply_default()
        .keys(1, 1, 1),
    Command::new("hkeys", 2, READONLY, G, hkeys)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("hvals", 2, READONLY, G, hvals)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("hdel", -3, WRITE | FAST, G, hdel).keys(1, 1, 1),
    Command::new("hexists", 3, READONLY | FAST, G, hexists)
        .traits(CACHEABLE)
        .reply("BOOL")
        .keys(1, 1, 1),
    Command::new("hlen", 2, READONLY | FAST, G, hlen)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("hstrlen", 3, READONLY | FAST, G, hstrlen)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("hincrby", 4, WRITE | DENYOOM | FAST, G, hincrby).keys(1, 1, 1),
    Command::new("hincrbyfloat", 4, WRITE | DENYOOM | FAST, G, hincrbyfloat)
        .reply("FLOAT")
        .keys(1, 1, 1),
    Command::new("hrandfield", -2, READONLY, G, hrandfield)
        .reply_default("hrandfield_legacy")
        .reply_unified2("hrandfield_unified")
        .keys(1, 1, 1),
    Command::new("hscan", -3, READONLY, G, hscan)
        .reply("HSCAN")
        .keys(1, 1, 1),
];

/// A new, empty hash value.
pub(crate) fn new_hash() -> Value {
    Value::Hash(Box::new(Hash::new()))
}

/// Converts the encoding once the hash outgrows the listpack limits.
pub(crate) fn update_encoding(
    h: &mut Hash,
    entries: usize,
    max_value: usize,
    field: &[u8],
    value: &[u8],
) {
    if h.listpack && (h.map.len() > entries || field.len() > max_value || value.len() > max_value) {
        h.listpack = false;
    }
}

/// Sets one field as Redis's `hashTypeSet` does: an over-long field or
/// value converts the hash first, and the entry count is checked after
/// every write (updates included). Overwriting drops the field's TTL
/// unless `keep_ttl` (HINCRBY, HSETEX KEEPTTL). Returns true if the field
/// is new.
pub(crate) fn set_field_ex(
    h: &mut Hash,
    (entries, max_value): (usize, usize),
    field: &[u8],
    value: Bytes,
    keep_ttl: bool,
) -> bool {
    if h.listpack && (field.len() > max_value || value.len() > max_value) {
        h.listpack = false;
    }
    let added = match h.map.get_mut(field) {
        Some(v) => {
            *v = value;
            if !keep_ttl && h.ttls.is_some() {
                h.persist_field(field);
            }
            false
        }
        None => {
            h.map.insert(Bytes::copy_from_slice(field), value);
            true
        }
    };
    update_encoding(h, entries, max_value, b"", b"");
    added
}

/// [`set_field_ex`] as HSET does it (the TTL goes).
fn set_field(h: &mut Hash, lim: (usize, usize), field: &[u8], value: Bytes) -> bool {
    set_field_ex(h, lim, field, value, false)
}

/// Removes a field (and its TTL), keeping insertion order while the hash
/// is a listpack.
fn del_field(h: &mut Hash, field: &[u8]) -> bool {
    h.remove_field(field).is_some()
}

/// The clock for judging a hash's fields: read only when the hash has
/// TTLs (a field without one is live at any time).
#[inline]
fn clock_for(h: &Hash, now: Now<'_>) -> i64 {
    if h.ttls.is_some() {
        now.ms()
    } else {
        0
    }
}

/// Lazy expiry inside a write command: reclaims `field` if its deadline
/// has passed. True if it did (the caller reports `hexpired`).
pub(crate) fn expire_if_due(h: &mut Hash, field: &[u8], now_ms: i64) -> bool {
    h.ttls.is_some() && h.is_expired(field, now_ms) && h.remove_field(field).is_some()
}

/// After a write to the hash under `key`: reports fields reclaimed on the
/// way (`hexpired`, which Redis raises before the command's own event)
/// and keeps the field-expiry index in step when the hash has TTLs.
pub(crate) fn after_write(ctx: &mut Ctx, key: &[u8], expired: Option<&[u8]>, volatile: bool) {
    if let Some(field) = expired {
        ctx.db().log_lapsed_field(key, field);
        ctx.db().touch(key);
        ctx.notify(notify::HASH, "hexpired", key);
    }
    if volatile {
        ctx.db().hfe_sync(key);
    }
}

pub(crate) fn limits(ctx: &Ctx) -> (usize, usize) {
    (
        ctx.store.config.hash_max_listpack_entries,
        ctx.store.config.hash_max_listpack_value,
    )
}

/// HSET/HMSET: sets every pair, signalling the change even when no field
/// was new (Redis does).
fn hset_generic(ctx: &mut Ctx, argv: &[&[u8]], name: &str) -> Result<i64, Error> {
    if argv.len() % 2 != 0 {
        return Err(Error::WrongArity(name.into()));
    }
    let now = ctx.now;
    let lim = limits(ctx);
    let h = ctx.db().get_or_create::<Hash>(argv[1], now, new_hash)?;
    let volatile = h.ttls.is_some();
    let mut added = 0;
    for pair in argv[2..].chunks_exact(2) {
        added += set_field(h, lim, pair[0], Bytes::copy_from_slice(pair[1])) as i64;
    }
    after_write(ctx, argv[1], None, volatile);
    ctx.modified(argv[1], notify::HASH, "hset");
    Ok(added)
}

/// HSET key field value [field value ...]
fn hset(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(hset_generic(ctx, argv, "hset")?))
}

/// HMSET key field value [field value ...]
fn hmset(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    hset_generic(ctx, argv, "hmset")?;
    Ok(Frame::ok())
}

/// HSETNX key field value
fn hsetnx(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let lim = limits(ctx);
    let h = ctx.db().get_or_create::<Hash>(argv[1], now, new_hash)?;
    let volatile = h.ttls.is_some();
    let t = clock_for(h, now);
    let expired = expire_if_due(h, argv[2], t);
    if h.map.contains_key(argv[2]) {
        return Ok(Frame::Integer(0));
    }
    set_field(h, lim, argv[2], Bytes::copy_from_slice(argv[3]));
    after_write(ctx, argv[1], expired.then_some(argv[2]), volatile);
    ctx.modified(argv[1], notify::HASH, "hset");
    Ok(Frame::Integer(1))
}

/// HGET's core, shared by the handler and the Python fast path. A field
/// past its deadline reads as missing and is reclaimed.
#[inline]
pub fn lookup_field(
    db: &mut Db,
    key: &[u8],
    field: &[u8],
    now: Now<'_>,
) -> Result<Option<Bytes>, Error> {
    let Some(h) = db.get::<Hash>(key, now)? else {
        return Ok(None);
    };
    if h.ttls.is_none() || !h.is_expired(field, now.ms()) {
        return Ok(h.map.get(field).cloned());
    }
    db.expire_read_fields(key, &[field], now.ms());
    Ok(None)
}

/// HGET key field
fn hget(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    Ok(Frame::bulk_or_null(lookup_field(
        ctx.db(),
        argv[1],
        argv[2],
        now,
    )?))
}

/// HMGET key field [field ...]
fn hmget(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let h = ctx.db().get::<Hash>(argv[1], now)?;
    let volatile = h.is_some_and(|h| h.ttls.is_some());
    let out = argv[2..]
        .iter()
        .map(|f| Frame::bulk_or_null(h.and_then(|h| h.get_live(f, clock_for(h, now)).cloned())))
        .collect();
    if volatile {
        ctx.db().expire_read_fields(argv[1], &argv[2..], now.ms());
    }
    Ok(Frame::Array(out))
}

/// HGETALL key
fn hgetall(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let Some(h) = ctx.db().get::<Hash>(argv[1], now)? else {
        return Ok(Frame::Map(Vec::new()));
    };
    Ok(Frame::Map(
        h.live(clock_for(h, now))
            .map(|(k, v)| (Frame::Bulk(k.clone()), Frame::Bulk(v.clone())))
            .collect(),
    ))
}

/// HKEYS key
fn hkeys(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    hkeys_generic(ctx, argv, false)
}

/// HVALS key
fn hvals(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    hkeys_generic(ctx, argv, true)
}

/// HKEYS / HVALS: the live fields' names, or their `values`.
fn hkeys_generic(ctx: &mut Ctx, argv: &[&[u8]], values: bool) -> CmdResult {
    let now = ctx.now;
    let h = ctx.db().get::<Hash>(argv[1], now)?;
    Ok(Frame::Array(h.map_or_else(Vec::new, |h| {
        h.live(clock_for(h, now))
            .map(|(k, v)| Frame::Bulk(if values { v } else { k }.clone()))
            .collect()
    })))
}

/// HDEL key field [field ...]
fn hdel(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let Some(h) = ctx.db().get_mut::<Hash>(argv[1], now)? else {
        return Ok(Frame::Integer(0));
    };
    let volatile = h.ttls.is_some();
    let mut deleted = 0;
    for f in &argv[2..] {
        if del_field(h, f) {
            deleted += 1;
            if h.map.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        let emptied = ctx.db().remove_if_empty(argv[1]);
        after_write(ctx, argv[1], None, volatile);
        ctx.modified(argv[1], notify::HASH, "hdel");
        if emptied {
            ctx.notify(notify::GENERIC, "del", argv[1]);
        }
    }
    Ok(Frame::Integer(deleted))
}

/// HEXISTS key field
fn hexists(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let v = lookup_field(ctx.db(), argv[1], argv[2], now)?;
    Ok(Frame::from_bool(v.is_some()))
}

/// HLEN key
fn hlen(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let h = ctx.db().get::<Hash>(argv[1], now)?;
    Ok(Frame::Integer(h.map_or(0, |h| h.map.len() as i64)))
}

/// HSTRLEN key field
fn hstrlen(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let v = lookup_field(ctx.db(), argv[1], argv[2], now)?;
    Ok(Frame::Integer(v.map_or(0, |v| v.len() as i64)))
}

/// HINCRBY key field increment
fn hincrby(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let incr = args::int(argv[3])?;
    let now = ctx.now;
    let lim = limits(ctx);
    let h = ctx.db().get_or_create::<Hash>(argv[1], now, new_hash)?;
    let volatile = h.ttls.is_some();
    let t = clock_for(h, now);
    let expired = expire_if_due(h, argv[2], t);
    let old = match h.map.get(argv[2]) {
        Some(v) => num::parse_i64(v).ok_or(Error::HashNotInteger),
        None => Ok(0),
    };
    let new = old.and_then(|old| old.checked_add(incr).ok_or(Error::Overflow));
    if let Ok(new) = new {
        // Changing a value in place keeps the field's TTL.
        let value = Bytes::copy_from_slice(&num::format_i64(new));
        set_field_ex(h, lim, argv[2], value, true);
    }
    after_write(ctx, argv[1], expired.then_some(argv[2]), volatile);
    let new = new?;
    ctx.modified(argv[1], notify::HASH, "hincrby");
    Ok(Frame::Integer(new))
}

/// HINCRBYFLOAT key field increment
fn hincrbyfloat(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    // The increment is validated before the key is even looked up, so its
    // errors outrank WRONGTYPE.
    let incr = num::hincr_by_float_increment(argv[3]).map_err(|e| match e {
        IncrFloatError::IncrementNotFinite => Error::err("ERR value is NaN or Infinity"),
        _ => Error::NotFloat,
    })?;
    let now = ctx.now;
    let lim = limits(ctx);
    let h = ctx.db().get_or_create::<Hash>(argv[1], now, new_hash)?;
    let volatile = h.ttls.is_some();
    let t = clock_for(h, now);
    let expired = expire_if_due(h, argv[2], t);
    let new = num::hincr_by_float_apply(h.map.get(argv[2]).map(|v| &v[..]), incr)
        .map(Bytes::from)
        .map_err(|e| match e {
            IncrFloatError::InvalidCurrent => Error::HashNotFloat,
            _ => Error::NanOrInfinity,
        });
    if let Ok(new) = &new {
        set_field_ex(h, lim, argv[2], new.clone(), true);
    }
    after_write(ctx, argv[1], expired.then_some(argv[2]), volatile);
    let new = new?;
    ctx.modified(argv[1], notify::HASH, "hincrbyfloat");
    Ok(Frame::Bulk(new))
}

/// The count argument of HRANDFIELD / SRANDMEMBER: any `long` but
/// `LONG_MIN`, whose magnitude does not fit.
pub(crate) fn rand_count(arg: &[u8]) -> Result<i64, Error> {
    let n = args::int(arg)?;
    if n == i64::MIN {
        return Err(Error::msg(format!(
            "ERR value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        )));
    }
    Ok(n)
}

/// Replies larger than this many elements are refused instead of being
/// built (Redis would stream them; we would have to hold them in memory).
pub(crate) const MAX_RANDOM_REPLY: u64 = 1 << 26;

/// Reclaims every expired field of the hash under `key` before a command
/// that samples it (Redis does this for HRANDFIELD only).
fn reclaim_all(ctx: &mut Ctx, key: &[u8]) {
    let now = ctx.now;
    let due = matches!(ctx.db().peek(key, now).map(|e| &e.value),
        Some(Value::Hash(h)) if h.min_ttl().is_some_and(|at| crate::engine::hfe::is_past(at, now.ms())));
    if due {
        ctx.db().reclaim_fields(key, now.ms(), usize::MAX);
    }
}

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    reclaim_all(ctx, argv[1]);
    if argv.len() == 2 {
        let Some(h) = ctx
            .db()
            .get::<Hash>(argv[1], now)?
            .filter(|h| !h.map.is_empty())
        else {
            return Ok(Frame::Null);
        };
        let i = fastrand::usize(..h.map.len());
        return Ok(Frame::bulk_or_null(
            h.map.get_index(i).map(|(k, _)| k.clone()),
        ));
    }
    let count = rand_count(argv[2])?;
    let withvalues = argv.len() == 4 && is(argv[3], "withvalues");
    if argv.len() > 4 || (argv.len() == 4 && !withvalues) {
        return Err(Error::Syntax);
    }
    if withvalues && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(Error::err("ERR value is out of range"));
    }
    let resp3 = ctx.client.resp3;
    let Some(h) = ctx
        .db()
        .get::<Hash>(argv[1], now)?
        .filter(|h| !h.map.is_empty())
    else {
        return Ok(Frame::Array(Vec::new()));
    };
    let n = count.unsigned_abs();
    let len = h.map.len();
    let picks: Vec<usize> = if count < 0 || n == 1 {
        if n > MAX_RANDOM_REPLY {
            return Err(Error::Oom);
        }
        (0..n).map(|_| fastrand::usize(..len)).collect()
    } else if n >= len as u64 {
        (0..len).collect()
    } else {
        sample_distinct(len, n as usize)
    };
    let mut out = Vec::with_capacity(picks.len() * if withvalues { 2 } else { 1 });
    for i in picks {
        let Some((k, v)) = h.map.get_index(i) else {
            continue;
        };
        let (k, v) = (Frame::Bulk(k.clone()), Frame::Bulk(v.clone()));
        match (withvalues, resp3) {
            (false, _) => out.push(k),
            (true, false) => out.extend([k, v]),
            (true, true) => out.push(Frame::Array(vec![k, v])),
        }
    }
    Ok(Frame::Array(out))
}

/// Parses a SCAN cursor like Redis's `strtoul` check: no leading space,
/// an optional sign (a `-` wraps around), decimal digits to the end, no
/// overflow. The empty string is cursor 0.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64, Error> {
    let invalid = || Error::err("ERR invalid cursor");
    // Redis reads a C string: an embedded NUL ends it.
    let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
    if arg.is_empty() {
        return Ok(0);
    }
    let (neg, digits) = match arg[0] {
        b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => return Err(invalid()),
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// HSCAN/SSCAN/ZSCAN options: how many slots to visit, the MATCH filter
/// and HSCAN's NOVALUES.
pub(crate) struct ScanOpts {
    pub count: usize,
    pub pattern: Option<GlobPattern>,
    /// HSCAN's NOVALUES (Redis 7.4): fields only.
    pub novalues: bool,
}

impl ScanOpts {
    /// Parses `[MATCH pattern] [COUNT count]` (in any order, repeatable),
    /// and `NOVALUES` when `hash` (HSCAN's; a syntax error elsewhere).
    pub(crate) fn parse(opts: &[&[u8]], hash: bool) -> Result<ScanOpts, Error> {
        let mut out = ScanOpts {
            count: 10,
            pattern: None,
            novalues: false,
        };
        let mut i = 0;
        while i < opts.len() {
            let has_arg = i + 1 < opts.len();
            if hash && is(opts[i], "novalues") {
                out.novalues = true;
                i += 1;
                continue;
            }
            if is(opts[i], "count") && has_arg {
                let n = args::int(opts[i + 1])?;
                if n < 1 {
                    return Err(Error::Syntax);
                }
                out.count = usize::try_from(n).unwrap_or(usize::MAX);
            } else if is(opts[i], "match") && has_arg {
                // A lone `*` matches everything, the empty string included.
                let p = opts[i + 1];
                out.pattern = (p != b"*").then(|| GlobPattern::new(p, false));
            } else {
                return Err(Error::Syntax);
            }
            i += 2;
        }
        Ok(out)
    }

    pub(crate) fn matches(&self, s: &[u8]) -> bool {
        self.pattern.as_ref().is_none_or(|p| p.matches(s))
    }
}

/// The `[cursor, [items...]]` reply of the SCAN family.
pub(crate) fn scan_reply(cursor: u64, items: Vec<Frame>) -> Frame {
    Frame::Array(vec![
        Frame::Bulk(Bytes::from(cursor.to_string())),
        Frame::Array(items),
    ])
}

/// HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]
fn hscan(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let cursor = parse_cursor(argv[2])?;
    let now = ctx.now;
    let Some(h) = ctx.db().get::<Hash>(argv[1], now)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let opts = ScanOpts::parse(&argv[3..], true)?;
    let mut items = Vec::new();
    let now_ms = clock_for(h, now);
    let mut push = |k: &Bytes, v: &Bytes| {
        if opts.matches(k) && !h.is_expired(k, now_ms) {
            items.push(Frame::Bulk(k.clone()));
            if !opts.novalues {
                items.push(Frame::Bulk(v.clone()));
            }
        }
    };
    // A listpack is small: Redis returns all of it at once, cursor ignored.
    if h.listpack {
        h.map.iter().for_each(|(k, v)| push(k, v));
        return Ok(scan_reply(0, items));
    }
    let (next, _) = crate::engine::db::scan_indexed(h.map.len(), cursor, opts.count, |i| {
        if let Some((k, v)) = h.map.get_index(i) {
            push(k, v);
        }
        false
    });
    Ok(scan_reply(next, items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+12"), Ok(12));
        assert_eq!(parse_cursor(b"007"), Ok(7));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"5\0x"), Ok(5));
        for bad in [
            &b" 1"[..],
            b"1 ",
            b"x",
            b"+",
            b"-",
            b"18446744073709551616",
            b"0x10",
            b"1.0",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn listpack_deletes_keep_insertion_order() {
        let mut h = Hash::new();
        for f in ["a", "b", "c", "d"] {
            set_field(&mut h, (128, 64), f.as_bytes(), Bytes::from_static(b"v"));
        }
        assert!(del_field(&mut h, b"b"));
        let keys: Vec<_> = h.map.keys().map(|k| k.to_vec()).collect();
        assert_eq!(keys, vec![b"a".to_vec(), b"c".to_vec(), b"d".to_vec()]);
    }

    #[test]
    fn encoding_converts_on_size_and_length() {
        let mut h = Hash::new();
        set_field(&mut h, (2, 4), b"a", Bytes::from_static(b"1"));
        set_field(&mut h, (2, 4), b"b", Bytes::from_static(b"1"));
        assert!(h.listpack);
        set_field(&mut h, (2, 4), b"a", Bytes::from_static(b"12345"));
        assert!(!h.listpack);
        let mut h = Hash::new();
        set_field(&mut h, (2, 4), b"a", Bytes::from_static(b"1"));
        set_field(&mut h, (2, 4), b"b", Bytes::from_static(b"1"));
        set_field(&mut h, (2, 4), b"c", Bytes::from_static(b"1"));
        assert!(!h.listpack);
    }
}
