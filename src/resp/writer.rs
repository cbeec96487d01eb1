//! Serializing frames and requests.
//!
//! The RESP2 downgrade of RESP3 types lives here and only here: handlers
//! build RESP3-shaped frames and [`write_frame`] decides what a RESP2 peer
//! sees (maps flatten to arrays, doubles become bulk strings, and so on).

use std::fmt::Write as _;
use std::ops::Deref;

use super::frame::Frame;

const CRLF: &[u8] = b"\r\n";

/// Appends `frame` as a peer speaking RESP3 (`resp3`) or RESP2 expects it.
///
/// Nested aggregates are written with an explicit work stack, so depth
/// costs heap, not call stack.
pub fn write_frame(out: &mut Vec<u8>, frame: &Frame, resp3: bool) {
    let mut pending: Vec<&Frame> = Vec::new();
    write_node(out, frame, resp3, &mut pending);
    while let Some(next) = pending.pop() {
        write_node(out, next, resp3, &mut pending);
    }
}

/// A frame serialized into a fresh buffer.
pub fn frame_to_bytes(frame: &Frame, resp3: bool) -> Vec<u8> {
    let mut out = Vec::new();
    write_frame(&mut out, frame, resp3);
    out
}

/// Appends a request as a multibulk of bulk strings (`*N\r\n$len\r\n...`).
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    let payload: usize = args.iter().map(|a| a.as_ref().len() + 16).sum();
    out.reserve(payload + 16);
    write_header(out, b'*', args.len());
    for arg in args {
        write_bulk(out, arg.as_ref());
    }
}

/// Appends `$len\r\ndata\r\n`.
pub fn write_bulk(out: &mut Vec<u8>, data: &[u8]) {
    write_header(out, b'$', data.len());
    out.extend_from_slice(data);
    out.extend_from_slice(CRLF);
}

/// Appends `:n\r\n`.
pub fn write_integer(out: &mut Vec<u8>, n: i64) {
    out.push(b':');
    write_i64(out, n);
    out.extend_from_slice(CRLF);
}

/// Appends an aggregate or bulk header such as `*3\r\n` or `$5\r\n`.
pub fn write_header(out: &mut Vec<u8>, prefix: u8, len: usize) {
    // Most lengths have one or two digits: one append each.
    if len < 10 {
        out.extend_from_slice(&[prefix, b'0' + len as u8, b'\r', b'\n']);
        return;
    }
    if len < 100 {
        let (tens, ones) = (len / 10, len % 10);
        out.extend_from_slice(&[prefix, b'0' + tens as u8, b'0' + ones as u8, b'\r', b'\n']);
        return;
    }
    out.push(prefix);
    write_u64(out, len as u64);
    out.extend_from_slice(CRLF);
}

/// Appends the decimal digits of `n`, without going through `fmt`.
pub fn write_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    write_u64(out, n.unsigned_abs());
}

/// Appends the decimal digits of `n`, without going through `fmt`.
pub fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    // u64::MAX has 20 digits.
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

fn is_aggregate(frame: &Frame) -> bool {
    matches!(
        frame,
        Frame::Array(_) | Frame::Map(_) | Frame::Set(_) | Frame::Push(_)
    )
}

/// Writes one frame's header (or the whole frame, for scalars), leaving
/// nested children on `pending` in reverse order.
fn write_node<'a>(out: &mut Vec<u8>, frame: &'a Frame, resp3: bool, pending: &mut Vec<&'a Frame>) {
    match frame {
        Frame::Simple(s) => write_line(out, b'+', s),
        Frame::Error(e) => write_line(out, b'-', e),
        Frame::Integer(n) => write_integer(out, *n),
        Frame::Bulk(b) => write_bulk(out, b),
        Frame::Encoded(raw) => out.extend_from_slice(raw),
        Frame::Null => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"$-1\r\n" }),
        Frame::NullArray => out.extend_from_slice(if resp3 { b"_\r\n" } else { b"*-1\r\n" }),
        Frame::Array(items) => write_list(out, b'*', items, resp3, pending),
        Frame::Set(items) => {
            write_list(out, if resp3 { b'~' } else { b'*' }, items, resp3, pending)
        }
        Frame::Push(items) => {
            write_list(out, if resp3 { b'>' } else { b'*' }, items, resp3, pending)
        }
        Frame::Map(pairs) => {
            if resp3 {
                write_header(out, b'%', pairs.len());
            } else {
                write_header(out, b'*', pairs.len().saturating_mul(2));
            }
            if pairs
                .iter()
                .any(|(k, v)| is_aggregate(k) || is_aggregate(v))
            {
                for (k, v) in pairs.iter().rev() {
                    pending.push(v);
                    pending.push(k);
                }
            } else {
                for (k, v) in pairs {
                    write_node(out, k, resp3, pending);
                    write_node(out, v, resp3, pending);
                }
            }
        }
        Frame::Double(d) => {
            let text = double_text(*d);
            if resp3 {
                out.push(b',');
                out.extend_from_slice(&text);
                out.extend_from_slice(CRLF);
            } else {
                write_bulk(out, &text);
            }
        }
        Frame::Boolean(b) => out.extend_from_slice(match (resp3, *b) {
            (true, true) => b"#t\r\n",
            (true, false) => b"#f\r\n",
            (false, true) => b":1\r\n",
            (false, false) => b":0\r\n",
        }),
        Frame::BigNumber(n) => {
            if resp3 {
                write_line(out, b'(', n);
            } else {
                write_bulk(out, n);
            }
        }
        Frame::Verbatim(format, text) => {
            if resp3 {
                write_header(out, b'=', text.len() + 4);
                out.extend_from_slice(format);
                out.push(b':');
                out.extend_from_slice(text);
                out.extend_from_slice(CRLF);
            } else {
                write_bulk(out, text);
            }
        }
    }
}

fn write_list<'a>(
    out: &mut Vec<u8>,
    prefix: u8,
    items: &'a [Frame],
    resp3: bool,
    pending: &mut Vec<&'a Frame>,
) {
    write_header(out, prefix, items.len());
    if items.iter().any(is_aggregate) {
        pending.extend(items.iter().rev());
    } else {
        // Scalars never touch `pending`, so they can be written in place.
        for item in items {
            write_node(out, item, resp3, pending);
        }
    }
}

/// A status, error or big-number line. CR and LF would end the line early
/// and desynchronize the peer, so they become spaces (as Redis does for
/// error texts).
fn write_line(out: &mut Vec<u8>, prefix: u8, text: &[u8]) {
    out.push(prefix);
    if memchr::memchr2(b'\r', b'\n', text).is_some() {
        out.extend(
            text.iter()
                .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
        );
    } else {
        out.extend_from_slice(text);
    }
    out.extend_from_slice(CRLF);
}

// ---------------------------------------------------------------------------
// Doubles
// ---------------------------------------------------------------------------

/// The `%.17g` text of a double, kept on the stack.
#[derive(Clone, Copy, Debug)]
pub struct DoubleText {
    buf: [u8; 32],
    len: usize,
}

impl DoubleText {
    /// The text as bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// The text as `&str` (always ASCII).
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    fn push(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }
}

impl Deref for DoubleText {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::fmt::Write for DoubleText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let dst = self
            .buf
            .get_mut(self.len..self.len + s.len())
            .ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len += s.len();
        Ok(())
    }
}

/// Appends `x` formatted exactly as Redis 7.0 does with C's `%.17g`
/// (`1.5`, `0.10000000000000001`, `1e+20`, `inf`, `-inf`, `nan`).
pub fn format_double(x: f64, out: &mut Vec<u8>) {
    out.extend_from_slice(&double_text(x));
}

/// `x` formatted as C's `%.17g`, except that every NaN prints as `nan`.
pub fn double_text(x: f64) -> DoubleText {
    let mut text = DoubleText {
        buf: [0; 32],
        len: 0,
    };
    if x.is_nan() {
        text.push(b"nan");
        return text;
    }
    if x.is_infinite() {
        text.push(if x > 0.0 { b"inf" } else { b"-inf" });
        return text;
    }
    // `{:.16e}` gives the correctly rounded 17 significant digits (ties to
    // even, like glibc), which are exactly the digits `%.17g` prints; only
    // the layout differs.
    let mut sci = DoubleText {
        buf: [0; 32],
        len: 0,
    };
    let _ = write!(sci, "{:.16e}", x);
    let sci = sci.as_bytes();
    let (neg, sci) = match sci.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, sci),
    };
    let e_pos = sci.iter().position(|&c| c == b'e').unwrap_or(sci.len());
    let (mantissa, exp_text) = sci.split_at(e_pos);
    let mut exp: i32 = 0;
    let mut exp_neg = false;
    for &c in exp_text.iter().skip(1) {
        match c {
            b'-' => exp_neg = true,
            b'0'..=b'9' => exp = exp * 10 + i32::from(c - b'0'),
            _ => {}
        }
    }
    if exp_neg {
        exp = -exp;
    }
    let mut digits = [b'0'; 17];
    for (slot, &c) in digits
        .iter_mut()
        .zip(mantissa.iter().filter(|c| c.is_ascii_digit()))
    {
        *slot = c;
    }
    // %g drops trailing zeros of the fraction.
    let mut sig = digits.len();
    while sig > 1 && digits.get(sig - 1) == Some(&b'0') {
        sig -= 1;
    }
    let sig_digits = digits.get(..sig).unwrap_or_default();
    if neg {
        text.push(b"-");
    }
    if !(-4..17).contains(&exp) {
        text.push(sig_digits.get(..1).unwrap_or_default());
        if sig > 1 {
            text.push(b".");
            text.push(sig_digits.get(1..).unwrap_or_default());
        }
        text.push(if exp < 0 { b"e-" } else { b"e+" });
        // At least two exponent digits; doubles never need more than three.
        let mag = exp.unsigned_abs().min(999);
        if mag >= 100 {
            text.push(&[b'0' + (mag / 100) as u8]);
        }
        text.push(&[b'0' + (mag / 10 % 10) as u8, b'0' + (mag % 10) as u8]);
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        text.push(digits.get(..int_len).unwrap_or_default());
        if sig > int_len {
            text.push(b".");
            text.push(sig_digits.get(int_len..).unwrap_or_default());
        }
    } else {
        text.push(b"0.");
        for _ in 0..(-exp - 1) {
            text.push(b"0");
        }
        text.push(sig_digits);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    fn both(f: &Frame) -> (String, String) {
        let s = |resp3| String::from_utf8_lossy(&frame_to_bytes(f, resp3)).into_owned();
        (s(false), s(true))
    }

    #[test]
    fn scalars_resp2_and_resp3() {
        let cases: Vec<(Frame, &str, &str)> = vec![
            (Frame::ok(), "+OK\r\n", "+OK\r\n"),
            (Frame::error("ERR bad"), "-ERR bad\r\n", "-ERR bad\r\n"),
            (Frame::Integer(-42), ":-42\r\n", ":-42\r\n"),
            (
                Frame::Integer(i64::MIN),
                ":-9223372036854775808\r\n",
                ":-9223372036854775808\r\n",
            ),
            (Frame::Integer(0), ":0\r\n", ":0\r\n"),
            (Frame::Bulk(b("foo")), "$3\r\nfoo\r\n", "$3\r\nfoo\r\n"),
            (Frame::Bulk(Bytes::new()), "$0\r\n\r\n", "$0\r\n\r\n"),
            (Frame::Null, "$-1\r\n", "_\r\n"),
            (Frame::NullArray, "*-1\r\n", "_\r\n"),
            (Frame::Double(1.5), "$3\r\n1.5\r\n", ",1.5\r\n"),
            (
                Frame::Double(0.1),
                "$19\r\n0.10000000000000001\r\n",
                ",0.10000000000000001\r\n",
            ),
            (
                Frame::Double(f64::NEG_INFINITY),
                "$4\r\n-inf\r\n",
                ",-inf\r\n",
            ),
            (Frame::Boolean(true), ":1\r\n", "#t\r\n"),
            (Frame::Boolean(false), ":0\r\n", "#f\r\n"),
            (
                Frame::BigNumber(b("-123456789012345678901234567890")),
                "$31\r\n-123456789012345678901234567890\r\n",
                "(-123456789012345678901234567890\r\n",
            ),
            (
                Frame::Verbatim(*b"txt", b("hi\r\nthere")),
                "$9\r\nhi\r\nthere\r\n",
                "=13\r\ntxt:hi\r\nthere\r\n",
            ),
        ];
        for (frame, r2, r3) in cases {
            assert_eq!(both(&frame), (r2.to_string(), r3.to_string()), "{frame:?}");
        }
    }

    #[test]
    fn aggregates_resp2_downgrade() {
        let map = Frame::Map(vec![
            (Frame::Bulk(b("a")), Frame::Integer(1)),
            (Frame::Bulk(b("b")), Frame::Double(2.0)),
        ]);
        assert_eq!(
            both(&map),
            (
                "*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n$1\r\n2\r\n".into(),
                "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n,2\r\n".into()
            )
        );
        let set = Frame::Set(vec![Frame::Bulk(b("x")), Frame::Boolean(true)]);
        assert_eq!(
            both(&set),
            (
                "*2\r\n$1\r\nx\r\n:1\r\n".into(),
                "~2\r\n$1\r\nx\r\n#t\r\n".into()
            )
        );
        let push = Frame::Push(vec![Frame::Bulk(b("message")), Frame::Null]);
        assert_eq!(
            both(&push),
            (
                "*2\r\n$7\r\nmessage\r\n$-1\r\n".into(),
                ">2\r\n$7\r\nmessage\r\n_\r\n".into()
            )
        );
        assert_eq!(
            both(&Frame::Array(vec![])),
            ("*0\r\n".into(), "*0\r\n".into())
        );
        assert_eq!(
            both(&Frame::Map(vec![])),
            ("*0\r\n".into(), "%0\r\n".into())
        );
        // Nested aggregates keep their order through the work stack.
        let nested = Frame::Array(vec![
            Frame::Integer(1),
            Frame::Map(vec![(
                Frame::Array(vec![Frame::Integer(2)]),
                Frame::Set(vec![Frame::Integer(3)]),
            )]),
            Frame::Array(vec![Frame::Array(vec![]), Frame::Integer(4)]),
            Frame::Integer(5),
        ]);
        assert_eq!(
            both(&nested),
            (
                "*4\r\n:1\r\n*2\r\n*1\r\n:2\r\n*1\r\n:3\r\n*2\r\n*0\r\n:4\r\n:5\r\n".into(),
                "*4\r\n:1\r\n%1\r\n*1\r\n:2\r\n~1\r\n:3\r\n*2\r\n*0\r\n:4\r\n:5\r\n".into()
            )
        );
    }

    #[test]
    fn status_lines_cannot_break_framing() {
        assert_eq!(both(&Frame::error("ERR a\r\nb")).0, "-ERR a  b\r\n");
        assert_eq!(both(&Frame::Simple(b("x\ny"))).1, "+x y\r\n");
    }

    #[test]
    fn deep_frames_do_not_recurse() {
        let mut f = Frame::Integer(7);
        for _ in 0..1000 {
            f = Frame::Array(vec![f]);
        }
        let out = frame_to_bytes(&f, true);
        assert_eq!(out.len(), 1000 * 4 + 4);
        assert!(out.ends_with(b"*1\r\n:7\r\n"));
    }

    #[test]
    fn encode_command_multibulk() {
        let mut out = Vec::new();
        encode_command(&mut out, &[&b"SET"[..], b"k", b""]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        out.clear();
        encode_command(&mut out, &[Bytes::from_static(b"PING")]);
        assert_eq!(out, b"*1\r\n$4\r\nPING\r\n");
        out.clear();
        encode_command::<&[u8]>(&mut out, &[]);
        assert_eq!(out, b"*0\r\n");
    }

    #[test]
    fn integers() {
        for (n, s) in [
            (0i64, "0"),
            (9, "9"),
            (10, "10"),
            (-1, "-1"),
            (i64::MAX, "9223372036854775807"),
            (i64::MIN, "-9223372036854775808"),
        ] {
            let mut out = Vec::new();
            write_i64(&mut out, n);
            assert_eq!(out, s.as_bytes());
        }
        let mut out = Vec::new();
        write_u64(&mut out, u64::MAX);
        assert_eq!(out, b"18446744073709551615");
    }

    /// Expected strings come from glibc's `printf("%.17g")`.
    #[test]
    fn doubles_match_printf_17g() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (0.3, "0.29999999999999999"),
            (2.0 / 3.0, "0.66666666666666663"),
            (100.0, "100"),
            (123.456, "123.456"),
            (1e15, "1000000000000000"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (12345678901234567.0, "12345678901234568"),
            (99999999999999999.0, "1e+17"),
            (1e20, "1e+20"),
            (1e100, "1e+100"),
            (1e-4, "0.0001"),
            (1.5e-4, "0.00014999999999999999"),
            (1e-5, "1.0000000000000001e-05"),
            (3.0e-5, "3.0000000000000001e-05"),
            (1e-100, "1e-100"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::EPSILON, "2.2204460492503131e-16"),
            (-1234.5e-10, "-1.2345000000000001e-07"),
            // Exact ties at the 18th digit round to even, as glibc does.
            (4_000_000_000_000_001.0 / 4.0, "1000000000000000.2"),
            (4_000_000_000_000_003.0 / 4.0, "1000000000000000.8"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (-f64::NAN, "nan"),
        ];
        for &(x, want) in cases {
            let mut out = Vec::new();
            format_double(x, &mut out);
            assert_eq!(String::from_utf8_lossy(&out), want, "{x:e}");
            assert_eq!(double_text(x).as_str(), want);
        }
    }
}
