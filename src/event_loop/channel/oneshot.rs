//! A channel for exactly one value.
//!
//! # Examples
//!
//! ```
//! use handspun::event_loop::{self, EventLoop};
//! use handspun::event_loop::channel::oneshot;
//!
//! let mut ev = EventLoop::new().unwrap();
//! let answer = ev.block_on(async {
//!     let (tx, rx) = oneshot::channel();
//!     event_loop::spawn(async move { tx.send(42).unwrap() });
//!     rx.await
//! });
//! assert_eq!(answer, Ok(42));
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::lock;
use crate::event_loop::budget;

/// The receiver's error: the sender was dropped without sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the oneshot sender was dropped without sending a value")]
pub struct RecvError;

/// The error of [`Receiver::try_recv`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TryRecvError {
    /// No value yet; the sender may still send one.
    #[error("no value has been sent yet")]
    Empty,
    /// The sender was dropped without sending (or the value was taken).
    #[error("the oneshot sender was dropped without sending a value")]
    Closed,
}

/// The state both ends share. Guarded by `Shared::state`.
struct State<T> {
    /// The value, once sent and until received.
    value: Option<T>,
    /// The waker of the task awaiting the receiver.
    receiver_waker: Option<Waker>,
    /// True once the sender is gone (sent or dropped).
    sender_gone: bool,
    /// True once the receiver is gone: sending fails.
    receiver_gone: bool,
}

type Shared<T> = Arc<Mutex<State<T>>>;

/// Creates a oneshot channel.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(State {
        value: None,
        receiver_waker: None,
        sender_gone: false,
        receiver_gone: false,
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

/// The sending end.
pub struct Sender<T> {
    shared: Shared<T>,
}

impl<T> Sender<T> {
    /// Sends the value.
    ///
    /// # Errors
    ///
    /// Gives the value back if the receiver was dropped.
    pub fn send(self, value: T) -> Result<(), T> {
        let waker = {
            let mut state = lock(&self.shared);
            if state.receiver_gone {
                return Err(value);
            }
            state.value = Some(value);
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(()) // `self` drops now and marks the sender gone
    }

    /// Whether the receiver was dropped (a send would fail).
    pub fn is_closed(&self) -> bool {
        lock(&self.shared).receiver_gone
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut state = lock(&self.shared);
            state.sender_gone = true;
            state.receiver_waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender").finish_non_exhaustive()
    }
}

/// The receiving end: a future of the value.
pub struct Receiver<T> {
    shared: Shared<T>,
}

impl<T> Receiver<T> {
    /// Takes the value if it has been sent, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] if not sent yet, [`TryRecvError::Closed`] if
    /// the sender is gone without a value.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut state = lock(&self.shared);
        match state.value.take() {
            Some(value) => Ok(value),
            None if state.sender_gone => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if budget::poll_proceed(cx).is_pending() {
            return Poll::Pending;
        }
        let old_waker = {
            let mut state = lock(&self.shared);
            if let Some(value) = state.value.take() {
                drop(state);
                budget::spend();
                return Poll::Ready(Ok(value));
            }
            if state.sender_gone {
                drop(state);
                budget::spend();
                return Poll::Ready(Err(RecvError));
            }
            match &state.receiver_waker {
                Some(waker) if waker.will_wake(cx.waker()) => None,
                _ => state.receiver_waker.replace(cx.waker().clone()),
            }
        };
        drop(old_waker);
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (value, waker) = {
            let mut state = lock(&self.shared);
            state.receiver_gone = true;
            (state.value.take(), state.receiver_waker.take())
        };
        drop((value, waker)); // outside the lock: may run user code
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Receiver").finish_non_exhaustive()
    }
}
