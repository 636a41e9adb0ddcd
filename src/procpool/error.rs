//! [`ProcError`]: every way a process-pool job can fail to produce its value.

use std::time::Duration;

/// Why a job submitted to a [`ProcessPool`](super::ProcessPool) produced no
/// value.
///
/// Every job ends in exactly one `Ok(value)` or one `ProcError`: the pool
/// never loses a job, even when the worker running it dies.
///
/// The error is `Clone` so that one failure (a worker that died in the middle
/// of a [`map`](super::ProcessPool::map) chunk) can be reported for every item
/// of the chunk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcError {
    /// The job's function panicked inside the worker. The worker caught the
    /// panic and carries on with the next job; the message is the panic's.
    #[error("the job panicked in the worker: {0}")]
    Panicked(String),

    /// The worker process running the job died before answering (it aborted,
    /// segfaulted, called `exit`, or was killed by a signal). A new worker
    /// has taken its place. Use [`Builder::retries`](super::Builder::retries)
    /// to run such jobs again automatically.
    #[error("{}", describe_death(*pid, *signal, *exit_code))]
    WorkerDied {
        /// The process id of the worker that died.
        pid: i32,
        /// The signal that killed it (9 for `SIGKILL`, 6 for `SIGABRT`, 11
        /// for `SIGSEGV`), if a signal did.
        signal: Option<i32>,
        /// Its exit status, if it exited on its own.
        exit_code: Option<i32>,
    },

    /// The job ran longer than the pool's
    /// [`job_timeout`](super::Builder::job_timeout): its worker was killed and
    /// replaced.
    #[error("the job did not finish within {limit:?} (worker {pid} was killed and replaced)")]
    Timeout {
        /// The process id of the worker that was killed.
        pid: i32,
        /// The time limit the job exceeded.
        limit: Duration,
    },

    /// The job never ran: the pool was shut down with
    /// [`shutdown_now`](super::ProcessPool::shutdown_now) first.
    #[error("the job was cancelled: the pool was shut down before it finished")]
    Cancelled,

    /// The job was submitted after [`close`](super::ProcessPool::close): the
    /// pool takes no new jobs. It never ran.
    #[error("the pool is closed: it takes no new jobs")]
    Closed,

    /// The argument (in the parent) or the result (in the worker) could not
    /// be encoded with postcard. The message says which and why.
    #[error("could not encode the {0}")]
    Encode(String),

    /// The argument (in the worker) or the result (in the parent) could not
    /// be decoded with postcard, for example because the type's `Serialize`
    /// and `Deserialize` implementations disagree.
    #[error("could not decode the {0}")]
    Decode(String),

    /// An operating-system call failed while starting a worker or talking to
    /// it (for example `fork` failing with `EAGAIN` when the process limit
    /// is reached).
    #[error("process pool I/O error: {0}")]
    Io(String),
}

/// Words for [`ProcError::WorkerDied`]: by which signal, or with which exit
/// code, the worker went away.
fn describe_death(pid: i32, signal: Option<i32>, exit_code: Option<i32>) -> String {
    match (signal, exit_code) {
        (Some(signal), _) => {
            format!("worker {pid} was killed by signal {signal} while running the job")
        }
        (None, Some(code)) => {
            format!("worker {pid} exited with status {code} while running the job")
        }
        (None, None) => format!("worker {pid} died while running the job"),
    }
}

impl From<std::io::Error> for ProcError {
    fn from(error: std::io::Error) -> Self {
        ProcError::Io(error.to_string())
    }
}
