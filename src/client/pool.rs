//! A thread-safe connection pool.
//!
//! Idle connections are reused last-in first-out, so a single-threaded
//! program keeps using one connection. A plain pool fails when
//! `max_connections` are out (redis-py's `MaxConnectionsError("Too many
//! connections")`); a blocking pool waits up to its timeout for one to be
//! returned (`ConnectionError("No connection available.")`).
//!
//! A connection handed out is the caller's until it gives it back with
//! [`Pool::put`] (healthy, in step) or [`Pool::discard`] (anything went
//! wrong). [`Lease`] does this automatically: dropped without
//! [`Lease::release`], its connection is discarded.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::config::{Address, Config};
use super::conn::Connection;
use super::error::{Error, ErrorKind, Stage};

/// What to do when every connection is in use.
#[derive(Clone, Copy, Debug)]
pub enum WhenFull {
    /// Fail at once.
    Fail,
    /// Wait up to this long (None: forever) for one to come back.
    Wait(Option<Duration>),
}

struct State {
    idle: Vec<Connection>,
    /// Connections in existence (idle and handed out) or being opened.
    created: usize,
    /// Bumped by [`Pool::disconnect`]: older connections are closed when
    /// they come back.
    generation: u64,
}

/// Finds the address of each new connection: a Sentinel-managed pool asks
/// Sentinel for the current master (or a replica) every time it connects.
pub type Resolver = Arc<dyn Fn() -> Result<Address, Error> + Send + Sync>;

/// A pool of connections to one server.
pub struct Pool {
    pub config: Arc<Config>,
    pub max_connections: usize,
    pub when_full: WhenFull,
    state: Mutex<State>,
    freed: Condvar,
    /// Where new connections go, when not `config.address`.
    resolver: Mutex<Option<Resolver>>,
    /// The pool serves a failover group's master: a READONLY reply means
    /// the server was demoted, so the pool reconnects (see `Remote`).
    pub(crate) follows_master: std::sync::atomic::AtomicBool,
}

impl Pool {
    pub fn new(config: Config, max_connections: usize, when_full: WhenFull) -> Pool {
        Pool {
            config: Arc::new(config),
            max_connections: max_connections.max(1),
            when_full,
            state: Mutex::new(State {
                idle: Vec::new(),
                created: 0,
                generation: 0,
            }),
            freed: Condvar::new(),
            resolver: Mutex::new(None),
            follows_master: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Asks `resolver` for the address of every new connection from now
    /// on; `master` marks a pool that must follow its group's master.
    pub fn set_resolver(&self, resolver: Option<Resolver>, master: bool) {
        *self.resolver.lock() = resolver;
        self.follows_master
            .store(master, std::sync::atomic::Ordering::Relaxed);
    }

    /// The resolver new connections ask for their address, if any.
    pub fn resolver(&self) -> Option<Resolver> {
        self.resolver.lock().clone()
    }

    /// True when the pool follows a failover group's master.
    pub fn follows_master(&self) -> bool {
        self.follows_master
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The settings of the next connection: the configured ones, at the
    /// address the resolver gives when there is one.
    pub fn resolved_config(&self) -> Result<Config, Error> {
        let mut config = (*self.config).clone();
        let resolver = self.resolver.lock().clone();
        if let Some(resolve) = resolver {
            config.address = resolve()?;
        }
        Ok(config)
    }

    /// Opens a connection where the resolver says, else at the configured
    /// address.
    fn open(&self) -> Result<Connection, Error> {
        let resolver = self.resolver.lock().clone();
        match resolver {
            None => Connection::open(&self.config),
            Some(resolve) => {
                let mut config = (*self.config).clone();
                config.address = resolve()?;
                Connection::open(&config)
            }
        }
    }

    /// A connection ready for a request: an idle one that passes the
    /// staleness probe (and a PING when idle past the health-check
    /// interval), or a new one. It counts against `max_connections` until
    /// handed to [`Pool::put`] or [`Pool::discard`]; prefer
    /// [`Pool::lease`], which cannot forget to.
    pub fn get(&self) -> Result<Connection, Error> {
        let deadline = match self.when_full {
            WhenFull::Wait(Some(t)) => Some(Instant::now() + t),
            _ => None,
        };
        let mut state = self.state.lock();
        loop {
            if let Some(mut conn) = state.idle.pop() {
                drop(state);
                if self.usable(&mut conn) {
                    return Ok(conn);
                }
                drop(conn);
                state = self.state.lock();
                state.created -= 1;
                continue;
            }
            if state.created < self.max_connections {
                state.created += 1;
                drop(state);
                return match self.open() {
                    Ok(mut conn) => {
                        // Read after opening: a resolver may have
                        // disconnected the pool (a new master) meanwhile.
                        conn.generation = self.state.lock().generation;
                        Ok(conn)
                    }
                    Err(e) => {
                        self.forget_one();
                        Err(e)
                    }
                };
            }
            match self.when_full {
                WhenFull::Fail => {
                    return Err(Error::new(
                        ErrorKind::PoolFull,
                        "Too many connections",
                        Stage::Connect,
                    ))
                }
                WhenFull::Wait(_) => match deadline {
                    Some(d) => {
                        if self.freed.wait_until(&mut state, d).timed_out()
                            && state.idle.is_empty()
                            && state.created >= self.max_connections
                        {
                            return Err(Error::new(
                                ErrorKind::NoConnection,
                                "No connection available.",
                                Stage::Connect,
                            ));
                        }
                    }
                    None => self.freed.wait(&mut state),
                },
            }
        }
    }

    fn usable(&self, conn: &mut Connection) -> bool {
        // The staleness probe (one non-blocking peek) runs before every
        // use: a server that closed the connection, even a moment ago, is
        // caught here, before anything is sent, so the command can safely
        // go out on a fresh connection instead.
        if conn.has_unread() || conn.is_stale() {
            return false;
        }
        match self.config.health_check_interval {
            Some(every) if conn.last_used.elapsed() >= every => conn.ping().is_ok(),
            _ => true,
        }
    }

    /// Gives back a connection that is in step with the server.
    pub fn put(&self, mut conn: Connection) {
        conn.last_used = Instant::now();
        let mut state = self.state.lock();
        if conn.generation != state.generation {
            state.created -= 1;
            drop(state);
            drop(conn);
        } else {
            state.idle.push(conn);
            drop(state);
        }
        self.freed.notify_one();
    }

    /// Closes a connection that must not be reused.
    pub fn discard(&self, conn: Connection) {
        drop(conn);
        self.forget_one();
    }

    /// Takes `conn` out of the pool's count: its new owner (a subscriber)
    /// closes it.
    pub fn detach(&self, conn: Connection) -> Connection {
        self.forget_one();
        conn
    }

    fn forget_one(&self) {
        let mut state = self.state.lock();
        state.created = state.created.saturating_sub(1);
        drop(state);
        self.freed.notify_one();
    }

    /// Closes every idle connection; connections in use are closed when
    /// they come back (redis-py's `disconnect()`).
    pub fn disconnect(&self) {
        let idle = {
            let mut state = self.state.lock();
            state.generation += 1;
            let idle = std::mem::take(&mut state.idle);
            state.created -= idle.len();
            idle
        };
        drop(idle);
        self.freed.notify_all();
    }

    /// (connections in existence, idle connections).
    pub fn counts(&self) -> (usize, usize) {
        let state = self.state.lock();
        (state.created, state.idle.len())
    }

    /// Takes a connection that is discarded unless released.
    pub fn lease(self: &Arc<Self>) -> Result<Lease, Error> {
        let conn = self.get()?;
        Ok(Lease {
            pool: self.clone(),
            conn: Some(conn),
        })
    }
}

/// A connection on loan from a pool; see the module docs.
pub struct Lease {
    pool: Arc<Pool>,
    conn: Option<Connection>,
}

impl Lease {
    /// Returns the connection to the pool: only after a complete exchange.
    pub fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put(conn);
        }
    }

    /// Keeps the connection outside the pool's idle list (a pipeline
    /// holding it for WATCH); it still counts towards the pool's size.
    pub fn into_inner(mut self) -> Connection {
        self.conn
            .take()
            .expect("lease holds a connection until consumed")
    }

    /// Wraps a connection taken with [`Lease::into_inner`] again.
    pub fn from_inner(pool: Arc<Pool>, conn: Connection) -> Lease {
        Lease {
            pool,
            conn: Some(conn),
        }
    }
}

impl Deref for Lease {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("lease holds a connection until consumed")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
            .as_mut()
            .expect("lease holds a connection until consumed")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.discard(conn);
        }
    }
}
