//! Time: `sleep`, `sleep_until`, `timeout`, `interval` — waiting without
//! blocking the thread.
//!
//! A [`Sleep`] arms a timer in the loop's queue (see `timer.rs`) the first
//! time it is polled, and is woken when the deadline has passed. It never
//! completes early: the loop fires a timer only once its own clock, read after
//! waking up, has reached the deadline.

#![forbid(unsafe_code)]

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::context;
use super::timer::{TimerKey, TimerQueue};

/// The error of [`timeout`]: the deadline passed before the future finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("deadline has elapsed before the operation finished")]
pub struct Elapsed;

/// Waits until `duration` has passed.
///
/// # Panics
///
/// When polled outside a running loop.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use handspun::event_loop::{self, EventLoop};
///
/// let mut ev = EventLoop::new().unwrap();
/// let start = Instant::now();
/// ev.block_on(event_loop::sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(deadline_after(now(), duration))
}

/// Waits until `deadline`.
///
/// # Panics
///
/// When polled outside a running loop.
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        state: SleepState::Unarmed,
    }
}

/// Now, on the running loop's clock (virtual in a simulation), or the
/// machine's outside a loop.
fn now() -> Instant {
    context::with_current(|core| core.map_or_else(Instant::now, |core| core.now()))
}

/// `start + duration`, or about a century ahead if that overflows.
fn deadline_after(start: Instant, duration: Duration) -> Instant {
    start
        .checked_add(duration)
        .unwrap_or_else(|| start + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// The future returned by [`sleep`] and [`sleep_until`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    state: SleepState,
}

/// Where a [`Sleep`] is.
#[derive(Debug)]
enum SleepState {
    /// Not polled yet: no timer armed.
    Unarmed,
    /// A timer is armed in this queue.
    Armed(Rc<TimerQueue>, TimerKey),
    /// The deadline has passed.
    Elapsed,
}

impl Sleep {
    /// The instant this sleep ends.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &self.state {
            SleepState::Elapsed => Poll::Ready(()),
            SleepState::Armed(timers, key) => {
                if timers.is_armed(*key) {
                    timers.update_waker(*key, cx.waker());
                    Poll::Pending
                } else {
                    self.state = SleepState::Elapsed;
                    Poll::Ready(())
                }
            }
            SleepState::Unarmed => {
                let core = context::current("sleep");
                // The loop's clock is never ahead of real time: never early.
                if self.deadline <= core.precise_now() {
                    self.state = SleepState::Elapsed;
                    return Poll::Ready(());
                }
                let key = core.timers.insert(self.deadline, cx.waker().clone());
                self.state = SleepState::Armed(core.timers.clone(), key);
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let SleepState::Armed(timers, key) = &self.state {
            timers.cancel(*key);
        }
    }
}

/// Runs `future`, giving up after `duration`.
///
/// # Errors
///
/// [`Elapsed`] if `duration` passes first; `future` is then dropped.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::event_loop::{self, EventLoop, Elapsed};
///
/// let mut ev = EventLoop::new().unwrap();
/// let late = ev.block_on(event_loop::timeout(
///     Duration::from_millis(1),
///     event_loop::sleep(Duration::from_secs(60)),
/// ));
/// assert_eq!(late, Err(Elapsed));
/// ```
pub fn timeout<F: Future>(
    duration: Duration,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    timeout_with(sleep, duration, future)
}

/// [`timeout`] on any runtime's timer: `sleep` makes the deadline (the
/// stealing runtime's HTTP timeouts pass their own, `http/runtime.rs`).
///
/// It takes the sleep's *maker*, not a sleep, and [`timeout`] returns this
/// future rather than awaiting it in an `async fn` of its own: either would
/// store the timer twice in every connection task that waits in a timeout.
pub(crate) async fn timeout_with<F: Future, S: Future<Output = ()>>(
    sleep: impl FnOnce(Duration) -> S,
    duration: Duration,
    future: F,
) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    let mut deadline = pin!(sleep(duration));
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// A stream of instants `period` apart; the first tick is immediate.
///
/// A tick that comes late (the task was busy) does not cause a burst of
/// catch-up ticks: the schedule moves back so the next tick is one period
/// after the late one.
///
/// # Panics
///
/// If `period` is zero.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::event_loop::{self, EventLoop};
///
/// let mut ev = EventLoop::new().unwrap();
/// let ticks = ev.block_on(async {
///     let mut every = event_loop::interval(Duration::from_millis(2));
///     let first = every.tick().await;
///     let second = every.tick().await;
///     second - first
/// });
/// assert!(ticks >= Duration::from_millis(2));
/// ```
pub fn interval(period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "interval period must be greater than zero"
    );
    Interval {
        period,
        next: now(),
    }
}

/// A periodic timer, made by [`interval`].
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    /// The instant of the next tick.
    next: Instant,
}

impl Interval {
    /// Waits for the next tick; returns the instant it was scheduled for.
    pub async fn tick(&mut self) -> Instant {
        sleep_until(self.next).await;
        let scheduled = self.next;
        self.next = deadline_after(scheduled, self.period);
        let now = now();
        if self.next <= now {
            self.next = deadline_after(now, self.period);
        }
        scheduled
    }

    /// The period between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}
