//! A thread-pool handle awaited as a `std::future::Future`.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Duration;

use handspun::threadpool::{JobError, ThreadPool};

const HANG_GUARD: Duration = Duration::from_secs(20);

/// A waker that unparks the thread blocked in [`block_on`] and counts wakes.
struct ParkWaker {
    thread: Thread,
    wakes: AtomicUsize,
}

impl Wake for ParkWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// The smallest executor: poll, park until woken, poll again. Returns the
/// output and the number of `Pending` polls.
fn block_on<F: Future>(future: F, waker: &Arc<ParkWaker>) -> (F::Output, usize) {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::clone(waker));
    let mut cx = Context::from_waker(&waker);
    let mut pendings = 0;
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return (output, pendings),
            Poll::Pending => {
                pendings += 1;
                assert!(pendings < 1_000_000, "the future never completed");
                std::thread::park_timeout(HANG_GUARD);
            }
        }
    }
}

fn park_waker() -> Arc<ParkWaker> {
    Arc::new(ParkWaker {
        thread: std::thread::current(),
        wakes: AtomicUsize::new(0),
    })
}

#[test]
fn awaiting_a_handle_parks_until_the_worker_wakes_us() {
    let pool = ThreadPool::new(2);
    let (gate_tx, gate_rx) = mpsc::channel::<u32>();
    let handle = pool.submit(move || gate_rx.recv_timeout(HANG_GUARD).expect("gate") + 1);
    let mut handle = pin!(handle);

    // First poll: the job is blocked on the gate, so the handle is pending
    // and keeps our waker.
    let waker = park_waker();
    let std_waker = Waker::from(Arc::clone(&waker));
    assert!(handle
        .as_mut()
        .poll(&mut Context::from_waker(&std_waker))
        .is_pending());
    assert_eq!(waker.wakes.load(Ordering::SeqCst), 0);

    gate_tx.send(41).unwrap();
    let (result, _) = block_on(handle, &waker);
    assert_eq!(result, Ok(42));
    assert_eq!(waker.wakes.load(Ordering::SeqCst), 1, "exactly one wake");
}

#[test]
fn awaiting_a_finished_handle_is_ready_at_once() {
    let pool = ThreadPool::new(1);
    let handle = pool.submit(|| "quick");
    // Join a second job on the single worker: the first is surely done.
    pool.submit(|| ()).join().unwrap();
    assert!(handle.is_finished());
    let waker = park_waker();
    let (result, pendings) = block_on(handle, &waker);
    assert_eq!(result, Ok("quick"));
    assert_eq!(pendings, 0);
}

#[test]
fn an_async_block_awaits_many_handles() {
    let pool = ThreadPool::new(2);
    let handles: Vec<_> = (0..100u64).map(|i| pool.submit(move || i * i)).collect();
    let waker = park_waker();
    let (sum, _) = block_on(
        async move {
            let mut sum = 0;
            for handle in handles {
                sum += handle.await.unwrap();
            }
            sum
        },
        &waker,
    );
    assert_eq!(sum, (0..100u64).map(|i| i * i).sum::<u64>());
}

#[test]
fn awaiting_a_cancelled_handle_reports_cancelled() {
    let pool = ThreadPool::new(1);
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (started_tx, started_rx) = mpsc::channel::<()>();
    let blocker = pool.submit(move || {
        started_tx.send(()).unwrap();
        gate_rx.recv_timeout(HANG_GUARD).expect("gate");
    });
    started_rx.recv_timeout(HANG_GUARD).unwrap();
    let queued = pool.submit(|| 7);
    let mut queued = pin!(queued);
    let waker = park_waker();
    let std_waker = Waker::from(Arc::clone(&waker));
    assert!(queued
        .as_mut()
        .poll(&mut Context::from_waker(&std_waker))
        .is_pending());
    pool.shutdown_now();
    // Cancelling wakes the stored waker.
    assert_eq!(waker.wakes.load(Ordering::SeqCst), 1);
    let (result, _) = block_on(queued, &waker);
    assert_eq!(result, Err(JobError::Cancelled));
    gate_tx.send(()).unwrap();
    assert_eq!(blocker.join(), Ok(()));
}
