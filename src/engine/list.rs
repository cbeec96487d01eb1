//! The list value: a deque of nodes, each a compact byte buffer holding
//! several elements, in the spirit of Redis's quicklist of listpacks.
//!
//! Why: a `VecDeque<Bytes>` costs a 32-byte handle plus a heap block per
//! element (~52 bytes for an 8-byte element). Here an element costs its
//! bytes plus its length written before and after it (one byte each below
//! 128 bytes): 10 bytes for an 8-byte element.
//!
//! The length on both sides lets a node be walked from either end, so both
//! ends push and pop in amortised O(1); positional commands skip whole
//! nodes by their counts and then scan one node, as Redis does. A node
//! keeps free room at both ends of its buffer (recentred or regrown when a
//! side runs out), so pushing at the head does not move the node's bytes.
//!
//! Node sizes follow `list-max-listpack-size` (the list's `fill`, taken
//! when the list is created, as Redis does): negative for a byte cap (-2:
//! 8 KB), positive for an entry cap (within 8 KB). An element too large
//! for any node gets a node of its own. Inserts that overflow a node split
//! it; removals merge a node with a neighbour when both fit in one, so
//! memory stays proportional to the contents under any churn.

use std::collections::VecDeque;
use std::fmt;
use std::iter::FusedIterator;

/// Byte caps of the negative fill levels (-1 .. -5).
const LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// The byte cap that also holds for positive (entry count) fills.
const SAFETY: usize = 8192;
/// What a listpack adds to its entries (header and end byte), counted so
/// that a node holds as many elements as a Redis node would.
const NODE_HEADER: usize = 7;
/// Redis's estimate of an entry's overhead when deciding whether a node
/// takes one more element (an entry of ours never has more).
const ENTRY_ESTIMATE: usize = 8;
/// Buffers below this size are never shrunk.
const MIN_SHRINK: usize = 128;
/// `list-max-listpack-size`'s default.
pub const DEFAULT_FILL: i64 = -2;

// ---------------------------------------------------------------------------
// Entry encoding: varint(len) data reversed-varint(len)
// ---------------------------------------------------------------------------

/// Bytes of the 7-bit-group length of `n`.
#[inline]
fn varint_len(n: usize) -> usize {
    if n < 0x80 {
        1
    } else {
        (usize::BITS - n.leading_zeros()).div_ceil(7) as usize
    }
}

/// Bytes an element of `n` bytes takes in a node.
#[inline]
fn entry_size(n: usize) -> usize {
    n + 2 * varint_len(n)
}

/// Writes `e` as an entry at `buf[at..]`; returns where the entry ends.
#[inline]
fn write_entry(buf: &mut [u8], at: usize, e: &[u8]) -> usize {
    let n = e.len();
    if n < 0x80 {
        buf[at] = n as u8;
        buf[at + 1..at + 1 + n].copy_from_slice(e);
        buf[at + 1 + n] = n as u8;
        return at + 2 + n;
    }
    // Low groups first, each but the last flagged 0x80; the trailer holds
    // the same bytes in reverse so that a backward read sees them in the
    // same order.
    let mut tmp = [0u8; 10];
    let mut k = 0;
    let mut v = n;
    loop {
        let low = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            tmp[k] = low;
            k += 1;
            break;
        }
        tmp[k] = low | 0x80;
        k += 1;
    }
    buf[at..at + k].copy_from_slice(&tmp[..k]);
    let d = at + k;
    buf[d..d + n].copy_from_slice(e);
    let t = d + n;
    for (i, b) in tmp[..k].iter().rev().enumerate() {
        buf[t + i] = *b;
    }
    t + k
}

/// The entry starting at `p`: (data start, data length, next entry).
#[inline]
fn read_fwd(buf: &[u8], p: usize) -> (usize, usize, usize) {
    let b = buf[p];
    if b < 0x80 {
        let n = b as usize;
        return (p + 1, n, p + 2 + n);
    }
    let (mut n, mut shift, mut i) = (0usize, 0u32, p);
    loop {
        let b = buf[i];
        n |= ((b & 0x7f) as usize) << shift;
        i += 1;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    let k = i - p;
    (i, n, i + n + k)
}

/// The entry ending at `q`: (data start, data length, entry start).
#[inline]
fn read_back(buf: &[u8], q: usize) -> (usize, usize, usize) {
    let b = buf[q - 1];
    if b < 0x80 {
        let n = b as usize;
        let d = q - 1 - n;
        return (d, n, d - 1);
    }
    let (mut n, mut shift, mut i) = (0usize, 0u32, q);
    loop {
        i -= 1;
        let b = buf[i];
        n |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    let k = q - i;
    let d = i - n;
    (d, n, d - k)
}

/// Whether a node of `sz` bytes (its entries) and `count` entries is
/// within fill factor `fill` (Redis 7.0's quicklist rule: a byte cap for
/// negative fills, an entry cap within 8 KB for positive ones, one entry
/// per node for 0).
#[inline]
fn fits(fill: i16, sz: usize, count: usize) -> bool {
    let sz = sz + NODE_HEADER;
    if fill < 0 {
        sz <= LEVELS[usize::from((-fill - 1) as u16).min(LEVELS.len() - 1)]
    } else {
        sz <= SAFETY && count <= usize::from(fill.max(1) as u16)
    }
}

// ---------------------------------------------------------------------------
// Nodes
// ---------------------------------------------------------------------------

/// A node: entries in `buf[start..end]`, free room on both sides.
#[derive(Clone)]
struct Node {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    count: usize,
}

impl Node {
    /// An empty node of `size` bytes, its room after `start`.
    fn with_room(size: usize, start: usize) -> Node {
        Node {
            buf: vec![0u8; size].into_boxed_slice(),
            start,
            end: start,
            count: 0,
        }
    }

    #[inline]
    fn used(&self) -> usize {
        self.end - self.start
    }

    /// Whether the node takes one more element of `len` bytes under
    /// `fill`, by Redis's estimate (so that lists of short strings are cut
    /// into nodes exactly as Redis cuts them).
    #[inline]
    fn allows(&self, fill: i16, len: usize) -> bool {
        fits(fill, self.used() + len + ENTRY_ESTIMATE, self.count + 1)
    }

    /// Byte offset of entry `k` (`k == count`: the end), scanning from the
    /// nearer end of the node.
    fn offset_of(&self, k: usize) -> usize {
        if k <= self.count / 2 {
            let mut p = self.start;
            for _ in 0..k {
                p = read_fwd(&self.buf, p).2;
            }
            p
        } else {
            let mut q = self.end;
            for _ in k..self.count {
                q = read_back(&self.buf, q).2;
            }
            q
        }
    }

    /// Moves the entries into a buffer of `size` bytes with `front` bytes
    /// of room before them (reusing the buffer when the size is the same).
    fn relocate(&mut self, size: usize, front: usize) {
        let used = self.used();
        if size == self.buf.len() {
            self.buf.copy_within(self.start..self.end, front);
        } else {
            let mut buf = vec![0u8; size].into_boxed_slice();
            buf[front..front + used].copy_from_slice(&self.buf[self.start..self.end]);
            self.buf = buf;
        }
        self.start = front;
        self.end = front + used;
    }

    /// Makes room for `need` more bytes before the entries (`front`) or
    /// after them: recentres the entries when the buffer has enough slack,
    /// else doubles it. The pushing side gets most of the free room.
    fn reserve(&mut self, need: usize, front: bool) {
        let room = if front {
            self.start
        } else {
            self.buf.len() - self.end
        };
        if room >= need {
            return;
        }
        let used = self.used();
        let total = used + need;
        let size = if total <= self.buf.len() / 4 * 3 {
            self.buf.len()
        } else {
            (2 * total).max(32)
        };
        let free = size - used;
        let pushing = need.max(free - free / 4);
        let before = if front { pushing } else { free - pushing };
        self.relocate(size, before);
    }

    fn push_back(&mut self, e: &[u8], esz: usize) {
        self.reserve(esz, false);
        self.end = write_entry(&mut self.buf, self.end, e);
        self.count += 1;
    }

    fn push_front(&mut self, e: &[u8], esz: usize) {
        self.reserve(esz, true);
        let at = self.start - esz;
        write_entry(&mut self.buf, at, e);
        self.start = at;
        self.count += 1;
    }

    /// Gives back memory once the entries use under a quarter of the
    /// buffer (halving it keeps repeated pops amortised O(1)).
    fn maybe_shrink(&mut self) {
        let used = self.used();
        if self.buf.len() >= MIN_SHRINK && used * 4 < self.buf.len() {
            let size = (used * 2).max(16);
            self.relocate(size, (size - used) / 2);
        }
    }

    /// Drops the free room (a node that will not grow any more).
    fn shrink_to_fit(&mut self) {
        let used = self.used();
        if self.buf.len() - used > used / 16 + 16 {
            self.relocate(used, 0);
        }
    }

    /// Replaces the bytes `p..q` (whole entries) with `e` as an entry, or
    /// with nothing; `count` is left to the caller.
    fn splice(&mut self, p: usize, q: usize, e: Option<&[u8]>) {
        let esz = e.map_or(0, |e| entry_size(e.len()));
        let old = q - p;
        if esz == old {
            if let Some(e) = e {
                write_entry(&mut self.buf, p, e);
            }
            return;
        }
        let (head, tail) = (p - self.start, self.end - q);
        if esz < old {
            // Close the gap by moving the shorter side.
            let d = old - esz;
            if head <= tail {
                self.buf.copy_within(self.start..p, self.start + d);
                self.start += d;
            } else {
                self.buf.copy_within(q..self.end, q - d);
                self.end -= d;
            }
            if let Some(e) = e {
                write_entry(&mut self.buf, p + if head <= tail { d } else { 0 }, e);
            }
            return;
        }
        let d = esz - old;
        let at = if self.start >= d && (head <= tail || self.buf.len() - self.end < d) {
            self.buf.copy_within(self.start..p, self.start - d);
            self.start -= d;
            p - d
        } else if self.buf.len() - self.end >= d {
            self.buf.copy_within(q..self.end, q + d);
            self.end += d;
            p
        } else {
            let total = self.used() + d;
            let size = total + total / 8;
            let front = (size - total) / 2;
            let mut buf = vec![0u8; size].into_boxed_slice();
            buf[front..front + head].copy_from_slice(&self.buf[self.start..p]);
            let at = front + head;
            buf[at + esz..at + esz + tail].copy_from_slice(&self.buf[q..self.end]);
            self.buf = buf;
            self.start = front;
            self.end = front + total;
            at
        };
        if let Some(e) = e {
            write_entry(&mut self.buf, at, e);
        }
    }

    /// Splits off the entries from `k` on into a new node.
    fn split_off(&mut self, k: usize) -> Node {
        let p = self.offset_of(k);
        let mut right = Node::with_room(self.end - p, 0);
        right.buf.copy_from_slice(&self.buf[p..self.end]);
        right.end = right.buf.len();
        right.count = self.count - k;
        self.end = p;
        self.count = k;
        right
    }
}

// ---------------------------------------------------------------------------
// The list
// ---------------------------------------------------------------------------

/// A list of byte strings (see the module documentation).
#[derive(Clone)]
pub struct List {
    nodes: VecDeque<Node>,
    len: usize,
    /// The sum of the node buffers' sizes, for O(1) memory accounting.
    heap: usize,
    fill: i16,
}

impl Default for List {
    fn default() -> Self {
        List::new()
    }
}

impl List {
    /// An empty list with Redis's default fill (8 KB nodes).
    pub fn new() -> List {
        List::with_fill(DEFAULT_FILL)
    }

    /// An empty list whose nodes follow `list-max-listpack-size` `fill`
    /// (clamped to -5..=32767 as Redis does).
    pub fn with_fill(fill: i64) -> List {
        List {
            nodes: VecDeque::new(),
            len: 0,
            heap: 0,
            fill: fill.clamp(-5, i64::from(i16::MAX)) as i16,
        }
    }

    /// Number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of nodes (DEBUG OBJECT's `ql_nodes`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes the list holds: its header, node table and node buffers
    /// (with an allocator header each). O(1).
    pub fn mem_usage(&self) -> usize {
        const ALLOC: usize = 16;
        let table = self.nodes.capacity() * std::mem::size_of::<Node>();
        std::mem::size_of::<List>()
            + if table > 0 { table + ALLOC } else { 0 }
            + self.heap
            + self.nodes.len() * ALLOC
    }

    /// Runs `f` on node `i`, keeping the heap total in step.
    #[inline]
    fn edit<R>(&mut self, i: usize, f: impl FnOnce(&mut Node) -> R) -> R {
        let node = &mut self.nodes[i];
        let before = node.buf.len();
        let r = f(node);
        self.heap = self.heap - before + node.buf.len();
        r
    }

    fn insert_node(&mut self, i: usize, node: Node) {
        self.heap += node.buf.len();
        self.nodes.insert(i, node);
    }

    fn remove_node(&mut self, i: usize) {
        if let Some(n) = self.nodes.remove(i) {
            self.heap -= n.buf.len();
        }
        let cap = self.nodes.capacity();
        if cap > 16 && self.nodes.len() * 4 < cap {
            self.nodes.shrink_to(self.nodes.len() * 2);
        }
    }

    /// A fresh node holding `e` alone, sized for it.
    fn node_of(e: &[u8], esz: usize) -> Node {
        let mut n = Node::with_room(esz, 0);
        n.end = write_entry(&mut n.buf, 0, e);
        n.count = 1;
        n
    }

    /// Appends `e` at the tail.
    pub fn push_back(&mut self, e: &[u8]) {
        let esz = entry_size(e.len());
        let fill = self.fill;
        let last = self.nodes.len().wrapping_sub(1);
        match self.nodes.back() {
            Some(n) if n.allows(fill, e.len()) => self.edit(last, |n| n.push_back(e, esz)),
            Some(_) => {
                // The tail node is full for good: give back its slack.
                self.edit(last, Node::shrink_to_fit);
                self.insert_node(self.nodes.len(), List::node_of(e, esz));
            }
            None => self.insert_node(0, List::node_of(e, esz)),
        }
        self.len += 1;
    }

    /// Prepends `e` at the head.
    pub fn push_front(&mut self, e: &[u8]) {
        let esz = entry_size(e.len());
        let fill = self.fill;
        match self.nodes.front() {
            Some(n) if n.allows(fill, e.len()) => self.edit(0, |n| n.push_front(e, esz)),
            Some(_) => {
                self.edit(0, Node::shrink_to_fit);
                self.insert_node(0, List::node_of(e, esz));
            }
            None => self.insert_node(0, List::node_of(e, esz)),
        }
        self.len += 1;
    }

    /// Removes the head element, handing its bytes to `f`.
    pub fn pop_front_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let node = self.nodes.front()?;
        let (d, n, next) = read_fwd(&node.buf, node.start);
        let r = f(&node.buf[d..d + n]);
        self.len -= 1;
        if node.count == 1 {
            self.remove_node(0);
        } else {
            self.edit(0, |node| {
                node.start = next;
                node.count -= 1;
                node.maybe_shrink();
            });
        }
        Some(r)
    }

    /// Removes the tail element, handing its bytes to `f`.
    pub fn pop_back_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        let last = self.nodes.len().checked_sub(1)?;
        let node = &self.nodes[last];
        let (d, n, prev) = read_back(&node.buf, node.end);
        let r = f(&node.buf[d..d + n]);
        self.len -= 1;
        if node.count == 1 {
            self.remove_node(last);
        } else {
            self.edit(last, |node| {
                node.end = prev;
                node.count -= 1;
                node.maybe_shrink();
            });
        }
        Some(r)
    }

    /// Removes and returns the head element.
    pub fn pop_front(&mut self) -> Option<bytes::Bytes> {
        self.pop_front_with(bytes::Bytes::copy_from_slice)
    }

    /// Removes and returns the tail element.
    pub fn pop_back(&mut self) -> Option<bytes::Bytes> {
        self.pop_back_with(bytes::Bytes::copy_from_slice)
    }

    /// The node holding element `i` (< len) and its position there,
    /// walking from the nearer end of the list.
    fn locate(&self, i: usize) -> (usize, usize) {
        if i < self.len / 2 {
            let mut k = i;
            for (ni, n) in self.nodes.iter().enumerate() {
                if k < n.count {
                    return (ni, k);
                }
                k -= n.count;
            }
        } else {
            let mut r = self.len - 1 - i;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if r < n.count {
                    return (ni, n.count - 1 - r);
                }
                r -= n.count;
            }
        }
        // Unreachable while the counts sum to `len`; the last element is a
        // harmless answer.
        let last = self.nodes.len().saturating_sub(1);
        (
            last,
            self.nodes
                .get(last)
                .map_or(0, |n| n.count.saturating_sub(1)),
        )
    }

    /// Element `i`, if `i < len`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let (ni, k) = self.locate(i);
        let node = &self.nodes[ni];
        let (d, n, _) = read_fwd(&node.buf, node.offset_of(k));
        Some(&node.buf[d..d + n])
    }

    /// Replaces element `i` with `e`; false if `i` is out of range.
    pub fn set(&mut self, i: usize, e: &[u8]) -> bool {
        if i >= self.len {
            return false;
        }
        let (ni, k) = self.locate(i);
        let fill = self.fill;
        let over = self.edit(ni, |node| {
            let p = node.offset_of(k);
            let q = read_fwd(&node.buf, p).2;
            node.splice(p, q, Some(e));
            node.maybe_shrink();
            node.count > 1 && !fits(fill, node.used(), node.count)
        });
        if over {
            self.repack(ni);
        } else {
            self.merge_around(ni);
        }
        true
    }

    /// Inserts `e` before element `i` (at the tail when `i >= len`).
    pub fn insert(&mut self, i: usize, e: &[u8]) {
        if i == 0 {
            return self.push_front(e);
        }
        if i >= self.len {
            return self.push_back(e);
        }
        let esz = entry_size(e.len());
        let fill = self.fill;
        let (ni, k) = self.locate(i);
        self.len += 1;
        if self.nodes[ni].allows(fill, e.len()) {
            self.edit(ni, |node| {
                let p = node.offset_of(k);
                node.splice(p, p, Some(e));
                node.count += 1;
            });
            return;
        }
        if k == 0 {
            // Between two nodes: the previous one may take it at its tail.
            if ni > 0 && self.nodes[ni - 1].allows(fill, e.len()) {
                self.edit(ni - 1, |n| n.push_back(e, esz));
            } else {
                self.insert_node(ni, List::node_of(e, esz));
                self.merge_around(ni);
            }
            return;
        }
        // Split the full node at the insertion point; `e` goes at the end
        // of the left part, the start of the right part, or in between.
        let right = self.edit(ni, |n| {
            let r = n.split_off(k);
            n.shrink_to_fit();
            r
        });
        self.insert_node(ni + 1, right);
        if self.nodes[ni].allows(fill, e.len()) {
            self.edit(ni, |n| n.push_back(e, esz));
        } else if self.nodes[ni + 1].allows(fill, e.len()) {
            self.edit(ni + 1, |n| n.push_front(e, esz));
        } else {
            self.insert_node(ni + 1, List::node_of(e, esz));
        }
        self.merge_around(ni + 1);
    }

    /// Removes element `i`; false if out of range.
    pub fn remove(&mut self, i: usize) -> bool {
        if i >= self.len {
            return false;
        }
        let (ni, k) = self.locate(i);
        self.len -= 1;
        if self.nodes[ni].count == 1 {
            self.remove_node(ni);
            return true;
        }
        self.edit(ni, |node| {
            let p = node.offset_of(k);
            let q = read_fwd(&node.buf, p).2;
            node.splice(p, q, None);
            node.count -= 1;
            node.maybe_shrink();
        });
        self.merge_around(ni);
        true
    }

    /// Merges node `i` into a neighbour (or a neighbour into it) while the
    /// two fit in one node.
    fn merge_around(&mut self, i: usize) {
        if i >= self.nodes.len() {
            return;
        }
        let mut i = i;
        if i > 0 && self.merge_pair(i - 1) {
            i -= 1;
        }
        if i + 1 < self.nodes.len() {
            self.merge_pair(i);
        }
    }

    /// Moves node `i + 1`'s entries into node `i` if both fit in one.
    fn merge_pair(&mut self, i: usize) -> bool {
        let (a, b) = (&self.nodes[i], &self.nodes[i + 1]);
        if !fits(self.fill, a.used() + b.used(), a.count + b.count) {
            return false;
        }
        let Some(b) = self.nodes.remove(i + 1) else {
            return false;
        };
        self.heap -= b.buf.len();
        self.edit(i, |a| {
            let n = b.used();
            let total = a.used() + n;
            // Exact size: a merged node is an inner node or will be
            // regrown at its end on demand.
            a.relocate(total, 0);
            a.buf[a.end..a.end + n].copy_from_slice(&b.buf[b.start..b.end]);
            a.end += n;
            a.count += b.count;
        });
        true
    }

    /// Cuts node `i` into as few nodes within the fill as its entries
    /// allow (after it grew past the cap).
    fn repack(&mut self, i: usize) {
        let Some(old) = self.nodes.remove(i) else {
            return;
        };
        self.heap -= old.buf.len();
        let mut parts: Vec<Node> = Vec::new();
        let (mut from, mut sz, mut count) = (old.start, 0usize, 0usize);
        let mut p = old.start;
        let cut = |from: usize, to: usize, count: usize, parts: &mut Vec<Node>| {
            let mut n = Node::with_room(to - from, 0);
            n.buf.copy_from_slice(&old.buf[from..to]);
            n.end = to - from;
            n.count = count;
            parts.push(n);
        };
        while p < old.end {
            let next = read_fwd(&old.buf, p).2;
            let esz = next - p;
            if count > 0 && !fits(self.fill, sz + esz, count + 1) {
                cut(from, p, count, &mut parts);
                (from, sz, count) = (p, 0, 0);
            }
            sz += esz;
            count += 1;
            p = next;
        }
        if count > 0 {
            cut(from, p, count, &mut parts);
        }
        let n = parts.len();
        for (j, part) in parts.into_iter().enumerate() {
            self.insert_node(i + j, part);
        }
        if n > 0 {
            self.merge_around(i + n - 1);
            self.merge_around(i);
        }
    }

    /// Keeps elements `start..=stop` only (both < len, start <= stop).
    pub fn trim(&mut self, start: usize, stop: usize) {
        if start > stop || stop >= self.len {
            self.clear();
            return;
        }
        self.drop_back(self.len - 1 - stop);
        self.drop_front(start);
    }

    /// Removes the first `n` elements.
    fn drop_front(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.nodes.front() else {
                return;
            };
            if front.count <= n {
                n -= front.count;
                self.len -= front.count;
                self.remove_node(0);
            } else {
                self.len -= n;
                self.edit(0, |node| {
                    node.start = node.offset_of(n);
                    node.count -= n;
                    node.maybe_shrink();
                });
                n = 0;
            }
        }
    }

    /// Removes the last `n` elements.
    fn drop_back(&mut self, mut n: usize) {
        while n > 0 {
            let Some(back) = self.nodes.back() else {
                return;
            };
            let last = self.nodes.len() - 1;
            if back.count <= n {
                n -= back.count;
                self.len -= back.count;
                self.remove_node(last);
            } else {
                self.len -= n;
                self.edit(last, |node| {
                    node.end = node.offset_of(node.count - n);
                    node.count -= n;
                    node.maybe_shrink();
                });
                n = 0;
            }
        }
    }

    /// Removes every element.
    pub fn clear(&mut self) {
        self.nodes = VecDeque::new();
        self.len = 0;
        self.heap = 0;
    }

    /// Removes up to `limit` elements for which `pred` holds, scanning
    /// from the head, or from the tail when `from_tail`; returns how many
    /// went. Each node is rewritten at most once, then emptied nodes go
    /// and small neighbours merge.
    pub fn remove_where(
        &mut self,
        from_tail: bool,
        limit: usize,
        mut pred: impl FnMut(&[u8]) -> bool,
    ) -> usize {
        let mut removed = 0;
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let (mut lo, mut hi) = (usize::MAX, 0);
        let n = self.nodes.len();
        for step in 0..n {
            if removed >= limit {
                break;
            }
            let ni = if from_tail { n - 1 - step } else { step };
            spans.clear();
            let node = &self.nodes[ni];
            if from_tail {
                let mut q = node.end;
                while q > node.start && removed < limit {
                    let (d, len, p) = read_back(&node.buf, q);
                    if pred(&node.buf[d..d + len]) {
                        spans.push((p, q));
                        removed += 1;
                    }
                    q = p;
                }
                spans.reverse();
            } else {
                let mut p = node.start;
                while p < node.end && removed < limit {
                    let (d, len, q) = read_fwd(&node.buf, p);
                    if pred(&node.buf[d..d + len]) {
                        spans.push((p, q));
                        removed += 1;
                    }
                    p = q;
                }
            }
            if spans.is_empty() {
                continue;
            }
            (lo, hi) = (lo.min(ni), hi.max(ni));
            let gone: usize = spans.iter().map(|(p, q)| q - p).sum();
            self.len -= spans.len();
            self.edit(ni, |node| {
                let keep = node.used() - gone;
                let mut buf = vec![0u8; keep].into_boxed_slice();
                let (mut at, mut from) = (0, node.start);
                for &(p, q) in spans.iter().chain(std::iter::once(&(node.end, node.end))) {
                    let part = &node.buf[from..p];
                    buf[at..at + part.len()].copy_from_slice(part);
                    at += part.len();
                    from = q;
                }
                node.buf = buf;
                node.start = 0;
                node.end = keep;
                node.count -= spans.len();
            });
        }
        if removed > 0 {
            self.compact(lo, hi);
        }
        removed
    }

    /// Drops empty nodes among `lo..=hi` and merges neighbours that fit
    /// together, from one node before the range to one after.
    fn compact(&mut self, lo: usize, hi: usize) {
        let mut i = hi.min(self.nodes.len().saturating_sub(1)) + 1;
        while i > lo {
            i -= 1;
            if i < self.nodes.len() && self.nodes[i].count == 0 {
                self.remove_node(i);
            }
        }
        let mut i = lo.saturating_sub(1);
        // Nodes past `hi` shifted left by the removals above; one extra
        // pair covers the node after the range.
        let end = hi.min(self.nodes.len());
        while i + 1 < self.nodes.len() && i <= end {
            if !self.merge_pair(i) {
                i += 1;
            }
        }
    }

    /// Elements from the head (reversible: `.rev()` walks from the tail).
    pub fn iter(&self) -> Iter<'_> {
        self.range(0, self.len.wrapping_sub(1))
    }

    /// Elements `start..=stop` (empty unless `start <= stop < len`).
    pub fn range(&self, start: usize, stop: usize) -> Iter<'_> {
        let empty = Iter {
            nodes: &self.nodes,
            front: (0, 0),
            back: (0, 0),
            left: 0,
        };
        if start > stop || stop >= self.len {
            return empty;
        }
        let (fi, fk) = self.locate(start);
        let (bi, bk) = self.locate(stop);
        let fp = self.nodes[fi].offset_of(fk);
        let bnode = &self.nodes[bi];
        let bq = if bi == fi && bk >= fk {
            // One node: walk on from the start instead of a second scan.
            let mut q = fp;
            for _ in fk..=bk {
                q = read_fwd(&bnode.buf, q).2;
            }
            q
        } else {
            bnode.offset_of(bk + 1)
        };
        Iter {
            nodes: &self.nodes,
            front: (fi, fp),
            back: (bi, bq),
            left: stop - start + 1,
        }
    }
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

impl<T: AsRef<[u8]>> Extend<T> for List {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for e in iter {
            self.push_back(e.as_ref());
        }
    }
}

impl<T: AsRef<[u8]>> FromIterator<T> for List {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> List {
        let mut l = List::new();
        l.extend(iter);
        l
    }
}

/// An iterator over a range of a list's elements, from either end.
#[derive(Clone)]
pub struct Iter<'a> {
    nodes: &'a VecDeque<Node>,
    /// Node and byte offset of the next element from the front.
    front: (usize, usize),
    /// Node and byte offset just past the next element from the back.
    back: (usize, usize),
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let nodes: &'a VecDeque<Node> = self.nodes;
        let node = &nodes[self.front.0];
        let (d, n, next) = read_fwd(&node.buf, self.front.1);
        if next >= node.end && self.left > 0 {
            let ni = self.front.0 + 1;
            self.front = (ni, nodes[ni].start);
        } else {
            self.front.1 = next;
        }
        Some(&node.buf[d..d + n])
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    #[inline]
    fn next_back(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let nodes: &'a VecDeque<Node> = self.nodes;
        let node = &nodes[self.back.0];
        let (d, n, prev) = read_back(&node.buf, self.back.1);
        if prev <= node.start && self.left > 0 {
            let ni = self.back.0 - 1;
            self.back = (ni, nodes[ni].end);
        } else {
            self.back.1 = prev;
        }
        Some(&node.buf[d..d + n])
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a List {
    type Item = &'a [u8];
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
