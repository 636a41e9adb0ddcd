//! Helpers for the per-core runtime tests: a time limit for every test,
//! a runtime, and values that count their drops.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use handspun::per_core::Runtime;

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
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the body sends before returning"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("test body still running after {TEST_LIMIT:?}: a hang")
        }
    }
}

/// An unpinned runtime with `loops` loops (pinning has its own tests).
pub fn runtime(loops: usize) -> Runtime {
    Runtime::builder().loops(loops).pin(false).build().unwrap()
}

/// Counts how many values it guards were dropped, and on which threads.
#[derive(Clone, Default)]
pub struct DropCounter {
    drops: Arc<AtomicUsize>,
    threads: Arc<std::sync::Mutex<Vec<String>>>,
}

impl DropCounter {
    /// A value that counts one drop (and records its thread's name).
    pub fn guard(&self) -> Guard {
        Guard(self.clone())
    }

    /// How many guards were dropped.
    pub fn drops(&self) -> usize {
        self.drops.load(Ordering::SeqCst)
    }

    /// The names of the threads the guards were dropped on.
    pub fn threads(&self) -> Vec<String> {
        self.threads.lock().unwrap().clone()
    }
}

/// Counts its drop in its [`DropCounter`].
pub struct Guard(DropCounter);

impl Drop for Guard {
    fn drop(&mut self) {
        let name = thread::current().name().unwrap_or("unnamed").to_string();
        self.0.threads.lock().unwrap().push(name);
        self.0.drops.fetch_add(1, Ordering::SeqCst);
    }
}

/// The calling thread's name.
pub fn thread_name() -> String {
    thread::current().name().unwrap_or("unnamed").to_string()
}
