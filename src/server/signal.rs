//! How other threads reach a connection's task: CLIENT KILL, pushes ready
//! in its sink, the sink closing over its limit, the server stopping, a
//! blocked command's reply. Each raises a bit and wakes the task; the task
//! takes all pending bits at once.
//!
//! One atomic word and one [`AtomicWaker`] per connection: the task's
//! wait registers its waker with a couple of atomic operations and no lock
//! (a `tokio::sync::Notify` per cause took a mutex on every poll and every
//! drop, several times per request).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;

/// CLIENT KILL named this connection (see [`Signal::killed`]).
pub const KILL: u8 = 1;
/// Pushes wait in the connection's sink.
pub const PUSH: u8 = 2;
/// The sink closed over the pubsub output limit: close at once.
pub const OVERFLOW: u8 = 4;
/// The server is stopping.
pub const STOP: u8 = 8;
/// A blocked command's reply arrived in its wait slot.
pub const WOKEN: u8 = 16;

/// See the module documentation.
#[derive(Debug, Default)]
pub struct Signal {
    /// Raised and not yet taken.
    bits: AtomicU8,
    waker: AtomicWaker,
    /// Sticky: this connection was killed.
    pub killed: AtomicBool,
}

impl Signal {
    /// Raises `bits` and wakes the connection's task.
    pub fn raise(&self, bits: u8) {
        self.bits.fetch_or(bits, Ordering::AcqRel);
        self.waker.wake();
    }

    /// Marks the connection killed and wakes it.
    pub fn kill(&self) {
        self.killed.store(true, Ordering::Release);
        self.raise(KILL);
    }

    /// Takes the raised bits (0 when none).
    pub fn take(&self) -> u8 {
        if self.bits.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        self.bits.swap(0, Ordering::AcqRel)
    }

    /// Ready with the raised bits; else registers the task to be woken.
    pub fn poll_take(&self, cx: &mut Context<'_>) -> Poll<u8> {
        match self.take() {
            0 => {}
            bits => return Poll::Ready(bits),
        }
        self.waker.register(cx.waker());
        // A bit raised before the registration woke no one: look again.
        match self.take() {
            0 => Poll::Pending,
            bits => Poll::Ready(bits),
        }
    }

    /// Resolves with the next raised bits.
    pub fn wait(&self) -> impl Future<Output = u8> + '_ {
        std::future::poll_fn(move |cx| self.poll_take(cx))
    }
}

/// Polls `f` once, for a future whose only state is what it borrows
/// (tokio's `read_buf`, `write`, `flush`): creating it anew at each poll
/// is the same as keeping it.
pub fn poll_once<F: Future>(f: F, cx: &mut Context<'_>) -> Poll<F::Output> {
    let mut f = std::pin::pin!(f);
    Pin::as_mut(&mut f).poll(cx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn bits_gather_until_taken_and_wake_the_waiter() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let s = Arc::new(Signal::default());
        assert_eq!(s.take(), 0);
        s.raise(PUSH);
        s.raise(WOKEN);
        assert_eq!(s.take(), PUSH | WOKEN);
        assert_eq!(s.take(), 0);
        let s2 = s.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            s2.kill();
        });
        assert_eq!(rt.block_on(s.wait()), KILL);
        assert!(s.killed.load(Ordering::Acquire));
        t.join().expect("thread");
    }
}
