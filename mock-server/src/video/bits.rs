//! Bit-level writer for H.264 syntax elements (fixed-width and Exp-Golomb codes).

#[derive(Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    /// Bits already used in the last byte (0 = byte aligned).
    used: u8,
}

impl BitWriter {
    pub fn with_capacity(bytes: usize) -> Self {
        BitWriter {
            bytes: Vec::with_capacity(bytes),
            used: 0,
        }
    }

    pub fn bit(&mut self, bit: bool) {
        if self.used == 0 {
            self.bytes.push(0);
        }
        if bit {
            let last = self.bytes.len() - 1;
            self.bytes[last] |= 0x80 >> self.used;
        }
        self.used = (self.used + 1) % 8;
    }

    /// The `count` low bits of `value`, most significant first (`u(n)`).
    pub fn bits(&mut self, value: u64, count: u8) {
        for shift in (0..count).rev() {
            self.bit((value >> shift) & 1 == 1);
        }
    }

    /// Unsigned Exp-Golomb (`ue(v)`).
    pub fn ue(&mut self, value: u32) {
        let coded = u64::from(value) + 1;
        let length = 64 - coded.leading_zeros() as u8;
        self.bits(0, length - 1);
        self.bits(coded, length);
    }

    /// Signed Exp-Golomb (`se(v)`).
    pub fn se(&mut self, value: i32) {
        let mapped = if value > 0 {
            (value as u32) * 2 - 1
        } else {
            value.unsigned_abs() * 2
        };
        self.ue(mapped);
    }

    pub fn is_aligned(&self) -> bool {
        self.used == 0
    }

    pub fn align_zero(&mut self) {
        while !self.is_aligned() {
            self.bit(false);
        }
    }

    /// Whole bytes; the writer must be aligned.
    pub fn bytes_aligned(&mut self, data: &[u8]) {
        debug_assert!(self.is_aligned());
        self.bytes.extend_from_slice(data);
    }

    /// `rbsp_trailing_bits()`: a stop bit, then zeros to the byte boundary.
    pub fn finish_rbsp(mut self) -> Vec<u8> {
        self.bit(true);
        self.align_zero();
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_golomb_codes() {
        let mut w = BitWriter::default();
        w.ue(0); // 1
        w.ue(1); // 010
        w.ue(2); // 011
        w.se(-1); // ue(2) = 011
        assert_eq!(w.finish_rbsp(), vec![0b1010_0110, 0b1110_0000]);
    }
}
