//! How long a command may wait for its reply.

use std::time::Duration;

use crate::commands::Timeout;

/// The per-read timeout for a command whose blocking timeout is `at` (its
/// command table row's): blocking commands wait their own timeout on top
/// of `socket_timeout` (0 = forever), so a BLPOP longer than the socket
/// timeout returns its result instead of timing out.
pub fn read_timeout(
    socket_timeout: Option<Duration>,
    at: Timeout,
    argv: &[&[u8]],
) -> Option<Duration> {
    let base = socket_timeout?;
    match block_time(at, argv) {
        // A sum too large to represent is as good as forever.
        Some(Some(extra)) => base.checked_add(extra),
        Some(None) => None,
        None => Some(base),
    }
}

/// How long a blocking command may block: `Some(None)` forever, `None` if
/// it does not block (or the timeout cannot be read; the server will say).
fn block_time(at: Timeout, argv: &[&[u8]]) -> Option<Option<Duration>> {
    let secs = at.seconds(argv)?;
    if !secs.is_finite() || secs < 0.0 {
        return None;
    }
    // Zero, or more seconds than a Duration holds, means forever.
    Some(
        Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| !d.is_zero()),
    )
}
