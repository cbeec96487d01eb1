//! DUMP, RESTORE and MEMORY.
//!
//! Payloads are Redis's own format (see [`crate::persist`]), so values move
//! between redcore and redis-server in both directions.

use bytes::Bytes;

use super::flags::*;
use super::{acl, args, Command, Ctx, Group};
use crate::engine::clock::lru_clock;
use crate::engine::value::Value;
use crate::engine::{notify, Entry, NO_EXPIRE};
use crate::error::{CmdResult, Error};
use crate::persist::{self, LoadOptions, SaveOptions};
use crate::resp::Frame;

const G: Group = Group::Generic;
const S: Group = Group::Server;
const KS: u32 = acl::KEYSPACE;

const MEMORY_SUBCOMMANDS: &[Command] = &[
    Command::new("memory|usage", -3, READONLY, S, memory_usage).keys(2, 2, 1),
    Command::new("memory|stats", 2, 0, S, memory_stats),
    Command::new("memory|doctor", 2, 0, S, memory_doctor),
    Command::new("memory|purge", 2, 0, S, memory_purge),
    Command::new("memory|malloc-stats", 2, 0, S, memory_malloc_stats),
    Command::new("memory|help", 2, LOADING | STALE, S, memory_help),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("dump", 2, READONLY, G, dump)
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("restore", -4, WRITE | DENYOOM, G, restore)
        .keys(1, 1, 1)
        .acl(KS | acl::DANGEROUS),
    Command::new("memory", -2, 0, S, super::server::container).subcommands(MEMORY_SUBCOMMANDS),
];

/// DUMP key
fn dump(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now;
    let opts = SaveOptions::from_config(&ctx.store.config);
    let db = ctx.db();
    let payload = db
        .lookup(argv[1], now)
        .map(|e| persist::dump_payload(&e.value, &opts));
    if payload.is_some() {
        db.hits += 1;
    } else {
        db.misses += 1;
    }
    Ok(Frame::bulk_or_null(payload.map(Bytes::from)))
}

/// RESTORE's options beyond the payload.
#[derive(Default)]
struct RestoreOpts {
    replace: bool,
    absttl: bool,
    idle: Option<i64>,
    freq: Option<i64>,
}

fn restore_opts(argv: &[&[u8]]) -> Result<RestoreOpts, Error> {
    let mut o = RestoreOpts::default();
    let mut i = 4;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        let a = argv[i];
        if args::is(a, "replace") {
            o.replace = true;
        } else if args::is(a, "absttl") {
            o.absttl = true;
        } else if args::is(a, "idletime") && more && o.freq.is_none() {
            let idle = args::int(argv[i + 1])?;
            if idle < 0 {
                return Err(Error::err("ERR Invalid IDLETIME value, must be >= 0"));
            }
            o.idle = Some(idle);
            i += 1;
        } else if args::is(a, "freq") && more && o.idle.is_none() {
            let freq = args::int(argv[i + 1])?;
            if !(0..=255).contains(&freq) {
                return Err(Error::err(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255",
                ));
            }
            o.freq = Some(freq);
            i += 1;
        } else {
            return Err(Error::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
/// [FREQ frequency]
pub(crate) fn restore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let o = restore_opts(argv)?;
    let key = argv[1];
    let now = ctx.now;
    if !o.replace && ctx.db().contains(key, now) {
        return Err(Error::err("BUSYKEY Target key name already exists."));
    }
    let mut ttl = args::int(argv[2])?;
    if ttl < 0 {
        return Err(Error::err("ERR Invalid TTL value, must be >= 0"));
    }
    let payload = argv[3];
    if !persist::payload_footer_ok(payload) {
        return Err(Error::err("ERR DUMP payload version or checksum are wrong"));
    }
    let value = persist::load_payload(payload, &LoadOptions::from_config(&ctx.store.config))
        .map_err(|_| Error::err("ERR Bad data format"))?;
    let deleted = o.replace && ctx.db().remove(key, now).is_some();
    if ttl != 0 && !o.absttl {
        // Redis adds without an overflow check; a wrapped deadline is in
        // the past, so the key is not created.
        ttl = ttl.wrapping_add(now.ms());
    }
    if ttl != 0 && ttl <= now.ms() {
        if deleted {
            ctx.modified(key, notify::GENERIC, "del");
        }
        return Ok(Frame::ok());
    }
    let lru = restored_lru(ctx, &o);
    let expire_at = if ttl == 0 { NO_EXPIRE } else { ttl };
    ctx.db().insert_entry(
        Bytes::copy_from_slice(key),
        Entry {
            value,
            expire_at,
            lru,
        },
    );
    ctx.modified(key, notify::GENERIC, "restore");
    Ok(Frame::ok())
}

/// The access-clock field of a restored key. Under an LFU policy FREQ sets
/// the LFU counter. Otherwise IDLETIME back-dates
/// the access time the way Redis's 24-bit LRU clock does, so huge idle
/// times wrap as they do there.
fn restored_lru(ctx: &Ctx, o: &RestoreOpts) -> u32 {
    let now = lru_clock();
    if ctx.store.config.lfu() {
        return match o.freq {
            Some(f) => crate::engine::lfu::with_counter(f as u32),
            None => crate::engine::lfu::fresh(),
        };
    }
    let Some(idle) = o.idle else { return now };
    const LRU_MAX: i64 = (1 << 24) - 1;
    let clock = i64::from(now) & LRU_MAX;
    let idle = idle.wrapping_mul(1000) / 1000;
    let mut abs = clock.wrapping_sub(idle);
    if abs < 0 {
        abs = abs.wrapping_add(LRU_MAX);
    }
    let stored = abs & 0xFF_FFFF;
    let reported = if clock >= stored {
        clock - stored
    } else {
        clock + (LRU_MAX - stored)
    };
    now.saturating_sub(reported as u32)
}

/// MEMORY USAGE key [SAMPLES count]
fn memory_usage(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mut samples: usize = 5;
    let mut i = 3;
    while i < argv.len() {
        if args::is(argv[i], "samples") && i + 1 < argv.len() {
            let n = args::int(argv[i + 1])?;
            if n < 0 {
                return Err(Error::Syntax);
            }
            samples = if n == 0 { usize::MAX } else { n as usize };
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    let now = ctx.now;
    let key = argv[2];
    // Redis finds the key without the expiry check: one whose deadline
    // passed still has a size until it is actually deleted.
    if ctx.db().key_is_expired(key, now) {
        return Ok(Frame::Integer((key.len() + KEY_OVERHEAD) as i64));
    }
    let size = ctx
        .db()
        .peek(key, now)
        .map(|e| estimate(&e.value, samples) + key.len() + KEY_OVERHEAD);
    Ok(size.map_or(Frame::Null, |n| Frame::Integer(n as i64)))
}

/// Per-key bookkeeping: the table slot, the key's header and the entry.
const KEY_OVERHEAD: usize = 56;

/// An estimate of the bytes a value takes. These are not Redis's
/// allocator-based numbers; they grow with the value and, like Redis,
/// extrapolate containers from their first `samples` elements.
fn estimate(v: &Value, samples: usize) -> usize {
    const HEADER: usize = 16;
    fn sampled<'a>(n: usize, samples: usize, it: impl Iterator<Item = usize> + 'a) -> usize {
        let k = samples.min(n).max(1);
        let sum: usize = it.take(k).sum();
        sum.saturating_mul(n) / k
    }
    match v {
        Value::Stream(_) => v.mem_usage(),
        Value::Str(s) if s.encoding() == "int" => HEADER,
        Value::Str(s) => HEADER + s.data.len() + 9,
        Value::List(l) => 64 + sampled(l.len(), samples, l.iter().map(|e| e.len() + 11)),
        Value::Set(s) if s.intset => 24 + s.members.len() * 8,
        Value::Set(s) => {
            96 + sampled(
                s.members.len(),
                samples,
                s.members.iter().map(|m| m.len() + 40),
            )
        }
        Value::Hash(h) => {
            let per = if h.listpack { 4 } else { 56 };
            96 + sampled(
                h.map.len(),
                samples,
                h.map.iter().map(|(f, v)| f.len() + v.len() + per),
            )
        }
        Value::ZSet(z) => {
            let per = if z.listpack { 12 } else { 80 };
            96 + sampled(
                z.zset.len(),
                samples,
                z.zset.iter().map(|(m, _)| m.len() + per),
            )
        }
    }
}

/// What the engine takes before any data (MEMORY STATS, like INFO's figure).
const STARTUP_MEMORY: usize = 865_000;

/// MEMORY STATS — Redis's fields, filled from the same estimates as MEMORY
/// USAGE and INFO (no allocator to report fragmentation: ratios are 1).
fn memory_stats(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    const ENTRY: usize = 24;
    let store = &*ctx.store;
    let mut per_db = Vec::new();
    let (mut keys, mut overhead, mut dataset) = (0usize, STARTUP_MEMORY, 0usize);
    for (i, db) in store.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let (main, expires) = (db.len() * ENTRY + 32, db.volatile_len() * ENTRY + 32);
        keys += db.len();
        overhead += main + expires;
        dataset += db.mem_estimate(64);
        per_db.push((i, main, expires));
    }
    let total = overhead + dataset;
    let n = |v: usize| Frame::Integer(v as i64);
    let mut m: Vec<(String, Frame)> = vec![
        ("peak.allocated".into(), n(total)),
        ("total.allocated".into(), n(total)),
        ("startup.allocated".into(), n(STARTUP_MEMORY)),
        ("replication.backlog".into(), n(0)),
        ("clients.slaves".into(), n(0)),
        ("clients.normal".into(), n(0)),
        ("cluster.links".into(), n(0)),
        ("aof.buffer".into(), n(0)),
        ("lua.caches".into(), n(0)),
        ("functions.caches".into(), n(0)),
    ];
    for (i, main, expires) in per_db {
        let inner = Frame::Map(vec![
            (Frame::bulk(b"overhead.hashtable.main"), n(main)),
            (Frame::bulk(b"overhead.hashtable.expires"), n(expires)),
            (Frame::bulk(b"overhead.hashtable.slot-to-keys"), n(0)),
        ]);
        m.push((format!("db.{i}"), inner));
    }
    let pct = |part: usize| part as f64 * 100.0 / (total - STARTUP_MEMORY).max(1) as f64;
    m.extend([
        ("overhead.total".into(), n(overhead)),
        ("keys.count".into(), n(keys)),
        (
            "keys.bytes-per-key".into(),
            n((total - STARTUP_MEMORY) / keys.max(1)),
        ),
        ("dataset.bytes".into(), n(dataset)),
        ("dataset.percentage".into(), Frame::Double(pct(dataset))),
        ("peak.percentage".into(), Frame::Double(100.0)),
        ("allocator.allocated".into(), n(total)),
        ("allocator.active".into(), n(total)),
        ("allocator.resident".into(), n(total)),
        ("allocator-fragmentation.ratio".into(), Frame::Double(1.0)),
        ("allocator-fragmentation.bytes".into(), n(0)),
        ("allocator-rss.ratio".into(), Frame::Double(1.0)),
        ("allocator-rss.bytes".into(), n(0)),
        ("rss-overhead.ratio".into(), Frame::Double(1.0)),
        ("rss-overhead.bytes".into(), n(0)),
        ("fragmentation".into(), Frame::Double(1.0)),
        ("fragmentation.bytes".into(), n(0)),
    ]);
    Ok(Frame::Map(
        m.into_iter()
            .map(|(k, v)| (Frame::Bulk(Bytes::from(k)), v))
            .collect(),
    ))
}

/// MEMORY DOCTOR — an embedded engine has no allocator or RSS figures to
/// diagnose, and says so.
fn memory_doctor(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Verbatim(
        *b"txt",
        Bytes::from_static(
            b"The embedded engine keeps no allocator, fragmentation or RSS statistics, \
              so there are no memory issues to report.\n",
        ),
    ))
}

/// MEMORY PURGE — nothing to hand back to an allocator here.
fn memory_purge(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::ok())
}

/// MEMORY MALLOC-STATS — what Redis answers when built without jemalloc.
fn memory_malloc_stats(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::bulk(
        b"Stats not supported for the current allocator",
    ))
}

/// MEMORY HELP
fn memory_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(super::server::help_reply(
        argv[0],
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    ))
}
