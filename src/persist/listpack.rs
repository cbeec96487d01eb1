//! The listpack format (Redis 7.0's small hashes, sorted sets and list
//! nodes): a 6-byte header (total bytes u32 LE, element count u16 LE,
//! 65535 meaning "unknown"), entries, and a 0xFF terminator.
//!
//! Each entry is an encoding byte (with the length or a small integer),
//! the data, then a "backlen": the entry's size written backwards in 7-bit
//! groups so the list can be walked from the end.

use bytes::Bytes;

const HDR: usize = 6;
const EOF: u8 = 0xFF;
const NUMELE_UNKNOWN: usize = u16::MAX as usize;

/// One decoded entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Entry<'_> {
    /// The entry as the string Redis hands out (integers in decimal).
    pub fn to_bytes(self) -> Bytes {
        match self {
            Entry::Int(v) => Bytes::from(crate::num::format_i64(v).as_bytes().to_vec()),
            Entry::Str(s) => Bytes::copy_from_slice(s),
        }
    }

    /// The entry as raw bytes or decimal text, without allocating for strings.
    pub fn with_bytes<R>(self, f: impl FnOnce(&[u8]) -> R) -> R {
        match self {
            Entry::Int(v) => f(crate::num::format_i64(v).as_bytes()),
            Entry::Str(s) => f(s),
        }
    }
}

/// Builds a listpack the way `lpAppend` does: strings that read as a
/// canonical 64-bit integer are stored in the smallest integer encoding.
#[derive(Clone, Debug)]
pub struct Builder {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    pub fn new() -> Builder {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; HDR]);
        Builder { buf, count: 0 }
    }

    /// Bytes the finished listpack would have now (header and terminator
    /// included), as quicklist's fill rules measure a node.
    pub fn total_bytes(&self) -> usize {
        self.buf.len() + 1
    }

    /// Number of entries so far.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends an element, integer-encoded when it reads as one.
    pub fn push(&mut self, s: &[u8]) {
        match crate::num::parse_i64(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    /// Appends an integer entry.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = if v < 0 { (1 << 13) + v } else { v } as u16;
            self.buf.push(((u >> 8) as u8) | 0xC0);
            self.buf.push(u as u8);
        } else if (-32768..=32767).contains(&v) {
            self.buf.push(0xF1);
            self.buf.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            self.buf.push(0xF2);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (-2_147_483_648..=2_147_483_647).contains(&v) {
            self.buf.push(0xF3);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            self.buf.push(0xF4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    /// Appends a string entry as is.
    pub fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf.push(0xE0 | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else {
            self.buf.push(0xF0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.finish_entry(start);
    }

    fn finish_entry(&mut self, start: usize) {
        let l = (self.buf.len() - start) as u64;
        encode_backlen(&mut self.buf, l);
        self.count += 1;
    }

    /// The finished listpack bytes.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let n = self.count.min(NUMELE_UNKNOWN) as u16;
        self.buf[4..6].copy_from_slice(&n.to_le_bytes());
        self.buf
    }
}

/// Size in bytes of the backlen of an entry of `l` bytes.
fn backlen_size(l: u64) -> u64 {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

fn encode_backlen(out: &mut Vec<u8>, l: u64) {
    let n = backlen_size(l);
    // Most significant group first; every byte but the first carries the
    // continuation bit, so reading backwards stops at the first byte.
    for k in (0..n).rev() {
        let group = ((l >> (7 * k)) & 127) as u8;
        out.push(if k == n - 1 { group } else { group | 128 });
    }
}

/// Reads a backlen ending at `lp[end]`, walking backwards; `None` when it
/// runs over five bytes (or off the buffer).
fn decode_backlen(lp: &[u8], end: usize) -> Option<u64> {
    let mut val = 0u64;
    let mut shift = 0u32;
    let mut p = end;
    loop {
        let b = lp[p];
        val |= u64::from(b & 127) << shift;
        if b & 128 == 0 {
            return Some(val);
        }
        shift += 7;
        if shift > 28 || p == 0 {
            return None;
        }
        p -= 1;
    }
}

/// Bytes taken by the encoding byte(s) of the entry at `p`; 0 if invalid.
fn encoded_size_bytes(b: u8) -> usize {
    match b {
        0x00..=0xDF => 1,
        0xE0..=0xEF => 2,
        0xF0 => 5,
        0xF1..=0xF4 => 1,
        0xFF => 1,
        _ => 0,
    }
}

/// Encoding plus data size of the entry at `p` (its header must be readable).
fn encoded_size(lp: &[u8], p: usize) -> u64 {
    let b = lp[p];
    match b {
        0x00..=0x7F => 1,
        0x80..=0xBF => 1 + u64::from(b & 0x3F),
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 2 + ((u64::from(b & 0x0F) << 8) | u64::from(lp[p + 1])),
        0xF0 => {
            5 + u64::from(u32::from_le_bytes([
                lp[p + 1],
                lp[p + 2],
                lp[p + 3],
                lp[p + 4],
            ]))
        }
        0xF1 => 3,
        0xF2 => 4,
        0xF3 => 5,
        0xF4 => 9,
        _ => 1,
    }
}

/// The value of a validated entry at `p`.
fn entry_at(lp: &[u8], p: usize) -> Entry<'_> {
    let b = lp[p];
    let le = |n: usize| -> u64 {
        let mut v = 0u64;
        for k in 0..n {
            v |= u64::from(lp[p + 1 + k]) << (8 * k);
        }
        v
    };
    // Two's complement of an n-bit field.
    let signed = |u: u64, bits: u32| -> i64 {
        let shift = 64 - bits;
        ((u << shift) as i64) >> shift
    };
    match b {
        0x00..=0x7F => Entry::Int(i64::from(b)),
        0x80..=0xBF => {
            let n = usize::from(b & 0x3F);
            Entry::Str(&lp[p + 1..p + 1 + n])
        }
        0xC0..=0xDF => {
            let u = (u64::from(b & 0x1F) << 8) | u64::from(lp[p + 1]);
            Entry::Int(signed(u, 13))
        }
        0xE0..=0xEF => {
            let n = (usize::from(b & 0x0F) << 8) | usize::from(lp[p + 1]);
            Entry::Str(&lp[p + 2..p + 2 + n])
        }
        0xF0 => {
            let n = le(4) as usize;
            Entry::Str(&lp[p + 5..p + 5 + n])
        }
        0xF1 => Entry::Int(signed(le(2), 16)),
        0xF2 => Entry::Int(signed(le(3), 24)),
        0xF3 => Entry::Int(signed(le(4), 32)),
        _ => Entry::Int(le(8) as i64),
    }
}

/// Validates a whole listpack entry by entry, as Redis's deep sanitization
/// does, and returns its entries; `None` if anything is out of place.
pub fn entries(lp: &[u8]) -> Option<Vec<Entry<'_>>> {
    Some(entries_sized(lp)?.into_iter().map(|(e, _)| e).collect())
}

/// Like [`entries`], with the bytes each entry takes in the listpack
/// (encoding, data and back-length).
pub fn entries_sized(lp: &[u8]) -> Option<Vec<(Entry<'_>, usize)>> {
    let size = lp.len();
    if size < HDR + 1 {
        return None;
    }
    let total = u32::from_le_bytes([lp[0], lp[1], lp[2], lp[3]]) as usize;
    if total != size || lp[size - 1] != EOF {
        return None;
    }
    let numele = usize::from(u16::from_le_bytes([lp[4], lp[5]]));
    let out_of_range = |p: u64| p < HDR as u64 || p > (size - 1) as u64;
    let mut out = Vec::with_capacity(numele.min(size / 2));
    let mut p = HDR;
    while lp[p] != EOF {
        let lenbytes = encoded_size_bytes(lp[p]);
        if lenbytes == 0 || out_of_range((p + lenbytes) as u64) {
            return None;
        }
        let entrylen = encoded_size(lp, p);
        let backlen = backlen_size(entrylen);
        let whole = entrylen + backlen;
        let next = p as u64 + whole;
        if out_of_range(next) {
            return None;
        }
        let next = next as usize;
        if decode_backlen(lp, next - 1)? + backlen != whole {
            return None;
        }
        out.push((entry_at(lp, p), next - p));
        p = next;
    }
    if numele != NUMELE_UNKNOWN && numele != out.len() {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_reads_back_every_encoding() {
        let values: Vec<Vec<u8>> = [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "4096",
            "-32768",
            "32767",
            "32768",
            "-8388608",
            "8388607",
            "8388608",
            "-2147483648",
            "2147483647",
            "2147483648",
            "-9223372036854775808",
            "9223372036854775807",
            "",
            "a",
            "01",
            "-0",
            "1.5",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 4095],
            vec![b'w'; 4096],
        ])
        .collect();
        let mut b = Builder::new();
        for v in &values {
            b.push(v);
        }
        let lp = b.finish();
        let got: Vec<Vec<u8>> = entries(&lp)
            .unwrap()
            .into_iter()
            .map(|e| e.to_bytes().to_vec())
            .collect();
        assert_eq!(got, values);
    }

    #[test]
    fn exact_bytes_of_a_small_listpack() {
        // lpAppend("a"), lpAppend("1"), lpAppend("-2000") on Redis.
        let mut b = Builder::new();
        b.push(b"a");
        b.push(b"1");
        b.push(b"-2000");
        let lp = b.finish();
        assert_eq!(
            lp,
            vec![15, 0, 0, 0, 3, 0, 0x81, b'a', 2, 1, 1, 0xD8, 0x30, 2, 0xFF]
        );
    }

    #[test]
    fn rejects_corruption() {
        let mut b = Builder::new();
        b.push(b"hello");
        b.push(b"42");
        let lp = b.finish();
        assert!(entries(&lp).is_some());
        for i in 0..lp.len() {
            for bit in 0..8 {
                let mut bad = lp.clone();
                bad[i] ^= 1 << bit;
                // Must never panic; most flips are rejected.
                let _ = entries(&bad);
            }
        }
        assert!(entries(&lp[..lp.len() - 1]).is_none());
    }
}
