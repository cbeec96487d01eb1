//! The engine's settings and the CONFIG GET/SET table.
//!
//! [`Config`] holds typed fields for the settings the engine acts on (the
//! encoding limits, maxmemory, notify-keyspace-events...), read directly on
//! hot paths. [`SETTINGS`] describes every setting Redis 7.0 has (name,
//! alias, type, range, flags, default): CONFIG GET/SET go through it, so
//! values are parsed, range-checked and formatted exactly as Redis does.
//! Settings the embedded engine has no use for (replication, TLS and
//! networking, persistence tuning...) are still accepted and stored as
//! text, so configuration code written for a real server keeps working.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::engine::notify;

/// Engine settings. Names follow redis.conf.
#[derive(Clone, Debug)]
pub struct Config {
    pub databases: usize,
    pub hz: u32,
    /// 0 means no limit.
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub maxmemory_samples: u32,
    /// Bit set of [`crate::engine::notify`] classes.
    pub notify_keyspace_events: u32,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    pub list_max_listpack_size: i64,
    pub list_compress_depth: i64,
    /// Sparse HLLs are promoted to dense beyond this many bytes.
    pub hll_sparse_max_bytes: usize,
    pub proto_max_bulk_len: u64,
    pub lua_time_limit: i64,
    pub timeout: i64,
    pub dir: String,
    pub dbfilename: String,
    pub appendonly: bool,
    pub appendfilename: String,
    pub appendfsync: String,
    /// (seconds, changes) snapshot rules.
    pub save: Vec<(u64, u64)>,
    pub port: u16,
    pub bind: String,
    pub requirepass: String,
    pub maxclients: u64,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    /// Milliseconds; 0 turns the latency monitor off.
    pub latency_monitor_threshold: i64,
    /// Per-command latency histograms (LATENCY HISTOGRAM).
    pub latency_tracking: bool,
    pub lfu_log_factor: i64,
    pub lfu_decay_time: i64,
    /// Not a redis.conf setting (Redis has DEBUG SET-ACTIVE-EXPIRE).
    pub active_expire_enabled: bool,
    /// Settings without a typed field, by canonical name, as CONFIG GET
    /// shows them; missing ones are at their default.
    pub extra: HashMap<&'static str, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            databases: 16,
            hz: 10,
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            maxmemory_samples: 5,
            notify_keyspace_events: 0,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            hll_sparse_max_bytes: 3000,
            proto_max_bulk_len: 512 * 1024 * 1024,
            lua_time_limit: 5000,
            timeout: 0,
            dir: ".".into(),
            dbfilename: "dump.rdb".into(),
            appendonly: false,
            appendfilename: "appendonly.aof".into(),
            appendfsync: "everysec".into(),
            save: Vec::new(),
            port: 0,
            bind: "127.0.0.1".into(),
            requirepass: String::new(),
            maxclients: 10000,
            slowlog_log_slower_than: 10000,
            slowlog_max_len: 128,
            latency_monitor_threshold: 0,
            latency_tracking: true,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            active_expire_enabled: true,
            extra: HashMap::new(),
        }
    }
}

pub mod fdlimit;
mod table;

use table::DEFAULT_OBUF_LIMITS;
pub use table::{flag, Kind, Num, Setting, Special, SETTINGS};

/// A name CONFIG GET/SET can use: a setting's name or its alias.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// The name as listed (the alias, for alias entries).
    pub name: &'static str,
    pub setting: &'static Setting,
}

impl Entry {
    /// True if both entries are the same name (Redis treats a setting and
    /// its alias as separate entries, so setting both is not a duplicate).
    pub fn same(&self, other: &Entry) -> bool {
        std::ptr::eq(self.name, other.name)
    }
}

/// Every name and alias, in table order (CONFIG GET with a pattern).
pub fn entries() -> impl Iterator<Item = Entry> {
    SETTINGS.iter().flat_map(|s| {
        std::iter::once(Entry {
            name: s.name,
            setting: s,
        })
        .chain(s.alias.map(|a| Entry {
            name: a,
            setting: s,
        }))
    })
}

/// The entry for `name` (case-insensitive), if any.
pub fn lookup(name: &[u8]) -> Option<Entry> {
    entries().find(|e| e.name.as_bytes().eq_ignore_ascii_case(name))
}

/// A parsed value, ready to store.
#[derive(Debug)]
enum Parsed {
    Bool(bool),
    Num(i64),
    Text(String),
    Flags(u32),
    Save(Vec<(u64, u64)>),
}

/// Redis's `memtoull`: digits with an optional unit (`b`, `k`, `kb`, `m`,
/// `mb`, `g`, `gb`, case-insensitive). No sign; an empty number is 0.
fn parse_memory(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = std::str::from_utf8(&s[digits..]).ok()?.to_ascii_lowercase();
    let mul: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    let mut val: u64 = 0;
    for &c in &s[..digits] {
        // strtoull saturates on overflow.
        val = val.saturating_mul(10).saturating_add(u64::from(c - b'0'));
    }
    Some(val.wrapping_mul(mul))
}

/// C's `strtoll` where the whole string must be consumed: an optional
/// sign and digits, saturating on overflow; an empty string reads as 0.
fn parse_strtoll(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        None => return Some(0),
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        Some(_) => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut v: i64 = 0;
    for c in digits.bytes() {
        let d = i64::from(c - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
    }
    Some(v)
}

fn parse_num(num: Num, raw: &[u8]) -> Result<i64, Cow<'static, str>> {
    let Num {
        min,
        max,
        unsigned,
        mem,
        percent,
    } = num;
    let mut parsed = None;
    if mem {
        parsed = parse_memory(raw).map(|v| v as i64);
    }
    if parsed.is_none() && percent && raw.len() > 1 && raw.ends_with(b"%") {
        if let Some(n) = crate::num::parse_i64(&raw[..raw.len() - 1]).filter(|n| *n >= 0) {
            parsed = Some(-n);
        }
    }
    if parsed.is_none() && !mem && !percent {
        parsed = crate::num::parse_i64(raw);
    }
    let v = parsed.ok_or(match (mem, percent) {
        (true, true) => "argument must be a memory or percent value",
        (true, false) => "argument must be a memory value",
        _ => "argument couldn't be parsed into an integer",
    })?;
    if unsigned {
        let u = v as u64 as i128;
        if u < min || u > max {
            return Err(format!("argument must be between {min} and {max} inclusive").into());
        }
    } else if percent && v < 0 {
        if (v as i128) < min {
            return Err(format!("percentage argument must be less or equal to {}", -min).into());
        }
    } else if (v as i128) < min || (v as i128) > max {
        return Err(format!("argument must be between {min} and {max} inclusive").into());
    }
    Ok(v)
}

fn format_num(kind: Kind, v: i64) -> String {
    match kind {
        Kind::Num(Num { percent: true, .. }) if v < 0 => format!("{}%", -(v as i128)),
        Kind::Num(Num { mem: true, .. }) | Kind::Num(Num { unsigned: true, .. }) => {
            (v as u64).to_string()
        }
        _ => v.to_string(),
    }
}

/// The arguments of a multi-argument value: split on single spaces, as
/// Redis does (so doubled spaces give empty arguments).
fn split_args(raw: &str) -> Vec<&str> {
    if raw.is_empty() {
        Vec::new()
    } else {
        raw.split(' ').collect()
    }
}

/// Parses `raw` for `setting`; the error is the text after
/// `CONFIG SET failed (possibly related to argument '...') - `.
fn parse(setting: &Setting, raw: &[u8], current: &Config) -> Result<Parsed, Cow<'static, str>> {
    let text = || String::from_utf8_lossy(raw).into_owned();
    Ok(match setting.kind {
        Kind::Bool => match raw.to_ascii_lowercase().as_slice() {
            b"yes" => Parsed::Bool(true),
            b"no" => Parsed::Bool(false),
            _ => return Err("argument must be 'yes' or 'no'".into()),
        },
        Kind::Num(num) => Parsed::Num(parse_num(num, raw)?),
        Kind::Enum(names) => {
            let t = text();
            let multi = setting.flags & flag::MULTI_ARG != 0;
            let args = if multi {
                split_args(&t)
            } else {
                vec![t.as_str()]
            };
            let bad = || {
                Cow::Owned(format!(
                    "argument(s) must be one of the following: {}",
                    names.join(", ")
                ))
            };
            let mut picked = Vec::with_capacity(args.len());
            for arg in &args {
                let i = names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(arg))
                    .ok_or_else(bad)?;
                picked.push(i);
            }
            match picked.as_slice() {
                [] => return Err(bad()),
                [i] if !multi => Parsed::Text(enum_name(setting, *i).to_string()),
                _ => Parsed::Text(shutdown_flags(names, &picked)?),
            }
        }
        Kind::Str => {
            let t = text();
            let what = match setting.name {
                "dbfilename" | "appendfilename" => "filename",
                "appenddirname" => "dirname",
                _ => "",
            };
            if !what.is_empty() && t.contains(['/', '\\']) {
                return Err(format!("{} can't be a path, just a {what}", setting.name).into());
            }
            Parsed::Text(t)
        }
        Kind::Special(sp) => parse_special(sp, &text(), current)?,
    })
}

fn parse_special(sp: Special, raw: &str, current: &Config) -> Result<Parsed, Cow<'static, str>> {
    let args = split_args(raw);
    Ok(match sp {
        Special::Save => {
            let invalid = || Cow::Borrowed("Invalid save parameters");
            if args.len() % 2 != 0 {
                return Err(invalid());
            }
            let mut rules = Vec::new();
            for pair in args.chunks_exact(2) {
                let secs = parse_strtoll(pair[0])
                    .filter(|v| *v >= 1)
                    .ok_or_else(invalid)?;
                let changes = parse_strtoll(pair[1])
                    .filter(|v| *v >= 0)
                    .ok_or_else(invalid)?;
                rules.push((secs as u64, changes as u64));
            }
            Parsed::Save(rules)
        }
        Special::NotifyKeyspaceEvents => match notify::parse_flags(raw.as_bytes()) {
            Some(f) => Parsed::Flags(f),
            None => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        },
        Special::Bind => {
            if args.len() > 16 {
                return Err("Too many bind addresses specified.".into());
            }
            Parsed::Text(args.join(" "))
        }
        // Redis chdirs to `dir`; the engine keeps the absolute path instead
        // (the Python process's working directory is not the engine's).
        Special::Dir => match std::fs::metadata(raw) {
            Ok(m) if m.is_dir() => Parsed::Text(
                std::fs::canonicalize(raw)
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_else(|_| raw.to_string()),
            ),
            Ok(_) => return Err("Not a directory".into()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err("No such file or directory".into())
            }
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err("Permission denied".into())
            }
            Err(e) => return Err(e.to_string().into()),
        },
        // Protected: CONFIG SET never gets here.
        Special::ReplicaOf => Parsed::Text(raw.to_string()),
        Special::ClientOutputBufferLimit => Parsed::Text(parse_obuf_limits(&args, current)?),
        Special::OomScoreAdjValues => {
            if args.len() != 3 {
                return Err("wrong number of arguments".into());
            }
            let mut vals = Vec::new();
            for a in &args {
                match parse_strtoll(a).filter(|v| (-2000..=2000).contains(v)) {
                    Some(v) => vals.push(v.to_string()),
                    None => return Err(
                        "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                            .into(),
                    ),
                }
            }
            Parsed::Text(vals.join(" "))
        }
        Special::LatencyPercentiles => {
            let mut vals = Vec::new();
            for a in args.iter().filter(|a| !(args.len() == 1 && a.is_empty())) {
                let p = crate::num::parse_f64(a.as_bytes()).ok_or(Cow::Borrowed(
                    "Invalid latency-tracking-info-percentiles parameters",
                ))?;
                if !(0.0..=100.0).contains(&p) {
                    return Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into());
                }
                vals.push(format_percentile(p));
            }
            Parsed::Text(vals.join(" "))
        }
    })
}

/// The name CONFIG GET shows for choice `i` of an enum: Redis shows the
/// first name of a value that has several (oom-score-adj `relative` is
/// `yes`).
fn enum_name(setting: &Setting, i: usize) -> &'static str {
    let Kind::Enum(names) = setting.kind else {
        return "";
    };
    match (setting.name, names.get(i).copied().unwrap_or("")) {
        ("oom-score-adj", "relative") => "yes",
        (_, name) => name,
    }
}

/// shutdown-on-sigint/sigterm: flags combined from several names
/// (`default` is none of them), shown in table order.
fn shutdown_flags(names: &[&str], picked: &[usize]) -> Result<String, Cow<'static, str>> {
    let has = |n: &str| picked.iter().any(|&i| names[i] == n);
    if has("save") && has("nosave") {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    let set: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, n)| **n != "default" && picked.contains(i))
        .map(|(_, n)| *n)
        .collect();
    Ok(if set.is_empty() {
        "default".to_string()
    } else {
        set.join(" ")
    })
}

/// `%f` then trailing zeros (and a trailing dot) trimmed.
fn format_percentile(p: f64) -> String {
    let s = format!("{p:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// client-output-buffer-limit: `<class> <hard> <soft> <seconds>` groups;
/// classes not mentioned keep their limits.
fn parse_obuf_limits(args: &[&str], current: &Config) -> Result<String, Cow<'static, str>> {
    if args.len() % 4 != 0 {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let now = current
        .extra
        .get("client-output-buffer-limit")
        .map_or(DEFAULT_OBUF_LIMITS, String::as_str);
    let mut limits: Vec<[String; 4]> = now
        .split(' ')
        .collect::<Vec<_>>()
        .chunks_exact(4)
        .map(|c| {
            [
                c[0].to_string(),
                c[1].to_string(),
                c[2].to_string(),
                c[3].to_string(),
            ]
        })
        .collect();
    for group in args.chunks_exact(4) {
        let class = match group[0].to_ascii_lowercase().as_str() {
            "normal" => "normal",
            "slave" | "replica" => "slave",
            "pubsub" => "pubsub",
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = parse_memory(group[1].as_bytes());
        let soft = parse_memory(group[2].as_bytes());
        // Redis stores the seconds in an int before checking the sign.
        let secs = parse_strtoll(group[3])
            .map(|v| v as i32)
            .filter(|v| *v >= 0);
        let (Some(hard), Some(soft), Some(secs)) = (hard, soft, secs) else {
            return Err(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into(),
            );
        };
        if let Some(slot) = limits.iter_mut().find(|l| l[0] == class) {
            *slot = [
                class.to_string(),
                hard.to_string(),
                soft.to_string(),
                secs.to_string(),
            ];
        }
    }
    Ok(limits
        .iter()
        .map(|l| l.join(" "))
        .collect::<Vec<_>>()
        .join(" "))
}

/// Why CONFIG SET refused: its error reply.
pub fn set_error(arg: &str, why: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{arg}') - {why}")
}

impl Config {
    /// True when the eviction policy is an LFU one (OBJECT FREQ works,
    /// OBJECT IDLETIME does not).
    #[inline]
    pub fn lfu(&self) -> bool {
        // Every command asks (through `lfu_params`): one 4-byte compare.
        let p = self.maxmemory_policy.as_bytes();
        p.len() >= 4 && p[p.len() - 4..] == *b"-lfu"
    }

    /// The LFU counter settings when an LFU policy is selected.
    #[inline]
    pub fn lfu_params(&self) -> Option<crate::engine::lfu::Params> {
        self.lfu().then(|| crate::engine::lfu::Params {
            log_factor: self.lfu_log_factor.clamp(0, i64::from(u32::MAX)) as u32,
            decay_minutes: self.lfu_decay_time.clamp(0, i64::from(u32::MAX)) as u32,
        })
    }

    /// latency-tracking-info-percentiles: each as CONFIG GET shows it
    /// (INFO latencystats's label) and its value.
    pub fn latency_percentiles(&self) -> Vec<(String, f64)> {
        let text = lookup(b"latency-tracking-info-percentiles")
            .map(|e| self.get(e.setting))
            .unwrap_or_default();
        text.split_whitespace()
            .filter_map(|t| Some((t.to_string(), t.parse().ok()?)))
            .collect()
    }

    /// The value CONFIG GET shows for `setting`.
    pub fn get(&self, setting: &Setting) -> String {
        let n = |v: i64| format_num(setting.kind, v);
        match setting.name {
            "databases" => n(self.databases as i64),
            "hz" => n(i64::from(self.hz)),
            "maxmemory" => n(self.maxmemory as i64),
            "maxmemory-policy" => self.maxmemory_policy.clone(),
            "maxmemory-samples" => n(i64::from(self.maxmemory_samples)),
            "notify-keyspace-events" => notify::format_flags(self.notify_keyspace_events),
            "hash-max-listpack-entries" => n(self.hash_max_listpack_entries as i64),
            "hash-max-listpack-value" => n(self.hash_max_listpack_value as i64),
            "set-max-intset-entries" => n(self.set_max_intset_entries as i64),
            "zset-max-listpack-entries" => n(self.zset_max_listpack_entries as i64),
            "zset-max-listpack-value" => n(self.zset_max_listpack_value as i64),
            "list-max-listpack-size" => n(self.list_max_listpack_size),
            "list-compress-depth" => n(self.list_compress_depth),
            "hll-sparse-max-bytes" => n(self.hll_sparse_max_bytes as i64),
            "proto-max-bulk-len" => n(self.proto_max_bulk_len as i64),
            "busy-reply-threshold" => n(self.lua_time_limit),
            "timeout" => n(self.timeout),
            "dir" => std::fs::canonicalize(&self.dir)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|_| self.dir.clone()),
            "dbfilename" => self.dbfilename.clone(),
            "appendonly" => yes_no(self.appendonly),
            "appendfilename" => self.appendfilename.clone(),
            "appendfsync" => self.appendfsync.clone(),
            "save" => self
                .save
                .iter()
                .map(|(s, c)| format!("{s} {c}"))
                .collect::<Vec<_>>()
                .join(" "),
            "port" => n(i64::from(self.port)),
            "bind" => self.bind.clone(),
            "requirepass" => self.requirepass.clone(),
            "maxclients" => n(self.maxclients as i64),
            "slowlog-log-slower-than" => n(self.slowlog_log_slower_than),
            "slowlog-max-len" => n(self.slowlog_max_len as i64),
            "latency-monitor-threshold" => n(self.latency_monitor_threshold),
            "latency-tracking" => yes_no(self.latency_tracking),
            "lfu-log-factor" => n(self.lfu_log_factor),
            "lfu-decay-time" => n(self.lfu_decay_time),
            name => self
                .extra
                .get(name)
                .cloned()
                .unwrap_or_else(|| setting.default.to_string()),
        }
    }

    fn store(&mut self, setting: &'static Setting, v: Parsed) {
        let num = match v {
            Parsed::Num(n) => n,
            _ => 0,
        };
        let text = |v: &Parsed| match v {
            Parsed::Text(t) => t.clone(),
            _ => String::new(),
        };
        match (setting.name, &v) {
            ("hz", _) => self.hz = num as u32,
            ("databases", _) => self.databases = num as usize,
            ("dir", _) => self.dir = text(&v),
            ("dbfilename", _) => self.dbfilename = text(&v),
            ("appendfilename", _) => self.appendfilename = text(&v),
            ("maxmemory", _) => self.maxmemory = num as u64,
            ("maxmemory-policy", _) => self.maxmemory_policy = text(&v),
            ("maxmemory-samples", _) => self.maxmemory_samples = num as u32,
            ("notify-keyspace-events", Parsed::Flags(f)) => self.notify_keyspace_events = *f,
            ("hash-max-listpack-entries", _) => self.hash_max_listpack_entries = num as usize,
            ("hash-max-listpack-value", _) => self.hash_max_listpack_value = num as usize,
            ("set-max-intset-entries", _) => self.set_max_intset_entries = num as usize,
            ("zset-max-listpack-entries", _) => self.zset_max_listpack_entries = num as usize,
            ("zset-max-listpack-value", _) => self.zset_max_listpack_value = num as usize,
            ("list-max-listpack-size", _) => self.list_max_listpack_size = num,
            ("list-compress-depth", _) => self.list_compress_depth = num,
            ("hll-sparse-max-bytes", _) => self.hll_sparse_max_bytes = num as usize,
            ("proto-max-bulk-len", _) => self.proto_max_bulk_len = num as u64,
            ("busy-reply-threshold", _) => self.lua_time_limit = num,
            ("timeout", _) => self.timeout = num,
            ("appendonly", Parsed::Bool(on)) => self.appendonly = *on,
            ("appendfsync", _) => self.appendfsync = text(&v),
            ("save", Parsed::Save(rules)) => self.save = rules.clone(),
            ("port", _) => self.port = num as u16,
            ("bind", _) => self.bind = text(&v),
            ("requirepass", _) => self.requirepass = text(&v),
            ("maxclients", _) => self.maxclients = num as u64,
            ("slowlog-log-slower-than", _) => self.slowlog_log_slower_than = num,
            ("slowlog-max-len", _) => self.slowlog_max_len = num as u64,
            ("latency-monitor-threshold", _) => self.latency_monitor_threshold = num,
            ("latency-tracking", Parsed::Bool(on)) => self.latency_tracking = *on,
            ("lfu-log-factor", _) => self.lfu_log_factor = num,
            ("lfu-decay-time", _) => self.lfu_decay_time = num,
            (name, _) => {
                let shown = match &v {
                    Parsed::Bool(on) => yes_no(*on),
                    Parsed::Num(n) => format_num(setting.kind, *n),
                    Parsed::Text(t) => t.clone(),
                    Parsed::Flags(f) => notify::format_flags(*f),
                    Parsed::Save(_) => String::new(),
                };
                self.extra.insert(name, shown);
            }
        }
    }

    /// CONFIG SET of several `(name, value)` pairs: all applied, or none
    /// (the config is untouched) with Redis's error reply text.
    pub fn set_many(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        self.set_pairs(pairs, false)
    }

    /// Settings given when an engine is created, as redis-server takes
    /// them on its command line: immutable and protected ones included.
    pub fn set_startup(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), String> {
        self.set_pairs(pairs, true)
    }

    /// True when `enable-<what>` allows it: `yes`, or `local`, which an
    /// in-process client always is.
    pub fn enabled(&self, what: &str) -> bool {
        matches!(
            self.extra.get(what).map(String::as_str),
            Some("yes") | Some("local")
        )
    }

    fn set_pairs(&mut self, pairs: &[(&[u8], &[u8])], startup: bool) -> Result<(), String> {
        let mut found: Vec<Entry> = Vec::with_capacity(pairs.len());
        // Names are checked in order and the first problem is the one
        // reported, whatever its kind.
        for (name, _) in pairs {
            let shown = || String::from_utf8_lossy(name).into_owned();
            let Some(entry) = lookup(name) else {
                return Err(format!(
                    "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                    shown()
                ));
            };
            if entry.setting.flags & flag::IMMUTABLE != 0 && !startup {
                return Err(set_error(&shown(), "can't set immutable config"));
            }
            if entry.setting.flags & flag::PROTECTED != 0
                && !startup
                && !self.enabled("enable-protected-configs")
            {
                return Err(set_error(&shown(), "can't set protected config"));
            }
            if found.iter().any(|e| e.same(&entry)) {
                return Err(set_error(&shown(), "duplicate parameter"));
            }
            found.push(entry);
        }
        let mut next = self.clone();
        for (entry, (_, raw)) in found.iter().zip(pairs) {
            let parsed =
                parse(entry.setting, raw, &next).map_err(|why| set_error(entry.name, &why))?;
            next.store(entry.setting, parsed);
        }
        *self = next;
        Ok(())
    }
}

fn yes_no(on: bool) -> String {
    (if on { "yes" } else { "no" }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_defaults_match_the_table() {
        let c = Config::default();
        for s in SETTINGS {
            if matches!(s.name, "dir") {
                continue;
            }
            assert_eq!(c.get(s), s.default, "{}", s.name);
        }
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in entries() {
            assert!(seen.insert(e.name), "{}", e.name);
        }
    }

    #[test]
    fn memory_values_take_units() {
        assert_eq!(parse_memory(b"1gb"), Some(1 << 30));
        assert_eq!(parse_memory(b"5K"), Some(5000));
        assert_eq!(parse_memory(b""), Some(0));
        assert_eq!(parse_memory(b"-1"), None);
        assert_eq!(parse_memory(b"1x"), None);
    }

    #[test]
    fn set_many_is_all_or_nothing() {
        let mut c = Config::default();
        let err = c
            .set_many(&[(b"maxmemory", b"10mb"), (b"hz", b"nope")])
            .unwrap_err();
        assert_eq!(
            err,
            "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer"
        );
        assert_eq!(c.maxmemory, 0);
        c.set_many(&[(b"maxmemory", b"10mb"), (b"hash-max-ziplist-entries", b"7")])
            .unwrap();
        assert_eq!(c.maxmemory, 10 << 20);
        assert_eq!(c.hash_max_listpack_entries, 7);
    }

    #[test]
    fn ranges_and_enums_report_like_redis() {
        let mut c = Config::default();
        let e = c.set_many(&[(b"maxclients", b"-1")]).unwrap_err();
        assert!(
            e.ends_with("argument must be between 1 and 4294967295 inclusive"),
            "{e}"
        );
        let e = c.set_many(&[(b"appendfsync", b"sometimes")]).unwrap_err();
        assert!(
            e.ends_with("must be one of the following: everysec, always, no"),
            "{e}"
        );
        c.set_many(&[(b"maxmemory-clients", b"50%")]).unwrap();
        assert_eq!(c.get(lookup(b"maxmemory-clients").unwrap().setting), "50%");
    }
}
