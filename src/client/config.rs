//! Connection settings, fixed when a pool is made.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::error::Error;
use super::tls::TlsSettings;

/// Credentials asked for at each new connection (redis-py's
/// `credential_provider`), in place of the fixed username and password.
pub trait CredentialSource: Send + Sync + std::fmt::Debug {
    /// (username or None for `default`, password), or why there are none.
    fn credentials(&self) -> Result<(Option<Vec<u8>>, Vec<u8>), Error>;
}

/// Where the server listens.
#[derive(Clone, Debug)]
pub enum Address {
    Tcp { host: String, port: u16 },
    Unix(PathBuf),
}

impl Address {
    /// The address as redis-py's error messages show it (`host:port`, or
    /// the socket path).
    pub fn describe(&self) -> String {
        match self {
            Address::Tcp { host, port } => format!("{host}:{port}"),
            Address::Unix(path) => path.display().to_string(),
        }
    }
}

/// TCP keepalive probes; unset fields keep the system default.
#[derive(Clone, Debug, Default)]
pub struct Keepalive {
    pub idle: Option<Duration>,
    pub interval: Option<Duration>,
    pub count: Option<u32>,
}

/// Everything needed to open and set up one connection.
#[derive(Clone, Debug)]
pub struct Config {
    pub address: Address,
    pub tls: Option<Arc<TlsSettings>>,
    /// Bound on TCP connect plus the TLS handshake; None waits as long as
    /// the system does.
    pub connect_timeout: Option<Duration>,
    /// Bound on each socket read and write; None blocks indefinitely.
    pub socket_timeout: Option<Duration>,
    pub keepalive: Option<Keepalive>,
    pub username: Option<Vec<u8>>,
    pub password: Option<Vec<u8>>,
    /// When set, asked for the username and password of each connection.
    pub credentials: Option<Arc<dyn CredentialSource>>,
    /// `CLIENT SETINFO LIB-NAME` / `LIB-VER` values sent on connect; a
    /// server without SETINFO (before 7.2) answers an error, ignored.
    pub lib_name: Option<Vec<u8>>,
    pub lib_version: Option<Vec<u8>>,
    pub db: usize,
    pub client_name: Option<Vec<u8>>,
    /// 2 or 3; 3 sends `HELLO 3` on connect.
    pub protocol: u8,
    /// PING a pooled connection idle longer than this before using it.
    pub health_check_interval: Option<Duration>,
    /// Send READONLY on connect: a cluster replica then serves reads.
    pub readonly: bool,
}

impl Config {
    /// Settings for `host:port` with everything else at its default.
    pub fn tcp(host: &str, port: u16) -> Config {
        Config {
            address: Address::Tcp {
                host: host.to_string(),
                port,
            },
            tls: None,
            connect_timeout: None,
            socket_timeout: None,
            keepalive: None,
            username: None,
            password: None,
            credentials: None,
            lib_name: None,
            lib_version: None,
            db: 0,
            client_name: None,
            protocol: 2,
            health_check_interval: None,
            readonly: false,
        }
    }
}
