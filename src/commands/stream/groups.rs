//! XGROUP, XACK, XPENDING.

use bytes::Bytes;

use super::super::args::{self, is};
use super::super::Ctx;
use super::{
    error_with, help, id_frame, no_key_or_group, parse_id, parse_id_with, range_end, range_start,
    IdRules,
};
use crate::engine::notify;
use crate::engine::stream::{Group, Stream, StreamId, INVALID_ENTRIES_READ};
use crate::engine::value::Value;
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP.`
pub(super) fn subcommand_syntax(argv: &[&[u8]]) -> Error {
    let sub = &argv[1][..argv[1].len().min(128)];
    let cmd = argv[0].to_ascii_uppercase();
    error_with(&[
        b"ERR unknown subcommand or wrong number of arguments for '",
        sub,
        b"'. Try ",
        &cmd,
        b" HELP.",
    ])
}

/// XGROUP HELP
pub(super) fn xgroup_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(help(
        argv,
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    ))
}

/// What every XGROUP subcommand checks first, in Redis's order: the
/// CREATE/SETID options, the key's type, the key's existence (unless
/// MKSTREAM) and, except for CREATE and DESTROY, the group's.
struct Prelude {
    mkstream: bool,
    entries_read: i64,
    exists: bool,
    last_id: StreamId,
}

fn prelude(ctx: &mut Ctx, argv: &[&[u8]]) -> Result<Prelude, Error> {
    let sub = argv[1];
    let (create, setid) = (is(sub, "create"), is(sub, "setid"));
    let (mut mkstream, mut entries_read) = (false, INVALID_ENTRIES_READ);
    let mut i = 5;
    while i < argv.len() {
        if create && is(argv[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is(argv[i], "entriesread") && i + 1 < argv.len() {
            entries_read = args::int(argv[i + 1])?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Err(Error::err(
                    "ERR value for ENTRIESREAD must be positive or -1",
                ));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax(argv));
        }
    }
    let (key, name) = (argv[2], argv[3]);
    let now = ctx.now;
    let (exists, has_group, last_id) = match ctx.db().get_mut::<Stream>(key, now)? {
        Some(s) => (true, s.groups.contains_key(name), s.last_id),
        None => (false, false, StreamId::ZERO),
    };
    if !mkstream {
        if !exists {
            return Err(Error::err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."));
        }
        if !has_group && !create && !is(sub, "destroy") {
            return Err(error_with(&[
                b"NOGROUP No such consumer group '",
                name,
                b"' for key name '",
                key,
                b"'",
            ]));
        }
    }
    Ok(Prelude {
        mkstream,
        entries_read,
        exists,
        last_id,
    })
}

/// An ID argument where `$` means the stream's last ID.
fn id_or_last(arg: &[u8], last_id: StreamId, strict: bool) -> Result<StreamId, Error> {
    if arg.split(|&c| c == 0).next() == Some(b"$") {
        return Ok(last_id);
    }
    let rules = IdRules {
        missing_seq: 0,
        strict,
        seq_star: false,
    };
    parse_id_with(arg, rules).map(|(id, _)| id)
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
pub(super) fn xgroup_create(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let p = prelude(ctx, argv)?;
    if argv.len() > 8 {
        return Err(subcommand_syntax(argv));
    }
    let (key, name) = (argv[2], argv[3]);
    let id = id_or_last(argv[4], p.last_id, true)?;
    let now = ctx.now;
    let s = ctx
        .db()
        .get_or_create::<Stream>(key, now, || Value::Stream(Box::default()))?;
    if s.groups.contains_key(name) {
        return Err(Error::err("BUSYGROUP Consumer Group name already exists"));
    }
    s.groups
        .insert(Bytes::copy_from_slice(name), Group::new(id, p.entries_read));
    if !p.exists && p.mkstream {
        ctx.db().touch(key);
    }
    ctx.dirty(1);
    ctx.notify(notify::STREAM, "xgroup-create", key);
    Ok(Frame::ok())
}

/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
pub(super) fn xgroup_setid(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let p = prelude(ctx, argv)?;
    if argv.len() != 5 && argv.len() != 7 {
        return Err(subcommand_syntax(argv));
    }
    let (key, name) = (argv[2], argv[3]);
    let id = id_or_last(argv[4], p.last_id, false)?;
    if let Some(g) = stream_mut(ctx, key)?.groups.get_mut(name) {
        g.last_id = id;
        g.entries_read = p.entries_read;
    }
    ctx.dirty(1);
    ctx.notify(notify::STREAM, "xgroup-setid", key);
    Ok(Frame::ok())
}

/// XGROUP DESTROY key group
pub(super) fn xgroup_destroy(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    prelude(ctx, argv)?;
    let key = argv[2];
    if stream_mut(ctx, key)?.groups.remove(argv[3]).is_none() {
        return Ok(Frame::Integer(0));
    }
    ctx.dirty(1);
    ctx.notify(notify::STREAM, "xgroup-destroy", key);
    Ok(Frame::Integer(1))
}

/// XGROUP CREATECONSUMER key group consumer
pub(super) fn xgroup_createconsumer(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    prelude(ctx, argv)?;
    let now_ms = ctx.now.ms();
    let created = stream_mut(ctx, argv[2])?
        .groups
        .get_mut(argv[3])
        .is_some_and(|g| g.create_consumer(argv[4], now_ms));
    if created {
        ctx.dirty(1);
        ctx.notify(notify::STREAM, "xgroup-createconsumer", argv[2]);
    }
    Ok(Frame::from_bool(created))
}

/// XGROUP DELCONSUMER key group consumer
pub(super) fn xgroup_delconsumer(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    prelude(ctx, argv)?;
    let pending = stream_mut(ctx, argv[2])?
        .groups
        .get_mut(argv[3])
        .and_then(|g| g.delete_consumer(argv[4]));
    if pending.is_some() {
        ctx.dirty(1);
        ctx.notify(notify::STREAM, "xgroup-delconsumer", argv[2]);
    }
    Ok(Frame::Integer(pending.unwrap_or(0) as i64))
}

/// The stream under `key`, which the caller checked exists.
fn stream_mut<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<&'a mut Stream, Error> {
    let now = ctx.now;
    ctx.db()
        .get_mut::<Stream>(key, now)?
        .ok_or(Error::NoSuchKey)
}

/// XACK key group id [id ...]
pub(super) fn xack(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (key, name) = (argv[1], argv[2]);
    let now = ctx.now;
    let found = ctx
        .db()
        .get::<Stream>(key, now)?
        .is_some_and(|s| s.groups.contains_key(name));
    if !found {
        return Ok(Frame::Integer(0));
    }
    let ids = argv[3..]
        .iter()
        .map(|a| parse_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(g) = stream_mut(ctx, key)?.groups.get_mut(name) else {
        return Ok(Frame::Integer(0));
    };
    let acked = ids.into_iter().filter(|&id| g.ack(id)).count() as u64;
    ctx.dirty(acked);
    Ok(Frame::Integer(acked as i64))
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
pub(super) fn xpending(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let argc = argv.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(Error::Syntax);
    }
    let mut range = None;
    if argc >= 6 {
        let mut first = 3;
        let mut min_idle = 0;
        if is(argv[3], "idle") {
            min_idle = args::int(argv[4])?;
            if argc < 8 {
                return Err(Error::Syntax);
            }
            first += 2;
        }
        let count = args::int(argv[first + 2])?.max(0) as usize;
        let start = range_start(argv[first])?;
        let end = range_end(argv[first + 1])?;
        let consumer = argv.get(first + 3).copied();
        range = Some((min_idle, start, end, count, consumer));
    }
    let (key, name) = (argv[1], argv[2]);
    let now = ctx.now;
    let Some(g) = ctx
        .db()
        .get::<Stream>(key, now)?
        .and_then(|s| s.groups.get(name))
    else {
        return Err(no_key_or_group(key, name, ""));
    };
    let Some((min_idle, start, end, count, consumer)) = range else {
        return Ok(pending_summary(g));
    };
    let ids: Box<dyn Iterator<Item = StreamId> + '_> = match consumer {
        Some(c) => match g.consumers.get(c) {
            Some(c) if start <= end => Box::new(c.pel.range(start..=end).copied()),
            Some(_) => Box::new(std::iter::empty()),
            None => return Ok(Frame::Array(Vec::new())),
        },
        None if start <= end => Box::new(g.pel.range(start..=end).map(|(id, _)| *id)),
        None => Box::new(std::iter::empty()),
    };
    let now_ms = now.ms();
    let mut out = Vec::new();
    for id in ids {
        if out.len() >= count {
            break;
        }
        let Some(nack) = g.pel.get(&id) else {
            continue;
        };
        let idle = now_ms.saturating_sub(nack.delivery_time);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        out.push(Frame::Array(vec![
            id_frame(id),
            Frame::Bulk(nack.consumer.clone()),
            Frame::Integer(idle.max(0)),
            Frame::Integer(nack.delivery_count as i64),
        ]));
    }
    Ok(Frame::Array(out))
}

/// XPENDING's summary: count, smallest and greatest pending IDs, and the
/// consumers with pending entries (counts as bulk strings).
fn pending_summary(g: &Group) -> Frame {
    let (Some((first, _)), Some((last, _))) = (g.pel.first_key_value(), g.pel.last_key_value())
    else {
        return Frame::Array(vec![
            Frame::Integer(0),
            Frame::Null,
            Frame::Null,
            Frame::NullArray,
        ]);
    };
    let consumers = g
        .consumers
        .iter()
        .filter(|(_, c)| !c.pel.is_empty())
        .map(|(name, c)| {
            Frame::Array(vec![
                Frame::Bulk(name.clone()),
                Frame::Bulk(Bytes::from(c.pel.len().to_string())),
            ])
        })
        .collect();
    Frame::Array(vec![
        Frame::Integer(g.pel.len() as i64),
        id_frame(*first),
        id_frame(*last),
        Frame::Array(consumers),
    ])
}
