//! Results written in place: `'static` jobs fill disjoint parts of one final vector.
//!
//! The thread pool's `map` cuts its items into batches, and each batch runs
//! as a `'static` job: it cannot borrow the caller's output vector, so the
//! plain way is for every batch to return a `Vec` of its own and for the
//! caller to append them all into the final vector once they are done. For
//! tiny items that last copy costs about as much as the work itself, and it
//! runs on one thread, after everything else: it is the longest part of the
//! critical path. rayon avoids it by having each worker write straight into
//! its own slice of the final vector.
//!
//! [`InPlace`] does the same for `'static` jobs. It owns the final vector's
//! storage, uninitialised, and hands out one [`PartWriter`] per batch, each
//! for its own range of slots; a writer is the only way to write a slot, and
//! no two writers share one. When a writer is dropped it publishes how many
//! slots it filled. Once every part is published and full,
//! [`InPlace::into_vec`] turns the storage into the `Vec` without copying.
//!
//! This needs `unsafe` (the storage is shared between threads and filled
//! piecewise), which is why it lives here and not in the thread pool, whose
//! files forbid it. What it buys: `docs/benchmarks/tuning.md`.
//!
//! # The protocol, and why it is sound
//!
//! - Each part's state is [`WRITING`] while its writer lives, then the
//!   number of slots the writer filled (a prefix of the part). Only the
//!   writer changes it, once, with `Release`.
//! - A slot is written only through its part's writer, which owns the part
//!   exclusively (`PartWriter` is not `Clone`, and parts never overlap).
//! - A slot is read or dropped only after an `Acquire` load of its part's
//!   state shows the writer gone and the slot among those filled; from then
//!   on nobody writes it again. So no slot is ever accessed by two threads
//!   at once, and every read sees the write.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A part's state while its writer is alive (any other value: the count of
/// slots it filled).
const WRITING: usize = usize::MAX;

/// The storage of a vector whose parts are filled by different threads.
pub(crate) struct InPlace<R> {
    /// The final vector's slots, uninitialised until a writer fills them.
    slots: Box<[UnsafeCell<MaybeUninit<R>>]>,
    /// Per part: where it starts in `slots`, its length, and its state
    /// ([`WRITING`], or how many of its first slots are filled).
    parts: Box<[Part]>,
}

/// One part's place in the storage and its state.
struct Part {
    /// Index of its first slot.
    start: usize,
    /// Number of slots.
    len: usize,
    /// [`WRITING`] while the writer lives; then the number of filled slots,
    /// which are the part's first ones. Reset to 0 when they are taken.
    filled: AtomicUsize,
}

// SAFETY: the slots hold `R`s that cross threads (written by a worker, read
// by the caller), hence `R: Send`. Shared access is safe because every slot
// is touched by one thread at a time, under the protocol in the module docs:
// only its part's single writer writes it, and only after the writer has
// published (Release/Acquire) does anyone read or drop it.
unsafe impl<R: Send> Sync for InPlace<R> {}

impl<R> InPlace<R> {
    /// Storage for parts of the given lengths, back to back, and one writer
    /// per part, in order.
    pub(crate) fn new(lengths: &[usize]) -> (Arc<InPlace<R>>, Vec<PartWriter<R>>) {
        let total = lengths.iter().sum();
        let slots = (0..total)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect();
        let mut start = 0;
        let parts = lengths
            .iter()
            .map(|&len| {
                let part = Part {
                    start,
                    len,
                    filled: AtomicUsize::new(WRITING),
                };
                start += len;
                part
            })
            .collect();
        let storage = Arc::new(InPlace { slots, parts });
        let writers = (0..lengths.len())
            .map(|part| PartWriter {
                storage: Arc::clone(&storage),
                part,
                filled: 0,
            })
            .collect();
        (storage, writers)
    }

    /// How many parts the storage has.
    pub(crate) fn parts(&self) -> usize {
        self.parts.len()
    }

    /// Whether every part has been filled completely by a writer that is
    /// gone (and nothing was taken out).
    pub(crate) fn is_complete(&self) -> bool {
        self.parts
            .iter()
            .all(|part| part.filled.load(Ordering::Acquire) == part.len)
    }

    /// Moves the filled values of part `part` out, into a `Vec` of their
    /// own (a copy: the slow path, for a caller that takes results one batch
    /// at a time). The part counts as empty afterwards.
    ///
    /// # Panics
    ///
    /// If the part's writer is still alive: the caller must wait for the
    /// batch first.
    pub(crate) fn take_part(&self, part: usize) -> Vec<R> {
        let state = &self.parts[part].filled;
        let mut filled = state.load(Ordering::Acquire);
        // Claim the filled slots by setting the count to 0, so that a second
        // taker (or `Drop`) finds none of them.
        loop {
            assert_ne!(
                filled, WRITING,
                "a part was taken while its writer was writing"
            );
            match state.compare_exchange(filled, 0, Ordering::Acquire, Ordering::Acquire) {
                Ok(_) => break,
                Err(now) => filled = now,
            }
        }
        let start = self.parts[part].start;
        (start..start + filled)
            // SAFETY: the writer is gone and filled these slots (the Acquire
            // above saw its Release), and this call alone claimed them.
            .map(|slot| unsafe { (*self.slots[slot].get()).assume_init_read() })
            .collect()
    }

    /// The whole vector, without copying, if every part is complete;
    /// otherwise the storage back (nothing is lost: its `Drop` drops the
    /// values in it).
    pub(crate) fn into_vec(storage: Arc<InPlace<R>>) -> Result<Vec<R>, Arc<InPlace<R>>> {
        if !storage.is_complete() {
            return Err(storage);
        }
        // Every writer is gone, so this is normally the last reference.
        let mut storage = Arc::try_unwrap(storage)?;
        let slots = std::mem::take(&mut storage.slots);
        // `storage`'s Drop now finds no slots, so it drops no value twice.
        for part in storage.parts.iter_mut() {
            *part.filled.get_mut() = 0;
        }
        let raw = Box::into_raw(slots) as *mut [R];
        // Every slot is initialised (every part is complete), and
        // `UnsafeCell<MaybeUninit<R>>` has the layout of `R` (both wrappers
        // are `repr(transparent)`).
        // SAFETY: so `raw` is a valid `[R]` of the same length, allocated by
        // the global allocator as a `Box<[R]>` would be.
        let values = unsafe { Box::from_raw(raw) };
        Ok(values.into_vec())
    }
}

impl<R> Drop for InPlace<R> {
    fn drop(&mut self) {
        for part in self.parts.iter_mut() {
            // With `&mut self` no writer is alive (each holds an `Arc`).
            let filled = *part.filled.get_mut();
            debug_assert_ne!(filled, WRITING);
            for slot in part.start..part.start + filled.min(part.len) {
                // SAFETY: the part's first `filled` slots were written and
                // not taken (taking resets `filled`), and `&mut self` means
                // no other thread can touch them.
                unsafe { self.slots[slot].get_mut().assume_init_drop() };
            }
        }
    }
}

/// The one writer of one part of an [`InPlace`]: fills its slots in order.
pub(crate) struct PartWriter<R> {
    /// The storage; keeps it alive while this writer may write.
    storage: Arc<InPlace<R>>,
    /// Which part this writer owns.
    part: usize,
    /// How many of the part's slots are filled so far.
    filled: usize,
}

impl<R> PartWriter<R> {
    /// Fills the part's next slots with `values`, in order, until either
    /// runs out. If producing a value panics, the slots filled before it
    /// stay filled and counted.
    pub(crate) fn fill(&mut self, values: impl Iterator<Item = R>) {
        let part = &self.storage.parts[self.part];
        let free = &self.storage.slots[part.start + self.filled..part.start + part.len];
        for (slot, value) in free.iter().zip(values) {
            // SAFETY: the slot lies in this writer's part (`free` is a slice
            // of it), this writer is the part's only writer, and nobody reads
            // the part before this writer publishes on drop.
            unsafe { (*slot.get()).write(value) };
            self.filled += 1;
        }
    }

    /// Moves the values filled so far back out (for a batch that must hand
    /// back its results another way); the part is empty again.
    pub(crate) fn take_filled(&mut self) -> Vec<R> {
        let start = self.storage.parts[self.part].start;
        let values = (start..start + self.filled)
            // SAFETY: this writer filled these slots and nobody else may
            // touch them before it publishes; the count is reset below.
            .map(|slot| unsafe { (*self.storage.slots[slot].get()).assume_init_read() })
            .collect();
        self.filled = 0;
        values
    }
}

impl<R> Drop for PartWriter<R> {
    fn drop(&mut self) {
        // Publish: from here on the filled slots belong to the readers.
        self.storage.parts[self.part]
            .filled
            .store(self.filled, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_parts_become_the_vector() {
        let (storage, mut writers) = InPlace::new(&[2, 0, 3]);
        writers[2].fill([5, 6, 7].into_iter());
        writers[0].fill([1, 2, 99].into_iter()); // stops at the part's end
        assert!(!storage.is_complete(), "writers still alive");
        drop(writers);
        assert_eq!(InPlace::into_vec(storage).ok().unwrap(), [1, 2, 5, 6, 7]);
    }

    #[test]
    fn an_incomplete_part_is_refused_and_nothing_leaks() {
        let counted = Arc::new(());
        let (storage, mut writers) = InPlace::new(&[2, 2]);
        writers[0].fill(std::iter::repeat_with(|| Arc::clone(&counted)));
        writers[1].fill(std::iter::once(Arc::clone(&counted)));
        drop(writers);
        let storage = InPlace::into_vec(storage).expect_err("part 1 is short");
        assert_eq!(storage.take_part(1).len(), 1);
        assert_eq!(
            Arc::strong_count(&counted),
            3,
            "two in part 0, none in part 1"
        );
        drop(storage);
        assert_eq!(
            Arc::strong_count(&counted),
            1,
            "every value was dropped once"
        );
    }

    #[test]
    fn values_taken_back_by_the_writer_are_not_dropped_twice() {
        let counted = Arc::new(());
        let (storage, mut writers) = InPlace::new(&[3]);
        writers[0].fill(std::iter::repeat_with(|| Arc::clone(&counted)).take(2));
        let back = writers[0].take_filled();
        assert_eq!(back.len(), 2);
        drop(writers);
        drop(storage);
        assert_eq!(Arc::strong_count(&counted), 3);
        drop(back);
        assert_eq!(Arc::strong_count(&counted), 1);
    }

    #[test]
    fn zero_sized_values_work() {
        let (storage, mut writers) = InPlace::new(&[2, 1]);
        for writer in &mut writers {
            writer.fill(std::iter::repeat(()));
        }
        drop(writers);
        assert_eq!(InPlace::into_vec(storage).ok().unwrap().len(), 3);
    }
}
