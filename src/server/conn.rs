//! One client connection: read requests, run them on the engine, write the
//! replies, deliver pushes, honour kills, limits and timeouts.
//!
//! Every complete request in the read buffer runs before the replies are
//! written, in one write (pipelining). A command runs on the worker thread
//! under the engine lock like any embedded call; what may wait long runs
//! where it cannot stall the other connections: blocking commands are
//! awaited on their wait slot, CLIENT PAUSE is waited out asynchronously,
//! and scripts (which may run until SCRIPT KILL) run off the runtime's
//! threads (see [`offload`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use std::future::Future;
use std::task::Poll;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::signal::{self, poll_once, Signal};
use super::sink::ConnSink;
use super::{Shared, DENIED, MAX_CLIENTS};
use crate::commands::{self, traits, Command, Group};
use crate::engine::blocking::Blocked;
use crate::engine::client::{ReplyMode, SubscriberSink};
use crate::engine::clients;
use crate::engine::ClientState;
use crate::resp::command::{Spans, INLINE_MAX_SIZE};
use crate::resp::{write_frame, CommandLimits, CommandParser, Frame};

/// What a blocked client's wait slot gets when the client is killed.
const KILLED: &[u8] = b"ERR Connection closed by server.";
/// Stop reading requests while this much output waits for a client that
/// does not read its replies.
const OUT_HIGH_WATER: usize = 1 << 20;
/// Pushes stay in the sink (where the pubsub output limit judges them)
/// while this much output is not yet written.
const PUSH_HIGH_WATER: usize = 64 * 1024;
/// Bytes the read buffer keeps free for the next read.
const READ_CHUNK: usize = 8 * 1024;
/// Buffers larger than this are released once empty, so an idle
/// connection that once sent or received a big value holds little.
const KEEP_CAPACITY: usize = 64 * 1024;

/// How long a TLS client has to finish its handshake when `timeout` is
/// not set.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a TLS client has to finish its handshake: the server's
/// override, else the idle `timeout` if set, else [`HANDSHAKE_TIMEOUT`].
fn handshake_timeout(shared: &Shared) -> Duration {
    shared.handshake_timeout.unwrap_or_else(|| {
        match shared.limits.timeout.load(Ordering::Relaxed) {
            0 => HANDSHAKE_TIMEOUT,
            secs => Duration::from_secs(secs),
        }
    })
}

/// The socket of a TCP connection, as CLIENT LIST shows it.
fn tcp_socket(stream: &tokio::net::TcpStream, peer: std::net::SocketAddr) -> clients::Socket {
    use std::os::fd::AsRawFd;
    clients::Socket {
        // SocketAddr shows an IPv6 peer as `[ip]:port`, as Redis does.
        addr: peer.to_string(),
        laddr: stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default(),
        fd: i64::from(stream.as_raw_fd()),
        unix: false,
        io: Default::default(),
    }
}

/// True for a loopback peer (protected mode lets it in).
fn is_loopback(peer: &std::net::SocketAddr) -> bool {
    peer.ip().is_loopback() || peer.ip().to_canonical().is_loopback()
}

/// Accepts TCP connections until the server stops.
pub async fn accept_tcp(shared: Arc<Shared>, listener: tokio::net::TcpListener) {
    let mut stopping = shared.stopping.subscribe();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let counted = Counted::new(&shared);
                    let socket = tcp_socket(&stream, peer);
                    let conn = Accepted { counted, loopback: is_loopback(&peer), socket, tls: false };
                    tokio::spawn(serve(shared.clone(), stream, conn));
                }
                // Out of file descriptors and the like: back off, go on.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = stopped(&mut stopping) => return,
        }
    }
}

/// Accepts TLS connections until the server stops: each is served once
/// its handshake succeeds; a client that fails it (a plain-TCP client, a
/// bad or missing certificate) or takes longer than
/// [`handshake_timeout`] is disconnected.
pub async fn accept_tls(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
) {
    let mut stopping = shared.stopping.subscribe();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let counted = Counted::new(&shared);
                    let socket = tcp_socket(&stream, peer);
                    let conn = Accepted { counted, loopback: is_loopback(&peer), socket, tls: true };
                    let (shared, acceptor) = (shared.clone(), acceptor.clone());
                    tokio::spawn(async move {
                        let mut stopping = shared.stopping.subscribe();
                        let limit = handshake_timeout(&shared);
                        let handshake = tokio::time::timeout(limit, acceptor.accept(stream));
                        tokio::select! {
                            r = handshake => {
                                if let Ok(Ok(stream)) = r {
                                    serve(shared, stream, conn).await;
                                }
                            }
                            _ = stopped(&mut stopping) => {}
                        }
                    });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = stopped(&mut stopping) => return,
        }
    }
}

/// Accepts Unix socket connections until the server stops; `path` is the
/// socket's (CLIENT LIST shows `addr=<path>:0`, as redis-server).
pub async fn accept_unix(shared: Arc<Shared>, listener: tokio::net::UnixListener, path: Arc<str>) {
    use std::os::fd::AsRawFd;
    let mut stopping = shared.stopping.subscribe();
    loop {
        tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => {
                    let counted = Counted::new(&shared);
                    let socket = clients::Socket {
                        addr: format!("{path}:0"),
                        laddr: format!("{path}:0"),
                        fd: i64::from(stream.as_raw_fd()),
                        unix: true,
                        io: Default::default(),
                    };
                    let conn = Accepted { counted, loopback: true, socket, tls: false };
                    tokio::spawn(serve(shared.clone(), stream, conn));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            _ = stopped(&mut stopping) => return,
        }
    }
}

/// Runs `f`, which may wait long (a script, or the lock a script holds:
/// it may run until SCRIPT KILL), where it cannot stall the other
/// connections: in `block_in_place` on a multi-thread runtime, on the
/// blocking pool on the one-thread runtime (whose only thread must stay
/// free to answer BUSY and SCRIPT KILL). None if the runtime shut down
/// before `f` ran.
async fn offload<R: Send + 'static>(
    shared: &Shared,
    f: impl FnOnce() -> R + Send + 'static,
) -> Option<R> {
    if !shared.single {
        return Some(tokio::task::block_in_place(f));
    }
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => Some(r),
        Err(e) => match e.try_into_panic() {
            // A panic stays the connection task's, as if `f` ran here.
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => None,
        },
    }
}

/// Runs `f` on the store; while a script holds the lock, [`offload`]ed.
/// None if the runtime shut down before `f` ran.
async fn with_store<R: Send + 'static>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&mut crate::engine::Store) -> R + Send + 'static,
) -> Option<R> {
    if let Some(mut store) = shared.engine.lock_unless_script() {
        return Some(f(&mut store));
    }
    let engine = shared.engine.clone();
    offload(shared, move || f(&mut engine.lock())).await
}

/// Runs one command for `client` (`cmd`: its entry when already known).
fn run_on(
    engine: &crate::engine::Engine,
    client: &mut ClientState,
    cmd: Option<&'static Command>,
    args: &[&[u8]],
) -> Frame {
    match cmd {
        Some(c) => engine.execute_cmd(client, c, args),
        None => engine.execute(client, args),
    }
}

/// Counts an open connection for as long as it lives.
pub struct Counted {
    shared: Arc<Shared>,
    /// Connections open when this one was accepted, itself included.
    open: usize,
}

impl Counted {
    /// Counts a connection just accepted (in accept order, for
    /// `maxclients`).
    pub fn new(shared: &Arc<Shared>) -> Counted {
        let open = shared.clients.fetch_add(1, Ordering::AcqRel) + 1;
        Counted {
            shared: shared.clone(),
            open,
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.shared.clients.fetch_sub(1, Ordering::AcqRel);
    }
}

/// An accepted connection about to be served.
pub struct Accepted {
    pub counted: Counted,
    /// From the loopback interface (protected mode lets it in).
    pub loopback: bool,
    pub socket: clients::Socket,
    /// A TLS stream: replies are flushed out of its record layer.
    pub tls: bool,
}

/// Serves one accepted connection to its end.
pub async fn serve<S>(shared: Arc<Shared>, mut stream: S, conn: Accepted)
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let Accepted {
        counted,
        loopback,
        socket,
        tls,
    } = conn;
    let limits = &shared.limits;
    let refusal = if counted.open as u64 > limits.maxclients.load(Ordering::Relaxed) {
        with_store(&shared, |s| s.stats.rejected_connections += 1).await;
        Some(MAX_CLIENTS)
    } else if !loopback
        && limits.protected_mode.load(Ordering::Relaxed)
        && with_store(&shared, |s| s.acl.default_opens()).await != Some(false)
    {
        // Counted as Redis counts a refusal in protected mode.
        with_store(&shared, |s| s.stats.rejected_connections += 1).await;
        Some(DENIED)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        let _ = stream.write_all(refusal).await;
        if tls {
            let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
        }
        return;
    }
    let mut conn = Conn::open(shared, socket, tls);
    conn.run(&mut stream).await;
    conn.close().await;
    if tls {
        // close_notify, so the client sees a clean end of the stream.
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
    }
    drop(counted);
}

/// Why a connection ends.
struct Close;

/// At most this many pipelined commands run under one engine lock.
const RUN_MAX: usize = 256;

/// A command [`Conn::run_plain`] may run under a held engine lock: it
/// cannot block, run a script or take part in pub/sub, and the command
/// table does not mark it [`traits::ALONE`].
fn plain(cmd: &'static Command) -> bool {
    !cmd.has(commands::flags::BLOCKING)
        && !cmd.has_trait(traits::RUNS_SCRIPT | traits::ALONE)
        && cmd.group != Group::Scripting
        && cmd.group != Group::PubSub
}

/// What woke the connection's loop.
enum Event {
    Read(std::io::Result<usize>),
    Wrote(std::io::Result<usize>),
    /// A TLS connection's records went out.
    Flushed(std::io::Result<()>),
    /// Bits of the connection's [`Signal`].
    Signalled(u8),
    /// The idle timeout, or a blocked command's.
    Idle,
}

struct Conn {
    shared: Arc<Shared>,
    client: ClientState,
    /// The id the connection registered with: the engine gives a killed
    /// client a new one when it next runs a command.
    id: u64,
    sink: Arc<ConnSink>,
    /// The socket CLIENT LIST shows, with the buffer sizes it reports.
    socket: Arc<clients::Socket>,
    parser: CommandParser,
    out: Vec<u8>,
    /// Bytes of `out` already written.
    written: usize,
    /// How kills, pushes and the server's stop reach this connection.
    signal: Arc<Signal>,
    /// Pushes wait in the sink (moved to `out` once it has room).
    push_due: bool,
    /// Reply written, close when it is out (QUIT, protocol error).
    closing: bool,
    monitor: bool,
    last_active: Instant,
    /// A TLS connection: written replies may wait in the record layer
    /// until flushed.
    tls: bool,
    /// Written since the last flush (TLS only).
    unflushed: bool,
}

impl Conn {
    /// Registers a new client with the engine (CLIENT LIST shows it now).
    /// While a script holds the engine, the client registers later, with
    /// its first command the engine runs (until then its commands are
    /// answered BUSY, SCRIPT KILL included, as redis-server answers
    /// clients that connect during a busy script).
    fn open(shared: Arc<Shared>, socket: clients::Socket, tls: bool) -> Conn {
        let socket = Arc::new(socket);
        let signal = Arc::new(Signal::default());
        let sink = Arc::new(ConnSink::new(
            shared.clone(),
            socket.clone(),
            signal.clone(),
        ));
        let mut client = ClientState::new(0);
        client.sink = Some(SubscriberSink(sink.clone()));
        client.socket = Some(socket.clone());
        shared.connected.fetch_add(1, Ordering::Relaxed);
        if let Some(mut store) = shared.engine.lock_unless_script() {
            // Without credentials this cannot fail.
            let _ = clients::ensure_connected(&mut store, &mut client);
        }
        shared.conns.lock().insert(client.id, signal.clone());
        let limits = CommandLimits {
            max_bulk_len: shared.limits.proto_max_bulk_len.load(Ordering::Relaxed) as usize,
            max_multibulk_len: i32::MAX as usize,
            max_inline_len: INLINE_MAX_SIZE,
            auth_required: !client.authenticated,
        };
        Conn {
            id: client.id,
            client,
            sink,
            socket,
            parser: CommandParser::with_limits(limits),
            out: Vec::new(),
            written: 0,
            signal,
            push_due: false,
            closing: false,
            monitor: false,
            last_active: Instant::now(),
            tls,
            unflushed: false,
            shared,
        }
    }

    /// Unregisters the client: its subscriptions, WATCHes and blocked
    /// wait end.
    async fn close(self) {
        let Conn {
            id,
            mut client,
            shared,
            ..
        } = self;
        shared.conns.lock().remove(&id);
        shared.connected.fetch_sub(1, Ordering::Relaxed);
        if !client.registered && client.id == id {
            // It came and went while a script held the engine: counted by
            // the next flush of the counters (INFO, housekeeping), as
            // registering now would wait for the script.
            shared.unregistered.fetch_add(1, Ordering::Relaxed);
            return;
        }
        with_store(&shared, move |store| {
            clients::disconnect(store, &mut client);
            if client.id != id {
                // Killed and re-registered under a new id meanwhile.
                store.clients.map.remove(&client.id);
            }
        })
        .await;
    }

    /// True if some client killed this one (CLIENT KILL).
    fn killed(&self) -> bool {
        self.client.id != self.id || self.signal.killed.load(Ordering::Acquire)
    }

    /// The idle deadline (`timeout`), if one applies now: never for
    /// subscribers, monitors and blocked clients, as in Redis.
    fn idle_deadline(&self) -> Option<Instant> {
        let secs = self.shared.limits.timeout.load(Ordering::Relaxed);
        (secs > 0 && !self.client.pubsub && !self.monitor)
            .then(|| self.last_active + Duration::from_secs(secs))
    }

    /// What the bits of the connection's signal ask for, in the loop's
    /// order: a kill or the server's stop closes (after the replies due),
    /// an overflowed sink closes at once, pushes are moved to the output.
    fn signalled(&mut self, bits: u8) -> Result<(), Option<Close>> {
        if bits & signal::OVERFLOW != 0 && self.sink.closed() {
            return Err(None);
        }
        if (bits & signal::KILL != 0 && self.killed()) || bits & signal::STOP != 0 {
            return Err(Some(Close));
        }
        if bits & signal::PUSH != 0 {
            self.push_due = true;
        }
        Ok(())
    }

    async fn run<S>(&mut self, io: &mut S)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        if *self.shared.stopping.borrow() {
            return;
        }
        loop {
            if self.closing && self.pending_out().is_empty() {
                let _ = tokio::time::timeout(Duration::from_secs(1), io.flush()).await;
                return;
            }
            let mut step = match self.signal.take() {
                0 => Ok(()),
                bits => self.signalled(bits),
            };
            if step.is_ok() && self.push_due && self.pending_out().len() < PUSH_HIGH_WATER {
                step = self.take_pushes().map_err(Some);
            }
            if step.is_ok() {
                step = self.wait_io(io).await;
            }
            match step {
                Ok(()) => {}
                // Replies already due still go out (a client that killed
                // itself gets its answer), if the peer takes them soon.
                Err(Some(Close)) => {
                    let flush = self.flush(io);
                    let _ = tokio::time::timeout(Duration::from_secs(1), flush).await;
                    return;
                }
                Err(None) => return,
            }
        }
    }

    /// Waits for the socket (replies to write, requests to read), the
    /// connection's signal or the idle timeout, and handles what came.
    async fn wait_io<S>(&mut self, io: &mut S) -> Result<(), Option<Close>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        self.publish_io();
        let idle = self.idle_deadline();
        let reading = !self.closing && self.pending_out().len() < OUT_HIGH_WATER;
        if reading {
            let buf = self.parser.buffer_mut();
            if buf.capacity() - buf.len() < READ_CHUNK {
                buf.reserve(READ_CHUNK);
            }
        }
        let event = {
            let signal = &*self.signal;
            let pending = self.out.get(self.written..).unwrap_or_default();
            let flushing = self.unflushed;
            let buf = self.parser.buffer_mut();
            let mut sleep = std::pin::pin!(idle.map(|at| tokio::time::sleep_until(at.into())));
            // One poll looks at everything, in this order, with no
            // future kept between polls but the idle timer's.
            std::future::poll_fn(|cx| {
                if let Poll::Ready(bits) = signal.poll_take(cx) {
                    return Poll::Ready(Event::Signalled(bits));
                }
                if !pending.is_empty() {
                    if let Poll::Ready(r) = poll_once(io.write(pending), cx) {
                        return Poll::Ready(Event::Wrote(r));
                    }
                } else if flushing {
                    if let Poll::Ready(r) = poll_once(io.flush(), cx) {
                        return Poll::Ready(Event::Flushed(r));
                    }
                }
                if reading {
                    if let Poll::Ready(r) = poll_once(io.read_buf(buf), cx) {
                        return Poll::Ready(Event::Read(r));
                    }
                }
                if let Some(sleep) = sleep.as_mut().as_pin_mut() {
                    if sleep.poll(cx).is_ready() {
                        return Poll::Ready(Event::Idle);
                    }
                }
                Poll::Pending
            })
            .await
        };
        match event {
            Event::Signalled(bits) => self.signalled(bits),
            Event::Idle => Err(Some(Close)),
            Event::Wrote(r) => self.wrote(r).map_err(Some),
            Event::Flushed(r) => {
                self.unflushed = false;
                r.map(|_| ()).map_err(|_| Some(Close))
            }
            Event::Read(Ok(n)) if n > 0 => {
                self.shared.net_in.fetch_add(n as u64, Ordering::Relaxed);
                if self.shared.limits.timeout.load(Ordering::Relaxed) > 0 {
                    self.last_active = Instant::now();
                }
                self.process(io).await.map_err(Some)
            }
            Event::Read(_) => Err(Some(Close)),
        }
    }

    fn pending_out(&self) -> &[u8] {
        self.out.get(self.written..).unwrap_or_default()
    }

    /// Tells CLIENT LIST the sizes of the buffers: unparsed input, the
    /// arguments of a half-received command, unwritten replies.
    fn publish_io(&self) {
        let io = &self.socket.io;
        let (len, cap) = (self.parser.buffered(), self.parser.capacity());
        io.qbuf.store(len as u64, Ordering::Relaxed);
        io.qbuf_free
            .store(cap.saturating_sub(len) as u64, Ordering::Relaxed);
        io.argv_mem
            .store(self.parser.partial_args_len() as u64, Ordering::Relaxed);
        io.out
            .store(self.pending_out().len() as u64, Ordering::Relaxed);
        io.buffers
            .store((cap + self.out.capacity()) as u64, Ordering::Relaxed);
    }

    fn wrote(&mut self, r: std::io::Result<usize>) -> Result<(), Close> {
        match r {
            Ok(n) if n > 0 => {
                self.shared.net_out.fetch_add(n as u64, Ordering::Relaxed);
                self.unflushed = self.tls;
                self.written += n;
                if self.written >= self.out.len() {
                    self.written = 0;
                    if self.out.capacity() > KEEP_CAPACITY {
                        self.out = Vec::new();
                    } else {
                        self.out.clear();
                    }
                }
                Ok(())
            }
            _ => Err(Close),
        }
    }

    /// Writes all pending output.
    async fn flush<W: AsyncWrite + Unpin>(&mut self, wr: &mut W) -> Result<(), Close> {
        while !self.pending_out().is_empty() {
            let r = wr.write(self.pending_out()).await;
            self.wrote(r)?;
        }
        if self.unflushed {
            wr.flush().await.map_err(|_| Close)?;
            self.unflushed = false;
        }
        Ok(())
    }

    /// Moves delivered pushes to the output; the sink closes (and so does
    /// the connection) past the output buffer limit.
    fn take_pushes(&mut self) -> Result<(), Close> {
        if self.pending_out().len() >= PUSH_HIGH_WATER {
            return if self.sink.closed() {
                Err(Close)
            } else {
                Ok(())
            };
        }
        if self.sink.drain_into(&mut self.out) {
            self.push_due = false;
            Ok(())
        } else {
            Err(Close)
        }
    }

    /// Runs every complete request in the read buffer.
    async fn process<S>(&mut self, io: &mut S) -> Result<(), Close>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        while !self.closing {
            // Pipelined plain commands run as a run under one engine lock;
            // the first one that is not plain is parsed and runs here.
            self.run_plain()?;
            match self.parser.next_command() {
                Ok(Some(argv)) => self.execute(argv, io).await?,
                Ok(None) => break,
                Err(e) => {
                    // Redis answers a protocol error and closes.
                    write_frame(&mut self.out, &e.to_frame(), self.client.resp3);
                    self.closing = true;
                }
            }
        }
        let limit = self
            .shared
            .limits
            .query_buffer_limit
            .load(Ordering::Relaxed);
        if limit > 0 && self.parser.buffered() as u64 > limit {
            return Err(Close);
        }
        let buf = self.parser.buffer_mut();
        if buf.is_empty() && buf.capacity() > KEEP_CAPACITY {
            *buf = bytes::BytesMut::new();
        }
        Ok(())
    }

    /// Runs the complete requests at the head of the read buffer that
    /// need nothing but the engine (see [`plain`]) under one lock, as
    /// Redis runs a client's pipelined commands back to back, and queues
    /// their replies. Each runs on its arguments where they lie in the
    /// read buffer. Stops, leaving the rest to [`Conn::execute`], at the
    /// first request that is not plain or that the parser cannot look at
    /// whole (see `CommandParser::peek`), after [`RUN_MAX`] commands, or
    /// when the output passes its high water.
    fn run_plain(&mut self) -> Result<(), Close> {
        let engine = self.shared.engine.clone();
        if self.client.pubsub || self.killed() || engine.gated() || engine.script_running() {
            return Ok(());
        }
        let mut store = None;
        let mut ran = 0;
        let mut spans = Spans::new();
        while ran < RUN_MAX && self.out.len() < OUT_HIGH_WATER {
            let Some(used) = self.parser.peek(&mut spans) else {
                break;
            };
            let buf = self.parser.buffered_bytes();
            let args: smallvec::SmallVec<[&[u8]; 8]> = spans
                .iter()
                .map(|&(at, len)| buf.get(at..at + len).unwrap_or_default())
                .collect();
            let cmd = match commands::resolve(&args) {
                Ok(cmd) if plain(cmd) => cmd,
                _ => break,
            };
            // A script that started since the check above may hold the
            // lock until SCRIPT KILL: not on this thread.
            if store.is_none() {
                store = engine.lock_unless_script();
            }
            let Some(st) = store.as_mut() else {
                break;
            };
            // Pushes to this client (tracking invalidations) must come
            // between its replies: those clients take the general path.
            if !st.tracking.is_empty() || self.client.pubsub {
                break;
            }
            let mode = self.client.reply_mode;
            let scripts = Some(engine.scripts());
            // CLIENT LIST shows a running command's arguments (argv-mem).
            let argv_mem: usize = spans.iter().map(|&(_, len)| len).sum();
            self.socket
                .io
                .argv_mem
                .store(argv_mem as u64, Ordering::Relaxed);
            let frame = commands::dispatch_cmd_in(st, scripts, &mut self.client, cmd, &args);
            self.socket.io.argv_mem.store(0, Ordering::Relaxed);
            drop(args);
            self.parser.consume(used);
            ran += 1;
            if self.client.blocked.is_some() || self.client.id != self.id {
                // Not expected of a plain command: drop the connection
                // rather than reply out of order.
                let b = self.client.blocked.take();
                drop(store.take());
                if let Some(b) = b {
                    engine.cancel_block(b.id, &b.slot);
                }
                return Err(Close);
            }
            let suppress = std::mem::take(&mut self.client.suppress_reply)
                || match cmd.name {
                    "client|reply" => self.client.reply_mode != ReplyMode::On,
                    _ => mode != ReplyMode::On,
                };
            self.sink.resp3.store(self.client.resp3, Ordering::Relaxed);
            if !suppress {
                write_frame(&mut self.out, &frame, self.client.resp3);
            }
        }
        drop(store);
        if ran > 0 {
            self.take_pushes()?;
        }
        Ok(())
    }

    /// Runs one command and queues its reply.
    async fn execute<S>(&mut self, argv: Vec<Bytes>, io: &mut S) -> Result<(), Close>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let args: Vec<&[u8]> = argv.iter().map(|a| a.as_ref()).collect();
        let cmd = match commands::resolve(&args) {
            Ok(c) => Some(c),
            Err(e) => {
                // Unknown commands are refused before any pause, as in
                // Redis; inside MULTI they abort the transaction.
                if let Some(m) = self.client.multi.as_mut() {
                    m.aborted = true;
                }
                let frame = e.to_frame();
                if let (Frame::Error(text), Some(mut store)) =
                    (&frame, self.shared.engine.lock_unless_script())
                {
                    commands::slowlog::count_error(&mut store, text);
                }
                if self.client.reply_mode == ReplyMode::On {
                    write_frame(&mut self.out, &frame, self.client.resp3);
                }
                return Ok(());
            }
        };
        let name = cmd.map_or("", |c| c.name);
        if self.killed() {
            return Err(Close);
        }
        if name == "quit" {
            self.out.extend_from_slice(b"+OK\r\n");
            self.closing = true;
            return Ok(());
        }
        while self.shared.pause.holds(cmd) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        if name == "info" && !self.shared.engine.script_running() {
            let shared = self.shared.clone();
            with_store(&self.shared, move |s| shared.flush_counters(s)).await;
        }
        let mode = self.client.reply_mode;
        let argv_mem: usize = args.iter().map(|a| a.len()).sum();
        self.socket
            .io
            .argv_mem
            .store(argv_mem as u64, Ordering::Relaxed);
        let frame = self.run_command(cmd, &argv).await;
        self.socket.io.argv_mem.store(0, Ordering::Relaxed);
        if self.client.id != self.id {
            // Killed while it ran: the engine reconnected it.
            return Err(Close);
        }
        let frame = match self.client.blocked.take() {
            Some(b) => self.wait_blocked(b, io).await?,
            None => frame,
        };
        self.take_pushes()?;
        let suppress = std::mem::take(&mut self.client.suppress_reply)
            || match name {
                "client|reply" => self.client.reply_mode != ReplyMode::On,
                _ => mode != ReplyMode::On,
            };
        self.after(name, &frame).await;
        if name == "shutdown" && !frame.is_error() {
            // The server goes away; the connection closes unanswered.
            self.shared.stop();
            return Err(Close);
        }
        if !suppress {
            write_frame(&mut self.out, &frame, self.client.resp3);
        }
        Ok(())
    }

    /// Runs the command on the engine; scripts, and calls that would wait
    /// for a running script, are [`offload`]ed, leaving the runtime's
    /// thread to the other connections. The connection's client state
    /// goes with an offloaded call and comes back with its reply.
    async fn run_command(&mut self, cmd: Option<&'static Command>, argv: &[Bytes]) -> Frame {
        let engine = self.shared.engine.clone();
        let offloaded = engine.script_running()
            || cmd.is_some_and(|c| c.has_trait(traits::RUNS_SCRIPT) || c.group == Group::Scripting);
        if !offloaded {
            let args: smallvec::SmallVec<[&[u8]; 8]> = argv.iter().map(|a| a.as_ref()).collect();
            return run_on(&engine, &mut self.client, cmd, &args);
        }
        let placeholder = ClientState::ephemeral(self.client.db);
        let mut client = std::mem::replace(&mut self.client, placeholder);
        let argv = argv.to_vec();
        let call = move || {
            let args: smallvec::SmallVec<[&[u8]; 8]> = argv.iter().map(|a| a.as_ref()).collect();
            let frame = run_on(&engine, &mut client, cmd, &args);
            (client, frame)
        };
        match offload(&self.shared, call).await {
            Some((client, frame)) => {
                self.client = client;
                frame
            }
            // The server stopped first; the placeholder's id (0) closes
            // the connection.
            None => Frame::Error(Bytes::from_static(KILLED)),
        }
    }

    /// Connection state a command changed.
    async fn after(&mut self, name: &str, frame: &Frame) {
        self.sink.resp3.store(self.client.resp3, Ordering::Relaxed);
        self.parser.limits_mut().auth_required = !self.client.authenticated;
        match name {
            "monitor" if !frame.is_error() => self.monitor = true,
            "reset" if self.monitor => {
                let id = self.id;
                with_store(&self.shared, move |store| {
                    store.monitors.remove(id);
                    store.refresh_gate();
                })
                .await;
                self.monitor = false;
            }
            "client|kill" => {
                let shared = self.shared.clone();
                with_store(&self.shared, move |s| shared.reap_killed(s)).await;
            }
            _ => {}
        }
    }

    /// Waits for a blocked command's reply without holding a worker
    /// thread; earlier replies go out first, as Redis writes them while
    /// the client is blocked. Requests that arrive meanwhile are kept for
    /// after the reply.
    async fn wait_blocked<S>(&mut self, b: Blocked, io: &mut S) -> Result<Frame, Close>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let engine = self.shared.engine.clone();
        let cancel = |b: &Blocked| engine.cancel_block(b.id, &b.slot);
        let outcome = self.await_reply(&b, io).await;
        match outcome {
            Ok(Some(frame)) => Ok(frame),
            // The timeout: a reply that raced with it wins.
            Ok(None) => Ok(cancel(&b).unwrap_or_else(|| b.timeout_reply.clone())),
            Err(e) => {
                cancel(&b);
                Err(e)
            }
        }
    }

    /// [`Conn::wait_blocked`]'s loop: the reply, or `None` at the
    /// blocked command's timeout.
    async fn await_reply<S>(&mut self, b: &Blocked, io: &mut S) -> Result<Option<Frame>, Close>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        self.take_pushes()?;
        self.flush(io).await?;
        let signal = self.signal.clone();
        b.slot
            .on_ready(Box::new(move || signal.raise(signal::WOKEN)));
        let deadline = (b.timeout_ms > 0)
            .then(|| Instant::now().checked_add(Duration::from_millis(b.timeout_ms)))
            .flatten();
        let mut timer = std::pin::pin!(deadline.map(|at| tokio::time::sleep_until(at.into())));
        loop {
            self.publish_io();
            let buf = self.parser.buffer_mut();
            if buf.capacity() - buf.len() < READ_CHUNK {
                buf.reserve(READ_CHUNK);
            }
            let signal = &*self.signal;
            let event = std::future::poll_fn(|cx| {
                if let Poll::Ready(bits) = signal.poll_take(cx) {
                    return Poll::Ready(Event::Signalled(bits));
                }
                if let Some(timer) = timer.as_mut().as_pin_mut() {
                    if timer.poll(cx).is_ready() {
                        return Poll::Ready(Event::Idle);
                    }
                }
                match poll_once(io.read_buf(buf), cx) {
                    Poll::Ready(r) => Poll::Ready(Event::Read(r)),
                    Poll::Pending => Poll::Pending,
                }
            })
            .await;
            match event {
                Event::Signalled(bits) => {
                    if bits & signal::WOKEN != 0 {
                        if let Some(f) = b.slot.take() {
                            if f.error_text() == Some(KILLED) || self.killed() {
                                return Err(Close);
                            }
                            return Ok(Some(f));
                        }
                    }
                    self.signalled(bits).map_err(|_| Close)?;
                    if self.push_due {
                        self.take_pushes()?;
                        self.flush(io).await?;
                    }
                }
                Event::Idle => return Ok(None),
                Event::Read(Ok(n)) if n > 0 => {
                    self.shared.net_in.fetch_add(n as u64, Ordering::Relaxed);
                    let limit = self
                        .shared
                        .limits
                        .query_buffer_limit
                        .load(Ordering::Relaxed);
                    if limit > 0 && self.parser.buffered() as u64 > limit {
                        return Err(Close);
                    }
                }
                _ => return Err(Close),
            }
        }
    }
}

/// Resolves once the server is stopping.
pub async fn stopped(rx: &mut tokio::sync::watch::Receiver<bool>) {
    if rx.wait_for(|s| *s).await.is_err() {
        // The server is gone altogether.
        std::future::pending::<()>().await;
    }
}
