//! The `struct` library (Roberto Ierusalimschy's struct 0.2): `pack`,
//! `unpack` and `size` over format strings such as `">i4 s c3"`.

use std::ffi::c_int;

use super::lua::{self, ffi, guard, LuaError, State};

const MAXINTSIZE: usize = 32;
/// The largest alignment `!` picks by default (that of a double).
const MAXALIGN: usize = 8;

/// Pushes the `struct` table.
pub(crate) unsafe fn open(l: State) {
    ffi::lua_createtable(l, 0, 3);
    lua::set_funcs(l, &[("pack", pack), ("unpack", unpack), ("size", size)]);
}

struct Format<'a> {
    fmt: &'a [u8],
    pos: usize,
    little: bool,
    align: usize,
}

impl<'a> Format<'a> {
    fn new(fmt: &'a [u8]) -> Self {
        // The C library stops at the first NUL.
        let end = fmt.iter().position(|&b| b == 0).unwrap_or(fmt.len());
        Format {
            fmt: &fmt[..end],
            pos: 0,
            little: cfg!(target_endian = "little"),
            align: 1,
        }
    }

    fn next_opt(&mut self) -> Option<u8> {
        let c = *self.fmt.get(self.pos)?;
        self.pos += 1;
        Some(c)
    }

    fn number(&mut self, default: usize) -> Result<usize, LuaError> {
        if !self.fmt.get(self.pos).is_some_and(u8::is_ascii_digit) {
            return Ok(default);
        }
        let mut a: usize = 0;
        while let Some(d) = self.fmt.get(self.pos).filter(|c| c.is_ascii_digit()) {
            a = a
                .checked_mul(10)
                .and_then(|a| a.checked_add(usize::from(d - b'0')))
                .filter(|&a| a <= i32::MAX as usize)
                .ok_or_else(|| LuaError::Where("integral size overflow".into()))?;
            self.pos += 1;
        }
        Ok(a)
    }

    /// The size of option `opt` (reading its count).
    fn size(&mut self, opt: u8) -> Result<usize, LuaError> {
        Ok(match opt {
            b'B' | b'b' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' => 8,
            b'f' => 4,
            b'd' => 8,
            b'x' => 1,
            b'c' => self.number(1)?,
            b'i' | b'I' => {
                let n = self.number(4)?;
                if n > MAXINTSIZE {
                    return Err(LuaError::Where(format!(
                        "integral size {n} is larger than limit of {MAXINTSIZE}"
                    )));
                }
                n
            }
            b's' | b' ' | b'<' | b'>' | b'!' | b'=' => 0,
            _ => {
                return Err(LuaError::Arg(
                    1,
                    format!("invalid format option '{}'", opt as char),
                ))
            }
        })
    }

    fn to_align(&self, len: usize, opt: u8, size: usize) -> usize {
        if size == 0 || opt == b'c' {
            return 0;
        }
        let size = size.min(self.align);
        (size - (len & (size - 1))) & (size - 1)
    }

    /// Endianness and alignment options.
    fn common(&mut self, opt: u8) -> Result<(), LuaError> {
        match opt {
            b'>' => self.little = false,
            b'<' => self.little = true,
            b'=' => self.little = cfg!(target_endian = "little"),
            b'!' => {
                let a = self.number(MAXALIGN)?;
                if !a.is_power_of_two() {
                    return Err(LuaError::Where(format!(
                        "alignment {a} is not a power of 2"
                    )));
                }
                self.align = a;
            }
            _ => {}
        }
        Ok(())
    }
}

fn put_int(out: &mut Vec<u8>, n: f64, little: bool, size: usize) {
    let mut value: u64 = if n < 0.0 {
        lua::c_cast_i64(n) as u64
    } else if n >= 18_446_744_073_709_551_616.0 || n.is_nan() {
        0
    } else {
        n as u64
    };
    let mut buf = vec![0u8; size];
    for i in 0..size {
        let b = (value & 0xff) as u8;
        value = value.checked_shr(8).unwrap_or(0);
        if little {
            buf[i] = b;
        } else {
            buf[size - 1 - i] = b;
        }
    }
    out.extend_from_slice(&buf);
}

unsafe extern "C-unwind" fn pack(l: State) -> c_int {
    guard(l, || {
        let fmt = lua::check_bytes(l, 1)?;
        // Like the C library, mark the end of the arguments with a nil
        // (a missing argument is then reported as "got nil").
        ffi::lua_pushnil(l);
        let mut f = Format::new(fmt);
        let mut out = Vec::new();
        let mut arg: c_int = 2;
        while let Some(opt) = f.next_opt() {
            let mut size = f.size(opt)?;
            let pad = f.to_align(out.len(), opt, size);
            out.resize(out.len() + pad, 0);
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let n = lua::check_number(l, arg)?;
                    arg += 1;
                    put_int(&mut out, n, f.little, size);
                }
                b'x' => out.push(0),
                b'f' => {
                    let v = lua::check_number(l, arg)? as f32;
                    arg += 1;
                    let b = if f.little {
                        v.to_le_bytes()
                    } else {
                        v.to_be_bytes()
                    };
                    out.extend_from_slice(&b);
                }
                b'd' => {
                    let v = lua::check_number(l, arg)?;
                    arg += 1;
                    let b = if f.little {
                        v.to_le_bytes()
                    } else {
                        v.to_be_bytes()
                    };
                    out.extend_from_slice(&b);
                }
                b'c' | b's' => {
                    let s = lua::check_bytes(l, arg)?;
                    if size == 0 {
                        size = s.len();
                    }
                    if s.len() < size {
                        return Err(LuaError::Arg(arg + 1, "string too short".into()));
                    }
                    out.extend_from_slice(&s[..size]);
                    if opt == b's' {
                        out.push(0);
                    }
                    arg += 1;
                }
                _ => f.common(opt)?,
            }
        }
        lua::push_bytes(l, &out);
        Ok(1)
    })
}

fn get_int(b: &[u8], little: bool, signed: bool) -> f64 {
    let mut v: u64 = 0;
    let size = b.len();
    for i in 0..size {
        let byte = if little { b[size - 1 - i] } else { b[i] };
        v = (v << 8) | u64::from(byte);
    }
    if !signed {
        return v as f64;
    }
    let bits = (size * 8).saturating_sub(1) as u32;
    let mask = u64::MAX.wrapping_shl(bits % 64);
    if v & mask != 0 {
        v |= mask;
    }
    v as i64 as f64
}

unsafe extern "C-unwind" fn unpack(l: State) -> c_int {
    guard(l, || {
        let fmt = lua::check_bytes(l, 1)?;
        let data = lua::check_bytes(l, 2)?;
        let start = if ffi::lua_isnoneornil(l, 3) != 0 {
            1
        } else {
            lua::c_cast_i64(lua::check_number(l, 3)?)
        };
        let mut pos = start.wrapping_sub(1) as usize;
        let ld = data.len();
        ffi::lua_settop(l, 2);
        let mut f = Format::new(fmt);
        let mut n: c_int = 0;
        let too_short = || LuaError::Arg(2, "data string too short".into());
        while let Some(opt) = f.next_opt() {
            let mut size = f.size(opt)?;
            pos = pos.saturating_add(f.to_align(pos, opt, size));
            if size > ld || pos > ld - size {
                return Err(too_short());
            }
            if ffi::lua_checkstack(l, 2) == 0 {
                return Err(LuaError::Where("stack overflow (too many results)".into()));
            }
            match opt {
                b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                    let v = get_int(&data[pos..pos + size], f.little, opt.is_ascii_lowercase());
                    ffi::lua_pushnumber(l, v);
                    n += 1;
                }
                b'x' => {}
                b'f' => {
                    let b: [u8; 4] = data[pos..pos + 4].try_into().unwrap_or_default();
                    let v = if f.little {
                        f32::from_le_bytes(b)
                    } else {
                        f32::from_be_bytes(b)
                    };
                    ffi::lua_pushnumber(l, f64::from(v));
                    n += 1;
                }
                b'd' => {
                    let b: [u8; 8] = data[pos..pos + 8].try_into().unwrap_or_default();
                    let v = if f.little {
                        f64::from_le_bytes(b)
                    } else {
                        f64::from_be_bytes(b)
                    };
                    ffi::lua_pushnumber(l, v);
                    n += 1;
                }
                b'c' => {
                    if size == 0 {
                        if n == 0 || ffi::lua_isnumber(l, -1) == 0 {
                            return Err(LuaError::Where(
                                "format 'c0' needs a previous size".into(),
                            ));
                        }
                        let want = ffi::lua_tonumber(l, -1);
                        ffi::lua_pop(l, 1);
                        n -= 1;
                        size = if want > 0.0 { want as usize } else { 0 };
                        if size > ld || pos > ld - size {
                            return Err(too_short());
                        }
                    }
                    lua::push_bytes(l, &data[pos..pos + size]);
                    n += 1;
                }
                b's' => {
                    let Some(e) = data[pos..].iter().position(|&b| b == 0) else {
                        return Err(LuaError::Where("unfinished string in data".into()));
                    };
                    lua::push_bytes(l, &data[pos..pos + e]);
                    size = e + 1;
                    n += 1;
                }
                _ => f.common(opt)?,
            }
            pos += size;
        }
        ffi::lua_pushnumber(l, (pos + 1) as f64);
        Ok(n + 1)
    })
}

unsafe extern "C-unwind" fn size(l: State) -> c_int {
    guard(l, || {
        let fmt = lua::check_bytes(l, 1)?;
        let mut f = Format::new(fmt);
        let mut pos = 0usize;
        while let Some(opt) = f.next_opt() {
            let size = f.size(opt)?;
            pos += f.to_align(pos, opt, size);
            if opt == b's' {
                return Err(LuaError::Arg(1, "option 's' has no fixed size".into()));
            }
            if opt == b'c' && size == 0 {
                return Err(LuaError::Arg(1, "option 'c0' has no fixed size".into()));
            }
            if !matches!(
                opt,
                b'b' | b'B'
                    | b'h'
                    | b'H'
                    | b'l'
                    | b'L'
                    | b'T'
                    | b'i'
                    | b'I'
                    | b'x'
                    | b'f'
                    | b'd'
                    | b'c'
            ) {
                f.common(opt)?;
            }
            pos += size;
        }
        ffi::lua_pushnumber(l, pos as f64);
        Ok(1)
    })
}
