//! `FairShare`: the task that has had the least thread time runs next, with
//! newcomers and sleepers placed at the queue's floor (CFS's vruntime).

#![forbid(unsafe_code)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Duration;

use super::keyed::Keyed;
use super::scheduler::{ReadyTask, Scheduler, TaskMeta};
use super::task::TaskId;

/// Fair share by *virtual runtime*, as Linux's CFS does: every task carries
/// a virtual runtime — its thread time, shifted by an offset — and the
/// ready task with the smallest runs next (oldest-ready among equals).
///
/// Plain least-busy-first (`examples/custom_scheduler.rs`) has two flaws
/// this policy fixes the way CFS does:
///
/// - a task spawned late has used no thread time, so it would run alone
///   until it caught up with tasks that have been running for a long time;
/// - a task that slept for a long time would do the same when it wakes.
///
/// So the queue keeps a *floor*: the virtual runtime of the last task it
/// handed out (it never decreases). A new task starts at the floor; a task
/// that wakes far below it is lifted to the floor less a small *wake
/// credit* ([`FairShare::WAKE_CREDIT`]), so a task that slept runs soon
/// after it wakes — ahead of tasks that kept computing — but cannot cash
/// in its whole sleep. Lifting grows the task's offset by the difference;
/// from there it competes fairly. CFS does the same with half its
/// scheduling latency as the credit.
///
/// Busy times come from [`TaskMeta::busy`]: build the loop with
/// [`PollClock::Precise`](super::PollClock::Precise) (a simulated loop is
/// exact already), or short polls read as zero and the policy degrades to
/// first-in-first-out.
///
/// Shortcut: the offsets live in a map here, one entry per task ever seen,
/// never removed (a scheduler is not told when a task ends). CFS keeps the
/// virtual runtime inside the task itself, which ends with it.
///
/// # Examples
///
/// A task that already used 5 ms waits behind one that used 1 ms, and a
/// newcomer joins at the floor rather than at zero:
///
/// ```
/// use std::time::Duration;
/// use handspun::event_loop::{FairShare, ReadyTask, Scheduler, TaskId, TaskMeta};
///
/// let ms = Duration::from_millis;
/// let mut fair = FairShare::new();
/// for (id, busy) in [(1, ms(5)), (2, ms(1))] {
///     let meta = TaskMeta { busy, polls: 1, ..TaskMeta::new(TaskId(id)) };
///     fair.push(ReadyTask::for_test(meta.id), meta);
/// }
/// assert_eq!(fair.pop().unwrap().id(), TaskId(2)); // the floor is now 1 ms
/// fair.push(ReadyTask::for_test(TaskId(3)), TaskMeta::new(TaskId(3)));
/// assert_eq!(fair.pop().unwrap().id(), TaskId(3)); // joined at 1 ms, not 0
/// assert_eq!(fair.pop().unwrap().id(), TaskId(1));
/// ```
#[derive(Debug, Default)]
pub struct FairShare {
    /// Popped greatest first: `Reverse` makes it the smallest virtual
    /// runtime, then the earliest arrival.
    heap: BinaryHeap<Keyed<Reverse<(Duration, u64)>>>,
    /// Each task's offset: virtual runtime = offset + busy.
    offsets: HashMap<TaskId, Duration>,
    /// The virtual runtime of the last task popped; never decreases.
    floor: Duration,
    /// Arrival counter: FIFO among equal virtual runtimes.
    arrivals: u64,
}

impl FairShare {
    /// How far below the floor a task that has run before may wake.
    pub const WAKE_CREDIT: Duration = Duration::from_millis(1);

    /// An empty queue with its floor at zero.
    pub fn new() -> FairShare {
        FairShare::default()
    }
}

impl Scheduler for FairShare {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        let offset = self.offsets.entry(meta.id).or_insert(self.floor);
        let lowest = if meta.polls == 0 {
            self.floor
        } else {
            self.floor.saturating_sub(FairShare::WAKE_CREDIT)
        };
        let mut vruntime = *offset + meta.busy;
        if vruntime < lowest {
            *offset += lowest - vruntime;
            vruntime = lowest;
        }
        self.arrivals += 1;
        self.heap
            .push(Keyed::new(Reverse((vruntime, self.arrivals)), task));
    }

    fn pop(&mut self) -> Option<ReadyTask> {
        let keyed = self.heap.pop()?;
        let Reverse((vruntime, _)) = keyed.key;
        self.floor = self.floor.max(vruntime);
        Some(keyed.into_task())
    }

    fn len(&self) -> usize {
        self.heap.len()
    }
}
