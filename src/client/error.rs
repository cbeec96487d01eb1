//! Client-side failures, classified the way redis-py reports them.

use std::fmt;
use std::io;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Refused, reset, closed by the server, TLS failure: `ConnectionError`.
    Connection,
    /// A connect, read or write timeout: `TimeoutError`.
    Timeout,
    /// A blocking system call was interrupted by a signal; the caller
    /// checks for Python signal handlers and may resume.
    Interrupted,
    /// The server sent bytes that are not RESP: `InvalidResponse`.
    Protocol,
    /// The server answered the connect handshake (AUTH, HELLO, SELECT) with
    /// an error; `message` is the error reply's text.
    Reply,
    /// A plain pool is at `max_connections`: `MaxConnectionsError`.
    PoolFull,
    /// A blocking pool had no free connection in time.
    NoConnection,
}

/// How far a request got before the failure; decides whether resending it
/// could apply it twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Nothing was sent (no connection, or a stale one was detected).
    Connect,
    /// Sending failed. `partial` says whether any byte was accepted.
    Write { partial: bool },
    /// The request was sent; its reply was lost.
    Read,
}

/// A client failure with redis-py's message text.
#[derive(Clone, Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub stage: Stage,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>, stage: Stage) -> Error {
        Error {
            kind,
            message: message.into(),
            stage,
        }
    }

    /// True when the server cannot have received a complete request of a
    /// single command.
    pub fn command_not_sent(&self) -> bool {
        !matches!(self.stage, Stage::Read)
    }

    /// True when not one byte of a batch reached the socket.
    pub fn nothing_sent(&self) -> bool {
        matches!(self.stage, Stage::Connect | Stage::Write { partial: false })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// `(errno, strerror)` of an OS error, as Python's `OSError.args` shows
/// them.
pub(crate) fn os_parts(e: &io::Error) -> (Option<i32>, String) {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(code) => {
            let suffix = format!(" (os error {code})");
            let msg = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
            (Some(code), msg)
        }
        None => (None, text),
    }
}

/// True for the error a socket read or write returns when its timeout
/// expires.
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
