//! The state of the running script that other clients read without the
//! store lock: a script holds the lock for its whole run, so "is a script
//! running, for how long, may it be killed" must live outside it.
//!
//! Another client's command that finds the lock taken waits for it until
//! the script has run longer than `busy-reply-threshold` (`lua-time-limit`);
//! from then on it gets `BUSY` at once, and `SCRIPT KILL` sets the kill
//! request that the script's instruction hook polls. The commands Redis
//! still serves while busy (HELLO, AUTH, MULTI, WATCH...: `allow-busy`)
//! are handed to the script as [`BusyCall`]s, which the same hook runs on
//! the store it holds, as redis-server serves them from inside the script.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::Instant;

use parking_lot::Mutex;

use crate::engine::Store;
use crate::resp::Frame;

/// A command another client asked to run while the script is busy: the
/// script's hook runs it on the store the script holds (`Some`), or hands
/// it back un-run (`None`) when the script ends first.
pub type BusyCall = Box<dyn FnOnce(Option<&mut Store>) + Send>;

/// The [`BusyCall`]s waiting for the running script's hook.
#[derive(Default)]
struct BusyCalls {
    calls: Mutex<Vec<BusyCall>>,
    /// `calls` is not empty (the hook looks without the mutex).
    waiting: AtomicBool,
}

impl std::fmt::Debug for BusyCalls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BusyCalls")
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

static EPOCH: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Microseconds on a monotonic clock; never 0 (0 means "not running").
fn mono_us() -> i64 {
    EPOCH.elapsed().as_micros() as i64 + 1
}

/// `BUSY` as Redis replies it while an EVAL script is timed out.
pub const BUSY: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

/// `BUSY` as Redis replies it while a function (FCALL) is timed out.
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// What FUNCTION STATS reports about a running function, recorded when it
/// starts (nothing can change it while it runs: it holds the lock).
#[derive(Debug, Default, Clone)]
pub struct FunctionRun {
    pub name: Vec<u8>,
    pub argv: Vec<Vec<u8>>,
    pub libraries: usize,
    pub functions: usize,
}

/// Shared between the engine (outside the lock) and the script runner.
#[derive(Debug, Default)]
pub struct ScriptWatch {
    /// Monotonic start of the running script in µs; 0 when none runs.
    started_us: AtomicI64,
    /// The busy threshold in ms the running script was started with
    /// (0: never busy).
    limit_ms: AtomicI64,
    /// Id of the current (or last) run.
    run_id: AtomicU64,
    /// The run a SCRIPT KILL asked to stop.
    kill_run: AtomicU64,
    /// The running script has called a write command.
    wrote: AtomicBool,
    /// The running script is a function (FCALL), not an EVAL script.
    function: AtomicBool,
    /// The running function, for FUNCTION STATS.
    run: Mutex<Option<FunctionRun>>,
    busy_calls: BusyCalls,
}

/// What `SCRIPT KILL` found.
pub enum KillOutcome {
    Killed,
    NotBusy,
    Unkillable,
    /// SCRIPT KILL for a function, or FUNCTION KILL for a script: the
    /// `BUSY` text naming the right command.
    WrongKind(&'static str),
}

impl ScriptWatch {
    /// Marks a script (`function`: `None`) or a function as started;
    /// returns its run id.
    pub fn start(&self, limit_ms: i64, function: Option<FunctionRun>) -> u64 {
        let id = self.run_id.fetch_add(1, Ordering::AcqRel) + 1;
        self.wrote.store(false, Ordering::Release);
        self.function.store(function.is_some(), Ordering::Release);
        *self.run.lock() = function;
        self.limit_ms.store(limit_ms.max(0), Ordering::Release);
        self.started_us.store(mono_us(), Ordering::Release);
        id
    }

    /// Marks the script as finished; calls it did not run go back.
    pub fn finish(&self) {
        self.started_us.store(0, Ordering::Release);
        // Taken under the mutex after `started_us` is cleared: a later
        // `submit` sees no script running.
        let calls = std::mem::take(&mut *self.busy_calls.calls.lock());
        self.busy_calls.waiting.store(false, Ordering::Release);
        for call in calls {
            call(None);
        }
    }

    /// Hands `call` to the running script's hook; gives it back when no
    /// script runs.
    pub fn submit(&self, call: BusyCall) -> Result<(), BusyCall> {
        let mut calls = self.busy_calls.calls.lock();
        if !self.running() {
            return Err(call);
        }
        calls.push(call);
        self.busy_calls.waiting.store(true, Ordering::Release);
        Ok(())
    }

    /// Runs the waiting calls on `store` (the running script's hook, which
    /// holds the store).
    pub fn run_calls(&self, store: &mut Store) {
        if !self.busy_calls.waiting.load(Ordering::Acquire) {
            return;
        }
        let calls = std::mem::take(&mut *self.busy_calls.calls.lock());
        self.busy_calls.waiting.store(false, Ordering::Release);
        for call in calls {
            call(Some(&mut *store));
        }
    }

    /// True once the running script has called a write command.
    pub fn wrote(&self) -> bool {
        self.wrote.load(Ordering::Acquire)
    }

    /// Records that the running script called a write command (it can no
    /// longer be killed).
    pub fn set_wrote(&self) {
        self.wrote.store(true, Ordering::Release);
    }

    /// True while a script runs (whether or not it is past the threshold).
    #[inline]
    pub fn running(&self) -> bool {
        self.started_us.load(Ordering::Acquire) != 0
    }

    /// True when a script has run past its busy threshold: other clients
    /// get `BUSY` instead of waiting.
    pub fn timed_out(&self) -> bool {
        let started = self.started_us.load(Ordering::Acquire);
        if started == 0 {
            return false;
        }
        let limit = self.limit_ms.load(Ordering::Acquire);
        limit > 0 && (mono_us() - started) / 1000 >= limit
    }

    /// True when SCRIPT KILL asked to stop run `id` (polled by the hook).
    #[inline]
    pub fn kill_requested(&self, id: u64) -> bool {
        self.kill_run.load(Ordering::Acquire) == id
    }

    /// The `BUSY` reply for the kind of script running.
    pub fn busy_text(&self) -> &'static str {
        if self.function.load(Ordering::Acquire) {
            BUSY_FUNCTION
        } else {
            BUSY
        }
    }

    /// The running function and for how long it has run (ms), if a
    /// function runs.
    pub fn running_function(&self) -> Option<(FunctionRun, i64)> {
        let started = self.started_us.load(Ordering::Acquire);
        if started == 0 || !self.function.load(Ordering::Acquire) {
            return None;
        }
        let run = self.run.lock().clone()?;
        Some((run, (mono_us() - started) / 1000))
    }

    /// SCRIPT KILL (`function` false) or FUNCTION KILL from another client.
    pub fn kill(&self, function: bool) -> KillOutcome {
        if !self.running() {
            return KillOutcome::NotBusy;
        }
        if self.wrote.load(Ordering::Acquire) {
            return KillOutcome::Unkillable;
        }
        if self.function.load(Ordering::Acquire) != function {
            return KillOutcome::WrongKind(self.busy_text());
        }
        self.kill_run
            .store(self.run_id.load(Ordering::Acquire), Ordering::Release);
        KillOutcome::Killed
    }
}

impl KillOutcome {
    /// The reply Redis sends for this outcome.
    pub fn reply(&self) -> Frame {
        match self {
            KillOutcome::Killed => Frame::ok(),
            KillOutcome::NotBusy => Frame::error("NOTBUSY No scripts in execution right now."),
            KillOutcome::Unkillable => Frame::error(
                "UNKILLABLE Sorry the script already executed write commands against the dataset. \
                 You can either wait the script termination or kill the server in a hard way using \
                 the SHUTDOWN NOSAVE command.",
            ),
            KillOutcome::WrongKind(text) => Frame::error(*text),
        }
    }
}
