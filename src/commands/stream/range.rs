//! XRANGE, XREVRANGE, XLEN.

use super::super::args::{self, is};
use super::super::Ctx;
use super::{entry_frame, range_end, range_start};
use crate::engine::stream::Stream;
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

/// XRANGE / XREVRANGE: `rev` takes the bounds as end, start.
fn range_generic(ctx: &mut Ctx, argv: &[&[u8]], rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (argv[3], argv[2])
    } else {
        (argv[2], argv[3])
    };
    let start = range_start(start_arg)?;
    let end = range_end(end_arg)?;
    let mut count: Option<usize> = None;
    let mut i = 4;
    while i < argv.len() {
        if is(argv[i], "count") && i + 1 < argv.len() {
            count = Some(args::int(argv[i + 1])?.max(0) as usize);
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let now = ctx.now;
    let Some(s) = ctx.db().get::<Stream>(argv[1], now)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let entries = match count {
        Some(0) => return Ok(Frame::NullArray),
        Some(n) => s
            .range(start, end, rev)
            .take(n)
            .map(|(id, f)| entry_frame(id, f))
            .collect(),
        None => s
            .range(start, end, rev)
            .map(|(id, f)| entry_frame(id, f))
            .collect(),
    };
    Ok(Frame::Array(entries))
}

/// XRANGE key start end [COUNT count]
pub(super) fn xrange(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    range_generic(ctx, argv, false)
}

/// XREVRANGE key end start [COUNT count]
pub(super) fn xrevrange(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    range_generic(ctx, argv, true)
}

/// XLEN key
pub(super) fn xlen(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let len = ctx.db().get::<Stream>(argv[1], now)?.map_or(0, |s| s.len());
    Ok(Frame::Integer(len as i64))
}
