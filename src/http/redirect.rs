//! Following redirects: at most N hops, and never the same URL twice.

use std::collections::HashSet;

use super::{Error, Response, Url};

/// The statuses that send a client elsewhere with a `Location` header.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Remembers where a request has been, to stop loops and long chains.
///
/// Both clients fetch a URL, then ask [`next`](Self::next) where to go; it
/// answers `None` when the response is final. Since the clients only send
/// `GET` (no body, no cookies), visiting a URL twice can only repeat what
/// already happened: that is a loop, reported at once rather than after
/// burning through the hop limit.
///
/// # Examples
///
/// ```
/// use handspun::http::{redirect::RedirectTracker, Error, Response, Url};
///
/// let a = Url::parse("http://example.test/a").unwrap();
/// let mut tracker = RedirectTracker::new(&a, 10);
/// let to_b = Response { status: 302, headers: vec![("Location".into(), "/b".into())], body: vec![] };
/// let b = tracker.next(&a, &to_b).unwrap().unwrap();
/// assert_eq!(b.target(), "/b");
/// let to_a = Response { status: 301, headers: vec![("Location".into(), "/a".into())], body: vec![] };
/// assert!(matches!(tracker.next(&b, &to_a), Err(Error::RedirectLoop { .. })));
/// ```
#[derive(Debug)]
pub struct RedirectTracker {
    /// Every URL fetched so far, the first included.
    visited: HashSet<Url>,
    /// Redirects followed so far.
    followed: usize,
    /// Most redirects allowed.
    limit: usize,
}

impl RedirectTracker {
    /// Starts at `first`, allowing `limit` redirects.
    pub fn new(first: &Url, limit: usize) -> RedirectTracker {
        RedirectTracker {
            visited: HashSet::from([first.clone()]),
            followed: 0,
            limit,
        }
    }

    /// Where to go after `response` to a request for `current`; `None` when
    /// the response is not a redirect.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRedirect`] without a usable `Location`,
    /// [`Error::RedirectLoop`] for a URL already visited,
    /// [`Error::TooManyRedirects`] past the limit, and the URL errors of
    /// [`Url::join`] (an `ftp://` target gives [`Error::UnsupportedScheme`],
    /// and so does `https://` without the `tls` feature).
    pub fn next(&mut self, current: &Url, response: &Response) -> Result<Option<Url>, Error> {
        if !is_redirect(response.status) {
            return Ok(None);
        }
        let location = response
            .header("location")
            .filter(|l| !l.trim().is_empty())
            .ok_or(Error::InvalidRedirect {
                status: response.status,
            })?;
        let next = current.join(location)?;
        if !self.visited.insert(next.clone()) {
            return Err(Error::RedirectLoop {
                url: next.to_string(),
            });
        }
        self.followed += 1;
        if self.followed > self.limit {
            return Err(Error::TooManyRedirects { limit: self.limit });
        }
        Ok(Some(next))
    }
}
