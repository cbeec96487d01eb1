//! The script sandbox: read-only library tables and globals, and the base
//! functions that would otherwise see around them.
//!
//! Redis's Lua has a "read-only table" flag checked by the VM. Stock Lua
//! 5.1 has none, so each protected table is turned into an empty proxy:
//! its entries move to a hidden storage table reached through `__index`,
//! and `__newindex` raises Redis's error. The few base functions that go
//! around metamethods (`rawset`, `rawget`, `next`, `pairs`,
//! `setmetatable`, `getmetatable`, `table.insert`) are replaced by versions
//! that know about proxies, so scripts see the same behaviour as on Redis:
//! reads work, every write fails with `Attempt to modify a readonly table`.

use std::ffi::{c_char, c_int, c_void, CStr};

use super::lua::{self, ffi, guard, LuaError, State};

/// Registry field: proxy table -> its storage table.
pub(crate) const REG_PROXIES: &CStr = c"redcore.proxies";
/// Registry field: proxy table -> what `getmetatable` shows for it.
const REG_VIRTUAL_MT: &CStr = c"redcore.virtual_mt";
/// Registry field: the storage of the globals table (KEYS and ARGV go
/// there directly).
pub(crate) const REG_GLOBALS: &CStr = c"redcore.globals";

const READONLY: &str = "Attempt to modify a readonly table";

/// Creates the registry tables; call once before protecting anything.
pub(crate) unsafe fn init_registry(l: State) {
    ffi::lua_createtable(l, 0, 16);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_PROXIES.as_ptr());
    ffi::lua_createtable(l, 0, 4);
    ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_VIRTUAL_MT.as_ptr());
}

/// `__newindex` of every protected table.
pub(crate) unsafe extern "C-unwind" fn readonly_newindex(l: State) -> c_int {
    guard(l, || Err(LuaError::Where(READONLY.into())))
}

/// `__index` of the globals' storage: reading an undefined global fails.
pub(crate) unsafe extern "C-unwind" fn missing_global(l: State) -> c_int {
    guard(l, || {
        let name = match ffi::lua_type(l, 2) {
            ffi::LUA_TSTRING | ffi::LUA_TNUMBER => {
                String::from_utf8_lossy(lua::to_bytes(l, 2).unwrap_or_default()).into_owned()
            }
            _ => {
                return Err(LuaError::Where(
                    "Second argument to luaProtectedTableError must be a string or number".into(),
                ))
            }
        };
        Err(LuaError::Where(format!(
            "Script attempted to access nonexistent global variable '{name}'"
        )))
    })
}

/// Pushes the storage of the table at `idx` when it is a proxy.
pub(crate) unsafe fn push_storage(l: State, idx: c_int) -> bool {
    if ffi::lua_type(l, idx) != ffi::LUA_TTABLE {
        return false;
    }
    let idx = lua::abs_index(l, idx);
    ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, REG_PROXIES.as_ptr());
    ffi::lua_pushvalue(l, idx);
    ffi::lua_rawget_(l, -2);
    ffi::lua_remove(l, -2);
    if ffi::lua_istable(l, -1) != 0 {
        true
    } else {
        ffi::lua_pop(l, 1);
        false
    }
}

/// True when the table at `idx` is protected.
pub(crate) unsafe fn is_protected(l: State, idx: c_int) -> bool {
    if push_storage(l, idx) {
        ffi::lua_pop(l, 1);
        true
    } else {
        false
    }
}

/// Turns the table at `idx` (and every table reachable from it, and its
/// metatable's) into a read-only proxy. `virtual_mt`: the stack index of
/// what `getmetatable` should return for it (0 for nothing).
pub(crate) unsafe fn protect(l: State, idx: c_int, virtual_mt: c_int) {
    let t = lua::abs_index(l, idx);
    if is_protected(l, t) || ffi::lua_checkstack(l, 8) == 0 {
        return;
    }
    let storage = {
        ffi::lua_createtable(l, 0, 0);
        ffi::lua_gettop(l)
    };
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        // storage[k] = v; t[k] = nil (clearing a field during traversal
        // is allowed).
        ffi::lua_pushvalue(l, -2);
        ffi::lua_insert(l, -2);
        ffi::lua_rawset(l, storage);
        ffi::lua_pushvalue(l, -1);
        ffi::lua_pushnil(l);
        ffi::lua_rawset(l, t);
    }
    ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, REG_PROXIES.as_ptr());
    ffi::lua_pushvalue(l, t);
    ffi::lua_pushvalue(l, storage);
    ffi::lua_rawset(l, -3);
    ffi::lua_pop(l, 1);
    if virtual_mt != 0 {
        ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, REG_VIRTUAL_MT.as_ptr());
        ffi::lua_pushvalue(l, t);
        ffi::lua_pushvalue(l, virtual_mt);
        ffi::lua_rawset(l, -3);
        ffi::lua_pop(l, 1);
    }
    ffi::lua_createtable(l, 0, 2);
    ffi::lua_pushvalue(l, storage);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    ffi::lua_pushcclosure(l, readonly_newindex, 0);
    ffi::lua_setfield(l, -2, c"__newindex".as_ptr());
    ffi::lua_setmetatable(l, t);
    // Nested tables (string, math, redis, ... under the globals).
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, storage) != 0 {
        if ffi::lua_istable(l, -1) != 0 {
            protect(l, -1, 0);
        }
        ffi::lua_pop(l, 1);
    }
    ffi::lua_pop(l, 1);
}

/// Protects the globals table: reading an undefined global raises, every
/// write raises, and `getmetatable(_G)` shows a read-only metatable.
pub(crate) unsafe fn protect_globals(l: State) {
    // What getmetatable(_G) shows: {__index = <error function>}, itself
    // read-only.
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_pushcclosure(l, missing_global, 0);
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    protect(l, -1, 0);
    let shown = ffi::lua_gettop(l);
    ffi::lua_pushvalue(l, ffi::LUA_GLOBALSINDEX);
    protect(l, -1, shown);
    if push_storage(l, -1) {
        ffi::lua_createtable(l, 0, 1);
        ffi::lua_pushcclosure(l, missing_global, 0);
        ffi::lua_setfield(l, -2, c"__index".as_ptr());
        ffi::lua_setmetatable(l, -2);
        ffi::lua_setfield(l, ffi::LUA_REGISTRYINDEX, REG_GLOBALS.as_ptr());
    }
    ffi::lua_pop(l, 2);
}

/// Protects the metatable strings share: `getmetatable('')` returns a
/// read-only view of it (`__index` is the string library).
pub(crate) unsafe fn protect_string_metatable(l: State) {
    lua::push_bytes(l, b"");
    if ffi::lua_getmetatable(l, -1) == 0 {
        ffi::lua_pop(l, 1);
        return;
    }
    let mt = ffi::lua_gettop(l);
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_getfield_(l, mt, c"__index".as_ptr());
    ffi::lua_setfield(l, -2, c"__index".as_ptr());
    protect(l, -1, 0);
    ffi::lua_setfield(l, mt, c"__metatable".as_ptr());
    ffi::lua_pop(l, 2);
}

/// `luaL_checktype(l, n, LUA_TTABLE)`.
unsafe fn check_table(l: State, n: c_int) -> Result<(), LuaError> {
    if ffi::lua_type(l, n) == ffi::LUA_TTABLE {
        Ok(())
    } else {
        Err(lua::type_error(l, n, "table"))
    }
}

/// `luaL_checkany(l, n)`.
unsafe fn check_any(l: State, n: c_int) -> Result<(), LuaError> {
    if ffi::lua_type(l, n) == ffi::LUA_TNONE {
        Err(LuaError::Arg(n, "value expected".into()))
    } else {
        Ok(())
    }
}

unsafe extern "C-unwind" fn base_rawget(l: State) -> c_int {
    guard(l, || {
        check_table(l, 1)?;
        check_any(l, 2)?;
        ffi::lua_settop(l, 2);
        if push_storage(l, 1) {
            ffi::lua_replace(l, 1);
        }
        ffi::lua_rawget_(l, 1);
        Ok(1)
    })
}

unsafe extern "C-unwind" fn base_rawset(l: State) -> c_int {
    guard(l, || {
        check_table(l, 1)?;
        check_any(l, 2)?;
        check_any(l, 3)?;
        if is_protected(l, 1) {
            return Err(LuaError::Plain(READONLY.into()));
        }
        ffi::lua_settop(l, 3);
        ffi::lua_rawset(l, 1);
        Ok(1)
    })
}

unsafe extern "C-unwind" fn base_setmetatable(l: State) -> c_int {
    guard(l, || {
        let t = ffi::lua_type(l, 2);
        check_table(l, 1)?;
        if t != ffi::LUA_TNIL && t != ffi::LUA_TTABLE {
            return Err(LuaError::Arg(2, "nil or table expected".into()));
        }
        if is_protected(l, 1) {
            return Err(LuaError::Plain(READONLY.into()));
        }
        if ffi::luaL_getmetafield_(l, 1, c"__metatable".as_ptr()) != 0 {
            return Err(LuaError::Where(
                "cannot change a protected metatable".into(),
            ));
        }
        ffi::lua_settop(l, 2);
        ffi::lua_setmetatable(l, 1);
        Ok(1)
    })
}

unsafe extern "C-unwind" fn base_getmetatable(l: State) -> c_int {
    guard(l, || {
        check_any(l, 1)?;
        if is_protected(l, 1) {
            ffi::lua_getfield_(l, ffi::LUA_REGISTRYINDEX, REG_VIRTUAL_MT.as_ptr());
            ffi::lua_pushvalue(l, 1);
            ffi::lua_rawget_(l, -2);
            return Ok(1);
        }
        if ffi::lua_getmetatable(l, 1) == 0 {
            ffi::lua_pushnil(l);
            return Ok(1);
        }
        ffi::luaL_getmetafield_(l, 1, c"__metatable".as_ptr());
        Ok(1)
    })
}

unsafe extern "C-unwind" fn base_next(l: State) -> c_int {
    if let Err(e) = check_table(l, 1) {
        lua::raise(l, e);
    }
    ffi::lua_settop(l, 2);
    if push_storage(l, 1) {
        ffi::lua_replace(l, 1);
    }
    // May raise "invalid key to 'next'"; nothing Rust-owned is alive.
    if ffi::lua_next(l, 1) != 0 {
        2
    } else {
        ffi::lua_pushnil(l);
        1
    }
}

unsafe extern "C-unwind" fn base_pairs(l: State) -> c_int {
    guard(l, || {
        check_table(l, 1)?;
        ffi::lua_pushvalue(l, ffi::lua_upvalueindex(1));
        ffi::lua_pushvalue(l, 1);
        ffi::lua_pushnil(l);
        Ok(3)
    })
}

/// `table.insert(t, [pos,] value)`, refusing protected tables.
unsafe extern "C-unwind" fn table_insert(l: State) -> c_int {
    guard(l, || {
        check_table(l, 1)?;
        if is_protected(l, 1) {
            return Err(LuaError::Plain(READONLY.into()));
        }
        let mut e = ffi::lua_objlen(l, 1) as i64 + 1;
        let pos = match ffi::lua_gettop(l) {
            2 => e,
            3 => {
                let pos = i64::from(lua::c_cast_i32(lua::check_number(l, 2)?));
                if pos > e {
                    e = pos;
                }
                let mut i = e;
                while i > pos {
                    ffi::lua_rawgeti_(l, 1, (i - 1) as c_int);
                    ffi::lua_rawseti_(l, 1, i as c_int);
                    i -= 1;
                }
                pos
            }
            _ => {
                return Err(LuaError::Where(
                    "wrong number of arguments to 'insert'".into(),
                ))
            }
        };
        ffi::lua_rawseti_(l, 1, pos as c_int);
        Ok(0)
    })
}

/// Feeds a chunk to `lua_load` after an empty first read: `lua_load` then
/// never takes the chunk for precompiled bytecode, so binary chunks fail
/// to parse as text, as on Redis (whose Lua has no bytecode loader).
struct TextReader {
    data: *const u8,
    len: usize,
    stage: u8,
}

unsafe extern "C-unwind" fn text_reader(
    _l: State,
    ud: *mut c_void,
    size: *mut usize,
) -> *const c_char {
    let r = &mut *(ud as *mut TextReader);
    r.stage += 1;
    match r.stage {
        1 => {
            *size = 0;
            c"".as_ptr()
        }
        2 => {
            *size = r.len;
            r.data.cast()
        }
        _ => {
            *size = 0;
            std::ptr::null()
        }
    }
}

/// Compiles `data` as Lua source (never bytecode); pushes the function
/// or the error message. The chunk name must be a NUL-terminated string.
pub(crate) unsafe fn load_text(l: State, data: &[u8], chunkname: *const c_char) -> c_int {
    let mut reader = TextReader {
        data: data.as_ptr(),
        len: data.len(),
        stage: 0,
    };
    ffi::lua_load(
        l,
        text_reader,
        (&mut reader as *mut TextReader).cast(),
        chunkname,
    )
}

/// The result of `loadstring`/`load`: the function, or nil and the error.
unsafe fn load_result(l: State, status: c_int) -> c_int {
    if status == 0 {
        1
    } else {
        ffi::lua_pushnil(l);
        ffi::lua_insert(l, -2);
        2
    }
}

unsafe extern "C-unwind" fn base_loadstring(l: State) -> c_int {
    let (data, len) = match lua::check_bytes(l, 1) {
        Ok(b) => (b.as_ptr(), b.len()),
        Err(e) => lua::raise(l, e),
    };
    // The chunk name defaults to the source itself.
    let name_idx = if ffi::lua_isnoneornil(l, 2) != 0 {
        1
    } else {
        2
    };
    if name_idx == 2 && lua::check_bytes(l, 2).is_err() {
        lua::raise(l, lua::type_error(l, 2, "string"));
    }
    let name = ffi::lua_tolstring(l, name_idx, std::ptr::null_mut());
    let status = load_text(l, std::slice::from_raw_parts(data, len), name);
    load_result(l, status)
}

/// `load(func [, chunkname])`: the pieces `func` returns, as source text.
unsafe extern "C-unwind" fn base_load(l: State) -> c_int {
    if ffi::lua_type(l, 1) != ffi::LUA_TFUNCTION {
        lua::raise(l, lua::type_error(l, 1, "function"));
    }
    if ffi::lua_isnoneornil(l, 2) != 0 {
        ffi::lua_settop(l, 1);
        lua::push_bytes(l, b"=(load)");
    } else if lua::check_bytes(l, 2).is_err() {
        lua::raise(l, lua::type_error(l, 2, "string"));
    }
    ffi::lua_settop(l, 2);
    lua::push_bytes(l, b""); // 3: the chunk so far
    loop {
        ffi::lua_pushvalue(l, 1);
        ffi::lua_call(l, 0, 1);
        match ffi::lua_type(l, -1) {
            ffi::LUA_TNIL => {
                ffi::lua_pop(l, 1);
                break;
            }
            ffi::LUA_TSTRING | ffi::LUA_TNUMBER => {
                if ffi::lua_objlen(l, -1) == 0 {
                    ffi::lua_pop(l, 1);
                    break;
                }
                ffi::lua_concat(l, 2);
            }
            _ => {
                ffi::lua_pushnil(l);
                lua::push_bytes(l, b"reader function must return a string");
                return 2;
            }
        }
    }
    let chunk = lua::to_bytes(l, 3).unwrap_or_default();
    let name = ffi::lua_tolstring(l, 2, std::ptr::null_mut());
    let status = load_text(l, chunk, name);
    load_result(l, status)
}

/// Installs the replacement base functions.
pub(crate) unsafe fn install_base(l: State) {
    let globals: &[(&CStr, ffi::lua_CFunction)] = &[
        (c"rawget", base_rawget),
        (c"rawset", base_rawset),
        (c"setmetatable", base_setmetatable),
        (c"getmetatable", base_getmetatable),
        (c"next", base_next),
        (c"loadstring", base_loadstring),
        (c"load", base_load),
    ];
    for (name, f) in globals {
        ffi::lua_pushcclosure(l, *f, 0);
        ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, name.as_ptr());
    }
    ffi::lua_pushcclosure(l, base_next, 0);
    ffi::lua_pushcclosure(l, base_pairs, 1);
    ffi::lua_setfield(l, ffi::LUA_GLOBALSINDEX, c"pairs".as_ptr());
    ffi::lua_getfield_(l, ffi::LUA_GLOBALSINDEX, c"table".as_ptr());
    ffi::lua_pushcclosure(l, table_insert, 0);
    ffi::lua_setfield(l, -2, c"insert".as_ptr());
    ffi::lua_pop(l, 1);
}
