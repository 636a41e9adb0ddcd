//! Tuning: [`CachePadded`] keeps a value on cache lines of its own.
//!
//! A core writes memory a cache line at a time, and a line written by one
//! core must be fetched back by every other core that reads or writes it.
//! Two values that are written by different workers but happen to sit on
//! one line make both workers wait for it on every write, though they share
//! nothing ("false sharing"). The runtime's worker slots sit side by side
//! in one array, the registry's shards too, and the idle word every push
//! reads with a read-modify-write sat next to fields every turn reads.
//! Wrapping each in `CachePadded` gives it lines of its own.
//!
//! The alignment is two lines, not one: x86 cores fetch lines in adjacent
//! pairs, so a neighbour on the other half of the pair still costs. This is
//! `crossbeam_utils::CachePadded`'s choice, and tokio uses that type for the
//! same fields. What it buys is measured in `docs/multi_thread.md` ("Where
//! the time went").

#![forbid(unsafe_code)]

use std::ops::Deref;

/// `T`, aligned (and so padded) to two cache lines.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(T);

impl<T> CachePadded<T> {
    /// Wraps `value`.
    pub(crate) const fn new(value: T) -> CachePadded<T> {
        CachePadded(value)
    }
}

impl<T> Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn neighbours_in_an_array_never_share_a_line_pair() {
        let slots: Vec<CachePadded<u64>> = (0..3).map(CachePadded::new).collect();
        let first = &*slots[0] as *const u64 as usize;
        let second = &*slots[1] as *const u64 as usize;
        assert_eq!(first % 128, 0);
        assert_eq!(second - first, 128);
        assert_eq!(*slots[2], 2);
    }
}
