//! Streams as RDB objects (`RDB_TYPE_STREAM_LISTPACKS_2`, and the older
//! `RDB_TYPE_STREAM_LISTPACKS` of Redis 5 and 6 on load).
//!
//! The body is the radix tree of nodes (each a 16-byte big-endian master
//! ID and a listpack), the stream's counters, then the consumer groups
//! with their pending entries and consumers.
//!
//! A node's listpack starts with the master entry: live count, deleted
//! count, the number of master fields, the field names and a 0. Each entry
//! follows as: flags, ms and seq deltas from the master ID, the field
//! count and names unless the flags say they equal the master fields, the
//! values, and lp-count (the entry's element count, so the listpack can be
//! walked backwards). Deleted entries stay in place with a flag.
//!
//! Saving rebuilds each listpack from the entries the node holds, which
//! gives the bytes Redis has for the same command history. Loading
//! validates every element (deep sanitization) plus the invariants the
//! engine relies on, which Redis's own check leaves out: counts agree with
//! the flags, entries are in ID order inside their nodes, PEL entries have
//! exactly one owner.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use super::listpack::{self, Entry};
use super::rdb::{write_len, write_string, LoadError, Reader, SaveOptions};
use crate::engine::stream::{
    Consumer, Group, Nack, NodeParts, NodeRef, Stream, StreamId, StreamParts,
};
use crate::engine::value::Value;
use crate::num::parse_i64;

type Load<T> = Result<T, LoadError>;

/// Entry flags.
const DELETED: i64 = 1;
const SAME_FIELDS: i64 = 2;

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Appends the body of a stream object.
pub fn save(out: &mut Vec<u8>, s: &Stream, o: &SaveOptions) {
    write_len(out, s.rax_keys());
    for node in s.nodes_view() {
        write_string(out, &id_key(node.master), o.compression);
        write_string(out, &node_listpack(&node), o.compression);
    }
    write_len(out, s.len());
    write_id(out, s.last_id);
    write_id(out, s.first_id);
    write_id(out, s.max_deleted);
    write_len(out, s.entries_added);
    write_len(out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        write_string(out, name, o.compression);
        write_id(out, g.last_id);
        // A negative counter (unknown) goes out as its two's complement.
        write_len(out, g.entries_read as u64);
        write_len(out, g.pel.len() as u64);
        for (id, nack) in &g.pel {
            out.extend_from_slice(&id_key(*id));
            out.extend_from_slice(&nack.delivery_time.to_le_bytes());
            write_len(out, nack.delivery_count);
        }
        write_len(out, g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            write_string(out, cname, o.compression);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            write_len(out, c.pel.len() as u64);
            for id in &c.pel {
                out.extend_from_slice(&id_key(*id));
            }
        }
    }
}

/// The node's listpack as Redis's appends and deletions leave it.
fn node_listpack(node: &NodeRef<'_>) -> Vec<u8> {
    let live = node.entries.iter().filter(|e| !e.deleted).count();
    let deleted = node.entries.len() - live;
    let mut lp = listpack::Builder::new();
    lp.push_int(live as i64);
    lp.push_int(deleted as i64);
    lp.push_int(node.fields.len() as i64);
    for f in node.fields {
        lp.push(f);
    }
    lp.push_int(0);
    for e in &node.entries {
        let n = e.pairs.len() / 2;
        let same = n == node.fields.len()
            && e.pairs
                .iter()
                .step_by(2)
                .zip(node.fields)
                .all(|(a, b)| a == b);
        let mut flags = 0;
        if e.deleted {
            flags |= DELETED;
        }
        if same {
            flags |= SAME_FIELDS;
        }
        lp.push_int(flags);
        lp.push_int(e.id.ms.wrapping_sub(node.master.ms) as i64);
        lp.push_int(e.id.seq.wrapping_sub(node.master.seq) as i64);
        if !same {
            lp.push_int(n as i64);
        }
        for pair in e.pairs.chunks_exact(2) {
            if !same {
                lp.push(&pair[0]);
            }
            lp.push(&pair[1]);
        }
        let parts = if same { n + 3 } else { 2 * n + 4 };
        lp.push_int(parts as i64);
    }
    lp.finish()
}

/// An ID as a radix-tree key: 128 bits, big-endian.
fn id_key(id: StreamId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&id.ms.to_be_bytes());
    k[8..].copy_from_slice(&id.seq.to_be_bytes());
    k
}

fn write_id(out: &mut Vec<u8>, id: StreamId) {
    write_len(out, id.ms);
    write_len(out, id.seq);
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Reads a stream object; `v2` for `RDB_TYPE_STREAM_LISTPACKS_2`.
pub fn load(r: &mut Reader<'_>, v2: bool) -> Load<Value> {
    let count = r.read_len()?;
    let mut nodes = Vec::new();
    for _ in 0..count {
        let key = r.read_string()?;
        let master = key_id(&key).ok_or(LoadError("stream node key is not an ID"))?;
        let lp = r.read_string()?;
        nodes.push(load_node(master, &lp)?);
    }
    let length = r.read_len()?;
    let last_id = read_id(r)?;
    let (first_id, max_deleted, entries_added) = if v2 {
        (read_id(r)?, read_id(r)?, r.read_len()?)
    } else {
        (StreamId::ZERO, StreamId::ZERO, length)
    };
    let mut s = Stream::from_parts(StreamParts {
        nodes,
        length,
        last_id,
        first_id,
        max_deleted,
        entries_added,
    })
    .map_err(LoadError)?;
    if !v2 {
        // Redis looks the first entry up; an empty stream gets the largest
        // ID, as its edge search reports when it finds nothing.
        s.first_id = s.first_entry().map_or(StreamId::MAX, |(id, _)| id);
    }
    s.groups = load_groups(r, &s, v2)?;
    Ok(Value::Stream(Box::new(s)))
}

fn key_id(k: &[u8]) -> Option<StreamId> {
    let k: &[u8; 16] = k.try_into().ok()?;
    let (mut ms, mut seq) = ([0u8; 8], [0u8; 8]);
    ms.copy_from_slice(&k[..8]);
    seq.copy_from_slice(&k[8..]);
    Some(StreamId::new(
        u64::from_be_bytes(ms),
        u64::from_be_bytes(seq),
    ))
}

fn read_id(r: &mut Reader<'_>) -> Load<StreamId> {
    Ok(StreamId::new(r.read_len()?, r.read_len()?))
}

fn read_raw_id(r: &mut Reader<'_>) -> Load<StreamId> {
    key_id(r.read_bytes(16)?).ok_or(LoadError("truncated"))
}

fn read_millis(r: &mut Reader<'_>) -> Load<i64> {
    let mut w = [0u8; 8];
    w.copy_from_slice(r.read_bytes(8)?);
    Ok(i64::from_le_bytes(w))
}

/// Walks the elements of a validated listpack.
struct Elements<'a> {
    items: Vec<(Entry<'a>, usize)>,
    pos: usize,
}

const BAD_NODE: LoadError = LoadError("bad stream listpack");

impl<'a> Elements<'a> {
    fn next(&mut self) -> Load<(Entry<'a>, usize)> {
        let e = *self.items.get(self.pos).ok_or(BAD_NODE)?;
        self.pos += 1;
        Ok(e)
    }

    fn done(&self) -> bool {
        self.pos >= self.items.len()
    }

    /// An integer element (a string that reads as one counts, as Redis
    /// reads it with `lpGetIntegerIfValid`).
    fn int(&mut self) -> Load<i64> {
        match self.next()?.0 {
            Entry::Int(v) => Ok(v),
            Entry::Str(s) => parse_i64(s).ok_or(BAD_NODE),
        }
    }

    /// A count of following elements: non-negative and no more than remain.
    fn count(&mut self) -> Load<usize> {
        let n = self.int()?;
        let left = self.items.len() - self.pos;
        usize::try_from(n)
            .ok()
            .filter(|&n| n <= left)
            .ok_or(BAD_NODE)
    }

    fn bytes(&mut self) -> Load<Bytes> {
        Ok(self.next()?.0.to_bytes())
    }
}

/// One node's listpack, checked element by element.
fn load_node(master: StreamId, lp: &[u8]) -> Load<NodeParts> {
    let items = listpack::entries_sized(lp).ok_or(BAD_NODE)?;
    let mut el = Elements { items, pos: 0 };
    let live = el.int()?;
    let deleted = el.int()?;
    let counters: usize = el.items.iter().take(2).map(|(_, size)| size).sum();
    let nfields = el.count()?;
    let fields = (0..nfields)
        .map(|_| el.bytes())
        .collect::<Load<Vec<Bytes>>>()?;
    if el.int()? != 0 {
        return Err(LoadError("bad master entry terminator"));
    }
    let mut entries = Vec::new();
    let (mut seen_live, mut seen_deleted) = (0i64, 0i64);
    while !el.done() {
        let flags = el.int()?;
        if !(0..=DELETED | SAME_FIELDS).contains(&flags) {
            return Err(LoadError("bad stream entry flags"));
        }
        let ms = master.ms.wrapping_add(el.int()? as u64);
        let seq = master.seq.wrapping_add(el.int()? as u64);
        let same = flags & SAME_FIELDS != 0;
        let n = if same { nfields } else { el.count()? };
        if n > el.items.len() - el.pos {
            return Err(BAD_NODE);
        }
        let mut pairs = Vec::with_capacity(2 * n);
        for field in 0..n {
            pairs.push(match fields.get(field).filter(|_| same) {
                Some(f) => f.clone(),
                None => el.bytes()?,
            });
            pairs.push(el.bytes()?);
        }
        let parts = if same { n + 3 } else { 2 * n + 4 };
        if usize::try_from(el.int()?) != Ok(parts) {
            return Err(LoadError("bad stream entry lp-count"));
        }
        let is_deleted = flags & DELETED != 0;
        if is_deleted {
            seen_deleted += 1;
        } else {
            seen_live += 1;
        }
        entries.push((StreamId::new(ms, seq), pairs.into_boxed_slice(), is_deleted));
    }
    if (seen_live, seen_deleted) != (live, deleted) {
        return Err(LoadError("stream node counters disagree with its entries"));
    }
    Ok(NodeParts {
        master,
        fields,
        body: lp.len() - counters,
        entries,
    })
}

/// The consumer groups that follow a stream's counters.
fn load_groups(r: &mut Reader<'_>, s: &Stream, v2: bool) -> Load<BTreeMap<Bytes, Group>> {
    let meta = s.meta();
    let mut groups = BTreeMap::new();
    for _ in 0..r.read_len()? {
        let name = Bytes::from(r.read_string()?);
        let last_id = read_id(r)?;
        let entries_read = if v2 {
            r.read_len()? as i64
        } else {
            meta.estimate_distance(last_id)
        };
        if groups.contains_key(&name) {
            return Err(LoadError("duplicate consumer group"));
        }
        // Owners are filled in from the consumers' own PELs.
        let mut pel: BTreeMap<StreamId, (i64, u64, Option<Bytes>)> = BTreeMap::new();
        for _ in 0..r.read_len()? {
            let id = read_raw_id(r)?;
            let time = read_millis(r)?;
            let count = r.read_len()?;
            if pel.insert(id, (time, count, None)).is_some() {
                return Err(LoadError("duplicate group PEL entry"));
            }
        }
        let mut consumers = BTreeMap::new();
        for _ in 0..r.read_len()? {
            let cname = Bytes::from(r.read_string()?);
            if consumers.contains_key(&cname) {
                return Err(LoadError("duplicate consumer"));
            }
            let seen_time = read_millis(r)?;
            let mut own = BTreeSet::new();
            for _ in 0..r.read_len()? {
                let id = read_raw_id(r)?;
                let slot = pel
                    .get_mut(&id)
                    .ok_or(LoadError("consumer PEL entry missing from the group PEL"))?;
                if slot.2.is_some() {
                    return Err(LoadError("PEL entry owned twice"));
                }
                slot.2 = Some(cname.clone());
                own.insert(id);
            }
            consumers.insert(
                cname,
                Consumer {
                    seen_time,
                    pel: own,
                },
            );
        }
        let mut group = Group::new(last_id, entries_read);
        for (id, (delivery_time, delivery_count, owner)) in pel {
            let consumer = owner.ok_or(LoadError("group PEL entry without a consumer"))?;
            group.pel.insert(
                id,
                Nack {
                    delivery_time,
                    delivery_count,
                    consumer,
                },
            );
        }
        group.consumers = consumers;
        groups.insert(name, group);
    }
    Ok(groups)
}
