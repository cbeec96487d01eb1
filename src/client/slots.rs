//! Redis Cluster key slots: CRC16 (XMODEM) of the key or of its hash tag,
//! modulo 16384, and the slot of a whole command found from the command
//! table's key specs (the one place that knows where keys are); and the
//! redirections a node's error replies ask for (MOVED, ASK, TRYAGAIN,
//! CLUSTERDOWN).

use crate::commands::{self, Command};

/// Number of hash slots in a Redis Cluster.
pub const SLOTS: usize = 16384;

/// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as the
/// cluster specification defines it.
pub fn crc16(data: &[u8]) -> u16 {
    const TABLE: [u16; 256] = {
        let mut table = [0u16; 256];
        let mut i = 0;
        while i < 256 {
            let mut crc = (i as u16) << 8;
            let mut bit = 0;
            while bit < 8 {
                crc = if crc & 0x8000 != 0 {
                    (crc << 1) ^ 0x1021
                } else {
                    crc << 1
                };
                bit += 1;
            }
            table[i] = crc;
            i += 1;
        }
        table
    };
    data.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ TABLE[(((crc >> 8) as u8) ^ b) as usize]
    })
}

/// The part of `key` that is hashed: the text between the first `{` and
/// the next `}` when that is not empty, else the whole key.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[open + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// The hash slot of `key`.
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) % SLOTS as u16
}

/// Where a command goes in a cluster.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// Its keys all hash to this slot.
    Slot(u16),
    /// It names no key: any node can serve it.
    Keyless,
    /// Its keys hash to different slots.
    CrossSlot,
}

/// The keys of `argv` (`cmd` is its table row when already looked up),
/// as the command table's key specs find them. An unknown command has
/// none.
pub fn command_keys<'a>(cmd: Option<&'static Command>, argv: &[&'a [u8]]) -> Vec<&'a [u8]> {
    let cmd = match cmd {
        // A container's row knows no keys: its subcommand's does.
        Some(c) if c.subcommands.is_empty() => Some(c),
        _ => commands::resolve(argv).ok(),
    };
    let Some(cmd) = cmd else {
        return Vec::new();
    };
    if !cmd.arity_ok(argv.len()) {
        return Vec::new();
    }
    cmd.key_indexes(argv)
        .into_iter()
        .filter_map(|i| argv.get(i).copied())
        .collect()
}

/// The route of `argv`: the one slot all its keys hash to.
pub fn route(cmd: Option<&'static Command>, argv: &[&[u8]]) -> Route {
    let mut slot = None;
    for key in command_keys(cmd, argv) {
        let s = key_slot(key);
        match slot {
            None => slot = Some(s),
            Some(prev) if prev != s => return Route::CrossSlot,
            Some(_) => {}
        }
    }
    slot.map_or(Route::Keyless, Route::Slot)
}

/// What a cluster node's error reply asks a client to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Redirect {
    Moved(u16, String, u16),
    Ask(String, u16),
    TryAgain,
    ClusterDown,
}

/// Parses `MOVED 3999 127.0.0.1:6381`, `ASK ...`, `TRYAGAIN ...`,
/// `CLUSTERDOWN ...`.
pub fn redirect(msg: &[u8]) -> Option<Redirect> {
    let text = std::str::from_utf8(msg).ok()?;
    let mut parts = text.split_ascii_whitespace();
    let kind = parts.next()?;
    let target = |parts: &mut std::str::SplitAsciiWhitespace<'_>| {
        let slot: u16 = parts.next()?.parse().ok()?;
        let (host, port) = parts.next()?.rsplit_once(':')?;
        Some((slot, host.to_string(), port.parse().ok()?))
    };
    match kind {
        "MOVED" => target(&mut parts).map(|(s, h, p)| Redirect::Moved(s, h, p)),
        "ASK" => target(&mut parts).map(|(_, h, p)| Redirect::Ask(h, p)),
        "TRYAGAIN" => Some(Redirect::TryAgain),
        "CLUSTERDOWN" => Some(Redirect::ClusterDown),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_the_specification() {
        // The check value of CRC16/XMODEM, and the cluster spec's example.
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b""), 0);
    }

    #[test]
    fn hash_tags() {
        assert_eq!(hash_tag(b"{user1000}.following"), b"user1000");
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
        assert_eq!(hash_tag(b"{unclosed"), b"{unclosed");
        assert_eq!(key_slot(b"{user1000}.a"), key_slot(b"{user1000}.b"));
    }

    #[test]
    fn routes_from_the_key_specs() {
        let r = |argv: &[&[u8]]| route(None, argv);
        assert_eq!(r(&[b"GET", b"foo"]), Route::Slot(12182));
        assert_eq!(
            r(&[b"MSET", b"{a}1", b"v", b"{a}2", b"v"]),
            Route::Slot(key_slot(b"a"))
        );
        assert_eq!(r(&[b"MGET", b"a", b"b"]), Route::CrossSlot);
        assert_eq!(r(&[b"PING"]), Route::Keyless);
        assert_eq!(r(&[b"EVAL", b"return 1", b"1", b"foo"]), Route::Slot(12182));
        assert_eq!(r(&[b"EVAL", b"return 1", b"0"]), Route::Keyless);
        assert_eq!(r(&[b"XREAD", b"STREAMS", b"foo", b"0"]), Route::Slot(12182));
        assert_eq!(r(&[b"OBJECT", b"ENCODING", b"foo"]), Route::Slot(12182));
        assert_eq!(r(&[b"NOSUCHCOMMAND", b"foo"]), Route::Keyless);
    }

    #[test]
    fn redirections() {
        assert_eq!(
            redirect(b"MOVED 3999 127.0.0.1:6381"),
            Some(Redirect::Moved(3999, "127.0.0.1".into(), 6381))
        );
        assert_eq!(
            redirect(b"ASK 3999 ::1:6381"),
            Some(Redirect::Ask("::1".into(), 6381))
        );
        assert_eq!(
            redirect(b"TRYAGAIN Multiple keys request during rehashing of slot"),
            Some(Redirect::TryAgain)
        );
        assert_eq!(
            redirect(b"CLUSTERDOWN The cluster is down"),
            Some(Redirect::ClusterDown)
        );
        assert_eq!(redirect(b"MOVED nonsense"), None);
        assert_eq!(redirect(b"ERR unknown command"), None);
    }
}
