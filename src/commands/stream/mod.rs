//! Stream commands: XADD, XRANGE, XREAD, consumer groups and friends
//! (Redis 7.0 semantics, plus XDELEX, XACKDEL and the reference
//! policies of Redis 8.2).
//!
//! - [`write`]: XADD, XTRIM, XDEL, XSETID.
//! - [`range`]: XRANGE, XREVRANGE, XLEN.
//! - [`read`]: XREAD and XREADGROUP, blocking included.
//! - [`groups`]: XGROUP, XACK, XPENDING.
//! - [`claim`]: XCLAIM, XAUTOCLAIM.
//! - [`delete`]: XDELEX, XACKDEL (Redis 8.2).
//! - [`info`]: XINFO STREAM, GROUPS, CONSUMERS, HELP.
//!
//! This file holds the table and what they share: ID parsing with Redis's
//! exact rules and errors, and entry replies.

mod claim;
mod delete;
mod groups;
mod info;
mod range;
mod read;
#[cfg(test)]
mod tests;
mod write;

use bytes::Bytes;

use super::flags::*;
use super::traits::CACHEABLE;
use super::{Command, Ctx, Group, Timeout};
use crate::engine::stream::{NodeLimits, StreamId};
use crate::error::Error;
use crate::num::parse_i64;
use crate::resp::Frame;

const X: Group = Group::Stream;

const XINFO_SUBCOMMANDS: &[Command] = &[
    Command::new("xinfo|consumers", 4, READONLY, X, info::xinfo_consumers)
        .reply("parse_list_of_dicts")
        .keys(2, 2, 1),
    Command::new("xinfo|groups", 3, READONLY, X, info::xinfo_groups)
        .reply("parse_list_of_dicts")
        .keys(2, 2, 1),
    Command::new("xinfo|stream", -3, READONLY, X, info::xinfo_stream)
        .reply("parse_xinfo_stream")
        .keys(2, 2, 1),
    Command::new("xinfo|help", 2, LOADING | STALE, X, info::xinfo_help),
];

const XGROUP_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "xgroup|create",
        -5,
        WRITE | DENYOOM,
        X,
        groups::xgroup_create,
    )
    .reply("OK")
    .keys(2, 2, 1),
    Command::new("xgroup|setid", -5, WRITE, X, groups::xgroup_setid)
        .reply("OK")
        .keys(2, 2, 1),
    Command::new("xgroup|destroy", 4, WRITE, X, groups::xgroup_destroy)
        .reply("BOOL")
        .keys(2, 2, 1),
    Command::new(
        "xgroup|createconsumer",
        5,
        WRITE | DENYOOM,
        X,
        groups::xgroup_createconsumer,
    )
    .keys(2, 2, 1),
    Command::new(
        "xgroup|delconsumer",
        5,
        WRITE,
        X,
        groups::xgroup_delconsumer,
    )
    .keys(2, 2, 1),
    Command::new("xgroup|help", 2, LOADING | STALE, X, groups::xgroup_help),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("xadd", -5, WRITE | DENYOOM | FAST, X, write::xadd).keys(1, 1, 1),
    Command::new("xtrim", -4, WRITE, X, write::xtrim).keys(1, 1, 1),
    Command::new("xdel", -3, WRITE | FAST, X, write::xdel).keys(1, 1, 1),
    Command::new("xdelex", -5, WRITE | FAST, X, delete::xdelex).keys(1, 1, 1),
    Command::new("xackdel", -6, WRITE | FAST, X, delete::xackdel).keys(1, 1, 1),
    Command::new("xsetid", -3, WRITE | DENYOOM | FAST, X, write::xsetid)
        .status()
        .keys(1, 1, 1),
    Command::new("xrange", -4, READONLY, X, range::xrange)
        .traits(CACHEABLE)
        .reply("parse_stream_list")
        .keys(1, 1, 1),
    Command::new("xrevrange", -4, READONLY, X, range::xrevrange)
        .traits(CACHEABLE)
        .reply("parse_stream_list")
        .keys(1, 1, 1),
    Command::new("xlen", 2, READONLY | FAST, X, range::xlen)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("xread", -4, READONLY | BLOCKING, X, read::xread)
        .traits(CACHEABLE)
        .reply2("parse_xread")
        .reply3("parse_xread_resp3")
        .reply_unified2("parse_xread_unified")
        .reply_unified3("parse_xread_unified")
        .keys(0, 0, 0)
        .movable(xread_keys)
        .timeout(Timeout::KeywordMs("block")),
    Command::new("xreadgroup", -7, WRITE | BLOCKING, X, read::xreadgroup)
        .reply2("parse_xread")
        .reply3("parse_xread_resp3")
        .reply_unified2("parse_xread_unified")
        .reply_unified3("parse_xread_unified")
        .keys(0, 0, 0)
        .movable(xread_keys)
        .timeout(Timeout::KeywordMs("block")),
    Command::new("xack", -4, WRITE | FAST, X, groups::xack).keys(1, 1, 1),
    Command::new("xpending", -3, READONLY, X, groups::xpending)
        .traits(CACHEABLE)
        .reply("parse_xpending")
        .keys(1, 1, 1),
    Command::new("xclaim", -6, WRITE | FAST, X, claim::xclaim)
        .reply("parse_xclaim")
        .keys(1, 1, 1),
    Command::new("xautoclaim", -6, WRITE | FAST, X, claim::xautoclaim)
        .reply("parse_xautoclaim")
        .keys(1, 1, 1),
    Command::new("xinfo", -2, 0, X, super::server::container).subcommands(XINFO_SUBCOMMANDS),
    Command::new("xgroup", -2, 0, X, super::server::container).subcommands(XGROUP_SUBCOMMANDS),
];

/// XREAD / XREADGROUP keys: the first half of the arguments after the
/// STREAMS option (which may also be a group, consumer or key name, so
/// the options before it are skipped by their arity).
fn xread_keys(argv: &[&[u8]]) -> Vec<usize> {
    let mut i = 1;
    let mut streams = None;
    while i < argv.len() {
        let a = argv[i];
        if a.eq_ignore_ascii_case(b"block") || a.eq_ignore_ascii_case(b"count") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"group") {
            i += 3;
        } else if a.eq_ignore_ascii_case(b"noack") {
            i += 1;
        } else {
            if a.eq_ignore_ascii_case(b"streams") {
                streams = Some(i);
            }
            break;
        }
    }
    let Some(pos) = streams else {
        return Vec::new();
    };
    let rest = argv.len() - pos - 1;
    if rest == 0 || rest % 2 != 0 {
        return Vec::new();
    }
    (pos + 1..pos + 1 + rest / 2).collect()
}

/// `ERR Invalid stream ID specified as stream command argument`
pub(super) fn invalid_id() -> Error {
    Error::err("ERR Invalid stream ID specified as stream command argument")
}

/// Redis's `string2ull`: a strict decimal first; failing that, C's
/// `strtoull` (leading spaces, a sign, leading zeros; a minus wraps).
fn parse_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = s
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .count();
    let mut negative = false;
    if let Some(&sign @ (b'+' | b'-')) = s.get(i) {
        negative = sign == b'-';
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// How an ID argument may be written.
#[derive(Clone, Copy)]
pub(super) struct IdRules {
    /// The sequence of an ID given as `<ms>` alone.
    pub missing_seq: u64,
    /// Reject `-` and `+`.
    pub strict: bool,
    /// Accept `<ms>-*` (XADD).
    pub seq_star: bool,
}

/// Strict rules with a missing sequence of 0 (most ID arguments).
pub(super) const STRICT: IdRules = IdRules {
    missing_seq: 0,
    strict: true,
    seq_star: false,
};

/// Parses a stream ID; the flag is false for `<ms>-*`.
pub(super) fn parse_id_with(arg: &[u8], rules: IdRules) -> Result<(StreamId, bool), Error> {
    if arg.len() > 127 {
        return Err(invalid_id());
    }
    // Redis parses a C string: anything from a NUL byte on is ignored.
    let s = arg.split(|&c| c == 0).next().unwrap_or_default();
    match s {
        b"-" | b"+" if rules.strict => return Err(invalid_id()),
        b"-" => return Ok((StreamId::ZERO, true)),
        b"+" => return Ok((StreamId::MAX, true)),
        _ => {}
    }
    let (ms, seq) = match s.iter().position(|&c| c == b'-') {
        Some(dash) => (&s[..dash], Some(&s[dash + 1..])),
        None => (s, None),
    };
    let ms = parse_u64(ms).ok_or_else(invalid_id)?;
    match seq {
        Some(b"*") if rules.seq_star => Ok((StreamId::new(ms, 0), false)),
        Some(seq) => Ok((
            StreamId::new(ms, parse_u64(seq).ok_or_else(invalid_id)?),
            true,
        )),
        None => Ok((StreamId::new(ms, rules.missing_seq), true)),
    }
}

/// A strict ID (no `-`/`+`), sequence 0 when missing.
pub(super) fn parse_id(arg: &[u8]) -> Result<StreamId, Error> {
    parse_id_with(arg, STRICT).map(|(id, _)| id)
}

/// A range bound: `-`, `+`, an ID (an incomplete one gets `missing_seq`),
/// or `(ID` for an exclusive bound (returned with `true`).
pub(super) fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Error> {
    if arg.len() > 1 && arg[0] == b'(' {
        let rules = IdRules {
            missing_seq,
            ..STRICT
        };
        return parse_id_with(&arg[1..], rules).map(|(id, _)| (id, true));
    }
    let rules = IdRules {
        missing_seq,
        strict: false,
        seq_star: false,
    };
    parse_id_with(arg, rules).map(|(id, _)| (id, false))
}

/// A range's start: inclusive from an exclusive `(ID`.
pub(super) fn range_start(arg: &[u8]) -> Result<StreamId, Error> {
    match parse_interval(arg, 0)? {
        (id, false) => Ok(id),
        (id, true) => id
            .next()
            .ok_or(Error::err("ERR invalid start ID for the interval")),
    }
}

/// A range's end: inclusive from an exclusive `(ID`; an incomplete ID
/// covers its whole millisecond.
pub(super) fn range_end(arg: &[u8]) -> Result<StreamId, Error> {
    match parse_interval(arg, u64::MAX)? {
        (id, false) => Ok(id),
        (id, true) => id
            .prev()
            .ok_or(Error::err("ERR invalid end ID for the interval")),
    }
}

/// An ID as a bulk string.
pub(super) fn id_frame(id: StreamId) -> Frame {
    Frame::Bulk(id.to_bytes())
}

/// One entry as `[id, [field, value, ...]]`.
pub(super) fn entry_frame(id: StreamId, fields: &[Bytes]) -> Frame {
    Frame::Array(vec![
        id_frame(id),
        Frame::Array(fields.iter().map(|f| Frame::Bulk(f.clone())).collect()),
    ])
}

/// The node limits XADD uses (stream-node-max-bytes/-entries).
pub(super) fn node_limits(ctx: &Ctx) -> NodeLimits {
    let get = |name: &str, default: u64| {
        ctx.store
            .config
            .extra
            .get(name)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(default)
    };
    NodeLimits::new(
        get("stream-node-max-bytes", 4096),
        get("stream-node-max-entries", 100),
    )
}

/// An error whose text embeds user bytes (key or group names) as Redis's
/// `%s` does: up to a NUL byte, with line breaks made spaces. `parts`
/// alternate fixed text and user text.
pub(super) fn error_with(parts: &[&[u8]]) -> Error {
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let part = if i % 2 == 1 {
            part.split(|&c| c == 0).next().unwrap_or_default()
        } else {
            part
        };
        out.extend(part.iter().map(|&c| match c {
            b'\r' | b'\n' => b' ',
            c => c,
        }));
    }
    Error::msg(String::from_utf8_lossy(&out).into_owned())
}

/// `NOGROUP No such key '<key>' or consumer group '<group>'<suffix>`
pub(super) fn no_key_or_group(key: &[u8], group: &[u8], suffix: &str) -> Error {
    error_with(&[
        b"NOGROUP No such key '",
        key,
        b"' or consumer group '",
        group,
        format!("'{suffix}").as_bytes(),
    ])
}

/// Validates an options-free arity-checked `<cmd> HELP`: the reply lines.
pub(super) fn help(argv: &[&[u8]], lines: &[&str]) -> Frame {
    super::server::help_reply(argv[0], lines)
}
