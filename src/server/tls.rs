//! The server's TLS port (redis-server's `tls-port`, `tls-cert-file`,
//! `tls-key-file`, `tls-ca-cert-file`, `tls-ca-cert-dir`,
//! `tls-auth-clients`, `tls-protocols`, `tls-ciphers`, `tls-ciphersuites`):
//! rustls with the ring provider, TLS 1.2 and 1.3 as Redis 7's default
//! `tls-protocols`.
//!
//! Cipher suites are named as OpenSSL (and so redis.conf) names them
//! (`ECDHE-RSA-AES128-GCM-SHA256` in `tls-ciphers`,
//! `TLS_AES_128_GCM_SHA256` in `tls-ciphersuites`) or as rustls does
//! (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`, `TLS13_AES_128_GCM_SHA256`);
//! a name rustls does not implement, or a protocol it does not speak
//! (TLSv1, TLSv1.1), stops the start-up with an error saying so.
//!
//! Start-up errors are redis-server's: a missing certificate, key or CA
//! file names what failed, and client authentication (`yes`, the default,
//! or `optional`) needs a CA to check client certificates against.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls::{
    CipherSuite, RootCertStore, ServerConfig, SupportedCipherSuite, SupportedProtocolVersion,
};

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

    /// The value as redis.conf (and CONFIG GET) spells it.
    pub fn name(self) -> &'static str {
        match self {
            AuthClients::Yes => "yes",
            AuthClients::No => "no",
            AuthClients::Optional => "optional",
        }
    }
}

/// What the TLS port serves with.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub ca_cert_file: Option<PathBuf>,
    /// A directory of CA certificates (`tls-ca-cert-dir`; every file in it
    /// that holds certificates).
    pub ca_cert_dir: Option<PathBuf>,
    pub auth_clients: AuthClients,
    /// `tls-protocols`: e.g. `"TLSv1.2 TLSv1.3"`; None or empty: both.
    pub protocols: Option<String>,
    /// `tls-ciphers`: the TLS 1.2 suites allowed, colon separated; None:
    /// every one rustls has.
    pub ciphers: Option<String>,
    /// `tls-ciphersuites`: the TLS 1.3 suites allowed; None: every one.
    pub ciphersuites: Option<String>,
}

/// The protocol versions `tls-protocols` allows (case-insensitive
/// `TLSv1.2` / `TLSv1.3`, space separated).
pub fn protocol_versions(
    spec: Option<&str>,
) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
    let words: Vec<&str> = spec.unwrap_or_default().split_ascii_whitespace().collect();
    if words.is_empty() {
        return Ok(rustls::DEFAULT_VERSIONS.to_vec());
    }
    let (mut v12, mut v13) = (false, false);
    for word in words {
        match word.to_ascii_lowercase().as_str() {
            "tlsv1.2" => v12 = true,
            "tlsv1.3" => v13 = true,
            "tlsv1" | "tlsv1.1" => {
                return Err(format!(
                    "Invalid tls-protocols specified: {word} is not supported: redcore's TLS \
                     (rustls) speaks TLSv1.2 and TLSv1.3 only."
                ))
            }
            _ => {
                return Err(format!(
                    "Invalid tls-protocols specified: '{word}'. Use a combination of 'TLSv1.2' and 'TLSv1.3'."
                ))
            }
        }
    }
    let mut out = Vec::new();
    if v13 {
        out.push(&rustls::version::TLS13);
    }
    if v12 {
        out.push(&rustls::version::TLS12);
    }
    Ok(out)
}

fn is_tls13(s: &SupportedCipherSuite) -> bool {
    s.version() == &rustls::version::TLS13
}

/// The names a suite answers to: rustls's, and OpenSSL's (which for TLS
/// 1.3 is the IANA name).
fn suite_names(s: &SupportedCipherSuite) -> Vec<String> {
    let own = s.suite().as_str().unwrap_or_default().to_string();
    let openssl = if is_tls13(s) {
        own.replacen("TLS13_", "TLS_", 1)
    } else {
        crate::client::tls::TLS12_NAMES
            .iter()
            .find(|(_, c)| *c == s.suite())
            .map_or_else(String::new, |(n, _)| n.to_string())
    };
    vec![openssl, own]
}

/// The suites `list` names (separated by colons, commas or spaces) among
/// those of the version `setting` configures.
fn pick_suites(
    all: &[SupportedCipherSuite],
    list: &str,
    setting: &str,
    tls13: bool,
) -> Result<Vec<CipherSuite>, String> {
    let mut out = Vec::new();
    for name in list.split([':', ',', ' ']).filter(|n| !n.is_empty()) {
        let found = all
            .iter()
            .find(|s| suite_names(s).iter().any(|n| n.eq_ignore_ascii_case(name)));
        match found {
            Some(s) if is_tls13(s) == tls13 => out.push(s.suite()),
            Some(_) => {
                let other = if tls13 {
                    "tls-ciphers"
                } else {
                    "tls-ciphersuites"
                };
                return Err(format!(
                    "Invalid {setting}: {name} is a TLS {} suite; name it in {other}",
                    if tls13 { "1.2" } else { "1.3" }
                ));
            }
            None => {
                let known: Vec<String> = all
                    .iter()
                    .filter(|s| is_tls13(s) == tls13)
                    .map(|s| suite_names(s).swap_remove(0))
                    .collect();
                return Err(format!(
                    "Invalid {setting}: unknown cipher suite '{name}'; redcore's TLS (rustls) has {}",
                    known.join(":")
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(format!("Invalid {setting}: no cipher suite named"));
    }
    Ok(out)
}

/// The ring provider with only the suites `tls-ciphers` (TLS 1.2) and
/// `tls-ciphersuites` (TLS 1.3) allow.
fn provider_for(opts: &TlsOptions) -> Result<rustls::crypto::CryptoProvider, String> {
    let mut provider = rustls::crypto::ring::default_provider();
    let all = provider.cipher_suites.clone();
    let v12 = match &opts.ciphers {
        Some(list) => Some(pick_suites(&all, list, "tls-ciphers", false)?),
        None => None,
    };
    let v13 = match &opts.ciphersuites {
        Some(list) => Some(pick_suites(&all, list, "tls-ciphersuites", true)?),
        None => None,
    };
    provider.cipher_suites.retain(|s| {
        let wanted = if is_tls13(s) { &v13 } else { &v12 };
        wanted.as_ref().is_none_or(|w| w.contains(&s.suite()))
    });
    Ok(provider)
}

fn ca_roots(file: Option<&Path>, dir: Option<&Path>) -> Result<RootCertStore, String> {
    let fail = |e: String| format!("Failed to configure CA certificate(s) file/directory: {e}");
    let mut certs = Vec::new();
    if let Some(path) = file {
        certs.extend(crate::client::tls::load_certs(path).map_err(fail)?);
    }
    if let Some(dir) = dir {
        let found = crate::client::tls::dir_certs(dir).map_err(fail)?;
        if found.is_empty() {
            return Err(fail(format!("no certificate found in {}", dir.display())));
        }
        certs.extend(found);
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| fail(format!("bad CA certificate: {e}")))?;
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
    let has_ca = opts.ca_cert_file.is_some() || opts.ca_cert_dir.is_some();
    if !has_ca && opts.auth_clients != AuthClients::No {
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
    let versions = protocol_versions(opts.protocols.as_deref())?;
    let provider = Arc::new(provider_for(opts)?);
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("Failed to configure TLS: {e}"))?;
    let builder = match (has_ca, opts.auth_clients) {
        // Checked above: without a CA, clients are not authenticated.
        (false, _) => builder.with_no_client_auth(),
        (true, auth) => {
            // Redis loads the CA even when it does not ask for client
            // certificates: a bad file is an error either way.
            let roots = Arc::new(ca_roots(
                opts.ca_cert_file.as_deref(),
                opts.ca_cert_dir.as_deref(),
            )?);
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

    #[test]
    fn protocols_and_cipher_suites_by_either_name() {
        use rustls::version::{TLS12, TLS13};
        assert_eq!(protocol_versions(None).unwrap().len(), 2);
        assert_eq!(protocol_versions(Some(" ")).unwrap().len(), 2);
        let v = protocol_versions(Some("tlsv1.2")).unwrap();
        assert!(v.len() == 1 && v[0] == &TLS12);
        let v = protocol_versions(Some("TLSv1.2  TLSv1.3")).unwrap();
        assert!(v.len() == 2 && v[0] == &TLS13);
        assert!(protocol_versions(Some("TLSv1.2 TLSv1"))
            .unwrap_err()
            .contains("TLSv1 is not supported"));
        assert!(protocol_versions(Some("SSLv3"))
            .unwrap_err()
            .starts_with("Invalid tls-protocols specified: 'SSLv3'"));
        let opts = |ciphers: Option<&str>, suites: Option<&str>| TlsOptions {
            ciphers: ciphers.map(str::to_string),
            ciphersuites: suites.map(str::to_string),
            ..TlsOptions::default()
        };
        let names = |p: rustls::crypto::CryptoProvider| -> Vec<String> {
            p.cipher_suites
                .iter()
                .map(|s| suite_names(s).swap_remove(0))
                .collect()
        };
        let all = names(provider_for(&opts(None, None)).unwrap());
        assert_eq!(all.len(), 9, "{all:?}");
        let p = provider_for(&opts(
            Some("ECDHE-RSA-AES128-GCM-SHA256:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
            Some("TLS13_AES_256_GCM_SHA384,TLS_AES_128_GCM_SHA256"),
        ))
        .unwrap();
        let mut got = names(p);
        got.sort();
        assert_eq!(
            got,
            [
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-RSA-AES128-GCM-SHA256",
                "TLS_AES_128_GCM_SHA256",
                "TLS_AES_256_GCM_SHA384"
            ]
        );
        let e = provider_for(&opts(Some("HIGH:!aNULL"), None)).unwrap_err();
        assert!(
            e.starts_with("Invalid tls-ciphers: unknown cipher suite 'HIGH'"),
            "{e}"
        );
        assert!(e.contains("ECDHE-RSA-AES128-GCM-SHA256"), "{e}");
        let e = provider_for(&opts(None, Some(":"))).unwrap_err();
        assert_eq!(e, "Invalid tls-ciphersuites: no cipher suite named");
    }
}
