//! A bounded multi-producer, single-consumer channel with back-pressure.
//!
//! `capacity` values fit in the queue. A sender that finds it full waits (in
//! a FIFO of waiting senders) until the receiver takes a value; the receiver
//! then wakes the first waiting sender. If that sender's future is dropped
//! before it could use the turn, it passes the turn to the next one, so no
//! free slot is ever left unannounced.
//!
//! Closed cases: when the receiver is dropped, every send fails and gives the
//! value back ([`SendError`]); when every sender is dropped, the receiver
//! drains what is queued, then gets `None`.
//!
//! # Examples
//!
//! ```
//! use handspun::event_loop::{self, EventLoop};
//! use handspun::event_loop::channel::mpsc;
//!
//! let mut ev = EventLoop::new().unwrap();
//! let sum = ev.block_on(async {
//!     let (tx, mut rx) = mpsc::channel(2);
//!     for i in 1..=3 {
//!         let tx = tx.clone();
//!         event_loop::spawn(async move { tx.send(i).await.unwrap() });
//!     }
//!     drop(tx);
//!     let mut sum = 0;
//!     while let Some(i) = rx.recv().await {
//!         sum += i;
//!     }
//!     sum
//! });
//! assert_eq!(sum, 6);
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::lock;
use crate::event_loop::budget;

/// A send failed because the receiver is gone; the value comes back.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the mpsc receiver was dropped; the value was not sent")]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

/// Why [`Sender::try_send`] failed; the value comes back.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError<T> {
    /// The queue is full (try later, or use `send(..).await`).
    #[error("the mpsc channel is full")]
    Full(T),
    /// The receiver is gone.
    #[error("the mpsc receiver was dropped; the value was not sent")]
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(value) | TrySendError::Closed(value) => value,
        }
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

/// Why [`Receiver::try_recv`] found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// Nothing queued; senders remain.
    #[error("the mpsc channel is empty")]
    Empty,
    /// Nothing queued and every sender is gone.
    #[error("the mpsc channel is empty and every sender was dropped")]
    Closed,
}

/// The state all ends share. Guarded by `Chan::state`.
struct State<T> {
    /// Queued values, oldest first; never longer than `capacity`.
    queue: VecDeque<T>,
    /// The waker of the receiver's task, while it waits for a value.
    receiver_waker: Option<Waker>,
    /// Senders waiting for room, first come first served, by waiter id.
    waiting_senders: VecDeque<(u64, Waker)>,
    /// Next waiter id.
    next_waiter: u64,
    /// Live `Sender` handles; 0 means closed for the receiver.
    senders: usize,
    /// True once the receiver is dropped: sends fail.
    receiver_gone: bool,
}

/// The channel: its capacity and its state.
struct Chan<T> {
    capacity: usize,
    state: Mutex<State<T>>,
}

/// Creates a channel that holds up to `capacity` values.
///
/// # Panics
///
/// If `capacity` is 0.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "mpsc channel capacity must be at least 1");
    let chan = Arc::new(Chan {
        capacity,
        state: Mutex::new(State {
            queue: VecDeque::with_capacity(capacity.min(1024)),
            receiver_waker: None,
            waiting_senders: VecDeque::new(),
            next_waiter: 0,
            senders: 1,
            receiver_gone: false,
        }),
    });
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// A sending end; clone it for more producers.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Sends `value`, waiting while the channel is full.
    ///
    /// # Errors
    ///
    /// [`SendError`] with the value if the receiver is gone.
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut send = SendFuture {
            chan: &self.chan,
            value: Some(value),
            waiter: None,
        };
        poll_fn(|cx| Pin::new(&mut send).poll(cx)).await
    }

    /// Sends `value` if there is room right now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], with the value.
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        let waker = {
            let mut state = lock(&self.chan.state);
            if state.receiver_gone {
                return Err(TrySendError::Closed(value));
            }
            if state.queue.len() >= self.chan.capacity {
                return Err(TrySendError::Full(value));
            }
            state.queue.push_back(value);
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver is gone (sends would fail).
    pub fn is_closed(&self) -> bool {
        lock(&self.chan.state).receiver_gone
    }

    /// The channel's capacity.
    pub fn capacity(&self) -> usize {
        self.chan.capacity
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.chan.state).senders += 1;
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = lock(&self.chan.state);
            state.senders -= 1;
            if state.senders == 0 {
                state.receiver_waker.take()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Sender")
            .field("capacity", &self.chan.capacity)
            .finish_non_exhaustive()
    }
}

/// One `send` in progress.
struct SendFuture<'a, T> {
    chan: &'a Chan<T>,
    /// The value, until it is queued or given back.
    value: Option<T>,
    /// Our id in `waiting_senders`, while we wait there (or were just woken
    /// from there).
    waiter: Option<u64>,
}

impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if budget::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = lock(&this.chan.state);
        let Some(value) = this.value.take() else {
            return Poll::Ready(Ok(())); // polled after completion
        };
        if state.receiver_gone {
            return Poll::Ready(Err(SendError(value)));
        }
        if state.queue.len() < this.chan.capacity {
            state.queue.push_back(value);
            if let Some(id) = this.waiter.take() {
                state.waiting_senders.retain(|(waiter, _)| *waiter != id);
            }
            let receiver = state.receiver_waker.take();
            drop(state);
            budget::spend();
            if let Some(waker) = receiver {
                waker.wake();
            }
            return Poll::Ready(Ok(()));
        }
        // Full: wait for a turn (keep our place if we already have one).
        this.value = Some(value);
        let old = match this.waiter {
            Some(id) => match state.waiting_senders.iter_mut().find(|(w, _)| *w == id) {
                Some((_, waker)) if waker.will_wake(cx.waker()) => None,
                Some((_, waker)) => Some(std::mem::replace(waker, cx.waker().clone())),
                None => {
                    state.waiting_senders.push_back((id, cx.waker().clone()));
                    None
                }
            },
            None => {
                let id = state.next_waiter;
                state.next_waiter += 1;
                state.waiting_senders.push_back((id, cx.waker().clone()));
                this.waiter = Some(id);
                None
            }
        };
        drop(state);
        drop(old);
        Poll::Pending
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        let Some(id) = self.waiter else {
            return;
        };
        let next = {
            let mut state = lock(&self.chan.state);
            let before = state.waiting_senders.len();
            state.waiting_senders.retain(|(waiter, _)| *waiter != id);
            let was_woken = state.waiting_senders.len() == before;
            // We were given a turn we will not use: pass it on.
            if was_woken && self.value.is_some() && state.queue.len() < self.chan.capacity {
                state.waiting_senders.pop_front().map(|(_, waker)| waker)
            } else {
                None
            }
        };
        if let Some(waker) = next {
            waker.wake();
        }
    }
}

/// The receiving end.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// Takes the next value, waiting for one; `None` once every sender is
    /// gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next value (the building block of [`recv`]).
    ///
    /// [`recv`]: Receiver::recv
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if budget::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let mut state = lock(&self.chan.state);
        if let Some(value) = state.queue.pop_front() {
            let sender = state.waiting_senders.pop_front().map(|(_, waker)| waker);
            drop(state);
            budget::spend();
            if let Some(waker) = sender {
                waker.wake();
            }
            return Poll::Ready(Some(value));
        }
        if state.senders == 0 {
            budget::spend();
            return Poll::Ready(None);
        }
        let old = match &state.receiver_waker {
            Some(waker) if waker.will_wake(cx.waker()) => None,
            _ => state.receiver_waker.replace(cx.waker().clone()),
        };
        drop(state);
        drop(old);
        Poll::Pending
    }

    /// Takes the next value if one is queued.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] or [`TryRecvError::Closed`].
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = lock(&self.chan.state);
        match state.queue.pop_front() {
            Some(value) => {
                let sender = state.waiting_senders.pop_front().map(|(_, waker)| waker);
                drop(state);
                if let Some(waker) = sender {
                    waker.wake();
                }
                Ok(value)
            }
            None if state.senders == 0 => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Number of values queued now.
    pub fn len(&self) -> usize {
        lock(&self.chan.state).queue.len()
    }

    /// Whether no value is queued now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (values, senders) = {
            let mut state = lock(&self.chan.state);
            state.receiver_gone = true;
            let values = std::mem::take(&mut state.queue);
            let senders = std::mem::take(&mut state.waiting_senders);
            (values, senders)
        };
        drop(values); // outside the lock: dropping values may run user code
        for (_, waker) in senders {
            waker.wake(); // they will find the receiver gone
        }
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("mpsc::Receiver")
            .field("capacity", &self.chan.capacity)
            .finish_non_exhaustive()
    }
}
