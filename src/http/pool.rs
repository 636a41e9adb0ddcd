//! The async client's connection pool: idle connections per host, and a limit tasks queue for.
//!
//! A [`Pool`] hands out [`Lease`]s. A lease is a *slot* — one of at most
//! `limit` connections that may exist at once — holding either an idle
//! connection taken from the pool or nothing yet (the caller opens one).
//! Giving the lease back with [`Pool::release`] keeps the connection for
//! reuse; dropping it closes the connection and frees the slot.
//!
//! When every slot is taken by a busy connection, [`Pool::acquire`] waits
//! in a FIFO queue. Each freed slot wakes the oldest waiter, which then
//! looks again (a newcomer may have been quicker; it simply queues again).
//! A waiter that gives up after being woken passes its turn on, so a free
//! slot is never left unclaimed while tasks wait.
//!
//! The state is behind a `Mutex`, locked only between `.await`s, and
//! wakers are called after the lock is released. On the single loop the
//! lock is never contended (one thread) and costs an atomic operation per
//! request; on the work-stealing runtime it is what lets tasks on several
//! workers share one pool. `S` is the runtime's socket (`runtime.rs`).

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::transport::Transport;

/// A limited set of keep-alive connections, shared by one session's tasks.
pub(crate) struct Pool<S> {
    /// Most connections at once, idle or busy.
    limit: usize,
    /// Most idle connections kept per `host:port`.
    max_idle_per_host: usize,
    /// The mutable part. Locked briefly, never across `.await`.
    state: Mutex<State<S>>,
}

/// What changes as tasks take and return connections.
struct State<S> {
    /// Idle keep-alive connections by origin (`scheme://host:port`).
    idle: HashMap<String, Vec<Transport<S>>>,
    /// Slots taken: idle connections plus live leases.
    /// Invariant: `open <= limit`.
    open: usize,
    /// Tasks waiting for a slot, oldest first.
    waiters: VecDeque<(u64, Waker)>,
    /// Waiters woken but not yet run; see [`SlotFreed`].
    woken: Vec<u64>,
    /// The next waiter id.
    next_waiter: u64,
}

impl<S> Default for State<S> {
    fn default() -> Self {
        State {
            idle: HashMap::new(),
            open: 0,
            waiters: VecDeque::new(),
            woken: Vec::new(),
            next_waiter: 0,
        }
    }
}

impl<S> State<S> {
    /// Pops the oldest waiter, marking it woken; the caller wakes it once
    /// the lock is released.
    fn take_waiter(&mut self) -> Option<Waker> {
        let (id, waker) = self.waiters.pop_front()?;
        self.woken.push(id);
        Some(waker)
    }
}

/// A pool slot, and the connection in it.
pub(crate) struct Lease<S> {
    /// The connection; `None` until the caller opens one.
    pub(crate) stream: Option<Transport<S>>,
    /// Whether the connection came from the idle pool (and may be stale).
    pub(crate) reused: bool,
    /// The pool whose slot this is.
    pool: Arc<Pool<S>>,
    /// Set by `release`: the slot belongs to the pool again.
    released: bool,
}

impl<S> Drop for Lease<S> {
    fn drop(&mut self) {
        if !self.released {
            self.pool.free_slot();
        }
    }
}

impl<S> Pool<S> {
    /// An empty pool allowing `limit` connections (at least 1).
    pub(crate) fn new(limit: usize, max_idle_per_host: usize) -> Arc<Pool<S>> {
        Arc::new(Pool {
            limit: limit.max(1),
            max_idle_per_host,
            state: Mutex::new(State::default()),
        })
    }

    /// The state, even if a panicking task poisoned the lock (every update
    /// is a few assignments that cannot panic halfway).
    fn lock(&self) -> MutexGuard<'_, State<S>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Connections that exist now, idle or busy.
    pub(crate) fn open(&self) -> usize {
        self.lock().open
    }

    /// A slot for a connection to `origin`: holding an idle connection
    /// to it if there is one, else empty for the caller to fill. Waits while
    /// every slot is busy.
    pub(crate) async fn acquire(self: &Arc<Self>, origin: &str) -> Lease<S> {
        loop {
            if let Some(lease) = self.try_acquire(origin) {
                return lease;
            }
            SlotFreed {
                pool: self.clone(),
                id: None,
            }
            .await;
        }
    }

    /// [`acquire`](Self::acquire) without waiting: `None` when every slot is busy.
    fn try_acquire(self: &Arc<Self>, origin: &str) -> Option<Lease<S>> {
        let mut state = self.lock();
        let stream = if let Some(stream) = state.idle.get_mut(origin).and_then(Vec::pop) {
            Some(stream)
        } else if state.open < self.limit {
            state.open += 1;
            None
        } else if let Some(other) = state.idle.values_mut().find_map(Vec::pop) {
            // Every slot holds an idle connection to another host: close one
            // and take its slot.
            drop(other);
            None
        } else {
            return None;
        };
        Some(Lease {
            reused: stream.is_some(),
            stream,
            pool: self.clone(),
            released: false,
        })
    }

    /// Takes back a lease whose connection may carry another request: it
    /// joins the idle connections of `origin` (or is closed if enough
    /// are idle), and the oldest waiter gets a look.
    pub(crate) fn release(&self, mut lease: Lease<S>, origin: String) {
        let Some(stream) = lease.stream.take() else {
            return;
        };
        lease.released = true;
        let waiter = {
            let mut state = self.lock();
            let idle = state.idle.entry(origin).or_default();
            if idle.len() < self.max_idle_per_host {
                idle.push(stream);
            } else {
                drop(stream);
                state.open -= 1;
            }
            state.take_waiter()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// Gives a slot back (its connection, if any, is already closed).
    fn free_slot(&self) {
        let waiter = {
            let mut state = self.lock();
            state.open -= 1;
            state.take_waiter()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

/// Completes when a slot may have come free (the task then looks again).
struct SlotFreed<S> {
    /// The pool awaited.
    pool: Arc<Pool<S>>,
    /// This waiter's id, once queued.
    id: Option<u64>,
}

impl<S> Future for SlotFreed<S> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let pool = self.pool.clone();
        let mut state = pool.lock();
        match self.id {
            Some(id) => {
                if let Some(i) = state.woken.iter().position(|&w| w == id) {
                    state.woken.swap_remove(i);
                    self.id = None;
                    return Poll::Ready(());
                }
                if let Some(entry) = state.waiters.iter_mut().find(|(w, _)| *w == id) {
                    entry.1 = cx.waker().clone();
                }
                Poll::Pending
            }
            None => {
                state.next_waiter += 1;
                let id = state.next_waiter;
                state.waiters.push_back((id, cx.waker().clone()));
                self.id = Some(id);
                Poll::Pending
            }
        }
    }
}

impl<S> Drop for SlotFreed<S> {
    fn drop(&mut self) {
        let Some(id) = self.id else { return };
        let waiter = {
            let mut state = self.pool.lock();
            if let Some(i) = state.woken.iter().position(|&w| w == id) {
                // Woken, but giving up (a timeout): pass the turn on.
                state.woken.swap_remove(i);
                state.take_waiter()
            } else {
                state.waiters.retain(|(w, _)| *w != id);
                None
            }
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}
