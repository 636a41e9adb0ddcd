//! Graceful shutdown: a flag any thread can raise, which tasks can await.
//!
//! [`Shutdown::trigger`] may be called from anywhere — a signal-handling
//! thread, [`BackgroundServer::shutdown`](super::BackgroundServer::shutdown)
//! on the test's thread, or a task. Tasks on the server's loop await
//! [`Shutdown::wait`]: the accept loop stops accepting, idle connections
//! close, and busy ones finish the response they are writing. The wake-up
//! crosses threads through ordinary `std::task` wakers, which the event loop
//! makes thread-safe (its inbox plus a `mio::Waker`).
//!
//! [`race`] is the small `select` this needs: run two futures, take whichever
//! finishes first.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// The shared state behind a [`Shutdown`].
#[derive(Debug, Default)]
struct State {
    /// Set once by `trigger`; never cleared.
    triggered: bool,
    /// The wakers of pending [`Triggered`] futures, by their id. Emptied
    /// by `trigger`; a future removes its own entry when dropped.
    waiters: HashMap<u64, Waker>,
    /// The next waiter id.
    next_id: u64,
}

/// A one-way "stop now" flag, cheap to clone and safe to trigger from any thread.
///
/// # Examples
///
/// ```
/// use handspun::http::server::Shutdown;
///
/// let shutdown = Shutdown::new();
/// let seen_by_server = shutdown.clone();
/// assert!(!seen_by_server.is_triggered());
/// std::thread::spawn(move || shutdown.trigger()).join().unwrap();
/// assert!(seen_by_server.is_triggered());
/// ```
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    /// Guarded by its mutex, held only to read or update the state, never
    /// while a waker runs.
    state: Arc<Mutex<State>>,
}

impl Shutdown {
    /// A flag not yet raised.
    pub fn new() -> Shutdown {
        Shutdown::default()
    }

    /// Raises the flag and wakes every task waiting on it. Idempotent.
    pub fn trigger(&self) {
        let wakers: Vec<Waker> = {
            let mut state = self.lock();
            state.triggered = true;
            state.waiters.drain().map(|(_, w)| w).collect()
        };
        // Woken after the guard is dropped: a waker may run code that locks again.
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether [`trigger`](Self::trigger) has been called.
    pub fn is_triggered(&self) -> bool {
        self.lock().triggered
    }

    /// A future that completes once the flag is raised.
    pub fn wait(&self) -> Triggered {
        Triggered {
            shutdown: self.clone(),
            id: None,
        }
    }

    /// The state, even if a panicking thread poisoned the lock (the state
    /// is a flag and a map of wakers: always consistent).
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The future returned by [`Shutdown::wait`].
#[derive(Debug)]
pub struct Triggered {
    /// The flag awaited.
    shutdown: Shutdown,
    /// This future's entry in `waiters`, once registered.
    id: Option<u64>,
}

impl Future for Triggered {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.shutdown.lock();
        if state.triggered {
            return Poll::Ready(());
        }
        let id = match self.id {
            Some(id) => id,
            None => {
                state.next_id += 1;
                state.next_id
            }
        };
        state.waiters.insert(id, cx.waker().clone());
        drop(state);
        self.id = Some(id);
        Poll::Pending
    }
}

impl Drop for Triggered {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.shutdown.lock().waiters.remove(&id);
        }
    }
}

/// Which of two raced futures finished first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first one.
    Left(A),
    /// The second one.
    Right(B),
}

/// Polls `a` then `b` until one completes; the other is dropped. `a` wins
/// a tie, so put the future whose result matters most first.
pub async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(out));
        }
        if let Poll::Ready(out) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(out));
        }
        Poll::Pending
    })
    .await
}
