//! In-memory streams and listeners, so network code runs in a simulation.
//!
//! A simulated loop refuses real sockets; these take their place. A
//! [`Listener`] bound to an address gets the [`Stream`]s that
//! [`Stream::connect`] opens to it; each stream is one end of two in-memory
//! byte queues. Writes never wait (the queues are unbounded: no back
//! pressure, a shortcut a network simulator such as turmoil would not take);
//! a read waits until the peer writes or closes. Dropping a stream (or
//! calling [`Stream::shutdown`]) closes its writing side: the peer reads the
//! rest, then end of file.
//!
//! The addresses live with the simulated run that binds them: each run
//! starts with none bound.

#![forbid(unsafe_code)]

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Poll, Waker};

thread_local! {
    /// The listeners of the simulated run on this thread, by address.
    static LISTENERS: RefCell<HashMap<SocketAddr, Rc<Backlog>>> = RefCell::new(HashMap::new());
    /// The next port a connecting stream gets as its own address.
    static NEXT_PORT: Cell<u16> = const { Cell::new(FIRST_CLIENT_PORT) };
}

/// The first port handed to connecting streams (the start of Linux's
/// ephemeral range).
const FIRST_CLIENT_PORT: u16 = 32768;

/// Forgets every listener (a new simulated run begins).
pub(crate) fn reset() {
    LISTENERS.with(|listeners| listeners.borrow_mut().clear());
    NEXT_PORT.set(FIRST_CLIENT_PORT);
}

/// Connections waiting to be accepted.
#[derive(Debug, Default)]
struct Backlog {
    /// Guarded by the loop's single thread: new connections, oldest first.
    queue: RefCell<VecDeque<(Stream, SocketAddr)>>,
    /// The task waiting in `accept`, if any.
    waiter: RefCell<Option<Waker>>,
}

/// One direction of a connection: bytes written and not yet read.
#[derive(Debug, Default)]
struct Pipe {
    bytes: RefCell<VecDeque<u8>>,
    /// True once the writer closed: after the bytes, end of file.
    closed: Cell<bool>,
    /// The task waiting to read, if any.
    reader: RefCell<Option<Waker>>,
}

impl Pipe {
    /// Wakes the reader (outside any borrow).
    fn wake_reader(&self) {
        let waker = self.reader.borrow_mut().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// A listener on a simulated address.
///
/// # Examples
///
/// ```
/// use handspun::event_loop;
/// use handspun::sim::{self, net::{Listener, Stream}, Policy};
///
/// let run = sim::run(&Policy::Random { seed: 1 }, || async {
///     let addr = "10.0.0.1:80".parse().unwrap();
///     let listener = Listener::bind(addr).unwrap();
///     let server = event_loop::spawn(async move {
///         let (mut stream, _peer) = listener.accept().await.unwrap();
///         let mut buf = [0; 4];
///         stream.read_exact(&mut buf).await.unwrap();
///         stream.write_all(&buf).await.unwrap(); // echo
///     });
///     let mut client = Stream::connect(addr).await.unwrap();
///     client.write_all(b"ping").await.unwrap();
///     let mut back = [0; 4];
///     client.read_exact(&mut back).await.unwrap();
///     server.await.unwrap();
///     back
/// });
/// assert_eq!(&run.outcome.unwrap(), b"ping");
/// ```
#[derive(Debug)]
pub struct Listener {
    addr: SocketAddr,
    backlog: Rc<Backlog>,
}

impl Listener {
    /// Binds `addr` in this simulated run.
    ///
    /// # Errors
    ///
    /// `AddrInUse` if another listener of this run holds `addr`.
    pub fn bind(addr: SocketAddr) -> io::Result<Listener> {
        let backlog = Rc::new(Backlog::default());
        LISTENERS.with(|listeners| {
            let mut listeners = listeners.borrow_mut();
            if listeners.contains_key(&addr) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{addr} is already bound in this simulation"),
                ));
            }
            listeners.insert(addr, backlog.clone());
            Ok(())
        })?;
        Ok(Listener { addr, backlog })
    }

    /// Waits for a connection; returns its stream and the peer's address.
    ///
    /// # Errors
    ///
    /// None today; `io::Result` so code written against the real listener
    /// reads the same.
    pub async fn accept(&self) -> io::Result<(Stream, SocketAddr)> {
        poll_fn(|cx| {
            if let Some(connection) = self.backlog.queue.borrow_mut().pop_front() {
                return Poll::Ready(Ok(connection));
            }
            *self.backlog.waiter.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// The address it is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        LISTENERS.with(|listeners| {
            let mut listeners = listeners.borrow_mut();
            // Only our own entry: a later run may have bound the address anew.
            if listeners
                .get(&self.addr)
                .is_some_and(|backlog| Rc::ptr_eq(backlog, &self.backlog))
            {
                listeners.remove(&self.addr);
            }
        });
    }
}

/// One end of an in-memory connection.
#[derive(Debug)]
pub struct Stream {
    /// What the peer wrote, for us to read.
    incoming: Rc<Pipe>,
    /// What we write, for the peer to read.
    outgoing: Rc<Pipe>,
    local: SocketAddr,
    peer: SocketAddr,
}

impl Stream {
    /// Connects to the listener bound at `addr` in this simulated run.
    ///
    /// # Errors
    ///
    /// `ConnectionRefused` if no listener is bound there.
    pub async fn connect(addr: SocketAddr) -> io::Result<Stream> {
        let backlog = LISTENERS
            .with(|listeners| listeners.borrow().get(&addr).cloned())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    format!("no simulated listener at {addr}"),
                )
            })?;
        let port = NEXT_PORT.get();
        NEXT_PORT.set(port.wrapping_add(1).max(FIRST_CLIENT_PORT));
        let local = SocketAddr::new(addr.ip(), port);
        let (up, down) = (Rc::new(Pipe::default()), Rc::new(Pipe::default()));
        let server_end = Stream {
            incoming: up.clone(),
            outgoing: down.clone(),
            local: addr,
            peer: local,
        };
        backlog.queue.borrow_mut().push_back((server_end, local));
        let waiter = backlog.waiter.borrow_mut().take();
        if let Some(waiter) = waiter {
            waiter.wake();
        }
        Ok(Stream {
            incoming: down,
            outgoing: up,
            local,
            peer: addr,
        })
    }

    /// Reads what the peer wrote, waiting until there is something; `Ok(0)`
    /// is end of file (the peer closed its side).
    ///
    /// # Errors
    ///
    /// None today (see [`Listener::accept`]).
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| {
            let mut bytes = self.incoming.bytes.borrow_mut();
            if bytes.is_empty() && !buf.is_empty() {
                if self.incoming.closed.get() {
                    return Poll::Ready(Ok(0));
                }
                *self.incoming.reader.borrow_mut() = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let n = buf.len().min(bytes.len());
            for (slot, byte) in buf.iter_mut().zip(bytes.drain(..n)) {
                *slot = byte;
            }
            Poll::Ready(Ok(n))
        })
        .await
    }

    /// Writes all of `buf` (never waits: the queue is unbounded).
    ///
    /// # Errors
    ///
    /// `BrokenPipe` after [`Stream::shutdown`].
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.outgoing.closed.get() {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "this stream's writing side is shut down",
            ));
        }
        self.outgoing.bytes.borrow_mut().extend(buf);
        self.outgoing.wake_reader();
        Ok(buf.len())
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// As [`Stream::write`].
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.write(buf).await.map(drop)
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the peer closes first.
    pub async fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    /// Closes the writing side: the peer reads what is queued, then end of
    /// file.
    pub fn shutdown(&self) {
        self.outgoing.closed.set(true);
        self.outgoing.wake_reader();
    }

    /// This end's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The other end's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.shutdown();
    }
}
