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
//! the server chooses it.
//!
//! The choice is made under the set's lock, and it is final: a connection
//! whose first byte arrived just as it was chosen — its task woken, not yet
//! run, or on another worker — finds on [`IdleGuard::leave`] that it is no
//! longer in the set, and closes all the same. So each eviction frees
//! exactly one slot and the cap holds. The lock is never contended on the
//! single loop; on the work-stealing runtime the workers share the set.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use super::ServerStats;

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
pub(crate) struct IdleConnections {
    /// Locked briefly, never across `.await`.
    state: Mutex<Waiting>,
    /// The server's counters; `idle` is kept equal to the set's size.
    stats: Arc<ServerStats>,
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
    /// An empty set, counted in `stats.idle`.
    pub(crate) fn new(stats: Arc<ServerStats>) -> IdleConnections {
        IdleConnections {
            state: Mutex::default(),
            stats,
        }
    }

    /// Removes `key` from the set; whether it was there.
    fn remove(&self, key: &(Idleness, u64)) -> bool {
        let removed = self.lock().waiting.remove(key).is_some();
        if removed {
            self.stats.idle.fetch_sub(1, Ordering::Relaxed);
        }
        removed
    }

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
        self.stats.idle.fetch_add(1, Ordering::Relaxed);
        IdleGuard {
            set: Arc::clone(self),
            key,
            evicted: receiver,
        }
    }

    /// Closes the idle connection that comes first in eviction order; `false`
    /// if no connection is idle.
    pub(crate) fn evict_one(&self) -> bool {
        let first = self.lock().waiting.pop_first();
        let Some((_, sender)) = first else {
            return false;
        };
        self.stats.idle.fetch_sub(1, Ordering::Relaxed);
        // Sent outside the lock: the send wakes the connection's task. If
        // that task is already leaving the set, `leave` tells it that it
        // was chosen, so the send may fail without harm.
        let _ = sender.send(());
        true
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

    /// The connection is busy again (its first byte arrived): leaves the
    /// set. `false` if the server chose it to close meanwhile — then it
    /// must close.
    pub(crate) fn leave(self) -> bool {
        self.set.remove(&self.key)
    }
}

impl Drop for IdleGuard {
    fn drop(&mut self) {
        self.set.remove(&self.key);
    }
}
