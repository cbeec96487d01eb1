//! Redis 7.0 Functions: Lua libraries loaded with FUNCTION LOAD, whose
//! functions FCALL / FCALL_RO run.
//!
//! As in Redis, every library shares one Lua interpreter of its own (apart
//! from EVAL's, so SCRIPT FLUSH leaves them alone). The libraries' code
//! runs with one globals table whose reads go, through its metatable, to
//! the *load API* while FUNCTION LOAD runs the code (only `redis` with
//! `register_function`, `log` and the version fields) and to the normal
//! scripting globals afterwards; every write to it fails. A registered
//! callback is kept in the Lua registry under a reference.
//!
//! FUNCTION DUMP / RESTORE use Redis's payload: per library the RDB
//! function opcode and the code as an RDB string, then the RDB version and
//! a CRC-64, so payloads move between redcore and redis-server both ways.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::ffi::{c_int, CStr};
use std::time::{Duration, Instant};

use super::lua::{self, ffi, guard, LuaError, State};
use super::vm::{script_flags, Vm};
use super::{api, sandbox};
use crate::error::Error;
use crate::persist::{crc64, rdb, RDB_VERSION};
use crate::resp::Frame;

/// RDB opcode of a library (Redis 7.0 GA).
const OPCODE_FUNCTION2: u8 = 245;
/// RDB opcode of the 7.0 release candidates' format.
const OPCODE_FUNCTION_PRE_GA: u8 = 246;

/// Registry fields: the libraries' globals table, its metatable, and the
/// load-time API its reads go to during FUNCTION LOAD.
const REG_ENV: &CStr = c"redcore.functions.env";
const REG_ENV_MT: &CStr = c"redcore.functions.env_mt";
const REG_LOAD_API: &CStr = c"redcore.functions.load_api";

/// How long a library's code may run at load time.
const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

const NAME_ERR: &str = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// One registered function.
#[derive(Debug)]
pub struct Function {
    pub name: Vec<u8>,
    pub description: Option<Vec<u8>>,
    /// [`script_flags`] bits (never `COMPAT`).
    pub flags: u32,
    /// Registry reference of the callback.
    fref: c_int,
}

impl Function {
    /// Registry reference of the callback (for FCALL).
    pub(crate) fn fref(&self) -> c_int {
        self.fref
    }
}

/// One library: its code and functions.
#[derive(Debug)]
pub struct Library {
    pub name: Vec<u8>,
    pub code: Vec<u8>,
    pub functions: Vec<Function>,
}

/// How FUNCTION RESTORE treats the libraries already loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestorePolicy {
    Flush,
    Append,
    Replace,
}

/// The libraries of one engine and their interpreter.
#[derive(Debug, Default)]
pub struct Functions {
    vm: Option<Vm>,
    /// By name (case-sensitive, as in Redis).
    libraries: BTreeMap<Vec<u8>, Library>,
    /// Lower-cased function name -> its library (function names are
    /// case-insensitive).
    owners: HashMap<Vec<u8>, Vec<u8>>,
    functions: usize,
}

/// A library's code runs with this as its load context.
struct LoadCtx {
    functions: Vec<Function>,
    started: Instant,
}

thread_local! {
    static LOADING: Cell<*mut LoadCtx> = const { Cell::new(std::ptr::null_mut()) };
}

fn lower(name: &[u8]) -> Vec<u8> {
    name.to_ascii_lowercase()
}

/// Letters, digits and `_`, at least one.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

fn err(text: impl std::fmt::Display) -> Error {
    Error::msg(format!("ERR {text}"))
}

/// The `#!<engine> name=<lib>` line: the library name and where the code
/// Lua compiles starts (the newline, so line numbers stay right).
fn parse_metadata(code: &[u8]) -> Result<(Vec<u8>, usize), Error> {
    if !code.starts_with(b"#!") {
        return Err(err("Missing library metadata"));
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err(err("Invalid library metadata"));
    };
    let parts: Vec<&[u8]> = code[..end]
        .split(|b| b.is_ascii_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let Some(engine) = parts.first() else {
        return Err(err("Invalid library metadata"));
    };
    let mut name: Option<&[u8]> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(err(
                    "Invalid metadata value, name argument was given multiple times",
                ));
            }
            name = Some(&part[5..]);
            continue;
        }
        return Err(err(format_args!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        )));
    }
    let Some(name) = name else {
        return Err(err("Library name was not given"));
    };
    if !valid_name(name) {
        return Err(err(NAME_ERR));
    }
    if !engine[2..].eq_ignore_ascii_case(b"lua") {
        return Err(err(format_args!(
            "Engine '{}' not found",
            String::from_utf8_lossy(&engine[2..])
        )));
    }
    Ok((name.to_vec(), end))
}

impl Functions {
    /// The interpreter, created with the libraries' environment on first
    /// use.
    fn vm(&mut self) -> Result<&mut Vm, Error> {
        if self.vm.is_none() {
            let vm = Vm::new()?;
            // SAFETY: a fresh state, set up inside a protected call.
            if unsafe { ffi::lua_cpcall(vm.lua(), init_env, std::ptr::null_mut()) } != 0 {
                return Err(err("Failed to initialize the Lua interpreter"));
            }
            self.vm = Some(vm);
        }
        self.vm
            .as_mut()
            .ok_or(err("Failed to create the Lua interpreter"))
    }

    /// The interpreter, for FCALL.
    pub(crate) fn vm_mut(&mut self) -> Result<&mut Vm, Error> {
        self.vm()
    }

    /// The function called `name` (case-insensitive).
    pub fn get(&self, name: &[u8]) -> Option<&Function> {
        let lib = self.libraries.get(self.owners.get(&lower(name))?)?;
        lib.functions
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// Number of libraries.
    pub fn libraries_count(&self) -> usize {
        self.libraries.len()
    }

    /// Number of functions in all libraries.
    pub fn functions_count(&self) -> usize {
        self.functions
    }

    /// FUNCTION LOAD: compiles `code` and registers its library; returns
    /// the library's name.
    pub fn load(&mut self, code: &[u8], replace: bool) -> Result<Vec<u8>, Error> {
        let (name, start) = parse_metadata(code)?;
        if self.libraries.contains_key(&name) && !replace {
            return Err(err(format_args!(
                "Library '{}' already exists",
                String::from_utf8_lossy(&name)
            )));
        }
        let lib = self.build(name, code, start)?;
        if let Some(f) = lib.functions.iter().find(|f| {
            self.owners
                .get(&lower(&f.name))
                .is_some_and(|o| *o != lib.name)
        }) {
            let e = function_exists(&f.name);
            self.release(lib);
            return Err(e);
        }
        let name = lib.name.clone();
        if let Some(old) = self.unlink(&name) {
            self.release(old);
        }
        self.link(lib);
        Ok(name)
    }

    /// FUNCTION DELETE.
    pub fn delete(&mut self, name: &[u8]) -> Result<(), Error> {
        let lib = self.unlink(name).ok_or(err("Library not found"))?;
        self.release(lib);
        Ok(())
    }

    /// FUNCTION FLUSH: every library and the interpreter itself go.
    pub fn flush(&mut self) {
        *self = Functions::default();
    }

    /// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
    pub fn list(&self, pattern: Option<&[u8]>, with_code: bool) -> Frame {
        let bulk = |b: &[u8]| Frame::bulk(b);
        let text = |s: &'static str| Frame::Bulk(s.into());
        let libs = self
            .libraries
            .values()
            .filter(|lib| pattern.is_none_or(|p| crate::glob::glob_match(p, &lib.name, true)));
        Frame::Array(
            libs.map(|lib| {
                let functions = lib
                    .functions
                    .iter()
                    .map(|f| {
                        Frame::Map(vec![
                            (text("name"), bulk(&f.name)),
                            (
                                text("description"),
                                f.description.as_deref().map_or(Frame::Null, bulk),
                            ),
                            (text("flags"), Frame::Set(flag_names(f.flags))),
                        ])
                    })
                    .collect();
                let mut fields = vec![
                    (text("library_name"), bulk(&lib.name)),
                    (text("engine"), text("LUA")),
                    (text("functions"), Frame::Array(functions)),
                ];
                if with_code {
                    fields.push((text("library_code"), bulk(&lib.code)));
                }
                Frame::Map(fields)
            })
            .collect(),
        )
    }

    /// Every library's code, in name order (what an RDB file saves).
    pub fn codes(&self) -> Vec<Vec<u8>> {
        self.libraries.values().map(|l| l.code.clone()).collect()
    }

    /// FUNCTION DUMP: every library's code in Redis's payload format.
    pub fn dump(&self, compression: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for lib in self.libraries.values() {
            out.push(OPCODE_FUNCTION2);
            rdb::write_string(&mut out, &lib.code, compression);
        }
        out.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64::crc64(0, &out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// FUNCTION RESTORE: loads the libraries of `payload` all or nothing.
    pub fn restore(&mut self, payload: &[u8], policy: RestorePolicy) -> Result<(), Error> {
        if !crate::persist::payload_footer_ok(payload) {
            return Err(err("DUMP payload version or checksum are wrong"));
        }
        let libs = self.read_payload(payload)?;
        if policy == RestorePolicy::Flush {
            let old: Vec<Vec<u8>> = self.libraries.keys().cloned().collect();
            for name in old {
                if let Some(lib) = self.unlink(&name) {
                    self.release(lib);
                }
            }
            for lib in libs {
                self.link(lib);
            }
            return Ok(());
        }
        let check = self.check_join(&libs, policy == RestorePolicy::Replace);
        if let Err(e) = check {
            libs.into_iter().for_each(|l| self.release(l));
            return Err(e);
        }
        for lib in libs {
            if let Some(old) = self.unlink(&lib.name) {
                self.release(old);
            }
            self.link(lib);
        }
        Ok(())
    }

    /// Whether restored `libs` may join the loaded ones: a library name
    /// already loaded is an error unless `replace`, a function name owned
    /// by a library that stays is always one.
    fn check_join(&self, libs: &[Library], replace: bool) -> Result<(), Error> {
        if !replace {
            if let Some(lib) = libs.iter().find(|l| self.libraries.contains_key(&l.name)) {
                return Err(err(format_args!(
                    "Library {} already exists",
                    String::from_utf8_lossy(&lib.name)
                )));
            }
        }
        for f in libs.iter().flat_map(|l| &l.functions) {
            let owner = self.owners.get(&lower(&f.name));
            if owner.is_some_and(|o| !(replace && libs.iter().any(|l| l.name == *o))) {
                return Err(function_exists(&f.name));
            }
        }
        Ok(())
    }

    /// The libraries of a payload whose footer was checked, built but not
    /// linked; on error nothing is left behind. As in Redis, records are
    /// read while more than the footer remains, and a record may run into
    /// the footer's bytes.
    fn read_payload(&mut self, payload: &[u8]) -> Result<Vec<Library>, Error> {
        let mut r = rdb::Reader::new(payload);
        let mut libs: Vec<Library> = Vec::new();
        let result = (|| {
            while r.remaining() > 10 {
                let code = read_library_code(&mut r)?;
                let (name, start) = parse_metadata(&code)?;
                if libs.iter().any(|l| l.name == name) {
                    return Err(err(format_args!(
                        "Library '{}' already exists",
                        String::from_utf8_lossy(&name)
                    )));
                }
                let lib = self.build(name, &code, start)?;
                let clash = lib.functions.iter().find(|f| {
                    libs.iter()
                        .flat_map(|l| &l.functions)
                        .any(|g| g.name.eq_ignore_ascii_case(&f.name))
                });
                if let Some(f) = clash {
                    let e = function_exists(&f.name);
                    self.release(lib);
                    return Err(e);
                }
                libs.push(lib);
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(libs),
            Err(e) => {
                libs.into_iter().for_each(|l| self.release(l));
                Err(e)
            }
        }
    }

    /// Runs a library's code so it registers its functions.
    fn build(&mut self, name: Vec<u8>, code: &[u8], start: usize) -> Result<Library, Error> {
        let l = self.vm()?.lua();
        // SAFETY: the state is ours; the load context lives on this stack
        // frame for the whole protected call.
        let functions = unsafe { run_library(l, &code[start..]) }
            .map_err(|msg| Error::msg(super::one_line(&format!("ERR {msg}"))))?;
        let lib = Library {
            name,
            code: code.to_vec(),
            functions,
        };
        if lib.functions.is_empty() {
            return Err(err("No functions registered"));
        }
        Ok(lib)
    }

    fn link(&mut self, lib: Library) {
        for f in &lib.functions {
            self.owners.insert(lower(&f.name), lib.name.clone());
        }
        self.functions += lib.functions.len();
        self.libraries.insert(lib.name.clone(), lib);
    }

    fn unlink(&mut self, name: &[u8]) -> Option<Library> {
        let lib = self.libraries.remove(name)?;
        for f in &lib.functions {
            self.owners.remove(&lower(&f.name));
        }
        self.functions -= lib.functions.len();
        Some(lib)
    }

    /// Frees the callbacks of a library that is gone (or never linked).
    fn release(&mut self, lib: Library) {
        if let Some(vm) = &self.vm {
            // SAFETY: the references were made in this state.
            unsafe { unref_all(vm.lua(), &lib.functions) }
        }
    }
}

/// One library record of a payload: its code, with the shebang rebuilt
/// for the release candidates' format (name, engine, optional
/// description, body).
fn read_library_code(r: &mut rdb::Reader<'_>) -> Result<Vec<u8>, Error> {
    let t = r.read_u8().map_err(|_| err("can not read data type"))?;
    if t == OPCODE_FUNCTION2 {
        return r
            .read_string()
            .map_err(|_| err("Failed loading library payload"));
    }
    if t != OPCODE_FUNCTION_PRE_GA {
        return Err(err("given type is not a function"));
    }
    let name = r
        .read_string()
        .map_err(|_| err("Failed loading library name"))?;
    let engine = r
        .read_string()
        .map_err(|_| err("Failed loading engine name"))?;
    let has_description = r
        .read_len()
        .map_err(|_| err("Failed loading library description indicator"))?;
    if has_description != 0 {
        r.read_string()
            .map_err(|_| err("Failed loading library description"))?;
    }
    let body = r
        .read_string()
        .map_err(|_| err("Failed loading library blob"))?;
    let mut code = Vec::with_capacity(body.len() + name.len() + engine.len() + 10);
    code.extend_from_slice(b"#!");
    code.extend_from_slice(&engine);
    code.extend_from_slice(b" name=");
    code.extend_from_slice(&name);
    code.push(b'\n');
    code.extend_from_slice(&body);
    Ok(code)
}

fn function_exists(name: &[u8]) -> Error {
    err(format_args!(
        "Function {} already exists",
        String::from_utf8_lossy(name)
    ))
}

const FLAG_NAMES: [(u32, &str); 5] = [
    (script_flags::NO_WRITES, "no-writes"),
    (script_flags::ALLOW_OOM, "allow-oom"),
    (script_flags::ALLOW_STALE, "allow-stale"),
    (script_flags::NO_CLUSTER, "no-cluster"),
    (script_flags::ALLOW_CROSS_SLOT, "allow-cross-slot-keys"),
];

fn flag_names(flags: u32) -> Vec<Frame> {
    FLAG_NAMES
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| Frame::Bulk((*name).into()))
        .collect()
}

unsafe fn unref_all(l: State, functions: &[Function]) {
    for f in functions {
        ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, f.fref);
    }
}

/// Points the libraries' globals at the load API (`true`) or at the
/// scripting globals.
unsafe fn set_env(l: State, loading: bool) {
    ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, REG_ENV_MT.as_ptr());
    lua::push_bytes(l, b"__index");
    if loading {
        ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, REG_LOAD_API.as_ptr());
    } else {
        ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
    }
    ffi::lua_rawset(l, -3);
    ffi::lua_pop(l, 1);
}

/// Compiles and runs a library body; returns what it registered, or the
/// error text (without the `ERR` code of the reply).
unsafe fn run_library(l: State, body: &[u8]) -> Result<Vec<Function>, String> {
    ffi::lua_settop(l, 0);
    let status = ffi::luaL_loadbuffer(
        l,
        body.as_ptr().cast(),
        body.len(),
        c"@user_function".as_ptr(),
    );
    if status != 0 {
        let msg = String::from_utf8_lossy(lua::to_bytes(l, -1).unwrap_or_default()).into_owned();
        ffi::lua_settop(l, 0);
        return Err(format!("Error compiling function: {msg}"));
    }
    ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, REG_ENV.as_ptr());
    ffi::lua_setfenv(l, -2);
    let mut ctx = LoadCtx {
        functions: Vec::new(),
        started: Instant::now(),
    };
    set_env(l, true);
    let previous = LOADING.with(|c| c.replace(&mut ctx));
    ffi::lua_sethook(l, Some(load_hook), ffi::LUA_MASKCOUNT, 100_000);
    let status = ffi::lua_pcall(l, 0, 0, 0);
    ffi::lua_sethook(l, None, 0, 0);
    LOADING.with(|c| c.set(previous));
    set_env(l, false);
    if status == 0 {
        ffi::lua_settop(l, 0);
        return Ok(ctx.functions);
    }
    let msg =
        if ffi::lua_type(l, -1) == ffi::LUA_TSTRING || ffi::lua_type(l, -1) == ffi::LUA_TNUMBER {
            let text = lua::to_bytes(l, -1).unwrap_or_default();
            format!("ERR {}", String::from_utf8_lossy(text))
        } else if ffi::lua_istable(l, -1) != 0 {
            let t = ffi::lua_gettop(l);
            lua::raw_get_str(l, t, b"err");
            String::from_utf8_lossy(lua::to_bytes(l, -1).unwrap_or_default()).into_owned()
        } else {
            "ERR unknown error".into()
        };
    ffi::lua_settop(l, 0);
    unref_all(l, &ctx.functions);
    Err(format!("Error registering functions: {msg}"))
}

/// Stops a library whose code runs too long at load time.
unsafe extern "C-unwind" fn load_hook(l: State, _ar: *mut ffi::lua_Debug) {
    let late = LOADING.with(|c| {
        c.get()
            .as_ref()
            .is_some_and(|ctx| ctx.started.elapsed() > LOAD_TIMEOUT)
    });
    if late {
        lua::push_error_table(l, b"FUNCTION LOAD timeout");
        ffi::lua_error(l);
    }
}

/// Builds the libraries' globals and the load API (under `lua_cpcall`).
unsafe extern "C-unwind" fn init_env(l: State) -> c_int {
    // The load API's `redis`: register_function, log, the log levels and
    // the version; reading anything else raises, like a missing global.
    ffi::lua_createtable(l, 0, 8);
    let r = ffi::lua_gettop(l);
    lua::set_funcs(
        l,
        &[
            ("register_function", register_function),
            ("log", api::redis_log),
        ],
    );
    for (name, value) in api::REDIS_NUMBERS {
        if name.starts_with("LOG_") || *name == "REDIS_VERSION_NUM" {
            ffi::lua_pushnumber(l, *value);
            lua::raw_set_str(l, r, name.as_bytes());
        }
    }
    lua::push_bytes(l, api::REDIS_VERSION.as_bytes());
    lua::raw_set_str(l, r, b"REDIS_VERSION");
    sandbox::protect(l, r, 0);
    if sandbox::push_storage(l, r) {
        push_missing_global_mt(l);
        ffi::lua_setmetatable(l, -2);
        ffi::lua_pop(l, 1);
    }
    // The load API itself: {redis = ...}, missing names raise.
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_insert(l, -2);
    lua::raw_set_str(l, r, b"redis");
    push_missing_global_mt(l);
    ffi::lua_setmetatable(l, -2);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_LOAD_API.as_ptr());
    // The libraries' globals: empty, read through the metatable, never
    // written.
    ffi::lua_createtable(l, 0, 0);
    ffi::lua_createtable(l, 0, 2);
    ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_pushcclosure(l, sandbox::readonly_newindex, 0);
    ffi::lua_setfield(l, -2, c"__newindex".as_ptr());
    ffi::lua_pushvalue(l, -1);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_ENV_MT.as_ptr());
    ffi::lua_setmetatable(l, -2);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_ENV.as_ptr());
    0
}

unsafe fn push_missing_global_mt(l: State) {
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushcclosure(l, sandbox::missing_global, 0);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
}

/// `redis.register_function(name, callback)` or
/// `redis.register_function{function_name=..., callback=..., flags=..., description=...}`.
unsafe extern "C-unwind" fn register_function(l: State) -> c_int {
    guard(l, || {
        let Some(ctx) = LOADING.with(|c| c.get().as_mut()) else {
            return Err(LuaError::Table(
                "redis.register_function can only be called on FUNCTION LOAD command".into(),
            ));
        };
        let mut fref = None;
        let result = read_function(l, &mut fref);
        let checked = result.and_then(|(name, description, flags)| {
            if !valid_name(&name) {
                return Err(LuaError::Table(NAME_ERR.into()));
            }
            // Case-sensitive within a library, as in Redis (across
            // libraries names clash case-insensitively).
            if ctx.functions.iter().any(|f| f.name == name) {
                return Err(LuaError::Table(
                    "Function already exists in the library".into(),
                ));
            }
            Ok((name, description, flags))
        });
        match checked {
            Ok((name, description, flags)) => {
                ctx.functions.push(Function {
                    name,
                    description,
                    flags,
                    fref: fref.unwrap_or(ffi::LUA_NOREF),
                });
                Ok(0)
            }
            Err(e) => {
                if let Some(r) = fref {
                    ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, r);
                }
                Err(e)
            }
        }
    })
}

type Registered = (Vec<u8>, Option<Vec<u8>>, u32);

fn table_err(msg: &str) -> LuaError {
    LuaError::Table(msg.into())
}

/// The arguments of `redis.register_function`; the callback's registry
/// reference goes to `fref` as soon as it is made (the caller frees it on
/// error).
unsafe fn read_function(l: State, fref: &mut Option<c_int>) -> Result<Registered, LuaError> {
    let argc = ffi::lua_gettop(l);
    if !(1..=2).contains(&argc) {
        return Err(table_err(
            "wrong number of arguments to redis.register_function",
        ));
    }
    if argc == 2 {
        if ffi::lua_isstring(l, 1) == 0 {
            return Err(table_err(
                "first argument to redis.register_function must be a string",
            ));
        }
        let name = lua::to_bytes(l, 1).unwrap_or_default().to_vec();
        if ffi::lua_type(l, 2) != ffi::LUA_TFUNCTION {
            return Err(table_err(
                "second argument to redis.register_function must be a function",
            ));
        }
        ffi::lua_pushvalue(l, 2);
        *fref = Some(ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX));
        return Ok((name, None, 0));
    }
    if ffi::lua_istable(l, 1) == 0 {
        return Err(table_err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."));
    }
    let (mut name, mut description, mut flags) = (None, None, 0);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, 1) != 0 {
        if ffi::lua_isstring(l, -2) == 0 {
            return Err(table_err(
                "named argument key given to redis.register_function is not a string",
            ));
        }
        // A copy: converting a number key in place would break lua_next.
        ffi::lua_pushvalue(l, -2);
        let key = lua::to_bytes(l, -1)
            .unwrap_or_default()
            .to_ascii_lowercase();
        ffi::lua_pop(l, 1);
        match &key[..] {
            b"function_name" | b"description" => {
                if ffi::lua_isstring(l, -1) == 0 {
                    let field = String::from_utf8_lossy(&key);
                    return Err(LuaError::Table(format!(
                        "{field} argument given to redis.register_function must be a string"
                    )));
                }
                let value = lua::to_bytes(l, -1).unwrap_or_default().to_vec();
                if key == b"description" {
                    description = Some(value);
                } else {
                    name = Some(value);
                }
            }
            b"callback" => {
                if ffi::lua_type(l, -1) != ffi::LUA_TFUNCTION {
                    return Err(table_err(
                        "callback argument given to redis.register_function must be a function",
                    ));
                }
                ffi::lua_pushvalue(l, -1);
                let r = ffi::luaL_ref(l, ffi::LUA_REGISTRYINDEX);
                if let Some(old) = fref.replace(r) {
                    ffi::luaL_unref(l, ffi::LUA_REGISTRYINDEX, old);
                }
            }
            b"flags" => {
                if ffi::lua_istable(l, -1) == 0 {
                    return Err(table_err("flags argument to redis.register_function must be a table representing function flags"));
                }
                flags = read_flags(l, ffi::lua_gettop(l)).ok_or(table_err("unknown flag given"))?;
            }
            _ => {
                return Err(table_err(
                    "unknown argument given to redis.register_function",
                ))
            }
        }
        ffi::lua_pop(l, 1);
    }
    let Some(name) = name else {
        return Err(table_err(
            "redis.register_function must get a function name argument",
        ));
    };
    if fref.is_none() {
        return Err(table_err(
            "redis.register_function must get a callback argument",
        ));
    }
    Ok((name, description, flags))
}

/// The flags named in the table at `t` (case-insensitive).
unsafe fn read_flags(l: State, t: c_int) -> Option<u32> {
    let mut flags = 0;
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        if ffi::lua_isstring(l, -1) == 0 {
            ffi::lua_pop(l, 2);
            return None;
        }
        let name = lua::to_bytes(l, -1).unwrap_or_default();
        let Some((bit, _)) = FLAG_NAMES
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
        else {
            ffi::lua_pop(l, 2);
            return None;
        };
        flags |= bit;
        ffi::lua_pop(l, 1);
    }
    Some(flags)
}
