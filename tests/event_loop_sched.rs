//! Scheduling order: oldest-ready by default, and what other schedulers change.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::rc::Rc;
use std::time::Duration;

use handspun::event_loop::{
    self, EventLoop, JoinHandle, Keyed, NewestReady, Priority, ReadyTask, Scheduler, TaskId,
    TaskMeta, TaskOptions,
};

#[allow(dead_code)] // only `LeastBusyFirst` is used here
#[path = "../examples/custom_scheduler.rs"]
mod custom_scheduler;

type Log = Rc<RefCell<Vec<(u32, u32)>>>;

/// Spawns `tasks` tasks on `ev`; task i logs (i, step) then yields, `steps` times.
fn spawn_yielders(ev: &EventLoop, log: &Log, tasks: u32, steps: u32) -> Vec<JoinHandle<()>> {
    (0..tasks)
        .map(|i| {
            let log = log.clone();
            ev.spawn(async move {
                for step in 0..steps {
                    log.borrow_mut().push((i, step));
                    event_loop::yield_now().await;
                }
            })
        })
        .collect()
}

fn run_all(ev: &mut EventLoop, handles: Vec<JoinHandle<()>>) {
    ev.block_on(async move {
        for handle in handles {
            handle.await.unwrap();
        }
    });
}

#[test]
fn oldest_ready_runs_tasks_in_the_order_they_became_ready() {
    let mut ev = EventLoop::new().unwrap();
    let log = Log::default();
    let handles = spawn_yielders(&ev, &log, 4, 3);
    run_all(&mut ev, handles);
    // Round robin: everyone's step 0, then everyone's step 1, ...
    let expected: Vec<_> = (0..3).flat_map(|s| (0..4).map(move |i| (i, s))).collect();
    assert_eq!(*log.borrow(), expected);
}

#[test]
fn a_task_woken_later_waits_behind_tasks_woken_earlier() {
    let mut ev = EventLoop::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    ev.block_on({
        let log = log.clone();
        async move {
            let (tx_late, rx_late) = event_loop::channel::oneshot::channel::<()>();
            let (tx_early, rx_early) = event_loop::channel::oneshot::channel::<()>();
            let late = event_loop::spawn({
                let log = log.clone();
                async move {
                    rx_late.await.unwrap();
                    log.borrow_mut().push("late");
                }
            });
            let early = event_loop::spawn({
                let log = log.clone();
                async move {
                    rx_early.await.unwrap();
                    log.borrow_mut().push("early");
                }
            });
            event_loop::yield_now().await; // both are now waiting
            tx_early.send(()).unwrap(); // `early` becomes ready first...
            tx_late.send(()).unwrap(); // ...then `late`
            late.await.unwrap();
            early.await.unwrap();
        }
    });
    assert_eq!(*log.borrow(), ["early", "late"]);
}

#[test]
fn newest_ready_reverses_the_order_and_lets_a_yielder_run_again_at_once() {
    let mut ev = EventLoop::builder()
        .scheduler(NewestReady::new())
        .build()
        .unwrap();
    let log = Log::default();
    let handles = spawn_yielders(&ev, &log, 3, 2);
    run_all(&mut ev, handles);
    assert_eq!(
        *log.borrow(),
        [(2, 0), (2, 1), (1, 0), (1, 1), (0, 0), (0, 1)]
    );
}

#[test]
fn priority_runs_higher_priorities_first_and_keeps_fifo_among_equals() {
    let mut ev = EventLoop::builder()
        .scheduler(Priority::new())
        .build()
        .unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let handles: Vec<_> = [(0, 'a'), (5, 'b'), (0, 'c'), (9, 'd'), (5, 'e')]
        .into_iter()
        .map(|(priority, name)| {
            let log = log.clone();
            ev.spawn_with_priority(priority, async move { log.borrow_mut().push(name) })
        })
        .collect();
    run_all(&mut ev, handles);
    assert_eq!(*log.borrow(), ['d', 'b', 'e', 'a', 'c']);
}

/// A user-written policy: the task that has been polled the fewest times runs
/// first (ties: smallest id).
#[derive(Default)]
struct FewestPollsFirst {
    heap: BinaryHeap<Keyed<Reverse<(u64, u64)>>>,
}

impl Scheduler for FewestPollsFirst {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        assert_eq!(task.id(), meta.id);
        self.heap
            .push(Keyed::new(Reverse((meta.polls, meta.id.0)), task));
    }
    fn pop(&mut self) -> Option<ReadyTask> {
        self.heap.pop().map(Keyed::into_task)
    }
    fn len(&self) -> usize {
        self.heap.len()
    }
}

/// `first` yields 3 times; `spawner` yields once, then spawns two newcomers.
/// Returns the order in which things were logged.
fn newcomers_scenario(mut ev: EventLoop) -> Vec<String> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let first = ev.spawn({
        let log = log.clone();
        async move {
            for step in 0..4 {
                log.borrow_mut().push(format!("first{step}"));
                event_loop::yield_now().await;
            }
        }
    });
    let spawner = ev.spawn({
        let log = log.clone();
        async move {
            event_loop::yield_now().await;
            (0..2)
                .map(|i| {
                    let log = log.clone();
                    event_loop::spawn(async move { log.borrow_mut().push(format!("new{i}")) })
                })
                .collect::<Vec<_>>()
        }
    });
    ev.block_on(async move {
        for handle in spawner.await.unwrap() {
            handle.await.unwrap();
        }
        first.await.unwrap();
    });
    let log = log.borrow().clone();
    log
}

#[test]
fn a_custom_scheduler_changes_the_order() {
    let fifo = newcomers_scenario(EventLoop::new().unwrap());
    assert_eq!(
        fifo,
        ["first0", "first1", "first2", "new0", "new1", "first3"]
    );
    // Under "fewest polls first" the newcomers (0 polls) overtake `first`.
    let custom = newcomers_scenario(
        EventLoop::builder()
            .scheduler(FewestPollsFirst::default())
            .build()
            .unwrap(),
    );
    assert_eq!(
        custom,
        ["first0", "first1", "new0", "new1", "first2", "first3"]
    );
}

#[test]
fn scheduler_sees_growing_poll_counts() {
    struct Recorder(std::collections::VecDeque<ReadyTask>, Rc<RefCell<Vec<u64>>>);
    impl Scheduler for Recorder {
        fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
            self.1.borrow_mut().push(meta.polls);
            self.0.push_back(task);
        }
        fn pop(&mut self) -> Option<ReadyTask> {
            self.0.pop_front()
        }
        fn len(&self) -> usize {
            self.0.len()
        }
    }
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut ev = EventLoop::builder()
        .scheduler(Recorder(Default::default(), seen.clone()))
        .build()
        .unwrap();
    let handle = ev.spawn(async {
        for _ in 0..3 {
            event_loop::yield_now().await;
        }
    });
    ev.block_on(handle).unwrap();
    assert_eq!(*seen.borrow(), [0, 1, 2, 3]);
}

/// Pops everything, returning the ids in order.
fn drain_ids(scheduler: &mut dyn Scheduler) -> Vec<u64> {
    let mut ids = Vec::new();
    while let Some(task) = scheduler.pop() {
        ids.push(task.id().0);
        assert!(ids.len() <= 1000, "the scheduler keeps returning tasks");
    }
    ids
}

#[test]
fn priority_is_unit_testable_with_loose_tasks() {
    let mut scheduler = Priority::new();
    for (id, priority) in [(1, 0), (2, 7), (3, 0), (4, 7), (5, -1)] {
        let meta = TaskMeta {
            priority,
            ..TaskMeta::new(TaskId(id))
        };
        scheduler.push(ReadyTask::for_test(meta.id), meta);
    }
    assert_eq!(scheduler.len(), 5);
    assert_eq!(drain_ids(&mut scheduler), [2, 4, 1, 3, 5]);
    assert!(scheduler.is_empty());
}

#[test]
fn keyed_orders_by_its_key_alone() {
    let mut heap = BinaryHeap::new();
    heap.push(Keyed::new(Reverse(3), ReadyTask::for_test(TaskId(30))));
    heap.push(Keyed::new(Reverse(1), ReadyTask::for_test(TaskId(10))));
    heap.push(Keyed::new(Reverse(2), ReadyTask::for_test(TaskId(20))));
    let ids: Vec<u64> = std::iter::from_fn(|| heap.pop())
        .map(|keyed| keyed.into_task().id().0)
        .collect();
    assert_eq!(ids, [10, 20, 30]);
}

#[test]
fn least_busy_first_pops_the_least_busy_task_first() {
    let mut scheduler = custom_scheduler::LeastBusyFirst::default();
    for (id, busy_us) in [(1, 5_000), (2, 200), (3, 0), (4, 200), (5, 1)] {
        let meta = TaskMeta {
            busy: Duration::from_micros(busy_us),
            ..TaskMeta::new(TaskId(id))
        };
        scheduler.push(ReadyTask::for_test(meta.id), meta);
    }
    // Least busy first; 2 and 4 are equal and keep their arrival order.
    assert_eq!(drain_ids(&mut scheduler), [3, 5, 2, 4, 1]);
}

#[test]
fn a_loop_ignores_a_loose_task_handed_to_it() {
    /// Hands the loop one loose task before every real one.
    #[derive(Default)]
    struct Sneaky(std::collections::VecDeque<ReadyTask>, u64);
    impl Scheduler for Sneaky {
        fn push(&mut self, task: ReadyTask, _meta: TaskMeta) {
            self.1 += 1;
            self.0.push_back(ReadyTask::for_test(TaskId(1000 + self.1)));
            self.0.push_back(task);
        }
        fn pop(&mut self) -> Option<ReadyTask> {
            self.0.pop_front()
        }
        fn len(&self) -> usize {
            self.0.len()
        }
    }
    let mut ev = EventLoop::builder()
        .scheduler(Sneaky::default())
        .keep_task_stats(true)
        .build()
        .unwrap();
    let out = ev.block_on(async {
        event_loop::spawn(async {
            event_loop::yield_now().await;
            9
        })
        .await
        .unwrap()
    });
    assert_eq!(out, 9);
    assert_eq!(ev.stats().polls, 2);
}

#[test]
fn spawn_with_gives_a_name_and_a_priority_together() {
    let mut ev = EventLoop::builder()
        .scheduler(Priority::new())
        .keep_task_stats(true)
        .build()
        .unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let handles: Vec<_> = [("low", 1), ("high", 9), ("mid", 5)]
        .into_iter()
        .map(|(name, priority)| {
            let log = log.clone();
            let options = TaskOptions::new().name(name).priority(priority);
            ev.spawn_with(options, async move { log.borrow_mut().push(name) })
        })
        .collect();
    run_all(&mut ev, handles);
    assert_eq!(*log.borrow(), ["high", "mid", "low"]);
    let finished: Vec<_> = ev
        .task_stats()
        .into_iter()
        .map(|stats| stats.name.unwrap())
        .collect();
    assert_eq!(finished, ["high", "mid", "low"]);
}

#[test]
fn spawn_with_inside_a_task_names_the_task() {
    let mut ev = EventLoop::builder()
        .scheduler(Priority::new())
        .build()
        .unwrap();
    let (name, order) = ev.block_on(async {
        let log = Rc::new(RefCell::new(Vec::new()));
        let spawn = |name: &'static str, priority| {
            let log = log.clone();
            event_loop::spawn_with(
                TaskOptions::new().name(name).priority(priority),
                async move { log.borrow_mut().push(name) },
            )
        };
        let a = spawn("a", 0);
        let b = spawn("b", 3);
        let name = a.stats().name;
        a.await.unwrap();
        b.await.unwrap();
        let order = log.borrow().clone();
        (name, order)
    });
    assert_eq!(name.as_deref(), Some("a"));
    assert_eq!(order, ["b", "a"]);
}

/// The example's workload on virtual time: one greedy task (4 slices of
/// 5 ms) and three light ones (4 steps of 0.2 ms), each yielding after every
/// slice. Returns who ran, in order.
fn greedy_and_light(scheduler: impl Scheduler + 'static) -> String {
    let run = handspun::sim::run_with(scheduler, || async {
        let log = Rc::new(RefCell::new(String::new()));
        let mut handles = Vec::new();
        for (name, slice_us) in [('G', 5_000), ('a', 200), ('b', 200), ('c', 200)] {
            let log = log.clone();
            handles.push(event_loop::spawn(async move {
                for _ in 0..4 {
                    handspun::sim::work(Duration::from_micros(slice_us));
                    log.borrow_mut().push(name);
                    event_loop::yield_now().await;
                }
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
        let order = log.borrow().clone();
        order
    });
    run.outcome.unwrap()
}

#[test]
fn least_busy_first_lets_light_tasks_finish_before_the_greedy_one_runs_again() {
    let fair = greedy_and_light(custom_scheduler::LeastBusyFirst::default());
    assert_eq!(fair, "GabcabcabcabcGGG");
    let fifo = greedy_and_light(event_loop::OldestReady::new());
    assert_eq!(fifo, "GabcGabcGabcGabc");
}
