//! Whether the machine gives this process all its cores right now.
//!
//! On a shared machine — a virtual machine above all — the host may take a
//! core away for a while. On the 2-vCPU machine handspun was measured on,
//! two bare threads sometimes ran the cpu list no faster than one thread
//! (~1.0× sync), for stretches of a few hundred milliseconds up to over a
//! second, while one thread alone kept its usual speed
//! (docs/benchmarks/workloads.md). A run of a multi-core model timed in
//! such a stretch measures the host, not the model: a 1.9× pool shows 1.0×.
//!
//! So `handspun compare` checks ([`for_cpu_list`]). Each cpu run of a model
//! that should use more than one core is bracketed by two *probes*: the
//! list once on bare threads, one per core (pinned when the pools are: an
//! unpinned pair can share a core for a short burst, which says nothing
//! about the host). A probe finds the machine *whole* when it reaches
//! [`WHOLE`] × cores against sync's typical run. A run starts only after a
//! whole probe (the check waits, probing every [`PAUSE`], until there is
//! one); a run whose probe after it is short is thrown away and run again. Waiting and re-running are bounded by a budget of
//! [`BUDGET_FACTOR`] × the model's own measuring time; once it is spent,
//! every run is kept whatever the probes say, and the report shows the
//! machine was busy (the probes are the [`Yardstick`](super::Yardstick)).
//!
//! What it cannot do: catch a host that takes a core for less than a run —
//! both probes can be whole around a run that was not. The median of
//! several runs takes care of those. Nor does it judge the model: a run is
//! thrown away for what bare threads did beside it, never for its own time,
//! and a run with a failed job is always kept.

#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use super::cpu::bare_threads;

/// The share of the cores a probe must reach — bare threads at least
/// `WHOLE × cores` times as fast as sync — for the machine to count as
/// whole. The same 90 % the summary asks of a pool that scales.
pub const WHOLE: f64 = 0.9;

/// How long to wait between probes while the machine is not whole.
pub const PAUSE: Duration = Duration::from_millis(20);

/// The budget for waiting and re-running, in units of the model's own
/// measuring time (runs × sync's wall time): 20, so ~3 s for the
/// tutorial's list run 5 times, a few milliseconds for a test's tiny list.
pub const BUDGET_FACTOR: u32 = 20;

/// One probe's finding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Probe {
    /// Its wall time.
    pub wall: Duration,
    /// Whether the machine was whole: the probe took at most
    /// [`CoreCheck`]'s `whole_within`.
    pub whole: bool,
}

/// What [`CoreCheck::judge`] found about a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// The probe right after the run.
    pub after: Probe,
    /// Whether the run counts: the machine was whole on both sides of it
    /// (a run only starts after a whole probe, unless the budget is spent),
    /// or the budget is spent.
    pub keep: bool,
}

/// The probes around one model's runs, with their budget: make one with
/// [`begin`](CoreCheck::begin) (or [`for_cpu_list`]) right before the first
/// run, then call [`judge`](CoreCheck::judge) after every run.
///
/// # Examples
///
/// A scripted probe instead of bare threads: the machine is whole when a
/// probe takes at most 10 ms.
///
/// ```
/// use std::time::Duration;
/// use handspun::workloads::cores::CoreCheck;
///
/// let ms = Duration::from_millis;
/// let mut walls = vec![ms(9), ms(25), ms(9), ms(9)].into_iter();
/// let probe = move || walls.next().expect("no more probes scripted");
/// let mut check = CoreCheck::begin(probe, ms(10), Duration::from_secs(60));
/// // 9 ms before, 25 ms after: the host took a core, run it again
/// // (after waiting until a probe is whole again: 9 ms).
/// assert!(!check.judge().keep);
/// // 9 ms before, 9 ms after: keep it.
/// assert!(check.judge().keep);
/// ```
#[derive(Debug)]
pub struct CoreCheck<P> {
    /// Runs one probe and returns its wall time.
    probe: P,
    /// The longest a probe may take with the machine whole.
    whole_within: Duration,
    /// When the budget runs out.
    deadline: Instant,
}

impl<P: FnMut() -> Duration> CoreCheck<P> {
    /// A check whose probes are `probe`, counting the machine whole when a
    /// probe takes at most `whole_within`, with `budget` for waiting and
    /// re-running from now. Waits until the machine is whole (or the budget
    /// is spent) so the first run can begin.
    pub fn begin(probe: P, whole_within: Duration, budget: Duration) -> CoreCheck<P> {
        let mut check = CoreCheck {
            probe,
            whole_within,
            deadline: Instant::now() + budget,
        };
        check.wait_until_whole();
        check
    }

    /// Probes after a run and says whether the run counts; then, if the
    /// machine is not whole, waits until it is (or the budget is spent) so
    /// the next run can begin. So every run starts after a whole probe,
    /// until the budget is spent — and then every run counts anyway.
    pub fn judge(&mut self) -> Verdict {
        let after = self.probe();
        let keep = after.whole || self.spent();
        if !after.whole {
            self.wait_until_whole();
        }
        Verdict { after, keep }
    }

    /// Runs one probe now.
    fn probe(&mut self) -> Probe {
        let wall = (self.probe)();
        Probe {
            wall,
            whole: wall <= self.whole_within,
        }
    }

    /// Probes until the machine is whole or the budget is spent, pausing
    /// [`PAUSE`] between probes.
    fn wait_until_whole(&mut self) {
        while !self.probe().whole && !self.spent() {
            std::thread::sleep(PAUSE);
        }
    }

    /// Whether the budget is spent: from now on every run is kept.
    fn spent(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

/// The check `handspun compare` runs around `runs` runs of the cpu list
/// `numbers`: each probe is the list on bare threads, one per core (pinned
/// if `pin`, as the pools' workers are); the machine is whole when a probe
/// reaches [`WHOLE`] × `cores` against sync's typical wall time; the budget
/// is [`BUDGET_FACTOR`] × `runs` × that time.
pub fn for_cpu_list(
    numbers: &[u64],
    cores: usize,
    sync_wall: Duration,
    runs: usize,
    pin: bool,
) -> CoreCheck<impl FnMut() -> Duration + '_> {
    let probe = move || time_bare_threads(numbers, cores, pin);
    let whole_within = sync_wall.div_f64(WHOLE * cores as f64);
    let runs = u32::try_from(runs).unwrap_or(u32::MAX);
    let budget = sync_wall.saturating_mul(runs.saturating_mul(BUDGET_FACTOR));
    CoreCheck::begin(probe, whole_within, budget)
}

/// How long the list `numbers` takes on `threads` bare threads
/// ([`bare_threads`], pinned if `pin`) right now: one probe.
pub fn time_bare_threads(numbers: &[u64], threads: usize, pin: bool) -> Duration {
    let began = Instant::now();
    std::hint::black_box(bare_threads(numbers, threads, pin));
    began.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A probe that returns `walls` (milliseconds) in turn.
    fn scripted(walls: &[u64]) -> impl FnMut() -> Duration + '_ {
        let mut walls = walls.iter();
        move || ms(*walls.next().expect("a probe beyond the script"))
    }

    #[test]
    fn a_run_counts_only_with_the_machine_whole_on_both_sides() {
        // before: 5 (whole); run 1 after: 5 → keep; run 2 after: 50 → again,
        // then waits: 50, 50, 5; run 3 before is that 5, after 5 → keep.
        let mut check = CoreCheck::begin(scripted(&[5, 5, 50, 50, 50, 5, 5]), ms(10), ms(60_000));
        assert_eq!(
            check.judge(),
            Verdict {
                after: Probe {
                    wall: ms(5),
                    whole: true
                },
                keep: true
            }
        );
        let second = check.judge();
        assert!(!second.keep);
        assert_eq!(second.after.wall, ms(50));
        assert!(check.judge().keep, "the wait ended on a whole probe");
    }

    #[test]
    fn waiting_ends_on_a_whole_machine_or_when_the_budget_is_spent() {
        // A budget of zero ends the waiting at once: begin probes once (50).
        let mut spent = CoreCheck::begin(scripted(&[50, 5]), ms(10), Duration::ZERO);
        assert!(spent.judge().keep, "no budget left: every run is kept");
        // With budget: begin waits through 50 to 5, so the first run starts
        // on a whole machine.
        let mut check = CoreCheck::begin(scripted(&[50, 5, 5]), ms(10), ms(60_000));
        assert!(check.judge().keep);
    }

    #[test]
    fn the_cpu_list_check_runs_the_list_on_bare_threads() {
        // A generous sync time: every probe is whole, every run is kept.
        let numbers = [1_000, 2_000];
        let mut check = for_cpu_list(&numbers, 2, Duration::from_secs(60), 3, true);
        let verdict = check.judge();
        assert!(verdict.keep && verdict.after.whole);
        assert!(verdict.after.wall > Duration::ZERO);
    }
}
