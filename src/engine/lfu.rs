//! Redis's LFU access counter, kept in `Entry::lru` when an LFU maxmemory
//! policy is set: the high 16 bits are the minute of the last decrement,
//! the low 8 bits a logarithmic counter (OBJECT FREQ, LFU eviction).

use super::clock::lru_clock;

/// The counter a key starts with.
pub const INIT: u32 = 5;

/// The LFU tuning knobs (lfu-log-factor, lfu-decay-time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    pub log_factor: u32,
    pub decay_minutes: u32,
}

fn minutes() -> u32 {
    (lru_clock() / 60) & 0xFFFF
}

/// Minutes since `ldt`, wrapping like Redis's 16-bit minute clock.
fn elapsed(ldt: u32) -> u32 {
    let now = minutes();
    let ldt = ldt & 0xFFFF;
    if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    }
}

/// The counter after decay (what OBJECT FREQ reports).
pub fn current(field: u32, p: Params) -> u32 {
    // After a switch from an LRU policy the field holds an access time;
    // like Redis, read it as LFU data anyway (it will settle).
    let ldt = (field >> 8) & 0xFFFF;
    let counter = field & 0xFF;
    // A decay time of 0 means the counter never decays.
    let periods = elapsed(ldt).checked_div(p.decay_minutes).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// A new key's field.
pub fn fresh() -> u32 {
    (minutes() << 8) | INIT
}

/// A field holding counter `freq` as of now (RESTORE ... FREQ).
pub fn with_counter(freq: u32) -> u32 {
    (minutes() << 8) | freq.min(255)
}

/// The field after one access: decay, then a probabilistic increment that
/// gets rarer as the counter grows.
pub fn touch(field: u32, p: Params) -> u32 {
    let mut counter = current(field, p);
    if counter < 255 {
        let base = counter.saturating_sub(INIT) as f64;
        let prob = 1.0 / (base * f64::from(p.log_factor) + 1.0);
        if fastrand::f64() < prob {
            counter += 1;
        }
    }
    (minutes() << 8) | counter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_grows_logarithmically_and_decays() {
        let p = Params {
            log_factor: 10,
            decay_minutes: 1,
        };
        let mut f = fresh();
        assert_eq!(current(f, p), INIT);
        f = touch(f, p);
        assert_eq!(current(f, p), INIT + 1); // below the first step: always
        for _ in 0..10_000 {
            f = touch(f, p);
        }
        let c = current(f, p);
        assert!(c > 10 && c < 60, "{c}");
        // Ten minutes ago: ten periods of decay.
        let old = ((minutes().wrapping_sub(10) & 0xFFFF) << 8) | 20;
        assert_eq!(current(old, p), 10);
        assert_eq!(current(with_counter(300), p), 255);
    }
}
