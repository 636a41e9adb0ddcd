//! `http://` and `https://` URLs: just enough parsing to open a connection and follow a redirect.
//!
//! A full URL parser (WHATWG's) handles IDNA, percent-encoding rules and
//! dot-segment removal; a production client would use one. Here a URL is
//! four things — scheme, host, port, and the request target (path plus
//! query) — which is all a client needs to write `GET target HTTP/1.1`.
//! `https://` parses only when the crate is built with the `tls` feature
//! (on by default); without it, it is an [`Error::UnsupportedScheme`].

use std::fmt;

use super::Error;

/// Which protocol sits under HTTP: plain TCP, or TLS over TCP.
///
/// # Examples
///
/// ```
/// use handspun::http::url::Scheme;
///
/// assert_eq!(Scheme::Http.default_port(), 80);
/// assert_eq!(Scheme::Https.default_port(), 443);
/// assert_eq!(Scheme::Https.as_str(), "https");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http://`: HTTP straight over TCP, port 80 by default.
    Http,
    /// `https://`: HTTP over TLS over TCP, port 443 by default.
    Https,
}

impl Scheme {
    /// The port a URL of this scheme means when it names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// The scheme as written in a URL, lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The scheme named `name` (any case), if this build speaks it.
    fn from_name(name: &str) -> Option<Scheme> {
        if name.eq_ignore_ascii_case("http") {
            Some(Scheme::Http)
        } else if cfg!(feature = "tls") && name.eq_ignore_ascii_case("https") {
            Some(Scheme::Https)
        } else {
            None
        }
    }
}

/// A parsed absolute `http://` or `https://` URL.
///
/// # Examples
///
/// ```
/// use handspun::http::Url;
///
/// let url = Url::parse("http://127.0.0.1:8080/bytes/10?delay_ms=5").unwrap();
/// assert_eq!(url.host(), "127.0.0.1");
/// assert_eq!(url.port(), 8080);
/// assert_eq!(url.target(), "/bytes/10?delay_ms=5");
/// assert_eq!(url.to_string(), "http://127.0.0.1:8080/bytes/10?delay_ms=5");
///
/// let next = url.join("/status/200").unwrap();
/// assert_eq!(next.to_string(), "http://127.0.0.1:8080/status/200");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url {
    /// `http` or `https`.
    scheme: Scheme,
    /// Host name or IP address; an IPv6 address keeps its brackets.
    host: String,
    /// TCP port; the scheme's default (80 or 443) when the URL names none.
    port: u16,
    /// Path and query, always starting with `/`; the fragment is dropped.
    target: String,
}

impl Url {
    /// Parses an absolute URL.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedScheme`] for any scheme but `http` and `https`
    /// (and for `https` too without the `tls` feature), [`Error::InvalidUrl`] when there is no scheme, no host, a
    /// bad port, user info, or whitespace.
    pub fn parse(input: &str) -> Result<Url, Error> {
        let invalid = |reason| Error::InvalidUrl {
            url: input.to_string(),
            reason,
        };
        if input
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(invalid("contains whitespace or control characters"));
        }
        let (scheme, rest) = input
            .split_once("://")
            .ok_or_else(|| invalid("missing scheme (expected http://host/path)"))?;
        let Some(scheme) = Scheme::from_name(scheme) else {
            if scheme.is_empty()
                || !scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            {
                return Err(invalid("invalid scheme"));
            }
            return Err(Error::UnsupportedScheme {
                scheme: scheme.to_ascii_lowercase(),
            });
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(invalid("user info (user@host) is not supported"));
        }
        let (host, port) = split_host_port(authority, scheme.default_port())
            .ok_or_else(|| invalid("invalid host or port"))?;
        let target = match target {
            "" => "/".to_string(),
            t if t.starts_with('?') => format!("/{t}"),
            t => t.to_string(),
        };
        Ok(Url {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            target,
        })
    }

    /// Resolves `location` (a redirect's `Location` value) against this URL:
    /// absolute URLs replace it, `//host/...` keeps the scheme, `/path` keeps
    /// the authority, `?query` keeps the path, and `path` replaces the last
    /// segment of the path. Dot segments (`../`) are kept as they are, a
    /// shortcut: servers resolve them, and a full URL library would.
    ///
    /// # Errors
    ///
    /// The errors of [`Url::parse`] for the resolved URL.
    pub fn join(&self, location: &str) -> Result<Url, Error> {
        let location = location.trim();
        let scheme = self.scheme.as_str();
        if location.contains("://") {
            Url::parse(location)
        } else if let Some(rest) = location.strip_prefix("//") {
            Url::parse(&format!("{scheme}://{rest}"))
        } else if location.starts_with('/') {
            Url::parse(&format!("{scheme}://{}{}", self.authority(), location))
        } else if location.is_empty() {
            Ok(self.clone())
        } else if location.starts_with('?') {
            let path = self.target.split('?').next().unwrap_or("/");
            Url::parse(&format!(
                "{scheme}://{}{}{}",
                self.authority(),
                path,
                location
            ))
        } else {
            let path = self.target.split('?').next().unwrap_or("/");
            let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            Url::parse(&format!(
                "{scheme}://{}{}{}",
                self.authority(),
                dir,
                location
            ))
        }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host, lower-cased; IPv6 addresses keep their brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port (the scheme's default, 80 or 443, unless the URL says otherwise).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request target: path and query, starting with `/`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// `host:port`, the address to dial.
    pub fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// `scheme://host:port`, the key of a connection pool: a plain and a
    /// TLS connection to the same address are not interchangeable.
    pub fn origin(&self) -> String {
        format!("{}://{}:{}", self.scheme.as_str(), self.host, self.port)
    }

    /// The value of the `Host` header: the port is left out when it is
    /// the scheme's default.
    pub fn host_header(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host.clone()
        } else {
            self.authority()
        }
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.scheme.as_str();
        write!(f, "{scheme}://{}:{}{}", self.host, self.port, self.target)
    }
}

/// Splits `host[:port]` or `[v6]:port` (`default_port` when none is
/// given); `None` when the host is empty or the port is not a number in
/// 1..=65535.
fn split_host_port(authority: &str, default_port: u16) -> Option<(&str, u16)> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, rest) = authority.split_at(close + 1);
        match rest {
            "" => (host, None),
            r => (host, Some(r.strip_prefix(':')?)),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host == "[]" {
        return None;
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok().filter(|&p| p != 0)?,
        Some(_) => return None,
    };
    Some((host, port))
}
