//! Consumer groups: the last delivered ID, the read counter used for lag,
//! the pending entries list (PEL) and the consumers with their own PELs.
//!
//! Groups and consumers are kept in byte order (Redis keeps them in radix
//! trees, so XINFO lists them sorted); PELs are ordered by ID.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::StreamId;

/// `entries_read` of a group whose read counter is unknown.
pub const INVALID_ENTRIES_READ: i64 = -1;

/// A delivered, not yet acknowledged entry.
#[derive(Clone, Debug)]
pub struct Nack {
    /// Unix ms of the last delivery.
    pub delivery_time: i64,
    pub delivery_count: u64,
    /// The consumer it was last delivered to.
    pub consumer: Bytes,
}

/// A consumer of a group.
#[derive(Clone, Debug)]
pub struct Consumer {
    /// Unix ms of the consumer's last activity.
    pub seen_time: i64,
    /// IDs pending for this consumer (their [`Nack`]s live in the group).
    pub pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Clone, Debug)]
pub struct Group {
    /// Entries up to this ID count as delivered.
    pub last_id: StreamId,
    /// Logical count of entries read, or [`INVALID_ENTRIES_READ`].
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Nack>,
    pub consumers: BTreeMap<Bytes, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// The consumer `name`, its seen time refreshed to `now` when given.
    pub fn consumer(&mut self, name: &[u8], now: Option<i64>) -> Option<&mut Consumer> {
        let c = self.consumers.get_mut(name)?;
        if let Some(now) = now {
            c.seen_time = now;
        }
        Some(c)
    }

    /// Creates consumer `name`; false if it already exists.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            Bytes::copy_from_slice(name),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// Deletes consumer `name` and its pending entries; returns how many
    /// entries it had pending, or `None` if there was no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }

    /// Acknowledges `id`; false if it was not pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(nack) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&nack.consumer) {
            c.pel.remove(&id);
        }
        true
    }

    /// Records a fresh delivery of `id` to `consumer` (which must exist): a
    /// new PEL entry, or an existing one moved to `consumer` with its
    /// delivery count reset (the group's last ID was set back).
    pub fn deliver(&mut self, id: StreamId, consumer: &Bytes, now: i64) {
        let previous = self.pel.insert(
            id,
            Nack {
                delivery_time: now,
                delivery_count: 1,
                consumer: consumer.clone(),
            },
        );
        if let Some(old) = previous {
            if let Some(c) = self.consumers.get_mut(&old.consumer) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(consumer) {
            c.pel.insert(id);
        }
    }

    /// The consumer `name` for a claim: looked up (refreshing its seen
    /// time) or created; true if created.
    pub fn claimer(&mut self, name: &[u8], now: i64) -> bool {
        self.consumer(name, Some(now)).is_none() && self.create_consumer(name, now)
    }

    /// Makes `id` pending for `consumer` (which must exist) without a
    /// previous delivery (XCLAIM FORCE).
    pub fn force_pending(&mut self, id: StreamId, consumer: &Bytes, now: i64) {
        self.deliver(id, consumer, now);
    }

    /// Gives pending `id` to `consumer` (which must exist), setting its
    /// delivery time, and its delivery count to `count` or, with `bump`,
    /// one more. False if `id` is not pending.
    pub fn claim(
        &mut self,
        id: StreamId,
        consumer: &Bytes,
        time: i64,
        count: Option<u64>,
        bump: bool,
    ) -> bool {
        if !self.transfer(id, consumer) {
            return false;
        }
        if let Some(nack) = self.pel.get_mut(&id) {
            nack.delivery_time = time;
            match count {
                Some(n) => nack.delivery_count = n,
                None if bump => nack.delivery_count = nack.delivery_count.wrapping_add(1),
                None => {}
            }
        }
        true
    }

    /// Moves pending `id` to `consumer` (which must exist); false if `id`
    /// is not pending.
    pub fn transfer(&mut self, id: StreamId, consumer: &Bytes) -> bool {
        let Some(nack) = self.pel.get_mut(&id) else {
            return false;
        };
        if nack.consumer != *consumer {
            let old = std::mem::replace(&mut nack.consumer, consumer.clone());
            if let Some(c) = self.consumers.get_mut(&old) {
                c.pel.remove(&id);
            }
            if let Some(c) = self.consumers.get_mut(consumer) {
                c.pel.insert(id);
            }
        }
        true
    }
}
