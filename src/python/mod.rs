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
//! - [`server`]: the `Server` class over [`crate::server`].
//! - [`msgpack`]: MessagePack for Python values (`redcore.cache`).
//! - [`reshape`]: native reply shapes for replies already in Python.
//! - [`rdbtools`]: RDB files without an engine (`python -m redcore check`).
//! - [`logbridge`]: engine events into Python's `logging`.

mod aio;
mod argrules;
mod callbacks;
mod client;
mod cluster;
mod encode;
mod errors;
mod logbridge;
mod methods;
mod msgpack;
mod rdbtools;
mod remote;
mod remote_pubsub;
mod reply;
mod reshape;
mod server;
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

/// The command table, one dict per command and subcommand: `name`
/// (`container|sub` for subcommands), `arity`, `flags`, `first_key`,
/// `last_key`, `step`, `group`, `timeout` (where a blocking command's
/// timeout is: None, `"last"`, `"arg:N"`, `"arg_ms:N"` or
/// `"keyword_ms:KW"`), `traits` (`subscribed_ok`, `runs_script`, `alone`,
/// `subscribes`, `cacheable`) and
/// `reply`: the reply shape per client profile (`resp2`, `default`,
/// `resp3`, `resp2_unified`, `resp3_unified`), a native shape's name, the
/// name of a function in `redcore._callbacks`, or None; `cluster_nodes`
/// and `cluster_combine`: where redis-py's cluster client sends it when
/// its keys do not say (None, `"primaries"`, `"all_nodes"`, `"random"`,
/// `"slot_id"`) and how it combines several nodes' replies (None,
/// `"all_true"`, `"sum"`, `"concat"`, `"last"`, `"all_true_per_index"`).
#[pyfunction]
fn command_table(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyList>> {
    use crate::commands::{self, Command, Timeout};
    fn row<'py>(py: Python<'py>, c: &Command) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let d = pyo3::types::PyDict::new(py);
        d.set_item("name", c.name)?;
        d.set_item("arity", c.arity)?;
        let flags: Vec<&str> = commands::flags::NAMES
            .iter()
            .filter(|(bit, _)| c.has(*bit))
            .map(|(_, n)| *n)
            .collect();
        d.set_item("flags", flags)?;
        d.set_item("first_key", c.keys.first)?;
        d.set_item("last_key", c.keys.last)?;
        d.set_item("step", c.keys.step)?;
        d.set_item("group", format!("{:?}", c.group).to_ascii_lowercase())?;
        let timeout = match c.timeout {
            Timeout::None => None,
            Timeout::Last => Some("last".to_string()),
            Timeout::Arg(n) => Some(format!("arg:{n}")),
            Timeout::ArgMs(n) => Some(format!("arg_ms:{n}")),
            Timeout::KeywordMs(kw) => Some(format!("keyword_ms:{kw}")),
        };
        d.set_item("timeout", timeout)?;
        let traits: Vec<&str> = commands::traits::NAMES
            .iter()
            .filter(|(bit, _)| c.has_trait(*bit))
            .map(|(_, n)| *n)
            .collect();
        d.set_item("traits", traits)?;
        d.set_item("reply", reply_dict(py, &c.reply)?)?;
        d.set_item("status_reply", c.reply.is_status())?;
        let (nodes, combine) = c.route.names();
        d.set_item("cluster_nodes", nodes)?;
        d.set_item("cluster_combine", combine)?;
        Ok(d)
    }
    let out = pyo3::types::PyList::empty(py);
    let mut all: Vec<&Command> = commands::all().collect();
    all.sort_by_key(|c| c.name);
    for c in all {
        out.append(row(py, c)?)?;
        for sub in c.subcommands {
            out.append(row(py, sub)?)?;
        }
    }
    Ok(out)
}

/// A [`crate::commands::Reply`] as {profile: shape name or None}.
fn reply_dict<'py>(
    py: Python<'py>,
    reply: &crate::commands::Reply,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let d = pyo3::types::PyDict::new(py);
    for (profile, shape) in crate::commands::Reply::PROFILES.iter().zip(reply.shapes()) {
        d.set_item(*profile, shape)?;
    }
    Ok(d)
}

/// The reply shapes of commands a client sends that are not rows of the
/// command table (SENTINEL's, DEBUG OBJECT), as `command_table()` rows
/// with only `name` and `reply`.
#[pyfunction]
fn client_only_replies(py: Python<'_>) -> PyResult<Bound<'_, pyo3::types::PyList>> {
    let out = pyo3::types::PyList::empty(py);
    for (name, reply) in crate::commands::replies::CLIENT_ONLY {
        let d = pyo3::types::PyDict::new(py);
        d.set_item("name", *name)?;
        d.set_item("reply", reply_dict(py, reply)?)?;
        out.append(d)?;
    }
    Ok(out)
}

#[pymodule]
fn _redcore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    logbridge::install(m.py())?;
    m.add_class::<client::Client>()?;
    m.add_class::<aio::Batch>()?;
    m.add_class::<aio::AioConn>()?;
    m.add_class::<aio::Pending>()?;
    m.add_class::<subscriber::Subscriber>()?;
    m.add_class::<callbacks::CallbackWatch>()?;
    m.add_class::<remote::RemotePool>()?;
    m.add_class::<remote_pubsub::RemoteSubscriber>()?;
    m.add_class::<cluster::ClusterRouter>()?;
    m.add_function(wrap_pyfunction!(cluster::key_slot, m)?)?;
    m.add_function(wrap_pyfunction!(cluster::command_keys, m)?)?;
    m.add_class::<server::PyServer>()?;
    m.add_function(wrap_pyfunction!(_float_repr, m)?)?;
    m.add_function(wrap_pyfunction!(forget_engine, m)?)?;
    m.add_function(wrap_pyfunction!(native_shapes, m)?)?;
    m.add_function(wrap_pyfunction!(command_table, m)?)?;
    m.add_function(wrap_pyfunction!(client_only_replies, m)?)?;
    m.add_function(wrap_pyfunction!(argrules::list_or_args, m)?)?;
    m.add_function(wrap_pyfunction!(argrules::expire_flags, m)?)?;
    m.add_function(wrap_pyfunction!(argrules::xxh3_digest, m)?)?;
    m.add_function(wrap_pyfunction!(callbacks::fast_commands, m)?)?;
    m.add_function(wrap_pyfunction!(msgpack::msgpack_dumps, m)?)?;
    m.add_function(wrap_pyfunction!(msgpack::msgpack_loads, m)?)?;
    m.add_function(wrap_pyfunction!(reshape::_reshape, m)?)?;
    m.add_function(wrap_pyfunction!(rdbtools::rdb_scan, m)?)?;
    m.add_function(wrap_pyfunction!(rdbtools::rdb_entries, m)?)?;
    m.add_function(wrap_pyfunction!(rdbtools::rdb_write, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
