//! Lua scripting: EVAL and friends on one Lua 5.1 interpreter per engine,
//! with Redis 7.0's libraries (`cjson`, `cmsgpack`, `bit`, `struct`),
//! sandbox and type conversions.
//!
//! - [`Scripts`] lives in the engine beside the store (its own mutex,
//!   always locked after the store's): EVAL's interpreter (created lazily)
//!   and script cache, the FUNCTION libraries ([`functions`]), plus the
//!   [`ScriptWatch`] the engine reads without the lock to answer `BUSY`,
//!   `SCRIPT KILL`, `FUNCTION KILL` and `FUNCTION STATS` while a script
//!   runs. A script's handler borrows the store and the scripting state
//!   apart, so the script's commands use the store while the interpreter
//!   runs, without the two ever aliasing.
//! - `vm`: the interpreter, its environment and running a script.
//! - `api`: the `redis` table, `pcall`, the error handler, the kill hook.
//! - `sandbox`: read-only globals and libraries.
//! - `convert`: replies to Lua values and back.

mod api;
mod bit;
mod cjson;
mod cmsgpack;
mod convert;
pub mod functions;
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
pub use watch::{BusyCall, FunctionRun, KillOutcome, ScriptWatch, BUSY, BUSY_FUNCTION};

/// The scripting state of one engine.
#[derive(Debug, Default)]
pub struct Scripts {
    vm: Option<vm::Vm>,
    rng: rand::Rand48,
    /// FUNCTION libraries (their own interpreter).
    pub functions: functions::Functions,
    /// Read by the engine outside the store lock.
    pub watch: Arc<ScriptWatch>,
}

/// The reply of a scripting command run where there is no engine (a bare
/// store, as in unit tests of other command groups).
pub const NO_SCRIPTING: &str = "ERR scripting needs an engine";

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

    /// The flags of the script EVAL / EVALSHA / FCALL (or their `_RO`
    /// forms) `argv` would run (`COMPAT` for a script without a shebang);
    /// `None` if it names no script or function, or its shebang is invalid.
    pub fn flags_for(&self, command: &str, argv: &[&[u8]]) -> Option<u32> {
        let target = argv.get(1)?;
        match command {
            "eval" | "eval_ro" => vm::parse_shebang(target).ok().map(|(flags, _)| flags),
            "evalsha" | "evalsha_ro" => self.vm.as_ref()?.flags(target),
            "fcall" | "fcall_ro" => self.functions.get(target).map(|f| f.flags),
            _ => None,
        }
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
    scripts: &mut Scripts,
    client: &ClientState,
    argv: &[&[u8]],
    mode: EvalMode,
    now_ms: i64,
) -> Result<Frame, Error> {
    if mode.sha && argv[1].len() != 40 {
        return Err(noscript());
    }
    let numkeys = parse_numkeys(argv, "ERR value is not an integer or out of range")?;
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
    if !compat {
        prepare_check(store, flags, mode.read_only)?;
    }
    let read_only = mode.read_only || (!compat && flags & script_flags::NO_WRITES != 0);
    let runner = vm.state();
    let keys = &argv[3..3 + numkeys];
    let args = &argv[3 + numkeys..];
    let run = RunArgs {
        client,
        now_ms,
        read_only,
        allow_oom: !compat && flags & script_flags::ALLOW_OOM != 0,
        function: None,
    };
    Ok(run_script(store, scripts, run, |ctx, hook| {
        // SAFETY: the interpreter belongs to `scripts`, borrowed for the
        // whole call and not otherwise used meanwhile.
        unsafe { runner.call(&sha, keys, args, ctx, hook) }
    }))
}

/// Runs FCALL / FCALL_RO (`read_only`) for `client`: `argv` is the
/// command's full argument list.
pub fn fcall(
    store: &mut Store,
    scripts: &mut Scripts,
    client: &ClientState,
    argv: &[&[u8]],
    read_only: bool,
    now_ms: i64,
) -> Result<Frame, Error> {
    let functions = &scripts.functions;
    let Some(f) = functions.get(argv[1]) else {
        return Err(Error::err("ERR Function not found"));
    };
    let numkeys = parse_numkeys(argv, "ERR Bad number of keys provided")?;
    prepare_check(store, f.flags, read_only)?;
    let read_only = read_only || f.flags & script_flags::NO_WRITES != 0;
    let allow_oom = f.flags & script_flags::ALLOW_OOM != 0;
    let fref = f.fref();
    let run = FunctionRun {
        name: f.name.clone(),
        argv: argv.iter().map(|a| a.to_vec()).collect(),
        libraries: functions.libraries_count(),
        functions: functions.functions_count(),
    };
    let runner = scripts.functions.vm_mut()?.state();
    let name = String::from_utf8_lossy(&run.name).into_owned();
    let keys = &argv[3..3 + numkeys];
    let args = &argv[3 + numkeys..];
    let run = RunArgs {
        client,
        now_ms,
        read_only,
        allow_oom,
        function: Some(run),
    };
    Ok(run_script(store, scripts, run, |ctx, hook| {
        // SAFETY: as for EVAL: the interpreter belongs to `scripts`.
        unsafe { runner.call_ref(fref, &name, keys, args, ctx, hook) }
    }))
}

/// The checks before a script with declared flags (a shebang, or any
/// function) runs, in Redis 7.0's order: one that may write is refused
/// while the disk refuses writes (MISCONF) and by the `_RO` commands; one
/// that neither allows OOM nor declares `no-writes` is refused when memory
/// was over `maxmemory` as the command started. The dispatcher's gates
/// refuse most of these first with the generic errors (they judge scripts
/// by the same flags); these texts are what a script meets when the gates
/// did not know its flags, as for an EVALSHA queued in MULTI before its
/// script was loaded.
fn prepare_check(store: &mut Store, flags: u32, read_only: bool) -> Result<(), Error> {
    if flags & script_flags::NO_WRITES == 0 {
        if !store.config.save.is_empty() || store.aof.on() {
            if let Some(e) = crate::persist::disk_error_kind(store) {
                return Err(Error::msg(e.script_text()));
            }
        }
        if read_only {
            return Err(Error::err(
                "ERR Can not execute a script with write flag using *_ro command.",
            ));
        }
    }
    if store.oom_before_command
        && store.config.maxmemory != 0
        && flags & (script_flags::ALLOW_OOM | script_flags::NO_WRITES) == 0
    {
        return Err(Error::err(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
        ));
    }
    Ok(())
}

/// The key count of EVAL / FCALL `argv` (`argv[2]`), checked against the
/// arguments that follow.
fn parse_numkeys(argv: &[&[u8]], not_int: &'static str) -> Result<usize, Error> {
    let numkeys = crate::num::parse_i64(argv[2]).ok_or(Error::err(not_int))?;
    if numkeys > (argv.len() - 3) as i64 {
        return Err(Error::err(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(Error::err("ERR Number of keys can't be negative"));
    }
    Ok(numkeys as usize)
}

/// How a script is run: for whom, at what time, read-only or not, and
/// which function (FCALL) it is.
struct RunArgs<'a> {
    client: &'a ClientState,
    now_ms: i64,
    read_only: bool,
    /// The `allow-oom` flag: commands that grow memory run even when
    /// memory was over `maxmemory` as the script started.
    allow_oom: bool,
    function: Option<FunctionRun>,
}

/// Runs `call` as the running script of the engine: marks it running (for
/// BUSY and KILL), and gives it the script's own client and frozen clock.
/// The store is lent to the script's commands for the call; the scripting
/// state is a separate borrow, so nothing is reached twice.
fn run_script(
    store: &mut Store,
    scripts: &mut Scripts,
    run: RunArgs<'_>,
    call: impl FnOnce(&mut api::RunCtx, bool) -> Frame,
) -> Frame {
    let RunArgs {
        client,
        now_ms,
        read_only,
        allow_oom,
        function,
    } = run;
    let limit = store.config.lua_time_limit;
    let watch = scripts.watch.clone();
    let rng: *mut rand::Rand48 = &mut scripts.rng;
    let cell = Cell::new(now_ms);
    let mut script_client = ClientState::ephemeral(client.db);
    script_client.user = client.user.clone();
    script_client.in_exec = true;
    script_client.in_script = true;
    script_client.no_block = true;
    let run_id = watch.start(limit, function);
    let _running = Running(&watch);
    let mut ctx = api::RunCtx {
        store,
        client: script_client,
        now: &cell,
        read_only,
        allow_oom,
        watch: watch.clone(),
        run_id,
        rng,
    };
    call(&mut ctx, limit > 0)
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
/// its busy threshold (once it passed the lookup, arity, AUTH and ACL
/// checks, which come first): `SCRIPT KILL`'s or `FUNCTION KILL`'s reply,
/// `FUNCTION STATS`, `BUSY`, or `None` for the other commands Redis runs
/// then (the script serves them: [`ScriptWatch::submit`]).
pub fn busy_reply(watch: &ScriptWatch, cmd: &'static Command) -> Option<Frame> {
    match cmd.name {
        "script|kill" => Some(watch.kill(false).reply()),
        "function|kill" => Some(watch.kill(true).reply()),
        "function|stats" => Some(function_stats(watch, None)),
        _ if cmd.has(flags::ALLOW_BUSY) => None,
        _ => Some(Frame::error(watch.busy_text())),
    }
}

/// FUNCTION STATS: the running function (if any) and the engine's
/// counts. `counts` (libraries, functions) come from the store when the
/// caller holds the lock; without it, from the running function's record.
pub fn function_stats(watch: &ScriptWatch, counts: Option<(usize, usize)>) -> Frame {
    let text = |s: &'static str| Frame::Bulk(s.into());
    if watch.running() && watch.busy_text() == BUSY {
        return Frame::error(BUSY);
    }
    let running = watch.running_function();
    let (libraries, functions) = match (&running, counts) {
        (_, Some(c)) => c,
        (Some((run, _)), None) => (run.libraries, run.functions),
        (None, None) => (0, 0),
    };
    let running = match running {
        None => Frame::Null,
        Some((run, ms)) => Frame::Map(vec![
            (text("name"), Frame::bulk(&run.name)),
            (text("command"), Frame::bulk_array(run.argv)),
            (text("duration_ms"), Frame::Integer(ms)),
        ]),
    };
    let lua = Frame::Map(vec![
        (text("libraries_count"), Frame::Integer(libraries as i64)),
        (text("functions_count"), Frame::Integer(functions as i64)),
    ]);
    Frame::Map(vec![
        (text("running_script"), running),
        (text("engines"), Frame::Map(vec![(text("LUA"), lua)])),
    ])
}
