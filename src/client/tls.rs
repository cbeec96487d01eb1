//! TLS through rustls (ring provider), configured like redis-py's
//! `ssl_*` arguments: a CA file, an optional client certificate and key,
//! `ssl_cert_reqs` none/optional/required and `ssl_check_hostname`, CA
//! directories and in-memory CA data, a minimum version and TLS 1.2
//! cipher suites by their OpenSSL names, and the CRL checks of
//! `ssl_include_verify_flags` (CRLs read from the CA file, directory and
//! data, as OpenSSL's `load_verify_locations` does). rustls speaks TLS 1.2
//! and 1.3 only, cannot decrypt private keys and does no OCSP: what it
//! cannot honour is an error, never silently dropped.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{
    CertificateDer, CertificateRevocationListDer, PrivateKeyDer, ServerName, UnixTime,
};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// `ssl_cert_reqs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertReqs {
    /// Accept any server certificate (no verification at all).
    None,
    /// Python's CERT_OPTIONAL: on the client side a server always sends a
    /// certificate, so this verifies like `Required`.
    Optional,
    Required,
}

impl CertReqs {
    pub fn parse(s: &str) -> Option<CertReqs> {
        match s.to_ascii_lowercase().as_str() {
            "none" | "cert_none" => Some(CertReqs::None),
            "optional" | "cert_optional" => Some(CertReqs::Optional),
            "required" | "cert_required" => Some(CertReqs::Required),
            _ => None,
        }
    }
}

/// Revocation checks against CRLs (`ssl.VERIFY_CRL_CHECK_LEAF` /
/// `VERIFY_CRL_CHECK_CHAIN` in `ssl_include_verify_flags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrlCheck {
    Off,
    /// The server's certificate only.
    Leaf,
    /// Every certificate of the chain.
    Chain,
}

impl CrlCheck {
    pub fn parse(s: &str) -> Option<CrlCheck> {
        match s.to_ascii_lowercase().as_str() {
            "off" | "none" => Some(CrlCheck::Off),
            "leaf" => Some(CrlCheck::Leaf),
            "chain" => Some(CrlCheck::Chain),
            _ => None,
        }
    }
}

/// What the user asked for.
#[derive(Clone, Debug)]
pub struct TlsOptions {
    pub ca_certs: Option<PathBuf>,
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
    pub cert_reqs: CertReqs,
    pub check_hostname: bool,
    /// `ssl_ca_path`: every certificate file in this directory is trusted.
    pub ca_path: Option<PathBuf>,
    /// `ssl_ca_data`: PEM text or DER bytes of trusted certificates.
    pub ca_data: Option<Vec<u8>>,
    /// `ssl_min_version`: true when only TLS 1.3 may be used.
    pub tls13_only: bool,
    /// `ssl_ciphers`: OpenSSL names of the TLS 1.2 suites allowed (TLS 1.3
    /// suites are always on, as with Python's `set_ciphers`).
    pub ciphers: Option<Vec<String>>,
    /// CRL checks of the server's chain.
    pub crl_check: CrlCheck,
}

/// Parses `ssl_min_version` (Python's `ssl.TLSVersion` name or number):
/// true means TLS 1.3 only. TLS 1.0 and 1.1 minimums allow 1.2 and 1.3,
/// the versions rustls has.
pub fn parse_min_version(v: &str) -> Result<bool, String> {
    match v.to_ascii_uppercase().replace('.', "_").as_str() {
        "MINIMUM_SUPPORTED" | "TLSV1" | "TLSV1_1" | "TLSV1_2" | "769" | "770" | "771" | "-2" => {
            Ok(false)
        }
        "TLSV1_3" | "772" | "MAXIMUM_SUPPORTED" | "-1" => Ok(true),
        "SSLV3" | "768" => Err(
            "ssl_min_version SSLv3 is not supported: redcore's TLS (rustls) speaks TLS 1.2 and 1.3"
                .to_string(),
        ),
        _ => Err(format!("invalid ssl_min_version: {v}")),
    }
}

/// OpenSSL's names of the TLS 1.2 suites rustls implements.
pub(crate) const TLS12_NAMES: &[(&str, rustls::CipherSuite)] = &[
    (
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
    (
        "ECDHE-RSA-AES128-GCM-SHA256",
        rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    ),
    (
        "ECDHE-RSA-AES256-GCM-SHA384",
        rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    ),
    (
        "ECDHE-RSA-CHACHA20-POLY1305",
        rustls::CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ),
];

/// The provider with only the TLS 1.2 suites `names` (colon, comma or
/// space separated) and every TLS 1.3 suite.
fn with_ciphers(mut provider: CryptoProvider, names: &[String]) -> Result<CryptoProvider, String> {
    let mut wanted = Vec::new();
    for name in names.iter().flat_map(|n| n.split([':', ',', ' '])) {
        if name.is_empty() {
            continue;
        }
        let Some((_, suite)) = TLS12_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        else {
            let known: Vec<&str> = TLS12_NAMES.iter().map(|(n, _)| *n).collect();
            return Err(format!(
                "ssl_ciphers: {name:?} is not supported by redcore's TLS (rustls); \
                 name TLS 1.2 suites among: {}",
                known.join(":")
            ));
        };
        wanted.push(*suite);
    }
    provider
        .cipher_suites
        .retain(|s| s.version() == &rustls::version::TLS13 || wanted.contains(&s.suite()));
    Ok(provider)
}

/// A ready rustls configuration and the name the certificate must match.
#[derive(Debug)]
pub struct TlsSettings {
    pub config: Arc<ClientConfig>,
    pub server_name: ServerName<'static>,
}

/// Where Debian and most Linux systems keep the system CA bundle, used
/// when no `ssl_ca_certs` is given (Python's `load_default_certs`).
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

pub(crate) fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read certificates from {}: {e}", path.display()))?
        .collect();
    let certs = certs.map_err(|e| format!("bad certificate in {}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("no certificate found in {}", path.display()));
    }
    Ok(certs)
}

/// Certificates from `ssl_ca_data`: PEM text, else one DER certificate.
fn data_certs(data: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(data).collect();
    match pem {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        _ if data.first() == Some(&0x30) => Ok(vec![CertificateDer::from(data.to_vec())]),
        _ => Err("no certificate found in ssl_ca_data".to_string()),
    }
}

/// Certificate files of an `ssl_ca_path` directory (files that hold no
/// certificate are skipped, as OpenSSL's lookup does).
pub(crate) fn dir_certs(dir: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read ssl_ca_path {}: {e}", dir.display()))?;
    let mut certs = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_file() {
            certs.extend(load_certs(&path).unwrap_or_default());
        }
    }
    Ok(certs)
}

fn roots(opts: &TlsOptions) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let mut extra = Vec::new();
    if let Some(dir) = &opts.ca_path {
        extra.extend(dir_certs(dir)?);
    }
    if let Some(data) = &opts.ca_data {
        extra.extend(data_certs(data)?);
    }
    for cert in extra.iter().cloned() {
        store
            .add(cert)
            .map_err(|e| format!("bad CA certificate: {e}"))?;
    }
    let paths: Vec<PathBuf> = match &opts.ca_certs {
        Some(p) => vec![p.clone()],
        // Python loads the system CAs only when no CA is given.
        None if !extra.is_empty() => vec![],
        None => SYSTEM_BUNDLES
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.exists())
            .take(1)
            .collect(),
    };
    for path in paths {
        for cert in load_certs(&path)? {
            store
                .add(cert)
                .map_err(|e| format!("bad CA certificate in {}: {e}", path.display()))?;
        }
    }
    Ok(store)
}

/// The CRLs (PEM `X509 CRL` blocks) of the CA file, the CA directory's
/// files and the CA data, where OpenSSL's `load_verify_locations` finds
/// them.
fn crls(opts: &TlsOptions) -> Result<Vec<CertificateRevocationListDer<'static>>, String> {
    let pem = |data: &[u8]| -> Vec<CertificateRevocationListDer<'static>> {
        CertificateRevocationListDer::pem_slice_iter(data)
            .filter_map(Result::ok)
            .collect()
    };
    let read = |path: &Path| {
        std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let mut out = Vec::new();
    if let Some(path) = &opts.ca_certs {
        out.extend(pem(&read(path)?));
    }
    if let Some(dir) = &opts.ca_path {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read ssl_ca_path {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            if entry.path().is_file() {
                out.extend(pem(&read(&entry.path())?));
            }
        }
    }
    if let Some(data) = &opts.ca_data {
        out.extend(pem(data));
    }
    if out.is_empty() {
        return Err(
            "ssl.VERIFY_CRL_CHECK_LEAF / VERIFY_CRL_CHECK_CHAIN need the CRLs of the \
                    server's chain (PEM \"X509 CRL\" blocks) in ssl_ca_certs, ssl_ca_path or \
                    ssl_ca_data; none was found"
                .to_string(),
        );
    }
    Ok(out)
}

/// Builds the rustls configuration for connections to `host`.
pub fn build(opts: &TlsOptions, host: &str) -> Result<TlsSettings, String> {
    let provider = match &opts.ciphers {
        Some(names) => Arc::new(with_ciphers(
            rustls::crypto::ring::default_provider(),
            names,
        )?),
        None => provider(),
    };
    let versions: &[&rustls::SupportedProtocolVersion] = if opts.tls13_only {
        &[&rustls::version::TLS13]
    } else {
        rustls::DEFAULT_VERSIONS
    };
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?;
    let verifier: Arc<dyn ServerCertVerifier> = match opts.cert_reqs {
        CertReqs::None => Arc::new(Lenient {
            provider: provider.clone(),
            chain: None,
        }),
        CertReqs::Optional | CertReqs::Required => {
            let mut verifier = WebPkiServerVerifier::builder_with_provider(
                Arc::new(roots(opts)?),
                provider.clone(),
            );
            // A certificate no CRL speaks for fails, as with OpenSSL.
            if opts.crl_check != CrlCheck::Off {
                verifier = verifier.with_crls(crls(opts)?);
                if opts.crl_check == CrlCheck::Leaf {
                    verifier = verifier.only_check_end_entity_revocation();
                }
            }
            let inner = verifier.build().map_err(|e| e.to_string())?;
            if opts.check_hostname {
                inner
            } else {
                Arc::new(Lenient {
                    provider: provider.clone(),
                    chain: Some(inner),
                })
            }
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match (&opts.certfile, &opts.keyfile) {
        (Some(cert), key) => {
            let chain = load_certs(cert)?;
            // Python's load_cert_chain takes the key from the cert file
            // when no key file is given.
            let key_path = key.as_deref().unwrap_or(cert);
            let key = load_key(key_path)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| e.to_string())?
        }
        (None, _) => builder.with_no_client_auth(),
    };
    let server_name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("invalid server name {host:?}: {e}"))?;
    Ok(TlsSettings {
        config: Arc::new(config),
        server_name,
    })
}

/// The private key of a PEM file; an encrypted one is refused clearly
/// (rustls cannot decrypt keys, so `ssl_password` cannot be honoured).
pub(crate) fn load_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let text = std::fs::read(path)
        .map_err(|e| format!("cannot read private key {}: {e}", path.display()))?;
    let encrypted = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
    if encrypted(b"ENCRYPTED PRIVATE KEY") || encrypted(b"Proc-Type: 4,ENCRYPTED") {
        return Err(format!(
            "the private key {} is encrypted: redcore's TLS cannot decrypt keys (ssl_password); \
             decrypt it first (openssl pkey -in KEY -out PLAIN_KEY)",
            path.display()
        ));
    }
    PrivateKeyDer::from_pem_slice(&text)
        .map_err(|e| format!("cannot read private key {}: {e}", path.display()))
}

/// A verifier laxer than rustls's: `ssl_cert_reqs="none"` (no `chain`:
/// the certificate is not checked at all) or `ssl_check_hostname=False`
/// (`chain`: it must lead to a trusted CA, the name in it is not
/// compared). Handshake signatures are checked either way, with the
/// provider's algorithms (which `chain` was built with too).
#[derive(Debug)]
struct Lenient {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
