//! The value stored under a key, one variant per Redis type, plus the
//! encoding bookkeeping that `OBJECT ENCODING` reports.

use bytes::Bytes;
use indexmap::{IndexMap, IndexSet};

use crate::engine::compact::CompactBytes;
use crate::engine::hfe::{self, FieldTtls};
use crate::engine::stream::Stream;
use crate::engine::zset::ZSet;
use crate::error::Error;

/// The hasher for every map in the engine: fast, and seeded per process so
/// that key sets chosen by clients cannot force collisions.
pub type Hasher = foldhash::fast::RandomState;
/// An insertion-ordered map; index-addressable for O(1) random picks and SCAN.
pub type Map<K, V> = IndexMap<K, V, Hasher>;
/// An insertion-ordered set; index-addressable for O(1) random picks and SCAN.
pub type OrdSet<T> = IndexSet<T, Hasher>;

/// A string value, stored compactly (short ones inline, see
/// [`CompactBytes`]). Two flag bits travel with it: `raw` records that the
/// string was modified in place (APPEND, SETRANGE, SETBIT), which Redis
/// reports as the `raw` encoding even for short or numeric contents;
/// `no_int` marks values Redis builds without trying the integer encoding
/// (INCRBYFLOAT's result): short ones report `embstr` even when they read
/// as an integer.
#[derive(Clone, Debug, Default)]
pub struct Str {
    pub data: CompactBytes,
}

const RAW: u8 = 1;
const NO_INT: u8 = 2;

impl Str {
    /// A string as SET stores it (`int`, `embstr` or `raw` by contents).
    #[inline]
    pub fn new(data: Bytes) -> Str {
        Str {
            data: CompactBytes::from_bytes(data),
        }
    }

    /// A copy of `data` as SET stores it.
    #[inline]
    pub fn from_slice(data: &[u8]) -> Str {
        Str {
            data: CompactBytes::new(data),
        }
    }

    /// A string modified in place, which Redis reports as `raw`.
    #[inline]
    pub fn raw(data: Bytes) -> Str {
        let mut s = Str::new(data);
        s.set_raw();
        s
    }

    /// A string Redis stores without trying the `int` encoding.
    pub fn no_int(data: Bytes) -> Str {
        let mut s = Str::new(data);
        s.data.set_flags(NO_INT);
        s
    }

    /// Records an in-place modification (`raw` encoding from now on).
    #[inline]
    pub fn set_raw(&mut self) {
        let f = self.data.flags();
        self.data.set_flags(f | RAW);
    }

    /// True once the string was modified in place.
    #[inline]
    pub fn is_raw(&self) -> bool {
        self.data.flags() & RAW != 0
    }

    /// The contents as a reply (a copy when short, shared when long).
    #[inline]
    pub fn to_bytes(&self) -> Bytes {
        self.data.to_bytes()
    }

    /// The name `OBJECT ENCODING` replies with.
    pub fn encoding(&self) -> &'static str {
        let len = self.data.len();
        if self.is_raw() || len > 44 {
            "raw"
        } else if self.data.flags() & NO_INT == 0
            && len <= 20
            && crate::num::parse_i64(&self.data).is_some()
        {
            "int"
        } else {
            "embstr"
        }
    }
}

/// A hash; `listpack` stays true until the hash outgrows the
/// `hash-max-listpack-*` limits (Redis never converts back). `ttls` holds
/// the field deadlines once an HEXPIRE-family command has touched the hash
/// (Redis's `listpackex` encoding); plain hashes pay one empty pointer.
///
/// Expired fields stay in `map` until reclaimed (lazily by the commands
/// that look a field up, actively by the expiry cycle), as in Redis: HLEN
/// counts them, iteration skips them.
#[derive(Clone, Debug, Default)]
pub struct Hash {
    pub map: Map<Bytes, Bytes>,
    pub listpack: bool,
    pub ttls: Option<Box<FieldTtls>>,
}

impl Hash {
    /// An empty hash (listpack-encoded).
    pub fn new() -> Hash {
        Hash::from_map(Map::default(), true)
    }

    /// A hash of `map` without field TTLs.
    pub fn from_map(map: Map<Bytes, Bytes>, listpack: bool) -> Hash {
        Hash {
            map,
            listpack,
            ttls: None,
        }
    }

    /// The deadline of `field`, if it has one.
    #[inline]
    pub fn ttl_of(&self, field: &[u8]) -> Option<i64> {
        self.ttls.as_ref().and_then(|t| t.get(field))
    }

    /// True if `field` has a deadline that has passed (not yet reclaimed).
    #[inline]
    pub fn is_expired(&self, field: &[u8], now_ms: i64) -> bool {
        self.ttl_of(field)
            .is_some_and(|at| hfe::is_past(at, now_ms))
    }

    /// The value of a live field.
    #[inline]
    pub fn get_live(&self, field: &[u8], now_ms: i64) -> Option<&Bytes> {
        let v = self.map.get(field)?;
        (!self.is_expired(field, now_ms)).then_some(v)
    }

    /// Live `(field, value)` pairs in storage order.
    pub fn live(&self, now_ms: i64) -> impl Iterator<Item = (&Bytes, &Bytes)> {
        let ttls = self.ttls.as_deref();
        self.map.iter().filter(move |(f, _)| {
            ttls.and_then(|t| t.get(f))
                .is_none_or(|at| !hfe::is_past(at, now_ms))
        })
    }

    /// The earliest field deadline.
    #[inline]
    pub fn min_ttl(&self) -> Option<i64> {
        self.ttls.as_ref().and_then(|t| t.min())
    }

    /// Number of fields with a deadline.
    pub fn volatile_len(&self) -> usize {
        self.ttls.as_ref().map_or(0, |t| t.len())
    }

    /// Readies the hash for field TTLs (Redis converts `listpack` to
    /// `listpackex` here, even if no field ends up with a TTL).
    pub fn enable_ttls(&mut self) -> &mut FieldTtls {
        self.ttls.get_or_insert_with(Default::default)
    }

    /// Removes a field and its deadline, keeping the listpack order.
    pub fn remove_field(&mut self, field: &[u8]) -> Option<Bytes> {
        let v = if self.listpack {
            self.map.shift_remove(field)
        } else {
            self.map.swap_remove(field)
        }?;
        if let Some(t) = self.ttls.as_mut() {
            t.remove(field);
        }
        Some(v)
    }

    /// Gives an existing field the deadline `when`. A listpack keeps its
    /// volatile fields first, ordered by deadline (a field goes before
    /// others with the same deadline), as Redis's `listpackex` does.
    pub fn set_field_ttl(&mut self, field: &[u8], when: i64) {
        let Some(idx) = self.map.get_index_of(field) else {
            return;
        };
        let key = self.map.get_index(idx).map(|(k, _)| k.clone());
        let Some(key) = key else { return };
        self.enable_ttls().set(key, when);
        if self.listpack {
            self.reposition(idx, Some(when));
        }
    }

    /// Drops the deadline of `field`; true if it had one. A listpack moves
    /// the field behind the others, where Redis re-appends it.
    pub fn persist_field(&mut self, field: &[u8]) -> bool {
        let Some(t) = self.ttls.as_mut() else {
            return false;
        };
        if t.remove(field).is_none() {
            return false;
        }
        if self.listpack {
            if let Some(idx) = self.map.get_index_of(field) {
                self.reposition(idx, None);
            }
        }
        true
    }

    /// Moves the entry at `idx` to where a field with deadline `when`
    /// belongs in a listpack: before the first field without a deadline or
    /// with one at least `when`; at the end when `when` is `None`.
    fn reposition(&mut self, idx: usize, when: Option<i64>) {
        let last = self.map.len() - 1;
        let Some(when) = when else {
            self.map.move_index(idx, last);
            return;
        };
        let ttls = self.ttls.as_deref();
        let mut target = last;
        for (i, (f, _)) in self.map.iter().enumerate() {
            if i == idx {
                continue;
            }
            if ttls.and_then(|t| t.get(f)).is_none_or(|at| at >= when) {
                // Positions after `idx` shift down by one once it moves.
                target = if i > idx { i - 1 } else { i };
                break;
            }
        }
        self.map.move_index(idx, target);
    }

    /// Removes up to `max` expired fields, earliest first; returns how
    /// many went.
    pub fn reclaim_expired(&mut self, now_ms: i64, max: usize) -> usize {
        self.reclaim_expired_with(now_ms, max, |_| {})
    }

    /// [`Hash::reclaim_expired`], calling `removed` with each field.
    pub fn reclaim_expired_with(
        &mut self,
        now_ms: i64,
        max: usize,
        mut removed: impl FnMut(&Bytes),
    ) -> usize {
        let mut n = 0;
        while n < max {
            let Some(f) = self
                .ttls
                .as_ref()
                .and_then(|t| t.first_expired(now_ms))
                .cloned()
            else {
                break;
            };
            self.remove_field(&f);
            removed(&f);
            n += 1;
        }
        n
    }
}

/// A set; `intset` stays true while every member is an integer and the set
/// is within `set-max-intset-entries`.
#[derive(Clone, Debug, Default)]
pub struct Set {
    pub members: OrdSet<Bytes>,
    pub intset: bool,
}

/// A sorted set with its encoding flag (see [`Hash`]).
#[derive(Clone, Debug)]
pub struct SortedSet {
    pub zset: ZSet,
    pub listpack: bool,
}

/// A list (Redis 7.0 always reports `quicklist`): packed nodes, see
/// [`crate::engine::list`].
pub use crate::engine::list::List;

/// A stored value.
#[derive(Clone, Debug)]
pub enum Value {
    Str(Str),
    List(Box<List>),
    Hash(Box<Hash>),
    Set(Box<Set>),
    ZSet(Box<SortedSet>),
    Stream(Box<Stream>),
}

impl Value {
    /// A string value from bytes.
    #[inline]
    pub fn string(data: Bytes) -> Value {
        Value::Str(Str::new(data))
    }

    /// A string value copied from `data` (no allocation when short).
    #[inline]
    pub fn string_from(data: &[u8]) -> Value {
        Value::Str(Str::from_slice(data))
    }

    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// The name `OBJECT ENCODING` replies with.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(_) => "quicklist",
            Value::Hash(h) => match (h.listpack, h.ttls.is_some()) {
                (true, false) => "listpack",
                (true, true) => "listpackex",
                (false, _) => "hashtable",
            },
            Value::Set(s) => {
                if s.intset {
                    "intset"
                } else {
                    "hashtable"
                }
            }
            Value::ZSet(z) => {
                if z.listpack {
                    "listpack"
                } else {
                    "skiplist"
                }
            }
            Value::Stream(_) => "stream",
        }
    }

    /// True for a container that has become empty (Redis deletes such keys).
    pub fn is_empty_container(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::List(l) => l.is_empty(),
            Value::Hash(h) => h.map.is_empty(),
            Value::Set(s) => s.members.is_empty(),
            Value::ZSet(z) => z.zset.is_empty(),
            // Redis keeps empty streams (their IDs and groups still matter).
            Value::Stream(_) => false,
        }
    }

    /// The bytes this value holds beyond its 24-byte handle, for MEMORY
    /// USAGE and the maxmemory accounting: exact for strings, lists, sorted
    /// sets and the container headers; elements of hashes, sets and
    /// stream nodes extrapolated from the first `samples` (0: all), as
    /// Redis's MEMORY USAGE does, so the cost stays bounded.
    pub fn mem_estimate(&self, samples: usize) -> usize {
        // A heap block's allocator header, and a `Bytes` element's handle.
        const ALLOC: usize = 16;
        const BYTES: usize = std::mem::size_of::<Bytes>();
        // An IndexMap slot: cached hash and the index table's share.
        const SLOT: usize = 8 + 10;
        fn sampled(n: usize, samples: usize, it: impl Iterator<Item = usize>) -> usize {
            let k = if samples == 0 { n } else { samples.min(n) };
            let sum: usize = it.take(k).sum();
            sum.saturating_mul(n) / k.max(1)
        }
        let blob = |len: usize| if len == 0 { 0 } else { len + ALLOC };
        match self {
            Value::Str(s) => {
                s.data.heap_size() + if s.data.heap_size() > 0 { 2 * ALLOC } else { 0 }
            }
            // Exact and O(1): the list keeps its buffers' total.
            Value::List(l) => ALLOC + l.mem_usage(),
            Value::Hash(h) => {
                // A field TTL costs an entry in a map and in an ordered set.
                ALLOC
                    + std::mem::size_of::<Hash>()
                    + sampled(
                        h.map.len(),
                        samples,
                        h.map
                            .iter()
                            .map(|(k, v)| SLOT + 2 * BYTES + blob(k.len()) + blob(v.len())),
                    )
                    + h.volatile_len() * 2 * (SLOT + BYTES + 8)
            }
            Value::Set(s) => {
                ALLOC
                    + std::mem::size_of::<Set>()
                    + sampled(
                        s.members.len(),
                        samples,
                        s.members.iter().map(|m| SLOT + BYTES + blob(m.len())),
                    )
            }
            Value::ZSet(z) => ALLOC + z.zset.mem_usage(),
            Value::Stream(s) => ALLOC + s.mem_usage(samples),
        }
    }
}

/// Typed access to a [`Value`]: lets the keyspace hand out `&mut List`,
/// `&mut Hash`... and answer WRONGTYPE in one place.
pub trait Kind: Sized {
    fn get(v: &Value) -> Option<&Self>;
    fn get_mut(v: &mut Value) -> Option<&mut Self>;
}

macro_rules! kind {
    ($ty:ty, $variant:ident) => {
        impl Kind for $ty {
            #[inline]
            fn get(v: &Value) -> Option<&Self> {
                match v {
                    Value::$variant(x) => {
                        let x: &Self = x;
                        Some(x)
                    }
                    _ => None,
                }
            }
            #[inline]
            fn get_mut(v: &mut Value) -> Option<&mut Self> {
                match v {
                    Value::$variant(x) => {
                        let x: &mut Self = x;
                        Some(x)
                    }
                    _ => None,
                }
            }
        }
    };
}
kind!(Str, Str);
kind!(List, List);
kind!(Hash, Hash);
kind!(Set, Set);
kind!(SortedSet, ZSet);
kind!(Stream, Stream);

/// The typed view of a value, or WRONGTYPE.
#[inline]
pub fn typed<T: Kind>(v: &Value) -> Result<&T, Error> {
    T::get(v).ok_or(Error::WrongType)
}

/// The typed mutable view of a value, or WRONGTYPE.
#[inline]
pub fn typed_mut<T: Kind>(v: &mut Value) -> Result<&mut T, Error> {
    T::get_mut(v).ok_or(Error::WrongType)
}
