//! The sans-I/O message core: framing rules, limits, and property tests
//! (write then parse gives the message back; arbitrary bytes never panic).

use handspun::http::body::{encode_chunk, encode_last_chunk};
use handspun::http::codec::{Event, RequestDecoder, ResponseDecoder};
use handspun::http::{Error, Limits, ParseError, RequestHead, ResponseHead};
use proptest::prelude::*;

/// Feeds `input` in pieces of `piece` bytes (then EOF if `eof`), collecting
/// events until the decoder needs more or fails.
fn decode_response(
    input: &[u8],
    piece: usize,
    eof: bool,
    limits: Limits,
) -> Result<Vec<Event<ResponseHead>>, Error> {
    let mut decoder = ResponseDecoder::new(limits);
    let mut events = Vec::new();
    for part in input.chunks(piece.max(1)) {
        decoder.feed(part);
        while let Some(event) = decoder.next_event()? {
            events.push(event);
        }
    }
    if eof {
        decoder.feed_eof();
        // After the last `End`, a close is the clean end of the connection.
        while events.last() != Some(&Event::End) {
            match decoder.next_event()? {
                Some(event) => events.push(event),
                None => break,
            }
        }
    }
    Ok(events)
}

/// The body bytes among `events`, concatenated.
fn body_of<H>(events: &[Event<H>]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Data(d) => Some(d.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

fn error_of(input: &[u8], eof: bool, limits: Limits) -> Error {
    match decode_response(input, 7, eof, limits) {
        Err(e) => e,
        Ok(events) => panic!("expected an error, got {events:?}"),
    }
}

#[test]
fn content_length_body_arrives_byte_by_byte() {
    let events = decode_response(
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
        1,
        false,
        Limits::default(),
    )
    .unwrap();
    assert!(matches!(&events[0], Event::Head(h) if h.status == 200));
    assert_eq!(body_of(&events), b"abc");
    assert_eq!(events.last(), Some(&Event::End));
}

#[test]
fn chunked_body_with_extensions_and_trailers_is_decoded() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                  3;name=value\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n";
    for piece in [1, 2, 5, 64] {
        let events = decode_response(input, piece, false, Limits::default()).unwrap();
        assert_eq!(body_of(&events), b"abc0123456789abcdef");
        assert_eq!(events.last(), Some(&Event::End));
    }
}

#[test]
fn close_delimited_body_ends_at_eof() {
    let events = decode_response(
        b"HTTP/1.1 200 OK\r\n\r\nuntil close",
        4,
        true,
        Limits::default(),
    )
    .unwrap();
    assert_eq!(body_of(&events), b"until close");
    assert_eq!(events.last(), Some(&Event::End));
}

#[test]
fn no_body_statuses_and_head_responses_end_at_once() {
    for status in ["204 No Content", "304 Not Modified"] {
        let input = format!("HTTP/1.1 {status}\r\nContent-Length: 10\r\n\r\n");
        let events = decode_response(input.as_bytes(), 100, false, Limits::default()).unwrap();
        assert_eq!(events.len(), 2, "{status}: head then end");
    }
    let mut decoder = ResponseDecoder::new(Limits::default());
    decoder.set_request_was_head(true);
    decoder.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
    assert!(matches!(decoder.next_event(), Ok(Some(Event::Head(_)))));
    assert_eq!(decoder.next_event().unwrap(), Some(Event::End));
}

#[test]
fn interim_100_continue_is_skipped() {
    let input = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
    let events = decode_response(input, 3, false, Limits::default()).unwrap();
    assert!(matches!(&events[0], Event::Head(h) if h.status == 201));
}

#[test]
fn pipelined_requests_come_out_in_order_with_their_bodies() {
    let mut decoder = RequestDecoder::new(Limits::default());
    decoder.feed(
        b"POST /one HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi\
          GET /two HTTP/1.1\r\n\r\n\
          POST /three HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
    );
    let mut seen = Vec::new();
    while let Some(event) = decoder.next_event().unwrap() {
        match event {
            Event::Head(h) => seen.push(h.target),
            Event::Data(d) => seen.push(String::from_utf8(d).unwrap()),
            Event::End => seen.push("end".into()),
        }
    }
    assert_eq!(
        seen,
        ["/one", "hi", "end", "/two", "end", "/three", "x", "end"]
    );
    assert!(decoder.is_idle());
}

#[test]
fn clean_close_between_messages_is_connection_closed() {
    let mut decoder = RequestDecoder::new(Limits::default());
    decoder.feed_eof();
    assert!(matches!(decoder.next_event(), Err(Error::ConnectionClosed)));
}

#[test]
fn head_cut_off_is_unexpected_eof() {
    assert!(matches!(
        error_of(b"HTTP/1.1 200 OK\r\nContent-Le", true, Limits::default()),
        Error::UnexpectedEof { during: "head" }
    ));
}

#[test]
fn head_over_the_limit_is_rejected_without_waiting_for_its_end() {
    let limits = Limits {
        max_head_bytes: 1024,
        ..Limits::default()
    };
    let mut input = b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec();
    input.resize(2048, b'a');
    assert!(matches!(
        error_of(&input, false, limits),
        Error::HeaderTooLarge { limit: 1024 }
    ));
}

#[test]
fn too_many_headers_is_rejected() {
    let limits = Limits {
        max_headers: 5,
        ..Limits::default()
    };
    let mut input = b"HTTP/1.1 200 OK\r\n".to_vec();
    for i in 0..6 {
        input.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
    }
    input.extend_from_slice(b"\r\n");
    assert!(matches!(
        error_of(&input, false, limits),
        Error::TooManyHeaders { limit: 5 }
    ));
}

#[test]
fn content_length_rules() {
    let head = |cl: &str| format!("HTTP/1.1 200 OK\r\n{cl}\r\n\r\n");
    for bad in [
        "-1",
        "+5",
        "0x10",
        "1e3",
        "",
        "12 34",
        "99999999999999999999",
    ] {
        let input = head(&format!("Content-Length: {bad}"));
        assert!(
            matches!(
                error_of(input.as_bytes(), false, Limits::default()),
                Error::InvalidContentLength { .. }
            ),
            "Content-Length: {bad:?}"
        );
    }
    let conflicting = head("Content-Length: 5\r\nContent-Length: 6");
    assert!(matches!(
        error_of(conflicting.as_bytes(), false, Limits::default()),
        Error::ConflictingContentLength {
            first: 5,
            second: 6
        }
    ));
    // The same value twice is allowed (RFC 9112 §6.3).
    let same = head("Content-Length: 2, 2");
    let events =
        decode_response(format!("{same}ok").as_bytes(), 9, false, Limits::default()).unwrap();
    assert_eq!(body_of(&events), b"ok");
}

#[test]
fn bodies_over_the_limit_are_rejected_in_every_framing() {
    for (framing, input, limit) in [
        // Refused at the head, before any body byte.
        (
            "declared length",
            &b"HTTP/1.1 200 OK\r\nContent-Length: 101\r\n\r\n"[..],
            100,
        ),
        // Refused at the chunk-size line.
        (
            "chunked",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n",
            100,
        ),
        ("until close", b"HTTP/1.1 200 OK\r\n\r\n0123456789x", 10),
    ] {
        let limits = Limits {
            max_body_bytes: limit,
            ..Limits::default()
        };
        let error = error_of(input, false, limits);
        assert!(
            matches!(error, Error::BodyTooLarge { limit: l } if l == limit),
            "{framing}: got {error:?}"
        );
    }
}

#[test]
fn invalid_chunk_sizes_are_rejected() {
    for bad in ["zz", "-1", "", " 5", "5 x", "1234567890abcdef0"] {
        let input = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{bad}\r\n");
        assert!(
            matches!(
                error_of(input.as_bytes(), false, Limits::default()),
                Error::InvalidChunkSize { .. }
            ),
            "chunk size {bad:?}"
        );
    }
}

#[test]
fn chunk_data_without_crlf_is_rejected() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX";
    assert!(matches!(
        error_of(input, false, Limits::default()),
        Error::InvalidChunkedEncoding { .. }
    ));
}

#[test]
fn unsupported_transfer_encoding_is_rejected() {
    let input = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
    assert!(matches!(
        error_of(input, false, Limits::default()),
        Error::UnsupportedTransferEncoding { .. }
    ));
}

#[test]
fn malformed_heads_name_the_broken_part() {
    let cases: [(&[u8], ParseError); 3] = [
        (b"HTTP/1.1 abc OK\r\n\r\n", ParseError::Status),
        (
            b"HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n",
            ParseError::HeaderName,
        ),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", ParseError::Version),
    ];
    for (input, expected) in cases {
        match error_of(input, false, Limits::default()) {
            Error::Parse(found) => {
                assert_eq!(found, expected, "{}", String::from_utf8_lossy(input))
            }
            other => panic!("expected Parse({expected:?}), got {other:?}"),
        }
    }
}

#[test]
fn a_failed_decoder_stays_failed_and_drops_input() {
    let mut decoder = ResponseDecoder::new(Limits::default());
    decoder.feed(b"garbage\r\n\r\n");
    assert!(decoder.next_event().is_err());
    decoder.feed(b"HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(decoder.buffered(), 0);
    assert!(decoder.next_event().is_err());
}

// ---------------------------------------------------------------- properties

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,15}"
}

fn header_value() -> impl Strategy<Value = String> {
    prop_oneof!["", "[!-~]", "[!-~][ -~]{0,30}[!-~]"]
}

fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec((token(), header_value()), 0..12).prop_map(|hs| {
        hs.into_iter()
            .filter(|(n, _)| {
                !n.eq_ignore_ascii_case("content-length")
                    && !n.eq_ignore_ascii_case("transfer-encoding")
            })
            .collect()
    })
}

/// A body and how to frame it: chunk sizes for chunked, `None` for Content-Length.
fn body_and_chunks() -> impl Strategy<Value = (Vec<u8>, Option<Vec<usize>>)> {
    (
        prop::collection::vec(any::<u8>(), 0..600),
        prop::option::of(prop::collection::vec(1usize..100, 1..10)),
    )
}

/// Adds the framing header for `chunks` to `headers`; returns the framed body.
fn frame(headers: &mut Vec<(String, String)>, body: &[u8], chunks: &Option<Vec<usize>>) -> Vec<u8> {
    let mut out = Vec::new();
    match chunks {
        None => {
            headers.push(("Content-Length".into(), body.len().to_string()));
            out.extend_from_slice(body);
        }
        Some(sizes) => {
            headers.push(("Transfer-Encoding".into(), "chunked".into()));
            let mut rest = body;
            let mut i = 0;
            while !rest.is_empty() {
                let n = sizes[i % sizes.len()].min(rest.len());
                encode_chunk(&rest[..n], &mut out);
                rest = &rest[n..];
                i += 1;
            }
            encode_last_chunk(&mut out);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_written_request_parses_back(
        method in "[A-Z]{1,8}",
        target in "/[A-Za-z0-9/_.?=&%-]{0,40}",
        mut headers in headers(),
        (body, chunks) in body_and_chunks(),
        piece in 1usize..64,
    ) {
        let body_bytes = frame(&mut headers, &body, &chunks);
        let head = RequestHead { method, target, minor_version: 1, headers };
        let mut wire = Vec::new();
        head.write_to(&mut wire);
        wire.extend_from_slice(&body_bytes);

        let mut decoder = RequestDecoder::new(Limits::default());
        let mut events = Vec::new();
        for part in wire.chunks(piece) {
            decoder.feed(part);
            while let Some(event) = decoder.next_event().unwrap() {
                events.push(event);
            }
        }
        prop_assert_eq!(&events[0], &Event::Head(head));
        prop_assert_eq!(body_of(&events), body);
        prop_assert_eq!(events.last(), Some(&Event::End));
        prop_assert!(decoder.is_idle());
    }

    #[test]
    fn a_written_response_parses_back(
        status in 200u16..600,
        reason in "[A-Za-z]{1,8}( [A-Za-z]{1,8}){0,2}",
        mut headers in headers(),
        (body, chunks) in body_and_chunks(),
        piece in 1usize..64,
    ) {
        prop_assume!(status != 204 && status != 304);
        let body_bytes = frame(&mut headers, &body, &chunks);
        let head = ResponseHead { status, reason, minor_version: 1, headers };
        let mut wire = Vec::new();
        head.write_to(&mut wire);
        wire.extend_from_slice(&body_bytes);
        let events = decode_response(&wire, piece, false, Limits::default()).unwrap();
        prop_assert_eq!(&events[0], &Event::Head(head));
        prop_assert_eq!(body_of(&events), body);
        prop_assert_eq!(events.last(), Some(&Event::End));
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        piece in 1usize..300,
        small in any::<bool>(),
    ) {
        let limits = if small {
            Limits { max_head_bytes: 64, max_headers: 3, max_body_bytes: 50 }
        } else {
            Limits::default()
        };
        let _ = decode_response(&bytes, piece, true, limits);
        let mut decoder = RequestDecoder::new(limits);
        for part in bytes.chunks(piece) {
            decoder.feed(part);
            // Bounded: every event consumes at least one byte or ends a message.
            for _ in 0..=bytes.len() + 2 {
                match decoder.next_event() {
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => break,
                }
            }
            prop_assert!(decoder.buffered() <= limits.max_head_bytes.max(bytes.len()));
        }
    }

    #[test]
    fn valid_heads_followed_by_arbitrary_bodies_never_panic(
        framing in prop_oneof![
            Just("Transfer-Encoding: chunked\r\n".to_string()),
            (0u32..5000).prop_map(|n| format!("Content-Length: {n}\r\n")),
            Just(String::new()),
        ],
        tail in prop::collection::vec(any::<u8>(), 0..1024),
        piece in 1usize..100,
    ) {
        let mut wire = format!("HTTP/1.1 200 OK\r\n{framing}\r\n").into_bytes();
        wire.extend_from_slice(&tail);
        let limits = Limits { max_body_bytes: 4096, ..Limits::default() };
        if let Ok(events) = decode_response(&wire, piece, true, limits) {
            prop_assert!(body_of(&events).len() <= 4096);
        }
    }
}

#[test]
fn a_request_that_frames_its_body_twice_or_chunks_in_http_1_0_is_refused() {
    for (request, expected) in [
        (
            &b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            "both Content-Length and Transfer-Encoding",
        ),
        (
            b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            "Transfer-Encoding in an HTTP/1.0 request",
        ),
    ] {
        let mut decoder = RequestDecoder::new(Limits::default());
        decoder.feed(request);
        let error = decoder.next_event().unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
    }
}

#[test]
fn bytes_that_cannot_begin_a_request_are_refused_before_the_head_ends() {
    for start in [&b"\x16\x03\x01\x02\x00"[..], b"GET /\r\n", b"GET / HTTP/9"] {
        let mut decoder = RequestDecoder::new(Limits::default());
        decoder.feed(start);
        assert!(
            matches!(decoder.next_event(), Err(Error::Parse(_))),
            "{:?}",
            String::from_utf8_lossy(start)
        );
    }
    // A head that is merely unfinished waits for more.
    let mut decoder = RequestDecoder::new(Limits::default());
    decoder.feed(b"GET /bytes/1 HTTP/1.1\r\nHost: x\r\n");
    assert_eq!(decoder.next_event().unwrap(), None);
}
