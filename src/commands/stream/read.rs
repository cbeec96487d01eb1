//! XREAD and XREADGROUP, with BLOCK.
//!
//! A read that finds nothing and has BLOCK asks to block (`Ctx::block`)
//! with a rewritten command line: the command name replaced by a marker,
//! then the resolved count, group options, keys and IDs (`$` already
//! turned into the ID it meant). When one of the keys changes the
//! dispatcher re-runs the handler on that line, which then serves the
//! client the way Redis serves a blocked stream reader: one stream in the
//! reply, a default COUNT of 1000, a group reader reading after the
//! group's current last ID, and group readers unblocked with an error when
//! their key or group disappears.

use bytes::Bytes;

use super::super::args::is;
use super::super::Ctx;
use super::{entry_frame, id_frame, no_key_or_group, parse_id};
use crate::engine::blocking::BlockRequest;
use crate::engine::notify;
use crate::engine::stream::{Stream, StreamId};
use crate::error::{CmdResult, Error};
use crate::num::parse_i64;
use crate::resp::Frame;

/// Command names of re-run lines (never a real command name).
const XREAD_RERUN: &[u8] = b"xread\0blocked";
const XREADGROUP_RERUN: &[u8] = b"xreadgroup\0blocked";

/// COUNT a blocked reader is served with when it gave none.
const BLOCKED_DEFAULT_COUNT: u64 = 1000;

/// A group read's identity.
struct GroupRead<'a> {
    group: &'a [u8],
    consumer: &'a [u8],
    noack: bool,
}

/// Parsed XREAD / XREADGROUP options.
struct ReadArgs<'a> {
    block: Option<u64>,
    count: u64,
    group: Option<GroupRead<'a>>,
    keys: &'a [&'a [u8]],
    ids: &'a [&'a [u8]],
}

/// `in_script`: Redis refuses BLOCK in scripts outright (naming the
/// command as the script spelled it) rather than answering at once.
fn parse_args<'a>(
    argv: &'a [&'a [u8]],
    xreadgroup: bool,
    in_script: bool,
) -> Result<ReadArgs<'a>, Error> {
    let (mut block, mut count, mut noack) = (None, 0u64, false);
    let mut group = None;
    let mut streams = None;
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let opt = argv[i];
        if is(opt, "block") && more > 0 {
            if in_script {
                return Err(Error::msg(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    String::from_utf8_lossy(argv[0])
                )));
            }
            i += 1;
            let ms = parse_i64(argv[i])
                .ok_or(Error::err("ERR timeout is not an integer or out of range"))?;
            if ms < 0 {
                return Err(Error::err("ERR timeout is negative"));
            }
            block = Some(ms as u64);
        } else if is(opt, "count") && more > 0 {
            i += 1;
            count = parse_i64(argv[i]).ok_or(Error::NotInteger)?.max(0) as u64;
        } else if is(opt, "streams") && more > 0 {
            if (argv.len() - i - 1) % 2 != 0 {
                return Err(Error::err(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            streams = Some(i + 1);
            break;
        } else if is(opt, "group") && more >= 2 {
            if !xreadgroup {
                return Err(Error::err(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            group = Some((argv[i + 1], argv[i + 2]));
            i += 2;
        } else if is(opt, "noack") {
            if !xreadgroup {
                return Err(Error::err(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            noack = true;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    let Some(first) = streams else {
        return Err(Error::Syntax);
    };
    if xreadgroup && group.is_none() {
        return Err(Error::err("ERR Missing GROUP option for XREADGROUP"));
    }
    let n = (argv.len() - first) / 2;
    Ok(ReadArgs {
        block,
        count,
        group: group.map(|(group, consumer)| GroupRead {
            group,
            consumer,
            noack,
        }),
        keys: &argv[first..first + n],
        ids: &argv[first + n..],
    })
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
pub(super) fn xread(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv[0] == XREAD_RERUN {
        return rerun(ctx, argv, false);
    }
    read_generic(ctx, argv, false)
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
pub(super) fn xreadgroup(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv[0] == XREADGROUP_RERUN {
        return rerun(ctx, argv, true);
    }
    read_generic(ctx, argv, true)
}

fn read_generic(ctx: &mut Ctx, argv: &[&[u8]], xreadgroup: bool) -> CmdResult {
    let a = parse_args(argv, xreadgroup, ctx.client.in_script)?;
    let ids = resolve_ids(ctx, &a, xreadgroup)?;
    let now = ctx.now;
    let mut served = Vec::new();
    for (&key, &id) in a.keys.iter().zip(&ids) {
        let Some(s) = ctx.db().get::<Stream>(key, now)? else {
            continue;
        };
        let (mut gt, mut history) = (id, false);
        let serve = match &a.group {
            Some(_) if id != StreamId::MAX => {
                history = true;
                true
            }
            Some(g) => {
                let last = s.groups.get(g.group).map_or(StreamId::MAX, |g| g.last_id);
                gt = last;
                s.last_entry().is_some_and(|(top, _)| top > last)
            }
            None => s.last_entry().is_some_and(|(top, _)| top > id),
        };
        if serve {
            let entries = serve_stream(ctx, key, gt, a.count, a.group.as_ref(), history)?;
            served.push((key, entries));
        }
    }
    if !served.is_empty() {
        return Ok(reply(ctx, served));
    }
    let Some(mut timeout_ms) = a.block else {
        return Ok(Frame::NullArray);
    };
    // Redis adds the timeout to the clock; a deadline past i64 wraps to a
    // value its timeout table never reaches: the client waits forever.
    if i64::try_from(timeout_ms).map_or(true, |t| t > i64::MAX - now.ms()) {
        timeout_ms = 0;
    }
    let line = rerun_line(&a, &ids);
    Ok(ctx.block(BlockRequest {
        keys: a.keys.iter().map(|k| Bytes::copy_from_slice(k)).collect(),
        timeout_ms,
        timeout_reply: Frame::NullArray,
        argv: Some(line),
    }))
}

/// Checks each key (type, group) and turns its ID argument into an ID;
/// `>` becomes the maximum ID, as in Redis, `$` the stream's last ID and
/// `+` (XREAD only) the ID just before it.
fn resolve_ids(ctx: &mut Ctx, a: &ReadArgs, xreadgroup: bool) -> Result<Vec<StreamId>, Error> {
    let now = ctx.now;
    let mut ids = Vec::with_capacity(a.keys.len());
    for (&key, &arg) in a.keys.iter().zip(a.ids) {
        let s = ctx.db().get::<Stream>(key, now)?;
        if let Some(g) = &a.group {
            if s.is_none_or(|s| !s.groups.contains_key(g.group)) {
                return Err(no_key_or_group(
                    key,
                    g.group,
                    " in XREADGROUP with GROUP option",
                ));
            }
        }
        let arg = arg.split(|&c| c == 0).next().unwrap_or_default();
        let id = match arg {
            b"$" if xreadgroup => {
                return Err(Error::err(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ))
            }
            b"$" => s.map_or(StreamId::ZERO, |s| s.last_id),
            // Redis 7.4: the stream's last entry (reading after the ID just
            // before its last ID).
            b"+" if xreadgroup => {
                return Err(Error::err(
                    "ERR The + ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The + ID would just return an empty result set.",
                ))
            }
            b"+" => match s {
                Some(s) => s
                    .last_id
                    .prev()
                    .ok_or(Error::err("ERR the stream last element ID is 0-0"))?,
                None => StreamId::ZERO,
            },
            b">" if !xreadgroup => {
                return Err(Error::err(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ))
            }
            b">" => StreamId::MAX,
            _ => parse_id(arg)?,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// The entries of one stream after `gt`: plain, new ones for a group
/// (advancing it, recording them pending), or the consumer's history.
/// The stream (and the group, if any) must exist.
fn serve_stream(
    ctx: &mut Ctx,
    key: &[u8],
    gt: StreamId,
    count: u64,
    group: Option<&GroupRead>,
    history: bool,
) -> Result<Frame, Error> {
    let now = ctx.now;
    let now_ms = now.ms();
    // Past the maximum ID the start wraps to 0-0, as in Redis.
    let start = gt.next().unwrap_or(StreamId::ZERO);
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let Some(s) = ctx.db().get_mut::<Stream>(key, now)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let Some(g) = group else {
        let limit = if count == 0 { usize::MAX } else { count };
        let entries = s
            .range(start, StreamId::MAX, false)
            .take(limit)
            .map(|(id, f)| entry_frame(id, f))
            .collect();
        return Ok(Frame::Array(entries));
    };
    let Some(grp) = s.groups.get_mut(g.group) else {
        return Ok(Frame::Array(Vec::new()));
    };
    let created = grp.consumer(g.consumer, Some(now_ms)).is_none();
    if created {
        grp.create_consumer(g.consumer, now_ms);
    }
    let ids = if history {
        s.history(g.group, g.consumer, start, count, now_ms)
    } else {
        let consumer = Bytes::copy_from_slice(g.consumer);
        s.deliver(g.group, &consumer, start, count, g.noack, now_ms)
    };
    let entries = ids
        .into_iter()
        .map(|id| match s.get(id) {
            Some(f) => entry_frame(id, f),
            None => Frame::Array(vec![id_frame(id), Frame::NullArray]),
        })
        .collect();
    if created {
        ctx.dirty(1);
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    ctx.dirty(1);
    Ok(Frame::Array(entries))
}

/// `[[key, entries], ...]`, or a map for RESP3 clients.
fn reply(ctx: &Ctx, served: Vec<(&[u8], Frame)>) -> Frame {
    if ctx.client.resp3 {
        Frame::Map(
            served
                .into_iter()
                .map(|(k, e)| (Frame::bulk(k), e))
                .collect(),
        )
    } else {
        Frame::Array(
            served
                .into_iter()
                .map(|(k, e)| Frame::Array(vec![Frame::bulk(k), e]))
                .collect(),
        )
    }
}

/// The command line a blocked reader is re-run with:
/// `marker count [group consumer noack] n key... id...`.
fn rerun_line(a: &ReadArgs, ids: &[StreamId]) -> Vec<Bytes> {
    let count = if a.count == 0 {
        BLOCKED_DEFAULT_COUNT
    } else {
        a.count
    };
    let mut line = Vec::with_capacity(4 + a.keys.len() * 2);
    match &a.group {
        Some(g) => {
            line.push(Bytes::from_static(XREADGROUP_RERUN));
            line.push(Bytes::from(count.to_string()));
            line.push(Bytes::copy_from_slice(g.group));
            line.push(Bytes::copy_from_slice(g.consumer));
            line.push(Bytes::from_static(if g.noack { b"1" } else { b"0" }));
        }
        None => {
            line.push(Bytes::from_static(XREAD_RERUN));
            line.push(Bytes::from(count.to_string()));
        }
    }
    line.extend(a.keys.iter().map(|k| Bytes::copy_from_slice(k)));
    line.extend(ids.iter().map(|id| id.to_bytes()));
    line
}

/// Serves a blocked reader once one of its keys changed: the first stream
/// with entries past what the reader waits for, alone in the reply. Group
/// readers whose key or group is gone get an error; otherwise, with
/// nothing to serve, the reader stays blocked.
fn rerun(ctx: &mut Ctx, argv: &[&[u8]], xreadgroup: bool) -> CmdResult {
    let fixed = if xreadgroup { 5 } else { 2 };
    let Some(rest) = argv.get(fixed..) else {
        return Err(Error::Syntax);
    };
    let count = parse_i64(argv[1]).unwrap_or(0).max(0) as u64;
    let group = xreadgroup.then(|| GroupRead {
        group: argv[2],
        consumer: argv[3],
        noack: argv[4] == b"1",
    });
    let (keys, ids) = rest.split_at(rest.len() / 2);
    let now = ctx.now;
    for (&key, &id) in keys.iter().zip(ids) {
        let stream = ctx.db().get_mut::<Stream>(key, now);
        let mut gt = parse_id(id)?;
        let last = match (stream, &group) {
            (Ok(Some(s)), Some(g)) => {
                match s.groups.get(g.group) {
                    Some(grp) => {
                        gt = grp.last_id;
                        s.last_id
                    }
                    None => return Err(Error::err(
                        "NOGROUP the consumer group this client was blocked on no longer exists",
                    )),
                }
            }
            (_, Some(_)) => return Err(Error::err("UNBLOCKED the stream key no longer exists")),
            (Ok(Some(s)), None) => s.last_id,
            (_, None) => continue,
        };
        if last > gt {
            let entries = serve_stream(ctx, key, gt, count, group.as_ref(), false)?;
            return Ok(reply(ctx, vec![(key, entries)]));
        }
    }
    Ok(ctx.block(BlockRequest {
        keys: Vec::new(),
        timeout_ms: 0,
        timeout_reply: Frame::NullArray,
        argv: None,
    }))
}
