//! Wakers: from other threads, duplicated, spurious.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use handspun::event_loop::{self, EventLoop};

/// A value set by another thread; awaiting it parks until the thread wakes us.
#[derive(Default)]
struct Slot {
    done: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

struct WaitSlot(Arc<Slot>);

impl Future for WaitSlot {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.waker.lock().unwrap() = Some(cx.waker().clone());
        if self.0.done.load(Ordering::SeqCst) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

fn wake_from_thread(slot: Arc<Slot>, wait_for_waker: bool) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        // Wait (bounded) until the task has parked, so the wake really
        // crosses threads while the loop is blocked.
        for _ in 0..10_000 {
            if !wait_for_waker || slot.waker.lock().unwrap().is_some() {
                break;
            }
            std::thread::yield_now();
        }
        slot.done.store(true, Ordering::SeqCst);
        let waker = slot.waker.lock().unwrap().take();
        if let Some(waker) = waker {
            waker.wake();
        }
    })
}

#[test]
fn a_plain_thread_can_wake_a_task() {
    let mut ev = EventLoop::new().unwrap();
    let slot = Arc::new(Slot::default());
    let thread = wake_from_thread(slot.clone(), true);
    let out = ev.block_on(async move {
        let task = event_loop::spawn(async move {
            WaitSlot(slot).await;
            "woken"
        });
        event_loop::timeout(Duration::from_secs(10), task).await
    });
    thread.join().unwrap();
    assert_eq!(out.expect("the cross-thread wake must arrive"), Ok("woken"));
}

#[test]
fn a_plain_thread_can_wake_the_block_on_future() {
    let mut ev = EventLoop::new().unwrap();
    let slot = Arc::new(Slot::default());
    let thread = wake_from_thread(slot.clone(), true);
    ev.block_on(WaitSlot(slot));
    thread.join().unwrap();
}

#[test]
fn many_threads_waking_many_tasks() {
    let mut ev = EventLoop::new().unwrap();
    let slots: Vec<_> = (0..50).map(|_| Arc::new(Slot::default())).collect();
    let threads: Vec<_> = slots
        .iter()
        .map(|slot| wake_from_thread(slot.clone(), false))
        .collect();
    let finished = ev.block_on(async move {
        let handles: Vec<_> = slots
            .into_iter()
            .map(|slot| event_loop::spawn(WaitSlot(slot)))
            .collect();
        let mut finished = 0;
        for handle in handles {
            if event_loop::timeout(Duration::from_secs(10), handle)
                .await
                .is_ok()
            {
                finished += 1;
            }
        }
        finished
    });
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(finished, 50);
}

/// Pending once, after waking itself `wakes` times (and cloning the waker).
struct WakeManyTimes {
    wakes: usize,
    polls: Rc<Cell<u32>>,
}

impl Future for WakeManyTimes {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.set(self.polls.get() + 1);
        if self.wakes == 0 {
            return Poll::Ready(());
        }
        for _ in 0..self.wakes {
            cx.waker().wake_by_ref();
            let owned = cx.waker().clone();
            std::mem::drop(owned.clone());
            owned.wake();
        }
        self.wakes = 0;
        Poll::Pending
    }
}

#[test]
fn duplicate_wakes_queue_a_task_once() {
    let mut ev = EventLoop::new().unwrap();
    let polls = Rc::new(Cell::new(0));
    let handle = ev.spawn(WakeManyTimes {
        wakes: 10,
        polls: polls.clone(),
    });
    ev.block_on(handle).unwrap();
    assert_eq!(polls.get(), 2, "twenty wakes, one extra poll");
    assert_eq!(ev.stats().polls, 2);
}

#[test]
fn wakes_after_a_task_finished_are_harmless() {
    let mut ev = EventLoop::new().unwrap();
    let stolen: Rc<Cell<Option<Waker>>> = Rc::default();
    let handle = ev.spawn({
        let stolen = stolen.clone();
        std::future::poll_fn(move |cx| {
            stolen.set(Some(cx.waker().clone()));
            Poll::Ready(1)
        })
    });
    assert_eq!(ev.block_on(handle), Ok(1));
    let waker = stolen.take().unwrap();
    waker.wake_by_ref();
    ev.block_on(async {
        waker.wake_by_ref();
        event_loop::yield_now().await;
    });
    std::thread::spawn(move || waker.wake()).join().unwrap();
    assert_eq!(ev.stats().polls, 1);
}

#[test]
fn wakers_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    let mut ev = EventLoop::new().unwrap();
    ev.block_on(std::future::poll_fn(|cx| {
        assert_send_sync(cx.waker());
        Poll::Ready(())
    }));
}
