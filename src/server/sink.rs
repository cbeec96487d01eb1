//! A connection's pub/sub sink: pushes (messages, subscribe confirmations,
//! MONITOR lines, tracking invalidations) are serialized as they are
//! delivered, under the engine lock, into a buffer the connection drains
//! into its socket. The buffer is the client's output buffer for pushes:
//! past the pubsub class's `client-output-buffer-limit` (hard, or soft for
//! longer than its seconds) the sink closes, which drops the client's
//! subscriptions, and the connection is closed, as Redis disconnects a
//! subscriber that does not read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::signal::{self, Signal};
use super::Shared;
use crate::engine::pubsub::Sink;
use crate::resp::{write_frame, Frame};
use parking_lot::Mutex;

#[derive(Default)]
struct Pending {
    buf: Vec<u8>,
    /// Since when the buffer is over the soft limit.
    soft_since: Option<Instant>,
    closed: bool,
}

/// See the module documentation.
pub struct ConnSink {
    pending: Mutex<Pending>,
    /// The connection speaks RESP3 (pushes as `>`), else RESP2 arrays.
    pub resp3: AtomicBool,
    /// The connection's: raised with PUSH when pushes arrive, with
    /// PUSH and OVERFLOW when the sink closes over its limit.
    signal: Arc<Signal>,
    shared: Arc<Shared>,
    /// Where CLIENT LIST reads the pending pushes' size.
    socket: Arc<crate::engine::clients::Socket>,
}

impl ConnSink {
    pub fn new(
        shared: Arc<Shared>,
        socket: Arc<crate::engine::clients::Socket>,
        signal: Arc<Signal>,
    ) -> ConnSink {
        ConnSink {
            socket,
            pending: Mutex::new(Pending::default()),
            resp3: AtomicBool::new(false),
            signal,
            shared,
        }
    }

    /// Moves the pending pushes to `out`; false once the sink closed over
    /// its limit (the connection must close).
    pub fn drain_into(&self, out: &mut Vec<u8>) -> bool {
        let mut p = self.pending.lock();
        if p.closed {
            return false;
        }
        if out.is_empty() {
            std::mem::swap(out, &mut p.buf);
        } else {
            out.extend_from_slice(&p.buf);
            p.buf.clear();
        }
        p.soft_since = None;
        self.socket.io.pushes.store(0, Ordering::Relaxed);
        true
    }

    /// True when the sink closed over its limit.
    pub fn closed(&self) -> bool {
        self.pending.lock().closed
    }

    /// Judges the buffer against the pubsub output limits.
    fn over_limit(&self, p: &mut Pending) -> bool {
        let l = &self.shared.limits;
        let len = p.buf.len() as u64;
        let hard = l.pubsub_hard.load(Ordering::Relaxed);
        if hard > 0 && len > hard {
            return true;
        }
        let soft = l.pubsub_soft.load(Ordering::Relaxed);
        if soft > 0 && len > soft {
            let since = *p.soft_since.get_or_insert_with(Instant::now);
            let secs = l.pubsub_soft_secs.load(Ordering::Relaxed);
            return since.elapsed().as_secs() >= secs;
        }
        p.soft_since = None;
        false
    }
}

impl Sink for ConnSink {
    fn deliver(&self, frame: Frame) -> bool {
        let mut p = self.pending.lock();
        if p.closed {
            return false;
        }
        write_frame(&mut p.buf, &frame, self.resp3.load(Ordering::Relaxed));
        if self.over_limit(&mut p) {
            p.closed = true;
            p.buf = Vec::new();
            self.socket.io.pushes.store(0, Ordering::Relaxed);
            drop(p);
            self.signal.raise(signal::PUSH | signal::OVERFLOW);
            return false;
        }
        self.socket
            .io
            .pushes
            .store(p.buf.len() as u64, Ordering::Relaxed);
        drop(p);
        self.signal.raise(signal::PUSH);
        true
    }
}
