//! The scheduler lab: standard scenarios, run on the simulated loop under
//! each scheduler, scored with exact figures.
//!
//! ## The idea in plain words
//!
//! Timing a scheduling policy on a real machine measures the machine as
//! much as the policy: on a shared two-core virtual machine, runs move by
//! tens of percent. The lab measures on the simulated loop ([`crate::sim`])
//! instead. A scenario's tasks compute with [`sim::work`],
//! which moves the virtual clock as if they had computed, and wait on
//! timers, channels and joins; nothing else takes time. So each figure —
//! makespan, polls, ready-wait, fairness, starvation — depends on the
//! scheduler's choices alone, is exact to the nanosecond, and is the same
//! on every machine: two runs print the same bytes.
//!
//! ## Where to read next
//!
//! 1. this file — [`Lab`]: which schedulers, which scenarios, which seed;
//!    [`Lab::run`] gives a [`LabReport`];
//! 2. `scenarios.rs` — [`Scenario`]: the six standard situations;
//! 3. `contender.rs` — [`Contender`]: a scheduler entered in the lab, the
//!    built-ins, and how to enter your own;
//! 4. `metrics.rs` — [`Figures`]: what is measured, and how, from the trace;
//! 5. `report.rs` — the table, the JSON and the SVG chart.
//!
//! The built-ins' results, and what each scenario teaches, are in
//! `docs/lab.md`.
//!
//! ## Example
//!
//! ```
//! use handspun::lab::{Lab, Scenario};
//!
//! let lab = Lab::new().scenarios(&[Scenario::Greedy]).select(&["oldest-ready", "newest-ready"]).unwrap();
//! let report = lab.run().unwrap();
//! let fifo = report.figures("oldest-ready", Scenario::Greedy).unwrap();
//! let lifo = report.figures("newest-ready", Scenario::Greedy).unwrap();
//! // Last-in-first-out lets the greedy task keep the thread.
//! assert!(lifo.max_ready_wait > fifo.max_ready_wait);
//! assert_eq!(report.table(), lab.run().unwrap().table()); // exact, every time
//! ```

#![forbid(unsafe_code)]

mod contender;
mod metrics;
mod report;
mod scenarios;

pub use self::contender::Contender;
pub use self::metrics::{jain_index, Figures};
pub use self::report::{LabReport, Row};
pub use self::scenarios::{Program, Scenario};

use crate::sim::{self, SimError};

use self::contender::Make;

/// What can go wrong in the lab.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabError {
    /// No scheduler by that name was entered.
    #[error("no scheduler called `{name}`; choose from: {known}")]
    UnknownScheduler {
        /// The name asked for.
        name: String,
        /// The names there are, comma-separated.
        known: String,
    },
    /// No scenario by that name.
    #[error("no scenario called `{name}`; choose from: {known}")]
    UnknownScenario {
        /// The name asked for.
        name: String,
        /// The names there are, comma-separated.
        known: String,
    },
    /// A scenario did not finish under a scheduler (a scheduler that loses
    /// tasks deadlocks it, one that never stops yielding runs too long).
    #[error("{scenario} under {scheduler} did not finish: {error}")]
    Failed {
        /// The scheduler's name.
        scheduler: String,
        /// The scenario.
        scenario: Scenario,
        /// What the simulation reported.
        error: SimError,
    },
}

/// Which schedulers run which scenarios, with which seed.
///
/// # Examples
///
/// ```
/// use handspun::lab::{Lab, Scenario};
///
/// let lab = Lab::new();
/// assert_eq!(lab.contenders().len(), 6);
/// assert_eq!(lab.scenario_list(), Scenario::ALL);
/// assert!(Lab::new().select(&["lottery"]).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct Lab {
    contenders: Vec<Contender>,
    scenarios: Vec<Scenario>,
    seed: u64,
}

impl Default for Lab {
    fn default() -> Lab {
        Lab::new()
    }
}

impl Lab {
    /// Every built-in scheduler on every scenario, seed 0.
    pub fn new() -> Lab {
        Lab {
            contenders: Contender::builtins(),
            scenarios: Scenario::ALL.to_vec(),
            seed: 0,
        }
    }

    /// Enters one more scheduler (after those already entered).
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::event_loop::FairShare;
    /// use handspun::lab::{Contender, Lab};
    ///
    /// let again = Contender::new("fair-again", "a second FairShare", |_| Box::new(FairShare::new()));
    /// let lab = Lab::new().enter(again);
    /// assert_eq!(lab.scheduler_names().last().map(String::as_str), Some("fair-again"));
    /// ```
    pub fn enter(mut self, contender: Contender) -> Lab {
        self.contenders.push(contender);
        self
    }

    /// Keeps only the schedulers called `names`, in that order.
    ///
    /// # Errors
    ///
    /// [`LabError::UnknownScheduler`], listing the names there are.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::lab::Lab;
    ///
    /// let lab = Lab::new().select(&["pct", "priority"]).unwrap();
    /// assert_eq!(lab.scheduler_names(), ["pct", "priority"]);
    /// ```
    pub fn select<S: AsRef<str>>(mut self, names: &[S]) -> Result<Lab, LabError> {
        let mut chosen = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_ref();
            match self.contenders.iter().find(|c| c.name() == name) {
                Some(contender) => chosen.push(contender.clone()),
                None => {
                    return Err(LabError::UnknownScheduler {
                        name: name.to_string(),
                        known: self.scheduler_names().join(", "),
                    })
                }
            }
        }
        self.contenders = chosen;
        Ok(self)
    }

    /// Runs only these scenarios, in this order.
    pub fn scenarios(mut self, scenarios: &[Scenario]) -> Lab {
        self.scenarios = scenarios.to_vec();
        self
    }

    /// The seed of the seeded policies (random, PCT, and any of your own
    /// that reads it).
    pub fn seed(mut self, seed: u64) -> Lab {
        self.seed = seed;
        self
    }

    /// The schedulers entered, in order.
    pub fn contenders(&self) -> &[Contender] {
        &self.contenders
    }

    /// The scenarios to run, in order.
    pub fn scenario_list(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// The names of the schedulers entered.
    pub fn scheduler_names(&self) -> Vec<String> {
        self.contenders
            .iter()
            .map(|c| c.name().to_string())
            .collect()
    }

    /// Runs every scenario under every scheduler: a fresh simulated loop
    /// and a fresh scheduler for each pair.
    ///
    /// # Errors
    ///
    /// [`LabError::Failed`] for the first pair that did not finish.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::lab::{Lab, Scenario};
    ///
    /// let report = Lab::new().scenarios(&[Scenario::PriorityInversion]).run().unwrap();
    /// let strict = report.figures("priority", Scenario::PriorityInversion).unwrap();
    /// let fifo = report.figures("oldest-ready", Scenario::PriorityInversion).unwrap();
    /// // Strict priority starves the lock's low-priority holder.
    /// assert!(strict.max_ready_wait > fifo.max_ready_wait);
    /// ```
    pub fn run(&self) -> Result<LabReport, LabError> {
        let mut rows = Vec::new();
        for &scenario in &self.scenarios {
            for contender in &self.contenders {
                let run = match contender.make() {
                    Make::Seeded(policy) => sim::run(&policy(self.seed), || scenario.program()),
                    Make::Factory(make) => sim::run_with(make(self.seed), || scenario.program()),
                };
                if let Err(error) = run.outcome {
                    return Err(LabError::Failed {
                        scheduler: contender.name().to_string(),
                        scenario,
                        error,
                    });
                }
                rows.push(Row {
                    scheduler: contender.name().to_string(),
                    scenario,
                    figures: Figures::measure(&run.trace, run.elapsed),
                });
            }
        }
        Ok(LabReport {
            seed: self.seed,
            schedulers: self
                .contenders
                .iter()
                .map(|c| (c.name().to_string(), c.about().to_string()))
                .collect(),
            scenarios: self.scenarios.clone(),
            rows,
        })
    }
}

/// The names of every scenario, comma-separated (for error messages).
pub fn scenario_names() -> String {
    Scenario::ALL.map(Scenario::name).join(", ")
}

/// The scenario called `name`.
///
/// # Errors
///
/// [`LabError::UnknownScenario`], listing the names there are.
///
/// # Examples
///
/// ```
/// use handspun::lab::{self, Scenario};
///
/// assert_eq!(lab::scenario("timers"), Ok(Scenario::Timers));
/// assert!(lab::scenario("nope").unwrap_err().to_string().contains("io-burst"));
/// ```
pub fn scenario(name: &str) -> Result<Scenario, LabError> {
    Scenario::from_name(name).ok_or_else(|| LabError::UnknownScenario {
        name: name.to_string(),
        known: scenario_names(),
    })
}
