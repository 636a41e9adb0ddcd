//! Your own scheduler in the lab: a lottery scheduler, scored beside the
//! built-ins on the standard scenarios, in virtual time.
//!
//! A lottery scheduler (Waldspurger and Weihl, OSDI 1994) gives each ready
//! task tickets and draws one: here a task gets `1 + priority` tickets, so
//! priorities become odds instead of strict order — nothing starves for
//! ever. Entering it in the lab takes one `Contender::new` call; the lab's
//! seed feeds its random draws, so the run is exact and repeatable.
//!
//! Run: `cargo run --example lab_custom`

use handspun::event_loop::{ReadyTask, Scheduler, TaskMeta};
use handspun::lab::{Contender, Lab};

/// Draws the next task with odds proportional to its tickets.
struct Lottery {
    /// Ready tasks with their tickets, in arrival order.
    ready: Vec<(ReadyTask, u64)>,
    /// xorshift64 state (never zero).
    state: u64,
}

impl Lottery {
    fn new(seed: u64) -> Lottery {
        Lottery {
            ready: Vec::new(),
            state: seed | 1,
        }
    }

    /// The next pseudo-random number (Marsaglia's xorshift64).
    fn next(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
}

impl Scheduler for Lottery {
    fn push(&mut self, task: ReadyTask, meta: TaskMeta) {
        let tickets = 1 + u64::try_from(meta.priority.max(0)).unwrap_or(0);
        self.ready.push((task, tickets));
    }

    fn pop(&mut self) -> Option<ReadyTask> {
        let total: u64 = self.ready.iter().map(|(_, tickets)| tickets).sum();
        if total == 0 {
            return None;
        }
        let mut draw = self.next() % total;
        let winner = self
            .ready
            .iter()
            .position(|(_, tickets)| {
                let won = draw < *tickets;
                draw = draw.saturating_sub(*tickets);
                won
            })
            .unwrap_or(0);
        Some(self.ready.remove(winner).0)
    }

    fn len(&self) -> usize {
        self.ready.len()
    }
}

fn main() {
    let lottery = Contender::new("lottery", "odds of 1 + priority (example)", |seed| {
        Box::new(Lottery::new(seed))
    });
    let lab = Lab::new()
        .enter(lottery)
        .select(&["oldest-ready", "priority", "fair-share", "lottery"])
        .expect("every name was entered");
    match lab.seed(1).run() {
        Ok(report) => print!("{}", report.table()),
        Err(error) => {
            eprintln!("lab_custom: {error}");
            std::process::exit(1);
        }
    }
}
