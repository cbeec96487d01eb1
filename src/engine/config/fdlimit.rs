//! `maxclients` and the process's open files limit, tied as redis-server
//! ties them: a served engine needs a descriptor per client plus
//! [`RESERVED_FDS`], so the server raises `RLIMIT_NOFILE` at start-up
//! (lowering `maxclients` when it cannot) and CONFIG SET refuses a
//! `maxclients` the limit cannot be raised to.

/// Descriptors redis-server keeps for itself beyond its clients.
pub const RESERVED_FDS: u64 = 32;

/// redis-server tries the limit it wants, then this many descriptors less
/// at a time, until the kernel takes one.
const STEP: u64 = 16;

/// Raises the open files limit toward `maxclients` plus [`RESERVED_FDS`]
/// as redis-server does, and returns the `maxclients` the limit reached
/// holds: `maxclients` itself, or less when the limit cannot go that high.
/// The limit is never lowered (redis-server also sets the hard limit to
/// the value it reached; keeping the higher hard limit changes nothing
/// this process can observe).
pub fn fit_maxclients(maxclients: u64) -> u64 {
    let want = maxclients.saturating_add(RESERVED_FDS);
    let Some((soft, hard)) = get() else {
        return maxclients;
    };
    if soft >= want {
        return maxclients;
    }
    // redis-server keeps the first of want, want - STEP, want - 2 STEP...
    // (above the current limit) the kernel accepts. Acceptance falls off
    // with the value (the hard limit, or fs.nr_open when the hard limit
    // may be raised), so a binary search over that sequence finds the
    // same value in a few calls instead of one per step.
    let candidate = |k: u64| want - k * STEP;
    let last = (want - soft - 1) / STEP;
    let (mut lo, mut hi) = (0, last + 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if set(candidate(mid), hard) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let reached = if lo <= last && set(candidate(lo), hard) {
        candidate(lo)
    } else {
        soft
    };
    if reached >= want {
        maxclients
    } else {
        reached.saturating_sub(RESERVED_FDS).max(1)
    }
}

/// Why CONFIG SET refuses a `maxclients` that does not fit, naming the
/// one that does (redis-server's text).
pub fn refusal(fit: u64) -> String {
    format!("The operating system is not able to handle the specified number of clients, try with {fit}")
}

/// The soft and hard `RLIMIT_NOFILE`.
fn get() -> Option<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return None;
    }
    // rlim_t is u64 on the platforms redcore builds for.
    Some((lim.rlim_cur, lim.rlim_max))
}

/// Sets the soft limit to `value`, raising the hard limit to it if need
/// be (which only a privileged process may); true if the kernel took it.
fn set(value: u64, hard: u64) -> bool {
    let lim = libc::rlimit {
        rlim_cur: value,
        rlim_max: value.max(hard),
    };
    // SAFETY: setrlimit only reads the struct it is given.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_maxclients_the_limit_holds_is_kept() {
        let (soft, _) = get().unwrap();
        assert_eq!(fit_maxclients(1), 1);
        assert!(soft > RESERVED_FDS);
    }

    #[test]
    fn past_what_the_kernel_allows_it_says_what_fits() {
        // fs.nr_open bounds every process, privileged or not.
        let Ok(nr_open) = std::fs::read_to_string("/proc/sys/fs/nr_open") else {
            return;
        };
        let nr_open: u64 = nr_open.trim().parse().unwrap();
        let asked = nr_open + 1000;
        let fit = fit_maxclients(asked);
        assert!(fit < asked);
        let (soft, hard) = get().unwrap();
        assert_eq!(fit, soft - RESERVED_FDS);
        assert!(soft <= hard);
        // What it offers now fits as it is.
        assert_eq!(fit_maxclients(fit), fit);
    }
}
