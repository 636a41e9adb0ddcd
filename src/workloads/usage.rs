//! What a run cost the operating system: the most threads this process had
//! at once, and the context switches of every thread and worker process.
//!
//! `compare --scale` reports these beside wall time and peak memory, to
//! show what each *waiting* unit costs: a blocked thread is a kernel task
//! the scheduler switches to and from; an event-loop task is a few hundred
//! bytes and no switch at all.
//!
//! Where the numbers come from:
//!
//! - **context switches** — the kernel counts, per thread, *voluntary*
//!   switches (the thread blocked: a read with no data, a lock, a sleep) and
//!   *involuntary* ones (preempted at the end of its time slice). These are
//!   the `voluntary_ctxt_switches` / `nonvoluntary_ctxt_switches` lines of
//!   `/proc/self/status`, but that file shows the *main thread's* counts
//!   only. `getrusage(RUSAGE_SELF)` reads the same counters summed over
//!   every thread of the process, including threads that have already
//!   ended (a pool's workers are gone by the time a run is counted), and
//!   `getrusage(RUSAGE_CHILDREN)` sums those of every child process that
//!   has ended and been reaped (a process pool's workers, once it shut
//!   down). A run's figure is the difference before and after it, of both.
//!   It includes the embedded slow-site server's thread (the same process),
//!   which every model keeps equally busy.
//! - **threads** — the `Threads:` line of `/proc/self/status`, read by a
//!   sampler thread every [`SAMPLE_INTERVAL`] while the run lasts; the peak
//!   is kept. The sampler does not count itself, nor its own context
//!   switches (it reads them with `getrusage(RUSAGE_THREAD)` before it
//!   ends, and they are subtracted).
//!
//! A production profiler would read these per thread from `perf` or eBPF;
//! two system calls and a sampler are enough to show a thousand threads
//! against one.

#![allow(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the sampler reads the thread count.
pub const SAMPLE_INTERVAL: Duration = Duration::from_millis(2);

/// Context switches, as the kernel counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Switches {
    /// The thread blocked and gave up the core.
    pub voluntary: u64,
    /// The thread was preempted.
    pub involuntary: u64,
}

impl Switches {
    /// `self - earlier`, counter by counter (never below zero).
    fn since(self, earlier: Switches) -> Switches {
        Switches {
            voluntary: self.voluntary.saturating_sub(earlier.voluntary),
            involuntary: self.involuntary.saturating_sub(earlier.involuntary),
        }
    }

    /// Both kinds together.
    pub fn total(self) -> u64 {
        self.voluntary + self.involuntary
    }
}

/// What a run cost, measured by a [`UsageProbe`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// The most threads this process had at once (the sampler not counted).
    pub peak_threads: u64,
    /// Context switches of this process's threads (the sampler's not
    /// counted).
    pub own: Switches,
    /// Context switches of the child processes that ended during the run.
    pub children: Switches,
}

/// `getrusage(who)`'s context-switch counters; zeros if the call fails.
fn switches(who: libc::c_int) -> Switches {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` points to writable memory the size of a `rusage`,
    // which is all getrusage writes; `who` is one of RUSAGE_SELF,
    // RUSAGE_CHILDREN, RUSAGE_THREAD.
    let rc = unsafe { libc::getrusage(who, usage.as_mut_ptr()) };
    if rc != 0 {
        return Switches::default();
    }
    // SAFETY: the struct was zeroed, and getrusage returned 0 having filled
    // it: every field is initialised.
    let usage = unsafe { usage.assume_init() };
    Switches {
        voluntary: u64::try_from(usage.ru_nvcsw).unwrap_or(0),
        involuntary: u64::try_from(usage.ru_nivcsw).unwrap_or(0),
    }
}

/// The `Threads:` line of `/proc/self/status`, or `None` without `/proc`.
pub fn current_threads() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix("Threads:")
            .and_then(|rest| rest.trim().parse().ok())
    })
}

/// Measures one run: [`UsageProbe::start`] before it, [`UsageProbe::finish`]
/// after.
///
/// # Examples
///
/// ```
/// use handspun::workloads::usage::UsageProbe;
///
/// let probe = UsageProbe::start();
/// let worker = std::thread::spawn(|| 2 + 2);
/// assert_eq!(worker.join().unwrap(), 4);
/// let usage = probe.finish();
/// assert!(usage.peak_threads >= 1);
/// ```
pub struct UsageProbe {
    /// The most threads seen so far, the sampler included while it runs.
    /// Raised (`fetch_max`) by the sampler and by [`sample`](Self::sample).
    peak_threads: Arc<AtomicU64>,
    /// This process's counters at the start.
    own_before: Switches,
    /// The reaped children's counters at the start.
    children_before: Switches,
    /// Tells the sampler to stop (by being dropped or sent to).
    stop: mpsc::Sender<()>,
    /// The sampler, which hands back its own context switches; `None` if
    /// it could not start.
    sampler: Option<JoinHandle<Switches>>,
}

impl UsageProbe {
    /// Starts counting: reads the counters and starts the sampler.
    pub fn start() -> UsageProbe {
        let (stop, stopped) = mpsc::channel::<()>();
        let peak_threads = Arc::new(AtomicU64::new(0));
        let peak = Arc::clone(&peak_threads);
        let sampler = std::thread::Builder::new()
            .name("handspun-usage".into())
            .spawn(move || sample_until(&peak, &stopped))
            .ok();
        UsageProbe {
            peak_threads,
            own_before: switches(libc::RUSAGE_SELF),
            children_before: switches(libc::RUSAGE_CHILDREN),
            stop,
            sampler,
        }
    }

    /// Reads the thread count now, besides the sampler's regular readings:
    /// for a caller that knows a moment of interest.
    pub fn sample(&self) {
        record_threads(&self.peak_threads);
    }

    /// Stops counting and returns what the run cost since [`start`](Self::start).
    pub fn finish(self) -> Usage {
        let own_after = switches(libc::RUSAGE_SELF);
        let children_after = switches(libc::RUSAGE_CHILDREN);
        let _ = self.stop.send(());
        let (peak_threads, sampler_own) = match self.sampler {
            // The sampler is not part of the run: not itself, nor its switches.
            Some(handle) => {
                let own = handle.join().unwrap_or_default();
                (
                    self.peak_threads.load(Ordering::Relaxed).saturating_sub(1),
                    own,
                )
            }
            None => {
                let peak = self.peak_threads.load(Ordering::Relaxed);
                (
                    peak.max(current_threads().unwrap_or(0)),
                    Switches::default(),
                )
            }
        };
        Usage {
            peak_threads,
            own: own_after.since(self.own_before).since(sampler_own),
            children: children_after.since(self.children_before),
        }
    }
}

/// Raises `peak` to the thread count now, if higher.
fn record_threads(peak: &AtomicU64) {
    if let Some(now) = current_threads() {
        peak.fetch_max(now, Ordering::Relaxed);
    }
}

/// The sampler's loop: reads the thread count every [`SAMPLE_INTERVAL`]
/// until told to stop (or its probe is dropped); returns its own context
/// switches.
fn sample_until(peak: &AtomicU64, stopped: &mpsc::Receiver<()>) -> Switches {
    loop {
        record_threads(peak);
        match stopped.recv_timeout(SAMPLE_INTERVAL) {
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    switches(libc::RUSAGE_THREAD)
}
