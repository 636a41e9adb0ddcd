//! # Tuning: what the runtimes do only for speed, kept in one room
//!
//! The runtimes' own files show the idea — the queue, the lock, the loop,
//! the pipe — and nothing else. What they do only to go faster on a real
//! machine lives here, where a reader can skip it on the first pass and find
//! it all on the second:
//!
//! - `spin` — *spinning before sleeping*: a waiter that expects its answer
//!   within microseconds looks again for a moment before it sleeps, so the
//!   thread that answers need not wake it. Both pools use the one helper,
//!   `spin_then_sleep`; `Spinners` counts the idle threads spinning for work
//!   (so a push wakes a sleeper only for work beyond them) and caps them in
//!   the thread pool; the process pool's waits for a reply spin only while
//!   replies have been coming quickly (`QuickAnswers`).
//! - `in_place` — *results written in place*: `map`'s batches, `'static`
//!   jobs, write straight into their parts of the final vector, so the
//!   caller copies nothing at the end. The crate's one `unsafe` piece that
//!   is there only for speed.
//!
//! Each piece says what it buys and what it costs; the measurements, with
//! the commands that reproduce them, are in `docs/benchmarks/tuning.md`. A
//! piece that no longer buys a gain a rerun can show is deleted, not kept
//! "just in case" — pinning workers to cores went that way
//! (`docs/benchmarks/tuning.md`, "Pinning, removed").

pub(crate) mod in_place;
pub(crate) mod spin;
