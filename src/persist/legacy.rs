//! Formats Redis no longer writes but still loads: ziplists (lists, hashes
//! and sorted sets before 7.0, quicklist nodes before 7.0) and zipmaps
//! (hashes before 2.6). Both are validated entry by entry before use.

use bytes::Bytes;

const ZL_HEADER: usize = 10;
const ZL_END: u8 = 0xFF;
const ZL_BIG_PREVLEN: u8 = 254;

/// Bytes the encoding header of an entry takes, by its first byte; 0 when
/// the byte is not a valid encoding.
fn zl_len_size(enc: u8) -> usize {
    match enc {
        0x00..=0x3F => 1,
        0x40..=0x7F => 2,
        0x80..=0xBF => 5,
        0xC0 | 0xD0 | 0xE0 | 0xF0 | 0xFE => 1,
        0xF1..=0xFD => 1,
        _ => 0,
    }
}

/// Data bytes of an integer encoding.
fn zl_int_size(enc: u8) -> usize {
    match enc {
        0xFE => 1,
        0xC0 => 2,
        0xF0 => 3,
        0xD0 => 4,
        0xE0 => 8,
        _ => 0,
    }
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Validates a ziplist as Redis's deep check does and returns its entries
/// as strings (integers in decimal).
pub fn ziplist_entries(zl: &[u8]) -> Option<Vec<Bytes>> {
    let size = zl.len();
    if size < ZL_HEADER + 1 {
        return None;
    }
    if le_u32(&zl[0..4]) as usize != size || zl[size - 1] != ZL_END {
        return None;
    }
    let tail = le_u32(&zl[4..8]) as usize;
    if tail > size - 1 {
        return None;
    }
    let header_count = usize::from(u16::from_le_bytes([zl[8], zl[9]]));
    let last = (size - 1) as u64;
    let out_of_range = |p: u64| p < ZL_HEADER as u64 || p > last;
    let mut out = Vec::new();
    let mut p = ZL_HEADER;
    let mut prev_raw = 0u64;
    let mut prev: Option<usize> = None;
    while zl[p] != ZL_END {
        let prevlen_size = if zl[p] < ZL_BIG_PREVLEN { 1 } else { 5 };
        if out_of_range((p + prevlen_size) as u64) {
            return None;
        }
        let enc_at = p + prevlen_size;
        let raw_enc = zl[enc_at];
        let enc = if raw_enc < 0xC0 {
            raw_enc & 0xC0
        } else {
            raw_enc
        };
        let lensize = zl_len_size(raw_enc);
        if lensize == 0 || out_of_range((enc_at + lensize) as u64) {
            return None;
        }
        let prevlen = if prevlen_size == 1 {
            u64::from(zl[p])
        } else {
            u64::from(le_u32(&zl[p + 1..p + 5]))
        };
        let len = match enc {
            0x00 => u64::from(zl[enc_at] & 0x3F),
            0x40 => (u64::from(zl[enc_at] & 0x3F) << 8) | u64::from(zl[enc_at + 1]),
            0x80 => u64::from(u32::from_be_bytes([
                zl[enc_at + 1],
                zl[enc_at + 2],
                zl[enc_at + 3],
                zl[enc_at + 4],
            ])),
            _ => zl_int_size(enc) as u64,
        };
        let header = (prevlen_size + lensize) as u64;
        let end = p as u64 + header + len;
        if out_of_range(end) || (p as u64) < prevlen || out_of_range(p as u64 - prevlen) {
            return None;
        }
        if prevlen != prev_raw {
            return None;
        }
        let data = &zl[(p + header as usize)..end as usize];
        out.push(if enc < 0xC0 {
            Bytes::copy_from_slice(data)
        } else {
            let v: i64 = match enc {
                0xFE => i64::from(data[0] as i8),
                0xC0 => i64::from(i16::from_le_bytes([data[0], data[1]])),
                0xF0 => i64::from(i32::from_le_bytes([0, data[0], data[1], data[2]]) >> 8),
                0xD0 => i64::from(i32::from_le_bytes([data[0], data[1], data[2], data[3]])),
                0xE0 => {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(data);
                    i64::from_le_bytes(b)
                }
                imm => i64::from(imm & 0x0F) - 1,
            };
            Bytes::from(crate::num::format_i64(v).as_bytes().to_vec())
        });
        prev_raw = header + len;
        prev = Some(p);
        p = end as usize;
    }
    if p != size - 1 || prev.is_some_and(|q| q != tail) {
        return None;
    }
    if header_count != usize::from(u16::MAX) && out.len() != header_count {
        return None;
    }
    Some(out)
}

const ZM_BIGLEN: u8 = 254;
const ZM_END: u8 = 0xFF;

/// Validates a zipmap and returns its field/value pairs.
pub fn zipmap_pairs(zm: &[u8]) -> Option<Vec<(Bytes, Bytes)>> {
    let size = zm.len();
    if size < 2 || zm[size - 1] != ZM_END {
        return None;
    }
    let last = (size - 1) as u64;
    let out_of_range = |p: u64| p < 2 || p > last;
    // A length: one byte, or 254 followed by a u32.
    let read_len = |p: usize| -> Option<(u64, usize)> {
        let s = if zm[p] < ZM_BIGLEN { 1 } else { 5 };
        if out_of_range((p + s) as u64) {
            return None;
        }
        let l = if s == 1 {
            u64::from(zm[p])
        } else {
            u64::from(le_u32(&zm[p + 1..p + 5]))
        };
        Some((l, s))
    };
    let mut pairs = Vec::new();
    let mut p = 1usize;
    while zm[p] != ZM_END {
        let (flen, s) = read_len(p)?;
        let field_at = p + s;
        let after = field_at as u64 + flen;
        if out_of_range(after) {
            return None;
        }
        p = after as usize;
        let (vlen, s) = read_len(p)?;
        let free = u64::from(zm[p + s]);
        let value_at = p + s + 1;
        let after = value_at as u64 + vlen + free;
        if out_of_range(after) {
            return None;
        }
        pairs.push((
            Bytes::copy_from_slice(&zm[field_at..field_at + flen as usize]),
            Bytes::copy_from_slice(&zm[value_at..value_at + vlen as usize]),
        ));
        p = after as usize;
    }
    if pairs.is_empty() || (zm[0] != ZM_BIGLEN && usize::from(zm[0]) != pairs.len()) {
        return None;
    }
    Some(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist as Redis 6 wrote `RPUSH l a 1 -5 300 70000 5000000000`.
    fn sample_ziplist() -> Vec<u8> {
        let entries: Vec<Vec<u8>> = vec![
            vec![0x01, b'a'],
            vec![0xF2],
            vec![0xFE, 0xFB],
            vec![0xC0, 0x2C, 0x01],
            vec![0xF0, 0x70, 0x11, 0x01],
            vec![0xE0, 0x00, 0xF2, 0x05, 0x2A, 0x01, 0, 0, 0],
        ];
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = 0usize;
        for e in &entries {
            tail = ZL_HEADER + body.len();
            body.push(prev as u8);
            body.extend_from_slice(e);
            prev = 1 + e.len();
        }
        let total = ZL_HEADER + body.len() + 1;
        let mut zl = Vec::new();
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(ZL_END);
        zl
    }

    #[test]
    fn reads_every_ziplist_encoding() {
        let got = ziplist_entries(&sample_ziplist()).unwrap();
        let want: Vec<&[u8]> = vec![b"a", b"1", b"-5", b"300", b"70000", b"5000000000"];
        assert_eq!(got.iter().map(|b| b.as_ref()).collect::<Vec<_>>(), want);
    }

    #[test]
    fn corrupt_ziplists_never_panic() {
        let zl = sample_ziplist();
        for i in 0..zl.len() {
            for v in [0u8, 1, 0x7F, 0xC1, 0xFE, 0xFF] {
                let mut bad = zl.clone();
                bad[i] = v;
                let _ = ziplist_entries(&bad);
            }
            let _ = ziplist_entries(&zl[..i]);
        }
    }

    #[test]
    fn reads_zipmaps() {
        // {"f": "v", "n": "123"} with one free byte after "v".
        let zm = [
            2, 1, b'f', 1, 1, b'v', 0, 1, b'n', 3, 0, b'1', b'2', b'3', 0xFF,
        ];
        let pairs = zipmap_pairs(&zm).unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].1.as_ref(), b"123");
        for i in 0..zm.len() {
            let mut bad = zm;
            bad[i] = 0xFE;
            let _ = zipmap_pairs(&bad);
        }
    }
}
