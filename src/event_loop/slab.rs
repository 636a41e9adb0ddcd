//! `Slab`: a vector of slots with a free list — stable small integer keys.
//!
//! The loop names things by index: a live task by its registry key, an I/O
//! source by its `mio::Token`, a timer by its slot. Freed slots are reused,
//! so memory stays proportional to the peak number of live entries.
//! (The `slab` crate does the same with more features.)

#![forbid(unsafe_code)]

/// One slot.
#[derive(Debug)]
enum Slot<T> {
    /// Holds a value.
    Occupied(T),
    /// Free; links to the next free slot (or `usize::MAX` for none).
    Vacant(usize),
}

/// A vector of slots with a free list.
#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// Head of the free list, or `usize::MAX` when every slot is occupied.
    free_head: usize,
    /// Number of occupied slots.
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free_head: usize::MAX,
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// Stores `value`, returns its key.
    pub(crate) fn insert(&mut self, value: T) -> usize {
        self.len += 1;
        if self.free_head == usize::MAX {
            self.slots.push(Slot::Occupied(value));
            self.slots.len() - 1
        } else {
            let key = self.free_head;
            let slot = std::mem::replace(&mut self.slots[key], Slot::Occupied(value));
            self.free_head = match slot {
                Slot::Vacant(next) => next,
                Slot::Occupied(_) => usize::MAX, // free list never links an occupied slot
            };
            key
        }
    }

    /// Removes and returns the value at `key`, if occupied.
    pub(crate) fn remove(&mut self, key: usize) -> Option<T> {
        let slot = self.slots.get_mut(key)?;
        if !matches!(slot, Slot::Occupied(_)) {
            return None;
        }
        match std::mem::replace(slot, Slot::Vacant(self.free_head)) {
            Slot::Occupied(value) => {
                self.free_head = key;
                self.len -= 1;
                Some(value)
            }
            Slot::Vacant(_) => None,
        }
    }

    /// The value at `key`, if occupied.
    pub(crate) fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        match self.slots.get_mut(key) {
            Some(Slot::Occupied(value)) => Some(value),
            _ => None,
        }
    }

    /// The value at `key`, if occupied.
    #[cfg(test)]
    pub(crate) fn get(&self, key: usize) -> Option<&T> {
        match self.slots.get(key) {
            Some(Slot::Occupied(value)) => Some(value),
            _ => None,
        }
    }

    /// The occupied slots' values, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|slot| match slot {
            Slot::Occupied(value) => Some(value),
            Slot::Vacant(_) => None,
        })
    }

    /// Number of occupied slots.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Removes every value, returning them.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let slots = std::mem::take(&mut self.slots);
        self.free_head = usize::MAX;
        self.len = 0;
        slots
            .into_iter()
            .filter_map(|slot| match slot {
                Slot::Occupied(value) => Some(value),
                Slot::Vacant(_) => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Slab;

    #[test]
    fn reuses_freed_keys() {
        let mut slab = Slab::default();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.remove(a), None);
        let c = slab.insert("c");
        assert_eq!(c, a);
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.drain().len(), 2);
        assert_eq!(slab.len(), 0);
    }
}
