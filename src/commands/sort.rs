//! SORT and SORT_RO.
//!
//! Ordering follows Redis exactly, ties included: numeric sorts break equal
//! scores by comparing the elements as bytes; ALPHA compares like `strcoll`
//! in the C/C.UTF-8 locales Redis runs under (bytes up to the first NUL;
//! whole byte strings with STORE); a full sort is stable (glibc's qsort is
//! a merge sort), while BY with a LIMIT runs Redis's partial quicksort
//! ([`pqsort`](super::pqsort)), whose placement of equal elements the port reproduces.

use std::cmp::Ordering;

use bytes::Bytes;

use super::flags::*;
use super::pqsort::pqsort;
use super::traits::CACHEABLE;
use super::{acl, args, Command, Ctx, Group};
use crate::engine::value::{List, Value};
use crate::engine::{notify, Db, Now};
use crate::error::{CmdResult, Error};
use crate::persist::strtod::strtod;
use crate::resp::Frame;

const G: Group = Group::Generic;
const CATS: u32 = acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("sort", -2, WRITE | DENYOOM, G, sort)
        .reply("sort_return_tuples")
        .keys(1, 1, 1)
        .movable(sort_keys)
        .acl(CATS),
    Command::new("sort_ro", -2, READONLY, G, sort_ro)
        .traits(CACHEABLE)
        .keys(1, 1, 1)
        .movable(sort_ro_keys)
        .acl(CATS),
];

/// SORT's keys: the sorted key and the last STORE destination, found the
/// way Redis scans (LIMIT skips two arguments, GET and BY one).
fn sort_keys(argv: &[&[u8]]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let a = argv[i];
        if args::is(a, "limit") {
            i += 2;
        } else if args::is(a, "get") || args::is(a, "by") {
            i += 1;
        } else if args::is(a, "store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

fn sort_ro_keys(_argv: &[&[u8]]) -> Vec<usize> {
    vec![1]
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
/// [ALPHA] [STORE destination]
fn sort(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    sort_generic(ctx, argv, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...]
/// [ASC|DESC] [ALPHA]
fn sort_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    sort_generic(ctx, argv, true)
}

/// The parsed options.
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    /// BY had a pattern without `*` (BY nosort): keep the native order.
    dontsort: bool,
    by: Option<&'a [u8]>,
    limit: (i64, i64),
    store: Option<&'a [u8]>,
    gets: Vec<&'a [u8]>,
}

fn parse<'a>(argv: &[&'a [u8]], readonly: bool) -> Result<Opts<'a>, Error> {
    let mut o = Opts {
        desc: false,
        alpha: false,
        dontsort: false,
        by: None,
        limit: (0, -1),
        store: None,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv[j];
        if args::is(a, "asc") {
            o.desc = false;
        } else if args::is(a, "desc") {
            o.desc = true;
        } else if args::is(a, "alpha") {
            o.alpha = true;
        } else if args::is(a, "limit") && left >= 2 {
            o.limit = (args::int(argv[j + 1])?, args::int(argv[j + 2])?);
            j += 2;
        } else if !readonly && args::is(a, "store") && left >= 1 {
            o.store = Some(argv[j + 1]);
            j += 1;
        } else if args::is(a, "by") && left >= 1 {
            o.by = Some(argv[j + 1]);
            if !c_str(argv[j + 1]).contains(&b'*') {
                o.dontsort = true;
            }
            j += 1;
        } else if args::is(a, "get") && left >= 1 {
            o.gets.push(argv[j + 1]);
            j += 1;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// The part of `s` C string functions see.
fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |n| &s[..n])
}

/// One element being sorted and what it sorts by.
struct Item {
    elem: Bytes,
    score: f64,
    /// The BY value for ALPHA sorts (None: the key was missing).
    by: Option<Bytes>,
}

impl Item {
    fn new(elem: Bytes) -> Item {
        Item {
            elem,
            score: 0.0,
            by: None,
        }
    }
}

/// Looks up `key` as a read (expiry, access time, hit/miss counters).
fn read_key<'a>(db: &'a mut Db, key: &[u8], now: Now<'_>) -> Option<&'a Value> {
    let found = db.lookup(key, now).is_some();
    if found {
        db.hits += 1;
        db.lookup(key, now).map(|e| &e.value)
    } else {
        db.misses += 1;
        None
    }
}

/// The value a BY/GET pattern names for element `subst`: `#` is the element
/// itself; the first `*` is replaced by the element; `key->field` reads a
/// hash field. Missing keys, wrong types and patterns without `*` give None.
fn lookup_pattern(db: &mut Db, now: Now<'_>, pattern: &[u8], subst: &Bytes) -> Option<Bytes> {
    let c = c_str(pattern);
    if c == b"#" {
        return Some(subst.clone());
    }
    let star = c.iter().position(|&b| b == b'*')?;
    let arrow = c[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&f| f + 2 < c.len());
    let key_end = arrow.unwrap_or(pattern.len());
    let mut key = Vec::with_capacity(key_end + subst.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    match (read_key(db, &key, now)?, arrow) {
        (Value::Hash(h), Some(f)) => h.get_live(&pattern[f + 2..], now.ms()).cloned(),
        (Value::Str(s), None) => Some(s.to_bytes()),
        _ => None,
    }
}

/// A score as SORT reads it (`strtod` of the C string, which must be
/// consumed whole, without range errors or NaN); `None` on error.
fn score_of(v: &[u8]) -> Option<f64> {
    let c = c_str(v);
    if c.is_empty() {
        return Some(0.0);
    }
    let p = strtod(c);
    (p.consumed == c.len() && !p.erange && !p.value.is_nan()).then_some(p.value)
}

/// The elements to sort (or, with `dontsort` on a list or sorted set, just
/// the LIMIT window in native order), and the (start, end) output window.
fn load(v: &mut Value, o: &Opts<'_>) -> (Vec<Item>, i64, i64) {
    let len = match v {
        Value::List(l) => l.len(),
        Value::Set(s) => s.members.len(),
        Value::ZSet(z) => z.zset.len(),
        _ => 0,
    } as i64;
    let (mut start, count) = (o.limit.0.clamp(0, len), o.limit.1.clamp(-1, len));
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);
    let windowed = o.dontsort && matches!(v, Value::List(_) | Value::ZSet(_));
    let take = if windowed && (start != 0 || end != len - 1) {
        (end - start + 1).max(0) as usize
    } else {
        len as usize
    };
    let items: Vec<Item> = match v {
        Value::List(l) if o.dontsort => {
            if end < start {
                return (Vec::new(), start, end);
            }
            let s = start as usize;
            let it: Box<dyn Iterator<Item = &[u8]>> = if o.desc {
                Box::new(l.iter().rev().skip(s))
            } else {
                Box::new(l.iter().skip(s))
            };
            it.take(take)
                .map(|e| Item::new(Bytes::copy_from_slice(e)))
                .collect()
        }
        Value::List(l) => l
            .iter()
            .map(|e| Item::new(Bytes::copy_from_slice(e)))
            .collect(),
        Value::Set(s) => super::set::ordered(s)
            .into_iter()
            .cloned()
            .map(Item::new)
            .collect(),
        Value::ZSet(z) if o.dontsort => {
            let s = start.max(0) as usize;
            let it: Box<dyn Iterator<Item = (&Bytes, f64)>> = if o.desc {
                Box::new(z.zset.iter().rev().skip(s))
            } else {
                Box::new(z.zset.iter().skip(s))
            };
            it.take(take).map(|(m, _)| Item::new(m.clone())).collect()
        }
        Value::ZSet(z) => z.zset.iter().map(|(m, _)| Item::new(m.clone())).collect(),
        _ => Vec::new(),
    };
    if windowed {
        (items, 0, end - start)
    } else {
        (items, start, end)
    }
}

fn sort_generic(ctx: &mut Ctx, argv: &[&[u8]], readonly: bool) -> CmdResult {
    let mut o = parse(argv, readonly)?;
    let now = ctx.now;
    let db = ctx.db();
    let entry = db.lookup(argv[1], now);
    let (mut items, start, end) = match entry {
        Some(e) => {
            let is_set = matches!(e.value, Value::Set(_));
            if !matches!(e.value, Value::List(_) | Value::Set(_) | Value::ZSet(_)) {
                db.hits += 1;
                return Err(Error::WrongType);
            }
            // A set has no native order: with STORE it is sorted anyway
            // (bytewise), so what gets stored is deterministic.
            if o.dontsort && is_set && o.store.is_some() {
                o.dontsort = false;
                o.alpha = true;
                o.by = None;
            }
            // Redis converts a listpack sorted set for good before sorting.
            if let Value::ZSet(z) = &mut e.value {
                z.listpack = false;
            }
            let loaded = load(&mut e.value, &o);
            db.hits += 1;
            loaded
        }
        None => {
            db.misses += 1;
            (Vec::new(), -1, -2)
        }
    };
    let mut bad_score = false;
    if !o.dontsort {
        let db = ctx.db();
        for it in &mut items {
            let by = match o.by {
                Some(p) => match lookup_pattern(db, now, p, &it.elem) {
                    Some(v) => v,
                    None => continue,
                },
                None => it.elem.clone(),
            };
            if o.alpha {
                if o.by.is_some() {
                    it.by = Some(by);
                }
            } else {
                match score_of(&by) {
                    Some(s) => it.score = s,
                    None => bad_score = true,
                }
            }
        }
        // With an empty window nothing sorted is observable.
        if !bad_score && end >= start {
            order(&mut items, &o, start as usize, end as usize);
        }
    }
    if bad_score {
        return Err(Error::err(
            "ERR One or more scores can't be converted into double",
        ));
    }
    output(ctx, &o, &items, start, end)
}

/// Sorts `items` by Redis's comparator: fully and stably, or (BY with a
/// window) with the partial quicksort.
fn order(items: &mut [Item], o: &Opts<'_>, start: usize, end: usize) {
    let binary = o.store.is_some();
    let by = o.by.is_some();
    let cmp = |a: &Item, b: &Item| -> Ordering {
        let c = if !o.alpha {
            match a.score.partial_cmp(&b.score) {
                Some(Ordering::Equal) | None => a.elem.cmp(&b.elem),
                Some(c) => c,
            }
        } else {
            let (x, y) = if by {
                match (&a.by, &b.by) {
                    (None, None) => return Ordering::Equal,
                    (None, Some(_)) => {
                        return if o.desc {
                            Ordering::Greater
                        } else {
                            Ordering::Less
                        }
                    }
                    (Some(_), None) => {
                        return if o.desc {
                            Ordering::Less
                        } else {
                            Ordering::Greater
                        }
                    }
                    (Some(x), Some(y)) => (x, y),
                }
            } else {
                (&a.elem, &b.elem)
            };
            if binary {
                x.cmp(y)
            } else {
                c_str(x).cmp(c_str(y))
            }
        };
        if o.desc {
            c.reverse()
        } else {
            c
        }
    };
    if by && (start != 0 || end + 1 != items.len()) {
        pqsort(items, start, end, &cmp);
    } else {
        items.sort_by(cmp);
    }
}

/// Sends or stores the window `start..=end` of `items`, with GET lookups.
fn output(ctx: &mut Ctx, o: &Opts<'_>, items: &[Item], start: i64, end: i64) -> CmdResult {
    let now = ctx.now;
    let window: &[Item] = if end >= start && start >= 0 {
        items
            .get(start as usize..=(end as usize))
            .unwrap_or_default()
    } else {
        &[]
    };
    let db = ctx.db();
    let mut out: Vec<Option<Bytes>> = Vec::with_capacity(window.len() * o.gets.len().max(1));
    for it in window {
        if o.gets.is_empty() {
            out.push(Some(it.elem.clone()));
        }
        for g in &o.gets {
            out.push(lookup_pattern(db, now, g, &it.elem));
        }
    }
    let Some(dest) = o.store else {
        return Ok(Frame::Array(
            out.into_iter()
                .map(|v| v.map_or(Frame::Null, Frame::Bulk))
                .collect(),
        ));
    };
    let n = out.len() as i64;
    if n > 0 {
        let mut list = List::with_fill(ctx.store.config.list_max_listpack_size);
        list.extend(out.into_iter().map(Option::unwrap_or_default));
        ctx.db().set(dest, Value::List(Box::new(list)));
        ctx.modified(dest, notify::LIST, "sortstore");
        ctx.dirty((n - 1) as u64);
    } else if ctx.db().remove(dest, now).is_some() {
        ctx.modified(dest, notify::GENERIC, "del");
    }
    Ok(Frame::Integer(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_key_positions() {
        let a: Vec<&[u8]> = vec![b"sort", b"k", b"limit", b"store", b"1", b"store", b"d"];
        assert_eq!(sort_keys(&a), vec![1, 6]);
        let b: Vec<&[u8]> = vec![b"sort", b"k", b"store", b"by", b"x"];
        assert_eq!(sort_keys(&b), vec![1, 3]);
    }

    #[test]
    fn scores_parse_like_strtod() {
        assert_eq!(score_of(b""), Some(0.0));
        assert_eq!(score_of(b" 12"), Some(12.0));
        assert_eq!(score_of(b"12 "), None);
        assert_eq!(score_of(b"1\0junk"), Some(1.0));
        assert_eq!(score_of(b"0x10"), Some(16.0));
        assert_eq!(score_of(b"nan"), None);
        assert_eq!(score_of(b"1e400"), None);
        assert_eq!(score_of(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(score_of(b"   "), None);
    }
}
