//! String commands newer than Redis 7.0: DIGEST and DELEX (Redis 8.4's
//! compare-and-delete, by value or by XXH3 digest; SET's IFEQ / IFNE /
//! IFDEQ / IFDNE conditions live with SET in `string.rs` and use the
//! helpers here), MSETEX (8.4) and INCREX (8.8).

use std::cmp::Ordering;

use bytes::Bytes;

use super::args::is;
use super::flags::*;
use super::string::{expire_arg, get_str};
use super::{Command, Ctx, Group};
use crate::engine::notify;
use crate::engine::value::{Str, Value};
use crate::engine::NO_EXPIRE;
use crate::error::{CmdResult, Error};
use crate::num::{self, LongDouble};
use crate::resp::Frame;

const G: Group = Group::String;

pub(crate) const COMMANDS: &[Command] = &[
    // Not CACHEABLE: redis-py's client-side cache does not allow it.
    Command::new("digest", 2, READONLY | FAST, G, digest).keys(1, 1, 1),
    Command::new("delex", -2, WRITE | FAST, G, delex).keys(1, 1, 1),
    Command::new("msetex", -4, WRITE | DENYOOM, G, msetex)
        .keys(0, 0, 0)
        .movable(msetex_keys),
    Command::new("increx", -2, WRITE | DENYOOM | FAST, G, increx).keys(1, 1, 1),
];

const BAD_DIGEST: Error = Error::err("ERR must be exactly 16 hexadecimal characters");

/// The XXH3-64 digest of a string value, as DIGEST replies it: 16
/// lower-case hex digits, leading zeros kept.
pub fn digest_hex(data: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(data))
}

/// The digest an IFDEQ / IFDNE argument names: exactly 16 hex digits of
/// either case.
fn parse_digest(arg: &[u8]) -> Result<u64, Error> {
    if arg.len() != 16 || !arg.iter().all(u8::is_ascii_hexdigit) {
        return Err(BAD_DIGEST);
    }
    let text = std::str::from_utf8(arg).map_err(|_| BAD_DIGEST)?;
    u64::from_str_radix(text, 16).map_err(|_| BAD_DIGEST)
}

/// A compare-and-set / compare-and-delete condition (SET and DELEX).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum IfCond {
    /// The value equals the argument.
    Eq,
    /// The value differs from the argument (a missing key passes).
    Ne,
    /// The value's digest equals the argument.
    DigestEq,
    /// The value's digest differs from the argument (a missing key passes).
    DigestNe,
}

impl IfCond {
    pub(crate) fn parse(opt: &[u8]) -> Option<IfCond> {
        match opt.len() {
            4 if is(opt, "ifeq") => Some(IfCond::Eq),
            4 if is(opt, "ifne") => Some(IfCond::Ne),
            5 if is(opt, "ifdeq") => Some(IfCond::DigestEq),
            5 if is(opt, "ifdne") => Some(IfCond::DigestNe),
            _ => None,
        }
    }

    /// Whether the condition holds for `current` (`None`: no key). A
    /// malformed digest is an error only when there is a value to compare.
    pub(crate) fn holds(self, current: Option<&[u8]>, arg: &[u8]) -> Result<bool, Error> {
        let Some(value) = current else {
            return Ok(matches!(self, IfCond::Ne | IfCond::DigestNe));
        };
        Ok(match self {
            IfCond::Eq => value == arg,
            IfCond::Ne => value != arg,
            IfCond::DigestEq => parse_digest(arg)? == xxhash_rust::xxh3::xxh3_64(value),
            IfCond::DigestNe => parse_digest(arg)? != xxhash_rust::xxh3::xxh3_64(value),
        })
    }
}

/// DIGEST key
fn digest(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(match get_str(ctx, argv[1])? {
        Some(value) => Frame::Bulk(Bytes::from(digest_hex(&value))),
        None => Frame::Null,
    })
}

/// DELEX key [IFEQ value | IFNE value | IFDEQ digest | IFDNE digest]
fn delex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    // The argument count is checked before the key is looked up.
    let cond = match argv.len() {
        2 => None,
        4 => Some((
            IfCond::parse(argv[2]).ok_or(Error::err("ERR Invalid condition"))?,
            argv[3],
        )),
        _ => return Err(Error::WrongArity("delex".into())),
    };
    let key = argv[1];
    if let Some((cond, arg)) = cond {
        // Conditions apply to strings only (WRONGTYPE otherwise).
        let current = get_str(ctx, key)?;
        if current.is_none() || !cond.holds(current.as_deref(), arg)? {
            return Ok(Frame::Integer(0));
        }
    }
    let now = ctx.now;
    if ctx.db().remove(key, now).is_none() {
        return Ok(Frame::Integer(0));
    }
    ctx.modified(key, notify::GENERIC, "del");
    Ok(Frame::Integer(1))
}

/// MSETEX's keys: `numkeys` pairs after it, or none when the count does
/// not fit the arguments.
/// The deadline of an `EX|PX|EXAT|PXAT <n>` option (`None`: none given):
/// EX and EXAT count seconds, EX and PX from `now_ms`.
fn expire_option(
    expire: Option<(&[u8], &[u8])>,
    now_ms: i64,
    command: &str,
) -> Result<Option<i64>, Error> {
    let Some((opt, arg)) = expire else {
        return Ok(None);
    };
    let unit = if is(opt, "ex") || is(opt, "exat") {
        1000
    } else {
        1
    };
    let relative = is(opt, "ex") || is(opt, "px");
    expire_arg(arg, unit, relative, now_ms, command).map(Some)
}

fn msetex_keys(argv: &[&[u8]]) -> Vec<usize> {
    match msetex_count(argv) {
        Ok(n) => (0..n).map(|i| 2 + 2 * i).collect(),
        Err(_) => Vec::new(),
    }
}

/// MSETEX's pair count, with Redis's checks.
fn msetex_count(argv: &[&[u8]]) -> Result<usize, Error> {
    let n = argv
        .get(1)
        .and_then(|a| num::parse_i64(a))
        .filter(|n| (1..=i64::from(i32::MAX)).contains(n))
        .ok_or(Error::err("ERR invalid numkeys value"))? as usize;
    if 2 + 2 * n > argv.len() {
        return Err(Error::err("ERR wrong number of key-value pairs"));
    }
    Ok(n)
}

/// MSETEX numkeys key value [key value ...] [NX | XX]
///   [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]
fn msetex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let n = msetex_count(argv)?;
    let (mut nx, mut xx, mut keepttl) = (false, false, false);
    let mut expire: Option<(&[u8], &[u8])> = None;
    let mut i = 2 + 2 * n;
    while i < argv.len() {
        let opt = argv[i];
        let timed = expire.is_some() || keepttl;
        if is(opt, "nx") && !xx {
            nx = true;
        } else if is(opt, "xx") && !nx {
            xx = true;
        } else if is(opt, "keepttl") && !timed {
            keepttl = true;
        } else if ["ex", "px", "exat", "pxat"].iter().any(|k| is(opt, k)) && !timed {
            expire = Some((opt, argv.get(i + 1).ok_or(Error::Syntax)?));
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    let now = ctx.now;
    let deadline = expire_option(expire, now.ms(), "msetex")?;
    let pairs = &argv[2..2 + 2 * n];
    if nx || xx {
        let db = ctx.db();
        let blocked = pairs.iter().step_by(2).any(|k| db.contains(k, now) == nx);
        if blocked {
            return Ok(Frame::Integer(0));
        }
    }
    for pair in pairs.chunks_exact(2) {
        let (key, val) = (pair[0], pair[1]);
        let expire_at = match deadline {
            Some(at) => Some(at),
            None if keepttl => None,
            None => Some(NO_EXPIRE),
        };
        ctx.db()
            .upsert(key, now, |_| true, || Value::string_from(val), expire_at);
        ctx.modified(key, notify::STRING, "set");
        if deadline.is_some() {
            ctx.notify(notify::GENERIC, "expire", key);
        }
    }
    Ok(Frame::Integer(1))
}

/// INCREX's options, as given.
#[derive(Default)]
struct IncrexOpts<'a> {
    byint: Option<&'a [u8]>,
    byfloat: Option<&'a [u8]>,
    lbound: Option<&'a [u8]>,
    ubound: Option<&'a [u8]>,
    saturate: bool,
    /// EX / PX / EXAT / PXAT and its argument.
    expire: Option<(&'a [u8], &'a [u8])>,
    persist: bool,
    enx: bool,
}

/// Options come in any order; each at most once; BYINT / BYFLOAT, and the
/// expiration options with PERSIST, exclude each other, as do PERSIST and
/// ENX. Anything else is a syntax error.
fn parse_increx<'a>(argv: &[&'a [u8]]) -> Result<IncrexOpts<'a>, Error> {
    let mut o = IncrexOpts::default();
    let mut i = 2;
    while i < argv.len() {
        let opt = argv[i];
        let value = argv.get(i + 1).copied();
        let by = o.byint.is_some() || o.byfloat.is_some();
        let timed = o.expire.is_some() || o.persist;
        let slot = if is(opt, "byint") && !by {
            &mut o.byint
        } else if is(opt, "byfloat") && !by {
            &mut o.byfloat
        } else if is(opt, "lbound") && o.lbound.is_none() {
            &mut o.lbound
        } else if is(opt, "ubound") && o.ubound.is_none() {
            &mut o.ubound
        } else if ["ex", "px", "exat", "pxat"].iter().any(|k| is(opt, k)) && !timed {
            o.expire = Some((opt, value.ok_or(Error::Syntax)?));
            i += 2;
            continue;
        } else {
            if is(opt, "saturate") && !o.saturate {
                o.saturate = true;
            } else if is(opt, "persist") && !timed && !o.enx {
                o.persist = true;
            } else if is(opt, "enx") && !o.enx && !o.persist {
                o.enx = true;
            } else {
                return Err(Error::Syntax);
            }
            i += 1;
            continue;
        };
        *slot = Some(value.ok_or(Error::Syntax)?);
        i += 2;
    }
    if o.enx && o.expire.is_none() {
        return Err(Error::err("ERR ENX flag requires an expiration"));
    }
    Ok(o)
}

/// The outcome of INCREX's arithmetic: the value to store and reply with
/// and the increment applied, or a refusal (out of bounds, no SATURATE).
enum Step<T> {
    Apply(T, T),
    Refuse,
}

fn int_arg(arg: &[u8], what: &str) -> Result<i64, Error> {
    num::parse_i64(arg)
        .ok_or_else(|| Error::msg(format!("ERR {what} is not an integer or out of range")))
}

fn float_arg(arg: &[u8], what: &str) -> Result<LongDouble, Error> {
    LongDouble::parse(arg).ok_or_else(|| Error::msg(format!("ERR {what} is not a valid float")))
}

/// Integer mode: `cur + by` within `[lo, hi]`, else refused or clamped.
fn int_step(cur: i64, by: i64, lo: i64, hi: i64, saturate: bool) -> Result<Step<i64>, Error> {
    let sum = i128::from(cur) + i128::from(by);
    if (i128::from(lo)..=i128::from(hi)).contains(&sum) {
        return Ok(Step::Apply(sum as i64, by));
    }
    if !saturate {
        return Ok(Step::Refuse);
    }
    let new = if sum > i128::from(hi) { hi } else { lo };
    let applied = i64::try_from(i128::from(new) - i128::from(cur))
        .map_err(|_| Error::err("ERR applied increment would overflow"))?;
    Ok(Step::Apply(new, applied))
}

/// Float mode: the same in extended precision; an infinite sum is out of
/// bounds like any other.
fn float_step(
    cur: LongDouble,
    by: LongDouble,
    lo: LongDouble,
    hi: LongDouble,
    saturate: bool,
) -> Result<Step<LongDouble>, Error> {
    let sum = cur + by;
    let below = sum.compare(lo) == Some(Ordering::Less);
    let above = sum.compare(hi) == Some(Ordering::Greater);
    if !below && !above {
        return Ok(Step::Apply(sum, by));
    }
    if !saturate {
        return Ok(Step::Refuse);
    }
    let new = if above { hi } else { lo };
    let applied = new + -cur;
    if !new.is_finite() || !applied.is_finite() {
        return Err(Error::err("ERR applied increment would be Infinity"));
    }
    Ok(Step::Apply(new, applied))
}

/// A float result as Redis replies it: a double in RESP3, its text in RESP2.
fn float_frame(ctx: &Ctx, v: LongDouble) -> Frame {
    if ctx.client.resp3 {
        Frame::Double(v.to_f64())
    } else {
        Frame::Bulk(Bytes::from(v.to_human()))
    }
}

/// INCREX key [BYFLOAT increment | BYINT increment] [LBOUND lowerbound]
///   [UBOUND upperbound] [SATURATE]
///   [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST] [ENX]
fn increx(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let o = parse_increx(argv)?;
    let float = o.byfloat.is_some();
    let key = argv[1];
    let now = ctx.now;
    let deadline = expire_option(o.expire, now.ms(), "increx")?;
    // (new text, reply pair, whether it changed anything)
    let (text, reply, applied) = if float {
        let by = float_arg(o.byfloat.unwrap_or_default(), "Increment")?;
        if !by.is_finite() {
            return Err(Error::err("ERR BYFLOAT increment cannot be Infinity"));
        }
        // LDBL_MAX, the default bounds.
        let max = LongDouble::parse(b"0xf.fffffffffffffffp+16380").unwrap_or(by);
        let lo = o.lbound.map(|b| float_arg(b, "LBOUND")).transpose()?;
        let hi = o.ubound.map(|b| float_arg(b, "UBOUND")).transpose()?;
        let (lo, hi) = (lo.unwrap_or(-max), hi.unwrap_or(max));
        if lo.compare(hi) == Some(Ordering::Greater) {
            return Err(Error::err("ERR LBOUND can't be greater than UBOUND"));
        }
        let cur = match get_str(ctx, key)? {
            Some(s) => LongDouble::parse(&s).ok_or(Error::NotFloat)?,
            None => LongDouble::from_i64(0),
        };
        if !cur.is_finite() {
            return Err(Error::err("ERR value cannot be Infinity"));
        }
        match float_step(cur, by, lo, hi, o.saturate)? {
            Step::Apply(new, d) => {
                let pair = [float_frame(ctx, new), float_frame(ctx, d)];
                (new.to_human(), pair, true)
            }
            Step::Refuse => {
                let zero = LongDouble::from_i64(0);
                let pair = [float_frame(ctx, cur), float_frame(ctx, zero)];
                (Vec::new(), pair, false)
            }
        }
    } else {
        let by = match o.byint {
            Some(b) => int_arg(b, "Increment")?,
            None => 1,
        };
        let lo = o.lbound.map(|b| int_arg(b, "LBOUND")).transpose()?;
        let hi = o.ubound.map(|b| int_arg(b, "UBOUND")).transpose()?;
        let (lo, hi) = (lo.unwrap_or(i64::MIN), hi.unwrap_or(i64::MAX));
        if lo > hi {
            return Err(Error::err("ERR LBOUND can't be greater than UBOUND"));
        }
        let cur = match get_str(ctx, key)? {
            Some(s) => num::parse_i64(&s).ok_or(Error::NotInteger)?,
            None => 0,
        };
        match int_step(cur, by, lo, hi, o.saturate)? {
            Step::Apply(new, d) => {
                let pair = [Frame::Integer(new), Frame::Integer(d)];
                (num::format_i64(new).as_bytes().to_vec(), pair, true)
            }
            Step::Refuse => (Vec::new(), [Frame::Integer(cur), Frame::Integer(0)], false),
        }
    };
    if applied {
        store_increx(ctx, key, text, float, &o, deadline);
    }
    Ok(Frame::Array(reply.into()))
}

/// Stores INCREX's result and applies its expiration option (a refused
/// increment touches neither).
fn store_increx(
    ctx: &mut Ctx,
    key: &[u8],
    text: Vec<u8>,
    float: bool,
    o: &IncrexOpts<'_>,
    deadline: Option<i64>,
) {
    let now = ctx.now;
    let old_ttl = ctx.db().expire_of(key, now);
    let existed = old_ttl.is_some();
    // ENX: a key that already has a deadline keeps it.
    let deadline = deadline.filter(|_| !(o.enx && old_ttl.is_some_and(|t| t != NO_EXPIRE)));
    if deadline.is_some_and(|at| at <= now.ms()) {
        // A deadline already past: the key is gone, whatever the value.
        if existed && ctx.db().remove(key, now).is_some() {
            ctx.modified(key, notify::GENERIC, "del");
        }
        return;
    }
    let data = Bytes::from(text);
    // Floats are stored as INCRBYFLOAT stores them (a plain string),
    // integers as INCR does; the key's TTL stays.
    let value = if float {
        Value::Str(Str::no_int(data))
    } else {
        Value::Str(Str::new(data))
    };
    ctx.db().upsert(key, now, |_| true, || value, None);
    let event = if float { "incrbyfloat" } else { "incrby" };
    ctx.modified(key, notify::STRING, event);
    if let Some(at) = deadline {
        ctx.db().set_expire(key, at, now);
        ctx.notify(notify::GENERIC, "expire", key);
    } else if o.persist && ctx.db().persist(key, now) {
        ctx.notify(notify::GENERIC, "persist", key);
    }
}

#[cfg(test)]
#[path = "string_ex_tests.rs"]
mod tests;
