//! `JobError`: the two ways a job can end without a result.

/// Why a job's [`Handle`](super::Handle) has no value to give back.
///
/// A job either returns a value, panics, or never starts. The first is
/// `Ok(value)`; the other two are these variants. Neither is fatal to the
/// pool: a worker that ran a panicking job goes on to the next one.
///
/// # Examples
///
/// ```
/// use handspun::threadpool::{JobError, ThreadPool};
///
/// let pool = ThreadPool::new(1);
/// let handle = pool.submit(|| -> u32 { panic!("no luck") });
/// match handle.join() {
///     Err(JobError::Panicked(message)) => assert_eq!(message, "no luck"),
///     other => panic!("expected a panic, got {other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// The job panicked; the string is the panic message (or a note saying
    /// the payload was not a string). The worker survived and runs on.
    #[error("the job panicked: {0}")]
    Panicked(String),
    /// The job never started: the pool was shut down with
    /// [`ThreadPool::shutdown_now`](super::ThreadPool::shutdown_now) (or was
    /// already shut down when the job was submitted). Submit it to a live
    /// pool to run it.
    #[error("the job was cancelled before it started (the pool was shut down)")]
    Cancelled,
}

/// Turns a panic payload into the message a user would have seen on stderr.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
