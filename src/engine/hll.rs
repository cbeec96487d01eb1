//! HyperLogLog as Redis 7.0 stores it: a plain string value whose bytes are
//! a 16-byte header (`HYLL`, encoding byte, three reserved bytes, the cached
//! cardinality little-endian with its top bit meaning "stale") followed by
//! 16384 six-bit registers, either packed (dense, 12288 bytes) or
//! run-length coded (sparse).
//!
//! The stored bytes must be identical to what redis-server would hold after
//! the same commands, because clients GET them from one server and SET them
//! into another. So every mutation here follows Redis's exact sequence of
//! edits, including the local re-merging of sparse runs, and every reader
//! accepts the same malformed inputs Redis accepts (corrupt strings are
//! user-writable with SET).
//!
//! Sparse opcodes (one register run each):
//! - `00xxxxxx`: ZERO, 1..=64 zero registers;
//! - `01xxxxxx yyyyyyyy`: XZERO, 1..=16384 zero registers;
//! - `1vvvvvxx`: VAL, 1..=4 registers of value 1..=32.

/// Header bytes before the registers.
pub const HDR_SIZE: usize = 16;
/// Number of registers (2^14).
pub const REGISTERS: usize = 1 << 14;
/// Hash bits left after the register index (64 - 14).
const Q: usize = 50;
const REGISTER_MAX: u8 = 63;
/// Length of a dense HLL string.
pub const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * 6).div_ceil(8);
/// The encoding byte values.
pub const DENSE: u8 = 0;
pub const SPARSE: u8 = 1;
/// MurmurHash64A seed Redis hashes elements with.
const SEED: u64 = 0xadc8_3b19;
/// 0.5 / ln(2), the estimator's alpha for m -> infinity.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: u8 = 4;
const ZERO_MAX_LEN: i64 = 64;
const XZERO_MAX_LEN: i64 = 16384;

/// The HLL's sparse representation is inconsistent (Redis's
/// `INVALIDOBJ Corrupted HLL object detected`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt;

/// MurmurHash2, 64-bit variant, reading 8-byte blocks little-endian (Redis
/// made it endian-neutral, so the result is the same on every platform).
pub fn murmur64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut blocks = key.chunks_exact(8);
    for block in &mut blocks {
        let mut k = u64::from_le_bytes(block.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element maps to and the length of its `0...01` run
/// (1..=51) in the hash bits above the index.
pub fn pattern(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    // The sentinel bit caps the run at Q + 1.
    let rest = (hash >> 14) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// True if `data` passes Redis's HLL check: long enough for the header,
/// `HYLL` magic, a known encoding, and the exact size when dense. Sparse
/// bodies are only checked when walked.
pub fn is_valid(data: &[u8]) -> bool {
    data.len() >= HDR_SIZE
        && &data[..4] == b"HYLL"
        && data[4] <= SPARSE
        && (data[4] != DENSE || data.len() == DENSE_SIZE)
}

/// A new, empty HLL: sparse, one XZERO covering every register, and a
/// (valid) cached cardinality of 0.
pub fn empty() -> Vec<u8> {
    let mut v = Vec::with_capacity(64);
    v.extend_from_slice(b"HYLL");
    v.push(SPARSE);
    v.resize(HDR_SIZE, 0);
    let mut left = REGISTERS as i64;
    while left > 0 {
        let run = left.min(XZERO_MAX_LEN);
        v.extend_from_slice(&xzero_op(run));
        left -= run;
    }
    v
}

/// The cached cardinality if it is marked valid.
pub fn cached_card(data: &[u8]) -> Option<u64> {
    let card: [u8; 8] = data.get(8..16)?.try_into().ok()?;
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

/// Stores `card` as the (valid) cached cardinality.
pub fn set_card(data: &mut [u8], card: u64) {
    if let Some(slot) = data.get_mut(8..16) {
        slot.copy_from_slice(&card.to_le_bytes());
    }
}

/// Marks the cached cardinality stale (its other bits stay as they were).
pub fn invalidate(data: &mut [u8]) {
    if let Some(b) = data.get_mut(15) {
        *b |= 0x80;
    }
}

/// The byte at `i`, or 0 past the end: Redis reads the string's hidden NUL
/// terminator when an XZERO opcode is cut short at the end.
#[inline]
fn at(data: &[u8], i: usize) -> u8 {
    data.get(i).copied().unwrap_or(0)
}

#[inline]
fn is_zero(b: u8) -> bool {
    b & 0xc0 == 0
}

#[inline]
fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}

#[inline]
fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}

#[inline]
fn zero_len(b: u8) -> i64 {
    i64::from(b & 0x3f) + 1
}

#[inline]
fn xzero_len(b: u8, next: u8) -> i64 {
    ((i64::from(b & 0x3f) << 8) | i64::from(next)) + 1
}

#[inline]
fn val_value(b: u8) -> u8 {
    ((b >> 2) & 0x1f) + 1
}

#[inline]
fn val_len(b: u8) -> i64 {
    i64::from(b & 0x3) + 1
}

#[inline]
fn val_op(value: u8, len: i64) -> u8 {
    (((value - 1) << 2) | (len as u8 - 1)) | 0x80
}

#[inline]
fn zero_op(len: i64) -> u8 {
    (len - 1) as u8
}

#[inline]
fn xzero_op(len: i64) -> [u8; 2] {
    let l = len - 1;
    [((l >> 8) as u8) | 0x40, (l & 0xff) as u8]
}

/// A dense register. The last register's second byte lies past the
/// array; Redis reads the NUL terminator there, which contributes nothing.
#[inline]
fn get_reg(regs: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = u32::from(at(regs, byte));
    let b1 = u32::from(at(regs, byte + 1));
    (((b0 >> fb) | (b1 << (8 - fb))) & u32::from(REGISTER_MAX)) as u8
}

#[inline]
fn set_reg(regs: &mut [u8], i: usize, val: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = u32::from(val);
    let max = u32::from(REGISTER_MAX);
    if let Some(b) = regs.get_mut(byte) {
        *b = ((u32::from(*b) & !(max << fb)) | (v << fb)) as u8;
    }
    if let Some(b) = regs.get_mut(byte + 1) {
        *b = ((u32::from(*b) & !(max >> (8 - fb))) | (v >> (8 - fb))) as u8;
    }
}

/// Raises dense register `index` to `count`; true if it changed.
#[inline]
fn dense_set(regs: &mut [u8], index: usize, count: u8) -> bool {
    if count > get_reg(regs, index) {
        set_reg(regs, index, count);
        true
    } else {
        false
    }
}

/// Sets register `i` of a dense HLL (PFSELFTEST).
pub fn set_register(data: &mut [u8], i: usize, val: u8) {
    if let Some(regs) = data.get_mut(HDR_SIZE..) {
        set_reg(regs, i, val & REGISTER_MAX);
    }
}

/// Every register of a dense HLL (PFDEBUG GETREG).
pub fn dense_registers(data: &[u8]) -> Vec<u8> {
    let regs = data.get(HDR_SIZE..).unwrap_or(&[]);
    (0..REGISTERS).map(|i| get_reg(regs, i)).collect()
}

/// The register runs of a sparse body, in order: `(run length, value)`.
/// Fails as soon as the runs pass the last register, or if they end short
/// of it (the Debian build of Redis 7.0.15 carries the CVE-2025-32023
/// fix, which rejects any overrun, trailing opcodes included).
fn walk(body: &[u8], mut visit: impl FnMut(usize, usize, u8)) -> Result<(), Corrupt> {
    let mut idx = 0usize;
    let mut p = 0;
    while p < body.len() {
        let b = body[p];
        let (run, value) = if is_zero(b) {
            p += 1;
            (zero_len(b), 0)
        } else if is_xzero(b) {
            p += 2;
            (xzero_len(b, at(body, p - 1)), 0)
        } else {
            p += 1;
            (val_len(b), val_value(b))
        };
        let run = run as usize;
        if idx + run > REGISTERS {
            return Err(Corrupt);
        }
        visit(idx, run, value);
        idx += run;
    }
    if idx != REGISTERS {
        return Err(Corrupt);
    }
    Ok(())
}

/// Converts a sparse HLL to dense in place, keeping the header (cached
/// cardinality and reserved bytes included). Returns false if it was
/// already dense.
pub fn sparse_to_dense(data: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if data.get(4) == Some(&DENSE) {
        return Ok(false);
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    let hdr = HDR_SIZE.min(data.len());
    dense[..hdr].copy_from_slice(&data[..hdr]);
    dense[4] = DENSE;
    let regs = &mut dense[HDR_SIZE..];
    walk(data.get(HDR_SIZE..).unwrap_or(&[]), |start, run, value| {
        if value != 0 {
            for i in start..start + run {
                set_reg(regs, i, value);
            }
        }
    })?;
    *data = dense;
    Ok(true)
}

/// Raises register `index` of a sparse HLL to `count`, splitting and
/// re-merging runs in place, or promotes the HLL to dense when the value
/// does not fit a VAL opcode or the string would outgrow `max_bytes`.
/// Returns whether a register changed.
pub fn sparse_set(
    data: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(data, index, count);
    }
    let index = index as i64;
    let end = data.len();

    // Find the opcode covering `index`.
    let mut p = HDR_SIZE;
    let mut first: i64 = 0;
    let mut prev: Option<usize> = None;
    let mut span: i64 = 0;
    while p < end {
        let b = data[p];
        let mut oplen = 1;
        span = if is_zero(b) {
            zero_len(b)
        } else if is_val(b) {
            val_len(b)
        } else {
            oplen = 2;
            xzero_len(b, at(data, p + 1))
        };
        if index < first + span {
            break;
        }
        prev = Some(p);
        p += oplen;
        first += span;
    }
    if span == 0 || p >= end {
        return Err(Corrupt);
    }
    let op = data[p];
    let oldlen = if is_xzero(op) { 2 } else { 1 };

    let changed_in_place = if is_val(op) {
        if val_value(op) >= count {
            return Ok(false);
        }
        span == 1
    } else {
        is_zero(op) && span == 1
    };
    if changed_in_place {
        data[p] = val_op(count, 1);
    } else {
        // Split the run into up to three opcodes around `index`.
        let mut seq: Vec<u8> = Vec::with_capacity(5);
        let last = first + span - 1;
        if is_val(op) {
            let cur = val_value(op);
            if index != first {
                seq.push(val_op(cur, index - first));
            }
            seq.push(val_op(count, 1));
            if index != last {
                seq.push(val_op(cur, last - index));
            }
        } else {
            let push_zeros = |seq: &mut Vec<u8>, len: i64| {
                if len > ZERO_MAX_LEN {
                    seq.extend_from_slice(&xzero_op(len));
                } else {
                    seq.push(zero_op(len));
                }
            };
            if index != first {
                push_zeros(&mut seq, index - first);
            }
            seq.push(val_op(count, 1));
            if index != last {
                push_zeros(&mut seq, last - index);
            }
        }
        let delta = seq.len() as i64 - oldlen as i64;
        if delta > 0 && end as i64 + delta > max_bytes as i64 {
            return promote(data, index as usize, count);
        }
        let new_len = (end as i64 + delta) as usize;
        data.splice(p..(p + oldlen).min(end), seq);
        // An XZERO cut short at the end had its missing byte read as the
        // terminator; Redis's length arithmetic then leaves the last byte
        // just past the string, where its later reads of a cut XZERO find
        // it. That byte is not kept here (reads see 0), the one known way
        // a corrupt HLL can evolve differently from Redis.
        data.truncate(new_len);
    }

    // Merge adjacent VAL opcodes of equal value, looking at up to five
    // opcodes from the one before the change.
    let mut p = prev.unwrap_or(HDR_SIZE);
    let mut scan = 5;
    while p < data.len() && scan > 0 {
        scan -= 1;
        let b = data[p];
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if is_zero(b) {
            p += 1;
            continue;
        }
        if p + 1 < data.len() && is_val(data[p + 1]) {
            let next = data[p + 1];
            let len = val_len(b) + val_len(next);
            if val_value(b) == val_value(next) && len <= i64::from(VAL_MAX_LEN) {
                data[p + 1] = val_op(val_value(b), len);
                data.remove(p);
                continue;
            }
        }
        p += 1;
    }
    invalidate(data);
    Ok(true)
}

/// Converts to dense and sets the register there.
fn promote(data: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    sparse_to_dense(data)?;
    let regs = data.get_mut(HDR_SIZE..).unwrap_or(&mut []);
    Ok(dense_set(regs, index, count))
}

/// Raises register `index` to `count` in either encoding.
pub fn set(data: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    match data.get(4) {
        Some(&DENSE) => {
            let regs = data.get_mut(HDR_SIZE..).unwrap_or(&mut []);
            Ok(dense_set(regs, index, count))
        }
        Some(&SPARSE) => sparse_set(data, index, count, max_bytes),
        _ => Err(Corrupt),
    }
}

/// Adds one element; true if a register changed.
pub fn add(data: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(ele);
    set(data, index, count, max_bytes)
}

/// Register-value histogram of a dense or sparse HLL.
fn histogram(data: &[u8]) -> Result<[i32; 64], Corrupt> {
    let mut h = [0i32; 64];
    let body = data.get(HDR_SIZE..).unwrap_or(&[]);
    if data.get(4) == Some(&DENSE) {
        for i in 0..REGISTERS {
            h[get_reg(body, i) as usize] += 1;
        }
    } else {
        walk(body, |_, run, value| h[value as usize] += run as i32)?;
    }
    Ok(h)
}

/// The cardinality estimate of a dense or sparse HLL (ignoring the cache).
pub fn count(data: &[u8]) -> Result<u64, Corrupt> {
    Ok(estimate(&histogram(data)?))
}

/// Folds an HLL into `max` (one byte per register) as the register-wise
/// maximum (PFCOUNT of several keys, PFMERGE).
pub fn merge(max: &mut [u8], data: &[u8]) -> Result<(), Corrupt> {
    let body = data.get(HDR_SIZE..).unwrap_or(&[]);
    if data.get(4) == Some(&DENSE) {
        for (i, m) in max.iter_mut().enumerate().take(REGISTERS) {
            *m = (*m).max(get_reg(body, i));
        }
        return Ok(());
    }
    walk(body, |start, run, value| {
        for m in max.iter_mut().skip(start).take(run) {
            *m = (*m).max(value);
        }
    })
}

/// The estimate for registers held one per byte (the result of [`merge`]).
pub fn count_raw(max: &[u8]) -> u64 {
    let mut h = [0i32; 64];
    for &v in max.iter().take(REGISTERS) {
        h[(v & 63) as usize] += 1;
    }
    estimate(&h)
}

/// Ertl's sigma function (arXiv:1702.01284), evaluated in the same order
/// Redis does so results agree to the last bit.
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let prev = z;
        z += x * y;
        y += y;
        if prev == z {
            return z;
        }
    }
}

/// Ertl's tau function.
fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let prev = z;
        y *= 0.5;
        let d = 1.0 - x;
        z -= d * d * y;
        if prev == z {
            return z / 3.0;
        }
    }
}

/// Ertl's improved raw estimator over the register histogram, as Redis
/// 7.0 computes it (registers above Q + 1 are ignored).
pub fn estimate(h: &[i32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(h[Q + 1])) / m);
    for j in (1..=Q).rev() {
        z += f64::from(h[j]);
        z *= 0.5;
    }
    z += m * sigma(f64::from(h[0]) / m);
    to_card(ALPHA_INF * m * m / z)
}

/// Redis's `(uint64_t)(double)llroundl(e)` on x86-64: rounding half away
/// from zero, with results outside the `long long` range (crafted
/// registers can give them, or infinity) coming out as 2^63.
fn to_card(e: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let r = e.round();
    let ll = if r.is_finite() && (-TWO_63..TWO_63).contains(&r) {
        r as i64
    } else {
        i64::MIN
    };
    let d = ll as f64;
    if d >= TWO_63 {
        ((d - TWO_63) as i64 as u64) ^ (1 << 63)
    } else {
        d as i64 as u64
    }
}

/// PFDEBUG DECODE's text for a sparse HLL.
pub fn decode(data: &[u8]) -> String {
    use std::fmt::Write;
    let body = data.get(HDR_SIZE..).unwrap_or(&[]);
    let mut out = String::new();
    let mut p = 0;
    while p < body.len() {
        let b = body[p];
        if is_zero(b) {
            let _ = write!(out, "z:{} ", zero_len(b));
            p += 1;
        } else if is_xzero(b) {
            let _ = write!(out, "Z:{} ", xzero_len(b, at(body, p + 1)));
            p += 2;
        } else {
            let _ = write!(out, "v:{},{} ", val_value(b), val_len(b));
            p += 1;
        }
    }
    out.truncate(out.trim_end_matches(' ').len());
    out
}

#[cfg(test)]
#[path = "hll_tests.rs"]
mod tests;
