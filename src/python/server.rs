//! `redcore._redcore.Server`: a RESP server for an engine of this process
//! (`redcore.Server` wraps it). Its threads run the engine without the
//! GIL; Python waits for them with the GIL released.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use super::errors;
use crate::engine::Engine;
use crate::server::tls::{AuthClients, TlsOptions};
use crate::server::{self, Options};

/// A running server; `stop()` ends it.
#[pyclass(module = "redcore._redcore", name = "Server")]
pub struct PyServer {
    inner: Mutex<Option<server::Server>>,
    engine: Arc<Engine>,
    port: Option<u16>,
    tls_port: Option<u16>,
}

#[pymethods]
impl PyServer {
    #[new]
    #[pyo3(signature = (*, name=None, port=None, bind=None, unixsocket=None, threads=None, config=None, requirepass=None, aclfile=None, tls_port=None, tls_cert_file=None, tls_key_file=None, tls_ca_cert_file=None, tls_auth_clients=None, tls_ca_cert_dir=None, tls_protocols=None, tls_ciphers=None, tls_ciphersuites=None, tls_handshake_timeout=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        name: Option<&str>,
        port: Option<u16>,
        bind: Option<Vec<String>>,
        unixsocket: Option<std::path::PathBuf>,
        threads: Option<usize>,
        config: Option<Vec<(Vec<u8>, Vec<u8>)>>,
        requirepass: Option<Vec<u8>>,
        aclfile: Option<String>,
        tls_port: Option<u16>,
        tls_cert_file: Option<std::path::PathBuf>,
        tls_key_file: Option<std::path::PathBuf>,
        tls_ca_cert_file: Option<std::path::PathBuf>,
        tls_auth_clients: Option<&str>,
        tls_ca_cert_dir: Option<std::path::PathBuf>,
        tls_protocols: Option<String>,
        tls_ciphers: Option<String>,
        tls_ciphersuites: Option<String>,
        tls_handshake_timeout: Option<f64>,
    ) -> PyResult<Self> {
        let tls = TlsOptions {
            cert_file: tls_cert_file,
            key_file: tls_key_file,
            ca_cert_file: tls_ca_cert_file,
            ca_cert_dir: tls_ca_cert_dir,
            protocols: tls_protocols,
            ciphers: tls_ciphers,
            ciphersuites: tls_ciphersuites,
            auth_clients: match tls_auth_clients {
                Some(v) => AuthClients::parse(v).map_err(PyValueError::new_err)?,
                None => AuthClients::default(),
            },
        };
        if tls_port.is_some() {
            // Bad TLS settings are the caller's: checked before the engine
            // opens or anything is bound, as redis-server refuses to start.
            py.detach(|| server::tls::server_config(&tls))
                .map_err(PyValueError::new_err)?;
        }
        let engine = super::client::open_startup(py, name, config)?
            .map_err(|e| errors::named_error(py, "ConnectionError", &e.to_string()))?;
        server::setup_security(&engine, requirepass.as_deref(), aclfile.as_deref())
            .map_err(|e| errors::data_error(py, &e))?;
        let opts = Options {
            bind: bind.unwrap_or_default(),
            port,
            unixsocket,
            tls_port,
            tls,
            threads: threads.unwrap_or_else(crate::server::default_threads),
            tls_handshake_timeout: match tls_handshake_timeout {
                Some(t) if t.is_finite() && t > 0.0 => Some(Duration::from_secs_f64(t)),
                Some(_) => {
                    return Err(PyValueError::new_err(
                        "tls_handshake_timeout must be a positive number of seconds",
                    ))
                }
                None => None,
            },
        };
        let started = py.detach(|| server::Server::start(engine.clone(), &opts));
        let srv = started
            .map_err(|e| PyOSError::new_err((e.raw_os_error().unwrap_or(0), e.to_string())))?;
        Ok(PyServer {
            port: srv.port(),
            tls_port: srv.tls_port(),
            inner: Mutex::new(Some(srv)),
            engine,
        })
    }

    /// The TCP port served (None when only a Unix socket is).
    #[getter]
    fn port(&self) -> Option<u16> {
        self.port
    }

    /// The TLS port served (None without `tls_port`).
    #[getter]
    fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// True until `stop()` or a SHUTDOWN command.
    #[getter]
    fn running(&self) -> bool {
        self.inner.lock().as_ref().is_some_and(|s| s.running())
    }

    /// Waits up to `timeout` seconds (None: forever) for the server to
    /// stop; True if it has.
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let step = Duration::from_millis(100);
        let deadline =
            timeout.map(|t| std::time::Instant::now() + Duration::from_secs_f64(t.max(0.0)));
        loop {
            let left = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
            let slice = left.map_or(step, |l| l.min(step));
            let stopped = py.detach(|| match &*self.inner.lock() {
                Some(s) => s.wait(slice),
                None => true,
            });
            if stopped {
                return Ok(true);
            }
            py.check_signals()?;
            if left.is_some_and(|l| l.is_zero()) {
                return Ok(false);
            }
        }
    }

    /// SHUTDOWN as SIGTERM does it: save if persistence is configured
    /// (`save` True/False forces SAVE/NOSAVE), then stop. A failed save
    /// raises and leaves the server running.
    #[pyo3(signature = (save=None))]
    fn shutdown(&self, py: Python<'_>, save: Option<bool>) -> PyResult<()> {
        let mut argv: Vec<&[u8]> = vec![b"SHUTDOWN"];
        match save {
            Some(true) => argv.push(b"SAVE"),
            Some(false) => argv.push(b"NOSAVE"),
            None => {}
        }
        let engine = self.engine.clone();
        py.detach(|| server::admin_command(&engine, &argv))
            .map_err(PyRuntimeError::new_err)?;
        self.stop(py);
        Ok(())
    }

    /// Stops listening and closes every connection (the engine stays).
    fn stop(&self, py: Python<'_>) {
        let srv = self.inner.lock().take();
        if let Some(mut s) = srv {
            py.detach(move || s.stop());
        }
    }
}
