//! The dispatcher's maxmemory gate: before a command runs (or is queued in
//! MULTI) with `maxmemory` set, evict what the policy allows; if memory is
//! still over the limit, refuse commands that may grow it with Redis's OOM
//! error. Scripts are judged by their flags, and a script that started
//! while memory was over the limit may not begin writing (see
//! [`Store::oom_before_command`](crate::engine::Store)).
//!
//! Also the disk gate ([`disk_check`]): while the disk refuses to persist
//! (a failed background save with save points set, or a failing AOF),
//! writes, PING, scripts and functions that do not declare `no-writes`,
//! and EXEC of a transaction with writes get Redis's MISCONF error; reads
//! go on.
//!
//! Both gates judge scripts as Redis 7.0's `processCommand` does, by the
//! flags their shebang (or function registration) declares, and EXEC by
//! the flags of the commands it queued, taken when they were queued.

use super::{flags, transactions, Command, Scripts};
use crate::engine::{ClientState, Store};
use crate::error::Error;
use crate::resp::Frame;
use crate::scripting::script_flags;

/// Runs evictions and refuses `cmd` with OOM if memory stays over the
/// limit and `cmd` may grow it. Called only when `maxmemory` is set.
#[cold]
pub(super) fn check(
    store: &mut Store,
    scripts: Scripts<'_>,
    client: &mut ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
) -> Result<(), Frame> {
    let out_of_memory = !store.perform_evictions();
    store.oom_before_command = out_of_memory;
    if !out_of_memory {
        return Ok(());
    }
    // Queuing in MULTI takes memory too: only EXEC, DISCARD, QUIT and
    // RESET pass (EXEC unless it holds a command that is refused).
    let queuing =
        client.multi.is_some() && !matches!(cmd.name, "exec" | "discard" | "quit" | "reset");
    if !queuing && !denies_oom(scripts, client, cmd, argv) {
        return Ok(());
    }
    refuse(store, client, cmd, Error::Oom.to_string())
}

/// A gate's refusal of `cmd` with `text`: EXEC discards its transaction
/// (EXECABORT), a command refused inside MULTI makes EXEC fail.
fn refuse(
    store: &mut Store,
    client: &mut ClientState,
    cmd: &Command,
    text: String,
) -> Result<(), Frame> {
    if cmd.name == "exec" {
        client.multi = None;
        transactions::unwatch_all(store, client);
        return Err(Frame::Error(
            format!("EXECABORT Transaction discarded because of: {text}").into(),
        ));
    }
    if let Some(m) = client.multi.as_mut() {
        m.aborted = true;
    }
    Err(Frame::Error(text.into()))
}

/// True if `cmd` may grow memory: flagged `denyoom` (a script by its
/// declared flags, see [`effective_flags`]), or EXEC of a transaction that
/// queued such a command.
fn denies_oom(scripts: Scripts<'_>, client: &ClientState, cmd: &Command, argv: &[&[u8]]) -> bool {
    if cmd.name == "exec" {
        return client
            .multi
            .as_ref()
            .is_some_and(|m| m.flags & flags::DENYOOM != 0);
    }
    effective_flags(scripts, cmd, argv) & flags::DENYOOM != 0
}

/// `cmd`'s flags as Redis's `getCommandFlags` gives them to its gates: a
/// script runner (EVAL, EVALSHA, FCALL and their `_RO` forms) whose script
/// or function declares flags (a shebang) takes `write` unless it says
/// `no-writes`, and `denyoom` unless it says `allow-oom` or `no-writes`;
/// `allow-stale` gives `stale`. A script without a shebang, an unknown sha
/// or function, or a body whose shebang is invalid keeps the command's own
/// flags (its writes are checked one by one as they run).
pub(super) fn effective_flags(scripts: Scripts<'_>, cmd: &Command, argv: &[&[u8]]) -> u32 {
    if !cmd.has_trait(super::traits::RUNS_SCRIPT) {
        return cmd.flags;
    }
    let Some(declared) = scripts.and_then(|s| s.lock().flags_for(cmd.name, argv)) else {
        return cmd.flags;
    };
    if declared & script_flags::COMPAT != 0 {
        return cmd.flags;
    }
    let mut f = cmd.flags & !(flags::STALE | flags::DENYOOM | flags::WRITE | flags::MAY_REPLICATE);
    if declared & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0 {
        f |= flags::DENYOOM;
    }
    if declared & script_flags::NO_WRITES == 0 {
        f |= flags::WRITE;
    }
    if declared & script_flags::ALLOW_STALE != 0 {
        f |= flags::STALE;
    }
    f
}

/// The disk gate: refuses `cmd` with MISCONF when it writes (a script that
/// may write by its declared flags, PING, or EXEC of a transaction that
/// queued writes, as Redis 7.0 does) while [`crate::persist::disk_error`]
/// reports a failure. Called only when save points are set or AOF is on.
pub(super) fn disk_check(
    store: &mut Store,
    scripts: Scripts<'_>,
    client: &mut ClientState,
    cmd: &'static Command,
    argv: &[&[u8]],
) -> Result<(), Frame> {
    let writes = match cmd.name {
        "ping" => true,
        "exec" => client
            .multi
            .as_ref()
            .is_some_and(|m| m.flags & flags::WRITE != 0),
        _ => effective_flags(scripts, cmd, argv) & flags::WRITE != 0,
    };
    if !writes {
        return Ok(());
    }
    match crate::persist::disk_error(store) {
        Some(text) => refuse(store, client, cmd, text),
        None => Ok(()),
    }
}
