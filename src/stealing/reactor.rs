//! The reactor: one `mio::Poll` for the whole runtime, driven by whichever
//! worker goes to sleep first.
//!
//! ## Who drives it, and why
//!
//! There is one `epoll` instance ([`Driver`]) behind one mutex. A worker
//! that runs out of work tries to take that lock: if it gets it, it sleeps
//! *in* `epoll_wait`, until a socket is ready, the nearest timer is due, or
//! the reactor's `mio::Waker` is written. The other sleepers wait on their
//! condition variables. So the reactor costs no thread of its own, and
//! while any worker sleeps, I/O and timers are served at once. Busy workers
//! also poll it without blocking every few dozen tasks (`worker.rs`), so
//! I/O is not starved when nobody sleeps. This is what tokio's
//! multi-thread runtime does.
//!
//! Registering a socket or a timer does not need the driver's lock: a
//! `mio::Registry` may be used while another thread waits in `poll`, and the
//! registrations ([`Reactor::sources`]) and the timers ([`Timers`]) have
//! locks of their own.
//!
//! ## Readiness, edge-triggered
//!
//! `mio` reports a socket once per change ("edge"). Each [`IoSource`] keeps
//! the last readiness seen and a *tick* counting events. A reader that got
//! `WouldBlock` clears "readable" only if no event came since it looked
//! (same tick): otherwise an event that arrived in between would be erased
//! and the reader would sleep forever.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::timers::Timers;

/// The token of the reactor's own `mio::Waker`.
const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);

/// How many events one `epoll_wait` returns at most.
const EVENTS_PER_TURN: usize = 1024;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A direction a task can wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Data (or a connection, or end-of-stream) to read.
    Read,
    /// Room in the send buffer, or a finished `connect`.
    Write,
}

/// One registered socket's readiness and waiting tasks.
pub(crate) struct IoSource {
    /// The socket's token (immutable).
    pub(crate) token: mio::Token,
    /// Guarded by its mutex; written by the driver, read by the socket's
    /// reader and writer.
    state: Mutex<IoState>,
}

#[derive(Default)]
struct IoState {
    readable: bool,
    writable: bool,
    /// Counts events; see the module docs.
    tick: u64,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

impl IoSource {
    /// Ready (with the current tick) if the socket was last seen ready in
    /// `direction`; otherwise keeps `cx`'s waker for the next event.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, direction: Direction) -> Poll<u64> {
        let mut state = lock(&self.state);
        let (ready, slot) = match direction {
            Direction::Read => (state.readable, &mut state.reader),
            Direction::Write => (state.writable, &mut state.writer),
        };
        if ready {
            return Poll::Ready(state.tick);
        }
        match slot {
            Some(old) if old.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The operation got `WouldBlock`: forget the readiness seen at `tick`,
    /// unless a newer event came since.
    pub(crate) fn clear_ready(&self, direction: Direction, tick: u64) {
        let mut state = lock(&self.state);
        if state.tick == tick {
            match direction {
                Direction::Read => state.readable = false,
                Direction::Write => state.writable = false,
            }
        }
    }

    fn dispatch(&self, event: &mio::event::Event, wakers: &mut Vec<Waker>) {
        let mut state = lock(&self.state);
        state.tick += 1;
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            state.readable = true;
            wakers.extend(state.reader.take());
        }
        if event.is_writable() || event.is_write_closed() || event.is_error() {
            state.writable = true;
            wakers.extend(state.writer.take());
        }
    }

    fn take_wakers(&self, wakers: &mut Vec<Waker>) {
        let mut state = lock(&self.state);
        wakers.extend(state.reader.take());
        wakers.extend(state.writer.take());
    }
}

/// The part of the reactor every thread may use: registration, timers, and
/// the waker that interrupts the driver.
pub(crate) struct Reactor {
    registry: mio::Registry,
    waker: mio::Waker,
    /// Registered sockets by token. Guarded by its mutex; the driver looks
    /// events up here.
    sources: Mutex<HashMap<usize, Arc<IoSource>>>,
    next_token: AtomicUsize,
    /// The runtime's timers (`timers.rs`).
    pub(crate) timers: Timers,
    /// True while a worker blocks in the driver: only then must a new,
    /// earlier timer interrupt it.
    driver_blocked: AtomicBool,
}

/// The `epoll` instance and its event buffer: taken (behind the runtime's
/// lock) by the worker that drives the reactor.
pub(crate) struct Driver {
    poll: mio::Poll,
    events: mio::Events,
}

/// Creates the reactor's two halves.
pub(crate) fn new() -> io::Result<(Reactor, Driver)> {
    let poll = mio::Poll::new()?;
    let registry = poll.registry().try_clone()?;
    let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
    let reactor = Reactor {
        registry,
        waker,
        sources: Mutex::new(HashMap::new()),
        next_token: AtomicUsize::new(0),
        timers: Timers::new(),
        driver_blocked: AtomicBool::new(false),
    };
    let driver = Driver {
        poll,
        events: mio::Events::with_capacity(EVENTS_PER_TURN),
    };
    Ok((reactor, driver))
}

impl Reactor {
    /// Registers `source` for read and write readiness.
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
    ) -> io::Result<Arc<IoSource>> {
        let token = mio::Token(self.next_token.fetch_add(1, Ordering::Relaxed));
        let io = Arc::new(IoSource {
            token,
            state: Mutex::new(IoState::default()),
        });
        // Known to the driver *before* epoll knows the socket: another
        // worker may be in `epoll_wait` and get the socket's first event at
        // once (a refused connect does), and an edge-triggered event that
        // finds no source is lost for good.
        lock(&self.sources).insert(token.0, io.clone());
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE;
        if let Err(error) = self.registry.register(source, token, interest) {
            lock(&self.sources).remove(&token.0);
            return Err(error);
        }
        Ok(io)
    }

    /// Unregisters `source` (when its socket is dropped).
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source, io: &IoSource) {
        // Failing here means the socket is already gone from epoll; either
        // way no more events will come for it.
        let _ = self.registry.deregister(source);
        lock(&self.sources).remove(&io.token.0);
    }

    /// Interrupts the worker sleeping in the driver, if one is.
    pub(crate) fn wake_driver(&self) {
        // An error means the eventfd is full of wake-ups already.
        let _ = self.waker.wake();
    }

    /// Whether a worker sleeps in the driver right now.
    pub(crate) fn is_driver_blocked(&self) -> bool {
        self.driver_blocked.load(Ordering::SeqCst)
    }

    /// Whether a sleeping worker is needed in the driver: some timer or
    /// socket may wake a task.
    pub(crate) fn has_waiters(&self) -> bool {
        !self.timers.is_empty() || !lock(&self.sources).is_empty()
    }

    /// At shutdown: takes every waiting task's waker, so the reference
    /// cycles through them are broken.
    pub(crate) fn take_all_wakers(&self, wakers: &mut Vec<Waker>) {
        let sources: Vec<Arc<IoSource>> = lock(&self.sources).values().cloned().collect();
        for source in sources {
            source.take_wakers(wakers);
        }
        self.timers.take_all(wakers);
    }
}

impl Driver {
    /// One turn: waits for events (at most until the nearest timer if
    /// `block`, not at all otherwise), then collects the wakers of the
    /// ready sockets and the due timers into `wakers`. The caller wakes
    /// them after releasing the driver's lock.
    pub(crate) fn turn(&mut self, reactor: &Reactor, block: bool, wakers: &mut Vec<Waker>) {
        // Published before the deadline is read: a timer added after the
        // read sees the flag and interrupts us; one added before is read.
        reactor.driver_blocked.store(block, Ordering::SeqCst);
        let timeout = if block {
            reactor
                .timers
                .next_deadline()
                .map(|deadline| deadline.saturating_duration_since(Instant::now()))
        } else {
            Some(Duration::ZERO)
        };
        let polled = self.poll.poll(&mut self.events, timeout);
        reactor.driver_blocked.store(false, Ordering::SeqCst);
        match polled {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            // Only a broken epoll descriptor fails here; nothing can go on.
            Err(error) => panic!("mio::Poll::poll failed: {error}"),
        }
        if !self.events.is_empty() {
            let sources = lock(&reactor.sources);
            for event in self.events.iter() {
                if event.token() == WAKER_TOKEN {
                    continue;
                }
                if let Some(source) = sources.get(&event.token().0) {
                    source.dispatch(event, wakers);
                }
            }
        }
        reactor.timers.fire_due(Instant::now(), wakers);
    }
}
