//! Blocking list and sorted-set pops: BLPOP BRPOP BLMOVE BLMOVEM BRPOPLPUSH BLMPOP
//! BZPOPMIN BZPOPMAX BZMPOP.
//!
//! Each first does what its non-blocking twin does; when there is nothing
//! to serve it asks to block (`Ctx::block`) on its keys. When a key gets
//! data the dispatcher re-runs the command for the oldest waiter (see
//! `engine::blocking`), so serving and replying use this same code.

use bytes::Bytes;

use super::flags::*;
use super::list::{self, End};
use super::zset::{self, PopShape};
use super::{Command, Ctx, Group, Timeout};
use crate::engine::blocking::BlockRequest;
use crate::engine::value::{List, SortedSet};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

const L: Group = Group::List;
const Z: Group = Group::SortedSet;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("blpop", -3, WRITE | NOSCRIPT | BLOCKING, L, blpop)
        .reply2("BLOCK_POP")
        .reply_unified2("block_pop_unified")
        .keys(1, -2, 1)
        .timeout(Timeout::Last),
    Command::new("brpop", -3, WRITE | NOSCRIPT | BLOCKING, L, brpop)
        .reply2("BLOCK_POP")
        .reply_unified2("block_pop_unified")
        .keys(1, -2, 1)
        .timeout(Timeout::Last),
    Command::new(
        "blmove",
        6,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        L,
        blmove,
    )
    .keys(1, 2, 1)
    .timeout(Timeout::Last),
    Command::new(
        "brpoplpush",
        4,
        WRITE | DENYOOM | NOSCRIPT | BLOCKING,
        L,
        brpoplpush,
    )
    .keys(1, 2, 1)
    .timeout(Timeout::Last),
    Command::new("blmovem", -6, WRITE | DENYOOM | BLOCKING, L, blmovem)
        .keys(1, 2, 1)
        .timeout(Timeout::Arg(5)),
    Command::new("blmpop", -5, WRITE | BLOCKING, L, blmpop)
        .keys(0, 0, 0)
        .movable(blmpop_keys)
        .timeout(Timeout::Arg(1)),
    Command::new(
        "bzpopmin",
        -3,
        WRITE | NOSCRIPT | FAST | BLOCKING,
        Z,
        bzpopmin,
    )
    .reply2("BZPOP")
    .reply_unified2("bzpop_unified")
    .reply_unified3("bzpop_unified")
    .keys(1, -2, 1)
    .timeout(Timeout::Last),
    Command::new(
        "bzpopmax",
        -3,
        WRITE | NOSCRIPT | FAST | BLOCKING,
        Z,
        bzpopmax,
    )
    .reply2("BZPOP")
    .reply_unified2("bzpop_unified")
    .reply_unified3("bzpop_unified")
    .keys(1, -2, 1)
    .timeout(Timeout::Last),
    Command::new("bzmpop", -5, WRITE | BLOCKING, Z, bzmpop)
        .reply_default("zmpop_legacy")
        .reply_unified2("zmpop_unified")
        .keys(0, 0, 0)
        .movable(blmpop_keys)
        .timeout(Timeout::Arg(1)),
];

/// A blocking timeout in seconds as whole milliseconds (rounded up, as
/// Redis does); 0 means forever.
fn timeout_ms(arg: &[u8]) -> Result<u64, Error> {
    let secs = crate::num::parse_f64(arg)
        .filter(|t| !t.is_nan())
        .ok_or(Error::TimeoutNotFloat)?;
    let ms = (secs * 1000.0).ceil();
    // Redis converts to a long long, and values beyond its range (infinity
    // included) come out negative.
    if !(0.0..i64::MAX as f64).contains(&ms) {
        return Err(Error::err("ERR timeout is negative"));
    }
    Ok(ms as u64)
}

fn block(ctx: &mut Ctx, keys: &[&[u8]], timeout_ms: u64, timeout_reply: Frame) -> CmdResult {
    let keys = keys.iter().map(|k| Bytes::copy_from_slice(k)).collect();
    Ok(ctx.block(BlockRequest {
        keys,
        timeout_ms,
        timeout_reply,
        argv: None,
    }))
}

/// BLPOP / BRPOP key [key ...] timeout
fn bpop(ctx: &mut Ctx, argv: &[&[u8]], end: End) -> CmdResult {
    let timeout = timeout_ms(argv[argv.len() - 1])?;
    let keys = &argv[1..argv.len() - 1];
    let now = ctx.now;
    for &key in keys {
        if ctx.db().get::<List>(key, now)?.is_none_or(|l| l.is_empty()) {
            continue;
        }
        let popped = list::pop(ctx, key, end, 1)?.unwrap_or_default();
        if let Some(v) = popped.into_iter().next() {
            return Ok(Frame::Array(vec![Frame::bulk(key), Frame::Bulk(v)]));
        }
    }
    block(ctx, keys, timeout, Frame::NullArray)
}

/// BLPOP key [key ...] timeout
fn blpop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    bpop(ctx, argv, End::Left)
}

/// BRPOP key [key ...] timeout
fn brpop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    bpop(ctx, argv, End::Right)
}

fn bmove(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End, timeout: &[u8]) -> CmdResult {
    let timeout = timeout_ms(timeout)?;
    match list::move_generic(ctx, src, dst, from, to)? {
        Frame::Null => block(ctx, &[src], timeout, Frame::Null),
        reply => Ok(reply),
    }
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
fn blmove(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let from = End::parse(argv[3])?;
    let to = End::parse(argv[4])?;
    bmove(ctx, argv[1], argv[2], from, to, argv[5])
}

/// BLMOVEM source destination LEFT|RIGHT LEFT|RIGHT timeout [COUNT count|EXACTLY exactly OBO|BULK]
///
/// Waits while the source cannot serve: while it is empty, or with
/// EXACTLY while it is shorter than asked (every write to it re-runs the
/// waiter, which blocks on until the list is long enough).
fn blmovem(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let from = End::parse(argv[3])?;
    let to = End::parse(argv[4])?;
    let timeout = timeout_ms(argv[5])?;
    let how = list::HowMany::parse(&argv[6..])?;
    match list::move_many(ctx, argv[1], argv[2], from, to, how)? {
        Some(moved) => Ok(Frame::Array(moved.into_iter().map(Frame::Bulk).collect())),
        None => block(ctx, &[argv[1]], timeout, Frame::NullArray),
    }
}

/// BRPOPLPUSH source destination timeout
fn brpoplpush(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    bmove(ctx, argv[1], argv[2], End::Right, End::Left, argv[3])
}

/// Runs the non-blocking `*MPOP` twin on `argv` minus the timeout; blocks
/// on its keys when it found nothing.
fn bmpop(
    ctx: &mut Ctx,
    argv: &[&[u8]],
    inner: fn(&mut Ctx, &[&[u8]]) -> CmdResult,
    name: &'static [u8],
) -> CmdResult {
    let timeout = timeout_ms(argv[1])?;
    let mut rest: Vec<&[u8]> = Vec::with_capacity(argv.len() - 1);
    rest.push(name);
    rest.extend_from_slice(&argv[2..]);
    match inner(ctx, &rest)? {
        Frame::NullArray => {
            let keys: Vec<&[u8]> = blmpop_keys(argv).into_iter().map(|i| argv[i]).collect();
            block(ctx, &keys, timeout, Frame::NullArray)
        }
        reply => Ok(reply),
    }
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
fn blmpop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    bmpop(ctx, argv, list::lmpop, b"lmpop")
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
fn bzmpop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    bmpop(ctx, argv, zset::zmpop, b"zmpop")
}

/// BLMPOP / BZMPOP keys: numkeys is the third argument.
fn blmpop_keys(argv: &[&[u8]]) -> Vec<usize> {
    list::numkeys_keys(argv, 2)
}

/// BZPOPMIN / BZPOPMAX key [key ...] timeout: replies [key, member, score].
fn bzpop(ctx: &mut Ctx, argv: &[&[u8]], max: bool) -> CmdResult {
    let timeout = timeout_ms(argv[argv.len() - 1])?;
    let keys = &argv[1..argv.len() - 1];
    let now = ctx.now;
    for &key in keys {
        if ctx.db().get::<SortedSet>(key, now)?.is_none() {
            continue;
        }
        let shape = PopShape {
            nested: false,
            emit_key: false,
            nil_when_empty: true,
        };
        if let Frame::Array(mut pair) = zset::pop_generic(ctx, &[key], max, None, shape)? {
            if pair.len() == 2 {
                pair.insert(0, Frame::bulk(key));
                return Ok(Frame::Array(pair));
            }
        }
    }
    block(ctx, keys, timeout, Frame::NullArray)
}

/// BZPOPMIN key [key ...] timeout
fn bzpopmin(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    bzpop(ctx, argv, false)
}

/// BZPOPMAX key [key ...] timeout
fn bzpopmax(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    bzpop(ctx, argv, true)
}
