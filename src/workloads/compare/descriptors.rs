//! The descriptor budget: the io clients and the embedded server share one
//! process's file descriptors, so both must fit, checked before anything
//! runs.
//!
//! Every connection of the io workload is two descriptors in this process:
//! the client's socket and the embedded server's accepted one. A model
//! whose clients live here (`sync`, `threads`, `event-loop`,
//! `threads-gil`, `event-loop-mt`) holds one client socket per job in flight; `processes`
//! holds its clients' sockets in the workers (each process has its own
//! table) but two pipe ends per worker here. On top of that the process
//! keeps [`RESERVED_FDS`] for itself (stdio, the listener, epoll, wakers).
//!
//! [`DescriptorBudget::add`] adds this up for every run of a comparison
//! and refuses a run that cannot fit with a [`DescriptorError`] — up front,
//! instead of letting downloads fail with "too many open files" half way.
//! The embedded server's connection cap ([`DescriptorBudget::server_cap`])
//! is then what the descriptor limit leaves after the hungriest client, so
//! the server never turns a client of the run away.

use crate::http::server::{connection_capacity, RESERVED_FDS};
use crate::workloads::Model;

/// Descriptors the parent holds per process-pool worker: its ends of the
/// job pipe and of the reply pipe.
pub const PIPE_FDS_PER_WORKER: u64 = 2;

/// A run of the io workload that cannot fit in the descriptor limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{model} with {concurrency} downloads in flight needs {needed} file descriptors \
     ({client} for its clients' sockets or pipes, {concurrency} for the embedded server's \
     connections, {reserved} kept for the process), but this process may open {limit}: \
     use --concurrency {most} or less, or raise the hard limit (ulimit -Hn)"
)]
pub struct DescriptorError {
    /// The model that would not fit.
    pub model: Model,
    /// Its downloads in flight at most.
    pub concurrency: usize,
    /// Descriptors it would need at once.
    pub needed: u64,
    /// Of those, what its clients hold in this process ([`client_fds`]).
    pub client: u64,
    /// The process's descriptor limit.
    pub limit: u64,
    /// Descriptors kept for the process itself.
    pub reserved: u64,
    /// The most downloads in flight this model could have.
    pub most: usize,
}

/// Descriptors `model`'s clients hold in this process with `concurrency`
/// downloads in flight (`concurrency` is the pool size for the pool models).
///
/// # Examples
///
/// ```
/// use handspun::workloads::compare::descriptors::client_fds;
/// use handspun::workloads::Model;
///
/// assert_eq!(client_fds(Model::EventLoop, 5000), 5000);
/// assert_eq!(client_fds(Model::Processes, 4), 8);
/// ```
pub fn client_fds(model: Model, concurrency: usize) -> u64 {
    let c = concurrency as u64;
    match model {
        Model::Processes => c * PIPE_FDS_PER_WORKER,
        Model::Sync
        | Model::Threads
        | Model::EventLoop
        | Model::ThreadsGil
        | Model::EventLoopMt => c,
    }
}

/// The descriptors of a comparison's io runs, added up before they start.
///
/// # Examples
///
/// ```
/// use handspun::workloads::compare::descriptors::DescriptorBudget;
/// use handspun::workloads::Model;
///
/// let mut budget = DescriptorBudget::new(20_000);
/// budget.add(Model::EventLoop, 5_000).unwrap();
/// assert_eq!(budget.server_cap(), 20_000 - 64 - 5_000);
/// let refused = budget.add(Model::EventLoop, 10_000).unwrap_err();
/// assert_eq!(refused.most, 9_968);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorBudget {
    /// The process's descriptor limit (after raising it).
    limit: u64,
    /// The most descriptors any one run's clients hold here.
    hungriest_client: u64,
}

impl DescriptorBudget {
    /// A budget of `limit` descriptors.
    pub fn new(limit: u64) -> DescriptorBudget {
        DescriptorBudget {
            limit,
            hungriest_client: 0,
        }
    }

    /// Counts a run of `model` with `concurrency` downloads in flight.
    ///
    /// # Errors
    ///
    /// [`DescriptorError`] when its clients, its server connections and the
    /// reserve exceed the limit.
    pub fn add(&mut self, model: Model, concurrency: usize) -> Result<(), DescriptorError> {
        let client = client_fds(model, concurrency);
        let needed = client + concurrency as u64 + RESERVED_FDS;
        if needed > self.limit {
            let per_download = client_fds(model, 1) + 1;
            let room = self.limit.saturating_sub(RESERVED_FDS) / per_download;
            return Err(DescriptorError {
                model,
                concurrency,
                needed,
                client,
                limit: self.limit,
                reserved: RESERVED_FDS,
                most: usize::try_from(room).unwrap_or(usize::MAX),
            });
        }
        self.hungriest_client = self.hungriest_client.max(client);
        Ok(())
    }

    /// The embedded server's connection cap: what the limit leaves after
    /// the reserve and the hungriest client (at least 1).
    pub fn server_cap(&self) -> usize {
        connection_capacity(self.limit.saturating_sub(self.hungriest_client)).max(1)
    }
}
