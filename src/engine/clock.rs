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

/// A cheap monotonic stopwatch for timing every command (SLOWLOG,
/// LATENCY). On x86_64 it reads the CPU's time-stamp counter (a few ns,
/// against ~25 ns for `Instant::now`, which would be paid twice per
/// command), converted with a rate measured once per process against
/// `Instant`; elsewhere it is `Instant`.
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch(u64);

impl Stopwatch {
    /// Starts timing.
    #[inline]
    pub fn start() -> Stopwatch {
        Stopwatch(ticks())
    }

    /// The time since [`Stopwatch::start`].
    #[inline]
    pub fn elapsed(self) -> std::time::Duration {
        let ticks = ticks().saturating_sub(self.0);
        std::time::Duration::from_nanos((ticks as f64 * *NS_PER_TICK) as u64)
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn ticks() -> u64 {
    // SAFETY: RDTSC exists on every x86_64 CPU and has no preconditions.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
fn ticks() -> u64 {
    static START: std::sync::LazyLock<std::time::Instant> =
        std::sync::LazyLock::new(std::time::Instant::now);
    START.elapsed().as_nanos() as u64
}

/// Nanoseconds per tick, measured over 2 ms on first use.
static NS_PER_TICK: std::sync::LazyLock<f64> = std::sync::LazyLock::new(|| {
    if cfg!(not(target_arch = "x86_64")) {
        return 1.0;
    }
    let (i0, t0) = (std::time::Instant::now(), ticks());
    while i0.elapsed() < std::time::Duration::from_millis(2) {
        std::hint::spin_loop();
    }
    let (ns, t1) = (i0.elapsed().as_nanos() as f64, ticks());
    if t1 > t0 {
        ns / (t1 - t0) as f64
    } else {
        1.0
    }
});

#[cfg(test)]
mod stopwatch_tests {
    use super::Stopwatch;
    use std::time::Duration;

    #[test]
    fn stopwatch_measures_like_instant() {
        let sw = Stopwatch::start();
        let i = std::time::Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        let (ours, real) = (sw.elapsed(), i.elapsed());
        let diff = ours.as_secs_f64() - real.as_secs_f64();
        assert!(diff.abs() < 0.005, "{ours:?} vs {real:?}");
    }
}
