//! The settings table: every setting of Redis 7.0 with its alias, type,
//! range, flags and default.

/// Setting flags.
pub mod flag {
    /// Only settable at startup (CONFIG SET refuses it).
    pub const IMMUTABLE: u8 = 1;
    /// Refused unless `enable-protected-configs` allows it (it never does here).
    pub const PROTECTED: u8 = 2;
    /// Left out of pattern matches; an exact CONFIG GET still finds it.
    pub const HIDDEN: u8 = 4;
    /// The value is split on spaces into several arguments.
    pub const MULTI_ARG: u8 = 8;
}

/// How a setting's value is parsed and shown.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `yes` / `no`.
    Bool,
    /// An integer setting.
    Num(Num),
    /// One of the names (case-insensitive; shown in the listed spelling).
    Enum(&'static [&'static str]),
    /// Free text.
    Str,
    /// A setting with its own syntax.
    Special(Special),
}

/// An integer within `min..=max`. `unsigned` types compare the value as
/// unsigned (so `-1` is out of range, not below it); `mem` accepts units
/// (`1gb`, `100mb`, `5k`) instead of plain integers; `percent` also accepts
/// `N%` (stored as `-N`).
#[derive(Clone, Copy, Debug)]
pub struct Num {
    pub min: i128,
    pub max: i128,
    pub unsigned: bool,
    pub mem: bool,
    pub percent: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    Save,
    NotifyKeyspaceEvents,
    Bind,
    Dir,
    ClientOutputBufferLimit,
    OomScoreAdjValues,
    ReplicaOf,
    LatencyPercentiles,
}

/// One row of the settings table.
#[derive(Debug)]
pub struct Setting {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub kind: Kind,
    pub flags: u8,
    pub default: &'static str,
}

const I32: (i128, i128) = (i32::MIN as i128, i32::MAX as i128);
const LMAX: i128 = i64::MAX as i128;

const fn b(name: &'static str, flags: u8, default: &'static str) -> Setting {
    Setting {
        name,
        alias: None,
        kind: Kind::Bool,
        flags,
        default,
    }
}
const fn int(
    name: &'static str,
    flags: u8,
    min: i128,
    max: i128,
    default: &'static str,
) -> Setting {
    Setting {
        name,
        alias: None,
        kind: Kind::Num(Num {
            min,
            max,
            unsigned: false,
            mem: false,
            percent: false,
        }),
        flags,
        default,
    }
}
const fn uint(
    name: &'static str,
    flags: u8,
    min: i128,
    max: i128,
    default: &'static str,
) -> Setting {
    Setting {
        name,
        alias: None,
        kind: Kind::Num(Num {
            min,
            max,
            unsigned: true,
            mem: false,
            percent: false,
        }),
        flags,
        default,
    }
}
const fn mem(
    name: &'static str,
    unsigned: bool,
    min: i128,
    max: i128,
    default: &'static str,
) -> Setting {
    Setting {
        name,
        alias: None,
        kind: Kind::Num(Num {
            min,
            max,
            unsigned,
            mem: true,
            percent: false,
        }),
        flags: 0,
        default,
    }
}
const fn en(
    name: &'static str,
    flags: u8,
    names: &'static [&'static str],
    default: &'static str,
) -> Setting {
    Setting {
        name,
        alias: None,
        kind: Kind::Enum(names),
        flags,
        default,
    }
}
const fn s(name: &'static str, flags: u8, default: &'static str) -> Setting {
    Setting {
        name,
        alias: None,
        kind: Kind::Str,
        flags,
        default,
    }
}
const fn sp(name: &'static str, flags: u8, kind: Special, default: &'static str) -> Setting {
    Setting {
        name,
        alias: None,
        kind: Kind::Special(kind),
        flags,
        default,
    }
}
impl Setting {
    const fn alias(mut self, alias: &'static str) -> Setting {
        self.alias = Some(alias);
        self
    }
}

use flag::{HIDDEN as H, IMMUTABLE as IM, MULTI_ARG as MA, PROTECTED as PR};

const POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
const NO_YES_LOCAL: &[&str] = &["no", "yes", "local"];
pub(super) const DEFAULT_OBUF_LIMITS: &str =
    "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60";
const SHUTDOWN_SIG: &[&str] = &["default", "save", "nosave", "now", "force"];

/// Every setting of Redis 7.0, with Redis's defaults (where the embedded
/// engine differs — port, bind, dir, save — the default is the engine's:
/// port 0 as redis-server started with `--port 0`, since an engine with no
/// server listens nowhere).
///
/// What a redcore server listens on and serves TLS with (port, bind,
/// unixsocket, tls-port and the TLS files, protocols, ciphers and client
/// authentication) is shown by CONFIG GET as served and is immutable:
/// redis-server can rebind and reload at run time, redcore cannot, so
/// CONFIG SET answers Redis's "can't set immutable config".
pub static SETTINGS: &[Setting] = &[
    b("rdbchecksum", IM, "yes"),
    b("daemonize", IM, "no"),
    b("io-threads-do-reads", IM, "no"),
    b("always-show-logo", IM, "no"),
    b("protected-mode", 0, "yes"),
    b("rdbcompression", 0, "yes"),
    b("rdb-del-sync-files", 0, "no"),
    b("activerehashing", 0, "yes"),
    b("stop-writes-on-bgsave-error", 0, "yes"),
    b("set-proc-title", IM, "yes"),
    b("dynamic-hz", 0, "yes"),
    b("lazyfree-lazy-eviction", 0, "no"),
    b("lazyfree-lazy-expire", 0, "no"),
    b("lazyfree-lazy-server-del", 0, "no"),
    b("lazyfree-lazy-user-del", 0, "no"),
    b("lazyfree-lazy-user-flush", 0, "no"),
    b("repl-disable-tcp-nodelay", 0, "no"),
    b("repl-diskless-sync", 0, "yes"),
    b("aof-rewrite-incremental-fsync", 0, "yes"),
    b("no-appendfsync-on-rewrite", 0, "no"),
    b("cluster-require-full-coverage", 0, "yes"),
    b("rdb-save-incremental-fsync", 0, "yes"),
    b("aof-load-truncated", 0, "yes"),
    b("aof-use-rdb-preamble", 0, "yes"),
    b("aof-timestamp-enabled", 0, "no"),
    b("cluster-replica-no-failover", 0, "no").alias("cluster-slave-no-failover"),
    b("replica-lazy-flush", 0, "no").alias("slave-lazy-flush"),
    b("replica-serve-stale-data", 0, "yes").alias("slave-serve-stale-data"),
    b("replica-read-only", 0, "yes").alias("slave-read-only"),
    b("replica-ignore-maxmemory", 0, "yes").alias("slave-ignore-maxmemory"),
    b("jemalloc-bg-thread", 0, "yes"),
    b("activedefrag", 0, "no"),
    b("syslog-enabled", IM, "no"),
    b("cluster-enabled", IM, "no"),
    b("appendonly", 0, "no"),
    b("cluster-allow-reads-when-down", 0, "no"),
    b("cluster-allow-pubsubshard-when-down", 0, "yes"),
    b("crash-log-enabled", 0, "yes"),
    b("crash-memcheck-enabled", 0, "yes"),
    b("use-exit-on-panic", H, "no"),
    b("disable-thp", IM, "yes"),
    b("cluster-allow-replica-migration", 0, "yes"),
    b("replica-announced", 0, "yes"),
    b("latency-tracking", 0, "yes"),
    b("aof-disable-auto-gc", 0, "no"),
    b("replica-ignore-disk-write-errors", 0, "no"),
    b("tls-prefer-server-ciphers", 0, "no"),
    b("tls-session-caching", 0, "yes"),
    b("tls-cluster", 0, "no"),
    b("tls-replication", 0, "no"),
    s("aclfile", IM, ""),
    s("unixsocket", IM, ""),
    s("pidfile", IM, ""),
    s("replica-announce-ip", 0, "").alias("slave-announce-ip"),
    s("masteruser", 0, ""),
    s("cluster-announce-ip", 0, ""),
    s("cluster-config-file", IM, "nodes.conf"),
    s("cluster-announce-hostname", 0, ""),
    s("syslog-ident", IM, "redis"),
    s("dbfilename", PR, "dump.rdb"),
    s("appendfilename", IM, "appendonly.aof"),
    s("appenddirname", IM, "appendonlydir"),
    s("server_cpulist", IM, ""),
    s("bio_cpulist", IM, ""),
    s("aof_rewrite_cpulist", IM, ""),
    s("bgsave_cpulist", IM, ""),
    s("ignore-warnings", 0, ""),
    s(
        "proc-title-template",
        0,
        "{title} {listen-addr} {server-mode}",
    ),
    s("bind-source-addr", 0, ""),
    s("logfile", IM, ""),
    s("tls-cert-file", IM, ""),
    s("tls-key-file", IM, ""),
    s("tls-ca-cert-file", IM, ""),
    s("tls-ca-cert-dir", IM, ""),
    s("tls-protocols", IM, ""),
    s("tls-ciphers", IM, ""),
    s("tls-ciphersuites", IM, ""),
    s("tls-key-file-pass", 0, ""),
    s("tls-client-cert-file", 0, ""),
    s("tls-client-key-file", 0, ""),
    s("tls-client-key-file-pass", 0, ""),
    s("tls-dh-params-file", 0, ""),
    s("masterauth", 0, ""),
    s("requirepass", 0, ""),
    en(
        "supervised",
        IM,
        &["upstart", "systemd", "auto", "no"],
        "no",
    ),
    en(
        "syslog-facility",
        IM,
        &[
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
        ],
        "local0",
    ),
    en(
        "repl-diskless-load",
        0,
        &["disabled", "on-empty-db", "swapdb"],
        "disabled",
    ),
    en(
        "loglevel",
        0,
        &["debug", "verbose", "notice", "warning"],
        "notice",
    ),
    en("maxmemory-policy", 0, POLICIES, "noeviction"),
    en("appendfsync", 0, &["everysec", "always", "no"], "everysec"),
    en(
        "oom-score-adj",
        0,
        &["no", "yes", "relative", "absolute"],
        "no",
    ),
    en(
        "acl-pubsub-default",
        0,
        &["allchannels", "resetchannels"],
        "resetchannels",
    ),
    en("sanitize-dump-payload", 0, &["no", "yes", "clients"], "no"),
    en("enable-protected-configs", IM, NO_YES_LOCAL, "no"),
    en("enable-debug-command", IM, NO_YES_LOCAL, "no"),
    en("enable-module-command", IM, NO_YES_LOCAL, "no"),
    en(
        "cluster-preferred-endpoint-type",
        0,
        &["ip", "hostname", "unknown-endpoint"],
        "ip",
    ),
    en(
        "propagation-error-behavior",
        0,
        &["ignore", "panic", "panic-on-replicas"],
        "ignore",
    ),
    en("tls-auth-clients", IM, &["no", "yes", "optional"], "yes"),
    en("shutdown-on-sigint", MA, SHUTDOWN_SIG, "default"),
    en("shutdown-on-sigterm", MA, SHUTDOWN_SIG, "default"),
    int("databases", IM, 1, I32.1, "16"),
    int("port", IM, 0, 65535, "0"),
    int("tls-port", IM, 0, 65535, "0"),
    int("io-threads", IM, 1, 128, "1"),
    int("auto-aof-rewrite-percentage", 0, 0, I32.1, "100"),
    int("cluster-replica-validity-factor", 0, 0, I32.1, "10")
        .alias("cluster-slave-validity-factor"),
    int("list-max-listpack-size", 0, I32.0, I32.1, "-2").alias("list-max-ziplist-size"),
    int("tcp-keepalive", 0, 0, I32.1, "300"),
    int("cluster-migration-barrier", 0, 0, I32.1, "1"),
    int("active-defrag-cycle-min", 0, 1, 99, "1"),
    int("active-defrag-cycle-max", 0, 1, 99, "25"),
    int("active-defrag-threshold-lower", 0, 0, 1000, "10"),
    int("active-defrag-threshold-upper", 0, 0, 1000, "100"),
    int("lfu-log-factor", 0, 0, I32.1, "10"),
    int("lfu-decay-time", 0, 0, I32.1, "1"),
    int("replica-priority", 0, 0, I32.1, "100").alias("slave-priority"),
    int("repl-diskless-sync-delay", 0, 0, I32.1, "5"),
    int("maxmemory-samples", 0, 1, I32.1, "5"),
    int("maxmemory-eviction-tenacity", 0, 0, 100, "10"),
    int("timeout", 0, 0, I32.1, "0"),
    int("replica-announce-port", 0, 0, 65535, "0").alias("slave-announce-port"),
    int("tcp-backlog", IM, 0, I32.1, "511"),
    int("cluster-port", IM, 0, 65535, "0"),
    int("cluster-announce-bus-port", 0, 0, 65535, "0"),
    int("cluster-announce-port", 0, 0, 65535, "0"),
    int("cluster-announce-tls-port", 0, 0, 65535, "0"),
    int("repl-timeout", 0, 1, I32.1, "60"),
    int("repl-ping-replica-period", 0, 1, I32.1, "10").alias("repl-ping-slave-period"),
    int("list-compress-depth", 0, 0, I32.1, "0"),
    int("rdb-key-save-delay", H, I32.0, I32.1, "0"),
    int("key-load-delay", H, I32.0, I32.1, "0"),
    int("active-expire-effort", 0, 1, 10, "1"),
    int("hz", 0, 0, I32.1, "10"),
    int("min-replicas-to-write", 0, 0, I32.1, "0").alias("min-slaves-to-write"),
    int("min-replicas-max-lag", 0, 0, I32.1, "10").alias("min-slaves-max-lag"),
    int("watchdog-period", H, 0, I32.1, "0"),
    int("shutdown-timeout", 0, 0, I32.1, "10"),
    int("tls-session-cache-size", 0, 0, I32.1, "20480"),
    int("tls-session-cache-timeout", 0, 0, I32.1, "300"),
    int("repl-diskless-sync-max-replicas", 0, 0, I32.1, "0"),
    uint("maxclients", 0, 1, u32::MAX as i128, "10000"),
    uint("unixsocketperm", IM, 0, 0o777, "0"),
    uint("socket-mark-id", IM, 0, u32::MAX as i128, "0"),
    int("active-defrag-max-scan-fields", 0, 1, LMAX, "1000"),
    int("slowlog-max-len", 0, 0, LMAX, "128"),
    int("acllog-max-len", 0, 0, LMAX, "128"),
    int("busy-reply-threshold", 0, 0, LMAX, "5000").alias("lua-time-limit"),
    int("cluster-node-timeout", 0, 0, LMAX, "15000"),
    int("slowlog-log-slower-than", 0, -1, LMAX, "10000"),
    int("latency-monitor-threshold", 0, 0, LMAX, "0"),
    mem("proto-max-bulk-len", false, 1024 * 1024, LMAX, "536870912"),
    int("stream-node-max-entries", 0, 0, LMAX, "100"),
    mem("repl-backlog-size", false, 1, LMAX, "1048576"),
    mem("maxmemory", true, 0, u64::MAX as i128, "0"),
    mem("cluster-link-sendbuf-limit", true, 0, u64::MAX as i128, "0"),
    uint("hash-max-listpack-entries", 0, 0, LMAX, "512").alias("hash-max-ziplist-entries"),
    uint("set-max-intset-entries", 0, 0, LMAX, "512"),
    uint("zset-max-listpack-entries", 0, 0, LMAX, "128").alias("zset-max-ziplist-entries"),
    mem("active-defrag-ignore-bytes", true, 1, LMAX, "104857600"),
    mem("hash-max-listpack-value", true, 0, LMAX, "64").alias("hash-max-ziplist-value"),
    mem("stream-node-max-bytes", true, 0, LMAX, "4096"),
    mem("zset-max-listpack-value", true, 0, LMAX, "64").alias("zset-max-ziplist-value"),
    mem("hll-sparse-max-bytes", true, 0, LMAX, "3000"),
    uint("tracking-table-max-keys", 0, 0, LMAX, "1000000"),
    mem(
        "client-query-buffer-limit",
        true,
        1024 * 1024,
        LMAX,
        "1073741824",
    ),
    Setting {
        name: "maxmemory-clients",
        alias: None,
        kind: Kind::Num(Num {
            min: -100,
            max: LMAX,
            unsigned: false,
            mem: true,
            percent: true,
        }),
        flags: 0,
        default: "0",
    },
    int("repl-backlog-ttl", 0, 0, LMAX, "3600"),
    mem("auto-aof-rewrite-min-size", false, 0, LMAX, "67108864"),
    int(
        "loading-process-events-interval-bytes",
        H,
        1024,
        I32.1,
        "2097152",
    ),
    sp("dir", PR, Special::Dir, "."),
    sp("save", MA, Special::Save, ""),
    sp(
        "client-output-buffer-limit",
        MA,
        Special::ClientOutputBufferLimit,
        DEFAULT_OBUF_LIMITS,
    ),
    sp(
        "oom-score-adj-values",
        MA,
        Special::OomScoreAdjValues,
        "0 200 800",
    ),
    sp(
        "notify-keyspace-events",
        0,
        Special::NotifyKeyspaceEvents,
        "",
    ),
    sp("bind", IM | MA, Special::Bind, "127.0.0.1"),
    sp("replicaof", IM | MA, Special::ReplicaOf, "").alias("slaveof"),
    sp(
        "latency-tracking-info-percentiles",
        MA,
        Special::LatencyPercentiles,
        "50 99 99.9",
    ),
];
