//! One logical database: the keyspace, TTLs (lazy expiry on access plus the
//! active sweep), WATCH bookkeeping and SCAN.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::engine::clock::{lru_clock, Now};
use crate::engine::compact::CompactBytes;
use crate::engine::hfe::HashIndex;
use crate::engine::value::{typed, typed_mut, Hasher, Kind, Map, OrdSet, Value};
use crate::engine::{lfu, notify};
use crate::error::Error;

/// `expire_at` of a key without a TTL.
pub const NO_EXPIRE: i64 = -1;

/// A key's value, its absolute expiry in unix milliseconds, and the second
/// it was last touched (OBJECT IDLETIME, LRU eviction).
#[derive(Clone, Debug)]
pub struct Entry {
    pub value: Value,
    pub expire_at: i64,
    pub lru: u32,
}

impl Entry {
    /// Redis treats a key as expired strictly after its deadline; the
    /// clock is read only for keys that have one.
    #[inline]
    fn is_expired(&self, now: Now<'_>) -> bool {
        self.expire_at != NO_EXPIRE && now.ms() > self.expire_at
    }
}

/// The access field after one access: the access time, or the LFU
/// counter bumped, as the policy says.
#[inline]
fn access(field: u32, lfu: Option<lfu::Params>, no_touch: bool) -> u32 {
    if no_touch {
        return field;
    }
    match lfu {
        None => lru_clock(),
        Some(p) => lfu::touch(field, p),
    }
}

/// True if `v` is a hash that has (or had) field TTLs, so the field-expiry
/// index may hold its key.
#[inline]
fn has_field_ttls(v: &Value) -> bool {
    matches!(v, Value::Hash(h) if h.ttls.is_some())
}

/// A flag that a WATCHing client owns; set when a watched key changes.
pub type WatchFlag = Arc<AtomicBool>;

/// One of the 16 (by default) databases.
#[derive(Debug, Default)]
pub struct Db {
    keys: Map<CompactBytes, Entry>,
    /// Keys that have a TTL, so the active sweep samples only those.
    expires: OrdSet<CompactBytes>,
    /// Hashes that have field TTLs, by earliest deadline (field sweep).
    hfe: HashIndex,
    /// Key -> flags of the clients watching it; empty unless WATCH is used.
    watched: HashMap<Bytes, Vec<WatchFlag>, Hasher>,
    /// Keys removed because their TTL passed (INFO `expired_keys`).
    pub expired_count: u64,
    /// Read lookups that found / did not find their key (INFO
    /// `keyspace_hits` / `keyspace_misses`).
    pub hits: u64,
    pub misses: u64,
    /// notify-keyspace-events, refreshed by the dispatcher before each
    /// command, so the keyspace knows which of its own events to record.
    pub notify_mask: u32,
    /// Events the keyspace itself raises (`expired`, `new`, `keymiss`),
    /// waiting for the store to publish them in order.
    pub events: Vec<(u32, &'static str, Bytes)>,
    /// Set (by the dispatcher, from maxmemory-policy) when `Entry::lru`
    /// holds an LFU counter instead of an access time.
    pub lfu: Option<lfu::Params>,
    /// Set while AOF is on: expired keys are recorded in `expired_log`,
    /// and hash fields that expire on access or in the sweep in
    /// `expired_fields_log` (key, field), so the AOF can propagate their
    /// deletion.
    pub log_expired: bool,
    pub expired_log: Vec<Bytes>,
    pub expired_fields_log: Vec<(Bytes, Bytes)>,
    /// The estimated bytes of the keys and values (see [`Db::used`]).
    used: usize,
    /// Entries handed out for changes in place during the current command,
    /// with the bytes charged for them before: [`Db::settle`] charges the
    /// difference afterwards.
    pending: Vec<(usize, usize)>,
    /// Set by the dispatcher while a CLIENT NO-TOUCH client's command
    /// (other than TOUCH) runs: accesses leave `Entry::lru` alone.
    pub no_touch: bool,
}

/// Elements of a container sampled to estimate its size (MEMORY USAGE's
/// default).
pub const ACCOUNT_SAMPLES: usize = 5;

/// What one key costs the keyspace beyond its key's and value's heap
/// parts: its slot in the entries vector (cached hash, key handle, entry)
/// and its share of the hash index (a `usize` and a control byte per
/// bucket at up to 7/8 load).
pub const SLOT_BYTES: usize = std::mem::size_of::<(u64, CompactBytes, Entry)>() + 10;

/// What a key with a TTL adds: its slot in the expiry index.
pub const EXPIRES_SLOT_BYTES: usize = std::mem::size_of::<(u64, CompactBytes)>() + 10;

/// The bytes charged for one key.
#[inline]
fn cost(key: &CompactBytes, value: &Value) -> usize {
    SLOT_BYTES + key.heap_size() + value.mem_estimate(ACCOUNT_SAMPLES)
}

impl Db {
    /// Number of keys, counting ones whose TTL passed but were not yet swept.
    #[inline]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Makes room for `keys` more keys, `volatile` of them with a TTL
    /// (loading an RDB file, whose RESIZEDB record announces the sizes).
    pub fn reserve(&mut self, keys: usize, volatile: usize) {
        self.keys.reserve(keys);
        self.expires.reserve(volatile);
    }

    /// True if `key` is present, expired or not (loading checks for
    /// duplicates with it).
    pub fn contains_raw(&self, key: &[u8]) -> bool {
        self.keys.contains_key(key)
    }

    /// Number of keys with a TTL.
    pub fn volatile_len(&self) -> usize {
        self.expires.len()
    }

    /// The index of a live key, deleting it first if its TTL has passed.
    #[inline]
    fn live_index(&mut self, key: &[u8], now: Now<'_>) -> Option<usize> {
        let idx = self.keys.get_index_of(key)?;
        if self.keys[idx].is_expired(now) {
            self.expire_index(idx);
            return None;
        }
        Some(idx)
    }

    fn expire_index(&mut self, idx: usize) {
        if let Some((key, _)) = self.take_index(idx) {
            self.expired_count += 1;
            if self.log_expired {
                self.expired_log.push(Bytes::copy_from_slice(&key));
            }
            self.touch(&key);
            self.event(notify::EXPIRED, "expired", &key);
        }
    }

    /// Removes the entry at `idx` with its bookkeeping: the expiry and
    /// field-expiry indexes, the bytes charged, the pending changes (the
    /// last entry moves into `idx`). Every removal goes through here.
    fn take_index(&mut self, idx: usize) -> Option<(CompactBytes, Entry)> {
        self.uncharge(idx);
        let last = self.keys.len().checked_sub(1)?;
        let (key, entry) = self.keys.swap_remove_index(idx)?;
        for p in &mut self.pending {
            if p.0 == last {
                p.0 = idx;
            }
        }
        if entry.expire_at != NO_EXPIRE {
            self.expires.swap_remove(&key);
        }
        self.value_gone(&key, &entry.value);
        Some((key, entry))
    }

    /// The estimated bytes of this database's keys and values: kept up to
    /// date as keys change (O(1) to read), each container estimated from a
    /// few of its elements as MEMORY USAGE does.
    #[inline]
    pub fn used(&self) -> usize {
        self.used + self.expires.len() * EXPIRES_SLOT_BYTES
    }

    /// [`Db::used`] recomputed from scratch (tests check the running
    /// figure against it).
    #[cfg(test)]
    pub fn recount(&self) -> usize {
        self.keys
            .iter()
            .map(|(k, e)| cost(k, &e.value))
            .sum::<usize>()
            + self.expires.len() * EXPIRES_SLOT_BYTES
    }

    /// Charges the entry at `idx` as it is now.
    #[inline]
    fn charge(&mut self, idx: usize) {
        if let Some((k, e)) = self.keys.get_index(idx) {
            self.used += cost(k, &e.value);
        }
    }

    /// Takes back what the entry at `idx` was charged (settling a pending
    /// change first), before it is replaced or removed.
    #[inline]
    fn uncharge(&mut self, idx: usize) {
        let charged = match self.pending.iter().position(|p| p.0 == idx) {
            Some(pos) => self.pending.swap_remove(pos).1,
            None => match self.keys.get_index(idx) {
                Some((k, e)) => cost(k, &e.value),
                None => 0,
            },
        };
        self.used = self.used.saturating_sub(charged);
    }

    /// Notes that the entry at `idx` is about to change in place.
    #[inline]
    fn hand_out(&mut self, idx: usize) {
        if self.pending.iter().any(|p| p.0 == idx) {
            return;
        }
        if let Some((k, e)) = self.keys.get_index(idx) {
            let charged = cost(k, &e.value);
            self.pending.push((idx, charged));
        }
    }

    /// Charges the changes made in place since the entries were handed out
    /// (the dispatcher calls it after each command).
    #[inline]
    pub fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        // The list's allocation is kept for the next command.
        let mut pending = std::mem::take(&mut self.pending);
        for &(idx, charged) in &pending {
            self.used = self.used.saturating_sub(charged);
            self.charge(idx);
        }
        pending.clear();
        self.pending = pending;
    }

    /// Records a keyspace event of `class` if notifications want it.
    #[inline]
    fn event(&mut self, class: u32, name: &'static str, key: &[u8]) {
        let mask = self.notify_mask;
        if mask & class != 0 && mask & (notify::KEYSPACE | notify::KEYEVENT) != 0 {
            self.events.push((class, name, Bytes::copy_from_slice(key)));
        }
    }

    /// The live entry under `key`, if any; updates its access clock.
    #[inline]
    pub fn lookup(&mut self, key: &[u8], now: Now<'_>) -> Option<&mut Entry> {
        let idx = self.live_index(key, now)?;
        self.hand_out(idx);
        let entry = &mut self.keys[idx];
        entry.lru = access(entry.lru, self.lfu, self.no_touch);
        Some(entry)
    }

    /// The live entry without touching the access clock (OBJECT IDLETIME,
    /// TTL and TYPE must not count as accesses).
    pub fn peek(&mut self, key: &[u8], now: Now<'_>) -> Option<&Entry> {
        let idx = self.live_index(key, now)?;
        Some(&self.keys[idx])
    }

    /// The access field of a key created now.
    #[inline]
    fn fresh_lru(&self) -> u32 {
        match self.lfu {
            None => lru_clock(),
            Some(_) => lfu::fresh(),
        }
    }

    /// True if `key` is present but past its deadline (not yet removed).
    pub fn key_is_expired(&self, key: &[u8], now: Now<'_>) -> bool {
        self.keys.get(key).is_some_and(|e| e.is_expired(now))
    }

    /// True if `key` holds a live value.
    #[inline]
    pub fn contains(&mut self, key: &[u8], now: Now<'_>) -> bool {
        self.live_index(key, now).is_some()
    }

    /// The value under `key` as type `T`: `Ok(None)` if missing,
    /// WRONGTYPE if it holds another type.
    #[inline]
    pub fn get<T: Kind>(&mut self, key: &[u8], now: Now<'_>) -> Result<Option<&T>, Error> {
        let Some(idx) = self.live_index(key, now) else {
            self.misses += 1;
            self.event(notify::KEY_MISS, "keymiss", key);
            return Ok(None);
        };
        self.hits += 1;
        let lfu = self.lfu;
        let entry = &mut self.keys[idx];
        entry.lru = access(entry.lru, lfu, self.no_touch);
        typed::<T>(&entry.value).map(Some)
    }

    /// Mutable access to the value under `key` as type `T`. The caller must
    /// call [`Db::touch`] (or `Ctx::modified`) if it changes the value.
    #[inline]
    pub fn get_mut<T: Kind>(&mut self, key: &[u8], now: Now<'_>) -> Result<Option<&mut T>, Error> {
        match self.lookup(key, now) {
            Some(e) => typed_mut::<T>(&mut e.value).map(Some),
            None => Ok(None),
        }
    }

    /// The value under `key` as type `T`, created with `make` if missing.
    pub fn get_or_create<T: Kind>(
        &mut self,
        key: &[u8],
        now: Now<'_>,
        make: impl FnOnce() -> Value,
    ) -> Result<&mut T, Error> {
        let idx = match self.live_index(key, now) {
            Some(idx) => {
                let lfu = self.lfu;
                let entry = &mut self.keys[idx];
                entry.lru = access(entry.lru, lfu, self.no_touch);
                idx
            }
            None => {
                let entry = Entry {
                    value: make(),
                    expire_at: NO_EXPIRE,
                    lru: self.fresh_lru(),
                };
                self.event(notify::NEW, "new", key);
                let idx = self.keys.insert_full(CompactBytes::new(key), entry).0;
                self.charge(idx);
                idx
            }
        };
        self.hand_out(idx);
        let entry = &mut self.keys[idx];
        typed_mut::<T>(&mut entry.value)
    }

    /// Stores `value` under `key`, replacing any old value and its TTL.
    #[inline]
    pub fn set(&mut self, key: &[u8], value: Value) {
        self.set_with_expire(key, value, NO_EXPIRE);
    }

    /// Stores `value` with an absolute expiry (or [`NO_EXPIRE`]).
    pub fn set_with_expire(&mut self, key: &[u8], value: Value, expire_at: i64) {
        let (lfu, fresh) = (self.lfu, self.fresh_lru());
        match self.keys.get_index_of(key) {
            Some(idx) => {
                self.uncharge(idx);
                let entry = &mut self.keys[idx];
                let had_ttl = entry.expire_at != NO_EXPIRE;
                let old = std::mem::replace(&mut entry.value, value);
                entry.expire_at = expire_at;
                entry.lru = access(entry.lru, lfu, self.no_touch);
                self.value_gone(key, &old);
                self.value_stored(idx);
                self.charge(idx);
                if had_ttl && expire_at == NO_EXPIRE {
                    self.expires.swap_remove(key);
                } else if !had_ttl && expire_at != NO_EXPIRE {
                    let k = self.keys.get_index(idx).map(|(k, _)| k.clone());
                    if let Some(k) = k {
                        self.expires.insert(k);
                    }
                }
            }
            None => {
                self.event(notify::NEW, "new", key);
                let k = CompactBytes::new(key);
                if expire_at != NO_EXPIRE {
                    self.expires.insert(k.clone());
                }
                let idx = self
                    .keys
                    .insert_full(
                        k,
                        Entry {
                            value,
                            expire_at,
                            lru: fresh,
                        },
                    )
                    .0;
                self.value_stored(idx);
                self.charge(idx);
            }
        }
        self.touch(key);
    }

    /// Replaces the value of an existing live key, keeping its TTL; stores
    /// it without a TTL if the key is missing.
    pub fn set_keep_ttl(&mut self, key: &[u8], value: Value, now: Now<'_>) {
        match self.live_index(key, now) {
            Some(idx) => {
                self.uncharge(idx);
                let entry = &mut self.keys[idx];
                let old = std::mem::replace(&mut entry.value, value);
                entry.lru = access(entry.lru, self.lfu, self.no_touch);
                self.value_gone(key, &old);
                self.value_stored(idx);
                self.charge(idx);
                self.touch(key);
            }
            None => self.set(key, value),
        }
    }

    /// SET's store in a single probe of the keyspace: `allow` sees whether
    /// a live value exists (NX/XX) and may refuse; otherwise `make()` is
    /// stored with deadline `expire_at`, or with the key's current one when
    /// `None` (KEEPTTL; a new key gets none). Returns `None` if refused,
    /// else `Some(created)`.
    pub fn upsert(
        &mut self,
        key: &[u8],
        now: Now<'_>,
        allow: impl FnOnce(bool) -> bool,
        make: impl FnOnce() -> Value,
        expire_at: Option<i64>,
    ) -> Option<bool> {
        use indexmap::map::raw_entry_v1::{RawEntryApiV1, RawEntryMut};
        use std::hash::BuildHasher;
        let hash = self.keys.hasher().hash_one(key);
        let (lfu, fresh) = (self.lfu, self.fresh_lru());
        let created = match self
            .keys
            .raw_entry_mut_v1()
            .from_key_hashed_nocheck(hash, key)
        {
            RawEntryMut::Occupied(mut slot) => {
                let expired = slot.get().is_expired(now);
                if !allow(!expired) {
                    if expired {
                        let idx = slot.index();
                        self.expire_index(idx);
                    }
                    return None;
                }
                let idx = slot.index();
                let charged = match self.pending.iter().position(|p| p.0 == idx) {
                    Some(pos) => self.pending.swap_remove(pos).1,
                    None => cost(slot.key(), &slot.get().value),
                };
                self.used = self.used.saturating_sub(charged);
                let entry = slot.get_mut();
                let had_ttl = entry.expire_at != NO_EXPIRE;
                let at = match expire_at {
                    Some(at) => at,
                    None if expired => NO_EXPIRE,
                    None => entry.expire_at,
                };
                let old = std::mem::replace(&mut entry.value, make());
                entry.expire_at = at;
                entry.lru = access(entry.lru, lfu, self.no_touch);
                self.used += cost(slot.key(), &slot.get().value);
                if had_ttl && at == NO_EXPIRE {
                    self.expires.swap_remove(key);
                } else if !had_ttl && at != NO_EXPIRE {
                    self.expires.insert(slot.key().clone());
                }
                self.value_gone(key, &old);
                self.value_stored(idx);
                if expired {
                    self.expired_count += 1;
                }
                expired
            }
            RawEntryMut::Vacant(slot) => {
                if !allow(false) {
                    return None;
                }
                let k = CompactBytes::new(key);
                let at = expire_at.unwrap_or(NO_EXPIRE);
                if at != NO_EXPIRE {
                    self.expires.insert(k.clone());
                }
                let mask = self.notify_mask;
                if mask & notify::NEW != 0 && mask & (notify::KEYSPACE | notify::KEYEVENT) != 0 {
                    self.events
                        .push((notify::NEW, "new", Bytes::copy_from_slice(key)));
                }
                let value = make();
                let tracked = has_field_ttls(&value);
                self.used += cost(&k, &value);
                slot.insert_hashed_nocheck(
                    hash,
                    k,
                    Entry {
                        value,
                        expire_at: at,
                        lru: fresh,
                    },
                );
                if tracked {
                    self.hfe_sync(key);
                }
                true
            }
        };
        self.touch(key);
        Some(created)
    }

    /// Inserts a whole entry (RESTORE, MOVE, COPY, RENAME).
    pub fn insert_entry(&mut self, key: Bytes, entry: Entry) {
        self.touch(&key);
        match self.keys.get_index_of(&key[..]) {
            Some(idx) => self.uncharge(idx),
            None => self.event(notify::NEW, "new", &key),
        }
        let key = CompactBytes::from_bytes(key);
        if entry.expire_at != NO_EXPIRE {
            self.expires.insert(key.clone());
        } else {
            self.expires.swap_remove(&key[..]);
        }
        let (idx, old) = self.keys.insert_full(key.clone(), entry);
        if let Some(old) = old {
            self.value_gone(&key, &old.value);
        }
        self.value_stored(idx);
        self.charge(idx);
    }

    /// Deletes a live key, returning its entry.
    pub fn remove(&mut self, key: &[u8], now: Now<'_>) -> Option<Entry> {
        let idx = self.live_index(key, now)?;
        let (k, entry) = self.take_index(idx)?;
        self.touch(&k);
        Some(entry)
    }

    /// Evicts `key` (maxmemory), live or past its deadline: removed with
    /// an `evicted` event, WATCHers touched. False if it is not there.
    /// Only [`crate::engine::Store::evict_key`] calls this.
    pub(crate) fn evict(&mut self, key: &[u8]) -> bool {
        let Some(idx) = self.keys.get_index_of(key) else {
            return false;
        };
        self.take_index(idx);
        self.touch(key);
        self.event(notify::EVICTED, "evicted", key);
        true
    }

    /// MEMORY USAGE of `key`, live or past its deadline: its slots, its
    /// key's heap part and its value, containers sampled from `samples`
    /// elements (0: all).
    pub fn mem_usage(&self, key: &[u8], samples: usize) -> Option<usize> {
        let (k, e) = self.keys.get_key_value(key)?;
        let ttl = if e.expire_at != NO_EXPIRE {
            EXPIRES_SLOT_BYTES
        } else {
            0
        };
        Some(SLOT_BYTES + k.heap_size() + e.value.mem_estimate(samples) + ttl)
    }

    /// True if `key` is present (with a TTL, when `volatile`), live or not.
    pub fn holds(&self, key: &[u8], volatile: bool) -> bool {
        if volatile {
            self.expires.contains(key)
        } else {
            self.keys.contains_key(key)
        }
    }

    /// A random key and its entry, from every key or from those with a
    /// TTL (`volatile`): what eviction samples.
    pub fn sample(&self, volatile: bool) -> Option<(&CompactBytes, &Entry)> {
        if volatile {
            let n = self.expires.len();
            let key = self.expires.get_index(fastrand::usize(..n.max(1)))?;
            self.keys.get_key_value(&key[..])
        } else {
            let n = self.keys.len();
            self.keys.get_index(fastrand::usize(..n.max(1)))
        }
    }

    /// Up to `count` distinct keys and their entries for eviction to
    /// weigh, from every key or from those with a TTL (`volatile`): all of
    /// them when there are no more than `count`, else a run of `count`
    /// neighbours from a random place (as Redis takes a run of buckets).
    pub fn sample_some(
        &self,
        volatile: bool,
        count: usize,
    ) -> impl Iterator<Item = (&CompactBytes, &Entry)> + '_ {
        let n = if volatile {
            self.expires.len()
        } else {
            self.keys.len()
        };
        let take = count.min(n);
        let start = if n > count { fastrand::usize(..n) } else { 0 };
        (0..take).filter_map(move |step| {
            let i = (start + step) % n;
            if volatile {
                let key = self.expires.get_index(i)?;
                self.keys.get_key_value(&key[..])
            } else {
                self.keys.get_index(i)
            }
        })
    }

    /// Deletes `key` if it holds an empty container; true if it did.
    pub fn remove_if_empty(&mut self, key: &[u8]) -> bool {
        let empty = self
            .keys
            .get(key)
            .is_some_and(|e| e.value.is_empty_container());
        if empty {
            if let Some(idx) = self.keys.get_index_of(key) {
                self.take_index(idx);
            }
        }
        empty
    }

    /// Sets the absolute expiry of a live key; false if the key is missing.
    pub fn set_expire(&mut self, key: &[u8], at: i64, now: Now<'_>) -> bool {
        let Some(idx) = self.live_index(key, now) else {
            return false;
        };
        let entry = &mut self.keys[idx];
        let had = entry.expire_at != NO_EXPIRE;
        entry.expire_at = at;
        if !had {
            let k = self.keys.get_index(idx).map(|(k, _)| k.clone());
            if let Some(k) = k {
                self.expires.insert(k);
            }
        }
        self.touch(key);
        true
    }

    /// Removes the TTL of a live key; true if it had one.
    pub fn persist(&mut self, key: &[u8], now: Now<'_>) -> bool {
        let Some(idx) = self.live_index(key, now) else {
            return false;
        };
        let entry = &mut self.keys[idx];
        if entry.expire_at == NO_EXPIRE {
            return false;
        }
        entry.expire_at = NO_EXPIRE;
        self.expires.swap_remove(key);
        self.touch(key);
        true
    }

    /// The absolute expiry of a live key: `None` if missing, `Some(NO_EXPIRE)`
    /// if it has no TTL.
    pub fn expire_of(&mut self, key: &[u8], now: Now<'_>) -> Option<i64> {
        self.peek(key, now).map(|e| e.expire_at)
    }

    /// A uniformly random live key.
    pub fn random_key(&mut self, now: Now<'_>) -> Option<Bytes> {
        // Redis gives up after many expired picks when every key is volatile;
        // deleting as we go makes this loop shrink the problem each time.
        while !self.keys.is_empty() {
            let idx = fastrand::usize(..self.keys.len());
            if self.keys[idx].is_expired(now) {
                self.expire_index(idx);
                continue;
            }
            return self.keys.get_index(idx).map(|(k, _)| k.to_bytes());
        }
        None
    }

    /// Every live key, in no particular order (KEYS).
    pub fn live_keys<'a>(
        &'a self,
        now: Now<'a>,
    ) -> impl Iterator<Item = (&'a [u8], &'a Entry)> + 'a {
        self.keys
            .iter()
            .filter(move |(_, e)| !e.is_expired(now))
            .map(|(k, e)| (&k[..], e))
    }

    /// One SCAN step. Returns the next cursor (0 when done) after visiting
    /// about `count` slots; `visit` sees each live key.
    ///
    /// The cursor counts the slots not yet visited, walking the index from
    /// the end towards 0. Removal swaps the last element into the freed
    /// slot, and the last element is always one already visited (or about
    /// to be), so keys present for the whole scan are never missed.
    pub fn scan(
        &mut self,
        cursor: u64,
        count: usize,
        now: Now<'_>,
        mut visit: impl FnMut(&[u8], &Entry),
    ) -> u64 {
        let (next, expired) = scan_indexed(self.keys.len(), cursor, count, |i| {
            let (k, e) = match self.keys.get_index(i) {
                Some(kv) => kv,
                None => return false,
            };
            if e.is_expired(now) {
                return true;
            }
            visit(k, e);
            false
        });
        // Indices were collected in descending order, so each removal only
        // moves an already-visited element.
        for idx in expired {
            self.expire_index(idx);
        }
        next
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.touch_all(None);
        self.keys.clear();
        self.expires.clear();
        self.hfe.clear();
        self.used = 0;
        self.pending.clear();
    }

    /// Swaps contents with another database (SWAPDB); watchers of both see
    /// their keys as modified.
    pub fn swap_contents(&mut self, other: &mut Db) {
        // Pending charges refer to positions in the contents being swapped.
        self.settle();
        other.settle();
        self.touch_all(Some(other));
        other.touch_all(Some(self));
        std::mem::swap(&mut self.keys, &mut other.keys);
        std::mem::swap(&mut self.expires, &mut other.expires);
        std::mem::swap(&mut self.hfe, &mut other.hfe);
        std::mem::swap(&mut self.used, &mut other.used);
    }

    /// Drops the field-expiry registration of a value leaving `key`.
    #[inline]
    fn value_gone(&mut self, key: &[u8], old: &Value) {
        if has_field_ttls(old) {
            self.hfe.forget(key);
        }
    }

    /// Registers the value now at `idx` if it is a hash with field TTLs.
    #[inline]
    fn value_stored(&mut self, idx: usize) {
        let due = match self.keys.get_index(idx) {
            Some((k, e)) => match &e.value {
                Value::Hash(h) => h.min_ttl().map(|at| (k.clone(), at)),
                _ => None,
            },
            None => None,
        };
        if let Some((k, at)) = due {
            self.hfe.set(&k, Some(at));
        }
    }

    /// Re-registers `key` in the field-expiry index after a command changed
    /// the field TTLs of its hash (or removed fields that had one).
    pub fn hfe_sync(&mut self, key: &[u8]) {
        let min = match self.keys.get(key).map(|e| &e.value) {
            Some(Value::Hash(h)) => h.min_ttl(),
            _ => None,
        };
        if min.is_some() || self.hfe.get(key).is_some() {
            self.hfe.set(key, min);
        }
    }

    /// Records that a command reclaimed `field` of the hash under `key`
    /// as lapsed (lazy expiry inside a write), for the AOF's `HDEL`.
    pub fn log_lapsed_field(&mut self, key: &[u8], field: &[u8]) {
        if self.log_expired {
            let entry = (Bytes::copy_from_slice(key), Bytes::copy_from_slice(field));
            self.expired_fields_log.push(entry);
        }
    }

    /// Number of hashes with field TTLs (INFO's `subexpiry`).
    pub fn hfe_len(&self) -> usize {
        self.hfe.len()
    }

    /// Reclaims the expired fields of the hash under `key` (HRANDFIELD and
    /// the active sweep): at most `max` fields, one `hexpired` event, and
    /// the key deleted (with `del`) if nothing is left. Returns how many
    /// fields went.
    pub fn reclaim_fields(&mut self, key: &[u8], now_ms: i64, max: usize) -> usize {
        let Some(idx) = self.keys.get_index_of(key) else {
            self.hfe.forget(key);
            return 0;
        };
        if !matches!(self.keys[idx].value, Value::Hash(_)) {
            self.hfe.forget(key);
            return 0;
        }
        self.hand_out(idx);
        let Value::Hash(h) = &mut self.keys[idx].value else {
            return 0;
        };
        let n = if self.log_expired {
            let log = &mut self.expired_fields_log;
            h.reclaim_expired_with(now_ms, max, |f| {
                log.push((Bytes::copy_from_slice(key), f.clone()));
            })
        } else {
            h.reclaim_expired(now_ms, max)
        };
        let (empty, min) = (h.map.is_empty(), h.min_ttl());
        if n > 0 {
            self.event(notify::HASH, "hexpired", key);
            self.touch(key);
            if empty {
                self.take_index(idx);
                self.event(notify::GENERIC, "del", key);
            }
        }
        self.settle();
        self.hfe.set(key, if empty { None } else { min });
        n
    }

    /// Lazy expiry for a read of `fields` of the hash under `key` (HGET,
    /// HMGET, HEXISTS...): removes those whose deadline passed, records one
    /// `hexpired` event, touches WATCHers, and deletes the key (with `del`)
    /// if the hash is left empty. Returns how many fields went.
    pub fn expire_read_fields(&mut self, key: &[u8], fields: &[&[u8]], now_ms: i64) -> usize {
        let Some(idx) = self.keys.get_index_of(key) else {
            return 0;
        };
        if !matches!(self.keys[idx].value, Value::Hash(_)) {
            return 0;
        }
        self.hand_out(idx);
        let Value::Hash(h) = &mut self.keys[idx].value else {
            return 0;
        };
        let mut n = 0;
        for f in fields {
            if h.is_expired(f, now_ms) && h.remove_field(f).is_some() {
                n += 1;
                if self.log_expired {
                    let entry = (Bytes::copy_from_slice(key), Bytes::copy_from_slice(f));
                    self.expired_fields_log.push(entry);
                }
            }
        }
        if n == 0 {
            return 0;
        }
        let empty = h.map.is_empty();
        self.event(notify::HASH, "hexpired", key);
        self.touch(key);
        if empty {
            self.take_index(idx);
            self.event(notify::GENERIC, "del", key);
        }
        self.hfe_sync(key);
        n
    }

    /// The field half of the active sweep: reclaims due fields of the
    /// hashes whose earliest deadline has passed, at most `max` fields.
    /// Returns how many expired.
    pub fn expire_fields(&mut self, now_ms: i64, max: usize) -> usize {
        let mut expired = 0;
        while expired < max {
            let Some(key) = self.hfe.first_due(now_ms) else {
                break;
            };
            expired += self.reclaim_fields(&key, now_ms, max - expired);
        }
        expired
    }

    /// One round of the active expiry sweep: samples up to `samples` keys
    /// with a TTL and deletes the expired ones. Returns how many expired.
    pub fn expire_sample(&mut self, samples: usize, now: Now<'_>) -> usize {
        let mut expired = 0;
        for _ in 0..samples.min(self.expires.len()) {
            let n = self.expires.len();
            if n == 0 {
                break;
            }
            let pick = fastrand::usize(..n);
            let Some(key) = self.expires.get_index(pick).cloned() else {
                break;
            };
            if let Some(idx) = self.keys.get_index_of(&key) {
                if self.keys[idx].is_expired(now) {
                    self.expire_index(idx);
                    expired += 1;
                }
            }
        }
        expired
    }

    /// Marks `key` modified for any client WATCHing it.
    #[inline]
    pub fn touch(&self, key: &[u8]) {
        if !self.watched.is_empty() {
            if let Some(flags) = self.watched.get(key) {
                for f in flags {
                    f.store(true, Ordering::Release);
                }
            }
        }
    }

    /// Marks watched keys modified before the whole keyspace is dropped or
    /// replaced by `replacement`'s: as in Redis, only keys that exist in
    /// either count (a WATCHed missing key stays missing).
    fn touch_all(&self, replacement: Option<&Db>) {
        for (key, flags) in &self.watched {
            if self.keys.contains_key(&key[..])
                || replacement.is_some_and(|r| r.keys.contains_key(&key[..]))
            {
                for f in flags {
                    f.store(true, Ordering::Release);
                }
            }
        }
    }

    /// Registers a WATCH on `key` for the client owning `flag`.
    pub fn watch(&mut self, key: &[u8], flag: &WatchFlag) {
        let list = self.watched.entry(Bytes::copy_from_slice(key)).or_default();
        if !list.iter().any(|f| Arc::ptr_eq(f, flag)) {
            list.push(flag.clone());
        }
    }

    /// Drops the WATCH of the client owning `flag` on `key`.
    pub fn unwatch(&mut self, key: &[u8], flag: &WatchFlag) {
        if let Some(list) = self.watched.get_mut(key) {
            list.retain(|f| !Arc::ptr_eq(f, flag));
            if list.is_empty() {
                self.watched.remove(key);
            }
        }
    }
}

/// The shared SCAN walk over an index-addressable collection of `len`
/// slots (see [`Db::scan`] for why it walks backwards). `visit` returns
/// true for slots the caller wants removed afterwards; their indices come
/// back in descending order.
pub fn scan_indexed(
    len: usize,
    cursor: u64,
    count: usize,
    mut visit: impl FnMut(usize) -> bool,
) -> (u64, Vec<usize>) {
    let mut remaining = if cursor == 0 {
        len
    } else {
        (cursor as usize).min(len)
    };
    let mut marked = Vec::new();
    let mut steps = count.max(1);
    while remaining > 0 && steps > 0 {
        remaining -= 1;
        steps -= 1;
        if visit(remaining) {
            marked.push(remaining);
        }
    }
    (remaining as u64, marked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn s(v: &str) -> Value {
        Value::string(Bytes::copy_from_slice(v.as_bytes()))
    }

    /// Runs `f` with the clock fixed at `ms` (which must not be 0).
    fn at<R>(ms: i64, f: impl FnOnce(Now<'_>) -> R) -> R {
        let cell = Cell::new(ms);
        f(Now::new(&cell))
    }

    #[test]
    fn a_key_costs_72_bytes_of_slot() {
        // The per-key budget behind bench_memory.py's figure: a key and a
        // string value of up to 22 bytes each live inside the slot (cached
        // hash 8 + key 24 + entry 40), with no heap blocks of their own.
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Entry>(), 40);
        assert_eq!(SLOT_BYTES, 72 + 10);
        let mut db = Db::default();
        db.set(b"key:123456", s("value:123456"));
        assert_eq!(db.used(), SLOT_BYTES);
        assert_eq!(db.mem_usage(b"key:123456", 5), Some(SLOT_BYTES));
    }

    #[test]
    fn lazy_expiry_removes_keys_after_deadline() {
        let mut db = Db::default();
        db.set_with_expire(b"k", s("v"), 1_000);
        assert!(at(1_000, |t| db.contains(b"k", t)));
        assert!(!at(1_001, |t| db.contains(b"k", t)));
        assert_eq!(db.len(), 0);
        assert_eq!(db.volatile_len(), 0);
        assert_eq!(db.expired_count, 1);
    }

    #[test]
    fn set_clears_ttl_and_keep_ttl_keeps_it() {
        let mut db = Db::default();
        at(1, |t| {
            db.set_with_expire(b"k", s("v"), 5_000);
            db.set_keep_ttl(b"k", s("w"), t);
            assert_eq!(db.expire_of(b"k", t), Some(5_000));
            db.set(b"k", s("x"));
            assert_eq!(db.expire_of(b"k", t), Some(NO_EXPIRE));
        });
        assert_eq!(db.volatile_len(), 0);
    }

    #[test]
    fn scan_visits_every_stable_key_despite_deletions() {
        let mut db = Db::default();
        at(1, |t| {
            for i in 0..1000 {
                db.set(format!("k{i}").as_bytes(), s("v"));
            }
            let mut seen = std::collections::HashSet::new();
            let mut cursor = 0;
            let mut round = 0;
            loop {
                let mut batch = Vec::new();
                cursor = db.scan(cursor, 10, t, |k, _| batch.push(k.to_vec()));
                seen.extend(batch);
                // Delete keys 500.. while scanning; keys below 500 must all be seen.
                round += 1;
                let victim = format!("k{}", 500 + round);
                db.remove(victim.as_bytes(), t);
                if cursor == 0 {
                    break;
                }
            }
            for i in 0..500 {
                assert!(seen.contains(format!("k{i}").as_bytes()), "missed k{i}");
            }
        });
    }

    #[test]
    fn active_sweep_deletes_expired_keys() {
        let mut db = Db::default();
        for i in 0..100 {
            db.set_with_expire(format!("k{i}").as_bytes(), s("v"), 10);
        }
        db.set(b"keep", s("v"));
        let mut total = 0;
        for _ in 0..100 {
            total += at(11, |t| db.expire_sample(20, t));
        }
        assert_eq!(total, 100);
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn watch_flags_are_set_on_change() {
        let mut db = Db::default();
        let flag: WatchFlag = Arc::new(AtomicBool::new(false));
        db.watch(b"k", &flag);
        db.set(b"other", s("v"));
        assert!(!flag.load(Ordering::Acquire));
        db.set(b"k", s("v"));
        assert!(flag.load(Ordering::Acquire));
        db.unwatch(b"k", &flag);
        assert!(db.watched.is_empty());
    }
}
