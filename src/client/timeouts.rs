//! How long a command may wait for its reply.

use std::time::Duration;

/// The per-read timeout for a command: blocking commands wait their own
/// timeout on top of `socket_timeout` (0 = forever), so a BLPOP longer
/// than the socket timeout returns its result instead of timing out.
pub fn read_timeout(
    socket_timeout: Option<Duration>,
    blocking: bool,
    argv: &[&[u8]],
) -> Option<Duration> {
    let base = socket_timeout?;
    if !blocking {
        return Some(base);
    }
    match block_time(argv) {
        // A sum too large to represent is as good as forever.
        Some(Some(extra)) => base.checked_add(extra),
        Some(None) => None,
        None => Some(base),
    }
}

fn num(arg: Option<&&[u8]>) -> Option<f64> {
    std::str::from_utf8(arg?).ok()?.trim().parse::<f64>().ok()
}

/// How long a blocking command may block: `Some(None)` forever, `None` if
/// it does not block (or the timeout cannot be read; the server will say).
fn block_time(argv: &[&[u8]]) -> Option<Option<Duration>> {
    let name = String::from_utf8_lossy(argv.first()?).to_ascii_lowercase();
    let (value, scale) = match name.as_str() {
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" | "blmove" | "brpoplpush" => {
            (num(argv.last()), 1.0)
        }
        "blmpop" | "bzmpop" => (num(argv.get(1)), 1.0),
        "wait" => (num(argv.get(2)), 0.001),
        "xread" | "xreadgroup" => {
            let at = argv.iter().position(|a| a.eq_ignore_ascii_case(b"block"))?;
            (num(argv.get(at + 1)), 0.001)
        }
        _ => return None,
    };
    let secs = value? * scale;
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
