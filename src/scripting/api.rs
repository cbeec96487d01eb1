//! The `redis` table scripts see (`redis.call`, `redis.pcall`,
//! `redis.error_reply`...), Redis's replacement `pcall`, the error handler
//! that adds `script: <sha>, on @user_script:<line>.` context, and the
//! instruction hook that lets SCRIPT KILL stop a script.

use std::cell::Cell;
use std::ffi::c_int;
use std::sync::Arc;

use super::convert;
use super::lua::{self, ffi, guard, LuaError, State};
use super::rand::Rand48;
use super::watch::ScriptWatch;
use crate::commands::{self, flags};
use crate::engine::{ClientState, Now, Store};
use crate::resp::{double_text, Frame};

/// Everything the `redis.*` functions need while a script runs. It lives
/// on the EVAL handler's stack; [`CURRENT`] points at it for the run.
pub(crate) struct RunCtx {
    /// The store the EVAL handler holds the lock of; only used through
    /// this pointer while the script runs.
    pub store: *mut Store,
    /// The script's own client: its database and protocol.
    pub client: ClientState,
    /// The script's frozen clock.
    pub now: *const Cell<i64>,
    /// EVAL_RO, or a `no-writes` shebang flag.
    pub read_only: bool,
    /// The script's `allow-oom` flag.
    pub allow_oom: bool,
    pub watch: Arc<ScriptWatch>,
    pub run_id: u64,
    pub rng: *mut Rand48,
}

thread_local! {
    static CURRENT: Cell<*mut RunCtx> = const { Cell::new(std::ptr::null_mut()) };
}

/// Makes `ctx` the running script's context until the guard drops.
pub(crate) struct Current(*mut RunCtx);

impl Current {
    pub fn set(ctx: &mut RunCtx) -> Current {
        Current(CURRENT.with(|c| c.replace(ctx)))
    }
}

impl Drop for Current {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// The running script's context.
///
/// # Safety
/// Only called from Lua callbacks during a run, one at a time.
unsafe fn current<'a>() -> Option<&'a mut RunCtx> {
    CURRENT.with(|c| c.get().as_mut())
}

/// The C functions of the `redis` table.
pub(crate) const REDIS_FUNCS: &[(&str, ffi::lua_CFunction)] = &[
    ("call", redis_call),
    ("pcall", redis_pcall),
    ("log", redis_log),
    ("setresp", redis_setresp),
    ("sha1hex", redis_sha1hex),
    ("error_reply", redis_error_reply),
    ("status_reply", redis_status_reply),
    ("set_repl", redis_set_repl),
    ("acl_check_cmd", redis_acl_check_cmd),
    ("breakpoint", redis_breakpoint),
    ("debug", redis_debug),
    ("replicate_commands", redis_replicate_commands),
];

/// Numeric constants of the `redis` table.
pub(crate) const REDIS_NUMBERS: &[(&str, f64)] = &[
    ("LOG_DEBUG", 0.0),
    ("LOG_VERBOSE", 1.0),
    ("LOG_NOTICE", 2.0),
    ("LOG_WARNING", 3.0),
    ("REPL_NONE", 0.0),
    ("REPL_AOF", 1.0),
    ("REPL_SLAVE", 2.0),
    ("REPL_REPLICA", 2.0),
    ("REPL_ALL", 3.0),
    ("REDIS_VERSION_NUM", ((7 << 16) | 15) as f64),
];

pub(crate) const REDIS_VERSION: &str = "7.0.15";

unsafe extern "C-unwind" fn redis_call(l: State) -> c_int {
    guard(l, || call_generic(l, true))
}

unsafe extern "C-unwind" fn redis_pcall(l: State) -> c_int {
    guard(l, || call_generic(l, false))
}

/// Pushes an error table for `msg`; raised by `redis.call`, returned by
/// `redis.pcall`.
unsafe fn fail(l: State, raise: bool, msg: &str, stats_flag: bool) -> Result<c_int, LuaError> {
    if stats_flag {
        convert::push_error_with_stats_flag(l, msg.as_bytes());
    } else {
        lua::push_error_table(l, msg.as_bytes());
    }
    if raise {
        Err(LuaError::Top)
    } else {
        Ok(1)
    }
}

/// The arguments of a `redis.*` call, converted the way Redis does:
/// strings as they are, numbers with `%.17g`; anything else is refused.
/// They are copied out and popped, so the reply has the whole stack (a
/// script may pass thousands of arguments with `unpack`).
struct CallArgs {
    buf: Vec<u8>,
    ends: Vec<usize>,
}

impl CallArgs {
    unsafe fn take(l: State) -> Option<CallArgs> {
        let argc = ffi::lua_gettop(l);
        let mut args = CallArgs {
            buf: Vec::new(),
            ends: Vec::with_capacity(argc.max(0) as usize),
        };
        for i in 1..=argc {
            match ffi::lua_type(l, i) {
                ffi::LUA_TNUMBER => args
                    .buf
                    .extend_from_slice(&double_text(ffi::lua_tonumber(l, i))),
                ffi::LUA_TSTRING => args.buf.extend_from_slice(lua::to_bytes(l, i)?),
                _ => {
                    ffi::lua_settop(l, 0);
                    return None;
                }
            }
            args.ends.push(args.buf.len());
        }
        ffi::lua_settop(l, 0);
        Some(args)
    }

    fn argv(&self) -> Vec<&[u8]> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let a = &self.buf[start..end];
                start = end;
                a
            })
            .collect()
    }
}

unsafe fn call_generic(l: State, raise: bool) -> Result<c_int, LuaError> {
    let Some(ctx) = current() else {
        return fail(
            l,
            true,
            "redis.call/pcall can only be called inside a script invocation",
            false,
        );
    };
    if ffi::lua_gettop(l) == 0 {
        return fail(
            l,
            raise,
            "Please specify at least one argument for this redis lib call",
            false,
        );
    }
    let Some(args) = CallArgs::take(l) else {
        return fail(
            l,
            raise,
            "Lua redis lib command arguments must be strings or integers",
            false,
        );
    };
    match execute(ctx, &args.argv()) {
        Err(msg) => fail(l, raise, &msg, true),
        Ok(frame) => {
            let ok = convert::push_reply(l, &frame, ctx.client.resp3);
            if !ok && raise {
                Err(LuaError::Top)
            } else {
                Ok(1)
            }
        }
    }
}

/// Runs one command for the script, with the checks Redis applies to
/// commands called from scripts.
unsafe fn execute(
    ctx: &mut RunCtx,
    argv: &[&[u8]],
) -> Result<Frame, std::borrow::Cow<'static, str>> {
    let Ok(cmd) = commands::resolve(argv) else {
        return Err("Unknown Redis command called from script".into());
    };
    if !cmd.arity_ok(argv.len()) {
        return Err("Wrong number of args calling Redis command from script".into());
    }
    if cmd.has(flags::NOSCRIPT) {
        return Err("This Redis command is not allowed from script".into());
    }
    if ctx.read_only && cmd.flags & (flags::WRITE | flags::MAY_REPLICATE) != 0 {
        return Err("Write commands are not allowed from read-only scripts.".into());
    }
    let store = &mut *ctx.store;
    // While the disk refuses writes (MISCONF), a script may not begin
    // writing (once it has written it must be allowed to finish).
    if cmd.has(flags::WRITE)
        && !ctx.watch.wrote()
        && (!store.config.save.is_empty() || store.aof.on())
    {
        if let Some(text) = crate::persist::disk_error(store) {
            return Err(format!("-{text}").into());
        }
    }
    // A script that started over maxmemory may not begin writing (once it
    // has written it must be allowed to finish).
    if cmd.has(flags::DENYOOM)
        && !ctx.allow_oom
        && store.config.maxmemory != 0
        && store.oom_before_command
        && !ctx.watch.wrote()
    {
        return Err("-OOM command not allowed when used memory > 'maxmemory'.".into());
    }
    if cmd.has(flags::WRITE) {
        ctx.watch.set_wrote();
    }
    if store.gate.load(std::sync::atomic::Ordering::Relaxed) {
        if let Err(d) = commands::auth::check(store, &ctx.client, cmd, argv, "lua") {
            return Err(d.script_error().into());
        }
    }
    let now = Now::new(&*ctx.now);
    let frame = commands::run(store, None, &mut ctx.client, cmd, argv, now);
    if !store.monitors.is_empty() && !crate::engine::monitor::hidden(cmd) {
        crate::engine::monitor::feed(store, ctx.client.db, "lua", cmd, argv);
    }
    store.flush_db_events(ctx.client.db);
    Ok(frame)
}

unsafe extern "C-unwind" fn redis_sha1hex(l: State) -> c_int {
    guard(l, || {
        if ffi::lua_gettop(l) != 1 {
            return Err(LuaError::Table("wrong number of arguments".into()));
        }
        let data = lua::to_bytes(l, 1).unwrap_or_default();
        lua::push_bytes(l, super::sha1_hex(data).as_bytes());
        Ok(1)
    })
}

/// `redis.error_reply(text)`: `{err = text}` with an `ERR` code unless the
/// text starts with `-CODE`.
unsafe extern "C-unwind" fn redis_error_reply(l: State) -> c_int {
    guard(l, || {
        if ffi::lua_gettop(l) != 1 || ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
            lua::push_error_table(l, b"wrong number or type of arguments");
            return Ok(1);
        }
        let text = lua::to_bytes(l, 1).unwrap_or_default();
        let mut buf = Vec::with_capacity(text.len() + 1);
        if !text.starts_with(b"-") {
            buf.push(b'-');
        }
        buf.extend_from_slice(text);
        lua::push_error_table(l, &buf);
        Ok(1)
    })
}

unsafe extern "C-unwind" fn redis_status_reply(l: State) -> c_int {
    guard(l, || {
        if ffi::lua_gettop(l) != 1 || ffi::lua_type(l, -1) != ffi::LUA_TSTRING {
            lua::push_error_table(l, b"wrong number or type of arguments");
            return Ok(1);
        }
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushvalue(l, 1);
        lua::raw_set_str(l, 2, b"ok");
        Ok(1)
    })
}

/// `redis.log(level, ...)`: warnings go to stderr, the rest is dropped
/// (an embedded engine has no log file to fill).
pub(crate) unsafe extern "C-unwind" fn redis_log(l: State) -> c_int {
    guard(l, || {
        let argc = ffi::lua_gettop(l);
        if argc < 2 {
            return Err(LuaError::Table(
                "redis.log() requires two arguments or more.".into(),
            ));
        }
        if ffi::lua_isnumber(l, 1) == 0 {
            return Err(LuaError::Table(
                "First argument must be a number (log level).".into(),
            ));
        }
        let level = lua::c_cast_i32(ffi::lua_tonumber(l, 1));
        if !(0..=3).contains(&level) {
            return Err(LuaError::Table("Invalid debug level.".into()));
        }
        if level < 3 {
            return Ok(0);
        }
        let mut parts = Vec::new();
        for i in 2..=argc {
            if let Some(s) = lua::to_bytes(l, i) {
                parts.push(String::from_utf8_lossy(s).into_owned());
            }
        }
        eprintln!("redcore lua: {}", parts.join(" "));
        Ok(0)
    })
}

unsafe extern "C-unwind" fn redis_setresp(l: State) -> c_int {
    guard(l, || {
        let Some(ctx) = current() else {
            return Err(LuaError::Table(
                "redis.setresp can only be called inside a script invocation".into(),
            ));
        };
        if ffi::lua_gettop(l) != 1 {
            return Err(LuaError::Table(
                "redis.setresp() requires one argument.".into(),
            ));
        }
        match lua::c_cast_i32(ffi::lua_tonumber(l, 1)) {
            2 => ctx.client.resp3 = false,
            3 => ctx.client.resp3 = true,
            _ => return Err(LuaError::Table("RESP version must be 2 or 3.".into())),
        }
        Ok(0)
    })
}

/// Accepted for compatibility: an embedded engine does not replicate.
unsafe extern "C-unwind" fn redis_set_repl(l: State) -> c_int {
    guard(l, || {
        if current().is_none() {
            return Err(LuaError::Table(
                "redis.set_repl can only be called inside a script invocation".into(),
            ));
        }
        if ffi::lua_gettop(l) != 1 {
            return Err(LuaError::Table(
                "redis.set_repl() requires two arguments.".into(),
            ));
        }
        let flags = lua::c_cast_i32(ffi::lua_tonumber(l, 1));
        if flags & !3 != 0 {
            return Err(LuaError::Table(
                "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."
                    .into(),
            ));
        }
        Ok(0)
    })
}

/// Every command is permitted: the embedded engine has no ACL users.
unsafe extern "C-unwind" fn redis_acl_check_cmd(l: State) -> c_int {
    guard(l, || {
        if current().is_none() {
            return Err(LuaError::Table(
                "redis.acl_check_cmd can only be called inside a script invocation".into(),
            ));
        }
        if ffi::lua_gettop(l) == 0 {
            return Err(LuaError::Table(
                "Please specify at least one argument for this redis lib call".into(),
            ));
        }
        let Some(args) = CallArgs::take(l) else {
            return Err(LuaError::Table(
                "Lua redis lib command arguments must be strings or integers".into(),
            ));
        };
        if commands::resolve(&args.argv()).is_err() {
            return Err(LuaError::Table(
                "Invalid command passed to redis.acl_check_cmd()".into(),
            ));
        }
        ffi::lua_pushboolean(l, 1);
        Ok(1)
    })
}

/// Outside the debugger: false.
unsafe extern "C-unwind" fn redis_breakpoint(l: State) -> c_int {
    ffi::lua_pushboolean(l, 0);
    1
}

/// Outside the debugger: nothing.
unsafe extern "C-unwind" fn redis_debug(_l: State) -> c_int {
    0
}

/// Deprecated in 7.0: always true.
unsafe extern "C-unwind" fn redis_replicate_commands(l: State) -> c_int {
    ffi::lua_pushboolean(l, 1);
    1
}

/// Redis's `pcall`: a caught error table is replaced by its `err` text,
/// so scripts written for older versions see a string.
pub(crate) unsafe extern "C-unwind" fn lua_pcall_compat(l: State) -> c_int {
    let argc = ffi::lua_gettop(l);
    if ffi::lua_checkstack(l, 2) == 0 {
        lua::raise(l, LuaError::Where("stack overflow".into()));
    }
    if argc == 0 {
        ffi::lua_pushboolean(l, 0);
        lua::push_bytes(l, b"attempt to call a boolean value");
        return 2;
    }
    ffi::lua_pushboolean(l, 1);
    ffi::lua_insert(l, 1);
    if ffi::lua_pcall(l, argc - 1, ffi::LUA_MULTRET, 0) != 0 {
        ffi::lua_remove(l, 1);
        if ffi::lua_istable(l, -1) != 0 {
            ffi::lua_getfield_(l, -1, c"err".as_ptr());
            if ffi::lua_isstring(l, -1) != 0 {
                ffi::lua_replace(l, -2);
            }
        }
        ffi::lua_pushboolean(l, 0);
        ffi::lua_insert(l, 1);
    }
    ffi::lua_gettop(l)
}

/// The message handler of a script call: turns the error into Redis's
/// table `{err = ..., source = ..., line = ...}`, the position being the
/// innermost Lua function (Redis skips the C function that raised).
pub(crate) unsafe extern "C-unwind" fn error_handler(l: State) -> c_int {
    let mut ar: ffi::lua_Debug = std::mem::zeroed();
    let mut have =
        ffi::lua_getstack(l, 1, &mut ar) != 0 && ffi::lua_getinfo(l, c"nSl".as_ptr(), &mut ar) != 0;
    if have && !ar.what.is_null() && std::ffi::CStr::from_ptr(ar.what).to_bytes() == b"C" {
        have = ffi::lua_getstack(l, 2, &mut ar) != 0
            && ffi::lua_getinfo(l, c"nSl".as_ptr(), &mut ar) != 0;
    }
    if ffi::lua_istable(l, 1) == 0 {
        // err = {err = 'ERR ' .. tostring(err)}
        ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, super::vm::REG_TOSTRING.as_ptr());
        ffi::lua_pushvalue(l, 1);
        ffi::lua_call(l, 1, 1);
        lua::push_bytes(l, b"ERR ");
        ffi::lua_insert(l, -2);
        ffi::lua_concat(l, 2);
        ffi::lua_createtable(l, 0, 3);
        ffi::lua_insert(l, -2);
        ffi::lua_setfield(l, -2, c"err".as_ptr());
        ffi::lua_replace(l, 1);
    }
    ffi::lua_settop(l, 1);
    if have {
        ffi::lua_pushstring_(l, ar.source);
        ffi::lua_setfield(l, 1, c"source".as_ptr());
        ffi::lua_pushnumber(l, f64::from(ar.currentline));
        ffi::lua_setfield(l, 1, c"line".as_ptr());
    }
    1
}

/// The count hook: runs the commands other clients may send while the
/// script is busy (see `watch::BusyCall`), and stops the script once
/// SCRIPT KILL asked for it. It then fires on every line too, so a script
/// catching the error with `pcall` is stopped again at once.
pub(crate) unsafe extern "C-unwind" fn kill_hook(l: State, _ar: *mut ffi::lua_Debug) {
    let killed = match current() {
        Some(ctx) => {
            // Between two instructions nothing else uses the store.
            let (watch, store) = (&ctx.watch, &mut *ctx.store);
            // A panic must not unwind through Lua's frames; the call's
            // waiter sees its reply channel closed.
            let _ =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| watch.run_calls(store)));
            ctx.watch.kill_requested(ctx.run_id)
        }
        None => false,
    };
    if killed {
        ffi::lua_sethook(
            l,
            Some(kill_hook),
            ffi::LUA_MASKLINE | ffi::LUA_MASKCOUNT,
            1,
        );
        lua::push_error_table(l, b"Script killed by user with SCRIPT KILL...");
        ffi::lua_error(l);
    }
}

/// `math.random([m [, n]])` over Redis's own generator, so a seeded
/// sequence matches Redis's.
pub(crate) unsafe extern "C-unwind" fn math_random(l: State) -> c_int {
    guard(l, || {
        let Some(ctx) = current() else {
            return Err(LuaError::Where(
                "math.random can only be called inside a script invocation".into(),
            ));
        };
        let r = (*ctx.rng).next_f64();
        match ffi::lua_gettop(l) {
            0 => ffi::lua_pushnumber(l, r),
            1 => {
                let u = lua::c_cast_i32(lua::check_number(l, 1)?);
                if u < 1 {
                    return Err(LuaError::Arg(1, "interval is empty".into()));
                }
                ffi::lua_pushnumber(l, (r * f64::from(u)).floor() + 1.0);
            }
            2 => {
                let lo = lua::c_cast_i32(lua::check_number(l, 1)?);
                let hi = lua::c_cast_i32(lua::check_number(l, 2)?);
                if lo > hi {
                    return Err(LuaError::Arg(2, "interval is empty".into()));
                }
                let span = f64::from(hi) - f64::from(lo) + 1.0;
                ffi::lua_pushnumber(l, (r * span).floor() + f64::from(lo));
            }
            _ => return Err(LuaError::Where("wrong number of arguments".into())),
        }
        Ok(1)
    })
}

pub(crate) unsafe extern "C-unwind" fn math_randomseed(l: State) -> c_int {
    guard(l, || {
        let Some(ctx) = current() else {
            return Err(LuaError::Where(
                "math.randomseed can only be called inside a script invocation".into(),
            ));
        };
        let seed = lua::c_cast_i32(lua::check_number(l, 1)?);
        (*ctx.rng).seed(seed);
        Ok(0)
    })
}
