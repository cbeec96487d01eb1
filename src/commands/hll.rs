//! HyperLogLog commands. The values are plain strings in Redis's HLL
//! layout ([`crate::engine::hll`]), so GET/SET move them between servers.
//!
//! Like Redis, every command that edits an existing HLL first turns its
//! string into the `raw` encoding (OBJECT ENCODING shows it), and PFCOUNT
//! of one key writes the recomputed cardinality back into the header.

use bytes::Bytes;

use super::flags::*;
use super::{Command, Ctx, Group};
use crate::engine::hll::{self, Corrupt};
use crate::engine::notify;
use crate::engine::value::{Str, Value};
use crate::error::{lossy, CmdResult, Error};
use crate::resp::Frame;

const G: Group = Group::HyperLogLog;

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("pfadd", -2, WRITE | DENYOOM | FAST, G, pfadd).keys(1, 1, 1),
    Command::new("pfcount", -2, READONLY | MAY_REPLICATE, G, pfcount).keys(1, -1, 1),
    Command::new("pfmerge", -2, WRITE | DENYOOM, G, pfmerge)
        .reply("OK")
        .keys(1, -1, 1),
    Command::new("pfdebug", 3, WRITE | DENYOOM | ADMIN, G, pfdebug).keys(2, 2, 1),
    Command::new("pfselftest", 1, ADMIN, G, pfselftest),
];

/// The reply for a string that is not an HLL.
fn not_hll() -> Error {
    Error::err("WRONGTYPE Key is not a valid HyperLogLog string value.")
}

impl From<Corrupt> for Error {
    fn from(_: Corrupt) -> Error {
        Error::err("INVALIDOBJ Corrupted HLL object detected")
    }
}

/// Checks that an existing string holds an HLL.
fn check(s: &Str) -> Result<(), Error> {
    if hll::is_valid(&s.data) {
        Ok(())
    } else {
        Err(not_hll())
    }
}

/// Runs `f` on the string's bytes as a vector (no copy when the buffer is
/// not shared) and stores the result back, even when `f` fails part way:
/// Redis keeps the edits made before an error too.
fn edit<R>(s: &mut Str, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    s.data.edit_vec(f)
}

/// A new, empty HLL value (Redis creates it `raw`).
fn new_value() -> Value {
    Value::Str(Str::raw(Bytes::from(hll::empty())))
}

/// The register-wise maximum of the HLLs under `keys` (missing keys count
/// as empty), and whether any of them was dense.
fn union(ctx: &mut Ctx, keys: &[&[u8]]) -> Result<(Vec<u8>, bool), Error> {
    let now = ctx.now;
    let db = ctx.db();
    let mut max = vec![0u8; hll::REGISTERS];
    let mut any_dense = false;
    for key in keys {
        let Some(s) = db.get::<Str>(key, now)? else {
            continue;
        };
        check(s)?;
        any_dense |= s.data[4] == hll::DENSE;
        hll::merge(&mut max, &s.data)?;
    }
    Ok((max, any_dense))
}

/// PFADD key [element [element ...]]
fn pfadd(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let key = argv[1];
    let now = ctx.now;
    let max_bytes = ctx.store.config.hll_sparse_max_bytes;
    let mut created = false;
    let s = ctx.db().get_or_create::<Str>(key, now, || {
        created = true;
        new_value()
    })?;
    if !created {
        check(s)?;
        s.set_raw();
    }
    let result = edit(s, |buf| {
        let mut updated = u64::from(created);
        for ele in &argv[2..] {
            if hll::add(buf, ele, max_bytes)? {
                updated += 1;
            }
        }
        if updated > 0 {
            hll::invalidate(buf);
        }
        Ok::<_, Corrupt>(updated)
    });
    let updated = result?;
    if updated > 0 {
        ctx.modified(key, notify::STRING, "pfadd");
        ctx.dirty(updated - 1);
    }
    Ok(Frame::Integer(i64::from(updated > 0)))
}

/// PFCOUNT key [key ...]
fn pfcount(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv.len() > 2 {
        let (max, _) = union(ctx, &argv[1..])?;
        return Ok(Frame::Integer(hll::count_raw(&max) as i64));
    }
    let key = argv[1];
    let now = ctx.now;
    let db = ctx.db();
    // A read lookup first, for the keyspace hit/miss counters.
    if db.get::<Str>(key, now)?.is_none() {
        return Ok(Frame::Integer(0));
    }
    let Some(s) = db.get_mut::<Str>(key, now)? else {
        return Ok(Frame::Integer(0));
    };
    check(s)?;
    s.set_raw();
    if let Some(card) = hll::cached_card(&s.data) {
        return Ok(Frame::Integer(card as i64));
    }
    let card = hll::count(&s.data)?;
    edit(s, |buf| hll::set_card(buf, card));
    // Writing the cache changes the value: WATCH and persistence see it,
    // but Redis sends no keyspace event.
    ctx.db().touch(key);
    ctx.dirty(1);
    Ok(Frame::Integer(card as i64))
}

/// PFMERGE destkey [sourcekey [sourcekey ...]]
fn pfmerge(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    // Redis 7.0 folds in the destination's own registers too.
    let (max, any_dense) = union(ctx, &argv[1..])?;
    let dest = argv[1];
    let now = ctx.now;
    let max_bytes = ctx.store.config.hll_sparse_max_bytes;
    let mut created = false;
    let s = ctx.db().get_or_create::<Str>(dest, now, || {
        created = true;
        new_value()
    })?;
    s.set_raw();
    let result = edit(s, |buf| {
        if any_dense {
            hll::sparse_to_dense(buf)?;
        }
        for (j, &v) in max.iter().enumerate() {
            if v != 0 {
                // Errors here are ignored, as Redis does: the inputs
                // (the destination included) were validated above.
                let _ = hll::set(buf, j, v, max_bytes);
            }
        }
        hll::invalidate(buf);
        Ok::<_, Corrupt>(())
    });
    result?;
    // Redis reports a merge as a "pfadd" event.
    ctx.modified(dest, notify::STRING, "pfadd");
    Ok(Frame::ok())
}

/// PFDEBUG subcommand key
fn pfdebug(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (sub, key) = (argv[1], argv[2]);
    let now = ctx.now;
    let Some(s) = ctx.db().get_mut::<Str>(key, now)? else {
        return Err(Error::err("ERR The specified key does not exist"));
    };
    check(s)?;
    s.set_raw();
    let sparse = s.data[4] == hll::SPARSE;
    if sub.eq_ignore_ascii_case(b"getreg") {
        if sparse {
            edit(s, hll::sparse_to_dense)?;
        }
        let regs = hll::dense_registers(&s.data);
        if sparse {
            ctx.dirty(1);
        }
        let regs = regs.into_iter().map(|r| Frame::Integer(i64::from(r)));
        Ok(Frame::Array(regs.collect()))
    } else if sub.eq_ignore_ascii_case(b"decode") {
        if !sparse {
            return Err(Error::err("ERR HLL encoding is not sparse"));
        }
        Ok(Frame::Bulk(Bytes::from(hll::decode(&s.data))))
    } else if sub.eq_ignore_ascii_case(b"encoding") {
        Ok(Frame::simple_static(if sparse {
            "sparse"
        } else {
            "dense"
        }))
    } else if sub.eq_ignore_ascii_case(b"todense") {
        let converted = edit(s, hll::sparse_to_dense)?;
        if converted {
            ctx.dirty(1);
        }
        Ok(Frame::Integer(i64::from(converted)))
    } else {
        // Redis prints the name with %s, so it stops at a NUL byte.
        let name = sub.split(|&b| b == 0).next().unwrap_or(sub);
        Err(Error::msg(format!(
            "ERR Unknown PFDEBUG subcommand '{}'",
            lossy(name, usize::MAX)
        )))
    }
}

/// PFSELFTEST
fn pfselftest(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let max_bytes = ctx.store.config.hll_sparse_max_bytes;
    match selftest(max_bytes) {
        Ok(()) => Ok(Frame::ok()),
        Err(msg) => Err(Error::msg(msg)),
    }
}

/// Redis's self test: register packing round-trips, then 10 million
/// elements added to a dense and a sparse HLL at once, checking at every
/// power of ten that the two agree and the error is within bounds.
fn selftest(max_bytes: usize) -> Result<(), String> {
    let mut dense = vec![0u8; hll::DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut expect = vec![0u8; hll::REGISTERS];
    for _ in 0..1000 {
        for (i, e) in expect.iter_mut().enumerate() {
            *e = fastrand::u8(..64);
            hll::set_register(&mut dense, i, *e);
        }
        let regs = hll::dense_registers(&dense);
        for (i, (&e, &got)) in expect.iter().zip(&regs).enumerate() {
            if got != e {
                return Err(format!(
                    "TESTFAILED Register {i} should be {e} but is {got}"
                ));
            }
        }
    }
    dense[hll::HDR_SIZE..].fill(0);
    let mut sparse = hll::empty();
    let relerr = 1.04 / (hll::REGISTERS as f64).sqrt();
    let seed = fastrand::u64(..);
    let mut checkpoint: u64 = 1;
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_le_bytes();
        let _ = hll::add(&mut dense, &ele, max_bytes);
        let _ = hll::add(&mut sparse, &ele, max_bytes);
        if j != checkpoint {
            continue;
        }
        if (j as usize) < max_bytes / 2 && sparse[4] != hll::SPARSE {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let card = hll::count(&dense).unwrap_or(0);
        if Ok(card) != hll::count(&sparse) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64 - card as i64).unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::commands::test_support::Harness;
    use crate::resp::Frame;

    #[test]
    fn events_and_change_counts_match_redis() {
        let mut h = Harness::keyevents();
        let none = Vec::<String>::new();
        assert_eq!(
            h.events_and_dirty("PFADD h a b"),
            (vec!["new:h".into(), "pfadd:h".into()], 3)
        );
        assert_eq!(h.events_and_dirty("PFADD h a"), (none.clone(), 0));
        assert_eq!(h.events_and_dirty("PFADD h"), (none.clone(), 0));
        assert_eq!(h.events_and_dirty("PFADD h c"), (vec!["pfadd:h".into()], 1));
        // Writing the cached cardinality is a change without an event.
        assert_eq!(h.events_and_dirty("PFCOUNT h"), (none.clone(), 1));
        assert_eq!(h.events_and_dirty("PFCOUNT h"), (none.clone(), 0));
        assert_eq!(h.events_and_dirty("PFCOUNT h x"), (none.clone(), 0));
        assert_eq!(
            h.events_and_dirty("PFMERGE m h"),
            (vec!["new:m".into(), "pfadd:m".into()], 1)
        );
        assert_eq!(h.events_and_dirty("PFMERGE m"), (vec!["pfadd:m".into()], 1));
        assert_eq!(h.events_and_dirty("PFDEBUG TODENSE h"), (none.clone(), 1));
        assert_eq!(h.events_and_dirty("PFDEBUG TODENSE h"), (none.clone(), 0));
        assert_eq!(h.events_and_dirty("PFDEBUG GETREG m"), (none.clone(), 1));
        h.run("SET s text");
        assert_eq!(h.events_and_dirty("PFADD s a"), (none.clone(), 0));
        assert_eq!(h.events_and_dirty("PFMERGE n s"), (none, 0));
    }

    #[test]
    fn errors() {
        let mut h = Harness::keyevents();
        h.run("SET s text");
        h.run("RPUSH l x");
        let err = |f: Frame| String::from_utf8_lossy(f.error_text().unwrap_or(b"")).into_owned();
        assert_eq!(
            err(h.run("PFADD s a")),
            "WRONGTYPE Key is not a valid HyperLogLog string value."
        );
        assert!(err(h.run("PFCOUNT l")).starts_with("WRONGTYPE Operation"));
        assert_eq!(
            err(h.run("PFDEBUG nope missing")),
            "ERR The specified key does not exist"
        );
        h.run("PFADD h a");
        assert_eq!(
            err(h.run("PFDEBUG nope h")),
            "ERR Unknown PFDEBUG subcommand 'nope'"
        );
        h.run("PFDEBUG TODENSE h");
        assert_eq!(
            err(h.run("PFDEBUG DECODE h")),
            "ERR HLL encoding is not sparse"
        );
        // One register short of a full sparse body.
        let bad = [b"HYLL\x01".as_slice(), &[0; 10], &[0x80, 0x7f, 0xfe]].concat();
        let argv: [&[u8]; 3] = [b"SET", b"c", &bad];
        h.run_argv(&argv);
        assert_eq!(
            err(h.run("PFCOUNT c")),
            "INVALIDOBJ Corrupted HLL object detected"
        );
    }
}
