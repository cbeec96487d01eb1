//! The PyO3 boundary: the `redcore._redcore` extension module.
//!
//! - [`encode`]: Python arguments -> command bytes (redis-py's rules).
//! - [`reply`]: reply frames -> Python objects in redis-py's shapes.
//! - [`client`]: the `Client` class and its dispatch/pipeline core.
//! - [`callbacks`]: a client's response callbacks and their cache.
//! - [`methods`]: hot methods written in Rust.
//! - [`errors`]: exceptions from `redcore.exceptions`.
//! - [`remote`], [`remote_pubsub`]: the network backend (pool, retries,
//!   GIL-free I/O) and its pub/sub connection.
//! - [`msgpack`]: MessagePack for Python values (`redcore.cache`).

mod callbacks;
mod client;
mod encode;
mod errors;
mod methods;
mod msgpack;
mod remote;
mod remote_pubsub;
mod reply;
mod subscriber;

use pyo3::prelude::*;

/// Python's `repr()` of a float, as redcore encodes float arguments.
#[pyfunction]
fn _float_repr(x: f64) -> String {
    encode::float_repr(x)
}

/// Drops the shared embedded engine `name` from the registry, so a later
/// `Redis(name=...)` starts empty; clients still holding it keep working.
#[pyfunction]
fn forget_engine(name: &str) -> bool {
    crate::engine::forget_named(name)
}

/// The native reply shapes as {name: code} (`redcore._callbacks.Native`).
#[pyfunction]
fn native_shapes() -> Vec<(&'static str, u8)> {
    reply::Native::ALL
        .iter()
        .map(|(n, name)| (*name, *n as u8))
        .collect()
}

#[pymodule]
fn _redcore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::Client>()?;
    m.add_class::<subscriber::Subscriber>()?;
    m.add_class::<callbacks::CallbackWatch>()?;
    m.add_class::<remote::RemotePool>()?;
    m.add_class::<remote_pubsub::RemoteSubscriber>()?;
    m.add_function(wrap_pyfunction!(_float_repr, m)?)?;
    m.add_function(wrap_pyfunction!(forget_engine, m)?)?;
    m.add_function(wrap_pyfunction!(native_shapes, m)?)?;
    m.add_function(wrap_pyfunction!(msgpack::msgpack_dumps, m)?)?;
    m.add_function(wrap_pyfunction!(msgpack::msgpack_loads, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
