//! SLOWLOG and LATENCY: what the dispatcher measures about each command.
//!
//! [`record`] runs after every top-level command with its duration: the
//! slow log keeps commands slower than `slowlog-log-slower-than` µs (at
//! most `slowlog-max-len`, arguments trimmed as Redis trims them), the
//! latency monitor keeps per-second maxima of the `command` and
//! `fast-command` events over `latency-monitor-threshold` ms, every
//! command counts in INFO's `commandstats` (calls, µs, rejected and failed
//! calls), and with `latency-tracking yes` every command feeds its latency
//! histogram (LATENCY HISTOGRAM, INFO `latencystats`). Error replies are
//! counted by their code for INFO `errorstats` ([`count_error`]).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;

use super::flags::*;
use super::routing::{Combine, Nodes};
use super::{Command, Ctx, Group};
use crate::engine::Store;
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

const S: Group = Group::Server;
const ADM: u32 = ADMIN | LOADING | STALE;
const ADM_NS: u32 = ADMIN | NOSCRIPT | LOADING | STALE;

const SLOWLOG_SUBCOMMANDS: &[Command] = &[
    Command::new("slowlog|get", -2, ADM, S, slowlog_get).reply("parse_slowlog_get"),
    Command::new("slowlog|len", 2, ADM, S, slowlog_len),
    Command::new("slowlog|reset", 2, ADM, S, slowlog_reset)
        .route(Nodes::AllNodes, Combine::AllTrue)
        .reply("OK"),
    Command::new("slowlog|help", 2, LOADING | STALE, S, slowlog_help),
];

const LATENCY_SUBCOMMANDS: &[Command] = &[
    Command::new("latency|latest", 2, ADM_NS, S, latency_latest),
    Command::new("latency|history", 3, ADM_NS, S, latency_history),
    Command::new("latency|reset", -2, ADM_NS, S, latency_reset),
    Command::new("latency|histogram", -2, ADM_NS, S, latency_histogram)
        .reply("parse_latency_histogram"),
    Command::new("latency|doctor", 2, ADM_NS, S, latency_doctor),
    Command::new("latency|graph", 3, ADM_NS, S, latency_graph),
    Command::new("latency|help", 2, LOADING | STALE, S, latency_help),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("slowlog", -2, 0, S, super::server::container).subcommands(SLOWLOG_SUBCOMMANDS),
    Command::new("latency", -2, 0, S, super::server::container).subcommands(LATENCY_SUBCOMMANDS),
];

/// Redis keeps at most this many arguments of a slow command...
const MAX_ARGC: usize = 32;
/// ...and this many bytes of each.
const MAX_STRING: usize = 128;
/// Samples kept per latency event (one per second at most).
const SERIES_LEN: usize = 160;
/// Latency histogram buckets: powers of two from 1024 ns.
const BUCKETS: usize = 40;

struct SlowEntry {
    id: u64,
    time: i64,
    micros: u64,
    argv: Vec<Bytes>,
    peer: Bytes,
    name: Bytes,
}

/// One latency event's samples: (unix second, ms), newest last.
#[derive(Default)]
struct Series {
    samples: VecDeque<(i64, u64)>,
    max: u64,
}

/// What one command's calls added up to: INFO `commandstats` and its
/// latency histogram.
struct CommandStats {
    /// Runs (INFO `calls`) and their total time in ns (INFO shows µs:
    /// the sum of calls shorter than a µs is kept).
    runs: u64,
    nanos: u64,
    /// Refused before running (arity, AUTH, ACL, OOM...) / ran and
    /// answered with an error.
    rejected: u64,
    failed: u64,
    /// Samples in the histogram (with `latency-tracking yes`).
    calls: u64,
    counts: [u64; BUCKETS],
}

impl Default for CommandStats {
    fn default() -> Self {
        CommandStats {
            runs: 0,
            nanos: 0,
            rejected: 0,
            failed: 0,
            calls: 0,
            counts: [0; BUCKETS],
        }
    }
}

/// Redis tracks at most this many error codes in `errorstats`.
const ERROR_CODES_MAX: usize = 128;

/// The slow log, latency events and histograms of a store.
#[derive(Default)]
pub struct Slowlog {
    slowlog: VecDeque<SlowEntry>,
    next_id: u64,
    events: HashMap<&'static str, Series>,
    /// Per command, keyed by its table row's address.
    histograms:
        indexmap::IndexMap<usize, (&'static Command, CommandStats), crate::engine::value::Hasher>,
    /// The last command measured and its entry's index: a client
    /// repeating one command finds its entry without hashing.
    last: (usize, usize),
    /// Error replies by code (`ERR`, `WRONGTYPE`...), and all of them.
    errors: indexmap::IndexMap<String, u64>,
    total_errors: u64,
}

impl std::fmt::Debug for Slowlog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slowlog")
            .field("slowlog", &self.slowlog.len())
            .finish_non_exhaustive()
    }
}

/// Accounts one command that took `took` (not counting time blocked).
pub fn record(
    store: &mut Store,
    client_name: Option<&Bytes>,
    cmd: &'static Command,
    argv: &[&[u8]],
    took: Duration,
) {
    let micros = took.as_micros() as u64;
    let cfg = &store.config;
    let (slower, max_len) = (cfg.slowlog_log_slower_than, cfg.slowlog_max_len as usize);
    let threshold = cfg.latency_monitor_threshold.max(0) as u64;
    let tracking = cfg.latency_tracking;
    let m = &mut store.slowlog;
    if !cmd.has(SKIP_SLOWLOG) && slower >= 0 && micros >= slower as u64 {
        m.push_slow(client_name, argv, micros, max_len);
    }
    let ms = micros / 1000;
    if threshold > 0 && ms >= threshold {
        let event = if cmd.has(FAST) {
            "fast-command"
        } else {
            "command"
        };
        m.add_sample(event, ms);
    }
    let h = m.entry(cmd);
    h.runs += 1;
    h.nanos += took.as_nanos() as u64;
    if tracking {
        h.calls += 1;
        let ns = took.as_nanos().max(1) as u64;
        h.counts[bucket_of(ns)] += 1;
    }
}

/// Counts a call of `cmd` refused before it ran with error `text` (a
/// wrong number of arguments, NOAUTH, NOPERM, OOM, BUSY...): INFO's
/// `rejected_calls` and `errorstats`, as Redis's rejectCommand counts.
pub fn rejected(store: &mut Store, cmd: &'static Command, text: &[u8]) {
    store.slowlog.entry(cmd).rejected += 1;
    count_error(store, text);
}

/// Counts a run of `cmd` that answered with an error: `failed_calls`.
pub fn failed(store: &mut Store, cmd: &'static Command) {
    store.slowlog.entry(cmd).failed += 1;
}

/// Counts an error reply in INFO `errorstats` by its code (the first
/// word, `ERR` for a bare message) and in `total_error_replies`.
pub fn count_error(store: &mut Store, text: &[u8]) {
    let m = &mut store.slowlog;
    m.total_errors += 1;
    let code = text.split(|&b| b == b' ').next().unwrap_or_default();
    let code = if code.is_empty() {
        "ERR".into()
    } else {
        String::from_utf8_lossy(code)
    };
    if let Some(n) = m.errors.get_mut(code.as_ref()) {
        *n += 1;
    } else if m.errors.len() < ERROR_CODES_MAX {
        m.errors.insert(code.into_owned(), 1);
    }
}

/// Error replies so far (INFO `total_error_replies`).
pub fn error_replies(store: &Store) -> u64 {
    store.slowlog.total_errors
}

/// CONFIG RESETSTAT: commandstats, latency histograms and errorstats
/// start again.
pub fn reset_stats(store: &mut Store) {
    let m = &mut store.slowlog;
    m.histograms.clear();
    m.last = (0, 0);
    m.errors.clear();
    m.total_errors = 0;
}

/// INFO `commandstats`: one line per command called (or refused) since
/// the start or CONFIG RESETSTAT.
pub fn write_commandstats(store: &Store, out: &mut String) {
    use std::fmt::Write;
    for (cmd, h) in store.slowlog.histograms.values() {
        if h.runs == 0 && h.rejected == 0 && h.failed == 0 {
            continue;
        }
        let usec = h.nanos / 1000;
        let per_call = if h.runs == 0 {
            0.0
        } else {
            usec as f64 / h.runs as f64
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={usec},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
            cmd.name, h.runs, h.rejected, h.failed
        );
    }
}

/// INFO `errorstats`: one line per error code replied.
pub fn write_errorstats(store: &Store, out: &mut String) {
    use std::fmt::Write;
    for (code, n) in &store.slowlog.errors {
        let _ = write!(out, "errorstat_{code}:count={n}\r\n");
    }
}

/// INFO `latencystats`: each command's latency at the percentiles
/// `latency-tracking-info-percentiles` names (p50, p99, p99.9 by default),
/// in µs. The histogram's buckets are powers of two (those of LATENCY
/// HISTOGRAM), so a percentile is its bucket's upper bound: coarser than
/// redis-server's two significant digits.
pub fn write_latencystats(store: &Store, out: &mut String) {
    use std::fmt::Write;
    let percentiles = store.config.latency_percentiles();
    for (cmd, h) in store.slowlog.histograms.values() {
        if h.calls == 0 {
            continue;
        }
        let _ = write!(out, "latency_percentiles_usec_{}:", cmd.name);
        for (i, (label, p)) in percentiles.iter().enumerate() {
            // The sample at this rank (hdr_histogram's rounding).
            let rank = ((p / 100.0) * h.calls as f64 + 0.5).max(1.0) as u64;
            let mut seen = 0;
            let mut micros = 0.0;
            for (k, &c) in h.counts.iter().enumerate() {
                seen += c;
                micros = bucket_top(k) as f64 / 1000.0;
                if seen >= rank {
                    break;
                }
            }
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(out, "{sep}p{label}={micros:.3}");
        }
        out.push_str("\r\n");
    }
}

/// The largest nanosecond value bucket `k` holds (HDR's "highest
/// equivalent value" at two significant digits).
/// The first bucket whose top is at least `ns` (the last one for larger
/// values), found from the bit length instead of a scan.
#[inline]
fn bucket_of(ns: u64) -> usize {
    // The smallest k with 1024 << k >= ns; the bucket below may still
    // hold ns (its top is a little above its power of two).
    let mut k = if ns <= 1024 {
        0
    } else {
        (64 - ((ns - 1) >> 10).leading_zeros()) as usize
    };
    if k > 0 && ns <= bucket_top(k - 1) {
        k -= 1;
    }
    k.min(BUCKETS - 1)
}

fn bucket_top(k: usize) -> u64 {
    let base = 1024u64 << k;
    base + base / 128 - 1
}

impl Slowlog {
    /// `cmd`'s entry, made on first use.
    #[inline]
    fn entry(&mut self, cmd: &'static Command) -> &mut CommandStats {
        let key = cmd as *const Command as usize;
        let cached = self.last.0 == key
            && self
                .histograms
                .get_index(self.last.1)
                .is_some_and(|(k, _)| *k == key);
        let idx = if cached {
            self.last.1
        } else {
            let idx = match self.histograms.get_index_of(&key) {
                Some(idx) => idx,
                None => {
                    self.histograms
                        .insert_full(key, (cmd, CommandStats::default()))
                        .0
                }
            };
            self.last = (key, idx);
            idx
        };
        &mut self.histograms[idx].1
    }

    fn push_slow(&mut self, name: Option<&Bytes>, argv: &[&[u8]], micros: u64, max_len: usize) {
        let kept = argv.len().min(MAX_ARGC);
        let mut args = Vec::with_capacity(kept);
        for (j, a) in argv.iter().take(kept).enumerate() {
            if kept != argv.len() && j == kept - 1 {
                let more = argv.len() - kept + 1;
                args.push(Bytes::from(format!("... ({more} more arguments)")));
            } else if a.len() > MAX_STRING {
                let mut s = a[..MAX_STRING].to_vec();
                s.extend_from_slice(
                    format!("... ({} more bytes)", a.len() - MAX_STRING).as_bytes(),
                );
                args.push(Bytes::from(s));
            } else {
                args.push(Bytes::copy_from_slice(a));
            }
        }
        self.slowlog.push_front(SlowEntry {
            id: self.next_id,
            time: crate::engine::now_ms() / 1000,
            micros,
            argv: args,
            peer: Bytes::from_static(b"embedded:0"),
            name: name.cloned().unwrap_or_default(),
        });
        self.next_id += 1;
        self.slowlog.truncate(max_len);
    }

    fn add_sample(&mut self, event: &'static str, ms: u64) {
        let now = crate::engine::now_ms() / 1000;
        let s = self.events.entry(event).or_default();
        s.max = s.max.max(ms);
        match s.samples.back_mut() {
            Some((t, v)) if *t == now => *v = (*v).max(ms),
            _ => {
                s.samples.push_back((now, ms));
                if s.samples.len() > SERIES_LEN {
                    s.samples.pop_front();
                }
            }
        }
    }
}

/// SLOWLOG GET [count] — newest first; 10 by default, -1 for all.
fn slowlog_get(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let count = match argv.get(2) {
        None => 10,
        Some(a) => match crate::num::parse_i64(a) {
            Some(n) if n >= -1 => n,
            _ => {
                return Err(Error::err(
                    "ERR count should be greater than or equal to -1",
                ))
            }
        },
    };
    let log = &ctx.store.slowlog.slowlog;
    let n = if count == -1 {
        log.len()
    } else {
        (count as usize).min(log.len())
    };
    let entries = log.iter().take(n).map(|e| {
        Frame::Array(vec![
            Frame::Integer(e.id as i64),
            Frame::Integer(e.time),
            Frame::Integer(e.micros as i64),
            Frame::Array(e.argv.iter().cloned().map(Frame::Bulk).collect()),
            Frame::Bulk(e.peer.clone()),
            Frame::Bulk(e.name.clone()),
        ])
    });
    Ok(Frame::Array(entries.collect()))
}

/// SLOWLOG LEN
fn slowlog_len(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(ctx.store.slowlog.slowlog.len() as i64))
}

/// SLOWLOG RESET
fn slowlog_reset(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    ctx.store.slowlog.slowlog.clear();
    Ok(Frame::ok())
}

/// SLOWLOG HELP
fn slowlog_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(super::server::help_reply(
        argv[0],
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    ))
}

/// LATENCY LATEST — [event, last time, last ms, max ms] per event.
fn latency_latest(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let mut out = Vec::new();
    for (name, s) in &ctx.store.slowlog.events {
        let Some(&(t, v)) = s.samples.back() else {
            continue;
        };
        out.push(Frame::Array(vec![
            Frame::bulk(name.as_bytes()),
            Frame::Integer(t),
            Frame::Integer(v as i64),
            Frame::Integer(s.max as i64),
        ]));
    }
    Ok(Frame::Array(out))
}

/// LATENCY HISTORY event — [time, ms] samples, oldest first.
fn latency_history(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let samples = ctx
        .store
        .slowlog
        .events
        .iter()
        .find(|(n, _)| n.as_bytes() == argv[2])
        .map(|(_, s)| {
            s.samples
                .iter()
                .map(|&(t, v)| Frame::Array(vec![Frame::Integer(t), Frame::Integer(v as i64)]))
                .collect()
        })
        .unwrap_or_default();
    Ok(Frame::Array(samples))
}

/// LATENCY RESET [event ...] — how many event series were dropped.
fn latency_reset(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let events = &mut ctx.store.slowlog.events;
    if argv.len() == 2 {
        let n = events.len();
        events.clear();
        return Ok(Frame::Integer(n as i64));
    }
    let mut n = 0;
    for a in &argv[2..] {
        let name = events.keys().find(|k| k.as_bytes() == *a).copied();
        if let Some(name) = name {
            events.remove(name);
            n += 1;
        }
    }
    Ok(Frame::Integer(n))
}

/// One command's histogram: calls and the cumulative counts per bucket
/// (in µs), listing only buckets where the count grows.
fn histogram_frame(h: &CommandStats) -> Frame {
    let mut buckets = Vec::new();
    let mut total = 0;
    for (k, &c) in h.counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        total += c;
        let micros = bucket_top(k) / 1000;
        buckets.push((Frame::Integer(micros as i64), Frame::Integer(total as i64)));
    }
    Frame::Map(vec![
        (Frame::bulk(b"calls"), Frame::Integer(h.calls as i64)),
        (Frame::bulk(b"histogram_usec"), Frame::Map(buckets)),
    ])
}

/// LATENCY HISTOGRAM [command ...] — per command (subcommands included),
/// every command called so far when none is named.
fn latency_histogram(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let hs = &ctx.store.slowlog.histograms;
    let mut out = Vec::new();
    let mut add = |cmd: &'static Command| {
        let name = cmd.name;
        if let Some((_, h)) = hs
            .get(&(cmd as *const Command as usize))
            .filter(|(_, h)| h.calls > 0)
        {
            if !out
                .iter()
                .any(|(k, _): &(Frame, Frame)| k == &Frame::bulk(name.as_bytes()))
            {
                out.push((Frame::bulk(name.as_bytes()), histogram_frame(h)));
            }
        }
    };
    if argv.len() == 2 {
        let mut cmds: Vec<&'static Command> = super::all()
            .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
            .collect();
        cmds.sort_unstable_by_key(|c| c.name);
        cmds.into_iter().for_each(&mut add);
    } else {
        for a in &argv[2..] {
            let Some(cmd) = super::command_info::by_full_name(a) else {
                continue;
            };
            add(cmd);
            cmd.subcommands.iter().for_each(&mut add);
        }
    }
    Ok(Frame::Map(out))
}

/// LATENCY DOCTOR — Redis's report: each event's spike count, average,
/// mean deviation, period and worst time, then its advice for `command`
/// events (the ones the engine measures besides `fast-command`).
fn latency_doctor(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let cfg = &ctx.store.config;
    let threshold = cfg.latency_monitor_threshold;
    let events = &ctx.store.slowlog.events;
    if threshold == 0 && events.is_empty() {
        return Ok(doctor_text("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into()));
    }
    if events.is_empty() {
        return Ok(doctor_text("Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sleep a bit and stop worrying. You have been working on this for a long time, now. Take a break.\n".into()));
    }
    let mut names: Vec<_> = events.keys().copied().collect();
    names.sort_unstable();
    let mut t = String::from("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n");
    let now = crate::engine::now_ms() / 1000;
    let mut commands = false;
    for (i, name) in names.iter().enumerate() {
        let s = &events[name];
        let n = s.samples.len() as u64;
        let avg = s.samples.iter().map(|x| x.1).sum::<u64>() / n.max(1);
        let mad = s.samples.iter().map(|x| x.1.abs_diff(avg)).sum::<u64>() / n.max(1);
        let oldest = s.samples.iter().map(|x| x.0).min().unwrap_or(now);
        let period = (now - oldest).max(1);
        t.push_str(&format!(
            "{}. {name}: {n} latency spikes (average {avg}ms, mean deviation {mad}ms, period {:.2} sec). Worst all time event {}ms.\n",
            i + 1,
            period as f64 / n.max(1) as f64,
            s.max
        ));
        commands |= *name == "command";
    }
    if !commands {
        t.push_str("\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n");
        return Ok(doctor_text(t));
    }
    t.push_str("\nI have a few advices for you:\n\n");
    let wanted = threshold * 1000;
    if cfg.slowlog_log_slower_than < 0 {
        t.push_str(&format!("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than {wanted}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n"));
    } else if cfg.slowlog_log_slower_than / 1000 > threshold {
        t.push_str(&format!("- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than {wanted}'.\n"));
    }
    t.push_str("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n");
    t.push_str("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n");
    Ok(doctor_text(t))
}

fn doctor_text(t: String) -> Frame {
    Frame::Verbatim(*b"txt", t.into())
}

/// LATENCY GRAPH event — Redis's sparkline of the event's samples: a
/// header with high/low/all-time-high, 4 rows filled with `_o#|` (80
/// columns per block), then each sample's age as a vertical label.
fn latency_graph(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let event = argv[2];
    let shown = crate::error::lossy(event, usize::MAX);
    let Some(s) = ctx
        .store
        .slowlog
        .events
        .iter()
        .find(|(n, _)| n.as_bytes() == event)
        .map(|(_, s)| s)
    else {
        return Err(Error::msg(format!(
            "ERR No samples available for event '{shown}'"
        )));
    };
    let now = crate::engine::now_ms() / 1000;
    let samples: Vec<(u64, String)> = s
        .samples
        .iter()
        .map(|&(t, v)| {
            let ago = now - t;
            let label = match ago {
                ..=59 => format!("{ago}s"),
                60..=3599 => format!("{}m", ago / 60),
                3600..=86399 => format!("{}h", ago / 3600),
                _ => format!("{}d", ago / 86400),
            };
            (v, label)
        })
        .collect();
    let max = samples.iter().map(|x| x.0).max().unwrap_or(0);
    let min = samples.iter().map(|x| x.0).min().unwrap_or(0);
    let mut g = format!(
        "{shown} - high {max} ms, low {min} ms (all time high {} ms)\n{}\n",
        s.max,
        "-".repeat(GRAPH_COLS)
    );
    for (i, block) in samples.chunks(GRAPH_COLS).enumerate() {
        if i != 0 {
            g.push('\n');
        }
        sparkline(&mut g, block, min, max);
    }
    Ok(Frame::Verbatim(*b"txt", g.into()))
}

const GRAPH_COLS: usize = 80;

/// One block of a filled sparkline, 4 rows high, as Redis draws it.
fn sparkline(out: &mut String, block: &[(u64, String)], min: u64, max: u64) {
    const ROWS: i64 = 4;
    const FILL: &[u8] = b"_o#";
    let levels = FILL.len() as i64;
    let steps = levels * ROWS;
    let relmax = if max == min { 1.0 } else { (max - min) as f64 };
    for row in 0..ROWS {
        let line: String = block
            .iter()
            .map(|(v, _)| {
                let relval = (v - min) as f64;
                let step = (((relval * steps as f64) as i64) as f64 / relmax) as i64;
                let step = step.clamp(0, steps - 1);
                let idx = step - (ROWS - row - 1) * levels;
                match idx {
                    i if (0..levels).contains(&i) => char::from(FILL[i as usize]),
                    i if i >= levels => '|',
                    _ => ' ',
                }
            })
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
    // A spacing line, then the labels written downwards.
    out.push_str(&" ".repeat(block.len()));
    out.push('\n');
    let tallest = block.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    for i in 0..tallest {
        let line: String = block
            .iter()
            .map(|(_, l)| l.as_bytes().get(i).map_or(' ', |c| char::from(*c)))
            .collect();
        out.push_str(&line);
        out.push('\n');
    }
}

/// LATENCY HELP
fn latency_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(super::server::help_reply(
        argv[0],
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    ))
}

#[cfg(test)]
mod bucket_tests {
    use super::*;

    #[test]
    fn bucket_of_matches_a_scan_of_the_bucket_tops() {
        let scan = |ns: u64| {
            (0..BUCKETS)
                .find(|&k| ns <= bucket_top(k))
                .unwrap_or(BUCKETS - 1)
        };
        let mut values = vec![0, 1, 1023, 1024, 1025, 1031, 1032, 2047, 2048, u64::MAX];
        for k in 0..BUCKETS {
            let top = bucket_top(k);
            values.extend([top - 1, top, top + 1, 1024u64 << k]);
        }
        let mut x = 1u64;
        for _ in 0..10_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            values.push(x >> (x % 64));
        }
        for ns in values {
            assert_eq!(bucket_of(ns), scan(ns), "{ns}");
        }
    }
}
