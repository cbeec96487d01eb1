//! COMMAND and its subcommands: the command table as Redis 7.0 reports it.
//!
//! ACL categories are derived the way Redis derives them: `@write`,
//! `@read`, `@admin` + `@dangerous`, `@pubsub`, `@fast` (else `@slow`) and
//! `@blocking` from the flags, the data-type category from the group (not
//! for container commands), plus each row's explicit ones. Command tips
//! and key specifications are reported as empty lists.

use bytes::Bytes;

use super::flags::{self, *};
use super::{acl, Command, Ctx, Group};
use crate::error::{CmdResult, Error};
use crate::glob::GlobPattern;
use crate::resp::Frame;

const C: u32 = acl::CONNECTION;
const LS: u32 = LOADING | STALE;

pub(crate) const SUBCOMMANDS: &[Command] = &[
    Command::new("command|count", 2, LS, Group::Server, count).acl(C),
    Command::new("command|info", -2, LS, Group::Server, info).acl(C),
    Command::new("command|list", -2, LS, Group::Server, list).acl(C),
    Command::new("command|getkeys", -4, LS, Group::Server, getkeys)
        .reply2("STR_LIST")
        .reply_unified2("_identity")
        .acl(C),
    Command::new("command|help", 2, LS, Group::Server, help).acl(C),
    Command::new(
        "command|docs",
        -2,
        LS,
        Group::Server,
        super::docs::command_docs,
    )
    .reply("parse_command_docs")
    .acl(C),
    Command::new(
        "command|getkeysandflags",
        -4,
        LS,
        Group::Server,
        super::docs::getkeysandflags,
    )
    .acl(C),
];

/// ACL category names in the order Redis lists them, with our bits.
pub(crate) const CATEGORIES: &[(u32, &str)] = &[
    (acl::KEYSPACE, "keyspace"),
    (acl::READ, "read"),
    (acl::WRITE, "write"),
    (acl::SET, "set"),
    (acl::SORTEDSET, "sortedset"),
    (acl::LIST, "list"),
    (acl::HASH, "hash"),
    (acl::STRING, "string"),
    (acl::BITMAP, "bitmap"),
    (acl::HYPERLOGLOG, "hyperloglog"),
    (acl::GEO, "geo"),
    (acl::STREAM, "stream"),
    (acl::PUBSUB, "pubsub"),
    (acl::ADMIN, "admin"),
    (acl::FAST, "fast"),
    (acl::SLOW, "slow"),
    (acl::BLOCKING, "blocking"),
    (acl::DANGEROUS, "dangerous"),
    (acl::CONNECTION, "connection"),
    (acl::TRANSACTION, "transaction"),
    (acl::SCRIPTING, "scripting"),
];

/// The data-type category a group's commands belong to.
fn group_category(group: Group) -> u32 {
    match group {
        Group::String => acl::STRING,
        Group::List => acl::LIST,
        Group::Hash => acl::HASH,
        Group::Set => acl::SET,
        Group::SortedSet => acl::SORTEDSET,
        Group::Bitmap => acl::BITMAP,
        Group::HyperLogLog => acl::HYPERLOGLOG,
        Group::Geo => acl::GEO,
        Group::Stream => acl::STREAM,
        _ => 0,
    }
}

/// Every ACL category of `cmd`, as bits of [`acl`].
pub fn categories(cmd: &Command) -> u32 {
    let mut cats = cmd.acl;
    if cmd.subcommands.is_empty() {
        cats |= group_category(cmd.group);
    }
    let derived = [
        (WRITE, acl::WRITE),
        (ADMIN, acl::ADMIN | acl::DANGEROUS),
        (PUBSUB, acl::PUBSUB),
        (FAST, acl::FAST),
        (BLOCKING, acl::BLOCKING),
    ];
    for (flag, cat) in derived {
        if cmd.has(flag) {
            cats |= cat;
        }
    }
    if cmd.has(READONLY) && cats & acl::SCRIPTING == 0 {
        cats |= acl::READ;
    }
    if cats & acl::FAST == 0 {
        cats |= acl::SLOW;
    }
    cats
}

/// Category names (`@read`, ...) of `cmd`, in Redis's order.
pub fn category_names(cmd: &Command) -> Vec<String> {
    let cats = categories(cmd);
    CATEGORIES
        .iter()
        .filter(|(bit, _)| cats & bit != 0)
        .map(|(_, n)| format!("@{n}"))
        .collect()
}

/// Flag names COMMAND INFO shows (Redis hides `may_replicate`).
pub fn flag_names(cmd: &Command) -> Vec<&'static str> {
    flags::NAMES
        .iter()
        .filter(|(bit, _)| cmd.has(*bit) && *bit != MAY_REPLICATE)
        .map(|(_, n)| *n)
        .collect()
}

fn simple_set(names: impl IntoIterator<Item = String>) -> Frame {
    Frame::Set(names.into_iter().map(|n| Frame::Simple(n.into())).collect())
}

/// The 10-element COMMAND INFO entry of `cmd`.
pub fn info_frame(cmd: &Command) -> Frame {
    let (first, last, step) = if cmd.subcommands.is_empty() {
        (cmd.keys.first, cmd.keys.last, cmd.keys.step)
    } else {
        (0, 0, 0)
    };
    let subs = if cmd.subcommands.is_empty() {
        Frame::Set(Vec::new())
    } else {
        Frame::Array(cmd.subcommands.iter().map(info_frame).collect())
    };
    let (tips, specs) = super::docs::info_tips_and_specs(cmd.name);
    Frame::Array(vec![
        Frame::Bulk(Bytes::from_static(cmd.name.as_bytes())),
        Frame::Integer(i64::from(cmd.arity)),
        simple_set(flag_names(cmd).into_iter().map(String::from)),
        Frame::Integer(i64::from(first)),
        Frame::Integer(i64::from(last)),
        Frame::Integer(i64::from(step)),
        simple_set(category_names(cmd)),
        tips,
        specs,
        subs,
    ])
}

/// Top-level commands in a stable order.
fn sorted_commands() -> Vec<&'static Command> {
    let mut all: Vec<_> = super::all().collect();
    all.sort_by_key(|c| c.name);
    all
}

/// A command by full name, `container|sub` included (case-insensitive).
pub(crate) fn by_full_name(name: &[u8]) -> Option<&'static Command> {
    let mut parts = name.splitn(2, |c| *c == b'|');
    let top = super::lookup(parts.next()?)?;
    match parts.next() {
        None => Some(top),
        Some(sub) => super::find_subcommand(top, sub),
    }
}

/// COMMAND
pub(crate) fn command(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Array(
        sorted_commands().into_iter().map(info_frame).collect(),
    ))
}

/// COMMAND COUNT
fn count(_ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(Frame::Integer(super::all().count() as i64))
}

/// COMMAND INFO [command-name ...] — unknown names give nil entries.
fn info(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv.len() == 2 {
        return Ok(Frame::Array(
            sorted_commands().into_iter().map(info_frame).collect(),
        ));
    }
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|n| by_full_name(n).map_or(Frame::Null, info_frame))
            .collect(),
    ))
}

/// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]
fn list(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    enum Filter {
        None,
        Nothing,
        Category(u32),
        Pattern(GlobPattern),
    }
    let mut filter = Filter::None;
    let mut i = 2;
    while i < argv.len() {
        if !(super::args::is(argv[i], "filterby") && argv.len() - 1 - i == 2) {
            return Err(Error::Syntax);
        }
        let (kind, arg) = (argv[i + 1], argv[i + 2]);
        filter = if super::args::is(kind, "module") {
            Filter::Nothing
        } else if super::args::is(kind, "aclcat") {
            CATEGORIES
                .iter()
                .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(arg))
                .map_or(Filter::Nothing, |(bit, _)| Filter::Category(*bit))
        } else if super::args::is(kind, "pattern") {
            Filter::Pattern(GlobPattern::new(arg, true))
        } else {
            return Err(Error::Syntax);
        };
        i += 3;
    }
    let keep = |c: &Command| match &filter {
        Filter::None => true,
        Filter::Nothing => false,
        Filter::Category(bit) => categories(c) & bit != 0,
        Filter::Pattern(p) => p.matches(c.name.as_bytes()),
    };
    let mut out = Vec::new();
    for cmd in sorted_commands() {
        for c in std::iter::once(cmd).chain(cmd.subcommands.iter()) {
            if keep(c) {
                out.push(Frame::Bulk(Bytes::from_static(c.name.as_bytes())));
            }
        }
    }
    Ok(Frame::Array(out))
}

/// The command `target` (name and arguments) names and the argv indexes
/// of its keys, with the errors COMMAND GETKEYS / GETKEYSANDFLAGS give.
pub(crate) fn target_keys(target: &[&[u8]]) -> Result<(&'static Command, Vec<usize>), Error> {
    let cmd = super::resolve(target).map_err(|_| Error::err("ERR Invalid command specified"))?;
    if cmd.keys.find.is_none() && cmd.keys.first <= 0 {
        return Err(Error::err("ERR The command has no key arguments"));
    }
    if !cmd.arity_ok(target.len()) {
        return Err(Error::err(
            "ERR Invalid number of arguments specified for command",
        ));
    }
    let idx = cmd.key_indexes(target);
    if idx.is_empty() && !cmd.has(NO_MANDATORY_KEYS) {
        return Err(Error::err("ERR Invalid arguments specified for command"));
    }
    Ok((cmd, idx))
}

/// COMMAND GETKEYS command [arg ...]
fn getkeys(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let target = &argv[2..];
    let (_, idx) = target_keys(target)?;
    Ok(Frame::Array(
        idx.into_iter()
            .filter_map(|i| target.get(i))
            .map(|k| Frame::bulk(k))
            .collect(),
    ))
}

/// COMMAND HELP
fn help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(super::server::help_reply(
        argv[0],
        &[
            "(no subcommand)",
            "    Return details about every command.",
            "COUNT",
            "    Return the number of commands.",
            "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
            "    Return the names of the commands, optionally filtered.",
            "INFO [<command-name> ...]",
            "    Return details about the given commands, or about every command.",
            "GETKEYS <full-command>",
            "    Return the keys of a full command line.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys of a full command line, each with its key flags.",
            "DOCS [<command-name> ...]",
            "    Return documentation about the given commands, or about every command.",
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_redis_derivation() {
        let get = super::super::lookup(b"get").unwrap();
        assert_eq!(category_names(get), ["@read", "@string", "@fast"]);
        let keys = super::super::lookup(b"keys").unwrap();
        assert_eq!(
            category_names(keys),
            ["@keyspace", "@read", "@slow", "@dangerous"]
        );
        let config = super::super::lookup(b"config").unwrap();
        assert_eq!(category_names(config), ["@slow"]);
        let set = by_full_name(b"CONFIG|SET").unwrap();
        assert_eq!(category_names(set), ["@admin", "@slow", "@dangerous"]);
    }
}
