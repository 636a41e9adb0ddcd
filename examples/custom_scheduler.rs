//! Writing your own scheduler: "the task that used the thread least runs next".
//!
//! The loop hands every ready task to a `Scheduler` together with a
//! `TaskMeta` (id, ready-since, priority, polls so far, time spent polling so
//! far) and asks it for the next one. Here a fair-share policy, in the spirit
//! of glommio's vruntime queues, takes a dozen lines on a heap of `Keyed`
//! tasks; the loop times polls on the precise clock so that busy times
//! compare. The same workload — one
//! greedy task that computes in long slices and three light tasks that do
//! short steps — then runs under three policies, and the order of the steps
//! shows what each policy favours.
//!
//! Run: `cargo run --example custom_scheduler`

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use handspun::event_loop::{
    self, EventLoop, Keyed, NewestReady, OldestReady, PollClock, ReadyTask, Scheduler, TaskMeta,
};

/// Runs the task that has spent the least time being polled; among equals,
/// the one that became ready first.
///
/// It compares tasks' busy times, so the loop must time polls precisely
/// (`PollClock::Precise`): on the default coarse clock a light task's short
/// polls often read zero, and the policy would quietly become FIFO.
#[derive(Default)]
pub struct LeastBusyFirst {
    /// Popped greatest first: `Reverse` makes it the least busy, then the
    /// earliest arrival.
    heap: BinaryHeap<Keyed<Reverse<(Duration, u64)>>>,
    arrivals: u64,
}

impl Scheduler for LeastBusyFirst {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        self.arrivals += 1;
        self.heap
            .push(Keyed::new(Reverse((meta.busy, self.arrivals)), task));
    }
    fn pop(&mut self) -> Option<ReadyTask> {
        self.heap.pop().map(Keyed::into_task)
    }
    fn len(&self) -> usize {
        self.heap.len()
    }
}

/// Busy-waits for `d` (a stand-in for real computation; never do this in a
/// real task without yielding).
fn compute_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// One greedy task (4 slices of 5 ms) and three light ones (4 steps of
/// 0.2 ms), all yielding after every slice. Returns who ran, in order.
fn workload(mut ev: EventLoop) -> String {
    let log = Rc::new(RefCell::new(String::new()));
    let mut handles = Vec::new();
    for (name, slice) in [('G', 5_000u64), ('a', 200), ('b', 200), ('c', 200)] {
        let log = log.clone();
        handles.push(ev.spawn(async move {
            for _ in 0..4 {
                compute_for(Duration::from_micros(slice));
                log.borrow_mut().push(name);
                event_loop::yield_now().await;
            }
        }));
    }
    ev.block_on(async move {
        for handle in handles {
            handle.await.expect("no panics here");
        }
    });
    let order = log.borrow().clone();
    order
}

fn main() -> std::io::Result<()> {
    println!("G = greedy task (5 ms slices), a b c = light tasks (0.2 ms steps)\n");
    let fifo = workload(EventLoop::builder().scheduler(OldestReady::new()).build()?);
    println!("OldestReady    (FIFO, the default): {fifo}");
    let lifo = workload(EventLoop::builder().scheduler(NewestReady::new()).build()?);
    println!("NewestReady    (LIFO):              {lifo}");
    let fair = workload(
        EventLoop::builder()
            .scheduler(LeastBusyFirst::default())
            .poll_clock(PollClock::Precise)
            .build()?,
    );
    println!("LeastBusyFirst (custom, fair share): {fair}");
    println!(
        "\nFIFO takes turns; LIFO lets each task run to the end before the next; \
         LeastBusyFirst lets the light tasks finish before the greedy one gets \
         the thread back."
    );
    Ok(())
}
