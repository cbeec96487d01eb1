//! Lua scripting: EVAL and friends on one Lua 5.1 interpreter per engine,
//! with Redis 7.0's libraries (`cjson`, `cmsgpack`, `bit`, `struct`),
//! sandbox and type conversions.
//!
//! - [`Scripts`] lives in the store: the interpreter (created lazily) and
//!   the script cache, plus the [`ScriptWatch`] the engine reads without
//!   the lock to answer `BUSY` and `SCRIPT KILL` while a script runs.
//! - `vm`: the interpreter, its environment and running a script.
//! - `api`: the `redis` table, `pcall`, the error handler, the kill hook.
//! - `sandbox`: read-only globals and libraries.
//! - `convert`: replies to Lua values and back.

mod api;
mod bit;
mod cjson;
mod cmsgpack;
mod convert;
mod lua;
mod rand;
mod sandbox;
mod structlib;
mod vm;
mod watch;

#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::sync::Arc;

use crate::commands::{flags, Command};
use crate::engine::{ClientState, Store};
use crate::error::Error;
use crate::resp::Frame;
pub use vm::script_flags;
pub use watch::{KillOutcome, ScriptWatch, BUSY};

/// The scripting state of one engine.
#[derive(Debug, Default)]
pub struct Scripts {
    vm: Option<vm::Vm>,
    rng: rand::Rand48,
    /// Read by the engine outside the store lock.
    pub watch: Arc<ScriptWatch>,
}

/// How EVAL was called.
#[derive(Clone, Copy, Debug)]
pub struct EvalMode {
    /// EVALSHA / EVALSHA_RO: `argv[1]` is a sha.
    pub sha: bool,
    /// EVAL_RO / EVALSHA_RO.
    pub read_only: bool,
}

/// The lowercase hex SHA1 of `data`.
pub fn sha1_hex(data: &[u8]) -> String {
    sha1_smol::Sha1::from(data).digest().to_string()
}

/// `text` on one line (error replies cannot hold CR or LF).
pub(crate) fn one_line(text: &str) -> String {
    text.trim_end_matches(['\r', '\n'])
        .replace(['\r', '\n'], " ")
}

impl Scripts {
    fn vm(&mut self) -> Result<&mut vm::Vm, Error> {
        if self.vm.is_none() {
            self.vm = Some(vm::Vm::new()?);
        }
        self.vm
            .as_mut()
            .ok_or(Error::err("ERR Failed to create the Lua interpreter"))
    }

    /// SCRIPT LOAD: compiles and caches `body`; returns its sha.
    pub fn load(&mut self, body: &[u8]) -> Result<String, Error> {
        let sha = self.vm()?.create(body)?;
        Ok(String::from_utf8_lossy(&sha).into_owned())
    }

    /// SCRIPT EXISTS for one sha.
    pub fn exists(&self, sha: &[u8]) -> bool {
        self.vm.as_ref().is_some_and(|vm| vm.has(sha))
    }

    /// Number of cached scripts (INFO).
    pub fn len(&self) -> usize {
        self.vm.as_ref().map_or(0, |vm| vm.len())
    }

    /// True when no script is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// SCRIPT FLUSH: drops every script and the interpreter itself (its
    /// globals and library settings start afresh).
    pub fn flush(&mut self) {
        self.vm = None;
    }
}

/// Runs EVAL / EVALSHA (and the _RO forms) for `client`: `argv` is the
/// command's full argument list.
pub fn eval(
    store: &mut Store,
    client: &ClientState,
    argv: &[&[u8]],
    mode: EvalMode,
    now_ms: i64,
) -> Result<Frame, Error> {
    if mode.sha && argv[1].len() != 40 {
        return Err(noscript());
    }
    let numkeys = crate::num::parse_i64(argv[2]).ok_or(Error::NotInteger)?;
    let rest = argv.len() - 3;
    if numkeys > rest as i64 {
        return Err(Error::err(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(Error::err("ERR Number of keys can't be negative"));
    }
    let numkeys = numkeys as usize;
    let limit = store.config.lua_time_limit;
    let scripts = &mut store.scripts;
    let vm = scripts.vm()?;
    let sha: [u8; 40] = if mode.sha {
        let mut sha: [u8; 40] = argv[1].try_into().map_err(|_| noscript())?;
        sha.make_ascii_lowercase();
        if !vm.has(&sha) {
            return Err(noscript());
        }
        sha
    } else {
        vm.create(argv[1])?
    };
    let flags = vm.flags(&sha).unwrap_or(script_flags::COMPAT);
    let compat = flags & script_flags::COMPAT != 0;
    if !compat && flags & script_flags::NO_WRITES == 0 && mode.read_only {
        return Err(Error::err(
            "ERR Can not execute a script with write flag using *_ro command.",
        ));
    }
    let read_only = mode.read_only || (!compat && flags & script_flags::NO_WRITES != 0);
    let runner = vm.state();
    let watch = scripts.watch.clone();
    let rng: *mut rand::Rand48 = &mut scripts.rng;

    let cell = Cell::new(now_ms);
    let mut script_client = ClientState::ephemeral(client.db);
    script_client.user = client.user.clone();
    script_client.in_exec = true;
    script_client.in_script = true;
    script_client.no_block = true;
    let run_id = watch.start(limit);
    let _running = Running(&watch);
    let mut ctx = api::RunCtx {
        store,
        client: script_client,
        now: &cell,
        read_only,
        watch: watch.clone(),
        run_id,
        rng,
    };
    let keys = &argv[3..3 + numkeys];
    let args = &argv[3 + numkeys..];
    // SAFETY: from here on the store is only used through `ctx.store`, by
    // the script's own commands, which never touch the interpreter (SCRIPT
    // and EVAL are refused in scripts).
    let reply = unsafe { runner.call(&sha, keys, args, &mut ctx, limit > 0) };
    Ok(reply)
}

/// Clears the running mark even if the script panics.
struct Running<'a>(&'a ScriptWatch);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

fn noscript() -> Error {
    Error::err("NOSCRIPT No matching script. Please use EVAL.")
}

/// The engine's answer to a command that arrives while a script is past
/// its busy threshold: `SCRIPT KILL`'s reply, `BUSY`, or `None` for the
/// commands Redis still runs then (they wait for the lock).
pub fn busy_reply(
    watch: &ScriptWatch,
    cmd: Option<&'static Command>,
    argv: &[&[u8]],
) -> Option<Frame> {
    let is = |i: usize, name: &[u8]| argv.get(i).is_some_and(|a| a.eq_ignore_ascii_case(name));
    if argv.len() == 2 && is(0, b"script") && is(1, b"kill") {
        return Some(watch.kill().reply());
    }
    let cmd = cmd.or_else(|| crate::commands::resolve(argv).ok());
    match cmd {
        Some(c) if c.has(flags::ALLOW_BUSY) && c.name != "script" => None,
        _ => Some(Frame::error(BUSY)),
    }
}

/// True for commands that run a script (EVAL...): a caller holding
/// another lock (Python's GIL) should release it for them.
pub fn runs_script(name: &[u8]) -> bool {
    [
        &b"eval"[..],
        b"evalsha",
        b"eval_ro",
        b"evalsha_ro",
        b"fcall",
        b"fcall_ro",
    ]
    .iter()
    .any(|n| n.eq_ignore_ascii_case(name))
}
