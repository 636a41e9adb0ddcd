//! The server is fair: a greedy client cannot hold the loop, and SIGTERM's grace holds meanwhile.
//!
//! Two greedy clients, each on threads of its own with blocking sockets: one
//! downloads `/chunked/1073741824?chunk_size=1` as fast as it can read, one
//! pipelines tiny requests without end (and reads the answers as fast as
//! they come). Neither ever lets the server's socket say `WouldBlock` for
//! long, so only the loop's operation budget makes their connection's task
//! give way.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream as StdStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc as std_mpsc, Arc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use handspun::event_loop::net::TcpStream;
use handspun::event_loop::{self, EventLoop, Stats};
use handspun::http::server::{Server, ServerConfig, Shutdown};

/// A 1 GiB body in one-byte chunks: far more than any test reads.
const ENDLESS_DOWNLOAD: &[u8] =
    b"GET /chunked/1073741824?chunk_size=1 HTTP/1.1\r\nHost: greedy\r\n\r\n";

/// One tiny request, sent over and over by the pipelining client.
const TINY_REQUEST: &[u8] = b"GET /bytes/1 HTTP/1.1\r\nHost: greedy\r\n\r\n";

/// The second client's request.
const PROBE_REQUEST: &[u8] = b"GET /bytes/5 HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n";

/// Bytes the greedy client must have received before the second client
/// starts: the stream is flowing.
const FLOWING: u64 = 1024 * 1024;

/// The greedy clients of the in-process tests stop by themselves after
/// receiving this many bytes, so that a server that let one client hold its
/// loop fails the test instead of hanging it: the second client is then
/// answered only after the greedy one has gone. Far more than the greedy
/// client receives while a fair server answers the second one.
fn in_process_cap(greed: Greed) -> u64 {
    match greed {
        Greed::Download => 256 * 1024 * 1024,
        Greed::Pipeline => 16 * 1024 * 1024,
    }
}

/// Most loop turns the second client's request, from connecting to the last
/// byte of its answer, may take. It needs a few (connect, accept, read,
/// answer, close — loopback delivers within the call, so usually two); the
/// margin covers turns taken by the greedy client's own readiness events in
/// between on a loaded machine. Without the budget the count stays small
/// too (the greedy poll never ends, so the loop never turns): the check that
/// tells a held loop is that the greedy client was still reading.
const MAX_TURNS: u64 = 16;

/// How long any socket call of a client may block.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(20);

/// The `serve` command's shutdown grace (its default).
const GRACE: Duration = Duration::from_secs(10);

/// Which greedy client.
#[derive(Debug, Clone, Copy)]
enum Greed {
    /// Downloads an endless chunked body.
    Download,
    /// Pipelines tiny requests without end.
    Pipeline,
}

/// A greedy client running on its own threads.
struct Greedy {
    /// Asks its threads to stop.
    stop: Arc<AtomicBool>,
    /// Raised when it has stopped reading (cap reached, stopped, or the
    /// server closed the connection).
    finished: Arc<AtomicBool>,
    /// Bytes received so far.
    received: Arc<AtomicU64>,
    /// A handle on its socket, to unblock its threads.
    socket: StdStream,
    /// The reading thread (and, for pipelining, the writing one).
    threads: Vec<JoinHandle<()>>,
}

impl Greedy {
    /// Connects to `addr` and starts being greedy; calls `on_flowing` once
    /// [`FLOWING`] bytes have arrived. Stops reading after `cap` bytes (a
    /// pipelining writer stops when the socket closes).
    fn start(
        greed: Greed,
        addr: SocketAddr,
        cap: u64,
        on_flowing: impl FnOnce() + Send + 'static,
    ) -> Greedy {
        let socket = StdStream::connect(addr).expect("the greedy client connects");
        socket.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        socket.set_write_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let received = Arc::new(AtomicU64::new(0));
        let mut threads = Vec::new();
        match greed {
            Greed::Download => {
                (&socket).write_all(ENDLESS_DOWNLOAD).unwrap();
            }
            Greed::Pipeline => {
                let mut writer = socket.try_clone().unwrap();
                let stop = stop.clone();
                threads.push(thread::spawn(move || {
                    let batch = TINY_REQUEST.repeat(256);
                    while !stop.load(Ordering::SeqCst) {
                        if writer.write_all(&batch).is_err() {
                            break;
                        }
                    }
                }));
            }
        }
        let mut reader = socket.try_clone().unwrap();
        let (stop_reading, done, count) = (stop.clone(), finished.clone(), received.clone());
        threads.push(thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let mut total = 0u64;
            let mut on_flowing = Some(on_flowing);
            while !stop_reading.load(Ordering::SeqCst) && total < cap {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n as u64,
                }
                count.store(total, Ordering::SeqCst);
                if total >= FLOWING {
                    if let Some(flowing) = on_flowing.take() {
                        flowing();
                    }
                }
            }
            done.store(true, Ordering::SeqCst);
            // Leaving closes our side; the server's writes then fail.
            let _ = reader.shutdown(std::net::Shutdown::Both);
        }));
        Greedy {
            stop,
            finished,
            received,
            socket,
            threads,
        }
    }

    /// Whether it has stopped reading.
    fn is_finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }

    /// Stops it and waits for its threads.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.socket.shutdown(std::net::Shutdown::Both);
        for thread in self.threads {
            thread.join().unwrap();
        }
        self.received.load(Ordering::SeqCst)
    }
}

/// The second client, on the server's own loop: asks for five bytes, reads
/// the answer to the end, and returns it with the loop's counters from
/// before it connected and after the answer arrived.
async fn probe(addr: SocketAddr) -> (Vec<u8>, Stats, Stats) {
    let before = event_loop::stats();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(PROBE_REQUEST).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf).await.unwrap() {
            0 => break,
            n => answer.extend_from_slice(&buf[..n]),
        }
    }
    (answer, before, event_loop::stats())
}

/// Runs the server on this thread's loop beside `greed`, sends the second
/// client once the greedy one's bytes flow, and checks the answer came
/// while the greedy client was still at it, within [`MAX_TURNS`].
fn second_client_is_answered_beside(greed: Greed) {
    let mut ev = EventLoop::new().unwrap();
    let config = ServerConfig {
        shutdown_grace: Duration::from_secs(5),
        ..ServerConfig::default()
    };
    let (answer, before, after, greedy_done_at_answer, greedy) = ev.block_on(async {
        let server = Server::bind_with("127.0.0.1:0".parse().unwrap(), config).unwrap();
        let addr = server.local_addr();
        let shutdown = Shutdown::new();
        let running = event_loop::spawn(server.run(shutdown.clone()));
        let flowing = Shutdown::new();
        let greedy = Greedy::start(greed, addr, in_process_cap(greed), {
            let flowing = flowing.clone();
            move || flowing.trigger()
        });
        event_loop::timeout(SOCKET_TIMEOUT, flowing.wait())
            .await
            .expect("the greedy client's bytes flow");
        let (answer, before, after) = event_loop::timeout(SOCKET_TIMEOUT, probe(addr))
            .await
            .expect("the second client is answered");
        let greedy_done_at_answer = greedy.is_finished();
        let greedy_received = greedy.stop();
        shutdown.trigger();
        running.await.unwrap();
        (
            answer,
            before,
            after,
            greedy_done_at_answer,
            greedy_received,
        )
    });
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.ends_with("\r\n\r\nabcde"), "{answer}");
    assert!(
        !greedy_done_at_answer,
        "the second client was answered only after the greedy one had gone \
         ({greedy} bytes): one client held the loop"
    );
    let turns = after.turns - before.turns;
    assert!(
        turns <= MAX_TURNS,
        "the second client took {turns} turns (at most {MAX_TURNS})"
    );
    assert!(
        after.budget_yields > 0,
        "the greedy connection never spent its budget"
    );
}

#[test]
fn a_small_request_is_answered_within_a_few_turns_while_a_client_downloads_without_end() {
    second_client_is_answered_beside(Greed::Download);
}

#[test]
fn a_small_request_is_answered_within_a_few_turns_while_a_client_pipelines_without_end() {
    second_client_is_answered_beside(Greed::Pipeline);
}

/// `handspun serve` on a free port, and the address it announced.
fn serve() -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_handspun"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("handspun serve starts");
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let addr = first_line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

/// Sends `signal` (a name `kill` knows) to the process `pid`.
fn kill(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([signal, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {pid}");
}

/// How the server stopped after SIGTERM.
#[derive(Debug)]
struct Stopping {
    /// A new client was refused while the process was still running (the
    /// listener had closed).
    refused_while_running: bool,
    /// How long after the signal the process exited.
    exited_after: Duration,
    /// Its exit status was success.
    success: bool,
}

/// Starts `serve` beside `greed`, sends SIGTERM once the greedy client's
/// bytes flow, and watches the server stop: new clients refused, then the
/// exit. Kills it and fails if it is still running well past the grace.
fn sigterm_beside(greed: Greed) -> Stopping {
    let (mut child, addr) = serve();
    let (flowing_tx, flowing_rx) = std_mpsc::channel();
    let greedy = Greedy::start(greed, addr, u64::MAX, move || {
        let _ = flowing_tx.send(());
    });
    if flowing_rx.recv_timeout(SOCKET_TIMEOUT).is_err() {
        kill("-KILL", child.id());
        panic!("the greedy client's bytes never flowed");
    }
    let signalled = Instant::now();
    kill("-TERM", child.id());

    // New clients: refused once the listener closes. Bounded: a few
    // seconds of attempts, far less than the grace.
    let mut refused_while_running = false;
    for _ in 0..200 {
        match StdStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                refused_while_running = child.try_wait().unwrap().is_none();
                break;
            }
            _ if child.try_wait().unwrap().is_some() => break,
            _ => thread::sleep(Duration::from_millis(20)),
        }
    }

    // The exit: within the grace, plus a margin for a loaded machine.
    let pid = child.id();
    let (done_tx, done_rx) = std_mpsc::channel();
    thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    let status = match done_rx.recv_timeout(GRACE + Duration::from_secs(10)) {
        Ok(status) => status.unwrap(),
        Err(_) => {
            kill("-KILL", pid);
            greedy.stop();
            panic!("handspun serve was still running long after SIGTERM's grace");
        }
    };
    let exited_after = signalled.elapsed();
    greedy.stop();
    Stopping {
        refused_while_running,
        exited_after,
        success: status.success(),
    }
}

#[test]
fn sigterm_stops_accepting_at_once_and_exits_after_the_grace_while_a_client_downloads_without_end()
{
    let stopping = sigterm_beside(Greed::Download);
    // The download never ends by itself: only the grace ends it.
    assert!(
        stopping.refused_while_running,
        "the listener stayed open: {stopping:?}"
    );
    assert!(
        stopping.success,
        "serve failed, {:?} after SIGTERM",
        stopping.exited_after
    );
}

#[test]
fn sigterm_stops_the_server_while_a_client_pipelines_without_end() {
    // The pipelining connection is closed after the answer it is writing
    // (`Connection: close`), so the server may be gone before a new client
    // even tries; either way it must be gone within the grace.
    let stopping = sigterm_beside(Greed::Pipeline);
    assert!(stopping.success, "{stopping:?}");
}
