//! The `cmsgpack` library (lua-cmsgpack 0.4.0): `pack(...)`,
//! `unpack(s)`, `unpack_one(s [, offset])`, `unpack_limit(s, n [, offset])`.
//! Encoding choices follow it: integral numbers as the smallest int type,
//! other numbers as float32 when exact else float64, tables as arrays when
//! their keys are exactly 1..n, nesting cut at 16 levels.

use std::ffi::c_int;

use super::lua::{self, ffi, guard, LuaError, State};

const MAX_NESTING: usize = 16;

/// Pushes the `cmsgpack` table.
pub(crate) unsafe fn open(l: State) {
    ffi::lua_createtable(l, 0, 8);
    let t = ffi::lua_gettop(l);
    lua::set_funcs(
        l,
        &[
            ("pack", pack),
            ("unpack", unpack),
            ("unpack_one", unpack_one),
            ("unpack_limit", unpack_limit),
        ],
    );
    for (k, v) in [
        ("_NAME", "cmsgpack"),
        ("_VERSION", "lua-cmsgpack 0.4.0"),
        ("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"),
        ("_DESCRIPTION", "MessagePack C implementation for Lua"),
    ] {
        lua::push_bytes(l, v.as_bytes());
        lua::raw_set_str(l, t, k.as_bytes());
    }
}

unsafe extern "C-unwind" fn pack(l: State) -> c_int {
    guard(l, || {
        let n = ffi::lua_gettop(l);
        if n == 0 {
            return Err(LuaError::Arg(0, "MessagePack pack needs input.".into()));
        }
        let mut out = Vec::new();
        for i in 1..=n {
            ffi::lua_pushvalue(l, i);
            encode(l, &mut out, 0);
        }
        lua::push_bytes(l, &out);
        Ok(1)
    })
}

/// Encodes and pops the value on top of the stack.
unsafe fn encode(l: State, out: &mut Vec<u8>, level: usize) {
    let mut ty = ffi::lua_type(l, -1);
    if ty == ffi::LUA_TTABLE && (level == MAX_NESTING || ffi::lua_checkstack(l, 3) == 0) {
        ty = ffi::LUA_TNIL;
    }
    match ty {
        ffi::LUA_TSTRING => encode_bytes(lua::to_bytes(l, -1).unwrap_or_default(), out),
        ffi::LUA_TBOOLEAN => out.push(if ffi::lua_toboolean(l, -1) != 0 {
            0xc3
        } else {
            0xc2
        }),
        ffi::LUA_TNUMBER => encode_number(ffi::lua_tonumber(l, -1), out),
        ffi::LUA_TTABLE => encode_table(l, out, level),
        _ => out.push(0xc0),
    }
    ffi::lua_pop(l, 1);
}

fn encode_bytes(s: &[u8], out: &mut Vec<u8>) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0xd9, n as u8]);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn encode_number(d: f64, out: &mut Vec<u8>) {
    let i = lua::c_cast_i64(d);
    if d.is_finite() && i as f64 == d {
        encode_int(i, out);
    } else if f64::from(d as f32) == d {
        out.push(0xca);
        out.extend_from_slice(&(d as f32).to_bits().to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&d.to_bits().to_be_bytes());
    }
}

fn encode_int(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// True when the keys of the table on top are exactly 1..n.
unsafe fn is_array(l: State) -> bool {
    let t = ffi::lua_gettop(l);
    let (mut count, mut max) = (0i64, 0i64);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        ffi::lua_pop(l, 1);
        let n = ffi::lua_tonumber(l, -1);
        if ffi::lua_type(l, -1) != ffi::LUA_TNUMBER
            || n <= 0.0
            || f64::from(lua::c_cast_i32(n)) != n
        {
            ffi::lua_settop(l, t);
            return false;
        }
        max = max.max(n as i64);
        count += 1;
    }
    max == count
}

unsafe fn encode_table(l: State, out: &mut Vec<u8>, level: usize) {
    let t = ffi::lua_gettop(l);
    if is_array(l) {
        let n = ffi::lua_objlen(l, t);
        header(out, n, 0x90, 0xdc, 0xdd);
        for j in 1..=n {
            ffi::lua_rawgeti_(l, t, j as c_int);
            encode(l, out, level + 1);
        }
        return;
    }
    let mut n = 0usize;
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        ffi::lua_pop(l, 1);
        n += 1;
    }
    header(out, n, 0x80, 0xde, 0xdf);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        ffi::lua_pushvalue(l, -2);
        encode(l, out, level + 1);
        encode(l, out, level + 1);
    }
}

fn header(out: &mut Vec<u8>, n: usize, fix: u8, b16: u8, b32: u8) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(b16);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(b32);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

// ---- decoding -------------------------------------------------------------

enum DecodeError {
    Eof,
    /// No room left on the Lua stack for more values.
    Stack,
    BadFormat,
    /// A map key that can not index a table (nil, NaN).
    Key(&'static str),
}

struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        if self.data.len() - self.pos < n {
            return Err(DecodeError::Eof);
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |a, &b| (a << 8) | u64::from(b)))
    }
}

/// Decodes one value and pushes it.
unsafe fn decode(l: State, c: &mut Cursor) -> Result<(), DecodeError> {
    if ffi::lua_checkstack(l, 1) == 0 {
        return Err(DecodeError::Stack);
    }
    let tag = c.take(1)?[0];
    match tag {
        0xcc => ffi::lua_pushnumber(l, c.be(1)? as f64),
        0xd0 => ffi::lua_pushnumber(l, f64::from(c.be(1)? as u8 as i8)),
        0xcd => ffi::lua_pushnumber(l, c.be(2)? as f64),
        0xd1 => ffi::lua_pushnumber(l, f64::from(c.be(2)? as u16 as i16)),
        0xce => ffi::lua_pushnumber(l, c.be(4)? as f64),
        0xd2 => ffi::lua_pushnumber(l, f64::from(c.be(4)? as u32 as i32)),
        0xcf => ffi::lua_pushnumber(l, c.be(8)? as f64),
        0xd3 => ffi::lua_pushnumber(l, c.be(8)? as i64 as f64),
        0xc0 => ffi::lua_pushnil(l),
        0xc3 => ffi::lua_pushboolean(l, 1),
        0xc2 => ffi::lua_pushboolean(l, 0),
        0xca => ffi::lua_pushnumber(l, f64::from(f32::from_bits(c.be(4)? as u32))),
        0xcb => ffi::lua_pushnumber(l, f64::from_bits(c.be(8)?)),
        0xd9 => push_str(l, c, 1)?,
        0xda => push_str(l, c, 2)?,
        0xdb => push_str(l, c, 4)?,
        0xdc => {
            let n = c.be(2)?;
            decode_array(l, c, n)?
        }
        0xdd => {
            let n = c.be(4)?;
            decode_array(l, c, n)?
        }
        0xde => {
            let n = c.be(2)?;
            decode_map(l, c, n)?
        }
        0xdf => {
            let n = c.be(4)?;
            decode_map(l, c, n)?
        }
        _ if tag & 0x80 == 0 => ffi::lua_pushnumber(l, f64::from(tag)),
        _ if tag & 0xe0 == 0xe0 => ffi::lua_pushnumber(l, f64::from(tag as i8)),
        _ if tag & 0xe0 == 0xa0 => {
            let s = c.take(usize::from(tag & 0x1f))?;
            lua::push_bytes(l, s);
        }
        _ if tag & 0xf0 == 0x90 => decode_array(l, c, u64::from(tag & 0x0f))?,
        _ if tag & 0xf0 == 0x80 => decode_map(l, c, u64::from(tag & 0x0f))?,
        _ => return Err(DecodeError::BadFormat),
    }
    Ok(())
}

unsafe fn push_str(l: State, c: &mut Cursor, len_bytes: usize) -> Result<(), DecodeError> {
    let n = c.be(len_bytes)? as usize;
    let s = c.take(n)?;
    lua::push_bytes(l, s);
    Ok(())
}

unsafe fn decode_array(l: State, c: &mut Cursor, n: u64) -> Result<(), DecodeError> {
    ffi::lua_createtable(l, 0, 0);
    let t = ffi::lua_gettop(l);
    for i in 1..=n {
        decode(l, c)?;
        ffi::lua_rawseti_(l, t, i as c_int);
    }
    Ok(())
}

unsafe fn decode_map(l: State, c: &mut Cursor, n: u64) -> Result<(), DecodeError> {
    ffi::lua_createtable(l, 0, 0);
    let t = ffi::lua_gettop(l);
    for _ in 0..n {
        decode(l, c)?;
        decode(l, c)?;
        if ffi::lua_isnil(l, -2) != 0 {
            return Err(DecodeError::Key("table index is nil"));
        }
        if ffi::lua_type(l, -2) == ffi::LUA_TNUMBER && ffi::lua_tonumber(l, -2).is_nan() {
            return Err(DecodeError::Key("table index is NaN"));
        }
        ffi::lua_rawset(l, t);
    }
    Ok(())
}

/// Decodes up to `limit` values from `offset` (all of them when both are
/// 0); with a limit or offset, the next offset (-1 at the end) comes first.
unsafe fn unpack_full(l: State, limit: i64, offset: i64) -> Result<c_int, LuaError> {
    let data = lua::check_bytes(l, 1)?;
    let len = data.len() as i64;
    if offset < 0 || limit < 0 {
        return Err(LuaError::Where(format!(
            "Invalid request to unpack with offset of {offset} and limit of {len}."
        )));
    }
    if offset > len {
        return Err(LuaError::Where(format!(
            "Start offset {offset} greater than input length {len}."
        )));
    }
    let decode_all = limit == 0 && offset == 0;
    let limit = if decode_all { i64::MAX } else { limit };
    let mut c = Cursor {
        data,
        pos: offset as usize,
    };
    let mut count: c_int = 0;
    while c.pos < data.len() && i64::from(count) < limit {
        match decode(l, &mut c) {
            Ok(()) => {}
            Err(DecodeError::Eof) => return Err(LuaError::Where("Missing bytes in input.".into())),
            Err(DecodeError::BadFormat) => {
                return Err(LuaError::Where("Bad data format in input.".into()))
            }
            Err(DecodeError::Key(msg)) => return Err(LuaError::Plain(msg.into())),
            Err(DecodeError::Stack) => {
                return Err(LuaError::Where(
                    "stack overflow (too many return values at once; use unpack_one or \
                     unpack_limit instead.)"
                        .into(),
                ))
            }
        }
        count += 1;
    }
    if !decode_all {
        let next = if c.pos == data.len() {
            -1.0
        } else {
            c.pos as f64
        };
        ffi::lua_pushnumber(l, next);
        ffi::lua_insert(l, 2);
        count += 1;
    }
    Ok(count)
}

unsafe extern "C-unwind" fn unpack(l: State) -> c_int {
    guard(l, || unpack_full(l, 0, 0))
}

unsafe fn opt_int(l: State, idx: c_int, default: i64) -> Result<i64, LuaError> {
    if ffi::lua_isnoneornil(l, idx) != 0 {
        Ok(default)
    } else {
        Ok(lua::c_cast_i64(lua::check_number(l, idx)?))
    }
}

unsafe extern "C-unwind" fn unpack_one(l: State) -> c_int {
    guard(l, || {
        let offset = opt_int(l, 2, 0)?;
        ffi::lua_settop(l, 1);
        unpack_full(l, 1, offset)
    })
}

unsafe extern "C-unwind" fn unpack_limit(l: State) -> c_int {
    guard(l, || {
        let limit = lua::c_cast_i64(lua::check_number(l, 2)?);
        let offset = opt_int(l, 3, 0)?;
        ffi::lua_settop(l, 1);
        unpack_full(l, limit, offset)
    })
}
