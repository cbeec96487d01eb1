//! Set algebra over sorted sets (plain sets count as members with score
//! 1): ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD.
//!
//! Floating point sums depend on the order of the terms, so the inputs are
//! combined in Redis's order: ZUNION and ZINTER sort the inputs by size
//! (stably, as glibc's merge sort does), ZDIFF keeps the given order, and
//! each member's score is folded input by input.

use std::cmp::Ordering;

use bytes::Bytes;

use super::{new_value, push_entry, stored, Limits};
use crate::commands::args::is;
use crate::commands::Ctx;
use crate::engine::notify;
use crate::engine::value::{Map, Value};
use crate::engine::zset::ZSet;
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Folds `val` into `acc`. A sum of opposite infinities is NaN, which
/// Redis turns into 0; MIN and MAX ignore NaN values (the comparison is
/// false).
#[inline]
fn aggregate(acc: &mut f64, val: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *acc += val;
            if acc.is_nan() {
                *acc = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *acc {
                *acc = val;
            }
        }
        Aggregate::Max => {
            if val > *acc {
                *acc = val;
            }
        }
    }
}

/// One input key.
struct Src<'a> {
    key: &'a [u8],
    len: usize,
    weight: f64,
}

/// A borrowed input value.
enum Input<'a> {
    Missing,
    Zset(&'a ZSet),
    Set(&'a crate::engine::value::OrdSet<Bytes>),
}

impl Input<'_> {
    fn len(&self) -> usize {
        match self {
            Input::Missing => 0,
            Input::Zset(z) => z.len(),
            Input::Set(s) => s.len(),
        }
    }

    /// The member's score (1 for a set member).
    fn find(&self, member: &[u8]) -> Option<f64> {
        match self {
            Input::Missing => None,
            Input::Zset(z) => z.score(member),
            Input::Set(s) => s.contains(member).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&Bytes, f64)) {
        match self {
            Input::Missing => {}
            Input::Zset(z) => z.dict().iter().for_each(|(m, &s)| f(m, s)),
            Input::Set(s) => s.iter().for_each(|m| f(m, 1.0)),
        }
    }
}

/// Runs `f` on the value under `key` (WRONGTYPE unless a set or zset).
fn with_input<R>(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(Input<'_>) -> R) -> Result<R, Error> {
    let now = ctx.now;
    let input = match ctx.db().lookup(key, now) {
        None => Input::Missing,
        Some(e) => match &e.value {
            Value::ZSet(z) => Input::Zset(&z.zset),
            Value::Set(s) => Input::Set(&s.members),
            _ => return Err(Error::WrongType),
        },
    };
    Ok(f(input))
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX]
pub(super) fn zunionstore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    setop_generic(ctx, argv, Some(argv[1]), 2, Op::Union, false)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX]
pub(super) fn zinterstore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    setop_generic(ctx, argv, Some(argv[1]), 2, Op::Inter, false)
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub(super) fn zdiffstore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    setop_generic(ctx, argv, Some(argv[1]), 2, Op::Diff, false)
}

/// ZUNION numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
pub(super) fn zunion(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    setop_generic(ctx, argv, None, 1, Op::Union, false)
}

/// ZINTER numkeys key [key ...] [WEIGHTS weight ...] [AGGREGATE SUM | MIN | MAX] [WITHSCORES]
pub(super) fn zinter(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    setop_generic(ctx, argv, None, 1, Op::Inter, false)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub(super) fn zintercard(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    setop_generic(ctx, argv, None, 1, Op::Inter, true)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub(super) fn zdiff(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    setop_generic(ctx, argv, None, 1, Op::Diff, false)
}

/// Options after the keys.
struct Opts {
    aggregate: Aggregate,
    withscores: bool,
    /// ZINTERCARD's LIMIT (0 = none).
    limit: usize,
}

/// The shared body, in Redis's order: numkeys, the keys' types, then the
/// options, then the work.
fn setop_generic(
    ctx: &mut Ctx,
    argv: &[&[u8]],
    dst: Option<&[u8]>,
    numkeys_idx: usize,
    op: Op,
    card_only: bool,
) -> CmdResult {
    let setnum = crate::commands::args::int(argv[numkeys_idx])?;
    if setnum < 1 {
        let name = String::from_utf8_lossy(argv[0]).to_ascii_lowercase();
        return Err(Error::msg(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        )));
    }
    let first_key = numkeys_idx + 1;
    let setnum = match usize::try_from(setnum) {
        Ok(n) if n <= argv.len() - first_key => n,
        _ => return Err(Error::Syntax),
    };
    let mut srcs = Vec::with_capacity(setnum);
    for key in &argv[first_key..first_key + setnum] {
        let len = with_input(ctx, key, |i| i.len())?;
        srcs.push(Src {
            key,
            len,
            weight: 1.0,
        });
    }
    let opts = parse_opts(
        argv,
        first_key + setnum,
        &mut srcs,
        dst.is_some(),
        op,
        card_only,
    )?;

    let result = match op {
        Op::Union => union(ctx, &mut srcs, opts.aggregate)?,
        Op::Inter => inter(ctx, &mut srcs, opts.aggregate)?,
        Op::Diff => diff(ctx, &srcs)?,
    };
    if card_only {
        let n = if opts.limit > 0 {
            result.len().min(opts.limit)
        } else {
            result.len()
        };
        return Ok(Frame::Integer(n as i64));
    }
    match dst {
        Some(dst) => store(ctx, dst, result, op),
        None => {
            let resp3 = ctx.client.resp3;
            let mut sorted = result;
            sorted.sort_unstable_by(cmp_entry);
            let mut out =
                Vec::with_capacity(sorted.len() * if opts.withscores && !resp3 { 2 } else { 1 });
            for (m, s) in &sorted {
                push_entry(&mut out, m, *s, opts.withscores, resp3);
            }
            Ok(Frame::Array(out))
        }
    }
}

/// WEIGHTS, AGGREGATE, WITHSCORES and LIMIT, each only where the command
/// takes it; anything else is a syntax error.
fn parse_opts(
    argv: &[&[u8]],
    mut j: usize,
    srcs: &mut [Src],
    store: bool,
    op: Op,
    card_only: bool,
) -> Result<Opts, Error> {
    let mut opts = Opts {
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let algebra = op != Op::Diff && !card_only;
    while j < argv.len() {
        let remaining = argv.len() - j;
        let opt = argv[j];
        if algebra && remaining > srcs.len() && is(opt, "weights") {
            for (src, w) in srcs.iter_mut().zip(&argv[j + 1..]) {
                src.weight = crate::num::parse_f64(w)
                    .ok_or(Error::err("ERR weight value is not a float"))?;
            }
            j += 1 + srcs.len();
        } else if algebra && remaining >= 2 && is(opt, "aggregate") {
            opts.aggregate = match argv[j + 1] {
                a if is(a, "sum") => Aggregate::Sum,
                a if is(a, "min") => Aggregate::Min,
                a if is(a, "max") => Aggregate::Max,
                _ => return Err(Error::Syntax),
            };
            j += 2;
        } else if !store && !card_only && is(opt, "withscores") {
            opts.withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(opt, "limit") {
            let bad = || Error::err("ERR LIMIT can't be negative");
            let n = crate::num::parse_i64(argv[j + 1]).ok_or_else(bad)?;
            opts.limit = usize::try_from(n).map_err(|_| bad())?;
            j += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    Ok(opts)
}

/// Orders inputs by size, smallest first, keeping the given order among
/// equals.
fn by_size(srcs: &mut [Src]) {
    srcs.sort_by_key(|s| s.len);
}

/// Members of any input, scores weighted and aggregated.
fn union(ctx: &mut Ctx, srcs: &mut [Src], how: Aggregate) -> Result<Vec<(Bytes, f64)>, Error> {
    by_size(srcs);
    let mut acc: Map<Bytes, f64> = Map::default();
    if let Some(largest) = srcs.last() {
        acc.reserve(largest.len);
    }
    for src in srcs.iter() {
        if src.len == 0 {
            continue;
        }
        with_input(ctx, src.key, |input| {
            input.for_each(|m, s| {
                let mut score = src.weight * s;
                if score.is_nan() {
                    score = 0.0;
                }
                match acc.get_mut(m) {
                    Some(cur) => aggregate(cur, score, how),
                    None => {
                        acc.insert(m.clone(), score);
                    }
                }
            })
        })?;
    }
    Ok(acc.into_iter().collect())
}

/// Members of every input: candidates come from the smallest input and
/// are filtered (and their scores folded) one input at a time, which
/// folds each member's score in the same order as Redis.
fn inter(ctx: &mut Ctx, srcs: &mut [Src], how: Aggregate) -> Result<Vec<(Bytes, f64)>, Error> {
    by_size(srcs);
    let Some(first) = srcs.first() else {
        return Ok(Vec::new());
    };
    if first.len == 0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(first.len);
    with_input(ctx, first.key, |input| {
        input.for_each(|m, s| {
            let mut score = first.weight * s;
            if score.is_nan() {
                score = 0.0;
            }
            out.push((m.clone(), score));
        })
    })?;
    for src in &srcs[1..] {
        if out.is_empty() {
            break;
        }
        with_input(ctx, src.key, |input| {
            out.retain_mut(|(m, acc)| match input.find(m) {
                Some(s) => {
                    aggregate(acc, s * src.weight, how);
                    true
                }
                None => false,
            })
        })?;
    }
    Ok(out)
}

/// Members of the first input found in no other, with their scores.
fn diff(ctx: &mut Ctx, srcs: &[Src]) -> Result<Vec<(Bytes, f64)>, Error> {
    let Some(first) = srcs.first() else {
        return Ok(Vec::new());
    };
    if first.len == 0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(first.len);
    with_input(ctx, first.key, |input| {
        input.for_each(|m, s| out.push((m.clone(), s)))
    })?;
    for src in &srcs[1..] {
        if out.is_empty() {
            break;
        }
        if src.len == 0 {
            continue;
        }
        with_input(ctx, src.key, |input| {
            out.retain(|(m, _)| input.find(m).is_none())
        })?;
    }
    Ok(out)
}

/// Sorted-set order: by score, then by member bytes.
fn cmp_entry(a: &(Bytes, f64), b: &(Bytes, f64)) -> Ordering {
    match a.1.partial_cmp(&b.1) {
        Some(Ordering::Equal) | None => a.0.cmp(&b.0),
        Some(o) => o,
    }
}

/// Stores a result under `dst` (deleting `dst` when empty), in the
/// encoding Redis converts a small result to.
fn store(ctx: &mut Ctx, dst: &[u8], result: Vec<(Bytes, f64)>, op: Op) -> CmdResult {
    let now = ctx.now;
    if result.is_empty() {
        if ctx.db().remove(dst, now).is_some() {
            ctx.modified(dst, notify::GENERIC, "del");
        }
        return Ok(Frame::Integer(0));
    }
    let lim = Limits::of(ctx);
    let max_member = result.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let listpack = lim.fits(result.len(), max_member);
    let mut z = ZSet::with_capacity(result.len());
    for (m, s) in result {
        z.insert(m, stored(listpack, s));
    }
    let n = z.len();
    ctx.db().set(dst, new_value(z, listpack));
    let event = match op {
        Op::Union => "zunionstore",
        Op::Inter => "zinterstore",
        Op::Diff => "zdiffstore",
    };
    ctx.modified(dst, notify::ZSET, event);
    Ok(Frame::Integer(n as i64))
}
