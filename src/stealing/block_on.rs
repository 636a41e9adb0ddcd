//! `block_on`: running one future on the calling thread, sleeping while it
//! waits.
//!
//! The future is not a task: it borrows from the caller's stack, so it
//! cannot move to a worker. Its waker sets a flag and unparks the calling
//! thread (`std::thread::park`, which may also return spuriously: the flag
//! says whether to poll again).

#![forbid(unsafe_code)]

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// Wakes the thread in `block_on`.
struct ThreadWaker {
    thread: Thread,
    /// Set by a wake; cleared by the thread before it polls.
    woken: AtomicBool,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Polls `future` whenever it is woken, until it completes.
pub(crate) fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let thread_waker = Arc::new(ThreadWaker {
        thread: thread::current(),
        woken: AtomicBool::new(true),
    });
    let waker = Waker::from(thread_waker.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if thread_waker.woken.swap(false, Ordering::SeqCst) {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        } else {
            thread::park();
        }
    }
}
