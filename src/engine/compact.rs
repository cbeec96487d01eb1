//! Compact byte strings for keys and string values.
//!
//! Most keys and many values are short (`user:1000`, `42`, a session id):
//! a [`Bytes`] handle is 32 bytes plus a heap block of at least 32 more, so
//! a short string cost ~64 bytes before it held anything. A
//! [`CompactBytes`] is 24 bytes and keeps up to [`INLINE`] bytes inside
//! itself, with no allocation; longer strings go to the heap as a shared
//! [`Bytes`] (cheap to hand to a reply, amortised appends).
//!
//! Three spare bits travel with the string for its owner's use (string
//! values record Redis's `raw` / no-`int` encoding hints there).

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::{Bytes, BytesMut};

/// Longest string kept inline.
pub const INLINE: usize = 22;
/// Bits of the inline `meta` byte holding the length (`INLINE < 32`).
const LEN_MASK: u8 = 0x1F;
/// Where the owner's flags start in the inline `meta` byte.
const FLAG_SHIFT: u8 = 5;
/// The owner's flags (three bits).
pub const FLAG_MASK: u8 = 0x07;

/// A byte string of at most [`INLINE`] bytes stored in place, or a heap
/// string; 24 bytes either way.
#[derive(Clone)]
pub struct CompactBytes(Repr);

#[derive(Clone)]
enum Repr {
    Inline { meta: u8, buf: [u8; INLINE] },
    Heap(Box<HeapStr>),
}

#[derive(Clone)]
struct HeapStr {
    data: Bytes,
    flags: u8,
}

impl CompactBytes {
    /// An inline copy of `s` (which must fit) with `flags`.
    #[inline]
    fn inline(s: &[u8], flags: u8) -> CompactBytes {
        let mut buf = [0u8; INLINE];
        buf[..s.len()].copy_from_slice(s);
        CompactBytes(Repr::Inline {
            meta: s.len() as u8 | (flags & FLAG_MASK) << FLAG_SHIFT,
            buf,
        })
    }

    /// A copy of `s`.
    #[inline]
    pub fn new(s: &[u8]) -> CompactBytes {
        if s.len() <= INLINE {
            CompactBytes::inline(s, 0)
        } else {
            CompactBytes::heap(Bytes::copy_from_slice(s), 0)
        }
    }

    /// Takes `b` over: kept as it is when long, copied inline when short.
    #[inline]
    pub fn from_bytes(b: Bytes) -> CompactBytes {
        if b.len() <= INLINE {
            CompactBytes::inline(&b, 0)
        } else {
            CompactBytes::heap(b, 0)
        }
    }

    fn heap(data: Bytes, flags: u8) -> CompactBytes {
        CompactBytes(Repr::Heap(Box::new(HeapStr {
            data,
            flags: flags & FLAG_MASK,
        })))
    }

    /// The contents.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { meta, buf } => &buf[..(meta & LEN_MASK) as usize],
            Repr::Heap(h) => &h.data,
        }
    }

    /// The contents as a [`Bytes`] (a copy when inline, shared otherwise).
    #[inline]
    pub fn to_bytes(&self) -> Bytes {
        match &self.0 {
            Repr::Inline { .. } => Bytes::copy_from_slice(self.as_slice()),
            Repr::Heap(h) => h.data.clone(),
        }
    }

    /// The owner's three flag bits.
    #[inline]
    pub fn flags(&self) -> u8 {
        match &self.0 {
            Repr::Inline { meta, .. } => meta >> FLAG_SHIFT,
            Repr::Heap(h) => h.flags,
        }
    }

    /// Replaces the owner's flag bits.
    #[inline]
    pub fn set_flags(&mut self, flags: u8) {
        match &mut self.0 {
            Repr::Inline { meta, .. } => {
                *meta = (*meta & LEN_MASK) | (flags & FLAG_MASK) << FLAG_SHIFT
            }
            Repr::Heap(h) => h.flags = flags & FLAG_MASK,
        }
    }

    /// Edits the contents through a buffer, in place when a heap string is
    /// not shared (so a run of APPENDs grows one buffer, amortised O(1)
    /// each), else on a copy. Flags are kept.
    pub fn edit(&mut self, f: impl FnOnce(&mut BytesMut)) {
        let flags = self.flags();
        let mut buf = match std::mem::replace(&mut self.0, EMPTY) {
            Repr::Heap(h) => match h.data.try_into_mut() {
                Ok(buf) => buf,
                Err(shared) => BytesMut::from(&shared[..]),
            },
            inline => BytesMut::from(CompactBytes(inline).as_slice()),
        };
        f(&mut buf);
        *self = if buf.len() <= INLINE {
            CompactBytes::inline(&buf, flags)
        } else {
            CompactBytes::heap(buf.freeze(), flags)
        };
    }

    /// Like [`CompactBytes::edit`] through a `Vec` (no copy when a heap
    /// string is not shared); the result is stored back even if `f`
    /// reports a failure in its return value.
    pub fn edit_vec<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let flags = self.flags();
        let mut buf = match std::mem::replace(&mut self.0, EMPTY) {
            Repr::Heap(h) => Vec::from(h.data),
            inline => CompactBytes(inline).as_slice().to_vec(),
        };
        let out = f(&mut buf);
        *self = if buf.len() <= INLINE {
            CompactBytes::inline(&buf, flags)
        } else {
            CompactBytes::heap(Bytes::from(buf), flags)
        };
        out
    }

    /// Bytes this string holds outside its 24-byte handle (memory
    /// accounting): nothing when inline, else the heap header and block.
    #[inline]
    pub fn heap_size(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap(h) => std::mem::size_of::<HeapStr>() + h.data.len(),
        }
    }
}

const EMPTY: Repr = Repr::Inline {
    meta: 0,
    buf: [0; INLINE],
};

impl Default for CompactBytes {
    fn default() -> CompactBytes {
        CompactBytes(EMPTY)
    }
}

impl Deref for CompactBytes {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for CompactBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Maps keyed by `CompactBytes` are looked up with `&[u8]`: hashing and
/// equality are the slice's.
impl Borrow<[u8]> for CompactBytes {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Hash for CompactBytes {
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl PartialEq for CompactBytes {
    #[inline]
    fn eq(&self, other: &CompactBytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for CompactBytes {}

impl PartialEq<[u8]> for CompactBytes {
    fn eq(&self, other: &[u8]) -> bool {
        self.as_slice() == other
    }
}

impl std::fmt::Debug for CompactBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&Bytes::copy_from_slice(self.as_slice()), f)
    }
}

impl From<&[u8]> for CompactBytes {
    fn from(s: &[u8]) -> CompactBytes {
        CompactBytes::new(s)
    }
}

impl From<Bytes> for CompactBytes {
    fn from(b: Bytes) -> CompactBytes {
        CompactBytes::from_bytes(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_are_inline_and_long_ones_shared() {
        assert_eq!(std::mem::size_of::<CompactBytes>(), 24);
        let s = CompactBytes::new(b"value:123456");
        assert_eq!(&*s, b"value:123456");
        assert_eq!(s.heap_size(), 0);
        let long = CompactBytes::from_bytes(Bytes::from(vec![7u8; 100]));
        assert_eq!(long.len(), 100);
        assert!(long.heap_size() >= 100);
        assert_eq!(long.to_bytes(), Bytes::from(vec![7u8; 100]));
        assert_eq!(CompactBytes::new(&[1; INLINE]).heap_size(), 0);
        assert!(CompactBytes::new(&[1; INLINE + 1]).heap_size() > 0);
    }

    #[test]
    fn flags_survive_edits_across_the_inline_limit() {
        let mut s = CompactBytes::new(b"ab");
        s.set_flags(5);
        for _ in 0..20 {
            s.edit(|b| b.extend_from_slice(b"xy"));
            assert_eq!(s.flags(), 5);
        }
        assert_eq!(s.len(), 42);
        assert!(s.starts_with(b"abxyxy"));
        s.set_flags(2);
        assert_eq!(s.flags(), 2);
        s.edit(|b| b.truncate(3));
        assert_eq!((&*s, s.flags()), (&b"abx"[..], 2));
    }

    #[test]
    fn hashes_and_compares_like_the_slice() {
        use std::hash::BuildHasher;
        let h = foldhash::fast::FixedState::with_seed(1);
        let a = CompactBytes::new(b"key:1");
        assert_eq!(h.hash_one(&a), h.hash_one(&b"key:1"[..]));
        let long = vec![b'k'; 40];
        assert_eq!(h.hash_one(CompactBytes::new(&long)), h.hash_one(&long[..]));
        assert_eq!(a, CompactBytes::from(Bytes::from_static(b"key:1")));
    }
}
