//! Message heads: the start line and the headers, read with `httparse`, written by us.
//!
//! A head is everything before the body: `GET /path HTTP/1.1` or
//! `HTTP/1.1 200 OK`, then `Name: value` lines, then an empty line.
//! [`RequestHead`] and [`ResponseHead`] hold one each, parsed into owned
//! strings so they outlive the buffer they came from. Parsing is `httparse`'s
//! job (a careful, well-fuzzed parser); framing the body that follows is
//! ours ([`body`](super::body)).

use super::{Error, Limits};

/// The request line and headers of a request.
///
/// # Examples
///
/// ```
/// use handspun::http::RequestHead;
///
/// let head = RequestHead::get("/bytes/3", "127.0.0.1:8080");
/// let mut bytes = Vec::new();
/// head.write_to(&mut bytes);
/// assert!(bytes.starts_with(b"GET /bytes/3 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"));
/// assert!(bytes.ends_with(b"\r\n\r\n"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    /// The method, such as `GET`.
    pub method: String,
    /// The request target: path and query, such as `/bytes/10?delay_ms=5`.
    pub target: String,
    /// The minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub minor_version: u8,
    /// Header lines in the order received; names keep their case.
    pub headers: Vec<(String, String)>,
}

/// The status line and headers of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code, such as 200.
    pub status: u16,
    /// The reason phrase, such as `OK` (informative only; may be empty).
    pub reason: String,
    /// The minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub minor_version: u8,
    /// Header lines in the order received; names keep their case.
    pub headers: Vec<(String, String)>,
}

/// Looks a header up by name, ignoring case; the first one wins.
///
/// # Examples
///
/// ```
/// let headers = vec![("Content-Length".to_string(), "5".to_string())];
/// assert_eq!(handspun::http::head::find_header(&headers, "content-length"), Some("5"));
/// ```
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// `true` when a `Connection` header lists `token` (`close`, `keep-alive`).
pub fn connection_has(headers: &[(String, String)], token: &str) -> bool {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Whether the connection may carry another message after this one:
/// HTTP/1.1 keeps it unless `Connection: close`; HTTP/1.0 closes it unless
/// `Connection: keep-alive`.
pub fn keeps_alive(minor_version: u8, headers: &[(String, String)]) -> bool {
    if minor_version >= 1 {
        !connection_has(headers, "close")
    } else {
        connection_has(headers, "keep-alive")
    }
}

impl RequestHead {
    /// A `GET` for `target` with the `Host` header set: what the clients send.
    pub fn get(target: &str, host: &str) -> RequestHead {
        RequestHead {
            method: "GET".to_string(),
            target: target.to_string(),
            minor_version: 1,
            headers: vec![("Host".to_string(), host.to_string())],
        }
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the connection may carry another request after this one.
    pub fn keeps_alive(&self) -> bool {
        keeps_alive(self.minor_version, &self.headers)
    }

    /// Appends the head in wire format (ending with the empty line) to `out`.
    ///
    /// The caller supplies valid tokens and values without CR or LF; the
    /// clients and the server only write heads they built themselves.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.target.as_bytes());
        out.push(b' ');
        out.extend_from_slice(version(self.minor_version));
        out.extend_from_slice(b"\r\n");
        write_headers(&self.headers, out);
    }

    /// Parses a complete head from the start of `buf`; returns it and its
    /// length in bytes. The [`codec`](super::codec) calls this once it has
    /// seen the empty line that ends the head.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] for a malformed head, [`Error::TooManyHeaders`] past
    /// `limits.max_headers`, [`Error::UnexpectedEof`] if `buf` holds only part
    /// of a head.
    pub fn parse(buf: &[u8], limits: &Limits) -> Result<(RequestHead, usize), Error> {
        let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
        let mut req = httparse::Request::new(&mut slots);
        let len = complete_len(req.parse(buf), limits)?;
        let head = RequestHead {
            method: req.method.unwrap_or_default().to_string(),
            target: req.path.unwrap_or_default().to_string(),
            minor_version: req.version.unwrap_or(1),
            headers: owned_headers(req.headers),
        };
        Ok((head, len))
    }
}

impl ResponseHead {
    /// A response head with the standard reason phrase for `status`.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::http::ResponseHead;
    ///
    /// let mut head = ResponseHead::new(404);
    /// head.headers.push(("Content-Length".into(), "0".into()));
    /// let mut bytes = Vec::new();
    /// head.write_to(&mut bytes);
    /// assert_eq!(bytes, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    /// ```
    pub fn new(status: u16) -> ResponseHead {
        ResponseHead {
            status,
            reason: reason_phrase(status).to_string(),
            minor_version: 1,
            headers: Vec::new(),
        }
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Whether the connection may carry another response after this one.
    pub fn keeps_alive(&self) -> bool {
        keeps_alive(self.minor_version, &self.headers)
    }

    /// Appends the head in wire format (ending with the empty line) to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(version(self.minor_version));
        out.extend_from_slice(format!(" {:03} ", self.status).as_bytes());
        out.extend_from_slice(self.reason.as_bytes());
        out.extend_from_slice(b"\r\n");
        write_headers(&self.headers, out);
    }

    /// Parses a complete head from the start of `buf`; see [`RequestHead::parse`].
    ///
    /// # Errors
    ///
    /// As [`RequestHead::parse`].
    pub fn parse(buf: &[u8], limits: &Limits) -> Result<(ResponseHead, usize), Error> {
        let mut slots = vec![httparse::EMPTY_HEADER; limits.max_headers];
        let mut res = httparse::Response::new(&mut slots);
        let len = complete_len(res.parse(buf), limits)?;
        let head = ResponseHead {
            status: res.code.unwrap_or_default(),
            reason: res.reason.unwrap_or_default().to_string(),
            minor_version: res.version.unwrap_or(1),
            headers: owned_headers(res.headers),
        };
        Ok((head, len))
    }
}

/// The protocol name of a start line: `HTTP/1.0` for minor version 0,
/// `HTTP/1.1` otherwise.
fn version(minor_version: u8) -> &'static [u8] {
    if minor_version == 0 {
        b"HTTP/1.0"
    } else {
        b"HTTP/1.1"
    }
}

/// The length of a head httparse has parsed, or why there is none: the
/// request and response parsers report in the same way.
fn complete_len(parsed: httparse::Result<usize>, limits: &Limits) -> Result<usize, Error> {
    match parsed {
        Ok(httparse::Status::Complete(len)) => Ok(len),
        Ok(httparse::Status::Partial) => Err(Error::UnexpectedEof { during: "head" }),
        Err(httparse::Error::TooManyHeaders) => Err(Error::TooManyHeaders {
            limit: limits.max_headers,
        }),
        Err(e) => Err(e.into()),
    }
}

/// Copies httparse's borrowed headers into owned strings. Values that are not
/// UTF-8 (legal but rare: `obs-text`) are converted lossily.
fn owned_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect()
}

/// Writes `Name: value\r\n` lines and the final empty line.
fn write_headers(headers: &[(String, String)], out: &mut Vec<u8>) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// The standard reason phrase of a status code (`""` for unknown codes).
///
/// # Examples
///
/// ```
/// assert_eq!(handspun::http::head::reason_phrase(431), "Request Header Fields Too Large");
/// ```
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        418 => "I'm a teapot",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
