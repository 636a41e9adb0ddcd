//! rustls's errors, sorted into [`TlsError`]s a user can act on.

use std::io;

use rustls::{CertificateError, InvalidMessage};

use crate::http::TlsError;

/// What a rustls error means for the user.
pub(crate) fn tls_error(error: &rustls::Error) -> TlsError {
    match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => TlsError::UnknownIssuer,
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                TlsError::Expired
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                TlsError::NotValidYet
            }
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                TlsError::WrongHost
            }
            other => TlsError::BadCertificate(format!("{other:?}")),
        },
        // The first record's type byte is not a TLS content type: whatever
        // answered (typically `HTTP/1.1 400`) is not TLS.
        rustls::Error::InvalidMessage(InvalidMessage::InvalidContentType) => TlsError::NotTls,
        rustls::Error::AlertReceived(alert) => TlsError::AlertReceived(format!("{alert:?}")),
        other => TlsError::Protocol(other.to_string()),
    }
}

/// The [`TlsError`] inside an `io::Error` that rustls raised, if it is one.
pub(crate) fn io_tls_error(error: &io::Error) -> Option<TlsError> {
    let inner = error.get_ref()?;
    inner.downcast_ref::<rustls::Error>().map(tls_error)
}
