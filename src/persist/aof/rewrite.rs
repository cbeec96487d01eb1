//! The RESP form of an AOF base file (`aof-use-rdb-preamble no`): the
//! commands that rebuild every key, as Redis's AOF rewrite writes them.
//!
//! Per non-empty database a `SELECT`, then per key: strings as `SET`;
//! lists, sets, sorted sets and hashes as `RPUSH` / `SADD` / `ZADD` /
//! `HMSET` carrying at most [`ITEMS_PER_CMD`] items each (scores as
//! `%.17g`); a hash with field TTLs one `HMSET` per field, followed by
//! `HPEXPIREAT key ms FIELDS 1 field` for a field with a deadline (Redis
//! 7.4's form); streams as one `XADD` per entry (an empty stream as
//! `XADD key MAXLEN 0 0-1 x y`), `XSETID` with `ENTRIESADDED` and
//! `MAXDELETEDID`, then per group `XGROUP CREATE ... ENTRIESREAD`, per
//! consumer without pending entries `XGROUP CREATECONSUMER` and per
//! pending entry `XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n
//! JUSTID FORCE`; a key's TTL as `PEXPIREAT key ms` after it. FUNCTION
//! libraries come first, as `FUNCTION LOAD code`.

use crate::engine::stream::{Stream, StreamId};
use crate::engine::value::{Hash, Value};
use crate::engine::NO_EXPIRE;
use crate::persist::rdbfile::Snapshot;

/// Items per variadic command (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
pub const ITEMS_PER_CMD: usize = 64;

/// The RESP base for `snap` (taken with [`Snapshot::take_copied`]: every
/// key copied, none pre-encoded as an RDB record).
pub fn encode(snap: &Snapshot) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    for code in &snap.functions {
        command(&mut out, &[b"FUNCTION", b"LOAD", code]);
    }
    for db in &snap.dbs {
        debug_assert!(db.encoded.is_empty(), "a RESP base needs a copied snapshot");
        let index = db.index.to_string();
        command(&mut out, &[b"SELECT", index.as_bytes()]);
        for (key, entry) in &db.entries {
            value(&mut out, key, &entry.value);
            if entry.expire_at != NO_EXPIRE {
                let at = entry.expire_at.to_string();
                command(&mut out, &[b"PEXPIREAT", key, at.as_bytes()]);
            }
        }
    }
    out
}

fn command(out: &mut Vec<u8>, argv: &[&[u8]]) {
    super::encode_command(out, argv);
}

fn header(out: &mut Vec<u8>, n: usize) {
    out.push(b'*');
    out.extend_from_slice(n.to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, a: &[u8]) {
    out.push(b'$');
    out.extend_from_slice(a.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(a);
    out.extend_from_slice(b"\r\n");
}

/// Writes `name key item...` commands of at most [`ITEMS_PER_CMD`] items,
/// each item being `width` arguments.
struct Batches<'a> {
    out: &'a mut Vec<u8>,
    name: &'static [u8],
    key: &'a [u8],
    width: usize,
    left: usize,
    in_cmd: usize,
}

impl<'a> Batches<'a> {
    fn new(
        out: &'a mut Vec<u8>,
        name: &'static [u8],
        key: &'a [u8],
        width: usize,
        items: usize,
    ) -> Self {
        Batches {
            out,
            name,
            key,
            width,
            left: items,
            in_cmd: 0,
        }
    }

    fn item(&mut self, parts: &[&[u8]]) {
        if self.left == 0 {
            return;
        }
        if self.in_cmd == 0 {
            let n = self.left.min(ITEMS_PER_CMD);
            header(self.out, 2 + n * self.width);
            bulk(self.out, self.name);
            bulk(self.out, self.key);
        }
        for p in parts {
            bulk(self.out, p);
        }
        self.in_cmd += 1;
        if self.in_cmd == ITEMS_PER_CMD {
            self.in_cmd = 0;
        }
        self.left -= 1;
    }
}

fn value(out: &mut Vec<u8>, key: &[u8], v: &Value) {
    match v {
        Value::Str(s) => command(out, &[b"SET", key, &s.data]),
        Value::List(l) => {
            let mut b = Batches::new(out, b"RPUSH", key, 1, l.len());
            for e in l.iter() {
                b.item(&[e]);
            }
        }
        Value::Set(s) => {
            let mut b = Batches::new(out, b"SADD", key, 1, s.members.len());
            for m in s.members.iter() {
                b.item(&[m]);
            }
        }
        Value::ZSet(z) => {
            let mut b = Batches::new(out, b"ZADD", key, 2, z.zset.len());
            for (m, score) in z.zset.iter() {
                let text = crate::resp::writer::double_text(score);
                b.item(&[text.as_bytes(), m]);
            }
        }
        Value::Hash(h) => hash(out, key, h),
        Value::Stream(s) => stream(out, key, s),
    }
}

fn hash(out: &mut Vec<u8>, key: &[u8], h: &Hash) {
    if h.ttls.is_none() || h.min_ttl().is_none() {
        let mut b = Batches::new(out, b"HMSET", key, 2, h.map.len());
        for (f, v) in &h.map {
            b.item(&[f, v]);
        }
        return;
    }
    for (f, v) in &h.map {
        command(out, &[b"HMSET", key, f, v]);
        if let Some(at) = h.ttl_of(f) {
            let at = at.to_string();
            command(
                out,
                &[b"HPEXPIREAT", key, at.as_bytes(), b"FIELDS", b"1", f],
            );
        }
    }
}

fn stream(out: &mut Vec<u8>, key: &[u8], s: &Stream) {
    if s.is_empty() {
        command(out, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    } else {
        for (id, pairs) in s.range(StreamId::ZERO, StreamId::MAX, false) {
            header(out, 3 + pairs.len());
            bulk(out, b"XADD");
            bulk(out, key);
            bulk(out, id.to_string().as_bytes());
            for p in pairs {
                bulk(out, p);
            }
        }
    }
    let (last, added, max_deleted) = (
        s.last_id.to_string(),
        s.entries_added.to_string(),
        s.max_deleted.to_string(),
    );
    command(
        out,
        &[
            b"XSETID",
            key,
            last.as_bytes(),
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            max_deleted.as_bytes(),
        ],
    );
    for (name, g) in &s.groups {
        let (last, read) = (g.last_id.to_string(), g.entries_read.to_string());
        command(
            out,
            &[
                b"XGROUP",
                b"CREATE",
                key,
                name,
                last.as_bytes(),
                b"ENTRIESREAD",
                read.as_bytes(),
            ],
        );
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                command(out, &[b"XGROUP", b"CREATECONSUMER", key, name, cname]);
                continue;
            }
            for id in &c.pel {
                let Some(nack) = g.pel.get(id) else { continue };
                let (id, time, count) = (
                    id.to_string(),
                    nack.delivery_time.to_string(),
                    nack.delivery_count.to_string(),
                );
                command(
                    out,
                    &[
                        b"XCLAIM",
                        key,
                        name,
                        cname,
                        b"0",
                        id.as_bytes(),
                        b"TIME",
                        time.as_bytes(),
                        b"RETRYCOUNT",
                        count.as_bytes(),
                        b"JUSTID",
                        b"FORCE",
                    ],
                );
            }
        }
    }
}
