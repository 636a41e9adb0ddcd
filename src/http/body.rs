//! Body framing: where a message's body ends, and the chunked transfer coding.
//!
//! HTTP/1.1 has three ways to say how long a body is (RFC 9112 §6):
//!
//! 1. `Content-Length: n` — exactly `n` bytes follow.
//! 2. `Transfer-Encoding: chunked` — a sequence of `size-in-hex CRLF data CRLF`
//!    chunks, ended by a zero-size chunk and optional trailer lines.
//! 3. Neither, on a response — the body runs until the server closes the
//!    connection (so that connection cannot be reused).
//!
//! Some messages have no body whatever the headers say: responses to `HEAD`,
//! `1xx`, `204` and `304` responses, and requests without either header.
//! [`request_framing`] and [`response_framing`] apply those rules to a head;
//! [`BodyDecoder`] is the state machine that then walks the body bytes.
//! [`encode_chunk`] and [`encode_last_chunk`] write the chunked coding.

use std::ops::Range;

use super::head::{RequestHead, ResponseHead};
use super::{Error, Limits};

/// How the body of one message is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body at all.
    Empty,
    /// Exactly this many bytes (from `Content-Length`).
    Length(u64),
    /// The chunked transfer coding.
    Chunked,
    /// Everything until the peer closes the connection (responses only).
    UntilClose,
}

/// The framing of a request's body: chunked, a length, or none.
///
/// # Errors
///
/// [`Error::InvalidContentLength`], [`Error::ConflictingContentLength`],
/// [`Error::UnsupportedTransferEncoding`], or [`Error::BodyTooLarge`] when the
/// declared length exceeds `limits.max_body_bytes`; [`Error::AmbiguousFraming`]
/// for both `Content-Length` and `Transfer-Encoding`, and
/// [`Error::TransferEncodingInHttp10`] — after either, the connection must
/// close (RFC 9112 §6.1).
pub fn request_framing(head: &RequestHead, limits: &Limits) -> Result<Framing, Error> {
    let has = |name: &str| {
        head.headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if has("transfer-encoding") {
        if head.minor_version == 0 {
            return Err(Error::TransferEncodingInHttp10);
        }
        if has("content-length") {
            return Err(Error::AmbiguousFraming);
        }
    }
    match framing_from_headers(&head.headers, limits)? {
        Some(framing) => Ok(framing),
        None => Ok(Framing::Empty),
    }
}

/// The framing of a response's body; `request_was_head` says whether it
/// answers a `HEAD` request (then it has no body whatever it declares).
///
/// # Errors
///
/// As [`request_framing`].
///
/// # Examples
///
/// ```
/// use handspun::http::{body::{response_framing, Framing}, Limits, ResponseHead};
///
/// let mut head = ResponseHead::new(200);
/// head.headers.push(("Content-Length".into(), "12".into()));
/// assert_eq!(response_framing(&head, false, &Limits::default()).unwrap(), Framing::Length(12));
/// assert_eq!(response_framing(&head, true, &Limits::default()).unwrap(), Framing::Empty);
/// ```
pub fn response_framing(
    head: &ResponseHead,
    request_was_head: bool,
    limits: &Limits,
) -> Result<Framing, Error> {
    if request_was_head || (100..200).contains(&head.status) || matches!(head.status, 204 | 304) {
        return Ok(Framing::Empty);
    }
    match framing_from_headers(&head.headers, limits)? {
        Some(framing) => Ok(framing),
        None => Ok(Framing::UntilClose),
    }
}

/// `Transfer-Encoding` wins over `Content-Length` (RFC 9112 §6.3); `None`
/// when the headers say nothing about the body.
fn framing_from_headers(
    headers: &[(String, String)],
    limits: &Limits,
) -> Result<Option<Framing>, Error> {
    let codings: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if !codings.is_empty() {
        return if codings.len() == 1 && codings[0].eq_ignore_ascii_case("chunked") {
            Ok(Some(Framing::Chunked))
        } else {
            Err(Error::UnsupportedTransferEncoding {
                value: codings.join(", "),
            })
        };
    }
    match content_length(headers)? {
        Some(n) if n > limits.max_body_bytes => Err(Error::BodyTooLarge {
            limit: limits.max_body_bytes,
        }),
        Some(n) => Ok(Some(Framing::Length(n))),
        None => Ok(None),
    }
}

/// The value of `Content-Length`, if any. Repeated headers or
/// comma-separated lists are accepted only when every value is the same.
///
/// # Errors
///
/// [`Error::InvalidContentLength`] for anything but 1 to 19 decimal digits
/// (so `-1`, `+5`, `0x10` and `1e3` are all refused);
/// [`Error::ConflictingContentLength`] for two different values.
pub fn content_length(headers: &[(String, String)]) -> Result<Option<u64>, Error> {
    let mut found: Option<u64> = None;
    let values = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .flat_map(|(_, v)| v.split(','));
    for raw in values {
        let value = raw.trim();
        let valid =
            !value.is_empty() && value.len() <= 19 && value.bytes().all(|b| b.is_ascii_digit());
        let n: u64 = match value.parse() {
            Ok(n) if valid => n,
            _ => {
                return Err(Error::InvalidContentLength {
                    value: printable(raw.as_bytes()),
                })
            }
        };
        match found {
            Some(first) if first != n => {
                return Err(Error::ConflictingContentLength { first, second: n })
            }
            _ => found = Some(n),
        }
    }
    Ok(found)
}

/// Longest chunk-size line (hex digits plus extensions) we accept.
const MAX_CHUNK_LINE: usize = 4096;

/// What one call to [`BodyDecoder::decode`] achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Bytes at the front of the input that are used up and may be dropped.
    pub consumed: usize,
    /// Body bytes found, as a range of the input (within `..consumed`).
    pub data: Option<Range<usize>>,
    /// `true` once the body is complete.
    pub done: bool,
}

/// Where a [`BodyDecoder`] is in a chunked body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkedState {
    /// Expecting a `size[;ext]CRLF` line.
    Size,
    /// Inside a chunk's data; this many bytes remain.
    Data(u64),
    /// After a chunk's data; expecting its CRLF.
    DataEnd,
    /// After the zero-size chunk: trailer lines until an empty line; the
    /// number is the trailer bytes seen so far (bounded by the head limit).
    Trailers(usize),
}

/// The state machine that walks one body, given its [`Framing`].
///
/// It never buffers: each call looks at the bytes it is given, says how many
/// it used and which of them are body data. The [`codec`](super::codec) owns
/// the buffer.
#[derive(Debug, Clone)]
pub struct BodyDecoder {
    /// How the body is delimited.
    framing: Framing,
    /// Bytes left for [`Framing::Length`].
    remaining: u64,
    /// Position inside a chunked body.
    chunked: ChunkedState,
    /// Body bytes delivered so far (checked against the body limit).
    received: u64,
    /// The limits in force.
    limits: Limits,
}

impl BodyDecoder {
    /// A decoder for a body framed as `framing`.
    pub fn new(framing: Framing, limits: Limits) -> BodyDecoder {
        let remaining = match framing {
            Framing::Length(n) => n,
            _ => 0,
        };
        BodyDecoder {
            framing,
            remaining,
            chunked: ChunkedState::Size,
            received: 0,
            limits,
        }
    }

    /// Advances over `input` (the bytes not yet consumed); `eof` says the
    /// peer has closed, so no more bytes will come.
    ///
    /// # Errors
    ///
    /// [`Error::UnexpectedEof`] when the connection closes early,
    /// [`Error::InvalidChunkSize`] / [`Error::InvalidChunkedEncoding`] for a
    /// broken chunked body, [`Error::BodyTooLarge`] past the body limit,
    /// [`Error::HeaderTooLarge`] for oversized trailers.
    pub fn decode(&mut self, input: &[u8], eof: bool) -> Result<Step, Error> {
        let step = match self.framing {
            Framing::Empty => Step {
                consumed: 0,
                data: None,
                done: true,
            },
            Framing::Length(_) => {
                let take = (input.len() as u64).min(self.remaining) as usize;
                self.remaining -= take as u64;
                if self.remaining > 0 && take == input.len() && eof {
                    return Err(Error::UnexpectedEof { during: "body" });
                }
                Step {
                    consumed: take,
                    data: (take > 0).then_some(0..take),
                    done: self.remaining == 0,
                }
            }
            Framing::UntilClose => Step {
                consumed: input.len(),
                data: (!input.is_empty()).then_some(0..input.len()),
                done: eof,
            },
            Framing::Chunked => self.decode_chunked(input, eof)?,
        };
        if let Some(data) = &step.data {
            self.received += data.len() as u64;
            if self.received > self.limits.max_body_bytes {
                return Err(Error::BodyTooLarge {
                    limit: self.limits.max_body_bytes,
                });
            }
        }
        Ok(step)
    }

    /// One step of the chunked state machine: at most one line or one run of
    /// data, so the caller sees data as soon as it arrives.
    fn decode_chunked(&mut self, input: &[u8], eof: bool) -> Result<Step, Error> {
        let need_more = |eof: bool| {
            if eof {
                Err(Error::UnexpectedEof { during: "body" })
            } else {
                Ok(Step {
                    consumed: 0,
                    data: None,
                    done: false,
                })
            }
        };
        match self.chunked {
            ChunkedState::Size => {
                let Some(line_end) = input.iter().take(MAX_CHUNK_LINE).position(|&b| b == b'\n')
                else {
                    if input.len() >= MAX_CHUNK_LINE {
                        return Err(Error::InvalidChunkSize {
                            line: printable(&input[..64]),
                        });
                    }
                    return need_more(eof);
                };
                let size = parse_chunk_size(&input[..line_end])?;
                if self.received.saturating_add(size) > self.limits.max_body_bytes {
                    return Err(Error::BodyTooLarge {
                        limit: self.limits.max_body_bytes,
                    });
                }
                self.chunked = if size == 0 {
                    ChunkedState::Trailers(0)
                } else {
                    ChunkedState::Data(size)
                };
                Ok(Step {
                    consumed: line_end + 1,
                    data: None,
                    done: false,
                })
            }
            ChunkedState::Data(left) => {
                if input.is_empty() {
                    return need_more(eof);
                }
                let take = (input.len() as u64).min(left) as usize;
                self.chunked = if take as u64 == left {
                    ChunkedState::DataEnd
                } else {
                    ChunkedState::Data(left - take as u64)
                };
                Ok(Step {
                    consumed: take,
                    data: Some(0..take),
                    done: false,
                })
            }
            ChunkedState::DataEnd => {
                let used = match input {
                    [b'\r', b'\n', ..] => 2,
                    [b'\n', ..] => 1,
                    [] | [b'\r'] => return need_more(eof),
                    _ => {
                        return Err(Error::InvalidChunkedEncoding {
                            reason: "expected CRLF after chunk data",
                        })
                    }
                };
                self.chunked = ChunkedState::Size;
                Ok(Step {
                    consumed: used,
                    data: None,
                    done: false,
                })
            }
            ChunkedState::Trailers(seen) => {
                let Some(line_end) = input.iter().position(|&b| b == b'\n') else {
                    if seen + input.len() > self.limits.max_head_bytes {
                        return Err(Error::HeaderTooLarge {
                            limit: self.limits.max_head_bytes,
                        });
                    }
                    return need_more(eof);
                };
                let line = &input[..line_end];
                let empty = line.is_empty() || line == b"\r";
                let seen = seen + line_end + 1;
                if seen > self.limits.max_head_bytes {
                    return Err(Error::HeaderTooLarge {
                        limit: self.limits.max_head_bytes,
                    });
                }
                self.chunked = ChunkedState::Trailers(seen);
                Ok(Step {
                    consumed: line_end + 1,
                    data: None,
                    done: empty,
                })
            }
        }
    }
}

/// Parses `1a2b[ ;ext=val]\r` (the line without its `\n`).
fn parse_chunk_size(line: &[u8]) -> Result<u64, Error> {
    let invalid = || Error::InvalidChunkSize {
        line: printable(&line[..line.len().min(64)]),
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 15 {
        return Err(invalid());
    }
    let rest = &line[digits..];
    let rest_ok = rest.iter().all(|&b| b == b' ' || b == b'\t')
        || rest
            .iter()
            .position(|&b| b == b';')
            .is_some_and(|i| rest[..i].iter().all(|&b| b == b' ' || b == b'\t'));
    if !rest_ok {
        return Err(invalid());
    }
    let text = std::str::from_utf8(&line[..digits]).map_err(|_| invalid())?;
    u64::from_str_radix(text, 16).map_err(|_| invalid())
}

/// Appends one chunk holding `data`. Empty data writes nothing, because a
/// zero-size chunk would end the body.
///
/// # Examples
///
/// ```
/// use handspun::http::body::{encode_chunk, encode_last_chunk};
///
/// let mut out = Vec::new();
/// encode_chunk(b"hello, world", &mut out);
/// encode_last_chunk(&mut out);
/// assert_eq!(out, b"c\r\nhello, world\r\n0\r\n\r\n");
/// ```
pub fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the zero-size chunk and the empty trailer section that end a chunked body.
pub fn encode_last_chunk(out: &mut Vec<u8>) {
    out.extend_from_slice(b"0\r\n\r\n");
}

/// Bytes made safe to print in an error message (at most 64 of them).
pub(crate) fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(64)
        .flat_map(|&b| std::ascii::escape_default(b))
        .map(char::from)
        .collect()
}
