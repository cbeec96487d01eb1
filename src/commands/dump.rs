//! DUMP, RESTORE and MEMORY.
//!
//! Payloads are Redis's own format (see [`crate::persist`]), so values move
//! between redcore and redis-server in both directions.

use bytes::Bytes;

use super::flags::*;
use super::routing::{Combine, Nodes};
use super::{acl, args, Command, Ctx, Group};
use crate::engine::clock::lru_clock;
use crate::engine::db::{EXPIRES_SLOT_BYTES, SLOT_BYTES};
use crate::engine::evict::STARTUP_MEMORY;
use crate::engine::{notify, Entry, Store, NO_EXPIRE};
use crate::error::{CmdResult, Error};
use crate::persist::{self, LoadOptions, SaveOptions};
use crate::resp::Frame;

const G: Group = Group::Generic;
const S: Group = Group::Server;
const KS: u32 = acl::KEYSPACE;

const MEMORY_SUBCOMMANDS: &[Command] = &[
    Command::new("memory|usage", -3, READONLY, S, memory_usage).keys(2, 2, 1),
    Command::new("memory|stats", 2, 0, S, memory_stats)
        .reply2("parse_memory_stats")
        .reply3("parse_memory_stats_unified")
        .reply_default("parse_memory_stats_unified")
        .reply_unified2("parse_memory_stats_unified"),
    Command::new("memory|doctor", 2, 0, S, memory_doctor),
    Command::new("memory|purge", 2, 0, S, memory_purge)
        .route(Nodes::AllNodes, Combine::AllTrue)
        .reply("OK"),
    Command::new("memory|malloc-stats", 2, 0, S, memory_malloc_stats),
    Command::new("memory|help", 2, LOADING | STALE, S, memory_help),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("dump", 2, READONLY, G, dump)
        .keys(1, 1, 1)
        .acl(KS),
    Command::new("restore", -4, WRITE | DENYOOM, G, restore)
        .status()
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
            // 0 samples every element.
            samples = n as usize;
            i += 2;
        } else {
            return Err(Error::Syntax);
        }
    }
    // Redis finds the key without the expiry check: one whose deadline
    // passed still has a size until it is actually deleted.
    let size = ctx.db().mem_usage(argv[2], samples);
    Ok(size.map_or(Frame::Null, |n| Frame::Integer(n as i64)))
}

/// The process's resident set size in bytes (0 where /proc is missing).
pub(crate) fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf only reads a system constant.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * usize::try_from(page).unwrap_or(4096)
}

/// The memory figures INFO memory and MEMORY STATS share.
pub(crate) struct MemoryFigures {
    pub used: usize,
    pub peak: usize,
    /// Keyspace tables: entry slots and expiry-index slots, per database
    /// `(db, main, expires)`, and their total.
    pub per_db: Vec<(usize, usize, usize)>,
    pub overhead: usize,
    pub keys: usize,
    pub rss: usize,
}

impl MemoryFigures {
    pub(crate) fn take(store: &mut Store) -> MemoryFigures {
        let used = store.used_memory_peaked();
        let mut per_db = Vec::new();
        let (mut keys, mut overhead) = (0, STARTUP_MEMORY);
        for (i, db) in store.dbs.iter().enumerate() {
            if db.is_empty() {
                continue;
            }
            let main = db.len() * SLOT_BYTES;
            let expires = db.volatile_len() * EXPIRES_SLOT_BYTES;
            keys += db.len();
            overhead += main + expires;
            per_db.push((i, main, expires));
        }
        MemoryFigures {
            used,
            peak: store.evictor.peak.max(used),
            per_db,
            overhead,
            keys,
            rss: rss_bytes(),
        }
    }

    /// The part of `used` that is keys' and values' data.
    pub fn dataset(&self) -> usize {
        self.used.saturating_sub(self.overhead)
    }

    /// RSS over used memory (the process also holds the interpreter and
    /// everything else that embeds the engine, so this is often above 1).
    pub fn fragmentation(&self) -> f64 {
        self.rss as f64 / self.used.max(1) as f64
    }
}

/// MEMORY STATS — Redis's fields, from the engine's running estimate
/// (the allocator-level figures are the same estimate; RSS is the
/// process's).
fn memory_stats(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let f = MemoryFigures::take(ctx.store);
    let n = |v: usize| Frame::Integer(v as i64);
    let mut m: Vec<(String, Frame)> = vec![
        ("peak.allocated".into(), n(f.peak)),
        ("total.allocated".into(), n(f.used)),
        ("startup.allocated".into(), n(STARTUP_MEMORY)),
        ("replication.backlog".into(), n(0)),
        ("clients.slaves".into(), n(0)),
        ("clients.normal".into(), n(0)),
        ("cluster.links".into(), n(0)),
        ("aof.buffer".into(), n(0)),
        ("lua.caches".into(), n(0)),
        ("functions.caches".into(), n(0)),
    ];
    for &(i, main, expires) in &f.per_db {
        let inner = Frame::Map(vec![
            (Frame::bulk(b"overhead.hashtable.main"), n(main)),
            (Frame::bulk(b"overhead.hashtable.expires"), n(expires)),
            (Frame::bulk(b"overhead.hashtable.slot-to-keys"), n(0)),
        ]);
        m.push((format!("db.{i}"), inner));
    }
    let net = f.used.saturating_sub(STARTUP_MEMORY).max(1);
    let pct = |part: usize| part as f64 * 100.0 / net as f64;
    let rss_extra = f.rss.saturating_sub(f.used);
    m.extend([
        ("overhead.total".into(), n(f.overhead)),
        ("keys.count".into(), n(f.keys)),
        (
            "keys.bytes-per-key".into(),
            n(f.used.saturating_sub(STARTUP_MEMORY) / f.keys.max(1)),
        ),
        ("dataset.bytes".into(), n(f.dataset())),
        ("dataset.percentage".into(), Frame::Double(pct(f.dataset()))),
        (
            "peak.percentage".into(),
            Frame::Double(f.used as f64 * 100.0 / f.peak.max(1) as f64),
        ),
        ("allocator.allocated".into(), n(f.used)),
        ("allocator.active".into(), n(f.used)),
        ("allocator.resident".into(), n(f.used)),
        ("allocator-fragmentation.ratio".into(), Frame::Double(1.0)),
        ("allocator-fragmentation.bytes".into(), n(0)),
        ("allocator-rss.ratio".into(), Frame::Double(1.0)),
        ("allocator-rss.bytes".into(), n(0)),
        (
            "rss-overhead.ratio".into(),
            Frame::Double(f.fragmentation()),
        ),
        ("rss-overhead.bytes".into(), n(rss_extra)),
        ("fragmentation".into(), Frame::Double(f.fragmentation())),
        ("fragmentation.bytes".into(), n(rss_extra)),
    ]);
    Ok(Frame::Map(
        m.into_iter()
            .map(|(k, v)| (Frame::Bulk(Bytes::from(k)), v))
            .collect(),
    ))
}

/// MEMORY DOCTOR — a short report from the same figures: the conditions
/// Redis's doctor looks at that an embedded engine has (an empty dataset,
/// a peak well above current use, maxmemory nearly reached).
fn memory_doctor(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let f = MemoryFigures::take(ctx.store);
    let max = ctx.store.config.maxmemory as usize;
    let mut issues = Vec::new();
    if f.used < 5 << 20 {
        issues.push(
            "The dataset is empty or very small (under 5MB): there is nothing to diagnose yet."
                .to_string(),
        );
    } else {
        if f.peak > f.used + f.used / 2 {
            issues.push(format!(
                "Peak memory: at some point {} was used, 150% or more of the current {}.",
                super::server_info::bytes_to_human(f.peak as u64),
                super::server_info::bytes_to_human(f.used as u64),
            ));
        }
        if max != 0 && f.used * 10 > max * 9 {
            issues.push(format!(
                "Used memory is over 90% of maxmemory ({}): writes will evict keys or fail with OOM under '{}'.",
                super::server_info::bytes_to_human(max as u64),
                ctx.store.config.maxmemory_policy
            ));
        }
    }
    let text = if issues.is_empty() {
        "No memory issues found in the embedded engine's figures.\n".to_string()
    } else {
        issues.join("\n") + "\n"
    };
    Ok(Frame::Verbatim(*b"txt", Bytes::from(text)))
}

/// MEMORY PURGE — nothing to hand back to an allocator here.
fn memory_purge(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::ok())
}

/// MEMORY MALLOC-STATS — what Redis answers when built without jemalloc
/// (the engine uses the system allocator).
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
