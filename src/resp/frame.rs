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
