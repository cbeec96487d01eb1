//! MIGRATE: moves keys to another server with DUMP/RESTORE semantics,
//! over redcore's own RESP client ([`crate::client`]).
//!
//! As in Redis the command holds the engine while it talks to the target
//! (other clients wait), sends `[AUTH] [SELECT] RESTORE...` in one write,
//! and deletes each key the target accepted unless COPY was given.

use std::time::Duration;

use bytes::Bytes;

use super::flags::*;
use super::{acl, args, Command, Ctx, Group};
use crate::client::{Config, Connection};
use crate::engine::NO_EXPIRE;
use crate::error::{CmdResult, Error};
use crate::persist::{self, SaveOptions};
use crate::resp::Frame;

pub(crate) const COMMANDS: &[Command] =
    &[Command::new("migrate", -6, WRITE, Group::Generic, migrate)
        .status()
        .keys(3, 3, 1)
        .movable(migrate_keys)
        .acl(acl::KEYSPACE | acl::DANGEROUS)];

/// MIGRATE's options after the five fixed arguments.
#[derive(Default)]
struct Opts<'a> {
    copy: bool,
    replace: bool,
    user: Option<&'a [u8]>,
    password: Option<&'a [u8]>,
    /// Index of the first key after KEYS.
    keys_at: Option<usize>,
}

fn parse_opts<'a>(argv: &[&'a [u8]]) -> Result<Opts<'a>, Error> {
    let mut o = Opts::default();
    let mut j = 6;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = argv[j];
        if args::is(a, "copy") {
            o.copy = true;
        } else if args::is(a, "replace") {
            o.replace = true;
        } else if args::is(a, "auth") && left >= 1 {
            o.password = Some(argv[j + 1]);
            j += 1;
        } else if args::is(a, "auth2") && left >= 2 {
            o.user = Some(argv[j + 1]);
            o.password = Some(argv[j + 2]);
            j += 2;
        } else if args::is(a, "keys") {
            if !argv[3].is_empty() {
                return Err(Error::err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"));
            }
            o.keys_at = Some(j + 1);
            break;
        } else {
            return Err(Error::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// The key positions: argv[3], or everything after KEYS.
fn migrate_keys(argv: &[&[u8]]) -> Vec<usize> {
    match parse_opts(argv) {
        Ok(Opts {
            keys_at: Some(k), ..
        }) => (k..argv.len()).collect(),
        _ if argv.len() > 3 && !argv[3].is_empty() => vec![3],
        _ => Vec::new(),
    }
}

const IOERR_WRITE: &str = "IOERR error or timeout writing to target instance";
const IOERR_READ: &str = "IOERR error or timeout reading to target instance";

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key [key ...]]
fn migrate(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let o = parse_opts(argv)?;
    let db = args::int(argv[4])?;
    i32::try_from(db).map_err(|_| Error::NotInteger)?;
    let mut timeout = args::int(argv[5])?;
    if timeout <= 0 {
        timeout = 1000;
    }
    let keys: Vec<&[u8]> = match o.keys_at {
        Some(k) => argv[k..].to_vec(),
        None => vec![argv[3]],
    };
    // The keys that exist, with their payloads and remaining TTLs.
    let now = ctx.now;
    let opts = SaveOptions::from_config(&ctx.store.config);
    let now_ms = now.ms();
    let mut found: Vec<(&[u8], Vec<u8>, i64)> = Vec::new();
    for &key in &keys {
        if let Some(e) = ctx.db().lookup(key, now) {
            let ttl = if e.expire_at == NO_EXPIRE {
                0
            } else {
                (e.expire_at - now_ms).max(1)
            };
            found.push((key, persist::dump_payload(&e.value, &opts), ttl));
        }
    }
    if found.is_empty() {
        return Ok(Frame::simple_static("NOKEY"));
    }
    let port = crate::num::parse_i64(argv[2])
        .and_then(|p| u16::try_from(p).ok())
        .ok_or(Error::err(IOERR_WRITE))?;
    let mut cfg = Config::tcp(&String::from_utf8_lossy(argv[1]), port);
    let limit = Some(Duration::from_millis(timeout as u64));
    cfg.connect_timeout = limit;
    cfg.socket_timeout = limit;
    let mut conn = Connection::open(&cfg).map_err(|_| Error::err(IOERR_WRITE))?;
    let replies = exchange(&mut conn, &o, db, &found).map_err(Error::err)?;
    let mut first_error = None;
    for (i, reply) in replies.into_iter().enumerate() {
        let Some(&(key, _, _)) = found.get(i.wrapping_sub(replies_before(&o))) else {
            // AUTH / SELECT: an error stops everything.
            if let Frame::Error(e) = reply {
                return Err(target_error(&e));
            }
            continue;
        };
        match reply {
            Frame::Error(e) => {
                first_error.get_or_insert(e);
            }
            _ if !o.copy => {
                ctx.db().remove(key, now);
                ctx.modified(key, crate::engine::notify::GENERIC, "del");
            }
            _ => {}
        }
    }
    match first_error {
        Some(e) => Err(target_error(&e)),
        None => Ok(Frame::ok()),
    }
}

/// AUTH and SELECT come before the RESTOREs.
fn replies_before(o: &Opts) -> usize {
    usize::from(o.password.is_some()) + 1
}

fn target_error(e: &[u8]) -> Error {
    Error::msg(format!(
        "ERR Target instance replied with error: {}",
        String::from_utf8_lossy(e)
    ))
}

/// Sends the whole request and reads one reply per command.
fn exchange(
    conn: &mut Connection,
    o: &Opts,
    db: i64,
    found: &[(&[u8], Vec<u8>, i64)],
) -> Result<Vec<Frame>, &'static str> {
    let mut n = 0;
    let w = &mut conn.wbuf;
    w.clear();
    if let Some(pw) = o.password {
        match o.user {
            Some(user) => crate::resp::writer::encode_command(w, &[b"AUTH", user, pw]),
            None => crate::resp::writer::encode_command(w, &[&b"AUTH"[..], pw]),
        }
        n += 1;
    }
    let db = Bytes::from(db.to_string());
    crate::resp::writer::encode_command(w, &[&b"SELECT"[..], &db]);
    n += 1;
    for (key, payload, ttl) in found {
        let ttl = Bytes::from(ttl.to_string());
        let mut cmd: Vec<&[u8]> = vec![b"RESTORE", key, &ttl, payload];
        if o.replace {
            cmd.push(b"REPLACE");
        }
        crate::resp::writer::encode_command(w, &cmd);
        n += 1;
    }
    conn.send().map_err(|_| IOERR_WRITE)?;
    let timeout = conn.socket_timeout;
    (0..n)
        .map(|_| conn.read_frame(timeout).map_err(|_| IOERR_READ))
        .collect()
}
