//! BMP: the end comes from the header geometry, never from `bfSize` (which an attacker can
//! enlarge to cover appended data), and never from looking at pixels (arbitrary bytes).

use crate::bytes::{has, le16, le32, u8_at};
use crate::report::EndRule;
use crate::walk::{Break, Walk};

const FILE_HEADER_LEN: usize = 14;
const CORE_HEADER_LEN: u32 = 12;
const V5_HEADER_LEN: u32 = 124;
/// Every DIB header size in use: core (OS/2 1.x), OS/2 2.x (16 to 64), info, V2, V3, V4, V5.
const HEADER_LENS: [u32; 8] = [12, 16, 40, 52, 56, 64, 108, 124];

const PROFILE_EMBEDDED: u32 = u32::from_be_bytes(*b"MBED");
const PROFILE_LINKED: u32 = u32::from_be_bytes(*b"LINK");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pixels {
    /// Uncompressed rows padded to 4 bytes (also bit-field layouts).
    Rows,
    /// Run-length encoded; the value is the number of bits per pixel in absolute runs.
    Rle(u32),
    /// Compressed content whose size only the header states (JPEG, PNG, OS/2 Huffman).
    Sized,
}

#[derive(Clone, Copy, Debug)]
struct Header {
    pixels_at: usize,
    width: u64,
    height: u64,
    bits: u16,
    pixels: Pixels,
    image_size: u32,
    /// `(offset, length)` of a colour profile stored in the file (V5 only).
    profile: Option<(usize, usize)>,
}

/// `BM` followed by a header that a BMP reader would accept.
pub(crate) fn has_sane_header(data: &[u8]) -> bool {
    parse_header(data).is_some()
}

pub(crate) fn walk(data: &[u8]) -> Option<Walk> {
    let header = parse_header(data)?;
    Some(match pixels_end(data, &header) {
        Ok((pixels_end, rule)) => with_profile(data.len(), &header, pixels_end, rule),
        Err(cause) => Walk::broken(header.pixels_at.min(data.len()), cause),
    })
}

/// The profile of a V5 header may sit after the pixels; the image ends after both.
fn with_profile(len: usize, header: &Header, pixels_end: usize, rule: EndRule) -> Walk {
    let profile_end = header.profile.and_then(|(at, size)| at.checked_add(size));
    match profile_end {
        Some(end) if end > len => Walk::broken(pixels_end.min(len), Break::Truncated),
        Some(end) if end > pixels_end => Walk::complete(end, EndRule::BmpProfile),
        _ => Walk::complete(pixels_end, rule),
    }
}

fn parse_header(data: &[u8]) -> Option<Header> {
    if !has(data, 0, b"BM") {
        return None;
    }
    let pixels_at = le32(data, 10)? as usize;
    let header_len = le32(data, FILE_HEADER_LEN)?;
    if !HEADER_LENS.contains(&header_len) || pixels_at < FILE_HEADER_LEN + header_len as usize {
        return None;
    }
    let header = if header_len == CORE_HEADER_LEN {
        core_header(data, pixels_at)?
    } else {
        info_header(data, pixels_at, header_len)?
    };
    sane(&header).then_some(header)
}

/// OS/2 1.x: 16-bit unsigned dimensions, no compression.
fn core_header(data: &[u8], pixels_at: usize) -> Option<Header> {
    let planes = le16(data, 22)?;
    (planes == 1).then_some(())?;
    Some(Header {
        pixels_at,
        width: u64::from(le16(data, 18)?),
        height: u64::from(le16(data, 20)?),
        bits: le16(data, 24)?,
        pixels: Pixels::Rows,
        image_size: 0,
        profile: None,
    })
}

/// Windows info headers (40 to 124 bytes) and OS/2 2.x headers (16 to 64 bytes).
fn info_header(data: &[u8], pixels_at: usize, header_len: u32) -> Option<Header> {
    let field = |offset: usize| -> Option<u32> {
        let present = (offset + 4 - FILE_HEADER_LEN) as u32 <= header_len;
        if present { le32(data, offset) } else { Some(0) }
    };
    let width = le32(data, 18)? as i32;
    let height = le32(data, 22)? as i32;
    let planes = le16(data, 26)?;
    let bits = le16(data, 28)?;
    let os2 = !matches!(header_len, 40 | 52 | 56 | 108 | 124);
    let pixels = pixel_layout(field(30)?, bits, os2)?;
    (planes == 1 && width > 0 && height != 0).then_some(())?;
    Some(Header {
        pixels_at,
        width: u64::from(width.unsigned_abs()),
        height: u64::from(height.unsigned_abs()),
        bits,
        pixels,
        image_size: field(34)?,
        profile: profile(data, header_len),
    })
}

/// Compression codes mean different things in Windows and OS/2 2.x headers.
fn pixel_layout(compression: u32, bits: u16, os2: bool) -> Option<Pixels> {
    match (compression, os2) {
        (0, _) | (3, false) | (6, false) => Some(Pixels::Rows),
        (1, _) if bits == 8 => Some(Pixels::Rle(8)),
        (2, _) if bits == 4 => Some(Pixels::Rle(4)),
        (4, true) if bits == 24 => Some(Pixels::Rle(24)),
        (4, false) | (5, false) | (3, true) => Some(Pixels::Sized),
        _ => None,
    }
}

fn profile(data: &[u8], header_len: u32) -> Option<(usize, usize)> {
    if header_len != V5_HEADER_LEN {
        return None;
    }
    let cs_type = le32(data, FILE_HEADER_LEN + 56)?;
    if cs_type != PROFILE_EMBEDDED && cs_type != PROFILE_LINKED {
        return None;
    }
    // The profile offset counts from the start of the info header.
    let offset = le32(data, FILE_HEADER_LEN + 112)? as usize;
    let size = le32(data, FILE_HEADER_LEN + 116)? as usize;
    (size > 0).then_some((FILE_HEADER_LEN + offset, size))
}

fn sane(header: &Header) -> bool {
    match header.pixels {
        Pixels::Rows => matches!(header.bits, 1 | 2 | 4 | 8 | 16 | 24 | 32),
        Pixels::Rle(_) => true,
        Pixels::Sized => header.image_size > 0,
    }
}

/// End of the pixel data, or why it cannot be had.
fn pixels_end(data: &[u8], header: &Header) -> Result<(usize, EndRule), Break> {
    let (end, rule) = match header.pixels {
        Pixels::Rows => (
            rows_end(header).ok_or(Break::Truncated)?,
            EndRule::BmpGeometry,
        ),
        Pixels::Sized => {
            let end = header.pixels_at.checked_add(header.image_size as usize);
            (end.ok_or(Break::Truncated)?, EndRule::BmpEmbeddedImage)
        }
        Pixels::Rle(bits) => (rle_end(data, header, bits)?, EndRule::BmpRleEnd),
    };
    if end > data.len() {
        return Err(Break::Truncated);
    }
    Ok((end, rule))
}

fn rows_end(header: &Header) -> Option<usize> {
    let row_bits = header.width.checked_mul(u64::from(header.bits))?;
    let stride = row_bits.checked_add(31)? / 32 * 4;
    let size = stride.checked_mul(header.height)?;
    usize::try_from(size).ok()?.checked_add(header.pixels_at)
}

/// Walks an RLE stream to its end-of-bitmap escape, or to the end of the last row for writers
/// that leave the escape out.
fn rle_end(data: &[u8], header: &Header, bits: u32) -> Result<usize, Break> {
    let mut at = header.pixels_at;
    let mut row = 0u64;
    while row < header.height {
        let count = u8_at(data, at).ok_or(Break::Truncated)?;
        let value = u8_at(data, at + 1).ok_or(Break::Truncated)?;
        at += 2;
        match (count, value) {
            // An encoded run: RLE24 repeats a 3-byte colour, the others the byte just read.
            (1.., _) if bits == 24 => at += 2,
            (1.., _) => {}
            (0, 0) => row += 1,
            (0, 1) => return Ok(at),
            (0, 2) => {
                let rows_down = u8_at(data, at + 1).ok_or(Break::Truncated)?;
                row += u64::from(rows_down);
                at += 2;
            }
            (0, pixels) => at += absolute_run_len(usize::from(pixels), bits),
        }
    }
    Ok(after_optional_end_of_bitmap(data, at))
}

fn after_optional_end_of_bitmap(data: &[u8], at: usize) -> usize {
    if has(data, at, &[0, 1]) { at + 2 } else { at }
}

/// Bytes of an absolute run of `pixels` pixels, padded to a 16-bit boundary.
fn absolute_run_len(pixels: usize, bits: u32) -> usize {
    let bytes = (pixels * bits as usize).div_ceil(8);
    bytes + bytes % 2
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::walk::Outcome;

    /// A bottom-up info-header BMP with the given pixel bytes after a 2-entry palette.
    pub(crate) fn tiny_bmp(
        width: i32,
        height: i32,
        bits: u16,
        compression: u32,
        pixels: &[u8],
    ) -> Vec<u8> {
        let pixels_at = 14 + 40 + 8;
        let mut out = b"BM".to_vec();
        out.extend(((pixels_at + pixels.len()) as u32).to_le_bytes());
        out.extend([0; 4]);
        out.extend((pixels_at as u32).to_le_bytes());
        out.extend(40u32.to_le_bytes());
        out.extend(width.to_le_bytes());
        out.extend(height.to_le_bytes());
        out.extend(1u16.to_le_bytes());
        out.extend(bits.to_le_bytes());
        out.extend(compression.to_le_bytes());
        out.extend([0; 20]);
        out.extend([0, 0, 0, 0, 255, 255, 255, 0]);
        out.extend(pixels);
        out
    }

    fn outcome(data: &[u8]) -> Option<Outcome> {
        walk(data).map(|w| w.outcome)
    }

    #[test]
    fn geometry_ignores_bf_size() {
        let mut bmp = tiny_bmp(3, -2, 24, 0, &[0x47; 24]);
        bmp[2..6].copy_from_slice(&u32::MAX.to_le_bytes());
        let end = bmp.len();
        bmp.extend([0x47; 400]);
        assert_eq!(
            outcome(&bmp),
            Some(Outcome::Complete {
                end,
                rule: EndRule::BmpGeometry
            })
        );
    }

    #[test]
    fn rle8_ends_at_end_of_bitmap() {
        let rle = [3, 9, 0, 0, 0, 3, 1, 2, 3, 0, 0, 1];
        let bmp = tiny_bmp(3, 2, 8, 1, &rle);
        let end = bmp.len();
        assert_eq!(
            outcome(&bmp),
            Some(Outcome::Complete {
                end,
                rule: EndRule::BmpRleEnd
            })
        );
    }

    #[test]
    fn rle_without_end_of_bitmap_ends_with_the_last_row() {
        let rle = [3, 9, 0, 0, 3, 9, 0, 0];
        let mut bmp = tiny_bmp(3, 2, 8, 1, &rle);
        let end = bmp.len();
        bmp.extend(b"PK\x03\x04");
        assert_eq!(
            outcome(&bmp),
            Some(Outcome::Complete {
                end,
                rule: EndRule::BmpRleEnd
            })
        );
    }

    #[test]
    fn short_pixels_are_truncated() {
        let bmp = tiny_bmp(4, 4, 8, 0, &[0; 10]);
        assert!(matches!(
            outcome(&bmp),
            Some(Outcome::Broken {
                cause: Break::Truncated,
                ..
            })
        ));
    }

    #[test]
    fn insane_headers_are_not_bmp() {
        assert!(!has_sane_header(&tiny_bmp(0, 1, 8, 0, &[])));
        assert!(!has_sane_header(&tiny_bmp(1, 1, 7, 0, &[0; 4])));
        assert!(!has_sane_header(b"BMP is a format"));
    }
}
