//! One client connection: a task that reads requests and writes responses, in order.
//!
//! Each accepted connection gets its own task on the server's loop, which
//! walks this state machine until the connection closes:
//!
//! ```text
//!        ┌──────────────────────────────────────────────┐
//!        ▼                                              │ keep-alive
//!     Waiting ──first byte──► Reading ──request──► Responding
//!        │                      │                       │ Connection: close,
//!        │ idle timeout,        │ too slow: 408         │ shutdown, error
//!        │ shutdown, EOF        │ too big: 431/413      ▼
//!        └──────────────────────┴─ garbage: 400 ───► Closing
//! ```
//!
//! Pipelining falls out of the decoder: bytes of the next request that
//! arrived with this one stay buffered, and the next turn of the loop finds
//! them before reading the socket again — so answers go out in request order.
//!
//! Every read and write goes through the loop's socket operations, each of
//! which spends the task's operation budget (`event_loop/budget.rs`), so a
//! client that never makes this connection wait — an endless download read
//! at full speed, endless pipelining — still gives way to the others after
//! at most [`BUDGET`](crate::event_loop::BUDGET) operations. Nothing here
//! loops without one of them: between two writes the chunked writer encodes
//! one block, and each pipelined request is answered with a write.
//! (On the work-stealing runtime there is no such budget: a greedy client
//! holds the worker its task runs on, and the other workers serve the rest.)
//!
//! `R` is the runtime (`http/runtime.rs`): `R::timeout` and `R::sleep` are
//! the single loop's `timeout` and `sleep`, or the stealing runtime's.
//!
//! Every wait is bounded: the time to send a request
//! ([`request_timeout`](super::ServerConfig::request_timeout)), to stay idle
//! ([`idle_timeout`](super::ServerConfig::idle_timeout)), to take a write
//! ([`write_timeout`](super::ServerConfig::write_timeout)). A hostile
//! client costs one task and a bounded buffer for a bounded time.

use std::net::Shutdown as Direction;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::body::{encode_chunk, encode_last_chunk};
use crate::http::codec::{Event, RequestDecoder};
use crate::http::head::RequestHead;
use crate::http::runtime::Runtime;
use crate::http::transport::Transport;
use crate::http::Error;

use super::idle::{IdleConnections, Idleness};
use super::routes::{self, BodyPlan, Plan};
use super::shutdown::{race, Either};
use super::{ServerConfig, ServerStats, Shutdown};

/// Bytes read from the socket at a time, and the most body bytes written at once.
const IO_CHUNK: usize = 16 * 1024;

/// Where a connection is in its life (see the module docs' diagram).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Between requests, nothing received yet: a timeout or a shutdown
    /// closes the connection quietly.
    Waiting,
    /// Part of a request has arrived: the rest must follow within the
    /// request timeout, or the client gets 408.
    Reading,
}

/// A request, complete with its body.
#[derive(Debug)]
struct Request {
    /// The head.
    head: RequestHead,
    /// The body (empty for most requests), bounded by the body limit.
    body: Vec<u8>,
}

/// How reading a request ended without one.
#[derive(Debug)]
enum NoRequest {
    /// Close without a word: the client left, stayed idle too long, or the
    /// server is shutting down.
    Quiet,
    /// Answer this error response, then close.
    Answer(Plan),
}

/// One connection's state, owned by its task, on runtime `R`
/// (`http/runtime.rs`: its timers and its socket).
struct Connection<'a, R: Runtime> {
    /// The socket, plain or TLS.
    stream: Transport<R::Tcp>,
    /// The request decoder; holds pipelined bytes between requests.
    decoder: RequestDecoder,
    /// Read buffer: allocated when there is something to read, given back
    /// while the connection waits for its next request (`release_if_idle`),
    /// so an idle connection holds none.
    buf: Vec<u8>,
    /// Timeouts and limits.
    config: &'a ServerConfig,
    /// Counters shared with the server's owner.
    stats: &'a ServerStats,
    /// Raised when the server stops.
    shutdown: &'a Shutdown,
    /// The server's idle connections, which this one joins while it waits
    /// for a request (so that it can be closed to admit a newcomer).
    idle: &'a Arc<IdleConnections>,
    /// Whether a request has been answered here yet.
    served: bool,
}

/// Serves one connection until it closes.
pub(crate) async fn serve<R: Runtime>(
    stream: Transport<R::Tcp>,
    config: &ServerConfig,
    stats: &ServerStats,
    shutdown: &Shutdown,
    idle: &Arc<IdleConnections>,
) {
    let mut conn = Connection::<R> {
        stream,
        decoder: RequestDecoder::new(config.limits),
        buf: Vec::new(),
        config,
        stats,
        shutdown,
        idle,
        served: false,
    };
    let mut wait_limit = config.request_timeout;
    loop {
        let request = match conn.read_request(wait_limit).await {
            Ok(request) => request,
            Err(NoRequest::Quiet) => break,
            Err(NoRequest::Answer(plan)) => {
                if Box::pin(conn.respond(plan, Vec::new())).await.is_ok() {
                    conn.linger().await;
                }
                break;
            }
        };
        wait_limit = config.idle_timeout;
        let mut plan = routes::plan(&request.head);
        if !request.head.keeps_alive() {
            plan.close = true;
        } else if request.head.minor_version == 0 && !plan.close {
            // An HTTP/1.0 client keeps the connection only if the answer
            // says so; otherwise it waits for the close.
            plan.head
                .headers
                .push(("Connection".into(), "keep-alive".into()));
        }
        ServerStats::bump(&stats.requests);
        conn.served = true;
        // Boxed: answering takes far more state than waiting does, and an
        // unboxed answer would make every idle connection's task as large.
        match Box::pin(conn.respond(plan, request.body)).await {
            Ok(Keep::Open) => conn.release_if_idle(),
            Ok(Keep::Close) | Err(_) => break,
        }
    }
    // Half-close first so the client reads our last response before the FIN.
    let _ = conn.stream.shutdown(Direction::Write);
}

/// Whether a connection stays open after a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Ready for the next request.
    Open,
    /// The response said `Connection: close`.
    Close,
}

/// Longest a refused connection is drained before it is dropped.
const LINGER: Duration = Duration::from_secs(1);
/// Most bytes drained from a refused connection.
const LINGER_BYTES: usize = 1024 * 1024;

impl<R: Runtime> Connection<'_, R> {
    /// Reads the next request; `wait_limit` bounds the wait for its first byte.
    async fn read_request(&mut self, wait_limit: Duration) -> Result<Request, NoRequest> {
        let mut phase = Phase::Waiting;
        let mut deadline = Instant::now() + wait_limit;
        let mut head = None;
        let mut body = Vec::new();
        loop {
            // Whatever is buffered first: that is where pipelined requests wait.
            loop {
                match self.decoder.next_event() {
                    Ok(Some(Event::Head(h))) => {
                        if expects_continue(&h) {
                            // The client waits for a go-ahead before it sends
                            // the body (RFC 9110 §10.1.1).
                            let go_ahead = self.write(b"HTTP/1.1 100 Continue\r\n\r\n").await;
                            go_ahead.map_err(|_| NoRequest::Quiet)?;
                        }
                        head = Some(h);
                    }
                    Ok(Some(Event::Data(data))) => body.extend_from_slice(&data),
                    Ok(Some(Event::End)) => {
                        let head = head.take().ok_or(NoRequest::Quiet)?;
                        return Ok(Request { head, body });
                    }
                    Ok(None) => break,
                    Err(e) => return Err(self.refuse(e)),
                }
            }
            if phase == Phase::Waiting && !self.decoder.is_idle() {
                phase = Phase::Reading;
                deadline = Instant::now() + self.config.request_timeout;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if phase == Phase::Waiting {
                // Idle: wait for the client's first byte without a buffer.
                // An idle connection gives way at once to a shutdown, or to
                // a newcomer when the server is full (`idle.rs`).
                let class = if self.served {
                    Idleness::KeepAlive
                } else {
                    Idleness::NeverSent
                };
                let mut idle = self.idle.enter(class);
                let stop = race(self.shutdown.wait(), idle.evicted());
                match race(R::timeout(left, self.stream.readable()), stop).await {
                    Either::Left(Ok(Ok(()))) => {}
                    Either::Left(_) | Either::Right(_) => return Err(NoRequest::Quiet),
                }
                if !idle.leave() {
                    // Chosen to make room just as the first byte came.
                    return Err(NoRequest::Quiet);
                }
            }
            // Something to read: only now does the connection hold a buffer.
            if self.buf.is_empty() {
                self.buf = vec![0; IO_CHUNK];
            }
            let outcome = R::timeout(left, self.stream.read(&mut self.buf)).await;
            match outcome {
                Ok(Ok(0)) => self.decoder.feed_eof(),
                Ok(Ok(n)) => self.decoder.feed(&self.buf[..n]),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Ok(Err(_)) => return Err(NoRequest::Quiet),
                Err(_elapsed) if phase == Phase::Waiting => return Err(NoRequest::Quiet),
                Err(_elapsed) => {
                    ServerStats::bump(&self.stats.timed_out);
                    return Err(NoRequest::Answer(Plan::error(
                        408,
                        "request timeout: the request did not arrive in time",
                    )));
                }
            }
        }
    }

    /// Between requests with nothing pipelined behind them: gives the read
    /// buffer and the decoder's buffer back, so that an idle connection
    /// costs its task and its socket, not its buffers.
    fn release_if_idle(&mut self) {
        if self.decoder.is_idle() {
            self.buf = Vec::new();
            self.decoder.release_if_idle();
        }
    }

    /// Turns a decoder error into the answer it deserves.
    fn refuse(&self, error: Error) -> NoRequest {
        let (status, why) = match &error {
            Error::ConnectionClosed | Error::UnexpectedEof { .. } => return NoRequest::Quiet,
            Error::HeaderTooLarge { .. } | Error::TooManyHeaders { .. } => (431, error.to_string()),
            Error::BodyTooLarge { .. } => (413, error.to_string()),
            _ => (400, error.to_string()),
        };
        ServerStats::bump(&self.stats.refused);
        NoRequest::Answer(Plan::error(status, &why))
    }

    /// After an error response: stop writing, and read (and discard) what
    /// the client is still sending, for a bounded time. Closing a socket
    /// with unread input makes the kernel send a reset, which can destroy
    /// our error response before the client has read it (what nginx calls
    /// a "lingering close").
    async fn linger(&mut self) {
        let _ = self.stream.shutdown(Direction::Write);
        let until = Instant::now() + LINGER;
        let mut drained = 0;
        if self.buf.is_empty() {
            self.buf = vec![0; IO_CHUNK];
        }
        while drained < LINGER_BYTES {
            let left = until.saturating_duration_since(Instant::now());
            match R::timeout(left, self.stream.read(&mut self.buf)).await {
                Ok(Ok(n)) if n > 0 => drained += n,
                _ => return,
            }
        }
    }

    /// Carries out `plan`: waits its delay on a loop timer, then writes the
    /// head and the body. Says whether the connection stays open; an error
    /// means it must be dropped.
    async fn respond(&mut self, mut plan: Plan, request_body: Vec<u8>) -> std::io::Result<Keep> {
        if !plan.delay.is_zero() {
            R::sleep(plan.delay).await;
        }
        // Decided after the delay: a shutdown that began meanwhile still
        // lets this response finish, and tells the client not to reuse the connection.
        if plan.close || self.shutdown.is_triggered() {
            if plan.head.header("connection").is_none() {
                plan.head
                    .headers
                    .push(("Connection".into(), "close".into()));
            }
            plan.close = true;
        }
        let keep = if plan.close { Keep::Close } else { Keep::Open };
        let mut out = Vec::with_capacity(256);
        if plan.body == BodyPlan::Echo {
            plan.head
                .headers
                .push(("Content-Length".into(), request_body.len().to_string()));
        }
        plan.head.write_to(&mut out);
        match plan.body {
            BodyPlan::Empty => self.write(&out).await?,
            BodyPlan::Fixed(body) => {
                out.extend_from_slice(&body);
                self.write(&out).await?
            }
            BodyPlan::Echo => {
                out.extend_from_slice(&request_body);
                self.write(&out).await?
            }
            BodyPlan::Pattern { len } => self.write_pattern(out, len).await?,
            BodyPlan::PatternChunked { len, chunk } => self.write_chunked(out, len, chunk).await?,
            BodyPlan::Drip { len, duration } => self.write_drip(out, len, duration).await?,
        }
        Ok(keep)
    }

    /// Writes `head` followed by `len` pattern bytes, in blocks; a small
    /// body goes out in the same write as the head.
    async fn write_pattern(&mut self, mut out: Vec<u8>, len: u64) -> std::io::Result<()> {
        let mut sent = 0u64;
        loop {
            let room = IO_CHUNK.saturating_sub(out.len()).max(1024) as u64;
            let take = room.min(len - sent) as usize;
            extend_pattern(&mut out, sent, take);
            sent += take as u64;
            self.write(&out).await?;
            if sent == len {
                return Ok(());
            }
            out.clear();
        }
    }

    /// Writes `head` then `len` pattern bytes as chunks of `chunk` bytes.
    async fn write_chunked(
        &mut self,
        mut out: Vec<u8>,
        len: u64,
        chunk: u64,
    ) -> std::io::Result<()> {
        let mut sent = 0u64;
        let mut piece = Vec::new();
        while sent < len {
            let take = chunk.min(len - sent) as usize;
            piece.clear();
            extend_pattern(&mut piece, sent, take);
            encode_chunk(&piece, &mut out);
            sent += take as u64;
            if out.len() >= IO_CHUNK {
                self.write(&out).await?;
                out.clear();
            }
        }
        encode_last_chunk(&mut out);
        self.write(&out).await
    }

    /// Writes `head`, then `len` pattern bytes spread evenly over `duration`
    /// (in at most one write per 10 ms tick).
    async fn write_drip(
        &mut self,
        head: Vec<u8>,
        len: u64,
        duration: Duration,
    ) -> std::io::Result<()> {
        self.write(&head).await?;
        let ticks = (duration.as_millis() / 10).clamp(1, len.max(1) as u128) as u64;
        let interval = duration / ticks as u32;
        let mut sent = 0u64;
        for tick in 1..=ticks {
            let until = len * tick / ticks;
            let mut out = Vec::new();
            extend_pattern(&mut out, sent, (until - sent) as usize);
            sent = until;
            if !interval.is_zero() {
                R::sleep(interval).await;
            }
            self.write(&out).await?;
        }
        Ok(())
    }

    /// Writes all of `bytes` within the write timeout.
    async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match R::timeout(self.config.write_timeout, self.stream.write_all(bytes)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }
}

/// Whether `head` asks for a `100 Continue` before it sends its body: an
/// HTTP/1.1 request with `Expect: 100-continue` and a body to come.
fn expects_continue(head: &RequestHead) -> bool {
    let expects = head
        .header("expect")
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("100-continue"));
    let has_body = head.header("transfer-encoding").is_some()
        || head
            .header("content-length")
            .is_some_and(|length| length.trim() != "0");
    expects && has_body && head.minor_version >= 1
}

/// One period of the slow-site pattern is 26 bytes; this many periods make
/// a block of about [`IO_CHUNK`] bytes.
const PATTERN_PERIODS: usize = IO_CHUNK / 26;

/// The pattern, precomputed: `PATTERN_PERIODS + 1` periods, so a slice of
/// `PATTERN_PERIODS * 26` bytes can start at any phase.
static PATTERN: [u8; (PATTERN_PERIODS + 1) * 26] = {
    let mut block = [0u8; (PATTERN_PERIODS + 1) * 26];
    let mut i = 0;
    while i < block.len() {
        block[i] = b'a' + (i % 26) as u8;
        i += 1;
    }
    block
};

/// Appends `count` bytes of the slow-site pattern, starting at body offset
/// `from`, copied from the precomputed block (byte-by-byte generation costs
/// about a nanosecond a byte: a millisecond per MiB).
fn extend_pattern(out: &mut Vec<u8>, from: u64, mut count: usize) {
    let phase = (from % 26) as usize;
    while count > 0 {
        let take = count.min(PATTERN_PERIODS * 26);
        out.extend_from_slice(&PATTERN[phase..phase + take]);
        count -= take;
    }
}

#[cfg(test)]
mod tests {
    use super::extend_pattern;
    use crate::http::expected_body_byte;

    #[test]
    fn the_precomputed_pattern_matches_the_definition_at_every_phase() {
        for (from, count) in [(0, 0), (0, 1), (5, 100), (25, 40_000), (1_000_003, 16_400)] {
            let mut out = Vec::new();
            extend_pattern(&mut out, from, count);
            assert_eq!(out.len(), count);
            let wrong = (0..count).find(|&i| out[i] != expected_body_byte(from as usize + i));
            assert_eq!(wrong, None, "from {from} count {count}");
        }
    }
}
