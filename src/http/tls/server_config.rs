//! The server's side of TLS: its certificate and key, from PEM files or made at start.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{provider, ALPN_HTTP11};
use crate::http::Error;

/// A TLS server configuration: one certificate chain and its key, ALPN
/// `http/1.1`, and rustls's in-memory session cache so returning clients
/// resume.
///
/// # Examples
///
/// ```
/// use handspun::http::tls::TlsServerConfig;
///
/// let made = TlsServerConfig::self_signed(&["localhost".into(), "127.0.0.1".into()])?;
/// assert!(made.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// # Ok::<(), handspun::http::Error>(())
/// ```
#[derive(Clone)]
pub struct TlsServerConfig {
    /// The rustls configuration every connection shares.
    config: Arc<rustls::ServerConfig>,
}

/// What [`TlsServerConfig::self_signed`] makes: the configuration and the
/// certificate a client must trust.
#[derive(Debug, Clone)]
pub struct SelfSigned {
    /// Serves with the new certificate.
    pub config: TlsServerConfig,
    /// The certificate, PEM-encoded: give it to a client as its CA file.
    pub cert_pem: String,
}

impl TlsServerConfig {
    /// Loads a certificate chain (leaf first) and its private key from PEM files.
    ///
    /// # Errors
    ///
    /// [`Error::TlsSetup`] if a file cannot be read or parsed, or the key
    /// does not fit the certificate.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<TlsServerConfig, Error> {
        let cert_what = format!("certificate file {}", cert.display());
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| setup(&cert_what, e.to_string()))?;
        let key = PrivateKeyDer::from_pem_file(key)
            .map_err(|e| setup(&format!("key file {}", key.display()), e.to_string()))?;
        TlsServerConfig::from_parts(chain, key, &cert_what)
    }

    /// Like [`from_pem_files`](Self::from_pem_files), from PEM text.
    ///
    /// # Errors
    ///
    /// As [`from_pem_files`](Self::from_pem_files).
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsServerConfig, Error> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| setup("certificate", e.to_string()))?;
        let key =
            PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| setup("key", e.to_string()))?;
        TlsServerConfig::from_parts(chain, key, "certificate")
    }

    /// Makes a new self-signed certificate for `names` (host names or IP
    /// addresses) with rcgen, and a configuration serving it.
    ///
    /// # Errors
    ///
    /// [`Error::TlsSetup`] if a name is unusable in a certificate.
    pub fn self_signed(names: &[String]) -> Result<SelfSigned, Error> {
        let made = rcgen::generate_simple_self_signed(names.to_vec())
            .map_err(|e| setup("a self-signed certificate", e.to_string()))?;
        let cert_pem = made.cert.pem();
        let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())
            .map_err(|e| setup("the generated key", e.to_string()))?;
        let config =
            TlsServerConfig::from_parts(vec![made.cert.der().clone()], key, "certificate")?;
        Ok(SelfSigned { config, cert_pem })
    }

    /// The rustls configuration for a connection.
    pub(crate) fn rustls(&self) -> Arc<rustls::ServerConfig> {
        self.config.clone()
    }

    /// The configuration serving `chain` with `key`.
    fn from_parts(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        what: &str,
    ) -> Result<TlsServerConfig, Error> {
        if chain.is_empty() {
            return Err(setup(what, "no PEM certificate in it".into()));
        }
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| setup(what, e.to_string()))?;
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        Ok(TlsServerConfig {
            config: Arc::new(config),
        })
    }
}

impl fmt::Debug for TlsServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsServerConfig").finish_non_exhaustive()
    }
}

/// A [`Error::TlsSetup`] about `what`.
fn setup(what: &str, reason: String) -> Error {
    Error::TlsSetup {
        what: what.to_string(),
        reason,
    }
}
