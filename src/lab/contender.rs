//! `Contender`: a scheduler entered in the lab — a name, a line about it,
//! and how to build a fresh one for each run.

#![forbid(unsafe_code)]

use std::fmt;
use std::rc::Rc;

use crate::event_loop::{Scheduler, SchedulerFactory, BUILTIN_SCHEDULERS};
use crate::sim::Policy;

/// PCT's bug depth in the lab.
const PCT_DEPTH: u32 = 3;
/// PCT's estimate of a run's length, in pops: where its priority change
/// points may fall.
const PCT_STEPS: u64 = 5_000;

/// A scheduler entered in the lab: a fresh one is built for every run, from
/// the lab's seed (policies that draw no random numbers ignore it).
///
/// # Examples
///
/// Entering your own policy (here simply last-in-first-out under another
/// name):
///
/// ```
/// use handspun::event_loop::NewestReady;
/// use handspun::lab::{Contender, Lab, Scenario};
///
/// let mine = Contender::new("my-lifo", "a stack", |_seed| Box::new(NewestReady::new()));
/// let report = Lab::new().scenarios(&[Scenario::Greedy]).enter(mine).run().unwrap();
/// assert!(report.rows.iter().any(|row| row.scheduler == "my-lifo"));
/// ```
#[derive(Clone)]
pub struct Contender {
    name: String,
    about: String,
    make: Make,
}

/// How a contender's scheduler is built.
#[derive(Clone)]
pub(crate) enum Make {
    /// One of the simulation's seeded policies (random, PCT), which record
    /// their schedule.
    Seeded(fn(u64) -> Policy),
    /// Any scheduler, from a factory given the seed.
    Factory(Rc<dyn Fn(u64) -> Box<dyn Scheduler>>),
}

impl Contender {
    /// A contender called `name`, described by `about`, whose scheduler
    /// `make(seed)` builds.
    pub fn new(
        name: impl Into<String>,
        about: impl Into<String>,
        make: impl Fn(u64) -> Box<dyn Scheduler> + 'static,
    ) -> Contender {
        Contender {
            name: name.into(),
            about: about.into(),
            make: Make::Factory(Rc::new(make)),
        }
    }

    /// The built-ins, in the order the lab shows them: `oldest-ready`,
    /// `newest-ready`, `priority`, `fair-share`, `random`, `pct`.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::lab::Contender;
    ///
    /// let names: Vec<String> = Contender::builtins().iter().map(|c| c.name().to_string()).collect();
    /// assert_eq!(names, ["oldest-ready", "newest-ready", "priority", "fair-share", "random", "pct"]);
    /// ```
    pub fn builtins() -> Vec<Contender> {
        let abouts = [
            "first in, first out (the default)",
            "last in, first out",
            "highest priority first, FIFO among equals",
            "least virtual runtime first (CFS-style)",
        ];
        let mut builtins: Vec<Contender> = BUILTIN_SCHEDULERS
            .into_iter()
            .zip(abouts)
            .map(|(name, about)| {
                let factory = SchedulerFactory::builtin(name).expect("a built-in's own name");
                Contender::new(name, about, move |_seed| factory.build())
            })
            .collect();
        builtins.extend([
            Contender {
                name: "random".to_string(),
                about: "uniformly random among the ready tasks (seeded)".to_string(),
                make: Make::Seeded(|seed| Policy::Random { seed }),
            },
            Contender {
                name: "pct".to_string(),
                about: format!(
                    "PCT: random priorities, {} change points over {PCT_STEPS} pops (seeded)",
                    PCT_DEPTH - 1
                ),
                make: Make::Seeded(|seed| Policy::Pct {
                    seed,
                    depth: PCT_DEPTH,
                    steps: PCT_STEPS,
                }),
            },
        ]);
        builtins
    }

    /// The name the lab shows and the command line selects by.
    ///
    /// # Examples
    ///
    /// ```
    /// use handspun::event_loop::OldestReady;
    /// use handspun::lab::Contender;
    ///
    /// let fifo = Contender::new("fifo", "first in, first out", |_| Box::new(OldestReady::new()));
    /// assert_eq!((fifo.name(), fifo.about()), ("fifo", "first in, first out"));
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the policy does, in a few words.
    pub fn about(&self) -> &str {
        &self.about
    }

    pub(crate) fn make(&self) -> &Make {
        &self.make
    }
}

impl fmt::Debug for Contender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Contender")
            .field("name", &self.name)
            .field("about", &self.about)
            .finish_non_exhaustive()
    }
}
