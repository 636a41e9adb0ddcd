//! Peak resident memory (RSS) of a run, and what the number means per model.
//!
//! The kernel keeps a "high-water mark" of every process's resident memory.
//! `getrusage(RUSAGE_SELF).ru_maxrss` reports it for the whole life of the
//! process, so a run measured after another would inherit the earlier peak.
//! On Linux the mark can be reset (writing `5` to `/proc/self/clear_refs`)
//! and read back as `VmHWM` in `/proc/self/status`, so each run starts from
//! what the process holds at that moment. Where that is not possible the
//! lifetime peak from `getrusage` is reported instead.
//!
//! Per model, `peak_rss_kib` is:
//! - `sync`, `threads`, `threads-gil`, `event-loop`, `event-loop-mt`: the
//!   peak RSS of this
//!   process during the run (all their threads share it);
//! - `processes`: the same for the parent, plus, for each worker process, the
//!   peak that worker reported for itself with its last result (each worker
//!   is a separate address space; shared copy-on-write pages are counted once
//!   per process, so the sum is an upper bound).
//!
//! One caveat, said plainly: resetting the mark sets it to what the process
//! holds *now*, and the allocator keeps memory that earlier runs freed, so
//! a run's number includes what earlier runs left behind. Runs are compared
//! best when each model runs alone (`--models`); a production profiler
//! would measure each model in a fresh process.

use std::fs;

/// Resets this process's peak-RSS mark, so that [`peak_kib`] reports the peak
/// from now on. Returns whether it could (Linux only; otherwise the peak is
/// the lifetime peak).
pub fn reset_peak() -> bool {
    fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// This process's peak resident memory in KiB: `VmHWM` since the last
/// [`reset_peak`], or the lifetime `ru_maxrss` where `/proc` is not there.
pub fn peak_kib() -> u64 {
    status_field_kib("VmHWM").unwrap_or_else(lifetime_peak_kib)
}

/// This process's resident memory now, KiB (`VmRSS`; 0 without `/proc`).
pub fn current_kib() -> u64 {
    status_field_kib("VmRSS").unwrap_or(0)
}

/// Reads a `Name:   1234 kB` line of `/proc/self/status`.
fn status_field_kib(name: &str) -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// `getrusage(RUSAGE_SELF).ru_maxrss`: the peak over the process's life, in
/// KiB on Linux. One system call, no file to read: the number to use in a
/// process that never resets its mark, such as a worker forked for one run
/// (there it equals `VmHWM`), and inside jobs, where reading `/proc` would
/// cost tens of microseconds per job.
pub fn lifetime_peak_kib() -> u64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` points to writable memory the size of a `rusage`, which
    // is all getrusage needs; RUSAGE_SELF is a valid `who`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if rc != 0 {
        return 0;
    }
    // SAFETY: getrusage returned 0, so it filled the whole struct (and it
    // was zeroed before, so every field is initialised either way).
    let usage = unsafe { usage.assume_init() };
    u64::try_from(usage.ru_maxrss).unwrap_or(0)
}
