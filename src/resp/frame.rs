//! The one reply type shared by the engine, the RESP parser and writer, and the
//! Python conversion layer.
//!
//! Frames are RESP3-shaped: handlers say "this is a map" or "this is a double"
//! and the writer downgrades to RESP2 for RESP2 peers, in one place.

use bytes::Bytes;

/// A RESP value. Error frames carry the text without the leading `-`
/// (for example `ERR syntax error`).
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+OK` — a status line.
    Simple(Bytes),
    /// `-ERR ...` — an error reply; the text starts with the error code.
    Error(Bytes),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`
    Bulk(Bytes),
    /// The null reply (`$-1` in RESP2, `_` in RESP3).
    Null,
    /// The null array (`*-1` in RESP2, `_` in RESP3).
    NullArray,
    /// `*N` followed by N frames.
    Array(Vec<Frame>),
    /// `%N` — RESP2 peers see a flat array of 2N frames.
    Map(Vec<(Frame, Frame)>),
    /// `~N` — RESP2 peers see an array.
    Set(Vec<Frame>),
    /// `,1.5` — RESP2 peers see a bulk string.
    Double(f64),
    /// `#t` / `#f` — RESP2 peers see `:1` / `:0`.
    Boolean(bool),
    /// `(123...` — RESP2 peers see a bulk string.
    BigNumber(Bytes),
    /// `=N\r\ntxt:...` — the 3-byte format and the text; RESP2 peers see a bulk string.
    Verbatim([u8; 3], Bytes),
    /// `>N` — out-of-band data (pub/sub messages on RESP3).
    Push(Vec<Frame>),
    /// A reply already serialized, that reads the same in RESP2 and RESP3
    /// (an array of bulk strings): written as it is. Handlers build it
    /// (see [`Frame::bulk_array_for`]) only for clients whose replies go
    /// straight to a socket, so a 100-element LRANGE costs one buffer
    /// instead of 100 strings; every other reader sees [`Frame::expanded`].
    Encoded(Bytes),
}

impl Frame {
    /// `+OK`, without allocating.
    #[inline]
    pub fn ok() -> Frame {
        Frame::Simple(Bytes::from_static(b"OK"))
    }

    /// A status reply from static text (`QUEUED`, `PONG`, ...).
    #[inline]
    pub fn simple_static(s: &'static str) -> Frame {
        Frame::Simple(Bytes::from_static(s.as_bytes()))
    }

    /// An error reply; `msg` must start with its code (`ERR`, `WRONGTYPE`, ...).
    pub fn error(msg: impl Into<String>) -> Frame {
        Frame::Error(Bytes::from(msg.into()))
    }

    /// A bulk string copied from a slice.
    #[inline]
    pub fn bulk(data: &[u8]) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(data))
    }

    /// A bulk string or the null reply.
    #[inline]
    pub fn bulk_or_null(data: Option<Bytes>) -> Frame {
        match data {
            Some(b) => Frame::Bulk(b),
            None => Frame::Null,
        }
    }

    /// An integer reply from a `bool` (`:1` / `:0`), as Redis replies to
    /// SISMEMBER, EXPIRE and friends.
    #[inline]
    pub fn from_bool(b: bool) -> Frame {
        Frame::Integer(b as i64)
    }

    /// An array of bulk strings.
    pub fn bulk_array<I, B>(items: I) -> Frame
    where
        I: IntoIterator<Item = B>,
        B: Into<Bytes>,
    {
        Frame::Array(items.into_iter().map(|b| Frame::Bulk(b.into())).collect())
    }

    /// An array of the bulk strings `items` yields: pre-encoded when
    /// `wire` (the client's replies go straight to a socket), else an
    /// [`Frame::Array`] of copies.
    pub fn bulk_array_for<'a>(wire: bool, items: impl Iterator<Item = &'a [u8]>) -> Frame {
        if !wire {
            return Frame::Array(items.map(Frame::bulk).collect());
        }
        let (lower, _) = items.size_hint();
        let mut out = Vec::with_capacity(16 + lower * 16);
        // The count is known only at the end: leave room for the largest
        // header and move the body up behind the real one.
        const ROOM: usize = 24;
        out.resize(ROOM, 0);
        let mut n = 0;
        for item in items {
            super::write_bulk(&mut out, item);
            n += 1;
        }
        let mut head = Vec::with_capacity(ROOM);
        super::write_header(&mut head, b'*', n);
        let start = ROOM - head.len();
        out[start..ROOM].copy_from_slice(&head);
        Frame::Encoded(Bytes::from(out).slice(start..))
    }

    /// This frame with an [`Frame::Encoded`] reply parsed back into frames
    /// (other frames are returned as they are).
    pub fn expanded(&self) -> std::borrow::Cow<'_, Frame> {
        match self {
            Frame::Encoded(raw) => std::borrow::Cow::Owned(match super::parse_frame(raw) {
                Ok(Some((frame, _))) => frame,
                _ => Frame::error("ERR malformed pre-encoded reply"),
            }),
            other => std::borrow::Cow::Borrowed(other),
        }
    }

    /// True for an error reply.
    #[inline]
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }

    /// The error text, when this is an error reply.
    pub fn error_text(&self) -> Option<&[u8]> {
        match self {
            Frame::Error(e) => Some(e),
            _ => None,
        }
    }
}
