//! `as_completed`: results in the order the jobs finish.
//!
//! Python's `concurrent.futures.as_completed`, built from the same wakers
//! an event loop uses. It gives each handle a waker that sends the handle's
//! index over a channel, and polls every handle once as a future. A
//! finishing worker wakes that waker, the index arrives, and the iterator
//! takes that handle's result.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};

use super::error::JobError;
use super::gil::allow_threads;
use super::handle::Handle;

/// Yields the results of `handles` in the order the jobs finish — each
/// handle exactly once — like Python's `concurrent.futures.as_completed`.
/// Jobs already finished when this is called come first, in the order given.
///
/// # Examples
///
/// ```
/// use handspun::threadpool::{as_completed, ThreadPool};
///
/// let pool = ThreadPool::new(2);
/// let handles: Vec<_> = (1..=5u32).map(|i| pool.submit(move || i * 10)).collect();
/// let mut results: Vec<u32> = as_completed(handles).map(Result::unwrap).collect();
/// results.sort();
/// assert_eq!(results, vec![10, 20, 30, 40, 50]);
/// ```
pub fn as_completed<R>(handles: impl IntoIterator<Item = Handle<R>>) -> AsCompleted<R> {
    let (sender, finished) = mpsc::channel();
    let mut early = VecDeque::new();
    let mut waiting = Vec::new();
    let mut wakers = Vec::new();
    for (index, mut handle) in handles.into_iter().enumerate() {
        let waker = Waker::from(Arc::new(SendIndex {
            index,
            sender: sender.clone(),
        }));
        match Pin::new(&mut handle).poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(result) => {
                early.push_back(result);
                waiting.push(None);
            }
            Poll::Pending => waiting.push(Some(handle)),
        }
        wakers.push(waker);
    }
    let remaining = waiting.iter().filter(|handle| handle.is_some()).count();
    AsCompleted {
        early,
        waiting,
        wakers,
        finished,
        remaining,
    }
}

/// A waker that reports "handle `index` finished" over a channel.
struct SendIndex {
    /// Position of the handle in the list given to `as_completed`.
    index: usize,
    /// Where `AsCompleted` listens.
    sender: mpsc::Sender<usize>,
}

impl Wake for SendIndex {
    fn wake(self: Arc<Self>) {
        // The receiver may be gone (iterator dropped early): nothing to do.
        let _ = self.sender.send(self.index);
    }
}

/// The results of [`as_completed`], in finish order.
#[must_use = "iterate to receive the results"]
pub struct AsCompleted<R> {
    /// Results that were ready when `as_completed` was called.
    early: VecDeque<Result<R, JobError>>,
    /// The handles still running, by index; `None` once yielded.
    waiting: Vec<Option<Handle<R>>>,
    /// The waker given to each handle, by index (for re-polling).
    wakers: Vec<Waker>,
    /// Indices of handles whose jobs have finished, in finish order.
    finished: mpsc::Receiver<usize>,
    /// Handles in `waiting` that are still `Some`.
    remaining: usize,
}

impl<R> Iterator for AsCompleted<R> {
    type Item = Result<R, JobError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(result) = self.early.pop_front() {
            return Some(result);
        }
        while self.remaining > 0 {
            // Blocking here must not starve a GIL pool if we run inside one.
            let index = allow_threads(|| self.finished.recv()).ok()?;
            let Some(handle) = self.waiting[index].as_mut() else {
                continue; // Already yielded: a duplicate wake.
            };
            let mut cx = Context::from_waker(&self.wakers[index]);
            if let Poll::Ready(result) = Pin::new(handle).poll(&mut cx) {
                self.waiting[index] = None;
                self.remaining -= 1;
                return Some(result);
            }
        }
        None
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.early.len() + self.remaining;
        (left, Some(left))
    }
}

impl<R> ExactSizeIterator for AsCompleted<R> {}
