//! `_reshape`: a native reply shape applied to a reply that was already
//! converted to Python: the raw replies a pool connection hands back
//! (`read_response`), shaped afterwards by `Redis.parse_response` with the
//! client's response callbacks, as redis-py does.

use bytes::Bytes;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyFrozenSet, PyInt, PyList, PySet, PyString,
    PyTuple,
};

use super::encode::Encoding;
use super::reply::{convert, Decoder, Native, Opts, Shape};
use crate::resp::Frame;

/// A converted reply as the frame it was converted from (`str` values,
/// from a decoding client, are encoded again).
fn to_frame(obj: &Bound<'_, PyAny>, enc: &Encoding) -> PyResult<Frame> {
    let items = |it: Bound<'_, pyo3::types::PyIterator>| -> PyResult<Vec<Frame>> {
        it.map(|v| to_frame(&v?, enc)).collect()
    };
    Ok(if obj.is_none() {
        Frame::Null
    } else if let Ok(b) = obj.cast::<PyBool>() {
        Frame::Boolean(b.is_true())
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Frame::Bulk(Bytes::copy_from_slice(b.as_bytes()))
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Frame::Bulk(Bytes::from(b.to_vec()))
    } else if obj.is_instance_of::<PyString>() {
        let raw = obj.call_method1("encode", (&enc.encoding, &enc.errors))?;
        Frame::Bulk(Bytes::copy_from_slice(raw.cast::<PyBytes>()?.as_bytes()))
    } else if obj.is_instance_of::<PyInt>() {
        match obj.extract::<i64>() {
            Ok(n) => Frame::Integer(n),
            Err(_) => Frame::BigNumber(Bytes::from(obj.str()?.to_cow()?.into_owned())),
        }
    } else if let Ok(f) = obj.cast::<PyFloat>() {
        Frame::Double(f.value())
    } else if let Ok(d) = obj.cast::<PyDict>() {
        let mut pairs = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            pairs.push((to_frame(&k, enc)?, to_frame(&v, enc)?));
        }
        Frame::Map(pairs)
    } else if obj.is_instance_of::<PySet>() || obj.is_instance_of::<PyFrozenSet>() {
        Frame::Set(items(obj.try_iter()?)?)
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        Frame::Array(items(obj.try_iter()?)?)
    } else {
        return Err(PyTypeError::new_err(format!(
            "cannot reshape a reply of type {}",
            obj.get_type().name()?
        )));
    })
}

/// `_reshape(reply, code, options, decode_responses, encoding,
/// encoding_errors, resp3)`: ``reply`` shaped by the native callback
/// ``code`` (`redcore._callbacks.Native`) with the call's ``options``, as
/// for a connection speaking RESP3 (``resp3``) or RESP2.
#[pyfunction]
#[pyo3(signature = (reply, code, options=None, decode_responses=false, encoding="utf-8", encoding_errors="strict", resp3=true))]
#[allow(clippy::too_many_arguments)]
pub fn _reshape<'py>(
    py: Python<'py>,
    reply: &Bound<'py, PyAny>,
    code: u8,
    options: Option<Bound<'py, PyDict>>,
    decode_responses: bool,
    encoding: &str,
    encoding_errors: &str,
    resp3: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let native = Native::from_code(code)
        .ok_or_else(|| PyTypeError::new_err(format!("unknown native reply shape {code}")))?;
    let enc = Encoding::new(encoding, encoding_errors);
    let frame = to_frame(reply, &enc)?;
    let dec = Decoder {
        decode: decode_responses,
        enc,
        resp3,
    };
    let opts = Opts {
        dict: options.map(|d| d.unbind()),
        flags: 0,
        cast: None,
    };
    convert(py, frame, &Shape::Native(native), &opts, &dec)
}
