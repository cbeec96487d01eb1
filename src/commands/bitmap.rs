//! Bitmap commands: bit access to string values (SETBIT, GETBIT,
//! BITCOUNT, BITPOS, BITOP) and BITFIELD's integer fields.
//!
//! Bit 0 is the most significant bit of the first byte. Commands that write
//! bits grow the string with zero bytes as needed and leave it `raw`
//! encoded: Redis unshares the value for in-place edits even when no bit
//! ends up changing.

use bytes::Bytes;

use super::args::{self, is};
use super::flags::*;
use super::traits::CACHEABLE;
use super::{Command, Ctx, Group};
use crate::engine::notify;
use crate::engine::value::{Str, Value};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;

#[cfg(test)]
#[path = "bitgeo_tests.rs"]
mod bitgeo_tests;

const G: Group = Group::Bitmap;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("setbit", 4, WRITE | DENYOOM, G, setbit).keys(1, 1, 1),
    Command::new("getbit", 3, READONLY | FAST, G, getbit)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("bitcount", -2, READONLY, G, bitcount)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("bitpos", -3, READONLY, G, bitpos)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
    Command::new("bitop", -4, WRITE | DENYOOM, G, bitop).keys(2, -1, 1),
    Command::new("bitfield", -2, WRITE | DENYOOM, G, bitfield).keys(1, 1, 1),
    Command::new("bitfield_ro", -2, READONLY | FAST, G, bitfield_ro)
        .traits(CACHEABLE)
        .keys(1, 1, 1),
];

const BAD_OFFSET: Error = Error::err("ERR bit offset is not an integer or out of range");
const BAD_TYPE: Error = Error::err(
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
);

/// A bit offset argument. With `hash_bits`, BITFIELD's `#n` form means
/// `n * bits`. Offsets whose byte lies past `proto-max-bulk-len` fail.
fn bit_offset(ctx: &Ctx, arg: &[u8], hash_bits: Option<u32>) -> Result<u64, Error> {
    let (digits, mul) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], i64::from(bits)),
        _ => (arg, 1),
    };
    // Redis multiplies in plain C arithmetic, which wraps on overflow.
    let off = args::int(digits).map_err(|_| BAD_OFFSET)?.wrapping_mul(mul);
    if off < 0 || (off >> 3) as u64 >= ctx.store.config.proto_max_bulk_len {
        return Err(BAD_OFFSET);
    }
    Ok(off as u64)
}

/// Makes `key` a string long enough to address bit `max_bit` (creating it
/// or padding it with zero bytes) and marks it `raw`. Returns whether the
/// key was created and whether it changed size.
fn bit_target(ctx: &mut Ctx, key: &[u8], max_bit: u64) -> Result<(bool, bool), Error> {
    let now = ctx.now;
    let len = (max_bit >> 3) as usize + 1;
    let db = ctx.db();
    let created = !db.contains(key, now);
    let s = db.get_or_create::<Str>(key, now, || Value::Str(Str::raw(Bytes::new())))?;
    let grown = s.data.len() < len;
    if grown {
        s.data.edit(|buf| buf.resize(len, 0));
    }
    s.set_raw();
    Ok((created, grown))
}

/// The bytes of the string at `key` (empty if missing), or WRONGTYPE.
fn read_bytes(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Bytes>, Error> {
    let now = ctx.now;
    Ok(ctx.db().get::<Str>(key, now)?.map(|s| s.to_bytes()))
}

/// SETBIT key offset value
fn setbit(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let off = bit_offset(ctx, argv[2], None)?;
    let bad_bit = || Error::err("ERR bit is not an integer or out of range");
    let on = args::int(argv[3]).map_err(|_| bad_bit())?;
    if on & !1 != 0 {
        return Err(bad_bit());
    }
    let (created, grown) = bit_target(ctx, argv[1], off)?;
    let now = ctx.now;
    let Some(s) = ctx.db().get_mut::<Str>(argv[1], now)? else {
        return Ok(Frame::Integer(0));
    };
    let (byte, mask) = ((off >> 3) as usize, 0x80u8 >> (off & 7));
    let old = s.data[byte] & mask != 0;
    let changed = created || grown || old != (on == 1);
    if changed {
        s.data.edit(|buf| {
            if on == 1 {
                buf[byte] |= mask;
            } else {
                buf[byte] &= !mask;
            }
        });
        ctx.modified(argv[1], notify::STRING, "setbit");
    }
    Ok(Frame::Integer(i64::from(old)))
}

/// GETBIT key offset
fn getbit(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let off = bit_offset(ctx, argv[2], None)?;
    let data = read_bytes(ctx, argv[1])?.unwrap_or_default();
    let bit = data
        .get((off >> 3) as usize)
        .is_some_and(|b| b & (0x80 >> (off & 7)) != 0);
    Ok(Frame::Integer(i64::from(bit)))
}

/// Parses BIT | BYTE.
fn unit_is_bit(arg: &[u8]) -> Result<bool, Error> {
    if is(arg, "bit") {
        Ok(true)
    } else if is(arg, "byte") {
        Ok(false)
    } else {
        Err(Error::Syntax)
    }
}

/// Clamps a start/end pair (negative counts from the end) to `[0, len)`
/// as BITCOUNT and BITPOS do, in bytes or in bits, and returns it as an
/// inclusive bit range (start > end when empty).
fn bit_range(start: i64, end: i64, len: i64, in_bits: bool) -> (i64, i64) {
    let total = if in_bits { len * 8 } else { len };
    let start = if start < 0 { total + start } else { start }.max(0);
    let end = if end < 0 { total + end } else { end }
        .max(0)
        .min(total - 1);
    if in_bits {
        (start, end)
    } else if start > end {
        (1, 0)
    } else {
        (start * 8, end * 8 + 7)
    }
}

/// BITCOUNT key [start end [BYTE | BIT]]
fn bitcount(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    // The key is looked up first: a missing key counts 0 whatever follows.
    let Some(data) = read_bytes(ctx, argv[1])? else {
        return Ok(Frame::Integer(0));
    };
    let total = data.len() as i64;
    let (first, last) = match argv.len() {
        2 => (0, total * 8 - 1),
        4 | 5 => {
            let start = args::int(argv[2])?;
            let end = args::int(argv[3])?;
            if start < 0 && end < 0 && start > end {
                return Ok(Frame::Integer(0));
            }
            let in_bits = argv.len() == 5 && unit_is_bit(argv[4])?;
            bit_range(start, end, total, in_bits)
        }
        _ => return Err(Error::Syntax),
    };
    if first > last {
        return Ok(Frame::Integer(0));
    }
    Ok(Frame::Integer(count_bits(&data, first as u64, last as u64)))
}

/// Set bits in the inclusive bit range (within the data).
fn count_bits(data: &[u8], first: u64, last: u64) -> i64 {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    let bytes = &data[fb..=lb];
    let mut n: u64 = popcount(bytes);
    // Subtract the bits of the edge bytes that fall outside the range.
    n -= u64::from((bytes[0] & !(0xffu8 >> (first & 7))).count_ones());
    n -= u64::from((bytes[bytes.len() - 1] & (0x7fu8 >> (last & 7))).count_ones());
    n as i64
}

fn popcount(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    let mut n: u64 = chunks
        .by_ref()
        .map(|c| {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            u64::from(u64::from_ne_bytes(w).count_ones())
        })
        .sum();
    n += chunks
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum::<u64>();
    n
}

/// BITPOS key bit [start [end [BYTE | BIT]]]
fn bitpos(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let bit = args::int(argv[2])?;
    if bit != 0 && bit != 1 {
        return Err(Error::err("ERR The bit argument must be 1 or 0."));
    }
    // A missing key is an endless run of zeros, whatever the range.
    let Some(data) = read_bytes(ctx, argv[1])? else {
        return Ok(Frame::Integer(if bit == 1 { -1 } else { 0 }));
    };
    let total = data.len() as i64;
    let mut end_given = false;
    let (first, last) = match argv.len() {
        3 => (0, total * 8 - 1),
        4..=6 => {
            let start = args::int(argv[3])?;
            let unit_bit = argv.len() == 6 && unit_is_bit(argv[5])?;
            let end = match argv.get(4) {
                Some(e) => {
                    end_given = true;
                    args::int(e)?
                }
                None => total - 1,
            };
            bit_range(start, end, total, unit_bit)
        }
        _ => return Err(Error::Syntax),
    };
    if first > last {
        return Ok(Frame::Integer(-1));
    }
    let found = find_bit(&data, first as u64, last as u64, bit == 1);
    Ok(Frame::Integer(match found {
        Some(pos) => pos as i64,
        // Without an explicit end, the string counts as zero-padded.
        None if bit == 0 && !end_given => last + 1,
        None => -1,
    }))
}

/// The first bit equal to `one` in the inclusive bit range.
fn find_bit(data: &[u8], first: u64, last: u64, one: bool) -> Option<u64> {
    let (fb, lb) = ((first >> 3) as usize, (last >> 3) as usize);
    for (i, &b) in data[fb..=lb].iter().enumerate() {
        let idx = fb + i;
        let mut mask = 0xffu8;
        if idx == fb {
            mask &= 0xff >> (first & 7);
        }
        if idx == lb {
            mask &= !(0x7fu8 >> (last & 7));
        }
        let hits = if one { b } else { !b } & mask;
        if hits != 0 {
            return Some(idx as u64 * 8 + u64::from(hits.leading_zeros()));
        }
    }
    None
}

/// BITOP AND | OR | XOR | NOT | DIFF | DIFF1 | ANDOR | ONE destkey key
/// [key ...]. Sources shorter than the longest read as zeros past their
/// end. The last four (Redis 8.2) take the first source as X and the rest
/// as Y1, Y2...: DIFF is X and none of the Ys, DIFF1 one or more Ys and
/// not X, ANDOR X and one or more Ys, ONE bits set in exactly one source.
fn bitop(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    #[derive(PartialEq, Clone, Copy)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
        Diff,
        Diff1,
        AndOr,
        One,
    }
    let op = match argv[1] {
        o if is(o, "and") => Op::And,
        o if is(o, "or") => Op::Or,
        o if is(o, "xor") => Op::Xor,
        o if is(o, "not") => Op::Not,
        o if is(o, "diff") => Op::Diff,
        o if is(o, "diff1") => Op::Diff1,
        o if is(o, "andor") => Op::AndOr,
        o if is(o, "one") => Op::One,
        _ => return Err(Error::Syntax),
    };
    if op == Op::Not && argv.len() != 4 {
        return Err(Error::err(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    if matches!(op, Op::Diff | Op::Diff1 | Op::AndOr) && argv.len() < 5 {
        return Err(Error::msg(format!(
            "ERR BITOP {} must be called with at least two source keys.",
            String::from_utf8_lossy(argv[1]).to_ascii_uppercase()
        )));
    }
    let mut srcs = Vec::with_capacity(argv.len() - 3);
    for key in &argv[3..] {
        srcs.push(read_bytes(ctx, key)?.unwrap_or_default());
    }
    let maxlen = srcs.iter().map(|s| s.len()).max().unwrap_or(0);
    let dst = argv[2];
    let now = ctx.now;
    if maxlen == 0 {
        if ctx.db().remove(dst, now).is_some() {
            ctx.modified(dst, notify::GENERIC, "del");
        }
        return Ok(Frame::Integer(0));
    }
    let mut out = vec![0u8; maxlen];
    out[..srcs[0].len()].copy_from_slice(&srcs[0]);
    // Folds `src` into `acc` byte by byte, reading zeros past its end.
    fn fold(acc: &mut [u8], src: &[u8], f: impl Fn(u8, u8) -> u8) {
        for (j, o) in acc.iter_mut().enumerate() {
            *o = f(*o, src.get(j).copied().unwrap_or(0));
        }
    }
    match op {
        Op::Not => out.iter_mut().for_each(|b| *b = !*b),
        Op::And | Op::Or | Op::Xor => {
            for src in &srcs[1..] {
                match op {
                    Op::And => fold(&mut out, src, |o, b| o & b),
                    Op::Or => fold(&mut out, src, |o, b| o | b),
                    _ => fold(&mut out, src, |o, b| o ^ b),
                }
            }
        }
        Op::Diff | Op::Diff1 | Op::AndOr => {
            let mut ys = vec![0u8; maxlen];
            for src in &srcs[1..] {
                fold(&mut ys, src, |o, b| o | b);
            }
            match op {
                Op::Diff => fold(&mut out, &ys, |x, y| x & !y),
                Op::Diff1 => fold(&mut out, &ys, |x, y| !x & y),
                _ => fold(&mut out, &ys, |x, y| x & y),
            }
        }
        Op::One => {
            // `out` holds the bits seen exactly once so far, `more` those
            // seen twice or more.
            let mut more = vec![0u8; maxlen];
            for src in &srcs[1..] {
                for (j, (once, more)) in out.iter_mut().zip(more.iter_mut()).enumerate() {
                    let b = src.get(j).copied().unwrap_or(0);
                    *more |= *once & b;
                    *once = (*once | b) & !*more;
                }
            }
        }
    }
    // Expire a stale destination first, so its replacement counts as new.
    ctx.db().contains(dst, now);
    ctx.db().set(dst, Value::Str(Str::raw(Bytes::from(out))));
    ctx.modified(dst, notify::STRING, "set");
    Ok(Frame::Integer(maxlen as i64))
}

/// BITFIELD key [GET type offset | [OVERFLOW WRAP | SAT | FAIL]
///   SET type offset value | INCRBY type offset increment ...]
fn bitfield(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    bitfield_generic(ctx, argv, false)
}

/// BITFIELD_RO key [GET type offset ...]
fn bitfield_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    bitfield_generic(ctx, argv, true)
}

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum FieldOp {
    Get,
    Set,
    Incr,
}

/// One parsed BITFIELD operation.
#[derive(Clone, Copy)]
struct Field {
    op: FieldOp,
    offset: u64,
    bits: u32,
    signed: bool,
    value: i64,
    overflow: Overflow,
}

/// A field type: `i1`..`i64` or `u1`..`u63` (the prefix is case-sensitive).
fn field_type(arg: &[u8]) -> Result<(bool, u32), Error> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(BAD_TYPE),
    };
    let bits = crate::num::parse_i64(&arg[1..]).ok_or(BAD_TYPE)?;
    let max = if signed { 64 } else { 63 };
    if !(1..=max).contains(&bits) {
        return Err(BAD_TYPE);
    }
    Ok((signed, bits as u32))
}

/// Parses the operations, reporting the first bad argument.
fn parse_fields(ctx: &Ctx, argv: &[&[u8]]) -> Result<Vec<Field>, Error> {
    let mut fields = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < argv.len() {
        let remaining = argv.len() - j - 1;
        let sub = argv[j];
        let op = if is(sub, "get") && remaining >= 2 {
            FieldOp::Get
        } else if is(sub, "set") && remaining >= 3 {
            FieldOp::Set
        } else if is(sub, "incrby") && remaining >= 3 {
            FieldOp::Incr
        } else if is(sub, "overflow") && remaining >= 1 {
            overflow = match argv[j + 1] {
                o if is(o, "wrap") => Overflow::Wrap,
                o if is(o, "sat") => Overflow::Sat,
                o if is(o, "fail") => Overflow::Fail,
                _ => return Err(Error::err("ERR Invalid OVERFLOW type specified")),
            };
            j += 2;
            continue;
        } else {
            return Err(Error::Syntax);
        };
        let (signed, bits) = field_type(argv[j + 1])?;
        let offset = bit_offset(ctx, argv[j + 2], Some(bits))?;
        let value = if op == FieldOp::Get {
            0
        } else {
            args::int(argv[j + 3])?
        };
        fields.push(Field {
            op,
            offset,
            bits,
            signed,
            value,
            overflow,
        });
        j += if op == FieldOp::Get { 3 } else { 4 };
    }
    Ok(fields)
}

fn bitfield_generic(ctx: &mut Ctx, argv: &[&[u8]], ro: bool) -> CmdResult {
    let fields = parse_fields(ctx, argv)?;
    let key = argv[1];
    let max_bit = fields
        .iter()
        .filter(|f| f.op != FieldOp::Get)
        .map(|f| f.offset + u64::from(f.bits) - 1)
        .max();
    let Some(max_bit) = max_bit else {
        let data = read_bytes(ctx, key)?.unwrap_or_default();
        let out = fields
            .iter()
            .map(|f| Frame::Integer(get_field(&data, f.offset, f.bits, f.signed)))
            .collect();
        return Ok(Frame::Array(out));
    };
    if ro {
        return Err(Error::err(
            "ERR BITFIELD_RO only supports the GET subcommand",
        ));
    }
    let (created, grown) = bit_target(ctx, key, max_bit)?;
    let dirty = created || grown;
    let now = ctx.now;
    let Some(s) = ctx.db().get_mut::<Str>(key, now)? else {
        return Ok(Frame::Array(Vec::new()));
    };
    let mut out = Vec::with_capacity(fields.len());
    let mut changes = 0u64;
    s.data.edit(|buf| {
        for f in &fields {
            if f.op == FieldOp::Get {
                out.push(Frame::Integer(get_field(buf, f.offset, f.bits, f.signed)));
                continue;
            }
            match apply_field(buf, f) {
                Some((reply, changed)) => {
                    out.push(Frame::Integer(reply));
                    if dirty || changed {
                        changes += 1;
                    }
                }
                None => out.push(Frame::Null),
            }
        }
    });
    if changes > 0 {
        ctx.modified(key, notify::STRING, "setbit");
        ctx.dirty(changes - 1);
    }
    Ok(Frame::Array(out))
}

/// Reads `bits` bits at `offset` as an unsigned number (bits past the end
/// of the data read as zero).
fn get_unsigned(p: &[u8], offset: u64, bits: u32) -> u64 {
    let mut v = 0u64;
    for i in 0..u64::from(bits) {
        let o = offset + i;
        let bit = p
            .get((o >> 3) as usize)
            .is_some_and(|b| b & (0x80 >> (o & 7)) != 0);
        v = (v << 1) | u64::from(bit);
    }
    v
}

fn set_unsigned(p: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..bits {
        let o = offset + u64::from(i);
        let on = value & (1u64 << (bits - 1 - i)) != 0;
        let (byte, mask) = ((o >> 3) as usize, 0x80u8 >> (o & 7));
        if let Some(b) = p.get_mut(byte) {
            if on {
                *b |= mask;
            } else {
                *b &= !mask;
            }
        }
    }
}

/// A field's value, sign-extended for signed types.
fn get_field(p: &[u8], offset: u64, bits: u32, signed: bool) -> i64 {
    let v = get_unsigned(p, offset, bits);
    if signed && bits < 64 && v & (1u64 << (bits - 1)) != 0 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// Runs a SET or INCRBY: `None` when OVERFLOW FAIL refused it, else the
/// reply value (old value for SET, new for INCRBY) and whether the stored
/// bits changed.
fn apply_field(p: &mut [u8], f: &Field) -> Option<(i64, bool)> {
    let old = get_field(p, f.offset, f.bits, f.signed);
    let incr = f.op == FieldOp::Incr;
    let (base, delta) = if incr { (old, f.value) } else { (f.value, 0) };
    let (overflowed, limited) = if f.signed {
        signed_overflow(base, delta, f.bits, f.overflow)
    } else {
        let (o, l) = unsigned_overflow(base as u64, delta, f.bits, f.overflow);
        (o, l as i64)
    };
    if overflowed && f.overflow == Overflow::Fail {
        return None;
    }
    let new = if overflowed {
        limited
    } else {
        base.wrapping_add(delta)
    };
    set_unsigned(p, f.offset, f.bits, new as u64);
    let reply = if incr { new } else { old };
    Some((reply, old != new))
}

/// Whether `value + incr` overflows an unsigned field, and the value the
/// overflow policy gives (`WRAP`: modulo, `SAT`: the nearest limit).
fn unsigned_overflow(value: u64, incr: i64, bits: u32, ow: Overflow) -> (bool, u64) {
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    let wrapped = || value.wrapping_add(incr as u64) & !(u64::MAX.wrapping_shl(bits));
    if value > max || (incr > 0 && incr > max_incr) {
        return (true, if ow == Overflow::Sat { max } else { wrapped() });
    }
    if incr < 0 && incr < min_incr {
        return (true, if ow == Overflow::Sat { 0 } else { wrapped() });
    }
    (false, 0)
}

/// Like [`unsigned_overflow`] for signed fields.
fn signed_overflow(value: i64, incr: i64, bits: u32, ow: Overflow) -> (bool, i64) {
    let max = if bits == 64 {
        i64::MAX
    } else {
        (1i64 << (bits - 1)) - 1
    };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let wrapped = || {
        let mut c = (value as u64).wrapping_add(incr as u64);
        if bits < 64 {
            let mask = u64::MAX << bits;
            if c & (1u64 << (bits - 1)) != 0 {
                c |= mask;
            } else {
                c &= !mask;
            }
        }
        c as i64
    };
    if value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr)
    {
        return (true, if ow == Overflow::Sat { max } else { wrapped() });
    }
    if value < min || (bits != 64 && incr < min_incr) || (value < 0 && incr < 0 && incr < min_incr)
    {
        return (true, if ow == Overflow::Sat { min } else { wrapped() });
    }
    (false, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_and_write_msb_first() {
        let mut p = vec![0u8; 2];
        set_unsigned(&mut p, 7, 5, 23);
        assert_eq!(p, [0b0000_0001, 0b0111_0000]);
        assert_eq!(get_unsigned(&p, 7, 5), 23);
        assert_eq!(get_field(&[0xff], 0, 8, true), -1);
        assert_eq!(get_field(&[0xff], 4, 8, false), 0xf0);
    }

    #[test]
    fn overflow_policies() {
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Wrap), (true, 4));
        assert_eq!(unsigned_overflow(250, 10, 8, Overflow::Sat), (true, 255));
        assert_eq!(unsigned_overflow(0, -1, 8, Overflow::Sat), (true, 0));
        assert_eq!(unsigned_overflow(0, -1, 8, Overflow::Wrap), (true, 255));
        assert_eq!(signed_overflow(127, 1, 8, Overflow::Wrap), (true, -128));
        assert_eq!(signed_overflow(-128, -1, 8, Overflow::Sat), (true, -128));
        assert_eq!(
            signed_overflow(i64::MAX, 1, 64, Overflow::Wrap),
            (true, i64::MIN)
        );
        assert!(!signed_overflow(5, 1, 64, Overflow::Wrap).0);
    }

    #[test]
    fn bit_ranges() {
        let d = [0xffu8, 0x0f, 0x00];
        assert_eq!(count_bits(&d, 0, 23), 12);
        assert_eq!(count_bits(&d, 4, 11), 4);
        assert_eq!(find_bit(&d, 0, 23, false), Some(8));
        assert_eq!(find_bit(&d, 12, 23, true), Some(12));
        assert_eq!(find_bit(&d, 16, 23, true), None);
    }
}
