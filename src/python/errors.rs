//! Rust -> Python exceptions. The classes live in `redcore.exceptions`
//! (Python), named as in redis-py; this file only looks them up.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyAny;

static PARSE_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static DATA_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static WATCH_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static RESPONSE_ERROR: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The `ResponseError` class.
pub fn response_error_type(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    exceptions_attr(py, &RESPONSE_ERROR, "ResponseError")
}

fn exceptions_attr<'py>(
    py: Python<'py>,
    cell: &'static PyOnceLock<Py<PyAny>>,
    name: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let obj = cell.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("redcore.exceptions")?.getattr(name)?.unbind())
    })?;
    Ok(obj.bind(py).clone())
}

/// The exception instance redis-py would build for an error reply
/// (`ResponseError`, `ExecAbortError`, `NoScriptError`...).
pub fn reply_exception<'py>(py: Python<'py>, text: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let f = exceptions_attr(py, &PARSE_ERROR, "_parse_error")?;
    f.call1((String::from_utf8_lossy(text),))
}

/// The error to raise for an error reply.
pub fn reply_error(py: Python<'_>, text: &[u8]) -> PyErr {
    match reply_exception(py, text) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// A `redcore.exceptions.DataError`.
pub fn data_error(py: Python<'_>, msg: &str) -> PyErr {
    match exceptions_attr(py, &DATA_ERROR, "DataError").and_then(|c| c.call1((msg,))) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// A `redcore.exceptions.WatchError`.
pub fn watch_error(py: Python<'_>, msg: &str) -> PyErr {
    match exceptions_attr(py, &WATCH_ERROR, "WatchError").and_then(|c| c.call1((msg,))) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

/// An instance of the `redcore.exceptions` class `name` with `msg`.
pub fn named_error(py: Python<'_>, name: &str, msg: &str) -> PyErr {
    let made = py
        .import("redcore.exceptions")
        .and_then(|m| m.getattr(name))
        .and_then(|c| c.call1((msg,)));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}
