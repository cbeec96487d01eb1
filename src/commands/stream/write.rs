//! XADD, XTRIM, XDEL, XSETID.

use super::super::args::{self, is};
use super::super::Ctx;
use super::{id_frame, node_limits, parse_id, parse_id_with, IdRules, STRICT};
use crate::engine::notify;
use crate::engine::stream::{AddError, NewId, RefPolicy, Stream, StreamId, Trim, TrimBy};
use crate::engine::value::Value;
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

/// The part of a C string before any NUL byte (how Redis compares
/// one-character options such as `*` and `~`).
fn c_str(arg: &[u8]) -> &[u8] {
    arg.split(|&c| c == 0).next().unwrap_or_default()
}

/// What XADD / XTRIM's options say.
struct AddTrimArgs {
    /// XADD's ID (and whether its sequence was given); `None` for `*`.
    id: Option<(StreamId, bool)>,
    /// Index of XADD's ID argument.
    id_pos: usize,
    nomkstream: bool,
    trim: Option<Trim>,
}

/// Parses XADD's (`xadd`) or XTRIM's options, with Redis's checks in
/// Redis's order.
fn parse_add_trim(ctx: &Ctx, argv: &[&[u8]], xadd: bool) -> Result<AddTrimArgs, Error> {
    const BOTH: &str =
        "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
    let mut out = AddTrimArgs {
        id: None,
        id_pos: argv.len(),
        nomkstream: false,
        trim: None,
    };
    let (mut by, mut approx, mut limit, mut limit_given) = (None, false, 0i64, false);
    let mut policy = RefPolicy::KeepRef;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv[i];
        if xadd && c_str(opt) == b"*" {
            out.id_pos = i;
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if by.is_some() {
                return Err(Error::err(BOTH));
            }
            approx = false;
            match c_str(argv[i + 1]) {
                b"~" if more >= 2 => {
                    approx = true;
                    i += 1;
                }
                b"=" if more >= 2 => i += 1,
                _ => {}
            }
            let arg = argv[i + 1];
            by = Some(if is(opt, "maxlen") {
                let n = args::int(arg)?;
                if n < 0 {
                    return Err(Error::err("ERR The MAXLEN argument must be >= 0."));
                }
                TrimBy::MaxLen(n as u64)
            } else {
                TrimBy::MinId(parse_id(arg)?)
            });
            i += 1;
        } else if is(opt, "limit") && more > 0 {
            limit = args::int(argv[i + 1])?;
            if limit < 0 {
                return Err(Error::err("ERR The LIMIT argument must be >= 0."));
            }
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            out.nomkstream = true;
        } else if let Some(p) = ref_policy(opt) {
            policy = p;
        } else if xadd {
            let rules = IdRules {
                seq_star: true,
                ..STRICT
            };
            out.id = Some(parse_id_with(opt, rules)?);
            out.id_pos = i;
            break;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    if limit != 0 && by.is_none() {
        return Err(Error::err(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && by.is_none() {
        return Err(Error::err(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    let limit = if limit_given {
        if !approx {
            return Err(Error::err(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
        limit as u64
    } else if approx {
        node_limits(ctx).default_trim_limit()
    } else {
        0
    };
    out.trim = by.map(|by| Trim {
        by,
        approx,
        limit,
        policy,
    });
    Ok(out)
}

/// KEEPREF, DELREF or ACKED (Redis 8.2), in any case.
pub(super) fn ref_policy(arg: &[u8]) -> Option<RefPolicy> {
    if is(arg, "keepref") {
        Some(RefPolicy::KeepRef)
    } else if is(arg, "delref") {
        Some(RefPolicy::DelRef)
    } else if is(arg, "acked") {
        Some(RefPolicy::Acked)
    } else {
        None
    }
}

/// XADD key [NOMKSTREAM] [KEEPREF|DELREF|ACKED] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
pub(super) fn xadd(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let opts = parse_add_trim(ctx, argv, true)?;
    let fields = argv.get(opts.id_pos + 1..).unwrap_or_default();
    if fields.len() < 2 || fields.len() % 2 == 1 {
        return Err(Error::WrongArity("xadd".into()));
    }
    let new = match opts.id {
        None => NewId::Auto,
        Some((id, true)) if id.is_zero() => {
            return Err(Error::err(
                "ERR The ID specified in XADD must be greater than 0-0",
            ))
        }
        Some((id, true)) => NewId::Exact(id),
        Some((id, false)) => NewId::Ms(id.ms),
    };
    let key = argv[1];
    let (now, limits) = (ctx.now, node_limits(ctx));
    let db = ctx.db();
    let s = if opts.nomkstream {
        match db.get_mut::<Stream>(key, now)? {
            Some(s) => s,
            None => return Ok(Frame::Null),
        }
    } else {
        db.get_or_create::<Stream>(key, now, || Value::Stream(Box::default()))?
    };
    if s.last_id == StreamId::MAX {
        return Err(Error::err(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let id =
        match s.add(new, fields, now.ms().max(0) as u64, limits) {
            Ok(id) => id,
            Err(AddError::NotGreater) => return Err(Error::err(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            )),
            Err(AddError::TooLarge) => {
                return Err(Error::err("ERR Elements are too large to be stored"))
            }
        };
    let trimmed = opts.trim.map_or(0, |t| s.trim(t));
    ctx.modified(key, notify::STREAM, "xadd");
    if trimmed > 0 {
        ctx.notify(notify::STREAM, "xtrim", key);
    }
    Ok(id_frame(id))
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] [KEEPREF|DELREF|ACKED]
pub(super) fn xtrim(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let opts = parse_add_trim(ctx, argv, false)?;
    let Some(trim) = opts.trim else {
        return Err(Error::Syntax);
    };
    let key = argv[1];
    let now = ctx.now;
    let Some(s) = ctx.db().get_mut::<Stream>(key, now)? else {
        return Ok(Frame::Integer(0));
    };
    let deleted = s.trim(trim);
    if deleted > 0 {
        ctx.modified(key, notify::STREAM, "xtrim");
        ctx.dirty(deleted - 1);
    }
    Ok(Frame::Integer(deleted as i64))
}

/// XDEL key id [id ...]
pub(super) fn xdel(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let now = ctx.now;
    if ctx.db().get_mut::<Stream>(key, now)?.is_none() {
        return Ok(Frame::Integer(0));
    }
    let ids = argv[2..]
        .iter()
        .map(|a| parse_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(s) = ctx.db().get_mut::<Stream>(key, now)? else {
        return Ok(Frame::Integer(0));
    };
    let deleted = s.delete(&ids);
    if deleted > 0 {
        ctx.modified(key, notify::STREAM, "xdel");
        ctx.dirty(deleted - 1);
    }
    Ok(Frame::Integer(deleted as i64))
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub(super) fn xsetid(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let id = parse_id(argv[2])?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::ZERO;
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        if is(argv[i], "entriesadded") && more > 0 {
            let n = args::int(argv[i + 1])?;
            if n < 0 {
                return Err(Error::err("ERR entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if is(argv[i], "maxdeletedid") && more > 0 {
            max_deleted = parse_id(argv[i + 1])?;
            if id < max_deleted {
                return Err(Error::err(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    let key = argv[1];
    let now = ctx.now;
    let Some(s) = ctx.db().get_mut::<Stream>(key, now)? else {
        return Err(Error::NoSuchKey);
    };
    if let Some((top, _)) = s.last_entry() {
        if id < top {
            return Err(Error::err(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| s.len() > n) {
            return Err(Error::err(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted = max_deleted;
    }
    ctx.dirty(1);
    ctx.notify(notify::STREAM, "xsetid", key);
    Ok(Frame::ok())
}
