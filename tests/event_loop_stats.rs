//! Per-task figures, stats from inside a task, the precise poll clock, and
//! the trace's queue lengths and Perfetto file.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use handspun::event_loop::{
    self, channel::oneshot, perfetto_json, write_perfetto, EventLoop, PollClock, ReadyTask,
    Scheduler, TaskMeta, TaskState, TraceKind,
};

/// Spins for at least `d` without yielding (a stand-in for computation).
fn spin_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[test]
fn task_stats_count_polls_and_ready_waits_of_finished_tasks() {
    let mut ev = EventLoop::builder().keep_task_stats(true).build().unwrap();
    ev.block_on(async {
        let a = event_loop::spawn_named("a", async {
            for _ in 0..4 {
                event_loop::yield_now().await;
            }
        });
        let b = event_loop::spawn_named("b", async {});
        a.await.unwrap();
        b.await.unwrap();
    });
    let stats = ev.task_stats();
    let names: Vec<_> = stats.iter().map(|s| s.name.as_deref().unwrap()).collect();
    assert_eq!(names, ["b", "a"], "in the order they finished");
    assert_eq!(stats[0].polls, 1);
    assert_eq!(stats[1].polls, 5);
    for task in &stats {
        assert_eq!(task.state, TaskState::Done);
        assert!(task.longest_ready_wait <= task.ready_wait, "{task:?}");
    }
}

#[test]
fn task_stats_are_not_kept_unless_asked() {
    let mut ev = EventLoop::new().unwrap();
    ev.block_on(async { event_loop::spawn(async {}).await.unwrap() });
    assert_eq!(ev.stats().done, 1);
    assert!(ev.task_stats().is_empty());
}

#[test]
fn the_precise_poll_clock_counts_every_nanosecond_of_busy_time() {
    let mut ev = EventLoop::builder()
        .poll_clock(PollClock::Precise)
        .keep_task_stats(true)
        .build()
        .unwrap();
    ev.block_on(async {
        event_loop::spawn(async {
            for _ in 0..3 {
                spin_for(Duration::from_millis(2));
                event_loop::yield_now().await;
            }
        })
        .await
        .unwrap();
    });
    let task = &ev.task_stats()[0];
    // Every poll is timed from before it began to after it ended.
    assert!(task.busy >= Duration::from_millis(6), "{task:?}");
    assert!(ev.stats().busy >= task.busy);
}

#[test]
fn the_scheduler_sees_precise_busy_time_even_for_tiny_polls() {
    /// FIFO that records the busy time it is shown.
    struct Recorder(VecDeque<ReadyTask>, Rc<RefCell<Vec<Duration>>>);
    impl Scheduler for Recorder {
        fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
            self.1.borrow_mut().push(meta.busy);
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
        .scheduler(Recorder(VecDeque::new(), seen.clone()))
        .poll_clock(PollClock::Precise)
        .build()
        .unwrap();
    let handle = ev.spawn(async {
        for _ in 0..50 {
            event_loop::yield_now().await;
        }
    });
    ev.block_on(handle).unwrap();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 51);
    assert_eq!(seen[0], Duration::ZERO, "never polled yet");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "busy never shrinks");
    assert!(seen[50] > Duration::ZERO, "50 polls took no time: {seen:?}");
}

#[test]
fn stats_are_readable_from_inside_a_task() {
    let mut ev = EventLoop::new().unwrap();
    let (before, after) = ev.block_on(async {
        let handles: Vec<_> = (0..3).map(|_| event_loop::spawn(async {})).collect();
        let before = event_loop::stats();
        for handle in handles {
            handle.await.unwrap();
        }
        (before, event_loop::stats())
    });
    assert_eq!((before.spawned, before.ready, before.done), (3, 3, 0));
    assert_eq!((after.ready, after.done), (0, 3));
    assert_eq!(after, ev.stats());
}

#[test]
#[should_panic(expected = "inside a running event loop")]
fn stats_outside_a_loop_panics_with_a_message() {
    let _ = event_loop::stats();
}

#[test]
fn a_handle_gives_a_live_tasks_figures() {
    let mut ev = EventLoop::new().unwrap();
    let (live, done) = ev.block_on(async {
        let (tx, rx) = oneshot::channel::<()>();
        let waiter = event_loop::spawn(async move { rx.await.unwrap() });
        event_loop::yield_now().await; // `waiter` runs once, then waits
        let live = waiter.stats();
        tx.send(()).unwrap();
        while !waiter.is_finished() {
            event_loop::yield_now().await;
        }
        (live, waiter.stats())
    });
    assert_eq!((live.state, live.polls), (TaskState::Waiting, 1));
    assert_eq!((done.state, done.polls), (TaskState::Done, 2));
}

#[test]
fn the_trace_carries_ready_and_waiting_counts() {
    let mut ev = EventLoop::builder().tracing(true).build().unwrap();
    ev.block_on(async {
        let (tx, rx) = oneshot::channel::<()>();
        let waiter = event_loop::spawn_named("waiter", async move { rx.await.unwrap() });
        let other = event_loop::spawn_named("other", async {});
        other.await.unwrap();
        tx.send(()).unwrap();
        waiter.await.unwrap();
    });
    let trace = ev.take_trace();
    let counts = |name: &str, kind: TraceKind| {
        trace
            .iter()
            .filter(|e| e.name.as_deref() == Some(name) && e.kind == kind)
            .map(|e| (e.ready, e.waiting))
            .collect::<Vec<_>>()
    };
    // Spawned one after the other: one, then two ready.
    assert_eq!(counts("waiter", TraceKind::Spawned), [(1, 0)]);
    assert_eq!(counts("other", TraceKind::Spawned), [(2, 0)]);
    // `waiter` polls first (other still ready), then parks: `other` starts
    // with `waiter` waiting.
    assert_eq!(counts("waiter", TraceKind::PollStart)[0], (1, 0));
    assert_eq!(counts("other", TraceKind::PollStart), [(0, 1)]);
    // The send wakes it: one ready, none waiting.
    assert_eq!(counts("waiter", TraceKind::Ready), [(1, 0)]);
}

#[test]
fn a_trace_becomes_a_perfetto_file_with_spans_marks_and_counters() {
    let mut ev = EventLoop::builder().tracing(true).build().unwrap();
    ev.block_on(async {
        let a = event_loop::spawn_named("a", async { event_loop::yield_now().await });
        let b = event_loop::spawn(async {});
        a.await.unwrap();
        b.await.unwrap();
    });
    let trace = ev.take_trace();
    let json = perfetto_json(&trace);
    let events = json["traceEvents"].as_array().unwrap();
    let count = |ph: &str| events.iter().filter(|e| e["ph"] == ph).count();
    // Three polls in all (a twice, b once), one counter sample per event.
    assert_eq!(count("X"), 3);
    assert_eq!(count("C"), trace.len());
    let track_names: Vec<_> = events
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(track_names, ["a", "task #2"]);
    assert!(events
        .iter()
        .filter(|e| e["ph"] == "X")
        .all(|e| e["dur"].as_f64().unwrap() >= 0.0));

    let path = std::env::temp_dir().join(format!("handspun-perfetto-{}.json", std::process::id()));
    write_perfetto(&path, &trace).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(written, json.to_string());
}

#[test]
fn an_empty_trace_is_an_empty_file() {
    let json = perfetto_json(&[]);
    assert_eq!(json["traceEvents"].as_array().map(Vec::len), Some(0));
}

#[test]
fn writing_to_a_missing_folder_is_an_error() {
    let path = std::env::temp_dir().join("handspun-no-such-folder/x/trace.json");
    assert!(write_perfetto(&path, &[]).is_err());
}
