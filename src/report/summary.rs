//! The sentences below the table, computed from the measured numbers.
//!
//! Nothing here is canned: every sentence is chosen by comparing numbers
//! (who was fastest, whether a pool reached its target against the bare
//! threads of the same run), and quotes them. The *why* parts are the
//! tutorial's lessons, said only when the numbers show them.

use crate::report::table::seconds;
use crate::workloads::{Model, RunResult, Workload, Yardstick};

/// The target of a multi-core cpu row: a speedup over sync of at least this
/// share of the bare-thread yardstick's in the same run
/// (shared/WORKLOADS.md). Bare threads short of this share of their core
/// count mean the machine was not all ours.
pub const TARGET_SHARE: f64 = 0.9;

/// Bare threads above this multiple of their count cannot be the machine's
/// doing: sync itself was slowed, and every cpu speedup is inflated.
const BEYOND_CORES: f64 = 1.05;

/// Below this speedup a model "shows no gain".
const NO_GAIN: f64 = 1.15;

/// At or below this speedup a model is "slower" than sync.
const SLOWER: f64 = 0.97;

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The sentences for a comparison run on `cores` cores; `sweep` is the
/// `--sweep` rows (thread pool sizes on io), possibly empty; `yardstick` is
/// the cpu workload on bare threads, which the multi-core cpu rows are
/// judged against.
pub fn summarize(
    results: &[RunResult],
    cores: usize,
    sweep: &[RunResult],
    yardstick: Option<&Yardstick>,
) -> Vec<String> {
    let mut sentences = Vec::new();
    for workload in Workload::ALL {
        let rows: Vec<&RunResult> = results.iter().filter(|r| r.workload == workload).collect();
        if rows.is_empty() {
            continue;
        }
        sentences.extend(winner(workload, &rows));
        for row in &rows {
            sentences.extend(explain(row, &rows, cores, yardstick));
        }
        for row in rows.iter().filter(|r| r.failed > 0) {
            let first = row.errors.first().map_or("", |e| e.error.as_str());
            sentences.push(format!(
                "{} / {}: {} of {} jobs failed (first error: {first}).",
                row.workload, row.model, row.failed, row.tasks
            ));
        }
    }
    sentences.extend(sweep_sentence(sweep));
    sentences
}

fn winner(workload: Workload, rows: &[&RunResult]) -> Option<String> {
    let best = rows
        .iter()
        .filter(|r| r.failed == 0)
        .min_by(|a, b| a.wall_s.total_cmp(&b.wall_s))?;
    let what = match workload {
        Workload::Io => format!("{} downloads", best.tasks),
        Workload::Cpu => format!("{} sums of squares", best.tasks),
    };
    if rows.len() == 1 {
        return Some(format!(
            "{workload}: only {} ran: {} for {what}.",
            best.model,
            seconds(best.wall_s)
        ));
    }
    let sync = rows.iter().find(|r| r.model == Model::Sync);
    if let Some(sync) =
        sync.filter(|sync| best.model != Model::Sync && sync.wall_s < best.wall_s * 1.05)
    {
        return Some(format!(
            "{workload}: no model beat sync by more than 5% ({} for {what}; the best, {}, took {}).",
            seconds(sync.wall_s),
            best.model,
            seconds(best.wall_s)
        ));
    }
    let margin = match (best.model, sync) {
        (Model::Sync, _) => {
            let runner_up = rows
                .iter()
                .filter(|r| r.model != Model::Sync)
                .min_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
            match runner_up {
                Some(next) => format!(
                    "; the next best, {}, took {:.2}× as long",
                    next.model,
                    next.wall_s / best.wall_s
                ),
                None => String::new(),
            }
        }
        (_, Some(sync)) => format!(
            ", {:.1}× faster than sync ({})",
            sync.wall_s / best.wall_s,
            seconds(sync.wall_s)
        ),
        (_, None) => String::new(),
    };
    Some(format!(
        "{workload}: {} won, {} for {what}{margin}.",
        best.model,
        seconds(best.wall_s)
    ))
}

fn explain(
    row: &RunResult,
    rows: &[&RunResult],
    cores: usize,
    yardstick: Option<&Yardstick>,
) -> Option<String> {
    let speedup = row.speedup_vs_sync?;
    let efficiency = row
        .efficiency
        .map(|e| format!(" ({:.0}% of ideal)", e * 100.0))
        .unwrap_or_default();
    let sentence = match (row.workload, row.model) {
        (_, Model::Sync) => return None,
        (Workload::Io, Model::EventLoop) => format!(
            "io / event-loop: {speedup:.1}× sync{efficiency} on one thread — up to {} downloads waited at once over {} connection(s); waiting costs no thread.",
            row.concurrency,
            row.connections_opened.unwrap_or(0)
        ),
        (Workload::Io, Model::EventLoopMt) => {
            let single = match rows.iter().find(|r| r.model == Model::EventLoop) {
                Some(single) => format!(
                    ", against {:.1}× for the single loop",
                    single.speedup_vs_sync.unwrap_or(0.0)
                ),
                None => String::new(),
            };
            format!(
                "io / event-loop-mt: {speedup:.1}× sync{efficiency} on {} worker threads{single} — up to {} downloads waited at once over {} connection(s); waiting needs no thread, so more threads add little when the work is waiting.",
                row.workers,
                row.concurrency,
                row.connections_opened.unwrap_or(0)
            )
        }
        (Workload::Io, Model::ThreadsGil) => format!(
            "io / threads-gil: {speedup:.1}× sync{efficiency} — the emulated GIL barely matters here: a download releases it while it waits, as CPython's socket calls do, so {} waiting threads still overlap.",
            row.workers
        ),
        (Workload::Io, Model::Threads) => format!(
            "io / {}: {speedup:.1}× sync{efficiency} — {} worker threads, each blocked in its own download, so {} waits overlap; {} connection(s), one session per thread.",
            row.model,
            row.workers,
            row.workers,
            row.connections_opened.unwrap_or(0)
        ),
        (Workload::Io, Model::Processes) => {
            let memory = match rows.iter().find(|r| r.model == Model::Threads) {
                Some(threads) => format!(
                    "{:.1} MiB against {:.1} MiB for threads",
                    mib(row.peak_rss_kib),
                    mib(threads.peak_rss_kib)
                ),
                None => format!("{:.1} MiB", mib(row.peak_rss_kib)),
            };
            format!(
                "io / processes: {speedup:.1}× sync{efficiency} — {} worker processes overlap {} waits; each is a whole copy of the program ({memory}), a heavy way to wait.",
                row.workers, row.workers
            )
        }
        (Workload::Cpu, Model::Threads | Model::Processes | Model::EventLoopMt) => {
            let mut sentence = cpu_pool_sentence(row, speedup, cores, yardstick);
            if row.model == Model::EventLoopMt {
                sentence.push(' ');
                sentence.push_str(&cpu_twist(row, rows, yardstick));
            }
            sentence
        }
        (Workload::Cpu, Model::ThreadsGil) => {
            if speedup <= SLOWER {
                format!(
                    "cpu / threads-gil: {speedup:.2}× sync, slower — with the emulated GIL only one thread computes at a time and every switch costs: Python's slowdown with threads on CPU-bound work, reproduced."
                )
            } else if speedup < NO_GAIN {
                format!(
                    "cpu / threads-gil: no gain ({speedup:.2}× sync) — with the emulated GIL only one thread computes at a time, so {} threads do the work of one, as in CPython.",
                    row.workers
                )
            } else {
                format!(
                    "cpu / threads-gil: {speedup:.2}× sync, which one computing thread at a time cannot gain: other programs probably slowed the sync run (rerun on a quiet machine; if it persists, the emulated GIL did not hold)."
                )
            }
        }
        (Workload::Cpu, Model::EventLoop) => {
            if speedup < NO_GAIN {
                format!(
                    "cpu / event-loop: no gain ({speedup:.2}× sync) — one thread, and a task that computes without awaiting holds it until it is done: cooperative multitasking cannot add cores."
                )
            } else {
                format!(
                    "cpu / event-loop: {speedup:.2}× sync, which one thread cannot gain: other programs probably slowed the sync run (rerun on a quiet machine)."
                )
            }
        }
    };
    Some(sentence)
}

/// A multi-core cpu row (`threads`, `processes`, `event-loop-mt`) against
/// its target: [`TARGET_SHARE`] of the yardstick's speedup in the same run.
fn cpu_pool_sentence(
    row: &RunResult,
    speedup: f64,
    cores: usize,
    yardstick: Option<&Yardstick>,
) -> String {
    let possible = row.workers.min(cores).max(1);
    let name = row.model;
    // What the model starts and hands the jobs to.
    let unit = match row.model {
        Model::Threads => "threads",
        Model::Processes => "processes",
        _ => "workers",
    };
    let workers = row.workers;
    if possible == 1 {
        return format!(
            "cpu / {name}: {speedup:.2}× sync — with one usable core there is nothing to run in parallel."
        );
    }
    let Some(bare) = yardstick else {
        return format!(
            "cpu / {name}: {speedup:.2}× sync with {workers} workers on {cores} cores (no bare-thread yardstick was measured, so there is no target to judge it by)."
        );
    };
    // The median of the per-round pairs when the run measured them; else
    // the medians' ratio.
    let (share, how) = match row.share_of_yardstick {
        Some(share) => (share, "run beside it in each round"),
        None => (speedup / bare.speedup_vs_sync, "in the same run"),
    };
    let against = format!(
        "{:.0}% of the speed of bare threads {how} ({:.2}× sync)",
        share * 100.0,
        bare.speedup_vs_sync
    );
    let target = TARGET_SHARE * 100.0;
    if busy(bare) {
        let whose = if row.model == Model::EventLoopMt {
            "runtime's"
        } else {
            "pool's"
        };
        let verdict = if share >= TARGET_SHARE {
            "reached"
        } else {
            "missed"
        };
        return format!(
            "cpu / {name}: {speedup:.2}× sync with {workers} workers, {against}: the {target:.0}% target is {verdict}, on a machine too busy for the {whose} own share to show (see the yardstick below)."
        );
    }
    if share >= TARGET_SHARE {
        let why = match row.model {
            Model::Threads => "Rust threads compute in parallel, there is no GIL",
            Model::Processes => "one process per core, each with its own memory",
            _ => "the workers shared the tasks out, stealing from each other when their own queue ran dry",
        };
        format!(
            "cpu / {name}: {speedup:.2}× sync with {workers} workers, {against}: the {target:.0}% target is reached — {why}."
        )
    } else {
        format!(
            "cpu / {name}: {speedup:.2}× sync with {workers} workers, {against}: short of the {target:.0}% target — the rest went to starting the {unit} and handing them the jobs (short jobs make that share large)."
        )
    }
}

/// The twist of `event-loop-mt` on cpu, from the run's numbers: an event
/// loop with more threads does speed up CPU work once it is split into
/// tasks — said only when this run shows it — yet a task that never yields
/// still holds its thread.
fn cpu_twist(row: &RunResult, rows: &[&RunResult], yardstick: Option<&Yardstick>) -> String {
    let speedup = row.speedup_vs_sync.unwrap_or(0.0);
    let single = match rows
        .iter()
        .find(|r| r.model == Model::EventLoop)
        .and_then(|r| r.speedup_vs_sync)
    {
        Some(single) => format!(" (the single loop: {single:.2}× sync)"),
        None => String::new(),
    };
    let tasks = format!("{} tasks on {} workers", row.tasks, row.workers);
    let gain = if speedup >= NO_GAIN {
        format!(
            "an event loop with more threads does speed up CPU work when the work is split into tasks — {tasks}, {speedup:.2}× sync{single}"
        )
    } else {
        let (bare, why) = match yardstick {
            Some(bare) if bare.speedup_vs_sync < NO_GAIN => (
                format!(", and bare threads {:.2}×", bare.speedup_vs_sync),
                "the cores were not free for anyone",
            ),
            Some(bare) => (
                format!(", where bare threads got {:.2}×", bare.speedup_vs_sync),
                "the cores were free, and the runtime did not turn them into speed",
            ),
            None => (
                String::new(),
                "no yardstick says whether the cores were free",
            ),
        };
        format!(
            "an event loop with more threads can speed up CPU work when the work is split into tasks, but this run does not show it — {tasks}, {speedup:.2}× sync{bare}: {why}"
        )
    };
    // The average sum's time on one core: sync's wall time over the jobs.
    let per_task = if row.tasks > 0 && speedup > 0.0 {
        format!(
            ", about {} each",
            seconds(row.wall_s * speedup / row.tasks as f64)
        )
    } else {
        String::new()
    };
    format!(
        "The twist: {gain}; but a task that never yields still holds its thread: each sum ran to its end on the worker that took it{per_task}, so with fewer tasks than workers, or one long sum, the other workers would have nothing to steal."
    )
}

/// Whether bare threads fell short of [`TARGET_SHARE`] of their cores:
/// something else was using the cores during the run.
fn busy(bare: &Yardstick) -> bool {
    bare.threads > 1 && bare.speedup_vs_sync < TARGET_SHARE * bare.threads as f64
}

fn sweep_sentence(sweep: &[RunResult]) -> Option<String> {
    let fastest = sweep.iter().min_by(|a, b| a.wall_s.total_cmp(&b.wall_s))?;
    let largest = sweep.iter().max_by_key(|r| r.workers)?;
    // The smallest pool within 10% of the fastest: where more threads stop helping.
    let enough = sweep
        .iter()
        .filter(|r| r.wall_s <= fastest.wall_s * 1.1)
        .min_by_key(|r| r.workers)?;
    let at = |workers: usize| sweep.iter().find(|r| r.workers == workers);
    let five_to_ten = match (at(5), at(10)) {
        (Some(five), Some(ten)) => format!(
            " From 5 to 10 threads (the tutorial's advice) the time went from {} to {}.",
            seconds(five.wall_s),
            seconds(ten.wall_s)
        ),
        _ => String::new(),
    };
    if enough.workers < largest.workers {
        Some(format!(
            "sweep: {} threads came within 10% of the best time ({} with {} threads); past that, more threads barely help — there are not enough downloads left to overlap.{five_to_ten}",
            enough.workers,
            seconds(fastest.wall_s),
            fastest.workers
        ))
    } else {
        Some(format!(
            "sweep: every size helped, up to {} threads ({}), because each of the {} downloads is a wait the slow site serves in parallel; but each extra thread saves less ({} → {} threads: {} → {}), and a real site would slow down or refuse long before.{five_to_ten}",
            largest.workers,
            seconds(largest.wall_s),
            largest.tasks,
            enough.workers / 2,
            enough.workers,
            at(enough.workers / 2).map_or_else(|| "?".into(), |r| seconds(r.wall_s)),
            seconds(enough.wall_s)
        ))
    }
}

/// The sentence about the cpu yardstick (bare threads, no pool): what the
/// machine allowed in parallel during this run, which the multi-core rows
/// are judged against. Also says how the cpu rows were measured: the
/// median of how many rounds. `None` when no yardstick was measured.
///
/// # Examples
///
/// ```
/// use handspun::report::summary::yardstick_sentence;
/// use handspun::workloads::Yardstick;
///
/// let bare = Yardstick { threads: 2, wall_s: 0.0225, speedup_vs_sync: 1.98 };
/// let sentence = yardstick_sentence(Some(&bare), &[]).unwrap();
/// assert!(sentence.contains("1.98×"));
/// assert!(!sentence.contains("something else"));
/// // A busy machine is named as such.
/// let busy = Yardstick { speedup_vs_sync: 1.25, ..bare };
/// let sentence = yardstick_sentence(Some(&busy), &[]).unwrap();
/// assert!(sentence.contains("something else was using the cores"));
/// assert!(yardstick_sentence(None, &[]).is_none());
/// ```
pub fn yardstick_sentence(yardstick: Option<&Yardstick>, results: &[RunResult]) -> Option<String> {
    let bare = yardstick?;
    let runs = results
        .iter()
        .find(|r| r.workload == Workload::Cpu)
        .map_or(1, |r| r.runs);
    let cores = bare.threads as f64;
    let busy = if busy(bare) {
        format!(
            " Even bare threads fell short of {:.0}% of {} cores: something else was using the cores during this run; the targets above are relative to the yardstick, so they still compare the models fairly, but run it again on an idle machine for figures to quote.",
            TARGET_SHARE * 100.0,
            bare.threads
        )
    } else if bare.speedup_vs_sync > BEYOND_CORES * cores {
        format!(
            " Bare threads beat {} cores by more than {:.0}%, which cores alone cannot do: something else slowed sync's runs, so every cpu speedup of this run is inflated; run it again on an idle machine.",
            bare.threads,
            (BEYOND_CORES - 1.0) * 100.0
        )
    } else {
        String::new()
    };
    Some(format!(
        "cpu yardstick: {} bare threads (no pool, a fixed share of the list each) took {}, {:.2}× sync — what this machine allowed in parallel during this run. Each cpu row is the median of {runs} round(s), every model and the bare threads taking turns in each, bare threads just before each multi-core model.{busy}",
        bare.threads,
        seconds(bare.wall_s),
        bare.speedup_vs_sync,
    ))
}
