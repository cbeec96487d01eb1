//! List commands.
//!
//! Every element added to a list goes through [`push`], the one place where
//! clients blocked on a list will be woken. [`pop`] takes elements from an
//! end with Redis's events and deletes the key once it is empty.

use bytes::Bytes;

use super::args::{self, is};
use super::flags::*;
use super::traits::CACHEABLE;
use super::{Command, Ctx, Group};
use crate::engine::list;
use crate::engine::value::{List, Value};
use crate::engine::{notify, Db, Now};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

const G: Group = Group::List;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("lpush", -3, WRITE | DENYOOM | FAST, G, lpush).keys(1, 1, 1),
    Command::new("rpush", -3, WRITE | DENYOOM | FAST, G, rpush).keys(1, 1, 1),
    Command::new("lpushx", -3, WRITE | DENYOOM | FAST, G, lpushx).keys(1, 1, 1),
    Command::new("rpushx", -3, WRITE | DENYOOM | FAST, G, rpushx).keys(1, 1, 1),
    Command::new("lpop", -2, WRITE | FAST, G, lpop).keys(1, 1, 1),
    Command::new("rpop", -2, WRITE | FAST, G, rpop).keys(1, 1, 1),
    Command::new("llen", 2, READONLY | FAST, G, llen)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("lrange", 4, READONLY, G, lrange)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("lindex", 3, READONLY, G, lindex)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("lset", 4, WRITE | DENYOOM, G, lset)
        .reply("OK")
        .keys(1, 1, 1),
    Command::new("linsert", 5, WRITE | DENYOOM, G, linsert).keys(1, 1, 1),
    Command::new("lrem", 4, WRITE, G, lrem).keys(1, 1, 1),
    Command::new("ltrim", 4, WRITE, G, ltrim)
        .reply("OK")
        .keys(1, 1, 1),
    Command::new("lpos", -3, READONLY, G, lpos)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("lmove", 5, WRITE | DENYOOM, G, lmove).keys(1, 2, 1),
    Command::new("rpoplpush", 3, WRITE | DENYOOM, G, rpoplpush).keys(1, 2, 1),
    Command::new("lmovem", -5, WRITE | DENYOOM, G, lmovem).keys(1, 2, 1),
    Command::new("lmpop", -4, WRITE, G, lmpop)
        .keys(0, 0, 0)
        .movable(lmpop_keys),
];

/// One end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Left,
    Right,
}

impl End {
    /// `LEFT` / `RIGHT` (any case), else `ERR syntax error`.
    pub(crate) fn parse(arg: &[u8]) -> Result<End, Error> {
        if is(arg, "left") {
            Ok(End::Left)
        } else if is(arg, "right") {
            Ok(End::Right)
        } else {
            Err(Error::Syntax)
        }
    }

    fn push_event(self) -> &'static str {
        match self {
            End::Left => "lpush",
            End::Right => "rpush",
        }
    }

    fn pop_event(self) -> &'static str {
        match self {
            End::Left => "lpop",
            End::Right => "rpop",
        }
    }
}

/// Pushes `values` in order onto the `end` of the list at `key`, creating
/// it unless `only_existing` (the X variants). Returns the new length, or
/// `None` when the key is missing and `only_existing`.
///
/// This is the one path by which lists gain elements, so waking clients
/// blocked on `key` belongs right after the push below.
pub(crate) fn push<I>(
    ctx: &mut Ctx,
    key: &[u8],
    end: End,
    values: I,
    only_existing: bool,
) -> Result<Option<usize>, Error>
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let now = ctx.now;
    let fill = ctx.store.config.list_max_listpack_size;
    let db = ctx.db();
    let list = if only_existing {
        match db.get_mut::<List>(key, now)? {
            Some(l) => l,
            None => return Ok(None),
        }
    } else {
        db.get_or_create::<List>(key, now, || Value::List(Box::new(List::with_fill(fill))))?
    };
    match end {
        End::Left => values.into_iter().for_each(|v| list.push_front(v.as_ref())),
        End::Right => list.extend(values),
    }
    let len = list.len();
    ctx.modified(key, notify::LIST, end.push_event());
    Ok(Some(len))
}

/// Pops up to `count` elements from the `end` of the list at `key`, in pop
/// order; deletes the key when it empties. `Ok(None)` if the key is missing.
pub(crate) fn pop(
    ctx: &mut Ctx,
    key: &[u8],
    end: End,
    count: usize,
) -> Result<Option<Vec<Bytes>>, Error> {
    let now = ctx.now;
    let Some(list) = ctx.db().get_mut::<List>(key, now)? else {
        return Ok(None);
    };
    let n = count.min(list.len());
    let out: Vec<Bytes> = match end {
        End::Left => (0..n).filter_map(|_| list.pop_front()).collect(),
        End::Right => (0..n).filter_map(|_| list.pop_back()).collect(),
    };
    ctx.modified(key, notify::LIST, end.pop_event());
    deleted_if_empty(ctx, key);
    Ok(Some(out))
}

/// Deletes `key` if its list became empty, with Redis's `del` event.
fn deleted_if_empty(ctx: &mut Ctx, key: &[u8]) {
    if ctx.db().remove_if_empty(key) {
        ctx.notify(notify::GENERIC, "del", key);
    }
}

/// Resolves a possibly negative index against `len`.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 {
        index.checked_add(len as i64)?
    } else {
        index
    };
    (0..len as i64).contains(&i).then_some(i as usize)
}

fn bulks(items: impl IntoIterator<Item = Bytes>) -> Frame {
    Frame::Array(items.into_iter().map(Frame::Bulk).collect())
}

/// LPUSH/RPUSH/LPUSHX/RPUSHX.
fn push_command(ctx: &mut Ctx, argv: &[&[u8]], end: End, only_existing: bool) -> CmdResult {
    let len = push(ctx, argv[1], end, &argv[2..], only_existing)?;
    Ok(Frame::Integer(len.unwrap_or(0) as i64))
}

/// LPUSH key element [element ...]
fn lpush(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    push_command(ctx, argv, End::Left, false)
}

/// RPUSH key element [element ...]
fn rpush(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    push_command(ctx, argv, End::Right, false)
}

/// LPUSHX key element [element ...]
fn lpushx(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    push_command(ctx, argv, End::Left, true)
}

/// RPUSHX key element [element ...]
fn rpushx(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    push_command(ctx, argv, End::Right, true)
}

/// LPOP/RPOP: a bulk without COUNT, an array with it.
fn pop_command(ctx: &mut Ctx, argv: &[&[u8]], end: End) -> CmdResult {
    if argv.len() > 3 {
        return Err(Error::WrongArity(
            String::from_utf8_lossy(argv[0]).to_ascii_lowercase(),
        ));
    }
    let count = match argv.get(2) {
        // Redis's getPositiveLong* reply the same text for non-integers.
        Some(arg) => Some(non_negative(
            arg,
            "ERR value is out of range, must be positive",
        )?),
        None => None,
    };
    let now = ctx.now;
    if ctx.db().get::<List>(argv[1], now)?.is_none() {
        return Ok(if count.is_some() {
            Frame::NullArray
        } else {
            Frame::Null
        });
    }
    match count {
        None => {
            let popped = pop(ctx, argv[1], end, 1)?.unwrap_or_default();
            Ok(Frame::bulk_or_null(popped.into_iter().next()))
        }
        Some(0) => Ok(Frame::Array(Vec::new())),
        Some(n) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            Ok(bulks(pop(ctx, argv[1], end, n)?.unwrap_or_default()))
        }
    }
}

/// LPOP key [count]
fn lpop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    pop_command(ctx, argv, End::Left)
}

/// RPOP key [count]
fn rpop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    pop_command(ctx, argv, End::Right)
}

/// LLEN key
fn llen(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    Ok(Frame::Integer(
        ctx.db()
            .get::<List>(argv[1], now)?
            .map_or(0, |l| l.len() as i64),
    ))
}

/// LRANGE's core, shared by the handler and the Python fast path: the
/// elements of the list at `key` from `start` to `stop` (Redis's
/// clamping; an empty range for a missing key), or WRONGTYPE. The
/// indexes are parsed before the key is looked up, as Redis does.
pub fn range<'a>(
    db: &'a mut Db,
    key: &[u8],
    start: &[u8],
    stop: &[u8],
    now: Now<'_>,
) -> Result<Option<list::Iter<'a>>, Error> {
    let (start, stop) = (args::int(start)?, args::int(stop)?);
    let Some(list) = db.get::<List>(key, now)? else {
        return Ok(None);
    };
    Ok(args::clamp_range(start, stop, list.len()).map(|(s, e)| list.range(s, e)))
}

/// LRANGE key start stop
fn lrange(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let wire = ctx.client.socket.is_some();
    Ok(match range(ctx.db(), argv[1], argv[2], argv[3], now)? {
        Some(items) => Frame::bulk_array_for(wire, items),
        None => Frame::Array(Vec::new()),
    })
}

/// LINDEX key index
fn lindex(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    // Redis looks the key up before parsing the index.
    let Some(list) = ctx.db().get::<List>(argv[1], now)? else {
        return Ok(Frame::Null);
    };
    let index = args::int(argv[2])?;
    Ok(Frame::bulk_or_null(
        resolve_index(index, list.len())
            .and_then(|i| list.get(i))
            .map(Bytes::copy_from_slice),
    ))
}

/// LSET key index element
fn lset(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let Some(list) = ctx.db().get_mut::<List>(argv[1], now)? else {
        return Err(Error::NoSuchKey);
    };
    let index = args::int(argv[2])?;
    let Some(i) = resolve_index(index, list.len()) else {
        return Err(Error::IndexOutOfRange);
    };
    list.set(i, argv[3]);
    ctx.modified(argv[1], notify::LIST, "lset");
    Ok(Frame::ok())
}

/// LINSERT key BEFORE|AFTER pivot element
fn linsert(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let after = if is(argv[2], "after") {
        true
    } else if is(argv[2], "before") {
        false
    } else {
        return Err(Error::Syntax);
    };
    let now = ctx.now;
    let Some(list) = ctx.db().get_mut::<List>(argv[1], now)? else {
        return Ok(Frame::Integer(0));
    };
    let Some(pos) = list.iter().position(|e| e == argv[3]) else {
        return Ok(Frame::Integer(-1));
    };
    list.insert(pos + after as usize, argv[4]);
    let len = list.len() as i64;
    ctx.modified(argv[1], notify::LIST, "linsert");
    Ok(Frame::Integer(len))
}

/// LREM key count element
fn lrem(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let count = args::int(argv[2])?;
    let now = ctx.now;
    let Some(list) = ctx.db().get_mut::<List>(argv[1], now)? else {
        return Ok(Frame::Integer(0));
    };
    let removed = remove_matches(list, argv[3], count);
    if removed > 0 {
        ctx.modified(argv[1], notify::LIST, "lrem");
        deleted_if_empty(ctx, argv[1]);
    }
    Ok(Frame::Integer(removed as i64))
}

/// Removes elements equal to `elem`: the first `count` from the head when
/// positive, the last `-count` from the tail when negative, all when 0.
fn remove_matches(list: &mut List, elem: &[u8], count: i64) -> usize {
    let limit = if count == 0 {
        usize::MAX
    } else {
        usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX)
    };
    list.remove_where(count < 0, limit, |e| e == elem)
}

/// LTRIM key start stop
fn ltrim(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (start, stop) = (args::int(argv[2])?, args::int(argv[3])?);
    let now = ctx.now;
    let Some(list) = ctx.db().get_mut::<List>(argv[1], now)? else {
        return Ok(Frame::ok());
    };
    match args::clamp_range(start, stop, list.len()) {
        Some((s, e)) => list.trim(s, e),
        None => list.clear(),
    }
    // Redis signals the key even when nothing was trimmed.
    ctx.modified(argv[1], notify::LIST, "ltrim");
    deleted_if_empty(ctx, argv[1]);
    Ok(Frame::ok())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (mut rank, mut count, mut maxlen) = (1i64, None::<i64>, 0i64);
    let mut i = 3;
    while i < argv.len() {
        let Some(&val) = argv.get(i + 1) else {
            return Err(Error::Syntax);
        };
        if is(argv[i], "rank") {
            rank = args::int(val)?;
            if rank == 0 {
                return Err(Error::err(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if is(argv[i], "count") {
            count = Some(non_negative(val, "ERR COUNT can't be negative")?);
        } else if is(argv[i], "maxlen") {
            maxlen = non_negative(val, "ERR MAXLEN can't be negative")?;
        } else {
            return Err(Error::Syntax);
        }
        i += 2;
    }
    let now = ctx.now;
    let Some(list) = ctx.db().get::<List>(argv[1], now)? else {
        return Ok(if count.is_some() {
            Frame::Array(Vec::new())
        } else {
            Frame::Null
        });
    };
    let from_tail = rank < 0;
    // Redis negates RANK in a C long: LONG_MIN stays negative, so every
    // match qualifies and COUNT never stops the scan. Wrapping keeps that.
    let rank = if from_tail { rank.wrapping_neg() } else { rank };
    let len = list.len();
    let scan = if maxlen == 0 {
        len
    } else {
        len.min(maxlen as usize)
    };
    let positions: Box<dyn Iterator<Item = (usize, &[u8])>> = if from_tail {
        Box::new(list.iter().enumerate().rev())
    } else {
        Box::new(list.iter().enumerate())
    };
    let (mut matches, mut out) = (0i64, Vec::new());
    for (idx, e) in positions.take(scan) {
        if e != argv[2] {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        match count {
            None => return Ok(Frame::Integer(idx as i64)),
            Some(c) => {
                out.push(Frame::Integer(idx as i64));
                if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c {
                    break;
                }
            }
        }
    }
    Ok(if count.is_some() {
        Frame::Array(out)
    } else {
        Frame::Null
    })
}

/// A `>= 0` integer whose every parse failure replies `msg` (as Redis's
/// `getPositiveLongFromObjectOrReply`).
fn non_negative(arg: &[u8], msg: &'static str) -> Result<i64, Error> {
    match crate::num::parse_i64(arg) {
        Some(n) if n >= 0 => Ok(n),
        _ => Err(Error::err(msg)),
    }
}

/// Pops one element from `src` and pushes it onto `dst` (LMOVE, RPOPLPUSH).
pub(crate) fn move_generic(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> CmdResult {
    let now = ctx.now;
    let db = ctx.db();
    if db.get::<List>(src, now)?.is_none_or(|l| l.is_empty()) {
        return Ok(Frame::Null);
    }
    db.get::<List>(dst, now)?;
    let value = match db.get_mut::<List>(src, now)? {
        Some(list) => match from {
            End::Left => list.pop_front(),
            End::Right => list.pop_back(),
        },
        None => None,
    };
    let Some(value) = value else {
        return Ok(Frame::Null);
    };
    // The source may be the destination: it is still in the keyspace (even
    // if momentarily empty), so a one-element list rotates in place.
    push(ctx, dst, to, [&value], false)?;
    ctx.modified(src, notify::LIST, from.pop_event());
    deleted_if_empty(ctx, src);
    Ok(Frame::Bulk(value))
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
fn lmove(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let from = End::parse(argv[3])?;
    let to = End::parse(argv[4])?;
    move_generic(ctx, argv[1], argv[2], from, to)
}

/// LMOVEM / BLMOVEM's optional `COUNT n|EXACTLY n  OBO|BULK` block.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HowMany {
    pub count: usize,
    /// EXACTLY: all `count` elements or none.
    pub exactly: bool,
    /// OBO: each element pushed as it is popped; BULK: the batch keeps the
    /// order it had in the source.
    pub obo: bool,
}

impl HowMany {
    /// Parses the block (`rest` is everything after the ends, or after
    /// BLMOVEM's timeout): nothing, or exactly the four words.
    pub(crate) fn parse(rest: &[&[u8]]) -> Result<Option<HowMany>, Error> {
        let [selector, n, ordering] = rest else {
            return if rest.is_empty() {
                Ok(None)
            } else {
                Err(Error::Syntax)
            };
        };
        let exactly = if is(selector, "count") {
            false
        } else if is(selector, "exactly") {
            true
        } else {
            return Err(Error::Syntax);
        };
        let count = at_least_one(n, "ERR count should be greater than 0")?;
        let obo = if is(ordering, "obo") {
            true
        } else if is(ordering, "bulk") {
            false
        } else {
            return Err(Error::Syntax);
        };
        Ok(Some(HowMany {
            count: usize::try_from(count).unwrap_or(usize::MAX),
            exactly,
            obo,
        }))
    }

    /// How many elements a source of `len` gives, `None` when it cannot
    /// serve the request (empty, or shorter than EXACTLY asks).
    pub(crate) fn take(how: Option<HowMany>, len: usize) -> Option<usize> {
        let (count, exactly) = how.map_or((1, false), |h| (h.count, h.exactly));
        match len {
            0 => None,
            _ if exactly && len < count => None,
            _ => Some(count.min(len)),
        }
    }
}

/// Moves elements as LMOVEM does; `Ok(None)` when the source cannot serve
/// the request (the caller replies or blocks). The reply lists the moved
/// elements as they now lie in the destination, head to tail.
pub(crate) fn move_many(
    ctx: &mut Ctx,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    how: Option<HowMany>,
) -> Result<Option<Vec<Bytes>>, Error> {
    let now = ctx.now;
    let db = ctx.db();
    let len = db.get::<List>(src, now)?.map_or(0, |l| l.len());
    let Some(n) = HowMany::take(how, len) else {
        return Ok(None);
    };
    db.get::<List>(dst, now)?;
    let mut popped: Vec<Bytes> = match db.get_mut::<List>(src, now)? {
        Some(list) => match from {
            End::Left => (0..n).filter_map(|_| list.pop_front()).collect(),
            End::Right => (0..n).filter_map(|_| list.pop_back()).collect(),
        },
        None => return Ok(None),
    };
    let obo = how.is_none_or(|h| h.obo);
    if !obo && from == End::Right {
        // The batch in its source order.
        popped.reverse();
    }
    // `push` pushes its values one by one, so a batch that must keep its
    // order at the head goes in reversed.
    let reversed = to == End::Left && !obo;
    let pushed: Vec<&Bytes> = if reversed {
        popped.iter().rev().collect()
    } else {
        popped.iter().collect()
    };
    push(ctx, dst, to, pushed, false)?;
    ctx.modified(src, notify::LIST, from.pop_event());
    deleted_if_empty(ctx, src);
    if obo && to == End::Left {
        popped.reverse();
    }
    Ok(Some(popped))
}

/// The LMOVEM reply when the source could not serve: nil for EXACTLY, an
/// empty array otherwise (the source is empty or missing).
pub(crate) fn lmovem_unserved(how: Option<HowMany>) -> Frame {
    if how.is_some_and(|h| h.exactly) {
        Frame::Null
    } else {
        Frame::Array(Vec::new())
    }
}

/// LMOVEM source destination LEFT|RIGHT LEFT|RIGHT [COUNT count|EXACTLY exactly OBO|BULK]
fn lmovem(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let from = End::parse(argv[3])?;
    let to = End::parse(argv[4])?;
    let how = HowMany::parse(&argv[5..])?;
    Ok(match move_many(ctx, argv[1], argv[2], from, to, how)? {
        Some(moved) => bulks(moved),
        None => lmovem_unserved(how),
    })
}

/// RPOPLPUSH source destination
fn rpoplpush(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    move_generic(ctx, argv[1], argv[2], End::Right, End::Left)
}

/// A `>= 1` integer whose every parse failure replies `msg` (LMPOP).
fn at_least_one(arg: &[u8], msg: &'static str) -> Result<i64, Error> {
    match crate::num::parse_i64(arg) {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(Error::err(msg)),
    }
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub(crate) fn lmpop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let numkeys = at_least_one(argv[1], "ERR numkeys should be greater than 0")?;
    let where_idx = match usize::try_from(numkeys).ok().and_then(|n| n.checked_add(2)) {
        Some(i) if i < argv.len() => i,
        _ => return Err(Error::Syntax),
    };
    let end = End::parse(argv[where_idx])?;
    let mut count = None;
    let mut i = where_idx + 1;
    while i < argv.len() {
        match argv.get(i + 1) {
            Some(&val) if count.is_none() && is(argv[i], "count") => {
                count = Some(at_least_one(val, "ERR count should be greater than 0")?);
            }
            _ => return Err(Error::Syntax),
        }
        i += 2;
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    let now = ctx.now;
    for &key in &argv[2..where_idx] {
        if ctx.db().get::<List>(key, now)?.is_none_or(|l| l.is_empty()) {
            continue;
        }
        let popped = pop(ctx, key, end, count)?.unwrap_or_default();
        return Ok(Frame::Array(vec![
            Frame::Bulk(Bytes::copy_from_slice(key)),
            bulks(popped),
        ]));
    }
    Ok(Frame::NullArray)
}

/// LMPOP's keys: `numkeys` read as C's `atoi` would, and no keys at all
/// when it does not fit the arguments (as Redis's `lmpopGetKeys`).
fn lmpop_keys(argv: &[&[u8]]) -> Vec<usize> {
    numkeys_keys(argv, 1)
}

/// Key positions of a `numkeys key [key ...]` command whose count is at
/// `idx` (the keys follow it).
pub(crate) fn numkeys_keys(argv: &[&[u8]], idx: usize) -> Vec<usize> {
    let Some(arg) = argv.get(idx) else {
        return Vec::new();
    };
    let n = atoi(arg);
    let first = idx + 1;
    if n < 1 || n as usize > argv.len().saturating_sub(first) {
        return Vec::new();
    }
    (first..first + n as usize).collect()
}

/// C's `atoi`: optional spaces and sign, then leading digits; 0 if none.
fn atoi(s: &[u8]) -> i64 {
    let s = s.trim_ascii_start();
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for &c in digits.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> List {
        items
            .iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn remove_matches_from_either_end() {
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", -2), 2);
        assert_eq!(l, list(&["a", "b", "c"]));
        let mut l = list(&["a", "b", "a", "c", "a"]);
        assert_eq!(remove_matches(&mut l, b"a", 1), 1);
        assert_eq!(l, list(&["b", "a", "c", "a"]));
        let mut l: List = (0..100)
            .map(|i| Bytes::from(if i % 2 == 0 { "x" } else { "y" }))
            .collect();
        assert_eq!(remove_matches(&mut l, b"x", 0), 50);
        assert!(l.iter().all(|e| e == b"y"));
        let mut l: List = (0..100)
            .map(|i| Bytes::from(if i % 2 == 0 { "x" } else { "y" }))
            .collect();
        assert_eq!(remove_matches(&mut l, b"x", -30), 30);
        assert_eq!(l.len(), 70);
        assert_eq!(l.iter().filter(|e| *e == b"x").count(), 20);
        assert_eq!(l.get(0), Some(&b"x"[..]));
        assert_eq!(l.get(69), Some(&b"y"[..]));
    }

    #[test]
    fn indexes_resolve_like_redis() {
        assert_eq!(resolve_index(-1, 3), Some(2));
        assert_eq!(resolve_index(-4, 3), None);
        assert_eq!(resolve_index(3, 3), None);
        assert_eq!(resolve_index(i64::MIN, 3), None);
        assert_eq!(resolve_index(0, 0), None);
    }

    /// The keyevent sequence recorded from Redis 7.0.15 for the same commands.
    #[test]
    fn keyspace_events_match_redis() {
        use crate::commands::test_support::Harness;
        let mut h = Harness::listening(notify::KEYEVENT | notify::ALL, b"__keyevent@0__:*");
        let script: &[&[&str]] = &[
            &["RPUSH", "a", "x", "y"],
            &["LPUSHX", "n", "x"],
            &["LMOVE", "a", "a", "LEFT", "RIGHT"],
            &["LMOVE", "a", "b", "LEFT", "LEFT"],
            &["RPOPLPUSH", "a", "b"],
            &["LINSERT", "b", "BEFORE", "x", "z"],
            &["LINSERT", "b", "BEFORE", "q", "z"],
            &["LSET", "b", "0", "w"],
            &["LREM", "b", "0", "nope"],
            &["LREM", "b", "1", "w"],
            &["LTRIM", "b", "0", "-1"],
            &["LPOP", "b", "0"],
            &["LMPOP", "2", "n", "b", "RIGHT", "COUNT", "5"],
            &["RPUSH", "c", "1"],
            &["LTRIM", "c", "1", "0"],
            &["RPUSH", "d", "1"],
            &["LREM", "d", "0", "1"],
            &["RPUSH", "e", "1", "2"],
            &["RPOP", "e"],
            &["LPOP", "e", "3"],
        ];
        for cmd in script {
            let argv: Vec<&[u8]> = cmd.iter().map(|s| s.as_bytes()).collect();
            let reply = h.run_argv(&argv);
            assert!(!reply.is_error(), "{cmd:?}: {reply:?}");
        }
        let expected = [
            ("rpush", "a"),
            ("rpush", "a"),
            ("lpop", "a"),
            ("lpush", "b"),
            ("lpop", "a"),
            ("lpush", "b"),
            ("rpop", "a"),
            ("del", "a"),
            ("linsert", "b"),
            ("lset", "b"),
            ("lrem", "b"),
            ("ltrim", "b"),
            ("rpop", "b"),
            ("del", "b"),
            ("rpush", "c"),
            ("ltrim", "c"),
            ("del", "c"),
            ("rpush", "d"),
            ("lrem", "d"),
            ("del", "d"),
            ("rpush", "e"),
            ("rpop", "e"),
            ("lpop", "e"),
            ("del", "e"),
        ];
        let got = h.take_pairs();
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(e, k)| (k.to_string(), e.to_string()))
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn lmpop_key_positions() {
        let argv: Vec<&[u8]> = vec![b"lmpop", b"2", b"a", b"b", b"left"];
        assert_eq!(lmpop_keys(&argv), vec![2, 3]);
        let argv: Vec<&[u8]> = vec![b"lmpop", b"3x", b"a", b"b", b"left"];
        assert_eq!(lmpop_keys(&argv), vec![2, 3, 4]);
        let argv: Vec<&[u8]> = vec![b"lmpop", b"4", b"a", b"b", b"left"];
        assert!(lmpop_keys(&argv).is_empty());
        let argv: Vec<&[u8]> = vec![b"lmpop", b"0", b"a", b"left"];
        assert!(lmpop_keys(&argv).is_empty());
    }
}
