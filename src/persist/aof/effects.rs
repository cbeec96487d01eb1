//! What a command propagates to the AOF, as Redis 7.0 propagates it.
//!
//! By default a command that changed the keyspace (the store's change
//! counter moved) is replayed as it was given; no-op writes are not
//! propagated. The exceptions make the replay reach the same state later:
//! - relative expirations become absolute: `EXPIRE`/`PEXPIRE`/`EXPIREAT`
//!   and `GETEX EX|PX|EXAT|PXAT` as `PEXPIREAT`, `SET ... EX|PX|EXAT` and
//!   `SETEX`/`PSETEX` as `SET key value PXAT ms`, `GETEX PERSIST` as
//!   `PERSIST`, a deadline already past as `DEL` (`UNLINK` under
//!   `lazyfree-lazy-expire`), `RESTORE` with a TTL as `... ABSTTL`;
//! - results that depend on float formatting or chance are stated:
//!   `INCRBYFLOAT` as `SET key value KEEPTTL`, `HINCRBYFLOAT` as `HSET`,
//!   `SPOP` as `SREM` (or `DEL` when it emptied the set with a count),
//!   `XADD *` with the ID it made, approximate trims as exact ones;
//! - blocking pops as their plain forms (`BLPOP` -> `LPOP`, `BLMOVE` ->
//!   `LMOVE`, `BLMPOP`/`LMPOP` -> `LPOP key count`, `BZMPOP`/`ZMPOP` ->
//!   `ZPOPMIN key count`...);
//! - consumer-group reads and claims as their effects: `XGROUP
//!   CREATECONSUMER`, one `XCLAIM ... FORCE JUSTID LASTID` per delivered
//!   entry, `XGROUP SETID ... ENTRIESREAD` when the group moved on, and
//!   `XACK` for claimed entries that no longer exist;
//! - hash-field TTLs as Redis 7.4 (and 8.0) propagate them: `HEXPIRE`,
//!   `HPEXPIRE` and `HEXPIREAT` as `HPEXPIREAT key ms [cond] FIELDS n
//!   field...` naming only the fields whose deadline was set, a field a
//!   past deadline deleted as `HDEL key field`; `HSETEX ... EX|PX|EXAT` as
//!   `HSETEX ... PXAT ms`, or `HDEL` when the deadline is already past;
//!   `HGETEX` as `HPEXPIREAT`, `HPERSIST` or `HDEL` of the fields it found;
//!   fields that expire on access or in the active sweep as `HDEL key
//!   field` (see [`super::propagate_expired`]);
//! - `EXEC`, scripts and functions propagate nothing themselves: the
//!   commands they ran do, and [`super::commit`] wraps them in MULTI/EXEC.

use bytes::Bytes;

use super::{lazy, propagate, propagate_expired};
use crate::commands::{flags, Command, Group};
use crate::engine::stream::{Stream, StreamId};
use crate::engine::{ClientState, Now, Store, NO_EXPIRE};
use crate::resp::Frame;

/// State read before a command runs that its propagation needs.
#[derive(Default)]
pub struct Before {
    dirty: u64,
    /// The command is flagged `write`.
    write: bool,
    /// XAUTOCLAIM: the pending entries it may look at (ID, consumer,
    /// delivery time, delivery count), for the ones it finds deleted.
    nacks: Vec<(StreamId, Bytes, i64, u64)>,
}

/// Called by the dispatcher before a command runs (AOF on only). Keys a
/// write command names that are past their deadline are expired first,
/// as Redis's write lookups do, so their deletion is propagated before
/// the write (an overwrite does not look them up otherwise).
pub fn before(store: &mut Store, client: &ClientState, cmd: &Command, argv: &[&[u8]]) -> Before {
    let mut b = Before {
        dirty: store.dirty,
        write: cmd.has(flags::WRITE),
        nacks: Vec::new(),
    };
    let cell = std::cell::Cell::new(0);
    let now = Now::new(&cell);
    if cmd.has(flags::WRITE) && cmd.group != Group::Scripting && cmd.group != Group::Transactions {
        let db = &mut store.dbs[client.db];
        if db.volatile_len() > 0 {
            for i in cmd.key_indexes(argv) {
                if let Some(key) = argv.get(i) {
                    if db.key_is_expired(key, now) {
                        db.contains(key, now);
                    }
                }
            }
        }
        b.dirty = store.dirty;
    }
    if cmd.name == "xautoclaim" {
        b.nacks = autoclaim_scope(store, client.db, argv, now);
    } else if cmd.name == "xclaim" {
        b.nacks = claim_scope(store, client.db, argv, now);
    }
    b
}

/// The PEL entries of the IDs XCLAIM names.
fn claim_scope(
    store: &mut Store,
    db: usize,
    argv: &[&[u8]],
    now: Now<'_>,
) -> Vec<(StreamId, Bytes, i64, u64)> {
    let (Some(key), Some(group)) = (argv.get(1), argv.get(2)) else {
        return Vec::new();
    };
    let ids: Vec<StreamId> = argv
        .iter()
        .skip(5)
        .map_while(|a| {
            parse_id(a).or_else(|| {
                std::str::from_utf8(a)
                    .ok()?
                    .parse()
                    .ok()
                    .map(|ms| StreamId::new(ms, 0))
            })
        })
        .collect();
    let Some(s) = stream_of_mut(store, db, key, now) else {
        return Vec::new();
    };
    let Some(g) = s.groups.get(*group) else {
        return Vec::new();
    };
    ids.iter()
        .filter_map(|id| {
            g.pel
                .get(id)
                .map(|n| (*id, n.consumer.clone(), n.delivery_time, n.delivery_count))
        })
        .collect()
}

/// The PEL entries XAUTOCLAIM may visit: from its start, ten per COUNT.
fn autoclaim_scope(
    store: &mut Store,
    db: usize,
    argv: &[&[u8]],
    now: Now<'_>,
) -> Vec<(StreamId, Bytes, i64, u64)> {
    let (Some(key), Some(group), Some(start)) = (argv.get(1), argv.get(2), argv.get(5)) else {
        return Vec::new();
    };
    let start = parse_id(start)
        .or_else(|| {
            std::str::from_utf8(start)
                .ok()?
                .parse()
                .ok()
                .map(|ms| StreamId::new(ms, 0))
        })
        .unwrap_or(StreamId::ZERO);
    let mut count = 100usize;
    for w in argv[6..].windows(2) {
        if arg_is(w[0], b"COUNT") {
            count = crate::num::parse_i64(w[1]).unwrap_or(100).clamp(1, 1 << 20) as usize;
        }
    }
    let Some(s) = stream_of_mut(store, db, key, now) else {
        return Vec::new();
    };
    let Some(g) = s.groups.get(*group) else {
        return Vec::new();
    };
    g.pel
        .range(start..)
        .take(count.saturating_mul(10))
        .map(|(id, n)| (*id, n.consumer.clone(), n.delivery_time, n.delivery_count))
        .collect()
}

fn arg_is(a: &[u8], word: &[u8]) -> bool {
    a.eq_ignore_ascii_case(word)
}

/// XREADGROUP's group, consumer and keys.
type GroupRead<'a> = (&'a [u8], &'a [u8], Vec<&'a [u8]>);

/// `GROUP g c ... STREAMS k1..kn id1..idn` of XREADGROUP.
fn xreadgroup_args<'a>(argv: &[&'a [u8]]) -> Option<GroupRead<'a>> {
    let mut group = None;
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i];
        if a.eq_ignore_ascii_case(b"GROUP") && i + 2 < argv.len() {
            group = Some((argv[i + 1], argv[i + 2]));
            i += 3;
        } else if a.eq_ignore_ascii_case(b"STREAMS") {
            let rest = &argv[i + 1..];
            let n = rest.len() / 2;
            let (g, c) = group?;
            return Some((g, c, rest[..n].to_vec()));
        } else if a.eq_ignore_ascii_case(b"COUNT") || a.eq_ignore_ascii_case(b"BLOCK") {
            i += 2;
        } else {
            i += 1;
        }
    }
    None
}

/// Called by the dispatcher after a command ran (AOF on only): the keys
/// it expired, then what it changed, go to [`propagate`].
pub fn after(
    store: &mut Store,
    client: &ClientState,
    name: &str,
    argv: &[&[u8]],
    frame: &Frame,
    now: Now<'_>,
    before: Before,
) {
    propagate_expired(store);
    if store.dirty == before.dirty {
        return;
    }
    let db = client.db;
    let key = argv.get(1).copied().unwrap_or_default();
    match name {
        // Their commands propagated themselves.
        "exec" | "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => {}
        "set" if argv.len() == 3 => propagate(store, db, argv),
        "set" => set(store, db, argv, now.ms()),
        "setex" | "psetex" => {
            let unit = if name == "setex" { 1000 } else { 1 };
            let at = num(argv[2]).saturating_mul(unit).saturating_add(now.ms());
            let at = at.to_string();
            propagate(store, db, &[b"SET", key, argv[3], b"PXAT", at.as_bytes()]);
        }
        "expire" | "pexpire" | "expireat" | "pexpireat" | "getex" => {
            expire_like(store, db, name, argv, now)
        }
        "getdel" | "delex" => propagate(store, db, &[b"DEL".as_slice(), key]),
        "msetex" => msetex(store, db, argv, now.ms()),
        "increx" => increx(store, db, argv, now),
        "incrbyfloat" => {
            if let Frame::Bulk(v) = frame {
                propagate(store, db, &[b"SET", key, v, b"KEEPTTL"]);
            }
        }
        "hincrbyfloat" => {
            if let Frame::Bulk(v) = frame {
                propagate(store, db, &[b"HSET", key, argv[2], v]);
            }
        }
        "spop" => spop(store, db, argv, frame),
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" => {
            let plain: &[u8] = match name {
                "blpop" => b"LPOP",
                "brpop" => b"RPOP",
                "bzpopmin" => b"ZPOPMIN",
                _ => b"ZPOPMAX",
            };
            if let Some(k) = first_bulk(frame) {
                propagate(store, db, &[plain, &k]);
            }
        }
        "brpoplpush" => propagate(store, db, &[b"RPOPLPUSH".as_slice(), key, argv[2]]),
        "blmove" => propagate(
            store,
            db,
            &[b"LMOVE".as_slice(), key, argv[2], argv[3], argv[4]],
        ),
        "blmovem" => {
            // LMOVEM with the same options moves the same elements.
            let mut plain: Vec<&[u8]> = vec![b"LMOVEM".as_slice()];
            plain.extend(argv.iter().skip(1).take(4).copied());
            plain.extend(argv.iter().skip(6).copied());
            propagate(store, db, &plain);
        }
        "lmpop" | "blmpop" | "zmpop" | "bzmpop" => mpop(store, db, name, argv, frame),
        "restore" => restore(store, db, argv, now),
        "xadd" | "xtrim" => xadd(store, db, name, argv, frame, now),
        "xreadgroup" => xreadgroup(store, db, argv, now.ms()),
        "xclaim" | "xautoclaim" => xclaim(store, db, name, argv, frame, &before.nacks),
        "hexpire" | "hpexpire" | "hexpireat" | "hpexpireat" => {
            hexpire(store, db, name, argv, frame, now.ms())
        }
        "hsetex" => hsetex(store, db, argv, now.ms()),
        "hgetex" => hgetex(store, db, argv, frame, now.ms()),
        // Only writes replay as given: an admin command that moved the
        // counter (CONFIG SET maxmemory evicting) propagated its effects.
        _ if before.write => propagate(store, db, argv),
        _ => {}
    }
}

fn num(a: &[u8]) -> i64 {
    crate::num::parse_i64(a).unwrap_or(0)
}

/// SET with EX/PX/EXAT as `SET key value PXAT ms`, other SETs as given.
fn set(store: &mut Store, db: usize, argv: &[&[u8]], ms: i64) {
    let mut at = None;
    let mut i = 3;
    while i < argv.len() {
        if crate::commands::string_ex::IfCond::parse(argv[i]).is_some() {
            // Its argument is a value, not an option.
            i += 2;
            continue;
        }
        let unit = match argv[i].to_ascii_uppercase().as_slice() {
            b"EX" => Some((1000, ms)),
            b"PX" => Some((1, ms)),
            b"EXAT" => Some((1000, 0)),
            _ => None,
        };
        if let (Some((mul, base)), Some(v)) = (unit, argv.get(i + 1)) {
            at = Some(num(v).saturating_mul(mul).saturating_add(base));
            i += 1;
        }
        i += 1;
    }
    match at {
        Some(at) => {
            let at = at.to_string();
            propagate(
                store,
                db,
                &[b"SET", argv[1], argv[2], b"PXAT", at.as_bytes()],
            );
        }
        None => {
            // GET only shaped the reply, and an IF* condition held (the
            // value changed): neither is replayed.
            let mut kept: Vec<&[u8]> = argv[..3].to_vec();
            let mut i = 3;
            while i < argv.len() {
                let a = argv[i];
                if crate::commands::string_ex::IfCond::parse(a).is_some() {
                    i += 1;
                } else if !arg_is(a, b"GET") {
                    kept.push(a);
                }
                i += 1;
            }
            propagate(store, db, &kept)
        }
    }
}

/// MSETEX: its pairs with an absolute deadline (`PXAT ms`), `KEEPTTL`, or
/// none; NX / XX held, so they are dropped.
fn msetex(store: &mut Store, db: usize, argv: &[&[u8]], ms: i64) {
    let n = num(argv[1]).max(0) as usize;
    let end = (2 + 2 * n).min(argv.len());
    let mut out: Vec<Vec<u8>> = argv[..end].iter().map(|a| a.to_vec()).collect();
    let mut i = end;
    while i < argv.len() {
        let opt = argv[i].to_ascii_uppercase();
        let unit = match opt.as_slice() {
            b"EX" => Some((1000, ms)),
            b"PX" => Some((1, ms)),
            b"EXAT" => Some((1000, 0)),
            b"PXAT" => Some((1, 0)),
            _ => None,
        };
        if let (Some((mul, base)), Some(v)) = (unit, argv.get(i + 1)) {
            let at = num(v).saturating_mul(mul).saturating_add(base);
            out.push(b"PXAT".to_vec());
            out.push(at.to_string().into_bytes());
            i += 1;
        } else if opt == b"KEEPTTL" {
            out.push(opt);
        }
        i += 1;
    }
    let refs: Vec<&[u8]> = out.iter().map(Vec::as_slice).collect();
    propagate(store, db, &refs);
}

/// INCREX: the value it left as a SET (`KEEPTTL` unless it set or removed
/// the deadline; `PXAT ms` when it set one), or the deletion a past
/// deadline caused.
fn increx(store: &mut Store, db: usize, argv: &[&[u8]], now: Now<'_>) {
    let key = argv[1];
    let has = |word: &[u8]| argv[2..].iter().any(|a| arg_is(a, word));
    let timed = [&b"EX"[..], b"PX", b"EXAT", b"PXAT"].iter().any(|w| has(w));
    let value = match store.dbs[db].peek(key, now) {
        Some(e) => match &e.value {
            crate::engine::value::Value::Str(s) => Some((s.to_bytes(), e.expire_at)),
            _ => None,
        },
        None => None,
    };
    match value {
        None => {
            let del: &[u8] = if lazy(store, "lazyfree-lazy-expire") {
                b"UNLINK"
            } else {
                b"DEL"
            };
            propagate(store, db, &[del, key]);
        }
        Some((v, NO_EXPIRE)) if has(b"PERSIST") => propagate(store, db, &[b"SET", key, &v]),
        Some((v, at)) if timed && at != NO_EXPIRE => {
            let at = at.to_string();
            propagate(store, db, &[b"SET", key, &v, b"PXAT", at.as_bytes()]);
        }
        Some((v, _)) => propagate(store, db, &[b"SET", key, &v, b"KEEPTTL"]),
    }
}

/// EXPIRE family and GETEX: the key's deadline as `PEXPIREAT` (EXPIRE's
/// condition kept), `PERSIST`, or the deletion.
fn expire_like(store: &mut Store, db: usize, name: &str, argv: &[&[u8]], now: Now<'_>) {
    let key = argv[1];
    let del: &[u8] = if lazy(store, "lazyfree-lazy-expire") {
        b"UNLINK"
    } else {
        b"DEL"
    };
    match store.dbs[db].expire_of(key, now) {
        None => propagate(store, db, &[del, key]),
        Some(NO_EXPIRE) => propagate(store, db, &[b"PERSIST".as_slice(), key]),
        Some(at) => {
            let at = at.to_string();
            let mut out: Vec<&[u8]> = vec![b"PEXPIREAT", key, at.as_bytes()];
            if name != "getex" {
                out.extend_from_slice(&argv[3..]);
            }
            propagate(store, db, &out);
        }
    }
}

/// SPOP: the members it removed as SREM (in batches, as Redis does), or
/// the deletion when a count emptied the set.
fn spop(store: &mut Store, db: usize, argv: &[&[u8]], frame: &Frame) {
    let key = argv[1];
    let members: Vec<Bytes> = match frame {
        Frame::Bulk(m) => vec![m.clone()],
        Frame::Array(items) | Frame::Set(items) => items
            .iter()
            .filter_map(|f| match f {
                Frame::Bulk(m) => Some(m.clone()),
                _ => None,
            })
            .collect(),
        _ => return,
    };
    let cell = std::cell::Cell::new(0);
    let gone = !store.dbs[db].contains(key, Now::new(&cell));
    if argv.len() == 3 && gone {
        let del: &[u8] = if lazy(store, "lazyfree-lazy-server-del") {
            b"UNLINK"
        } else {
            b"DEL"
        };
        propagate(store, db, &[del, key]);
        return;
    }
    for batch in members.chunks(1024) {
        let mut out: Vec<&[u8]> = vec![b"SREM", key];
        out.extend(batch.iter().map(|m| m.as_ref()));
        propagate(store, db, &out);
    }
}

/// The first bulk string of an array reply (the key of BLPOP's reply).
fn first_bulk(frame: &Frame) -> Option<Bytes> {
    match frame {
        Frame::Array(items) => match items.first() {
            Some(Frame::Bulk(k)) => Some(k.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// LMPOP / BLMPOP / ZMPOP / BZMPOP as `LPOP|RPOP|ZPOPMIN|ZPOPMAX key n`,
/// `n` being what it popped.
fn mpop(store: &mut Store, db: usize, name: &str, argv: &[&[u8]], frame: &Frame) {
    let Frame::Array(items) = frame else { return };
    let (Some(Frame::Bulk(key)), Some(popped)) = (items.first(), items.get(1)) else {
        return;
    };
    let n = match popped {
        Frame::Array(v) | Frame::Set(v) => v.len(),
        Frame::Map(v) => v.len(),
        _ => return,
    };
    let has = |w: &[u8]| argv.iter().any(|a| a.eq_ignore_ascii_case(w));
    let plain: &[u8] = match (
        name.starts_with('z') || name.starts_with("bz"),
        has(b"LEFT") || has(b"MIN"),
    ) {
        (false, true) => b"LPOP",
        (false, false) => b"RPOP",
        (true, true) => b"ZPOPMIN",
        (true, false) => b"ZPOPMAX",
    };
    let n = n.to_string();
    propagate(store, db, &[plain, key, n.as_bytes()]);
}

/// RESTORE with a relative TTL as `RESTORE ... <deadline> ... ABSTTL`.
fn restore(store: &mut Store, db: usize, argv: &[&[u8]], now: Now<'_>) {
    let abs = argv
        .iter()
        .skip(4)
        .any(|a| a.eq_ignore_ascii_case(b"ABSTTL"));
    let ttl = argv.get(2).map_or(0, |t| num(t));
    if abs || ttl == 0 {
        return propagate(store, db, argv);
    }
    match store.dbs[db].expire_of(argv[1], now) {
        Some(at) if at != NO_EXPIRE => {
            let at = at.to_string();
            let mut out: Vec<&[u8]> = argv.to_vec();
            out[2] = at.as_bytes();
            out.push(b"ABSTTL");
            propagate(store, db, &out);
        }
        _ => propagate(store, db, argv),
    }
}

/// XADD with `*` (or `ms-*`) as the ID it made; an approximate trim
/// (`~`, LIMIT) as the exact one that leaves the same entries.
fn xadd(store: &mut Store, db: usize, name: &str, argv: &[&[u8]], frame: &Frame, now: Now<'_>) {
    let key = argv[1];
    let first_id = stream_of_mut(store, db, key, now)
        .and_then(|s| s.first_entry().map(|(id, _)| id.to_string()));
    let len = stream_of_mut(store, db, key, now).map_or(0, |s| s.len());
    let mut out: Vec<Vec<u8>> = vec![argv[0].to_vec(), key.to_vec()];
    let mut i = 2;
    let mut approx_at = None;
    let mut minid = false;
    while i < argv.len() {
        let a = argv[i];
        let up = a.to_ascii_uppercase();
        match up.as_slice() {
            b"MAXLEN" | b"MINID" => {
                minid = up == b"MINID";
                out.push(a.to_vec());
                i += 1;
                if let Some(op) = argv.get(i).filter(|o| **o == b"~" || **o == b"=") {
                    if *op == b"~" {
                        approx_at = Some(out.len());
                    }
                    out.push(b"=".to_vec());
                    i += 1;
                }
                if let Some(v) = argv.get(i) {
                    out.push(v.to_vec());
                    i += 1;
                }
                continue;
            }
            b"LIMIT" => {
                i += 2;
                continue;
            }
            b"NOMKSTREAM" | b"KEEPREF" | b"DELREF" | b"ACKED" => {}
            _ if name == "xadd" => {
                // The ID, then the field/value pairs.
                match frame {
                    Frame::Bulk(id) => out.push(id.to_vec()),
                    _ => out.push(a.to_vec()),
                }
                out.extend(argv[i + 1..].iter().map(|x| x.to_vec()));
                break;
            }
            _ => {}
        }
        out.push(a.to_vec());
        i += 1;
    }
    if let Some(at) = approx_at {
        // The threshold that leaves exactly what is left: for MAXLEN the
        // length, for MINID the first remaining ID.
        let exact = if minid {
            first_id.unwrap_or_else(|| "0-0".into())
        } else {
            len.to_string()
        };
        if let Some(slot) = out.get_mut(at + 1) {
            *slot = exact.into_bytes();
        }
    }
    propagate(store, db, &out);
}

fn stream_of_mut<'a>(
    store: &'a mut Store,
    db: usize,
    key: &[u8],
    now: Now<'_>,
) -> Option<&'a Stream> {
    store.dbs[db].get::<Stream>(key, now).ok().flatten()
}

/// `ms-seq` as an ID.
fn parse_id(b: &[u8]) -> Option<StreamId> {
    let s = std::str::from_utf8(b).ok()?;
    let (ms, seq) = s.split_once('-')?;
    Some(StreamId::new(ms.parse().ok()?, seq.parse().ok()?))
}

/// The XCLAIM that restores pending entry `id` as it is now.
fn propagate_claim(
    store: &mut Store,
    db: usize,
    key: &[u8],
    group: &[u8],
    id: StreamId,
    now: Now<'_>,
) {
    let Some(s) = stream_of_mut(store, db, key, now) else {
        return;
    };
    let Some(g) = s.groups.get(group) else { return };
    let Some(nack) = g.pel.get(&id) else { return };
    let (time, count, consumer, last) = (
        nack.delivery_time,
        nack.delivery_count,
        nack.consumer.clone(),
        g.last_id,
    );
    claim_command(store, db, key, group, &consumer, id, time, count, last);
}

/// The IDs of the entries in a stream read reply (`[[id, fields]...]`).
fn entry_ids(entries: &Frame) -> Vec<StreamId> {
    let items = match entries {
        Frame::Array(v) => v,
        _ => return Vec::new(),
    };
    items
        .iter()
        .filter_map(|e| match e {
            Frame::Array(parts) => match parts.first() {
                Some(Frame::Bulk(id)) => parse_id(id),
                _ => None,
            },
            Frame::Bulk(id) => parse_id(id),
            _ => None,
        })
        .collect()
}

/// XREADGROUP of new entries (`>`): one XCLAIM per delivered entry,
/// its LASTID the entry itself (which creates the consumer and moves the
/// group on replay); with NOACK nothing is pending, so the group's new
/// last ID goes as XGROUP SETID. Re-reads of the consumer's own pending
/// entries are not propagated, as in Redis 7.0.
fn xreadgroup(store: &mut Store, db: usize, argv: &[&[u8]], ms: i64) {
    let Some((group, consumer, keys)) = xreadgroup_args(argv) else {
        return;
    };
    let cell = std::cell::Cell::new(ms);
    let now = Now::new(&cell);
    let noack = argv.iter().any(|a| arg_is(a, b"NOACK"));
    let ids = &argv[argv.len() - keys.len()..];
    for (key, id_arg) in keys.into_iter().zip(ids) {
        if *id_arg != b">" {
            continue;
        }
        let Some(s) = stream_of_mut(store, db, key, now) else {
            continue;
        };
        let Some(g) = s.groups.get(group) else {
            continue;
        };
        if noack {
            let (last, read) = (g.last_id.to_string(), g.entries_read.to_string());
            let setid: [&[u8]; 7] = [
                b"XGROUP",
                b"SETID",
                key,
                group,
                last.as_bytes(),
                b"ENTRIESREAD",
                read.as_bytes(),
            ];
            propagate(store, db, &setid);
            continue;
        }
        let delivered: Vec<(StreamId, i64, u64)> = g
            .pel
            .iter()
            .filter(|(_, n)| n.delivery_time == ms && n.consumer.as_ref() == consumer)
            .map(|(id, n)| (*id, n.delivery_time, n.delivery_count))
            .collect();
        for (id, time, count) in delivered {
            claim_command(store, db, key, group, consumer, id, time, count, id);
        }
    }
}

/// Propagates `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE
/// JUSTID LASTID last`.
#[allow(clippy::too_many_arguments)]
fn claim_command(
    store: &mut Store,
    db: usize,
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    id: StreamId,
    time: i64,
    count: u64,
    last: StreamId,
) {
    let (id, time, count, last) = (
        id.to_string(),
        time.to_string(),
        count.to_string(),
        last.to_string(),
    );
    let argv: [&[u8]; 14] = [
        b"XCLAIM",
        key,
        group,
        consumer,
        b"0",
        id.as_bytes(),
        b"TIME",
        time.as_bytes(),
        b"RETRYCOUNT",
        count.as_bytes(),
        b"FORCE",
        b"JUSTID",
        b"LASTID",
        last.as_bytes(),
    ];
    propagate(store, db, &argv);
}

/// XCLAIM / XAUTOCLAIM: an XCLAIM per claimed entry, in ID order with
/// the entries XAUTOCLAIM found deleted (claimed as they were pending,
/// which removes them on replay).
fn xclaim(
    store: &mut Store,
    db: usize,
    name: &str,
    argv: &[&[u8]],
    frame: &Frame,
    nacks: &[(StreamId, Bytes, i64, u64)],
) {
    let (key, group) = (argv[1], argv[2]);
    let cell = std::cell::Cell::new(0);
    let now = Now::new(&cell);
    let Frame::Array(items) = frame else { return };
    let (claimed, deleted) = if name == "xautoclaim" {
        let claimed = items.get(1).map(entry_ids).unwrap_or_default();
        let deleted = items.get(2).map(entry_ids).unwrap_or_default();
        (claimed, deleted)
    } else {
        // Named entries deleted from the stream leave the PEL.
        let stream = stream_of_mut(store, db, key, now);
        let deleted = nacks
            .iter()
            .map(|n| n.0)
            .filter(|id| stream.as_ref().is_none_or(|s| !s.contains(*id)))
            .collect();
        (entry_ids(frame), deleted)
    };
    if claimed.is_empty() && deleted.is_empty() {
        // Nothing claimed, but LASTID or a new consumer may have moved
        // the group: replay as given (deterministic then).
        propagate(store, db, argv);
        return;
    }
    let last = stream_of_mut(store, db, key, now)
        .and_then(|s| s.groups.get(group).map(|g| g.last_id))
        .unwrap_or_default();
    let mut all: Vec<(StreamId, bool)> = claimed.into_iter().map(|id| (id, true)).collect();
    all.extend(deleted.into_iter().map(|id| (id, false)));
    all.sort();
    for (id, live) in all {
        if live {
            propagate_claim(store, db, key, group, id, now);
        } else if let Some((_, consumer, time, count)) = nacks.iter().find(|n| n.0 == id) {
            claim_command(store, db, key, group, consumer, id, *time, *count, last);
        }
    }
}

/// A time argument in `unit` ms from `base` (0 for absolute forms) as a
/// unix-ms deadline.
fn deadline(arg: &[u8], unit: i64, base: i64) -> i64 {
    num(arg).saturating_mul(unit).saturating_add(base)
}

/// HEXPIRE / HPEXPIRE / HEXPIREAT / HPEXPIREAT: `HDEL` for each field a
/// past deadline deleted (reply code 2), then `HPEXPIREAT key ms [cond]
/// FIELDS n` with the fields whose deadline was set (code 1), if any.
fn hexpire(store: &mut Store, db: usize, name: &str, argv: &[&[u8]], frame: &Frame, ms: i64) {
    let Frame::Array(codes) = frame else { return };
    let key = argv[1];
    let (unit, base) = match name {
        "hexpire" => (1000, ms),
        "hpexpire" => (1, ms),
        "hexpireat" => (1000, 0),
        _ => (1, 0),
    };
    let at = deadline(argv[2], unit, base).to_string();
    let cond = argv
        .get(3)
        .filter(|a| {
            [&b"NX"[..], b"XX", b"GT", b"LT"]
                .iter()
                .any(|c| arg_is(a, c))
        })
        .copied();
    let first = if cond.is_some() { 6 } else { 5 };
    let fields = argv.get(first..).unwrap_or_default();
    let mut kept: Vec<&[u8]> = Vec::new();
    for (f, code) in fields.iter().zip(codes) {
        match code {
            Frame::Integer(1) => kept.push(f),
            Frame::Integer(2) => propagate(store, db, &[b"HDEL".as_slice(), key, f]),
            _ => {}
        }
    }
    if kept.is_empty() {
        return;
    }
    let n = kept.len().to_string();
    let mut out: Vec<&[u8]> = vec![b"HPEXPIREAT", key, at.as_bytes()];
    out.extend(cond);
    out.push(b"FIELDS");
    out.push(n.as_bytes());
    out.extend(kept);
    propagate(store, db, &out);
}

/// HSETEX: `EX` / `PX` / `EXAT` as `PXAT ms`; a deadline already past
/// (the fields were set and deleted at once) as `HDEL key field...`.
fn hsetex(store: &mut Store, db: usize, argv: &[&[u8]], ms: i64) {
    let key = argv[1];
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(argv.len());
    let mut i = 0;
    let mut past = false;
    let mut fields_at = argv.len();
    while i < argv.len() {
        let a = argv[i];
        if i >= 2 && arg_is(a, b"FIELDS") {
            fields_at = i + 2;
            out.extend(argv[i..].iter().map(|x| x.to_vec()));
            break;
        }
        let timed = if i < 2 {
            None
        } else if arg_is(a, b"EX") {
            Some((1000, ms))
        } else if arg_is(a, b"PX") {
            Some((1, ms))
        } else if arg_is(a, b"EXAT") {
            Some((1000, 0))
        } else if arg_is(a, b"PXAT") {
            Some((1, 0))
        } else {
            None
        };
        match (timed, argv.get(i + 1)) {
            (Some((unit, base)), Some(v)) => {
                let at = deadline(v, unit, base);
                past = at <= ms;
                out.push(b"PXAT".to_vec());
                out.push(at.to_string().into_bytes());
                i += 2;
            }
            _ => {
                out.push(a.to_vec());
                i += 1;
            }
        }
    }
    if past {
        let mut del: Vec<&[u8]> = vec![b"HDEL", key];
        del.extend(argv.get(fields_at..).unwrap_or_default().iter().step_by(2));
        propagate(store, db, &del);
        return;
    }
    propagate(store, db, &out);
}

/// HGETEX: the fields it found (non-nil in the reply) as `HPEXPIREAT key
/// ms FIELDS n field...`, `HPERSIST key FIELDS n field...`, or `HDEL key
/// field...` when the deadline is already past.
fn hgetex(store: &mut Store, db: usize, argv: &[&[u8]], frame: &Frame, ms: i64) {
    let Frame::Array(values) = frame else { return };
    let key = argv[1];
    let Some(opt) = argv.get(2) else { return };
    let (at, first) = if arg_is(opt, b"PERSIST") {
        (None, 5)
    } else {
        let (unit, base) = if arg_is(opt, b"EX") {
            (1000, ms)
        } else if arg_is(opt, b"PX") {
            (1, ms)
        } else if arg_is(opt, b"EXAT") {
            (1000, 0)
        } else if arg_is(opt, b"PXAT") {
            (1, 0)
        } else {
            return;
        };
        let Some(v) = argv.get(3) else { return };
        (Some(deadline(v, unit, base)), 6)
    };
    let found: Vec<&[u8]> = argv
        .get(first..)
        .unwrap_or_default()
        .iter()
        .zip(values)
        .filter(|(_, v)| !matches!(v, Frame::Null))
        .map(|(f, _)| *f)
        .collect();
    if found.is_empty() {
        return;
    }
    let n = found.len().to_string();
    let mut out: Vec<&[u8]>;
    let text;
    match at {
        Some(at) if at <= ms => {
            out = vec![b"HDEL", key];
        }
        Some(at) => {
            text = at.to_string();
            out = vec![b"HPEXPIREAT", key, text.as_bytes(), b"FIELDS", n.as_bytes()];
        }
        None => out = vec![b"HPERSIST", key, b"FIELDS", n.as_bytes()],
    }
    out.extend(found);
    propagate(store, db, &out);
}
