//! The sorted-set value type.
//!
//! A [`ZSet`] pairs a member -> score hash map (O(1) ZSCORE and random
//! members; its index order is what ZSCAN walks) with a skip list ordered by (score, member bytes) that
//! has span counts, giving O(log n) insert/remove/rank/select and
//! O(log n + m) range walks. Scores are never NaN; `-0.0` and `0.0` compare
//! equal (members sharing them are ordered by bytes), but the stored value
//! keeps whatever sign it was inserted with.
//!
//! Lex operations assume, as Redis does, that all members share one score;
//! otherwise their result is unspecified (but never a panic).

mod range;
mod skiplist;
#[cfg(test)]
mod tests;

use std::fmt;
use std::iter::FusedIterator;

use bytes::Bytes;
use indexmap::map::Entry;
use indexmap::IndexMap;

pub use range::{LexBound, LexRange, ScoreBound, ScoreRange};
use skiplist::{Node, Probe, SkipList, NIL};

/// Member -> score map; its index order is what ZSCAN cursors walk.
pub type Dict = IndexMap<Bytes, f64, foldhash::fast::RandomState>;

/// A Redis sorted set. `Clone` is a deep copy of the structure (member bytes
/// are shared, being immutable `Bytes`).
#[derive(Clone)]
pub struct ZSet {
    dict: Dict,
    list: SkipList,
    /// Sum of member lengths, so `mem_usage` stays O(1).
    member_bytes: usize,
}

impl Default for ZSet {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ZSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl ZSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// Pre-sizes both halves, e.g. for ZUNIONSTORE destinations.
    pub fn with_capacity(capacity: usize) -> Self {
        ZSet {
            dict: Dict::with_capacity_and_hasher(capacity, Default::default()),
            list: SkipList::with_capacity(capacity),
            member_bytes: 0,
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// True when the set has no members (callers normally delete the key).
    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// The member -> score map in ZSCAN index order, e.g. for sampling
    /// (ZRANDMEMBER with a count). Prefer [`ZSet::scan`] for ZSCAN itself.
    pub fn dict(&self) -> &Dict {
        &self.dict
    }

    /// ZSCORE, O(1).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.dict.get(member).copied()
    }

    /// Adds `member` or changes its score, returning the previous score.
    ///
    /// As in Redis's ZADD, a new score that compares equal to the old one
    /// (including `-0.0` vs `0.0`) changes nothing. Callers should pass an
    /// owned copy of the member, not a slice of a larger network buffer,
    /// since the set keeps the `Bytes` alive. NaN must be rejected by the
    /// caller; it is stored as 0 rather than corrupting the order.
    pub fn insert(&mut self, member: Bytes, score: f64) -> Option<f64> {
        debug_assert!(!score.is_nan(), "NaN score reached ZSet::insert");
        let score = if score.is_nan() { 0.0 } else { score };
        match self.dict.entry(member) {
            Entry::Occupied(mut slot) => {
                let old = *slot.get();
                if old != score {
                    slot.insert(score);
                    self.list.update_score(slot.key(), old, score);
                }
                Some(old)
            }
            Entry::Vacant(slot) => {
                let member = slot.key().clone();
                slot.insert(score);
                self.member_bytes += member.len();
                self.list.insert(member, score);
                None
            }
        }
    }

    /// Changes the score of a member already present, without copying the
    /// member; returns the previous score, or `None` (and does nothing) if
    /// the member is absent. Like [`ZSet::insert`], an equal score
    /// (including `-0.0` vs `0.0`) changes nothing.
    pub fn set_score(&mut self, member: &[u8], score: f64) -> Option<f64> {
        debug_assert!(!score.is_nan(), "NaN score reached ZSet::set_score");
        let score = if score.is_nan() { 0.0 } else { score };
        let (_, key, slot) = self.dict.get_full_mut(member)?;
        let old = *slot;
        if old != score {
            *slot = score;
            self.list.update_score(key, old, score);
        }
        Some(old)
    }

    /// Removes `member`, returning its score.
    ///
    /// The dict uses `swap_remove` (O(1)), which moves the last entry into
    /// the vacated index; [`ZSet::scan`] is built to tolerate that.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let (_, key, score) = self.dict.swap_remove_full(member)?;
        self.member_bytes -= key.len();
        let removed = self.list.remove(score, member);
        debug_assert!(removed.is_some());
        Some(score)
    }

    /// 0-based position in ascending order.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        self.list.rank_of(score, member)
    }

    /// 0-based position in descending order.
    pub fn rev_rank(&self, member: &[u8]) -> Option<usize> {
        self.rank(member).map(|r| self.len() - 1 - r)
    }

    /// Element at 0-based ascending `rank`.
    pub fn by_rank(&self, rank: usize) -> Option<(&Bytes, f64)> {
        let x = self.list.at_rank(rank);
        (x != NIL).then(|| entry(self.list.node(x)))
    }

    /// All elements in ascending order (`.rev()` for descending).
    pub fn iter(&self) -> Iter<'_> {
        Iter::new(
            &self.list,
            0,
            self.list.first(),
            self.len(),
            self.list.last(),
            false,
        )
    }

    /// Elements whose rank lies in `start..=end_inclusive`; with `rev`,
    /// rank 0 is the highest element (ZREVRANGE). Out-of-range indices are
    /// clamped; `start > end_inclusive` yields nothing.
    pub fn iter_range_by_rank(&self, start: usize, end_inclusive: usize, rev: bool) -> Iter<'_> {
        let len = self.len();
        if start > end_inclusive || start >= len {
            return Iter::empty(&self.list);
        }
        let end = end_inclusive.min(len - 1);
        let (lo, hi) = if rev {
            (len - 1 - end, len - 1 - start)
        } else {
            (start, end)
        };
        // Each end is looked up when first used: a ZREVRANGE from the top
        // never needs its low end's node.
        Iter::new(&self.list, lo, UNRESOLVED, hi + 1, UNRESOLVED, rev)
    }

    /// Elements with scores in `range`, ascending, or descending from the
    /// max end with `rev`. Use `.skip(offset).take(count)` for LIMIT: the
    /// skip is O(log n) because [`Iter`] jumps by rank.
    pub fn iter_range_by_score(&self, range: &ScoreRange, rev: bool) -> Iter<'_> {
        match self.score_bounds(range) {
            Some((lo, lo_node, hi, hi_node)) => {
                Iter::new(&self.list, lo, lo_node, hi + 1, hi_node, rev)
            }
            None => Iter::empty(&self.list),
        }
    }

    /// Elements with members in `range`; see [`ZSet::iter_range_by_score`].
    pub fn iter_range_by_lex(&self, range: &LexRange, rev: bool) -> Iter<'_> {
        match self.lex_bounds(range) {
            Some((lo, lo_node, hi, hi_node)) => {
                Iter::new(&self.list, lo, lo_node, hi + 1, hi_node, rev)
            }
            None => Iter::empty(&self.list),
        }
    }

    /// Inclusive ascending rank interval covered by `range`, if non-empty.
    /// The first rank is the start for ZRANGEBYSCORE, the second for
    /// ZREVRANGEBYSCORE.
    pub fn score_range_ranks(&self, range: &ScoreRange) -> Option<(usize, usize)> {
        self.score_bounds(range).map(|(lo, _, hi, _)| (lo, hi))
    }

    /// Inclusive ascending rank interval covered by `range`, if non-empty.
    pub fn lex_range_ranks(&self, range: &LexRange) -> Option<(usize, usize)> {
        self.lex_bounds(range).map(|(lo, _, hi, _)| (lo, hi))
    }

    /// ZCOUNT in O(log n).
    pub fn count_in_score_range(&self, range: &ScoreRange) -> usize {
        self.score_range_ranks(range)
            .map_or(0, |(lo, hi)| hi - lo + 1)
    }

    /// ZLEXCOUNT in O(log n).
    pub fn count_in_lex_range(&self, range: &LexRange) -> usize {
        self.lex_range_ranks(range)
            .map_or(0, |(lo, hi)| hi - lo + 1)
    }

    /// Removes ascending ranks `start..=end_inclusive` (clamped), returning
    /// the removed members in ascending order.
    pub fn remove_range_by_rank(&mut self, start: usize, end_inclusive: usize) -> Vec<Bytes> {
        if start > end_inclusive || start >= self.len() {
            return Vec::new();
        }
        let mut left = end_inclusive.min(self.len() - 1) - start + 1;
        self.remove_where(
            |p| p.rank <= start,
            |_| {
                let more = left > 0;
                left = left.saturating_sub(1);
                more
            },
        )
    }

    /// ZREMRANGEBYSCORE; returns removed members in ascending order.
    pub fn remove_range_by_score(&mut self, range: &ScoreRange) -> Vec<Bytes> {
        if range.is_empty() {
            return Vec::new();
        }
        self.remove_where(|p| !range.above_min(p.score), |n| range.below_max(n.score))
    }

    /// ZREMRANGEBYLEX; returns removed members in ascending order.
    pub fn remove_range_by_lex(&mut self, range: &LexRange) -> Vec<Bytes> {
        if range.is_empty() {
            return Vec::new();
        }
        self.remove_where(
            |p| !range.above_min(p.member()),
            |n| range.below_max(&n.member),
        )
    }

    /// Removes and returns the lowest element.
    pub fn pop_min(&mut self) -> Option<(Bytes, f64)> {
        self.pop_at(0)
    }

    /// Removes and returns the highest element.
    pub fn pop_max(&mut self) -> Option<(Bytes, f64)> {
        self.pop_at(self.len().checked_sub(1)?)
    }

    /// One ZSCAN step: calls `f` for up to `count` (at least 1) members and
    /// returns the cursor to pass next, 0 once the scan is complete.
    ///
    /// Dict indices are walked downwards (the cursor is how many indices are
    /// still to visit). Removals `swap_remove` the last entry into the hole,
    /// so an unvisited member can only move to a lower, still unvisited
    /// index, and a visited one at worst gets reported twice; that keeps
    /// SCAN's guarantee that members present throughout are returned.
    /// Members added mid-scan land above the cursor and may be missed, which
    /// SCAN also allows.
    pub fn scan(&self, cursor: u64, count: usize, mut f: impl FnMut(&Bytes, f64)) -> u64 {
        let len = self.len();
        let mut left = match usize::try_from(cursor) {
            Ok(0) => len,
            Ok(c) => c.min(len),
            Err(_) => len,
        };
        for _ in 0..count.max(1) {
            let Some(i) = left.checked_sub(1) else { break };
            left = i;
            if let Some((m, &s)) = self.dict.get_index(i) {
                f(m, s);
            }
        }
        left as u64
    }

    /// A uniformly chosen element (ZRANDMEMBER), O(1).
    pub fn random_member(&self) -> Option<(&Bytes, f64)> {
        if self.is_empty() {
            return None;
        }
        self.dict
            .get_index(fastrand::usize(..self.len()))
            .map(|(m, &s)| (m, s))
    }

    /// Rough heap + inline footprint in bytes, O(1), for MEMORY USAGE and
    /// maxmemory accounting. Member bytes are counted once although both
    /// halves reference them.
    pub fn mem_usage(&self) -> usize {
        const ALLOC_OVERHEAD: usize = 16;
        // IndexMap: an entries Vec (key, value, cached hash) plus a hash
        // table of usize indices with one control byte each.
        let entry = std::mem::size_of::<Bytes>() + 2 * std::mem::size_of::<u64>();
        let table = std::mem::size_of::<usize>() + 1;
        std::mem::size_of::<Self>()
            + self.dict.capacity() * (entry + table)
            + self.list.heap_bytes()
            + self.member_bytes
            + self.len() * ALLOC_OVERHEAD
    }

    /// Nodes and ranks of the first and last element in a score range.
    fn score_bounds(&self, range: &ScoreRange) -> Option<(usize, u32, usize, u32)> {
        if range.is_empty() {
            return None;
        }
        self.bounds(|p| !range.above_min(p.score), |p| range.below_max(p.score))
    }

    fn lex_bounds(&self, range: &LexRange) -> Option<(usize, u32, usize, u32)> {
        if range.is_empty() {
            return None;
        }
        self.bounds(
            |p| !range.above_min(p.member()),
            |p| range.below_max(p.member()),
        )
    }

    /// Given "below the range" and "not above the range" prefix predicates,
    /// returns (first rank, first node, last rank, last node).
    fn bounds(
        &self,
        below: impl Fn(&Probe<'_>) -> bool,
        not_above: impl Fn(&Probe<'_>) -> bool,
    ) -> Option<(usize, u32, usize, u32)> {
        let (before, lo) = self.list.partition(below);
        let (hi_node, upto) = self.list.partition(not_above);
        // `upto <= lo` also covers predicates that are not monotone (lex
        // queries over mixed scores), keeping the result well-formed.
        (upto > lo).then(|| (lo, self.list.next(before), upto - 1, hi_node))
    }

    fn remove_where(
        &mut self,
        skip: impl FnMut(&Probe<'_>) -> bool,
        take: impl FnMut(&Node) -> bool,
    ) -> Vec<Bytes> {
        let mut removed = Vec::new();
        self.list.remove_where(skip, take, |m, _| removed.push(m));
        for m in &removed {
            self.dict.swap_remove(&m[..]);
            self.member_bytes -= m.len();
        }
        removed
    }

    fn pop_at(&mut self, rank: usize) -> Option<(Bytes, f64)> {
        let mut popped = None;
        let mut once = true;
        self.list.remove_where(
            |p| p.rank <= rank,
            |_| std::mem::replace(&mut once, false),
            |m, s| popped = Some((m, s)),
        );
        let (member, score) = popped?;
        self.dict.swap_remove(&member[..]);
        self.member_bytes -= member.len();
        Some((member, score))
    }

    #[cfg(test)]
    fn check(&self) {
        self.list.check();
        assert_eq!(self.list.len(), self.dict.len());
        let mut bytes = 0;
        for (m, s) in self.iter() {
            assert_eq!(self.dict.get(m).map(|v| v.to_bits()), Some(s.to_bits()));
            bytes += m.len();
        }
        assert_eq!(bytes, self.member_bytes);
    }
}

impl<'a> IntoIterator for &'a ZSet {
    type Item = (&'a Bytes, f64);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[inline]
fn entry(node: &Node) -> (&Bytes, f64) {
    (&node.member, node.score)
}

/// Iterator over a contiguous rank interval of a [`ZSet`].
///
/// Double-ended and exact-size; `nth`/`skip` jump by rank in O(log n), which
/// is how LIMIT offsets avoid walking skipped elements.
#[derive(Clone)]
pub struct Iter<'a> {
    list: &'a SkipList,
    /// Remaining ascending ranks are `lo..hi`; `lo_node` is at rank `lo` and
    /// `hi_node` at rank `hi - 1`, or [`UNRESOLVED`] until first used.
    lo: usize,
    hi: usize,
    lo_node: u32,
    hi_node: u32,
    /// Yield from the high end first.
    rev: bool,
}

/// An [`Iter`] end whose node is not looked up yet.
const UNRESOLVED: u32 = u32::MAX;

/// Below this distance walking links beats a fresh O(log n) descent.
const WALK_LIMIT: usize = 32;

impl<'a> Iter<'a> {
    fn new(
        list: &'a SkipList,
        lo: usize,
        lo_node: u32,
        hi: usize,
        hi_node: u32,
        rev: bool,
    ) -> Self {
        Iter {
            list,
            lo,
            hi,
            lo_node,
            hi_node,
            rev,
        }
    }

    fn empty(list: &'a SkipList) -> Self {
        Self::new(list, 0, NIL, 0, NIL, false)
    }

    fn take_lo(&mut self) -> Option<(&'a Bytes, f64)> {
        if self.lo_node == UNRESOLVED && self.lo < self.hi {
            self.lo_node = self.list.at_rank(self.lo);
        }
        if self.lo >= self.hi || self.lo_node == NIL {
            return None;
        }
        let node = self.list.node(self.lo_node);
        self.lo_node = self.list.next(self.lo_node);
        self.lo += 1;
        Some(entry(node))
    }

    fn take_hi(&mut self) -> Option<(&'a Bytes, f64)> {
        if self.hi_node == UNRESOLVED && self.lo < self.hi {
            self.hi_node = self.list.at_rank(self.hi - 1);
        }
        if self.lo >= self.hi || self.hi_node == NIL {
            return None;
        }
        let node = self.list.node(self.hi_node);
        self.hi_node = self.list.prev(self.hi_node);
        self.hi -= 1;
        Some(entry(node))
    }

    /// Drops `n` elements from the low end (`n` < remaining).
    fn skip_lo(&mut self, n: usize) {
        if n < WALK_LIMIT && self.lo_node != UNRESOLVED {
            for _ in 0..n {
                self.lo_node = self.list.next(self.lo_node);
            }
        } else {
            self.lo_node = self.list.at_rank(self.lo + n);
        }
        self.lo += n;
    }

    /// Drops `n` elements from the high end (`n` < remaining).
    fn skip_hi(&mut self, n: usize) {
        if n < WALK_LIMIT && self.hi_node != UNRESOLVED {
            for _ in 0..n {
                self.hi_node = self.list.prev(self.hi_node);
            }
        } else {
            self.hi_node = self.list.at_rank(self.hi - n - 1);
        }
        self.hi -= n;
    }

    fn advance_front(&mut self, n: usize) -> Option<(&'a Bytes, f64)> {
        if n >= self.len() {
            self.lo = self.hi;
            return None;
        }
        if self.rev {
            self.skip_hi(n);
            self.take_hi()
        } else {
            self.skip_lo(n);
            self.take_lo()
        }
    }

    fn advance_back(&mut self, n: usize) -> Option<(&'a Bytes, f64)> {
        if n >= self.len() {
            self.lo = self.hi;
            return None;
        }
        if self.rev {
            self.skip_lo(n);
            self.take_lo()
        } else {
            self.skip_hi(n);
            self.take_hi()
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rev {
            self.take_hi()
        } else {
            self.take_lo()
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.hi.saturating_sub(self.lo);
        (n, Some(n))
    }

    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        self.advance_front(n)
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.rev {
            self.take_lo()
        } else {
            self.take_hi()
        }
    }

    fn nth_back(&mut self, n: usize) -> Option<Self::Item> {
        self.advance_back(n)
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl FusedIterator for Iter<'_> {}
