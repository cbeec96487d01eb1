//! The dispatcher's maxmemory gate: before a command runs (or is queued in
//! MULTI) with `maxmemory` set, evict what the policy allows; if memory is
//! still over the limit, refuse commands that may grow it with Redis's OOM
//! error. Scripts are judged by their flags, and a script that started
//! while memory was over the limit may not begin writing (see
//! [`Store::oom_before_command`](crate::engine::Store)).
//!
//! Also the disk gate ([`disk_check`]): while the disk refuses to persist
//! (a failed background save with save points set, or a failing AOF),
//! writes, PING and EXEC of a transaction with writes get Redis's MISCONF
//! error; reads go on.

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
    let text = Error::Oom.to_string();
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

/// True if `cmd` may grow memory: flagged `denyoom`; EXEC holding such a
/// command; a script that declares flags without `allow-oom` or
/// `no-writes` (scripts without a shebang are checked per command inside).
fn denies_oom(scripts: Scripts<'_>, client: &ClientState, cmd: &Command, argv: &[&[u8]]) -> bool {
    if cmd.has(flags::DENYOOM) {
        return true;
    }
    match cmd.name {
        "exec" => client.multi.as_ref().is_some_and(|m| {
            m.queued.iter().any(|q| {
                let args: Vec<&[u8]> = q.iter().map(|a| a.as_ref()).collect();
                super::resolve(&args).is_ok_and(|c| denies_oom(scripts, client, c, &args))
            })
        }),
        "eval" | "evalsha" | "fcall" => {
            let Some(scripts) = scripts else {
                return false;
            };
            let Some(flags) = scripts.lock().flags_for(cmd.name, argv) else {
                return false;
            };
            flags & script_flags::COMPAT == 0
                && flags & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0
        }
        _ => false,
    }
}

/// The disk gate: refuses `cmd` with MISCONF when it writes (or is PING,
/// or EXEC of queued writes, as Redis 7.0 does) while
/// [`crate::persist::disk_error`] reports a failure. Called only when save
/// points are set or AOF is on.
pub(super) fn disk_check(
    store: &mut Store,
    client: &mut ClientState,
    cmd: &'static Command,
) -> Result<(), Frame> {
    if !(cmd.has(flags::WRITE) || cmd.name == "ping" || cmd.name == "exec") {
        return Ok(());
    }
    let Some(text) = crate::persist::disk_error(store) else {
        return Ok(());
    };
    if cmd.name == "exec" {
        let writes = client.multi.as_ref().is_some_and(|m| {
            m.queued.iter().any(|q| {
                let args: Vec<&[u8]> = q.iter().map(|a| a.as_ref()).collect();
                super::resolve(&args).is_ok_and(|c| c.has(flags::WRITE))
            })
        });
        if !writes {
            return Ok(());
        }
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
