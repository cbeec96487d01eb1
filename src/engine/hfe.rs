//! Hash-field expiration (Redis 7.4's HEXPIRE family): the deadlines of one
//! hash's fields, and the per-database index of hashes that have any.
//!
//! A hash without field TTLs carries only an empty `Option<Box<_>>`; the
//! first HEXPIRE-family command on it allocates a [`FieldTtls`]. Each
//! structure pairs a hash map (O(1) lookup of one deadline) with an ordered
//! set (O(log n) updates, earliest deadline first), so expiring the due
//! fields of a hash, or the due hashes of a database, never scans.

use std::collections::{BTreeSet, HashMap};

use bytes::Bytes;

use crate::engine::value::Hasher;

/// A field counts as expired strictly after its deadline (as keys do).
#[inline]
pub fn is_past(deadline: i64, now_ms: i64) -> bool {
    deadline < now_ms
}

/// The deadlines (unix milliseconds) of the fields of one hash that have a
/// TTL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldTtls {
    at: HashMap<Bytes, i64, Hasher>,
    order: BTreeSet<(i64, Bytes)>,
}

impl FieldTtls {
    /// The deadline of `field`, if it has one.
    #[inline]
    pub fn get(&self, field: &[u8]) -> Option<i64> {
        self.at.get(field).copied()
    }

    /// Gives `field` the deadline `when`, replacing any earlier one.
    pub fn set(&mut self, field: Bytes, when: i64) {
        if let Some(old) = self.at.insert(field.clone(), when) {
            self.order.remove(&(old, field.clone()));
        }
        self.order.insert((when, field));
    }

    /// Drops the deadline of `field`; returns it if there was one.
    pub fn remove(&mut self, field: &[u8]) -> Option<i64> {
        let (k, when) = self.at.remove_entry(field)?;
        self.order.remove(&(when, k));
        Some(when)
    }

    /// The earliest deadline.
    #[inline]
    pub fn min(&self) -> Option<i64> {
        self.order.first().map(|(when, _)| *when)
    }

    /// The field with the earliest deadline, if that deadline has passed.
    pub fn first_expired(&self, now_ms: i64) -> Option<&Bytes> {
        self.order
            .first()
            .filter(|(when, _)| is_past(*when, now_ms))
            .map(|(_, f)| f)
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.at.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    /// `(deadline, field)` pairs, earliest first.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &Bytes)> {
        self.order.iter().map(|(w, f)| (*w, f))
    }
}

/// The hashes of one database that have field TTLs, by the earliest
/// deadline registered for each, so the active expiry cycle visits only
/// hashes with due fields. A registration may be stale (the hash was
/// changed, retyped or persisted since): the cycle re-reads the hash and
/// re-registers or drops it, so a stale entry costs one visit.
#[derive(Debug, Default)]
pub struct HashIndex {
    at: HashMap<Bytes, i64, Hasher>,
    order: BTreeSet<(i64, Bytes)>,
}

impl HashIndex {
    /// Registers `key` under `when`, or drops it when `None`.
    pub fn set(&mut self, key: &[u8], when: Option<i64>) {
        match (self.at.get_mut(key), when) {
            (Some(old), Some(when)) if *old == when => {}
            (Some(old), Some(when)) => {
                let k = Bytes::copy_from_slice(key);
                self.order.remove(&(*old, k.clone()));
                *old = when;
                self.order.insert((when, k));
            }
            (None, Some(when)) => {
                let k = Bytes::copy_from_slice(key);
                self.at.insert(k.clone(), when);
                self.order.insert((when, k));
            }
            (_, None) => self.forget(key),
        }
    }

    /// Drops `key`'s registration.
    pub fn forget(&mut self, key: &[u8]) {
        if let Some((k, when)) = self.at.remove_entry(key) {
            self.order.remove(&(when, k));
        }
    }

    /// The registered key with the earliest deadline, if it has passed.
    pub fn first_due(&self, now_ms: i64) -> Option<Bytes> {
        self.order
            .first()
            .filter(|(when, _)| is_past(*when, now_ms))
            .map(|(_, k)| k.clone())
    }

    /// The deadline registered for `key`.
    pub fn get(&self, key: &[u8]) -> Option<i64> {
        self.at.get(key).copied()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.at.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }

    pub fn clear(&mut self) {
        self.at.clear();
        self.order.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[test]
    fn field_deadlines_stay_ordered_through_updates() {
        let mut t = FieldTtls::default();
        t.set(b("a"), 30);
        t.set(b("b"), 10);
        t.set(b("c"), 20);
        assert_eq!(t.min(), Some(10));
        t.set(b("b"), 40);
        assert_eq!(t.min(), Some(20));
        assert_eq!(t.get(b"b"), Some(40));
        assert_eq!(t.remove(b"c"), Some(20));
        assert_eq!(t.remove(b"c"), None);
        let order: Vec<_> = t.iter().map(|(w, f)| (w, f.clone())).collect();
        assert_eq!(order, vec![(30, b("a")), (40, b("b"))]);
        assert_eq!(t.len(), 2);
        // Expired strictly after the deadline.
        assert_eq!(t.first_expired(30), None);
        assert_eq!(t.first_expired(31), Some(&b("a")));
    }

    #[test]
    fn index_keeps_one_registration_per_key() {
        let mut ix = HashIndex::default();
        ix.set(b"k1", Some(50));
        ix.set(b"k2", Some(20));
        ix.set(b"k1", Some(10));
        assert_eq!(ix.len(), 2);
        assert_eq!(ix.first_due(11), Some(b("k1")));
        assert_eq!(ix.first_due(10), None);
        ix.set(b"k1", None);
        assert_eq!(ix.first_due(100), Some(b("k2")));
        ix.forget(b"k2");
        assert!(ix.is_empty());
        assert_eq!(ix.first_due(i64::MAX), None);
    }
}

#[cfg(test)]
mod hash_tests {
    use crate::engine::db::Db;
    use crate::engine::value::{Hash, Value};
    use crate::engine::Now;
    use bytes::Bytes;
    use std::cell::Cell;

    fn hash(fields: &[&str]) -> Hash {
        let mut h = Hash::new();
        for f in fields {
            h.map.insert(
                Bytes::copy_from_slice(f.as_bytes()),
                Bytes::from_static(b"v"),
            );
        }
        h
    }

    fn order(h: &Hash) -> Vec<String> {
        h.map
            .keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect()
    }

    #[test]
    fn hashes_without_ttls_cost_no_more_than_before() {
        // One pointer for the TTLs: the Value enum keeps its size (80 bytes
        // before field TTLs existed), so no key pays for the feature.
        assert!(std::mem::size_of::<Value>() <= 80);
        assert!(Hash::new().ttls.is_none());
    }

    #[test]
    fn listpack_keeps_volatile_fields_first_by_deadline() {
        let mut h = hash(&["a", "b", "c", "d"]);
        h.set_field_ttl(b"c", 200);
        assert_eq!(order(&h), ["c", "a", "b", "d"]);
        h.set_field_ttl(b"a", 100);
        assert_eq!(order(&h), ["a", "c", "b", "d"]);
        // Same deadline: the field set last goes first.
        h.set_field_ttl(b"d", 200);
        assert_eq!(order(&h), ["a", "d", "c", "b"]);
        // Persisting moves the field behind the others.
        assert!(h.persist_field(b"a"));
        assert!(!h.persist_field(b"a"));
        assert_eq!(order(&h), ["d", "c", "b", "a"]);
        assert_eq!(h.min_ttl(), Some(200));
        // A later deadline moves a field back.
        h.set_field_ttl(b"d", 300);
        assert_eq!(order(&h), ["c", "d", "b", "a"]);
        assert_eq!(h.volatile_len(), 2);
    }

    #[test]
    fn expired_fields_are_invisible_and_reclaimed_in_order() {
        let mut h = hash(&["a", "b", "c"]);
        h.set_field_ttl(b"a", 10);
        h.set_field_ttl(b"b", 20);
        assert!(h.get_live(b"a", 10).is_some());
        assert!(h.get_live(b"a", 11).is_none());
        let live: Vec<_> = h.live(15).map(|(k, _)| k.clone()).collect();
        assert_eq!(live, ["b", "c"]);
        // Still stored (HLEN counts it) until reclaimed.
        assert_eq!(h.map.len(), 3);
        assert_eq!(h.reclaim_expired(21, 1), 1);
        assert_eq!(h.reclaim_expired(21, 10), 1);
        assert_eq!(order(&h), ["c"]);
        assert_eq!(h.volatile_len(), 0);
        assert!(h.ttls.is_some(), "stays listpackex");
        assert_eq!(Value::Hash(Box::new(h)).encoding(), "listpackex");
    }

    fn at<R>(ms: i64, f: impl FnOnce(Now<'_>) -> R) -> R {
        let cell = Cell::new(ms);
        f(Now::new(&cell))
    }

    fn volatile_hash(deadlines: &[(&str, Option<i64>)]) -> Value {
        let mut h = Hash::new();
        for (f, when) in deadlines {
            h.map.insert(
                Bytes::copy_from_slice(f.as_bytes()),
                Bytes::from_static(b"v"),
            );
            if let Some(w) = when {
                h.set_field_ttl(f.as_bytes(), *w);
            }
        }
        Value::Hash(Box::new(h))
    }

    #[test]
    fn active_sweep_visits_only_due_hashes_and_deletes_emptied_ones() {
        let mut db = Db::default();
        db.set(b"gone", volatile_hash(&[("a", Some(10)), ("b", Some(12))]));
        db.set(b"kept", volatile_hash(&[("a", Some(10)), ("b", None)]));
        db.set(b"later", volatile_hash(&[("a", Some(1_000))]));
        db.set(b"plain", volatile_hash(&[("a", None)]));
        assert_eq!(db.hfe_len(), 3);
        assert_eq!(db.expire_fields(5, 100), 0);
        assert_eq!(db.expire_fields(20, 100), 3);
        assert!(!at(20, |t| db.contains(b"gone", t)));
        assert!(at(20, |t| db.contains(b"kept", t)));
        assert_eq!(db.hfe_len(), 1, "only `later` still has field TTLs");
        // The quota bounds one round.
        for i in 0..10 {
            let f = format!("f{i}");
            db.set(
                format!("k{i}").as_bytes(),
                volatile_hash(&[(f.as_str(), Some(30))]),
            );
        }
        assert_eq!(db.expire_fields(40, 4), 4);
        assert_eq!(db.expire_fields(40, 100), 6);
        assert_eq!(db.hfe_len(), 1);
    }

    #[test]
    fn index_follows_keys_through_removal_rename_and_flush() {
        let mut db = Db::default();
        db.set(b"h", volatile_hash(&[("a", Some(10))]));
        let entry = at(1, |t| db.remove(b"h", t)).expect("present");
        assert_eq!(db.hfe_len(), 0);
        db.insert_entry(Bytes::from_static(b"h2"), entry);
        assert_eq!(db.hfe_len(), 1);
        // Overwriting with another type drops the registration.
        db.set(b"h2", Value::string(Bytes::from_static(b"x")));
        assert_eq!(db.hfe_len(), 0);
        db.set(b"h3", volatile_hash(&[("a", Some(10))]));
        db.clear();
        assert_eq!(db.hfe_len(), 0);
        // A key expiring as a whole takes its registration along.
        db.set_with_expire(b"h4", volatile_hash(&[("a", Some(50))]), 5);
        assert!(!at(6, |t| db.contains(b"h4", t)));
        assert_eq!(db.hfe_len(), 0);
    }

    #[test]
    fn lazy_read_expiry_removes_only_the_fields_read() {
        let mut db = Db::default();
        db.set(
            b"h",
            volatile_hash(&[("a", Some(10)), ("b", Some(10)), ("c", None)]),
        );
        assert_eq!(db.expire_read_fields(b"h", &[b"a", b"c"], 11), 1);
        let len = at(11, |t| {
            db.get::<Hash>(b"h", t).ok().flatten().map(|h| h.map.len())
        });
        assert_eq!(len, Some(2), "b stays stored until read or swept");
        assert_eq!(db.expire_read_fields(b"h", &[b"b"], 11), 1);
        db.set(b"g", volatile_hash(&[("a", Some(10))]));
        assert_eq!(db.expire_read_fields(b"g", &[b"a"], 11), 1);
        assert!(!at(11, |t| db.contains(b"g", t)), "emptied hash deleted");
        assert_eq!(db.hfe_len(), 0);
    }
}
