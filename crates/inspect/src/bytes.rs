//! Bounds-checked reads: every walker reads through these, so a short input is a `None`,
//! never a panic.

pub(crate) fn slice(data: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    data.get(at..at.checked_add(len)?)
}

pub(crate) fn array<const N: usize>(data: &[u8], at: usize) -> Option<[u8; N]> {
    slice(data, at, N)?.try_into().ok()
}

pub(crate) fn u8_at(data: &[u8], at: usize) -> Option<u8> {
    data.get(at).copied()
}

pub(crate) fn be16(data: &[u8], at: usize) -> Option<u16> {
    array(data, at).map(u16::from_be_bytes)
}

pub(crate) fn be32(data: &[u8], at: usize) -> Option<u32> {
    array(data, at).map(u32::from_be_bytes)
}

pub(crate) fn le16(data: &[u8], at: usize) -> Option<u16> {
    array(data, at).map(u16::from_le_bytes)
}

pub(crate) fn le32(data: &[u8], at: usize) -> Option<u32> {
    array(data, at).map(u32::from_le_bytes)
}

/// True when `data` holds `needle` at `at`.
pub(crate) fn has(data: &[u8], at: usize, needle: &[u8]) -> bool {
    slice(data, at, needle.len()) == Some(needle)
}

/// True when `needle` occurs anywhere in `hay`. Callers bound `hay` to one structure, so the
/// cost stays linear in the input.
pub(crate) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|window| window == needle)
}

/// Offset of the first `0xFF` at or after `from`, eight bytes at a time: JPEG entropy data is
/// the only part of any format we read byte by byte, so this loop sets our throughput.
pub(crate) fn find_ff(data: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let rest = data.get(from..)?;
    let mut words = rest.chunks_exact(8);
    let mut offset = from;
    for word in words.by_ref() {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        // A byte of `!x` is zero exactly where `x` holds 0xFF.
        let inverted = !u64::from_le_bytes(bytes);
        if inverted.wrapping_sub(ONES) & !inverted & HIGHS != 0 {
            return word.iter().position(|&b| b == 0xFF).map(|i| offset + i);
        }
        offset += 8;
    }
    let tail = words.remainder();
    tail.iter().position(|&b| b == 0xFF).map(|i| offset + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stop_at_the_end() {
        assert_eq!(be32(&[1, 2, 3], 0), None);
        assert_eq!(be16(&[1, 2, 3], 1), Some(0x0203));
        assert_eq!(le32(&[1, 0, 0, 0], 0), Some(1));
        assert_eq!(slice(&[1, 2], usize::MAX, 2), None);
    }

    #[test]
    fn find_ff_matches_a_plain_search() {
        let mut data = vec![0u8; 40];
        for at in 0..40 {
            data.fill(0x12);
            data[at] = 0xFF;
            for from in 0..40 {
                let expected = data[from..]
                    .iter()
                    .position(|&b| b == 0xFF)
                    .map(|i| from + i);
                assert_eq!(find_ff(&data, from), expected, "ff at {at}, from {from}");
            }
        }
        assert_eq!(find_ff(&data, 41), None);
    }
}
