//! A stream seen as the pieces Redis serializes (DUMP/RESTORE, RDB): its
//! nodes with their master fields and every entry still stored in them,
//! deleted ones included, plus the stream's counters. [`Stream::nodes_view`]
//! takes a stream apart; [`Stream::from_parts`] puts one back together,
//! refusing pieces that would break the invariants the rest of the module
//! relies on (entries in ID order, each inside its node's ID range).

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;

use super::{Node, Stream, StreamId};

/// One entry of a node as Redis stores it.
#[derive(Clone, Copy, Debug)]
pub struct EntryRef<'a> {
    pub id: StreamId,
    /// `field, value, field, value...`
    pub pairs: &'a [Bytes],
    pub deleted: bool,
}

/// One node: the master ID (its radix-tree key), the master entry's fields
/// and the entries in the order they sit in the listpack.
#[derive(Clone, Debug)]
pub struct NodeRef<'a> {
    pub master: StreamId,
    pub fields: &'a [Bytes],
    pub entries: Vec<EntryRef<'a>>,
}

/// A node to restore.
#[derive(Clone, Debug, Default)]
pub struct NodeParts {
    pub master: StreamId,
    pub fields: Vec<Bytes>,
    /// Bytes of the node's listpack other than its live and deleted
    /// counters (which are re-encoded as they change).
    pub body: usize,
    /// `(id, pairs, deleted)` in listpack order.
    pub entries: Vec<(StreamId, Box<[Bytes]>, bool)>,
}

/// A stream to restore, without its consumer groups (which are attached
/// to the built stream, as estimating their read counters needs it).
#[derive(Clone, Debug, Default)]
pub struct StreamParts {
    /// In any order; master IDs must be distinct.
    pub nodes: Vec<NodeParts>,
    pub length: u64,
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted: StreamId,
    pub entries_added: u64,
}

impl Stream {
    /// The nodes in ID order with their stored entries. Within a node,
    /// entries come in ID order (a tombstone before a live entry with the
    /// same ID, which only an ID set back by XSETID can produce).
    pub fn nodes_view(&self) -> impl Iterator<Item = NodeRef<'_>> + '_ {
        let masters: Vec<StreamId> = self.nodes.keys().copied().collect();
        self.nodes
            .iter()
            .enumerate()
            .map(move |(i, (&master, node))| {
                let end = masters
                    .get(i + 1)
                    .map_or(Bound::Unbounded, |&next| Bound::Excluded(next));
                let live = self.entries.range((Bound::Included(master), end));
                NodeRef {
                    master,
                    fields: &node.fields,
                    entries: merge(live, &node.dead),
                }
            })
    }

    /// Builds a stream from its serialized pieces; `Err` names the first
    /// inconsistency found.
    pub fn from_parts(mut p: StreamParts) -> Result<Stream, &'static str> {
        p.nodes.sort_by_key(|n| n.master);
        if p.nodes.windows(2).any(|w| w[0].master == w[1].master) {
            return Err("duplicate stream node");
        }
        let mut s = Stream {
            last_id: p.last_id,
            first_id: p.first_id,
            max_deleted: p.max_deleted,
            entries_added: p.entries_added,
            ..Stream::default()
        };
        let mut prev_live: Option<StreamId> = None;
        let bounds: Vec<Option<StreamId>> = p
            .nodes
            .iter()
            .skip(1)
            .map(|n| Some(n.master))
            .chain([None])
            .collect();
        for (np, next) in p.nodes.into_iter().zip(bounds) {
            let Some(&(last, _, _)) = np.entries.last() else {
                return Err("stream node without entries");
            };
            let mut node = Node {
                fields: np.fields.into_boxed_slice(),
                live: 0,
                deleted: 0,
                body: np.body,
                last,
                dead: BTreeMap::new(),
            };
            for (id, pairs, deleted) in np.entries {
                if deleted {
                    if node.dead.insert(id, pairs).is_some() {
                        return Err("duplicate deleted entry");
                    }
                    node.deleted += 1;
                    continue;
                }
                let in_node = id >= np.master && next.is_none_or(|n| id < n);
                if !in_node || prev_live.is_some_and(|p| id <= p) {
                    return Err("stream entries out of order");
                }
                prev_live = Some(id);
                s.entries.insert(id, pairs);
                node.live += 1;
            }
            s.nodes.insert(np.master, node);
        }
        if s.len() != p.length {
            return Err("stream length mismatch");
        }
        if prev_live.is_some_and(|id| id > s.last_id) {
            return Err("entry after the stream's last ID");
        }
        Ok(s)
    }
}

/// Live entries (in ID order) and a node's tombstones, merged by ID.
fn merge<'a>(
    live: impl Iterator<Item = (&'a StreamId, &'a Box<[Bytes]>)>,
    dead: &'a BTreeMap<StreamId, Box<[Bytes]>>,
) -> Vec<EntryRef<'a>> {
    let mut out = Vec::new();
    let mut live = live.peekable();
    let mut dead = dead.iter().peekable();
    loop {
        let take_dead = match (live.peek(), dead.peek()) {
            (None, None) => break,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (Some((l, _)), Some((d, _))) => d <= l,
        };
        let next = if take_dead {
            dead.next().map(|(id, p)| (*id, p, true))
        } else {
            live.next().map(|(id, p)| (*id, p, false))
        };
        let Some((id, pairs, deleted)) = next else {
            break;
        };
        out.push(EntryRef { id, pairs, deleted });
    }
    out
}
