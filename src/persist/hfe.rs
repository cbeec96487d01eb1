//! Redis 7.4's RDB object types for hashes with field TTLs (RDB version
//! 12), written and read as Redis does:
//!
//! - `HASH_LISTPACK_EX` (25), a `listpackex` hash: the earliest field
//!   deadline (8 bytes, little-endian unix ms; 0 if none), then one
//!   listpack of `field, value, deadline` triplets (deadline 0: no TTL).
//! - `HASH_METADATA` (24), a `hashtable` hash with field TTLs: the earliest
//!   deadline (8 bytes), the field count, then per field a length-encoded
//!   TTL (0: none, else `deadline - earliest + 1`), the field and the value.
//!
//! Hashes without field TTLs keep Redis 7.0's types, so their payloads
//! are unchanged.

use bytes::Bytes;

use super::listpack::{self, Entry};
use super::rdb::{object_type_plain, types, write_len, write_string};
use super::rdb::{LoadError, LoadOptions, Reader, SaveOptions};
use crate::engine::value::{Hash, Map, Value};

/// The RDB version that introduced these types.
pub const RDB_VERSION: u16 = 12;

/// The latest deadline Redis stores (48 bits).
const MAX_DEADLINE: u64 = (1 << 48) - 1;

type Load<T> = Result<T, LoadError>;

/// True for the two object types of this module.
pub fn is_hfe_type(t: u8) -> bool {
    t == types::HASH_METADATA || t == types::HASH_LISTPACK_EX
}

/// The type byte Redis 7.4 writes for `h`: a `listpackex` always gets
/// type 25; a hashtable gets 24 only while a field has a TTL.
pub fn object_type(h: &Hash) -> u8 {
    match (h.listpack, h.ttls.is_some(), h.volatile_len() > 0) {
        (true, true, _) => types::HASH_LISTPACK_EX,
        (false, _, true) => types::HASH_METADATA,
        _ => object_type_plain(h),
    }
}

/// Appends the body of a hash of type [`object_type`] 24 or 25.
pub fn save(out: &mut Vec<u8>, h: &Hash, o: &SaveOptions) {
    let min = h.min_ttl().unwrap_or(0);
    out.extend_from_slice(&(min as u64).to_le_bytes());
    if h.listpack {
        let mut lp = listpack::Builder::new();
        for (f, v) in &h.map {
            lp.push(f);
            lp.push(v);
            lp.push_int(h.ttl_of(f).unwrap_or(0));
        }
        write_string(out, &lp.finish(), o.compression);
        return;
    }
    write_len(out, h.map.len() as u64);
    for (f, v) in &h.map {
        let ttl = h.ttl_of(f).map_or(0, |at| (at - min) as u64 + 1);
        write_len(out, ttl);
        write_string(out, f, o.compression);
        write_string(out, v, o.compression);
    }
}

/// Reads a hash of type 24 or 25 and rebuilds it with its field TTLs.
pub fn load(r: &mut Reader<'_>, t: u8, o: &LoadOptions) -> Load<Value> {
    let raw = r.read_bytes(8)?;
    let mut min = [0u8; 8];
    min.copy_from_slice(raw);
    let min = u64::from_le_bytes(min);
    if min > MAX_DEADLINE + 1 {
        return Err(LoadError("invalid hash minimum expire time"));
    }
    let h = if t == types::HASH_LISTPACK_EX {
        load_listpack(&r.read_string()?, o)?
    } else {
        load_table(r, min, o)?
    };
    if h.map.is_empty() {
        return Err(LoadError("empty key"));
    }
    Ok(Value::Hash(Box::new(h)))
}

/// A deadline as stored: 0 for none, else at most 48 bits.
fn deadline(v: u64) -> Load<Option<i64>> {
    match v {
        0 => Ok(None),
        v if v <= MAX_DEADLINE => Ok(Some(v as i64)),
        _ => Err(LoadError("invalid hash field expire time")),
    }
}

fn load_listpack(blob: &[u8], o: &LoadOptions) -> Load<Hash> {
    let entries = listpack::entries(blob).ok_or(LoadError("bad listpack"))?;
    if entries.len() % 3 != 0 {
        return Err(LoadError("bad listpackex"));
    }
    let n = entries.len() / 3;
    let mut h = Hash::from_map(
        Map::with_capacity_and_hasher(n, Default::default()),
        n <= o.hash_max_listpack_entries,
    );
    h.enable_ttls();
    for t in entries.chunks_exact(3) {
        let Entry::Int(at) = t[2] else {
            return Err(LoadError("bad listpackex deadline"));
        };
        let at = deadline(u64::try_from(at).map_err(|_| LoadError("negative deadline"))?)?;
        let (f, v) = (t[0].to_bytes(), t[1].to_bytes());
        if h.map.insert(f.clone(), v).is_some() {
            return Err(LoadError("duplicate hash field"));
        }
        if let Some(at) = at {
            // Already in Redis's order: no repositioning needed.
            h.enable_ttls().set(f, at);
        }
    }
    Ok(h)
}

fn load_table(r: &mut Reader<'_>, min: u64, o: &LoadOptions) -> Load<Hash> {
    let n = r.read_len()?;
    let mut listpack = n <= o.hash_max_listpack_entries as u64;
    let cap = n.min(r.remaining() as u64) as usize;
    let mut h = Hash::from_map(
        Map::with_capacity_and_hasher(cap, Default::default()),
        false,
    );
    let mut fields = Vec::with_capacity(cap);
    for _ in 0..n {
        let ttl = r.read_len()?;
        let at = match ttl {
            0 => None,
            // Stored as `deadline - min + 1`.
            t => deadline(t.checked_add(min).ok_or(LoadError("bad ttl"))? - 1)?,
        };
        let (f, v) = (Bytes::from(r.read_string()?), Bytes::from(r.read_string()?));
        if f.len() > o.hash_max_listpack_value || v.len() > o.hash_max_listpack_value {
            listpack = false;
        }
        if h.map.insert(f.clone(), v).is_some() {
            return Err(LoadError("duplicate hash field"));
        }
        fields.push((f, at));
    }
    // A small one becomes a listpackex, with Redis's deadline order.
    h.listpack = listpack;
    h.enable_ttls();
    for (f, at) in fields {
        if let Some(at) = at {
            h.set_field_ttl(&f, at);
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Config;

    fn volatile(n: usize, listpack: bool) -> Hash {
        let mut h = Hash::new();
        for i in 0..n {
            h.map
                .insert(Bytes::from(format!("f{i}")), Bytes::from(format!("{i}")));
        }
        h.listpack = listpack;
        h.set_field_ttl(b"f1", 4_102_444_800_000);
        h.set_field_ttl(b"f0", 4_102_444_800_500);
        h
    }

    fn round_trip(h: Hash) -> Hash {
        let v = Value::Hash(Box::new(h));
        let payload = super::super::dump_payload(&v, &SaveOptions::from_config(&Config::default()));
        assert!(super::super::payload_footer_ok(&payload));
        let lo = LoadOptions::from_config(&Config::default());
        match super::super::load_payload(&payload, &lo) {
            Ok(Value::Hash(h)) => *h,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn listpackex_round_trips_with_order_and_deadlines() {
        let h = volatile(4, true);
        assert_eq!(object_type(&h), types::HASH_LISTPACK_EX);
        let back = round_trip(h.clone());
        assert!(back.listpack);
        assert_eq!(back.map, h.map);
        assert!(back.map.keys().eq(h.map.keys()));
        assert_eq!(back.ttls, h.ttls);
        assert_eq!(Value::Hash(Box::new(back)).encoding(), "listpackex");
    }

    #[test]
    fn hashtable_with_ttls_round_trips() {
        let h = volatile(600, false);
        assert_eq!(object_type(&h), types::HASH_METADATA);
        let back = round_trip(h.clone());
        assert!(!back.listpack);
        assert_eq!(back.map, h.map);
        assert_eq!(back.ttl_of(b"f0"), Some(4_102_444_800_500));
        assert_eq!(back.ttl_of(b"f1"), Some(4_102_444_800_000));
        assert_eq!(back.ttl_of(b"f2"), None);
    }

    #[test]
    fn corrupt_payloads_are_errors() {
        let lo = LoadOptions::from_config(&Config::default());
        let load = |body: &[u8], t: u8| load(&mut Reader::new(body), t, &lo).map(|_| ());
        // Truncated minimum deadline.
        assert!(load(&[1, 2, 3], types::HASH_METADATA).is_err());
        // min 0, one field whose TTL would sit past 48 bits.
        let mut body = vec![0u8; 8];
        write_len(&mut body, 1);
        write_len(&mut body, u64::MAX);
        write_string(&mut body, b"f", false);
        write_string(&mut body, b"v", false);
        assert!(load(&body, types::HASH_METADATA).is_err());
        // min 0 and a relative TTL of 5: deadline 4.
        let mut body = vec![0u8; 8];
        write_len(&mut body, 1);
        write_len(&mut body, 5);
        write_string(&mut body, b"f", false);
        write_string(&mut body, b"v", false);
        let v = super::load(&mut Reader::new(&body), types::HASH_METADATA, &lo);
        assert!(matches!(v, Ok(Value::Hash(h)) if h.ttl_of(b"f") == Some(4)));
        // A listpack whose length is not a multiple of three.
        let mut lp = listpack::Builder::new();
        lp.push(b"f");
        lp.push(b"v");
        let mut body = vec![0u8; 8];
        write_string(&mut body, &lp.finish(), false);
        assert!(load(&body, types::HASH_LISTPACK_EX).is_err());
        // A deadline that is not an integer entry.
        let mut lp = listpack::Builder::new();
        lp.push(b"f");
        lp.push(b"v");
        lp.push(b"soon");
        let mut body = vec![0u8; 8];
        write_string(&mut body, &lp.finish(), false);
        assert!(load(&body, types::HASH_LISTPACK_EX).is_err());
        // Empty hashes are refused like other empty keys.
        let mut body = vec![0u8; 8];
        write_len(&mut body, 0);
        assert!(load(&body, types::HASH_METADATA).is_err());
    }

    #[test]
    fn plain_hashes_keep_the_7_0_types() {
        let mut h = volatile(3, false);
        h.persist_field(b"f0");
        h.persist_field(b"f1");
        assert_eq!(object_type(&h), types::HASH);
        let h = Hash::new();
        assert_eq!(object_type(&h), types::HASH_LISTPACK);
    }
}
