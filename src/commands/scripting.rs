//! Lua scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT.
//! The interpreter itself lives in [`crate::scripting`].

use super::flags::*;
use super::routing::{Combine, Nodes};
use super::server::{container, help_reply};
use super::traits::RUNS_SCRIPT;
use super::{acl, Command, Ctx, Group};
use crate::error::{CmdResult, Error};
use crate::resp::Frame;
use crate::scripting::{self, EvalMode, Scripts};
use parking_lot::MutexGuard;

const G: Group = Group::Scripting;
const S: u32 = acl::SCRIPTING;
const EVAL_FLAGS: u32 = NOSCRIPT | SKIP_MONITOR | MAY_REPLICATE | NO_MANDATORY_KEYS | STALE;
const EVAL_RO_FLAGS: u32 = NOSCRIPT | SKIP_MONITOR | NO_MANDATORY_KEYS | STALE | READONLY;

const SCRIPT_SUBCOMMANDS: &[Command] = &[
    Command::new("script|load", 3, NOSCRIPT | STALE, G, script_load)
        .route(Nodes::Primaries, Combine::Last)
        .reply("STR")
        .acl(S),
    Command::new("script|exists", -3, NOSCRIPT, G, script_exists)
        .route(Nodes::Primaries, Combine::AllTruePerIndex)
        .reply("BOOL_LIST")
        .acl(S),
    Command::new("script|flush", -2, NOSCRIPT, G, script_flush)
        .route(Nodes::Primaries, Combine::AllTrue)
        .reply("OK")
        .acl(S),
    Command::new("script|kill", 2, NOSCRIPT | ALLOW_BUSY, G, script_kill)
        .route(Nodes::AllNodes, Combine::Each)
        .reply("OK")
        .acl(S),
    Command::new("script|debug", 3, NOSCRIPT, G, script_debug).acl(S),
    Command::new("script|help", 2, LOADING | STALE, G, script_help).acl(S),
];

pub(crate) const COMMANDS: &[Command] = &[
    Command::new("eval", -3, EVAL_FLAGS, G, eval)
        .movable(eval_keys)
        .acl(S)
        .traits(RUNS_SCRIPT),
    Command::new("evalsha", -3, EVAL_FLAGS, G, evalsha)
        .movable(eval_keys)
        .acl(S)
        .traits(RUNS_SCRIPT),
    Command::new("eval_ro", -3, EVAL_RO_FLAGS, G, eval_ro)
        .movable(eval_keys)
        .acl(S)
        .traits(RUNS_SCRIPT),
    Command::new("evalsha_ro", -3, EVAL_RO_FLAGS, G, evalsha_ro)
        .movable(eval_keys)
        .acl(S)
        .traits(RUNS_SCRIPT),
    Command::new("script", -2, 0, G, container).subcommands(SCRIPT_SUBCOMMANDS),
];

/// The engine's scripting state, locked (the caller holds the store's
/// lock, which is always taken first).
pub(super) fn scripts<'a>(ctx: &Ctx<'a>) -> Result<MutexGuard<'a, Scripts>, Error> {
    ctx.scripts
        .map(|s| s.lock())
        .ok_or(Error::err(scripting::NO_SCRIPTING))
}

/// `EVAL script numkeys key... arg...`: the keys follow numkeys.
fn eval_keys(argv: &[&[u8]]) -> Vec<usize> {
    super::list::numkeys_keys(argv, 2)
}

fn eval_generic(ctx: &mut Ctx, argv: &[&[u8]], sha: bool, read_only: bool) -> CmdResult {
    let now = ctx.now.ms();
    let mut scripts = scripts(ctx)?;
    scripting::eval(
        ctx.store,
        &mut scripts,
        ctx.client,
        argv,
        EvalMode { sha, read_only },
        now,
    )
}

/// EVAL script numkeys [key [key ...]] [arg [arg ...]]
fn eval(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    eval_generic(ctx, argv, false, false)
}

/// EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]
fn evalsha(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    eval_generic(ctx, argv, true, false)
}

/// EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]
fn eval_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    eval_generic(ctx, argv, false, true)
}

/// EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]
fn evalsha_ro(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    eval_generic(ctx, argv, true, true)
}

/// SCRIPT LOAD script
fn script_load(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let sha = scripts(ctx)?.load(argv[2])?;
    Ok(Frame::Bulk(sha.into()))
}

/// SCRIPT EXISTS sha1 [sha1 ...]
fn script_exists(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let scripts = scripts(ctx)?;
    Ok(Frame::Array(
        argv[2..]
            .iter()
            .map(|sha| Frame::from_bool(scripts.exists(sha)))
            .collect(),
    ))
}

/// SCRIPT FLUSH [ASYNC|SYNC]
fn script_flush(ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let valid = match argv.get(2) {
        None => argv.len() == 2,
        Some(mode) => {
            argv.len() == 3
                && (mode.eq_ignore_ascii_case(b"sync") || mode.eq_ignore_ascii_case(b"async"))
        }
    };
    if !valid {
        return Err(Error::err(
            "ERR SCRIPT FLUSH only support SYNC|ASYNC option",
        ));
    }
    scripts(ctx)?.flush();
    Ok(Frame::ok())
}

/// SCRIPT KILL. While a script runs, the engine answers it without the
/// lock (see [`crate::scripting::busy_reply`]); getting here means no
/// script is running.
fn script_kill(ctx: &mut Ctx, _argv: &[&[u8]]) -> CmdResult {
    Ok(scripts(ctx)?.watch.kill(false).reply())
}

/// SCRIPT DEBUG YES|SYNC|NO: the debugger needs a server connection.
fn script_debug(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    let mode = argv[2];
    if mode.eq_ignore_ascii_case(b"no") {
        return Ok(Frame::ok());
    }
    if mode.eq_ignore_ascii_case(b"yes") || mode.eq_ignore_ascii_case(b"sync") {
        return Err(Error::err(
            "ERR SCRIPT DEBUG is not supported by the embedded engine",
        ));
    }
    Err(Error::err("ERR Use SCRIPT DEBUG YES/SYNC/NO"))
}

/// SCRIPT HELP
fn script_help(_ctx: &mut Ctx, argv: &[&[u8]]) -> CmdResult {
    Ok(help_reply(
        argv[0],
        &[
            "DEBUG (YES|SYNC|NO)",
            "    Set the debug mode for subsequent scripts executed.",
            "EXISTS <sha1> [<sha1> ...]",
            "    Return information about the existence of the scripts in the script cache.",
            "FLUSH [ASYNC|SYNC]",
            "    Flush the Lua scripts cache. Very dangerous on replicas.",
            "    When called without the optional mode argument, the behavior is determined by the",
            "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
            "    * ASYNC: Asynchronously flush the scripts cache.",
            "    * SYNC: Synchronously flush the scripts cache.",
            "KILL",
            "    Kill the currently executing Lua script.",
            "LOAD <script>",
            "    Load a script into the scripts cache without executing it.",
        ],
    ))
}
