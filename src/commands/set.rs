//! Set commands. The multi-key algebra (SINTER, SUNION, SDIFF, their STORE
//! forms and SINTERCARD) lives in `set/algebra.rs`.
//!
//! Members are kept in an insertion-ordered set whatever the encoding; an
//! intset-encoded set is listed in ascending numeric order, as Redis's
//! intset is sorted, by [`ordered`] at reply time (so values built by any
//! command need no ordering invariant).

mod algebra;
#[cfg(test)]
mod engine_tests;

use bytes::Bytes;

use super::args;
use super::flags::*;
use super::hash::{parse_cursor, rand_count, scan_reply, ScanOpts, MAX_RANDOM_REPLY};
use super::traits::CACHEABLE;
use super::{Command, Ctx, Group};
use crate::engine::notify;
use crate::engine::value::{OrdSet, Set, Value};
use crate::error::{CmdResult, Error};
use crate::num::parse_i64;
use crate::resp::Frame;

const G: Group = Group::Set;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("sadd", -3, WRITE | DENYOOM | FAST, G, sadd).keys(1, 1, 1),
    Command::new("srem", -3, WRITE | FAST, G, srem).keys(1, 1, 1),
    Command::new("smembers", 2, READONLY, G, smembers)
        .traits(CACHEABLE)
        .reply("SET")
        .keys(1, 1, 1),
    Command::new("sismember", 3, READONLY | FAST, G, sismember)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("smismember", -3, READONLY | FAST, G, smismember)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("scard", 2, READONLY | FAST, G, scard)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("spop", -2, WRITE | FAST, G, spop).keys(1, 1, 1),
    Command::new("srandmember", -2, READONLY, G, srandmember).keys(1, 1, 1),
    Command::new("smove", 4, WRITE | FAST, G, smove)
        .reply("BOOL")
        .keys(1, 2, 1),
    Command::new("sscan", -3, READONLY, G, sscan)
        .reply("SCAN")
        .keys(1, 1, 1),
    Command::new("sinter", -2, READONLY, G, algebra::sinter)
        .traits(CACHEABLE)
        .reply("SET")
        .keys(1, -1, 1),
    Command::new("sunion", -2, READONLY, G, algebra::sunion)
        .traits(CACHEABLE)
        .reply("SET")
        .keys(1, -1, 1),
    Command::new("sdiff", -2, READONLY, G, algebra::sdiff)
        .traits(CACHEABLE)
        .reply("SET")
        .keys(1, -1, 1),
    Command::new("sinterstore", -3, WRITE | DENYOOM, G, algebra::sinterstore).keys(1, -1, 1),
    Command::new("sunionstore", -3, WRITE | DENYOOM, G, algebra::sunionstore).keys(1, -1, 1),
    Command::new("sdiffstore", -3, WRITE | DENYOOM, G, algebra::sdiffstore).keys(1, -1, 1),
    Command::new("sintercard", -3, READONLY, G, algebra::sintercard)
        .traits(CACHEABLE)
        .movable(algebra::sintercard_keys),
];

/// A new set, in the encoding Redis picks for its first member.
pub(crate) fn new_set_for(first: &[u8]) -> Value {
    Value::Set(Box::new(Set {
        members: Default::default(),
        intset: parse_i64(first).is_some(),
    }))
}

/// `set-max-intset-entries`, with Redis's internal cap of 2^30.
pub(crate) fn intset_cap(ctx: &Ctx) -> usize {
    ctx.store.config.set_max_intset_entries.min(1 << 30)
}

/// Adds a member the way Redis's `setTypeAdd` does: a non-integer or one
/// member too many turns an intset into a hashtable. True if it was new.
pub(crate) fn add_member(s: &mut Set, m: &[u8], cap: usize) -> bool {
    if s.members.contains(m) {
        return false;
    }
    s.members.insert(Bytes::copy_from_slice(m));
    if s.intset && (parse_i64(m).is_none() || s.members.len() > cap) {
        s.intset = false;
    }
    true
}

/// True if Redis would encode a set with these members as an intset: it
/// starts every computed set (SINTERSTORE, SUNION...) as one and converts
/// on the first non-integer or once it is too big.
pub(crate) fn intset_encodable<'a>(
    members: impl ExactSizeIterator<Item = &'a Bytes>,
    cap: usize,
) -> bool {
    members.len() <= cap && members.into_iter().all(|m| parse_i64(m).is_some())
}

/// Builds a set value from distinct members, choosing the encoding by
/// content.
pub(crate) fn set_from(members: OrdSet<Bytes>, cap: usize) -> Set {
    let intset = intset_encodable(members.iter(), cap);
    Set { members, intset }
}

/// The members in the order Redis lists them: ascending integers for an
/// intset, storage order otherwise.
pub(crate) fn ordered(s: &Set) -> Vec<&Bytes> {
    let mut v: Vec<&Bytes> = s.members.iter().collect();
    if s.intset {
        v.sort_by_cached_key(|m| parse_i64(m).unwrap_or(0));
    }
    v
}

/// Sorts members numerically when they came from (or form) an intset.
pub(crate) fn sort_if_intset(members: &mut [Bytes], intset: bool) {
    if intset {
        members.sort_by_cached_key(|m| parse_i64(m).unwrap_or(0));
    }
}

/// `count` distinct random indexes below `len` (`count < len`), in random
/// order: O(len) when most of the range is wanted, else O(count).
pub(crate) fn sample_distinct(len: usize, count: usize) -> Vec<usize> {
    if count.saturating_mul(3) > len {
        let mut idx: Vec<usize> = (0..len).collect();
        for i in 0..count.min(len) {
            let j = fastrand::usize(i..len);
            idx.swap(i, j);
        }
        idx.truncate(count);
        return idx;
    }
    let mut seen = std::collections::HashSet::with_capacity(count);
    let mut out = Vec::with_capacity(count);
    while out.len() < count {
        let i = fastrand::usize(..len);
        if seen.insert(i) {
            out.push(i);
        }
    }
    out
}

fn bulks<'a>(items: impl IntoIterator<Item = &'a Bytes>) -> Vec<Frame> {
    items.into_iter().map(|m| Frame::Bulk(m.clone())).collect()
}

/// SADD key member [member ...]
fn sadd(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let cap = intset_cap(ctx);
    let s = ctx
        .db()
        .get_or_create::<Set>(argv[1], now, || new_set_for(argv[2]))?;
    let added = argv[2..].iter().filter(|m| add_member(s, m, cap)).count() as i64;
    if added > 0 {
        ctx.modified(argv[1], notify::SET, "sadd");
    }
    Ok(Frame::Integer(added))
}

/// SREM key member [member ...]
fn srem(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let Some(s) = ctx.db().get_mut::<Set>(argv[1], now)? else {
        return Ok(Frame::Integer(0));
    };
    let mut removed = 0;
    for m in &argv[2..] {
        if s.members.swap_remove(*m) {
            removed += 1;
            if s.members.is_empty() {
                break;
            }
        }
    }
    if removed > 0 {
        let emptied = ctx.db().remove_if_empty(argv[1]);
        ctx.modified(argv[1], notify::SET, "srem");
        if emptied {
            ctx.notify(notify::GENERIC, "del", argv[1]);
        }
    }
    Ok(Frame::Integer(removed))
}

/// SMEMBERS key
fn smembers(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let s = ctx.db().get::<Set>(argv[1], now)?;
    Ok(Frame::Set(s.map_or_else(Vec::new, |s| bulks(ordered(s)))))
}

/// SISMEMBER key member
fn sismember(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let s = ctx.db().get::<Set>(argv[1], now)?;
    Ok(Frame::from_bool(
        s.is_some_and(|s| s.members.contains(argv[2])),
    ))
}

/// SMISMEMBER key member [member ...]
fn smismember(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let s = ctx.db().get::<Set>(argv[1], now)?;
    let out = argv[2..]
        .iter()
        .map(|m| Frame::from_bool(s.is_some_and(|s| s.members.contains(*m))))
        .collect();
    Ok(Frame::Array(out))
}

/// SCARD key
fn scard(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let s = ctx.db().get::<Set>(argv[1], now)?;
    Ok(Frame::Integer(s.map_or(0, |s| s.members.len() as i64)))
}

/// SPOP key [count]
fn spop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    match argv.len() {
        2 => spop_one(ctx, argv[1]),
        3 => spop_count(ctx, argv),
        _ => Err(Error::Syntax),
    }
}

fn spop_one(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    let now = ctx.now;
    let Some(s) = ctx
        .db()
        .get_mut::<Set>(key, now)?
        .filter(|s| !s.members.is_empty())
    else {
        return Ok(Frame::Null);
    };
    let i = fastrand::usize(..s.members.len());
    let popped = s.members.swap_remove_index(i);
    let emptied = ctx.db().remove_if_empty(key);
    ctx.modified(key, notify::SET, "spop");
    if emptied {
        ctx.notify(notify::GENERIC, "del", key);
    }
    Ok(Frame::bulk_or_null(popped))
}

fn spop_count(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    // Any bad count (not a number, negative) gets the same message.
    let count = args::int(argv[2])
        .ok()
        .filter(|n| *n >= 0)
        .ok_or(Error::NotPositive)? as u64;
    let key = argv[1];
    let now = ctx.now;
    let cap = intset_cap(ctx);
    let Some(s) = ctx.db().get_mut::<Set>(key, now)? else {
        return Ok(Frame::Set(Vec::new()));
    };
    if count == 0 {
        return Ok(Frame::Set(Vec::new()));
    }
    let size = s.members.len() as u64;
    if count >= size {
        // Redis replies with the SUNION of the key, so the order is that of
        // the intset such a union would build.
        let mut all: Vec<Bytes> = std::mem::take(&mut s.members).into_iter().collect();
        let intset = intset_encodable(all.iter(), cap);
        sort_if_intset(&mut all, intset);
        ctx.db().remove_if_empty(key);
        ctx.modified(key, notify::SET, "spop");
        ctx.notify(notify::GENERIC, "del", key);
        return Ok(Frame::Set(all.into_iter().map(Frame::Bulk).collect()));
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let i = fastrand::usize(..s.members.len());
        if let Some(m) = s.members.swap_remove_index(i) {
            out.push(Frame::Bulk(m));
        }
    }
    // When most of the set goes, Redis rebuilds it from the survivors, which
    // picks their encoding afresh.
    if (size - count) * 5 <= count {
        s.intset = intset_encodable(s.members.iter(), cap);
    }
    ctx.modified(key, notify::SET, "spop");
    Ok(Frame::Set(out))
}

/// SRANDMEMBER key [count]
fn srandmember(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    if argv.len() > 3 {
        return Err(Error::Syntax);
    }
    if argv.len() == 2 {
        let Some(s) = ctx
            .db()
            .get::<Set>(argv[1], now)?
            .filter(|s| !s.members.is_empty())
        else {
            return Ok(Frame::Null);
        };
        let i = fastrand::usize(..s.members.len());
        return Ok(Frame::bulk_or_null(s.members.get_index(i).cloned()));
    }
    let count = rand_count(argv[2])?;
    let Some(s) = ctx
        .db()
        .get::<Set>(argv[1], now)?
        .filter(|s| !s.members.is_empty())
    else {
        return Ok(Frame::Array(Vec::new()));
    };
    let (n, len) = (count.unsigned_abs(), s.members.len());
    if count < 0 || n == 1 {
        if n > MAX_RANDOM_REPLY {
            return Err(Error::Oom);
        }
        let picks = (0..n).filter_map(|_| s.members.get_index(fastrand::usize(..len)));
        return Ok(Frame::Array(bulks(picks)));
    }
    if n >= len as u64 {
        return Ok(Frame::Array(bulks(ordered(s))));
    }
    let picks = sample_distinct(len, n as usize);
    Ok(Frame::Array(bulks(
        picks.into_iter().filter_map(|i| s.members.get_index(i)),
    )))
}

/// SMOVE source destination member
fn smove(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (src, dst, member) = (argv[1], argv[2], argv[3]);
    let now = ctx.now;
    let cap = intset_cap(ctx);
    let db = ctx.db();
    // A missing source answers 0 before the destination's type is looked at.
    if db.get::<Set>(src, now)?.is_none() {
        return Ok(Frame::Integer(0));
    }
    db.get::<Set>(dst, now)?;
    if src == dst {
        let s = db.get::<Set>(src, now)?;
        return Ok(Frame::from_bool(
            s.is_some_and(|s| s.members.contains(member)),
        ));
    }
    let removed = db
        .get_mut::<Set>(src, now)?
        .is_some_and(|s| s.members.swap_remove(member));
    if !removed {
        return Ok(Frame::Integer(0));
    }
    let emptied = ctx.db().remove_if_empty(src);
    ctx.modified(src, notify::SET, "srem");
    if emptied {
        ctx.notify(notify::GENERIC, "del", src);
    }
    let d = ctx
        .db()
        .get_or_create::<Set>(dst, now, || new_set_for(member))?;
    if add_member(d, member, cap) {
        ctx.modified(dst, notify::SET, "sadd");
    }
    Ok(Frame::Integer(1))
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
fn sscan(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let cursor = parse_cursor(argv[2])?;
    let now = ctx.now;
    let Some(s) = ctx.db().get::<Set>(argv[1], now)? else {
        return Ok(scan_reply(0, Vec::new()));
    };
    let opts = ScanOpts::parse(&argv[3..], false)?;
    // An intset is small: Redis returns all of it at once, cursor ignored.
    if s.intset {
        return Ok(scan_reply(
            0,
            bulks(ordered(s).into_iter().filter(|m| opts.matches(m))),
        ));
    }
    let mut items = Vec::new();
    let (next, _) = crate::engine::db::scan_indexed(s.members.len(), cursor, opts.count, |i| {
        if let Some(m) = s.members.get_index(i).filter(|m| opts.matches(m)) {
            items.push(Frame::Bulk(m.clone()));
        }
        false
    });
    Ok(scan_reply(next, items))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampling_is_distinct_and_in_range() {
        for (len, count) in [(10, 9), (10, 1), (100, 5), (3, 0)] {
            let mut v = sample_distinct(len, count);
            assert_eq!(v.len(), count);
            v.sort_unstable();
            v.dedup();
            assert_eq!(v.len(), count);
            assert!(v.iter().all(|i| *i < len));
        }
    }

    #[test]
    fn intsets_list_in_numeric_order() {
        let mut s = Set {
            members: Default::default(),
            intset: true,
        };
        for m in ["10", "-3", "2"] {
            add_member(&mut s, m.as_bytes(), 512);
        }
        let got: Vec<&[u8]> = ordered(&s).into_iter().map(|b| &b[..]).collect();
        assert_eq!(got, vec![&b"-3"[..], b"2", b"10"]);
        add_member(&mut s, b"x", 512);
        assert!(!s.intset);
    }
}
