//! XINFO STREAM, XINFO GROUPS, XINFO CONSUMERS, XINFO HELP.

use bytes::Bytes;

use super::super::args::is;
use super::super::Ctx;
use super::groups::subcommand_syntax;
use super::{entry_frame, error_with, help, id_frame};
use crate::engine::stream::{Group, Meta, Stream, StreamId, INVALID_ENTRIES_READ};
use crate::error::{CmdResult, Error};
use crate::num::parse_i64;
use crate::resp::Frame;

fn field(name: &'static str, value: Frame) -> (Frame, Frame) {
    (Frame::Bulk(Bytes::from_static(name.as_bytes())), value)
}

fn int(n: u64) -> Frame {
    Frame::Integer(n as i64)
}

/// The stream under `key`, or `ERR no such key`.
fn stream<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<&'a Stream, Error> {
    let now = ctx.now;
    ctx.db().get::<Stream>(key, now)?.ok_or(Error::NoSuchKey)
}

/// XINFO HELP
pub(super) fn xinfo_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(help(
        argv,
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    ))
}

/// XINFO CONSUMERS key group
pub(super) fn xinfo_consumers(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (key, name) = (argv[2], argv[3]);
    let now_ms = ctx.now.ms();
    let s = stream(ctx, key)?;
    let Some(g) = s.groups.get(name) else {
        return Err(error_with(&[
            b"NOGROUP No such consumer group '",
            name,
            b"' for key name '",
            key,
            b"'",
        ]));
    };
    let consumers = g
        .consumers
        .iter()
        .map(|(name, c)| {
            Frame::Map(vec![
                field("name", Frame::Bulk(name.clone())),
                field("pending", int(c.pel.len() as u64)),
                field(
                    "idle",
                    Frame::Integer(now_ms.saturating_sub(c.seen_time).max(0)),
                ),
            ])
        })
        .collect();
    Ok(Frame::Array(consumers))
}

/// `entries-read` and `lag` of a group.
fn read_counters(meta: &Meta, g: &Group) -> [(Frame, Frame); 2] {
    let read = match g.entries_read {
        INVALID_ENTRIES_READ => Frame::Null,
        n => Frame::Integer(n),
    };
    let lag = meta.lag(g).map_or(Frame::Null, Frame::Integer);
    [field("entries-read", read), field("lag", lag)]
}

/// XINFO GROUPS key
pub(super) fn xinfo_groups(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let s = stream(ctx, argv[2])?;
    let meta = s.meta();
    let groups = s
        .groups
        .iter()
        .map(|(name, g)| {
            let mut fields = vec![
                field("name", Frame::Bulk(name.clone())),
                field("consumers", int(g.consumers.len() as u64)),
                field("pending", int(g.pel.len() as u64)),
                field("last-delivered-id", id_frame(g.last_id)),
            ];
            fields.extend(read_counters(&meta, g));
            Frame::Map(fields)
        })
        .collect();
    Ok(Frame::Array(groups))
}

/// XINFO STREAM key [FULL [COUNT count]]
pub(super) fn xinfo_stream(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let key = argv[2];
    let opts = &argv[3..];
    stream(ctx, key)?;
    let full = match opts.len() {
        0 => None,
        1 | 3 if is(opts[0], "full") => match opts.get(1) {
            None => Some(10),
            Some(c) if is(c, "count") => {
                let n = parse_i64(opts[2]).ok_or(Error::NotInteger)?;
                Some(if n < 0 { 10 } else { n as usize })
            }
            Some(_) => return Err(subcommand_syntax(argv)),
        },
        _ => return Err(subcommand_syntax(argv)),
    };
    let s = stream(ctx, key)?;
    let mut fields = vec![
        field("length", int(s.len())),
        field("radix-tree-keys", int(s.rax_keys())),
        field("radix-tree-nodes", int(s.rax_nodes())),
        field("last-generated-id", id_frame(s.last_id)),
        field("max-deleted-entry-id", id_frame(s.max_deleted)),
        field("entries-added", int(s.entries_added)),
        field("recorded-first-entry-id", id_frame(s.first_id)),
    ];
    match full {
        None => {
            let edge = |e: Option<(StreamId, &[Bytes])>| {
                e.map_or(Frame::Null, |(id, f)| entry_frame(id, f))
            };
            fields.push(field("groups", int(s.groups.len() as u64)));
            fields.push(field("first-entry", edge(s.first_entry())));
            fields.push(field("last-entry", edge(s.last_entry())));
        }
        Some(count) => {
            let limit = if count == 0 { usize::MAX } else { count };
            let entries = s
                .range(StreamId::ZERO, StreamId::MAX, false)
                .take(limit)
                .map(|(id, f)| entry_frame(id, f))
                .collect();
            fields.push(field("entries", Frame::Array(entries)));
            let meta = s.meta();
            let groups = s
                .groups
                .iter()
                .map(|(name, g)| full_group(&meta, name, g, limit))
                .collect();
            fields.push(field("groups", Frame::Array(groups)));
        }
    }
    Ok(Frame::Map(fields))
}

/// One group of XINFO STREAM FULL, PELs cut at `limit` entries.
fn full_group(meta: &Meta, name: &Bytes, g: &Group, limit: usize) -> Frame {
    let pending = g
        .pel
        .iter()
        .take(limit)
        .map(|(id, n)| {
            Frame::Array(vec![
                id_frame(*id),
                Frame::Bulk(n.consumer.clone()),
                Frame::Integer(n.delivery_time),
                int(n.delivery_count),
            ])
        })
        .collect();
    let consumers = g
        .consumers
        .iter()
        .map(|(cname, c)| {
            let pending = c
                .pel
                .iter()
                .take(limit)
                .filter_map(|id| {
                    let n = g.pel.get(id)?;
                    Some(Frame::Array(vec![
                        id_frame(*id),
                        Frame::Integer(n.delivery_time),
                        int(n.delivery_count),
                    ]))
                })
                .collect();
            Frame::Map(vec![
                field("name", Frame::Bulk(cname.clone())),
                field("seen-time", Frame::Integer(c.seen_time)),
                field("pel-count", int(c.pel.len() as u64)),
                field("pending", Frame::Array(pending)),
            ])
        })
        .collect();
    let mut fields = vec![
        field("name", Frame::Bulk(name.clone())),
        field("last-delivered-id", id_frame(g.last_id)),
    ];
    fields.extend(read_counters(meta, g));
    fields.push(field("pel-count", int(g.pel.len() as u64)));
    fields.push(field("pending", Frame::Array(pending)));
    fields.push(field("consumers", Frame::Array(consumers)));
    Frame::Map(fields)
}
