//! RDB files from Python without an engine (`python -m redcore check |
//! info | load | save`): read a file's summary or its keys as DUMP
//! payloads, and write a file from DUMP payloads.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::persist::rdbload::{self, Loaded, ParseOptions};
use crate::persist::{dump_payload, rdbfile, LoadOptions, SaveOptions};

fn parse(py: Python<'_>, path: &str, progress: Option<Py<PyAny>>) -> PyResult<Loaded> {
    let o = ParseOptions {
        load: LoadOptions::default(),
        databases: 16,
        now_ms: None,
        lfu: None,
    };
    let path = std::path::PathBuf::from(path);
    let result = py.detach(|| {
        let mut report = |done: usize, total: usize| {
            if let Some(cb) = &progress {
                Python::attach(|py| {
                    let _ = cb.call1(py, (done, total));
                });
            }
        };
        rdbload::load_file(&path, &o, &mut report)
    });
    result.map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
}

/// A file's summary: version, aux fields, keys per database, keys with a
/// TTL, types, FUNCTION libraries. Raises ValueError (file and offset) for
/// a bad file. `progress(done_bytes, total_bytes)` is called as it reads.
#[pyfunction]
#[pyo3(signature = (path, progress=None))]
pub fn rdb_scan<'py>(
    py: Python<'py>,
    path: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let loaded = parse(py, path, progress)?;
    let out = PyDict::new(py);
    out.set_item("version", loaded.version)?;
    let aux = PyDict::new(py);
    for (k, v) in &loaded.aux {
        aux.set_item(String::from_utf8_lossy(k), String::from_utf8_lossy(v))?;
    }
    out.set_item("aux", aux)?;
    let dbs = PyDict::new(py);
    let types = PyDict::new(py);
    let mut volatile = 0u64;
    let cell = std::cell::Cell::new(0);
    let now = crate::engine::Now::new(&cell);
    for (i, db) in loaded.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        dbs.set_item(i, db.len())?;
        volatile += db.volatile_len() as u64;
        for (_, e) in db.live_keys(now) {
            let t = e.value.type_name();
            let n: u64 = types.get_item(t)?.map_or(Ok(0), |v| v.extract())?;
            types.set_item(t, n + 1)?;
        }
    }
    out.set_item("dbs", dbs)?;
    out.set_item("keys", loaded.keys_loaded)?;
    out.set_item("volatile", volatile)?;
    out.set_item("types", types)?;
    out.set_item("functions", loaded.functions.len())?;
    Ok(out)
}

/// Every key of a file as `(db, key, unix_ms_deadline_or_-1, dump_payload)`
/// (RESTORE ... ABSTTL takes them), and the FUNCTION libraries as a
/// FUNCTION RESTORE payload (None without libraries).
#[pyfunction]
#[pyo3(signature = (path, progress=None))]
#[allow(clippy::type_complexity)]
pub fn rdb_entries(
    py: Python<'_>,
    path: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<(Vec<(usize, Vec<u8>, i64, Vec<u8>)>, Option<Vec<u8>>)> {
    let loaded = parse(py, path, progress)?;
    let o = SaveOptions::default();
    let cell = std::cell::Cell::new(0);
    let now = crate::engine::Now::new(&cell);
    let mut out = Vec::with_capacity(loaded.keys_loaded as usize);
    for (i, db) in loaded.dbs.iter().enumerate() {
        for (k, e) in db.live_keys(now) {
            out.push((i, k.to_vec(), e.expire_at, dump_payload(&e.value, &o)));
        }
    }
    let functions = (!loaded.functions.is_empty()).then(|| {
        let mut libs = crate::scripting::functions::Functions::default();
        for (_, code) in &loaded.functions {
            let _ = libs.load(code, true);
        }
        libs.dump(true)
    });
    Ok((out, functions))
}

/// Writes an RDB file at `path` (atomically) from
/// `(db, key, unix_ms_deadline_or_-1, dump_payload)` entries and an
/// optional FUNCTION DUMP payload; returns its size in bytes.
#[pyfunction]
#[pyo3(signature = (path, entries, functions=None))]
pub fn rdb_write(
    py: Python<'_>,
    path: &str,
    mut entries: Vec<(usize, Vec<u8>, i64, Vec<u8>)>,
    functions: Option<Vec<u8>>,
) -> PyResult<usize> {
    let path = std::path::PathBuf::from(path);
    py.detach(|| {
        let t = crate::engine::now_ms() / 1000;
        let data = rdbfile::encode_payloads(&mut entries, functions.as_deref(), t)
            .map_err(pyo3::exceptions::PyValueError::new_err)?;
        rdbfile::write_atomic(&path, &data)
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        Ok(data.len())
    })
}
