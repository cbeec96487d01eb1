//! Thin helpers over Lua 5.1's C API (`mlua::ffi`).
//!
//! Lua reports errors with `longjmp`, which must not cross Rust frames that
//! still own values with destructors. Every C function here is written as
//! an inner function returning `Result<c_int, LuaError>` that only calls API
//! functions that cannot raise (pushes, raw gets/sets on fresh or plain
//! tables, type queries); the outer `extern "C-unwind"` shim raises the
//! error after everything Rust owned has been dropped, and turns a panic
//! into a Lua error instead of unwinding into C.

use std::ffi::c_int;
use std::panic::{catch_unwind, AssertUnwindSafe};

pub use mlua::ffi;
pub use mlua::ffi::lua_State;

pub type State = *mut lua_State;

/// An error a C function raises in Lua.
pub enum LuaError {
    /// A string error with the caller's position prefixed
    /// (`user_script:1: ...`), like `luaL_error`.
    Where(String),
    /// A string error without position.
    Plain(String),
    /// A Redis error table `{err = text}`; `text` gets an `ERR ` code when
    /// it has none (Redis's `luaPushError`).
    Table(String),
    /// `bad argument #n to 'fname' (msg)`, like `luaL_argerror`.
    Arg(c_int, String),
    /// The error value is already on top of the stack.
    Top,
}

/// Runs `f` as the body of a C function and raises its error, if any.
///
/// # Safety
/// `l` must be a valid state; `f` must follow the no-raise rule above.
#[inline]
pub unsafe fn guard(l: State, f: impl FnOnce() -> Result<c_int, LuaError>) -> c_int {
    let result = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(LuaError::Plain(
            "internal error in redcore scripting".into(),
        )),
    };
    match result {
        Ok(n) => n,
        Err(e) => raise(l, e),
    }
}

/// Raises `e`. Nothing with a destructor is alive once it jumps.
pub unsafe fn raise(l: State, e: LuaError) -> ! {
    // Room for the message pieces even when the error is "stack full":
    // this function's own slots are dropped by the error anyway.
    if ffi::lua_checkstack(l, 4) == 0 {
        if matches!(e, LuaError::Top) {
            ffi::lua_replace(l, 1);
            ffi::lua_settop(l, 1);
        } else {
            ffi::lua_settop(l, 0);
        }
    }
    match e {
        LuaError::Where(msg) => {
            ffi::luaL_where(l, 1);
            push_bytes(l, msg.as_bytes());
            drop(msg);
            ffi::lua_concat(l, 2);
        }
        LuaError::Plain(msg) => {
            push_bytes(l, msg.as_bytes());
            drop(msg);
        }
        LuaError::Table(msg) => {
            push_error_table(l, msg.as_bytes());
            drop(msg);
        }
        LuaError::Arg(n, msg) => {
            push_bytes(l, msg.as_bytes());
            drop(msg);
            let text = ffi::lua_tolstring(l, -1, std::ptr::null_mut());
            ffi::luaL_argerror(l, n, text);
        }
        LuaError::Top => {}
    }
    ffi::lua_error(l)
}

#[inline]
pub unsafe fn push_bytes(l: State, b: &[u8]) {
    ffi::lua_pushlstring_(l, b.as_ptr().cast(), b.len());
}

/// The string (or number, converted in place) at `idx`.
#[inline]
pub unsafe fn to_bytes<'a>(l: State, idx: c_int) -> Option<&'a [u8]> {
    let mut len = 0usize;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    if p.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(p.cast(), len))
    }
}

/// Pushes `t[key]` without metamethods; `t` must be an absolute index.
#[inline]
pub unsafe fn raw_get_str(l: State, t: c_int, key: &[u8]) -> c_int {
    push_bytes(l, key);
    ffi::lua_rawget_(l, t);
    ffi::lua_type(l, -1)
}

/// `t[key] = top` without metamethods (pops the value); `t` absolute.
#[inline]
pub unsafe fn raw_set_str(l: State, t: c_int, key: &[u8]) {
    push_bytes(l, key);
    ffi::lua_insert(l, -2);
    ffi::lua_rawset(l, t);
}

/// The absolute form of a stack index.
#[inline]
pub unsafe fn abs_index(l: State, idx: c_int) -> c_int {
    if idx > 0 || idx <= ffi::LUA_REGISTRYINDEX {
        idx
    } else {
        ffi::lua_gettop(l) + idx + 1
    }
}

/// Pushes Redis's error table `{err = "CODE message"}`: a text without a
/// leading `-` gets the `ERR` code; one with it keeps its own code
/// (everything up to the first space). Trailing newlines are trimmed.
pub unsafe fn push_error_table(l: State, text: &[u8]) {
    let full = error_text(text);
    ffi::lua_createtable(l, 0, 1);
    let t = ffi::lua_gettop(l);
    push_bytes(l, &full);
    raw_set_str(l, t, b"err");
}

/// The `err` field text for an error `text` (see [`push_error_table`]).
pub fn error_text(text: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = match text.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", text),
    };
    let trim = |b: &[u8]| -> usize {
        let mut start = 0;
        while start < b.len() && (b[start] == b'\r' || b[start] == b'\n') {
            start += 1;
        }
        start
    };
    let start = trim(msg);
    let mut end = msg.len();
    while end > start && (msg[end - 1] == b'\r' || msg[end - 1] == b'\n') {
        end -= 1;
    }
    let mut out = Vec::with_capacity(code.len() + 1 + end - start);
    out.extend_from_slice(code);
    out.push(b' ');
    out.extend_from_slice(&msg[start..end]);
    out
}

/// The Lua type name of the value at `idx` (`nil`, `table`...).
pub unsafe fn type_name(l: State, idx: c_int) -> &'static str {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TNONE => "no value",
        ffi::LUA_TNIL => "nil",
        ffi::LUA_TBOOLEAN => "boolean",
        ffi::LUA_TLIGHTUSERDATA | ffi::LUA_TUSERDATA => "userdata",
        ffi::LUA_TNUMBER => "number",
        ffi::LUA_TSTRING => "string",
        ffi::LUA_TTABLE => "table",
        ffi::LUA_TFUNCTION => "function",
        ffi::LUA_TTHREAD => "thread",
        _ => "proto",
    }
}

/// `luaL_checknumber` without raising: numbers and numeric strings.
pub unsafe fn check_number(l: State, idx: c_int) -> Result<f64, LuaError> {
    if ffi::lua_isnumber(l, idx) != 0 {
        Ok(ffi::lua_tonumber(l, idx))
    } else {
        Err(type_error(l, idx, "number"))
    }
}

/// `luaL_checklstring` without raising: strings and numbers.
pub unsafe fn check_bytes<'a>(l: State, idx: c_int) -> Result<&'a [u8], LuaError> {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TSTRING | ffi::LUA_TNUMBER => Ok(to_bytes(l, idx).unwrap_or_default()),
        _ => Err(type_error(l, idx, "string")),
    }
}

/// `luaL_typerror`'s message as an argument error.
pub unsafe fn type_error(l: State, idx: c_int, expected: &str) -> LuaError {
    LuaError::Arg(
        idx,
        format!("{expected} expected, got {}", type_name(l, idx)),
    )
}

/// C's `(long long)d` on x86-64: NaN and out-of-range values give
/// `i64::MIN` (what Redis replies for `return 0/0`).
#[inline]
pub fn c_cast_i64(d: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if d.is_nan() || !(-LIMIT..LIMIT).contains(&d) {
        i64::MIN
    } else {
        d as i64
    }
}

/// C's `(int)d` on x86-64 (`luaL_checkint`): out of range gives
/// `i32::MIN`.
#[inline]
pub fn c_cast_i32(d: f64) -> i32 {
    if d.is_nan() || !(-2_147_483_648.0..2_147_483_648.0).contains(&d) {
        i32::MIN
    } else {
        d as i32
    }
}

/// Registers C functions into the table at the top of the stack.
pub unsafe fn set_funcs(l: State, funcs: &[(&str, ffi::lua_CFunction)]) {
    let t = ffi::lua_gettop(l);
    for (name, f) in funcs {
        ffi::lua_pushcclosure(l, *f, 0);
        raw_set_str(l, t, name.as_bytes());
    }
}

/// C's `%.<prec>g`.
pub fn fmt_g(d: f64, prec: usize) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d < 0.0 { "-inf".into() } else { "inf".into() };
    }
    let prec = prec.max(1);
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // %e with prec-1 digits gives the exponent after rounding.
    let e = format!("{:.*e}", prec - 1, d);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= prec as i32 {
        let mant = trim_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{d:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt_g14(d: f64) -> String {
        fmt_g(d, 14)
    }

    #[test]
    fn g_formats_like_c() {
        assert_eq!(fmt_g14(1.5), "1.5");
        assert_eq!(fmt_g14(1e15), "1e+15");
        assert_eq!(fmt_g14(1e14), "1e+14");
        assert_eq!(fmt_g14(123456789012345678.0), "1.2345678901235e+17");
        assert_eq!(fmt_g14(1.0 / 3.0), "0.33333333333333");
        assert_eq!(fmt_g14(-1e-7), "-1e-07");
        assert_eq!(fmt_g14(100.0), "100");
        assert_eq!(fmt_g14(0.0001), "0.0001");
        assert_eq!(fmt_g14(2f64.powi(53)), "9.007199254741e+15");
        assert_eq!(fmt_g(0.1, 17), "0.10000000000000001");
    }

    #[test]
    fn error_codes() {
        assert_eq!(error_text(b"-ERR x y"), b"ERR x y");
        assert_eq!(error_text(b"-OOM x"), b"OOM x");
        assert_eq!(error_text(b"plain"), b"ERR plain");
        assert_eq!(error_text(b"-"), b"ERR ");
        assert_eq!(error_text(b"-X\r\n"), b"ERR X");
    }

    #[test]
    fn c_casts() {
        assert_eq!(c_cast_i64(f64::NAN), i64::MIN);
        assert_eq!(c_cast_i64(1e19), i64::MIN);
        assert_eq!(c_cast_i64(-3.7), -3);
        assert_eq!(c_cast_i32(1e10), i32::MIN);
    }
}
