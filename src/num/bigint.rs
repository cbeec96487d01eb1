//! A deliberately small unsigned big integer.
//!
//! Exact decimal <-> binary conversion of `long double` values needs integers
//! of up to ~35,000 bits (a 5,119-digit mantissa times `10^4952`). Only the
//! handful of operations those conversions use are provided, and none of them
//! has to be asymptotically clever: the numbers are bounded and conversions
//! are rare compared to ordinary command traffic.

use std::cmp::Ordering;

/// Little-endian base-2^32 limbs, with no high zero limbs (zero is empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BigUint {
    limbs: Vec<u32>,
}

impl BigUint {
    pub(crate) fn from_u64(v: u64) -> Self {
        let mut n = BigUint {
            limbs: vec![v as u32, (v >> 32) as u32],
        };
        n.trim();
        n
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    /// Number of significant bits (0 for zero).
    pub(crate) fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() as u64 * 32 - u64::from(top.leading_zeros()),
        }
    }

    /// `self = self * m + a`, the step used to accumulate digits.
    pub(crate) fn mul_add_small(&mut self, m: u32, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.limbs {
            let t = u64::from(*limb) * u64::from(m) + carry;
            *limb = t as u32;
            carry = t >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    /// Multiplies by `10^n`, nine decimal digits at a time.
    pub(crate) fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            n -= 9;
        }
        if n > 0 {
            self.mul_add_small(10u32.pow(n), 0);
        }
    }

    /// Shifts left by `bits`.
    pub(crate) fn shl(&mut self, bits: u64) {
        if self.is_zero() || bits == 0 {
            return;
        }
        let words = (bits / 32) as usize;
        let rem = (bits % 32) as u32;
        if rem != 0 {
            let mut carry = 0u32;
            for limb in &mut self.limbs {
                let next = *limb >> (32 - rem);
                *limb = (*limb << rem) | carry;
                carry = next;
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        if words > 0 {
            let mut v = vec![0u32; words];
            v.append(&mut self.limbs);
            self.limbs = v;
        }
    }

    /// Shifts right by one bit.
    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.limbs.iter_mut().rev() {
            let next = *limb << 31;
            *limb = (*limb >> 1) | carry;
            carry = next;
        }
        self.trim();
    }

    /// `self -= other`; the caller guarantees `self >= other`.
    fn sub_assign(&mut self, other: &BigUint) {
        let mut borrow = 0i64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let o = i64::from(other.limbs.get(i).copied().unwrap_or(0));
            let mut t = i64::from(*limb) - o - borrow;
            if t < 0 {
                t += 1 << 32;
                borrow = 1;
            } else {
                borrow = 0;
            }
            *limb = t as u32;
        }
        self.trim();
    }

    /// Divides by a small divisor in place and returns the remainder.
    pub(crate) fn divmod_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for limb in self.limbs.iter_mut().rev() {
            let cur = (rem << 32) | u64::from(*limb);
            *limb = (cur / u64::from(d)) as u32;
            rem = cur % u64::from(d);
        }
        self.trim();
        rem as u32
    }

    /// The highest (up to) 128 bits as `(top, shift, sticky)` such that
    /// `self == top * 2^shift + r` with `0 <= r < 2^shift` and `sticky == (r != 0)`.
    pub(crate) fn top_u128(&self) -> (u128, u64, bool) {
        let shift = self.bit_len().saturating_sub(128);
        let first = (shift / 32) as usize;
        let low = (shift % 32) as u32;
        let limb = |i: usize| u64::from(self.limbs.get(i).copied().unwrap_or(0));
        let mut top = 0u128;
        for k in 0..4 {
            let pair = (limb(first + k + 1) << 32) | limb(first + k);
            top |= u128::from((pair >> low) as u32) << (32 * k);
        }
        let sticky = self.limbs.iter().take(first).any(|&l| l != 0)
            || limb(first) & ((1u64 << low) - 1) != 0;
        (top, shift, sticky)
    }

    pub(crate) fn cmp(&self, other: &BigUint) -> Ordering {
        self.limbs.len().cmp(&other.limbs.len()).then_with(|| {
            for (a, b) in self.limbs.iter().rev().zip(other.limbs.iter().rev()) {
                match a.cmp(b) {
                    Ordering::Equal => {}
                    o => return o,
                }
            }
            Ordering::Equal
        })
    }

    /// Quotient of `self / divisor` when it is known to fit in `qbits` bits
    /// (at most 128), plus whether the division was inexact. Plain binary
    /// long division: `qbits` shift/compare/subtract rounds.
    pub(crate) fn div_small_quotient(mut self, divisor: &BigUint, qbits: u32) -> (u128, bool) {
        let mut d = divisor.clone();
        let steps = qbits.min(128);
        d.shl(u64::from(steps));
        let mut q = 0u128;
        for _ in 0..=steps {
            q <<= 1;
            if self.cmp(&d) != Ordering::Less {
                self.sub_assign(&d);
                q |= 1;
            }
            d.shr1();
        }
        (q, !self.is_zero())
    }

    /// Decimal digits, most significant first ("0" for zero).
    pub(crate) fn to_decimal(&self) -> Vec<u8> {
        if self.is_zero() {
            return b"0".to_vec();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.divmod_small(1_000_000_000));
        }
        let mut out = Vec::with_capacity(chunks.len() * 9);
        for (i, chunk) in chunks.iter().rev().enumerate() {
            if i == 0 {
                out.extend_from_slice(chunk.to_string().as_bytes());
            } else {
                out.extend_from_slice(format!("{chunk:09}").as_bytes());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_dec(s: &str) -> BigUint {
        let mut n = BigUint::default();
        for b in s.bytes() {
            n.mul_add_small(10, u32::from(b - b'0'));
        }
        n
    }

    #[test]
    fn decimal_round_trip() {
        for s in [
            "0",
            "1",
            "4294967296",
            "340282366920938463463374607431768211457",
        ] {
            assert_eq!(from_dec(s).to_decimal(), s.as_bytes());
        }
        let mut n = BigUint::from_u64(1);
        n.mul_pow10(40);
        let mut s = "1".to_string();
        s.push_str(&"0".repeat(40));
        assert_eq!(n.to_decimal(), s.as_bytes());
    }

    #[test]
    fn top_bits() {
        let mut n = BigUint::from_u64(0b1011);
        n.shl(200);
        let (top, shift, sticky) = n.top_u128();
        assert_eq!(shift, 204 - 128);
        assert_eq!(top, 0b1011u128 << 124);
        assert!(!sticky);
        let mut m = n.clone();
        m.mul_add_small(1, 1);
        let (top2, shift2, sticky2) = m.top_u128();
        assert_eq!((top2, shift2, sticky2), (top, shift, true));
        for k in 0..140u64 {
            let mut x = from_dec("123456789123456789123456789123456789");
            x.shl(k);
            let (t, s, st) = x.top_u128();
            let mut back = BigUint::from_u64(0);
            back.limbs = vec![
                t as u32,
                (t >> 32) as u32,
                (t >> 64) as u32,
                (t >> 96) as u32,
            ];
            back.trim();
            back.shl(s);
            assert_eq!(back.cmp(&x) == Ordering::Equal, !st, "k={k}");
            assert!(t >> 127 == 1 || s == 0);
        }
    }

    #[test]
    fn long_division() {
        let x = from_dec("1000000000000000000000000000000");
        let y = from_dec("7");
        let (q, inexact) = x.div_small_quotient(&y, 100);
        assert_eq!(q, 1_000_000_000_000_000_000_000_000_000_000u128 / 7);
        assert!(inexact);
        let (q, inexact) = from_dec("49").div_small_quotient(&y, 10);
        assert_eq!((q, inexact), (7, false));
    }
}
