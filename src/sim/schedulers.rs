//! The seeded schedulers: random, PCT, and replay of a recorded schedule.
//!
//! All three keep the ready tasks in one list, in the order they became
//! ready, and pop by *index* into that list. The index chosen at each pop
//! that had a real choice (two or more tasks ready) is recorded; the dotted
//! list of those indexes is the *schedule string*. Because a simulated run
//! has no other source of nondeterminism (virtual time, no sockets, no
//! threads), following the same indexes reproduces the run exactly, whatever
//! policy first chose them — that is what [`Replay`] does.

#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::event_loop::{ReadyTask, Scheduler, TaskId, TaskMeta};

use super::error::SimError;
use super::rng::SplitMix64;

/// The choices of one run: the index picked at each pop that had a choice.
/// Written and read as dotted numbers.
///
/// # Examples
///
/// ```
/// use handspun::sim::Schedule;
///
/// let schedule: Schedule = "2.0.1".parse().unwrap();
/// assert_eq!(schedule.0, [2, 0, 1]);
/// assert_eq!(schedule.to_string(), "2.0.1");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule(pub Vec<u32>);

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, choice) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{choice}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Schedule {
    type Err = SimError;

    /// Reads `"2.0.1"` (the empty string is the empty schedule).
    fn from_str(text: &str) -> Result<Schedule, SimError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Schedule::default());
        }
        text.split('.')
            .map(|part| part.parse::<u32>())
            .collect::<Result<Vec<_>, _>>()
            .map(Schedule)
            .map_err(|_| SimError::BadSchedule {
                text: text.to_string(),
            })
    }
}

/// What a run's scheduler shares with the simulation that reads it after.
#[derive(Debug, Default)]
pub(crate) struct Log {
    /// The choices made so far.
    pub(crate) schedule: Schedule,
    /// The first choice a replay could not follow, if any.
    pub(crate) diverged_at: Option<usize>,
}

/// The ready tasks, in the order they became ready.
#[derive(Debug, Default)]
struct ReadyList {
    tasks: Vec<(ReadyTask, TaskId)>,
    log: Rc<RefCell<Log>>,
}

impl ReadyList {
    fn push(&mut self, task: ReadyTask, id: TaskId) {
        self.tasks.push((task, id));
    }

    /// Removes the task at `index` (which `choose` picks among `len >= 2`
    /// tasks), recording the choice.
    fn pop_with(
        &mut self,
        choose: impl FnOnce(&[(ReadyTask, TaskId)]) -> usize,
    ) -> Option<ReadyTask> {
        match self.tasks.len() {
            0 => None,
            1 => Some(self.tasks.remove(0).0),
            _ => {
                let index = choose(&self.tasks).min(self.tasks.len() - 1);
                self.log.borrow_mut().schedule.0.push(index as u32);
                Some(self.tasks.remove(index).0)
            }
        }
    }
}

/// Picks a ready task uniformly at random.
#[derive(Debug)]
pub(crate) struct Random {
    ready: ReadyList,
    rng: SplitMix64,
}

impl Random {
    pub(crate) fn new(seed: u64, log: Rc<RefCell<Log>>) -> Random {
        Random {
            ready: ReadyList {
                tasks: Vec::new(),
                log,
            },
            rng: SplitMix64::new(seed),
        }
    }
}

impl Scheduler for Random {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        self.ready.push(task, meta.id);
    }

    fn pop(&mut self) -> Option<ReadyTask> {
        let rng = &mut self.rng;
        self.ready.pop_with(|tasks| rng.below(tasks.len()))
    }

    fn len(&self) -> usize {
        self.ready.tasks.len()
    }
}

/// PCT, "probabilistic concurrency testing" (Burckhardt, Kothari, Musuvathi
/// and Nagarakatte, ASPLOS 2010): every task gets a random priority when it
/// first becomes ready, the highest-priority ready task always runs, and at
/// `depth - 1` steps chosen at random the task that runs drops below every
/// other. A bug that needs `d` ordering constraints is found with
/// probability at least `1 / (n * k^(d-1))` per run (`n` tasks, `k` steps),
/// far better than a uniformly random walk for shallow bugs in long runs.
#[derive(Debug)]
pub(crate) struct Pct {
    ready: ReadyList,
    rng: SplitMix64,
    /// Each task's current priority (higher runs first).
    priorities: HashMap<TaskId, u64>,
    /// The steps at which the running task's priority drops, with the low
    /// priority it drops to (`depth - 1`, `depth - 2`, ...: all below the
    /// initial ones, which start at `depth`).
    change_points: Vec<(u64, u64)>,
    /// Pops so far.
    step: u64,
    depth: u64,
}

impl Pct {
    /// PCT with bug depth `depth` (at least 1) over runs of about `steps`
    /// pops.
    pub(crate) fn new(seed: u64, depth: u32, steps: u64, log: Rc<RefCell<Log>>) -> Pct {
        let mut rng = SplitMix64::new(seed);
        let depth = u64::from(depth.max(1));
        let change_points = (1..depth)
            .map(|j| (1 + rng.next_u64() % steps.max(1), depth - j))
            .collect();
        Pct {
            ready: ReadyList {
                tasks: Vec::new(),
                log,
            },
            rng,
            priorities: HashMap::new(),
            change_points,
            step: 0,
            depth,
        }
    }
}

impl Scheduler for Pct {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        let depth = self.depth;
        let rng = &mut self.rng;
        self.priorities
            .entry(meta.id)
            .or_insert_with(|| depth + (rng.next_u64() >> 2));
        self.ready.push(task, meta.id);
    }

    fn pop(&mut self) -> Option<ReadyTask> {
        self.step += 1;
        let priorities = &self.priorities;
        let mut chosen = None;
        let task = self.ready.pop_with(|tasks| {
            let index = (0..tasks.len())
                .max_by_key(|&i| (priorities.get(&tasks[i].1).copied(), std::cmp::Reverse(i)))
                .unwrap_or(0);
            chosen = Some(tasks[index].1);
            index
        })?;
        let id = chosen.unwrap_or_else(|| task.id());
        if let Some(&(_, low)) = self.change_points.iter().find(|(at, _)| *at == self.step) {
            self.priorities.insert(id, low);
        }
        Some(task)
    }

    fn len(&self) -> usize {
        self.ready.tasks.len()
    }
}

/// Follows a recorded schedule; after its end, the oldest ready task.
#[derive(Debug)]
pub(crate) struct Replay {
    ready: ReadyList,
    script: Vec<u32>,
    next: usize,
}

impl Replay {
    pub(crate) fn new(schedule: Schedule, log: Rc<RefCell<Log>>) -> Replay {
        Replay {
            ready: ReadyList {
                tasks: Vec::new(),
                log,
            },
            script: schedule.0,
            next: 0,
        }
    }
}

impl Scheduler for Replay {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        self.ready.push(task, meta.id);
    }

    fn pop(&mut self) -> Option<ReadyTask> {
        let script = &self.script;
        let next = &mut self.next;
        let log = self.ready.log.clone();
        self.ready.pop_with(|tasks| {
            let at = *next;
            *next += 1;
            match script.get(at) {
                Some(&index) if (index as usize) < tasks.len() => index as usize,
                Some(_) => {
                    let mut log = log.borrow_mut();
                    log.diverged_at.get_or_insert(at);
                    0
                }
                None => 0,
            }
        })
    }

    fn len(&self) -> usize {
        self.ready.tasks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(scheduler: &mut dyn Scheduler) -> Vec<u64> {
        std::iter::from_fn(|| scheduler.pop())
            .map(|t| t.id().0)
            .collect()
    }

    fn fill(scheduler: &mut dyn Scheduler, n: u64) {
        for id in 1..=n {
            let meta = TaskMeta::new(TaskId(id));
            scheduler.push(ReadyTask::for_test(meta.id), meta);
        }
    }

    #[test]
    fn schedule_strings_round_trip() {
        let schedule: Schedule = "2.0.11".parse().unwrap();
        assert_eq!(schedule.0, [2, 0, 11]);
        assert_eq!(schedule.to_string(), "2.0.11");
        assert_eq!("".parse::<Schedule>().unwrap(), Schedule::default());
        assert!(matches!(
            "1.x".parse::<Schedule>(),
            Err(SimError::BadSchedule { .. })
        ));
    }

    #[test]
    fn random_records_only_real_choices_and_replay_follows_them() {
        let log = Rc::new(RefCell::new(Log::default()));
        let mut random = Random::new(42, log.clone());
        fill(&mut random, 4);
        let order = ids(&mut random);
        let schedule = log.borrow().schedule.clone();
        assert_eq!(schedule.0.len(), 3, "the last pop had no choice");

        let replay_log = Rc::new(RefCell::new(Log::default()));
        let mut replay = Replay::new(schedule.clone(), replay_log.clone());
        fill(&mut replay, 4);
        assert_eq!(ids(&mut replay), order);
        assert_eq!(replay_log.borrow().schedule, schedule);
        assert_eq!(replay_log.borrow().diverged_at, None);
    }

    #[test]
    fn replay_flags_a_choice_that_does_not_fit() {
        let log = Rc::new(RefCell::new(Log::default()));
        let mut replay = Replay::new(Schedule(vec![0, 7]), log.clone());
        fill(&mut replay, 3);
        assert_eq!(ids(&mut replay), [1, 2, 3]);
        assert_eq!(log.borrow().diverged_at, Some(1));
    }

    #[test]
    fn pct_runs_the_highest_priority_and_drops_it_at_a_change_point() {
        let log = Rc::new(RefCell::new(Log::default()));
        // Depth 2 over 1 step: the first pop is the change point.
        let mut pct = Pct::new(5, 2, 1, log);
        fill(&mut pct, 3);
        let first = pct.pop().unwrap();
        let dropped = *pct.priorities.get(&first.id()).unwrap();
        assert_eq!(dropped, 1, "below every initial priority (>= 2)");
        assert!(pct
            .priorities
            .iter()
            .filter(|(id, _)| **id != first.id())
            .all(|(_, &p)| p >= 2));
    }
}
