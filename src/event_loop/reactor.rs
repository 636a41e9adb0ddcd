//! The reactor: turns "this socket is readable/writable" into wake-ups.
//!
//! Every socket is registered once with `mio::Poll` (epoll on Linux), for
//! both directions, edge-triggered, under a `Token` that is its slot in
//! [`Reactor::sources`]. A slot holds at most two wakers: the task waiting to
//! read and the task waiting to write.
//!
//! The protocol a socket operation follows:
//!
//! 1. try the system call (non-blocking);
//! 2. on success, return the result; on `WouldBlock`, store the task's waker in
//!    the slot for that direction and return `Pending`.
//!
//! When `poll` reports an event for the token, the reactor takes the waker(s)
//! of the direction(s) that became ready and wakes exactly those tasks.
//!
//! So a task waits only after the kernel said `WouldBlock`: it always drains
//! the socket to `WouldBlock` before it parks, which is exactly what
//! edge-triggered readiness (an event per *change*, not per *state*) needs.
//!
//! Why no readiness is lost with edge triggering: the loop is single-threaded,
//! so events are only dispatched between polls — after the task has stored its
//! waker. An edge that arrives while nobody waits is dropped, which is fine:
//! a task always tries the system call before it waits. A task woken for
//! nothing (a spurious wake) simply gets `WouldBlock` again and waits again.

#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::io;
use std::task::{Context, Waker};
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token};

use super::slab::Slab;

/// The token of the loop's `mio::Waker` (cross-thread wake-ups).
pub(crate) const WAKER_TOKEN: Token = Token(usize::MAX);

/// The direction a task waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Waiting until the source can be read (or accepted from).
    Read,
    /// Waiting until the source can be written (or has connected).
    Write,
}

/// The waiters of one registered source.
#[derive(Debug, Default)]
struct IoSlot {
    /// The task waiting to read, if any.
    reader: Option<Waker>,
    /// The task waiting to write, if any.
    writer: Option<Waker>,
}

/// The loop's connection to the operating system's readiness API.
pub(crate) struct Reactor {
    /// The `epoll` instance. Borrowed only while blocked in `poll`.
    poll: RefCell<Poll>,
    /// A handle for (de)registering sources without borrowing `poll`.
    registry: Registry,
    /// The buffer `poll` fills. Borrowed only inside [`Reactor::turn`].
    events: RefCell<Events>,
    /// One slot per registered source; the slot's key is its token.
    /// Borrowed briefly, never while a waker runs.
    sources: RefCell<Slab<IoSlot>>,
    /// True in a simulated loop: its time is virtual, so a real socket would
    /// make runs unrepeatable; [`Reactor::register`] refuses every source.
    simulated: bool,
}

impl Reactor {
    /// Creates a reactor around a new `epoll` instance, and the `mio::Waker`
    /// that interrupts it. A `simulated` one refuses sockets.
    pub(crate) fn new(simulated: bool) -> io::Result<(Reactor, mio::Waker)> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        let reactor = Reactor {
            poll: RefCell::new(poll),
            registry,
            events: RefCell::new(Events::with_capacity(1024)),
            sources: RefCell::new(Slab::default()),
            simulated,
        };
        Ok((reactor, waker))
    }

    /// Registers `source` for both directions; returns its token.
    ///
    /// # Errors
    ///
    /// The error of `epoll_ctl` (for example too many watches). In a
    /// simulated loop, always an `Unsupported` error holding
    /// [`SimError::RealSocket`](crate::sim::SimError::RealSocket).
    pub(crate) fn register(&self, source: &mut impl Source) -> io::Result<usize> {
        if self.simulated {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                crate::sim::SimError::RealSocket,
            ));
        }
        let key = self.sources.borrow_mut().insert(IoSlot::default());
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(error) = self.registry.register(source, Token(key), interest) {
            self.sources.borrow_mut().remove(key);
            return Err(error);
        }
        Ok(key)
    }

    /// Removes `source` from `epoll` and forgets its waiters.
    pub(crate) fn deregister(&self, source: &mut impl Source, key: usize) {
        // Failure means the descriptor is already gone from epoll: nothing to do.
        let _ = self.registry.deregister(source);
        let slot = self.sources.borrow_mut().remove(key);
        drop(slot); // outside the borrow: dropping a waker may run code
    }

    /// Parks the current task until source `key` is ready in `direction`.
    /// Call only after the operation returned `WouldBlock`.
    pub(crate) fn wait(&self, key: usize, direction: Direction, cx: &Context<'_>) {
        let old = {
            let mut sources = self.sources.borrow_mut();
            let Some(slot) = sources.get_mut(key) else {
                return;
            };
            let place = match direction {
                Direction::Read => &mut slot.reader,
                Direction::Write => &mut slot.writer,
            };
            match place {
                Some(waker) if waker.will_wake(cx.waker()) => None,
                _ => place.replace(cx.waker().clone()),
            }
        };
        drop(old);
    }

    /// Number of registered sources.
    pub(crate) fn source_count(&self) -> usize {
        self.sources.borrow().len()
    }

    /// Waits for events (at most `timeout`; `None` blocks until one comes) and
    /// collects the wakers of the tasks they concern into `woken`. The caller
    /// wakes them after this returns, with no borrow held.
    pub(crate) fn turn(&self, timeout: Option<Duration>, woken: &mut Vec<Waker>) {
        let mut events = self.events.borrow_mut();
        match self.poll.borrow_mut().poll(&mut events, timeout) {
            Ok(()) => {}
            // A signal interrupted the wait: report "no events"; the loop
            // comes back here soon if it still has nothing to do.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => events.clear(),
            // Only a broken epoll descriptor fails here; nothing can go on.
            Err(error) => panic!("mio::Poll::poll failed: {error}"),
        }
        let mut sources = self.sources.borrow_mut();
        for event in events.iter() {
            if event.token() == WAKER_TOKEN {
                continue; // only there to end the wait; the inbox says the rest
            }
            let Some(slot) = sources.get_mut(event.token().0) else {
                continue; // deregistered meanwhile
            };
            let failed = event.is_error();
            if event.is_readable() || event.is_read_closed() || failed {
                woken.extend(slot.reader.take());
            }
            if event.is_writable() || event.is_write_closed() || failed {
                woken.extend(slot.writer.take());
            }
        }
    }

    /// Drops every stored waker (the loop is being dropped).
    pub(crate) fn clear_waiters(&self) {
        let slots = self.sources.borrow_mut().drain();
        drop(slots);
    }
}
