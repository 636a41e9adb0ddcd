//! The slow site's endpoints: from a request head to a plan of what to send.
//!
//! Routing is pure: [`plan`] looks at the method and target and returns a
//! [`Plan`] — wait this long, send this head, then this body — without
//! touching a socket or a clock. The connection task
//! (`connection.rs`) carries the plan out on the event
//! loop, so a `delay_ms` becomes a loop timer, never a blocked thread.
//!
//! | endpoint | answer |
//! |---|---|
//! | `GET /bytes/{n}?delay_ms={d}` | after `d` ms, `n` bytes: byte `i` is `b'a' + i % 26` |
//! | `GET /chunked/{n}?chunk_size={k}` | the same `n` bytes, chunked, `k` bytes a chunk |
//! | `GET /drip?numbytes={n}&duration_ms={t}&delay_ms={d}` | after `d` ms, `n` bytes spread over `t` ms |
//! | `GET /status/{code}` | an empty response with that status (3xx ones point at `/status/200`) |
//! | `GET /redirect/{n}` | `302` to `/redirect/{n-1}`; `/redirect/0` answers `200 done` |
//! | `GET /redirect-loop` | `302` to itself, forever |
//! | `GET /close` | `200`, then the server closes the connection |
//! | `POST /echo` | the request body, back |
//! | `GET /` | this list, as text |
//!
//! `HEAD` works wherever `GET` does (the head without the body).

use std::time::Duration;

use crate::http::head::{RequestHead, ResponseHead};

/// Largest `n` for `/bytes` and `/chunked` (1 GiB); bodies are generated as
/// they are written, so this bounds time, not memory.
pub const MAX_BYTES: u64 = 1 << 30;
/// Longest `delay_ms` or `duration_ms` accepted (60 s).
pub const MAX_DELAY_MS: u64 = 60_000;
/// Largest `/drip` body (it is written a byte or a few at a time).
pub const MAX_DRIP_BYTES: u64 = 1 << 20;

/// How the body of a planned response is produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyPlan {
    /// No body (`Content-Length: 0`, or a `HEAD` request).
    Empty,
    /// These exact bytes.
    Fixed(Vec<u8>),
    /// `len` bytes of the slow-site pattern ([`expected_body_byte`](crate::http::expected_body_byte)).
    Pattern {
        /// Body length in bytes.
        len: u64,
    },
    /// The pattern, in chunks of `chunk` bytes, chunked transfer coding.
    PatternChunked {
        /// Body length in bytes.
        len: u64,
        /// Bytes per chunk (at least 1).
        chunk: u64,
    },
    /// The pattern, `len` bytes spread over `duration`.
    Drip {
        /// Body length in bytes.
        len: u64,
        /// Time from the first byte to the last.
        duration: Duration,
    },
    /// The request's own body (for `POST /echo`), sent back.
    Echo,
}

/// What to send for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Wait this long (on a loop timer) before sending anything.
    pub delay: Duration,
    /// The response head; framing headers are already set.
    pub head: ResponseHead,
    /// The body to send after the head.
    pub body: BodyPlan,
    /// Close the connection after this response.
    pub close: bool,
}

impl Plan {
    /// A response with a fixed body and no delay.
    fn fixed(status: u16, body: impl Into<Vec<u8>>) -> Plan {
        let body = body.into();
        let mut head = ResponseHead::new(status);
        head.headers
            .push(("Content-Type".into(), "text/plain".into()));
        head.headers
            .push(("Content-Length".into(), body.len().to_string()));
        Plan {
            delay: Duration::ZERO,
            head,
            body: if body.is_empty() {
                BodyPlan::Empty
            } else {
                BodyPlan::Fixed(body)
            },
            close: false,
        }
    }

    /// A 400 with a one-line explanation.
    fn bad_request(why: &str) -> Plan {
        Plan::fixed(400, format!("bad request: {why}\n"))
    }

    /// The plan for an error the server detects itself (timeouts, limits,
    /// garbage); the connection closes after it.
    pub fn error(status: u16, why: &str) -> Plan {
        let mut plan = Plan::fixed(status, format!("{why}\n"));
        plan.head
            .headers
            .push(("Connection".into(), "close".into()));
        plan.close = true;
        plan
    }

    /// A response announcing `len` bytes of the pattern after `delay`.
    fn pattern(len: u64, delay: Duration) -> Plan {
        let mut head = ResponseHead::new(200);
        head.headers
            .push(("Content-Type".into(), "application/octet-stream".into()));
        head.headers
            .push(("Content-Length".into(), len.to_string()));
        Plan {
            delay,
            head,
            body: BodyPlan::Pattern { len },
            close: false,
        }
    }
}

/// The path and query of a request target. An absolute-form target
/// (`http://host/path?query`, what a client sends to a proxy, and what a
/// server must accept too: RFC 9112 §3.2.2) loses its scheme and authority.
fn origin_form(target: &str) -> &str {
    let Some((scheme, rest)) = target.split_once("://") else {
        return target;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return target;
    }
    match rest.find(['/', '?']) {
        Some(at) => &rest[at..],
        None => "/",
    }
}

/// The index page: what `GET /` answers.
const INDEX: &str = "handspun slow site\n\
    GET /bytes/{n}?delay_ms={d}\n\
    GET /chunked/{n}?chunk_size={k}\n\
    GET /drip?numbytes={n}&duration_ms={t}&delay_ms={d}\n\
    GET /status/{code}\n\
    GET /redirect/{n}\n\
    GET /redirect-loop\n\
    GET /close\n\
    POST /echo\n";

/// Decides the response to `request`. The connection task adds
/// `Connection: close` when the client asked for it or the server is
/// shutting down.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::http::server::routes::{plan, BodyPlan};
/// use handspun::http::RequestHead;
///
/// let p = plan(&RequestHead::get("/bytes/1024?delay_ms=60", "x"));
/// assert_eq!(p.delay, Duration::from_millis(60));
/// assert_eq!(p.body, BodyPlan::Pattern { len: 1024 });
/// assert_eq!(plan(&RequestHead::get("/nope", "x")).head.status, 404);
/// ```
pub fn plan(request: &RequestHead) -> Plan {
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1, never two in any version.
    let hosts = request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("host"))
        .count();
    if hosts > 1 {
        return Plan::error(400, "bad request: more than one Host header");
    }
    if hosts == 0 && request.minor_version >= 1 {
        return Plan::error(400, "bad request: an HTTP/1.1 request needs a Host header");
    }
    let target = origin_form(&request.target);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let is_get = matches!(request.method.as_str(), "GET" | "HEAD");
    let mut plan = match (segments.as_slice(), is_get) {
        (["echo"], _) if request.method == "POST" => {
            let mut head = ResponseHead::new(200);
            head.headers
                .push(("Content-Type".into(), "application/octet-stream".into()));
            Plan {
                delay: Duration::ZERO,
                head,
                body: BodyPlan::Echo,
                close: false,
            }
        }
        (_, false) => {
            let mut plan = Plan::fixed(
                405,
                "method not allowed: use GET or HEAD (POST for /echo)\n",
            );
            plan.head.headers.push(("Allow".into(), "GET, HEAD".into()));
            plan
        }
        ([""], true) => Plan::fixed(200, INDEX),
        (["bytes", n], true) => bytes(n, query),
        (["chunked", n], true) => chunked(n, query),
        (["drip"], true) => drip(query),
        (["status", code], true) => status(code),
        (["redirect", n], true) => match n.parse::<u32>() {
            Ok(0) => Plan::fixed(200, "done"),
            Ok(n) => redirect(&format!("/redirect/{}", n - 1)),
            Err(_) => Plan::bad_request("/redirect/{n} needs a number"),
        },
        (["redirect-loop"], true) => redirect("/redirect-loop"),
        (["close"], true) => {
            let mut plan = Plan::fixed(200, "bye\n");
            plan.head
                .headers
                .push(("Connection".into(), "close".into()));
            plan.close = true;
            plan
        }
        _ => Plan::fixed(404, "not found: see GET / for the endpoints\n"),
    };
    if request.method == "HEAD" {
        plan.body = BodyPlan::Empty;
    }
    plan
}

/// `/bytes/{n}?delay_ms={d}`.
fn bytes(n: &str, query: &str) -> Plan {
    let Some(len) = number(n, MAX_BYTES) else {
        return Plan::bad_request("/bytes/{n} needs n in 0..=1073741824");
    };
    let Some(delay) = delay_param(query, "delay_ms") else {
        return Plan::bad_request("delay_ms must be a number of milliseconds up to 60000");
    };
    Plan::pattern(len, delay)
}

/// `/chunked/{n}?chunk_size={k}`.
fn chunked(n: &str, query: &str) -> Plan {
    let (Some(len), Some(chunk)) = (
        number(n, MAX_BYTES),
        param(query, "chunk_size").map_or(Some(1024), |k| number(k, MAX_BYTES)),
    ) else {
        return Plan::bad_request("/chunked/{n}?chunk_size={k} needs numbers");
    };
    let mut head = ResponseHead::new(200);
    head.headers
        .push(("Content-Type".into(), "application/octet-stream".into()));
    head.headers
        .push(("Transfer-Encoding".into(), "chunked".into()));
    Plan {
        delay: Duration::ZERO,
        head,
        body: BodyPlan::PatternChunked {
            len,
            chunk: chunk.max(1),
        },
        close: false,
    }
}

/// `/drip?numbytes={n}&duration_ms={t}&delay_ms={d}`.
fn drip(query: &str) -> Plan {
    let len = param(query, "numbytes").map_or(Some(10), |n| number(n, MAX_DRIP_BYTES));
    let (Some(len), Some(duration), Some(delay)) = (
        len,
        delay_param(query, "duration_ms"),
        delay_param(query, "delay_ms"),
    ) else {
        return Plan::bad_request("/drip needs numbytes <= 1048576 and times <= 60000 ms");
    };
    let mut plan = Plan::pattern(len, delay);
    plan.body = BodyPlan::Drip { len, duration };
    plan
}

/// `/status/{code}`.
fn status(code: &str) -> Plan {
    match code.parse::<u16>() {
        Ok(code @ 200..=599) => {
            let mut plan = Plan::fixed(code, "");
            if crate::http::redirect::is_redirect(code) {
                plan.head
                    .headers
                    .push(("Location".into(), "/status/200".into()));
            }
            plan
        }
        _ => Plan::bad_request("/status/{code} needs a code in 200..=599"),
    }
}

/// A `302 Found` to `location`.
fn redirect(location: &str) -> Plan {
    let mut plan = Plan::fixed(302, "");
    plan.head.headers.push(("Location".into(), location.into()));
    plan
}

/// A decimal number no larger than `max`.
fn number(text: &str, max: u64) -> Option<u64> {
    text.parse().ok().filter(|&n| n <= max)
}

/// The value of `name` in a query string.
fn param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// A millisecond parameter (absent means zero).
fn delay_param(query: &str, name: &str) -> Option<Duration> {
    match param(query, name) {
        None => Some(Duration::ZERO),
        Some(ms) => number(ms, MAX_DELAY_MS).map(Duration::from_millis),
    }
}
