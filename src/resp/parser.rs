//! Incremental RESP parsing of replies (RESP2 and RESP3, client side), and
//! the [`ParseError`] shared with the request parser in `command.rs`, whose
//! items are re-exported here too.
//!
//! Every entry point accepts partial input and answers `Ok(None)` until a
//! whole frame or command is buffered. Nothing here panics on any input, and
//! nothing is allocated from a declared length alone: capacities are capped
//! and aggregates grow only as their elements actually arrive.

use std::borrow::Cow;
use std::fmt;

use bytes::{Buf, Bytes, BytesMut};
use memchr::memchr;

use super::frame::Frame;

pub use super::command::{
    parse_command, parse_command_with, split_args, CommandLimits, CommandParser, INLINE_MAX_SIZE,
};

/// Redis's default `proto-max-bulk-len`.
pub const DEFAULT_MAX_BULK_LEN: usize = 512 * 1024 * 1024;
/// Default cap on the element count of one reply aggregate.
pub const DEFAULT_MAX_AGGREGATE_LEN: usize = 1024 * 1024 * 1024;
/// Default cap on reply nesting.
pub const DEFAULT_MAX_DEPTH: usize = 128;
/// Hard ceiling on [`Limits::max_depth`]: the stateless scanner keeps one
/// counter per level in a fixed stack array so it never allocates.
pub const MAX_DEPTH_CAP: usize = 512;
/// Most elements preallocated for an aggregate, whatever length it declares.
pub(super) const PREALLOC_CAP: usize = 1024;
/// A length header longer than this cannot hold a valid length.
const MAX_HEADER_LINE: usize = 32;

/// Limits for parsing replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest bulk string, blob error, verbatim string or simple line.
    pub max_bulk_len: usize,
    /// Most elements in one array, set or push (pairs for maps).
    pub max_aggregate_len: usize,
    /// Deepest nesting of aggregates; values above [`MAX_DEPTH_CAP`] act
    /// as that cap.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: DEFAULT_MAX_BULK_LEN,
            max_aggregate_len: DEFAULT_MAX_AGGREGATE_LEN,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// A protocol error. After one, the stream is out of sync: reply with
/// [`ParseError::to_frame`] (servers) and close the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Request: bad `*` count.
    InvalidMultibulkLength,
    /// Request: `*` count above 10 before `AUTH`.
    UnauthenticatedMultibulkLength,
    /// Request: bad, negative or too large `$` length.
    InvalidBulkLength,
    /// Request: `$` length above 16384 before `AUTH`.
    UnauthenticatedBulkLength,
    /// Request: an argument did not start with `$`; holds the byte seen.
    ExpectedDollar(u8),
    /// Request: inline line longer than the limit without a newline.
    TooBigInlineRequest,
    /// Request: `*` count line longer than the limit without a `\r`.
    TooBigMbulkCount,
    /// Request: `$` length line longer than the limit without a `\r`.
    TooBigBulkCount,
    /// Request: inline quotes not closed, or a closing quote not followed
    /// by a space.
    UnbalancedQuotes,
    /// Reply: unknown type byte.
    UnknownType(u8),
    /// Reply: malformed or negative declared length.
    InvalidLength,
    /// Reply: declared string length above the limit.
    BulkTooLong,
    /// Reply: declared aggregate length above the limit.
    AggregateTooLong,
    /// Reply: aggregates nested deeper than the limit.
    TooDeep,
    /// Reply: a line longer than the bulk limit.
    LineTooLong,
    /// Reply: a `\r` not followed by `\n`, or a payload not followed by CRLF.
    MissingCrlf,
    /// Reply: malformed `:` integer.
    InvalidInteger,
    /// Reply: malformed `,` double.
    InvalidDouble,
    /// Reply: `#` not followed by `t` or `f`.
    InvalidBoolean,
    /// Reply: `_` followed by text.
    InvalidNull,
    /// Reply: `=` payload without its `xxx:` format prefix.
    InvalidVerbatim,
}

impl ParseError {
    /// The error reply text (without the leading `-`). Request errors use
    /// Redis's exact wording; for [`ParseError::ExpectedDollar`] with a
    /// non-ASCII byte this is lossy, [`ParseError::to_frame`] is exact.
    pub fn message(&self) -> Cow<'static, str> {
        match *self {
            ParseError::ExpectedDollar(_) => {
                Cow::Owned(String::from_utf8_lossy(&self.message_bytes()).into_owned())
            }
            other => Cow::Borrowed(other.static_message()),
        }
    }

    /// The error reply text as Redis would send it, byte for byte.
    pub fn message_bytes(&self) -> Vec<u8> {
        match *self {
            ParseError::ExpectedDollar(b) => {
                let mut m = b"ERR Protocol error: expected '$', got '".to_vec();
                // Redis maps CR/LF in error replies to spaces.
                m.push(if b == b'\r' || b == b'\n' { b' ' } else { b });
                m.push(b'\'');
                m
            }
            other => other.static_message().as_bytes().to_vec(),
        }
    }

    /// The error reply a server sends before closing the connection.
    pub fn to_frame(&self) -> Frame {
        Frame::Error(Bytes::from(self.message_bytes()))
    }

    fn static_message(self) -> &'static str {
        match self {
            ParseError::InvalidMultibulkLength => "ERR Protocol error: invalid multibulk length",
            ParseError::UnauthenticatedMultibulkLength => {
                "ERR Protocol error: unauthenticated multibulk length"
            }
            ParseError::InvalidBulkLength => "ERR Protocol error: invalid bulk length",
            ParseError::UnauthenticatedBulkLength => {
                "ERR Protocol error: unauthenticated bulk length"
            }
            ParseError::ExpectedDollar(_) => "ERR Protocol error: expected '$'",
            ParseError::TooBigInlineRequest => "ERR Protocol error: too big inline request",
            ParseError::TooBigMbulkCount => "ERR Protocol error: too big mbulk count string",
            ParseError::TooBigBulkCount => "ERR Protocol error: too big bulk count string",
            ParseError::UnbalancedQuotes => "ERR Protocol error: unbalanced quotes in request",
            ParseError::UnknownType(_) => "ERR Protocol error: unknown reply type",
            ParseError::InvalidLength => "ERR Protocol error: invalid length",
            ParseError::BulkTooLong => "ERR Protocol error: bulk length above limit",
            ParseError::AggregateTooLong => "ERR Protocol error: aggregate length above limit",
            ParseError::TooDeep => "ERR Protocol error: reply nested too deeply",
            ParseError::LineTooLong => "ERR Protocol error: line too long",
            ParseError::MissingCrlf => "ERR Protocol error: expected CRLF",
            ParseError::InvalidInteger => "ERR Protocol error: invalid integer",
            ParseError::InvalidDouble => "ERR Protocol error: invalid double",
            ParseError::InvalidBoolean => "ERR Protocol error: invalid boolean",
            ParseError::InvalidNull => "ERR Protocol error: invalid null",
            ParseError::InvalidVerbatim => "ERR Protocol error: invalid verbatim string",
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ParseError {}

// ---------------------------------------------------------------------------
// Number parsing
// ---------------------------------------------------------------------------

/// A reply integer: optional sign, at least one digit, no overflow.
fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?;
        // Accumulating on the negative side reaches i64::MIN without overflow.
        v = if neg {
            v.checked_sub(i64::from(d))?
        } else {
            v.checked_add(i64::from(d))?
        };
    }
    Some(v)
}

/// A RESP3 double: decimal or exponent notation, `inf`, `-inf`, `nan`.
fn parse_double(s: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(s).ok()?;
    // Rust also accepts "infinity"; RESP3 does not define it but it is harmless.
    text.parse::<f64>().ok()
}

// ---------------------------------------------------------------------------
// Reply tokens
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AggKind {
    Array,
    Map,
    Set,
    Push,
    Attribute,
}

impl AggKind {
    fn pairs(self) -> bool {
        matches!(self, AggKind::Map | AggKind::Attribute)
    }
}

/// One type byte and its line (and payload), with byte ranges into the
/// buffer so the caller chooses between copying and zero-copy slicing.
#[derive(Clone, Copy, Debug)]
pub(super) enum Tok {
    Simple(usize, usize),
    Error(usize, usize),
    Integer(i64),
    Bulk(usize, usize),
    Null,
    NullArray,
    Double(f64),
    Boolean(bool),
    BigNumber(usize, usize),
    Verbatim([u8; 3], usize, usize),
    Agg(AggKind, usize),
}

/// Index of the `\r` ending the line that starts at `start`. Only the
/// first `max + 1` bytes are searched, so the verdict on an over-long line
/// does not depend on how the input was split.
fn find_crlf(
    buf: &[u8],
    start: usize,
    max: usize,
    too_long: ParseError,
) -> Result<Option<usize>, ParseError> {
    let rest = buf.get(start..).unwrap_or_default();
    let window = rest.get(..max.saturating_add(1)).unwrap_or(rest);
    match memchr(b'\r', window) {
        Some(i) => match rest.get(i + 1) {
            None => Ok(None),
            Some(b'\n') => Ok(Some(start + i)),
            Some(_) => Err(ParseError::MissingCrlf),
        },
        None if rest.len() > max => Err(too_long),
        None => Ok(None),
    }
}

/// A length header: `-1` (when `allow_null`) or a non-negative count.
fn header_len(line: &[u8], allow_null: bool) -> Result<Option<usize>, ParseError> {
    match parse_int(line) {
        Some(-1) if allow_null => Ok(None),
        Some(n) if n >= 0 => usize::try_from(n)
            .map(Some)
            .map_err(|_| ParseError::InvalidLength),
        _ => Err(ParseError::InvalidLength),
    }
}

/// A complete bulk string whose length is 1 to 9 plain digits (no sign,
/// no leading zero) at the start of `buf`, read without a line search:
/// most replies' strings. `None` leaves everything else (nulls, partial
/// or malformed input) to [`parse_token`]'s general path.
#[inline]
pub(super) fn short_bulk(buf: &[u8], limits: &Limits) -> Option<(Tok, usize)> {
    let mut len = 0usize;
    let mut i = 1;
    while let Some(&c) = buf.get(i) {
        if !c.is_ascii_digit() || i > 9 {
            break;
        }
        len = len * 10 + usize::from(c - b'0');
        i += 1;
    }
    let canonical = i > 1 && (buf[1] != b'0' || i == 2);
    if !canonical || buf.get(i..i + 2) != Some(b"\r\n") || len > limits.max_bulk_len {
        return None;
    }
    let next = i + 2;
    let end = next + len;
    (buf.get(end..end + 2) == Some(b"\r\n")).then_some((Tok::Bulk(next, end), end + 2))
}

/// Parses one token at the start of `buf`; `Ok(None)` when incomplete.
pub(super) fn parse_token(buf: &[u8], limits: &Limits) -> Result<Option<(Tok, usize)>, ParseError> {
    let Some(&ty) = buf.first() else {
        return Ok(None);
    };
    if ty == b'$' {
        if let Some(tok) = short_bulk(buf, limits) {
            return Ok(Some(tok));
        }
    }
    parse_line_token(buf, limits)
}

/// [`parse_token`]'s general path: the line up to CRLF, then its payload.
fn parse_line_token(buf: &[u8], limits: &Limits) -> Result<Option<(Tok, usize)>, ParseError> {
    let Some(&ty) = buf.first() else {
        return Ok(None);
    };
    let header = matches!(ty, b'$' | b'!' | b'=' | b'*' | b'%' | b'~' | b'>' | b'|');
    if !header && !matches!(ty, b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(') {
        return Err(ParseError::UnknownType(ty));
    }
    let (max, too_long) = if header {
        (MAX_HEADER_LINE, ParseError::InvalidLength)
    } else {
        (limits.max_bulk_len, ParseError::LineTooLong)
    };
    let Some(cr) = find_crlf(buf, 1, max, too_long)? else {
        return Ok(None);
    };
    let line = buf.get(1..cr).unwrap_or_default();
    let next = cr + 2;
    let tok = match ty {
        b'+' => Tok::Simple(1, cr),
        b'-' => Tok::Error(1, cr),
        b'(' => {
            if line.is_empty() {
                return Err(ParseError::InvalidInteger);
            }
            Tok::BigNumber(1, cr)
        }
        b':' => Tok::Integer(parse_int(line).ok_or(ParseError::InvalidInteger)?),
        b',' => Tok::Double(parse_double(line).ok_or(ParseError::InvalidDouble)?),
        b'#' => match line {
            b"t" => Tok::Boolean(true),
            b"f" => Tok::Boolean(false),
            _ => return Err(ParseError::InvalidBoolean),
        },
        b'_' => {
            if !line.is_empty() {
                return Err(ParseError::InvalidNull);
            }
            Tok::Null
        }
        b'$' | b'!' | b'=' => {
            let Some(len) = header_len(line, ty == b'$')? else {
                return Ok(Some((Tok::Null, next)));
            };
            if len > limits.max_bulk_len {
                return Err(ParseError::BulkTooLong);
            }
            let end = next.checked_add(len).ok_or(ParseError::BulkTooLong)?;
            let Some(tail) = buf.get(end..end.saturating_add(2)) else {
                return Ok(None);
            };
            if tail.len() < 2 {
                return Ok(None);
            }
            if tail != b"\r\n" {
                return Err(ParseError::MissingCrlf);
            }
            let tok = match ty {
                b'$' => Tok::Bulk(next, end),
                b'!' => Tok::Error(next, end),
                _ => match buf.get(next..end) {
                    Some([a, b, c, b':', ..]) => Tok::Verbatim([*a, *b, *c], next + 4, end),
                    _ => return Err(ParseError::InvalidVerbatim),
                },
            };
            return Ok(Some((tok, end + 2)));
        }
        _ => {
            let kind = match ty {
                b'*' => AggKind::Array,
                b'%' => AggKind::Map,
                b'~' => AggKind::Set,
                b'>' => AggKind::Push,
                _ => AggKind::Attribute,
            };
            match header_len(line, kind == AggKind::Array)? {
                None => Tok::NullArray,
                Some(n) if n > limits.max_aggregate_len => {
                    return Err(ParseError::AggregateTooLong)
                }
                Some(n) => Tok::Agg(kind, n),
            }
        }
    };
    Ok(Some((tok, next)))
}

/// Turns a non-aggregate token into a frame, taking payloads from `slice`.
fn scalar_frame(tok: Tok, slice: &mut impl FnMut(usize, usize) -> Bytes) -> Frame {
    match tok {
        Tok::Simple(s, e) => Frame::Simple(slice(s, e)),
        Tok::Error(s, e) => Frame::Error(slice(s, e)),
        Tok::Integer(i) => Frame::Integer(i),
        Tok::Bulk(s, e) => Frame::Bulk(slice(s, e)),
        Tok::Null => Frame::Null,
        Tok::NullArray => Frame::NullArray,
        Tok::Double(d) => Frame::Double(d),
        Tok::Boolean(b) => Frame::Boolean(b),
        Tok::BigNumber(s, e) => Frame::BigNumber(slice(s, e)),
        Tok::Verbatim(f, s, e) => Frame::Verbatim(f, slice(s, e)),
        // Aggregates are handled by the callers before reaching here.
        Tok::Agg(..) => Frame::NullArray,
    }
}

// ---------------------------------------------------------------------------
// Aggregate assembly
// ---------------------------------------------------------------------------

enum Items {
    List(Vec<Frame>),
    Pairs(Vec<(Frame, Frame)>, Option<Frame>),
    /// Attribute contents are dropped as they arrive.
    Skip,
}

struct Partial {
    kind: AggKind,
    remaining: usize,
    items: Items,
}

/// Assembles tokens into frames with an explicit stack, so nesting costs
/// heap, not call stack, and assembly can pause between reads.
#[derive(Default)]
struct Builder {
    stack: Vec<Partial>,
}

impl Builder {
    /// Starts an aggregate; returns a frame when that completes one.
    fn open(
        &mut self,
        kind: AggKind,
        len: usize,
        limits: &Limits,
    ) -> Result<Option<Frame>, ParseError> {
        if len == 0 {
            let empty = match kind {
                AggKind::Array => Frame::Array(Vec::new()),
                AggKind::Map => Frame::Map(Vec::new()),
                AggKind::Set => Frame::Set(Vec::new()),
                AggKind::Push => Frame::Push(Vec::new()),
                AggKind::Attribute => return Ok(None),
            };
            return Ok(self.push(empty));
        }
        if self.stack.len() >= limits.max_depth.min(MAX_DEPTH_CAP) {
            return Err(ParseError::TooDeep);
        }
        let cap = len.min(PREALLOC_CAP);
        let items = match kind {
            AggKind::Attribute => Items::Skip,
            AggKind::Map => Items::Pairs(Vec::with_capacity(cap), None),
            _ => Items::List(Vec::with_capacity(cap)),
        };
        let remaining = if kind.pairs() {
            len.saturating_mul(2)
        } else {
            len
        };
        self.stack.push(Partial {
            kind,
            remaining,
            items,
        });
        Ok(None)
    }

    /// Adds a finished value; returns the top-level frame once complete.
    fn push(&mut self, mut value: Frame) -> Option<Frame> {
        loop {
            let Some(top) = self.stack.last_mut() else {
                return Some(value);
            };
            match &mut top.items {
                Items::List(v) => v.push(value),
                Items::Pairs(v, key) => match key.take() {
                    Some(k) => v.push((k, value)),
                    None => *key = Some(value),
                },
                Items::Skip => {}
            }
            top.remaining -= 1;
            if top.remaining > 0 {
                return None;
            }
            let done = self.stack.pop()?;
            value = match (done.kind, done.items) {
                (AggKind::Array, Items::List(v)) => Frame::Array(v),
                (AggKind::Set, Items::List(v)) => Frame::Set(v),
                (AggKind::Push, Items::List(v)) => Frame::Push(v),
                (AggKind::Map, Items::Pairs(v, _)) => Frame::Map(v),
                // A finished attribute is not a value of its parent: the
                // value it annotates follows.
                _ => return None,
            };
        }
    }
}

// ---------------------------------------------------------------------------
// Stateless reply parsing
// ---------------------------------------------------------------------------

/// Parses one reply from the start of `buf` with default [`Limits`].
/// Returns the frame and the bytes it used, or `Ok(None)` if incomplete.
pub fn parse_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, ParseError> {
    parse_frame_with(buf, &Limits::default())
}

/// [`parse_frame`] with explicit limits. Payloads are copied out of `buf`;
/// [`Parser`] slices them instead.
pub fn parse_frame_with(buf: &[u8], limits: &Limits) -> Result<Option<(Frame, usize)>, ParseError> {
    // Validate first so the incomplete path allocates nothing.
    let Some(total) = scan_frame(buf, limits)? else {
        return Ok(None);
    };
    let mut builder = Builder::default();
    let mut pos = 0;
    while pos < total {
        let rest = buf.get(pos..total).unwrap_or_default();
        let Some((tok, n)) = parse_token(rest, limits)? else {
            break;
        };
        let base = pos;
        pos += n;
        let done = match tok {
            Tok::Agg(kind, len) => builder.open(kind, len, limits)?,
            tok => builder.push(scalar_frame(tok, &mut |s, e| {
                Bytes::copy_from_slice(buf.get(base + s..base + e).unwrap_or_default())
            })),
        };
        if let Some(frame) = done {
            return Ok(Some((frame, pos)));
        }
    }
    // Unreachable when scan_frame and the build agree; fail closed.
    Err(ParseError::InvalidLength)
}

/// The length of the whole frame at the start of `buf`, without allocating.
fn scan_frame(buf: &[u8], limits: &Limits) -> Result<Option<usize>, ParseError> {
    let max_depth = limits.max_depth.min(MAX_DEPTH_CAP);
    // Per open level: values still expected, and whether it is an attribute.
    let mut remaining = [0usize; MAX_DEPTH_CAP];
    let mut is_attr = [false; MAX_DEPTH_CAP];
    let mut depth = 0usize;
    let mut pos = 0usize;
    loop {
        let Some((tok, n)) = parse_token(buf.get(pos..).unwrap_or_default(), limits)? else {
            return Ok(None);
        };
        pos += n;
        let mut completed = match tok {
            Tok::Agg(kind, 0) => kind != AggKind::Attribute,
            Tok::Agg(kind, len) => {
                if depth >= max_depth {
                    return Err(ParseError::TooDeep);
                }
                let (Some(r), Some(a)) = (remaining.get_mut(depth), is_attr.get_mut(depth)) else {
                    return Err(ParseError::TooDeep);
                };
                *r = if kind.pairs() {
                    len.saturating_mul(2)
                } else {
                    len
                };
                *a = kind == AggKind::Attribute;
                depth += 1;
                false
            }
            _ => true,
        };
        while completed {
            if depth == 0 {
                return Ok(Some(pos));
            }
            let level = depth - 1;
            let Some(r) = remaining.get_mut(level) else {
                return Err(ParseError::TooDeep);
            };
            *r -= 1;
            if *r > 0 {
                break;
            }
            depth = level;
            completed = !is_attr.get(level).copied().unwrap_or(false);
        }
    }
}

// ---------------------------------------------------------------------------
// Streaming reply parser
// ---------------------------------------------------------------------------

/// A streaming reply parser that owns its read buffer.
///
/// Tokens are consumed as soon as they are complete, so a huge reply that
/// arrives over many reads is parsed once, not re-scanned on every read.
/// Bulk payloads are zero-copy slices of the read buffer.
#[derive(Default)]
pub struct Parser {
    buf: BytesMut,
    limits: Limits,
    builder: Builder,
}

impl Parser {
    /// A parser with default [`Limits`].
    pub fn new() -> Self {
        Parser::default()
    }

    /// A parser with explicit limits.
    pub fn with_limits(limits: Limits) -> Self {
        Parser {
            limits,
            ..Parser::default()
        }
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The read buffer, for reading from a socket straight into it.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes buffered but not yet consumed by a frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The bytes buffered and not yet consumed.
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Drops the first `n` buffered bytes (a reply read without frames).
    pub fn consume(&mut self, n: usize) {
        self.buf.advance(n.min(self.buf.len()));
    }

    /// The parser's limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// True when a frame is half built: the next bytes continue it.
    pub fn in_frame(&self) -> bool {
        !self.builder.stack.is_empty()
    }

    /// True when no input is buffered and no aggregate is half built.
    pub fn is_idle(&self) -> bool {
        self.buf.is_empty() && self.builder.stack.is_empty()
    }

    /// Drops all buffered input and partial state (after an error or a
    /// reconnect).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.builder.stack.clear();
    }

    /// The next complete frame, `Ok(None)` if more input is needed. After an
    /// `Err` the stream is out of sync; [`Parser::reset`] before reuse.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, ParseError> {
        loop {
            let Some((tok, n)) = parse_token(&self.buf, &self.limits)? else {
                return Ok(None);
            };
            let done = match tok {
                Tok::Agg(kind, len) => {
                    self.buf.advance(n);
                    self.builder.open(kind, len, &self.limits)?
                }
                Tok::Integer(_) | Tok::Null | Tok::NullArray | Tok::Double(_) | Tok::Boolean(_) => {
                    self.buf.advance(n);
                    self.builder
                        .push(scalar_frame(tok, &mut |_, _| Bytes::new()))
                }
                tok => {
                    // Split the payload straight off the buffer: one
                    // reference-count increment per payload instead of
                    // three (split, slice, drop), which shows in replies
                    // of thousands of short strings.
                    let buf = &mut self.buf;
                    let mut used = 0;
                    let frame = scalar_frame(tok, &mut |s, e| {
                        if used != 0 || s > e || e > n {
                            return Bytes::new();
                        }
                        buf.advance(s);
                        used = e;
                        buf.split_to(e - s).freeze()
                    });
                    self.buf.advance(n - used);
                    self.builder.push(frame)
                }
            };
            if done.is_some() {
                return Ok(done);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(buf: &[u8]) -> Result<Option<(Frame, usize)>, ParseError> {
        parse_frame(buf)
    }

    #[test]
    fn short_bulks_read_as_the_general_path_reads_them() {
        let limits = Limits::default();
        let mut rng = fastrand::Rng::with_seed(11);
        let mut fast = 0;
        for _ in 0..20_000 {
            let mut buf = b"$".to_vec();
            let alphabet = b"0123456789\r\n-x$";
            let n = rng.usize(0..16);
            if rng.bool() {
                let len = rng.usize(0..120);
                buf.extend_from_slice(len.to_string().as_bytes());
                buf.extend_from_slice(b"\r\n");
                buf.extend((0..len).map(|_| rng.u8(..)));
                buf.extend_from_slice(&b"\r\n"[..rng.usize(0..=2)]);
            }
            buf.extend((0..n).map(|_| alphabet[rng.usize(0..alphabet.len())]));
            if let Some(tok) = short_bulk(&buf, &limits) {
                fast += 1;
                match parse_line_token(&buf, &limits) {
                    Ok(Some(general)) => {
                        assert_eq!(format!("{tok:?}"), format!("{general:?}"), "{buf:?}")
                    }
                    other => panic!("{buf:?}: fast {tok:?}, general {other:?}"),
                }
            }
        }
        assert!(fast > 2_000, "{fast}");
    }

    fn frame(buf: &[u8]) -> Frame {
        match parse(buf) {
            Ok(Some((f, n))) if n == buf.len() => f,
            other => panic!("{buf:?} gave {other:?}"),
        }
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn scalar_types() {
        assert_eq!(frame(b"+OK\r\n"), Frame::ok());
        assert_eq!(frame(b"-ERR x\r\n"), Frame::error("ERR x"));
        assert_eq!(frame(b"!5\r\nERR x\r\n"), Frame::error("ERR x"));
        assert_eq!(
            frame(b":-9223372036854775808\r\n"),
            Frame::Integer(i64::MIN)
        );
        assert_eq!(frame(b":+7\r\n"), Frame::Integer(7));
        assert_eq!(frame(b"$5\r\na\r\nb!\r\n"), Frame::Bulk(b("a\r\nb!")));
        assert_eq!(frame(b"$-1\r\n"), Frame::Null);
        assert_eq!(frame(b"*-1\r\n"), Frame::NullArray);
        assert_eq!(frame(b"_\r\n"), Frame::Null);
        assert_eq!(frame(b"#t\r\n"), Frame::Boolean(true));
        assert_eq!(frame(b"#f\r\n"), Frame::Boolean(false));
        assert_eq!(
            frame(b"(-12345678901234567890\r\n"),
            Frame::BigNumber(b("-12345678901234567890"))
        );
        assert_eq!(
            frame(b"=8\r\nmkd:a\r\nb\r\n"),
            Frame::Verbatim(*b"mkd", b("a\r\nb"))
        );
        for (text, want) in [
            ("1.5", 1.5),
            ("-2", -2.0),
            ("1e3", 1000.0),
            ("1.5E-3", 0.0015),
            ("inf", f64::INFINITY),
            ("-inf", f64::NEG_INFINITY),
        ] {
            assert_eq!(
                frame(format!(",{text}\r\n").as_bytes()),
                Frame::Double(want),
                "{text}"
            );
        }
        assert!(matches!(frame(b",nan\r\n"), Frame::Double(d) if d.is_nan()));
    }

    #[test]
    fn aggregates_and_attributes() {
        assert_eq!(
            frame(b"*3\r\n:1\r\n*0\r\n%1\r\n+k\r\n~1\r\n#t\r\n"),
            Frame::Array(vec![
                Frame::Integer(1),
                Frame::Array(vec![]),
                Frame::Map(vec![(
                    Frame::Simple(b("k")),
                    Frame::Set(vec![Frame::Boolean(true)])
                )]),
            ])
        );
        assert_eq!(
            frame(b">2\r\n+a\r\n_\r\n"),
            Frame::Push(vec![Frame::Simple(b("a")), Frame::Null])
        );
        // Attributes vanish: at top level, inside aggregates, nested, empty.
        assert_eq!(frame(b"|1\r\n+ttl\r\n:3\r\n:5\r\n"), Frame::Integer(5));
        assert_eq!(frame(b"|0\r\n:5\r\n"), Frame::Integer(5));
        assert_eq!(
            frame(b"*2\r\n|1\r\n+a\r\n|1\r\n+b\r\n*1\r\n:0\r\n:9\r\n:1\r\n:2\r\n"),
            Frame::Array(vec![Frame::Integer(1), Frame::Integer(2)])
        );
        assert_eq!(parse(b"|1\r\n+a\r\n+b\r\n").unwrap(), None);
    }

    #[test]
    fn malformed_replies() {
        let cases: &[(&[u8], ParseError)] = &[
            (b"?\r\n", ParseError::UnknownType(b'?')),
            (b"\r\n", ParseError::UnknownType(b'\r')),
            (b"$-2\r\n", ParseError::InvalidLength),
            (b"$abc\r\n", ParseError::InvalidLength),
            (b"$\r\n", ParseError::InvalidLength),
            (b"$99999999999999999999\r\n", ParseError::InvalidLength),
            (b"*-2\r\n", ParseError::InvalidLength),
            (b"%-1\r\n", ParseError::InvalidLength),
            (b"!-1\r\n", ParseError::InvalidLength),
            (
                b"$1234567890123456789012345678901234567890",
                ParseError::InvalidLength,
            ),
            (b"$536870913\r\n", ParseError::BulkTooLong),
            (b"*1073741825\r\n", ParseError::AggregateTooLong),
            (b"$3\r\nabcd\r\n", ParseError::MissingCrlf),
            (b"$3\r\nab\r\n\r\n", ParseError::MissingCrlf),
            (b"+OK\rX", ParseError::MissingCrlf),
            (b":12a\r\n", ParseError::InvalidInteger),
            (b":\r\n", ParseError::InvalidInteger),
            (b":9223372036854775808\r\n", ParseError::InvalidInteger),
            (b",\r\n", ParseError::InvalidDouble),
            (b",1.5x\r\n", ParseError::InvalidDouble),
            (b"#x\r\n", ParseError::InvalidBoolean),
            (b"_x\r\n", ParseError::InvalidNull),
            (b"=2\r\nab\r\n", ParseError::InvalidVerbatim),
            (b"=4\r\nabcd\r\n", ParseError::InvalidVerbatim),
            (b"(\r\n", ParseError::InvalidInteger),
            (b"*2\r\n:1\r\n?\r\n", ParseError::UnknownType(b'?')),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input), Err(*want), "{input:?}");
            let mut p = Parser::new();
            p.feed(input);
            assert_eq!(p.next_frame(), Err(*want), "Parser {input:?}");
        }
    }

    #[test]
    fn incomplete_inputs() {
        for input in [
            &b""[..],
            b"+OK",
            b"+OK\r",
            b"$5\r\nab",
            b"$5\r\nabcde\r",
            b"*2\r\n:1\r\n",
            b"%1\r\n+k\r\n",
            b"$536870912\r\n",
            b"*1073741824\r\n",
        ] {
            assert_eq!(parse(input), Ok(None), "{input:?}");
        }
    }

    #[test]
    fn configured_limits() {
        let limits = Limits {
            max_bulk_len: 3,
            max_aggregate_len: 2,
            max_depth: 2,
        };
        assert!(parse_frame_with(b"$3\r\nabc\r\n", &limits)
            .unwrap()
            .is_some());
        assert_eq!(
            parse_frame_with(b"$4\r\n", &limits),
            Err(ParseError::BulkTooLong)
        );
        assert_eq!(
            parse_frame_with(b"=4\r\n", &limits),
            Err(ParseError::BulkTooLong)
        );
        assert_eq!(
            parse_frame_with(b"+abcd", &limits),
            Err(ParseError::LineTooLong)
        );
        assert_eq!(
            parse_frame_with(b"~3\r\n", &limits),
            Err(ParseError::AggregateTooLong)
        );
        assert!(parse_frame_with(b"*1\r\n*1\r\n:1\r\n", &limits)
            .unwrap()
            .is_some());
        assert_eq!(
            parse_frame_with(b"*1\r\n*1\r\n*1\r\n", &limits),
            Err(ParseError::TooDeep)
        );
        // Attributes count towards depth.
        assert_eq!(
            parse_frame_with(b"*1\r\n|1\r\n*1\r\n", &limits),
            Err(ParseError::TooDeep)
        );
    }

    #[test]
    fn nesting_limit_is_enforced_early() {
        let deep = |n: usize, tail: &[u8]| {
            let mut v = b"*1\r\n".repeat(n);
            v.extend_from_slice(tail);
            v
        };
        let ok = deep(DEFAULT_MAX_DEPTH, b":1\r\n");
        let (f, n) = parse(&ok).unwrap().unwrap();
        assert_eq!(n, ok.len());
        let mut p = Parser::new();
        p.feed(&ok);
        assert_eq!(p.next_frame().unwrap(), Some(f));
        // Too deep is an error even before the innermost value arrives.
        for tail in [&b":1\r\n"[..], b""] {
            let bad = deep(DEFAULT_MAX_DEPTH + 1, tail);
            assert_eq!(parse(&bad), Err(ParseError::TooDeep));
            let mut p = Parser::new();
            p.feed(&bad);
            assert_eq!(p.next_frame(), Err(ParseError::TooDeep));
        }
        // Depth limits above the cap act as the cap; nothing overflows.
        let huge = Limits {
            max_depth: usize::MAX,
            ..Limits::default()
        };
        let bad = deep(100_000, b":1\r\n");
        assert_eq!(parse_frame_with(&bad, &huge), Err(ParseError::TooDeep));
        let mut p = Parser::with_limits(huge);
        p.feed(&bad);
        assert_eq!(p.next_frame(), Err(ParseError::TooDeep));
    }

    #[test]
    fn parser_buffer_and_reset() {
        let mut p = Parser::new();
        p.feed(b"*2\r\n:1\r\n");
        assert_eq!(p.next_frame(), Ok(None));
        assert!(!p.is_idle());
        p.reset();
        assert!(p.is_idle());
        p.buffer_mut().extend_from_slice(b":2\r\n+x");
        assert_eq!(p.next_frame(), Ok(Some(Frame::Integer(2))));
        assert_eq!(p.buffered(), 2);
        // Repeated polling of an incomplete frame neither consumes nor grows.
        for _ in 0..100 {
            assert_eq!(p.next_frame(), Ok(None));
        }
        assert_eq!(p.buffered(), 2);
    }

    #[test]
    fn number_parsers() {
        assert_eq!(parse_int(b"0"), Some(0));
        assert_eq!(parse_int(b"-0"), Some(0));
        assert_eq!(parse_int(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b""[..],
            b"-",
            b"+",
            b"1-",
            b" 1",
            b"-9223372036854775809",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_int(bad), None, "{bad:?}");
        }
        assert_eq!(parse_double(b"3.0000000000000001e-05"), Some(3.0e-5));
        assert_eq!(parse_double(b"\xff"), None);
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            ParseError::InvalidBulkLength.message(),
            "ERR Protocol error: invalid bulk length"
        );
        assert_eq!(
            ParseError::ExpectedDollar(b'x').message(),
            "ERR Protocol error: expected '$', got 'x'"
        );
        assert_eq!(
            ParseError::ExpectedDollar(b'\n').to_string(),
            "ERR Protocol error: expected '$', got ' '"
        );
        assert_eq!(
            ParseError::TooDeep.to_frame(),
            Frame::error("ERR Protocol error: reply nested too deeply")
        );
    }
}
