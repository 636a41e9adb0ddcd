//! Deterministic simulation: run async code on a simulated event loop, under
//! seeded schedules, and find the orderings that break it.
//!
//! ## The idea in plain words
//!
//! A real loop's order depends on the machine: when a timer fires, which
//! socket is ready first. A *simulated* loop removes every such source:
//!
//! - **virtual time.** The clock moves only when every task waits: it jumps
//!   straight to the nearest timer. `sleep`, `timeout` and `interval` work
//!   unchanged, and a simulated hour passes at once. [`work`] moves the clock
//!   as if a task computed for a while.
//! - **no real sockets.** Opening one fails with
//!   [`SimError::RealSocket`] (inside the `io::Error`); [`net`]'s in-memory
//!   [`Listener`](net::Listener) and [`Stream`](net::Stream) take their place.
//! - **a seeded scheduler** picks which ready task runs: [`Policy::Random`],
//!   [`Policy::Pct`] (random priorities with a few priority changes), or
//!   [`Policy::Replay`] of a recorded [`Schedule`].
//!
//! So a seed fixes the run: the same task order and a byte-identical trace on
//! any machine. [`check`] runs a test body under many seeds; at the first
//! failure — a panic, or a deadlock (every task waits, no timer is due; the
//! waiting tasks are named) — it prints the failing schedule, and
//! [`replay`] runs exactly that schedule again.
//!
//! ## Where to read next
//!
//! 1. this file — [`run`], [`check`], [`replay`], [`work`];
//! 2. `schedulers.rs` — the seeded policies and the schedule string;
//! 3. `net.rs` — in-memory streams and listeners;
//! 4. `error.rs` — what can go wrong; `rng.rs` — the generator.
//!
//! The loop side of the seam is `event_loop/driver.rs`: a loop is built with
//! either the real driver (epoll, the machine's clock) or the virtual one;
//! the run loop never asks which.
//!
//! ## Example
//!
//! ```
//! use std::time::Duration;
//! use handspun::event_loop;
//! use handspun::sim::{self, Policy};
//!
//! let run = sim::run(&Policy::Random { seed: 1 }, || async {
//!     event_loop::sleep(Duration::from_secs(3600)).await; // instant
//!     sim::elapsed()
//! });
//! assert_eq!(run.outcome, Ok(Duration::from_secs(3600)));
//! ```
//!
//! ## Where this differs from production tools
//!
//! shuttle and loom test *threaded* code and can also explore schedules
//! exhaustively (loom does, with partial-order reduction); this simulation
//! only samples schedules, and only of tasks on one loop. madsim and turmoil
//! also simulate networks; here a simulated loop refuses sockets.

#![forbid(unsafe_code)]

mod error;
pub mod net;
mod rng;
mod schedulers;

pub use self::error::SimError;
pub use self::schedulers::Schedule;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Once;
use std::time::Duration;

use crate::event_loop::{self, EventLoop, Scheduler, Stuck, TooLong, TraceEvent, VirtualClock};

use self::schedulers::{Log, Pct, Random, Replay};

/// Which seeded policy picks the next ready task in a simulated run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Uniformly random among the ready tasks.
    Random {
        /// The seed.
        seed: u64,
    },
    /// PCT (Burckhardt et al., ASPLOS 2010): random priorities, and
    /// `depth - 1` random steps at which the running task drops to the
    /// lowest priority. Finds bugs that need `depth` orderings.
    Pct {
        /// The seed.
        seed: u64,
        /// The bug depth to aim at (1: no priority change).
        depth: u32,
        /// How many pops a run takes, about: where change points may fall.
        steps: u64,
    },
    /// Follows a recorded schedule (then the oldest ready task).
    Replay(Schedule),
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::Random { seed } => write!(f, "random, seed {seed}"),
            Policy::Pct { seed, depth, steps } => {
                write!(f, "PCT, seed {seed}, depth {depth}, steps {steps}")
            }
            Policy::Replay(schedule) => write!(f, "replay of \"{schedule}\""),
        }
    }
}

/// What one simulated run produced.
#[derive(Debug)]
pub struct Run<T> {
    /// The body's output, or why there is none.
    pub outcome: Result<T, SimError>,
    /// The choices the scheduler made: replaying them repeats the run.
    pub schedule: Schedule,
    /// Everything that happened to every task, on virtual time.
    pub trace: Vec<TraceEvent>,
    /// Virtual time at the end of the run.
    pub elapsed: Duration,
}

/// Runs `body()` to completion on a new simulated loop under `policy`.
///
/// Tasks still alive when the body returns are dropped with the loop. A
/// panic in the body (or a deadlock) becomes the [`Run::outcome`]'s error;
/// the panic message is not printed. (So does [`SimError::Start`], if the
/// operating system refuses the `epoll` instance a simulated loop creates
/// but never waits on.)
///
/// # Examples
///
/// ```
/// use handspun::event_loop;
/// use handspun::sim::{self, Policy};
///
/// let body = || async {
///     let a = event_loop::spawn_named("a", async { 1 });
///     let b = event_loop::spawn_named("b", async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// };
/// let first = sim::run(&Policy::Random { seed: 9 }, body);
/// let again = sim::run(&Policy::Random { seed: 9 }, body);
/// assert_eq!(first.outcome, Ok(3));
/// assert_eq!(first.schedule, again.schedule);
/// assert_eq!(
///     event_loop::perfetto_json(&first.trace).to_string(),
///     event_loop::perfetto_json(&again.trace).to_string(),
/// );
/// ```
pub fn run<T, F, Fut>(policy: &Policy, body: F) -> Run<T>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = T>,
{
    let log = Rc::new(RefCell::new(Log::default()));
    let scheduler: Box<dyn Scheduler> = match policy {
        Policy::Random { seed } => Box::new(Random::new(*seed, log.clone())),
        Policy::Pct { seed, depth, steps } => {
            Box::new(Pct::new(*seed, *depth, *steps, log.clone()))
        }
        Policy::Replay(schedule) => Box::new(Replay::new(schedule.clone(), log.clone())),
    };
    run_on(scheduler, log, body)
}

/// Runs `body()` on a new simulated loop under any scheduler — your own, or
/// a built-in such as `OldestReady` — with virtual time, so that a policy's
/// order can be tested exactly: [`work`] gives tasks exact busy times. The
/// run's [`Run::schedule`] stays empty (only the seeded policies record one).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::event_loop::{self, Priority, TaskOptions};
/// use handspun::sim;
///
/// let run = sim::run_with(Priority::new(), || async {
///     let low = event_loop::spawn_with(TaskOptions::new().priority(1), async {
///         sim::work(Duration::from_millis(2));
///         sim::elapsed()
///     });
///     let high = event_loop::spawn_with(TaskOptions::new().priority(9), async {
///         sim::work(Duration::from_millis(3));
///         sim::elapsed()
///     });
///     (high.await.unwrap(), low.await.unwrap())
/// });
/// // High ran first: it finished at 3 ms, low at 3 + 2 ms.
/// let ms = Duration::from_millis;
/// assert_eq!(run.outcome, Ok((ms(3), ms(5))));
/// ```
pub fn run_with<T, F, Fut>(scheduler: impl Scheduler + 'static, body: F) -> Run<T>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = T>,
{
    run_on(Box::new(scheduler), Rc::default(), body)
}

/// Runs `body()` on a simulated loop with `scheduler`, whose choices (if it
/// records any) go to `log`.
fn run_on<T, F, Fut>(scheduler: Box<dyn Scheduler>, log: Rc<RefCell<Log>>, body: F) -> Run<T>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = T>,
{
    net::reset();
    let clock = Rc::new(VirtualClock::new());
    let built = EventLoop::builder()
        .boxed_scheduler(scheduler)
        .tracing(true)
        .slow_poll_threshold(Duration::MAX)
        .virtual_clock(clock.clone())
        .build();
    let mut ev = match built {
        Ok(ev) => ev,
        Err(error) => {
            return Run {
                outcome: Err(SimError::Start {
                    message: error.to_string(),
                }),
                schedule: Schedule::default(),
                trace: Vec::new(),
                elapsed: Duration::ZERO,
            }
        }
    };
    let outcome = quietly(|| catch_unwind(AssertUnwindSafe(|| ev.block_on(body()))));
    let trace = ev.take_trace();
    drop(ev);
    let log = std::mem::take(&mut *log.borrow_mut());
    let outcome = match (outcome, log.diverged_at) {
        (_, Some(at)) => Err(SimError::ScheduleDiverged { at }),
        (Ok(output), None) => Ok(output),
        (Err(payload), None) => Err(match payload.downcast::<Stuck>() {
            Ok(stuck) => SimError::Deadlock {
                waiting: stuck.waiting,
            },
            Err(payload) => match payload.downcast::<TooLong>() {
                Ok(too_long) => SimError::TooLong {
                    turns: too_long.turns,
                },
                Err(payload) => SimError::Panicked {
                    message: panic_message(payload.as_ref()),
                },
            },
        }),
    };
    Run {
        outcome,
        schedule: log.schedule,
        trace,
        elapsed: clock.elapsed(),
    }
}

/// How many schedules [`check`] tries, and how.
///
/// # Examples
///
/// ```
/// use handspun::sim::Check;
///
/// let quick = Check { schedules: 100, seed: 42, ..Check::default() };
/// assert_eq!(quick.pct_depth, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Schedules to try; they alternate random and PCT.
    pub schedules: u32,
    /// The first seed; schedule `i` uses `seed + i`.
    pub seed: u64,
    /// PCT's bug depth.
    pub pct_depth: u32,
    /// PCT's estimate of a run's length, in pops.
    pub pct_steps: u64,
}

impl Default for Check {
    fn default() -> Check {
        Check {
            schedules: 1000,
            seed: 0,
            pct_depth: 3,
            pct_steps: 100,
        }
    }
}

/// The first failing schedule [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// How many schedules ran, the failing one included.
    pub schedules: u32,
    /// The policy (and seed) of the failing run.
    pub policy: Policy,
    /// Its schedule: [`replay`] it to run it again.
    pub schedule: Schedule,
    /// What went wrong.
    pub error: SimError,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "found after {} schedules ({}): {}\nreplay: sim::replay(\"{}\", body)",
            self.schedules, self.policy, self.error, self.schedule
        )
    }
}

/// Runs `body` under many schedules (alternately random and PCT, seeds
/// from `config.seed`) and stops at the first that fails: a panic or a
/// deadlock. Prints the failure with its seed and schedule string to
/// stderr, and returns it; returns how many schedules passed otherwise.
///
/// # Errors
///
/// The first failing schedule, as [`Found`].
///
/// # Examples
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use handspun::event_loop;
/// use handspun::sim::{self, Check};
///
/// // Two tasks read a counter, yield, and write it back plus one.
/// async fn body() {
///     let counter = Rc::new(Cell::new(0));
///     let tasks: Vec<_> = (0..2).map(|_| {
///         let counter = counter.clone();
///         event_loop::spawn(async move {
///             let seen = counter.get();
///             event_loop::yield_now().await;
///             counter.set(seen + 1);
///         })
///     }).collect();
///     for task in tasks {
///         task.await.unwrap();
///     }
///     assert_eq!(counter.get(), 2, "an update was lost");
/// }
/// let found = sim::check(&Check::default(), body).unwrap_err();
/// assert!(matches!(found.error, sim::SimError::Panicked { .. }));
/// let again = sim::replay(&found.schedule.to_string(), body).unwrap();
/// assert_eq!(again.outcome, Err(found.error));
/// ```
pub fn check<F, Fut>(config: &Check, body: F) -> Result<u32, Found>
where
    F: Fn() -> Fut,
    Fut: Future<Output = ()>,
{
    for i in 0..config.schedules {
        let seed = config.seed.wrapping_add(u64::from(i));
        let policy = if i % 2 == 0 {
            Policy::Random { seed }
        } else {
            Policy::Pct {
                seed,
                depth: config.pct_depth,
                steps: config.pct_steps,
            }
        };
        let run = run(&policy, &body);
        if let Err(error) = run.outcome {
            let found = Found {
                schedules: i + 1,
                policy,
                schedule: run.schedule,
                error,
            };
            eprintln!("{found}");
            return Err(found);
        }
    }
    Ok(config.schedules)
}

/// Runs `body` again under a recorded schedule string (from [`Found`] or
/// [`Run::schedule`]).
///
/// # Errors
///
/// [`SimError::BadSchedule`] if `schedule` cannot be read; otherwise the run
/// itself, whose outcome says how it ended — including
/// [`SimError::ScheduleDiverged`] if the body does not fit the schedule.
///
/// # Examples
///
/// ```
/// use handspun::event_loop;
/// use handspun::sim::{self, Policy};
///
/// let body = || async {
///     let a = event_loop::spawn(async { event_loop::yield_now().await; 'a' });
///     let b = event_loop::spawn(async { 'b' });
///     (a.await.unwrap(), b.await.unwrap())
/// };
/// let first = sim::run(&Policy::Random { seed: 3 }, body);
/// let again = sim::replay(&first.schedule.to_string(), body).unwrap();
/// assert_eq!(again.outcome, first.outcome);
/// assert_eq!(again.schedule, first.schedule);
/// assert_eq!(
///     event_loop::perfetto_json(&again.trace).to_string(),
///     event_loop::perfetto_json(&first.trace).to_string(),
/// );
/// ```
pub fn replay<T, F, Fut>(schedule: &str, body: F) -> Result<Run<T>, SimError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = T>,
{
    let schedule: Schedule = schedule.parse()?;
    Ok(run(&Policy::Replay(schedule), body))
}

/// Moves the simulated clock forward by `span`, as if the calling task
/// computed that long without yielding (it is counted as the task's busy
/// time).
///
/// # Panics
///
/// Outside a simulated loop: on a real loop, time is the machine's.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use handspun::sim::{self, Policy};
///
/// let run = sim::run(&Policy::Random { seed: 0 }, || async {
///     sim::work(Duration::from_millis(5));
///     sim::elapsed()
/// });
/// assert_eq!(run.outcome, Ok(Duration::from_millis(5)));
/// ```
pub fn work(span: Duration) {
    with_clock("sim::work", |clock| clock.advance_by(span));
}

/// Virtual time since the simulated run began.
///
/// # Panics
///
/// Outside a simulated loop.
pub fn elapsed() -> Duration {
    with_clock("sim::elapsed", VirtualClock::elapsed)
}

fn with_clock<R>(what: &str, f: impl FnOnce(&VirtualClock) -> R) -> R {
    event_loop::with_virtual_clock(f).unwrap_or_else(|| {
        panic!("{what} must be called inside a simulated run (sim::run, sim::check)")
    })
}

thread_local! {
    /// True while this thread runs a simulation: its panics are caught and
    /// reported, so the panic hook stays silent.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with this thread's panic messages silenced (other threads'
/// still print).
fn quietly<R>(f: impl FnOnce() -> R) -> R {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                previous(info);
            }
        }));
    });
    let was = QUIET.replace(true);
    let result = f();
    QUIET.set(was);
    result
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}
