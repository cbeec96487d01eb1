//! Range commands: ZRANGE and its older spellings, ZRANGESTORE, ZCOUNT,
//! ZLEXCOUNT and ZREMRANGEBY{RANK,SCORE,LEX}.
//!
//! Lex ranges are only well defined when all members share a score. When
//! they do not, Redis's answer depends on the encoding: a listpack is
//! scanned linearly from its ends, a skip list is descended. We reproduce
//! the listpack scan exactly (small sets are what clients usually see);
//! for skip lists the O(log n) descent of [`ZSet`] is used.

use bytes::Bytes;

use super::{drop_if_empty, insert_new, lex_range, new_value, push_entry, score_range, Limits};
use crate::commands::args::{self, is};
use crate::commands::Ctx;
use crate::engine::notify;
use crate::engine::value::SortedSet;
use crate::engine::zset::{LexRange, ScoreRange, ZSet};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

/// What the range arguments select.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range: which elements, which way, and how many.
pub(super) enum Spec {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Everything ZRANGE-like commands parse.
pub(super) struct RangeQuery {
    pub spec: Spec,
    pub rev: bool,
    pub withscores: bool,
    /// LIMIT offset; negative selects nothing (as in Redis).
    pub offset: i64,
    /// LIMIT count; negative means all.
    pub limit: i64,
}

/// Parses `<src> <min> <max> [BYSCORE | BYLEX] [REV] [WITHSCORES] [LIMIT
/// offset count]` starting at `argv[src]`, in Redis's validation order.
/// `kind` and `rev` are fixed by the older commands (`None` = ZRANGE's
/// options decide).
fn parse_query(
    argv: &[&[u8]],
    src: usize,
    store: bool,
    mut kind: Kind,
    mut rev: Option<bool>,
) -> Result<RangeQuery, Error> {
    let (mut withscores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = src + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let opt = argv[j];
        if !store && is(opt, "withscores") {
            withscores = true;
        } else if is(opt, "limit") && left >= 2 {
            offset = args::int(argv[j + 1])?;
            limit = args::int(argv[j + 2])?;
            j += 2;
        } else if rev.is_none() && is(opt, "rev") {
            rev = Some(true);
        } else if kind == Kind::Auto && is(opt, "bylex") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && is(opt, "byscore") {
            kind = Kind::Score;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    // Redis checks the LIMIT count against its "not given" value, so an
    // explicit `LIMIT x -1` passes with a rank range.
    if limit != -1 && kind == Kind::Rank {
        return Err(Error::err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && kind == Kind::Lex {
        return Err(Error::err(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut a, mut b) = (argv[src + 1], argv[src + 2]);
    if rev && kind != Kind::Rank {
        // The reverse forms take the range as max, min.
        std::mem::swap(&mut a, &mut b);
    }
    let spec = match kind {
        Kind::Score => Spec::Score(score_range(a, b)?),
        Kind::Lex => Spec::Lex(lex_range(a, b)?),
        _ => Spec::Rank(args::int(a)?, args::int(b)?),
    };
    Ok(RangeQuery {
        spec,
        rev,
        withscores,
        offset,
        limit,
    })
}

/// Calls `f` for each selected element, in reply order. Returns the
/// number of elements a rank range selects (ZRANGESTORE sizes its result
/// from it), `None` for score and lex ranges.
pub(super) fn walk(z: &SortedSet, q: &RangeQuery, mut f: impl FnMut(&Bytes, f64)) -> Option<usize> {
    let zs = &z.zset;
    let skip = usize::try_from(q.offset).ok();
    let take = usize::try_from(q.limit).unwrap_or(usize::MAX);
    match &q.spec {
        Spec::Rank(start, end) => {
            let Some((s, e)) = args::clamp_range(*start, *end, zs.len()) else {
                return Some(0);
            };
            zs.iter_range_by_rank(s, e, q.rev)
                .for_each(|(m, sc)| f(m, sc));
            Some(e - s + 1)
        }
        Spec::Score(r) => {
            let skip = skip?;
            zs.iter_range_by_score(r, q.rev)
                .skip(skip)
                .take(take)
                .for_each(|(m, sc)| f(m, sc));
            None
        }
        Spec::Lex(r) => {
            let skip = skip?;
            if !z.listpack {
                // Redis's skiplist makes the same first/last early-out as
                // its listpack before descending.
                if !lex_may_overlap(zs, r) {
                    return None;
                }
                zs.iter_range_by_lex(r, q.rev)
                    .skip(skip)
                    .take(take)
                    .for_each(|(m, sc)| f(m, sc));
                return None;
            }
            if q.rev {
                let last = lex_last(zs, r)?;
                let start = last.checked_sub(skip)?;
                let len = zs.len();
                zs.iter_range_by_rank(len - 1 - start, len - 1, true)
                    .take_while(|(m, _)| r.above_min(m))
                    .take(take)
                    .for_each(|(m, sc)| f(m, sc));
            } else {
                let first = lex_first(zs, r)?;
                let start = first.saturating_add(skip);
                zs.iter_range_by_rank(start, usize::MAX, false)
                    .take_while(|(m, _)| r.below_max(m))
                    .take(take)
                    .for_each(|(m, sc)| f(m, sc));
            }
            None
        }
    }
}

/// The listpack's early-out: the range is empty, starts after the last
/// member or ends before the first.
fn lex_may_overlap(z: &ZSet, r: &LexRange) -> bool {
    if r.is_empty() {
        return false;
    }
    let (Some((first, _)), Some((last, _))) = (z.iter().next(), z.iter().next_back()) else {
        return false;
    };
    r.above_min(last) && r.below_max(first)
}

/// Rank where a listpack's forward lex walk starts: the first member not
/// below min, provided it is not above max.
fn lex_first(z: &ZSet, r: &LexRange) -> Option<usize> {
    if !lex_may_overlap(z, r) {
        return None;
    }
    let (i, (m, _)) = z.iter().enumerate().find(|(_, (m, _))| r.above_min(m))?;
    r.below_max(m).then_some(i)
}

/// Rank where a listpack's backward lex walk starts: the last member not
/// above max, provided it is not below min.
fn lex_last(z: &ZSet, r: &LexRange) -> Option<usize> {
    if !lex_may_overlap(z, r) {
        return None;
    }
    let len = z.len();
    let (i, (m, _)) = z
        .iter()
        .rev()
        .enumerate()
        .find(|(_, (m, _))| r.below_max(m))?;
    r.above_min(m).then_some(len - 1 - i)
}

/// Ascending ranks `[from, to)` a lex range covers, walking forward like
/// ZLEXCOUNT and ZREMRANGEBYLEX do.
fn lex_span(z: &SortedSet, r: &LexRange) -> Option<(usize, usize)> {
    if !z.listpack {
        if !lex_may_overlap(&z.zset, r) {
            return None;
        }
        return z.zset.lex_range_ranks(r).map(|(lo, hi)| (lo, hi + 1));
    }
    let first = lex_first(&z.zset, r)?;
    let run = z
        .zset
        .iter_range_by_rank(first, usize::MAX, false)
        .take_while(|(m, _)| r.below_max(m))
        .count();
    Some((first, first + run))
}

/// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub(super) fn zrange(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    range_reply(ctx, argv, Kind::Auto, None)
}

/// ZREVRANGE key start stop [WITHSCORES]
pub(super) fn zrevrange(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    range_reply(ctx, argv, Kind::Rank, Some(true))
}

/// The members and scores of ZRANGE `key start end` by rank (ZREVRANGE's
/// with `rev`): the handlers' walk without reply frames, the typed core of
/// the Python fast path.
pub fn rank_pairs(
    db: &mut crate::engine::Db,
    key: &[u8],
    start: i64,
    end: i64,
    rev: bool,
    now: crate::engine::Now<'_>,
) -> Result<Vec<(Bytes, f64)>, Error> {
    // A Vec, not a SmallVec: the result moves through several layers.
    let mut out = Vec::new();
    if let Some(z) = db.get::<SortedSet>(key, now)? {
        if let Some((s, e)) = args::clamp_range(start, end, z.zset.len()) {
            out.reserve(e - s + 1);
            out.extend(
                z.zset
                    .iter_range_by_rank(s, e, rev)
                    .map(|(m, sc)| (m.clone(), sc)),
            );
        }
    }
    Ok(out)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub(super) fn zrangebyscore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    range_reply(ctx, argv, Kind::Score, Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub(super) fn zrevrangebyscore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    range_reply(ctx, argv, Kind::Score, Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub(super) fn zrangebylex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    range_reply(ctx, argv, Kind::Lex, Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub(super) fn zrevrangebylex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    range_reply(ctx, argv, Kind::Lex, Some(true))
}

/// The ZRANGE family's reply.
fn range_reply(ctx: &mut Ctx, argv: &[&[u8]], kind: Kind, rev: Option<bool>) -> CmdResult {
    let q = parse_query(argv, 1, false, kind, rev)?;
    let resp3 = ctx.client.resp3;
    let now = ctx.now;
    let Some(z) = ctx.db().get::<SortedSet>(argv[1], now)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let per = if q.withscores && !resp3 { 2 } else { 1 };
    let mut out = match &q.spec {
        Spec::Rank(start, end) => args::clamp_range(*start, *end, z.zset.len())
            .map_or(Vec::new(), |(s, e)| {
                Vec::with_capacity((e - s + 1).min(1024) * per)
            }),
        _ => Vec::new(),
    };
    walk(z, &q, |m, s| {
        push_entry(&mut out, m, s, q.withscores, resp3)
    });
    Ok(Frame::Array(out))
}

/// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
pub(super) fn zrangestore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let q = parse_query(argv, 2, true, Kind::Auto, None)?;
    let lim = Limits::of(ctx);
    let now = ctx.now;
    let mut items = Vec::new();
    let mut rank_len = None;
    if let Some(z) = ctx.db().get::<SortedSet>(argv[2], now)? {
        rank_len = walk(z, &q, |m, s| items.push((m.clone(), s)));
    }
    let dst = argv[1];
    if items.is_empty() {
        if ctx.db().remove(dst, now).is_some() {
            ctx.modified(dst, notify::GENERIC, "del");
        }
        return Ok(Frame::Integer(0));
    }
    // Redis sizes the destination from a rank range's length up front;
    // other ranges start as a listpack and convert while being filled.
    let listpack = rank_len.is_none_or(|n| n <= lim.entries);
    let mut dest = SortedSet {
        zset: ZSet::with_capacity(items.len()),
        listpack,
    };
    for (m, s) in items {
        insert_new(&mut dest, lim, m, s);
    }
    let n = dest.zset.len();
    ctx.db().set(dst, new_value(dest.zset, dest.listpack));
    ctx.modified(dst, notify::ZSET, "zrangestore");
    Ok(Frame::Integer(n as i64))
}

/// ZCOUNT key min max
pub(super) fn zcount(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let r = score_range(argv[2], argv[3])?;
    let now = ctx.now;
    let z = ctx.db().get::<SortedSet>(argv[1], now)?;
    Ok(Frame::Integer(
        z.map_or(0, |z| z.zset.count_in_score_range(&r)) as i64,
    ))
}

/// ZLEXCOUNT key min max
pub(super) fn zlexcount(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let r = lex_range(argv[2], argv[3])?;
    let now = ctx.now;
    let z = ctx.db().get::<SortedSet>(argv[1], now)?;
    Ok(Frame::Integer(
        z.and_then(|z| lex_span(z, &r)).map_or(0, |(a, b)| b - a) as i64,
    ))
}

/// ZREMRANGEBYRANK key start stop
pub(super) fn zremrangebyrank(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (start, end) = (args::int(argv[2])?, args::int(argv[3])?);
    remrange_generic(ctx, argv[1], "zremrangebyrank", |z| {
        let (s, e) = args::clamp_range(start, end, z.zset.len())?;
        Some(z.zset.remove_range_by_rank(s, e).len())
    })
}

/// ZREMRANGEBYSCORE key min max
pub(super) fn zremrangebyscore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let r = score_range(argv[2], argv[3])?;
    remrange_generic(ctx, argv[1], "zremrangebyscore", |z| {
        Some(z.zset.remove_range_by_score(&r).len())
    })
}

/// ZREMRANGEBYLEX key min max
pub(super) fn zremrangebylex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let r = lex_range(argv[2], argv[3])?;
    remrange_generic(ctx, argv[1], "zremrangebylex", |z| {
        if !z.listpack {
            if !lex_may_overlap(&z.zset, &r) {
                return Some(0);
            }
            return Some(z.zset.remove_range_by_lex(&r).len());
        }
        let (from, to) = lex_span(z, &r)?;
        Some(z.zset.remove_range_by_rank(from, to - 1).len())
    })
}

/// Runs a ZREMRANGEBY* removal (`remove` returns how many went, `None`
/// for nothing) with its notifications.
fn remrange_generic(
    ctx: &mut Ctx,
    key: &[u8],
    event: &str,
    remove: impl FnOnce(&mut SortedSet) -> Option<usize>,
) -> CmdResult {
    let now = ctx.now;
    let Some(z) = ctx.db().get_mut::<SortedSet>(key, now)? else {
        return Ok(Frame::Integer(0));
    };
    let deleted = remove(z).unwrap_or(0);
    if deleted > 0 {
        ctx.modified(key, notify::ZSET, event);
        drop_if_empty(ctx, key);
    }
    Ok(Frame::Integer(deleted as i64))
}
