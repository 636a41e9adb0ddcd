//! Starting a connection's task on each runtime: the one place the server names a runtime's `spawn`.
//!
//! The accept loop (`mod.rs`) and a connection's life (`connection.rs`)
//! are written once, for any [`Runtime`]. Starting a task is not: the
//! stealing runtime only takes `Send` futures, and the single loop takes
//! any. So each runtime gets these two lines here, where the future's type
//! is concrete and the compiler checks that the stealing runtime's
//! connection task is indeed `Send` — holds no `Rc`, no lock guard across
//! an `.await`.

use std::sync::Arc;

use crate::http::runtime::{Runtime, SingleLoop, Stealing};

use super::{connection_task, reject, Shared};

/// A runtime the server can start connection tasks on.
pub(super) trait Spawn: Runtime {
    /// Serves an accepted connection on a task of its own.
    fn spawn_connection(stream: Self::Tcp, shared: Arc<Shared>);
    /// Answers a connection over the cap with `503` on a task of its own.
    fn spawn_reject(stream: Self::Tcp);
}

impl Spawn for SingleLoop {
    fn spawn_connection(stream: Self::Tcp, shared: Arc<Shared>) {
        let task = connection_task::<SingleLoop>(stream, shared);
        drop(crate::event_loop::spawn_named("http-connection", task));
    }

    fn spawn_reject(stream: Self::Tcp) {
        drop(crate::event_loop::spawn_named(
            "http-reject",
            reject::<SingleLoop>(stream),
        ));
    }
}

impl Spawn for Stealing {
    fn spawn_connection(stream: Self::Tcp, shared: Arc<Shared>) {
        // Dropping a join handle detaches the task.
        drop(crate::stealing::spawn(connection_task::<Stealing>(
            stream, shared,
        )));
    }

    fn spawn_reject(stream: Self::Tcp) {
        drop(crate::stealing::spawn(reject::<Stealing>(stream)));
    }
}
