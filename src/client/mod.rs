//! A blocking RESP client for real Redis / Valkey servers.
//!
//! - [`config`]: where and how to connect (address, timeouts, keepalive,
//!   AUTH, SELECT, client name, RESP version) and [`tls`] settings.
//! - [`conn`]: one connection: buffered writes, the incremental reply
//!   parser, per-read timeouts, the connect handshake, a cheap staleness
//!   probe.
//! - [`slots`]: Redis Cluster hash slots (CRC16, hash tags) of keys and
//!   commands, from the command table's key specs.
//! - [`pool`]: a thread-safe pool (plain: fails when full; blocking: waits
//!   for a free connection), with health checks.
//!
//! No async runtime is involved: a call writes its request and reads its
//! reply on the calling thread, which is far cheaper than handing the work
//! to another thread. Nothing here knows about Python; `src/python/remote.rs`
//! adds the GIL handling, retries and exception mapping.
//!
//! The one rule every user of a [`conn::Connection`] follows: a call cut
//! short (timeout, interrupt, parse error, dropped link) leaves the
//! connection out of step with the server, so it is dropped, never reused.

pub mod config;
pub mod conn;
mod error;
pub mod pool;
pub mod slots;
pub mod timeouts;
pub mod tls;

pub use config::{Address, Config, CredentialSource, Keepalive};
pub use conn::{Connection, Incoming};
pub use error::{Error, ErrorKind, Stage};
pub use pool::Pool;

#[cfg(test)]
mod tests;
