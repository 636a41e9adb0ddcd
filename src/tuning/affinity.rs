//! CPU affinity: which cores a thread may run on.
//!
//! Linux places every runnable thread on a core by heuristics: a thread that
//! wakes up tends to land near the thread that woke it, and the load
//! balancer moves threads between cores every few milliseconds, judging by
//! load averages that take tens of milliseconds to settle. For long runs
//! that works well. For a 20-millisecond burst of CPU work it can leave one
//! core idle while two threads take turns on the other, and the burst takes
//! noticeably longer than it should.
//!
//! *Pinning* takes the guesswork away: a thread bound to one core
//! (`sched_setaffinity`) runs there or nowhere. Both pools can pin their
//! workers, one per core in turn ([`ThreadPool`](crate::threadpool::Builder::pin_workers),
//! [`ProcessPool`](crate::procpool::Builder::pin_workers)); neither does by
//! default, because pinning is only right when the pool owns those cores.
//!
//! A process forked by a pinned thread inherits the pin, which is how the
//! process pool pins its workers without any code in the child. Pinning
//! has one cost: a pinned thread cannot be moved to a core that went idle,
//! so a pinned pool with more workers than cores may end a batch with one
//! core busy and the other idle.

use std::io;

/// The CPUs the calling thread may run on (its affinity mask), in ascending
/// order: usually every online CPU; fewer under `taskset` or a cgroup's
/// cpuset.
///
/// # Errors
///
/// The OS error of `sched_getaffinity` (none is expected on Linux).
///
/// # Examples
///
/// ```
/// let cpus = handspun::tuning::affinity::allowed_cpus().unwrap();
/// assert!(!cpus.is_empty());
/// ```
pub fn allowed_cpus() -> io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable cpu_set_t of the size passed; pid 0
    // means the calling thread.
    let result =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    let cpus = (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `cpu` is below CPU_SETSIZE, the number of bits in `set`.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect();
    Ok(cpus)
}

/// The CPU worker `index` of a pinned pool gets: the `index`-th of `cpus`,
/// wrapping around when there are more workers than CPUs. `None` when
/// `cpus` is empty (the pool does not pin).
///
/// # Examples
///
/// ```
/// use handspun::tuning::affinity::cpu_for_worker;
///
/// let cpus = [0, 1];
/// let placed: Vec<_> = (0..5).map(|i| cpu_for_worker(&cpus, i)).collect();
/// assert_eq!(placed, [Some(0), Some(1), Some(0), Some(1), Some(0)]);
/// assert_eq!(cpu_for_worker(&[], 3), None);
/// ```
pub fn cpu_for_worker(cpus: &[usize], index: usize) -> Option<usize> {
    (!cpus.is_empty()).then(|| cpus[index % cpus.len()])
}

/// The core each of `workers` pool workers is pinned to: worker `i` gets
/// [`cpu_for_worker`]`(allowed, i)`, so workers go round the allowed cores
/// in turn. Empty if no CPU is allowed (then nothing is pinned).
///
/// # Errors
///
/// As [`allowed_cpus`].
///
/// # Examples
///
/// ```
/// let cores = handspun::tuning::affinity::cores_for_workers(3).unwrap();
/// assert_eq!(cores.len(), 3);
/// ```
pub fn cores_for_workers(workers: usize) -> io::Result<Vec<usize>> {
    let cpus = allowed_cpus()?;
    Ok((0..workers)
        .filter_map(|index| cpu_for_worker(&cpus, index))
        .collect())
}

/// Binds the calling thread to `cpu`: from now on it runs there only. A
/// process the thread forks afterwards inherits the binding.
///
/// # Errors
///
/// [`io::ErrorKind::InvalidInput`] if `cpu` is not a CPU this thread may use
/// (see [`allowed_cpus`]) — the kernel refuses an empty set.
///
/// # Examples
///
/// ```
/// use handspun::tuning::affinity;
///
/// let first = affinity::allowed_cpus().unwrap()[0];
/// std::thread::spawn(move || {
///     affinity::pin_current_thread(first).unwrap();
///     assert_eq!(affinity::allowed_cpus().unwrap(), [first]);
/// })
/// .join()
/// .unwrap();
/// ```
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    // To `sched_setaffinity`, thread id 0 means the calling thread.
    set_affinity(0, cpu)
}

/// Binds the thread of `handle` to `cpu`, from the outside: the caller need
/// not wait for the thread to run and pin itself. If the thread is running
/// elsewhere at that moment, the kernel moves it.
///
/// # Errors
///
/// As [`pin_current_thread`]; also the OS error if the thread has exited
/// and been joined (it cannot have: the handle is borrowed, not joined).
///
/// # Examples
///
/// ```
/// use handspun::tuning::affinity;
///
/// let first = affinity::allowed_cpus().unwrap()[0];
/// let (go, wait) = std::sync::mpsc::channel::<()>();
/// let thread = std::thread::spawn(move || {
///     wait.recv().unwrap();
///     affinity::allowed_cpus().unwrap()
/// });
/// affinity::pin_thread(&thread, first).unwrap();
/// go.send(()).unwrap();
/// assert_eq!(thread.join().unwrap(), [first]);
/// ```
pub fn pin_thread<T>(handle: &std::thread::JoinHandle<T>, cpu: usize) -> io::Result<()> {
    use std::os::unix::thread::JoinHandleExt;

    let set = only(cpu)?;
    // The handle is borrowed, so the thread is not joined and its pthread_t
    // stays valid (an exited thread keeps it until joined).
    // SAFETY: a valid pthread_t (above); `set` is a cpu_set_t of that size.
    let result = unsafe {
        libc::pthread_setaffinity_np(
            handle.as_pthread_t(),
            std::mem::size_of::<libc::cpu_set_t>(),
            &set,
        )
    };
    if result != 0 {
        // pthread functions return the error number instead of setting errno.
        return Err(io::Error::from_raw_os_error(result));
    }
    Ok(())
}

/// `sched_setaffinity(tid, {cpu})`.
fn set_affinity(tid: libc::pid_t, cpu: usize) -> io::Result<()> {
    let set = only(cpu)?;
    // SAFETY: `set` is a valid cpu_set_t of the size passed; `tid` is only
    // a number to the kernel (a wrong one is an error, not unsoundness).
    let result =
        unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if result == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The CPU set holding `cpu` alone.
fn only(cpu: usize) -> io::Result<libc::cpu_set_t> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "CPU {cpu} is beyond the largest CPU set ({})",
                libc::CPU_SETSIZE
            ),
        ));
    }
    // SAFETY: cpu_set_t is a plain bit array; all zeroes is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cpu` was checked to be below CPU_SETSIZE just above.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    Ok(set)
}
