//! The 48-bit linear congruential generator behind `math.random`: Redis
//! replaces libc's generator with this one so a seeded script gives the
//! same numbers everywhere, and we follow it so seeded sequences match.

const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
const LRAND48_MAX: u64 = i32::MAX as u64;

#[derive(Debug, Clone)]
pub struct Rand48 {
    x: u64,
}

impl Default for Rand48 {
    /// The generator's state before any seeding.
    fn default() -> Self {
        Rand48 {
            x: 0x1234_ABCD_330E,
        }
    }
}

impl Rand48 {
    /// `math.randomseed(seed)`.
    pub fn seed(&mut self, seed: i32) {
        self.x = (u64::from(seed as u32) << 16) | 0x330E;
    }

    /// The next 31-bit value.
    pub fn next_u31(&mut self) -> u64 {
        self.x = (A.wrapping_mul(self.x).wrapping_add(C)) & MASK;
        self.x >> 17
    }

    /// A number in [0, 1), as `math.random()` returns.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u31() % LRAND48_MAX) as f64 / LRAND48_MAX as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_sequence_matches_redis() {
        let mut r = Rand48::default();
        r.seed(1);
        let first = r.next_f64();
        assert!((first - 0.041_630_344_484_761).abs() < 1e-14);
        assert_eq!((r.next_f64() * 100.0).floor() as i64 + 1, 46);
    }
}
