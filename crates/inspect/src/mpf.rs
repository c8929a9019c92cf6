//! JPEG Multi-Picture Format: the APP2 `MPF\0` segment holds a TIFF-structured index of the
//! images stored one after another in the file (MPO stereo pairs, previews, gain maps).

use crate::bytes::{be16, be32, le16, le32, slice};
use crate::jpeg;
use crate::payload::{MAX_PADDING, is_padding};
use crate::walk::Outcome;

const MP_ENTRY_TAG: u16 = 0xB002;
const ENTRY_LEN: usize = 16;
const IFD_ENTRY_LEN: usize = 12;

/// End of the last indexed secondary image, when at least one follows the primary image
/// (which ends at `primary_end`). `base` is the TIFF header inside the APP2 segment; index
/// offsets count from it.
///
/// Secondary images are accepted in file order while each is a complete JPEG that starts
/// where the previous one ended (give or take writer padding). A gap or a broken image stops
/// the run, so an index cannot vouch for bytes it does not describe, and no byte is walked
/// twice however many entries the index has.
pub(crate) fn secondary_images_end(data: &[u8], base: usize, primary_end: usize) -> Option<usize> {
    let mut starts = secondary_starts(data, base)?;
    starts.sort_unstable();
    starts.dedup();
    let mut cursor = primary_end;
    for start in starts {
        // An entry inside an image already accepted (or the primary) describes nothing new.
        if start < cursor {
            continue;
        }
        if !only_padding(data, cursor, start) {
            break;
        }
        match jpeg::walk_one(data, start).walk.outcome {
            Outcome::Complete { end, .. } if jpeg::starts_jpeg(data, start) => cursor = end,
            _ => break,
        }
    }
    (cursor > primary_end).then_some(cursor)
}

fn only_padding(data: &[u8], from: usize, to: usize) -> bool {
    to - from <= MAX_PADDING
        && data
            .get(from..to)
            .is_some_and(|gap| gap.iter().all(|&b| is_padding(b)))
}

/// Absolute offsets of the images the MP index lists, the primary (offset 0) left out.
fn secondary_starts(data: &[u8], base: usize) -> Option<Vec<usize>> {
    let tiff = Tiff::at(data, base)?;
    let (count, offset) = tiff.mp_entry_field()?;
    let entries = slice(
        data,
        base.checked_add(offset)?,
        count / ENTRY_LEN * ENTRY_LEN,
    )?;
    let starts = entries
        .chunks_exact(ENTRY_LEN)
        .filter_map(|entry| tiff.u32_in(entry, 8))
        .filter(|&offset| offset != 0)
        .filter_map(|offset| base.checked_add(offset))
        .collect();
    Some(starts)
}

/// A TIFF header and the byte order it declares.
struct Tiff<'a> {
    data: &'a [u8],
    base: usize,
    little_endian: bool,
}

impl<'a> Tiff<'a> {
    fn at(data: &'a [u8], base: usize) -> Option<Tiff<'a>> {
        let little_endian = match slice(data, base, 4)? {
            b"II*\0" => true,
            b"MM\0*" => false,
            _ => return None,
        };
        Some(Tiff {
            data,
            base,
            little_endian,
        })
    }

    fn u16_in(&self, bytes: &[u8], at: usize) -> Option<u16> {
        if self.little_endian {
            le16(bytes, at)
        } else {
            be16(bytes, at)
        }
    }

    fn u32_in(&self, bytes: &[u8], at: usize) -> Option<usize> {
        let value = if self.little_endian {
            le32(bytes, at)
        } else {
            be32(bytes, at)
        };
        value.and_then(|v| usize::try_from(v).ok())
    }

    /// `(byte count, offset)` of the MPEntry field of the first IFD.
    fn mp_entry_field(&self) -> Option<(usize, usize)> {
        let ifd = self
            .base
            .checked_add(self.u32_in(self.data, self.base + 4)?)?;
        let fields = usize::from(self.u16_in(self.data, ifd)?);
        let table = slice(self.data, ifd + 2, fields.checked_mul(IFD_ENTRY_LEN)?)?;
        let field = table
            .chunks_exact(IFD_ENTRY_LEN)
            .find(|field| self.u16_in(field, 0) == Some(MP_ENTRY_TAG))?;
        Some((self.u32_in(field, 4)?, self.u32_in(field, 8)?))
    }
}

#[cfg(test)]
mod tests {
    use crate::jpeg::tests::tiny_jpeg;
    use crate::report::EndRule;
    use crate::walk::Outcome;

    /// A JPEG whose APP2 MPF index lists itself and `second`, stored `gap` bytes after it.
    fn mpo(second: &[u8], gap: &[u8]) -> Vec<u8> {
        let first_rest = &tiny_jpeg(&[1, 2, 3])[2..];
        // APP2: "MPF\0", big-endian TIFF header, IFD with one MPEntry field, two entries.
        let mut index = b"MPF\0MM\0*\0\0\0\x08".to_vec();
        index.extend([0, 1, 0xB0, 0x02, 0, 7, 0, 0, 0, 32, 0, 0, 0, 26]);
        index.extend([0, 0, 0, 0]);
        let app2_len = 2 + index.len() + 32;
        let first_len = 2 + 2 + app2_len + first_rest.len();
        // Index offsets count from the TIFF header, 10 bytes into the file.
        let second_offset = (first_len + gap.len() - 10) as u32;
        let entries: [[u8; 4]; 8] = [
            [0; 4],
            (first_len as u32).to_be_bytes(),
            [0; 4],
            [0; 4],
            [0; 4],
            (second.len() as u32).to_be_bytes(),
            second_offset.to_be_bytes(),
            [0; 4],
        ];
        index.extend(entries.concat());
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE2];
        out.extend((app2_len as u16).to_be_bytes());
        out.extend(index);
        out.extend(first_rest);
        out.extend(gap);
        out.extend(second);
        out
    }

    fn outcome(data: &[u8]) -> Option<Outcome> {
        crate::jpeg::walk(data).map(|w| w.outcome)
    }

    #[test]
    fn indexed_secondary_image_is_part_of_the_image() {
        let file = mpo(&tiny_jpeg(&[4, 5]), b"");
        let end = file.len();
        assert_eq!(
            outcome(&file),
            Some(Outcome::Complete {
                end,
                rule: EndRule::JpegMpfIndex
            })
        );
    }

    #[test]
    fn padding_between_images_is_forgiven_but_a_gap_is_not() {
        let padded = mpo(&tiny_jpeg(&[4, 5]), &[0, 0]);
        let rule = outcome(&padded)
            .map(|o| matches!(o, Outcome::Complete { rule, .. } if rule == EndRule::JpegMpfIndex));
        assert_eq!(rule, Some(true));
        let gap = mpo(&tiny_jpeg(&[4, 5]), b"PK\x03\x04 hidden");
        assert!(matches!(
            outcome(&gap),
            Some(Outcome::Complete {
                rule: EndRule::JpegEoi,
                ..
            })
        ));
    }

    #[test]
    fn a_broken_secondary_image_is_not_accepted() {
        let file = mpo(b"\xFF\xD8\xFF\xDBnot a jpeg", b"");
        assert!(matches!(
            outcome(&file),
            Some(Outcome::Complete {
                rule: EndRule::JpegEoi,
                ..
            })
        ));
    }
}
