//! The stream value type.
//!
//! Entries live in a `BTreeMap` ordered by ID (O(log n) append, seek and
//! delete). Alongside, [`Stream`] keeps the node structure Redis would
//! have built: Redis packs entries into listpack nodes of a radix tree,
//! deletes by marking entries inside a node, and approximate trimming
//! (`MAXLEN ~`, `MINID ~`) only drops whole nodes. Tracking each node's
//! first ID, entry counts, byte size (see [`layout`]) and last ID is enough
//! to reproduce which entries `~` trimming removes and XINFO's radix-tree
//! figures, without storing listpacks. Nodes also keep their deleted
//! entries, so [`parts`] can lay each node out exactly as Redis's listpack
//! for DUMP, and rebuild nodes from a payload.
//!
//! Consumer groups ([`group`]) hang off the stream.

pub mod group;
mod layout;
mod parts;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;

use bytes::Bytes;

pub use group::{Consumer, Group, Nack, INVALID_ENTRIES_READ};
pub use parts::{EntryRef, NodeParts, NodeRef, StreamParts};

/// A stream entry ID: milliseconds and sequence number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const ZERO: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::ZERO
    }

    /// The following ID, or `None` after the maximum.
    pub fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The preceding ID, or `None` before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// The ID as text (`<ms>-<seq>`), as replies carry it.
    pub fn to_bytes(self) -> Bytes {
        Bytes::from(self.to_string())
    }

    /// The 128-bit big-endian radix-tree key.
    fn key(self) -> [u8; 16] {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&self.ms.to_be_bytes());
        k[8..].copy_from_slice(&self.seq.to_be_bytes());
        k
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// The ID XADD `*` generates after `last` at unix time `now_ms`: the time
/// with sequence 0 when the clock moved past `last`, else `last`'s
/// successor, so IDs keep growing when the clock goes backwards. Past the
/// very last ID it wraps to 0-0, which the caller rejects as not greater.
pub fn next_auto_id(last: StreamId, now_ms: u64) -> StreamId {
    if now_ms > last.ms {
        StreamId::new(now_ms, 0)
    } else {
        last.next().unwrap_or(StreamId::ZERO)
    }
}

/// stream-node-max-bytes / stream-node-max-entries, as XADD applies them.
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: usize,
    /// 0 means no limit.
    pub max_entries: u64,
}

/// A listpack may not grow beyond 1 GiB.
const LISTPACK_MAX_SIZE: usize = 1 << 30;

impl NodeLimits {
    /// Limits from the configured values (0 or huge bytes mean 1 GiB).
    pub fn new(max_bytes: u64, max_entries: u64) -> NodeLimits {
        let max_bytes = match usize::try_from(max_bytes) {
            Ok(b) if b > 0 && b <= LISTPACK_MAX_SIZE => b,
            _ => LISTPACK_MAX_SIZE,
        };
        NodeLimits {
            max_bytes,
            max_entries,
        }
    }

    /// The LIMIT `~` trimming gets by default: about 100 nodes' worth.
    pub fn default_trim_limit(&self) -> u64 {
        match self.max_entries.saturating_mul(100) {
            0 => 10_000,
            n => n.min(1_000_000),
        }
    }
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits::new(4096, 100)
    }
}

/// Where XADD's new ID comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewId {
    /// `*`: from the clock.
    Auto,
    /// `<ms>-<seq>`.
    Exact(StreamId),
    /// `<ms>-*`: the sequence is generated.
    Ms(u64),
}

/// Why XADD could not append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The ID is not greater than the stream's last ID.
    NotGreater,
    /// The entry is too large, or `<ms>-*` ran out of sequence numbers
    /// (Redis reports both the same way).
    TooLarge,
}

/// How XADD / XTRIM trim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimBy {
    MaxLen(u64),
    MinId(StreamId),
}

/// A trim request: strategy, `~`, the LIMIT on deleted entries (0 =
/// none) and what happens to consumer-group references.
#[derive(Clone, Copy, Debug)]
pub struct Trim {
    pub by: TrimBy,
    pub approx: bool,
    pub limit: u64,
    pub policy: RefPolicy,
}

/// What deleting an entry does about consumer groups (Redis 8.2's
/// KEEPREF / DELREF / ACKED on XADD, XTRIM, XDELEX and XACKDEL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RefPolicy {
    /// Delete; pending references stay in the groups' PELs (as XDEL).
    #[default]
    KeepRef,
    /// Delete and remove the entry from every group's PEL.
    DelRef,
    /// Delete only entries no group still needs (see
    /// [`Stream::is_referenced`]).
    Acked,
}

/// One node: a listpack in Redis. Entries stay counted in a node after
/// deletion (as tombstones) until the whole node goes.
#[derive(Clone, Debug)]
struct Node {
    /// The master entry's field names (entries with the same fields are
    /// stored without them).
    fields: Box<[Bytes]>,
    live: u64,
    deleted: u64,
    /// Listpack bytes except the live/deleted counters.
    body: usize,
    /// The last entry appended, deleted or not.
    last: StreamId,
    /// Deleted entries still in the node, which Redis keeps (and DUMPs)
    /// until the whole node goes.
    dead: BTreeMap<StreamId, Box<[Bytes]>>,
}

impl Node {
    fn bytes(&self) -> usize {
        self.body + layout::int_len(self.live as i64) + layout::int_len(self.deleted as i64)
    }
}

/// A stream's counters, copied out so they can be consulted while a
/// consumer group is borrowed mutably.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted: StreamId,
    pub entries_added: u64,
}

impl Meta {
    /// True if a deleted entry may lie in `start..=end` (`None` = to the end).
    pub fn range_has_tombstones(&self, start: StreamId, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted {
            return false;
        }
        start <= self.max_deleted && self.max_deleted <= end.unwrap_or(StreamId::MAX)
    }

    /// The logical read counter of `id` (its distance from the first entry
    /// ever added), or [`INVALID_ENTRIES_READ`] when deletions make it
    /// unknowable.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        if id == self.last_id {
            return self.entries_added as i64;
        }
        if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            let base = self.entries_added.wrapping_sub(self.length) as i64;
            if id < self.first_id {
                return base;
            }
            if id == self.first_id {
                return base.wrapping_add(1);
            }
        }
        INVALID_ENTRIES_READ
    }

    /// A group's lag: entries not yet delivered, `None` when unknowable.
    pub fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let added = self.entries_added as i64;
        if group.entries_read != INVALID_ENTRIES_READ
            && !self.range_has_tombstones(group.last_id, None)
        {
            return Some(added.wrapping_sub(group.entries_read));
        }
        match self.estimate_distance(group.last_id) {
            INVALID_ENTRIES_READ => None,
            read => Some(added.wrapping_sub(read)),
        }
    }

    /// Advances `group` past delivered entry `id`, keeping its read counter
    /// exact while it can.
    pub fn advance(&self, group: &mut Group, id: StreamId) {
        if id <= group.last_id {
            return;
        }
        if group.entries_read != INVALID_ENTRIES_READ && !self.range_has_tombstones(id, None) {
            group.entries_read = group.entries_read.wrapping_add(1);
        } else if self.entries_added != 0 {
            group.entries_read = self.estimate_distance(id);
        }
        group.last_id = id;
    }
}

/// A stream value.
#[derive(Clone, Debug, Default)]
pub struct Stream {
    /// Live entries: ID -> flat `[field, value, field, value...]`.
    entries: BTreeMap<StreamId, Box<[Bytes]>>,
    /// Nodes by master (first) ID.
    nodes: BTreeMap<StreamId, Node>,
    pub last_id: StreamId,
    /// The first live entry when recorded (Redis updates it lazily).
    pub first_id: StreamId,
    pub max_deleted: StreamId,
    pub entries_added: u64,
    /// Consumer groups by name.
    pub groups: BTreeMap<Bytes, Group>,
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Number of live entries.
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn meta(&self) -> Meta {
        Meta {
            length: self.len(),
            last_id: self.last_id,
            first_id: self.first_id,
            max_deleted: self.max_deleted,
            entries_added: self.entries_added,
        }
    }

    /// The fields and values of entry `id`.
    pub fn get(&self, id: StreamId) -> Option<&[Bytes]> {
        self.entries.get(&id).map(|e| &e[..])
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.entries.contains_key(&id)
    }

    /// The first and last live entries.
    pub fn first_entry(&self) -> Option<(StreamId, &[Bytes])> {
        self.entries.first_key_value().map(|(k, v)| (*k, &v[..]))
    }

    pub fn last_entry(&self) -> Option<(StreamId, &[Bytes])> {
        self.entries.last_key_value().map(|(k, v)| (*k, &v[..]))
    }

    /// Live entries in `start..=end`, ascending (or descending with `rev`).
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
    ) -> Box<dyn Iterator<Item = (StreamId, &[Bytes])> + '_> {
        if start > end {
            return Box::new(std::iter::empty());
        }
        let it = self.entries.range(start..=end).map(|(k, v)| (*k, &v[..]));
        if rev {
            Box::new(it.rev())
        } else {
            Box::new(it)
        }
    }

    /// Appends an entry (`pairs` is `field, value, ...`) and returns its ID.
    pub fn add(
        &mut self,
        new: NewId,
        pairs: &[&[u8]],
        now_ms: u64,
        limits: NodeLimits,
    ) -> Result<StreamId, AddError> {
        let id = match new {
            NewId::Auto => next_auto_id(self.last_id, now_ms),
            NewId::Exact(id) => id,
            NewId::Ms(ms) if ms == self.last_id.ms => match self.last_id.next() {
                Some(next) if next.ms == ms => next,
                _ => return Err(AddError::TooLarge),
            },
            NewId::Ms(ms) => StreamId::new(ms, 0),
        };
        if id <= self.last_id {
            return Err(AddError::NotGreater);
        }
        let total: usize = pairs.iter().map(|p| p.len()).sum();
        if total > LISTPACK_MAX_SIZE {
            return Err(AddError::TooLarge);
        }
        self.append_to_node(id, pairs, total, limits);
        let entry: Box<[Bytes]> = pairs.iter().map(|p| Bytes::copy_from_slice(p)).collect();
        self.entries.insert(id, entry);
        self.entries_added = self.entries_added.wrapping_add(1);
        self.last_id = id;
        if self.entries.len() == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Accounts the new entry in the tail node, or opens a node for it.
    fn append_to_node(&mut self, id: StreamId, pairs: &[&[u8]], total: usize, limits: NodeLimits) {
        let nfields = pairs.len() / 2;
        let fields = || pairs.iter().step_by(2);
        let full = self.nodes.last_key_value().is_none_or(|(_, n)| {
            n.bytes() + total >= limits.max_bytes
                || (limits.max_entries > 0 && n.live + n.deleted >= limits.max_entries)
        });
        if full {
            let body = layout::LISTPACK_OVERHEAD
                + layout::int_len(nfields as i64)
                + fields().map(|f| layout::str_len(f)).sum::<usize>()
                + layout::int_len(0);
            let node = Node {
                fields: fields().map(|f| Bytes::copy_from_slice(f)).collect(),
                live: 0,
                deleted: 0,
                body,
                last: id,
                dead: BTreeMap::new(),
            };
            self.nodes.insert(id, node);
        }
        let Some(mut slot) = self.nodes.last_entry() else {
            return;
        };
        let master = *slot.key();
        let node = slot.get_mut();
        let same = node.fields.len() == nfields
            && fields().zip(node.fields.iter()).all(|(a, b)| *a == &b[..]);
        let mut bytes = layout::int_len(if same { 2 } else { 0 })
            + layout::int_len(id.ms.wrapping_sub(master.ms) as i64)
            + layout::int_len(id.seq.wrapping_sub(master.seq) as i64)
            + pairs
                .iter()
                .skip(1)
                .step_by(2)
                .map(|v| layout::str_len(v))
                .sum::<usize>();
        let mut parts = nfields + 3;
        if !same {
            bytes += layout::int_len(nfields as i64)
                + fields().map(|f| layout::str_len(f)).sum::<usize>();
            parts += nfields + 1;
        }
        bytes += layout::int_len(parts as i64);
        node.body += bytes;
        node.live += 1;
        node.last = id;
    }

    /// Deletes live entry `id` (its node keeps a tombstone, or goes when it
    /// has no live entry left). Does not touch `first_id`/`max_deleted`.
    fn remove_entry(&mut self, id: StreamId) -> bool {
        let Some(content) = self.entries.remove(&id) else {
            return false;
        };
        let node_key = self.nodes.range(..=id).next_back().map(|(k, _)| *k);
        if let Some(key) = node_key {
            if let Some(node) = self.nodes.get_mut(&key) {
                if node.live <= 1 {
                    self.nodes.remove(&key);
                } else {
                    node.live -= 1;
                    node.deleted += 1;
                    node.dead.insert(id, content);
                }
            }
        }
        true
    }

    /// XDEL: deletes the given IDs; returns how many existed.
    pub fn delete(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_deleted = false;
        for &id in ids {
            if self.remove_entry(id) {
                first_deleted |= id == self.first_id;
                self.max_deleted = self.max_deleted.max(id);
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.entries.is_empty() {
                self.first_id = StreamId::ZERO;
            } else if first_deleted {
                self.first_id = self.first_entry().map_or(StreamId::ZERO, |(id, _)| id);
            }
        }
        deleted
    }

    /// True if some consumer group still needs entry `id`: it has not
    /// been delivered to the group yet, or it is pending in its PEL.
    pub fn is_referenced(&self, id: StreamId) -> bool {
        self.groups
            .values()
            .any(|g| id > g.last_id || g.pel.contains_key(&id))
    }

    /// Removes `id` from every group's PEL; true if one held it.
    pub fn drop_refs(&mut self, id: StreamId) -> bool {
        let mut any = false;
        for g in self.groups.values_mut() {
            any |= g.ack(id);
        }
        any
    }

    /// Trims from the head; returns the number of entries removed. Whole
    /// nodes go first; an exact trim then deletes entries inside the next
    /// node, an approximate one stops.
    pub fn trim(&mut self, trim: Trim) -> u64 {
        if trim.policy != RefPolicy::KeepRef && !self.groups.is_empty() {
            return self.trim_with_refs(trim);
        }
        let mut deleted = 0u64;
        while let Some((&key, node)) = self.nodes.first_key_value() {
            let length = self.len();
            if let TrimBy::MaxLen(max) = trim.by {
                if length <= max {
                    break;
                }
            }
            let (live, last) = (node.live, node.last);
            if trim.limit != 0 && deleted.saturating_add(live) > trim.limit {
                break;
            }
            let whole = match trim.by {
                TrimBy::MaxLen(max) => length.saturating_sub(live) >= max,
                TrimBy::MinId(min) => last < min,
            };
            if whole {
                self.nodes.remove(&key);
                for _ in 0..live {
                    self.entries.pop_first();
                }
                deleted += live;
                continue;
            }
            if trim.approx {
                break;
            }
            let mut removed = Vec::new();
            while let Some((&id, _)) = self.entries.first_key_value() {
                let stop = id > last
                    || match trim.by {
                        TrimBy::MaxLen(max) => self.len() <= max,
                        TrimBy::MinId(min) => id >= min,
                    };
                if stop {
                    break;
                }
                removed.extend(self.entries.pop_first());
            }
            let count = removed.len() as u64;
            if let Some(node) = self.nodes.get_mut(&key) {
                node.live = node.live.saturating_sub(count);
                node.deleted += count;
                node.dead.extend(removed);
            }
            deleted += count;
            break;
        }
        if self.entries.is_empty() {
            self.first_id = StreamId::ZERO;
        } else if deleted > 0 {
            self.first_id = self.first_entry().map_or(StreamId::ZERO, |(id, _)| id);
        }
        deleted
    }

    /// Trimming with DELREF or ACKED. The entries a KEEPREF trim would
    /// consider are walked from the head: DELREF deletes them and their
    /// PEL references; ACKED skips (keeps) the ones some group still needs
    /// and goes on, so a MAXLEN trim may end above the threshold. `~`
    /// still works node by node: it stops at the first node that cannot
    /// go whole, or, with ACKED, that holds a needed entry.
    fn trim_with_refs(&mut self, trim: Trim) -> u64 {
        let acked = trim.policy == RefPolicy::Acked;
        let mut length = self.len();
        let mut victims = Vec::new();
        if trim.approx {
            for (&key, node) in &self.nodes {
                if let TrimBy::MaxLen(max) = trim.by {
                    if length <= max {
                        break;
                    }
                }
                let count = victims.len() as u64;
                if trim.limit != 0 && count.saturating_add(node.live) > trim.limit {
                    break;
                }
                let whole = match trim.by {
                    TrimBy::MaxLen(max) => length.saturating_sub(node.live) >= max,
                    TrimBy::MinId(min) => node.last < min,
                };
                if !whole {
                    break;
                }
                let ids: Vec<StreamId> = self
                    .entries
                    .range(key..=node.last)
                    .map(|(k, _)| *k)
                    .collect();
                if acked && ids.iter().any(|&id| self.is_referenced(id)) {
                    break;
                }
                length = length.saturating_sub(ids.len() as u64);
                victims.extend(ids);
            }
        } else {
            for &id in self.entries.keys() {
                let done = match trim.by {
                    TrimBy::MaxLen(max) => length <= max,
                    TrimBy::MinId(min) => id >= min,
                };
                if done {
                    break;
                }
                if acked && self.is_referenced(id) {
                    continue;
                }
                victims.push(id);
                length -= 1;
            }
        }
        let mut deleted = 0;
        for &id in &victims {
            if trim.policy == RefPolicy::DelRef {
                self.drop_refs(id);
            }
            if self.remove_entry(id) {
                deleted += 1;
            }
        }
        // An entry deleted behind a kept one is a tombstone inside the
        // stream (as XDEL leaves), which lag estimates must know about.
        if let (Some((first, _)), Some(&last)) = (self.first_entry(), victims.last()) {
            if last > first {
                self.max_deleted = self.max_deleted.max(last);
            }
        }
        if self.entries.is_empty() {
            self.first_id = StreamId::ZERO;
        } else if deleted > 0 {
            self.first_id = self.first_entry().map_or(StreamId::ZERO, |(id, _)| id);
        }
        deleted
    }

    /// Number of nodes (XINFO `radix-tree-keys`).
    pub fn rax_keys(&self) -> u64 {
        self.nodes.len() as u64
    }

    /// Nodes of the radix tree holding them (XINFO `radix-tree-nodes`).
    pub fn rax_nodes(&self) -> u64 {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|k| k.key()).collect();
        layout::rax_nodes(&keys)
    }

    /// Group `name` and the stream's counters, for reads that advance it.
    pub fn group_mut(&mut self, name: &[u8]) -> Option<(&mut Group, Meta)> {
        let meta = self.meta();
        self.groups.get_mut(name).map(|g| (g, meta))
    }

    /// Serves XREADGROUP `>`: up to `count` (0 = all) entries from `start`,
    /// advancing `group` and, unless `noack`, recording them as pending for
    /// `consumer` (which must exist). Returns the delivered IDs.
    pub fn deliver(
        &mut self,
        group: &[u8],
        consumer: &Bytes,
        start: StreamId,
        count: usize,
        noack: bool,
        now: i64,
    ) -> Vec<StreamId> {
        let meta = self.meta();
        let Some(g) = self.groups.get_mut(group) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (&id, _) in self.entries.range(start..) {
            meta.advance(g, id);
            if !noack {
                g.deliver(id, consumer, now);
            }
            out.push(id);
            if out.len() == count {
                break;
            }
        }
        out
    }

    /// Serves XREADGROUP with an explicit ID: `consumer`'s pending IDs from
    /// `start` (up to `count`, 0 = all). Entries still in the stream count
    /// as delivered again; deleted ones are returned too (the caller
    /// replies with no fields for them).
    pub fn history(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        count: usize,
        now: i64,
    ) -> Vec<StreamId> {
        let Some(g) = self.groups.get_mut(group) else {
            return Vec::new();
        };
        let Some(c) = g.consumers.get(consumer) else {
            return Vec::new();
        };
        let limit = if count == 0 { usize::MAX } else { count };
        let ids: Vec<StreamId> = c.pel.range(start..).take(limit).copied().collect();
        for id in &ids {
            if self.entries.contains_key(id) {
                if let Some(nack) = g.pel.get_mut(id) {
                    nack.delivery_time = now;
                    nack.delivery_count = nack.delivery_count.wrapping_add(1);
                }
            }
        }
        ids
    }

    /// A rough byte count for MEMORY USAGE.
    pub fn mem_usage(&self, samples: usize) -> usize {
        // Nodes are extrapolated from the first `samples` (0: all) so the
        // cost stays bounded on long streams.
        let count = self.nodes.len();
        let k = if samples == 0 {
            count
        } else {
            samples.min(count)
        };
        let sampled: usize = self.nodes.values().take(k).map(|n| n.bytes() + 48).sum();
        let nodes = sampled.saturating_mul(count) / k.max(1);
        let groups: usize = self
            .groups
            .iter()
            .map(|(name, g)| name.len() + 64 + g.pel.len() * 48 + g.consumers.len() * 64)
            .sum();
        nodes + groups + 64
    }
}
