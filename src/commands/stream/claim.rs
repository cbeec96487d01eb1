//! XCLAIM and XAUTOCLAIM: moving pending entries to another consumer.

use std::ops::Bound;

use bytes::Bytes;

use super::super::args::is;
use super::super::Ctx;
use super::{entry_frame, id_frame, no_key_or_group, parse_id, range_start};
use crate::engine::notify;
use crate::engine::stream::{Group, Stream, StreamId};
use crate::error::{CmdResult, Error};
use crate::num::parse_i64;
use crate::resp::Frame;

/// An integer argument with a command-specific error text.
fn int_or(arg: &[u8], msg: &'static str) -> Result<i64, Error> {
    parse_i64(arg).ok_or(Error::err(msg))
}

/// XCLAIM's options after the IDs.
#[derive(Default)]
struct ClaimOpts {
    delivery_time: Option<i64>,
    retry_count: Option<u64>,
    force: bool,
    justid: bool,
    last_id: StreamId,
}

fn parse_claim_opts(opts: &[&[u8]], now: i64) -> Result<ClaimOpts, Error> {
    let mut o = ClaimOpts::default();
    let mut i = 0;
    while i < opts.len() {
        let (opt, value) = (opts[i], opts.get(i + 1).copied());
        match value {
            _ if is(opt, "force") => o.force = true,
            _ if is(opt, "justid") => o.justid = true,
            Some(v) if is(opt, "idle") => {
                let idle = int_or(v, "ERR Invalid IDLE option argument for XCLAIM")?;
                o.delivery_time = Some(now.wrapping_sub(idle));
            }
            Some(v) if is(opt, "time") => {
                o.delivery_time = Some(int_or(v, "ERR Invalid TIME option argument for XCLAIM")?);
            }
            Some(v) if is(opt, "retrycount") => {
                let n = int_or(v, "ERR Invalid RETRYCOUNT option argument for XCLAIM")?;
                o.retry_count = u64::try_from(n).ok();
            }
            Some(v) if is(opt, "lastid") => o.last_id = parse_id(v)?,
            _ => {
                let name = opt.split(|&c| c == 0).next().unwrap_or_default();
                return Err(Error::msg(format!(
                    "ERR Unrecognized XCLAIM option '{}'",
                    String::from_utf8_lossy(name)
                )));
            }
        }
        i += if is(opt, "force") || is(opt, "justid") {
            1
        } else {
            2
        };
    }
    Ok(o)
}

/// What a claim did: the IDs given to the claimer, whether it had to be
/// created, and how many PEL changes were made.
#[derive(Default)]
struct Claimed {
    ids: Vec<StreamId>,
    created: bool,
    changes: u64,
}

/// XCLAIM's work on group `g`: each ID still in the stream (`exists`)
/// and idle long enough goes to `consumer`; IDs gone from the stream
/// leave the PEL.
fn claim_ids(
    g: &mut Group,
    ids: &[(StreamId, bool)],
    consumer: &[u8],
    min_idle: i64,
    o: &ClaimOpts,
    now: i64,
) -> Claimed {
    let name = Bytes::copy_from_slice(consumer);
    let time = match o.delivery_time {
        Some(t) if (0..=now).contains(&t) => t,
        _ => now,
    };
    let mut out = Claimed::default();
    let mut have_consumer = false;
    for &(id, exists) in ids {
        if !exists {
            out.changes += u64::from(g.ack(id));
            continue;
        }
        let forced = o.force && !g.pel.contains_key(&id);
        if !forced {
            let Some(nack) = g.pel.get(&id) else {
                continue;
            };
            if min_idle != 0 && now.saturating_sub(nack.delivery_time) < min_idle {
                continue;
            }
        }
        if !have_consumer {
            out.created = g.claimer(consumer, now);
            have_consumer = true;
        }
        if forced {
            g.force_pending(id, &name, now);
        }
        g.claim(id, &name, time, o.retry_count, !o.justid);
        out.ids.push(id);
        out.changes += 1;
    }
    out
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
pub(super) fn xclaim(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (key, name, consumer) = (argv[1], argv[2], argv[3]);
    let now = ctx.now;
    let found = ctx
        .db()
        .get::<Stream>(key, now)?
        .is_some_and(|s| s.groups.contains_key(name));
    if !found {
        return Err(no_key_or_group(key, name, ""));
    }
    let min_idle = int_or(argv[4], "ERR Invalid min-idle-time argument for XCLAIM")?.max(0);
    // IDs run up to the first argument that is not one; options follow.
    let nids = argv[5..].iter().take_while(|a| parse_id(a).is_ok()).count();
    let ids: Vec<StreamId> = argv[5..5 + nids]
        .iter()
        .filter_map(|a| parse_id(a).ok())
        .collect();
    let now_ms = now.ms();
    let o = parse_claim_opts(&argv[5 + nids..], now_ms)?;
    let Some(s) = ctx.db().get_mut::<Stream>(key, now)? else {
        return Err(no_key_or_group(key, name, ""));
    };
    let ids: Vec<(StreamId, bool)> = ids.into_iter().map(|id| (id, s.contains(id))).collect();
    let Some(g) = s.groups.get_mut(name) else {
        return Err(no_key_or_group(key, name, ""));
    };
    g.last_id = g.last_id.max(o.last_id);
    let done = claim_ids(g, &ids, consumer, min_idle, &o, now_ms);
    let reply = done
        .ids
        .iter()
        .map(|&id| match (o.justid, s.get(id)) {
            (false, Some(f)) => entry_frame(id, f),
            _ => id_frame(id),
        })
        .collect();
    finish(ctx, key, &done);
    Ok(Frame::Array(reply))
}

/// Counts the changes and announces a created consumer.
fn finish(ctx: &mut Ctx, key: &[u8], done: &Claimed) {
    if done.created {
        ctx.dirty(1);
        ctx.notify(notify::STREAM, "xgroup-createconsumer", key);
    }
    ctx.dirty(done.changes);
}

/// XAUTOCLAIM's COUNT and JUSTID.
fn parse_autoclaim_opts(opts: &[&[u8]]) -> Result<(usize, bool), Error> {
    let (mut count, mut justid) = (100usize, false);
    let mut j = 0;
    while j < opts.len() {
        if is(opts[j], "count") && j + 1 < opts.len() {
            // COUNT times the attempts factor (and Redis's ID buffer) must fit.
            count = match parse_i64(opts[j + 1]) {
                Some(n) if (1..=i64::MAX / 16).contains(&n) => n as usize,
                _ => return Err(Error::err("ERR COUNT must be > 0")),
            };
            j += 1;
        } else if is(opts[j], "justid") {
            justid = true;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    Ok((count, justid))
}

/// XAUTOCLAIM's walk of the PEL from `start`: up to `count` entries
/// (claimed or found deleted) within ten times as many looked at. Returns
/// the claim, the deleted IDs and the cursor to continue from.
fn autoclaim_walk(
    s: &mut Stream,
    group: &[u8],
    consumer: &[u8],
    start: StreamId,
    (mut count, justid): (usize, bool),
    min_idle: i64,
    now: i64,
) -> (Claimed, Vec<StreamId>, StreamId) {
    let name = Bytes::copy_from_slice(consumer);
    let (mut out, mut deleted) = (Claimed::default(), Vec::new());
    let (mut attempts, mut from, mut have_consumer) =
        (count.saturating_mul(10), Bound::Included(start), false);
    while attempts > 0 && count > 0 {
        attempts -= 1;
        let Some(g) = s.groups.get(group) else { break };
        let Some((&id, nack)) = g.pel.range((from, Bound::Unbounded)).next() else {
            return (out, deleted, StreamId::ZERO);
        };
        from = Bound::Excluded(id);
        let idle = now.saturating_sub(nack.delivery_time);
        let exists = s.contains(id);
        let Some(g) = s.groups.get_mut(group) else {
            break;
        };
        if !exists {
            g.ack(id);
            deleted.push(id);
            out.changes += 1;
            count -= 1;
            continue;
        }
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        if !have_consumer {
            out.created = g.claimer(consumer, now);
            have_consumer = true;
        }
        g.claim(id, &name, now, None, !justid);
        out.ids.push(id);
        out.changes += 1;
        count -= 1;
    }
    let next = s
        .groups
        .get(group)
        .and_then(|g| g.pel.range((from, Bound::Unbounded)).next())
        .map_or(StreamId::ZERO, |(id, _)| *id);
    (out, deleted, next)
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub(super) fn xautoclaim(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (key, name, consumer) = (argv[1], argv[2], argv[3]);
    let min_idle = int_or(argv[4], "ERR Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let start = range_start(argv[5])?;
    let opts = parse_autoclaim_opts(&argv[6..])?;
    let now = ctx.now;
    let now_ms = now.ms();
    let found = ctx
        .db()
        .get::<Stream>(key, now)?
        .is_some_and(|s| s.groups.contains_key(name));
    let Some(s) = ctx.db().get_mut::<Stream>(key, now)?.filter(|_| found) else {
        return Err(no_key_or_group(key, name, ""));
    };
    // Redis allocates 16 bytes per COUNT for deleted IDs up front; beyond
    // the 128 TiB a process can address, that allocation fails.
    if opts.0 > (1 << 47) / 16 {
        return Err(Error::err(
            "ERR Insufficient memory, failed allocating transient memory, COUNT too high.",
        ));
    }
    let (done, deleted, next) = autoclaim_walk(s, name, consumer, start, opts, min_idle, now_ms);
    let claimed = done
        .ids
        .iter()
        .map(|&id| match (opts.1, s.get(id)) {
            (false, Some(f)) => entry_frame(id, f),
            _ => id_frame(id),
        })
        .collect();
    finish(ctx, key, &done);
    Ok(Frame::Array(vec![
        id_frame(next),
        Frame::Array(claimed),
        Frame::Array(deleted.into_iter().map(id_frame).collect()),
    ]))
}
