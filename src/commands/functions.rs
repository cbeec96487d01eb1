//! Redis 7.0 Functions: FUNCTION (LOAD, LIST, DELETE, FLUSH, DUMP,
//! RESTORE, KILL, STATS, HELP), FCALL and FCALL_RO. The libraries live in
//! [`crate::scripting::functions`].

use super::flags::*;
use super::routing::{Combine, Nodes};
use super::scripting::scripts;
use super::server::{container, help_reply};
use super::{acl, Command, Ctx, Group};
use crate::error::{CmdResult, Error};
use crate::persist::SaveOptions;
use crate::resp::Frame;
use crate::scripting::{self, functions::RestorePolicy};

const G: Group = Group::Scripting;
const S: u32 = acl::SCRIPTING;
const FCALL_FLAGS: u32 = NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE;
const FCALL_RO_FLAGS: u32 = NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY;

const FUNCTION_SUBCOMMANDS: &[Command] = &[
    Command::new(
        "function|load",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        G,
        function_load,
    )
    .route(Nodes::Primaries, Combine::Each)
    .acl(S),
    Command::new("function|list", -2, NOSCRIPT, G, function_list)
        .route(Nodes::Primaries, Combine::Each)
        .reply("parse_function_list")
        .acl(S),
    Command::new("function|delete", 3, WRITE | NOSCRIPT, G, function_delete)
        .route(Nodes::Primaries, Combine::Each)
        .reply("OK")
        .acl(S),
    Command::new("function|flush", -2, WRITE | NOSCRIPT, G, function_flush)
        .route(Nodes::Primaries, Combine::Each)
        .reply("OK")
        .acl(S),
    Command::new("function|dump", 2, NOSCRIPT, G, function_dump)
        .route(Nodes::Random, Combine::Each)
        .acl(S),
    Command::new(
        "function|restore",
        -3,
        WRITE | DENYOOM | NOSCRIPT,
        G,
        function_restore,
    )
    .route(Nodes::Primaries, Combine::Each)
    .reply("OK")
    .acl(S),
    Command::new("function|kill", 2, NOSCRIPT | ALLOW_BUSY, G, function_kill)
        .status()
        .acl(S),
    Command::new(
        "function|stats",
        2,
        NOSCRIPT | ALLOW_BUSY,
        G,
        function_stats,
    )
    .acl(S),
    Command::new("function|help", 2, LOADING | STALE, G, function_help).acl(S),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("fcall", -3, FCALL_FLAGS, G, fcall)
        .movable(fcall_keys)
        .acl(S)
        .traits(super::traits::RUNS_SCRIPT),
    Command::new("fcall_ro", -3, FCALL_RO_FLAGS, G, fcall_ro)
        .movable(fcall_keys)
        .acl(S)
        .traits(super::traits::RUNS_SCRIPT),
    Command::new("function", -2, 0, G, container).subcommands(FUNCTION_SUBCOMMANDS),
];

/// `FCALL function numkeys key... arg...`: the keys follow numkeys.
fn fcall_keys(argv: &[&[u8]]) -> Vec<usize> {
    super::list::numkeys_keys(argv, 2)
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try FUNCTION HELP.`
fn syntax_error(argv: &[&[u8]]) -> Error {
    Error::msg(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try FUNCTION HELP.",
        String::from_utf8_lossy(&argv[1][..argv[1].len().min(128)])
    ))
}

/// FCALL function numkeys [key [key ...]] [arg [arg ...]]
fn fcall(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now.ms();
    let mut scripts = scripts(ctx)?;
    scripting::fcall(ctx.store, &mut scripts, ctx.client, argv, false, now)
}

/// FCALL_RO function numkeys [key [key ...]] [arg [arg ...]]
fn fcall_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let now = ctx.now.ms();
    let mut scripts = scripts(ctx)?;
    scripting::fcall(ctx.store, &mut scripts, ctx.client, argv, true, now)
}

/// FUNCTION LOAD [REPLACE] function-code
fn function_load(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (code, options) = argv[2..].split_last().unwrap_or((&argv[1], &[]));
    let mut replace = false;
    for option in options {
        if !option.eq_ignore_ascii_case(b"replace") {
            return Err(Error::msg(format!(
                "ERR Unknown option given: {}",
                String::from_utf8_lossy(option)
            )));
        }
        replace = true;
    }
    let name = scripts(ctx)?.functions.load(code, replace)?;
    ctx.store.dirty += 1;
    Ok(Frame::Bulk(name.into()))
}

/// FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]
fn function_list(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let (mut pattern, mut with_code) = (None, false);
    let mut i = 2;
    while i < argv.len() {
        let arg = argv[i];
        if !with_code && arg.eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && arg.eq_ignore_ascii_case(b"libraryname") {
            i += 1;
            let Some(p) = argv.get(i) else {
                return Err(Error::err("ERR library name argument was not given"));
            };
            pattern = Some(*p);
        } else {
            return Err(Error::msg(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(arg)
            )));
        }
        i += 1;
    }
    Ok(scripts(ctx)?.functions.list(pattern, with_code))
}

/// FUNCTION DELETE library-name
fn function_delete(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    scripts(ctx)?.functions.delete(argv[2])?;
    ctx.store.dirty += 1;
    Ok(Frame::ok())
}

/// FUNCTION FLUSH [ASYNC|SYNC]
fn function_flush(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv.len() > 3 {
        return Err(syntax_error(argv));
    }
    if let Some(mode) = argv.get(2) {
        if !mode.eq_ignore_ascii_case(b"sync") && !mode.eq_ignore_ascii_case(b"async") {
            return Err(Error::err(
                "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
            ));
        }
    }
    scripts(ctx)?.functions.flush();
    ctx.store.dirty += 1;
    Ok(Frame::ok())
}

/// FUNCTION DUMP
fn function_dump(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let compression = SaveOptions::from_config(&ctx.store.config).compression;
    Ok(Frame::Bulk(
        scripts(ctx)?.functions.dump(compression).into(),
    ))
}

/// FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]
fn function_restore(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    if argv.len() > 4 {
        return Err(syntax_error(argv));
    }
    let policy =
        match argv.get(3) {
            None => RestorePolicy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"append") => RestorePolicy::Append,
            Some(p) if p.eq_ignore_ascii_case(b"replace") => RestorePolicy::Replace,
            Some(p) if p.eq_ignore_ascii_case(b"flush") => RestorePolicy::Flush,
            Some(_) => return Err(Error::err(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            )),
        };
    scripts(ctx)?.functions.restore(argv[2], policy)?;
    ctx.store.dirty += 1;
    Ok(Frame::ok())
}

/// FUNCTION KILL. While a function runs, the engine answers it without
/// the lock (see [`crate::scripting::busy_reply`]); getting here means no
/// script is running.
fn function_kill(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(scripts(ctx)?.watch.kill(true).reply())
}

/// FUNCTION STATS
fn function_stats(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    let scripts = scripts(ctx)?;
    let functions = &scripts.functions;
    let counts = (functions.libraries_count(), functions.functions_count());
    Ok(scripting::function_stats(&scripts.watch, Some(counts)))
}

/// FUNCTION HELP
fn function_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(help_reply(
        argv[0],
        &[
            "LOAD [REPLACE] <FUNCTION CODE>",
            "    Create a new library with the given library name and code.",
            "DELETE <LIBRARY NAME>",
            "    Delete the given library.",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "    Return general information on all the libraries:",
            "    * Library name",
            "    * The engine used to run the Library",
            "    * Library description",
            "    * Functions list",
            "    * Library code (if WITHCODE is given)",
            "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
            "STATS",
            "    Return information about the current function running:",
            "    * Function name",
            "    * Command used to run the function",
            "    * Duration in MS that the function is running",
            "    If no function is running, return nil",
            "    In addition, returns a list of available engines.",
            "KILL",
            "    Kill the current running function.",
            "FLUSH [ASYNC|SYNC]",
            "    Delete all the libraries.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the libraries.",
            "    * SYNC: Synchronously flush the libraries.",
            "DUMP",
            "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
            "    control how to handle existing libraries (default APPEND):",
            "    * FLUSH: delete all existing libraries.",
            "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
            "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
            "      libraries with the new libraries (notice that even on this option there is a chance of failure",
            "      in case of functions name collision with another library).",
        ],
    ))
}
