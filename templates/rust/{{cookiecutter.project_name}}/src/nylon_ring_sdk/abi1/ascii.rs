//! An ASCII test for request strings: one pass over each, a word at a time, so the
//! usual all-ASCII request is settled as UTF-8 without the full check.

use super::super::bytes::word;

/// The bit of every byte that is set only outside ASCII.
pub(crate) const NOT_ASCII: u64 = 0x8080_8080_8080_8080;

/// Every byte of `bytes` OR-ed together (spread over a word): `& NOT_ASCII` is zero
/// exactly when `bytes` is ASCII. OR the results of several strings to test them all
/// with one branch.
#[inline(always)]
pub(crate) fn or_bits(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    match len {
        0 => 0,
        1..=3 => u64::from(bytes[0] | bytes[len / 2] | bytes[len - 1]),
        4..=7 => {
            u64::from(u32::from_ne_bytes(word(bytes, 0)) | u32::from_ne_bytes(word(bytes, len - 4)))
        }
        8..=16 => u64::from_ne_bytes(word(bytes, 0)) | u64::from_ne_bytes(word(bytes, len - 8)),
        _ => {
            let chunks = bytes.chunks_exact(8);
            let tail = u64::from_ne_bytes(word(bytes, len - 8));
            chunks.fold(tail, |acc, chunk| acc | u64::from_ne_bytes(word(chunk, 0)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` bytes of printable ASCII that differ from position to position.
    fn text(len: usize) -> Vec<u8> {
        (0..len).map(|i| b'a' + (i % 26) as u8).collect()
    }

    #[test]
    fn or_bits_finds_a_non_ascii_byte_anywhere() {
        for len in 0..40 {
            let ascii = text(len);
            assert_eq!(or_bits(&ascii) & NOT_ASCII, 0, "len {len}");
            for at in 0..len {
                let mut other = ascii.clone();
                other[at] = 0xC3;
                assert_ne!(or_bits(&other) & NOT_ASCII, 0, "len {len}, at {at}");
            }
        }
    }
}
