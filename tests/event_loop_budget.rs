//! The operation budget: a task whose operations are always ready still gives way.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use handspun::event_loop::channel::{mpsc, oneshot};
use handspun::event_loop::net::{TcpListener, TcpStream};
use handspun::event_loop::{self, EventLoop, BUDGET};

mod util_event_loop;
use util_event_loop::any_port;

/// Most operations any greedy task below attempts: keeps every test bounded
/// even if the budget stopped working (the tests would then fail, not hang).
const GREEDY_LIMIT: u32 = 50 * BUDGET;

/// Bound on how long a test waits for its tasks, on the loop's own timers.
const TEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Wraps a future and records, at the end of each of its polls, how many
/// operations (counted by the future itself in `ops`) it completed in that
/// poll.
struct PerPoll<F> {
    inner: Pin<Box<F>>,
    ops: Rc<Cell<u32>>,
    per_poll: Rc<RefCell<Vec<u32>>>,
}

impl<F: Future> Future for PerPoll<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let before = self.ops.get();
        let result = self.inner.as_mut().poll(cx);
        let done = self.ops.get() - before;
        self.per_poll.borrow_mut().push(done);
        result
    }
}

/// A channel holding `n` values already, with its sender kept alive.
fn filled_channel(n: u32) -> (mpsc::Sender<u32>, mpsc::Receiver<u32>) {
    let (tx, rx) = mpsc::channel(n as usize);
    for i in 0..n {
        tx.try_send(i).unwrap();
    }
    (tx, rx)
}

#[test]
fn a_task_receiving_from_a_channel_that_is_never_empty_lets_another_task_run() {
    let mut ev = EventLoop::new().unwrap();
    let (_tx, mut rx) = filled_channel(GREEDY_LIMIT);
    let received = Rc::new(Cell::new(0));
    let seen_by_other = ev.block_on({
        let received = received.clone();
        async move {
            let other_ran = Rc::new(Cell::new(false));
            let greedy = event_loop::spawn({
                let (received, other_ran) = (received.clone(), other_ran.clone());
                async move {
                    while !other_ran.get() && received.get() < GREEDY_LIMIT {
                        rx.recv().await.unwrap();
                        received.set(received.get() + 1);
                    }
                }
            });
            let other = event_loop::spawn(async move {
                other_ran.set(true);
                received.get()
            });
            event_loop::timeout(TEST_TIMEOUT, async {
                greedy.await.unwrap();
                other.await.unwrap()
            })
            .await
            .unwrap()
        }
    });
    // The greedy task ran first, spent its whole budget, then gave way.
    assert_eq!(seen_by_other, BUDGET);
    assert!(received.get() < GREEDY_LIMIT);
    assert!(ev.stats().budget_yields >= 1);
}

#[test]
fn a_task_reading_a_socket_that_is_always_ready_lets_another_task_run_within_a_turn() {
    let mut ev = EventLoop::new().unwrap();
    let (seen_by_other, turns_taken) = ev.block_on(async {
        let listener = TcpListener::bind(any_port()).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut writer = TcpStream::connect(addr).await.unwrap();
        let (mut reader, _) = listener.accept().await.unwrap();
        // Enough bytes for many one-byte reads, all in the socket already.
        let bytes = vec![b'x'; (4 * BUDGET) as usize];
        writer.write_all(&bytes).await.unwrap();
        let mut first = [0u8; 1];
        reader.read_exact(&mut first).await.unwrap(); // the bytes have arrived

        let other_ran = Rc::new(Cell::new(false));
        let reads = Rc::new(Cell::new(0));
        let turn_at_start = event_loop::stats().turns;
        let greedy = event_loop::spawn({
            let (other_ran, reads) = (other_ran.clone(), reads.clone());
            async move {
                let mut byte = [0u8; 1];
                while !other_ran.get() && reads.get() < 4 * BUDGET - 1 {
                    assert_eq!(reader.read(&mut byte).await.unwrap(), 1);
                    reads.set(reads.get() + 1);
                }
            }
        });
        let other = event_loop::spawn(async move {
            other_ran.set(true);
            (reads.get(), event_loop::stats().turns - turn_at_start)
        });
        event_loop::timeout(TEST_TIMEOUT, async {
            greedy.await.unwrap();
            other.await.unwrap()
        })
        .await
        .unwrap()
    });
    assert_eq!(seen_by_other, BUDGET);
    // Both were ready in the same turn: the budget let the other one in
    // before the loop even parked.
    assert!(
        turns_taken <= 1,
        "the other task waited {turns_taken} turns"
    );
}

#[test]
fn the_budget_is_filled_again_at_every_poll() {
    let mut ev = EventLoop::new().unwrap();
    let ops = Rc::new(Cell::new(0));
    let per_poll = Rc::new(RefCell::new(Vec::new()));
    let (_tx, mut rx) = filled_channel(5 * BUDGET);
    let task = PerPoll {
        inner: Box::pin({
            let ops = ops.clone();
            async move {
                for _ in 0..5 * BUDGET {
                    rx.recv().await.unwrap();
                    ops.set(ops.get() + 1);
                }
            }
        }),
        ops: ops.clone(),
        per_poll: per_poll.clone(),
    };
    let handle = ev.spawn(task);
    ev.block_on(event_loop::timeout(TEST_TIMEOUT, handle))
        .unwrap()
        .unwrap();
    assert_eq!(*per_poll.borrow(), vec![BUDGET; 5]);
    assert_eq!(ev.stats().budget_yields, 4);
}

#[test]
fn a_task_doing_fewer_operations_than_the_budget_is_not_preempted() {
    let mut ev = EventLoop::new().unwrap();
    let ops = Rc::new(Cell::new(0));
    let per_poll = Rc::new(RefCell::new(Vec::new()));
    let (_tx, mut rx) = filled_channel(BUDGET);
    let (done_tx, done_rx) = oneshot::channel();
    let task = PerPoll {
        inner: Box::pin({
            let ops = ops.clone();
            async move {
                // Exactly the budget: channel receives and a socket-free
                // `consume_budget` mixed.
                for i in 0..BUDGET - 1 {
                    if i % 2 == 0 {
                        rx.recv().await.unwrap();
                    } else {
                        event_loop::consume_budget().await;
                    }
                    ops.set(ops.get() + 1);
                }
                done_rx.await.unwrap();
                ops.set(ops.get() + 1);
            }
        }),
        ops: ops.clone(),
        per_poll: per_poll.clone(),
    };
    done_tx.send(()).unwrap();
    let handle = ev.spawn(task);
    ev.block_on(event_loop::timeout(TEST_TIMEOUT, handle))
        .unwrap()
        .unwrap();
    assert_eq!(*per_poll.borrow(), vec![BUDGET], "one poll did it all");
    assert_eq!(ev.stats().budget_yields, 0);
}

#[test]
fn the_block_on_future_has_a_budget_too() {
    let mut ev = EventLoop::new().unwrap();
    let steps = Rc::new(Cell::new(0));
    let spawned = ev.spawn({
        let steps = steps.clone();
        async move { steps.get() }
    });
    let seen_by_spawned = ev.block_on(async {
        while !spawned.is_finished() && steps.get() < GREEDY_LIMIT {
            event_loop::consume_budget().await;
            steps.set(steps.get() + 1);
        }
        spawned.await.unwrap()
    });
    assert_eq!(seen_by_spawned, BUDGET);
}

#[test]
fn a_task_that_waits_spends_no_budget_and_the_next_poll_starts_full() {
    let mut ev = EventLoop::new().unwrap();
    let ops = Rc::new(Cell::new(0));
    let per_poll = Rc::new(RefCell::new(Vec::new()));
    let (tx, mut rx) = mpsc::channel::<u32>(4 * BUDGET as usize);
    let task = PerPoll {
        inner: Box::pin({
            let ops = ops.clone();
            async move {
                // Waits on the empty channel (Pending, no budget spent),
                // then takes what arrived in one go.
                while let Some(_value) = rx.recv().await {
                    ops.set(ops.get() + 1);
                }
            }
        }),
        ops: ops.clone(),
        per_poll: per_poll.clone(),
    };
    let handle = ev.spawn(task);
    ev.block_on(event_loop::timeout(TEST_TIMEOUT, async move {
        event_loop::yield_now().await; // the task polls once and waits
        for i in 0..BUDGET / 2 {
            tx.try_send(i).unwrap();
        }
        drop(tx);
        handle.await.unwrap();
    }))
    .unwrap();
    // First poll: nothing to take. Second: every value, and the close.
    assert_eq!(*per_poll.borrow(), vec![0, BUDGET / 2]);
    assert_eq!(ev.stats().budget_yields, 0);
}

#[test]
fn outside_an_event_loop_no_budget_applies() {
    let (tx, mut rx) = mpsc::channel::<u32>(GREEDY_LIMIT as usize);
    for i in 0..GREEDY_LIMIT {
        tx.try_send(i).unwrap();
    }
    let mut cx = Context::from_waker(Waker::noop());
    for i in 0..GREEDY_LIMIT {
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(i)));
    }
    // And a task polled by a loop does not leave its budget behind on the
    // thread once the loop returns.
    let mut ev = EventLoop::new().unwrap();
    ev.block_on(async {
        for _ in 0..2 * BUDGET {
            event_loop::consume_budget().await;
        }
    });
    for i in 0..GREEDY_LIMIT {
        tx.try_send(i).unwrap();
    }
    for i in 0..GREEDY_LIMIT {
        assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(i)));
    }
}

#[test]
fn a_task_that_spent_its_budget_runs_again_only_after_the_loop_looked_for_io() {
    let mut ev = EventLoop::new().unwrap();
    let seen_by_reader = ev.block_on(async {
        let listener = TcpListener::bind(any_port()).unwrap();
        let addr = listener.local_addr().unwrap();
        let mut writer = TcpStream::connect(addr).await.unwrap();
        let (mut reader, _) = listener.accept().await.unwrap();
        let steps = Rc::new(Cell::new(0));
        let reader_ran = Rc::new(Cell::new(false));
        // The reader waits on `epoll` for its socket...
        let waiting = event_loop::spawn({
            let (steps, reader_ran) = (steps.clone(), reader_ran.clone());
            async move {
                let mut byte = [0u8; 1];
                reader.read_exact(&mut byte).await.unwrap();
                reader_ran.set(true);
                steps.get()
            }
        });
        event_loop::yield_now().await; // it has polled once and parked
                                       // ...its byte is sent, and a greedy task is alone in the ready queue.
        writer.write_all(b"!").await.unwrap();
        let greedy = event_loop::spawn(async move {
            while !reader_ran.get() && steps.get() < GREEDY_LIMIT {
                event_loop::consume_budget().await;
                steps.set(steps.get() + 1);
            }
        });
        event_loop::timeout(TEST_TIMEOUT, async {
            greedy.await.unwrap();
            waiting.await.unwrap()
        })
        .await
        .unwrap()
    });
    // One poll of the greedy task, then the park found the reader's byte,
    // and the reader ran before the greedy task's second poll.
    assert_eq!(seen_by_reader, BUDGET);
}
