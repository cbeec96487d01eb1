//! Conversions between command replies and Lua values, as Redis 7.0 does
//! them: a reply becomes what `redis.call` returns (shaped by the
//! script's protocol, `redis.setresp`), and the script's return value
//! becomes the EVAL reply.

use std::ffi::c_int;

use bytes::Bytes;

use super::lua::{self, ffi, State};
use crate::resp::{double_text, Frame};

/// Pushes the Lua value for a command reply. Errors become Redis's error
/// table (`{err = ...}`); returns false when the reply was an error.
///
/// # Safety
/// `l` must be valid with room for a few slots; nothing here raises.
pub unsafe fn push_reply(l: State, frame: &Frame, resp3: bool) -> bool {
    match frame {
        Frame::Error(e) => {
            let mut text = Vec::with_capacity(e.len() + 1);
            text.push(b'-');
            text.extend_from_slice(e);
            push_error_with_stats_flag(l, &text);
            return false;
        }
        _ => push_value(l, frame, resp3, 0),
    }
    true
}

/// Pushes Redis's error table plus the `ignore_error_stats_update` field
/// Redis adds to errors coming from commands.
pub unsafe fn push_error_with_stats_flag(l: State, text: &[u8]) {
    lua::push_error_table(l, text);
    let t = ffi::lua_gettop(l);
    ffi::lua_pushboolean(l, 1);
    lua::raw_set_str(l, t, b"ignore_error_stats_update");
}

/// A table with one field `name` set to the value on top (popped).
unsafe fn wrap_field(l: State, name: &[u8]) {
    ffi::lua_createtable(l, 0, 1);
    ffi::lua_insert(l, -2);
    let t = ffi::lua_gettop(l) - 1;
    lua::raw_set_str(l, t, name);
}

unsafe fn push_value(l: State, frame: &Frame, resp3: bool, depth: usize) {
    // Replies nest a few levels; the check keeps a pathological reply from
    // overflowing the Lua stack.
    if ffi::lua_checkstack(l, 4) == 0 || depth > 1000 {
        ffi::lua_pushnil(l);
        return;
    }
    match frame {
        Frame::Simple(s) => {
            lua::push_bytes(l, s);
            wrap_field(l, b"ok");
        }
        Frame::Error(e) => {
            let mut text = Vec::with_capacity(e.len() + 1);
            text.push(b'-');
            text.extend_from_slice(e);
            push_error_with_stats_flag(l, &text);
        }
        Frame::Integer(n) => ffi::lua_pushnumber(l, *n as f64),
        Frame::Bulk(b) => lua::push_bytes(l, b),
        Frame::Encoded(_) => push_value(l, &frame.expanded(), resp3, depth + 1),
        Frame::Null | Frame::NullArray => {
            if resp3 {
                ffi::lua_pushnil(l)
            } else {
                ffi::lua_pushboolean(l, 0)
            }
        }
        Frame::Array(items) | Frame::Push(items) => push_array(l, items, resp3, depth),
        Frame::Set(items) => {
            if !resp3 {
                push_array(l, items, resp3, depth);
                return;
            }
            ffi::lua_createtable(l, 0, items.len() as c_int);
            let t = ffi::lua_gettop(l);
            for item in items {
                push_value(l, item, resp3, depth + 1);
                ffi::lua_pushboolean(l, 1);
                set_if_key(l, t);
            }
            wrap_field(l, b"set");
        }
        Frame::Map(pairs) => {
            if !resp3 {
                ffi::lua_createtable(l, (pairs.len() * 2) as c_int, 0);
                let t = ffi::lua_gettop(l);
                for (i, (k, v)) in pairs.iter().enumerate() {
                    push_value(l, k, resp3, depth + 1);
                    ffi::lua_rawseti_(l, t, (2 * i + 1) as c_int);
                    push_value(l, v, resp3, depth + 1);
                    ffi::lua_rawseti_(l, t, (2 * i + 2) as c_int);
                }
                return;
            }
            ffi::lua_createtable(l, 0, pairs.len() as c_int);
            let t = ffi::lua_gettop(l);
            for (k, v) in pairs {
                push_value(l, k, resp3, depth + 1);
                push_value(l, v, resp3, depth + 1);
                set_if_key(l, t);
            }
            wrap_field(l, b"map");
        }
        Frame::Double(d) => {
            if resp3 {
                ffi::lua_pushnumber(l, *d);
                wrap_field(l, b"double");
            } else {
                lua::push_bytes(l, &double_text(*d));
            }
        }
        Frame::Boolean(b) => {
            if resp3 {
                ffi::lua_pushboolean(l, *b as c_int)
            } else {
                ffi::lua_pushnumber(l, if *b { 1.0 } else { 0.0 })
            }
        }
        Frame::BigNumber(n) => {
            lua::push_bytes(l, n);
            if resp3 {
                wrap_field(l, b"big_number");
            }
        }
        Frame::Verbatim(format, text) => {
            if !resp3 {
                lua::push_bytes(l, text);
                return;
            }
            ffi::lua_createtable(l, 0, 2);
            let t = ffi::lua_gettop(l);
            lua::push_bytes(l, text);
            lua::raw_set_str(l, t, b"string");
            lua::push_bytes(l, format);
            lua::raw_set_str(l, t, b"format");
            wrap_field(l, b"verbatim_string");
        }
    }
}

/// `t[key] = value` for the two values on top, skipping a nil key (a
/// RESP3 null can not be a table key).
unsafe fn set_if_key(l: State, t: c_int) {
    if ffi::lua_isnil(l, -2) != 0 {
        ffi::lua_pop(l, 2);
    } else {
        ffi::lua_rawset(l, t);
    }
}

unsafe fn push_array(l: State, items: &[Frame], resp3: bool, depth: usize) {
    ffi::lua_createtable(l, items.len() as c_int, 0);
    let t = ffi::lua_gettop(l);
    for (i, item) in items.iter().enumerate() {
        push_value(l, item, resp3, depth + 1);
        ffi::lua_rawseti_(l, t, (i + 1) as c_int);
    }
}

/// The reply for the Lua value at the top of the stack (left in place).
/// `resp3` is the script's protocol (`redis.setresp`), which decides how
/// booleans are sent.
///
/// # Safety
/// `l` must be valid; only raw accesses are used, so nothing raises.
pub unsafe fn to_reply(l: State, resp3: bool) -> Frame {
    to_reply_at(l, ffi::lua_gettop(l), resp3)
}

unsafe fn to_reply_at(l: State, idx: c_int, resp3: bool) -> Frame {
    match ffi::lua_type(l, idx) {
        ffi::LUA_TSTRING => Frame::Bulk(Bytes::copy_from_slice(
            lua::to_bytes(l, idx).unwrap_or_default(),
        )),
        ffi::LUA_TBOOLEAN => {
            let b = ffi::lua_toboolean(l, idx) != 0;
            match (resp3, b) {
                (true, b) => Frame::Boolean(b),
                (false, true) => Frame::Integer(1),
                (false, false) => Frame::Null,
            }
        }
        ffi::LUA_TNUMBER => Frame::Integer(lua::c_cast_i64(ffi::lua_tonumber(l, idx))),
        ffi::LUA_TTABLE => table_reply(l, idx, resp3),
        _ => Frame::Null,
    }
}

/// The stack depth a reply may take: Redis stops a self-referencing table
/// when the Lua stack is exhausted.
const MAX_REPLY_DEPTH: c_int = 7900;

unsafe fn table_reply(l: State, idx: c_int, resp3: bool) -> Frame {
    if ffi::lua_checkstack(l, 4) == 0 || ffi::lua_gettop(l) > MAX_REPLY_DEPTH {
        return Frame::error("ERR reached lua stack limit");
    }
    if lua::raw_get_str(l, idx, b"err") == ffi::LUA_TSTRING {
        ffi::lua_pop(l, 1);
        let msg = error_field(l, idx);
        return Frame::Error(Bytes::from(sanitize(trim_crlf(&msg).to_vec())));
    }
    ffi::lua_pop(l, 1);
    if lua::raw_get_str(l, idx, b"ok") == ffi::LUA_TSTRING {
        let text = sanitize(lua::to_bytes(l, -1).unwrap_or_default().to_vec());
        ffi::lua_pop(l, 1);
        return Frame::Simple(Bytes::from(text));
    }
    ffi::lua_pop(l, 1);
    if lua::raw_get_str(l, idx, b"double") == ffi::LUA_TNUMBER {
        let d = ffi::lua_tonumber(l, -1);
        ffi::lua_pop(l, 1);
        return Frame::Double(d);
    }
    ffi::lua_pop(l, 1);
    if lua::raw_get_str(l, idx, b"big_number") == ffi::LUA_TSTRING {
        let text = sanitize(lua::to_bytes(l, -1).unwrap_or_default().to_vec());
        ffi::lua_pop(l, 1);
        return Frame::BigNumber(Bytes::from(text));
    }
    ffi::lua_pop(l, 1);
    if lua::raw_get_str(l, idx, b"verbatim_string") == ffi::LUA_TTABLE {
        let v = ffi::lua_gettop(l);
        let format = lua::raw_get_str(l, v, b"format");
        let text = lua::raw_get_str(l, v, b"string");
        if format == ffi::LUA_TSTRING && text == ffi::LUA_TSTRING {
            let fmt = lua::to_bytes(l, -2).unwrap_or_default();
            let mut f3 = [b' '; 3];
            for (d, s) in f3.iter_mut().zip(fmt) {
                *d = *s;
            }
            let body = Bytes::copy_from_slice(lua::to_bytes(l, -1).unwrap_or_default());
            ffi::lua_pop(l, 3);
            return Frame::Verbatim(f3, body);
        }
        ffi::lua_pop(l, 2);
    }
    ffi::lua_pop(l, 1);
    if lua::raw_get_str(l, idx, b"map") == ffi::LUA_TTABLE {
        let m = ffi::lua_gettop(l);
        let mut pairs = Vec::new();
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, m) != 0 {
            let k = to_reply_at(l, ffi::lua_gettop(l) - 1, resp3);
            let v = to_reply_at(l, ffi::lua_gettop(l), resp3);
            pairs.push((k, v));
            ffi::lua_pop(l, 1);
        }
        ffi::lua_pop(l, 1);
        return Frame::Map(pairs);
    }
    ffi::lua_pop(l, 1);
    if lua::raw_get_str(l, idx, b"set") == ffi::LUA_TTABLE {
        let s = ffi::lua_gettop(l);
        let mut items = Vec::new();
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, s) != 0 {
            items.push(to_reply_at(l, ffi::lua_gettop(l) - 1, resp3));
            ffi::lua_pop(l, 1);
        }
        ffi::lua_pop(l, 1);
        return Frame::Set(items);
    }
    ffi::lua_pop(l, 1);
    let mut items = Vec::new();
    let mut j: c_int = 1;
    loop {
        ffi::lua_rawgeti_(l, idx, j);
        if ffi::lua_isnil(l, -1) != 0 {
            ffi::lua_pop(l, 1);
            break;
        }
        items.push(to_reply_at(l, ffi::lua_gettop(l), resp3));
        ffi::lua_pop(l, 1);
        j += 1;
    }
    Frame::Array(items)
}

/// The reply text of an error table: its `err` field (strings or
/// numbers), as Redis reads it.
unsafe fn error_field(l: State, idx: c_int) -> Vec<u8> {
    let ty = lua::raw_get_str(l, idx, b"err");
    let msg = if ty == ffi::LUA_TSTRING || ty == ffi::LUA_TNUMBER {
        lua::to_bytes(l, -1).unwrap_or_default().to_vec()
    } else {
        Vec::new()
    };
    ffi::lua_pop(l, 1);
    msg
}

/// `text` without leading and trailing CR/LF.
pub fn trim_crlf(text: &[u8]) -> &[u8] {
    let is = |c: &u8| *c == b'\r' || *c == b'\n';
    let start = text.iter().position(|c| !is(c)).unwrap_or(text.len());
    let end = text.iter().rposition(|c| !is(c)).map_or(start, |e| e + 1);
    &text[start..end.max(start)]
}

/// CR and LF can not appear in status or error lines.
pub fn sanitize(mut text: Vec<u8>) -> Vec<u8> {
    for c in text.iter_mut() {
        if *c == b'\r' || *c == b'\n' {
            *c = b' ';
        }
    }
    text
}
