//! The RESP server: the embedded engine over TCP and Unix sockets, so
//! redis-cli, redis-benchmark and any language's client can reach it.
//!
//! - [`Server::start`] binds the listeners (a clear error when the port is
//!   taken) and runs them on a tokio runtime of its own threads; the
//!   engine runs there without the Python GIL. One worker thread (the
//!   default on a machine with up to 2 CPUs) is a current-thread runtime
//!   driven by one thread, as redis-server's event loop: no work-stealing
//!   queues to keep; more threads are a multi-thread runtime.
//! - [`conn`]: one task per connection: the request parser (multibulk and
//!   inline), pipelining (every complete request in the read buffer runs,
//!   the replies go out in one write), blocking commands (awaited, never
//!   blocking a worker thread), pub/sub and MONITOR pushes, limits.
//! - [`sink`]: a connection's pub/sub sink and its output-buffer limit.
//! - [`tls`]: the TLS port (`tls-port`, rustls through tokio-rustls); a
//!   TLS connection is served like any other once its handshake is done.
//!
//! While it runs, the engine's CONFIG GET shows what it serves (port,
//! tls-port, unixsocket, bind, the TLS settings; maxclients lowered as
//! redis-server does when the open files limit cannot hold it), and
//! CLIENT LIST each connection's buffers (see [`crate::engine::clients::Io`]).
//!
//! Connection-level commands the engine cannot finish for a socket (QUIT,
//! SHUTDOWN, a CLIENT KILL of another connection) are completed here; all
//! others, CLIENT LIST and MONITOR included, are the engine's.

pub mod conn;
pub mod signal;
pub mod sink;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;

use crate::engine::clients::Pause;
use crate::engine::config::fdlimit::fit_maxclients;
use crate::engine::Engine;
use crate::resp::Frame;

/// Redis's reply to a client over `maxclients`.
pub const MAX_CLIENTS: &[u8] = b"-ERR max number of clients reached\r\n";
/// Redis's reply to a non-loopback client in protected mode.
pub const DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Where and how to listen.
#[derive(Clone, Debug)]
pub struct Options {
    /// Addresses to bind (Redis's `bind`); empty means 127.0.0.1.
    pub bind: Vec<String>,
    /// TCP port; 0 picks a free one (see [`Server::port`]); `None` serves
    /// only the Unix socket.
    pub port: Option<u16>,
    pub unixsocket: Option<PathBuf>,
    /// TLS port (Redis's `tls-port`) on the same addresses; 0 picks a free
    /// one (see [`Server::tls_port`]). Needs `tls`.
    pub tls_port: Option<u16>,
    /// Certificates and client authentication for `tls_port`.
    pub tls: tls::TlsOptions,
    /// Runtime worker threads ([`default_threads`] by default); CONFIG GET
    /// io-threads reports them.
    pub threads: usize,
    /// How long a TLS client has to finish its handshake; None: the
    /// `timeout` setting if set, else 10 s. (Tests shorten it.)
    pub tls_handshake_timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            bind: Vec::new(),
            port: Some(6379),
            unixsocket: None,
            tls_port: None,
            tls: tls::TlsOptions::default(),
            threads: default_threads(),
            tls_handshake_timeout: None,
        }
    }
}

/// Settings the connections read often, refreshed from the engine's
/// config by the housekeeping task (CONFIG SET takes effect within
/// [`TICK`]) so a connection never locks the store for them.
#[derive(Debug, Default)]
pub struct Limits {
    pub maxclients: AtomicU64,
    /// Idle timeout in seconds (0: none).
    pub timeout: AtomicU64,
    pub proto_max_bulk_len: AtomicU64,
    pub query_buffer_limit: AtomicU64,
    pub protected_mode: AtomicBool,
    /// The pubsub class of `client-output-buffer-limit`: hard and soft
    /// bytes, soft seconds (0: no limit).
    pub pubsub_hard: AtomicU64,
    pub pubsub_soft: AtomicU64,
    pub pubsub_soft_secs: AtomicU64,
}

/// How often housekeeping runs: killed clients, limits, counters.
pub const TICK: Duration = Duration::from_millis(100);

/// What every connection of one server shares.
pub struct Shared {
    pub engine: Arc<Engine>,
    pub pause: Arc<Pause>,
    pub limits: Limits,
    /// Open connections.
    pub clients: AtomicUsize,
    /// The engine's count of open server connections (INFO
    /// connected_clients), kept without its lock.
    pub connected: Arc<AtomicU64>,
    /// Bytes read and written since housekeeping last added them to the
    /// engine's INFO stats.
    pub net_in: AtomicU64,
    pub net_out: AtomicU64,
    /// Connections that came and went while a script held the engine (so
    /// never registered in it), not yet in its total_connections_received.
    pub unregistered: AtomicU64,
    /// Connections by engine client id, so CLIENT KILL (from any client of
    /// the engine) closes the socket.
    pub conns: Mutex<std::collections::HashMap<u64, Arc<signal::Signal>>>,
    /// Flips to true when the server stops.
    pub stopping: watch::Sender<bool>,
    /// See [`Options::tls_handshake_timeout`].
    pub handshake_timeout: Option<Duration>,
    /// The runtime is a current-thread one (one worker thread): what may
    /// wait for a running script goes to its blocking pool (see
    /// `conn::offload`), as `block_in_place` needs a multi-thread runtime.
    pub single: bool,
}

impl Shared {
    /// Adds the byte and connection counters into the engine's stats.
    pub fn flush_counters(&self, store: &mut crate::engine::Store) {
        store.stats.total_net_input_bytes += self.net_in.swap(0, Ordering::Relaxed);
        store.stats.total_net_output_bytes += self.net_out.swap(0, Ordering::Relaxed);
        store.stats.total_connections += self.unregistered.swap(0, Ordering::Relaxed);
    }

    /// Wakes the connections of clients the engine marked killed.
    pub fn reap_killed(&self, store: &crate::engine::Store) {
        if store.clients.killed.is_empty() {
            return;
        }
        let conns = self.conns.lock();
        for id in &store.clients.killed {
            if let Some(k) = conns.get(id) {
                k.kill();
            }
        }
    }

    /// Signals every connection and listener to stop.
    pub fn stop(&self) {
        self.stopping.send_replace(true);
        // A connection registers before it looks at `stopping`, so each
        // one either sees the flag or is here to be told.
        for c in self.conns.lock().values() {
            c.raise(signal::STOP);
        }
    }
}

/// Reads the limits the connections use from the engine's config.
fn refresh_limits(shared: &Shared) {
    let store = shared.engine.lock();
    let c = &store.config;
    let l = &shared.limits;
    let setting = |name: &str| {
        crate::engine::config::lookup(name.as_bytes())
            .map(|e| c.get(e.setting))
            .unwrap_or_default()
    };
    l.maxclients.store(c.maxclients, Ordering::Relaxed);
    l.timeout.store(c.timeout.max(0) as u64, Ordering::Relaxed);
    l.proto_max_bulk_len
        .store(c.proto_max_bulk_len, Ordering::Relaxed);
    let qbuf = setting("client-query-buffer-limit")
        .parse()
        .unwrap_or(1 << 30);
    l.query_buffer_limit.store(qbuf, Ordering::Relaxed);
    l.protected_mode
        .store(setting("protected-mode") == "yes", Ordering::Relaxed);
    let obuf = setting("client-output-buffer-limit");
    let words: Vec<&str> = obuf.split(' ').collect();
    for group in words.chunks_exact(4) {
        if group[0] == "pubsub" {
            l.pubsub_hard
                .store(group[1].parse().unwrap_or(0), Ordering::Relaxed);
            l.pubsub_soft
                .store(group[2].parse().unwrap_or(0), Ordering::Relaxed);
            l.pubsub_soft_secs
                .store(group[3].parse().unwrap_or(0), Ordering::Relaxed);
        }
    }
    drop(store);
}

/// A running server. Dropping it stops it.
pub struct Server {
    shared: Arc<Shared>,
    /// The thread that drives the runtime until the server stops, then
    /// shuts it down.
    driver: Option<std::thread::JoinHandle<()>>,
    local: Vec<SocketAddr>,
    tls_local: Vec<SocketAddr>,
    unixsocket: Option<PathBuf>,
    done: Arc<Latch>,
    /// The settings CONFIG GET shows as served, and the engine's values
    /// before, put back when the server stops.
    served: Vec<(&'static str, String)>,
    before: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local", &self.local)
            .finish_non_exhaustive()
    }
}

/// Why the server could not start, in redis-server's words where it has
/// them.
fn bind_error(addr: &str, port: u16, e: &std::io::Error) -> std::io::Error {
    std::io::Error::new(
        e.kind(),
        format!("Could not create server TCP listening socket {addr}:{port}: {e}"),
    )
}

fn listen_tcp(addr: &str, port: u16) -> std::io::Result<std::net::TcpListener> {
    let ip: std::net::IpAddr = addr
        .trim_start_matches('-')
        .parse()
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad bind address"))
        .map_err(|e| bind_error(addr, port, &e))?;
    let sa = SocketAddr::new(ip, port);
    let sock = socket2::Socket::new(
        socket2::Domain::for_address(sa),
        socket2::Type::STREAM,
        None,
    )?;
    // As redis-server: a restarted server can bind while old connections
    // linger in TIME_WAIT, but two live servers cannot share a port.
    sock.set_reuse_address(true)?;
    if ip.is_ipv6() {
        sock.set_only_v6(true)?;
    }
    sock.bind(&sa.into())
        .map_err(|e| bind_error(addr, port, &e))?;
    sock.listen(511)?;
    sock.set_nonblocking(true)?;
    Ok(sock.into())
}

impl Server {
    /// Binds and starts serving `engine`. Errors name the address that
    /// could not be bound.
    pub fn start(engine: Arc<Engine>, opts: &Options) -> std::io::Result<Server> {
        // TLS settings are checked before anything is bound, as
        // redis-server refuses to start on a bad certificate.
        let acceptor = match opts.tls_port {
            Some(_) => Some(tokio_rustls::TlsAcceptor::from(
                tls::server_config(&opts.tls)
                    .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
            )),
            None => None,
        };
        let binds = if opts.bind.is_empty() {
            vec!["127.0.0.1".to_string()]
        } else {
            opts.bind.clone()
        };
        let listen_all = |port: u16| -> std::io::Result<Vec<std::net::TcpListener>> {
            let mut port = port;
            let mut out = Vec::new();
            for addr in &binds {
                let l = listen_tcp(addr, port)?;
                // Port 0: every address gets the port the first one got.
                port = l.local_addr()?.port();
                out.push(l);
            }
            Ok(out)
        };
        let tcp = match opts.port {
            Some(port) => listen_all(port)?,
            None => Vec::new(),
        };
        let tls_tcp = match opts.tls_port {
            Some(port) => listen_all(port)?,
            None => Vec::new(),
        };
        let unix = match &opts.unixsocket {
            Some(path) => {
                let _ = std::fs::remove_file(path);
                let l = std::os::unix::net::UnixListener::bind(path).map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!("Failed opening Unix socket {}: {e}", path.display()),
                    )
                })?;
                l.set_nonblocking(true)?;
                Some(l)
            }
            None => None,
        };
        let local = tcp
            .iter()
            .map(|l| l.local_addr())
            .collect::<std::io::Result<Vec<_>>>()?;
        let tls_local = tls_tcp
            .iter()
            .map(|l| l.local_addr())
            .collect::<std::io::Result<Vec<_>>>()?;
        let single = opts.threads.max(1) == 1;
        let mut builder = if single {
            tokio::runtime::Builder::new_current_thread()
        } else {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(opts.threads);
            b
        };
        let runtime = builder.thread_name("redcore-server").enable_all().build()?;
        let served = {
            let mut store = engine.lock();
            let mut served = served_settings(opts, &binds, &local, &tls_local);
            let fit = fit_maxclients(store.config.maxclients);
            if fit != store.config.maxclients {
                served.push(("maxclients", fit.to_string()));
            }
            let before = apply_settings(&mut store.config, &served);
            (served, before)
        };
        let (pause, connected) = {
            let store = engine.lock();
            (store.pause.clone(), store.connected_clients.clone())
        };
        let (stopping, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            engine,
            pause,
            limits: Limits::default(),
            clients: AtomicUsize::new(0),
            connected,
            net_in: AtomicU64::new(0),
            unregistered: AtomicU64::new(0),
            net_out: AtomicU64::new(0),
            conns: Mutex::new(Default::default()),
            stopping,
            handshake_timeout: opts.tls_handshake_timeout,
            single,
        });
        refresh_limits(&shared);
        let done = Arc::new(Latch::default());
        {
            let _guard = runtime.enter();
            for l in tcp {
                let l = tokio::net::TcpListener::from_std(l)?;
                runtime.spawn(conn::accept_tcp(shared.clone(), l));
            }
            if let Some(acceptor) = acceptor {
                for l in tls_tcp {
                    let l = tokio::net::TcpListener::from_std(l)?;
                    runtime.spawn(conn::accept_tls(shared.clone(), l, acceptor.clone()));
                }
            }
            if let (Some(l), Some(path)) = (unix, &opts.unixsocket) {
                let l = tokio::net::UnixListener::from_std(l)?;
                let path: Arc<str> = path.to_string_lossy().into();
                runtime.spawn(conn::accept_unix(shared.clone(), l, path));
            }
        }
        spawn_housekeeping(shared.clone(), done.clone())?;
        let driver = spawn_driver(runtime, shared.clone())?;
        shared.engine.lock().servers += 1;
        Ok(Server {
            shared,
            driver: Some(driver),
            local,
            tls_local,
            unixsocket: opts.unixsocket.clone(),
            done,
            served: served.0,
            before: served.1,
        })
    }

    /// The TCP port served (the one picked, for port 0).
    pub fn port(&self) -> Option<u16> {
        self.local.first().map(|a| a.port())
    }

    /// The TLS port served (the one picked, for port 0).
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_local.first().map(|a| a.port())
    }

    /// The addresses served.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.local
    }

    /// The engine served.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.shared.engine
    }

    /// True until [`Server::stop`] or a SHUTDOWN command.
    pub fn running(&self) -> bool {
        !self.done.is_set()
    }

    /// Waits up to `timeout` for the server to stop (SHUTDOWN); true if
    /// it has.
    pub fn wait(&self, timeout: Duration) -> bool {
        self.done.wait(timeout)
    }

    /// Stops listening, closes every connection and ends the threads.
    pub fn stop(&mut self) {
        self.shared.stop();
        if let Some(driver) = self.driver.take() {
            // Not from the driver itself, which cannot wait for its end.
            if driver.thread().id() != std::thread::current().id() {
                let _ = driver.join();
            }
        }
        if let Some(path) = self.unixsocket.take() {
            let _ = std::fs::remove_file(path);
        }
        // The engine serves nothing any more: its settings read as before,
        // unless another server took over meanwhile.
        if !self.served.is_empty() {
            let mut store = self.shared.engine.lock();
            store.servers = store.servers.saturating_sub(1);
            let ours = self
                .served
                .iter()
                .all(|(name, v)| setting(&store.config, name) == *v);
            if ours {
                apply_settings(&mut store.config, &self.before);
            }
            self.served.clear();
        }
    }
}

/// What the server serves, as CONFIG GET shows it (redis-server's names
/// and formats): port 0 when no plain TCP port is served, as
/// redis-server with `--port 0`.
/// Worker threads when none are asked for: one on a machine with one or
/// two CPUs, whose other CPU the clients (often on the same machine, or
/// the Python program serving it) need; two above that. The engine runs
/// one command at a time, so more threads only overlap socket work.
pub fn default_threads() -> usize {
    match std::thread::available_parallelism() {
        Ok(n) if n.get() > 2 => 2,
        _ => 1,
    }
}

fn served_settings(
    opts: &Options,
    binds: &[String],
    local: &[SocketAddr],
    tls_local: &[SocketAddr],
) -> Vec<(&'static str, String)> {
    let path = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let port = |l: &[SocketAddr]| l.first().map_or(0, |a| a.port()).to_string();
    let t = &opts.tls;
    vec![
        ("io-threads", opts.threads.max(1).to_string()),
        ("port", port(local)),
        ("tls-port", port(tls_local)),
        ("unixsocket", path(&opts.unixsocket)),
        ("bind", binds.join(" ")),
        ("tls-cert-file", path(&t.cert_file)),
        ("tls-key-file", path(&t.key_file)),
        ("tls-ca-cert-file", path(&t.ca_cert_file)),
        ("tls-ca-cert-dir", path(&t.ca_cert_dir)),
        ("tls-auth-clients", t.auth_clients.name().to_string()),
        ("tls-protocols", t.protocols.clone().unwrap_or_default()),
        ("tls-ciphers", t.ciphers.clone().unwrap_or_default()),
        (
            "tls-ciphersuites",
            t.ciphersuites.clone().unwrap_or_default(),
        ),
    ]
}

/// A setting's value as CONFIG GET shows it.
fn setting(config: &crate::engine::config::Config, name: &str) -> String {
    crate::engine::config::lookup(name.as_bytes())
        .map(|e| config.get(e.setting))
        .unwrap_or_default()
}

/// Sets `values` as start-up settings (immutable ones included); returns
/// the values they replaced.
fn apply_settings(
    config: &mut crate::engine::config::Config,
    values: &[(&'static str, String)],
) -> Vec<(&'static str, String)> {
    let mut before = Vec::with_capacity(values.len());
    for (name, value) in values {
        before.push((*name, setting(config, name)));
        // Values the server itself listens with: they parse.
        let _ = config.set_startup(&[(name.as_bytes(), value.as_bytes())]);
    }
    before
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A flag set once (the server has stopped), which threads can block on
/// until it is, with no polling.
#[derive(Default)]
struct Latch {
    set: Mutex<bool>,
    changed: parking_lot::Condvar,
}

impl Latch {
    fn set(&self) {
        *self.set.lock() = true;
        self.changed.notify_all();
    }

    fn is_set(&self) -> bool {
        *self.set.lock()
    }

    /// Blocks until the flag is set or `timeout` passes; the flag.
    fn wait(&self, timeout: Duration) -> bool {
        let mut set = self.set.lock();
        match std::time::Instant::now().checked_add(timeout) {
            Some(deadline) => {
                while !*set {
                    if self.changed.wait_until(&mut set, deadline).timed_out() {
                        break;
                    }
                }
            }
            None => {
                while !*set {
                    self.changed.wait(&mut set);
                }
            }
        }
        *set
    }
}

/// Drives `runtime` on a thread of its own (the connections of a
/// one-thread server run on it) until the server stops; then gives the
/// connections, which see `stopping` and close, up to 2 s to go, and
/// shuts the runtime down.
fn spawn_driver(
    runtime: tokio::runtime::Runtime,
    shared: Arc<Shared>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("redcore-server".into())
        .spawn(move || {
            let mut stopping = shared.stopping.subscribe();
            runtime.block_on(async {
                conn::stopped(&mut stopping).await;
                let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
                while shared.clients.load(Ordering::Acquire) > 0
                    && tokio::time::Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            });
            runtime.shutdown_timeout(Duration::from_secs(1));
        })
}

/// Every [`TICK`]: closes killed connections, refreshes limits, adds the
/// byte counters to INFO. It is a plain thread, not a task: it waits for
/// the engine lock, which a long script may hold. Ends (flagging `done`)
/// when the server stops.
fn spawn_housekeeping(shared: Arc<Shared>, done: Arc<Latch>) -> std::io::Result<()> {
    let stopping = shared.stopping.subscribe();
    std::thread::Builder::new()
        .name("redcore-server-cron".into())
        .spawn(move || {
            while !*stopping.borrow() {
                std::thread::sleep(TICK);
                {
                    let mut store = shared.engine.lock();
                    shared.flush_counters(&mut store);
                    shared.reap_killed(&store);
                }
                refresh_limits(&shared);
            }
            done.set();
        })?;
    Ok(())
}

/// Runs an administrative command on `engine` as a short-lived client of
/// the default user (startup settings, SIGTERM's SHUTDOWN).
pub fn admin_command(engine: &Engine, argv: &[&[u8]]) -> Result<Frame, String> {
    let mut client = crate::engine::ClientState::new(0);
    {
        let mut store = engine.lock();
        // Without credentials this cannot fail.
        let _ = crate::engine::clients::ensure_connected(&mut store, &mut client);
        // The server's own call: no AUTH needed.
        client.authenticated = true;
    }
    let frame = engine.execute(&mut client, argv);
    engine.disconnect(&mut client);
    match frame.error_text() {
        Some(e) => Err(String::from_utf8_lossy(e).into_owned()),
        None => Ok(frame),
    }
}

/// Startup security: `requirepass` becomes the default user's password
/// and `aclfile`'s users are loaded (an unreadable file is an error, as
/// redis-server refuses to start).
pub fn setup_security(
    engine: &Engine,
    requirepass: Option<&[u8]>,
    aclfile: Option<&str>,
) -> Result<(), String> {
    if let Some(path) = aclfile {
        engine
            .lock()
            .config
            .extra
            .insert("aclfile", path.to_string());
        admin_command(engine, &[b"ACL", b"LOAD"])?;
    }
    if let Some(pass) = requirepass {
        admin_command(engine, &[b"CONFIG", b"SET", b"requirepass", pass])?;
    }
    Ok(())
}

#[cfg(test)]
mod fuzz_tests;

#[cfg(test)]
mod latch_tests {
    use super::Latch;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    #[test]
    fn a_waiter_wakes_when_the_latch_is_set_and_times_out_otherwise() {
        let latch = Arc::new(Latch::default());
        let started = Instant::now();
        assert!(!latch.wait(Duration::from_millis(30)));
        assert!(started.elapsed() >= Duration::from_millis(30));
        let setter = {
            let latch = latch.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                latch.set();
            })
        };
        let started = Instant::now();
        assert!(latch.wait(Duration::from_secs(30)));
        assert!(started.elapsed() < Duration::from_secs(20));
        assert!(latch.is_set());
        assert!(latch.wait(Duration::MAX));
        setter.join().unwrap();
    }
}
