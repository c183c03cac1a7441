//! Decisions for the random part of a body, read from a list of numbers.

/// Reads decisions from a list of numbers: shrinking the list towards zeros makes the body
/// simpler, so a failure shrinks to a small example.
pub struct Choices<'a> {
    numbers: &'a [u32],
    next: usize,
}

impl<'a> Choices<'a> {
    /// Decisions read from `numbers`; past their end every decision is the first choice.
    pub fn new(numbers: &'a [u32]) -> Self {
        Choices { numbers, next: 0 }
    }
}

impl Choices<'_> {
    pub fn pick(&mut self, count: usize) -> usize {
        let n = self.numbers.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        if count == 0 {
            0
        } else {
            n as usize % count
        }
    }

    pub fn coin(&mut self) -> bool {
        self.pick(2) == 1
    }
}
