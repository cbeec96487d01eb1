//! Redis's number rules, byte for byte.
//!
//! Clients observe these rules directly (which arguments are errors, what
//! INCRBYFLOAT prints), so each function follows Redis 7.0's behaviour rather
//! than Rust's conventions: strict integers, `strtod`-style doubles and an
//! emulated x87 `long double` for the float increment commands.

mod bigint;
mod longdouble;
#[cfg(test)]
mod tests;

pub use longdouble::LongDouble;

use longdouble::{round_decimal, round_hex, scan, Digits, Rounded, Scanned, BINARY64};

/// Redis refuses integer strings this long or longer (`LONG_STR_SIZE`),
/// before looking at the digits.
const LONG_STR_SIZE: usize = 21;

/// Parses a 64-bit integer with Redis's strict `string2ll` rules: optional
/// `-`, no `+`, no whitespace, no leading zeros (so `-0` and `007` are
/// rejected, `0` is accepted), and no overflow.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= LONG_STR_SIZE {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if neg {
        // -(2^63) is the one magnitude that only fits when negative.
        0i64.checked_sub_unsigned(v)
    } else {
        i64::try_from(v).ok()
    }
}

/// An `i64` rendered in decimal, held on the stack.
#[derive(Clone, Copy, Debug)]
pub struct I64Buf {
    buf: [u8; 20],
    start: u8,
}

impl I64Buf {
    /// The decimal digits (with a leading `-` when negative).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[usize::from(self.start)..]
    }
}

impl AsRef<[u8]> for I64Buf {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::ops::Deref for I64Buf {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

/// Formats an `i64` in decimal without allocating (the form Redis replies
/// with and stores, e.g. `-9223372036854775808`).
pub fn format_i64(v: i64) -> I64Buf {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    I64Buf {
        buf,
        start: i as u8,
    }
}

/// Appends the decimal form of `v` to `out`.
pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(format_i64(v).as_bytes());
}

/// Parses a double the way Redis's `string2d` does (ZADD scores, ZINCRBY,
/// ZRANGEBYSCORE bounds and the like): the entire input must be something
/// `strtod` accepts, so `1.`, `.5`, `+1`, `1e5`, `0x1p3`, `inf`, `-Infinity`
/// all parse; empty input, leading whitespace, trailing bytes and NaN do
/// not; neither do finite inputs that overflow to infinity or underflow to
/// zero (`1e400`, `1e-400`), though subnormal results are kept.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    match scan(s)? {
        Scanned::Inf { neg } => Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        Scanned::Decimal(d) => {
            // The scanner has checked the grammar, which for decimals is
            // also the grammar of Rust's correctly rounded parser.
            // std saturates exponents past 65535 or so, which is wrong when
            // a long mantissa compensates; such inputs take the slow path.
            let v: f64 = if d.exp.abs() <= 60_000 {
                std::str::from_utf8(s).ok()?.parse().ok()?
            } else {
                0.0
            };
            if v.is_infinite() {
                None
            } else if v.abs() <= f64::MIN_POSITIVE {
                // Subnormal territory (or not parsed yet), where glibc's
                // rounding differs from correct rounding now and then:
                // use the slow path that models it.
                f64_from_rounded(&d, round_decimal(BINARY64, &d))
            } else {
                Some(v)
            }
        }
        Scanned::Hex(d) => f64_from_rounded(&d, round_hex(BINARY64, &d)),
    }
}

fn f64_from_rounded(d: &Digits<'_>, rounded: Rounded) -> Option<f64> {
    let sign = if d.neg { 1u64 << 63 } else { 0 };
    match rounded {
        // A nonzero input that rounds to zero is an ERANGE underflow.
        Rounded::Zero if d.is_zero() => Some(f64::from_bits(sign)),
        Rounded::Zero | Rounded::Overflow => None,
        Rounded::Finite { mant, exp } => {
            let bits = if mant >> 52 == 0 {
                mant
            } else {
                // Normal: the biased exponent goes above the hidden bit.
                (((exp + 1075) as u64) << 52) | (mant & ((1 << 52) - 1))
            };
            Some(f64::from_bits(sign | bits))
        }
    }
}

/// Why an INCRBYFLOAT / HINCRBYFLOAT could not be applied. Each variant
/// names the Redis reply text it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncrFloatError {
    /// The stored value is not a float: `ERR value is not a valid float` for
    /// INCRBYFLOAT, `ERR hash value is not a float` for HINCRBYFLOAT.
    InvalidCurrent,
    /// The increment argument is not a float: `ERR value is not a valid float`
    /// for both commands.
    InvalidIncrement,
    /// HINCRBYFLOAT only: the increment itself is `inf`:
    /// `ERR value is NaN or Infinity`.
    IncrementNotFinite,
    /// The sum is infinite (an `inf` operand, or overflow):
    /// `ERR increment would produce NaN or Infinity`.
    ResultNotFinite,
}

/// INCRBYFLOAT's arithmetic: `current` (`None` for a missing key, which
/// counts as 0) plus `incr`, in x87 extended precision, printed the way
/// Redis stores and replies with it.
///
/// Checks follow Redis's order: the stored value first, then the increment
/// (a stored `inf` or `1e500` is accepted; both are valid `long double`s).
pub fn incr_by_float(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let value = parse_current(current)?;
    let incr = LongDouble::parse(incr).ok_or(IncrFloatError::InvalidIncrement)?;
    finish(value + incr)
}

/// The first half of HINCRBYFLOAT, which Redis runs before even looking up
/// the key (so it outranks WRONGTYPE): the increment must parse and be
/// finite.
pub fn hincr_by_float_increment(incr: &[u8]) -> Result<LongDouble, IncrFloatError> {
    let incr = LongDouble::parse(incr).ok_or(IncrFloatError::InvalidIncrement)?;
    if incr.is_finite() {
        Ok(incr)
    } else {
        Err(IncrFloatError::IncrementNotFinite)
    }
}

/// The second half of HINCRBYFLOAT: the stored field (`None` when absent)
/// plus an increment from [`hincr_by_float_increment`].
pub fn hincr_by_float_apply(
    current: Option<&[u8]>,
    incr: LongDouble,
) -> Result<Vec<u8>, IncrFloatError> {
    let value = parse_current(current)?;
    finish(value + incr)
}

fn parse_current(current: Option<&[u8]>) -> Result<LongDouble, IncrFloatError> {
    match current {
        None => Ok(LongDouble::from_i64(0)),
        Some(s) => LongDouble::parse(s).ok_or(IncrFloatError::InvalidCurrent),
    }
}

fn finish(sum: LongDouble) -> Result<Vec<u8>, IncrFloatError> {
    if sum.is_finite() {
        Ok(sum.to_human())
    } else {
        Err(IncrFloatError::ResultNotFinite)
    }
}
