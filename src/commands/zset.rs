//! Sorted set commands.
//!
//! The value is a [`SortedSet`]: the [`ZSet`] structure plus the `listpack`
//! flag that mirrors the encoding Redis 7.0 would use. The flag is not only
//! cosmetic: a listpack stores scores as integers when they are integral,
//! so it cannot keep a negative zero, and its lex range walks are linear
//! scans (which differ from skip-list descents when scores are mixed).
//! Scores are stored through [`stored`] and new members added through
//! [`insert_new`], so the encoding and its effects always agree.
//!
//! This file has the table, the shared helpers and the single-key
//! commands; ranges live in `zset_range.rs`, the multi-key set algebra in
//! `zset_store.rs`.

use bytes::Bytes;

use super::args::{self, is};
use super::flags::*;
use super::hash::{parse_cursor, ScanOpts};
use super::traits::CACHEABLE;
use super::{Command, Ctx, Group};
use crate::engine::notify;
use crate::engine::value::{SortedSet, Value};
use crate::engine::zset::{LexRange, ScoreRange, ZSet};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

#[path = "zset_range.rs"]
mod range;
#[path = "zset_store.rs"]
mod store;
#[cfg(test)]
#[path = "zset_tests.rs"]
mod tests;

pub use range::rank_pairs;
use range::*;
use store::*;

const G: Group = Group::SortedSet;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("zadd", -4, WRITE | DENYOOM | FAST, G, zadd)
        .reply2("ZADD")
        .no_reply_default()
        .keys(1, 1, 1),
    Command::new("zincrby", 4, WRITE | DENYOOM | FAST, G, zincrby)
        .reply2("FLOAT")
        .no_reply_default()
        .keys(1, 1, 1),
    Command::new("zrem", -3, WRITE | FAST, G, zrem).keys(1, 1, 1),
    Command::new("zremrangebyscore", 4, WRITE, G, zremrangebyscore).keys(1, 1, 1),
    Command::new("zremrangebyrank", 4, WRITE, G, zremrangebyrank).keys(1, 1, 1),
    Command::new("zremrangebylex", 4, WRITE, G, zremrangebylex).keys(1, 1, 1),
    Command::new("zunionstore", -4, WRITE | DENYOOM, G, zunionstore)
        .keys(1, 1, 1)
        .movable(store_keys),
    Command::new("zinterstore", -4, WRITE | DENYOOM, G, zinterstore)
        .keys(1, 1, 1)
        .movable(store_keys),
    Command::new("zdiffstore", -4, WRITE | DENYOOM, G, zdiffstore)
        .keys(1, 1, 1)
        .movable(store_keys),
    Command::new("zunion", -3, READONLY, G, zunion)
        .traits(CACHEABLE)
        .reply2("SCORE_PAIRS")
        .reply3("zset_pairs_resp3")
        .reply_unified2("zset_pairs_unified")
        .movable(numkeys_keys),
    Command::new("zinter", -3, READONLY, G, zinter)
        .traits(CACHEABLE)
        .reply2("SCORE_PAIRS")
        .reply3("RAW")
        .reply_unified2("zset_pairs_unified")
        .reply_unified3("zset_pairs_resp3")
        .movable(numkeys_keys),
    Command::new("zintercard", -3, READONLY, G, zintercard)
        .traits(CACHEABLE)
        .movable(numkeys_keys),
    Command::new("zdiff", -3, READONLY, G, zdiff)
        .traits(CACHEABLE)
        .reply_default("zset_pairs_flat_legacy")
        .reply_unified2("zset_pairs_unified")
        .reply_unified3("zset_pairs_resp3")
        .movable(numkeys_keys),
    Command::new("zrange", -4, READONLY, G, zrange)
        .traits(CACHEABLE)
        .reply2("SCORE_PAIRS")
        .reply3("zset_pairs_resp3")
        .reply_unified2("zset_pairs_unified")
        .keys(1, 1, 1),
    Command::new("zrangestore", -5, WRITE | DENYOOM, G, zrangestore).keys(1, 2, 1),
    Command::new("zrangebyscore", -4, READONLY, G, zrangebyscore)
        .traits(CACHEABLE)
        .reply2("SCORE_PAIRS")
        .reply3("zset_pairs_resp3")
        .reply_unified2("zset_pairs_unified")
        .keys(1, 1, 1),
    Command::new("zrevrangebyscore", -4, READONLY, G, zrevrangebyscore)
        .traits(CACHEABLE)
        .reply2("SCORE_PAIRS")
        .reply3("zset_pairs_resp3")
        .reply_unified2("zset_pairs_unified")
        .keys(1, 1, 1),
    Command::new("zrangebylex", -4, READONLY, G, zrangebylex)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("zrevrangebylex", -4, READONLY, G, zrevrangebylex)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("zcount", 4, READONLY | FAST, G, zcount)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("zlexcount", 4, READONLY | FAST, G, zlexcount)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("zrevrange", -4, READONLY, G, zrevrange)
        .traits(CACHEABLE)
        .reply2("SCORE_PAIRS")
        .reply3("zset_pairs_resp3")
        .reply_unified2("zset_pairs_unified")
        .keys(1, 1, 1),
    Command::new("zcard", 2, READONLY | FAST, G, zcard)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("zscore", 3, READONLY | FAST, G, zscore)
        .traits(CACHEABLE)
        .reply2("FLOAT")
        .no_reply_default()
        .keys(1, 1, 1),
    Command::new("zmscore", -3, READONLY | FAST, G, zmscore)
        .traits(CACHEABLE)
        .reply2("FLOAT_LIST")
        .no_reply_default()
        .keys(1, 1, 1),
    Command::new("zrank", -3, READONLY | FAST, G, zrank)
        .traits(CACHEABLE)
        .reply2("RANK_SCORE")
        .reply3("rank_score_resp3")
        .reply_unified2("rank_score_unified")
        .keys(1, 1, 1),
    Command::new("zrevrank", -3, READONLY | FAST, G, zrevrank)
        .traits(CACHEABLE)
        .reply2("RANK_SCORE")
        .reply3("rank_score_resp3")
        .reply_unified2("rank_score_unified")
        .keys(1, 1, 1),
    Command::new("zscan", -3, READONLY, G, zscan)
        .reply("ZSCAN")
        .reply_unified2("zscan_unified")
        .reply_unified3("zscan_unified")
        .keys(1, 1, 1),
    Command::new("zpopmin", -2, WRITE | FAST, G, zpopmin)
        .reply2("ZPOP_PAIRS")
        .reply3("RAW")
        .reply_unified2("zpop_unified")
        .reply_unified3("zpop_resp3_unified")
        .keys(1, 1, 1),
    Command::new("zpopmax", -2, WRITE | FAST, G, zpopmax)
        .reply2("ZPOP_PAIRS")
        .reply3("RAW")
        .reply_unified2("zpop_unified")
        .reply_unified3("zpop_resp3_unified")
        .keys(1, 1, 1),
    Command::new("zmpop", -4, WRITE, G, zmpop)
        .reply_default("zmpop_legacy")
        .reply_unified2("zmpop_unified")
        .movable(numkeys_keys),
    Command::new("zrandmember", -2, READONLY, G, zrandmember)
        .reply_default("zset_pairs_flat_legacy")
        .reply_unified2("zset_pairs_unified")
        .reply_unified3("zset_pairs_resp3")
        .keys(1, 1, 1),
];

/// Keys of `CMD numkeys key...` (ZUNION, ZINTER, ZDIFF, ZINTERCARD, ZMPOP).
fn numkeys_keys(argv: &[&[u8]]) -> Vec<usize> {
    counted_keys(argv, 1).unwrap_or_default()
}

/// Keys of `CMD dst numkeys key...`: the destination, then the inputs.
fn store_keys(argv: &[&[u8]]) -> Vec<usize> {
    match counted_keys(argv, 2) {
        Some(inputs) => std::iter::once(1).chain(inputs).collect(),
        None => Vec::new(),
    }
}

/// The `numkeys` keys following `argv[idx]`; `None` if the count is invalid.
fn counted_keys(argv: &[&[u8]], idx: usize) -> Option<Vec<usize>> {
    let n = usize::try_from(crate::num::parse_i64(argv.get(idx)?)?).ok()?;
    (n <= argv.len().saturating_sub(idx + 1)).then(|| (idx + 1..idx + 1 + n).collect())
}

/// The `zset-max-listpack-*` limits in force.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    pub entries: usize,
    pub value: usize,
}

impl Limits {
    pub(crate) fn of(ctx: &Ctx) -> Limits {
        let c = &ctx.store.config;
        Limits {
            entries: c.zset_max_listpack_entries,
            value: c.zset_max_listpack_value,
        }
    }

    /// True if a set of `len` members, the longest `max_member` bytes, fits
    /// a listpack (the check the *STORE commands make on their result).
    pub(crate) fn fits(&self, len: usize, max_member: usize) -> bool {
        len <= self.entries && max_member <= self.value
    }
}

/// A new sorted-set value in the given encoding.
pub(crate) fn new_value(zset: ZSet, listpack: bool) -> Value {
    Value::ZSet(Box::new(SortedSet { zset, listpack }))
}

/// The score a listpack would hand back: integral scores are stored as
/// integers there, so a negative zero comes back as zero.
#[inline]
pub(crate) fn stored(listpack: bool, score: f64) -> f64 {
    if listpack && score == 0.0 {
        0.0
    } else {
        score
    }
}

/// ZADD's condition flags.
#[derive(Clone, Copy, Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    incr: bool,
}

/// What [`add`] did to one member.
#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Added,
    Updated,
    /// Processed, but the score did not change.
    Same,
    /// NX/XX/GT/LT prevented it.
    Skipped,
}

/// Marker: an INCR produced NaN (`inf + -inf`).
struct NanScore;

/// Redis's `zsetAdd`: adds or updates one member under `f`, converting the
/// encoding when a new member outgrows the listpack. Returns what happened
/// and the member's resulting score (unused when skipped).
fn add(
    z: &mut SortedSet,
    lim: Limits,
    member: &[u8],
    score: f64,
    f: AddFlags,
) -> Result<(Outcome, f64), NanScore> {
    if let Some(cur) = z.zset.score(member) {
        if f.nx {
            return Ok((Outcome::Skipped, cur));
        }
        let mut new = score;
        if f.incr {
            new += cur;
            if new.is_nan() {
                return Err(NanScore);
            }
        }
        if (f.lt && new >= cur) || (f.gt && new <= cur) {
            return Ok((Outcome::Skipped, cur));
        }
        if new != cur {
            z.zset.set_score(member, stored(z.listpack, new));
            return Ok((Outcome::Updated, new));
        }
        return Ok((Outcome::Same, new));
    }
    if f.xx {
        return Ok((Outcome::Skipped, score));
    }
    insert_new(z, lim, Bytes::copy_from_slice(member), score);
    Ok((Outcome::Added, score))
}

/// Inserts a member known to be absent, converting the encoding first if
/// the listpack would grow too long or the member is too large. The set
/// keeps `member`, so it should not be a slice of a larger buffer.
pub(crate) fn insert_new(z: &mut SortedSet, lim: Limits, member: Bytes, score: f64) {
    if z.listpack && (z.zset.len() + 1 > lim.entries || member.len() > lim.value) {
        z.listpack = false;
    }
    z.zset.insert(member, stored(z.listpack, score));
}

/// A parsed `min max` score pair or Redis's error for it.
pub(crate) fn score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, Error> {
    ScoreRange::parse(min, max).ok_or(Error::MinMaxNotFloat)
}

/// A parsed `min max` lex pair or Redis's error for it.
pub(crate) fn lex_range(min: &[u8], max: &[u8]) -> Result<LexRange, Error> {
    LexRange::parse(min, max).ok_or(Error::MinMaxNotLex)
}

/// Appends one reply element: the member, or with scores the pair (flat in
/// RESP2, a nested two-element array in RESP3).
#[inline]
pub(crate) fn push_entry(
    out: &mut Vec<Frame>,
    member: &Bytes,
    score: f64,
    withscores: bool,
    resp3: bool,
) {
    if !withscores {
        out.push(Frame::Bulk(member.clone()));
    } else if resp3 {
        out.push(Frame::Array(vec![
            Frame::Bulk(member.clone()),
            Frame::Double(score),
        ]));
    } else {
        out.push(Frame::Bulk(member.clone()));
        out.push(Frame::Double(score));
    }
}

/// Deletes `key` if the last member went, with the `del` event Redis sends.
pub(crate) fn drop_if_empty(ctx: &mut Ctx, key: &[u8]) {
    if ctx.db().remove_if_empty(key) {
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
fn zadd(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    zadd_generic(ctx, argv, false)
}

/// ZINCRBY key increment member
fn zincrby(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    zadd_generic(ctx, argv, true)
}

/// ZADD and ZINCRBY (which is ZADD with INCR forced; its arguments go
/// through the same option parser, so `ZINCRBY k nx m` is a syntax error).
fn zadd_generic(ctx: &mut Ctx, argv: &[&[u8]], incr_cmd: bool) -> CmdResult {
    let mut f = AddFlags {
        incr: incr_cmd,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut i = 2;
    while let Some(opt) = argv.get(i) {
        match () {
            _ if is(opt, "nx") => f.nx = true,
            _ if is(opt, "xx") => f.xx = true,
            _ if is(opt, "ch") => ch = true,
            _ if is(opt, "incr") => f.incr = true,
            _ if is(opt, "gt") => f.gt = true,
            _ if is(opt, "lt") => f.lt = true,
            _ => break,
        }
        i += 1;
    }
    let pairs = &argv[i..];
    if pairs.is_empty() || pairs.len() % 2 != 0 {
        return Err(Error::Syntax);
    }
    if f.nx && f.xx {
        return Err(Error::XxAndNx);
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(Error::err(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && pairs.len() > 2 {
        return Err(Error::err(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let scores = pairs
        .chunks_exact(2)
        .map(|p| args::float(p[0]))
        .collect::<Result<Vec<f64>, _>>()?;

    let key = argv[1];
    let lim = Limits::of(ctx);
    let now = ctx.now;
    let db = ctx.db();
    let exists = db.get::<SortedSet>(key, now)?.is_some();
    let (mut added, mut updated, mut processed, mut last) = (0, 0, 0, 0.0);
    let mut nan = false;
    if exists || !f.xx {
        let listpack = lim.entries != 0 && pairs[1].len() <= lim.value;
        let z = db.get_or_create::<SortedSet>(key, now, || new_value(ZSet::new(), listpack))?;
        for (pair, &score) in pairs.chunks_exact(2).zip(&scores) {
            match add(z, lim, pair[1], score, f) {
                Ok((outcome, s)) => {
                    match outcome {
                        Outcome::Added => added += 1,
                        Outcome::Updated => updated += 1,
                        Outcome::Same | Outcome::Skipped => {}
                    }
                    if outcome != Outcome::Skipped {
                        processed += 1;
                        last = s;
                    }
                }
                Err(NanScore) => {
                    nan = true;
                    break;
                }
            }
        }
    }
    if added + updated > 0 {
        ctx.modified(key, notify::ZSET, if f.incr { "zincr" } else { "zadd" });
    }
    if nan {
        return Err(Error::err("ERR resulting score is not a number (NaN)"));
    }
    Ok(if f.incr {
        if processed > 0 {
            Frame::Double(last)
        } else {
            Frame::Null
        }
    } else {
        Frame::Integer(if ch { added + updated } else { added })
    })
}

/// ZREM key member [member ...]
fn zrem(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let key = argv[1];
    let Some(z) = ctx.db().get_mut::<SortedSet>(key, now)? else {
        return Ok(Frame::Integer(0));
    };
    let mut deleted = 0;
    for m in &argv[2..] {
        if z.zset.remove(m).is_some() {
            deleted += 1;
            if z.zset.is_empty() {
                break;
            }
        }
    }
    if deleted > 0 {
        ctx.modified(key, notify::ZSET, "zrem");
        drop_if_empty(ctx, key);
    }
    Ok(Frame::Integer(deleted))
}

/// ZCARD key
fn zcard(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let z = ctx.db().get::<SortedSet>(argv[1], now)?;
    Ok(Frame::Integer(z.map_or(0, |z| z.zset.len() as i64)))
}

/// ZSCORE key member
fn zscore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let z = ctx.db().get::<SortedSet>(argv[1], now)?;
    Ok(z.and_then(|z| z.zset.score(argv[2]))
        .map_or(Frame::Null, Frame::Double))
}

/// ZMSCORE key member [member ...]
fn zmscore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let z = ctx.db().get::<SortedSet>(argv[1], now)?;
    let out = argv[2..]
        .iter()
        .map(|m| {
            z.and_then(|z| z.zset.score(m))
                .map_or(Frame::Null, Frame::Double)
        })
        .collect();
    Ok(Frame::Array(out))
}

/// ZRANK key member [WITHSCORE]
fn zrank(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    zrank_generic(ctx, argv, false)
}

/// ZREVRANK key member [WITHSCORE]
fn zrevrank(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    zrank_generic(ctx, argv, true)
}

/// WITHSCORE (Redis 7.2) makes the reply `[rank, score]`, and a missing
/// member or key the null array instead of the null bulk.
fn zrank_generic(ctx: &mut Ctx, argv: &[&[u8]], rev: bool) -> CmdResult {
    if argv.len() > 4 {
        let name = if rev { "zrevrank" } else { "zrank" };
        return Err(Error::WrongArity(name.into()));
    }
    let withscore = match argv.get(3) {
        Some(opt) if opt.eq_ignore_ascii_case(b"withscore") => true,
        Some(_) => return Err(Error::Syntax),
        None => false,
    };
    let now = ctx.now;
    let z = ctx.db().get::<SortedSet>(argv[1], now)?;
    let found = z.and_then(|z| {
        let rank = if rev {
            z.zset.rev_rank(argv[2])
        } else {
            z.zset.rank(argv[2])
        }?;
        Some((rank, withscore.then(|| z.zset.score(argv[2])).flatten()))
    });
    Ok(match (found, withscore) {
        (Some((rank, _)), false) => Frame::Integer(rank as i64),
        (Some((rank, score)), true) => Frame::Array(vec![
            Frame::Integer(rank as i64),
            score.map_or(Frame::Null, Frame::Double),
        ]),
        (None, false) => Frame::Null,
        (None, true) => Frame::NullArray,
    })
}

/// ZPOPMIN key [count]
fn zpopmin(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    zpop_command(ctx, argv, false)
}

/// ZPOPMAX key [count]
fn zpopmax(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    zpop_command(ctx, argv, true)
}

fn zpop_command(ctx: &mut Ctx, argv: &[&[u8]], max: bool) -> CmdResult {
    if argv.len() > 3 {
        return Err(Error::Syntax);
    }
    let count = match argv.get(2) {
        // Redis reports a non-integer count with the range message too.
        Some(c) => Some(
            args::int(c)
                .ok()
                .filter(|&n| n >= 0)
                .ok_or(Error::NotPositive)?,
        ),
        None => None,
    };
    // RESP3 nests the pairs only when a count was given.
    let nested = ctx.client.resp3 && count.is_some();
    let shape = PopShape {
        nested,
        emit_key: false,
        nil_when_empty: false,
    };
    pop_generic(ctx, &argv[1..2], max, count, shape)
}

/// ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]
pub(crate) fn zmpop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let numkeys_err = || Error::err("ERR numkeys should be greater than 0");
    let numkeys = args::int(argv[1]).map_err(|_| numkeys_err())?;
    if numkeys < 1 {
        return Err(numkeys_err());
    }
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(2))
        .filter(|&w| w < argv.len());
    let Some(where_idx) = where_idx else {
        return Err(Error::Syntax);
    };
    let max = match argv[where_idx] {
        w if is(w, "min") => false,
        w if is(w, "max") => true,
        _ => return Err(Error::Syntax),
    };
    let mut count = None;
    let mut j = where_idx + 1;
    while j < argv.len() {
        if count.is_none() && is(argv[j], "count") && j + 1 < argv.len() {
            let count_err = || Error::err("ERR count should be greater than 0");
            let n = args::int(argv[j + 1]).map_err(|_| count_err())?;
            if n < 1 {
                return Err(count_err());
            }
            count = Some(n);
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let shape = PopShape {
        nested: true,
        emit_key: true,
        nil_when_empty: true,
    };
    pop_generic(
        ctx,
        &argv[2..where_idx],
        max,
        Some(count.unwrap_or(1)),
        shape,
    )
}

/// How a pop reply is laid out.
#[derive(Clone, Copy)]
pub(crate) struct PopShape {
    /// Each pair as a two-element array (else flat).
    pub(crate) nested: bool,
    /// `[key, [pairs...]]` (ZMPOP).
    pub(crate) emit_key: bool,
    /// A null array when no key holds a sorted set (else an empty array).
    pub(crate) nil_when_empty: bool,
}

/// Pops up to `count` (one when `None`) members from the first existing
/// key, lowest or highest first.
pub(crate) fn pop_generic(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: bool,
    count: Option<i64>,
    shape: PopShape,
) -> CmdResult {
    let now = ctx.now;
    let mut found = None;
    for key in keys {
        if ctx.db().get::<SortedSet>(key, now)?.is_some() {
            found = Some(*key);
            break;
        }
    }
    let Some(key) = found else {
        return Ok(if shape.nil_when_empty {
            Frame::NullArray
        } else {
            Frame::Array(Vec::new())
        });
    };
    let count = count.unwrap_or(1);
    if count == 0 {
        return Ok(Frame::Array(Vec::new()));
    }
    let Some(z) = ctx.db().get_mut::<SortedSet>(key, now)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let n = usize::try_from(count)
        .unwrap_or(usize::MAX)
        .min(z.zset.len());
    let mut items = Vec::with_capacity(if shape.nested { n } else { 2 * n });
    for _ in 0..n {
        let popped = if max {
            z.zset.pop_max()
        } else {
            z.zset.pop_min()
        };
        let Some((member, score)) = popped else { break };
        if shape.nested {
            items.push(Frame::Array(vec![
                Frame::Bulk(member),
                Frame::Double(score),
            ]));
        } else {
            items.push(Frame::Bulk(member));
            items.push(Frame::Double(score));
        }
    }
    ctx.modified(key, notify::ZSET, if max { "zpopmax" } else { "zpopmin" });
    drop_if_empty(ctx, key);
    if shape.emit_key {
        return Ok(Frame::Array(vec![
            Frame::Bulk(Bytes::copy_from_slice(key)),
            Frame::Array(items),
        ]));
    }
    Ok(Frame::Array(items))
}

/// ZRANDMEMBER key [count [WITHSCORES]]
fn zrandmember(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let Some(count_arg) = argv.get(2) else {
        let z = ctx.db().get::<SortedSet>(argv[1], now)?;
        let member = z.and_then(|z| z.zset.random_member().map(|(m, _)| m.clone()));
        return Ok(Frame::bulk_or_null(member));
    };
    let count = args::int(count_arg)?;
    if count == i64::MIN {
        return Err(Error::err(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        ));
    }
    if argv.len() > 4 || (argv.len() == 4 && !is(argv[3], "withscores")) {
        return Err(Error::Syntax);
    }
    let withscores = argv.len() == 4;
    if withscores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(Error::err("ERR value is out of range"));
    }
    let resp3 = ctx.client.resp3;
    let Some(z) = ctx.db().get::<SortedSet>(argv[1], now)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let z = &z.zset;
    let mut out = Vec::new();
    let wanted = count.unsigned_abs();
    if count < 0 || count == 1 {
        // With repetitions: independent draws.
        for _ in 0..wanted {
            if let Some((m, s)) = z.random_member() {
                push_entry(&mut out, m, s, withscores, resp3);
            }
        }
    } else if wanted >= z.len() as u64 {
        // The whole set, highest first (Redis's set-operation iterator
        // walks sorted sets from the top).
        for (m, s) in z.iter().rev() {
            push_entry(&mut out, m, s, withscores, resp3);
        }
    } else {
        for i in sample_distinct(z.len(), wanted as usize) {
            if let Some((m, &s)) = z.dict().get_index(i) {
                push_entry(&mut out, m, s, withscores, resp3);
            }
        }
    }
    Ok(Frame::Array(out))
}

/// `k` distinct indexes below `n` (`k < n`) in random order.
fn sample_distinct(n: usize, k: usize) -> Vec<usize> {
    if k.saturating_mul(3) > n {
        let mut all: Vec<usize> = (0..n).collect();
        fastrand::shuffle(&mut all);
        all.truncate(k);
        return all;
    }
    let mut seen = std::collections::HashSet::with_capacity(k);
    let mut out = Vec::with_capacity(k);
    while out.len() < k {
        let i = fastrand::usize(..n);
        if seen.insert(i) {
            out.push(i);
        }
    }
    out
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
fn zscan(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let cursor = parse_cursor(argv[2])?;
    let now = ctx.now;
    let resp_empty = || Frame::Array(vec![Frame::bulk(b"0"), Frame::Array(Vec::new())]);
    // Redis looks the key up before it parses the options.
    if ctx.db().get::<SortedSet>(argv[1], now)?.is_none() {
        return Ok(resp_empty());
    }
    let opts = ScanOpts::parse(&argv[3..], false)?;
    let Some(z) = ctx.db().get::<SortedSet>(argv[1], now)? else {
        return Ok(resp_empty());
    };
    let mut items = Vec::new();
    let mut emit = |m: &Bytes, s: f64, listpack: bool| {
        if opts.matches(m) {
            items.push(Frame::Bulk(m.clone()));
            items.push(Frame::Bulk(scan_score_text(s, listpack)));
        }
    };
    let next = if z.listpack {
        // A listpack is returned whole, in order, with cursor 0.
        for (m, s) in z.zset.iter() {
            emit(m, s, true);
        }
        0
    } else {
        z.zset.scan(cursor, opts.count, |m, s| emit(m, s, false))
    };
    let cursor = Frame::Bulk(Bytes::from(next.to_string()));
    Ok(Frame::Array(vec![cursor, Frame::Array(items)]))
}

/// How ZSCAN prints a score: a skip list entry as `%.17g`, a listpack
/// entry as the listpack stored it (integral scores as plain integers).
fn scan_score_text(score: f64, listpack: bool) -> Bytes {
    // `double2ll`: integral and within +-2^62.
    const LIMIT: f64 = 4_611_686_018_427_387_904.0;
    if listpack && score.fract() == 0.0 && (-LIMIT..=LIMIT).contains(&score) {
        return Bytes::from((score as i64).to_string());
    }
    Bytes::copy_from_slice(crate::resp::writer::double_text(score).as_bytes())
}
