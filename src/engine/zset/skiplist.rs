//! Arena-backed skip list with span counts, ordered by (score, member).
//!
//! Nodes live in a `Vec` and refer to each other by `u32` index, so the
//! structure needs no `unsafe` and clones with plain `Vec` clones. Slot 0 is
//! the header sentinel; because no link ever points back at the header, index
//! 0 doubles as the null link. Spans follow the classic Redis scheme: a link's
//! span is the number of level-0 steps it covers, which is what makes rank
//! queries O(log n). A link with no successor stores the number of nodes after
//! its owner, which keeps the insert/delete span arithmetic uniform.
//!
//! Descents are bound by cache misses, so each link also caches its target's
//! score and where the target's own links start: a search step touches one
//! cache line (the next node's links), and the node record itself is read
//! only on score ties or to yield a result. A node's levels sit contiguously
//! in one shared pool, recycled through per-height free lists.

use std::cmp::Ordering;

use bytes::Bytes;

/// Highest level a node can have (p = 1/4 makes 32 levels ample for 2^64 nodes).
pub(super) const MAX_LEVEL: usize = 32;

/// Index of the header sentinel, also used as the null link.
pub(super) const NIL: u32 = 0;

#[derive(Clone, Copy, Default, Debug)]
struct Link {
    /// Score of `next` (meaningless when `next == NIL`).
    score: f64,
    next: u32,
    span: u32,
    /// Start of `next`'s levels in the link pool.
    next_base: u32,
}

#[derive(Clone, Debug)]
pub(super) struct Node {
    pub(super) member: Bytes,
    pub(super) score: f64,
    /// Level-0 predecessor; `NIL` for the first node.
    prev: u32,
    /// This node's levels are `links[base..base + level]`.
    base: u32,
    level: u8,
}

impl Node {
    /// Orders this node against a (score, member) key.
    #[inline]
    pub(super) fn cmp_key(&self, score: f64, member: &[u8]) -> Ordering {
        cmp_key(self.score, &self.member, score, member)
    }
}

/// `partial_cmp` makes `-0.0 == 0.0`, as C's `<`/`==` do in Redis, so members
/// with either zero fall back to byte order among themselves.
#[inline]
fn cmp_key(a_score: f64, a_member: &[u8], score: f64, member: &[u8]) -> Ordering {
    match a_score.partial_cmp(&score) {
        Some(Ordering::Equal) | None => a_member.cmp(member),
        Some(ord) => ord,
    }
}

/// A candidate node seen during a descent. Its score and rank come from the
/// link cache; the member costs an extra memory access, so ask only on ties.
pub(super) struct Probe<'a> {
    pub(super) score: f64,
    /// 1-based rank of the candidate.
    pub(super) rank: usize,
    idx: u32,
    nodes: &'a [Node],
}

impl<'a> Probe<'a> {
    #[inline]
    pub(super) fn member(&self) -> &'a [u8] {
        &self.nodes[self.idx as usize].member
    }

    /// The candidate sorts strictly before the (score, member) key.
    #[inline]
    fn before(&self, score: f64, member: &[u8]) -> bool {
        match self.score.partial_cmp(&score) {
            Some(Ordering::Less) => true,
            Some(Ordering::Greater) => false,
            _ => self.member() < member,
        }
    }
}

/// Predecessors at every level (node and link base) plus their 1-based
/// ranks (0 = header).
struct Path {
    update: [u32; MAX_LEVEL],
    base: [u32; MAX_LEVEL],
    rank: [usize; MAX_LEVEL],
}

#[derive(Clone, Debug)]
pub(super) struct SkipList {
    nodes: Vec<Node>,
    links: Vec<Link>,
    /// Vacated node slots, reused before the arena grows.
    free_nodes: Vec<u32>,
    /// Vacated link runs by height minus one.
    free_links: Vec<Vec<u32>>,
    tail: u32,
    /// Number of levels currently in use (>= 1).
    level: usize,
    len: usize,
}

/// Level for a new node: each extra level with probability 1/4.
fn random_level() -> usize {
    // Every two trailing zero bits of a uniform word happen with p = 1/4.
    let r = fastrand::u64(..);
    ((r.trailing_zeros() / 2) as usize + 1).min(MAX_LEVEL)
}

impl SkipList {
    pub(super) fn with_capacity(capacity: usize) -> Self {
        let mut list = SkipList {
            nodes: Vec::with_capacity(capacity.saturating_add(1)),
            // 4/3 links per node on average at p = 1/4.
            links: Vec::with_capacity(
                capacity
                    .saturating_add(capacity / 3)
                    .saturating_add(MAX_LEVEL),
            ),
            free_nodes: Vec::new(),
            free_links: Vec::new(),
            tail: NIL,
            level: 1,
            len: 0,
        };
        list.reset();
        list
    }

    /// Back to just the header, releasing everything else.
    fn reset(&mut self) {
        self.nodes.truncate(0);
        self.links.truncate(0);
        self.nodes.push(Node {
            member: Bytes::new(),
            score: f64::NEG_INFINITY,
            prev: NIL,
            base: 0,
            level: MAX_LEVEL as u8,
        });
        self.links.resize(MAX_LEVEL, Link::default());
        self.free_nodes = Vec::new();
        self.free_links = Vec::new();
        self.tail = NIL;
        self.level = 1;
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(super) fn node(&self, idx: u32) -> &Node {
        &self.nodes[idx as usize]
    }

    #[inline]
    fn link(&self, idx: u32, level: usize) -> &Link {
        &self.links[self.nodes[idx as usize].base as usize + level]
    }

    #[inline]
    pub(super) fn first(&self) -> u32 {
        self.links[0].next
    }

    #[inline]
    pub(super) fn last(&self) -> u32 {
        self.tail
    }

    #[inline]
    pub(super) fn next(&self, idx: u32) -> u32 {
        self.link(idx, 0).next
    }

    #[inline]
    pub(super) fn prev(&self, idx: u32) -> u32 {
        self.nodes[idx as usize].prev
    }

    /// Walks down from the header, stepping forward while `go` holds for the
    /// next node. `go` must hold on a prefix of the list for the result to
    /// be meaningful.
    fn descend(&self, mut go: impl FnMut(&Probe<'_>) -> bool) -> Path {
        let mut path = Path {
            update: [NIL; MAX_LEVEL],
            base: [0; MAX_LEVEL],
            rank: [0; MAX_LEVEL],
        };
        let (mut x, mut base, mut rank) = (NIL, 0u32, 0usize);
        for i in (0..self.level).rev() {
            loop {
                let link = &self.links[base as usize + i];
                if link.next == NIL {
                    break;
                }
                let probe = Probe {
                    score: link.score,
                    rank: rank + link.span as usize,
                    idx: link.next,
                    nodes: &self.nodes,
                };
                if !go(&probe) {
                    break;
                }
                (x, base, rank) = (link.next, link.next_base, probe.rank);
            }
            path.update[i] = x;
            path.base[i] = base;
            path.rank[i] = rank;
        }
        path
    }

    /// Path to the position of the (score, member) key.
    fn seek(&self, score: f64, member: &[u8]) -> Path {
        self.descend(|p| p.before(score, member))
    }

    /// Returns the last node for which `pred` holds (`NIL` if none) and how
    /// many nodes that is; `pred` must hold on a prefix of the list.
    pub(super) fn partition(&self, pred: impl FnMut(&Probe<'_>) -> bool) -> (u32, usize) {
        let path = self.descend(pred);
        (path.update[0], path.rank[0])
    }

    /// Node at 0-based `rank`, or `NIL` when out of range.
    pub(super) fn at_rank(&self, rank: usize) -> u32 {
        if rank >= self.len {
            return NIL;
        }
        // The ends are linked directly (ranges from the top or bottom).
        if rank == 0 {
            return self.first();
        }
        if rank + 1 == self.len {
            return self.last();
        }
        let target = rank + 1;
        let path = self.descend(|p| p.rank <= target);
        if path.rank[0] == target {
            path.update[0]
        } else {
            NIL
        }
    }

    /// 0-based rank of the node with this exact key.
    pub(super) fn rank_of(&self, score: f64, member: &[u8]) -> Option<usize> {
        let path = self.seek(score, member);
        let x = self.next(path.update[0]);
        (x != NIL && self.node(x).member[..] == *member).then_some(path.rank[0])
    }

    /// Links a new node; the caller guarantees the member is not present.
    pub(super) fn insert(&mut self, member: Bytes, score: f64) {
        let mut path = self.seek(score, &member);
        let lvl = random_level();
        if lvl > self.level {
            for i in self.level..lvl {
                path.update[i] = NIL;
                path.base[i] = 0;
                path.rank[i] = 0;
                self.links[i].span = self.len as u32;
            }
            self.level = lvl;
        }
        let x = self.alloc(member, score, lvl);
        let xb = self.nodes[x as usize].base as usize;
        let before = path.rank[0];
        for i in 0..lvl {
            let ub = path.base[i] as usize + i;
            let ul = self.links[ub];
            let gap = (before - path.rank[i]) as u32;
            self.links[xb + i] = Link {
                span: ul.span - gap,
                ..ul
            };
            self.links[ub] = Link {
                score,
                next: x,
                span: gap + 1,
                next_base: xb as u32,
            };
        }
        for i in lvl..self.level {
            self.links[path.base[i] as usize + i].span += 1;
        }
        self.nodes[x as usize].prev = path.update[0];
        let next = self.links[xb].next;
        if next == NIL {
            self.tail = x;
        } else {
            self.nodes[next as usize].prev = x;
        }
        self.len += 1;
    }

    /// Changes a node's score from `old` to `new`, relinking it only when
    /// its neighbours would no longer bracket the new key.
    pub(super) fn update_score(&mut self, member: &[u8], old: f64, new: f64) {
        let path = self.seek(old, member);
        let x = self.next(path.update[0]);
        debug_assert!(x != NIL && self.node(x).member[..] == *member);
        if x == NIL || self.node(x).member[..] != *member {
            return;
        }
        let (prev, next) = (self.prev(x), self.next(x));
        let after_prev = prev == NIL || self.node(prev).cmp_key(new, member) == Ordering::Less;
        let before_next = next == NIL || self.node(next).cmp_key(new, member) == Ordering::Greater;
        if after_prev && before_next {
            self.nodes[x as usize].score = new;
            // Every level of `x` is entered from its path predecessor.
            for i in 0..usize::from(self.nodes[x as usize].level) {
                self.links[path.base[i] as usize + i].score = new;
            }
            return;
        }
        self.delete_node(x, &path);
        let member = self.release(x);
        self.insert(member, new);
    }

    /// Unlinks the node with this exact key and returns its member.
    pub(super) fn remove(&mut self, score: f64, member: &[u8]) -> Option<Bytes> {
        let path = self.seek(score, member);
        let x = self.next(path.update[0]);
        if x == NIL || self.node(x).member[..] != *member {
            return None;
        }
        self.delete_node(x, &path);
        Some(self.release(x))
    }

    /// Removes the run of nodes that starts after the prefix selected by
    /// `skip` (see `descend`) and continues while `take` holds, handing each
    /// removed (member, score) to `out`. O(log n + removed).
    pub(super) fn remove_where(
        &mut self,
        skip: impl FnMut(&Probe<'_>) -> bool,
        mut take: impl FnMut(&Node) -> bool,
        mut out: impl FnMut(Bytes, f64),
    ) {
        let path = self.descend(skip);
        let mut x = self.next(path.update[0]);
        while x != NIL && take(self.node(x)) {
            let next = self.next(x);
            let score = self.node(x).score;
            // The predecessors stay valid for `next`: they all precede it.
            self.delete_node(x, &path);
            out(self.release(x), score);
            x = next;
        }
    }

    fn delete_node(&mut self, x: u32, path: &Path) {
        let (xb, xlevel) = {
            let n = &self.nodes[x as usize];
            (n.base as usize, usize::from(n.level))
        };
        for i in 0..self.level {
            let ub = path.base[i] as usize + i;
            if i < xlevel && self.links[ub].next == x {
                let xl = self.links[xb + i];
                self.links[ub] = Link {
                    span: self.links[ub].span + xl.span - 1,
                    ..xl
                };
            } else {
                self.links[ub].span -= 1;
            }
        }
        let (prev, next) = (self.prev(x), self.links[xb].next);
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes[next as usize].prev = prev;
        }
        while self.level > 1 && self.links[self.level - 1].next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
    }

    fn alloc(&mut self, member: Bytes, score: f64, lvl: usize) -> u32 {
        let base = match self.free_links.get_mut(lvl - 1).and_then(Vec::pop) {
            Some(base) => base,
            None => {
                let base = self.links.len();
                self.links.resize(base + lvl, Link::default());
                base as u32
            }
        };
        let node = Node {
            member,
            score,
            prev: NIL,
            base,
            level: lvl as u8,
        };
        if let Some(idx) = self.free_nodes.pop() {
            self.nodes[idx as usize] = node;
            return idx;
        }
        debug_assert!(self.nodes.len() < u32::MAX as usize && self.links.len() < u32::MAX as usize);
        self.nodes.push(node);
        (self.nodes.len() - 1) as u32
    }

    /// Returns an unlinked node's slots to the arena, handing back its member.
    fn release(&mut self, x: u32) -> Bytes {
        if self.len == 0 {
            // Dropping the whole arena beats keeping free lists nobody may
            // use again.
            let member = std::mem::take(&mut self.nodes[x as usize].member);
            self.reset();
            self.nodes.shrink_to(16);
            self.links.shrink_to(64);
            return member;
        }
        let node = &mut self.nodes[x as usize];
        let member = std::mem::take(&mut node.member);
        let (base, lvl) = (node.base, usize::from(node.level));
        if self.free_links.len() < lvl {
            self.free_links.resize_with(lvl, Vec::new);
        }
        self.free_links[lvl - 1].push(base);
        self.free_nodes.push(x);
        member
    }

    /// Heap bytes held by the arena, excluding member payloads.
    pub(super) fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.links.capacity() * std::mem::size_of::<Link>()
            + self.free_nodes.capacity() * std::mem::size_of::<u32>()
            + self
                .free_links
                .iter()
                .map(|v| v.capacity() * std::mem::size_of::<u32>())
                .sum::<usize>()
    }

    /// Verifies every structural invariant; test-only and O(n * levels).
    #[cfg(test)]
    pub(super) fn check(&self) {
        assert!(self.level >= 1 && self.level <= MAX_LEVEL);
        assert_eq!(self.nodes.len(), 1 + self.len + self.free_nodes.len());
        let free_links: usize = self
            .free_links
            .iter()
            .enumerate()
            .map(|(i, v)| (i + 1) * v.len())
            .sum();
        // Level 0: order, back links, tail, length.
        let mut rank_of = std::collections::HashMap::new();
        rank_of.insert(NIL, 0usize);
        let (mut x, mut prev, mut count, mut used_links) = (self.first(), NIL, 0usize, MAX_LEVEL);
        while x != NIL {
            let n = self.node(x);
            assert_eq!(n.prev, prev);
            assert!(n.level >= 1 && usize::from(n.level) <= self.level);
            used_links += usize::from(n.level);
            if prev != NIL {
                let p = self.node(prev);
                assert_eq!(p.cmp_key(n.score, &n.member), Ordering::Less);
            }
            count += 1;
            rank_of.insert(x, count);
            prev = x;
            x = self.next(x);
        }
        assert_eq!(count, self.len);
        assert_eq!(self.tail, prev);
        assert_eq!(used_links + free_links, self.links.len());
        for &f in &self.free_nodes {
            assert!(!rank_of.contains_key(&f));
        }
        // Every level: spans equal rank differences, null links count the
        // rest, and the cached score/base match the target.
        for i in 0..self.level {
            let mut x = NIL;
            loop {
                let link = *self.link(x, i);
                let r = rank_of[&x];
                if link.next == NIL {
                    assert_eq!(link.span as usize, self.len - r, "level {i}");
                    break;
                }
                let target = self.node(link.next);
                assert_eq!(link.span as usize, rank_of[&link.next] - r, "level {i}");
                assert_eq!(link.score.to_bits(), target.score.to_bits());
                assert_eq!(link.next_base, target.base);
                x = link.next;
            }
        }
        if self.level > 1 {
            assert_ne!(self.links[self.level - 1].next, NIL);
        }
    }
}
