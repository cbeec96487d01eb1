//! Server-side request parsing: Redis multibulk requests and inline
//! commands, judged with Redis 7.0's exact rules and protocol error texts
//! (`processMultibulkBuffer` / `processInlineBuffer` in `networking.c`).

use bytes::{Buf, Bytes, BytesMut};
use memchr::memchr;

use super::parser::{ParseError, DEFAULT_MAX_BULK_LEN, PREALLOC_CAP};
// Requests are judged exactly as Redis judges them: its `string2ll`.
use crate::num::parse_i64 as string2ll;

/// Redis's `PROTO_INLINE_MAX_SIZE`: the longest inline request, and the
/// longest count line Redis waits for before giving up.
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Redis's `PROTO_MBULK_BIG_ARG`. Request arguments at least this long are
/// sliced out of the read buffer; shorter ones are copied, so a small value
/// kept by the keyspace does not pin a whole read buffer in memory.
const BIG_ARG: usize = 32 * 1024;

/// Where [`CommandParser::peek`] found a request's arguments: `(start,
/// length)` in the buffered bytes.
pub type Spans = smallvec::SmallVec<[(usize, usize); 8]>;

/// Limits for parsing requests, mirroring Redis's server-side checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandLimits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: usize,
    /// Most arguments in one multibulk request (Redis: `INT_MAX`).
    pub max_multibulk_len: usize,
    /// Longest inline request / count line (Redis: 64 KiB).
    pub max_inline_len: usize,
    /// When the connection still has to `AUTH`, Redis refuses multibulk
    /// counts above 10 and bulk lengths above 16384.
    pub auth_required: bool,
}

impl Default for CommandLimits {
    fn default() -> Self {
        CommandLimits {
            max_bulk_len: DEFAULT_MAX_BULK_LEN,
            max_multibulk_len: i32::MAX as usize,
            max_inline_len: INLINE_MAX_SIZE,
            auth_required: false,
        }
    }
}

/// The `*` count line: `(count, bytes used)`. Like Redis, the line ends at
/// the first `\r` and the byte after it is skipped unchecked.
fn mbulk_header(buf: &[u8], limits: &CommandLimits) -> Result<Option<(i64, usize)>, ParseError> {
    let Some(cr) = memchr(b'\r', buf) else {
        if buf.len() > limits.max_inline_len {
            return Err(ParseError::TooBigMbulkCount);
        }
        return Ok(None);
    };
    if cr + 2 > buf.len() {
        return Ok(None);
    }
    let ll =
        string2ll(buf.get(1..cr).unwrap_or_default()).ok_or(ParseError::InvalidMultibulkLength)?;
    if ll > i64::from(i32::MAX) || (ll > 0 && ll as u64 > limits.max_multibulk_len as u64) {
        return Err(ParseError::InvalidMultibulkLength);
    }
    if ll > 10 && limits.auth_required {
        return Err(ParseError::UnauthenticatedMultibulkLength);
    }
    Ok(Some((ll, cr + 2)))
}

/// A `$` length line: `(length, bytes used)`.
fn bulk_header(buf: &[u8], limits: &CommandLimits) -> Result<Option<(usize, usize)>, ParseError> {
    let Some(cr) = memchr(b'\r', buf) else {
        if buf.len() > limits.max_inline_len {
            return Err(ParseError::TooBigBulkCount);
        }
        return Ok(None);
    };
    if cr + 2 > buf.len() {
        return Ok(None);
    }
    match buf.first() {
        Some(b'$') => {}
        Some(&b) => return Err(ParseError::ExpectedDollar(b)),
        None => return Ok(None),
    }
    let ll = string2ll(buf.get(1..cr).unwrap_or_default()).ok_or(ParseError::InvalidBulkLength)?;
    let len = usize::try_from(ll).map_err(|_| ParseError::InvalidBulkLength)?;
    if len > limits.max_bulk_len {
        return Err(ParseError::InvalidBulkLength);
    }
    if len > 16384 && limits.auth_required {
        return Err(ParseError::UnauthenticatedBulkLength);
    }
    Ok(Some((len, cr + 2)))
}

/// Bytes a bulk needs after its header: the payload and two trailing bytes,
/// which Redis skips without checking.
fn bulk_span(len: usize) -> usize {
    len.saturating_add(2)
}

/// One inline request: `(args, bytes used)`.
fn parse_inline(
    buf: &[u8],
    limits: &CommandLimits,
) -> Result<Option<(Vec<Bytes>, usize)>, ParseError> {
    let Some(nl) = memchr(b'\n', buf) else {
        if buf.len() > limits.max_inline_len {
            return Err(ParseError::TooBigInlineRequest);
        }
        return Ok(None);
    };
    let end = if nl > 0 && buf.get(nl - 1) == Some(&b'\r') {
        nl - 1
    } else {
        nl
    };
    let args = split_args(buf.get(..end).unwrap_or_default())?;
    Ok(Some((args, nl + 1)))
}

/// `isspace` in the C locale.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits an inline request the way Redis's `sdssplitargs` does: blanks
/// separate arguments; `"..."` takes `\n \r \t \b \a \xHH` and `\<any>`
/// escapes; `'...'` takes only `\'`; a closing quote must be followed by a
/// blank or the end. Redis works on a C string, so a NUL ends the line.
pub fn split_args(line: &[u8]) -> Result<Vec<Bytes>, ParseError> {
    let line = match memchr(0, line) {
        Some(i) => line.get(..i).unwrap_or_default(),
        None => line,
    };
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0usize;
    loop {
        while at(p) != 0 && is_space(at(p)) {
            p += 1;
        }
        if at(p) == 0 {
            return Ok(args);
        }
        let (mut in_dq, mut in_sq, mut done) = (false, false, false);
        let mut cur = Vec::new();
        while !done {
            let c = at(p);
            if in_dq {
                match (c, at(p + 1)) {
                    (b'\\', b'x')
                        if hex_val(at(p + 2)).is_some() && hex_val(at(p + 3)).is_some() =>
                    {
                        let hi = hex_val(at(p + 2)).unwrap_or(0);
                        let lo = hex_val(at(p + 3)).unwrap_or(0);
                        cur.push(hi * 16 + lo);
                        p += 3;
                    }
                    (b'\\', next) if next != 0 => {
                        p += 1;
                        cur.push(match next {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 0x08,
                            b'a' => 0x07,
                            other => other,
                        });
                    }
                    (b'"', next) => {
                        if next != 0 && !is_space(next) {
                            return Err(ParseError::UnbalancedQuotes);
                        }
                        done = true;
                    }
                    (0, _) => return Err(ParseError::UnbalancedQuotes),
                    _ => cur.push(c),
                }
            } else if in_sq {
                match (c, at(p + 1)) {
                    (b'\\', b'\'') => {
                        p += 1;
                        cur.push(b'\'');
                    }
                    (b'\'', next) => {
                        if next != 0 && !is_space(next) {
                            return Err(ParseError::UnbalancedQuotes);
                        }
                        done = true;
                    }
                    (0, _) => return Err(ParseError::UnbalancedQuotes),
                    _ => cur.push(c),
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    _ => cur.push(c),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        args.push(Bytes::from(cur));
    }
}

/// Parses one request (multibulk or inline) from the start of `buf` with
/// default [`CommandLimits`]: `Ok(Some((args, bytes used)))` when complete.
///
/// `args` is empty for requests Redis ignores (a blank line, `*0`, `*-1`):
/// consume the bytes and run nothing. Errors carry Redis's protocol error
/// text; reply with [`ParseError::to_frame`] and close the connection.
pub fn parse_command(buf: &[u8]) -> Result<Option<(Vec<Bytes>, usize)>, ParseError> {
    parse_command_with(buf, &CommandLimits::default())
}

/// [`parse_command`] with explicit limits. Stateless: a request with very
/// many arguments is re-scanned on every call until complete, which
/// [`CommandParser`] avoids.
pub fn parse_command_with(
    buf: &[u8],
    limits: &CommandLimits,
) -> Result<Option<(Vec<Bytes>, usize)>, ParseError> {
    match buf.first() {
        None => return Ok(None),
        Some(b'*') => {}
        Some(_) => return parse_inline(buf, limits),
    }
    let Some((count, start)) = mbulk_header(buf, limits)? else {
        return Ok(None);
    };
    if count <= 0 {
        return Ok(Some((Vec::new(), start)));
    }
    // Scan first so the incomplete path allocates nothing.
    let count = count as usize;
    let mut pos = start;
    for _ in 0..count {
        let Some((len, h)) = bulk_header(buf.get(pos..).unwrap_or_default(), limits)? else {
            return Ok(None);
        };
        let end = pos.saturating_add(h).saturating_add(bulk_span(len));
        if end > buf.len() {
            return Ok(None);
        }
        pos = end;
    }
    // Every argument is present, so `count` is bounded by the input size.
    let mut args = Vec::with_capacity(count);
    let mut pos = start;
    for _ in 0..count {
        let Some((len, h)) = bulk_header(buf.get(pos..).unwrap_or_default(), limits)? else {
            return Ok(None);
        };
        let data = pos + h;
        args.push(Bytes::copy_from_slice(
            buf.get(data..data + len).unwrap_or_default(),
        ));
        pos = data + bulk_span(len);
    }
    Ok(Some((args, pos)))
}

/// A streaming request parser that owns its read buffer, for servers.
///
/// Unlike [`parse_command`] it keeps the arguments of a half-received
/// multibulk between reads, and it skips requests Redis ignores, so every
/// command it returns has at least one argument.
#[derive(Default)]
pub struct CommandParser {
    buf: BytesMut,
    limits: CommandLimits,
    args: Vec<Bytes>,
    /// Arguments still expected by the multibulk in progress (0: none).
    remaining: usize,
}

impl CommandParser {
    /// A parser with default [`CommandLimits`].
    pub fn new() -> Self {
        CommandParser::default()
    }

    /// A parser with explicit limits.
    pub fn with_limits(limits: CommandLimits) -> Self {
        CommandParser {
            limits,
            ..CommandParser::default()
        }
    }

    /// The limits, for changes such as clearing `auth_required` after AUTH.
    pub fn limits_mut(&mut self) -> &mut CommandLimits {
        &mut self.limits
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The read buffer, for reading from a socket straight into it.
    pub fn buffer_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// Bytes buffered but not yet consumed.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The bytes buffered but not yet consumed.
    pub fn buffered_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Looks at the multibulk request complete at the head of the buffer
    /// without taking it: fills `spans` with where its arguments lie in
    /// [`CommandParser::buffered_bytes`] and returns its length, for
    /// [`CommandParser::consume`] once it has run. `None` when there is
    /// nothing such to look at: no complete request, a request begun in
    /// an earlier read, an inline or empty request, an argument of
    /// `BIG_ARG` bytes or more, or a protocol error.
    /// [`CommandParser::next_command`] handles all of those.
    pub fn peek(&self, spans: &mut Spans) -> Option<usize> {
        if self.remaining != 0 || self.buf.first() != Some(&b'*') {
            return None;
        }
        let (count, mut at) = mbulk_header(&self.buf, &self.limits).ok()??;
        if count <= 0 {
            return None;
        }
        spans.clear();
        for _ in 0..count {
            let rest = self.buf.get(at..)?;
            let (len, h) = bulk_header(rest, &self.limits).ok()??;
            if len >= BIG_ARG || rest.len() - h < bulk_span(len) {
                return None;
            }
            spans.push((at + h, len));
            at += h + len + 2;
        }
        Some(at)
    }

    /// Drops the first `n` buffered bytes (a request [`CommandParser::peek`]
    /// found, once it has run).
    pub fn consume(&mut self, n: usize) {
        self.buf.advance(n.min(self.buf.len()));
    }

    /// The read buffer's allocated size.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Bytes of the arguments of a half-received multibulk.
    pub fn partial_args_len(&self) -> usize {
        self.args.iter().map(Bytes::len).sum()
    }

    /// The next complete command (never empty), `Ok(None)` if more input is
    /// needed. After an `Err`, reply with it and close the connection.
    pub fn next_command(&mut self) -> Result<Option<Vec<Bytes>>, ParseError> {
        loop {
            if self.remaining == 0 {
                match self.buf.first() {
                    None => return Ok(None),
                    Some(b'*') => {}
                    Some(_) => match parse_inline(&self.buf, &self.limits)? {
                        None => return Ok(None),
                        Some((args, n)) => {
                            self.buf.advance(n);
                            if args.is_empty() {
                                continue;
                            }
                            return Ok(Some(args));
                        }
                    },
                }
                let Some((count, h)) = mbulk_header(&self.buf, &self.limits)? else {
                    return Ok(None);
                };
                self.buf.advance(h);
                if count <= 0 {
                    continue;
                }
                self.remaining = count as usize;
                self.args = Vec::with_capacity(self.remaining.min(PREALLOC_CAP));
            }
            while self.remaining > 0 {
                let Some((len, h)) = bulk_header(&self.buf, &self.limits)? else {
                    return Ok(None);
                };
                if self.buf.len() - h < bulk_span(len) {
                    return Ok(None);
                }
                let arg = if len >= BIG_ARG {
                    self.buf.advance(h);
                    let arg = self.buf.split_to(len).freeze();
                    self.buf.advance(2);
                    arg
                } else {
                    let arg = Bytes::copy_from_slice(self.buf.get(h..h + len).unwrap_or_default());
                    self.buf.advance(h + len + 2);
                    arg
                };
                self.args.push(arg);
                self.remaining -= 1;
            }
            return Ok(Some(std::mem::take(&mut self.args)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&[u8]]) -> Vec<Bytes> {
        v.iter().map(|a| Bytes::copy_from_slice(a)).collect()
    }

    fn one(buf: &[u8]) -> Result<Option<(Vec<Bytes>, usize)>, ParseError> {
        parse_command(buf)
    }

    fn err_text(buf: &[u8]) -> Vec<u8> {
        match parse_command(buf) {
            Err(e) => e.message_bytes(),
            other => panic!("expected an error for {buf:?}, got {other:?}"),
        }
    }

    #[test]
    fn peek_sees_whole_requests_in_place() {
        let mut p = CommandParser::new();
        let mut spans = Spans::new();
        let big = vec![b'v'; BIG_ARG];
        let mut input =
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$0\r\n\r\n$2\r\nab\r\n".to_vec();
        input.extend_from_slice(format!("*2\r\n$4\r\nECHO\r\n${}\r\n", big.len()).as_bytes());
        input.extend_from_slice(&big);
        input.extend_from_slice(b"\r\nPING\r\n*1\r\n$4\r\nPI");
        p.feed(&input);
        let mut seen = Vec::new();
        while let Some(used) = p.peek(&mut spans) {
            let buf = p.buffered_bytes();
            seen.push(
                spans
                    .iter()
                    .map(|&(at, len)| buf[at..at + len].to_vec())
                    .collect::<Vec<_>>(),
            );
            p.consume(used);
        }
        assert_eq!(
            seen,
            vec![
                vec![b"GET".to_vec(), b"k".to_vec()],
                vec![b"SET".to_vec(), b"".to_vec(), b"ab".to_vec()],
            ]
        );
        // A big argument, an inline request and a partial one are left
        // to next_command.
        assert_eq!(next(&mut p).map(|a| a.len()), Some(2));
        assert!(p.peek(&mut spans).is_none());
        assert_eq!(next(&mut p), Some(vec![Bytes::from_static(b"PING")]));
        assert!(p.peek(&mut spans).is_none());
        assert_eq!(next(&mut p), None);
        p.feed(b"NG\r\n");
        // Begun by next_command: it finishes it.
        assert!(p.peek(&mut spans).is_none());
        assert_eq!(next(&mut p), Some(vec![Bytes::from_static(b"PING")]));
    }

    fn next(p: &mut CommandParser) -> Option<Vec<Bytes>> {
        p.next_command().ok().flatten()
    }

    /// All commands a `CommandParser` yields when `input` arrives in pieces
    /// of `chunk` bytes.
    fn stream(input: &[u8], chunk: usize) -> Result<Vec<Vec<Bytes>>, ParseError> {
        let mut p = CommandParser::new();
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            p.feed(piece);
            while let Some(cmd) = p.next_command()? {
                out.push(cmd);
            }
        }
        Ok(out)
    }

    #[test]
    fn multibulk_basic_and_pipelined() {
        let buf = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nhello\r\n*1\r\n$4\r\nPING\r\n";
        let (cmd, n) = one(buf).unwrap().unwrap();
        assert_eq!(cmd, args(&[b"SET", b"a", b"hello"]));
        assert_eq!(n, 31);
        assert_eq!(one(&buf[n..]).unwrap().unwrap(), (args(&[b"PING"]), 14));
        // Every proper prefix is incomplete, not an error.
        for i in 0..n {
            assert_eq!(one(&buf[..i]).unwrap(), None, "prefix {i}");
        }
    }

    #[test]
    fn redis_quirks_are_kept() {
        // The two bytes after a payload, and the byte after a count's `\r`,
        // are skipped unchecked, as Redis does.
        assert_eq!(
            one(b"*1\r\n$4\r\nPINGxx").unwrap().unwrap(),
            (args(&[b"PING"]), 14)
        );
        assert_eq!(
            one(b"*1\rX$4\r\nPING\r\n").unwrap().unwrap(),
            (args(&[b"PING"]), 14)
        );
        // Counts <= 0 are requests with no arguments.
        assert_eq!(one(b"*0\r\n").unwrap().unwrap(), (vec![], 4));
        assert_eq!(one(b"*-1\r\n").unwrap().unwrap(), (vec![], 5));
        // Binary-safe arguments, including CRLF and NUL.
        let (cmd, _) = one(b"*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\0x\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(cmd[1].as_ref(), b"\r\n\0x");
    }

    #[test]
    fn request_errors_use_redis_texts() {
        let cases: &[(&[u8], &str)] = &[
            (b"*abc\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*01\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*-0\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*+1\r\n", "ERR Protocol error: invalid multibulk length"),
            (
                b"*2147483648\r\n",
                "ERR Protocol error: invalid multibulk length",
            ),
            (
                b"*99999999999999999999\r\n",
                "ERR Protocol error: invalid multibulk length",
            ),
            (b"*\r\n", "ERR Protocol error: invalid multibulk length"),
            (b"*3\r\nx\r\n", "ERR Protocol error: expected '$', got 'x'"),
            (b"*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '"),
            (b"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"),
            (
                b"*1\r\n$04\r\nPING\r\n",
                "ERR Protocol error: invalid bulk length",
            ),
            (b"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"),
            (
                b"*1\r\n$536870913\r\n",
                "ERR Protocol error: invalid bulk length",
            ),
            (
                b"*2\r\n$1\r\na\r\n:1\r\n",
                "ERR Protocol error: expected '$', got ':'",
            ),
            (
                b"ECHO \"abc\r\n",
                "ERR Protocol error: unbalanced quotes in request",
            ),
            (
                b"ECHO \"a\"b\r\n",
                "ERR Protocol error: unbalanced quotes in request",
            ),
            (
                b"ECHO 'a\r\n",
                "ERR Protocol error: unbalanced quotes in request",
            ),
            (
                b"ECHO 'a'b\r\n",
                "ERR Protocol error: unbalanced quotes in request",
            ),
        ];
        for (input, text) in cases {
            assert_eq!(
                String::from_utf8_lossy(&err_text(input)),
                *text,
                "input {input:?}"
            );
            assert_eq!(
                stream(input, 1).unwrap_err().message(),
                *text,
                "stream {input:?}"
            );
        }
        // The offending byte is reported raw; `message()` is the lossy view.
        let e = one(b"*1\r\n\xff\r\n").unwrap_err();
        assert_eq!(
            e.message_bytes(),
            b"ERR Protocol error: expected '$', got '\xff'"
        );
        assert_eq!(e.to_frame().error_text(), Some(&e.message_bytes()[..]));
        // Exactly proto-max-bulk-len is allowed (and incomplete here).
        assert_eq!(one(b"*1\r\n$536870912\r\nab").unwrap(), None);
        assert_eq!(one(b"*2147483647\r\n$4\r\nPING\r\n").unwrap(), None);
    }

    #[test]
    fn size_limits_on_unterminated_lines() {
        let mut inline = vec![b'A'; INLINE_MAX_SIZE];
        assert_eq!(one(&inline).unwrap(), None);
        inline.push(b'A');
        assert_eq!(one(&inline).unwrap_err(), ParseError::TooBigInlineRequest);
        let mut count = b"*".to_vec();
        count.resize(INLINE_MAX_SIZE + 1, b'1');
        assert_eq!(
            one(&count).unwrap_err().message(),
            "ERR Protocol error: too big mbulk count string"
        );
        let mut bulk = b"*1\r\n$".to_vec();
        bulk.resize(INLINE_MAX_SIZE + 4, b'1');
        assert_eq!(one(&bulk).unwrap(), None);
        bulk.push(b'1');
        assert_eq!(
            one(&bulk).unwrap_err().message(),
            "ERR Protocol error: too big bulk count string"
        );
        // A long inline request is fine once its newline is there.
        let mut long = b"ECHO ".to_vec();
        long.resize(100_000, b'x');
        long.extend_from_slice(b"\r\n");
        assert_eq!(one(&long).unwrap().unwrap().0[1].len(), 100_000 - 5);
    }

    #[test]
    fn configured_limits() {
        let limits = CommandLimits {
            max_bulk_len: 3,
            max_multibulk_len: 2,
            auth_required: false,
            ..CommandLimits::default()
        };
        assert!(parse_command_with(b"*1\r\n$3\r\nabc\r\n", &limits)
            .unwrap()
            .is_some());
        assert_eq!(
            parse_command_with(b"*1\r\n$4\r\n", &limits).unwrap_err(),
            ParseError::InvalidBulkLength
        );
        assert_eq!(
            parse_command_with(b"*3\r\n", &limits).unwrap_err(),
            ParseError::InvalidMultibulkLength
        );
        let auth = CommandLimits {
            auth_required: true,
            ..CommandLimits::default()
        };
        assert!(parse_command_with(b"*10\r\n", &auth).unwrap().is_none());
        assert_eq!(
            parse_command_with(b"*11\r\n", &auth).unwrap_err().message(),
            "ERR Protocol error: unauthenticated multibulk length"
        );
        assert_eq!(
            parse_command_with(b"*1\r\n$16385\r\n", &auth)
                .unwrap_err()
                .message(),
            "ERR Protocol error: unauthenticated bulk length"
        );
        let mut p = CommandParser::with_limits(auth);
        p.limits_mut().auth_required = false;
        p.feed(b"*11\r\n");
        assert_eq!(p.next_command().unwrap(), None);
    }

    #[test]
    fn inline_commands() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"PING\r\n", &[b"PING"]),
            (b"PING\n", &[b"PING"]),
            (b"  SET   a  b \r\n", &[b"SET", b"a", b"b"]),
            (
                b"SET a \"hello world\"\r\n",
                &[b"SET", b"a", b"hello world"],
            ),
            (b"ECHO \"\\x41\\x4g\\n\\q\"\r\n", &[b"ECHO", b"Ax4g\nq"]),
            (
                b"ECHO \"\\r\\t\\b\\a\\\\\\\"\"\n",
                &[b"ECHO", b"\r\t\x08\x07\\\""],
            ),
            (b"ECHO \"\\xfF\"\n", &[b"ECHO", b"\xff"]),
            (b"ECHO 'it\\'s' '\\n'\r\n", &[b"ECHO", b"it's", b"\\n"]),
            (b"ECHO \"\" ''\r\n", &[b"ECHO", b"", b""]),
            (b"ECHO a\"b c\"\r\n", &[b"ECHO", b"ab c"]),
            (b"ECHO a\x0bb\r\n", &[b"ECHO", b"a\x0bb"]),
            (b"ECHO \x0b a\r\n", &[b"ECHO", b"a"]),
            (b"ECHO \"x\"\x0b\r\n", &[b"ECHO", b"x"]),
            (b"ECHO \xff\xfe\r\n", &[b"ECHO", b"\xff\xfe"]),
        ];
        for (input, want) in cases {
            let (got, n) = one(input).unwrap().unwrap();
            assert_eq!(got, args(want), "input {input:?}");
            assert_eq!(n, input.len());
        }
        // Blank lines are empty requests.
        assert_eq!(one(b"\r\n").unwrap().unwrap(), (vec![], 2));
        assert_eq!(one(b" \t \n").unwrap().unwrap(), (vec![], 4));
        assert_eq!(one(b"PING").unwrap(), None);
    }

    #[test]
    fn split_args_direct() {
        assert_eq!(split_args(b"").unwrap(), Vec::<Bytes>::new());
        assert_eq!(split_args(b"a b").unwrap(), args(&[b"a", b"b"]));
        // Redis reads a C string: a NUL ends the line.
        assert_eq!(split_args(b"a\0b").unwrap(), args(&[b"a"]));
        assert_eq!(
            split_args(b"\"a\0\"").unwrap_err(),
            ParseError::UnbalancedQuotes
        );
        assert_eq!(
            split_args(b"\"a\\").unwrap_err(),
            ParseError::UnbalancedQuotes
        );
    }

    #[test]
    fn streaming_matches_stateless_at_every_split() {
        let input: &[u8] =
            b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$5\r\nhello\r\n\r\n*0\r\nGET a\r\n*-1\r\n\
            *2\r\n$4\r\nECHO\r\n$0\r\n\r\nECHO 'x y' \"\\x41\"\n*1\r\n$4\r\nPINGxx";
        let mut want = Vec::new();
        let mut pos = 0;
        while let Some((cmd, n)) = one(&input[pos..]).unwrap() {
            if !cmd.is_empty() {
                want.push(cmd);
            }
            pos += n;
        }
        assert_eq!(pos, input.len());
        assert_eq!(want.len(), 5);
        for chunk in [1, 2, 3, 5, 7, 64] {
            assert_eq!(stream(input, chunk).unwrap(), want, "chunk {chunk}");
        }
        for split in 0..=input.len() {
            let mut p = CommandParser::new();
            let mut got = Vec::new();
            for piece in [&input[..split], &input[split..]] {
                p.feed(piece);
                while let Some(cmd) = p.next_command().unwrap() {
                    got.push(cmd);
                }
            }
            assert_eq!(got, want, "split at {split}");
            assert_eq!(p.buffered(), 0);
        }
    }

    #[test]
    fn big_arguments_are_sliced_and_intact() {
        let big = vec![b'z'; BIG_ARG + 10];
        let mut input = Vec::new();
        for a in [&b"SET"[..], b"k", &big] {
            input.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            input.extend_from_slice(a);
            input.extend_from_slice(b"\r\n");
        }
        input.splice(0..0, b"*3\r\n".iter().copied());
        let cmds = stream(&input, 4096).unwrap();
        assert_eq!(
            cmds,
            vec![vec![
                Bytes::from_static(b"SET"),
                Bytes::from_static(b"k"),
                Bytes::from(big)
            ]]
        );
    }

    #[test]
    fn string2ll_matches_redis() {
        assert_eq!(string2ll(b"0"), Some(0));
        assert_eq!(string2ll(b"-1"), Some(-1));
        assert_eq!(string2ll(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(string2ll(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"-",
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-9223372036854775809",
        ] {
            assert_eq!(string2ll(bad), None, "{bad:?}");
        }
    }
}
