//! `sleep`: waiting for a deadline without holding a worker.

#![forbid(unsafe_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::context;
use super::runtime::Shared;
use super::timers::TimerId;

/// Waits until `duration` has passed. The worker runs other tasks
/// meanwhile.
///
/// # Panics
///
/// When first polled outside a stealing runtime (not in one of its tasks nor
/// in its `block_on`).
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use handspun::stealing::{self, Runtime};
///
/// let rt = Runtime::builder().workers(2).build().unwrap();
/// let start = Instant::now();
/// rt.block_on(stealing::sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(Instant::now() + duration)
}

/// Waits until `deadline`. See [`sleep`].
///
/// # Panics
///
/// As [`sleep`].
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        timer: None,
    }
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    /// The started timer and its runtime, from the first `Pending` poll
    /// until it fires or the `Sleep` is dropped.
    timer: Option<(Arc<Shared>, TimerId)>,
}

impl Sleep {
    /// When this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            if let Some((shared, id)) = self.timer.take() {
                shared.reactor.timers.cancel(id);
            }
            return Poll::Ready(());
        }
        if let Some((shared, id)) = &self.timer {
            if shared.reactor.timers.update(*id, cx.waker()) {
                return Poll::Pending;
            }
            // Fired, yet the clock says not due (the driver woke a hair
            // early): start a new timer below.
        }
        let shared = match self.timer.take() {
            Some((shared, _)) => shared,
            None => context::expect_current("sleep"),
        };
        let (id, earliest) = shared.reactor.timers.add(self.deadline, cx.waker().clone());
        shared.attend_reactor(earliest);
        self.timer = Some((shared, id));
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some((shared, id)) = self.timer.take() {
            shared.reactor.timers.cancel(id);
        }
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
