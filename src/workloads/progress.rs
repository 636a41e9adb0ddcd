//! How a long run tells the outside world that it moves on.
//!
//! The library knows nothing about terminals: a runner calls
//! [`Progress::advance`] from whichever thread finished a job, and the command
//! line turns that into a progress bar (or nothing, when output is not a
//! terminal).

#![forbid(unsafe_code)]

/// Receives progress from a run. Called from worker threads too, hence
/// `Send + Sync`; calls must be cheap and must not block.
pub trait Progress: Send + Sync {
    /// A phase begins: `label` (e.g. `io / threads`) with `total` jobs.
    fn start(&self, label: &str, total: u64);
    /// `done` more jobs of the current phase finished.
    fn advance(&self, done: u64);
    /// The current phase is over.
    fn finish(&self);
}

/// Progress that goes nowhere.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _label: &str, _total: u64) {}
    fn advance(&self, _done: u64) {}
    fn finish(&self) {}
}
