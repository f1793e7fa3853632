//! Short byte strings on the fast path: equality and copies.
//!
//! Entry names, methods, paths and header fields are mostly 1 to 16 bytes. For
//! those, two overlapping word loads (the first and the last 4 or 8 bytes) cover
//! the whole string, which beats a call into `memcmp`/`memcpy` or a byte loop.
//! Longer strings take the standard library's routines.

use core::mem::MaybeUninit;

/// `N` bytes of `bytes` from `at` (zeros past the end; callers stay inside).
#[inline(always)]
pub(crate) fn word<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0; N];
    if let Some(part) = bytes.get(at..at + N) {
        out.copy_from_slice(part);
    }
    out
}

/// Whether `a` and `b` hold the same bytes.
#[inline(always)]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    match len {
        0 => true,
        1..=3 => a[0] == b[0] && a[len / 2] == b[len / 2] && a[len - 1] == b[len - 1],
        4..=7 => {
            word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, len - 4) == word::<4>(b, len - 4)
        }
        8..=16 => {
            word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, len - 8) == word::<8>(b, len - 8)
        }
        _ => a == b,
    }
}

/// Runs `f` on `parts` joined end to end: in a `CAP`-byte stack buffer when they fit
/// (no allocation), else in a `Vec`.
#[inline]
pub(crate) fn joined<const CAP: usize, R>(parts: &[&[u8]], f: impl FnOnce(&[u8]) -> R) -> R {
    let total = parts
        .iter()
        .fold(0usize, |sum, part| sum.saturating_add(part.len()));
    if total > CAP {
        return f(&parts.concat());
    }
    let mut buffer = [MaybeUninit::<u8>::uninit(); CAP];
    let base = buffer.as_mut_ptr().cast::<u8>();
    let mut end = 0;
    for part in parts {
        // SAFETY: `end + part.len()` never exceeds `total`, which fits in the buffer;
        // a part never overlaps the buffer, which this function owns.
        unsafe { copy_short(part, base.add(end)) };
        end += part.len();
    }
    // SAFETY: the first `end` bytes were all written above.
    f(unsafe { core::slice::from_raw_parts(base.cast_const(), end) })
}

/// Copies `src` to `dst`.
///
/// # Safety
/// `dst` is valid for `src.len()` byte writes and does not overlap `src`.
#[inline(always)]
unsafe fn copy_short(src: &[u8], dst: *mut u8) {
    let len = src.len();
    let at = |offset: usize| {
        // SAFETY: every offset used below is below `len`, inside both buffers.
        unsafe { dst.add(offset) }
    };
    // SAFETY (all writes): inside `dst`, per the contract; unaligned writes are allowed.
    unsafe {
        match len {
            0 => {}
            1..=3 => {
                at(0).write(src[0]);
                at(len / 2).write(src[len / 2]);
                at(len - 1).write(src[len - 1]);
            }
            4..=7 => {
                let (head, tail) = (word::<4>(src, 0), word::<4>(src, len - 4));
                at(0).cast::<[u8; 4]>().write_unaligned(head);
                at(len - 4).cast::<[u8; 4]>().write_unaligned(tail);
            }
            8..=16 => {
                let (head, tail) = (word::<8>(src, 0), word::<8>(src, len - 8));
                at(0).cast::<[u8; 8]>().write_unaligned(head);
                at(len - 8).cast::<[u8; 8]>().write_unaligned(tail);
            }
            _ => core::ptr::copy_nonoverlapping(src.as_ptr(), dst, len),
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
    fn same_agrees_with_slice_equality_at_every_length_and_position() {
        for len in 0..40 {
            let a = text(len);
            assert!(same(&a, &a.clone()));
            assert!(!same(&a, &text(len + 1)));
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same(&a, &b), "len {len}, differs at {at}");
            }
        }
    }

    #[test]
    fn joined_equals_concat_on_the_stack_and_on_the_heap() {
        let lens = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 100, 200, 300];
        for &a in &lens {
            for &b in &lens {
                for &c in &lens {
                    let parts = [text(a), vec![b' '], text(b), text(c)];
                    let views: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
                    let got = joined::<256, _>(&views, |bytes| bytes.to_vec());
                    assert_eq!(got, views.concat(), "parts {a}, 1, {b}, {c}");
                }
            }
        }
    }
}
