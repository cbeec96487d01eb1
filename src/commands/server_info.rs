//! INFO: Redis 7.0's sections and field names, with values computed from
//! the engine (or the value a fresh standalone server reports, for things
//! an embedded engine does not have: replication, forks, threads).

use std::fmt::Write;

use super::Ctx;
use crate::engine::Store;
use crate::error::CmdResult;
use crate::resp::Frame;

/// The version clients see; 7.0.15 is the release whose behaviour the
/// engine follows.
pub const REDIS_VERSION: &str = "7.0.15";

/// Sections INFO shows by default, in output order.
const DEFAULT: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];

/// Every section in output order (`all`/`everything` adds the statistics
/// sections to the defaults).
const ORDER: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
];

use crate::engine::evict::STARTUP_MEMORY;

/// Redis's `bytesToHuman`: `100B`, `1.50K`, `2.00M`...
pub fn bytes_to_human(n: u64) -> String {
    const UNITS: [(u32, &str); 5] = [(1, "K"), (2, "M"), (3, "G"), (4, "T"), (5, "P")];
    if n < 1024 {
        return format!("{n}B");
    }
    for (power, unit) in UNITS {
        if n < 1024u64.saturating_pow(power + 1) || power == 5 {
            return format!("{:.2}{unit}", n as f64 / 1024f64.powi(power as i32));
        }
    }
    format!("{n}B")
}

/// INFO [section [section ...]]
pub(crate) fn info(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mut wanted: Vec<&str> = Vec::new();
    let mut all = false;
    if argv.len() == 1 {
        wanted.extend(DEFAULT);
    }
    for arg in &argv[1..] {
        let arg = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match arg.as_str() {
            "default" => wanted.extend(DEFAULT),
            "all" | "everything" => all = true,
            // `module_list` is the old name of `modules`.
            "module_list" => wanted.push("modules"),
            other => {
                if let Some(s) = ORDER.iter().find(|s| **s == other) {
                    wanted.push(s);
                }
            }
        }
    }
    let mut out = String::new();
    for section in ORDER.iter().filter(|s| all || wanted.contains(s)) {
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        write_section(&mut out, section, ctx);
    }
    Ok(Frame::Verbatim(*b"txt", out.into()))
}

/// A run id that stays fixed for the engine's life: 40 hex digits.
fn run_id(store: &Store) -> String {
    let seed = (store.started_unix_ms as u64) ^ (u64::from(std::process::id()) << 32);
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..40)
        .map(|_| char::from_digit(rng.u32(..16), 16).unwrap_or('0'))
        .collect()
}

/// Physical memory of the machine in bytes (0 where unknown).
fn total_system_memory() -> u64 {
    // SAFETY: sysconf only reads system constants.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    u64::try_from(pages).unwrap_or(0) * u64::try_from(size).unwrap_or(0)
}

/// User and system CPU seconds of this process, from /proc when present.
fn cpu_times() -> (f64, f64) {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return (0.0, 0.0);
    };
    // Fields after the parenthesised command name; utime and stime are the
    // 12th and 13th of them, in clock ticks (100 per second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 100.0
    };
    (tick(11), tick(12))
}

fn write_section(out: &mut String, section: &str, ctx: &mut Ctx) {
    crate::persist::rdbfile::SaveStatus::settle(ctx.store);
    let store = &*ctx.store;
    let title = match section {
        "cpu" => "CPU".to_string(),
        s => s[..1].to_ascii_uppercase() + &s[1..],
    };
    out.push_str("# ");
    out.push_str(&title);
    out.push_str("\r\n");
    // Writing to a String cannot fail.
    let mut line = |k: &str, v: &dyn std::fmt::Display| {
        let _ = write!(out, "{k}:{v}\r\n");
    };
    match section {
        "server" => {
            let uptime = store.started.elapsed().as_secs();
            let now_us = crate::engine::now_us();
            line("redis_version", &REDIS_VERSION);
            line("redcore_version", &env!("CARGO_PKG_VERSION"));
            line("redis_git_sha1", &"00000000");
            line("redis_git_dirty", &0);
            line(
                "redis_build_id",
                &concat!("redcore-", env!("CARGO_PKG_VERSION")),
            );
            line("redis_mode", &"standalone");
            line(
                "os",
                &format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            );
            line("arch_bits", &(usize::BITS));
            line("monotonic_clock", &"POSIX clock_gettime");
            line("multiplexing_api", &"embedded");
            line("atomicvar_api", &"c11-builtin");
            line("gcc_version", &"0.0.0");
            line("process_id", &std::process::id());
            line("process_supervised", &"no");
            line("run_id", &run_id(store));
            line("tcp_port", &store.config.port);
            line("server_time_usec", &now_us);
            line("uptime_in_seconds", &uptime);
            line("uptime_in_days", &(uptime / 86400));
            line("hz", &store.config.hz);
            line("configured_hz", &store.config.hz);
            line(
                "lru_clock",
                &(crate::engine::clock::lru_clock() & 0xFF_FFFF),
            );
            let exe = std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            line("executable", &exe);
            line("config_file", &"");
            line("io_threads_active", &0);
        }
        "clients" => {
            let open = store
                .connected_clients
                .load(std::sync::atomic::Ordering::Relaxed);
            line("connected_clients", &open.max(1));
            line("cluster_connections", &0);
            line("maxclients", &store.config.maxclients);
            line("client_recent_max_input_buffer", &0);
            line("client_recent_max_output_buffer", &0);
            line("blocked_clients", &store.blocking.len());
            line("tracking_clients", &0);
            line("clients_in_timeout_table", &store.blocking.len());
        }
        "memory" => {
            let f = super::dump::MemoryFigures::take(ctx.store);
            let store = &*ctx.store;
            let (used, dataset) = (f.used, f.dataset());
            let maxmemory = store.config.maxmemory;
            let perc =
                |part: usize, of: usize| format!("{:.2}%", part as f64 * 100.0 / of.max(1) as f64);
            let (scripts, functions, libraries) = ctx.scripts.map_or((0, 0, 0), |s| {
                let s = s.lock();
                let f = &s.functions;
                (s.len(), f.functions_count(), f.libraries_count())
            });
            let ratio = format!("{:.2}", f.fragmentation());
            let rss_extra = f.rss as i64 - used as i64;
            line("used_memory", &used);
            line("used_memory_human", &bytes_to_human(used as u64));
            line("used_memory_rss", &f.rss);
            line("used_memory_rss_human", &bytes_to_human(f.rss as u64));
            line("used_memory_peak", &f.peak);
            line("used_memory_peak_human", &bytes_to_human(f.peak as u64));
            line("used_memory_peak_perc", &perc(used, f.peak));
            line("used_memory_overhead", &f.overhead);
            line("used_memory_startup", &STARTUP_MEMORY);
            line("used_memory_dataset", &dataset);
            line(
                "used_memory_dataset_perc",
                &perc(dataset, used.saturating_sub(STARTUP_MEMORY)),
            );
            line("allocator_allocated", &used);
            line("allocator_active", &used);
            line("allocator_resident", &used);
            line("total_system_memory", &total_system_memory());
            line(
                "total_system_memory_human",
                &bytes_to_human(total_system_memory()),
            );
            line("used_memory_lua", &0);
            line("used_memory_vm_eval", &0);
            line("used_memory_lua_human", &"0B");
            line("used_memory_scripts_eval", &0);
            line("number_of_cached_scripts", &scripts);
            line("number_of_functions", &functions);
            line("number_of_libraries", &libraries);
            line("used_memory_vm_functions", &0);
            line("used_memory_vm_total", &0);
            line("used_memory_vm_total_human", &"0B");
            line("used_memory_functions", &0);
            line("used_memory_scripts", &0);
            line("used_memory_scripts_human", &"0B");
            line("maxmemory", &maxmemory);
            line("maxmemory_human", &bytes_to_human(maxmemory));
            line("maxmemory_policy", &store.config.maxmemory_policy);
            line("allocator_frag_ratio", &"1.00");
            line("allocator_frag_bytes", &0);
            line("allocator_rss_ratio", &"1.00");
            line("allocator_rss_bytes", &0);
            line("rss_overhead_ratio", &ratio);
            line("rss_overhead_bytes", &rss_extra);
            line("mem_fragmentation_ratio", &ratio);
            line("mem_fragmentation_bytes", &rss_extra);
            line("mem_not_counted_for_evict", &0);
            line("mem_replication_backlog", &0);
            line("mem_total_replication_buffers", &0);
            line("mem_clients_slaves", &0);
            line("mem_clients_normal", &0);
            line("mem_cluster_links", &0);
            line("mem_aof_buffer", &0);
            line("mem_allocator", &"libc");
            line("active_defrag_running", &0);
            line("lazyfree_pending_objects", &0);
            line("lazyfreed_objects", &0);
        }
        "persistence" => {
            for (k, v) in crate::persist::rdbfile::info_fields(store) {
                line(k, &v);
            }
        }
        "stats" => {
            let st = &store.stats;
            let sum = |f: fn(&crate::engine::Db) -> u64| store.dbs.iter().map(f).sum::<u64>();
            line("total_connections_received", &st.total_connections);
            line("total_commands_processed", &st.total_commands);
            line("instantaneous_ops_per_sec", &0);
            line("total_net_input_bytes", &st.total_net_input_bytes);
            line("total_net_output_bytes", &st.total_net_output_bytes);
            line("total_net_repl_input_bytes", &0);
            line("total_net_repl_output_bytes", &0);
            for k in ["instantaneous_input_kbps", "instantaneous_output_kbps"] {
                line(k, &"0.00");
            }
            for k in [
                "instantaneous_input_repl_kbps",
                "instantaneous_output_repl_kbps",
            ] {
                line(k, &"0.00");
            }
            line("rejected_connections", &st.rejected_connections);
            for k in ["sync_full", "sync_partial_ok", "sync_partial_err"] {
                line(k, &0);
            }
            line("expired_keys", &sum(|db| db.expired_count));
            line("expired_stale_perc", &"0.00");
            line("expired_time_cap_reached_count", &0);
            line("expire_cycle_cpu_milliseconds", &0);
            line("evicted_keys", &st.evicted_keys);
            line("evicted_clients", &0);
            line("total_eviction_exceeded_time", &0);
            line("current_eviction_exceeded_time", &0);
            line("keyspace_hits", &(st.keyspace_hits + sum(|db| db.hits)));
            line(
                "keyspace_misses",
                &(st.keyspace_misses + sum(|db| db.misses)),
            );
            line("pubsub_channels", &store.pubsub.channels(false, None).len());
            line("pubsub_patterns", &store.pubsub.numpat());
            line("pubsubshard_channels", &0);
            for k in [
                "latest_fork_usec",
                "total_forks",
                "migrate_cached_sockets",
                "slave_expires_tracked_keys",
                "active_defrag_hits",
                "active_defrag_misses",
                "active_defrag_key_hits",
                "active_defrag_key_misses",
                "total_active_defrag_time",
                "current_active_defrag_time",
                "tracking_total_keys",
                "tracking_total_items",
                "tracking_total_prefixes",
                "unexpected_error_replies",
            ] {
                line(k, &0);
            }
            line("total_error_replies", &super::slowlog::error_replies(store));
            for k in [
                "dump_payload_sanitizations",
                "total_reads_processed",
                "total_writes_processed",
                "io_threaded_reads_processed",
                "io_threaded_writes_processed",
                "reply_buffer_shrinks",
                "reply_buffer_expands",
            ] {
                line(k, &0);
            }
        }
        "replication" => {
            line("role", &"master");
            line("connected_slaves", &0);
            line("master_failover_state", &"no-failover");
            line("master_replid", &run_id(store));
            line("master_replid2", &"0".repeat(40));
            line("master_repl_offset", &0);
            line("second_repl_offset", &-1);
            line("repl_backlog_active", &0);
            line("repl_backlog_size", &1_048_576);
            line("repl_backlog_first_byte_offset", &0);
            line("repl_backlog_histlen", &0);
        }
        "cpu" => {
            let (user, sys) = cpu_times();
            line("used_cpu_sys", &format!("{sys:.6}"));
            line("used_cpu_user", &format!("{user:.6}"));
            line("used_cpu_sys_children", &"0.000000");
            line("used_cpu_user_children", &"0.000000");
            line("used_cpu_sys_main_thread", &format!("{sys:.6}"));
            line("used_cpu_user_main_thread", &format!("{user:.6}"));
        }
        "cluster" => {
            line("cluster_enabled", &0);
        }
        "keyspace" => {
            for (i, db) in store.dbs.iter().enumerate() {
                if !db.is_empty() || db.volatile_len() > 0 {
                    let v = format!("keys={},expires={},avg_ttl=0", db.len(), db.volatile_len());
                    line(&format!("db{i}"), &v);
                }
            }
        }
        "commandstats" => super::slowlog::write_commandstats(store, out),
        "errorstats" => super::slowlog::write_errorstats(store, out),
        "latencystats" => super::slowlog::write_latencystats(store, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes_match_redis() {
        assert_eq!(bytes_to_human(100), "100B");
        assert_eq!(bytes_to_human(1536), "1.50K");
        assert_eq!(bytes_to_human(1 << 30), "1.00G");
        assert_eq!(bytes_to_human(865_000), "844.73K");
    }
}
