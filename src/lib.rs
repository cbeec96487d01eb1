//! redcore: a Redis-compatible engine and client with a redis-py compatible
//! Python API.
//!
//! # Layout
//!
//! - [`resp`]: RESP2/RESP3 frames, the incremental parser and the writer,
//!   shared by the client and the server. [`resp::Frame`] is the one reply
//!   type every layer produces and consumes ([`resp::flat`] lets the
//!   network client read arrays of bulk strings without frames).
//! - [`client`]: a blocking RESP client for real servers: connections
//!   (TCP, Unix, TLS), a thread-safe pool (whose address a Sentinel
//!   resolver can pick per connection), health checks, and Redis Cluster
//!   key slots and redirections from the command table's key specs.
//! - [`commands`]: the command table (one row per command: name, arity,
//!   flags, key positions, blocking-timeout position, traits, handler),
//!   the dispatcher (ACL checks, MONITOR feed, SLOWLOG/LATENCY timing),
//!   and one file per command group with the handlers.
//! - [`engine`]: the embedded store: 16 databases, values, TTLs (lazy plus
//!   an active sweep, hash-field TTLs too), WATCH, pub/sub, ACL users, the
//!   client registry (CLIENT LIST/KILL), MONITOR, tracking, memory
//!   accounting and maxmemory eviction (`engine::evict`; keys and strings
//!   are `engine::compact` strings, lists `engine::list`'s packed nodes),
//!   and the shared [`engine::Engine`] handle.
//! - [`persist`]: Redis's RDB encoding: DUMP/RESTORE payloads and the RDB
//!   files SAVE/BGSAVE write.
//! - [`error`]: every error reply and its exact Redis text.
//! - [`num`], [`glob`]: Redis's number parsing/formatting and glob matcher.
//! - [`scripting`]: the Lua interpreters behind EVAL and FCALL (Redis's
//!   libraries, sandbox and conversions), the FUNCTION libraries, and the
//!   BUSY / SCRIPT KILL / FUNCTION KILL state. The engine keeps it beside
//!   the store, under its own lock.
//! - [`server`]: the RESP server over the engine (TCP, Unix socket) on a
//!   tokio runtime: pipelining, blocking commands, pub/sub, limits.
//! - `python` (feature `python`): the PyO3 boundary: argument encoding,
//!   reply conversion to redis-py's types, the client class and its
//!   backends (embedded, one server, a cluster's slot router). Nothing else
//!   depends on PyO3, so `cargo test` runs without Python.

pub mod client;
pub mod commands;
pub mod engine;
pub mod error;
pub mod glob;
pub mod num;
pub mod persist;
pub mod resp;
pub mod scripting;
pub mod server;

#[cfg(feature = "python")]
mod python;
