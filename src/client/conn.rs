//! One connection to a server: a socket (TCP, Unix or TLS over TCP), a
//! write buffer that a whole request or pipeline is encoded into and sent
//! with one write, and the incremental RESP parser fed from a reusable read
//! buffer.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use rustls::{ClientConnection, StreamOwned};
use socket2::{SockRef, TcpKeepalive};

use super::config::{Address, Config};
use super::error::{is_timeout, os_parts, Error, ErrorKind, Stage};
use crate::resp::{encode_command, FlatScan, Frame, Parser, Scan};

/// Bytes asked of the kernel per read; replies larger than this arrive in
/// several reads and the parser keeps its place between them.
const READ_CHUNK: usize = 64 * 1024;

/// The transport.
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn fd(&self) -> RawFd {
        match self {
            Stream::Tcp(s) => s.as_raw_fd(),
            Stream::Unix(s) => s.as_raw_fd(),
            Stream::Tls(s) => s.sock.as_raw_fd(),
        }
    }

    fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_read_timeout(t),
            Stream::Unix(s) => s.set_read_timeout(t),
            Stream::Tls(s) => s.sock.set_read_timeout(t),
        }
    }

    fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Tcp(s) => s.set_write_timeout(t),
            Stream::Unix(s) => s.set_write_timeout(t),
            Stream::Tls(s) => s.sock.set_write_timeout(t),
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tls(s) => s.flush(),
            _ => Ok(()),
        }
    }
}

/// A zero timeout means "don't wait" to redis-py but is invalid for a
/// socket option; the smallest positive one is the closest thing.
fn sock_timeout(t: Option<Duration>) -> Option<Duration> {
    t.map(|d| d.max(Duration::from_micros(1)))
}

/// A reply read by [`Connection::read_flat_or_frame`].
pub enum Incoming {
    Frame(Frame),
    /// An array, set or map of bulk strings and nulls, whole in the buffer.
    Flat,
}

/// An open, set-up connection.
pub struct Connection {
    stream: Stream,
    parser: Parser,
    /// The scan of a reply read by [`Connection::read_flat_or_frame`].
    flat: FlatScan,
    rbuf: Box<[u8]>,
    /// The request being built; [`Connection::send`] writes and clears it.
    pub wbuf: Vec<u8>,
    /// The read timeout currently set on the socket.
    read_timeout: Option<Duration>,
    /// The configured per-read timeout.
    pub socket_timeout: Option<Duration>,
    /// The database currently selected on the server side.
    pub db: usize,
    /// True when the connection speaks RESP3 (`HELLO 3` succeeded).
    pub resp3: bool,
    /// When the connection last finished a request.
    pub last_used: Instant,
    /// The pool generation this connection belongs to.
    pub(crate) generation: u64,
}

fn connect_error(addr: &Address, e: &io::Error) -> Error {
    if is_timeout(e) {
        return Error::new(
            ErrorKind::Timeout,
            "Timeout connecting to server",
            Stage::Connect,
        );
    }
    let where_ = addr.describe();
    let message = match os_parts(e) {
        (Some(code), msg) => format!("Error {code} connecting to {where_}. {msg}."),
        (None, msg) => format!("Error connecting to {where_}. {msg}."),
    };
    Error::new(ErrorKind::Connection, message, Stage::Connect)
}

fn connect_tcp(host: &str, port: u16, cfg: &Config) -> io::Result<TcpStream> {
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "Name or service not known");
    for addr in addrs {
        let attempt = match cfg.connect_timeout {
            Some(t) => TcpStream::connect_timeout(&addr, t.max(Duration::from_micros(1))),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn setup_tcp(s: &TcpStream, cfg: &Config) -> io::Result<()> {
    s.set_nodelay(true)?;
    if let Some(ka) = &cfg.keepalive {
        let mut params = TcpKeepalive::new();
        if let Some(t) = ka.idle {
            params = params.with_time(t);
        }
        if let Some(t) = ka.interval {
            params = params.with_interval(t);
        }
        if let Some(n) = ka.count {
            params = params.with_retries(n);
        }
        SockRef::from(s).set_tcp_keepalive(&params)?;
    }
    Ok(())
}

fn open_stream(cfg: &Config) -> Result<Stream, Error> {
    let addr = &cfg.address;
    match addr {
        Address::Unix(path) => UnixStream::connect(path)
            .map(Stream::Unix)
            .map_err(|e| connect_error(addr, &e)),
        Address::Tcp { host, port } => {
            let tcp = connect_tcp(host, *port, cfg).map_err(|e| connect_error(addr, &e))?;
            setup_tcp(&tcp, cfg).map_err(|e| connect_error(addr, &e))?;
            let Some(tls) = &cfg.tls else {
                return Ok(Stream::Tcp(tcp));
            };
            let handshake = || -> io::Result<StreamOwned<ClientConnection, TcpStream>> {
                let limit = sock_timeout(cfg.connect_timeout.or(cfg.socket_timeout));
                tcp.set_read_timeout(limit)?;
                tcp.set_write_timeout(limit)?;
                let mut conn = ClientConnection::new(tls.config.clone(), tls.server_name.clone())
                    .map_err(io::Error::other)?;
                let mut sock = tcp.try_clone()?;
                while conn.is_handshaking() {
                    conn.complete_io(&mut sock)?;
                }
                Ok(StreamOwned::new(conn, sock))
            };
            match handshake() {
                Ok(s) => Ok(Stream::Tls(Box::new(s))),
                Err(e) if is_timeout(&e) => Err(connect_error(addr, &e)),
                Err(e) => Err(Error::new(
                    ErrorKind::Connection,
                    format!(
                        "Error connecting to {}. TLS handshake failed: {e}.",
                        addr.describe()
                    ),
                    Stage::Connect,
                )),
            }
        }
    }
}

impl Connection {
    /// Connects and runs the handshake (HELLO/AUTH, CLIENT SETNAME,
    /// SELECT), pipelined in one write.
    pub fn open(cfg: &Config) -> Result<Connection, Error> {
        let stream = open_stream(cfg)?;
        let timeout = sock_timeout(cfg.socket_timeout);
        let setup = stream
            .set_write_timeout(timeout)
            .and_then(|_| stream.set_read_timeout(timeout));
        setup.map_err(|e| connect_error(&cfg.address, &e))?;
        let mut conn = Connection {
            stream,
            parser: Parser::new(),
            flat: FlatScan::new(),
            rbuf: vec![0u8; READ_CHUNK].into_boxed_slice(),
            wbuf: Vec::with_capacity(256),
            read_timeout: timeout,
            socket_timeout: cfg.socket_timeout,
            db: 0,
            resp3: false,
            last_used: Instant::now(),
            generation: 0,
        };
        conn.handshake(cfg)?;
        Ok(conn)
    }

    fn handshake(&mut self, cfg: &Config) -> Result<(), Error> {
        let creds = match &cfg.credentials {
            Some(source) => Some(source.credentials()?),
            None => cfg.password.clone().map(|p| (cfg.username.clone(), p)),
        };
        self.wbuf.clear();
        // One flag per request sent: whether its error reply is ignored.
        let mut replies: Vec<bool> = Vec::with_capacity(5);
        if cfg.protocol == 3 {
            let mut args: Vec<&[u8]> = vec![b"HELLO", b"3"];
            if let Some((user, pw)) = &creds {
                args.push(b"AUTH");
                args.push(user.as_deref().unwrap_or(b"default"));
                args.push(pw);
            }
            if let Some(name) = &cfg.client_name {
                args.push(b"SETNAME");
                args.push(name);
            }
            encode_command(&mut self.wbuf, &args);
            replies.push(false);
        } else {
            if let Some((user, pw)) = &creds {
                match user {
                    Some(user) => encode_command(&mut self.wbuf, &[b"AUTH", &user[..], pw]),
                    None => encode_command(&mut self.wbuf, &[&b"AUTH"[..], pw]),
                }
                replies.push(false);
            }
            if let Some(name) = &cfg.client_name {
                encode_command(&mut self.wbuf, &[&b"CLIENT"[..], b"SETNAME", name]);
                replies.push(false);
            }
        }
        // Servers before 7.2 have no SETINFO: their error is ignored.
        let info = [
            (&b"LIB-NAME"[..], &cfg.lib_name),
            (b"LIB-VER", &cfg.lib_version),
        ];
        for (attr, value) in info {
            if let Some(value) = value {
                encode_command(&mut self.wbuf, &[&b"CLIENT"[..], b"SETINFO", attr, value]);
                replies.push(true);
            }
        }
        if cfg.readonly {
            encode_command(&mut self.wbuf, &[b"READONLY"]);
            replies.push(false);
        }
        if cfg.db != 0 {
            let db = cfg.db.to_string();
            encode_command(&mut self.wbuf, &[b"SELECT", db.as_bytes()]);
            replies.push(false);
        }
        if replies.is_empty() {
            return Ok(());
        }
        self.send().map_err(|mut e| {
            e.stage = Stage::Connect;
            e
        })?;
        let mut first_error = None;
        for ignored in replies {
            let frame = self.read_frame_uninterrupted().map_err(|mut e| {
                e.stage = Stage::Connect;
                e
            })?;
            if let Frame::Error(text) = frame {
                if !ignored {
                    first_error.get_or_insert(text);
                }
            }
        }
        if let Some(text) = first_error {
            return Err(Error::new(
                ErrorKind::Reply,
                String::from_utf8_lossy(&text),
                Stage::Connect,
            ));
        }
        self.resp3 = cfg.protocol == 3;
        self.db = cfg.db;
        Ok(())
    }

    /// Reads a frame, resuming after signals (used where no Python signal
    /// handler can run, such as the handshake).
    fn read_frame_uninterrupted(&mut self) -> Result<Frame, Error> {
        let timeout = self.socket_timeout;
        loop {
            match self.read_frame(timeout) {
                Err(e) if e.kind == ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Writes the whole write buffer and clears it.
    pub fn send(&mut self) -> Result<(), Error> {
        let tls = matches!(self.stream, Stream::Tls(_));
        let mut written = 0;
        let result = loop {
            if written == self.wbuf.len() {
                break self.stream.flush();
            }
            match self.stream.write(&self.wbuf[written..]) {
                Ok(0) => break Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            }
        };
        self.wbuf.clear();
        result.map_err(|e| {
            // TLS accepts bytes into its own buffer first, so any accepted
            // byte may already be on the wire.
            let stage = Stage::Write {
                partial: written > 0 || tls,
            };
            if is_timeout(&e) {
                return Error::new(ErrorKind::Timeout, "Timeout writing to socket", stage);
            }
            let message = match os_parts(&e) {
                (Some(code), msg) => format!("Error {code} while writing to socket. {msg}."),
                (None, msg) => format!("Error UNKNOWN while writing to socket. {msg}."),
            };
            Error::new(ErrorKind::Connection, message, stage)
        })
    }

    /// The next reply. `timeout` bounds each read from the socket (None:
    /// wait forever). An `Interrupted` error leaves the connection in step:
    /// call again to resume; any other error leaves it unusable.
    pub fn read_frame(&mut self, timeout: Option<Duration>) -> Result<Frame, Error> {
        loop {
            if let Some(frame) = self.next_frame()? {
                return Ok(frame);
            }
            self.fill(timeout)?;
        }
    }

    /// The next reply like [`Connection::read_frame`], except that an
    /// array, set or map of bulk strings and nulls is only scanned, not
    /// parsed into frames: [`Incoming::Flat`] says it lies complete in the read
    /// buffer, for [`Connection::flat_reply`] then
    /// [`Connection::consume_flat`]. Errors and resuming after
    /// `Interrupted` are as for `read_frame`.
    pub fn read_flat_or_frame(&mut self, timeout: Option<Duration>) -> Result<Incoming, Error> {
        loop {
            // A frame begun by the parser is finished by the parser.
            if !self.parser.in_frame() {
                match self.flat.scan(self.parser.pending(), self.parser.limits()) {
                    Scan::Complete(_) => return Ok(Incoming::Flat),
                    Scan::Incomplete => {
                        self.fill(timeout)?;
                        continue;
                    }
                    Scan::Other => {}
                }
            }
            if let Some(frame) = self.next_frame()? {
                self.flat.reset();
                return Ok(Incoming::Frame(frame));
            }
            self.fill(timeout)?;
        }
    }

    /// The read buffer and the scan of the complete flat reply at its
    /// start (after [`Incoming::Flat`]).
    pub fn flat_reply(&self) -> (&[u8], &FlatScan) {
        (self.parser.pending(), &self.flat)
    }

    /// Drops the flat reply [`Connection::flat_reply`] showed.
    pub fn consume_flat(&mut self) {
        if let Some(n) = self.flat.complete_len() {
            self.parser.consume(n);
        }
        self.flat.reset();
    }

    /// The next frame already buffered, if whole.
    fn next_frame(&mut self) -> Result<Option<Frame>, Error> {
        self.parser.next_frame().map_err(|e| {
            Error::new(
                ErrorKind::Protocol,
                format!("Protocol error: {}", e.message()),
                Stage::Read,
            )
        })
    }

    /// One read from the socket into the parser's buffer.
    fn fill(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        let timeout = sock_timeout(timeout);
        if timeout != self.read_timeout {
            self.stream
                .set_read_timeout(timeout)
                .map_err(|e| read_error(&e))?;
            self.read_timeout = timeout;
        }
        match self.stream.read(&mut self.rbuf) {
            Ok(0) => Err(Error::new(
                ErrorKind::Connection,
                "Connection closed by server.",
                Stage::Read,
            )),
            Ok(n) => {
                self.parser.feed(&self.rbuf[..n]);
                Ok(())
            }
            Err(e) => Err(read_error(&e)),
        }
    }

    /// Sends PING and expects PONG (health checks).
    pub fn ping(&mut self) -> Result<(), Error> {
        self.wbuf.clear();
        encode_command(&mut self.wbuf, &[b"PING"]);
        self.send()?;
        match self.read_frame_uninterrupted()? {
            Frame::Simple(s) | Frame::Bulk(s) if s.as_ref() == b"PONG" => {
                self.last_used = Instant::now();
                Ok(())
            }
            other => Err(Error::new(
                ErrorKind::Connection,
                format!("Bad response from PING health check: {other:?}"),
                Stage::Read,
            )),
        }
    }

    /// True when bytes that no request asked for are buffered.
    pub fn has_unread(&self) -> bool {
        !self.parser.is_idle()
    }

    /// True when a read would not wait: a frame (or part of one) is
    /// buffered, or data or the end of the stream waits on the socket.
    /// Costs one `poll` (a pub/sub reader checks before each cached read
    /// whether invalidations arrived, without sleeping a socket timeout).
    pub fn readable(&mut self) -> bool {
        if !self.parser.is_idle() {
            return true;
        }
        if let Stream::Tls(s) = &mut self.stream {
            // Records on the socket may be session tickets, not data.
            return tls_stale(s);
        }
        let mut fds = libc::pollfd {
            fd: self.stream.fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd on a descriptor this connection owns;
        // a zero timeout never blocks.
        let n = unsafe { libc::poll(&mut fds, 1, 0) };
        // An error (n < 0) is reported by the read that follows.
        n != 0
    }

    /// True when the connection cannot be used for a new request: the
    /// server closed it (or reset it), or bytes arrived that no request
    /// asked for. Costs one non-blocking system call.
    pub fn is_stale(&mut self) -> bool {
        if !self.parser.is_idle() {
            return true;
        }
        let fd = self.stream.fd();
        let mut byte = 0u8;
        // SAFETY: a 1-byte peek into a valid buffer on a descriptor this
        // connection owns.
        let n = unsafe {
            libc::recv(
                fd,
                (&mut byte as *mut u8).cast(),
                1,
                libc::MSG_PEEK | libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            return !matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            );
        }
        if n == 0 {
            return true;
        }
        match &mut self.stream {
            // TLS 1.3 servers send session tickets after the handshake:
            // records to process, not a sign of trouble.
            Stream::Tls(s) => tls_stale(s),
            _ => true,
        }
    }
}

/// Processes TLS records waiting on the socket without blocking; stale if
/// they close the session or carry application data nobody asked for.
fn tls_stale(s: &mut StreamOwned<ClientConnection, TcpStream>) -> bool {
    if s.sock.set_nonblocking(true).is_err() {
        return true;
    }
    let mut stale = false;
    loop {
        match s.conn.read_tls(&mut s.sock) {
            Ok(0) => {
                stale = true;
                break;
            }
            Ok(_) => {
                let Ok(state) = s.conn.process_new_packets() else {
                    stale = true;
                    break;
                };
                if state.peer_has_closed() || state.plaintext_bytes_to_read() > 0 {
                    stale = true;
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(_) => {
                stale = true;
                break;
            }
        }
    }
    stale | s.sock.set_nonblocking(false).is_err()
}

fn read_error(e: &io::Error) -> Error {
    if e.kind() == io::ErrorKind::Interrupted {
        return Error::new(ErrorKind::Interrupted, "interrupted", Stage::Read);
    }
    if is_timeout(e) {
        return Error::new(
            ErrorKind::Timeout,
            "Timeout reading from socket",
            Stage::Read,
        );
    }
    let message = match os_parts(e) {
        (Some(code), msg) => format!("Error while reading from socket: ({code}, '{msg}')"),
        (None, msg) => format!("Error while reading from socket: ('{msg}',)"),
    };
    Error::new(ErrorKind::Connection, message, Stage::Read)
}
