//! The `cjson` library (lua-cjson 2.1.0 as bundled with Redis 7.0):
//! `encode`, `decode`, their settings, `null` and `new`. Numbers are
//! written with `%.14g`, empty tables encode as `{}`, sparse arrays follow
//! the ratio/safe rules, and errors use lua-cjson's texts.

use std::ffi::c_int;

use super::lua::{self, ffi, guard, LuaError, State};

/// Settings of one `cjson` instance (shared by its functions as an
/// upvalue).
#[derive(Clone, Copy)]
struct Config {
    sparse_convert: bool,
    sparse_ratio: i64,
    sparse_safe: i64,
    encode_max_depth: i64,
    decode_max_depth: i64,
    /// 0: refuse NaN/Inf, 1: write them (`nan`, `inf`), 2: write null.
    encode_invalid: usize,
    decode_invalid: bool,
    keep_buffer: bool,
    precision: i64,
}

const DEFAULTS: Config = Config {
    sparse_convert: false,
    sparse_ratio: 2,
    sparse_safe: 10,
    encode_max_depth: 1000,
    decode_max_depth: 1000,
    encode_invalid: 0,
    decode_invalid: true,
    keep_buffer: true,
    precision: 14,
};

unsafe fn config<'a>(l: State) -> &'a mut Config {
    &mut *(ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)) as *mut Config)
}

/// Pushes a new `cjson` table with its own settings.
pub(crate) unsafe fn open(l: State) {
    ffi::lua_createtable(l, 0, 16);
    let t = ffi::lua_gettop(l);
    let cfg = ffi::lua_newuserdata(l, std::mem::size_of::<Config>()) as *mut Config;
    cfg.write(DEFAULTS);
    let ud = ffi::lua_gettop(l);
    let funcs: &[(&str, ffi::lua_CFunction)] = &[
        ("encode", encode),
        ("decode", decode),
        ("encode_sparse_array", cfg_sparse_array),
        ("encode_max_depth", cfg_encode_max_depth),
        ("decode_max_depth", cfg_decode_max_depth),
        ("encode_number_precision", cfg_precision),
        ("encode_keep_buffer", cfg_keep_buffer),
        ("encode_invalid_numbers", cfg_encode_invalid),
        ("decode_invalid_numbers", cfg_decode_invalid),
        ("new", new),
    ];
    for (name, f) in funcs {
        ffi::lua_pushvalue(l, ud);
        ffi::lua_pushcclosure(l, *f, 1);
        lua::raw_set_str(l, t, name.as_bytes());
    }
    ffi::lua_pop(l, 1);
    ffi::lua_pushlightuserdata(l, std::ptr::null_mut());
    lua::raw_set_str(l, t, b"null");
    lua::push_bytes(l, b"cjson");
    lua::raw_set_str(l, t, b"_NAME");
    lua::push_bytes(l, b"2.1.0");
    lua::raw_set_str(l, t, b"_VERSION");
}

unsafe extern "C-unwind" fn new(l: State) -> c_int {
    open(l);
    1
}

/// At most `n` arguments, padded with nils (`json_arg_init`).
unsafe fn arg_init(l: State, n: c_int) -> Result<(), LuaError> {
    if ffi::lua_gettop(l) > n {
        return Err(LuaError::Arg(n + 1, "found too many arguments".into()));
    }
    ffi::lua_settop(l, n);
    Ok(())
}

/// A boolean setting (`json_enum_option` without names).
unsafe fn bool_option(l: State, idx: c_int, setting: &mut bool) -> Result<(), LuaError> {
    if ffi::lua_isnil(l, idx) == 0 {
        if ffi::lua_isboolean(l, idx) != 0 {
            *setting = ffi::lua_toboolean(l, idx) != 0;
        } else {
            *setting = check_option(l, idx, &["off", "on"])? == 1;
        }
    }
    ffi::lua_pushboolean(l, *setting as c_int);
    Ok(())
}

/// `luaL_checkoption` without a default.
unsafe fn check_option(l: State, idx: c_int, names: &[&str]) -> Result<usize, LuaError> {
    let s = lua::check_bytes(l, idx)?;
    names.iter().position(|n| n.as_bytes() == s).ok_or_else(|| {
        LuaError::Arg(
            idx,
            format!("invalid option '{}'", String::from_utf8_lossy(s)),
        )
    })
}

/// An integer setting within `min..=max`.
unsafe fn int_option(
    l: State,
    idx: c_int,
    setting: &mut i64,
    min: i64,
    max: i64,
) -> Result<(), LuaError> {
    if ffi::lua_isnil(l, idx) == 0 {
        let v = i64::from(lua::c_cast_i32(lua::check_number(l, idx)?));
        if v < min || v > max {
            return Err(LuaError::Arg(
                1,
                format!("expected integer between {min} and {max}"),
            ));
        }
        *setting = v;
    }
    ffi::lua_pushnumber(l, *setting as f64);
    Ok(())
}

unsafe extern "C-unwind" fn cfg_sparse_array(l: State) -> c_int {
    guard(l, || {
        arg_init(l, 3)?;
        let cfg = config(l);
        bool_option(l, 1, &mut cfg.sparse_convert)?;
        int_option(l, 2, &mut cfg.sparse_ratio, 0, i32::MAX.into())?;
        int_option(l, 3, &mut cfg.sparse_safe, 0, i32::MAX.into())?;
        Ok(3)
    })
}

unsafe extern "C-unwind" fn cfg_encode_max_depth(l: State) -> c_int {
    guard(l, || {
        arg_init(l, 1)?;
        int_option(l, 1, &mut config(l).encode_max_depth, 1, i32::MAX.into())?;
        Ok(1)
    })
}

unsafe extern "C-unwind" fn cfg_decode_max_depth(l: State) -> c_int {
    guard(l, || {
        arg_init(l, 1)?;
        int_option(l, 1, &mut config(l).decode_max_depth, 1, i32::MAX.into())?;
        Ok(1)
    })
}

unsafe extern "C-unwind" fn cfg_precision(l: State) -> c_int {
    guard(l, || {
        arg_init(l, 1)?;
        int_option(l, 1, &mut config(l).precision, 1, 14)?;
        Ok(1)
    })
}

unsafe extern "C-unwind" fn cfg_keep_buffer(l: State) -> c_int {
    guard(l, || {
        arg_init(l, 1)?;
        bool_option(l, 1, &mut config(l).keep_buffer)?;
        Ok(1)
    })
}

unsafe extern "C-unwind" fn cfg_decode_invalid(l: State) -> c_int {
    guard(l, || {
        arg_init(l, 1)?;
        bool_option(l, 1, &mut config(l).decode_invalid)?;
        Ok(1)
    })
}

unsafe extern "C-unwind" fn cfg_encode_invalid(l: State) -> c_int {
    guard(l, || {
        arg_init(l, 1)?;
        let cfg = config(l);
        const NAMES: [&str; 3] = ["off", "on", "null"];
        if ffi::lua_isnil(l, 1) == 0 {
            cfg.encode_invalid = if ffi::lua_isboolean(l, 1) != 0 {
                usize::from(ffi::lua_toboolean(l, 1) != 0)
            } else {
                check_option(l, 1, &NAMES)?
            };
        }
        if cfg.encode_invalid <= 1 {
            ffi::lua_pushboolean(l, cfg.encode_invalid as c_int);
        } else {
            lua::push_bytes(l, NAMES[cfg.encode_invalid].as_bytes());
        }
        Ok(1)
    })
}

// ---- encoding -------------------------------------------------------------

fn cannot(type_name: &str, reason: &str) -> LuaError {
    LuaError::Where(format!("Cannot serialise {type_name}: {reason}"))
}

unsafe extern "C-unwind" fn encode(l: State) -> c_int {
    guard(l, || {
        if ffi::lua_gettop(l) != 1 {
            return Err(LuaError::Arg(1, "expected 1 argument".into()));
        }
        let cfg = *config(l);
        let mut out = Vec::new();
        append_value(l, &cfg, 0, &mut out)?;
        lua::push_bytes(l, &out);
        Ok(1)
    })
}

/// Appends the value on top of the stack (left there).
unsafe fn append_value(
    l: State,
    cfg: &Config,
    depth: i64,
    out: &mut Vec<u8>,
) -> Result<(), LuaError> {
    match ffi::lua_type(l, -1) {
        ffi::LUA_TSTRING => append_string(lua::to_bytes(l, -1).unwrap_or_default(), out),
        ffi::LUA_TNUMBER => append_number(ffi::lua_tonumber(l, -1), cfg, out)?,
        ffi::LUA_TBOOLEAN => out.extend_from_slice(if ffi::lua_toboolean(l, -1) != 0 {
            b"true"
        } else {
            b"false"
        }),
        ffi::LUA_TTABLE => {
            let depth = depth + 1;
            if depth > cfg.encode_max_depth || ffi::lua_checkstack(l, 3) == 0 {
                return Err(LuaError::Where(format!(
                    "Cannot serialise, excessive nesting ({depth})"
                )));
            }
            match array_length(l, cfg)? {
                Some(len) if len > 0 => append_array(l, cfg, depth, len, out)?,
                _ => append_object(l, cfg, depth, out)?,
            }
        }
        ffi::LUA_TNIL => out.extend_from_slice(b"null"),
        ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(l, -1).is_null() => {
            out.extend_from_slice(b"null")
        }
        _ => return Err(cannot(lua::type_name(l, -1), "type not supported")),
    }
    Ok(())
}

/// The array length of the table on top, or None when it is an object
/// (non-positive-integer keys, or too sparse and `sparse_convert` on).
unsafe fn array_length(l: State, cfg: &Config) -> Result<Option<i64>, LuaError> {
    let t = ffi::lua_gettop(l);
    let (mut max, mut items) = (0f64, 0i64);
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        let k = ffi::lua_tonumber(l, -2);
        if ffi::lua_type(l, -2) == ffi::LUA_TNUMBER && k != 0.0 && k.floor() == k && k >= 1.0 {
            max = max.max(k);
            items += 1;
            ffi::lua_pop(l, 1);
            continue;
        }
        ffi::lua_pop(l, 2);
        return Ok(None);
    }
    let max = if max > i32::MAX as f64 {
        i64::from(i32::MIN)
    } else {
        max as i64
    };
    if cfg.sparse_ratio > 0 && max > items * cfg.sparse_ratio && max > cfg.sparse_safe {
        if !cfg.sparse_convert {
            return Err(cannot("table", "excessively sparse array"));
        }
        return Ok(None);
    }
    Ok(Some(max))
}

unsafe fn append_array(
    l: State,
    cfg: &Config,
    depth: i64,
    len: i64,
    out: &mut Vec<u8>,
) -> Result<(), LuaError> {
    out.push(b'[');
    for i in 1..=len {
        if i > 1 {
            out.push(b',');
        }
        ffi::lua_rawgeti_(l, -1, i as c_int);
        append_value(l, cfg, depth, out)?;
        ffi::lua_pop(l, 1);
    }
    out.push(b']');
    Ok(())
}

unsafe fn append_object(
    l: State,
    cfg: &Config,
    depth: i64,
    out: &mut Vec<u8>,
) -> Result<(), LuaError> {
    let t = ffi::lua_gettop(l);
    out.push(b'{');
    let mut first = true;
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, t) != 0 {
        if !first {
            out.push(b',');
        }
        first = false;
        match ffi::lua_type(l, -2) {
            ffi::LUA_TNUMBER => {
                out.push(b'"');
                append_number(ffi::lua_tonumber(l, -2), cfg, out)?;
                out.extend_from_slice(b"\":");
            }
            ffi::LUA_TSTRING => {
                // The key is a real string, so reading it converts nothing.
                append_string(lua::to_bytes(l, -2).unwrap_or_default(), out);
                out.push(b':');
            }
            _ => {
                return Err(cannot(
                    lua::type_name(l, -2),
                    "table key must be a number or string",
                ))
            }
        }
        append_value(l, cfg, depth, out)?;
        ffi::lua_pop(l, 1);
    }
    out.push(b'}');
    Ok(())
}

fn append_number(d: f64, cfg: &Config, out: &mut Vec<u8>) -> Result<(), LuaError> {
    if d.is_nan() || d.is_infinite() {
        match cfg.encode_invalid {
            0 => return Err(cannot("number", "must not be NaN or Inf")),
            // Written as the number formatter prints them.
            1 => {}
            _ => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    out.extend_from_slice(lua::fmt_g(d, cfg.precision as usize).as_bytes());
    Ok(())
}

fn append_string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

// ---- decoding -------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Num,
    Bool(bool),
    Null,
    Colon,
    Comma,
    End,
    Error(&'static str),
}

impl Tok {
    fn name(self) -> &'static str {
        match self {
            Tok::ObjBegin => "T_OBJ_BEGIN",
            Tok::ObjEnd => "T_OBJ_END",
            Tok::ArrBegin => "T_ARR_BEGIN",
            Tok::ArrEnd => "T_ARR_END",
            Tok::Str => "T_STRING",
            Tok::Num => "T_NUMBER",
            Tok::Bool(_) => "T_BOOLEAN",
            Tok::Null => "T_NULL",
            Tok::Colon => "T_COLON",
            Tok::Comma => "T_COMMA",
            Tok::End => "T_END",
            Tok::Error(e) => e,
        }
    }
}

struct Token {
    tok: Tok,
    index: usize,
    num: f64,
    text: Vec<u8>,
}

struct Parser<'a> {
    /// The input; the parser stops at its end or at a NUL byte, as the C
    /// parser does on its NUL-terminated copy.
    data: &'a [u8],
    pos: usize,
    depth: i64,
    cfg: Config,
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn error_at(&self, tok: &mut Token, what: &'static str) {
        tok.tok = Tok::Error(what);
        tok.index = self.pos;
    }

    fn next(&mut self) -> Token {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let mut t = Token {
            tok: Tok::End,
            index: self.pos,
            num: 0.0,
            text: Vec::new(),
        };
        let c = self.at(self.pos);
        let single = match c {
            b'{' => Some(Tok::ObjBegin),
            b'}' => Some(Tok::ObjEnd),
            b'[' => Some(Tok::ArrBegin),
            b']' => Some(Tok::ArrEnd),
            b',' => Some(Tok::Comma),
            b':' => Some(Tok::Colon),
            0 => return t,
            _ => None,
        };
        if let Some(tok) = single {
            t.tok = tok;
            self.pos += 1;
            return t;
        }
        if !matches!(
            c,
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'"' | b'+' | b'-' | b'0'..=b'9'
        ) {
            self.error_at(&mut t, "invalid token");
            return t;
        }
        let rest = &self.data[self.pos.min(self.data.len())..];
        if c == b'"' {
            self.string(&mut t);
        } else if c == b'-' || c.is_ascii_digit() {
            if !self.cfg.decode_invalid && self.invalid_number() {
                self.error_at(&mut t, "invalid number");
            } else {
                self.number(&mut t);
            }
        } else if rest.starts_with(b"true") {
            t.tok = Tok::Bool(true);
            self.pos += 4;
        } else if rest.starts_with(b"false") {
            t.tok = Tok::Bool(false);
            self.pos += 5;
        } else if rest.starts_with(b"null") {
            t.tok = Tok::Null;
            self.pos += 4;
        } else if self.cfg.decode_invalid && self.invalid_number() {
            self.number(&mut t);
        } else {
            self.error_at(&mut t, "invalid token");
        }
        t
    }

    /// Numbers strict JSON rejects: a leading `+`, hex, leading zeros,
    /// inf and nan.
    fn invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return (c2 | 0x20) == b'x' || c2.is_ascii_digit();
        }
        if c <= b'9' {
            return false;
        }
        let word: Vec<u8> = (0..3)
            .map(|i| self.at(p + i).to_ascii_lowercase())
            .collect();
        word == b"inf" || word == b"nan"
    }

    fn number(&mut self, t: &mut Token) {
        let end = self.data[self.pos..]
            .iter()
            .position(|&b| b == 0)
            .map_or(self.data.len(), |p| self.pos + p);
        match strtod(&self.data[self.pos..end]) {
            Some((v, used)) => {
                t.tok = Tok::Num;
                t.num = v;
                self.pos += used;
            }
            None => self.error_at(t, "invalid number"),
        }
    }

    fn string(&mut self, t: &mut Token) {
        self.pos += 1;
        let mut out = Vec::new();
        loop {
            let c = self.at(self.pos);
            if c == b'"' {
                break;
            }
            if c == 0 {
                self.error_at(t, "unexpected end of string");
                return;
            }
            if c == b'\\' {
                let e = self.at(self.pos + 1);
                let ch = match e {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 8,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'f' => 12,
                    b'r' => b'\r',
                    b'u' => {
                        if !self.unicode_escape(&mut out) {
                            self.error_at(t, "invalid unicode escape code");
                            return;
                        }
                        continue;
                    }
                    _ => {
                        self.error_at(t, "invalid escape code");
                        return;
                    }
                };
                out.push(ch);
                self.pos += 2;
                continue;
            }
            out.push(c);
            self.pos += 1;
        }
        self.pos += 1;
        t.tok = Tok::Str;
        t.text = out;
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let mut v = 0;
        for i in 0..4 {
            let d = (self.at(at + i) as char).to_digit(16)?;
            v = (v << 4) | d;
        }
        Some(v)
    }

    /// `\uXXXX` (with a surrogate pair) at `pos`, as UTF-8.
    fn unicode_escape(&mut self, out: &mut Vec<u8>) -> bool {
        let Some(mut cp) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return false;
            }
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let mut buf = [0u8; 4];
        let n = match cp {
            0..=0x7F => {
                buf[0] = cp as u8;
                1
            }
            0x80..=0x7FF => {
                buf[0] = (cp >> 6) as u8 | 0xC0;
                buf[1] = (cp & 0x3F) as u8 | 0x80;
                2
            }
            0x800..=0xFFFF => {
                buf[0] = (cp >> 12) as u8 | 0xE0;
                buf[1] = ((cp >> 6) & 0x3F) as u8 | 0x80;
                buf[2] = (cp & 0x3F) as u8 | 0x80;
                3
            }
            _ => {
                buf[0] = (cp >> 18) as u8 | 0xF0;
                buf[1] = ((cp >> 12) & 0x3F) as u8 | 0x80;
                buf[2] = ((cp >> 6) & 0x3F) as u8 | 0x80;
                buf[3] = (cp & 0x3F) as u8 | 0x80;
                4
            }
        };
        out.extend_from_slice(&buf[..n]);
        self.pos += len;
        true
    }
}

/// C's `strtod` on a prefix of `s`: the value and the bytes used, or None
/// when no number starts there. Decimal, hex (`0x1f`), `inf`,
/// `infinity` and `nan`, each with an optional sign.
pub(crate) fn strtod(s: &[u8]) -> Option<(f64, usize)> {
    let mut i = 0;
    let neg = match s.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let rest = &s[i..];
    let lower = |n: usize| -> Vec<u8> {
        rest.iter()
            .take(n)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let sign = |v: f64| if neg { -v } else { v };
    if lower(8) == b"infinity" {
        return Some((sign(f64::INFINITY), i + 8));
    }
    if lower(3) == b"inf" {
        return Some((sign(f64::INFINITY), i + 3));
    }
    if lower(3) == b"nan" {
        let mut used = i + 3;
        if s.get(used) == Some(&b'(') {
            if let Some(close) = s[used..].iter().position(|&c| c == b')') {
                if s[used + 1..used + close]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    used += close + 1;
                }
            }
        }
        return Some((sign(f64::NAN), used));
    }
    if lower(2) == b"0x" {
        if let Some((v, n)) = hex_float(&rest[2..]) {
            return Some((sign(v), i + 2 + n));
        }
        // "0x" alone is the number 0 followed by garbage.
        return Some((sign(0.0), i + 1));
    }
    let mut j = 0;
    let digits = |j: &mut usize| {
        let start = *j;
        while rest.get(*j).is_some_and(u8::is_ascii_digit) {
            *j += 1;
        }
        *j - start
    };
    let int_digits = digits(&mut j);
    let mut frac_digits = 0;
    if rest.get(j) == Some(&b'.') {
        let mut k = j + 1;
        frac_digits = digits(&mut k);
        if int_digits + frac_digits > 0 {
            j = k;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(rest.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(rest.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if digits(&mut k) > 0 {
            j = k;
        }
    }
    let text = std::str::from_utf8(&rest[..j]).ok()?;
    let v: f64 = text.parse().ok()?;
    Some((sign(v), i + j))
}

fn hex_float(s: &[u8]) -> Option<(f64, usize)> {
    let mut v = 0f64;
    let mut j = 0;
    let mut any = false;
    while let Some(d) = s.get(j).and_then(|c| (*c as char).to_digit(16)) {
        v = v * 16.0 + f64::from(d);
        j += 1;
        any = true;
    }
    let mut scale = 0i32;
    if s.get(j) == Some(&b'.') {
        let mut k = j + 1;
        let mut frac = false;
        while let Some(d) = s.get(k).and_then(|c| (*c as char).to_digit(16)) {
            v = v * 16.0 + f64::from(d);
            scale -= 4;
            k += 1;
            frac = true;
        }
        if any || frac {
            j = k;
            any = true;
        }
    }
    if !any {
        return None;
    }
    if matches!(s.get(j), Some(b'p' | b'P')) {
        let mut k = j + 1;
        let neg = match s.get(k) {
            Some(b'-') => {
                k += 1;
                true
            }
            Some(b'+') => {
                k += 1;
                false
            }
            _ => false,
        };
        let start = k;
        let mut e = 0i32;
        while let Some(d) = s.get(k).filter(|c| c.is_ascii_digit()) {
            e = e.saturating_mul(10).saturating_add(i32::from(d - b'0'));
            k += 1;
        }
        if k > start {
            scale = scale.saturating_add(if neg { -e } else { e });
            j = k;
        }
    }
    Some((v * 2f64.powi(scale), j))
}

fn parse_error(expected: &str, t: &Token) -> LuaError {
    LuaError::Where(format!(
        "Expected {expected} but found {} at character {}",
        t.tok.name(),
        t.index + 1
    ))
}

unsafe fn descend(l: State, p: &mut Parser, slots: c_int) -> Result<(), LuaError> {
    p.depth += 1;
    if p.depth <= p.cfg.decode_max_depth && ffi::lua_checkstack(l, slots) != 0 {
        return Ok(());
    }
    Err(LuaError::Where(format!(
        "Found too many nested data structures ({}) at character {}",
        p.depth, p.pos
    )))
}

unsafe fn push_value(l: State, p: &mut Parser, t: Token) -> Result<(), LuaError> {
    match t.tok {
        Tok::Str => lua::push_bytes(l, &t.text),
        Tok::Num => ffi::lua_pushnumber(l, t.num),
        Tok::Bool(b) => ffi::lua_pushboolean(l, b as c_int),
        Tok::Null => ffi::lua_pushlightuserdata(l, std::ptr::null_mut()),
        Tok::ObjBegin => parse_object(l, p)?,
        Tok::ArrBegin => parse_array(l, p)?,
        _ => return Err(parse_error("value", &t)),
    }
    Ok(())
}

unsafe fn parse_object(l: State, p: &mut Parser) -> Result<(), LuaError> {
    descend(l, p, 3)?;
    ffi::lua_createtable(l, 0, 0);
    let t = ffi::lua_gettop(l);
    let mut tok = p.next();
    if tok.tok == Tok::ObjEnd {
        p.depth -= 1;
        return Ok(());
    }
    loop {
        if tok.tok != Tok::Str {
            return Err(parse_error("object key string", &tok));
        }
        lua::push_bytes(l, &tok.text);
        tok = p.next();
        if tok.tok != Tok::Colon {
            return Err(parse_error("colon", &tok));
        }
        let value = p.next();
        push_value(l, p, value)?;
        ffi::lua_rawset(l, t);
        tok = p.next();
        if tok.tok == Tok::ObjEnd {
            p.depth -= 1;
            return Ok(());
        }
        if tok.tok != Tok::Comma {
            return Err(parse_error("comma or object end", &tok));
        }
        tok = p.next();
    }
}

unsafe fn parse_array(l: State, p: &mut Parser) -> Result<(), LuaError> {
    descend(l, p, 2)?;
    ffi::lua_createtable(l, 0, 0);
    let t = ffi::lua_gettop(l);
    let mut tok = p.next();
    if tok.tok == Tok::ArrEnd {
        p.depth -= 1;
        return Ok(());
    }
    let mut i: c_int = 1;
    loop {
        push_value(l, p, tok)?;
        ffi::lua_rawseti_(l, t, i);
        i = i.wrapping_add(1);
        tok = p.next();
        if tok.tok == Tok::ArrEnd {
            p.depth -= 1;
            return Ok(());
        }
        if tok.tok != Tok::Comma {
            return Err(parse_error("comma or array end", &tok));
        }
        tok = p.next();
    }
}

unsafe extern "C-unwind" fn decode(l: State) -> c_int {
    guard(l, || {
        if ffi::lua_gettop(l) != 1 {
            return Err(LuaError::Arg(1, "expected 1 argument".into()));
        }
        let data = lua::check_bytes(l, 1)?;
        if data.len() >= 2 && (data[0] == 0 || data[1] == 0) {
            return Err(LuaError::Where(
                "JSON parser does not support UTF-16 or UTF-32".into(),
            ));
        }
        let mut p = Parser {
            data,
            pos: 0,
            depth: 0,
            cfg: *config(l),
        };
        let first = p.next();
        push_value(l, &mut p, first)?;
        let last = p.next();
        if last.tok != Tok::End {
            return Err(parse_error("the end", &last));
        }
        Ok(1)
    })
}

#[cfg(test)]
mod tests {
    use super::strtod;

    #[test]
    fn strtod_prefixes() {
        assert_eq!(strtod(b"12abc"), Some((12.0, 2)));
        assert_eq!(strtod(b"-1.5e3,"), Some((-1500.0, 6)));
        assert_eq!(strtod(b"1e"), Some((1.0, 1)));
        assert_eq!(strtod(b"0x10"), Some((16.0, 4)));
        assert_eq!(strtod(b"0x"), Some((0.0, 1)));
        assert_eq!(strtod(b"-"), None);
        assert_eq!(strtod(b"Infinity"), Some((f64::INFINITY, 8)));
        assert!(strtod(b"NaN").is_some_and(|(v, n)| v.is_nan() && n == 3));
        assert_eq!(strtod(b".5"), Some((0.5, 2)));
        assert_eq!(strtod(b"5."), Some((5.0, 2)));
    }
}
