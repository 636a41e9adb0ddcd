//! Tuning: the waker a task is polled with borrows the task's reference
//! instead of taking one.
//!
//! The plain way, `Waker::from(task.clone())` (what `task.rs` did first and
//! what the single loop does), adds one to the task's reference count
//! before every poll and takes it away after: two atomic read-modify-writes
//! on the runtime's hottest path, for a waker that most polls never keep.
//! Here the poll *lends* the waker the reference the worker already holds:
//! the waker is built by hand from a table of four functions (a
//! [`RawWakerVTable`]) and never dropped, so it gives back nothing it did
//! not take. A future that keeps the waker clones it, and the clone takes a
//! reference of its own, exactly as a clone of a `Waker::from(Arc)` would.
//! tokio lends its wakers the same way, and so does
//! `futures::task::waker_ref`.
//!
//! Only the functions of this table are new: waking still goes through
//! [`Wake`] (`TaskCell`'s impl in `task.rs`), so the rules of who queues a
//! woken task stay in one place. What it buys is measured in
//! `docs/multi_thread.md` ("Where the time went").

use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::task::{RawWaker, RawWakerVTable, Wake, Waker};

/// The four functions behind every waker of a task of type `T`.
struct Table<T>(std::marker::PhantomData<T>);

impl<T: Wake + Send + Sync + 'static> Table<T> {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        Self::clone_waker,
        Self::wake,
        Self::wake_by_ref,
        Self::drop_waker,
    );

    fn raw(task: *const T) -> RawWaker {
        RawWaker::new(task.cast(), &Self::VTABLE)
    }

    /// # Safety
    ///
    /// `data` comes from [`Table::raw`] of `Arc::as_ptr` of an `Arc<T>`
    /// that is still alive: an owned waker holds one reference to it, a lent
    /// one borrows the poller's.
    unsafe fn clone_waker(data: *const ()) -> RawWaker {
        // SAFETY: `data` is `Arc::as_ptr` of a live `Arc` (see above); the
        // new waker owns the reference added here.
        unsafe { Arc::increment_strong_count(data.cast::<T>()) };
        Self::raw(data.cast())
    }

    /// # Safety
    ///
    /// As [`Table::clone_waker`]; called on an owned waker only (`std` never
    /// wakes a lent one by value: that takes ownership of a `Waker`, and a
    /// lent one is only reachable by reference).
    unsafe fn wake(data: *const ()) {
        // SAFETY: an owned waker holds one reference; waking it by value
        // consumes the waker, so that reference moves into this `Arc`.
        let task = unsafe { Arc::from_raw(data.cast::<T>()) };
        Wake::wake(task);
    }

    /// # Safety
    ///
    /// As [`Table::clone_waker`].
    unsafe fn wake_by_ref(data: *const ()) {
        // SAFETY: `data` is `Arc::as_ptr` of a live `Arc`; `ManuallyDrop`
        // keeps the reference the waker's: nothing is added or given back.
        let task = ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<T>()) });
        Wake::wake_by_ref(&*task);
    }

    /// # Safety
    ///
    /// As [`Table::wake`]: an owned waker only (a lent one is never dropped).
    unsafe fn drop_waker(data: *const ()) {
        // SAFETY: an owned waker holds one reference; dropping it gives the
        // reference back.
        unsafe { Arc::decrement_strong_count(data.cast::<T>()) };
    }
}

/// Calls `poll` with a waker for `task` that borrows `task`'s reference.
/// The waker cannot outlive the call: `poll` only sees it by reference.
/// (It takes the `Arc`, not the task, so that the pointer in the waker is
/// `Arc::as_ptr`'s, which may reach the reference count beside the task.)
pub(crate) fn with_lent_waker<T: Wake + Send + Sync + 'static, R>(
    task: &Arc<T>,
    poll: impl FnOnce(&Waker) -> R,
) -> R {
    // SAFETY: the pointer is `Arc::as_ptr` of an `Arc` borrowed for the whole
    // call, so live while `poll` runs; the lent waker is never dropped
    // (`ManuallyDrop`): it gives back no reference, its clones take their own.
    let waker = ManuallyDrop::new(unsafe { Waker::from_raw(Table::<T>::raw(Arc::as_ptr(task))) });
    poll(&waker)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counted {
        wakes: AtomicUsize,
    }

    impl Wake for Counted {
        fn wake(self: Arc<Self>) {
            self.wakes.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_lent_waker_costs_no_reference_and_its_clones_take_their_own() {
        let task = Arc::new(Counted {
            wakes: AtomicUsize::new(0),
        });
        let kept = with_lent_waker(&task, |waker| {
            assert_eq!(Arc::strong_count(&task), 1, "lending takes nothing");
            waker.wake_by_ref();
            waker.clone()
        });
        assert_eq!(Arc::strong_count(&task), 2, "the clone holds one");
        assert_eq!(task.wakes.load(Ordering::SeqCst), 1);
        let second = kept.clone();
        assert_eq!(Arc::strong_count(&task), 3);
        second.wake();
        assert_eq!(task.wakes.load(Ordering::SeqCst), 2);
        assert_eq!(Arc::strong_count(&task), 2, "waking by value gave it back");
        drop(kept);
        assert_eq!(Arc::strong_count(&task), 1);
    }
}
