//! Scheduling order: oldest-ready by default, and what other schedulers change.

use std::cell::RefCell;
use std::collections::BinaryHeap;
use std::rc::Rc;

use handspun::event_loop::{
    self, EventLoop, JoinHandle, NewestReady, Priority, ReadyTask, Scheduler, TaskMeta,
};

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
    heap: BinaryHeap<Entry>,
}

struct Entry {
    key: std::cmp::Reverse<(u64, u64)>,
    task: ReadyTask,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

impl Scheduler for FewestPollsFirst {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        assert_eq!(task.id(), meta.id);
        self.heap.push(Entry {
            key: std::cmp::Reverse((meta.polls, meta.id.0)),
            task,
        });
    }
    fn pop(&mut self) -> Option<ReadyTask> {
        self.heap.pop().map(|entry| entry.task)
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
