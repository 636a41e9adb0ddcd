//! `SchedulerFactory`: a scheduler chosen at run time — a name and a way to
//! build a fresh one for each loop — and the built-ins by name.

#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Arc;

use super::fair_share::FairShare;
use super::scheduler::{NewestReady, OldestReady, Priority, Scheduler};

/// The names [`SchedulerFactory::builtin`] knows, in the order docs list
/// them.
pub const BUILTIN_SCHEDULERS: [&str; 4] =
    ["oldest-ready", "newest-ready", "priority", "fair-share"];

/// Builds a fresh scheduler for each loop, under a name: what a
/// configuration carries (it is `Send + Sync` and `Clone`, a scheduler is
/// neither) when a program picks its policy at run time, as
/// `handspun compare --scheduler NAME` does.
///
/// Two factories are equal when their names are.
///
/// # Examples
///
/// ```
/// use handspun::event_loop::{EventLoop, OldestReady, SchedulerFactory};
///
/// let fair = SchedulerFactory::builtin("fair-share").unwrap();
/// let mut ev = EventLoop::builder().scheduler(fair.build()).build().unwrap();
/// assert_eq!(ev.block_on(async { 6 * 7 }), 42);
///
/// // Your own: any closure that builds one.
/// let mine = SchedulerFactory::new("my-fifo", || Box::new(OldestReady::new()));
/// assert_eq!(mine.name(), "my-fifo");
/// assert!(SchedulerFactory::builtin("lottery").is_err());
/// ```
#[derive(Clone)]
pub struct SchedulerFactory {
    name: Arc<str>,
    make: Arc<dyn Fn() -> Box<dyn Scheduler> + Send + Sync>,
}

/// No built-in scheduler has that name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no built-in scheduler called `{name}`; choose from: oldest-ready, newest-ready, priority, fair-share")]
pub struct UnknownScheduler {
    /// The name asked for.
    pub name: String,
}

impl SchedulerFactory {
    /// A factory called `name` that builds with `make`.
    pub fn new(
        name: impl Into<String>,
        make: impl Fn() -> Box<dyn Scheduler> + Send + Sync + 'static,
    ) -> SchedulerFactory {
        SchedulerFactory {
            name: Arc::from(name.into()),
            make: Arc::new(make),
        }
    }

    /// The built-in called `name`: one of [`BUILTIN_SCHEDULERS`].
    ///
    /// # Errors
    ///
    /// [`UnknownScheduler`], whose message lists the names.
    pub fn builtin(name: &str) -> Result<SchedulerFactory, UnknownScheduler> {
        let make: fn() -> Box<dyn Scheduler> = match name {
            "oldest-ready" => || Box::new(OldestReady::new()),
            "newest-ready" => || Box::new(NewestReady::new()),
            "priority" => || Box::new(Priority::new()),
            "fair-share" => || Box::new(FairShare::new()),
            _ => {
                return Err(UnknownScheduler {
                    name: name.to_string(),
                })
            }
        };
        Ok(SchedulerFactory::new(name, make))
    }

    /// The factory's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A fresh scheduler.
    pub fn build(&self) -> Box<dyn Scheduler> {
        (self.make)()
    }
}

impl fmt::Debug for SchedulerFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SchedulerFactory").field(&self.name).finish()
    }
}

impl PartialEq for SchedulerFactory {
    fn eq(&self, other: &SchedulerFactory) -> bool {
        self.name == other.name
    }
}
