//! Thread-pool handles awaited by event-loop tasks (asyncio's
//! `run_in_executor`): the loop keeps running other tasks while a pool
//! worker computes, and the worker's wake-up reaches the loop from another
//! thread.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::Poll;
use std::time::Duration;

use handspun::event_loop::{self, EventLoop};
use handspun::threadpool::{JobError, ThreadPool};

/// Bound on every wait; reached only if something hangs.
const HANG_GUARD: Duration = Duration::from_secs(20);

#[test]
fn a_task_awaits_a_pool_job_while_another_task_runs() {
    let pool = ThreadPool::new(2);
    let mut ev = EventLoop::new().unwrap();
    let (gate_tx, gate_rx) = mpsc::channel::<u64>();
    // The job cannot finish until a *loop task* opens the gate, so the test
    // hangs (and times out) if awaiting the handle blocked the loop thread.
    let mut handle = pool.submit(move || gate_rx.recv_timeout(HANG_GUARD).expect("gate") * 2);
    let outcome = ev.block_on(event_loop::timeout(HANG_GUARD, async move {
        let first_poll_pending =
            poll_fn(|cx| Poll::Ready(Pin::new(&mut handle).poll(cx).is_pending())).await;
        let opener = event_loop::spawn(async move {
            event_loop::yield_now().await;
            gate_tx.send(21).expect("the job is waiting");
        });
        let result = handle.await;
        opener.await.expect("the opener task finished");
        (first_poll_pending, result)
    }));
    let (first_poll_pending, result) = outcome.expect("timed out: the loop was blocked");
    assert!(
        first_poll_pending,
        "the job could not have finished before the gate opened"
    );
    assert_eq!(result, Ok(42));
}

#[test]
fn many_tasks_await_pool_jobs_concurrently() {
    let pool = ThreadPool::new(2);
    let mut ev = EventLoop::new().unwrap();
    let handles: Vec<_> = (0..100u64)
        .map(|i| pool.submit(move || (0..1_000 * i).fold(0u64, |acc, x| acc.wrapping_add(x))))
        .collect();
    let total = ev
        .block_on(event_loop::timeout(HANG_GUARD, async move {
            let tasks: Vec<_> = handles
                .into_iter()
                .map(|handle| event_loop::spawn(async move { handle.await.unwrap() }))
                .collect();
            let mut total = 0u64;
            for task in tasks {
                total = total.wrapping_add(task.await.unwrap());
            }
            total
        }))
        .expect("timed out");
    let expected = (0..100u64)
        .map(|i| (0..1_000 * i).fold(0u64, |acc, x| acc.wrapping_add(x)))
        .fold(0u64, u64::wrapping_add);
    assert_eq!(total, expected);
}

#[test]
fn a_task_sees_a_cancelled_job_as_cancelled() {
    let pool = ThreadPool::new(1);
    pool.shutdown_now();
    let mut ev = EventLoop::new().unwrap();
    let result = ev.block_on(pool.submit(|| 1));
    assert_eq!(result, Err(JobError::Cancelled));
}
