//! The sans-I/O core: bytes in, message events out. The only HTTP parser in handspun.
//!
//! A [`Decoder`] never touches a socket. Whoever owns the connection — the
//! blocking client, the async client, the server — reads bytes however it
//! likes and hands them to [`Decoder::feed`], then pulls [`Event`]s out of
//! [`Decoder::next_event`] until it answers `Ok(None)` ("need more bytes").
//! When the peer closes, [`Decoder::feed_eof`] says so, and the decoder
//! decides whether that ended the message or cut it short.
//!
//! ```text
//!            feed(bytes) ─►┌──────────────┐─► Event::Head(head)
//!            feed_eof()  ─►│   Decoder    │─► Event::Data(bytes)  (zero or more)
//!                          └──────────────┘─► Event::End
//! ```
//!
//! Keeping I/O out makes the same code serve blocking sockets, event-loop
//! sockets and tests that feed one byte at a time (the property tests do).
//! It also makes every limit one `if` in one place: the head buffer never
//! grows past [`Limits::max_head_bytes`], and body bytes leave the buffer as
//! soon as they are returned.
//!
//! After one message ends the decoder waits for the next head, keeping any
//! bytes already buffered: that is how the server answers pipelined requests.

use std::marker::PhantomData;

use super::body::{request_framing, response_framing, BodyDecoder, Framing};
use super::head::{RequestHead, ResponseHead};
use super::{Error, Limits};

/// A head type the [`Decoder`] can parse: [`RequestHead`] or [`ResponseHead`].
pub trait MessageHead: Sized {
    /// Parses a complete head (the caller found its empty line) from the
    /// start of `buf`; returns it and its length.
    ///
    /// # Errors
    ///
    /// A malformed head or too many headers.
    fn parse(buf: &[u8], limits: &Limits) -> Result<(Self, usize), Error>;

    /// How the body after this head is delimited.
    ///
    /// # Errors
    ///
    /// Invalid or conflicting length headers, an unsupported transfer coding,
    /// a declared body over the limit.
    fn framing(&self, request_was_head: bool, limits: &Limits) -> Result<Framing, Error>;

    /// `true` for an interim response (`1xx` other than `101`), which the
    /// decoder skips: the real response follows it.
    fn is_interim(&self) -> bool {
        false
    }
}

impl MessageHead for RequestHead {
    fn parse(buf: &[u8], limits: &Limits) -> Result<(Self, usize), Error> {
        RequestHead::parse(buf, limits)
    }

    fn framing(&self, _request_was_head: bool, limits: &Limits) -> Result<Framing, Error> {
        request_framing(self, limits)
    }
}

impl MessageHead for ResponseHead {
    fn parse(buf: &[u8], limits: &Limits) -> Result<(Self, usize), Error> {
        ResponseHead::parse(buf, limits)
    }

    fn framing(&self, request_was_head: bool, limits: &Limits) -> Result<Framing, Error> {
        response_framing(self, request_was_head, limits)
    }

    fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
}

/// What the decoder found in the bytes fed so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<H> {
    /// A complete head. Body events follow.
    Head(H),
    /// Some body bytes (never empty).
    Data(Vec<u8>),
    /// The message is complete; the next event, if any, starts a new message.
    End,
}

/// Where the decoder is within the current message.
#[derive(Debug)]
enum State {
    /// Waiting for (the rest of) a head.
    Head,
    /// Walking a body; `end_pending` is set when the last data event also
    /// finished the body, so `End` is owed on the next call.
    Body {
        /// The body's state machine.
        body: BodyDecoder,
        /// `End` must be returned next.
        end_pending: bool,
    },
    /// An error was returned; the connection must be closed.
    Failed,
}

/// The incremental HTTP/1.1 message decoder. See the [module docs](self).
///
/// # Examples
///
/// ```
/// use handspun::http::codec::{Event, ResponseDecoder};
/// use handspun::http::Limits;
///
/// let mut decoder = ResponseDecoder::new(Limits::default());
/// decoder.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel");
/// let Some(Event::Head(head)) = decoder.next_event().unwrap() else { panic!() };
/// assert_eq!(head.status, 200);
/// assert_eq!(decoder.next_event().unwrap(), Some(Event::Data(b"hel".to_vec())));
/// assert_eq!(decoder.next_event().unwrap(), None); // needs more bytes
/// decoder.feed(b"lo");
/// assert_eq!(decoder.next_event().unwrap(), Some(Event::Data(b"lo".to_vec())));
/// assert_eq!(decoder.next_event().unwrap(), Some(Event::End));
/// ```
#[derive(Debug)]
pub struct Decoder<H> {
    /// The limits every message is checked against.
    limits: Limits,
    /// Bytes fed but not yet consumed live in `buf[start..]`.
    buf: Vec<u8>,
    /// Start of the unconsumed bytes; compacted away on the next `feed`.
    start: usize,
    /// How far (absolute index into `buf`) the search for the end of the
    /// head has looked, so a head that trickles in is scanned once, not
    /// once per byte.
    scanned: usize,
    /// The peer closed: no more bytes will be fed.
    eof: bool,
    /// Responses to a HEAD request carry no body.
    request_was_head: bool,
    /// Position in the current message.
    state: State,
    /// Which kind of head this decoder parses.
    _head: PhantomData<H>,
}

/// Decodes requests (the server's side).
pub type RequestDecoder = Decoder<RequestHead>;
/// Decodes responses (a client's side).
pub type ResponseDecoder = Decoder<ResponseHead>;

impl<H: MessageHead> Decoder<H> {
    /// A decoder waiting for the first head.
    pub fn new(limits: Limits) -> Decoder<H> {
        Decoder {
            limits,
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            eof: false,
            request_was_head: false,
            state: State::Head,
            _head: PhantomData,
        }
    }

    /// Tells a response decoder that the request was `HEAD`, so the response
    /// has no body whatever its headers say.
    pub fn set_request_was_head(&mut self, was_head: bool) {
        self.request_was_head = was_head;
    }

    /// Appends bytes read from the peer. Bytes fed after an error are dropped.
    pub fn feed(&mut self, bytes: &[u8]) {
        if matches!(self.state, State::Failed) {
            return;
        }
        if self.start > 0 && (self.start == self.buf.len() || self.start >= self.buf.len() / 2) {
            self.buf.drain(..self.start);
            self.scanned = self.scanned.saturating_sub(self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Records that the peer closed the connection.
    pub fn feed_eof(&mut self) {
        self.eof = true;
    }

    /// Bytes fed and not yet consumed by an event.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Gives the buffer's memory back while the decoder is idle (between
    /// messages, nothing buffered), so that a connection waiting for its
    /// next request holds no buffer. Does nothing otherwise.
    pub fn release_if_idle(&mut self) {
        if self.is_idle() {
            self.buf = Vec::new();
            self.start = 0;
            self.scanned = 0;
        }
    }

    /// `true` between messages with nothing buffered: a close now is a
    /// clean close, and a server may treat a timeout as "idle", not "slow".
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Head) && self.buffered() == 0
    }

    /// The next event, or `Ok(None)` when more bytes are needed.
    ///
    /// # Errors
    ///
    /// Any message error (see [`Error`]); [`Error::ConnectionClosed`] when
    /// the peer closed between messages. After an error the decoder stays
    /// failed: the connection must be closed.
    pub fn next_event(&mut self) -> Result<Option<Event<H>>, Error> {
        let result = self.advance();
        if result.is_err() {
            self.state = State::Failed;
            self.buf = Vec::new();
            self.start = 0;
            self.scanned = 0;
        }
        result
    }

    /// [`next_event`](Self::next_event) without the failure bookkeeping.
    fn advance(&mut self) -> Result<Option<Event<H>>, Error> {
        loop {
            match &mut self.state {
                State::Failed => return Err(Error::ConnectionClosed),
                State::Head => match self.take_head()? {
                    None => return Ok(None),
                    Some(head) if head.is_interim() => continue,
                    Some(head) => {
                        let framing = head.framing(self.request_was_head, &self.limits)?;
                        self.state = State::Body {
                            body: BodyDecoder::new(framing, self.limits),
                            end_pending: false,
                        };
                        return Ok(Some(Event::Head(head)));
                    }
                },
                State::Body { body, end_pending } => {
                    if *end_pending {
                        self.state = State::Head;
                        return Ok(Some(Event::End));
                    }
                    let step = body.decode(&self.buf[self.start..], self.eof)?;
                    let data = step
                        .data
                        .map(|r| self.buf[self.start + r.start..self.start + r.end].to_vec());
                    self.start += step.consumed;
                    match (data, step.done) {
                        (Some(data), done) => {
                            *end_pending = done;
                            return Ok(Some(Event::Data(data)));
                        }
                        (None, true) => {
                            self.state = State::Head;
                            return Ok(Some(Event::End));
                        }
                        (None, false) if step.consumed == 0 => return Ok(None),
                        (None, false) => continue,
                    }
                }
            }
        }
    }

    /// Parses a head once its empty line has arrived.
    fn take_head(&mut self) -> Result<Option<H>, Error> {
        let pending = &self.buf[self.start..];
        if pending.is_empty() {
            return if self.eof {
                Err(Error::ConnectionClosed)
            } else {
                Ok(None)
            };
        }
        let from = self.scanned.max(self.start) - self.start;
        let Some(head_len) = find_head_end(pending, from) else {
            // Refuse at once what cannot begin a message — a TLS handshake
            // on a plain port, an HTTP/0.9 request — rather than wait for an
            // empty line that will never come. Only the first bytes are
            // checked, so a head that trickles in costs no quadratic work.
            if pending.len() <= EARLY_CHECK_BYTES {
                if let Err(error @ Error::Parse(_)) = H::parse(pending, &self.limits) {
                    return Err(error);
                }
            }
            if pending.len() > self.limits.max_head_bytes {
                return Err(Error::HeaderTooLarge {
                    limit: self.limits.max_head_bytes,
                });
            }
            if self.eof {
                return Err(Error::UnexpectedEof { during: "head" });
            }
            // Keep two bytes of overlap: a terminator may straddle two feeds.
            self.scanned = self.start + pending.len().saturating_sub(2);
            return Ok(None);
        };
        if head_len > self.limits.max_head_bytes {
            return Err(Error::HeaderTooLarge {
                limit: self.limits.max_head_bytes,
            });
        }
        let (head, parsed_len) = H::parse(&pending[..head_len], &self.limits)?;
        self.start += parsed_len;
        self.scanned = self.start;
        Ok(Some(head))
    }
}

/// How many bytes of an unfinished head are parsed early, to refuse a
/// message that cannot be HTTP before its head ends.
const EARLY_CHECK_BYTES: usize = 1024;

/// The length of the head at the start of `buf` (through its empty line),
/// searching from `from`: the head ends at `\n\n` or `\n\r\n`.
fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < buf.len() {
        if buf[i] == b'\n' {
            match buf.get(i + 1..) {
                Some([b'\n', ..]) => return Some(i + 2),
                Some([b'\r', b'\n', ..]) => return Some(i + 3),
                _ => {}
            }
        }
        i += 1;
    }
    None
}
