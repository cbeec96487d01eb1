//! The Lua interpreter of an engine: created on first use, loaded with
//! Redis's libraries and sandbox, holding every cached script as the
//! function `f_<sha>` in its registry.

use std::collections::HashMap;
use std::ffi::{c_int, CStr, CString};

use super::api::{self, RunCtx};
use super::lua::{self, ffi, State};
use super::{bit, cjson, cmsgpack, sandbox, structlib};
use crate::error::Error;
use crate::resp::Frame;

/// Registry field holding the original `tostring` (the error handler
/// formats non-table errors with it).
pub(crate) const REG_TOSTRING: &CStr = c"redcore.tostring";

/// Shebang flags (`#!lua flags=...`).
pub mod script_flags {
    /// No shebang: EVAL's backward-compatible behaviour.
    pub const COMPAT: u32 = 1 << 0;
    pub const NO_WRITES: u32 = 1 << 1;
    pub const ALLOW_OOM: u32 = 1 << 2;
    pub const ALLOW_STALE: u32 = 1 << 3;
    pub const NO_CLUSTER: u32 = 1 << 4;
    pub const ALLOW_CROSS_SLOT: u32 = 1 << 5;
}

/// Instructions between two checks for SCRIPT KILL.
const HOOK_EVERY: c_int = 100_000;

pub struct Vm {
    l: State,
    /// sha1 (lowercase hex) -> shebang flags of each cached script.
    scripts: HashMap<[u8; 40], u32>,
    calls: u32,
}

// SAFETY: the state is only used under the engine's store lock, by one
// thread at a time.
unsafe impl Send for Vm {}

impl std::fmt::Debug for Vm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm")
            .field("scripts", &self.scripts.len())
            .finish_non_exhaustive()
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        // SAFETY: the state is ours and no script is running.
        unsafe { ffi::lua_close(self.l) }
    }
}

impl Vm {
    /// A fresh interpreter with Redis's environment.
    pub fn new() -> Result<Vm, Error> {
        // SAFETY: a new state, initialized inside a protected call.
        unsafe {
            let l = ffi::luaL_newstate();
            if l.is_null() {
                return Err(Error::err("ERR Failed to create the Lua interpreter"));
            }
            if ffi::lua_cpcall(l, init_state, std::ptr::null_mut()) != 0 {
                ffi::lua_close(l);
                return Err(Error::err("ERR Failed to initialize the Lua interpreter"));
            }
            Ok(Vm {
                l,
                scripts: HashMap::new(),
                calls: 0,
            })
        }
    }

    /// True if `sha` (lowercase) is cached.
    pub fn has(&self, sha: &[u8]) -> bool {
        sha_key(sha).is_some_and(|k| self.scripts.contains_key(&k))
    }

    /// The shebang flags of cached script `sha` (lowercase).
    pub fn flags(&self, sha: &[u8]) -> Option<u32> {
        self.scripts.get(&sha_key(sha)?).copied()
    }

    /// Number of cached scripts.
    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    /// Compiles `body` into `f_<sha>` unless cached; returns the sha.
    pub fn create(&mut self, body: &[u8]) -> Result<[u8; 40], Error> {
        let sha = sha_key(super::sha1_hex(body).as_bytes()).unwrap_or([b'0'; 40]);
        if self.scripts.contains_key(&sha) {
            return Ok(sha);
        }
        let (flags, skip) = parse_shebang(body)?;
        let l = self.l;
        // SAFETY: the stack is ours; loading never raises (parse errors
        // come back as a status).
        unsafe {
            let status = lua::ffi::luaL_loadbuffer(
                l,
                body[skip..].as_ptr().cast(),
                body.len() - skip,
                c"@user_script".as_ptr(),
            );
            if status != 0 {
                let msg =
                    String::from_utf8_lossy(lua::to_bytes(l, -1).unwrap_or_default()).into_owned();
                ffi::lua_pop(l, 1);
                return Err(Error::msg(crate::scripting::one_line(&format!(
                    "ERR Error compiling script (new function): {msg}"
                ))));
            }
            let name = func_name(&sha);
            ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, name.as_ptr());
        }
        self.scripts.insert(sha, flags);
        Ok(sha)
    }

    /// The raw state (FUNCTION libraries are loaded into it directly).
    pub(crate) fn lua(&self) -> State {
        self.l
    }

    /// The interpreter, for [`call`].
    pub fn state(&mut self) -> Runner {
        self.calls = self.calls.wrapping_add(1);
        Runner {
            l: self.l,
            gc_step: self.calls % 50 == 0,
        }
    }
}

/// What running a script needs from the [`Vm`], taken out of it so the
/// script's commands can use the whole store meanwhile.
pub struct Runner {
    l: State,
    gc_step: bool,
}

impl Runner {
    /// Runs cached script `sha` with `KEYS` and `ARGV`; returns the reply.
    ///
    /// # Safety
    /// The VM this came from must outlive the call and not be used
    /// otherwise meanwhile; `ctx.store` must be the locked store.
    pub unsafe fn call(
        self,
        sha: &[u8; 40],
        keys: &[&[u8]],
        args: &[&[u8]],
        ctx: &mut RunCtx,
        hook: bool,
    ) -> Frame {
        let l = self.l;
        ffi::lua_settop(l, 0);
        ffi::lua_pushcclosure(l, api::error_handler, 0);
        let name = func_name(sha);
        ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, name.as_ptr());
        ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, sandbox::REG_GLOBALS.as_ptr());
        push_array(l, keys);
        lua::raw_set_str(l, 3, b"KEYS");
        push_array(l, args);
        lua::raw_set_str(l, 3, b"ARGV");
        ffi::lua_pop(l, 1);
        self.run(0, std::str::from_utf8(sha).unwrap_or(""), ctx, hook)
    }

    /// Runs the function at registry reference `fref` (a FUNCTION
    /// library's callback) as `callback(keys, args)`; `name` is the
    /// function name error replies cite.
    ///
    /// # Safety
    /// As for [`Runner::call`].
    pub unsafe fn call_ref(
        self,
        fref: c_int,
        name: &str,
        keys: &[&[u8]],
        args: &[&[u8]],
        ctx: &mut RunCtx,
        hook: bool,
    ) -> Frame {
        let l = self.l;
        ffi::lua_settop(l, 0);
        ffi::lua_pushcclosure(l, api::error_handler, 0);
        ffi::lua_rawgeti_(l, ffi::LUA_REGISTRYINDEX, fref);
        push_array(l, keys);
        push_array(l, args);
        self.run(2, name, ctx, hook)
    }

    /// Calls the function at stack index 2 with `nargs` arguments above it
    /// (the error handler at index 1) and converts its result.
    unsafe fn run(self, nargs: c_int, name: &str, ctx: &mut RunCtx, hook: bool) -> Frame {
        let l = self.l;
        let current = api::Current::set(ctx);
        if hook {
            ffi::lua_sethook(l, Some(api::kill_hook), ffi::LUA_MASKCOUNT, HOOK_EVERY);
        }
        let status = ffi::lua_pcall(l, nargs, 1, 1);
        ffi::lua_sethook(l, None, 0, 0);
        drop(current);
        let reply = if status != 0 {
            error_reply(l, name)
        } else {
            super::convert::to_reply(l, ctx.client.resp3)
        };
        ffi::lua_settop(l, 0);
        if self.gc_step {
            ffi::lua_gc(l, ffi::LUA_GCSTEP, 50);
        }
        reply
    }
}

/// The EVAL reply for a failed script: the error table's text, with the
/// script and position Redis appends.
unsafe fn error_reply(l: State, sha: &str) -> Frame {
    if ffi::lua_istable(l, -1) == 0 {
        let msg = match ffi::lua_type(l, -1) {
            ffi::LUA_TSTRING | ffi::LUA_TNUMBER => {
                String::from_utf8_lossy(lua::to_bytes(l, -1).unwrap_or_default()).into_owned()
            }
            _ => "execution failure".into(),
        };
        let msg: String = msg.chars().take(100).collect();
        return Frame::error(super::one_line(&format!(
            "ERR Error running script {sha}, {msg}"
        )));
    }
    let t = ffi::lua_gettop(l);
    let field = |name: &[u8]| -> Option<Vec<u8>> {
        let ty = lua::raw_get_str(l, t, name);
        let v = (ty == ffi::LUA_TSTRING || ty == ffi::LUA_TNUMBER)
            .then(|| lua::to_bytes(l, -1).unwrap_or_default().to_vec());
        ffi::lua_pop(l, 1);
        v
    };
    let mut text = field(b"err").unwrap_or_default();
    if let (Some(source), Some(line)) = (field(b"source"), field(b"line")) {
        text.extend_from_slice(b" script: ");
        text.extend_from_slice(sha.as_bytes());
        text.extend_from_slice(b", on ");
        text.extend_from_slice(&source);
        text.push(b':');
        text.extend_from_slice(&line);
        text.push(b'.');
    }
    Frame::Error(super::convert::sanitize(text).into())
}

unsafe fn push_array(l: State, items: &[&[u8]]) {
    ffi::lua_createtable(l, items.len() as c_int, 0);
    for (i, item) in items.iter().enumerate() {
        lua::push_bytes(l, item);
        ffi::lua_rawseti_(l, -2, (i + 1) as c_int);
    }
}

fn func_name(sha: &[u8; 40]) -> CString {
    let mut name = Vec::with_capacity(42);
    name.extend_from_slice(b"f_");
    name.extend_from_slice(sha);
    CString::new(name).unwrap_or_default()
}

/// A 40-byte lowercase sha as a map key.
fn sha_key(sha: &[u8]) -> Option<[u8; 40]> {
    let mut k: [u8; 40] = sha.try_into().ok()?;
    k.make_ascii_lowercase();
    Some(k)
}

/// Reads a `#!lua flags=a,b` first line: the flags, and how many bytes to
/// skip (the line without its newline, so line numbers stay right).
pub fn parse_shebang(body: &[u8]) -> Result<(u32, usize), Error> {
    use script_flags::*;
    if !body.starts_with(b"#!") {
        return Ok((COMPAT, 0));
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err(Error::err("ERR Invalid script shebang"));
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let parts: Vec<&str> = line.split_ascii_whitespace().collect();
    let Some(engine) = parts.first() else {
        return Err(Error::err("ERR Invalid engine in script shebang"));
    };
    if *engine != "#!lua" {
        return Err(Error::msg(format!(
            "ERR Unexpected engine in script shebang: {engine}"
        )));
    }
    let mut flags = 0;
    for part in &parts[1..] {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(Error::msg(format!(
                "ERR Unknown lua shebang option: {part}"
            )));
        };
        for name in list.split(',').filter(|s| !s.is_empty()) {
            flags |= match name {
                "no-writes" => NO_WRITES,
                "allow-oom" => ALLOW_OOM,
                "allow-stale" => ALLOW_STALE,
                "no-cluster" => NO_CLUSTER,
                "allow-cross-slot-keys" => ALLOW_CROSS_SLOT,
                _ => {
                    return Err(Error::msg(format!(
                        "ERR Unexpected flag in script shebang: {name}"
                    )))
                }
            };
        }
    }
    Ok((flags, end))
}

unsafe fn open_lib(l: State, f: ffi::lua_CFunction, name: &CStr) {
    ffi::lua_pushcclosure(l, f, 0);
    ffi::lua_pushstring_(l, name.as_ptr());
    ffi::lua_call(l, 1, 0);
}

/// Builds Redis's scripting environment (run under `lua_cpcall`).
unsafe extern "C-unwind" fn init_state(l: State) -> c_int {
    open_lib(l, ffi::luaopen_base, c"");
    open_lib(l, ffi::luaopen_table, c"table");
    open_lib(l, ffi::luaopen_string, c"string");
    open_lib(l, ffi::luaopen_math, c"math");
    ffi::lua_settop(l, 0);

    ffi::lua_getfield_(l, ffi::LUA_GLOBALSINDEX, c"tostring".as_ptr());
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_TOSTRING.as_ptr());
    // Not available to scripts on Redis 7.0.
    for name in [
        c"dofile",
        c"loadfile",
        c"print",
        c"getfenv",
        c"setfenv",
        c"newproxy",
        c"module",
        c"require",
    ] {
        ffi::lua_pushnil(l);
        ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, name.as_ptr());
    }
    ffi::lua_pushcclosure(l, api::lua_pcall_compat, 0);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"pcall".as_ptr());
    sandbox::install_base(l);

    ffi::lua_getfield_(l, ffi::LUA_GLOBALSINDEX, c"math".as_ptr());
    lua::set_funcs(
        l,
        &[
            ("random", api::math_random),
            ("randomseed", api::math_randomseed),
        ],
    );
    ffi::lua_pop(l, 1);

    ffi::lua_createtable(l, 0, 32);
    lua::set_funcs(l, api::REDIS_FUNCS);
    let t = ffi::lua_gettop(l);
    for (name, value) in api::REDIS_NUMBERS {
        ffi::lua_pushnumber(l, *value);
        lua::raw_set_str(l, t, name.as_bytes());
    }
    lua::push_bytes(l, api::REDIS_VERSION.as_bytes());
    lua::raw_set_str(l, t, b"REDIS_VERSION");
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"redis".as_ptr());

    type Opener = unsafe fn(State);
    let libs: [(&CStr, Opener); 4] = [
        (c"cjson", cjson::open),
        (c"struct", structlib::open),
        (c"cmsgpack", cmsgpack::open),
        (c"bit", bit::open),
    ];
    for (name, open) in libs {
        open(l);
        ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, name.as_ptr());
    }

    ffi::lua_pushcclosure(l, api::error_handler, 0);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"__redis__err__handler".as_ptr());

    sandbox::init_registry(l);
    sandbox::protect_string_metatable(l);
    sandbox::protect_globals(l);
    0
}
