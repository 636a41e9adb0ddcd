//! Placement: when pinned workers outnumber the cores, a core that runs dry pulls a busy worker over.
//!
//! A pinned pool puts worker `i` on the `i`-th allowed CPU, wrapping around
//! ([`affinity`](crate::affinity)), so five workers on two cores sit three
//! and two. While jobs keep coming that costs nothing: each core is busy
//! whichever of its workers runs. At the end it does. Once the queue is
//! empty, a core whose workers have all finished sits idle while the other
//! core still has two or three jobs in progress, taking turns on it — and
//! pinned, none of them may move. With the cpu workload (20 jobs of ~1.7 ms,
//! five workers, two cores) that happened in about a third of the runs: one
//! core ran 11 jobs, the other 9, and the run took a job's length longer.
//! Unpinned, the kernel's load balancer did no better.
//!
//! So the pool balances the end itself. A worker that finishes a job when
//! the queue is empty, on a core where no other worker is busy, takes one
//! busy worker off the most crowded core (two or more busy there) and pins
//! it to its own core: the one that took its job last, which has the most
//! of it left when jobs are alike. The kernel's idle balancing does the
//! same thing, but it has to guess who is busy; the pool knows.
//!
//! Only a pool with more pinned workers than cores (and more than one core)
//! has a `Placement`; the others never pay for it.

#![forbid(unsafe_code)]

use std::sync::Mutex;
use std::time::Instant;

use super::sync::lock;

/// Where one worker sits.
#[derive(Debug, Clone, Copy)]
struct Seat {
    /// The worker thread's kernel id, once it has started. Guarded by
    /// `Placement::seats`. A seat that is busy has one, and its thread is
    /// alive: a worker clears `busy_since` (under the lock) before it can
    /// exit.
    tid: Option<i32>,
    /// The CPU the worker is pinned to now.
    cpu: usize,
    /// When the worker took the job it is running (or waiting for a core to
    /// run); `None` while it is idle.
    busy_since: Option<Instant>,
}

impl Seat {
    /// Whether this worker has a job in progress on `cpu`.
    fn busy_on(&self, cpu: usize) -> bool {
        self.busy_since.is_some() && self.cpu == cpu
    }
}

/// The seats of a pinned pool's workers, by worker index.
#[derive(Debug)]
pub(crate) struct Placement {
    /// Held for a few assignments, or for one `sched_setaffinity` call on a
    /// busy worker (which keeps that worker's thread id valid: it cannot
    /// finish its job and exit without this lock). Never while a job runs.
    seats: Mutex<Vec<Seat>>,
}

impl Placement {
    /// The placement of workers pinned to `cpus` (worker `i` on `cpus[i]`),
    /// or `None` when there is nothing to balance: fewer than two distinct
    /// CPUs, or no more workers than CPUs.
    pub(crate) fn new(cpus: &[usize]) -> Option<Placement> {
        let mut distinct = cpus.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 2 || cpus.len() <= distinct.len() {
            return None;
        }
        let seats = cpus
            .iter()
            .map(|&cpu| Seat {
                tid: None,
                cpu,
                busy_since: None,
            })
            .collect();
        Some(Placement {
            seats: Mutex::new(seats),
        })
    }

    /// Worker `index` has started on the calling thread.
    pub(crate) fn arrive(&self, index: usize) {
        let tid = crate::affinity::current_thread_id();
        lock(&self.seats)[index].tid = Some(tid);
    }

    /// Worker `index` took a job.
    pub(crate) fn busy(&self, index: usize) {
        lock(&self.seats)[index].busy_since = Some(Instant::now());
    }

    /// Worker `index` finished its job. If `drained()` says the queue is
    /// empty and no other worker is busy on this worker's core, moves a busy
    /// worker from the most crowded core here: the one that took its job
    /// last, which has the most of it left when jobs are alike.
    pub(crate) fn finished(&self, index: usize, drained: impl FnOnce() -> bool) {
        let here = {
            let mut seats = lock(&self.seats);
            seats[index].busy_since = None;
            let here = seats[index].cpu;
            if seats.iter().any(|seat| seat.busy_on(here)) {
                return;
            }
            here
        };
        // Asked without the seats lock: the queue has a lock of its own, and
        // the two are never held together.
        if !drained() {
            return;
        }
        let mut seats = lock(&self.seats);
        let busy_on = |cpu: usize| seats.iter().filter(|seat| seat.busy_on(cpu)).count();
        let Some(crowded) = seats
            .iter()
            .map(|seat| seat.cpu)
            .filter(|&cpu| cpu != here && busy_on(cpu) >= 2)
            .max_by_key(|&cpu| busy_on(cpu))
        else {
            return;
        };
        let Some(mover) = seats
            .iter_mut()
            .filter(|seat| seat.busy_on(crowded))
            .max_by_key(|seat| seat.busy_since)
        else {
            return;
        };
        // Busy, so its thread is alive while we hold the lock (see `Seat`).
        // A failed move only leaves the worker where it was.
        if let Some(tid) = mover.tid {
            if crate::affinity::pin_thread_id(tid, here).is_ok() {
                mover.cpu = here;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_more_workers_than_cores_need_placing() {
        assert!(Placement::new(&[0, 1]).is_none(), "one worker per core");
        assert!(Placement::new(&[0, 0, 0]).is_none(), "one core");
        assert!(Placement::new(&[]).is_none());
        assert!(Placement::new(&[0, 1, 0]).is_some());
    }

    #[test]
    fn a_worker_with_work_left_in_the_queue_moves_nobody() {
        let placement = Placement::new(&[0, 1, 0]).unwrap();
        for index in 0..3 {
            placement.arrive(index);
        }
        placement.busy(0);
        placement.busy(2);
        placement.busy(1);
        placement.finished(1, || false);
        let cpus: Vec<usize> = lock(&placement.seats).iter().map(|s| s.cpu).collect();
        assert_eq!(cpus, [0, 1, 0]);
    }
}
