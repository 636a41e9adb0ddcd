//! Idle connections, oldest first: whom to close when a newcomer meets the connection cap.
//!
//! At [`ServerConfig::max_connections`](super::ServerConfig::max_connections)
//! a server must either turn newcomers away or make room. Turning them away
//! (`503`) lets idle connections lock everybody else out until they time out.
//! So, as nginx does with its keep-alive connections, the server closes an
//! idle one to admit the newcomer:
//!
//! - first a connection that has **never sent a byte** (a client that
//!   connected and went quiet, or a port scanner), oldest first;
//! - then an **idle keep-alive** connection, the one idle the longest — its
//!   client can reconnect, and would have been closed at the idle timeout
//!   anyway.
//!
//! A connection is *idle* while it waits for the first byte of a request
//! (the `Waiting` phase in `connection.rs`). While it reads a request or
//! writes a response it is busy, and never chosen: only when every slot is
//! busy does a newcomer get `503`.
//!
//! Each idle connection holds an [`IdleGuard`]: it is in the set from
//! [`IdleConnections::enter`] until the guard drops (the first byte arrived,
//! a timeout, a close), and its [`IdleGuard::evicted`] future completes if
//! the server chooses it. The set is behind a `Mutex`: never contended on
//! the single loop, and shared by the workers on the work-stealing runtime.
//! There, a connection can turn busy on one worker while another evicts it;
//! the eviction then wakes nobody, and that one newcomer is admitted over
//! the cap (a shortcut: a production server would count the slot back).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::event_loop::channel::oneshot;

/// What an idle connection has done so far; the order is the order of
/// eviction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Idleness {
    /// Connected, and has not sent a byte yet: closed first.
    NeverSent,
    /// Finished at least one request and waits for the next.
    KeepAlive,
}

/// The idle connections of one server, in eviction order.
#[derive(Default)]
pub(crate) struct IdleConnections {
    /// Locked briefly, never across `.await`.
    state: Mutex<Waiting>,
}

/// The idle connections and the next sequence number.
#[derive(Default)]
struct Waiting {
    /// Keyed by class, then by when the connection turned idle (a counter,
    /// so the smallest key is the one to evict); the sender wakes its
    /// connection's [`IdleGuard::evicted`].
    waiting: BTreeMap<(Idleness, u64), oneshot::Sender<()>>,
    /// The next key's sequence number.
    next: u64,
}

impl IdleConnections {
    /// The set, even if a panicking thread poisoned the lock (each update
    /// is one map operation).
    fn lock(&self) -> MutexGuard<'_, Waiting> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A connection turns idle; it stays in the set until the guard drops.
    pub(crate) fn enter(self: &Arc<Self>, class: Idleness) -> IdleGuard {
        let (sender, receiver) = oneshot::channel();
        let key = {
            let mut state = self.lock();
            let key = (class, state.next);
            state.next += 1;
            state.waiting.insert(key, sender);
            key
        };
        IdleGuard {
            set: Arc::clone(self),
            key,
            evicted: receiver,
        }
    }

    /// Closes the idle connection that comes first in eviction order; `false`
    /// if no connection is idle.
    pub(crate) fn evict_one(&self) -> bool {
        loop {
            let first = self.lock().waiting.pop_first();
            let Some((_, sender)) = first else {
                return false;
            };
            // Sent outside the lock: the send wakes the connection's task.
            if sender.send(()).is_ok() {
                return true;
            }
        }
    }
}

/// One connection's place in the [`IdleConnections`]; leaves it on drop.
pub(crate) struct IdleGuard {
    /// The set it is in.
    set: Arc<IdleConnections>,
    /// Its key there.
    key: (Idleness, u64),
    /// Completes when the server chooses this connection to close.
    evicted: oneshot::Receiver<()>,
}

impl IdleGuard {
    /// Completes once the server has chosen this connection to make room
    /// (never, while it is not chosen).
    pub(crate) async fn evicted(&mut self) {
        if (&mut self.evicted).await.is_err() {
            // The sender is only dropped with the guard itself, so this
            // cannot happen while someone awaits; wait forever to be safe.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for IdleGuard {
    fn drop(&mut self) {
        self.set.lock().waiting.remove(&self.key);
    }
}
