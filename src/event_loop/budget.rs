//! The cooperative budget: how many operations one poll of a task may complete before it yields.
//!
//! Nothing pre-empts a task, and `.await` hands the thread back only when the
//! task has to wait. A task whose sockets are always ready — a client that
//! reads as fast as the server writes, or one that pipelines requests without
//! end — never meets `WouldBlock`, so it never returns `Pending`: it holds the
//! loop, and no other task runs, no timer fires, not even a shutdown gets in.
//!
//! So each poll of a task starts with a budget of [`BUDGET`] operations, the
//! way tokio's `coop` module gives each of its tasks 128 (nginx, at its own
//! level, caps how much one connection may write per turn of its loop). Every
//! operation that completes spends one unit: a socket read, write, accept or
//! readiness check that did not block, a value received from a channel or
//! sent into one, a [`consume_budget`]. Once the budget is spent, the next
//! such operation does not even try: it returns `Pending`, and hands its
//! task's waker to the loop, which calls it at its next park — the ordinary
//! waker path, after the wakers of the I/O events and timers that park
//! found. So the task goes to the back of the ready queue behind every task
//! that was ready or became ready meanwhile, and resumes with a full budget.
//!
//! Why at the park, and not at once: a task that woke itself at once would
//! be polled again in the same batch whenever it is alone in the ready
//! queue — as a greedy connection usually is, while the others wait for
//! `epoll` to report their sockets — and the loop would still not look for
//! I/O. Deferring the wake-up to the park is what tokio does too (its
//! `defer` list).
//!
//! Operations that have to wait cost nothing: they return `Pending` anyway.
//! Outside a poll by the loop (on a plain thread, say) there is no budget and
//! nothing is ever held back.
//!
//! The budget lives in a thread-local, like the loop's [`context`]: the loop
//! fills it around each poll ([`with_budget`]); the operations check it
//! ([`poll_proceed`]) and spend it ([`spend`]). A task made to yield is counted
//! in [`Stats::budget_yields`](super::Stats::budget_yields).
//!
//! [`context`]: super::context

#![forbid(unsafe_code)]

use std::cell::Cell;
use std::future::poll_fn;
use std::task::{Context, Poll};

use super::context;

/// How many operations one poll of a task may complete before it must yield
/// (tokio's figure: large enough that a task rarely yields for nothing, small
/// enough that one task's turn stays short).
pub const BUDGET: u32 = 128;

thread_local! {
    /// Operations left in the current poll; `None` when no loop is polling a
    /// task on this thread (no budget applies). Set by [`with_budget`],
    /// spent by [`spend`].
    static LEFT: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Runs `poll` (one poll of a task, or of the `block_on` future) with a full
/// budget, and puts back whatever budget was in force before, even if `poll`
/// unwinds.
#[inline]
pub(crate) fn with_budget<R>(poll: impl FnOnce() -> R) -> R {
    /// Puts the outer budget back when dropped.
    struct Restore(Option<u32>);
    impl Drop for Restore {
        #[inline]
        fn drop(&mut self) {
            LEFT.set(self.0);
        }
    }
    let _restore = Restore(LEFT.replace(Some(BUDGET)));
    poll()
}

/// Whether an operation may go ahead in this poll. `Ready` if budget is left
/// (or none applies); otherwise wakes the task, so that it is queued again
/// behind the others, and returns `Pending`.
#[inline]
pub(crate) fn poll_proceed(cx: &Context<'_>) -> Poll<()> {
    if LEFT.get() == Some(0) {
        exhausted(cx);
        return Poll::Pending;
    }
    Poll::Ready(())
}

/// The budget is spent: the task yields (cold path, once per forced yield).
/// Its waker is handed to the loop, which calls it at its next park.
#[cold]
fn exhausted(cx: &Context<'_>) {
    context::with_current(|core| match core {
        Some(core) => core.budget_exhausted(cx.waker()),
        None => cx.waker().wake_by_ref(),
    });
}

/// One operation completed: takes one unit from the budget, if one applies.
#[inline]
pub(crate) fn spend() {
    if let Some(left) = LEFT.get() {
        LEFT.set(Some(left.saturating_sub(1)));
    }
}

/// Spends one unit of the task's operation budget, yielding first if it is
/// spent: a loop that computes without awaiting anything that waits can call
/// it once per step, and gives way to the other tasks every [`BUDGET`] steps
/// instead of never ([`yield_now`](super::yield_now) gives way at every call).
///
/// Outside a task polled by an event loop it never waits.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{self, EventLoop, BUDGET};
///
/// let mut ev = EventLoop::new().unwrap();
/// let steps = 3 * BUDGET;
/// let handle = ev.spawn(async move {
///     for _ in 0..steps {
///         event_loop::consume_budget().await;
///     }
/// });
/// ev.block_on(handle).unwrap();
/// // The task had to give way twice on the way.
/// assert_eq!(ev.stats().budget_yields, 2);
/// ```
pub async fn consume_budget() {
    poll_fn(|cx| {
        if poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        spend();
        Poll::Ready(())
    })
    .await
}
