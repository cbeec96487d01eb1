//! Loading an AOF directory: the manifest, the base (an RDB preamble, or
//! RESP commands) and the incremental files, replayed through the
//! dispatcher in order.
//!
//! A file that ends in the middle of a command is "truncated": with
//! `aof-load-truncated yes` and when it is the last file, everything up to
//! the last complete command is kept (an unfinished MULTI block is
//! dropped), the file is cut there and a warning logged; otherwise the
//! load fails with an error naming the file and the offset. Bytes that are
//! not RESP, unknown commands and a corrupt RDB preamble are errors. On
//! any error the store is left empty: never a partial load.

use std::path::Path;

use super::manifest::{Kind, Manifest};
use crate::commands::{self, transactions, Scripts};
use crate::engine::{ClientState, Now, Store};
use crate::persist::rdbload::{self, ParseOptions};

/// What a load found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// Files read, in order.
    pub files: Vec<String>,
    /// Commands replayed (the RDB preamble's keys not counted).
    pub commands: u64,
    /// Keys the RDB preamble held.
    pub rdb_keys: u64,
    /// Set when a truncated tail was cut off: (file, offset kept).
    pub truncated: Option<(String, u64)>,
}

/// Loads the AOF that `store.config` (`dir`, `appenddirname`,
/// `appendfilename`) points to into `store`. `Ok(None)` when there is
/// none. On error the store is emptied.
pub fn load(store: &mut Store, scripts: Scripts<'_>) -> Result<Option<Loaded>, String> {
    let result = load_inner(store, scripts);
    if result.is_err() {
        for db in &mut store.dbs {
            db.clear();
        }
    }
    store.dirty = 0;
    result
}

fn load_inner(store: &mut Store, scripts: Scripts<'_>) -> Result<Option<Loaded>, String> {
    let dir = super::aof_dir(&store.config);
    let filename = store.config.appendfilename.clone();
    let mut loaded = Loaded::default();
    let files: Vec<(std::path::PathBuf, Kind)> = match Manifest::read(&dir, &filename)? {
        Some(m) => m
            .base
            .iter()
            .chain(&m.incrs)
            .map(|f| (dir.join(&f.name), f.kind))
            .collect(),
        None => {
            // A single-file AOF from before Redis 7, beside the directory.
            let old = Path::new(&store.config.dir).join(&filename);
            if !old.is_file() {
                return Ok(None);
            }
            vec![(old, Kind::Base)]
        }
    };
    let truncate_ok = store
        .config
        .extra
        .get("aof-load-truncated")
        .is_none_or(|v| v == "yes");
    let n = files.len();
    for (i, (path, kind)) in files.iter().enumerate() {
        let last = i + 1 == n;
        let name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        // An empty file holds nothing (as Redis judges by its size; also
        // keeps a device in the manifest from being read without end).
        if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
            loaded.files.push(name);
            continue;
        }
        let data = match std::fs::read(path) {
            Ok(d) => d,
            // Redis tolerates an empty or missing last incremental file.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && *kind == Kind::Incr && last => {
                continue
            }
            Err(e) => return Err(format!("Can't open the append-only file {name}: {e}")),
        };
        let mut at = 0usize;
        if data.starts_with(b"REDIS") {
            let (end, keys) = load_rdb(store, scripts, &data)
                .map_err(|(off, why)| format!("Bad file format reading the append only file {name}: RDB preamble at offset {off}: {why}"))?;
            at = end;
            loaded.rdb_keys += keys;
        }
        match replay(store, scripts, &data, at, &mut loaded.commands) {
            Ok(()) => {}
            Err(Stop::Bad(off, why)) => {
                return Err(format!(
                    "Bad file format reading the append only file {name} at offset {off}: {why}"
                ))
            }
            Err(Stop::Truncated(keep)) => {
                if !(truncate_ok && last) {
                    let hint = if last {
                        "set aof-load-truncated yes, or use redis-check-aof --fix"
                    } else {
                        "the truncated file is not the last file"
                    };
                    return Err(format!(
                        "Unexpected end of file reading the append only file {name} at offset {keep} (of {} bytes): {hint}",
                        data.len()
                    ));
                }
                super::log_warning(&format!(
                    "!!! Warning: short read while loading the AOF file {name}: keeping the first {keep} of {} bytes (aof-load-truncated is enabled)",
                    data.len()
                ));
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .and_then(|f| f.set_len(keep as u64).and_then(|_| f.sync_all()))
                    .map_err(|e| format!("Can't truncate the append only file {name}: {e}"))?;
                loaded.truncated = Some((name.clone(), keep as u64));
            }
        }
        loaded.files.push(name);
    }
    super::log_info(&format!(
        "AOF loaded from {}: {} commands replayed, {} keys from the base",
        dir.display(),
        loaded.commands,
        loaded.rdb_keys
    ));
    Ok(Some(loaded))
}

/// Why a replay stopped early.
enum Stop {
    /// Not RESP or an unknown command: (offset, what).
    Bad(usize, String),
    /// The data ends inside a command (or an unfinished MULTI): the
    /// offset up to which it is whole.
    Truncated(usize),
}

/// Replays the RESP commands of `data` from `at`.
fn replay(
    store: &mut Store,
    scripts: Scripts<'_>,
    data: &[u8],
    mut at: usize,
    count: &mut u64,
) -> Result<(), Stop> {
    let mut client = ClientState::ephemeral(0);
    client.no_block = true;
    let mut before_multi = None;
    while at < data.len() {
        let Some((argv, next)) = parse_command(data, at)? else {
            return Err(Stop::Truncated(before_multi.unwrap_or(at)));
        };
        if argv.is_empty() {
            at = next;
            continue;
        }
        let Some(cmd) = commands::lookup(argv[0]).and_then(|c| {
            if c.subcommands.is_empty() || argv.len() < 2 {
                Some(c)
            } else {
                commands::find_subcommand(c, argv[1])
            }
        }) else {
            return Err(Stop::Bad(
                at,
                format!("unknown command '{}'", String::from_utf8_lossy(argv[0])),
            ));
        };
        if !cmd.arity_ok(argv.len()) {
            return Err(Stop::Bad(
                at,
                format!("wrong number of arguments for '{}'", cmd.name),
            ));
        }
        if cmd.name == "multi" {
            before_multi = Some(at);
        } else if cmd.name == "exec" || cmd.name == "discard" {
            before_multi = None;
        }
        if client.multi.is_some() && !transactions::runs_inside_multi(cmd) {
            transactions::queue(&mut client, &argv, cmd.flags);
        } else {
            let cell = std::cell::Cell::new(0);
            commands::run(store, scripts, &mut client, cmd, &argv, Now::new(&cell));
        }
        *count += 1;
        at = next;
    }
    if let Some(m) = before_multi {
        return Err(Stop::Truncated(m));
    }
    Ok(())
}

/// A command's arguments and the offset after it.
type Parsed<'a> = (Vec<&'a [u8]>, usize);

/// One RESP command at `at`: `Ok(None)` when the data ends inside it.
/// `#` lines (Redis's timestamp annotations) read as an empty command.
fn parse_command(data: &[u8], at: usize) -> Result<Option<Parsed<'_>>, Stop> {
    if data[at] == b'#' {
        return Ok(memchr::memchr(b'\n', &data[at..]).map(|n| (Vec::new(), at + n + 1)));
    }
    if data[at] != b'*' {
        return Err(Stop::Bad(at, "expected '*'".into()));
    }
    let Some((n, mut pos)) = read_number(data, at + 1)? else {
        return Ok(None);
    };
    if n < 1 {
        return Err(Stop::Bad(at, "bad argument count".into()));
    }
    let mut argv = Vec::with_capacity(n.min(1024) as usize);
    for _ in 0..n {
        match data.get(pos) {
            None => return Ok(None),
            Some(b'$') => {}
            Some(_) => return Err(Stop::Bad(pos, "expected '$'".into())),
        }
        let Some((len, start)) = read_number(data, pos + 1)? else {
            return Ok(None);
        };
        let end = start.saturating_add(len as usize);
        if end.saturating_add(2) > data.len() {
            return Ok(None);
        }
        if &data[end..end + 2] != b"\r\n" {
            return Err(Stop::Bad(end, "expected CRLF after a bulk string".into()));
        }
        argv.push(&data[start..end]);
        pos = end + 2;
    }
    Ok(Some((argv, pos)))
}

/// Digits ended by CRLF at `at`: the number and the offset after it.
fn read_number(data: &[u8], at: usize) -> Result<Option<(u64, usize)>, Stop> {
    let mut v: u64 = 0;
    let mut i = at;
    loop {
        let Some(&c) = data.get(i) else {
            return Ok(None);
        };
        match c {
            b'0'..=b'9' if i - at < 18 => v = v * 10 + u64::from(c - b'0'),
            b'\r' if i > at => {
                return match data.get(i + 1) {
                    None => Ok(None),
                    Some(b'\n') => Ok(Some((v, i + 2))),
                    Some(_) => Err(Stop::Bad(i, "expected CRLF".into())),
                };
            }
            _ => return Err(Stop::Bad(i, "bad number".into())),
        }
        i += 1;
    }
}

/// Loads an RDB preamble or base with the RDB file loader (keys already
/// expired are dropped, as Redis does when loading), then its FUNCTION
/// libraries. Returns the offset after it and the number of keys, or
/// (offset, what) on error.
fn load_rdb(
    store: &mut Store,
    scripts: Scripts<'_>,
    data: &[u8],
) -> Result<(usize, u64), (usize, String)> {
    let loaded =
        rdbload::parse(data, &ParseOptions::from_store(store)).map_err(|e| (e.offset, e.reason))?;
    for (at, code) in &loaded.functions {
        let mut client = ClientState::ephemeral(0);
        let argv: [&[u8]; 4] = [b"FUNCTION", b"LOAD", b"REPLACE", code];
        if commands::dispatch_in(store, scripts, &mut client, &argv).is_error() {
            return Err((*at, "can't load a function library".into()));
        }
    }
    let (end, keys) = (loaded.end, loaded.keys_loaded);
    rdbload::install(store, loaded);
    Ok((end, keys))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_spots_truncation() {
        let data = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI";
        let (argv, next) = parse_command(data, 0).ok().flatten().unwrap();
        assert_eq!(argv, vec![b"GET".as_slice(), b"k"]);
        assert!(matches!(parse_command(data, next), Ok(None)));
        assert!(matches!(parse_command(b"+OK\r\n", 0), Err(Stop::Bad(0, _))));
        assert!(matches!(
            parse_command(b"*1\r\n$2\r\nabc\r\n", 0),
            Err(Stop::Bad(..))
        ));
        assert!(matches!(
            parse_command(b"*1\r\n$99999999999999999999\r\n", 0),
            Err(Stop::Bad(..))
        ));
    }
}
