//! The network backend of `Client`: a pool of connections to a real
//! server, GIL-free socket I/O, retries and redis-py's exceptions.
//!
//! # Retries
//!
//! A failed exchange is retried with the pool's `Retry` object (its
//! backoff, retry count and supported errors) when resending cannot apply
//! a command twice: the connection could not be opened, or writing failed
//! before a complete request left (for a batch, before any byte left).
//! Stale pooled connections (closed by a server restart or an idle
//! timeout) are detected before use and replaced, so they cost no retry.
//! A request whose reply was lost after it was sent is retried only when
//! the user asked for retries (`retry=`, `retry_on_error=`,
//! `retry_on_timeout=True`), as redis-py does; by default it raises.
//! Handshake failures (AUTH), full pools and protocol errors never retry.
//!
//! # The #2665 rule
//!
//! A connection is returned to the pool only after a complete exchange. A
//! timeout, Ctrl-C, parse error or dropped link discards it (the `Lease`
//! guard discards on every early return), so a late reply can never be
//! read by the next command.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::errors;
use crate::client::pool::{Lease, Resolver, WhenFull};
use crate::client::tls::{self, CertReqs, CrlCheck, TlsOptions};
use crate::client::{
    Address, Config, Connection, CredentialSource, Error, ErrorKind, Incoming, Keepalive, Pool,
    Stage,
};
use crate::resp::{encode_command, FlatScan, Frame};

/// Why an exchange failed: a client error (maybe retried) or a Python
/// exception raised by a signal handler (never retried).
pub(crate) enum Fail {
    Client(Error),
    Py(PyErr),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Client(e)
    }
}

/// The Python exception for a client error, with redis-py's class and text.
pub(crate) fn exception(py: Python<'_>, e: &Error) -> PyErr {
    if e.message == PROVIDER_FAILED {
        if let Some(err) = PROVIDER_ERROR.with(|c| c.borrow_mut().take()) {
            return err;
        }
    }
    let class = match e.kind {
        ErrorKind::Reply => return errors::reply_error(py, e.message.as_bytes()),
        ErrorKind::Timeout => "TimeoutError",
        ErrorKind::Protocol => "InvalidResponse",
        ErrorKind::PoolFull => "MaxConnectionsError",
        ErrorKind::Connection | ErrorKind::NoConnection | ErrorKind::Interrupted => {
            "ConnectionError"
        }
    };
    errors::named_error(py, class, &e.message)
}

/// A pool's retry policy. Its clients share it, so `set_retry` on the
/// pool reaches clients made earlier, as in redis-py.
pub(crate) struct RetryPolicy {
    /// A redis-py style `Retry` object, or None for no retries.
    retry: Option<Py<PyAny>>,
    /// The user configured retries: lost replies are retried too.
    explicit: bool,
}

/// Settings shared by every client of one pool (a `ConnectionPool` object).
#[pyclass(frozen, module = "redcore._redcore", name = "RemotePool")]
pub struct RemotePool {
    pub(crate) pool: Arc<Pool>,
    pub(crate) retry: Arc<Mutex<RetryPolicy>>,
}

/// Asks a redis-py `credential_provider` for credentials: its
/// `get_credentials()` returns `(password,)` or `(username, password)`.
pub(crate) fn provider_credentials(
    provider: &Bound<'_, PyAny>,
) -> PyResult<(Option<Vec<u8>>, Vec<u8>)> {
    let creds = provider.call_method0("get_credentials")?;
    let parts: Vec<Bound<'_, PyAny>> = creds.try_iter()?.collect::<PyResult<_>>()?;
    let bytes = |v: &Bound<'_, PyAny>| -> PyResult<Vec<u8>> {
        match v.extract::<String>() {
            Ok(s) => Ok(s.into_bytes()),
            Err(_) => v.extract::<Vec<u8>>(),
        }
    };
    match parts.as_slice() {
        [pw] => Ok((None, bytes(pw)?)),
        [user, pw] => Ok((Some(bytes(user)?), bytes(pw)?)),
        _ => Err(pyo3::exceptions::PyValueError::new_err(
            "get_credentials() must return (password,) or (username, password)",
        )),
    }
}

/// The text of the client error that stands for a provider's exception.
const PROVIDER_FAILED: &str = "credential provider failed";

thread_local! {
    /// The exception a `credential_provider` raised while this thread
    /// opened a connection (connections open on the calling thread), raised
    /// to the caller as it is, as redis-py does.
    static PROVIDER_ERROR: std::cell::RefCell<Option<PyErr>> = const { std::cell::RefCell::new(None) };
}

/// A `credential_provider` asked at each new connection of a pool.
#[derive(Debug)]
struct PyCredentials(Py<PyAny>);

impl CredentialSource for PyCredentials {
    fn credentials(&self) -> Result<(Option<Vec<u8>>, Vec<u8>), Error> {
        Python::attach(|py| {
            provider_credentials(self.0.bind(py)).map_err(|e| {
                PROVIDER_ERROR.with(|c| *c.borrow_mut() = Some(e));
                // A handshake failure: never retried.
                Error::new(ErrorKind::Reply, PROVIDER_FAILED, Stage::Connect)
            })
        })
    }
}

/// Seconds from Python as a duration; None (no limit) for negative, NaN,
/// infinite or too large values.
fn secs(t: Option<f64>) -> Option<Duration> {
    t.and_then(|s| Duration::try_from_secs_f64(s).ok())
}

#[pymethods]
impl RemotePool {
    #[new]
    #[pyo3(signature = (*, host="localhost", port=6379, unix_socket_path=None, db=0, username=None, password=None, socket_timeout=None, socket_connect_timeout=None, socket_keepalive=true, keepalive_idle=None, keepalive_interval=None, keepalive_count=None, client_name=None, protocol=3, health_check_interval=0.0, max_connections=None, blocking=false, blocking_timeout=None, ssl=false, ssl_ca_certs=None, ssl_certfile=None, ssl_keyfile=None, ssl_cert_reqs="required", ssl_check_hostname=true, retry=None, explicit_retry=false, credential_provider=None, lib_name=None, lib_version=None, ssl_ca_path=None, ssl_ca_data=None, ssl_min_version=None, ssl_ciphers=None, ssl_crl_check=None, readonly=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        host: &str,
        port: u16,
        unix_socket_path: Option<String>,
        db: usize,
        username: Option<Vec<u8>>,
        password: Option<Vec<u8>>,
        socket_timeout: Option<f64>,
        socket_connect_timeout: Option<f64>,
        socket_keepalive: bool,
        keepalive_idle: Option<f64>,
        keepalive_interval: Option<f64>,
        keepalive_count: Option<u32>,
        client_name: Option<Vec<u8>>,
        protocol: u8,
        health_check_interval: f64,
        max_connections: Option<usize>,
        blocking: bool,
        blocking_timeout: Option<f64>,
        ssl: bool,
        ssl_ca_certs: Option<String>,
        ssl_certfile: Option<String>,
        ssl_keyfile: Option<String>,
        ssl_cert_reqs: &str,
        ssl_check_hostname: bool,
        retry: Option<Py<PyAny>>,
        explicit_retry: bool,
        credential_provider: Option<Py<PyAny>>,
        lib_name: Option<Vec<u8>>,
        lib_version: Option<Vec<u8>>,
        ssl_ca_path: Option<String>,
        ssl_ca_data: Option<Vec<u8>>,
        ssl_min_version: Option<&str>,
        ssl_ciphers: Option<String>,
        ssl_crl_check: Option<&str>,
        readonly: bool,
    ) -> PyResult<Self> {
        let address = match unix_socket_path {
            Some(p) => Address::Unix(p.into()),
            None => Address::Tcp {
                host: host.to_string(),
                port,
            },
        };
        let tls = if ssl && matches!(address, Address::Tcp { .. }) {
            let cert_reqs = CertReqs::parse(ssl_cert_reqs).ok_or_else(|| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "Invalid SSL Certificate Requirements Flag: {ssl_cert_reqs}"
                ))
            })?;
            let opts = TlsOptions {
                ca_certs: ssl_ca_certs.map(Into::into),
                certfile: ssl_certfile.map(Into::into),
                keyfile: ssl_keyfile.map(Into::into),
                cert_reqs,
                check_hostname: ssl_check_hostname && cert_reqs != CertReqs::None,
                ca_path: ssl_ca_path.map(Into::into),
                ca_data: ssl_ca_data,
                tls13_only: match ssl_min_version {
                    Some(v) => tls::parse_min_version(v)
                        .map_err(pyo3::exceptions::PyValueError::new_err)?,
                    None => false,
                },
                ciphers: ssl_ciphers.map(|c| vec![c]),
                crl_check: match ssl_crl_check {
                    Some(v) => CrlCheck::parse(v).ok_or_else(|| {
                        pyo3::exceptions::PyValueError::new_err(format!(
                            "invalid ssl_crl_check: {v} (off, leaf or chain)"
                        ))
                    })?,
                    None => CrlCheck::Off,
                },
            };
            let settings = tls::build(&opts, host)
                .map_err(|msg| Python::attach(|py| errors::named_error(py, "RedisError", &msg)))?;
            Some(Arc::new(settings))
        } else {
            None
        };
        let config = Config {
            address,
            tls,
            connect_timeout: secs(socket_connect_timeout),
            socket_timeout: secs(socket_timeout),
            keepalive: socket_keepalive.then(|| Keepalive {
                idle: secs(keepalive_idle),
                interval: secs(keepalive_interval),
                count: keepalive_count,
            }),
            username,
            password,
            credentials: credential_provider
                .map(|p| Arc::new(PyCredentials(p)) as Arc<dyn CredentialSource>),
            lib_name,
            lib_version,
            db,
            client_name,
            protocol: if protocol == 3 { 3 } else { 2 },
            health_check_interval: secs(Some(health_check_interval)).filter(|d| !d.is_zero()),
            readonly,
        };
        let when_full = if blocking {
            WhenFull::Wait(secs(blocking_timeout))
        } else {
            WhenFull::Fail
        };
        let max = max_connections.unwrap_or(usize::MAX);
        Ok(RemotePool {
            pool: Arc::new(Pool::new(config, max, when_full)),
            retry: Arc::new(Mutex::new(RetryPolicy {
                retry,
                explicit: explicit_retry,
            })),
        })
    }

    /// Closes idle connections now and busy ones when they come back.
    fn disconnect(&self) {
        self.pool.disconnect();
    }

    /// (connections open or opening, idle connections).
    fn _counts(&self) -> (usize, usize) {
        self.pool.counts()
    }

    /// The database new connections select.
    #[getter]
    fn db(&self) -> usize {
        self.pool.config.db
    }

    /// The retry object, or None.
    #[getter]
    fn retry(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.retry.lock().retry.as_ref().map(|r| r.clone_ref(py))
    }

    /// Asks `resolver()` for `(host, port)` whenever a connection opens
    /// (None: the configured address again); `master` makes READONLY
    /// replies reconnect (a Sentinel-managed master pool).
    fn _set_resolver(&self, resolver: Option<Py<PyAny>>, master: bool) {
        let resolver = resolver.map(|f| -> Resolver {
            Arc::new(move || {
                Python::attach(|py| {
                    let found = f
                        .bind(py)
                        .call0()
                        .and_then(|a| a.extract::<(String, u16)>());
                    match found {
                        Ok((host, port)) => Ok(Address::Tcp { host, port }),
                        Err(e) => Err(Error::new(
                            ErrorKind::Connection,
                            e.value(py).to_string(),
                            crate::client::Stage::Connect,
                        )),
                    }
                })
            })
        });
        self.pool.set_resolver(resolver, master);
    }

    /// Replaces the retry policy, for this pool's clients too.
    fn _set_retry(&self, retry: Option<Py<PyAny>>, explicit_retry: bool) {
        *self.retry.lock() = RetryPolicy {
            retry,
            explicit: explicit_retry,
        };
    }
}

/// A reply of [`Remote::execute_flat`].
pub(crate) enum Reply<'py> {
    Frame(Frame),
    /// A flat reply as its builder made it.
    Object(PyResult<Bound<'py, PyAny>>),
}

/// Makes a flat reply's object from the read buffer and its scan.
pub(crate) type BuildFlat<'a, 'py> = &'a dyn Fn(&[u8], &FlatScan) -> PyResult<Bound<'py, PyAny>>;

/// A reply that may be a frame: what READONLY refusals and database
/// switches are read from.
trait HasFrame: From<Frame> {
    fn frame(&self) -> Option<&Frame>;
}

impl HasFrame for Frame {
    fn frame(&self) -> Option<&Frame> {
        Some(self)
    }
}

impl From<Frame> for Reply<'_> {
    fn from(f: Frame) -> Self {
        Reply::Frame(f)
    }
}

impl HasFrame for Reply<'_> {
    fn frame(&self) -> Option<&Frame> {
        match self {
            Reply::Frame(f) => Some(f),
            Reply::Object(_) => None,
        }
    }
}

/// The per-client view of a pool.
pub struct Remote {
    pub(crate) pool: Arc<Pool>,
    retry: Arc<Mutex<RetryPolicy>>,
    /// `single_connection_client`: the connection kept between calls.
    single: Option<Box<Slot>>,
}

/// A connection slot a caller keeps between calls (a single-connection
/// client, a pipeline holding its WATCH connection).
pub(crate) type Slot = Mutex<Option<Connection>>;

impl Remote {
    pub fn new(_py: Python<'_>, pool: &RemotePool, single_connection: bool) -> Remote {
        Remote {
            pool: pool.pool.clone(),
            retry: pool.retry.clone(),
            single: single_connection.then(|| Box::new(Mutex::new(None))),
        }
    }

    /// Closes the single connection of a `single_connection_client`.
    pub fn close_single(&self) {
        if let Some(slot) = &self.single {
            if let Some(conn) = slot.lock().take() {
                self.pool.discard(conn);
            }
        }
    }

    /// Takes the open socket of a `single_connection_client` out of the
    /// pool's count, for a subscriber that carries it on (None when it
    /// has none, or the server dropped it).
    pub fn take_single(&self) -> Option<Connection> {
        let mut conn = self.single.as_ref()?.lock().take()?;
        if conn.is_stale() {
            self.pool.discard(conn);
            return None;
        }
        Some(self.pool.detach(conn))
    }

    pub fn retry_obj(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.retry.lock().retry.as_ref().map(|r| r.clone_ref(py))
    }

    pub fn config(&self) -> &Config {
        &self.pool.config
    }

    /// A connection from `slot`, else this client's single connection,
    /// else the pool (waiting without the GIL).
    fn acquire(&self, py: Python<'_>, slot: Option<&Slot>) -> Result<Lease, Fail> {
        let pinned = slot.is_some();
        if let Some(slot) = slot.or(self.single.as_deref()) {
            if let Some(mut conn) = slot.lock().take() {
                if !conn.is_stale() {
                    return Ok(Lease::from_inner(self.pool.clone(), conn));
                }
                self.pool.discard(conn);
                if pinned {
                    // The server dropped the connection holding a WATCH:
                    // another connection would silently lose it.
                    return Err(Fail::Client(Error::new(
                        ErrorKind::Connection,
                        "Connection closed by server.",
                        crate::client::Stage::Connect,
                    )));
                }
            }
        }
        let pool = &self.pool;
        Ok(py.detach(|| pool.lease())?)
    }

    /// Puts a connection back where it came from after a complete exchange.
    fn give_back(&self, lease: Lease, slot: Option<&Slot>) {
        match slot.or(self.single.as_deref()) {
            Some(slot) => {
                let conn = lease.into_inner();
                let mut held = slot.lock();
                match held.take() {
                    // Another thread refilled the slot meanwhile: keep one.
                    Some(other) => {
                        *held = Some(conn);
                        drop(held);
                        self.pool.put(other);
                    }
                    None => *held = Some(conn),
                }
            }
            None => lease.release(),
        }
    }

    /// Runs one command and returns its reply frame (error replies
    /// included). `timeout` bounds each socket read.
    pub fn execute(
        &self,
        py: Python<'_>,
        db: usize,
        argv: &[&[u8]],
        timeout: Option<Duration>,
        slot: Option<&Slot>,
    ) -> PyResult<Frame> {
        self.execute_with(py, db, argv, slot, |conn| exchange_one(py, conn, timeout))
    }

    /// Like [`Remote::execute`], except that a reply that is an array, set
    /// or map of bulk strings and nulls becomes a Python object straight
    /// from the read buffer: `build` makes it (with the GIL, before the
    /// connection goes back to the pool; its error is the call's, after
    /// the exchange completed as usual). Other replies come as frames.
    pub fn execute_flat<'py>(
        &self,
        py: Python<'py>,
        db: usize,
        argv: &[&[u8]],
        timeout: Option<Duration>,
        slot: Option<&Slot>,
        build: BuildFlat<'_, 'py>,
    ) -> PyResult<Reply<'py>> {
        self.execute_with(py, db, argv, slot, |conn| {
            Ok(match exchange_flat(py, conn, timeout)? {
                Some(frame) => Reply::Frame(frame),
                None => {
                    let (buf, scan) = conn.flat_reply();
                    let built = build(buf, scan);
                    conn.consume_flat();
                    Reply::Object(built)
                }
            })
        })
    }

    /// One command's exchange: `exchange` sends the encoded request and
    /// reads the reply.
    fn execute_with<T: HasFrame>(
        &self,
        py: Python<'_>,
        db: usize,
        argv: &[&[u8]],
        slot: Option<&Slot>,
        mut exchange: impl FnMut(&mut Connection) -> Result<T, Fail>,
    ) -> PyResult<T> {
        let watching = slot.is_some_and(|s| s.lock().is_some());
        self.following_master(
            py,
            |reply: &T| matches!(reply.frame(), Some(Frame::Error(e)) if readonly(e)),
            || {
                self.with_retry(py, false, watching, || {
                    let mut lease = self.acquire(py, slot)?;
                    if let Some(refused) = switch_db(py, &mut lease, db)? {
                        self.give_back(lease, slot);
                        return Ok(T::from(refused));
                    }
                    lease.wbuf.clear();
                    encode_command(&mut lease.wbuf, argv);
                    let reply = exchange(&mut lease)?;
                    if let Some(new_db) = reply.frame().and_then(|f| db_change(argv, f)) {
                        lease.db = new_db;
                    }
                    if reply.frame().is_some_and(|f| quits(argv, f)) {
                        // The server closes the connection after QUIT's
                        // reply: it is not pooled (dropping discards it).
                        drop(lease);
                    } else {
                        self.give_back(lease, slot);
                    }
                    Ok(reply)
                })
            },
        )
    }

    /// Runs `attempt` again while `refused` says the server answered as a
    /// replica (READONLY) and the pool follows a master (Sentinel): the
    /// pool drops its connections, so the next one asks Sentinel for the
    /// master. A refused write was not applied, so this cannot run it twice.
    fn following_master<T>(
        &self,
        py: Python<'_>,
        refused: impl Fn(&T) -> bool,
        mut attempt: impl FnMut() -> PyResult<T>,
    ) -> PyResult<T> {
        let mut result = attempt()?;
        if !self.pool.follows_master() {
            return Ok(result);
        }
        for round in 0..20u64 {
            if !refused(&result) {
                break;
            }
            self.pool.disconnect();
            if round > 0 {
                py.detach(|| std::thread::sleep(Duration::from_millis(50 * round.min(10))));
                py.check_signals()?;
            }
            result = attempt()?;
        }
        Ok(result)
    }

    /// Runs a batch (a pipeline) with one write and returns every reply.
    /// A failure part way raises: no reply is reported for commands that
    /// may not have run.
    pub fn execute_batch(
        &self,
        py: Python<'_>,
        db: usize,
        argvs: &[&[&[u8]]],
        slot: Option<&Slot>,
    ) -> PyResult<Vec<Frame>> {
        let watching = slot.is_some_and(|s| s.lock().is_some());
        // A replica refuses every write of the batch, so resending it all
        // to the master applies nothing twice.
        let refused = |frames: &Vec<Frame>| {
            frames
                .iter()
                .any(|f| matches!(f, Frame::Error(e) if readonly(e)))
        };
        self.following_master(py, refused, || {
            self.with_retry(py, true, watching, || {
                let mut lease = self.acquire(py, slot)?;
                if let Some(Frame::Error(e)) = switch_db(py, &mut lease, db)? {
                    self.give_back(lease, slot);
                    return Err(Fail::Py(errors::reply_error(py, &e)));
                }
                lease.wbuf.clear();
                for argv in argvs {
                    encode_command(&mut lease.wbuf, argv);
                }
                let timeout = lease.socket_timeout;
                let frames = exchange(py, &mut lease, argvs.len(), timeout)?;
                for (argv, frame) in argvs.iter().zip(&frames) {
                    if let Some(new_db) = db_change(argv, frame) {
                        lease.db = new_db;
                    }
                }
                if argvs.iter().zip(&frames).any(|(argv, f)| quits(argv, f)) {
                    drop(lease);
                } else {
                    self.give_back(lease, slot);
                }
                Ok(frames)
            })
        })
    }

    /// Takes the connection out of `slot` and returns it to the pool, first
    /// sending `cleanup` (UNWATCH) when given; a failure discards it.
    pub fn release_slot(&self, py: Python<'_>, slot: &Slot, cleanup: Option<&[&[u8]]>) {
        let Some(conn) = slot.lock().take() else {
            return;
        };
        let mut lease = Lease::from_inner(self.pool.clone(), conn);
        if let Some(argv) = cleanup {
            lease.wbuf.clear();
            encode_command(&mut lease.wbuf, argv);
            let timeout = lease.socket_timeout;
            match exchange_one(py, &mut lease, timeout) {
                Ok(Frame::Error(_)) | Err(_) => return,
                Ok(_) => {}
            }
        }
        lease.release();
    }

    /// The retry loop shared by single commands and batches.
    fn with_retry<T>(
        &self,
        py: Python<'_>,
        batch: bool,
        watching: bool,
        mut attempt: impl FnMut() -> Result<T, Fail>,
    ) -> PyResult<T> {
        let mut failures: i64 = 0;
        loop {
            let err = match attempt() {
                Ok(v) => return Ok(v),
                Err(Fail::Py(e)) => return Err(e),
                Err(Fail::Client(e)) => e,
            };
            let exc = exception(py, &err);
            if watching && matches!(err.kind, ErrorKind::Connection | ErrorKind::Timeout) {
                // The server forgot the WATCH with the connection: the
                // caller must restart the transaction (redis-py's rule).
                return Err(errors::watch_error(
                    py,
                    "A ConnectionError occurred on while watching one or more keys",
                ));
            }
            let safe = if batch {
                err.nothing_sent()
            } else {
                err.command_not_sent()
            };
            if !self.may_retry(py, &err, &exc, safe, failures)? {
                return Err(exc);
            }
            failures += 1;
            self.backoff(py, failures)?;
        }
    }

    fn may_retry(
        &self,
        py: Python<'_>,
        err: &Error,
        exc: &PyErr,
        safe: bool,
        failures: i64,
    ) -> PyResult<bool> {
        if !matches!(err.kind, ErrorKind::Connection | ErrorKind::Timeout) {
            return Ok(false);
        }
        let (retry, explicit) = {
            let policy = self.retry.lock();
            let retry = policy.retry.as_ref().map(|r| r.clone_ref(py));
            (retry, policy.explicit)
        };
        let Some(retry) = retry else {
            return Ok(false);
        };
        if !(safe || explicit) {
            return Ok(false);
        }
        retry_allows(py, retry.bind(py), exc, failures)
    }

    fn backoff(&self, py: Python<'_>, failures: i64) -> PyResult<()> {
        match self.retry_obj(py) {
            Some(retry) => sleep_backoff(py, retry.bind(py), failures),
            None => Ok(()),
        }
    }
}

/// True if `retry` (a redis-py style Retry) allows another attempt after
/// `failures` failures for this exception.
pub(crate) fn retry_allows(
    py: Python<'_>,
    retry: &Bound<'_, PyAny>,
    exc: &PyErr,
    failures: i64,
) -> PyResult<bool> {
    let retries: i64 = retry.call_method0("get_retries")?.extract()?;
    if retries >= 0 && failures >= retries {
        return Ok(false);
    }
    let supported = retry.getattr("_supported_errors")?;
    exc.value(py).is_instance(&supported)
}

/// Sleeps the backoff `retry` computes for the `failures`-th failure
/// (resetting it on the first), letting signals through.
pub(crate) fn sleep_backoff(
    py: Python<'_>,
    retry: &Bound<'_, PyAny>,
    failures: i64,
) -> PyResult<()> {
    let backoff = retry.getattr("_backoff")?;
    if failures == 1 {
        backoff.call_method0("reset")?;
    }
    let secs: f64 = backoff.call_method1("compute", (failures,))?.extract()?;
    if secs > 0.0 {
        py.import("time")?.call_method1("sleep", (secs,))?;
    }
    Ok(())
}

/// Moves a pooled connection to `db` (after the client SELECTed another
/// database) with a SELECT exchange of its own, so nothing runs on the
/// wrong database if the server refuses it; the refusal is returned.
fn switch_db(py: Python<'_>, lease: &mut Connection, db: usize) -> Result<Option<Frame>, Fail> {
    if lease.db == db {
        return Ok(None);
    }
    let index = db.to_string();
    lease.wbuf.clear();
    encode_command(&mut lease.wbuf, &[b"SELECT", index.as_bytes()]);
    let timeout = lease.socket_timeout;
    match exchange_one(py, lease, timeout)? {
        refused @ Frame::Error(_) => Ok(Some(refused)),
        _ => {
            lease.db = db;
            Ok(None)
        }
    }
}

/// True for a READONLY error reply (a replica refusing a write).
fn readonly(text: &[u8]) -> bool {
    text.starts_with(b"READONLY")
}

/// True when `reply` acknowledges a QUIT: the server is closing the
/// connection.
pub(crate) fn quits(argv: &[&[u8]], reply: &Frame) -> bool {
    matches!(reply, Frame::Simple(_))
        && argv
            .first()
            .is_some_and(|n| n.eq_ignore_ascii_case(b"quit"))
}

/// The database a successful SELECT (or RESET) switched to.
pub(crate) fn db_change(argv: &[&[u8]], reply: &Frame) -> Option<usize> {
    let name = argv.first()?;
    if !matches!(reply, Frame::Simple(_)) {
        return None;
    }
    if name.eq_ignore_ascii_case(b"select") {
        std::str::from_utf8(argv.get(1)?).ok()?.parse().ok()
    } else if name.eq_ignore_ascii_case(b"reset") {
        Some(0)
    } else {
        None
    }
}

/// Reads the next reply, passing over RESP3 push frames (client-tracking
/// invalidations and the like), which redis-py handles out of band: they
/// are not the reply of the command sent.
fn read_reply(conn: &mut Connection, timeout: Option<Duration>) -> Result<Frame, Error> {
    loop {
        match conn.read_frame(timeout)? {
            Frame::Push(_) => continue,
            frame => return Ok(frame),
        }
    }
}

/// Like [`read_reply`], leaving a flat reply (an array, set or map of bulk
/// strings and nulls) unparsed in the buffer: None.
fn read_flat_reply(
    conn: &mut Connection,
    timeout: Option<Duration>,
) -> Result<Option<Frame>, Error> {
    loop {
        match conn.read_flat_or_frame(timeout)? {
            Incoming::Frame(Frame::Push(_)) => continue,
            Incoming::Frame(frame) => return Ok(Some(frame)),
            Incoming::Flat => return Ok(None),
        }
    }
}

/// Sends the connection's write buffer and reads one reply with the GIL
/// released. A signal interrupting the read runs Python's handlers; if
/// one raises (Ctrl-C), the exchange is abandoned and the caller's lease
/// discards the connection.
pub(crate) fn exchange_one(
    py: Python<'_>,
    conn: &mut Connection,
    timeout: Option<Duration>,
) -> Result<Frame, Fail> {
    exchange_with(py, conn, |c| read_reply(c, timeout))
}

/// Like [`exchange_one`] with [`read_flat_reply`]: None when a flat reply
/// lies complete in the connection's buffer.
fn exchange_flat(
    py: Python<'_>,
    conn: &mut Connection,
    timeout: Option<Duration>,
) -> Result<Option<Frame>, Fail> {
    exchange_with(py, conn, |c| read_flat_reply(c, timeout))
}

/// Sends, then reads with `read` (which resumes where an interrupted
/// call stopped) until it succeeds or a signal handler raises.
fn exchange_with<T: Send>(
    py: Python<'_>,
    conn: &mut Connection,
    read: impl Fn(&mut Connection) -> Result<T, Error> + Sync,
) -> Result<T, Fail> {
    let mut sent = false;
    loop {
        let r = py.detach(|| {
            if !sent {
                conn.send()?;
                sent = true;
            }
            read(conn)
        });
        match r {
            Ok(reply) => return Ok(reply),
            Err(e) if e.kind == ErrorKind::Interrupted => py.check_signals().map_err(Fail::Py)?,
            Err(e) => return Err(Fail::Client(e)),
        }
    }
}

/// Like [`exchange_one`] for `n` replies.
pub(crate) fn exchange(
    py: Python<'_>,
    conn: &mut Connection,
    n: usize,
    timeout: Option<Duration>,
) -> Result<Vec<Frame>, Fail> {
    let mut frames = Vec::with_capacity(n);
    let mut sent = false;
    loop {
        let r = py.detach(|| -> Result<(), Error> {
            if !sent {
                conn.send()?;
                sent = true;
            }
            while frames.len() < n {
                frames.push(read_reply(conn, timeout)?);
            }
            Ok(())
        });
        match r {
            Ok(()) => return Ok(frames),
            Err(e) if e.kind == ErrorKind::Interrupted => py.check_signals().map_err(Fail::Py)?,
            Err(e) => return Err(Fail::Client(e)),
        }
    }
}

/// Arguments for `Subscriber`-style objects: the encoded command.
pub(crate) fn encode_args(
    args: &Bound<'_, PyTuple>,
    enc: &super::encode::Encoding,
    out: &mut Vec<u8>,
) -> PyResult<()> {
    let mut a = super::encode::Args::new();
    for item in args.iter() {
        a.push(&item, enc)?;
    }
    encode_command(out, &a.slices());
    Ok(())
}
