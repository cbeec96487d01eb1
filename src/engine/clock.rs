//! Time as commands see it.
//!
//! A command reads the wall clock at most once, and only if it needs it
//! (a key with a TTL, a command that sets one): a GET of a key without TTL
//! never pays for the clock. EXEC and scripts freeze one reading for all
//! their commands, as Redis does.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};

/// A lazily read, then fixed, clock in unix milliseconds. Copy it freely:
/// every copy shares the one reading.
#[derive(Clone, Copy, Debug)]
pub struct Now<'a>(&'a Cell<i64>);

impl<'a> Now<'a> {
    /// A clock over `cell`; a cell holding 0 is read on first use, any
    /// other value is used as the time.
    #[inline]
    pub fn new(cell: &'a Cell<i64>) -> Now<'a> {
        Now(cell)
    }

    /// The time in unix milliseconds.
    #[inline]
    pub fn ms(self) -> i64 {
        let v = self.0.get();
        if v != 0 {
            return v;
        }
        let t = super::now_ms();
        self.0.set(t);
        t
    }
}

static LRU_CLOCK: AtomicU32 = AtomicU32::new(0);

/// A coarse clock in unix seconds for access times (OBJECT IDLETIME, LRU
/// eviction). The engine's background thread advances it, like Redis's
/// `lruclock`, so reading it costs no system call.
#[inline]
pub fn lru_clock() -> u32 {
    let v = LRU_CLOCK.load(Ordering::Relaxed);
    if v != 0 {
        return v;
    }
    tick_lru_clock()
}

/// Updates the coarse clock (called by the background thread).
pub fn tick_lru_clock() -> u32 {
    let v = (super::now_ms() / 1000) as u32;
    LRU_CLOCK.store(v, Ordering::Relaxed);
    v
}
