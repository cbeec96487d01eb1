//! redis-py's argument rules, written once: the Rust fast methods apply
//! them while encoding, and the Python command mixins call the same
//! functions (`_redcore.list_or_args`, `_redcore.expire_flags`), so the
//! two paths cannot drift apart.

use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyFloat, PyInt, PyList, PyMemoryView, PyString};

use super::errors::data_error;

/// redis-py's `list_or_args`: `first` is one key (str, bytes, a number...)
/// or an iterable of keys; `rest` adds more.
pub fn keys_of<'py>(
    first: &Bound<'py, PyAny>,
    rest: Option<&Bound<'py, PyAny>>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let scalar = first.is_instance_of::<PyString>()
        || first.is_instance_of::<PyBytes>()
        || first.is_instance_of::<PyInt>()
        || first.is_instance_of::<PyFloat>()
        || first.is_instance_of::<PyByteArray>()
        || first.is_instance_of::<PyMemoryView>();
    let mut out = Vec::new();
    match first.try_iter() {
        Ok(it) if !scalar => {
            for item in it {
                out.push(item?);
            }
        }
        _ => out.push(first.clone()),
    }
    if let Some(rest) = rest {
        for item in rest.try_iter()? {
            out.push(item?);
        }
    }
    Ok(out)
}

/// A relative expiry (EX or PX): a `timedelta` becomes whole units, an
/// `int` (however big) goes as is for the server to judge, EX also takes
/// a digit string; anything else is a DataError.
fn relative<'py>(v: &Bound<'py, PyAny>, scale: f64, what: &str) -> PyResult<Bound<'py, PyAny>> {
    let py = v.py();
    if v.is_instance_of::<PyInt>() {
        return Ok(v.clone());
    }
    if v.hasattr("total_seconds")? {
        let secs: f64 = v.call_method0("total_seconds")?.extract()?;
        return Ok(((secs * scale) as i64).into_pyobject(py)?.into_any());
    }
    if scale == 1.0 && v.is_instance_of::<PyString>() && v.call_method0("isdigit")?.is_truthy()? {
        return py.get_type::<PyInt>().call1((v,));
    }
    Err(data_error(
        py,
        &format!("{what} must be datetime.timedelta or int"),
    ))
}

/// An absolute expiry (EXAT or PXAT): a `datetime` becomes a Unix time in
/// the unit, anything else goes as is.
fn absolute<'py>(v: &Bound<'py, PyAny>, scale: f64) -> PyResult<Bound<'py, PyAny>> {
    if v.hasattr("timestamp")? {
        let ts: f64 = v.call_method0("timestamp")?.extract()?;
        return Ok(((ts * scale) as i64).into_pyobject(v.py())?.into_any());
    }
    Ok(v.clone())
}

/// The expiry keyword and value redis-py sends for the first of `ex`,
/// `px`, `exat`, `pxat` that is given (callers check they are exclusive).
pub fn expiry<'py>(
    ex: Option<&Bound<'py, PyAny>>,
    px: Option<&Bound<'py, PyAny>>,
    exat: Option<&Bound<'py, PyAny>>,
    pxat: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<(&'static str, Bound<'py, PyAny>)>> {
    Ok(if let Some(v) = ex {
        Some(("EX", relative(v, 1.0, "ex")?))
    } else if let Some(v) = px {
        Some(("PX", relative(v, 1000.0, "px")?))
    } else if let Some(v) = exat {
        Some(("EXAT", absolute(v, 1.0)?))
    } else if let Some(v) = pxat {
        Some(("PXAT", absolute(v, 1000.0)?))
    } else {
        None
    })
}

/// list_or_args(keys, args=None) -> list
///
/// redis-py's rule for "one key or an iterable of keys, plus more".
#[pyfunction]
#[pyo3(signature = (keys, args=None))]
pub fn list_or_args<'py>(
    keys: &Bound<'py, PyAny>,
    args: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    PyList::new(keys.py(), keys_of(keys, args)?)
}

/// expire_flags(ex=None, px=None, exat=None, pxat=None) -> list
///
/// The EX/PX/EXAT/PXAT arguments redis-py builds, with its checks and
/// DataError texts: ``[]`` or ``[keyword, value]``.
#[pyfunction]
#[pyo3(signature = (ex=None, px=None, exat=None, pxat=None))]
pub fn expire_flags<'py>(
    py: Python<'py>,
    ex: Option<&Bound<'py, PyAny>>,
    px: Option<&Bound<'py, PyAny>>,
    exat: Option<&Bound<'py, PyAny>>,
    pxat: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    match expiry(ex, px, exat, pxat)? {
        Some((kw, v)) => PyList::new(py, [kw.into_pyobject(py)?.into_any(), v]),
        None => Ok(PyList::empty(py)),
    }
}

/// xxh3_digest(value) -> str
///
/// The digest Redis 8.4's DIGEST replies for a string value (XXH3-64 as
/// 16 lower-case hex digits): ``bytes`` as they are, ``str`` as UTF-8.
/// redis-py's ``digest_local`` needs the ``xxhash`` package for this.
#[pyfunction]
pub fn xxh3_digest(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(text) = value.cast::<pyo3::types::PyString>() {
        return Ok(crate::commands::string_ex::digest_hex(
            text.to_str()?.as_bytes(),
        ));
    }
    if let Ok(data) = value.cast::<pyo3::types::PyBytes>() {
        return Ok(crate::commands::string_ex::digest_hex(data.as_bytes()));
    }
    let data: Vec<u8> = value.extract()?;
    Ok(crate::commands::string_ex::digest_hex(&data))
}
