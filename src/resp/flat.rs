//! Replies that are one array, RESP3 set or RESP3 map of bulk strings and
//! nulls: `MGET`, `HMGET`, `LRANGE`, `KEYS`, `SMEMBERS`, `HGETALL`... A
//! client can take them straight from its read buffer instead of building
//! a [`Frame`] per element, as hiredis does.
//!
//! [`FlatScan`] checks that such a reply is complete without allocating a
//! frame, resuming where it stopped when more bytes arrive (a reply spread
//! over many socket reads is scanned once), and records where each element
//! lies. Any other reply is reported as [`Scan::Other`] and left for the
//! frame [`Parser`](super::Parser), which reads it from its first byte; the
//! scanner accepts exactly the tokens that parser accepts, so which of the
//! two reads a reply changes nothing but the cost.
//!
//! [`Frame`]: super::Frame

use std::ops::Range;

use super::parser::{parse_token, short_bulk, AggKind, Limits, Tok, MAX_DEPTH_CAP, PREALLOC_CAP};

/// Span lists kept between replies up to this many elements; a larger
/// one is freed once its reply is consumed.
const KEEP_SPANS: usize = 4096;

/// Where a scan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scan {
    /// The reply is not all buffered yet: read more and scan again.
    Incomplete,
    /// The whole reply is buffered: it takes this many bytes.
    Complete(usize),
    /// Not an array of bulk strings and nulls (or malformed): read it
    /// with the frame parser.
    Other,
}

/// The aggregate a flat reply is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlatKind {
    /// `*`
    Array,
    /// `~`
    Set,
    /// `%`: its items are keys and values in turn.
    Map,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nothing scanned of the next reply.
    Fresh,
    /// Inside the array: `pos` is where the next element starts.
    Elements,
    Complete,
    Other,
}

/// An incremental scan of the reply at the start of a buffer that only
/// grows at its end until [`FlatScan::reset`].
pub struct FlatScan {
    state: State,
    /// Offset of the next element (of the reply's end once complete).
    pos: usize,
    /// Elements not yet scanned.
    remaining: usize,
    /// Each element's payload range in the buffer; None for a null.
    items: Vec<Option<Range<usize>>>,
    kind: FlatKind,
}

impl Default for FlatScan {
    fn default() -> Self {
        FlatScan::new()
    }
}

impl FlatScan {
    pub fn new() -> FlatScan {
        FlatScan {
            state: State::Fresh,
            pos: 0,
            remaining: 0,
            items: Vec::new(),
            kind: FlatKind::Array,
        }
    }

    /// Forgets the reply scanned so far: the next scan starts a new one.
    pub fn reset(&mut self) {
        self.state = State::Fresh;
        self.pos = 0;
        self.remaining = 0;
        self.kind = FlatKind::Array;
        if self.items.capacity() > KEEP_SPANS {
            self.items = Vec::new();
        } else {
            self.items.clear();
        }
    }

    /// True when nothing of a reply has been scanned.
    pub fn is_fresh(&self) -> bool {
        self.state == State::Fresh
    }

    /// Scans on from where the last call stopped. `buf` must hold what it
    /// held then, possibly with more bytes appended.
    pub fn scan(&mut self, buf: &[u8], limits: &Limits) -> Scan {
        if self.state == State::Fresh {
            // Most other replies are told by their first byte alone.
            match buf.first() {
                None => return Scan::Incomplete,
                Some(b'*' | b'~' | b'%') => {}
                Some(_) => return self.other(),
            }
            match parse_token(buf, limits) {
                Ok(None) => return Scan::Incomplete,
                Ok(Some((Tok::Agg(kind, len), used)))
                    // The frame parser refuses to open any aggregate at a
                    // depth limit of zero (empty ones need no level).
                    if len == 0 || limits.max_depth.min(MAX_DEPTH_CAP) > 0 =>
                {
                    let (kind, items) = match kind {
                        AggKind::Array => (FlatKind::Array, len),
                        AggKind::Set => (FlatKind::Set, len),
                        AggKind::Map => (FlatKind::Map, len.saturating_mul(2)),
                        _ => return self.other(),
                    };
                    self.kind = kind;
                    self.pos = used;
                    self.remaining = items;
                    self.items.reserve(items.min(PREALLOC_CAP));
                    self.state = State::Elements;
                }
                _ => return self.other(),
            }
        }
        match self.state {
            State::Elements => {}
            State::Complete => return Scan::Complete(self.pos),
            _ => return Scan::Other,
        }
        while self.remaining > 0 {
            let rest = buf.get(self.pos..).unwrap_or_default();
            let start = self.pos;
            // The frame parser's own first try, without its general
            // path's call (most elements are short bulk strings).
            let quick = match rest.first() {
                Some(b'$') => short_bulk(rest, limits),
                _ => None,
            };
            let token = match quick {
                Some(tok) => Ok(Some(tok)),
                None => parse_token(rest, limits),
            };
            let (item, used) = match token {
                Ok(None) => return Scan::Incomplete,
                Ok(Some((Tok::Bulk(s, e), used))) => (Some(start + s..start + e), used),
                Ok(Some((Tok::Null, used))) => (None, used),
                _ => return self.other(),
            };
            self.items.push(item);
            self.pos += used;
            self.remaining -= 1;
        }
        self.state = State::Complete;
        Scan::Complete(self.pos)
    }

    fn other(&mut self) -> Scan {
        self.state = State::Other;
        self.items.clear();
        Scan::Other
    }

    /// The elements of a complete reply: payload ranges into the buffer,
    /// None for nulls.
    pub fn items(&self) -> &[Option<Range<usize>>] {
        &self.items
    }

    /// The bytes the reply takes, once complete.
    pub fn complete_len(&self) -> Option<usize> {
        (self.state == State::Complete).then_some(self.pos)
    }

    /// The kind of the complete reply.
    pub fn kind(&self) -> FlatKind {
        self.kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resp::{parse_frame_with, Frame};

    /// A random reply of bulk strings (binary, empty, holding CRLF) and
    /// nulls of both spellings, as `*` or `~`, and the payloads it holds.
    fn flat_reply(rng: &mut fastrand::Rng) -> (Vec<u8>, Vec<Option<Vec<u8>>>) {
        let n = match rng.u8(0..10) {
            0 => 0,
            1 => rng.usize(100..400),
            _ => rng.usize(1..12),
        };
        let ty = [b'*', b'~', b'%'][rng.usize(0..3)];
        let mut out = vec![ty];
        out.extend_from_slice(format!("{n}\r\n").as_bytes());
        // A map's n counts pairs.
        let n = if ty == b'%' { 2 * n } else { n };
        let mut want = Vec::new();
        for _ in 0..n {
            match rng.u8(0..8) {
                0 => {
                    out.extend_from_slice(b"$-1\r\n");
                    want.push(None);
                }
                1 => {
                    out.extend_from_slice(b"_\r\n");
                    want.push(None);
                }
                k => {
                    let len = if k == 2 { 0 } else { rng.usize(0..40) };
                    let mut b: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
                    if len >= 2 && rng.bool() {
                        let at = rng.usize(0..len - 1);
                        b[at..at + 2].copy_from_slice(b"\r\n");
                    }
                    out.extend_from_slice(format!("${len}\r\n").as_bytes());
                    out.extend_from_slice(&b);
                    out.extend_from_slice(b"\r\n");
                    want.push(Some(b));
                }
            }
        }
        (out, want)
    }

    fn payloads(buf: &[u8], scan: &FlatScan) -> Vec<Option<Vec<u8>>> {
        let items = scan.items().iter();
        items.map(|r| r.clone().map(|r| buf[r].to_vec())).collect()
    }

    /// The frame parser's reading of a flat reply, in the same terms.
    fn frame_payloads(f: &Frame) -> Option<(FlatKind, Vec<Option<Vec<u8>>>)> {
        let (kind, items): (_, Vec<&Frame>) = match f {
            Frame::Array(items) => (FlatKind::Array, items.iter().collect()),
            Frame::Set(items) => (FlatKind::Set, items.iter().collect()),
            Frame::Map(pairs) => (
                FlatKind::Map,
                pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
            ),
            _ => return None,
        };
        let mut out = Vec::new();
        for it in items {
            out.push(match it {
                Frame::Bulk(b) => Some(b.to_vec()),
                Frame::Null => None,
                _ => return None,
            });
        }
        Some((kind, out))
    }

    #[test]
    fn every_prefix_is_incomplete_and_the_whole_reply_complete() {
        let limits = Limits::default();
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..300 {
            let (reply, want) = flat_reply(&mut rng);
            // The next reply's first bytes may already be buffered.
            let mut buf = reply.clone();
            buf.extend_from_slice(&b"$3\r\nabc\r\n*1\r\n"[..rng.usize(0..14)]);
            for end in 0..reply.len() {
                let mut scan = FlatScan::new();
                assert_eq!(scan.scan(&buf[..end], &limits), Scan::Incomplete, "{end}");
            }
            // Resumed over growing prefixes, as reads arrive.
            let mut scan = FlatScan::new();
            let mut end = 0;
            while end < reply.len() {
                assert_eq!(scan.scan(&buf[..end], &limits), Scan::Incomplete);
                end += rng.usize(1..9);
            }
            let end = end.min(buf.len()).max(reply.len());
            assert_eq!(scan.scan(&buf[..end], &limits), Scan::Complete(reply.len()));
            assert_eq!(scan.complete_len(), Some(reply.len()));
            assert_eq!(payloads(&buf, &scan), want);
            let (frame, used) = parse_frame_with(&buf, &limits).unwrap().unwrap();
            assert_eq!(used, reply.len());
            assert_eq!(frame_payloads(&frame), Some((scan.kind(), want)));
            scan.reset();
            assert!(scan.is_fresh() && scan.items().is_empty());
        }
    }

    #[test]
    fn agrees_with_the_frame_parser_on_damaged_input() {
        let mut rng = fastrand::Rng::with_seed(9);
        let alphabet = b"$*~_-:+%|>0123456789\r\nx";
        let mut complete = 0;
        for _ in 0..20_000 {
            let (mut buf, _) = flat_reply(&mut rng);
            for _ in 0..rng.usize(0..3) {
                if buf.is_empty() {
                    break;
                }
                let at = rng.usize(0..buf.len());
                let byte = alphabet[rng.usize(0..alphabet.len())];
                match rng.u8(0..3) {
                    0 => buf[at] = byte,
                    1 => buf.insert(at, byte),
                    _ => {
                        buf.remove(at);
                    }
                }
            }
            buf.truncate(buf.len() - rng.usize(0..=buf.len().min(3)));
            let limits = Limits {
                max_bulk_len: rng.usize(0..50),
                max_aggregate_len: rng.usize(0..20),
                max_depth: rng.usize(0..3),
            };
            let limits = if rng.bool() {
                Limits::default()
            } else {
                limits
            };
            let mut scan = FlatScan::new();
            let parsed = parse_frame_with(&buf, &limits);
            match scan.scan(&buf, &limits) {
                Scan::Complete(n) => {
                    complete += 1;
                    let Ok(Some((frame, used))) = &parsed else {
                        panic!("{buf:?}: complete, parser says {parsed:?}");
                    };
                    assert_eq!(*used, n, "{buf:?}");
                    let want = (scan.kind(), payloads(&buf, &scan));
                    assert_eq!(frame_payloads(frame), Some(want), "{buf:?}");
                }
                Scan::Incomplete => assert!(matches!(parsed, Ok(None)), "{buf:?}: {parsed:?}"),
                // The frame parser reads it; nothing to agree on but that
                // a scan that gave up stays given up.
                Scan::Other => assert_eq!(scan.scan(&buf, &limits), Scan::Other),
            }
        }
        assert!(complete > 1_000, "{complete}");
    }

    #[test]
    fn other_replies_are_left_to_the_frame_parser() {
        let limits = Limits::default();
        for reply in [
            &b"$3\r\nabc\r\n"[..],
            b"-ERR x\r\n",
            b":1\r\n",
            b"*-1\r\n",
            b"~-1\r\n",
            b"*2\r\n$1\r\na\r\n:1\r\n",
            b"*2\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n",
            b"*1\r\n-ERR x\r\n",
            b"*1\r\n+OK\r\n",
            b"*1\r\n*-1\r\n",
            b">2\r\n$1\r\na\r\n$1\r\nb\r\n",
            b"%1\r\n$1\r\na\r\n:1\r\n",
            b"%1\r\n$1\r\na\r\n*1\r\n$1\r\nb\r\n",
            b"|1\r\n+a\r\n+b\r\n*1\r\n$1\r\nx\r\n",
            b"*1\r\n|1\r\n+a\r\n+b\r\n$1\r\nx\r\n",
            b"*1\r\n$1\r\nab\r\n",
        ] {
            let mut scan = FlatScan::new();
            assert_eq!(scan.scan(reply, &limits), Scan::Other, "{reply:?}");
            assert!(scan.items().is_empty() && scan.complete_len().is_none());
        }
        // Limits are the parser's.
        let tight = Limits {
            max_bulk_len: 2,
            max_aggregate_len: 1,
            max_depth: 1,
        };
        for reply in [&b"*1\r\n$3\r\nabc\r\n"[..], b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"] {
            assert_eq!(FlatScan::new().scan(reply, &tight), Scan::Other);
        }
        let no_depth = Limits {
            max_depth: 0,
            ..Limits::default()
        };
        assert_eq!(FlatScan::new().scan(b"*1\r\n_\r\n", &no_depth), Scan::Other);
        assert_eq!(
            FlatScan::new().scan(b"*0\r\n", &no_depth),
            Scan::Complete(4)
        );
    }
}
