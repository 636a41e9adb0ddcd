//! What can go wrong in a simulated run, as a typed error.

#![forbid(unsafe_code)]

/// Why a simulated run did not produce its output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The body opened a real socket. A simulated loop refuses them: the
    /// network would make runs unrepeatable. (Seen as the `Unsupported`
    /// `io::Error` that the socket call returns, holding this value.)
    #[error(
        "a simulated event loop has no real sockets (they would make runs unrepeatable); \
         run this code on a real EventLoop"
    )]
    RealSocket,
    /// Every task waited, no timer was armed, and nothing else could wake
    /// one: the run could never go on.
    #[error("deadlock: every task waits and no timer is due; waiting: {}", waiting_list(.waiting))]
    Deadlock {
        /// The waiting tasks' names (`"unnamed"` for tasks spawned without
        /// one), in spawn order.
        waiting: Vec<String>,
    },
    /// The run went on for so many turns of the loop that it would likely
    /// never end (tasks yielding forever, or a timer ticking forever beside
    /// tasks that wait for each other).
    #[error("the run was stopped after {turns} turns of the loop: it looks endless")]
    TooLong {
        /// Turns taken.
        turns: u64,
    },
    /// The body (or a task whose failure it unwrapped) panicked.
    #[error("the body panicked: {message}")]
    Panicked {
        /// The panic's message.
        message: String,
    },
    /// A replayed schedule asked for a task that was not there: the body is
    /// not the one that was recorded, or it depends on something outside
    /// the simulation.
    #[error(
        "the schedule does not fit this run at choice {at}: replay the same body, \
         and keep it free of real time, threads and I/O"
    )]
    ScheduleDiverged {
        /// The index of the first choice that did not fit.
        at: usize,
    },
    /// The simulated loop could not be created: the operating system refused
    /// the `epoll` instance or `eventfd` every loop holds (usually: out of
    /// file descriptors).
    #[error("could not create the simulated event loop: {message}")]
    Start {
        /// The operating system's error.
        message: String,
    },
    /// A schedule string that cannot be read.
    #[error("cannot read schedule {text:?}: expected numbers separated by dots, like \"0.2.1\"")]
    BadSchedule {
        /// The text given.
        text: String,
    },
}

fn waiting_list(waiting: &[String]) -> String {
    if waiting.is_empty() {
        "(only the body)".to_string()
    } else {
        waiting.join(", ")
    }
}
