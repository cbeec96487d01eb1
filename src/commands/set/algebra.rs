//! SINTER, SUNION, SDIFF, their STORE forms and SINTERCARD.
//!
//! The keyspace hands out one borrow at a time, so each operation keeps a
//! candidate list (cheap `Bytes` clones) and folds the sets into it one by
//! one: intersection starts from the smallest set and costs
//! O(smallest × sets) like Redis's, difference O(first × sets), union the
//! total size.
//!
//! Encodings and reply order follow Redis, which builds every result as an
//! intset and converts it on the first non-integer or oversize: a result
//! of few enough integers is an intset (listed in ascending order), except
//! that SDIFF's second algorithm first copies the whole first set.

use bytes::Bytes;

use super::{intset_cap, intset_encodable, set_from, sort_if_intset};
use crate::commands::args;
use crate::commands::Ctx;
use crate::engine::notify;
use crate::engine::value::{OrdSet, Set, Value};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

/// What the first pass learns about a source key.
#[derive(Clone, Copy)]
struct Source {
    len: usize,
    intset: bool,
}

/// Looks every key up (expiring as it goes) and type-checks all of them,
/// even past a missing one, as Redis does: any WRONGTYPE wins.
fn sources(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<Vec<Option<Source>>, Error> {
    let now = ctx.now;
    let db = ctx.db();
    keys.iter()
        .map(|k| {
            Ok(db.get::<Set>(k, now)?.map(|s| Source {
                len: s.members.len(),
                intset: s.intset,
            }))
        })
        .collect()
}

/// The members of `key` (which the first pass saw as a set).
fn members_of<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Option<&'a Set> {
    let now = ctx.now;
    ctx.db().get::<Set>(key, now).ok().flatten()
}

/// The intersection, in the order Redis emits it (that of the smallest
/// set, preferring an intset among equals), stopping at `limit` members
/// when it is nonzero.
fn intersect(ctx: &mut Ctx, keys: &[&[u8]], limit: usize) -> Result<(Vec<Bytes>, bool), Error> {
    let srcs = sources(ctx, keys)?;
    let Some(found) = srcs.iter().copied().collect::<Option<Vec<Source>>>() else {
        return Ok((Vec::new(), false));
    };
    let Some(first) = (0..keys.len()).min_by_key(|&i| (found[i].len, !found[i].intset)) else {
        return Ok((Vec::new(), false));
    };
    let mut cand: Vec<Bytes> =
        members_of(ctx, keys[first]).map_or_else(Vec::new, |s| s.members.iter().cloned().collect());
    let sorted = found[first].intset;
    sort_if_intset(&mut cand, sorted);
    for (j, key) in keys.iter().enumerate() {
        if cand.is_empty() {
            break;
        }
        if j == first || *key == keys[first] {
            continue;
        }
        let Some(s) = members_of(ctx, key) else {
            return Ok((Vec::new(), false));
        };
        cand.retain(|m| s.members.contains(m));
    }
    if limit > 0 {
        cand.truncate(limit);
    }
    Ok((cand, sorted))
}

/// The union, in first-seen order, and whether Redis would hold it as an
/// intset.
fn union(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<(OrdSet<Bytes>, bool), Error> {
    sources(ctx, keys)?;
    let cap = intset_cap(ctx);
    let mut out = OrdSet::default();
    for key in keys {
        if let Some(s) = members_of(ctx, key) {
            out.extend(s.members.iter().cloned());
        }
    }
    let intset = intset_encodable(out.iter(), cap);
    Ok((out, intset))
}

/// The difference and whether Redis would hold it as an intset.
fn difference(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<(OrdSet<Bytes>, bool), Error> {
    let srcs = sources(ctx, keys)?;
    let cap = intset_cap(ctx);
    // A missing first key, or the first key repeated, leaves nothing.
    if srcs[0].is_none() || keys[1..].contains(&keys[0]) {
        return Ok((OrdSet::default(), true));
    }
    // Redis picks between "test each member of the first set against the
    // others" and "copy the first set, then remove the others' members";
    // the second one fixes the encoding from the whole first set.
    let first_len = srcs[0].map_or(0, |s| s.len) as u128;
    let present = srcs.iter().flatten();
    let algo_one = present.clone().map(|_| first_len).sum::<u128>() / 2;
    let algo_two = present.map(|s| s.len as u128).sum::<u128>();
    let copies_first = algo_one > algo_two;
    let Some(s0) = members_of(ctx, keys[0]) else {
        return Ok((OrdSet::default(), true));
    };
    let first_intset = copies_first && intset_encodable(s0.members.iter(), cap);
    let mut out: OrdSet<Bytes> = s0.members.iter().cloned().collect();
    for key in &keys[1..] {
        if out.is_empty() {
            break;
        }
        if let Some(s) = members_of(ctx, key) {
            out.retain(|m| !s.members.contains(m));
        }
    }
    let intset = if copies_first {
        first_intset
    } else {
        intset_encodable(out.iter(), cap)
    };
    Ok((out, intset))
}

/// The reply of SINTER/SUNION/SDIFF: a set, ascending when an intset.
fn set_reply(members: impl IntoIterator<Item = Bytes>, intset: bool) -> Frame {
    let mut v: Vec<Bytes> = members.into_iter().collect();
    sort_if_intset(&mut v, intset);
    Frame::Set(v.into_iter().map(Frame::Bulk).collect())
}

/// Stores a computed set at `dst` (replacing any value and TTL), or
/// deletes `dst` when the result is empty; replies with the size.
fn store(
    ctx: &mut Ctx,
    dst: &[u8],
    members: OrdSet<Bytes>,
    intset: bool,
    event: &str,
) -> CmdResult {
    let now = ctx.now;
    if members.is_empty() {
        if ctx.db().remove(dst, now).is_some() {
            ctx.modified(dst, notify::GENERIC, "del");
        }
        return Ok(Frame::Integer(0));
    }
    let len = members.len() as i64;
    ctx.db()
        .set(dst, Value::Set(Box::new(Set { members, intset })));
    ctx.modified(dst, notify::SET, event);
    Ok(Frame::Integer(len))
}

/// SINTER key [key ...]
pub(super) fn sinter(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    // Already in the smallest set's order (ascending for an intset).
    let (members, _) = intersect(ctx, &argv[1..], 0)?;
    Ok(Frame::Set(members.into_iter().map(Frame::Bulk).collect()))
}

/// SINTERSTORE destination key [key ...]
pub(super) fn sinterstore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (members, _) = intersect(ctx, &argv[2..], 0)?;
    let cap = intset_cap(ctx);
    let set = set_from(members.into_iter().collect(), cap);
    store(ctx, argv[1], set.members, set.intset, "sinterstore")
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub(super) fn sintercard(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let numkeys = args::int(argv[1])
        .ok()
        .filter(|n| *n > 0)
        .ok_or(Error::err("ERR numkeys should be greater than 0"))?;
    let nkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if nkeys > argv.len() - 2 {
        return Err(Error::err(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0;
    let mut i = 2 + nkeys;
    while i < argv.len() {
        if args::is(argv[i], "limit") && i + 1 < argv.len() {
            let n = args::int(argv[i + 1]).ok().filter(|n| *n >= 0);
            limit = n.ok_or(Error::err("ERR LIMIT can't be negative"))?;
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let (members, _) = intersect(ctx, &argv[2..2 + nkeys], limit)?;
    Ok(Frame::Integer(members.len() as i64))
}

/// SINTERCARD's keys: the `numkeys` arguments after it.
pub(super) fn sintercard_keys(argv: &[&[u8]]) -> Vec<usize> {
    let n = argv
        .get(1)
        .and_then(|a| crate::num::parse_i64(a))
        .unwrap_or(0);
    match usize::try_from(n) {
        Ok(n) if n > 0 && n <= argv.len().saturating_sub(2) => (2..2 + n).collect(),
        _ => Vec::new(),
    }
}

/// SUNION key [key ...]
pub(super) fn sunion(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (members, intset) = union(ctx, &argv[1..])?;
    Ok(set_reply(members, intset))
}

/// SUNIONSTORE destination key [key ...]
pub(super) fn sunionstore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (members, intset) = union(ctx, &argv[2..])?;
    store(ctx, argv[1], members, intset, "sunionstore")
}

/// SDIFF key [key ...]
pub(super) fn sdiff(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (members, intset) = difference(ctx, &argv[1..])?;
    Ok(set_reply(members, intset))
}

/// SDIFFSTORE destination key [key ...]
pub(super) fn sdiffstore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (members, intset) = difference(ctx, &argv[2..])?;
    store(ctx, argv[1], members, intset, "sdiffstore")
}
