//! One value as an RDB object, the unit both DUMP/RESTORE payloads and RDB
//! snapshots are made of: [`object_type`] + [`save_object`] write a value
//! the way Redis 7.0 (RDB version 10) does, [`load_object`] reads back any
//! object type Redis 7.0 can load and rebuilds the value in the encoding
//! Redis would give it.
//!
//! Streams (types 15 and 19) have their own module, [`super::stream`].

use bytes::Bytes;

use super::strtod::strtod;
use super::{intset, legacy, listpack, lzf};
use crate::engine::value::{Hash, List, Map, OrdSet, Set, SortedSet, Str, Value};
use crate::engine::zset::ZSet;
use crate::engine::Config;
use crate::num::parse_i64;

/// The RDB format version this encoder writes.
pub const RDB_VERSION: u16 = 10;

/// RDB object type bytes.
pub mod types {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    /// Redis 7.4 (RDB 12): hashes with field TTLs, see [`super::super::hfe`].
    pub const HASH_METADATA: u8 = 24;
    pub const HASH_LISTPACK_EX: u8 = 25;
}

/// True for the bytes that start an object (not an RDB opcode).
pub fn is_object_type(t: u8) -> bool {
    t <= types::MODULE_2
        || (types::HASH_ZIPMAP..=types::STREAM_LISTPACKS_2).contains(&t)
        || t == types::HASH_METADATA
        || t == types::HASH_LISTPACK_EX
}

/// Quicklist node containers.
const CONTAINER_PLAIN: u64 = 1;
const CONTAINER_PACKED: u64 = 2;
/// Elements this large get a node of their own ("plain" node).
const PACKED_THRESHOLD: usize = 1 << 30;
/// Listpacks never grow past this (`lpSafeToAdd`).
const LISTPACK_SAFETY: usize = 1 << 30;

/// The settings that shape what the encoder writes.
#[derive(Clone, Copy, Debug)]
pub struct SaveOptions {
    /// `rdbcompression`: LZF-compress strings over 20 bytes when it pays.
    pub compression: bool,
    /// `list-max-listpack-size`: how lists are cut into quicklist nodes.
    pub list_fill: i64,
    /// `list-compress-depth`: inner quicklist nodes are stored compressed.
    pub list_compress_depth: i64,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            compression: true,
            list_fill: -2,
            list_compress_depth: 0,
        }
    }
}

impl SaveOptions {
    pub fn from_config(c: &Config) -> SaveOptions {
        SaveOptions {
            compression: c.extra.get("rdbcompression").is_none_or(|v| v == "yes"),
            list_fill: c.list_max_listpack_size,
            list_compress_depth: c.list_compress_depth,
        }
    }
}

/// The encoding limits a loaded value is checked against.
#[derive(Clone, Copy, Debug)]
pub struct LoadOptions {
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// `list-max-listpack-size`: the node size of loaded lists.
    pub list_fill: i64,
}

impl LoadOptions {
    pub fn from_config(c: &Config) -> LoadOptions {
        LoadOptions {
            list_fill: c.list_max_listpack_size,
            hash_max_listpack_entries: c.hash_max_listpack_entries,
            hash_max_listpack_value: c.hash_max_listpack_value,
            set_max_intset_entries: c.set_max_intset_entries,
            zset_max_listpack_entries: c.zset_max_listpack_entries,
            zset_max_listpack_value: c.zset_max_listpack_value,
        }
    }
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions::from_config(&Config::default())
    }
}

/// Why an object could not be loaded (RESTORE answers all of them with
/// `Bad data format`; the reason helps tests and logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadError(pub &'static str);

type Load<T> = Result<T, LoadError>;

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// The object type byte Redis 7.0 writes for `v`.
pub fn object_type(v: &Value) -> u8 {
    match v {
        Value::Str(_) => types::STRING,
        Value::List(_) => types::LIST_QUICKLIST_2,
        Value::Set(s) if s.intset && intset_members(s).is_some() => types::SET_INTSET,
        Value::Set(_) => types::SET,
        Value::ZSet(z) if z.listpack => types::ZSET_LISTPACK,
        Value::ZSet(_) => types::ZSET_2,
        Value::Hash(h) => super::hfe::object_type(h),
        Value::Stream(_) => types::STREAM_LISTPACKS_2,
    }
}

/// The type byte of a hash without field TTLs.
pub(crate) fn object_type_plain(h: &Hash) -> u8 {
    if h.listpack {
        types::HASH_LISTPACK
    } else {
        types::HASH
    }
}

/// Appends the body of `v` as the object type [`object_type`] names.
pub fn save_object(out: &mut Vec<u8>, v: &Value, o: &SaveOptions) {
    match v {
        Value::Str(s) => write_string(out, &s.data, o.compression),
        Value::List(l) => save_list(out, l, o),
        Value::Set(s) => match intset_members(s).filter(|_| s.intset) {
            Some(ints) => write_string(out, &intset::encode(&ints), o.compression),
            None => {
                write_len(out, s.members.len() as u64);
                for m in &s.members {
                    write_string(out, m, o.compression);
                }
            }
        },
        Value::ZSet(z) if z.listpack => {
            let mut lp = listpack::Builder::new();
            for (m, score) in z.zset.iter() {
                lp.push(m);
                push_score(&mut lp, score);
            }
            write_string(out, &lp.finish(), o.compression);
        }
        Value::ZSet(z) => {
            write_len(out, z.zset.len() as u64);
            // Highest first, as Redis walks its skip list from the tail.
            for (m, score) in z.zset.iter().rev() {
                write_string(out, m, o.compression);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        Value::Hash(h) if super::hfe::object_type(h) != object_type_plain(h) => {
            super::hfe::save(out, h, o)
        }
        Value::Hash(h) if h.listpack => {
            let mut lp = listpack::Builder::new();
            for (f, v) in &h.map {
                lp.push(f);
                lp.push(v);
            }
            write_string(out, &lp.finish(), o.compression);
        }
        Value::Hash(h) => {
            write_len(out, h.map.len() as u64);
            for (f, v) in &h.map {
                write_string(out, f, o.compression);
                write_string(out, v, o.compression);
            }
        }
        Value::Stream(st) => super::stream::save(out, st, o),
    }
}

/// The members of an intset-encoded set as sorted integers (`None` if a
/// member is not an integer after all).
fn intset_members(s: &Set) -> Option<Vec<i64>> {
    let mut ints = s
        .members
        .iter()
        .map(|m| parse_i64(m))
        .collect::<Option<Vec<i64>>>()?;
    ints.sort_unstable();
    Some(ints)
}

/// A sorted-set score as a listpack stores it: integral values in the
/// safe range as integers, others as `%.17g` text.
fn push_score(lp: &mut listpack::Builder, score: f64) {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0; // (LLONG_MAX / 2) as a double
    if (-LIMIT..=LIMIT).contains(&score) && score.fract() == 0.0 {
        lp.push_int(score as i64);
    } else {
        lp.push(crate::resp::writer::double_text(score).as_bytes());
    }
}

/// An RDB length: 6, 14, 32 or 64 bits.
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u64::from(u32::MAX) {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// A string as `rdbSaveRawString` writes it: short integers in 1-4 bytes,
/// longer strings LZF-compressed when that saves at least 4 bytes, the
/// rest verbatim.
pub fn write_string(out: &mut Vec<u8>, s: &[u8], compression: bool) {
    if s.len() <= 11 {
        if let Some(v) = parse_i64(s) {
            if let Ok(b) = i8::try_from(v) {
                out.extend_from_slice(&[0xC0, b as u8]);
                return;
            } else if let Ok(w) = i16::try_from(v) {
                out.push(0xC1);
                out.extend_from_slice(&w.to_le_bytes());
                return;
            } else if let Ok(d) = i32::try_from(v) {
                out.push(0xC2);
                out.extend_from_slice(&d.to_le_bytes());
                return;
            }
        }
    }
    if compression && s.len() > 20 {
        if let Some(c) = lzf::compress(s, s.len() - 4) {
            write_lzf_blob(out, &c, s.len());
            return;
        }
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

fn write_lzf_blob(out: &mut Vec<u8>, compressed: &[u8], original_len: usize) {
    out.push(0xC3);
    write_len(out, compressed.len() as u64);
    write_len(out, original_len as u64);
    out.extend_from_slice(compressed);
}

/// One quicklist node as it would be saved.
enum Node<'a> {
    Packed(Vec<u8>),
    Plain(&'a [u8]),
}

/// Whether a quicklist node of `sz` bytes and `count` entries takes one
/// more element of `len` bytes under fill factor `fill`.
fn node_allows(sz: usize, count: usize, fill: i64, len: usize) -> bool {
    const LEVELS: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
    const SAFETY: usize = 8192;
    let new_sz = sz + len + 8;
    if fill < 0 {
        if let Some(&limit) = LEVELS.get((-(fill + 1)) as usize) {
            if new_sz <= limit {
                return true;
            }
        }
    }
    new_sz <= SAFETY && (count as i64) < fill
}

/// Cuts a list into quicklist nodes as a list built by RPUSH is cut (the
/// node layout of other histories is not tracked).
fn list_nodes(l: &List, fill: i64) -> Vec<Node<'_>> {
    let mut nodes = Vec::new();
    let mut cur: Option<listpack::Builder> = None;
    for e in l {
        if e.len() >= PACKED_THRESHOLD {
            if let Some(b) = cur.take() {
                nodes.push(Node::Packed(b.finish()));
            }
            nodes.push(Node::Plain(e));
            continue;
        }
        let fits = cur
            .as_ref()
            .is_some_and(|b| node_allows(b.total_bytes(), b.len(), fill, e.len()));
        if !fits {
            if let Some(b) = cur.take() {
                nodes.push(Node::Packed(b.finish()));
            }
        }
        cur.get_or_insert_with(listpack::Builder::new).push(e);
    }
    if let Some(b) = cur {
        nodes.push(Node::Packed(b.finish()));
    }
    nodes
}

fn save_list(out: &mut Vec<u8>, l: &List, o: &SaveOptions) {
    let nodes = list_nodes(l, o.list_fill);
    write_len(out, nodes.len() as u64);
    let depth = usize::try_from(o.list_compress_depth).unwrap_or(0);
    let compressible = depth > 0 && nodes.len() > 2 * depth;
    for (i, node) in nodes.iter().enumerate() {
        match node {
            Node::Plain(e) => {
                write_len(out, CONTAINER_PLAIN);
                write_string(out, e, o.compression);
            }
            Node::Packed(lp) => {
                write_len(out, CONTAINER_PACKED);
                let inner = compressible && i >= depth && i < nodes.len() - depth;
                // Quicklist compresses inner nodes of 48+ bytes that shrink
                // by more than 8 bytes; those are saved as they are held.
                let packed = inner && lp.len() >= 48;
                match packed.then(|| lzf::compress(lp, lp.len())).flatten() {
                    Some(c) if c.len() + 8 < lp.len() => write_lzf_blob(out, &c, lp.len()),
                    _ => write_string(out, lp, o.compression),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// A cursor over RDB bytes; every read is bounds-checked.
#[derive(Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

const TRUNCATED: LoadError = LoadError("truncated");

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    /// Bytes read so far (the offset from the start of the buffer).
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left to read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn read_u8(&mut self) -> Load<u8> {
        let b = *self.buf.get(self.pos).ok_or(TRUNCATED)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn read_bytes(&mut self, n: u64) -> Load<&'a [u8]> {
        if n > self.remaining() as u64 {
            return Err(TRUNCATED);
        }
        let s = &self.buf[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    /// A length, or `(encoding, true)` for a specially encoded string.
    fn read_len_or_enc(&mut self) -> Load<(u64, bool)> {
        let b = self.read_u8()?;
        Ok(match b >> 6 {
            0 => (u64::from(b & 0x3F), false),
            1 => (
                (u64::from(b & 0x3F) << 8) | u64::from(self.read_u8()?),
                false,
            ),
            3 => (u64::from(b & 0x3F), true),
            _ => match b {
                0x80 => {
                    let s = self.read_bytes(4)?;
                    (
                        u64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]])),
                        false,
                    )
                }
                0x81 => {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(self.read_bytes(8)?);
                    (u64::from_be_bytes(w), false)
                }
                _ => return Err(LoadError("unknown length encoding")),
            },
        })
    }

    /// A plain length (a specially encoded one is taken as its number, as
    /// Redis does where it expects a count).
    pub fn read_len(&mut self) -> Load<u64> {
        Ok(self.read_len_or_enc()?.0)
    }

    /// A string in any of its encodings.
    pub fn read_string(&mut self) -> Load<Vec<u8>> {
        let (len, encoded) = self.read_len_or_enc()?;
        if !encoded {
            return Ok(self.read_bytes(len)?.to_vec());
        }
        let v = match len {
            0 => i64::from(self.read_u8()? as i8),
            1 => {
                let s = self.read_bytes(2)?;
                i64::from(i16::from_le_bytes([s[0], s[1]]))
            }
            2 => {
                let s = self.read_bytes(4)?;
                i64::from(i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
            }
            3 => {
                let clen = self.read_len()?;
                let len = self.read_len()?;
                let c = self.read_bytes(clen)?;
                if len == 0 {
                    // Redis's check cannot fail for an empty result.
                    return Ok(Vec::new());
                }
                let len = usize::try_from(len).map_err(|_| LoadError("lzf length"))?;
                return lzf::decompress(c, len).ok_or(LoadError("invalid lzf data"));
            }
            _ => return Err(LoadError("unknown string encoding")),
        };
        Ok(crate::num::format_i64(v).as_bytes().to_vec())
    }

    /// A little-endian binary64 (sorted sets of RDB 8+).
    pub fn read_binary_double(&mut self) -> Load<f64> {
        let mut w = [0u8; 8];
        w.copy_from_slice(self.read_bytes(8)?);
        Ok(f64::from_le_bytes(w))
    }

    /// A double as text with a length byte (older sorted sets): 253-255
    /// stand for NaN, +inf and -inf.
    pub fn read_string_double(&mut self) -> Load<f64> {
        let len = self.read_u8()?;
        match len {
            255 => Ok(f64::NEG_INFINITY),
            254 => Ok(f64::INFINITY),
            253 => Ok(f64::NAN),
            n => {
                let text = c_str(self.read_bytes(u64::from(n))?);
                let p = strtod(text);
                if p.consumed == 0 {
                    return Err(LoadError("bad double"));
                }
                Ok(p.value)
            }
        }
    }
}

/// The part of `s` a C string function sees.
fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |n| &s[..n])
}

/// Reads one object of type `t` and rebuilds it in the encoding Redis
/// would choose, validating every nested structure.
pub fn load_object(r: &mut Reader<'_>, t: u8, o: &LoadOptions) -> Load<Value> {
    use types::*;
    match t {
        STRING => Ok(Value::Str(Str::new(Bytes::from(r.read_string()?)))),
        LIST => {
            let n = nonzero(r.read_len()?)?;
            let mut l = List::with_fill(o.list_fill);
            for _ in 0..n {
                l.push_back(&r.read_string()?);
            }
            Ok(Value::List(Box::new(l)))
        }
        SET => load_set(r, o),
        ZSET | ZSET_2 => load_zset(r, o, t == ZSET_2),
        HASH => load_hash(r, o),
        LIST_QUICKLIST | LIST_QUICKLIST_2 => load_quicklist(r, t == LIST_QUICKLIST_2, o),
        HASH_ZIPMAP | LIST_ZIPLIST | SET_INTSET | ZSET_ZIPLIST | ZSET_LISTPACK | HASH_ZIPLIST
        | HASH_LISTPACK => {
            let blob = r.read_string()?;
            load_blob(t, &blob, o)
        }
        STREAM_LISTPACKS | STREAM_LISTPACKS_2 => super::stream::load(r, t == STREAM_LISTPACKS_2),
        HASH_METADATA | HASH_LISTPACK_EX => super::hfe::load(r, t, o),
        _ => Err(LoadError("unsupported object type")),
    }
}

fn nonzero(n: u64) -> Load<u64> {
    if n == 0 {
        Err(LoadError("empty key"))
    } else {
        Ok(n)
    }
}

/// A safe preallocation for `n` items: never more than the input could hold.
fn cap(n: u64, r: &Reader<'_>) -> usize {
    n.min(r.remaining() as u64) as usize
}

fn load_set(r: &mut Reader<'_>, o: &LoadOptions) -> Load<Value> {
    let n = nonzero(r.read_len()?)?;
    let max = o.set_max_intset_entries.min(1 << 30) as u64;
    let mut intset = n <= max;
    let mut members = OrdSet::with_capacity_and_hasher(cap(n, r), Default::default());
    for _ in 0..n {
        let m = r.read_string()?;
        intset = intset && parse_i64(&m).is_some();
        if !members.insert(Bytes::from(m)) {
            return Err(LoadError("duplicate set member"));
        }
    }
    Ok(Value::Set(Box::new(Set { members, intset })))
}

fn load_zset(r: &mut Reader<'_>, o: &LoadOptions, binary: bool) -> Load<Value> {
    let n = nonzero(r.read_len()?)?;
    let mut z = ZSet::with_capacity(cap(n, r));
    let (mut longest, mut total) = (0usize, 0usize);
    for _ in 0..n {
        let m = r.read_string()?;
        let score = if binary {
            r.read_binary_double()?
        } else {
            r.read_string_double()?
        };
        if score.is_nan() {
            return Err(LoadError("NaN score"));
        }
        longest = longest.max(m.len());
        total = total.saturating_add(m.len());
        if z.insert(Bytes::from(m), score).is_some() {
            return Err(LoadError("duplicate zset member"));
        }
    }
    let listpack = z.len() <= o.zset_max_listpack_entries
        && longest <= o.zset_max_listpack_value
        && total <= LISTPACK_SAFETY;
    Ok(zset_value(z, listpack))
}

fn zset_value(zset: ZSet, listpack: bool) -> Value {
    Value::ZSet(Box::new(SortedSet { zset, listpack }))
}

fn load_hash(r: &mut Reader<'_>, o: &LoadOptions) -> Load<Value> {
    let n = nonzero(r.read_len()?)?;
    let mut listpack = n <= o.hash_max_listpack_entries as u64;
    let mut map: Map<Bytes, Bytes> = Map::with_capacity_and_hasher(cap(n, r), Default::default());
    let mut bytes = 0usize;
    for _ in 0..n {
        let f = r.read_string()?;
        let v = r.read_string()?;
        bytes = bytes.saturating_add(f.len() + v.len());
        if f.len() > o.hash_max_listpack_value
            || v.len() > o.hash_max_listpack_value
            || bytes > LISTPACK_SAFETY
        {
            listpack = false;
        }
        if map.insert(Bytes::from(f), Bytes::from(v)).is_some() {
            return Err(LoadError("duplicate hash field"));
        }
    }
    Ok(Value::Hash(Box::new(Hash::from_map(map, listpack))))
}

fn load_quicklist(r: &mut Reader<'_>, v2: bool, o: &LoadOptions) -> Load<Value> {
    let nodes = nonzero(r.read_len()?)?;
    let mut l = List::with_fill(o.list_fill);
    for _ in 0..nodes {
        let container = if v2 { r.read_len()? } else { CONTAINER_PACKED };
        if container != CONTAINER_PACKED && container != CONTAINER_PLAIN {
            return Err(LoadError("bad quicklist container"));
        }
        let data = r.read_string()?;
        if data.is_empty() {
            return Err(LoadError("empty quicklist node"));
        }
        if container == CONTAINER_PLAIN {
            l.push_back(&data);
        } else if v2 {
            let entries = listpack::entries(&data).ok_or(LoadError("bad listpack"))?;
            for e in entries {
                e.with_bytes(|b| l.push_back(b));
            }
        } else {
            let entries = legacy::ziplist_entries(&data).ok_or(LoadError("bad ziplist"))?;
            l.extend(entries);
        }
    }
    if l.is_empty() {
        return Err(LoadError("empty key"));
    }
    Ok(Value::List(Box::new(l)))
}

/// Field/value (or member/score) pairs of a flat list, refusing an odd
/// count and repeated fields.
fn pairs(items: Vec<Bytes>) -> Load<Vec<(Bytes, Bytes)>> {
    if items.len() % 2 != 0 {
        return Err(LoadError("odd number of entries"));
    }
    let mut seen: OrdSet<Bytes> =
        OrdSet::with_capacity_and_hasher(items.len() / 2, Default::default());
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        if !seen.insert(k.clone()) {
            return Err(LoadError("duplicate field"));
        }
        out.push((k, v));
    }
    if out.is_empty() {
        return Err(LoadError("empty key"));
    }
    Ok(out)
}

/// A listpack score as Redis reads it back: an integer entry, or the
/// `strtod` prefix of at most 127 bytes of text.
fn listpack_score(s: &[u8]) -> f64 {
    if let Some(v) = parse_i64(s) {
        return v as f64;
    }
    strtod(c_str(&s[..s.len().min(127)])).value
}

fn load_blob(t: u8, blob: &[u8], o: &LoadOptions) -> Load<Value> {
    use types::*;
    let flat_listpack = |blob: &[u8]| -> Load<Vec<Bytes>> {
        let entries = listpack::entries(blob).ok_or(LoadError("bad listpack"))?;
        Ok(entries.into_iter().map(listpack::Entry::to_bytes).collect())
    };
    let flat_ziplist = |blob: &[u8]| legacy::ziplist_entries(blob).ok_or(LoadError("bad ziplist"));
    match t {
        HASH_ZIPMAP => {
            let kv = legacy::zipmap_pairs(blob).ok_or(LoadError("bad zipmap"))?;
            let longest = kv
                .iter()
                .map(|(f, v)| f.len().max(v.len()))
                .max()
                .unwrap_or(0);
            let listpack =
                kv.len() <= o.hash_max_listpack_entries && longest <= o.hash_max_listpack_value;
            let kv = pairs(kv.into_iter().flat_map(|(f, v)| [f, v]).collect())?;
            Ok(hash_value(kv, listpack))
        }
        LIST_ZIPLIST => {
            let mut l = List::with_fill(o.list_fill);
            l.extend(flat_ziplist(blob)?);
            nonzero(l.len() as u64)?;
            Ok(Value::List(Box::new(l)))
        }
        SET_INTSET => {
            let ints = intset::decode(blob).ok_or(LoadError("bad intset"))?;
            let intset = ints.len() <= o.set_max_intset_entries;
            let members = ints
                .iter()
                .map(|&v| Bytes::from(crate::num::format_i64(v).as_bytes().to_vec()))
                .collect();
            Ok(Value::Set(Box::new(Set { members, intset })))
        }
        ZSET_ZIPLIST | ZSET_LISTPACK => {
            let items = if t == ZSET_ZIPLIST {
                flat_ziplist(blob)?
            } else {
                flat_listpack(blob)?
            };
            let kv = pairs(items)?;
            let mut z = ZSet::with_capacity(kv.len());
            for (m, s) in kv {
                let score = listpack_score(&s);
                if score.is_nan() {
                    return Err(LoadError("NaN score"));
                }
                z.insert(m, score);
            }
            let listpack = z.len() <= o.zset_max_listpack_entries;
            Ok(zset_value(z, listpack))
        }
        HASH_ZIPLIST | HASH_LISTPACK => {
            let items = if t == HASH_ZIPLIST {
                flat_ziplist(blob)?
            } else {
                flat_listpack(blob)?
            };
            let kv = pairs(items)?;
            let listpack = kv.len() <= o.hash_max_listpack_entries;
            Ok(hash_value(kv, listpack))
        }
        _ => Err(LoadError("unsupported object type")),
    }
}

fn hash_value(kv: Vec<(Bytes, Bytes)>, listpack: bool) -> Value {
    Value::Hash(Box::new(Hash::from_map(kv.into_iter().collect(), listpack)))
}
