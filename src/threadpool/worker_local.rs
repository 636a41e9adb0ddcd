//! `WorkerLocal<T>`: one `T` per worker thread, built on first use and kept for the thread's life.
//!
//! The idea is the Python tutorial's `threading.local()` session: a thing
//! that is not safe to share between threads (an HTTP session with its open
//! connection) and too dear to make per job is made once *per thread*. Each
//! worker then reuses its own for every job it runs, with no lock, because
//! only its own thread ever touches it: 5 workers, 160 downloads, 5
//! connections. [`WorkerLocal`] tells the idea in full, with an example.
//!
//! ## How it is built
//!
//! On Rust's `thread_local!`: each thread has one map from a `WorkerLocal`'s
//! id to that thread's value (type-erased as `Box<dyn Any>`). The map is
//! the thread's own, so no lock is involved; it is dropped, with all the
//! values in it, when the thread exits.
//!
//! Shortcut taken: dropping a `WorkerLocal` does not reach into other
//! threads to drop their values; they live until their threads exit (for a
//! pool worker, until the pool is dropped). The `thread_local` crate instead
//! keeps every thread's value in the object itself, so they die with it.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Source of unique `WorkerLocal` ids (never reused, so a dropped
/// `WorkerLocal`'s leftover values can never be mistaken for a new one's).
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread's values, by `WorkerLocal` id. `None` marks a value that
    /// is lent out right now (inside `with`).
    static VALUES: RefCell<HashMap<u64, Option<Box<dyn Any>>>> = RefCell::new(HashMap::new());
}

/// One `T` per thread, built lazily by `init` and kept for the thread's life.
///
/// # The lesson: one HTTP session per thread
///
/// The Python tutorial's threaded downloader keeps a `requests.Session` in
/// a `threading.local()`: a session is not safe to share between threads,
/// and making a new one per download throws away its open connection. One
/// per thread is the sweet spot — no locking (only its own thread ever
/// touches it), and each thread reuses its connection for every job it
/// runs. With 5 workers, 160 downloads open 5 connections, not 160.
///
/// `WorkerLocal<T>` is that idiom. Share one `WorkerLocal` with every job
/// (in an `Arc`); inside a job, [`WorkerLocal::with`] lends the calling
/// thread's own `T`, building it with the `init` function the first time
/// this thread asks.
///
/// Built on `thread_local!`: each thread keeps a map from a `WorkerLocal`'s
/// id to its own value, so no lock is involved.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use handspun::threadpool::{ThreadPool, WorkerLocal};
///
/// // Stands in for an HTTP session: counts the requests it served.
/// struct Session { requests: u32 }
///
/// let sessions = Arc::new(WorkerLocal::new(|| Session { requests: 0 }));
/// let pool = ThreadPool::new(2);
/// let served: Vec<u32> = pool
///     .map(
///         {
///             let sessions = Arc::clone(&sessions);
///             move |_page: u32| sessions.with(|s| { s.requests += 1; s.requests })
///         },
///         0..10,
///     )
///     .map(Result::unwrap)
///     .collect();
/// // Each worker's session counts up from 1; 10 requests were served in all.
/// assert!(served.contains(&1));
/// assert_eq!(served.len(), 10);
/// ```
pub struct WorkerLocal<T> {
    /// This `WorkerLocal`'s key in every thread's map.
    id: u64,
    /// Builds a thread's value the first time that thread calls `with`.
    init: Box<dyn Fn() -> T + Send + Sync>,
}

impl<T: 'static> WorkerLocal<T> {
    /// A `WorkerLocal` that builds each thread's value with `init`, on that
    /// thread, the first time the thread calls [`with`](WorkerLocal::with).
    pub fn new(init: impl Fn() -> T + Send + Sync + 'static) -> WorkerLocal<T> {
        WorkerLocal {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            init: Box::new(init),
        }
    }

    /// Runs `f` with the calling thread's value, building it first if this
    /// thread has none yet. The value stays with the thread for later calls.
    ///
    /// # Panics
    ///
    /// If called again for the same `WorkerLocal` from inside `f` (the value
    /// is already lent out), or if `init` panics (the next call retries).
    pub fn with<U>(&self, f: impl FnOnce(&mut T) -> U) -> U {
        let lent = VALUES.with(|values| {
            let mut values = values.borrow_mut();
            values.get_mut(&self.id).map(|slot| {
                slot.take().unwrap_or_else(|| {
                    panic!("WorkerLocal::with was called from inside itself on the same thread")
                })
            })
        });
        // Built outside the map's borrow: `init` may use other WorkerLocals.
        let value = lent.unwrap_or_else(|| Box::new((self.init)()) as Box<dyn Any>);
        let mut guard = GiveBack {
            id: self.id,
            value: Some(value),
        };
        let value = guard
            .value
            .as_mut()
            .and_then(|value| value.downcast_mut::<T>())
            .expect("a WorkerLocal's id always maps to a value of its own type");
        f(value)
    }
}

/// Puts a lent value back into the thread's map, even if `f` panicked.
struct GiveBack {
    /// Which `WorkerLocal` the value belongs to.
    id: u64,
    /// The value, while lent out.
    value: Option<Box<dyn Any>>,
}

impl Drop for GiveBack {
    fn drop(&mut self) {
        let value = self.value.take();
        // `try_with`: during thread exit the map may already be gone.
        let _ = VALUES.try_with(|values| values.borrow_mut().insert(self.id, value));
    }
}

impl<T> fmt::Debug for WorkerLocal<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerLocal")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
