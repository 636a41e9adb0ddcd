//! Helpers for the stealing-runtime tests: a time limit for every test,
//! futures that count their drops, and a free port.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use handspun::stealing::Runtime;

/// The longest any one test body may take before it is declared hung.
pub const TEST_LIMIT: Duration = Duration::from_secs(60);

/// Runs `body` on its own thread and fails the test if it has not returned
/// within [`TEST_LIMIT`] (a lost wake-up shows up as a hang, and a hang must
/// fail, not stall CI). A panic in `body` fails the test with its message.
pub fn within_limit<R: Send + 'static>(body: impl FnOnce() -> R + Send + 'static) -> R {
    let (done, result) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = done.send(body());
    });
    match result.recv_timeout(TEST_LIMIT) {
        Ok(value) => {
            worker.join().unwrap();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: re-raise its panic here.
            match worker.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(()) => unreachable!("the body sends before returning"),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("test body still running after {TEST_LIMIT:?}: a hang")
        }
    }
}

/// A runtime with `workers` workers.
pub fn runtime(workers: usize) -> Runtime {
    Runtime::builder().workers(workers).build().unwrap()
}

/// Counts how many values it guards were dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    /// A token that bumps this counter when dropped; move it into a future.
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }

    /// How many tokens were dropped so far.
    pub fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// See [`DropCounter`].
pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Port 0 on 127.0.0.1: the kernel picks a free port at bind time.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// The name of the thread running this code (workers are named
/// `handspun-stealing-<index>`).
pub fn thread_name() -> String {
    thread::current().name().unwrap_or("unnamed").to_string()
}
