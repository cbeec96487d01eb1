//! C's `strtod` as Redis's callers see it: the longest numeric prefix of a
//! string, how much of it was consumed, and whether `errno` would be
//! `ERANGE`. SORT's score conversion and the legacy score formats of RDB
//! sorted sets parse numbers this way (prefixes, leading blanks, `nan`).

/// The result of [`strtod`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Parsed {
    pub value: f64,
    /// Bytes consumed; 0 means no conversion (and `value` is 0).
    pub consumed: usize,
    /// glibc would set `errno = ERANGE`: overflow, or a result that
    /// underflows to zero or into the subnormal range.
    pub erange: bool,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

fn digits(s: &[u8], from: usize, hex: bool) -> usize {
    s[from..]
        .iter()
        .take_while(|b| {
            if hex {
                b.is_ascii_hexdigit()
            } else {
                b.is_ascii_digit()
            }
        })
        .count()
}

/// Length of an exponent (`e+12`, `p-3`) at `at`, or 0 if none follows.
fn exponent(s: &[u8], at: usize, marker: u8) -> usize {
    if s.get(at).map(u8::to_ascii_lowercase) != Some(marker) {
        return 0;
    }
    let mut i = at + 1;
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let n = digits(s, i, false);
    if n == 0 {
        0
    } else {
        i + n - at
    }
}

/// Parses the numeric prefix of `s` like glibc's `strtod` in the C locale.
pub fn strtod(s: &[u8]) -> Parsed {
    let none = Parsed {
        value: 0.0,
        consumed: 0,
        erange: false,
    };
    let start = s.iter().take_while(|&&b| is_space(b)).count();
    let mut i = start;
    let neg = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let rest = &s[i..];
    let lower: Vec<u8> = rest.iter().take(8).map(u8::to_ascii_lowercase).collect();
    let signed = |v: f64| if neg { -v } else { v };
    if lower.starts_with(b"inf") {
        let n = if lower.starts_with(b"infinity") { 8 } else { 3 };
        return Parsed {
            value: signed(f64::INFINITY),
            consumed: i + n,
            erange: false,
        };
    }
    if lower.starts_with(b"nan") {
        let mut n = 3;
        if rest.get(3) == Some(&b'(') {
            let inner = rest[4..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            if rest.get(4 + inner) == Some(&b')') {
                n = 5 + inner;
            }
        }
        return Parsed {
            value: f64::NAN,
            consumed: i + n,
            erange: false,
        };
    }
    let hex_start = lower.starts_with(b"0x")
        && match rest.get(2) {
            Some(c) if c.is_ascii_hexdigit() => true,
            Some(b'.') => rest.get(3).is_some_and(u8::is_ascii_hexdigit),
            _ => false,
        };
    let (body, hex) = if hex_start { (i + 2, true) } else { (i, false) };
    let int = digits(s, body, hex);
    let mut end = body + int;
    let mut frac = 0;
    if s.get(end) == Some(&b'.') {
        frac = digits(s, end + 1, hex);
        if int > 0 || frac > 0 {
            end += 1 + frac;
        }
    }
    if int == 0 && frac == 0 {
        return none;
    }
    end += exponent(s, end, if hex { b'p' } else { b'e' });
    let text = &s[start..end];
    let (value, erange) = match crate::num::parse_f64(text) {
        Some(v) => (v, v != 0.0 && v.abs() < f64::MIN_POSITIVE),
        None => {
            // Out of range: an overflow to infinity or an underflow to zero.
            let big = if hex {
                // A hex mantissa overflows unless its binary exponent is negative.
                !text
                    .windows(2)
                    .any(|w| w[0].eq_ignore_ascii_case(&b'p') && w[1] == b'-')
            } else {
                std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .is_some_and(f64::is_infinite)
            };
            (signed(if big { f64::INFINITY } else { 0.0 }), true)
        }
    };
    Parsed {
        value,
        consumed: end,
        erange,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> (f64, usize, bool) {
        let r = strtod(s.as_bytes());
        (r.value, r.consumed, r.erange)
    }

    #[test]
    fn prefixes_like_glibc() {
        assert_eq!(p("12abc"), (12.0, 2, false));
        assert_eq!(p("  -1.5e3x"), (-1500.0, 8, false));
        assert_eq!(p("1e"), (1.0, 1, false));
        assert_eq!(p("1e+"), (1.0, 1, false));
        assert_eq!(p(".5"), (0.5, 2, false));
        assert_eq!(p("5."), (5.0, 2, false));
        assert_eq!(p("."), (0.0, 0, false));
        assert_eq!(p(""), (0.0, 0, false));
        assert_eq!(p("   "), (0.0, 0, false));
        assert_eq!(p("0x"), (0.0, 1, false));
        assert_eq!(p("0x1p3"), (8.0, 5, false));
        assert_eq!(p("-inFinity!"), (f64::NEG_INFINITY, 9, false));
        assert_eq!(p("infin"), (f64::INFINITY, 3, false));
        assert_eq!(p("1e400"), (f64::INFINITY, 5, true));
        assert_eq!(p("1e-400"), (0.0, 6, true));
        assert!(p("1e-310").2);
        assert!(!p("2.2250738585072014e-308").2);
        let nan = strtod(b"nan(abc)x");
        assert!(nan.value.is_nan() && nan.consumed == 8);
        assert_eq!(strtod(b"nan(").consumed, 3);
    }
}
