//! # Tuning: what the runtimes do only for speed, kept in one room
//!
//! The runtimes' own files show the idea — the queue, the lock, the loop,
//! the pipe — and nothing else. What they do only to go faster on a real
//! machine lives here, where a reader can skip it on the first pass and find
//! it all on the second:
//!
//! - [`affinity`] — *pinning*: binding a pool's worker to one core, so the
//!   kernel cannot put two busy workers on one core while another idles.
//!   Off by default; both pools take it through `Builder::pin_workers`.
//! - `spin` — *spinning before sleeping*: a waiter that expects its answer
//!   within microseconds looks again for a moment before it sleeps, so the
//!   thread that answers need not wake it. Both pools use the one helper.
//!   The process pool's waits for a reply or a result spin only while
//!   replies have been coming that fast (`spin::QuickAnswers`); the
//!   measurements are in `docs/benchmarks/procpool.md`, "Spinning on and
//!   off".
//!
//! Each piece says what it buys and what it costs; the measurements, with
//! the commands that reproduce them, are in `docs/benchmarks/tuning.md`. A
//! piece that no longer buys a gain a rerun can show is deleted, not kept
//! "just in case".

pub mod affinity;
pub(crate) mod in_place;
pub(crate) mod spin;
