//! `yield_now`: step aside and let the other ready tasks run.

#![forbid(unsafe_code)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Gives the thread back to the loop once: the task goes to the back of the
/// ready queue (under [`OldestReady`](super::OldestReady)) and runs again
/// after the tasks that were already ready. A long computation should call it
/// now and then, or it stalls every other task.
///
/// # Examples
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use handspun::event_loop::{self, EventLoop};
///
/// let mut ev = EventLoop::new().unwrap();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// ev.block_on({
///     let log = log.clone();
///     async move {
///         let handles: Vec<_> = ["a", "b"]
///             .into_iter()
///             .map(|name| {
///                 let log = log.clone();
///                 event_loop::spawn(async move {
///                     for step in 0..2 {
///                         log.borrow_mut().push(format!("{name}{step}"));
///                         event_loop::yield_now().await;
///                     }
///                 })
///             })
///             .collect();
///         for handle in handles {
///             handle.await.unwrap();
///         }
///     }
/// });
/// assert_eq!(*log.borrow(), ["a0", "b0", "a1", "b1"]);
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    /// False on the first poll (wake self, return `Pending`), true after.
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
