//! maxmemory: the memory figure eviction compares with the limit, and the
//! eviction itself, with Redis's eight policies and its sampled
//! approximations.
//!
//! The figure is [`Store::used_memory`]: the startup baseline plus each
//! database's running estimate ([`crate::engine::Db::used`]), kept up to
//! date as keys change, so reading it costs a few additions. Before each
//! command (when `maxmemory` is set) the dispatcher calls
//! [`Store::perform_evictions`], which evicts until the figure is under
//! the limit or reports that it cannot.
//!
//! LRU, LFU and TTL policies pick victims as Redis does: each round samples
//! `maxmemory-samples` keys per database into a small pool ordered by how
//! evictable they are (idle time, low access frequency, near deadline) and
//! evicts the best candidate still present; the pool persists between
//! rounds, so good candidates found earlier are not forgotten. The random
//! policies pick a random key, visiting the databases in turn.
//!
//! Evictions, and eviction coming up short (the OOM refusals follow), are
//! logged as warnings (`redcore.engine.evict` in Python's `logging`), at
//! most one of each kind per [`WARN_EVERY_MS`] with the count since the
//! last, so a write storm over the limit does not flood the log.

use crate::engine::clock::lru_clock;
use crate::engine::compact::CompactBytes;
use crate::engine::{lfu, Entry, Store, NO_EXPIRE};

/// What an empty engine reports (INFO used_memory_startup), like a fresh
/// server's baseline.
pub const STARTUP_MEMORY: usize = 865_000;

/// Candidates kept between rounds (Redis's EVPOOL_SIZE).
const POOL_SIZE: usize = 16;

/// A maxmemory-policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    /// The policy a `maxmemory-policy` value names (config validates it;
    /// anything else reads as `noeviction`).
    pub fn parse(name: &str) -> Policy {
        match name {
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    /// True if the policy only evicts keys with a TTL.
    fn volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }

    fn random(self) -> bool {
        matches!(self, Policy::AllKeysRandom | Policy::VolatileRandom)
    }
}

/// The eviction warnings' rate limit: at most one of each kind per
/// [`WARN_EVERY_MS`], counting what happened in between.
#[derive(Debug, Default)]
struct Warnings {
    /// Unix ms of the last "keys evicted" warning (0: none yet).
    evicted_at: i64,
    /// Keys evicted since that warning.
    evicted: u64,
    /// Unix ms of the last "cannot free enough memory" warning.
    stuck_at: i64,
    /// Times eviction came up short since that warning.
    stuck: u64,
}

/// Eviction warnings go to the log at most this often per kind, so a
/// write storm over the limit does not flood it.
pub const WARN_EVERY_MS: i64 = 10_000;

impl Warnings {
    fn evicted(&mut self, n: u64, used: usize, max: usize, policy: &str) {
        self.evicted += n;
        let now = crate::engine::now_ms();
        if self.evicted_at != 0 && now - self.evicted_at < WARN_EVERY_MS {
            return;
        }
        let since = if self.evicted_at == 0 {
            String::new()
        } else {
            format!(" in the last {}s", (now - self.evicted_at) / 1000)
        };
        log::warn!(
            "maxmemory reached: {} keys evicted{since} by maxmemory-policy {policy} (used_memory {used}, maxmemory {max})",
            self.evicted
        );
        self.evicted_at = now;
        self.evicted = 0;
    }

    fn stuck(&mut self, used: usize, max: usize, policy: &str) {
        self.stuck += 1;
        let now = crate::engine::now_ms();
        if self.stuck_at != 0 && now - self.stuck_at < WARN_EVERY_MS {
            return;
        }
        let why = if policy == "noeviction" {
            "maxmemory-policy is noeviction".to_string()
        } else {
            format!("maxmemory-policy {policy} found no key it may evict")
        };
        let times = if self.stuck > 1 {
            format!(" ({} times since the last warning)", self.stuck)
        } else {
            String::new()
        };
        log::warn!(
            "used_memory {used} is over maxmemory {max} and eviction cannot free enough memory ({why}): commands that may grow memory are refused with OOM{times}"
        );
        self.stuck_at = now;
        self.stuck = 0;
    }
}

/// One eviction candidate: higher `score` is evicted first.
#[derive(Debug)]
struct Candidate {
    score: u64,
    db: usize,
    key: CompactBytes,
}

/// The eviction pool and the random policies' next database.
#[derive(Debug, Default)]
pub struct Evictor {
    /// Ascending by score: the best candidate is last.
    pool: Vec<Candidate>,
    next_db: usize,
    /// The highest [`Store::used_memory`] seen (INFO used_memory_peak).
    pub peak: usize,
    warnings: Warnings,
}

impl Evictor {
    /// Offers a sampled key to the pool: kept if the pool has room or it
    /// beats the worst candidate.
    fn offer(&mut self, score: u64, db: usize, key: &CompactBytes) {
        if self.pool.iter().any(|c| c.db == db && c.key == *key) {
            return;
        }
        if self.pool.len() >= POOL_SIZE {
            if self.pool[0].score >= score {
                return;
            }
            self.pool.remove(0);
        }
        let at = self.pool.partition_point(|c| c.score <= score);
        self.pool.insert(
            at,
            Candidate {
                score,
                db,
                key: key.clone(),
            },
        );
    }
}

/// How evictable `entry` is under `policy`: seconds idle (LRU), 255 minus
/// the access counter (LFU), or closeness of the deadline (TTL).
fn score(policy: Policy, entry: &Entry, lfu: Option<lfu::Params>) -> u64 {
    match policy {
        Policy::VolatileTtl if entry.expire_at != NO_EXPIRE => u64::MAX - entry.expire_at as u64,
        Policy::AllKeysLfu | Policy::VolatileLfu => {
            let p = lfu.unwrap_or(lfu::Params {
                log_factor: 10,
                decay_minutes: 1,
            });
            255 - u64::from(lfu::current(entry.lru, p).min(255))
        }
        _ => {
            // The clock and the access field are 24-bit seconds that wrap.
            let now = lru_clock() & 0xFF_FFFF;
            let at = entry.lru & 0xFF_FFFF;
            u64::from(now.wrapping_sub(at) & 0xFF_FFFF)
        }
    }
}

impl Store {
    /// The memory figure maxmemory compares with (INFO used_memory): the
    /// startup baseline plus every database's running estimate. O(number
    /// of databases).
    pub fn used_memory(&self) -> usize {
        STARTUP_MEMORY + self.dbs.iter().map(|db| db.used()).sum::<usize>()
    }

    /// [`Store::used_memory`], also recording the peak.
    pub fn used_memory_peaked(&mut self) -> usize {
        let used = self.used_memory();
        self.evictor.peak = self.evictor.peak.max(used);
        used
    }

    /// Evicts keys until memory is under `maxmemory`, by the configured
    /// policy. Returns false when it cannot get there (`noeviction`, or
    /// nothing left that the policy may evict): the caller refuses
    /// commands that may grow memory with OOM.
    pub fn perform_evictions(&mut self) -> bool {
        let max = self.config.maxmemory as usize;
        if max == 0 {
            return true;
        }
        let mut used = self.used_memory_peaked();
        if used <= max {
            return true;
        }
        let policy = Policy::parse(&self.config.maxmemory_policy);
        let mut evicted = 0u64;
        let freed = policy != Policy::NoEviction
            && loop {
                if used <= max {
                    break true;
                }
                let Some((db, key)) = self.pick_victim(policy) else {
                    break false;
                };
                if !self.evict_key(db, &key) {
                    break false;
                }
                evicted += 1;
                used = self.used_memory();
            };
        let name = &self.config.maxmemory_policy;
        if evicted > 0 {
            self.evictor.warnings.evicted(evicted, used, max, name);
        }
        if !freed {
            self.evictor.warnings.stuck(used, max, name);
        }
        freed
    }

    /// Evicts `key` from database `db`: deletes it, raises the `evicted`
    /// keyspace event, invalidates client-side caches and counts it in
    /// INFO `evicted_keys`. Every eviction goes through here (the one
    /// place to propagate it, as a DEL, to the AOF).
    pub fn evict_key(&mut self, db: usize, key: &[u8]) -> bool {
        let Some(d) = self.dbs.get_mut(db) else {
            return false;
        };
        d.notify_mask = self.config.notify_keyspace_events;
        if !d.evict(key) {
            return false;
        }
        self.stats.evicted_keys += 1;
        self.dirty += 1;
        crate::persist::aof::propagate_eviction(self, db, key);
        if !self.tracking.is_empty() {
            for (target, key) in self.tracking.invalidate(key, 0) {
                self.send_invalidation(target, Some(vec![key]));
            }
        }
        self.flush_db_events(db);
        true
    }

    /// The next key to evict under `policy`, or `None` if no database has
    /// one the policy may take.
    fn pick_victim(&mut self, policy: Policy) -> Option<(usize, CompactBytes)> {
        let volatile = policy.volatile();
        let count = |db: &crate::engine::Db| {
            if volatile {
                db.volatile_len()
            } else {
                db.len()
            }
        };
        if policy.random() {
            let n = self.dbs.len();
            for step in 0..n {
                let i = (self.evictor.next_db + step) % n;
                if count(&self.dbs[i]) == 0 {
                    continue;
                }
                self.evictor.next_db = (i + 1) % n;
                return self.dbs[i].sample(volatile).map(|(k, _)| (i, k.clone()));
            }
            return None;
        }
        let samples = self.config.maxmemory_samples.max(1) as usize;
        let lfu = self.config.lfu_params();
        // Every round finds a candidate unless the indexes disagree; the
        // bound keeps a bug from turning into a hang.
        for _ in 0..1000 {
            if self.dbs.iter().all(|db| count(db) == 0) {
                return None;
            }
            for (i, db) in self.dbs.iter().enumerate() {
                if count(db) == 0 {
                    continue;
                }
                for (k, e) in db.sample_some(volatile, samples) {
                    self.evictor.offer(score(policy, e, lfu), i, k);
                }
            }
            // Best first; candidates deleted meanwhile (or that lost their
            // TTL, for volatile policies) are dropped.
            while let Some(c) = self.evictor.pool.pop() {
                let db = &self.dbs[c.db];
                if db.holds(&c.key, volatile) {
                    return Some((c.db, c.key));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::value::Value;
    use crate::engine::Config;
    use crate::resp::Frame;
    use bytes::Bytes;

    fn store(policy: &str, max: usize) -> Store {
        Store::new(Config {
            maxmemory_policy: policy.into(),
            maxmemory: max as u64,
            ..Default::default()
        })
    }

    fn fill(s: &mut Store, n: usize, ttl: impl Fn(usize) -> i64) {
        for i in 0..n {
            let v = Value::string(Bytes::from(vec![b'x'; 100]));
            s.dbs[0].set_with_expire(format!("k{i}").as_bytes(), v, ttl(i));
        }
    }

    #[test]
    fn accounting_follows_writes_and_deletes() {
        let mut s = store("noeviction", 0);
        let base = s.used_memory();
        assert_eq!(base, STARTUP_MEMORY);
        fill(&mut s, 100, |_| NO_EXPIRE);
        let full = s.used_memory();
        assert!(full > base + 100 * 100, "{full}");
        s.dbs[0].clear();
        assert_eq!(s.used_memory(), base);
    }

    #[test]
    fn eviction_gets_under_the_limit_and_counts() {
        let mut s = store("allkeys-random", 0);
        fill(&mut s, 1000, |_| NO_EXPIRE);
        let target = (s.used_memory() + STARTUP_MEMORY) / 2;
        s.config.maxmemory = target as u64;
        assert!(s.perform_evictions());
        assert!(s.used_memory() <= target);
        assert!(s.stats.evicted_keys > 300, "{}", s.stats.evicted_keys);
        assert_eq!(s.stats.evicted_keys as usize + s.dbs[0].len(), 1000);
    }

    #[test]
    fn noeviction_and_volatile_without_ttls_fail() {
        let mut s = store("noeviction", 1);
        fill(&mut s, 10, |_| NO_EXPIRE);
        assert!(!s.perform_evictions());
        s.config.maxmemory_policy = "volatile-lru".into();
        assert!(!s.perform_evictions());
        assert_eq!(s.dbs[0].len(), 10);
    }

    #[test]
    fn volatile_ttl_takes_the_nearest_deadline_first() {
        let mut s = store("volatile-ttl", 0);
        let far = crate::engine::now_ms() + 1_000_000;
        fill(&mut s, 200, |i| far + i as i64 * 1000);
        let per_key = (s.used_memory() - STARTUP_MEMORY) / 200;
        let target = s.used_memory() - 50 * per_key;
        s.config.maxmemory = target as u64;
        assert!(s.perform_evictions());
        let evicted = s.stats.evicted_keys as usize;
        // The pool approximates: the victims come from the near end.
        let cell = std::cell::Cell::new(0);
        let now = crate::engine::Now::new(&cell);
        let gone_late = (150..200)
            .filter(|i| !s.dbs[0].contains(format!("k{i}").as_bytes(), now))
            .count();
        assert!(
            evicted >= 50 && gone_late < evicted / 4,
            "{evicted} {gone_late}"
        );
    }

    #[test]
    fn a_few_candidates_are_all_weighed_every_time() {
        // No more keys than maxmemory-samples: each round sees them all, so
        // the order is exact (as Redis's run of buckets gives), never the
        // luck of random picks.
        for _ in 0..200 {
            let mut s = store("volatile-ttl", 0);
            let now = crate::engine::now_ms();
            fill(&mut s, 3, |i| now + 100_000 - i as i64 * 10_000);
            let mut gone = Vec::new();
            while let Some((db, key)) = s.pick_victim(Policy::VolatileTtl) {
                assert!(s.evict_key(db, &key));
                gone.push(String::from_utf8_lossy(&key).into_owned());
            }
            assert_eq!(gone, ["k2", "k1", "k0"]);
        }
    }

    #[test]
    fn running_figure_matches_a_recount_after_every_kind_of_change() {
        use crate::commands::test_support::Harness;
        let mut h = Harness::new();
        let script = [
            "SET s hello",
            "APPEND s aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "SETRANGE s 100 x",
            "INCR n",
            "INCRBYFLOAT f 1.5",
            "RPUSH l a b c d e f g h",
            "LPOP l 3",
            "HSET h f1 v1 f2 v2 f3 v3",
            "HDEL h f1",
            "HEXPIRE h 100 FIELDS 1 f2",
            "SADD set a b c 1 2",
            "SREM set a",
            "ZADD z 1 a 2 b",
            "XADD x * f v",
            "SETBIT b 1000 1",
            "PFADD p a b c",
            "EXPIRE s 100",
            "PERSIST s",
            "EXPIRE l 100",
            "RENAME l l2",
            "COPY h h2",
            "SINTERSTORE set2 set set",
            "SET s short",
            "LPOP l2 5",
            "DEL h",
            "MOVE z 1",
            "SWAPDB 0 1",
            "HSET z2 f v",
            "SWAPDB 1 0",
        ];
        for cmd in script {
            let reply = h.run(cmd);
            assert!(!reply.is_error(), "{cmd}: {reply:?}");
            for db in &h.store.dbs {
                assert_eq!(db.used(), db.recount(), "after {cmd}");
            }
        }
        assert!(h.store.dbs[0].used() > 0);
        h.run("FLUSHALL");
        assert_eq!(h.store.used_memory(), STARTUP_MEMORY);
    }

    #[test]
    fn commands_are_refused_with_oom_and_scripts_by_their_flags() {
        use crate::commands::test_support::Harness;
        let mut h = Harness::new();
        h.run("SET a 1");
        h.run("CONFIG SET maxmemory 1");
        let oom = "OOM command not allowed when used memory > 'maxmemory'.";
        assert_eq!(h.run("SET b 2"), Frame::Error(oom.into()));
        assert_eq!(h.run("GET a"), Frame::Bulk("1".into()));
        assert_eq!(h.run("DEL a"), Frame::Integer(1));
        h.run("MULTI");
        assert_eq!(h.run("GET a"), Frame::Error(oom.into()));
        let exec = h.run("EXEC");
        assert!(
            matches!(&exec, Frame::Error(e) if e.starts_with(b"EXECABORT")),
            "{exec:?}"
        );
        h.run("CONFIG SET maxmemory 0");
        assert_eq!(h.run("SET b 2"), Frame::ok());
    }

    #[test]
    fn config_set_lower_maxmemory_evicts_at_once() {
        use crate::commands::test_support::Harness;
        let mut h = Harness::new();
        h.run("CONFIG SET maxmemory-policy allkeys-random");
        for i in 0..500 {
            h.run(&format!("SET key:{i} {}", "v".repeat(200)));
        }
        let target = (h.store.used_memory() + STARTUP_MEMORY) / 2;
        h.run(&format!("CONFIG SET maxmemory {target}"));
        assert!(h.store.used_memory() <= target);
        assert!(h.store.dbs[0].len() < 300);
        assert_eq!(
            h.store.stats.evicted_keys as usize + h.store.dbs[0].len(),
            500
        );
    }
}
