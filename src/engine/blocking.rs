//! Clients blocked on keys (BLPOP, BZPOPMIN, XREAD BLOCK...).
//!
//! A blocking command that finds nothing to serve registers a [`Waiter`]
//! with its command line and a [`WaitSlot`]; the client then waits on the
//! slot *outside* the engine lock (the Python thread releases the GIL, a
//! server connection awaits). After every write command the dispatcher
//! re-runs the first waiter of each blocked key, in the order clients
//! blocked; a waiter whose command now produces a reply is completed and
//! forgotten. Timeouts belong to the waiting side, which then calls
//! [`Blocking::cancel`]: a reply that raced with the timeout is kept, never
//! lost.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::{Condvar, Mutex};

use crate::commands::Command;
use crate::engine::value::Hasher;
use crate::resp::Frame;

/// Where a blocked client's reply is delivered.
pub struct WaitSlot {
    reply: Mutex<Option<Frame>>,
    ready: Condvar,
    /// Called after a reply is stored (an async waiter's wake-up).
    on_ready: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl std::fmt::Debug for WaitSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitSlot").finish_non_exhaustive()
    }
}

impl Default for WaitSlot {
    fn default() -> Self {
        WaitSlot {
            reply: Mutex::new(None),
            ready: Condvar::new(),
            on_ready: Mutex::new(None),
        }
    }
}

impl WaitSlot {
    /// Stores the reply and wakes the waiter.
    pub fn complete(&self, frame: Frame) {
        *self.reply.lock() = Some(frame);
        self.ready.notify_all();
        if let Some(wake) = self.on_ready.lock().take() {
            wake();
        }
    }

    /// Waits up to `timeout` for the reply.
    pub fn wait(&self, timeout: Duration) -> Option<Frame> {
        let deadline = Instant::now() + timeout;
        let mut reply = self.reply.lock();
        while reply.is_none() {
            if self.ready.wait_until(&mut reply, deadline).timed_out() {
                break;
            }
        }
        reply.take()
    }

    /// The reply, if one arrived.
    pub fn take(&self) -> Option<Frame> {
        self.reply.lock().take()
    }

    /// Registers a wake-up for async waiters; runs it now if the reply is
    /// already there.
    pub fn on_ready(&self, wake: Box<dyn FnOnce() + Send>) {
        let has_reply = self.reply.lock().is_some();
        if has_reply {
            wake();
        } else {
            *self.on_ready.lock() = Some(wake);
        }
    }
}

/// What a handler asks for when it must block: the keys to wait on, how
/// long (0 = forever), the reply on timeout, and optionally the command
/// line to re-run (XREAD rewrites `$` to the id it stood for).
#[derive(Debug)]
pub struct BlockRequest {
    pub keys: Vec<Bytes>,
    pub timeout_ms: u64,
    pub timeout_reply: Frame,
    pub argv: Option<Vec<Bytes>>,
}

/// A client registered as blocked; the caller waits on `slot`.
#[derive(Debug, Clone)]
pub struct Blocked {
    pub id: u64,
    pub slot: Arc<WaitSlot>,
    pub timeout_ms: u64,
    pub timeout_reply: Frame,
}

/// One blocked client.
pub struct Waiter {
    pub db: usize,
    pub keys: Vec<Bytes>,
    pub argv: Vec<Bytes>,
    pub cmd: &'static Command,
    pub resp3: bool,
    pub client_id: u64,
    pub slot: Arc<WaitSlot>,
    /// What the command answers on timeout (CLIENT UNBLOCK TIMEOUT).
    pub timeout_reply: Frame,
}

/// All blocked clients of one engine.
#[derive(Default)]
pub struct Blocking {
    by_key: HashMap<(usize, Bytes), VecDeque<u64>, Hasher>,
    waiters: HashMap<u64, Waiter, Hasher>,
    next_id: u64,
}

impl std::fmt::Debug for Blocking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocking")
            .field("waiters", &self.waiters.len())
            .finish()
    }
}

impl Blocking {
    /// True when nobody is blocked (the common case: one branch per write).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }

    /// Number of blocked clients (INFO `blocked_clients`).
    pub fn len(&self) -> usize {
        self.waiters.len()
    }

    /// Registers a waiter and returns its id.
    pub fn add(&mut self, waiter: Waiter) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        for key in &waiter.keys {
            self.by_key
                .entry((waiter.db, key.clone()))
                .or_default()
                .push_back(id);
        }
        self.waiters.insert(id, waiter);
        id
    }

    /// Forgets a waiter (timeout, disconnect, served). Returns it if it was
    /// still registered.
    pub fn remove(&mut self, id: u64) -> Option<Waiter> {
        let waiter = self.waiters.remove(&id)?;
        for key in &waiter.keys {
            let k = (waiter.db, key.clone());
            if let Some(q) = self.by_key.get_mut(&k) {
                q.retain(|w| *w != id);
                if q.is_empty() {
                    self.by_key.remove(&k);
                }
            }
        }
        Some(waiter)
    }

    /// The first waiter of every blocked key, in no particular key order;
    /// each id appears once.
    pub fn heads(&self) -> Vec<u64> {
        let mut out: Vec<u64> = self
            .by_key
            .values()
            .filter_map(|q| q.front().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The waiter with this id.
    pub fn get(&self, id: u64) -> Option<&Waiter> {
        self.waiters.get(&id)
    }

    /// Every waiter's id, oldest first (CLIENT UNBLOCK, SWAPDB, FLUSHALL).
    pub fn ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.waiters.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The waiter blocked for client `client_id`, if any.
    pub fn by_client(&self, client_id: u64) -> Option<u64> {
        self.waiters
            .iter()
            .find(|(_, w)| w.client_id == client_id)
            .map(|(id, _)| *id)
    }
}
