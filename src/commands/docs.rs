//! COMMAND DOCS and COMMAND GETKEYSANDFLAGS, read from one data table.
//!
//! `docs.tsv` has one row per Redis 7.0 command and subcommand (generated
//! from a redis-server's own replies by `scripts/gen_command_docs.py`; see
//! there for the columns): summary, since, group, complexity, doc flags,
//! deprecation, history, key specs, and COMMAND INFO's tips and key-spec
//! notes (so COMMAND INFO's last columns come from the same rows). `docs_newer.tsv` adds, by hand, the
//! commands newer than 7.0 that the engine has. `docs_args.resp` holds
//! each command's argument tree as Redis 7.0 replies it over RESP3 (one
//! `[name, arguments]` frame per command, from the same script).
//!
//! GETKEYSANDFLAGS finds keys with the command table (as GETKEYS does)
//! and labels each with the flags of the key spec that covers its
//! position, evaluated the way Redis evaluates key specs.

use std::collections::HashMap;
use std::sync::LazyLock;

use bytes::Bytes;

use super::{args, Command, Ctx};
use crate::error::CmdResult;
use crate::resp::Frame;

/// One command's documentation row.
pub struct Doc {
    pub summary: &'static str,
    pub since: &'static str,
    pub group: &'static str,
    pub complexity: &'static str,
    pub doc_flags: Vec<&'static str>,
    pub deprecated_since: &'static str,
    pub replaced_by: &'static str,
    pub history: Vec<(&'static str, &'static str)>,
    pub key_specs: Vec<KeySpecDoc>,
    /// COMMAND INFO's tips (`nondeterministic_output`, `request_policy:...`).
    pub tips: Vec<&'static str>,
}

/// Where a key spec's keys start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Begin {
    Index(i64),
    Keyword(&'static str, i64),
    Unknown,
}

/// How a key spec's keys continue from there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Find {
    Range { last: i64, step: i64, limit: i64 },
    Keynum { idx: i64, first: i64, step: i64 },
    Unknown,
}

/// One key spec: its flags (`RW`, `access`...) and where its keys are.
pub struct KeySpecDoc {
    /// Free text COMMAND INFO shows first (empty for most specs).
    pub notes: &'static str,
    pub flags: Vec<&'static str>,
    pub begin: Begin,
    pub find: Find,
}

static TABLE: LazyLock<HashMap<&'static str, Doc>> = LazyLock::new(|| {
    let rows = include_str!("docs.tsv")
        .lines()
        .chain(include_str!("docs_newer.tsv").lines());
    rows.filter_map(parse_row).collect()
});

fn list(s: &'static str, sep: char) -> Vec<&'static str> {
    s.split(sep).filter(|x| !x.is_empty()).collect()
}

fn nums(s: &str) -> Vec<i64> {
    s.split(',').filter_map(|n| n.parse().ok()).collect()
}

fn parse_spec(s: &'static str) -> Option<KeySpecDoc> {
    let (flags, rest) = s.split_once('@')?;
    let (begin, find) = rest.split_once('/')?;
    let begin = match begin.split_once(':') {
        Some(("index", n)) => Begin::Index(n.parse().ok()?),
        Some(("keyword", kw)) => {
            let (kw, from) = kw.rsplit_once(',')?;
            Begin::Keyword(kw, from.parse().ok()?)
        }
        _ => Begin::Unknown,
    };
    let find = match find.split_once(':') {
        Some(("range", n)) => match nums(n)[..] {
            [last, step, limit] => Find::Range { last, step, limit },
            _ => return None,
        },
        Some(("keynum", n)) => match nums(n)[..] {
            [idx, first, step] => Find::Keynum { idx, first, step },
            _ => return None,
        },
        _ => Find::Unknown,
    };
    Some(KeySpecDoc {
        notes: "",
        flags: list(flags, ','),
        begin,
        find,
    })
}

fn parse_row(line: &'static str) -> Option<(&'static str, Doc)> {
    let f: Vec<&'static str> = line.split('\t').collect();
    // Hand-written rows (docs_newer.tsv) may stop after the key specs.
    let (tips, notes) = match f[..] {
        [_, _, _, _, _, _, _, _, _, _, tips, notes] => (tips, notes),
        [_, _, _, _, _, _, _, _, _, _] => ("", ""),
        _ => return None,
    };
    let [name, summary, since, group, complexity, flags, dep, repl, history, specs, ..] = f[..]
    else {
        return None;
    };
    let history = history
        .split(";;")
        .filter_map(|h| h.split_once("=>"))
        .collect();
    let mut key_specs: Vec<KeySpecDoc> = specs.split(';').filter_map(parse_spec).collect();
    if !notes.is_empty() {
        for (spec, note) in key_specs.iter_mut().zip(notes.split(";;")) {
            spec.notes = note;
        }
    }
    Some((
        name,
        Doc {
            summary,
            since,
            group,
            complexity,
            doc_flags: list(flags, ','),
            deprecated_since: dep,
            replaced_by: repl,
            history,
            key_specs,
            tips: list(tips, ','),
        },
    ))
}

/// Argument trees by command name.
static ARGS: LazyLock<HashMap<String, Frame>> = LazyLock::new(|| {
    let mut buf: &[u8] = include_bytes!("docs_args.resp");
    let mut map = HashMap::new();
    while let Ok(Some((frame, used))) = crate::resp::parser::parse_frame(buf) {
        buf = &buf[used..];
        if let Frame::Array(mut pair) = frame {
            if let (Some(args), Some(Frame::Bulk(name))) = (pair.pop(), pair.pop()) {
                map.insert(String::from_utf8_lossy(&name).into_owned(), args);
            }
        }
    }
    map
});

/// The documentation row of a command (`container|sub` for subcommands).
pub fn doc(name: &str) -> Option<&'static Doc> {
    TABLE.get(name)
}

fn bulk(s: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(s.as_bytes()))
}

/// One command's COMMAND DOCS map, its subcommands nested.
fn doc_frame(cmd: &Command) -> Frame {
    let mut m = Vec::new();
    let mut put = |k: &'static str, v: Frame| m.push((Frame::bulk(k.as_bytes()), v));
    if let Some(d) = doc(cmd.name) {
        put("summary", bulk(d.summary));
        put("since", bulk(d.since));
        put("group", bulk(d.group));
        if !d.complexity.is_empty() {
            put("complexity", bulk(d.complexity));
        }
        if !d.doc_flags.is_empty() {
            let flags = d.doc_flags.iter().map(|f| Frame::Simple(Bytes::from(*f)));
            put("doc_flags", Frame::Set(flags.collect()));
        }
        if !d.deprecated_since.is_empty() {
            put("deprecated_since", bulk(d.deprecated_since));
        }
        if !d.replaced_by.is_empty() {
            put("replaced_by", bulk(d.replaced_by));
        }
        if !d.history.is_empty() {
            let h = d
                .history
                .iter()
                .map(|(v, t)| Frame::Array(vec![bulk(v), bulk(t)]));
            put("history", Frame::Array(h.collect()));
        }
    }
    if let Some(args) = ARGS.get(cmd.name) {
        put("arguments", args.clone());
    }
    if !cmd.subcommands.is_empty() {
        let subs = cmd.subcommands.iter().map(|s| (bulk(s.name), doc_frame(s)));
        put("subcommands", Frame::Map(subs.collect()));
    }
    Frame::Map(m)
}

/// COMMAND DOCS [command-name ...] — every command when none is named;
/// unknown names are left out.
pub(crate) fn command_docs(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mut cmds: Vec<&'static Command> = if argv.len() == 2 {
        let mut all: Vec<_> = super::all().collect();
        all.sort_by_key(|c| c.name);
        all
    } else {
        argv[2..]
            .iter()
            .filter_map(|n| super::command_info::by_full_name(n))
            .collect()
    };
    cmds.dedup_by_key(|c| c.name);
    let out = cmds.into_iter().map(|c| (bulk(c.name), doc_frame(c)));
    Ok(Frame::Map(out.collect()))
}

/// The argv positions a key spec covers, as Redis evaluates specs.
fn spec_positions(spec: &KeySpecDoc, argv: &[&[u8]]) -> Vec<usize> {
    let argc = argv.len() as i64;
    let first = match spec.begin {
        Begin::Index(i) => i,
        Begin::Keyword(kw, from) => {
            let (mut i, step, end) = if from > 0 {
                (from, 1, argc - 1)
            } else {
                (argc + from, -1, 0)
            };
            let mut found = None;
            while i != end + step && (1..argc).contains(&i) {
                if args::is(argv[i as usize], kw) {
                    found = Some(i + 1);
                    break;
                }
                i += step;
            }
            match found {
                Some(f) => f,
                None => return Vec::new(),
            }
        }
        Begin::Unknown => return Vec::new(),
    };
    let (first, last, step) = match spec.find {
        Find::Range { last, step, limit } => {
            let end = if last >= 0 {
                first + last
            } else if limit <= 1 {
                argc + last
            } else {
                first + ((argc - first) / limit + last)
            };
            (first, end, step)
        }
        Find::Keynum {
            idx,
            first: f,
            step,
        } => {
            let Some(n) = argv
                .get((first + idx) as usize)
                .and_then(|a| crate::num::parse_i64(a))
            else {
                return Vec::new();
            };
            (first + f, first + f + (n - 1) * step, step)
        }
        Find::Unknown => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut i = first;
    while step > 0 && i <= last && i < argc && i >= 1 {
        out.push(i as usize);
        i += step;
    }
    out
}

/// The flags a key at `pos` gets: its spec's, or for positions only the
/// command's own key finder knows (SORT ... STORE), the last spec Redis
/// cannot place; SET and BITFIELD depend on their arguments.
fn key_flags(cmd: &Command, argv: &[&[u8]], pos: usize) -> Vec<&'static str> {
    match cmd.name {
        // GET and the IF* conditions read the value.
        "set"
            if argv[3..]
                .iter()
                .any(|a| args::is(a, "get") || super::string_ex::IfCond::parse(a).is_some()) =>
        {
            return vec!["RW", "access", "update"]
        }
        "set" => return vec!["OW", "update"],
        "bitfield" => {
            let writes = argv[2..]
                .iter()
                .any(|a| args::is(a, "set") || args::is(a, "incrby"));
            return if writes {
                vec!["RW", "access", "update"]
            } else {
                vec!["RO", "access"]
            };
        }
        _ => {}
    }
    let Some(d) = doc(cmd.name) else {
        return Vec::new();
    };
    let spec = d
        .key_specs
        .iter()
        .find(|s| spec_positions(s, argv).contains(&pos))
        .or_else(|| d.key_specs.iter().rev().find(|s| s.begin == Begin::Unknown))
        .or(d.key_specs.first());
    spec.map(|s| {
        s.flags
            .iter()
            .copied()
            .filter(|f| !matches!(*f, "incomplete" | "variable_flags"))
            .collect()
    })
    .unwrap_or_default()
}

fn map(pairs: Vec<(&'static str, Frame)>) -> Frame {
    Frame::Map(
        pairs
            .into_iter()
            .map(|(k, v)| (Frame::bulk(k.as_bytes()), v))
            .collect(),
    )
}

/// One key spec as COMMAND INFO shows it: `notes` (when it has one),
/// `flags`, `begin_search` and `find_keys`.
fn spec_frame(spec: &KeySpecDoc) -> Frame {
    let mut m = Vec::with_capacity(4);
    if !spec.notes.is_empty() {
        m.push(("notes", bulk(spec.notes)));
    }
    let flags = spec.flags.iter().map(|f| Frame::Simple(Bytes::from(*f)));
    m.push(("flags", Frame::Set(flags.collect())));
    let (kind, params) = match spec.begin {
        Begin::Index(i) => ("index", vec![("index", Frame::Integer(i))]),
        Begin::Keyword(kw, from) => (
            "keyword",
            vec![("keyword", bulk(kw)), ("startfrom", Frame::Integer(from))],
        ),
        Begin::Unknown => ("unknown", Vec::new()),
    };
    m.push((
        "begin_search",
        map(vec![("type", bulk(kind)), ("spec", map(params))]),
    ));
    let (kind, params) = match spec.find {
        Find::Range { last, step, limit } => (
            "range",
            vec![
                ("lastkey", Frame::Integer(last)),
                ("keystep", Frame::Integer(step)),
                ("limit", Frame::Integer(limit)),
            ],
        ),
        Find::Keynum { idx, first, step } => (
            "keynum",
            vec![
                ("keynumidx", Frame::Integer(idx)),
                ("firstkey", Frame::Integer(first)),
                ("keystep", Frame::Integer(step)),
            ],
        ),
        Find::Unknown => ("unknown", Vec::new()),
    };
    m.push((
        "find_keys",
        map(vec![("type", bulk(kind)), ("spec", map(params))]),
    ));
    map(m)
}

/// COMMAND INFO's tips (element 7) and key specifications (element 8) of
/// `name` (`container|sub` for subcommands).
pub fn info_tips_and_specs(name: &str) -> (Frame, Frame) {
    let Some(d) = doc(name) else {
        return (Frame::Set(Vec::new()), Frame::Set(Vec::new()));
    };
    let tips = d.tips.iter().map(|t| bulk(t)).collect();
    let specs = d.key_specs.iter().map(spec_frame).collect();
    (Frame::Set(tips), Frame::Set(specs))
}

/// COMMAND GETKEYSANDFLAGS command [arg ...] — each key with its flags.
pub(crate) fn getkeysandflags(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let target = &argv[2..];
    let (cmd, idx) = super::command_info::target_keys(target)?;
    let out = idx.into_iter().filter_map(|i| {
        let key = target.get(i)?;
        let flags = key_flags(cmd, target, i)
            .into_iter()
            .map(|f| Frame::Simple(Bytes::from(f)));
        Some(Frame::Array(vec![
            Frame::bulk(key),
            Frame::Set(flags.collect()),
        ]))
    });
    Ok(Frame::Array(out.collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_parses_and_every_command_has_one() {
        for cmd in super::super::all() {
            for c in std::iter::once(cmd).chain(cmd.subcommands) {
                let d = doc(c.name).unwrap_or_else(|| panic!("no docs row for {}", c.name));
                assert!(!d.summary.is_empty() && !d.since.is_empty(), "{}", c.name);
            }
        }
        assert!(ARGS.len() > 200, "{}", ARGS.len());
        assert!(matches!(ARGS.get("set"), Some(Frame::Array(a)) if a.len() == 5));
        let lmove = doc("lmove").unwrap();
        assert_eq!(lmove.key_specs.len(), 2);
        assert_eq!(lmove.key_specs[1].flags, ["RW", "insert"]);
    }

    #[test]
    fn key_specs_evaluate_like_redis() {
        let xread = doc("xread").unwrap();
        let argv: [&[u8]; 6] = [b"xread", b"streams", b"a", b"b", b"0", b"0"];
        assert_eq!(spec_positions(&xread.key_specs[0], &argv), [2, 3]);
        let zu = doc("zunionstore").unwrap();
        let argv: [&[u8]; 5] = [b"zunionstore", b"d", b"2", b"a", b"b"];
        assert_eq!(spec_positions(&zu.key_specs[1], &argv), [3, 4]);
    }
}
