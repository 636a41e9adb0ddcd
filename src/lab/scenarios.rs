//! The lab's standard scenarios: small programs whose work is virtual time
//! (`sim::work`), each built to show one thing a scheduling policy decides.

#![forbid(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::event_loop::{self, channel::oneshot, JoinHandle, TaskOptions};
use crate::sim;

/// One standard situation to judge a scheduler on.
///
/// Each runs to completion on a simulated loop; its tasks compute with
/// [`sim::work`] and wait with `sleep`, channels and joins, so the figures
/// depend on the scheduler's choices alone.
///
/// # Examples
///
/// ```
/// use handspun::lab::Scenario;
///
/// let names: Vec<&str> = Scenario::ALL.iter().map(|s| s.name()).collect();
/// assert_eq!(names, ["mixed", "fan-out", "greedy", "priority-inversion", "io-burst", "timers"]);
/// assert_eq!(Scenario::from_name("greedy"), Some(Scenario::Greedy));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scenario {
    /// A few long-slice tasks beside many short, latency-sensitive ones
    /// that sleep and then compute briefly.
    Mixed,
    /// One spawner starts many children in batches, then joins them all.
    FanOut,
    /// One task computes in long slices and yields after each, beside
    /// polite tasks of short slices: does the greedy one hold the thread?
    Greedy,
    /// A low-priority task holds a lock a high-priority one needs, while
    /// medium-priority tasks compute.
    PriorityInversion,
    /// Thousands of tasks are woken at once (one event frees them all),
    /// beside a ticker that wants its turn every millisecond.
    IoBurst,
    /// Many tasks sleep to spread deadlines and compute when they wake, so
    /// deadlines fall while others compute.
    Timers,
}

/// A scenario's program, ready to hand to a simulated loop.
pub type Program = Pin<Box<dyn Future<Output = ()>>>;

impl Scenario {
    /// Every scenario, in the order the lab runs them.
    pub const ALL: [Scenario; 6] = [
        Scenario::Mixed,
        Scenario::FanOut,
        Scenario::Greedy,
        Scenario::PriorityInversion,
        Scenario::IoBurst,
        Scenario::Timers,
    ];

    /// The name the command line uses.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Mixed => "mixed",
            Scenario::FanOut => "fan-out",
            Scenario::Greedy => "greedy",
            Scenario::PriorityInversion => "priority-inversion",
            Scenario::IoBurst => "io-burst",
            Scenario::Timers => "timers",
        }
    }

    /// The scenario called `name`, if any.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What the scenario is, in one line.
    pub fn about(self) -> &'static str {
        match self {
            Scenario::Mixed => "3 tasks of 20 slices of 2 ms; 30 tasks that sleep 1 ms then compute 50 µs, 10 times",
            Scenario::FanOut => "a spawner starts 100 children (2 slices of 200 µs) in batches of 10, then joins them",
            Scenario::Greedy => "10 polite tasks of 10 slices of 100 µs, then one greedy task of 100 slices of 500 µs; all yield after each slice",
            Scenario::PriorityInversion => "low (priority 1) holds a lock for 10 slices of 500 µs; high (10) waits for it; 3 medium (5) compute 20 slices of 500 µs",
            Scenario::IoBurst => "2000 tasks freed by one event at 1 ms, each computing 2 slices of 20 µs; a ticker computing 10 µs every 1 ms",
            Scenario::Timers => "300 tasks sleep to deadlines spread over 100 ms and compute 300 µs, 3 times",
        }
    }

    /// The program, as a future for `sim::run` or `sim::run_with`.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::event_loop::OldestReady;
    /// use handspun::lab::Scenario;
    /// use handspun::sim;
    ///
    /// let run = sim::run_with(OldestReady::new(), || Scenario::FanOut.program());
    /// assert!(run.outcome.is_ok());
    /// ```
    pub fn program(self) -> Program {
        match self {
            Scenario::Mixed => Box::pin(mixed()),
            Scenario::FanOut => Box::pin(fan_out()),
            Scenario::Greedy => Box::pin(greedy()),
            Scenario::PriorityInversion => Box::pin(priority_inversion()),
            Scenario::IoBurst => Box::pin(io_burst()),
            Scenario::Timers => Box::pin(timers()),
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn us(micros: u64) -> Duration {
    Duration::from_micros(micros)
}

/// Spawns a task with a name and a priority.
fn start<F>(name: String, priority: i32, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    event_loop::spawn_with(TaskOptions::new().name(name).priority(priority), future)
}

/// Waits for every task; a task's panic becomes the run's.
async fn join_all(handles: Vec<JoinHandle<()>>) {
    for handle in handles {
        handle.await.expect("a lab task failed");
    }
}

/// Computes `slices` slices of `slice`, yielding after each.
async fn slices(slices: u32, slice: Duration) {
    for _ in 0..slices {
        sim::work(slice);
        event_loop::yield_now().await;
    }
}

/// Sleeps `nap` then computes `step`, `rounds` times.
async fn nap_and_step(rounds: u32, nap: Duration, step: Duration) {
    for _ in 0..rounds {
        event_loop::sleep(nap).await;
        sim::work(step);
    }
}

async fn mixed() {
    let mut handles = Vec::new();
    for i in 0..3 {
        handles.push(start(format!("long-{i}"), 0, slices(20, us(2_000))));
    }
    for i in 0..30 {
        handles.push(start(
            format!("short-{i}"),
            1,
            nap_and_step(10, us(1_000), us(50)),
        ));
    }
    join_all(handles).await;
}

async fn fan_out() {
    let spawner = start("spawner".to_string(), 1, async {
        let mut children = Vec::new();
        for i in 0..100 {
            children.push(start(format!("child-{i}"), 0, slices(2, us(200))));
            if i % 10 == 9 {
                sim::work(us(50));
                event_loop::yield_now().await;
            }
        }
        join_all(children).await;
    });
    join_all(vec![spawner]).await;
}

async fn greedy() {
    let mut handles = Vec::new();
    for i in 0..10 {
        handles.push(start(format!("polite-{i}"), 1, slices(10, us(100))));
    }
    // Spawned last: the newest task when the run begins.
    handles.push(start("greedy".to_string(), 0, slices(100, us(500))));
    join_all(handles).await;
}

async fn priority_inversion() {
    // The lock, as a message: `low` holds it from the start and hands it
    // over when done; `high` waits for it.
    let (release, acquire) = oneshot::channel::<()>();
    let low = start("low".to_string(), 1, async move {
        slices(10, us(500)).await;
        // `high` may have gone; the lock is free either way.
        let _ = release.send(());
    });
    let high = start("high".to_string(), 10, async move {
        acquire.await.expect("low releases the lock");
        sim::work(us(500));
    });
    let mut handles = vec![low, high];
    for i in 0..3 {
        handles.push(start(format!("medium-{i}"), 5, slices(20, us(500))));
    }
    join_all(handles).await;
}

async fn io_burst() {
    let mut senders = Vec::new();
    let mut handles = Vec::new();
    for i in 0..2_000 {
        let (event, arrival) = oneshot::channel::<()>();
        senders.push(event);
        handles.push(start(format!("conn-{i}"), 0, async move {
            arrival.await.expect("the event arrives");
            slices(2, us(20)).await;
        }));
    }
    handles.push(start("ticker".to_string(), 1, async {
        for _ in 0..20 {
            event_loop::sleep(us(1_000)).await;
            sim::work(us(10));
        }
    }));
    handles.push(start("event".to_string(), 0, async move {
        event_loop::sleep(us(1_000)).await;
        for event in senders {
            // A connection that is gone would not mind.
            let _ = event.send(());
        }
    }));
    join_all(handles).await;
}

async fn timers() {
    let mut handles = Vec::new();
    for i in 0..300u64 {
        let nap = us(1_000 + (i * 37 % 100) * 1_000);
        handles.push(start(
            format!("sleeper-{i}"),
            0,
            nap_and_step(3, nap, us(300)),
        ));
    }
    join_all(handles).await;
}
