//! MONITOR: every command any client of the engine runs, as one line per
//! command in Redis's format, delivered to the monitoring clients' sinks.

use bytes::Bytes;

use super::pubsub::SinkRef;
use super::Store;
use crate::commands::{flags, Command};
use crate::resp::Frame;

/// The clients in MONITOR mode, by client id.
#[derive(Default)]
pub struct Monitors {
    sinks: Vec<(u64, SinkRef)>,
}

impl std::fmt::Debug for Monitors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitors")
            .field("count", &self.sinks.len())
            .finish()
    }
}

impl Monitors {
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }

    pub fn add(&mut self, id: u64, sink: SinkRef) {
        if !self.sinks.iter().any(|(i, _)| *i == id) {
            self.sinks.push((id, sink));
        }
    }

    /// True if client `id` is in MONITOR mode (CLIENT LIST's flag `O`).
    pub fn contains(&self, id: u64) -> bool {
        self.sinks.iter().any(|(i, _)| *i == id)
    }

    pub fn remove(&mut self, id: u64) {
        self.sinks.retain(|(i, _)| *i != id);
    }
}

/// True for commands a monitor never sees (admin commands, and those that
/// feed themselves, like EVAL before its script's commands).
pub fn hidden(cmd: &Command) -> bool {
    cmd.has(flags::ADMIN) || cmd.has(flags::SKIP_MONITOR)
}

/// Sends `argv` (run by the client at `addr` on database `db`) to every
/// monitor; a monitor whose receiver is gone is dropped.
pub fn feed(store: &mut Store, db: usize, addr: &str, cmd: &Command, argv: &[&[u8]]) {
    let line = format_line(db, addr, cmd, argv);
    let frame = Frame::Simple(Bytes::from(line));
    store
        .monitors
        .sinks
        .retain(|(_, sink)| sink.deliver(frame.clone()));
}

/// `<secs>.<usecs> [<db> <addr>] "arg" ...`, with AUTH's secrets redacted.
pub fn format_line(db: usize, addr: &str, cmd: &Command, argv: &[&[u8]]) -> String {
    let us = super::now_us();
    let mut line = format!("{}.{:06} [{db} {addr}]", us / 1_000_000, us % 1_000_000);
    let redact_from = match cmd.name {
        "auth" => 1,
        _ => usize::MAX,
    };
    let hello_auth = (cmd.name == "hello")
        .then(|| argv.iter().position(|a| a.eq_ignore_ascii_case(b"auth")))
        .flatten();
    for (i, arg) in argv.iter().enumerate() {
        line.push(' ');
        let secret = i >= redact_from || hello_auth.is_some_and(|at| i == at + 1 || i == at + 2);
        if secret {
            line.push_str("\"(redacted)\"");
        } else {
            quote(&mut line, arg);
        }
    }
    line
}

/// Appends `arg` quoted and escaped as Redis's `sdscatrepr` does.
fn quote(out: &mut String, arg: &[u8]) {
    out.push('"');
    for &c in arg {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            7 => out.push_str("\\a"),
            8 => out.push_str("\\b"),
            b' '..=b'~' => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_quote_and_redact() {
        let get = crate::commands::lookup(b"get").expect("get");
        let line = format_line(2, "lua", get, &[b"GET", b"a \"b\"\n\x01"]);
        let (_, rest) = line.split_once(' ').expect("time");
        assert_eq!(rest, r#"[2 lua] "GET" "a \"b\"\n\x01""#);
        let auth = crate::commands::lookup(b"auth").expect("auth");
        let line = format_line(0, "x:1", auth, &[b"AUTH", b"u", b"p"]);
        assert!(
            line.ends_with(r#"[0 x:1] "AUTH" "(redacted)" "(redacted)""#),
            "{line}"
        );
    }
}
