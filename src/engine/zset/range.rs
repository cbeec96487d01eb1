//! Score and lex range specifications as used by ZRANGEBYSCORE, ZCOUNT,
//! ZRANGEBYLEX, ZLEXCOUNT and friends.

use std::cmp::Ordering;

use bytes::Bytes;

/// One end of a score range; `exclusive` comes from a leading `(`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreBound {
    /// Never NaN; may be infinite.
    pub value: f64,
    /// The bound itself is excluded.
    pub exclusive: bool,
}

impl ScoreBound {
    /// Parses one bound the way Redis 7.0 does: an optional `(`, then C
    /// `strtod` syntax. That is deliberately laxer than ZADD's score syntax:
    /// leading whitespace, hex floats, `inf`/`infinity` in any case, and even
    /// an empty string (= 0) are accepted, and parsing stops at an embedded
    /// NUL. Trailing bytes and NaN are rejected.
    pub fn parse(item: &[u8]) -> Option<ScoreBound> {
        let (text, exclusive) = match item.split_first() {
            Some((b'(', rest)) => (rest, true),
            _ => (item, false),
        };
        let (value, used) = strtod(text);
        // Redis sees arguments as C strings, so a NUL ends the number.
        if !matches!(text.get(used), None | Some(0)) || value.is_nan() {
            return None;
        }
        Some(ScoreBound { value, exclusive })
    }
}

/// An interval of scores; inclusive unless a bound says otherwise.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreRange {
    /// Lower end.
    pub min: ScoreBound,
    /// Upper end.
    pub max: ScoreBound,
}

impl ScoreRange {
    /// Parses a `min max` pair; `None` means the caller should reply
    /// "ERR min or max is not a float".
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        Some(ScoreRange {
            min: ScoreBound::parse(min)?,
            max: ScoreBound::parse(max)?,
        })
    }

    /// True when no score at all can match (inverted, or a point range with
    /// an exclusive end).
    pub fn is_empty(&self) -> bool {
        self.min.value > self.max.value
            || (self.min.value == self.max.value && (self.min.exclusive || self.max.exclusive))
    }

    /// Whether `score` lies inside the range.
    pub fn contains(&self, score: f64) -> bool {
        self.above_min(score) && self.below_max(score)
    }

    /// `score` satisfies the lower bound.
    #[inline]
    pub fn above_min(&self, score: f64) -> bool {
        if self.min.exclusive {
            score > self.min.value
        } else {
            score >= self.min.value
        }
    }

    /// `score` satisfies the upper bound.
    #[inline]
    pub fn below_max(&self, score: f64) -> bool {
        if self.max.exclusive {
            score < self.max.value
        } else {
            score <= self.max.value
        }
    }
}

/// One end of a lex range: `-`, `+`, `[member` or `(member`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: below every member.
    NegInf,
    /// `+`: above every member.
    PosInf,
    /// `[member`
    Inclusive(Bytes),
    /// `(member`
    Exclusive(Bytes),
}

impl LexBound {
    /// Parses one bound; `None` for anything but `-`, `+`, `[..` or `(..`.
    pub fn parse(item: &[u8]) -> Option<LexBound> {
        match item {
            b"-" => Some(LexBound::NegInf),
            b"+" => Some(LexBound::PosInf),
            [b'[', rest @ ..] => Some(LexBound::Inclusive(Bytes::copy_from_slice(rest))),
            [b'(', rest @ ..] => Some(LexBound::Exclusive(Bytes::copy_from_slice(rest))),
            _ => None,
        }
    }

    /// Position on the extended line -inf < every string < +inf, plus
    /// whether the end point itself is excluded (the infinities always are,
    /// as in Redis, so "- -" is an empty range).
    fn key(&self) -> (u8, &[u8], bool) {
        match self {
            LexBound::NegInf => (0, &[], true),
            LexBound::Inclusive(b) => (1, b, false),
            LexBound::Exclusive(b) => (1, b, true),
            LexBound::PosInf => (2, &[], true),
        }
    }
}

/// An interval of members in byte order. Only meaningful when every member
/// of the set has the same score, as in Redis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    /// Lower end.
    pub min: LexBound,
    /// Upper end.
    pub max: LexBound,
}

impl LexRange {
    /// Parses a `min max` pair; `None` means the caller should reply
    /// "ERR min or max not valid string range item".
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    /// True when no member at all can match.
    pub fn is_empty(&self) -> bool {
        let (min_class, min, min_ex) = self.min.key();
        let (max_class, max, max_ex) = self.max.key();
        match min_class.cmp(&max_class).then_with(|| min.cmp(max)) {
            Ordering::Greater => true,
            Ordering::Equal => min_ex || max_ex,
            Ordering::Less => false,
        }
    }

    /// Whether `member` lies inside the range.
    pub fn contains(&self, member: &[u8]) -> bool {
        self.above_min(member) && self.below_max(member)
    }

    /// `member` satisfies the lower bound.
    #[inline]
    pub fn above_min(&self, member: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Inclusive(b) => member >= &b[..],
            LexBound::Exclusive(b) => member > &b[..],
        }
    }

    /// `member` satisfies the upper bound.
    #[inline]
    pub fn below_max(&self, member: &[u8]) -> bool {
        match &self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Inclusive(b) => member <= &b[..],
            LexBound::Exclusive(b) => member < &b[..],
        }
    }
}

/// C `strtod` in the C locale: returns the value and the number of bytes
/// that formed it, or `(0.0, 0)` when no number starts the input.
fn strtod(s: &[u8]) -> (f64, usize) {
    let mut i = s
        .iter()
        .position(|&c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .unwrap_or(s.len());
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &s[i..];
    if starts_with_ignore_case(rest, b"inf") {
        let used = if starts_with_ignore_case(rest, b"infinity") {
            8
        } else {
            3
        };
        return (sign * f64::INFINITY, i + used);
    }
    if starts_with_ignore_case(rest, b"nan") {
        // Callers reject NaN whatever follows, so the length is moot.
        return (f64::NAN, i + 3);
    }
    if rest.len() > 2 && rest[0] == b'0' && rest[1] | 0x20 == b'x' {
        if let Some((value, used)) = parse_hex(&rest[2..]) {
            return (sign * value, i + 2 + used);
        }
        // "0x" without hex digits: only the "0" is a number.
    }
    let digits = |from: usize| s[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let start = i;
    let int_digits = digits(i);
    i += int_digits;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        frac_digits = digits(i + 1);
        if int_digits + frac_digits > 0 {
            i += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return (0.0, 0);
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = digits(j);
        if exp_digits > 0 {
            i = j + exp_digits;
        }
    }
    // The slice is ASCII digits/'.'/exponent, a syntax Rust's correctly
    // rounded parser accepts; fall back to "no number" rather than panic.
    match std::str::from_utf8(&s[start..i]).map(str::parse::<f64>) {
        Ok(Ok(value)) => (sign * value, i),
        _ => (0.0, 0),
    }
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Hex float body after "0x": hex digits with an optional '.', then an
/// optional binary exponent `p[+-]digits`. Returns `None` without digits.
fn parse_hex(h: &[u8]) -> Option<(f64, usize)> {
    // Keep up to 60 significant bits exactly; anything below only matters
    // for round-half-even, so it collapses into a sticky flag.
    let (mut mant, mut exp, mut sticky, mut any) = (0u64, 0i64, false, false);
    let mut i = 0;
    let mut seen_dot = false;
    while let Some(&c) = h.get(i) {
        let d = match c {
            b'.' if !seen_dot => {
                seen_dot = true;
                i += 1;
                continue;
            }
            _ => match (c as char).to_digit(16) {
                Some(d) => u64::from(d),
                None => break,
            },
        };
        any = true;
        if mant >> 60 == 0 {
            mant = mant * 16 + d;
            if seen_dot {
                exp -= 4;
            }
        } else {
            sticky |= d != 0;
            if !seen_dot {
                exp += 4;
            }
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if matches!(h.get(i), Some(b'p' | b'P')) {
        let mut j = i + 1;
        let negative = match h.get(j) {
            Some(b'-') => {
                j += 1;
                true
            }
            Some(b'+') => {
                j += 1;
                false
            }
            _ => false,
        };
        let mut e = 0i64;
        let mut n = 0;
        while let Some(c) = h.get(j + n).filter(|c| c.is_ascii_digit()) {
            // Saturate far beyond any exponent that changes the result.
            e = (e * 10 + i64::from(c - b'0')).min(1 << 20);
            n += 1;
        }
        if n > 0 {
            exp += if negative { -e } else { e };
            i = j + n;
        }
    }
    Some((compose_binary(mant, exp, sticky), i))
}

/// Correctly rounds `(mant + sticky fraction) * 2^exp` to an f64.
fn compose_binary(mant: u64, exp: i64, sticky: bool) -> f64 {
    if mant == 0 {
        return 0.0;
    }
    let lz = mant.leading_zeros();
    let mant = mant << lz;
    let exp = exp - i64::from(lz);
    let top = exp + 63; // exponent of the leading bit
    if top > 1023 {
        return f64::INFINITY;
    }
    // Subnormals keep fewer mantissa bits.
    let keep = if top >= -1022 { 53 } else { 53 - (-1022 - top) };
    if keep < 0 {
        return 0.0;
    }
    let shift = (64 - keep) as u32;
    let (q, rem, half) = if shift == 64 {
        (0, mant, 1u64 << 63)
    } else {
        (
            mant >> shift,
            mant & ((1u64 << shift) - 1),
            1u64 << (shift - 1),
        )
    };
    let round_up = rem > half || (rem == half && (sticky || q & 1 == 1));
    ldexp((q + u64::from(round_up)) as f64, exp + i64::from(shift))
}

/// `x * 2^k` in steps whose intermediate results stay exact.
fn ldexp(mut x: f64, mut k: i64) -> f64 {
    let pow2 = |k: i64| f64::from_bits(((k + 1023) as u64) << 52);
    while k > 1000 {
        x *= pow2(1000);
        k -= 1000;
    }
    while k < -1000 {
        x *= pow2(-1000);
        k += 1000;
    }
    x * pow2(k)
}
