//! Whom an `https://` client trusts, and the TLS session cache its connections share.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

use super::{provider, ALPN_HTTP11};
use crate::http::Error;

/// How many TLS sessions a client remembers for resumption (rustls's own
/// default: enough for a few hundred servers).
const SESSION_CACHE_ENTRIES: usize = 256;

/// The client side of TLS: trusted roots, ALPN `http/1.1`, and a session
/// cache.
///
/// The rustls configuration sits behind an `Arc`, and so does its session
/// cache (rustls's `ClientSessionMemoryCache`): every connection of a
/// session — and every session built from a clone of the same
/// [`ClientConfig`](crate::http::ClientConfig) — can *resume* a TLS session
/// an earlier connection to the same server established, which skips the
/// certificate exchange and its signature checks.
///
/// # Examples
///
/// ```
/// use handspun::http::{blocking, ClientConfig};
/// use handspun::http::tls::TlsClientConfig;
///
/// // The default trusts Mozilla's roots (the `webpki-roots` crate).
/// let config = ClientConfig { tls: TlsClientConfig::webpki_roots(), ..ClientConfig::default() };
/// let session = blocking::Session::builder().config(config).build();
/// assert_eq!(session.connections_opened(), 0);
/// ```
#[derive(Clone)]
pub struct TlsClientConfig {
    /// The rustls configuration, shared by every connection made with it.
    config: Arc<rustls::ClientConfig>,
    /// What it trusts, in words (for `Debug`): Mozilla's roots, or which CA file.
    trust: String,
}

/// The `trust` of a configuration with Mozilla's roots.
const WEBPKI_ROOTS: &str = "webpki-roots (Mozilla's root program)";

/// The roots every [`TlsClientConfig::default`] trusts, when
/// [`set_default_ca_file`] or [`set_default_ca_pem`] set them, and where
/// they came from. A `OnceLock`, not a lock: a forked worker process reads
/// it without any lock another thread could have held at the fork.
static DEFAULT_TRUST: OnceLock<(Arc<RootCertStore>, String)> = OnceLock::new();

/// Makes every [`TlsClientConfig::default`] built afterwards — and so every
/// default session, in every model's threads and forked processes — trust
/// only the CAs in the PEM file at `path`, like OpenSSL's `SSL_CERT_FILE`.
/// This is how `handspun download --ca-file` reaches sessions the workload
/// runners build themselves. It can be set once per process.
///
/// # Errors
///
/// [`Error::TlsSetup`] if the file cannot be read, holds no certificate, or
/// the default was set already.
///
/// # Examples
///
/// ```
/// let error = handspun::http::tls::set_default_ca_file("/no/such/ca.pem").unwrap_err();
/// assert!(error.to_string().contains("/no/such/ca.pem"));
/// ```
pub fn set_default_ca_file(path: impl AsRef<Path>) -> Result<(), Error> {
    let path = path.as_ref();
    let roots = read_ca_file(path)?;
    set_default_trust(roots, ca_file(path))
}

/// Like [`set_default_ca_file`], with the CA certificates given as PEM
/// text; setting the same PEM again is allowed (`compare --tls` trusts its
/// embedded site's certificate this way, once per process).
///
/// # Errors
///
/// [`Error::TlsSetup`] if `pem` holds no usable certificate, or another
/// default was set already.
pub fn set_default_ca_pem(pem: &str) -> Result<(), Error> {
    let roots = parse_roots(
        CertificateDer::pem_slice_iter(pem.as_bytes()),
        "CA certificates",
    )?;
    set_default_trust(roots, format!("CA certificates {pem}"))
}

/// Sets [`DEFAULT_TRUST`] once; the same source again is no error.
fn set_default_trust(roots: RootCertStore, source: String) -> Result<(), Error> {
    let set = DEFAULT_TRUST.get_or_init(|| (Arc::new(roots), source.clone()));
    if set.1 == source {
        Ok(())
    } else {
        Err(Error::TlsSetup {
            what: source,
            reason: format!("the default trust was set already, to {}", set.1),
        })
    }
}

impl TlsClientConfig {
    /// Trusts Mozilla's root program (the bundled `webpki-roots`): what a
    /// browser would trust, for the public web.
    pub fn webpki_roots() -> TlsClientConfig {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        TlsClientConfig::with_roots(Arc::new(roots), WEBPKI_ROOTS.into())
    }

    /// Trusts only the CA certificates in the PEM file at `path` (a private
    /// CA, or a server's self-signed certificate).
    ///
    /// # Errors
    ///
    /// [`Error::TlsSetup`] if the file cannot be read or holds no usable certificate.
    pub fn from_ca_file(path: impl AsRef<Path>) -> Result<TlsClientConfig, Error> {
        let path = path.as_ref();
        let roots = read_ca_file(path)?;
        Ok(TlsClientConfig::with_roots(Arc::new(roots), ca_file(path)))
    }

    /// Trusts only the CA certificates in `pem` (PEM text, as a file would hold).
    ///
    /// # Errors
    ///
    /// [`Error::TlsSetup`] if `pem` holds no usable certificate.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::http::tls::TlsClientConfig;
    ///
    /// assert!(TlsClientConfig::from_ca_pem(b"not a certificate").is_err());
    /// ```
    pub fn from_ca_pem(pem: &[u8]) -> Result<TlsClientConfig, Error> {
        let roots = parse_roots(CertificateDer::pem_slice_iter(pem), "CA certificates")?;
        Ok(TlsClientConfig::with_roots(
            Arc::new(roots),
            "CA certificates given as PEM".into(),
        ))
    }

    /// The rustls configuration for a connection.
    pub(crate) fn rustls(&self) -> Arc<rustls::ClientConfig> {
        self.config.clone()
    }

    /// A configuration trusting `roots`, with a session cache of its own.
    fn with_roots(roots: Arc<RootCertStore>, trust: String) -> TlsClientConfig {
        let mut config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        config.resumption = rustls::client::Resumption::in_memory_sessions(SESSION_CACHE_ENTRIES);
        TlsClientConfig {
            config: Arc::new(config),
            trust,
        }
    }
}

impl Default for TlsClientConfig {
    /// The CAs of [`set_default_ca_file`] or [`set_default_ca_pem`] if one
    /// was called, else
    /// [`webpki_roots`](TlsClientConfig::webpki_roots). Each call makes a
    /// new session cache.
    fn default() -> Self {
        match DEFAULT_TRUST.get() {
            Some((roots, source)) => TlsClientConfig::with_roots(roots.clone(), source.clone()),
            None => TlsClientConfig::webpki_roots(),
        }
    }
}

impl fmt::Debug for TlsClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClientConfig")
            .field("trust", &self.trust)
            .finish_non_exhaustive()
    }
}

/// The `trust` of a configuration with the CAs of the file at `path`.
fn ca_file(path: &Path) -> String {
    format!("CA file {}", path.display())
}

/// The certificates of the PEM file at `path`, as trusted roots.
fn read_ca_file(path: &Path) -> Result<RootCertStore, Error> {
    let what = ca_file(path);
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| Error::TlsSetup {
        what: what.clone(),
        reason: e.to_string(),
    })?;
    parse_roots(certs, &what)
}

/// Collects PEM certificates into a root store; at least one must be usable.
fn parse_roots(
    certs: impl Iterator<Item = Result<CertificateDer<'static>, rustls::pki_types::pem::Error>>,
    what: &str,
) -> Result<RootCertStore, Error> {
    let setup = |reason: String| Error::TlsSetup {
        what: what.to_string(),
        reason,
    };
    let mut roots = RootCertStore::empty();
    for cert in certs {
        let cert = cert.map_err(|e| setup(e.to_string()))?;
        roots.add(cert).map_err(|e| setup(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(setup("no PEM certificate in it".into()));
    }
    Ok(roots)
}
