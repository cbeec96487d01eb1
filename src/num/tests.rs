//! Expectations recorded from a live Redis 7.0.15 server (x86-64, glibc
//! 2.36) by sending each case and saving the reply.

use super::*;

use IncrFloatError as E;

/// An expected INCRBYFLOAT-style reply.
enum W {
    Ok(&'static [u8]),
    /// Replies too long to paste: length, first bytes and an FNV-1a hash.
    Long {
        len: usize,
        head: &'static [u8],
        fnv: u64,
    },
    Err(IncrFloatError),
}

/// INCRBYFLOAT uses one message for either operand failing to parse, so
/// the table cannot tell which one; [`matches`] accepts both variants.
const INVALID: IncrFloatError = E::InvalidCurrent;

/// A long input written as `(piece, repeat count)` runs.
type Segments = &'static [(&'static [u8], usize)];

fn expand(parts: Segments) -> Vec<u8> {
    parts.iter().flat_map(|(p, n)| p.repeat(*n)).collect()
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn matches(got: &Result<Vec<u8>, IncrFloatError>, want: &W, either_operand: bool) -> bool {
    match (got, want) {
        (Ok(v), W::Ok(w)) => v == w,
        (Ok(v), W::Long { len, head, fnv }) => {
            v.len() == *len && v.starts_with(head) && fnv1a(v) == *fnv
        }
        (Err(E::InvalidCurrent | E::InvalidIncrement), W::Err(E::InvalidCurrent))
            if either_operand =>
        {
            true
        }
        (Err(g), W::Err(w)) => g == w,
        _ => false,
    }
}

fn show(r: &Result<Vec<u8>, IncrFloatError>) -> String {
    match r {
        Ok(v) => String::from_utf8_lossy(&v[..v.len().min(80)]).into_owned(),
        Err(e) => format!("{e:?}"),
    }
}

#[test]
fn incrbyfloat_matches_redis() {
    for (cur, incr, want) in INCRBYFLOAT {
        let got = incr_by_float(Some(cur), incr);
        assert!(
            matches(&got, want, true),
            "{:?} + {:?} gave {}",
            String::from_utf8_lossy(cur),
            String::from_utf8_lossy(incr),
            show(&got)
        );
    }
}

#[test]
fn incrbyfloat_long_operands_match_redis() {
    for (cur, incr, want) in LONG_INCRBYFLOAT {
        let (cur, incr) = (expand(cur), expand(incr));
        let got = incr_by_float(Some(&cur), &incr);
        assert!(
            matches(&got, want, true),
            "{} + {} byte operands gave {}",
            cur.len(),
            incr.len(),
            show(&got)
        );
    }
}

#[test]
fn incrbyfloat_missing_key_counts_as_zero() {
    assert_eq!(incr_by_float(None, b"2.5"), Ok(b"2.5".to_vec()));
    assert_eq!(incr_by_float(None, b"-0"), Ok(b"0".to_vec()));
    assert_eq!(incr_by_float(None, b"x"), Err(E::InvalidIncrement));
    assert_eq!(incr_by_float(Some(b"x"), b"x"), Err(E::InvalidCurrent));
}

#[test]
fn hincrbyfloat_matches_redis() {
    for (cur, incr, want) in HINCRBYFLOAT {
        let got =
            hincr_by_float_increment(incr).and_then(|inc| hincr_by_float_apply(Some(cur), inc));
        assert!(
            matches(&got, want, false),
            "{:?} + {:?} gave {}",
            String::from_utf8_lossy(cur),
            String::from_utf8_lossy(incr),
            show(&got)
        );
    }
    assert_eq!(
        hincr_by_float_increment(b"1").and_then(|inc| hincr_by_float_apply(None, inc)),
        Ok(b"1".to_vec())
    );
}

#[test]
fn parse_f64_matches_redis() {
    for (input, want) in DOUBLES {
        let got = parse_f64(input).map(f64::to_bits);
        assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(input));
    }
    for (input, want) in LONG_DOUBLES {
        let input = expand(input);
        assert_eq!(
            parse_f64(&input).map(f64::to_bits),
            *want,
            "{} bytes",
            input.len()
        );
    }
}

#[test]
fn parse_f64_agrees_with_std_on_ordinary_decimals() {
    // Outside the subnormal range glibc rounds correctly, as does std.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let digits = next() % 10_u64.pow((next() % 19 + 1) as u32);
        let exp = (next() % 600) as i64 - 300;
        let text = format!("{digits}e{exp}");
        let want: f64 = text.parse().unwrap_or(f64::NAN);
        if want.is_finite() && want.abs() > f64::MIN_POSITIVE {
            assert_eq!(
                parse_f64(text.as_bytes()).map(f64::to_bits),
                Some(want.to_bits()),
                "{text}"
            );
        }
        let hex = format!("0x{digits:x}p{exp}");
        let want = digits as f64 * 2f64.powi(exp as i32);
        if want.is_finite() && want.abs() > f64::MIN_POSITIVE && digits < (1 << 53) {
            assert_eq!(
                parse_f64(hex.as_bytes()).map(f64::to_bits),
                Some(want.to_bits()),
                "{hex}"
            );
        }
    }
}

#[test]
fn parse_i64_matches_redis() {
    for (input, want) in INTEGERS {
        assert_eq!(
            parse_i64(input),
            *want,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn format_i64_round_trips() {
    for v in [
        0,
        1,
        -1,
        9,
        10,
        -10,
        12345,
        i64::MAX,
        i64::MIN,
        i64::MIN + 1,
        1 << 40,
    ] {
        let buf = format_i64(v);
        assert_eq!(buf.as_bytes(), v.to_string().as_bytes());
        assert_eq!(parse_i64(&buf), Some(v));
        let mut out = b"x".to_vec();
        write_i64(&mut out, v);
        assert_eq!(&out[1..], v.to_string().as_bytes());
    }
}

/// `(stored value, increment, reply)` for `SET k <stored>; INCRBYFLOAT k <increment>`.
#[rustfmt::skip]
const INCRBYFLOAT: &[(&[u8], &[u8], W)] = &[
    (b"0.1", b"0.2", W::Ok(b"0.3")),
    (b"10.5", b"0.1", W::Ok(b"10.6")),
    (b"1e17", b"1", W::Ok(b"100000000000000001")),
    (b"3.0e3", b"0", W::Ok(b"3000")),
    (b"5.0e3", b"0", W::Ok(b"5000")),
    (b"1.5e300", b"1", W::Long { len: 301, head: b"150000000000000000004980", fnv: 0x8462b9665391cae2 }),
    (b"1e-20", b"0", W::Ok(b"0")),
    (b"0", b"1e-20", W::Ok(b"0")),
    (b"0", b"-1e-20", W::Ok(b"0")),
    (b"-5", b"3", W::Ok(b"-2")),
    (b"-0", b"0", W::Ok(b"0")),
    (b"0", b"-0", W::Ok(b"0")),
    (b"-0", b"-0", W::Ok(b"0")),
    (b"1", b"-1", W::Ok(b"0")),
    (b"0.1", b"-0.1", W::Ok(b"0")),
    (b"-0.1", b"0.1", W::Ok(b"0")),
    (b"18446744073709551615", b"1", W::Ok(b"18446744073709551616")),
    (b"18446744073709551616", b"1", W::Ok(b"18446744073709551616")),
    (b"18446744073709551617", b"0", W::Ok(b"18446744073709551616")),
    (b"9223372036854775807", b"1", W::Ok(b"9223372036854775808")),
    (b"-9223372036854775808", b"-1", W::Ok(b"-9223372036854775809")),
    (b"36893488147419103232", b"1", W::Ok(b"36893488147419103232")),
    (b"36893488147419103231", b"0.5", W::Ok(b"36893488147419103232")),
    (b"0", b"0.000003814697265625", W::Ok(b"0.00000381469726562")),
    (b"0", b"0x1p-18", W::Ok(b"0.00000381469726562")),
    (b"0", b"0x3p-18", W::Ok(b"0.00001144409179688")),
    (b"0", b"0.00000000000000001", W::Ok(b"0.00000000000000001")),
    (b"0", b"0.000000000000000005", W::Ok(b"0")),
    (b"0", b"0.0000000000000000050000000000000001", W::Ok(b"0.00000000000000001")),
    (b"0", b"0.000000000000000015", W::Ok(b"0.00000000000000002")),
    (b"0", b"0.000000000000000025", W::Ok(b"0.00000000000000002")),
    (b"0", b"0.99999999999999999", W::Ok(b"0.99999999999999999")),
    (b"0", b"0.999999999999999999", W::Ok(b"1")),
    (b"0", b"9.999999999999999995", W::Ok(b"9.99999999999999999")),
    (b"0", b"-0.999999999999999999", W::Ok(b"-1")),
    (b"1.1", b"2.2", W::Ok(b"3.3")),
    (b"3.3", b"-1.1", W::Ok(b"2.2")),
    (b"100", b"-99.99", W::Ok(b"0.01")),
    (b"1e308", b"1e308", W::Long { len: 309, head: b"199999999999999999993371", fnv: 0x6d0db09b55205fb7 }),
    (b"1e4932", b"1e4932", W::Err(E::ResultNotFinite)),
    (b"1.18973149535723176502e4932", b"0", W::Long { len: 4933, head: b"118973149535723176502126", fnv: 0x142ac37b8a61dfe2 }),
    (b"1.18973149535723176502e4932", b"1e4900", W::Long { len: 4933, head: b"118973149535723176502126", fnv: 0x142ac37b8a61dfe2 }),
    (b"1.1897314953572317650e4932", b"0", W::Long { len: 4933, head: b"118973149535723176502126", fnv: 0x142ac37b8a61dfe2 }),
    (b"1.18973149535723176508575932662800702e4932", b"0", W::Err(INVALID)),
    (b"1.18973149535723176508575932662800703e4932", b"0", W::Err(INVALID)),
    (b"-1.18973149535723176502e4932", b"-1e4932", W::Err(E::ResultNotFinite)),
    (b"1e500", b"1", W::Long { len: 500, head: b"999999999999999999975327", fnv: 0xebc4df5bd7c8f046 }),
    (b"1e500", b"-1e500", W::Ok(b"0")),
    (b"1e-500", b"0", W::Ok(b"0")),
    (b"1e-4950", b"0", W::Ok(b"0")),
    (b"4e-4951", b"0", W::Ok(b"0")),
    (b"3e-4951", b"0", W::Ok(b"0")),
    (b"2e-4951", b"0", W::Ok(b"0")),
    (b"1e-5000", b"0", W::Err(INVALID)),
    (b"1e5000", b"0", W::Err(INVALID)),
    (b"0", b"1e5000", W::Err(INVALID)),
    (b"0", b"1e-5000", W::Err(INVALID)),
    (b"0e-5000", b"1", W::Ok(b"1")),
    (b"0e99999999999", b"1", W::Ok(b"1")),
    (b"0x0p99999", b"1", W::Ok(b"1")),
    (b"inf", b"1", W::Err(E::ResultNotFinite)),
    (b"-inf", b"1", W::Err(E::ResultNotFinite)),
    (b"1", b"inf", W::Err(E::ResultNotFinite)),
    (b"1", b"-inf", W::Err(E::ResultNotFinite)),
    (b"inf", b"-inf", W::Err(E::ResultNotFinite)),
    (b"Infinity", b"0", W::Err(E::ResultNotFinite)),
    (b"nan", b"1", W::Err(INVALID)),
    (b"1", b"nan", W::Err(INVALID)),
    (b"1", b"NaN", W::Err(INVALID)),
    (b"", b"", W::Err(INVALID)),
    (b"", b"1", W::Err(INVALID)),
    (b"1", b"", W::Err(INVALID)),
    (b" 1", b"1", W::Err(INVALID)),
    (b"1 ", b"1", W::Err(INVALID)),
    (b"1", b"\x091", W::Err(INVALID)),
    (b"1", b"1\x0a", W::Err(INVALID)),
    (b"1", b"1\x00", W::Err(INVALID)),
    (b"\x001", b"1", W::Err(INVALID)),
    (b".5", b"1", W::Ok(b"1.5")),
    (b"5.", b"1", W::Ok(b"6")),
    (b"-.5", b"1", W::Ok(b"0.5")),
    (b"+.5", b"1", W::Ok(b"1.5")),
    (b"+5", b"+5", W::Ok(b"10")),
    (b".", b"1", W::Err(INVALID)),
    (b"1", b".", W::Err(INVALID)),
    (b"-", b"1", W::Err(INVALID)),
    (b"+", b"1", W::Err(INVALID)),
    (b"e5", b"1", W::Err(INVALID)),
    (b"1e", b"1", W::Err(INVALID)),
    (b"1e+", b"1", W::Err(INVALID)),
    (b"1e-", b"1", W::Err(INVALID)),
    (b"1.e5", b"1", W::Ok(b"100001")),
    (b".e5", b"1", W::Err(INVALID)),
    (b"1E+2", b"1", W::Ok(b"101")),
    (b"1e-2", b"1", W::Ok(b"1.01")),
    (b"0x10", b"1", W::Ok(b"17")),
    (b"0X10", b"1", W::Ok(b"17")),
    (b"0x1p3", b"1", W::Ok(b"9")),
    (b"0x1.8p1", b"1", W::Ok(b"4")),
    (b"0x.8", b"0", W::Ok(b"0.5")),
    (b"0x8.p-4", b"0", W::Ok(b"0.5")),
    (b"0x", b"1", W::Err(INVALID)),
    (b"0x.", b"1", W::Err(INVALID)),
    (b"0xp1", b"1", W::Err(INVALID)),
    (b"0x1p", b"1", W::Err(INVALID)),
    (b"0x1p+", b"1", W::Err(INVALID)),
    (b"0xg", b"1", W::Err(INVALID)),
    (b"0x1.fffffffffffffffep16383", b"0", W::Long { len: 4933, head: b"118973149535723176502126", fnv: 0x142ac37b8a61dfe2 }),
    (b"0x1.ffffffffffffffffp16383", b"0", W::Err(INVALID)),
    (b"0x1p16384", b"0", W::Err(INVALID)),
    (b"0x1p-16445", b"0", W::Ok(b"0")),
    (b"0x1p-16446", b"0", W::Err(INVALID)),
    (b"0x1.0000000000000001p-16446", b"0", W::Err(INVALID)),
    (b"0x1.00000000000000000000001p-16446", b"0", W::Ok(b"0")),
    (b"0x1.0000000000000003p-16383", b"0", W::Ok(b"0")),
    (b"00012", b"1", W::Ok(b"13")),
    (b"-00012", b"1", W::Ok(b"-11")),
    (b"0001.5000", b"1", W::Ok(b"2.5")),
    (b"1_000", b"1", W::Err(INVALID)),
    (b"1,5", b"1", W::Err(INVALID)),
    (b"\xd9\xa1", b"1", W::Err(INVALID)),
    (b"infin", b"1", W::Err(INVALID)),
    (b"infinityy", b"1", W::Err(INVALID)),
    (b"-Inf", b"-INF", W::Err(E::ResultNotFinite)),
    (b"nan(1)", b"1", W::Err(INVALID)),
    (b"1.5e", b"1", W::Err(INVALID)),
    (b"123456789012345678901234567890", b"1", W::Ok(b"123456789012345678899921813504")),
    (b"0.123456789012345678901234567890", b"0", W::Ok(b"0.12345678901234568")),
    (b"1234567890.123456789", b"0", W::Ok(b"1234567890.12345678894780576")),
    (b"3.14159265358979323846264338327950288", b"0", W::Ok(b"3.14159265358979324")),
    (b"2.718281828459045235360287", b"1", W::Ok(b"3.71828182845904524")),
    (b"-2.5", b"0.5", W::Ok(b"-2")),
    (b"2.5", b"-0.5", W::Ok(b"2")),
    (b"1e17", b"-1", W::Ok(b"99999999999999999")),
    (b"1e18", b"1", W::Ok(b"1000000000000000001")),
    (b"1e19", b"1", W::Ok(b"10000000000000000001")),
    (b"1e20", b"1", W::Ok(b"100000000000000000000")),
    (b"12345678901234567", b"0.5", W::Ok(b"12345678901234567.5")),
    (b"1234567890123456789", b"0.1", W::Ok(b"1234567890123456789.125")),
    (b"0.1", b"0.7", W::Ok(b"0.8")),
    (b"0.3", b"0.6", W::Ok(b"0.9")),
    (b"0.7", b"0.1", W::Ok(b"0.8")),
    (b"1.005", b"0", W::Ok(b"1.005")),
    (b"1.0000000000000000001", b"0", W::Ok(b"1")),
    (b"0.49999999999999999", b"0", W::Ok(b"0.49999999999999999")),
    (b"5e-18", b"0", W::Ok(b"0")),
    (b"-5e-18", b"0", W::Ok(b"0")),
    (b"1.5e-17", b"0", W::Ok(b"0.00000000000000002")),
    (b"-1.5e-17", b"0", W::Ok(b"-0.00000000000000002")),
    (b"2.5e-17", b"0", W::Ok(b"0.00000000000000002")),
    (b"9.5e-17", b"0", W::Ok(b"0.0000000000000001")),
    (b"1e-17", b"1e-17", W::Ok(b"0.00000000000000002")),
    (b"4.9e-18", b"0", W::Ok(b"0")),
    (b"5.1e-18", b"0", W::Ok(b"0.00000000000000001")),
    (b"-5.1e-18", b"0", W::Ok(b"-0.00000000000000001")),
    (b"0.1", b"0.1", W::Ok(b"0.2")),
    (b"0.2", b"0.2", W::Ok(b"0.4")),
    (b"0.3", b"0.3", W::Ok(b"0.6")),
    (b"10", b"-10.1", W::Ok(b"-0.1")),
    (b"-10", b"10.1", W::Ok(b"0.1")),
    (b"1000000", b"0.000001", W::Ok(b"1000000.00000099999999748")),
    (b"1e10", b"1e-10", W::Ok(b"10000000000")),
    (b"1e15", b"0.3", W::Ok(b"1000000000000000.29998779296875")),
    (b"1e16", b"0.3", W::Ok(b"10000000000000000.2998046875")),
    (b"4503599627370496", b"0.5", W::Ok(b"4503599627370496.5")),
    (b"9007199254740993", b"0", W::Ok(b"9007199254740993")),
    (b"9007199254740993", b"0.5", W::Ok(b"9007199254740993.5")),
    (b"18014398509481985", b"0.25", W::Ok(b"18014398509481985.25")),
    (b"-999999999999999999999999999999", b"-1e-30", W::Ok(b"-1000000000000000000024696061952")),
    (b"9999999999999999999999999999999999999999.9999999999999999999999999999999999999999", b"1", W::Ok(b"9999999999999999999783686092270256259072")),
    (b"0.00000000000000000000000000000000000000001", b"1", W::Ok(b"1")),
    (b"0.00000000000000001", b"0", W::Ok(b"0.00000000000000001")),
    (b"0.00000000000000002", b"0", W::Ok(b"0.00000000000000002")),
    (b"0.00000000000000003", b"0", W::Ok(b"0.00000000000000003")),
    (b"0.00000000000000004", b"0", W::Ok(b"0.00000000000000004")),
    (b"0.00000000000000005", b"0", W::Ok(b"0.00000000000000005")),
    (b"0.00000000000000006", b"0", W::Ok(b"0.00000000000000006")),
    (b"0.00000000000000007", b"0", W::Ok(b"0.00000000000000007")),
    (b"0.00000000000000008", b"0", W::Ok(b"0.00000000000000008")),
    (b"0.00000000000000009", b"0", W::Ok(b"0.00000000000000009")),
    (b"0.5e-17", b"0", W::Ok(b"0")),
    (b"1.5e-17", b"0", W::Ok(b"0.00000000000000002")),
    (b"2.5e-17", b"0", W::Ok(b"0.00000000000000002")),
    (b"3.5e-17", b"0", W::Ok(b"0.00000000000000004")),
    (b"4.5e-17", b"0", W::Ok(b"0.00000000000000004")),
    (b"5.5e-17", b"0", W::Ok(b"0.00000000000000005")),
    (b"6.5e-17", b"0", W::Ok(b"0.00000000000000006")),
    (b"7.5e-17", b"0", W::Ok(b"0.00000000000000007")),
    (b"8.5e-17", b"0", W::Ok(b"0.00000000000000009")),
    (b"9.5e-17", b"0", W::Ok(b"0.0000000000000001")),
    (b"0x1p-57", b"0", W::Ok(b"0.00000000000000001")),
    (b"0x3p-58", b"0", W::Ok(b"0.00000000000000001")),
    (b"0x5p-59", b"0", W::Ok(b"0.00000000000000001")),
    (b"0xfffffffffffffffffp-100", b"0", W::Ok(b"0.00000000023283064")),
    (b"0xabcdefp-70", b"0", W::Ok(b"0.00000000000000954")),
    (b"0x1p-60", b"0", W::Ok(b"0")),
    (b"0x3p-60", b"0", W::Ok(b"0")),
    (b"0x8000000000000001p-63", b"0", W::Ok(b"1")),
    (b"0xffffffffffffffffp-64", b"0", W::Ok(b"1")),
];

/// `(stored field, increment, reply)` for `HSET h f <stored>; HINCRBYFLOAT h f <increment>`.
#[rustfmt::skip]
const HINCRBYFLOAT: &[(&[u8], &[u8], W)] = &[
    (b"1", b"1", W::Ok(b"2")),
    (b"abc", b"1", W::Err(E::InvalidCurrent)),
    (b"1", b"abc", W::Err(E::InvalidIncrement)),
    (b"abc", b"abc", W::Err(E::InvalidIncrement)),
    (b"abc", b"inf", W::Err(E::IncrementNotFinite)),
    (b"1", b"inf", W::Err(E::IncrementNotFinite)),
    (b"1", b"-inf", W::Err(E::IncrementNotFinite)),
    (b"inf", b"1", W::Err(E::ResultNotFinite)),
    (b"1e4932", b"1e4932", W::Err(E::ResultNotFinite)),
    (b"1", b"nan", W::Err(E::InvalidIncrement)),
    (b"0.1", b"0.2", W::Ok(b"0.3")),
    (b" 1", b"1", W::Err(E::InvalidCurrent)),
    (b"1e500", b"0", W::Long { len: 500, head: b"999999999999999999975327", fnv: 0xebc4df5bd7c8f046 }),
    (b"-0", b"0", W::Ok(b"0")),
];

/// `(argument, bits of the stored score)` for `ZADD z <argument> m` (skiplist encoding, which keeps `-0`).
#[rustfmt::skip]
const DOUBLES: &[(&[u8], Option<u64>)] = &[
    (b"1", Some(0x3ff0000000000000)),
    (b"+1", Some(0x3ff0000000000000)),
    (b"-1", Some(0xbff0000000000000)),
    (b"-0", Some(0x8000000000000000)),
    (b"+0", Some(0x0000000000000000)),
    (b"0", Some(0x0000000000000000)),
    (b"0.0", Some(0x0000000000000000)),
    (b"-0.0", Some(0x8000000000000000)),
    (b".5", Some(0x3fe0000000000000)),
    (b"5.", Some(0x4014000000000000)),
    (b"-.5", Some(0xbfe0000000000000)),
    (b"+.5", Some(0x3fe0000000000000)),
    (b"1e5", Some(0x40f86a0000000000)),
    (b"1E5", Some(0x40f86a0000000000)),
    (b"1e+5", Some(0x40f86a0000000000)),
    (b"1e-5", Some(0x3ee4f8b588e368f1)),
    (b"1.5e300", Some(0x7e41eb2d66005835)),
    (b"1e308", Some(0x7fe1ccf385ebc8a0)),
    (b"1.7976931348623157e308", Some(0x7fefffffffffffff)),
    (b"1.7976931348623158e308", Some(0x7fefffffffffffff)),
    (b"1.7976931348623159e308", None),
    (b"1e309", None),
    (b"1e400", None),
    (b"1e-300", Some(0x01a56e1fc2f8f359)),
    (b"2.2250738585072014e-308", Some(0x0010000000000000)),
    (b"2.2250738585072011e-308", Some(0x000fffffffffffff)),
    (b"4.9406564584124654e-324", Some(0x0000000000000001)),
    (b"2.4703282292062328e-324", Some(0x0000000000000001)),
    (b"2.4703282292062327e-324", None),
    (b"1e-320", Some(0x00000000000007e8)),
    (b"1e-324", None),
    (b"1e-400", None),
    (b"0e-400", Some(0x0000000000000000)),
    (b"0e999999999999", Some(0x0000000000000000)),
    (b"inf", Some(0x7ff0000000000000)),
    (b"-inf", Some(0xfff0000000000000)),
    (b"+inf", Some(0x7ff0000000000000)),
    (b"Inf", Some(0x7ff0000000000000)),
    (b"INF", Some(0x7ff0000000000000)),
    (b"infinity", Some(0x7ff0000000000000)),
    (b"-Infinity", Some(0xfff0000000000000)),
    (b"INFINITY", Some(0x7ff0000000000000)),
    (b"infin", None),
    (b"infinityy", None),
    (b"nan", None),
    (b"-nan", None),
    (b"NaN", None),
    (b"nan(1)", None),
    (b"", None),
    (b" 1", None),
    (b"1 ", None),
    (b"\x091", None),
    (b"1\x0a", None),
    (b"1\x00", None),
    (b"\x00", None),
    (b"1e", None),
    (b"1e+", None),
    (b"1e-", None),
    (b"e5", None),
    (b".", None),
    (b"-", None),
    (b"+", None),
    (b"..5", None),
    (b"1..5", None),
    (b"1.5.", None),
    (b"--1", None),
    (b"+-1", None),
    (b"1e5e5", None),
    (b"1e5.5", None),
    (b"0x10", Some(0x4030000000000000)),
    (b"0X10", Some(0x4030000000000000)),
    (b"0x1p3", Some(0x4020000000000000)),
    (b"0x1P-3", Some(0x3fc0000000000000)),
    (b"0x1.8p1", Some(0x4008000000000000)),
    (b"0x.8", Some(0x3fe0000000000000)),
    (b"0x8.", Some(0x4020000000000000)),
    (b"0x", None),
    (b"0x.", None),
    (b"0xp1", None),
    (b"0x1p", None),
    (b"0x1p+", None),
    (b"0xg", None),
    (b"0x1.fffffffffffffp1023", Some(0x7fefffffffffffff)),
    (b"0x1.fffffffffffff8p1023", None),
    (b"0x1p1024", None),
    (b"0x1p-1074", Some(0x0000000000000001)),
    (b"0x1p-1075", None),
    (b"0x1.0000000000001p-1075", Some(0x0000000000000001)),
    (b"0x1.00000000000018p-1023", Some(0x0008000000000000)),
    (b"0x1.000000000000180000001p-1023", Some(0x0008000000000001)),
    (b"0x1p-1022", Some(0x0010000000000000)),
    (b"-0x1p-1074", Some(0x8000000000000001)),
    (b"-0x0p0", Some(0x8000000000000000)),
    (b"0x0p99999999", Some(0x0000000000000000)),
    (b"00012", Some(0x4028000000000000)),
    (b"-00012", Some(0xc028000000000000)),
    (b"0001.5000", Some(0x3ff8000000000000)),
    (b"1_000", None),
    (b"1,5", None),
    (b"3.14159265358979323846264338327950288", Some(0x400921fb54442d18)),
    (b"0.1", Some(0x3fb999999999999a)),
    (b"0.2", Some(0x3fc999999999999a)),
    (b"0.3", Some(0x3fd3333333333333)),
    (b"123456789012345678901234567890", Some(0x45f8ee90ff6c373e)),
    (b"9007199254740993", Some(0x4340000000000000)),
    (b"9007199254740992.5", Some(0x4340000000000000)),
    (b"9007199254740993.0000000000000000001", Some(0x4340000000000001)),
    (b"5e-324", Some(0x0000000000000001)),
    (b"3e-324", Some(0x0000000000000001)),
    (b"2e-324", None),
    (b"7.5e-324", Some(0x0000000000000002)),
    (b"1.5e-323", Some(0x0000000000000003)),
];

/// `(argument, value)` for `SET k <argument>; INCRBY k 0` (and as INCRBY's increment).
#[rustfmt::skip]
const INTEGERS: &[(&[u8], Option<i64>)] = &[
    (b"0", Some(0)),
    (b"1", Some(1)),
    (b"-1", Some(-1)),
    (b"-0", None),
    (b"+1", None),
    (b"00", None),
    (b"01", None),
    (b"-01", None),
    (b"007", None),
    (b" 1", None),
    (b"1 ", None),
    (b"", None),
    (b"-", None),
    (b"+", None),
    (b"9223372036854775807", Some(9223372036854775807)),
    (b"9223372036854775808", None),
    (b"-9223372036854775808", Some(-9223372036854775808)),
    (b"-9223372036854775809", None),
    (b"18446744073709551615", None),
    (b"18446744073709551616", None),
    (b"99999999999999999999", None),
    (b"-99999999999999999999", None),
    (b"000000000000000000001", None),
    (b"1e3", None),
    (b"1.0", None),
    (b"0x10", None),
    (b"12a", None),
    (b"\x001", None),
    (b"1\x00", None),
    (b"123456789", Some(123456789)),
    (b"-123456789", Some(-123456789)),
    (b"10", Some(10)),
    (b"100000000000000000000", None),
];

/// Long operands as run-length segments, `(stored, increment, reply)` as in [`INCRBYFLOAT`].
#[rustfmt::skip]
const LONG_INCRBYFLOAT: &[(Segments, Segments, W)] = &[
    (&[(b"0.", 1), (b"3", 5000)], &[(b"0", 1)], W::Ok(b"0.33333333333333333")),
    (&[(b"0.1", 1), (b"0", 5115), (b"1", 1)], &[(b"0", 1)], W::Ok(b"0.1")),
    (&[(b"0.1", 1), (b"0", 5116), (b"1", 1)], &[(b"0", 1)], W::Err(INVALID)),
    (&[(b"1", 1), (b"5", 5118)], &[(b"-1e5118", 1)], W::Err(INVALID)),
    (&[(b"1", 1), (b"0", 5118)], &[(b"-1e5118", 1)], W::Err(INVALID)),
    (&[(b"1", 1), (b"0", 5119)], &[(b"0", 1)], W::Err(INVALID)),
    (&[(b"1", 1), (b"5", 50), (b".", 1), (b"0", 5000)], &[(b"0.5", 1)], W::Ok(b"155555555555555555560003601873577677695467244224512")),
    (&[(b"0.5", 1), (b"0", 3000), (b"1", 1), (b"e-17", 1)], &[(b"0", 1)], W::Ok(b"0")),
    (&[(b"0.5", 1), (b"0", 3000), (b"e-17", 1)], &[(b"0", 1)], W::Ok(b"0")),
    (&[(b"1", 1)], &[(b"0.", 1), (b"0", 5000), (b"1e5000", 1)], W::Ok(b"1.1")),
    (&[(b"1", 1)], &[(b"0.", 1), (b"0", 4990), (b"1", 1)], W::Err(INVALID)),
    (&[(b"0.", 1), (b"0", 4945), (b"1", 1)], &[(b"0", 1)], W::Ok(b"0")),
    (&[(b"1", 1), (b"0", 5000), (b"e-5000", 1)], &[(b"0.25", 1)], W::Ok(b"1.25")),
    (&[(b"-0.", 1), (b"0", 4000)], &[(b"0", 1)], W::Ok(b"0")),
];

/// Long `ZADD` scores as run-length segments, as in [`DOUBLES`].
#[rustfmt::skip]
const LONG_DOUBLES: &[(Segments, Option<u64>)] = &[
    (&[(b"1", 1), (b"0", 400)], None),
    (&[(b"0.", 1), (b"0", 400), (b"1", 1)], None),
    (&[(b"1", 1), (b"0", 308)], Some(0x7fe1ccf385ebc8a0)),
    (&[(b"1", 1), (b"0", 309)], None),
    (&[(b"0.", 1), (b"0", 322), (b"1", 1)], Some(0x0000000000000002)),
    (&[(b"0.", 1), (b"0", 323), (b"1", 1)], None),
    (&[(b"0.", 1), (b"0", 323), (b"25", 1)], Some(0x0000000000000001)),
    (&[(b"1", 1), (b"0", 20000), (b"e-20000", 1)], Some(0x3ff0000000000000)),
    (&[(b"0.", 1), (b"0", 20000), (b"1e20001", 1)], Some(0x3ff0000000000000)),
    (&[(b"2", 1), (b"0", 20000), (b"1", 1), (b"e-20001", 1)], Some(0x4000000000000000)),
];
