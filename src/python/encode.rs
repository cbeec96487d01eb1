//! Python argument -> command bytes, with redis-py's `Encoder.encode` rules:
//! bytes-likes pass through, `str` is encoded, `int`/`float` become their
//! `repr`, `bool` and anything else raise `DataError`.

use std::os::raw::c_char;

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyFloat, PyInt, PyMemoryView, PyString};
use smallvec::SmallVec;

use super::errors;

// PyUnicode_AsUTF8AndSize is in the limited API only from 3.10, but CPython
// has exported it since 3.3 with the same contract; abi3-py39 wheels can
// call it. It returns the UTF-8 cached inside the str: no copy, no
// allocation after the first call on a given string.
extern "C" {
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut ffi::PyObject,
        size: *mut ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// How `str` arguments are encoded.
#[derive(Clone, Debug)]
pub struct Encoding {
    /// True for the default utf-8 / strict, which takes the zero-copy path.
    pub utf8_strict: bool,
    pub encoding: String,
    pub errors: String,
}

impl Encoding {
    pub fn new(encoding: &str, errors: &str) -> Encoding {
        let norm = encoding.to_ascii_lowercase().replace('_', "-");
        Encoding {
            utf8_strict: (norm == "utf-8" || norm == "utf8") && errors == "strict",
            encoding: encoding.to_string(),
            errors: errors.to_string(),
        }
    }
}

/// One encoded argument.
enum Piece<'py> {
    /// A `bytes` or `str` and a view of its buffer; holding the object
    /// keeps the buffer alive and unchanged.
    Obj {
        _owner: Bound<'py, PyAny>,
        ptr: *const u8,
        len: usize,
    },
    /// Bytes we produced (numbers, copies of mutable buffers).
    Buf(SmallVec<[u8; 24]>),
    Static(&'static [u8]),
}

/// Encoded arguments of one command, borrowing Python buffers where it can.
pub struct Args<'py> {
    pieces: SmallVec<[Piece<'py>; 8]>,
}

impl<'py> Default for Args<'py> {
    fn default() -> Self {
        Args {
            pieces: SmallVec::new(),
        }
    }
}

impl<'py> Args<'py> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts with a command name.
    pub fn cmd(name: &'static str) -> Self {
        let mut a = Self::default();
        a.push_static(name.as_bytes());
        a
    }

    /// [`Args::cmd`] with room for `n` more arguments.
    pub fn cmd_with_capacity(name: &'static str, n: usize) -> Self {
        let mut a = Args {
            pieces: SmallVec::with_capacity(n + 1),
        };
        a.push_static(name.as_bytes());
        a
    }

    pub fn push_static(&mut self, s: &'static [u8]) {
        self.pieces.push(Piece::Static(s));
    }

    pub fn push_bytes(&mut self, b: &[u8]) {
        self.pieces.push(Piece::Buf(SmallVec::from_slice(b)));
    }

    pub fn push_i64(&mut self, n: i64) {
        let mut buf = itoa_buf(n);
        self.pieces.push(Piece::Buf(std::mem::take(&mut buf)));
    }

    /// Encodes one Python value as redis-py would.
    pub fn push(&mut self, v: &Bound<'py, PyAny>, enc: &Encoding) -> PyResult<()> {
        let piece = encode(v, enc)?;
        self.pieces.push(piece);
        Ok(())
    }

    /// Borrowed views of every argument, for the engine or the wire.
    pub fn slices(&self) -> SmallVec<[&[u8]; 8]> {
        self.pieces
            .iter()
            .map(|p| match p {
                // SAFETY: the pointer/len pair was obtained from this very
                // object (PyBytes data or the str's cached UTF-8), which
                // `Piece::Obj` keeps alive and which is immutable.
                Piece::Obj { ptr, len, .. } => unsafe { std::slice::from_raw_parts(*ptr, *len) },
                Piece::Buf(b) => b.as_slice(),
                Piece::Static(s) => s,
            })
            .collect()
    }
}

/// One encoded argument borrowed from (or built for) a Python value.
pub enum ArgRef<'a> {
    Slice(&'a [u8]),
    Owned(SmallVec<[u8; 24]>),
}

impl ArgRef<'_> {
    /// The argument's bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match self {
            ArgRef::Slice(s) => s,
            ArgRef::Owned(b) => b.as_slice(),
        }
    }
}

/// Encodes one Python value as redis-py would, borrowing its buffer when
/// it is `bytes` or a `str` under the default utf-8/strict encoding.
#[inline]
pub fn arg<'a>(v: &'a Bound<'_, PyAny>, enc: &Encoding) -> PyResult<ArgRef<'a>> {
    // Exact-type pointer checks first: under the stable ABI the subclass
    // checks below each cost a call into CPython.
    if enc.utf8_strict && v.is_exact_instance_of::<PyString>() {
        return utf8_of(v);
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(ArgRef::Slice(b.as_bytes()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        if enc.utf8_strict {
            return utf8_of(v);
        }
        let encoded = s.call_method1("encode", (enc.encoding.as_str(), enc.errors.as_str()))?;
        let b = encoded
            .cast::<PyBytes>()
            .map_err(|_| PyTypeError::new_err("encode() did not return bytes"))?;
        return Ok(ArgRef::Owned(SmallVec::from_slice(b.as_bytes())));
    }
    encode_other(v).map(ArgRef::Owned)
}

/// The UTF-8 of a `str` (or subclass), borrowed from the string's cache.
#[inline]
fn utf8_of<'a>(v: &'a Bound<'_, PyAny>) -> PyResult<ArgRef<'a>> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: `v` is a live str; on failure the function returns NULL
    // with a Python exception set, which we fetch.
    let ptr = unsafe { PyUnicode_AsUTF8AndSize(v.as_ptr(), &mut size) };
    if ptr.is_null() {
        return Err(PyErr::fetch(v.py()));
    }
    // SAFETY: the UTF-8 buffer is cached inside the immutable str, which
    // outlives `'a` because we borrow it for `'a`.
    Ok(ArgRef::Slice(unsafe {
        std::slice::from_raw_parts(ptr as *const u8, size as usize)
    }))
}

/// Numbers, bytearray, memoryview; DataError for anything else.
fn encode_other(v: &Bound<'_, PyAny>) -> PyResult<SmallVec<[u8; 24]>> {
    if v.is_exact_instance_of::<PyInt>() {
        if let Ok(n) = v.extract::<i64>() {
            return Ok(itoa_buf(n));
        }
        return Ok(SmallVec::from_slice(v.repr()?.to_cow()?.as_bytes()));
    }
    if v.is_exact_instance_of::<PyFloat>() {
        let x: f64 = v.extract()?;
        return Ok(SmallVec::from_slice(float_repr(x).as_bytes()));
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(SmallVec::from_vec(b.to_vec()));
    }
    if v.is_instance_of::<PyMemoryView>() {
        let b = v.call_method0("tobytes")?;
        let b = b
            .cast::<PyBytes>()
            .map_err(|_| PyTypeError::new_err("tobytes() did not return bytes"))?;
        return Ok(SmallVec::from_slice(b.as_bytes()));
    }
    if v.is_instance_of::<pyo3::types::PyBool>() {
        return Err(errors::data_error(
            v.py(),
            "Invalid input of type: 'bool'. Convert to a bytes, string, int or float first.",
        ));
    }
    if v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() {
        // Subclasses (IntEnum...) go through their own repr, as in redis-py.
        return Ok(SmallVec::from_slice(v.repr()?.to_cow()?.as_bytes()));
    }
    let tname = v.get_type().name()?.to_string();
    Err(errors::data_error(
        v.py(),
        &format!(
            "Invalid input of type: '{tname}'. Convert to a bytes, string, int or float first."
        ),
    ))
}

fn encode<'py>(v: &Bound<'py, PyAny>, enc: &Encoding) -> PyResult<Piece<'py>> {
    Ok(match arg(v, enc)? {
        ArgRef::Slice(s) => Piece::Obj {
            _owner: v.clone(),
            ptr: s.as_ptr(),
            len: s.len(),
        },
        ArgRef::Owned(b) => Piece::Buf(b),
    })
}

/// Decimal digits of an i64 without going through `format!`.
pub fn itoa_buf(n: i64) -> SmallVec<[u8; 24]> {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let neg = n < 0;
    let mut u = n.unsigned_abs();
    loop {
        i -= 1;
        tmp[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    let mut out = SmallVec::new();
    if neg {
        out.push(b'-');
    }
    out.extend_from_slice(&tmp[i..]);
    out
}

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed
/// notation when the decimal exponent is in [-4, 16), else scientific with
/// at least two exponent digits; integral values keep a `.0`.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let mut buf = ryu::Buffer::new();
    if (1e-4..1e16).contains(&x.abs()) {
        // Where Python writes fixed notation, ryu's own fixed layout
        // ("0.001", "123.0", "-2.5") is already the same text.
        let text = buf.format_finite(x);
        if !text.as_bytes().contains(&b'e') {
            return text.to_owned();
        }
    }
    // ryu gives the shortest round-trip digits (what Python's repr uses),
    // in its own layout ("1.5e-7", "0.001", "123.0"): read the digits and
    // the decimal point position out of it, then lay them out Python's way.
    let text = buf.format_finite(x.abs());
    let (mantissa, exp) = match text.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits: String = String::with_capacity(20);
    digits.push_str(int_part);
    digits.push_str(frac_part);
    let mut point = int_part.len() as i32 + exp;
    let lead = digits.len() - digits.trim_start_matches('0').len();
    point -= lead as i32;
    let digits = digits[lead..].trim_end_matches('0');
    let neg = x < 0.0;
    let exp = point - 1;
    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    let decpt = point; // position of the decimal point relative to digits
    if (-4 < decpt) && (decpt <= 16) {
        if decpt <= 0 {
            out.push_str("0.");
            for _ in 0..(-decpt) {
                out.push('0');
            }
            out.push_str(digits);
        } else if decpt as usize >= digits.len() {
            out.push_str(digits);
            for _ in 0..(decpt as usize - digits.len()) {
                out.push('0');
            }
            out.push_str(".0");
        } else {
            out.push_str(&digits[..decpt as usize]);
            out.push('.');
            out.push_str(&digits[decpt as usize..]);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e < 10 {
            out.push('0');
        }
        out.push_str(&e.to_string());
    }
    out
}
