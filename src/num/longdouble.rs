//! A software model of the x87 80-bit `long double` that Redis uses for
//! INCRBYFLOAT and HINCRBYFLOAT.
//!
//! Redis parses both operands with `strtold`, adds them in extended precision
//! and prints the sum with `%.17Lf`. Rust has no 80-bit float, and doing the
//! sum in `f64` gives visibly different strings (for instance `1e17 + 1`), so
//! the parse, the add and the print are all reproduced here exactly: correct
//! rounding (nearest, ties to even) as glibc and the x87 do it, plus one
//! glibc parsing quirk for subnormal results (see [`round_to`]).
//!
//! The same rounding core also serves binary64 for hexadecimal `strtod`
//! inputs, which the standard library cannot parse.

use super::bigint::BigUint;

/// A binary floating-point format, described by where its mantissa may sit.
///
/// Finite values are `mant * 2^exp` with `mant < 2^prec` and
/// `min_exp <= exp <= max_exp`; `mant` has its top bit set unless
/// `exp == min_exp` (a subnormal).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BinFormat {
    prec: u32,
    min_exp: i64,
    max_exp: i64,
    /// A decimal `d.ddd * 10^k` with `k` above this always overflows.
    max_dec_exp: i64,
    /// A decimal below `10^k` for `k` at or under this always rounds to zero.
    min_dec_exp: i64,
}

/// x87 extended precision: 64-bit explicit mantissa, 15-bit exponent.
pub(crate) const BINARY80: BinFormat = BinFormat {
    prec: 64,
    min_exp: -16445,
    max_exp: 16320,
    max_dec_exp: 4932,
    min_dec_exp: -4951,
};

/// IEEE double.
pub(crate) const BINARY64: BinFormat = BinFormat {
    prec: 53,
    min_exp: -1074,
    max_exp: 971,
    max_dec_exp: 308,
    min_dec_exp: -324,
};

/// Result of rounding an exact magnitude into a [`BinFormat`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounded {
    /// Either exactly zero or a nonzero value that underflowed to zero.
    Zero,
    Finite {
        mant: u64,
        exp: i64,
    },
    Overflow,
}

/// Rounds `(m + f) * 2^e`, where `0 < f < 1` iff `sticky`, to nearest-even.
///
/// `strtod_quirk` reproduces glibc's `strtod`/`strtold` (checked on 2.36,
/// the C library this Redis runs on) for results in the subnormal range:
/// glibc first rounds as if the exponent were unbounded, keeping a round
/// bit and a sticky flag, and when it then shifts the mantissa right to
/// denormalize it folds the bits below its first round bit into the sticky
/// flag but forgets that round bit itself. So `0x1.00000000000018p-1023`
/// comes out one ulp low. Arithmetic results (x87 addition) are not
/// affected; only parsing passes `true`.
pub(crate) fn round_to(
    fmt: BinFormat,
    mut m: u128,
    mut e: i64,
    sticky: bool,
    strtod_quirk: bool,
) -> Rounded {
    if m == 0 {
        // Callers only pass a sticky fraction alongside a wide mantissa, so
        // a zero mantissa is an exact zero.
        return Rounded::Zero;
    }
    let mut bl = i64::from(128 - m.leading_zeros());
    if sticky && bl < i64::from(fmt.prec) + 2 {
        // Keep the unknown fraction strictly below the round bit.
        let by = i64::from(fmt.prec) + 2 - bl;
        m <<= by;
        e -= by;
        bl += by;
    }
    let mut shift = bl - i64::from(fmt.prec);
    // The bit glibc drops: the first one below a full-precision mantissa.
    let mut forgotten = 0u128;
    if e + shift < fmt.min_exp {
        if strtod_quirk && shift >= 1 {
            forgotten = 1u128 << (shift - 1);
        }
        shift = fmt.min_exp - e;
    }
    let (mut mant, mut exp) = if shift <= 0 {
        (m << (-shift) as u32, e + shift)
    } else {
        let (kept, half, rest) = if shift > 128 {
            (0, false, m & !forgotten != 0 || sticky)
        } else {
            let kept = if shift == 128 { 0 } else { m >> shift };
            let half = (m >> (shift - 1)) & 1 == 1;
            let below = if shift == 1 {
                0
            } else {
                m & ((1u128 << (shift - 1)) - 1) & !forgotten
            };
            (kept, half, below != 0 || sticky)
        };
        let up = half && (rest || kept & 1 == 1);
        (kept + u128::from(up), e + shift)
    };
    if mant >> fmt.prec != 0 {
        mant >>= 1;
        exp += 1;
    }
    if mant == 0 {
        Rounded::Zero
    } else if exp > fmt.max_exp {
        Rounded::Overflow
    } else {
        Rounded::Finite {
            mant: mant as u64,
            exp,
        }
    }
}

/// The pieces of a number in the syntax glibc's `strtod` accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scanned<'a> {
    Inf { neg: bool },
    Decimal(Digits<'a>),
    Hex(Digits<'a>),
}

/// Mantissa digits around the point and the (saturated) exponent.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Digits<'a> {
    pub(crate) neg: bool,
    pub(crate) int: &'a [u8],
    pub(crate) frac: &'a [u8],
    pub(crate) exp: i64,
}

impl Digits<'_> {
    pub(crate) fn is_zero(&self) -> bool {
        self.int.iter().chain(self.frac).all(|&b| b == b'0')
    }
}

/// Exponents are clamped here: anything this large has already decided
/// overflow or underflow, and clamping keeps the arithmetic in `i64`.
const EXP_CLAMP: i64 = 1 << 40;

fn take_while(s: &[u8], pred: impl Fn(u8) -> bool) -> (&[u8], &[u8]) {
    let n = s.iter().take_while(|&&b| pred(b)).count();
    s.split_at(n)
}

/// Parses an optionally signed run of decimal digits (the exponent part).
fn scan_exponent(s: &[u8]) -> Option<i64> {
    let (neg, rest) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &b in rest {
        v = (v * 10 + i64::from(b - b'0')).min(EXP_CLAMP);
    }
    Some(if neg { -v } else { v })
}

/// Accepts exactly the inputs that `strtod`/`strtold` consume completely,
/// without skipping leading whitespace (Redis rejects that separately).
/// NaN spellings are refused because Redis refuses every NaN result.
pub(crate) fn scan(s: &[u8]) -> Option<Scanned<'_>> {
    let (neg, body) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(Scanned::Inf { neg });
    }
    let hex_body = match body {
        [b'0', b'x' | b'X', rest @ ..] => {
            let starts_hex = match rest {
                [c, ..] if c.is_ascii_hexdigit() => true,
                [b'.', c, ..] => c.is_ascii_hexdigit(),
                _ => false,
            };
            starts_hex.then_some(rest)
        }
        _ => None,
    };
    let (digits_body, is_hex) = match hex_body {
        Some(rest) => (rest, true),
        None => (body, false),
    };
    let is_digit = |b: u8| {
        if is_hex {
            b.is_ascii_hexdigit()
        } else {
            b.is_ascii_digit()
        }
    };
    let (int, rest) = take_while(digits_body, is_digit);
    let (frac, rest) = match rest.split_first() {
        Some((b'.', after)) => take_while(after, is_digit),
        _ => (&rest[..0], rest),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let exp = match rest.split_first() {
        None => 0,
        Some((&m, after))
            if (is_hex && (m == b'p' || m == b'P')) || (!is_hex && (m == b'e' || m == b'E')) =>
        {
            scan_exponent(after)?
        }
        Some(_) => return None,
    };
    let digits = Digits {
        neg,
        int,
        frac,
        exp,
    };
    Some(if is_hex {
        Scanned::Hex(digits)
    } else {
        Scanned::Decimal(digits)
    })
}

/// Rounds a decimal mantissa/exponent into `fmt` the way glibc does:
/// correctly, except for the subnormal quirk described on [`round_to`].
pub(crate) fn round_decimal(fmt: BinFormat, d: &Digits<'_>) -> Rounded {
    let all = || d.int.iter().chain(d.frac).copied();
    let lead = all().take_while(|&b| b == b'0').count();
    let total = d.int.len() + d.frac.len();
    if lead == total {
        return Rounded::Zero;
    }
    let trail = all().rev().take_while(|&b| b == b'0').count();
    let n = (total - lead - trail) as i64;
    // value = D * 10^e10 with D the n significant digits.
    let e10 = d.exp - d.frac.len() as i64 + trail as i64;
    if n - 1 + e10 > fmt.max_dec_exp {
        return Rounded::Overflow;
    }
    if n + e10 <= fmt.min_dec_exp {
        return Rounded::Zero;
    }
    // Digits that cannot matter only count as "something nonzero follows"
    // (trailing zeros are gone, so a dropped tail is never zero). This also
    // bounds the work for huge inputs.
    let kept = digits_read(fmt, n, e10);
    let truncated = kept < n;
    let e10 = e10 + (n - kept);
    let mut big = BigUint::default();
    let mut chunk = 0u32;
    let mut chunk_len = 0u32;
    for b in all().skip(lead).take(kept as usize) {
        chunk = chunk * 10 + u32::from(b - b'0');
        chunk_len += 1;
        if chunk_len == 9 {
            big.mul_add_small(1_000_000_000, chunk);
            chunk = 0;
            chunk_len = 0;
        }
    }
    if chunk_len > 0 {
        big.mul_add_small(10u32.pow(chunk_len), chunk);
    }
    if e10 >= 0 {
        // Bounded by the overflow check above.
        big.mul_pow10(e10 as u32);
        let (top, shift, sticky) = big.top_u128();
        return round_to(fmt, top, shift as i64, sticky, true);
    }
    let mut den = BigUint::from_u64(1);
    den.mul_pow10((-e10) as u32);
    // Scale so the quotient has prec+3 or prec+4 bits: enough for a round
    // bit with the remainder as the sticky bit.
    let k = i64::from(fmt.prec) + 3 + den.bit_len() as i64 - big.bit_len() as i64;
    if k >= 0 {
        big.shl(k as u64);
    } else {
        den.shl((-k) as u64);
    }
    let (q, inexact) = big.div_small_quotient(&den, fmt.prec + 5);
    round_to(fmt, q, -k, inexact || truncated, true)
}

/// How many of the `n` significant digits of `D * 10^e10` need reading;
/// the rest only matter through a sticky bit.
///
/// For numbers below 1 this is glibc's own cut-off (enough digits to fix
/// every bit down to a quarter of the smallest subnormal), which matters
/// because a truncation sets glibc's sticky flag and so masks its
/// subnormal rounding quirk (see [`round_to`]). Numbers of 1 or more are
/// normal, and their rounding boundaries have at most `prec` fractional
/// bits, hence at most `prec` fractional digits, so a couple more decide
/// them all.
fn digits_read(fmt: BinFormat, n: i64, e10: i64) -> i64 {
    // Digits before the point: the number is 0.DDD * 10^x.
    let x = e10 + n;
    let prec = i64::from(fmt.prec);
    if x > 0 {
        return n.min(x + prec + 2);
    }
    let bits_below_point = (1 - x) * 10 / 3 + 1;
    let need = (bits_below_point + prec).min(2 - fmt.min_exp) + x;
    n.min(need.max(1))
}

/// Rounds a hexadecimal mantissa / binary exponent into `fmt`. Only the
/// leading 32 significant hex digits can reach the mantissa or round bit;
/// later ones just set the sticky bit.
pub(crate) fn round_hex(fmt: BinFormat, d: &Digits<'_>) -> Rounded {
    let mut m = 0u128;
    let mut used = 0u32;
    let mut sticky = false;
    // Binary exponent of the lowest digit folded into `m`.
    let mut e2 = d.exp;
    let int_len = d.int.len() as i64;
    for (i, &b) in d.int.iter().chain(d.frac).enumerate() {
        let v = (b as char).to_digit(16).unwrap_or(0);
        if used == 0 && v == 0 {
            // Leading zeros carry no bits, only position.
        } else if used < 32 {
            m = (m << 4) | u128::from(v);
            used += 1;
        } else {
            sticky |= v != 0;
            continue;
        }
        if i as i64 >= int_len {
            e2 -= 4;
        }
    }
    // Integer digits past the first 32 significant ones still scale it.
    let dropped_int = d
        .int
        .len()
        .saturating_sub(d.int.iter().position(|&b| b != b'0').unwrap_or(d.int.len()) + 32);
    e2 += 4 * dropped_int as i64;
    round_to(fmt, m, e2, sticky, true)
}

/// An x87 80-bit extended-precision value, modelled in software.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble(Repr);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repr {
    Zero {
        neg: bool,
    },
    /// `mant * 2^exp`, canonical as described on [`BinFormat`].
    Finite {
        neg: bool,
        mant: u64,
        exp: i64,
    },
    Inf {
        neg: bool,
    },
    Nan,
}

/// `string2ld` refuses inputs this long (its stack buffer size).
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

impl LongDouble {
    /// Parses like Redis's `string2ld`: the whole input must be a number
    /// `strtold` accepts, with no leading whitespace, shorter than 5120
    /// bytes, not NaN, and not overflowing or underflowing to zero. `inf`
    /// spellings are accepted.
    pub fn parse(s: &[u8]) -> Option<LongDouble> {
        if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        let (digits, rounded) = match scan(s)? {
            Scanned::Inf { neg } => return Some(LongDouble(Repr::Inf { neg })),
            Scanned::Decimal(d) => (d, round_decimal(BINARY80, &d)),
            Scanned::Hex(d) => (d, round_hex(BINARY80, &d)),
        };
        let neg = digits.neg;
        match rounded {
            // A nonzero input that rounds to zero is an ERANGE underflow.
            Rounded::Zero => digits.is_zero().then_some(LongDouble(Repr::Zero { neg })),
            Rounded::Finite { mant, exp } => Some(LongDouble(Repr::Finite { neg, mant, exp })),
            Rounded::Overflow => None,
        }
    }

    /// The exact value of an integer (every `i64` fits in 64 bits of mantissa).
    pub fn from_i64(v: i64) -> LongDouble {
        let neg = v < 0;
        match round_to(BINARY80, u128::from(v.unsigned_abs()), 0, false, false) {
            Rounded::Finite { mant, exp } => LongDouble(Repr::Finite { neg, mant, exp }),
            _ => LongDouble(Repr::Zero { neg: false }),
        }
    }

    /// True unless infinite or NaN.
    pub fn is_finite(&self) -> bool {
        matches!(self.0, Repr::Zero { .. } | Repr::Finite { .. })
    }

    /// Formats like Redis's "human" `ld2string`: `%.17Lf` (exact value,
    /// rounded half-to-even at the 17th decimal), then trailing zeros and a
    /// bare trailing point removed, and `-0` shown as `0`. Non-finite values
    /// print as `inf`, `-inf` or `nan` (Redis never stores those).
    pub fn to_human(&self) -> Vec<u8> {
        match self.0 {
            Repr::Zero { .. } => b"0".to_vec(),
            Repr::Inf { neg } => if neg { &b"-inf"[..] } else { &b"inf"[..] }.to_vec(),
            Repr::Nan => b"nan".to_vec(),
            Repr::Finite { neg, mant, exp } => format_fixed17(neg, mant, exp),
        }
    }
}

impl LongDouble {
    /// -1, 0 or 1 as the value is negative, zero (or NaN) or positive.
    fn signum(&self) -> i8 {
        match self.0 {
            Repr::Zero { .. } | Repr::Nan => 0,
            Repr::Finite { neg, .. } | Repr::Inf { neg } => {
                if neg {
                    -1
                } else {
                    1
                }
            }
        }
    }

    /// Compares two values exactly (`None` if either is NaN). The sign of
    /// the rounded difference is the sign of the exact one, and two
    /// distinct extended values never round to a zero difference.
    pub fn compare(self, other: LongDouble) -> Option<std::cmp::Ordering> {
        use std::cmp::Ordering;
        match (self.0, other.0) {
            (Repr::Nan, _) | (_, Repr::Nan) => None,
            (Repr::Inf { neg: a }, Repr::Inf { neg: b }) if a == b => Some(Ordering::Equal),
            _ => Some((self + -other).signum().cmp(&0)),
        }
    }

    /// The nearest `f64` (RESP3 double replies).
    pub fn to_f64(&self) -> f64 {
        match self.0 {
            Repr::Zero { neg } => {
                if neg {
                    -0.0
                } else {
                    0.0
                }
            }
            Repr::Inf { neg } => {
                if neg {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
            Repr::Nan => f64::NAN,
            Repr::Finite { .. } => {
                let text = self.to_human();
                std::str::from_utf8(&text)
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .unwrap_or(f64::NAN)
            }
        }
    }
}

impl std::ops::Neg for LongDouble {
    type Output = LongDouble;

    /// The value with its sign flipped (exact).
    fn neg(self) -> LongDouble {
        LongDouble(match self.0 {
            Repr::Zero { neg } => Repr::Zero { neg: !neg },
            Repr::Finite { neg, mant, exp } => Repr::Finite {
                neg: !neg,
                mant,
                exp,
            },
            Repr::Inf { neg } => Repr::Inf { neg: !neg },
            Repr::Nan => Repr::Nan,
        })
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// IEEE addition in extended precision, rounding to nearest-even,
    /// as the x87 does it.
    fn add(self, other: LongDouble) -> LongDouble {
        use Repr::*;
        let repr = match (self.0, other.0) {
            (Nan, _) | (_, Nan) => Nan,
            (Inf { neg: a }, Inf { neg: b }) => {
                if a == b {
                    Inf { neg: a }
                } else {
                    Nan
                }
            }
            (Inf { neg }, _) | (_, Inf { neg }) => Inf { neg },
            (Zero { neg: a }, Zero { neg: b }) => Zero { neg: a && b },
            (Zero { .. }, x) | (x, Zero { .. }) => x,
            (
                Finite {
                    neg: na,
                    mant: ma,
                    exp: ea,
                },
                Finite {
                    neg: nb,
                    mant: mb,
                    exp: eb,
                },
            ) => add_finite((na, ma, ea), (nb, mb, eb)),
        };
        LongDouble(repr)
    }
}

fn add_finite(a: (bool, u64, i64), b: (bool, u64, i64)) -> Repr {
    // Order by exponent so `big` is the operand whose low bit weighs most.
    let (big, small) = if a.2 >= b.2 { (a, b) } else { (b, a) };
    let (big_neg, big_mant, big_exp) = big;
    let (small_neg, small_mant, small_exp) = small;
    // 62 guard bits: enough for any carry-free exact alignment when the
    // exponents are close, and when they are far apart `big` is normal so
    // the truncated part of `small` lands far below the rounding position.
    const GUARD: i64 = 62;
    let base = big_exp - GUARD;
    let x = u128::from(big_mant) << GUARD;
    let d = big_exp - small_exp;
    let (y, sticky) = if d <= GUARD {
        (u128::from(small_mant) << (GUARD - d), false)
    } else if d - GUARD >= 64 {
        (0, true)
    } else {
        let s = (d - GUARD) as u32;
        let m = u128::from(small_mant);
        (m >> s, m & ((1u128 << s) - 1) != 0)
    };
    let (neg, m) = if big_neg == small_neg {
        (big_neg, x + y)
    } else if x > y {
        // A truncated `small` was really a bit larger, so the exact
        // difference lies strictly between (x - y - 1) and (x - y).
        (big_neg, x - y - u128::from(sticky))
    } else if x < y {
        (small_neg, y - x)
    } else {
        return Repr::Zero { neg: false };
    };
    match round_to(BINARY80, m, base, sticky, false) {
        Rounded::Zero => Repr::Zero { neg },
        Rounded::Finite { mant, exp } => Repr::Finite { neg, mant, exp },
        Rounded::Overflow => Repr::Inf { neg },
    }
}

const TEN_POW_17: u128 = 100_000_000_000_000_000;

/// `%.17Lf` of `±mant * 2^exp` followed by Redis's trimming.
fn format_fixed17(neg: bool, mant: u64, exp: i64) -> Vec<u8> {
    let mut out = Vec::new();
    if neg {
        out.push(b'-');
    }
    if exp >= 0 {
        // An integer: the 17 fractional zeros are trimmed away again.
        let mut big = BigUint::from_u64(mant);
        big.shl(exp as u64);
        out.extend_from_slice(&big.to_decimal());
        return out;
    }
    // mant * 10^17 < 2^121, so the fixed-point value fits in a u128.
    let scaled = u128::from(mant) * TEN_POW_17;
    let s = (-exp) as u32;
    let q = if s >= 128 {
        // Less than 2^-6 of a unit in the 17th place: rounds to zero.
        0
    } else {
        let kept = scaled >> s;
        let half = (scaled >> (s - 1)) & 1 == 1;
        let rest = s > 1 && scaled & ((1u128 << (s - 1)) - 1) != 0;
        kept + u128::from(half && (rest || kept & 1 == 1))
    };
    let int = q / TEN_POW_17;
    let frac = q % TEN_POW_17;
    out.extend_from_slice(int.to_string().as_bytes());
    if frac != 0 {
        let digits = format!("{frac:017}");
        out.push(b'.');
        out.extend_from_slice(digits.trim_end_matches('0').as_bytes());
    }
    if out == b"-0" {
        return b"0".to_vec();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(s: &str) -> LongDouble {
        LongDouble::parse(s.as_bytes()).unwrap_or_else(|| panic!("parse {s}"))
    }

    #[test]
    fn round_to_basics() {
        assert_eq!(
            round_to(BINARY80, 1, 0, false, false),
            Rounded::Finite {
                mant: 1 << 63,
                exp: -63
            }
        );
        // Exactly half the smallest subnormal ties to even (zero).
        assert_eq!(round_to(BINARY80, 1, -16446, false, false), Rounded::Zero);
        assert!(matches!(
            round_to(BINARY80, 1, -16446, true, false),
            Rounded::Finite {
                mant: 1,
                exp: -16445
            }
        ));
        assert_eq!(
            round_to(BINARY80, 1, 16383, false, false),
            Rounded::Finite {
                mant: 1 << 63,
                exp: 16320
            }
        );
        assert_eq!(
            round_to(BINARY80, 1, 16384, false, false),
            Rounded::Overflow
        );
        assert_eq!(
            round_to(BINARY80, u128::MAX, 16320, false, false),
            Rounded::Overflow
        );
    }

    #[test]
    fn parse_and_print() {
        assert_eq!((ld("0.1") + ld("0.2")).to_human(), b"0.3");
        assert_eq!((ld("1e17") + ld("1")).to_human(), b"100000000000000001");
        assert_eq!(ld("-1e-30").to_human(), b"0");
        assert_eq!(ld("0x1p-18").to_human(), b"0.00000381469726562");
        assert_eq!(ld("0x3p-18").to_human(), b"0.00001144409179688");
        assert!(LongDouble::parse(b"0x1p-16446").is_none());
        // Just over half the smallest subnormal rounds up, except when the
        // only excess is the bit glibc forgets (see `round_to`).
        assert!(LongDouble::parse(b"0x1.00000000000000008p-16446").is_some());
        assert!(LongDouble::parse(b"0x1.0000000000000001p-16446").is_none());
        assert!(LongDouble::parse(b"1e5000").is_none());
        assert!(LongDouble::parse(b"1e-5000").is_none());
        assert!(LongDouble::parse(b"0e-5000").is_some());
    }
}
