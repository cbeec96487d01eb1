//! The server's TLS port (redis-server's `tls-port`, `tls-cert-file`,
//! `tls-key-file`, `tls-ca-cert-file`, `tls-auth-clients`): rustls with the
//! ring provider, TLS 1.2 and 1.3 as Redis 7's default `tls-protocols`.
//!
//! Start-up errors are redis-server's: a missing certificate, key or CA
//! file names what failed, and client authentication (`yes`, the default,
//! or `optional`) needs a CA to check client certificates against.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

/// `tls-auth-clients`: whether clients must present a certificate signed
/// by the CA.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthClients {
    /// Redis's default: a client without a valid certificate is refused.
    #[default]
    Yes,
    No,
    /// A certificate is checked if the client sends one.
    Optional,
}

impl AuthClients {
    /// Parses redis.conf's value (`yes`, `no`, `optional`).
    pub fn parse(value: &str) -> Result<AuthClients, String> {
        match value.to_ascii_lowercase().as_str() {
            "yes" => Ok(AuthClients::Yes),
            "no" => Ok(AuthClients::No),
            "optional" => Ok(AuthClients::Optional),
            _ => Err(format!(
                "tls-auth-clients {value:?}: argument(s) must be one of the following: no, yes, optional"
            )),
        }
    }
}

/// What the TLS port serves with.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub ca_cert_file: Option<PathBuf>,
    pub auth_clients: AuthClients,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn ca_roots(path: &Path) -> Result<RootCertStore, String> {
    let fail = |e: String| format!("Failed to configure CA certificate(s) file/directory: {e}");
    let mut roots = RootCertStore::empty();
    for cert in crate::client::tls::load_certs(path).map_err(fail)? {
        roots
            .add(cert)
            .map_err(|e| fail(format!("bad CA certificate in {}: {e}", path.display())))?;
    }
    Ok(roots)
}

/// Builds the server's rustls configuration; the error is the message
/// redis-server logs before it refuses to start.
pub fn server_config(opts: &TlsOptions) -> Result<Arc<ServerConfig>, String> {
    let cert = opts
        .cert_file
        .as_deref()
        .ok_or("No tls-cert-file configured!")?;
    let key_path = opts
        .key_file
        .as_deref()
        .ok_or("No tls-key-file configured!")?;
    if opts.ca_cert_file.is_none() && opts.auth_clients != AuthClients::No {
        return Err(
            "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when \
             tls-cluster, tls-replication or tls-auth-clients are enabled!"
                .to_string(),
        );
    }
    let chain = crate::client::tls::load_certs(cert)
        .map_err(|e| format!("Failed to load certificate: {e}"))?;
    let key = crate::client::tls::load_key(key_path)
        .map_err(|e| format!("Failed to load private key: {e}"))?;
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(rustls::DEFAULT_VERSIONS)
        .map_err(|e| e.to_string())?;
    let builder = match (&opts.ca_cert_file, opts.auth_clients) {
        // Checked above: without a CA, clients are not authenticated.
        (None, _) => builder.with_no_client_auth(),
        (Some(ca), auth) => {
            // Redis loads the CA even when it does not ask for client
            // certificates: a bad file is an error either way.
            let roots = Arc::new(ca_roots(ca)?);
            if auth == AuthClients::No {
                builder.with_no_client_auth()
            } else {
                let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider);
                let verifier = if auth == AuthClients::Optional {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| format!("Failed to configure CA certificate(s): {e}"))?;
                builder.with_client_cert_verifier(verifier)
            }
        }
    };
    let config = builder.with_single_cert(chain, key).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => format!(
            "Failed to load private key: {}: the key does not match the certificate {}",
            key_path.display(),
            cert.display()
        ),
        e => format!("Failed to load private key: {e}"),
    })?;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_up_errors_are_redis_servers() {
        let none = TlsOptions::default();
        assert_eq!(
            server_config(&none).unwrap_err(),
            "No tls-cert-file configured!"
        );
        let no_key = TlsOptions {
            cert_file: Some("/nonexistent/cert.pem".into()),
            ..TlsOptions::default()
        };
        assert_eq!(
            server_config(&no_key).unwrap_err(),
            "No tls-key-file configured!"
        );
        let missing = TlsOptions {
            cert_file: Some("/nonexistent/cert.pem".into()),
            key_file: Some("/nonexistent/key.pem".into()),
            ..TlsOptions::default()
        };
        // tls-auth-clients defaults to yes, which needs a CA.
        let e = server_config(&missing).unwrap_err();
        assert!(
            e.starts_with("Either tls-ca-cert-file or tls-ca-cert-dir"),
            "{e}"
        );
        let missing = TlsOptions {
            auth_clients: AuthClients::No,
            ..missing
        };
        let e = server_config(&missing).unwrap_err();
        assert!(e.starts_with("Failed to load certificate: "), "{e}");
        assert!(e.contains("/nonexistent/cert.pem"), "{e}");
        assert_eq!(AuthClients::parse("OPTIONAL"), Ok(AuthClients::Optional));
        assert!(AuthClients::parse("maybe")
            .unwrap_err()
            .contains("must be one of the following: no, yes, optional"));
    }
}
