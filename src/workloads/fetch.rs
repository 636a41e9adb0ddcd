//! One download, described so that any runner can do it, and judged the
//! same way whichever runner did.
//!
//! The io workload and `handspun download` both come down to a list of
//! [`Fetch`]es. A fetch is *ok* when a complete response with a 2xx status
//! arrives (after redirects) and, when the job says what body to expect,
//! the body passes [`check_body`]. The check runs where the download ran —
//! in a worker process too — so only the small [`Fetched`] summary travels
//! back, never the body.

#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

use super::io::{check_body, checksum};

/// One download to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fetch {
    /// The page, `http://host:port/path`.
    pub url: String,
    /// For the io workload: the body length the slow site sends, whose every
    /// byte is then checked. `None` (for `handspun download`): any body.
    pub expect_len: Option<usize>,
}

/// What a successful download hands back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fetched {
    /// Body length in bytes.
    pub bytes: usize,
    /// The body's checksum (FNV-1a), for comparing runs.
    pub checksum: u64,
}

/// Judges a complete response to `fetch`.
///
/// # Errors
///
/// A sentence saying what was wrong: a non-2xx status, or a body that fails
/// its check.
///
/// # Examples
///
/// ```
/// use handspun::workloads::fetch::{judge, Fetch};
///
/// let page = Fetch { url: "http://127.0.0.1:1/bytes/3".into(), expect_len: Some(3) };
/// assert_eq!(judge(&page, 200, b"abc").unwrap().bytes, 3);
/// assert!(judge(&page, 200, b"abd").is_err());
/// assert_eq!(judge(&page, 503, b"").unwrap_err(), "HTTP status 503, expected 2xx");
/// ```
pub fn judge(fetch: &Fetch, status: u16, body: &[u8]) -> Result<Fetched, String> {
    if !(200..300).contains(&status) {
        return Err(format!("HTTP status {status}, expected 2xx"));
    }
    let checksum = match fetch.expect_len {
        Some(len) => check_body(body, len).map_err(|e| e.to_string())?,
        None => checksum(body),
    };
    Ok(Fetched {
        bytes: body.len(),
        checksum,
    })
}

/// Downloads `fetch` with a blocking session and judges it. Also returns how
/// many new connections the session opened for it (0 when it reused one).
pub fn fetch_blocking(
    session: &crate::http::blocking::Session,
    fetch: &Fetch,
) -> (Result<Fetched, String>, u64) {
    let before = session.connections_opened();
    let outcome = match session.get(&fetch.url) {
        Ok(response) => judge(fetch, response.status, &response.body),
        Err(error) => Err(error.to_string()),
    };
    (outcome, session.connections_opened() - before)
}

/// Downloads `fetch` with the event loop's shared session and judges it.
///
/// # Errors
///
/// The HTTP error or the failed check, in words.
pub async fn fetch_async(session: &crate::http::Session, fetch: &Fetch) -> Result<Fetched, String> {
    judge_response(fetch, session.get(&fetch.url).await)
}

/// Downloads `fetch` with the work-stealing runtime's shared session (from
/// a task on any worker) and judges it.
///
/// # Errors
///
/// The HTTP error or the failed check, in words.
pub async fn fetch_stealing(
    session: &crate::http::stealing::Session,
    fetch: &Fetch,
) -> Result<Fetched, String> {
    judge_response(fetch, session.get(&fetch.url).await)
}

/// Judges what an async client's `get` gave back: the response, or its
/// error in words.
fn judge_response(
    fetch: &Fetch,
    response: Result<crate::http::Response, crate::http::Error>,
) -> Result<Fetched, String> {
    match response {
        Ok(response) => judge(fetch, response.status, &response.body),
        Err(error) => Err(error.to_string()),
    }
}
