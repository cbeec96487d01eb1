//! Reply frames -> Python objects, in redis-py's shapes.
//!
//! Conversion first follows the client's protocol the way redis-py's
//! parsers do ([`to_py`]: RESP2 flattens maps and renders doubles as
//! bytes; RESP3 gives dicts, floats, bools and ints), then a [`Shape`]
//! reshapes the result the way redis-py's response callback for that
//! command would. Shapes used on hot paths are native; the rest are Python
//! callables from `redcore._callbacks`, called with `(response, **options)`.

use std::borrow::Cow;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PySet, PyString, PyTuple};

use super::encode::Encoding;
use super::errors;
use crate::resp::{FlatKind, FlatScan, Frame};

/// Declares [`Native`] and its Python names in one place; Python's
/// `redcore._callbacks.Native` is built from [`Native::ALL`]
/// (`_redcore.native_shapes()`).
macro_rules! natives {
    ($($variant:ident => $py:literal,)*) => {
        /// Native response shapes (a response callback implemented in Rust).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum Native { $($variant,)* }

        impl Native {
            /// Every shape with its Python name, in code order.
            pub const ALL: &'static [(Native, &'static str)] = &[$((Native::$variant, $py),)*];
        }
    };
}

natives! {
    Raw => "RAW",
    Bool => "BOOL",
    Ok => "OK",
    Float => "FLOAT",
    Set => "SET",
    Dict => "DICT",
    ScorePairs => "SCORE_PAIRS",
    ZPopPairs => "ZPOP_PAIRS",
    Scan => "SCAN",
    HScan => "HSCAN",
    ZScan => "ZSCAN",
    Ping => "PING",
    SetResult => "SET_RESULT",
    ZAdd => "ZADD",
    RankScore => "RANK_SCORE",
    FloatList => "FLOAT_LIST",
    BlockPop => "BLOCK_POP",
    BzPop => "BZPOP",
    Time => "TIME",
    Str => "STR",
    StrList => "STR_LIST",
    BoolList => "BOOL_LIST",
    StrDict => "STR_DICT",
    True_ => "TRUE",
}

impl Native {
    pub fn from_code(code: u8) -> Option<Native> {
        Self::ALL.get(code as usize).map(|(n, _)| *n)
    }
}

/// How a reply is reshaped.
#[derive(Debug)]
pub enum Shape {
    Native(Native),
    /// A Python callable `(response, **options)`.
    Callable(Py<PyAny>),
}

/// What the options of a call say about the shape (withscores...). Hot
/// methods set `flags`/`cast` directly; `execute_command(**options)` passes
/// its keyword dict, consulted when a flag is not set.
#[derive(Debug, Default)]
pub struct Opts {
    pub dict: Option<Py<PyDict>>,
    pub flags: u8,
    pub cast: Option<Py<PyAny>>,
}

impl Opts {
    pub const WITHSCORES: u8 = 1;
    pub const WITHSCORE: u8 = 2;
    pub const AS_SCORE: u8 = 4;
    pub const GET: u8 = 8;
    pub const NO_VALUES: u8 = 16;
    /// redis-py's NEVER_DECODE option: bulk replies stay bytes.
    pub const NEVER_DECODE: u8 = 32;

    /// Options given as native flags (and an optional score_cast_func).
    pub fn native(flags: u8, cast: Option<Py<PyAny>>) -> Opts {
        Opts {
            dict: None,
            flags,
            cast,
        }
    }

    /// The options as keyword arguments for a Python callback: the
    /// `execute_command` dict, or the native flags spelled as redis-py's
    /// methods pass them.
    pub fn kwargs<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        if let Some(d) = &self.dict {
            return Ok(Some(d.bind(py).clone()));
        }
        if self.flags & !Self::NEVER_DECODE == 0 && self.cast.is_none() {
            return Ok(None);
        }
        let d = PyDict::new(py);
        for name in ["withscores", "withscore", "as_score", "get", "no_values"] {
            if self.flags & Self::flag_of(name) != 0 {
                d.set_item(name, true)?;
            }
        }
        if let Some(cast) = &self.cast {
            d.set_item("score_cast_func", cast.bind(py))?;
        }
        Ok(Some(d))
    }

    fn flag_of(name: &str) -> u8 {
        match name {
            "withscores" => Self::WITHSCORES,
            "withscore" => Self::WITHSCORE,
            "as_score" => Self::AS_SCORE,
            "get" => Self::GET,
            "no_values" => Self::NO_VALUES,
            _ => 0,
        }
    }
}

/// Response decoding settings (decode_responses, encoding, protocol).
#[derive(Clone, Debug)]
pub struct Decoder {
    pub decode: bool,
    pub enc: Encoding,
    /// Replies are converted as redis-py's RESP3 parser does (maps to
    /// dicts, doubles to floats...); otherwise as its RESP2 parser does.
    pub resp3: bool,
}

impl Decoder {
    /// A bulk string as `bytes`, or `str` with decode_responses.
    #[inline]
    pub fn bulk<'py>(&self, py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        if !self.decode {
            return Ok(PyBytes::new(py, b).into_any());
        }
        self.force_str(py, b)
    }

    /// The bulk as bytes or str when that cannot run Python code (no
    /// allocation of GC-tracked objects, no exception): safe under the
    /// engine lock. Otherwise hands back the bytes to convert later.
    #[inline]
    pub fn bulk_nogc<'py>(
        &self,
        py: Python<'py>,
        b: &[u8],
    ) -> Result<Bound<'py, PyAny>, bytes::Bytes> {
        if !self.decode {
            return Ok(PyBytes::new(py, b).into_any());
        }
        if self.enc.utf8_strict {
            if let Ok(s) = std::str::from_utf8(b) {
                return Ok(PyString::new(py, s).into_any());
            }
        }
        Err(bytes::Bytes::copy_from_slice(b))
    }

    /// Always decodes (str_if_bytes).
    pub fn force_str<'py>(&self, py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        if self.enc.utf8_strict {
            if let Ok(s) = std::str::from_utf8(b) {
                return Ok(PyString::new(py, s).into_any());
            }
        }
        PyBytes::new(py, b).call_method1(
            "decode",
            (self.enc.encoding.as_str(), self.enc.errors.as_str()),
        )
    }
}

/// Converts a frame the way redis-py's parser for the client's protocol
/// would. Nested error replies become exception instances (as in EXEC
/// results); a top-level error is raised by [`convert`] before this is
/// reached.
pub fn to_py<'py>(py: Python<'py>, f: &Frame, dec: &Decoder) -> PyResult<Bound<'py, PyAny>> {
    Ok(match f {
        Frame::Bulk(b) | Frame::Simple(b) => dec.bulk(py, b)?,
        Frame::Encoded(_) => to_py(py, &f.expanded(), dec)?,
        Frame::Integer(n) => n.into_pyobject(py)?.into_any(),
        Frame::Null | Frame::NullArray => py.None().into_bound(py),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            let list = PyList::empty(py);
            for it in items {
                list.append(to_py(py, it, dec)?)?;
            }
            list.into_any()
        }
        Frame::Map(pairs) if dec.resp3 => {
            let d = PyDict::new(py);
            for (k, v) in pairs {
                d.set_item(to_py(py, k, dec)?, to_py(py, v, dec)?)?;
            }
            d.into_any()
        }
        Frame::Map(pairs) => {
            let list = PyList::empty(py);
            for (k, v) in pairs {
                list.append(to_py(py, k, dec)?)?;
                list.append(to_py(py, v, dec)?)?;
            }
            list.into_any()
        }
        Frame::Double(x) if dec.resp3 => x.into_pyobject(py)?.into_any(),
        Frame::Double(x) => dec.bulk(py, &double_bytes(*x))?,
        Frame::Boolean(b) if dec.resp3 => b.into_pyobject(py)?.to_owned().into_any(),
        Frame::Boolean(b) => (*b as i64).into_pyobject(py)?.into_any(),
        Frame::BigNumber(b) if dec.resp3 => py
            .get_type::<pyo3::types::PyInt>()
            .call1((String::from_utf8_lossy(b).as_ref(),))?,
        Frame::BigNumber(b) => dec.bulk(py, b)?,
        Frame::Verbatim(_, text) => dec.bulk(py, text)?,
        Frame::Error(e) => errors::reply_exception(py, e)?,
    })
}

/// A double as Redis writes it in RESP2 (`%.17g`).
fn double_bytes(x: f64) -> Vec<u8> {
    let mut buf = Vec::with_capacity(24);
    crate::resp::writer::format_double(x, &mut buf);
    buf
}

/// The items of an aggregate frame, flattening maps as RESP2 does.
fn flat(f: &Frame) -> Vec<&Frame> {
    match f {
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => items.iter().collect(),
        Frame::Map(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).collect(),
        _ => Vec::new(),
    }
}

/// Like [`flat`], also flattening the `[[member, score], ...]` pairs a
/// RESP3 server sends for WITHSCORES replies into RESP2's flat list.
fn flat_pairs(f: &Frame) -> Vec<&Frame> {
    let items = flat(f);
    let nested = !items.is_empty()
        && items
            .iter()
            .all(|i| matches!(i, Frame::Array(p) if p.len() == 2));
    if !nested {
        return items;
    }
    items.into_iter().flat_map(flat).collect()
}

fn frame_f64(f: &Frame) -> PyResult<f64> {
    match f {
        Frame::Double(x) => Ok(*x),
        Frame::Integer(n) => Ok(*n as f64),
        Frame::Bulk(b) | Frame::Simple(b) => {
            let s = std::str::from_utf8(b).map_err(|_| PyValueError::new_err("bad float reply"))?;
            parse_py_float(s)
        }
        _ => Err(PyValueError::new_err("expected a float reply")),
    }
}

/// Python's float() of a reply string (accepts "inf", "-inf", "nan").
fn parse_py_float(s: &str) -> PyResult<f64> {
    match s {
        "inf" | "+inf" => Ok(f64::INFINITY),
        "-inf" => Ok(f64::NEG_INFINITY),
        _ => s.trim().parse::<f64>().map_err(|_| {
            PyValueError::new_err(format!("could not convert string to float: {s:?}"))
        }),
    }
}

fn opt<'py>(py: Python<'py>, opts: &Opts, name: &str) -> Option<Bound<'py, PyAny>> {
    let d = opts.dict.as_ref()?.bind(py);
    d.get_item(name).ok().flatten()
}

fn opt_true(py: Python<'_>, opts: &Opts, name: &str) -> bool {
    if opts.flags & Opts::flag_of(name) != 0 {
        return true;
    }
    opts.dict.is_some() && opt(py, opts, name).is_some_and(|v| v.is_truthy().unwrap_or(false))
}

/// score_cast_func, applied to a score's RESP2 bytes; None means float.
/// Like redis-py, a cast that rejects the text gets float(text) instead.
fn cast_score<'py>(
    py: Python<'py>,
    cast: &Option<Bound<'py, PyAny>>,
    f: &Frame,
    dec: &Decoder,
) -> PyResult<Bound<'py, PyAny>> {
    let Some(cast) = cast else {
        return Ok(frame_f64(f)?.into_pyobject(py)?.into_any());
    };
    // The legacy shapes hand the cast what a RESP2 connection would: the
    // score's text (as bytes when a RESP3 double is re-encoded).
    let raw = match f {
        Frame::Double(x) if dec.resp3 => PyBytes::new(py, &double_bytes(*x)).into_any(),
        _ => to_py(py, f, dec)?,
    };
    match cast.call1((raw.clone(),)) {
        Ok(v) => Ok(v),
        Err(e)
            if e.is_instance_of::<PyValueError>(py)
                || e.is_instance_of::<pyo3::exceptions::PyTypeError>(py) =>
        {
            cast.call1((frame_f64(f)?,))
        }
        Err(e) => Err(e),
    }
}

fn score_cast<'py>(py: Python<'py>, opts: &Opts) -> Option<Bound<'py, PyAny>> {
    let cast = match &opts.cast {
        Some(c) => c.bind(py).clone(),
        None => opt(py, opts, "score_cast_func")?,
    };
    let float_type = py.get_type::<pyo3::types::PyFloat>();
    if cast.is(&float_type) {
        return None;
    }
    Some(cast)
}

fn pairs<'py>(
    py: Python<'py>,
    items: &[&Frame],
    opts: &Opts,
    dec: &Decoder,
) -> PyResult<Bound<'py, PyAny>> {
    let cast = score_cast(py, opts);
    let list = PyList::empty(py);
    for pair in items.chunks_exact(2) {
        let m = to_py(py, pair[0], dec)?;
        let s = cast_score(py, &cast, pair[1], dec)?;
        list.append(PyTuple::new(py, [m, s])?)?;
    }
    Ok(list.into_any())
}

fn dict_of<'py>(
    py: Python<'py>,
    items: &[&Frame],
    dec: &Decoder,
    force_str: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    for pair in items.chunks_exact(2) {
        let (k, v) = if force_str {
            (
                str_if_bytes(py, pair[0], dec)?,
                str_if_bytes(py, pair[1], dec)?,
            )
        } else {
            (to_py(py, pair[0], dec)?, to_py(py, pair[1], dec)?)
        };
        d.set_item(k, v)?;
    }
    Ok(d.into_any())
}

fn str_if_bytes<'py>(py: Python<'py>, f: &Frame, dec: &Decoder) -> PyResult<Bound<'py, PyAny>> {
    match f {
        Frame::Bulk(b) | Frame::Simple(b) | Frame::Verbatim(_, b) => dec.force_str(py, b),
        other => to_py(py, other, dec),
    }
}

fn is_ok(f: &Frame) -> bool {
    matches!(f, Frame::Simple(s) | Frame::Bulk(s) if s.as_ref() == b"OK")
}

/// Converts a reply for the caller: raises top-level errors, then applies
/// the shape.
pub fn convert<'py>(
    py: Python<'py>,
    f: Frame,
    shape: &Shape,
    opts: &Opts,
    dec: &Decoder,
) -> PyResult<Bound<'py, PyAny>> {
    if let Frame::Error(e) = &f {
        return Err(errors::reply_error(py, e));
    }
    // Only a socket's replies are pre-encoded; shapes read frames.
    let f = match f {
        Frame::Encoded(_) => f.expanded().into_owned(),
        f => f,
    };
    let dec = &*decoder_for(dec, opts);
    let native = match shape {
        Shape::Native(n) => *n,
        Shape::Callable(cb) => {
            let resp = to_py(py, &f, dec)?;
            let kwargs = opts.kwargs(py)?;
            return cb.bind(py).call((resp,), kwargs.as_ref());
        }
    };
    convert_native(py, &f, native, opts, dec)
}

/// The decoder a call's replies take: redis-py's NEVER_DECODE option
/// keeps bulk replies bytes.
pub fn decoder_for<'d>(dec: &'d Decoder, opts: &Opts) -> Cow<'d, Decoder> {
    if dec.decode && opts.flags & Opts::NEVER_DECODE != 0 {
        return Cow::Owned(Decoder {
            decode: false,
            enc: dec.enc.clone(),
            resp3: dec.resp3,
        });
    }
    Cow::Borrowed(dec)
}

/// What [`convert`] makes of a flat reply (an array, set or map of bulk
/// strings and nulls) under a shape, when that can be built without
/// frames ([`flat_shape`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlatShape {
    /// [`to_py`]'s reading: Raw, the argument of a callable, ScorePairs
    /// without scores.
    Plain,
    /// Native StrList: every bulk decoded.
    StrList,
    Set,
    Dict,
    StrDict,
}

/// The [`FlatShape`] of `shape` with `opts`; None when a flat reply must
/// go through frames and [`convert`] to come out the same.
pub fn flat_shape(py: Python<'_>, shape: &Shape, opts: &Opts) -> Option<FlatShape> {
    let Shape::Native(native) = shape else {
        return Some(FlatShape::Plain);
    };
    Some(match native {
        Native::Raw => FlatShape::Plain,
        Native::ScorePairs if !opt_true(py, opts, "withscores") => FlatShape::Plain,
        Native::StrList => FlatShape::StrList,
        Native::Set => FlatShape::Set,
        Native::Dict => FlatShape::Dict,
        Native::StrDict => FlatShape::StrDict,
        _ => return None,
    })
}

/// Builds the object a flat reply's frame would become under `how`,
/// straight from the read buffer `buf` that `scan` describes. `dec` is the
/// call's ([`decoder_for`]).
pub fn build_flat<'py>(
    py: Python<'py>,
    buf: &[u8],
    scan: &FlatScan,
    how: FlatShape,
    dec: &Decoder,
) -> PyResult<Bound<'py, PyAny>> {
    let force_str = matches!(how, FlatShape::StrList | FlatShape::StrDict);
    let flat_item = |span: &Option<std::ops::Range<usize>>| FlatItem {
        bulk: span
            .as_ref()
            .map(|r| buf.get(r.clone()).unwrap_or_default()),
        dec,
        force_str,
    };
    let item = |span: &Option<std::ops::Range<usize>>| flat_item(span).into_pyobject(py);
    let items = scan.items();
    let dict = match how {
        FlatShape::Dict | FlatShape::StrDict => true,
        // RESP3's reading of a map; RESP2's flattens it.
        FlatShape::Plain => scan.kind() == FlatKind::Map && dec.resp3,
        FlatShape::StrList | FlatShape::Set => false,
    };
    if dict {
        let d = PyDict::new(py);
        for pair in items.chunks_exact(2) {
            d.set_item(item(&pair[0])?, item(&pair[1])?)?;
        }
        return Ok(d.into_any());
    }
    if how == FlatShape::Set {
        let set = PySet::empty(py)?;
        for span in items {
            set.add(item(span)?)?;
        }
        return Ok(set.into_any());
    }
    Ok(PyList::new(py, items.iter().map(flat_item))?.into_any())
}

/// One element of a flat reply, converted as the list is filled.
struct FlatItem<'a> {
    /// None for a null.
    bulk: Option<&'a [u8]>,
    dec: &'a Decoder,
    force_str: bool,
}

impl<'py> IntoPyObject<'py> for FlatItem<'_> {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;

    #[inline]
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.bulk {
            None => Ok(py.None().into_bound(py)),
            Some(b) if self.force_str => self.dec.force_str(py, b),
            Some(b) => self.dec.bulk(py, b),
        }
    }
}

/// The result of a call whose flat reply was built as [`flat_shape`]
/// said: a callable shape gets it as its response.
pub fn finish_flat<'py>(
    py: Python<'py>,
    built: Bound<'py, PyAny>,
    shape: &Shape,
    opts: &Opts,
) -> PyResult<Bound<'py, PyAny>> {
    match shape {
        Shape::Callable(cb) => {
            let kwargs = opts.kwargs(py)?;
            cb.bind(py).call((built,), kwargs.as_ref())
        }
        Shape::Native(_) => Ok(built),
    }
}

fn convert_native<'py>(
    py: Python<'py>,
    f: &Frame,
    native: Native,
    opts: &Opts,
    dec: &Decoder,
) -> PyResult<Bound<'py, PyAny>> {
    let none = || py.None().into_bound(py);
    let is_null = matches!(f, Frame::Null | Frame::NullArray);
    Ok(match native {
        Native::Raw => to_py(py, f, dec)?,
        Native::Bool => match f {
            Frame::Integer(n) => (*n != 0).into_pyobject(py)?.to_owned().into_any(),
            Frame::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any(),
            Frame::Null | Frame::NullArray => false.into_pyobject(py)?.to_owned().into_any(),
            other => to_py(py, other, dec)?
                .is_truthy()?
                .into_pyobject(py)?
                .to_owned()
                .into_any(),
        },
        Native::Ok => is_ok(f).into_pyobject(py)?.to_owned().into_any(),
        Native::True_ => true.into_pyobject(py)?.to_owned().into_any(),
        Native::Float => {
            if is_null {
                none()
            } else {
                frame_f64(f)?.into_pyobject(py)?.into_any()
            }
        }
        Native::Set => {
            let set = PySet::empty(py)?;
            for it in flat(f) {
                set.add(to_py(py, it, dec)?)?;
            }
            set.into_any()
        }
        Native::Dict => dict_of(py, &flat(f), dec, false)?,
        Native::StrDict => dict_of(py, &flat(f), dec, true)?,
        Native::ScorePairs => {
            let items = flat_pairs(f);
            if items.is_empty() || !opt_true(py, opts, "withscores") {
                to_py(py, f, dec)?
            } else {
                pairs(py, &items, opts, dec)?
            }
        }
        Native::ZPopPairs => {
            let items = flat_pairs(f);
            if items.is_empty() {
                to_py(py, f, dec)?
            } else {
                pairs(py, &items, opts, dec)?
            }
        }
        Native::Scan | Native::HScan | Native::ZScan => {
            let items = flat(f);
            if items.len() != 2 {
                return Err(PyValueError::new_err("malformed SCAN reply"));
            }
            let cursor: i64 = match items[0] {
                Frame::Bulk(b) => std::str::from_utf8(b)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0),
                Frame::Integer(n) => *n,
                _ => 0,
            };
            let payload = match native {
                Native::Scan => to_py(py, items[1], dec)?,
                Native::HScan if opt_true(py, opts, "no_values") => to_py(py, items[1], dec)?,
                Native::HScan => dict_of(py, &flat(items[1]), dec, false)?,
                _ => pairs(py, &flat(items[1]), opts, dec)?,
            };
            PyTuple::new(py, [cursor.into_pyobject(py)?.into_any(), payload])?.into_any()
        }
        Native::Ping => matches!(f, Frame::Simple(s) | Frame::Bulk(s) if s.as_ref() == b"PONG")
            .into_pyobject(py)?
            .to_owned()
            .into_any(),
        Native::SetResult => {
            if opt_true(py, opts, "get") {
                to_py(py, f, dec)?
            } else if is_null || matches!(f, Frame::Bulk(b) if b.is_empty()) {
                // redis-py's `response and response == "OK"`: a falsy
                // reply (nil, or an empty old value from GET) passes through.
                to_py(py, f, dec)?
            } else {
                is_ok(f).into_pyobject(py)?.to_owned().into_any()
            }
        }
        Native::ZAdd => {
            if is_null {
                none()
            } else if opt_true(py, opts, "as_score") {
                frame_f64(f)?.into_pyobject(py)?.into_any()
            } else {
                // redis-py applies int() to the reply, so a raw ZADD INCR
                // (a score, not a count) raises ValueError there too.
                match f {
                    Frame::Integer(n) => n.into_pyobject(py)?.into_any(),
                    other => py
                        .get_type::<pyo3::types::PyInt>()
                        .call1((to_py(py, other, dec)?,))?,
                }
            }
        }
        Native::RankScore => {
            let items = flat(f);
            if is_null || !opt_true(py, opts, "withscore") || items.len() != 2 {
                to_py(py, f, dec)?
            } else {
                let cast = score_cast(py, opts);
                let list = PyList::empty(py);
                list.append(to_py(py, items[0], dec)?)?;
                list.append(cast_score(py, &cast, items[1], dec)?)?;
                list.into_any()
            }
        }
        Native::FloatList => {
            let list = PyList::empty(py);
            for it in flat(f) {
                if matches!(it, Frame::Null) {
                    list.append(none())?;
                } else {
                    list.append(frame_f64(it)?)?;
                }
            }
            list.into_any()
        }
        Native::BlockPop => {
            if is_null {
                none()
            } else {
                let items: Vec<_> = flat(f)
                    .into_iter()
                    .map(|i| to_py(py, i, dec))
                    .collect::<PyResult<_>>()?;
                PyTuple::new(py, items)?.into_any()
            }
        }
        Native::BzPop => {
            let items = flat(f);
            if is_null || items.len() != 3 {
                none()
            } else {
                PyTuple::new(
                    py,
                    [
                        to_py(py, items[0], dec)?,
                        to_py(py, items[1], dec)?,
                        frame_f64(items[2])?.into_pyobject(py)?.into_any(),
                    ],
                )?
                .into_any()
            }
        }
        Native::Time => {
            let items = flat(f);
            let mut nums = [0i64; 2];
            for (i, it) in items.iter().take(2).enumerate() {
                nums[i] = match it {
                    Frame::Bulk(b) => std::str::from_utf8(b)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0),
                    Frame::Integer(n) => *n,
                    _ => 0,
                };
            }
            PyTuple::new(py, nums)?.into_any()
        }
        Native::Str => {
            if is_null {
                none()
            } else {
                str_if_bytes(py, f, dec)?
            }
        }
        Native::StrList => {
            let list = PyList::empty(py);
            for it in flat(f) {
                list.append(str_if_bytes(py, it, dec)?)?;
            }
            list.into_any()
        }
        Native::BoolList => {
            let list = PyList::empty(py);
            for it in flat(f) {
                list.append(matches!(it, Frame::Integer(n) if *n != 0))?;
            }
            list.into_any()
        }
    })
}
