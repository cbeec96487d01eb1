//! The `bit` library (LuaBitOp's API): 32-bit operations on Lua numbers.

use std::ffi::c_int;

use super::lua::{self, ffi, guard, LuaError, State};

/// A number argument as 32 bits: rounded to nearest (ties to even) and
/// wrapped modulo 2^32, which is what adding 2^52+2^51 and keeping the low
/// word of the double gives.
unsafe fn barg(l: State, idx: c_int) -> Result<u32, LuaError> {
    let n = ffi::lua_tonumber(l, idx) + 6_755_399_441_055_744.0;
    let b = n.to_bits() as u32;
    if b == 0 && ffi::lua_isnumber(l, idx) == 0 {
        return Err(lua::type_error(l, idx, "number"));
    }
    Ok(b)
}

unsafe fn push_bits(l: State, b: u32) -> Result<c_int, LuaError> {
    ffi::lua_pushnumber(l, f64::from(b as i32));
    Ok(1)
}

unsafe fn fold(l: State, op: fn(u32, u32) -> u32) -> Result<c_int, LuaError> {
    let mut b = barg(l, 1)?;
    for i in 2..=ffi::lua_gettop(l) {
        b = op(b, barg(l, i)?);
    }
    push_bits(l, b)
}

unsafe fn shift(l: State, op: fn(u32, u32) -> u32) -> Result<c_int, LuaError> {
    let b = barg(l, 1)?;
    let n = barg(l, 2)? & 31;
    push_bits(l, op(b, n))
}

unsafe extern "C-unwind" fn tobit(l: State) -> c_int {
    guard(l, || {
        let b = barg(l, 1)?;
        push_bits(l, b)
    })
}

unsafe extern "C-unwind" fn bnot(l: State) -> c_int {
    guard(l, || {
        let b = barg(l, 1)?;
        push_bits(l, !b)
    })
}

unsafe extern "C-unwind" fn band(l: State) -> c_int {
    guard(l, || fold(l, |a, b| a & b))
}

unsafe extern "C-unwind" fn bor(l: State) -> c_int {
    guard(l, || fold(l, |a, b| a | b))
}

unsafe extern "C-unwind" fn bxor(l: State) -> c_int {
    guard(l, || fold(l, |a, b| a ^ b))
}

unsafe extern "C-unwind" fn lshift(l: State) -> c_int {
    guard(l, || shift(l, |b, n| b << n))
}

unsafe extern "C-unwind" fn rshift(l: State) -> c_int {
    guard(l, || shift(l, |b, n| b >> n))
}

unsafe extern "C-unwind" fn arshift(l: State) -> c_int {
    guard(l, || shift(l, |b, n| ((b as i32) >> n) as u32))
}

unsafe extern "C-unwind" fn rol(l: State) -> c_int {
    guard(l, || shift(l, |b, n| b.rotate_left(n)))
}

unsafe extern "C-unwind" fn ror(l: State) -> c_int {
    guard(l, || shift(l, |b, n| b.rotate_right(n)))
}

unsafe extern "C-unwind" fn bswap(l: State) -> c_int {
    guard(l, || {
        let b = barg(l, 1)?;
        push_bits(l, b.swap_bytes())
    })
}

/// `bit.tohex(x [, n])`: the low `n` hex digits (default 8; negative for
/// upper case).
unsafe extern "C-unwind" fn tohex(l: State) -> c_int {
    guard(l, || {
        let b = barg(l, 1)?;
        let mut n: i32 = if ffi::lua_isnone(l, 2) != 0 {
            8
        } else {
            barg(l, 2)? as i32
        };
        let upper = n < 0;
        if upper {
            n = n.wrapping_neg();
        }
        let n = n.clamp(0, 8) as usize;
        let text = if upper {
            format!("{b:08X}")
        } else {
            format!("{b:08x}")
        };
        lua::push_bytes(l, &text.as_bytes()[8 - n..]);
        Ok(1)
    })
}

/// Pushes the `bit` table.
pub(crate) unsafe fn open(l: State) {
    ffi::lua_createtable(l, 0, 12);
    lua::set_funcs(
        l,
        &[
            ("tobit", tobit),
            ("bnot", bnot),
            ("band", band),
            ("bor", bor),
            ("bxor", bxor),
            ("lshift", lshift),
            ("rshift", rshift),
            ("arshift", arshift),
            ("rol", rol),
            ("ror", ror),
            ("bswap", bswap),
            ("tohex", tohex),
        ],
    );
}
