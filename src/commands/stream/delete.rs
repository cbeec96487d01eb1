//! XDELEX and XACKDEL (Redis 8.2): deletion that knows about consumer
//! groups' references to the entries (KEEPREF, DELREF, ACKED).

use super::super::args;
use super::super::Ctx;
use super::parse_id;
use super::write::ref_policy;
use crate::engine::notify;
use crate::engine::stream::{RefPolicy, Stream, StreamId};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

/// The entry was deleted from the stream.
const DELETED: i64 = 1;
/// No such entry (or, for XACKDEL, it was not pending in the group).
const NO_ID: i64 = -1;
/// ACKED kept the entry: a group still needs it.
const STILL_REFERENCED: i64 = 2;

/// The `[KEEPREF|DELREF|ACKED] IDS numids id...` part, from `argv[from]`.
fn parse_policy_and_ids(argv: &[&[u8]], from: usize) -> Result<(RefPolicy, Vec<StreamId>), Error> {
    let mut policy = RefPolicy::KeepRef;
    let mut ids = None;
    let mut i = from;
    while i < argv.len() {
        if let Some(p) = ref_policy(argv[i]) {
            policy = p;
            i += 1;
        } else if args::is(argv[i], "ids") && i + 1 < argv.len() && ids.is_none() {
            let n = args::int(argv[i + 1])
                .ok()
                .filter(|&n| n > 0)
                .ok_or(Error::err("ERR Number of IDs must be a positive integer"))?;
            let first = i + 2;
            let end = usize::try_from(n)
                .ok()
                .and_then(|n| first.checked_add(n))
                .filter(|&end| end <= argv.len())
                .ok_or(Error::err(
                    "ERR The `numids` parameter must match the number of arguments",
                ))?;
            ids = Some(&argv[first..end]);
            i = end;
        } else {
            return Err(Error::Syntax);
        }
    }
    let ids = ids.ok_or(Error::Syntax)?;
    let ids = ids.iter().map(|a| parse_id(a)).collect::<Result<_, _>>()?;
    Ok((policy, ids))
}

/// Deletes `id` from `s` under `policy`: [`DELETED`], [`NO_ID`] or
/// [`STILL_REFERENCED`]; the flag says whether anything changed.
fn delete_one(s: &mut Stream, id: StreamId, policy: RefPolicy) -> (i64, bool) {
    let mut changed = false;
    match policy {
        RefPolicy::Acked if s.is_referenced(id) => return (STILL_REFERENCED, false),
        RefPolicy::DelRef => changed = s.drop_refs(id),
        _ => {}
    }
    if s.delete(&[id]) > 0 {
        (DELETED, true)
    } else {
        (NO_ID, changed)
    }
}

/// Replies, notifies and counts the changes of one XDELEX / XACKDEL.
fn finish(ctx: &mut Ctx, key: &[u8], codes: Vec<i64>, deleted: u64, changes: u64) -> CmdResult {
    if deleted > 0 {
        ctx.modified(key, notify::STREAM, "xdel");
        ctx.dirty(changes.saturating_sub(1));
    } else if changes > 0 {
        // Only PEL references went: a write to replicate, not an event.
        ctx.dirty(changes);
    }
    Ok(Frame::Array(
        codes.into_iter().map(Frame::Integer).collect(),
    ))
}

/// XDELEX key [KEEPREF|DELREF|ACKED] IDS numids id [id ...]
pub(super) fn xdelex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (policy, ids) = parse_policy_and_ids(argv, 2)?;
    let key = argv[1];
    let now = ctx.now;
    let Some(s) = ctx.db().get_mut::<Stream>(key, now)? else {
        return Ok(Frame::Array(vec![Frame::Integer(NO_ID); ids.len()]));
    };
    let (mut deleted, mut changes) = (0, 0);
    let codes = ids
        .into_iter()
        .map(|id| {
            let (code, changed) = delete_one(s, id, policy);
            deleted += u64::from(code == DELETED);
            changes += u64::from(changed);
            code
        })
        .collect();
    finish(ctx, key, codes, deleted, changes)
}

/// XACKDEL key group [KEEPREF|DELREF|ACKED] IDS numids id [id ...]
///
/// Each ID pending in the group is acknowledged, then deleted as XDELEX
/// would; an ID that was not pending is left alone and answers -1, as do
/// all of them when the key or the group does not exist.
pub(super) fn xackdel(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (key, group) = (argv[1], argv[2]);
    let now = ctx.now;
    let exists = ctx.db().get::<Stream>(key, now)?.is_some();
    let (policy, ids) = parse_policy_and_ids(argv, 3)?;
    let s = match ctx.db().get_mut::<Stream>(key, now)? {
        Some(s) if exists && s.groups.contains_key(group) => s,
        _ => return Ok(Frame::Array(vec![Frame::Integer(NO_ID); ids.len()])),
    };
    let (mut deleted, mut changes) = (0, 0);
    let codes = ids
        .into_iter()
        .map(|id| {
            let acked = s.groups.get_mut(group).is_some_and(|g| g.ack(id));
            if !acked {
                return NO_ID;
            }
            changes += 1;
            let (code, _) = delete_one(s, id, policy);
            deleted += u64::from(code == DELETED);
            code
        })
        .collect();
    finish(ctx, key, codes, deleted, changes)
}
