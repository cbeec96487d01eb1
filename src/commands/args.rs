//! Argument parsing shared by every handler: numbers with Redis's exact
//! rules and errors, and case-insensitive option keywords.

use crate::error::Error;
use crate::num;

/// An i64 argument, or `ERR value is not an integer or out of range`.
#[inline]
pub fn int(arg: &[u8]) -> Result<i64, Error> {
    num::parse_i64(arg).ok_or(Error::NotInteger)
}

/// A non-negative integer argument (counts), with Redis's
/// `ERR value is out of range, must be positive` for negatives.
pub fn positive(arg: &[u8]) -> Result<i64, Error> {
    let n = int(arg)?;
    if n < 0 {
        return Err(Error::NotPositive);
    }
    Ok(n)
}

/// An f64 argument, or `ERR value is not a valid float`.
#[inline]
pub fn float(arg: &[u8]) -> Result<f64, Error> {
    num::parse_f64(arg).ok_or(Error::NotFloat)
}

/// True if `arg` equals the keyword `kw` ignoring ASCII case.
#[inline]
pub fn is(arg: &[u8], kw: &str) -> bool {
    arg.eq_ignore_ascii_case(kw.as_bytes())
}

/// A database index argument (SELECT, MOVE, SWAPDB, COPY DB).
pub fn db_index(arg: &[u8], databases: usize) -> Result<usize, Error> {
    let n = num::parse_i64(arg).ok_or(Error::err("ERR invalid DB index"))?;
    if n < 0 || n as u64 >= databases as u64 {
        return Err(Error::DbIndexOutOfRange);
    }
    Ok(n as usize)
}

/// Resolves Redis's start/end index pair (negative counts from the end)
/// against a length; `None` when the range is empty.
pub fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_follow_redis() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 2)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 2)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(5, 10, 3), None);
        assert_eq!(clamp_range(0, -1, 0), None);
        assert_eq!(clamp_range(-1, -1, 3), Some((2, 2)));
    }
}
