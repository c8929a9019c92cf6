//! Recognising what a run of bytes is, from the signature at its start or a TS lattice.

use crate::bytes::{be32, has, le32, slice, u8_at};
use crate::report::PayloadType;
use crate::ts::{self, Search};
use crate::{bmp, gif, png, webp};

/// Junk tolerated before the first TS packet of appended data.
const TRAILER_JUNK: usize = 16 * 1024;

/// Writers and transfers pad with these; a signature may follow a few of them.
pub(crate) fn is_padding(byte: u8) -> bool {
    matches!(byte, 0x00 | 0x0A | 0x0D)
}

/// How many padding bytes are tolerated after an image, or skipped before a signature.
pub(crate) const MAX_PADDING: usize = 16;

/// Type of bytes that follow an image (or replace the broken rest of one).
pub(crate) fn classify_trailer(region: &[u8]) -> PayloadType {
    let lattice = Search {
        max_junk: TRAILER_JUNK,
        min_packets: 1,
    };
    // Box sizes start with zero bytes, so the signature is tried before padding is skipped.
    signature(region)
        .or_else(|| signature(skip_padding(region)))
        .or_else(|| ts::find(region, lattice).map(|_| PayloadType::MpegTs))
        .unwrap_or(PayloadType::Unknown)
}

fn skip_padding(region: &[u8]) -> &[u8] {
    let padding = region
        .iter()
        .take(MAX_PADDING)
        .take_while(|&&b| is_padding(b))
        .count();
    &region[padding..]
}

/// The file type whose signature starts `data`, if any.
pub(crate) fn signature(data: &[u8]) -> Option<PayloadType> {
    media(data)
        .or_else(|| archive(data))
        .or_else(|| executable(data))
        .or_else(|| image(data))
}

fn media(data: &[u8]) -> Option<PayloadType> {
    if has(data, 0, b"FLV\x01") {
        return Some(PayloadType::Flv);
    }
    if has(data, 0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        return matroska_doc_type(data);
    }
    iso_bmff(data)
}

/// ISO base media (MP4) and QuickTime: a box header whose type is one of the top-level boxes.
fn iso_bmff(data: &[u8]) -> Option<PayloadType> {
    let size = be32(data, 0)?;
    // 0 runs to the end, 1 announces a 64-bit size; anything else must hold its own header.
    if (2..8).contains(&size) {
        return None;
    }
    match slice(data, 4, 4)? {
        b"ftyp" if has(data, 8, b"qt  ") => Some(PayloadType::Mov),
        b"ftyp" => Some(PayloadType::Mp4),
        // `wide` exists only in QuickTime files.
        b"wide" => Some(PayloadType::Mov),
        b"moov" | b"mdat" | b"free" | b"skip" | b"moof" => Some(PayloadType::Mp4),
        _ => None,
    }
}

/// Matroska and WebM share the EBML header; its DocType element tells them apart.
fn matroska_doc_type(data: &[u8]) -> Option<PayloadType> {
    let (header_len, mut at) = vint(data, 4)?;
    let header_end = at.saturating_add(header_len as usize).min(data.len());
    while at < header_end {
        let (id, after_id) = element_id(data, at)?;
        let (len, body) = vint(data, after_id)?;
        let value = slice(data, body, usize::try_from(len).ok()?)?;
        if id == 0x4282 {
            return match value.split(|&b| b == 0).next()? {
                b"matroska" => Some(PayloadType::Mkv),
                b"webm" => Some(PayloadType::Webm),
                _ => None,
            };
        }
        at = body + value.len();
    }
    None
}

/// An EBML variable-length integer with its length marker removed, and the offset after it.
fn vint(data: &[u8], at: usize) -> Option<(u64, usize)> {
    let first = u8_at(data, at)?;
    let width = first.leading_zeros() as usize + 1;
    if width > 8 {
        return None;
    }
    let mut value = u64::from(first) & (0xFF >> width);
    for k in 1..width {
        value = (value << 8) | u64::from(u8_at(data, at + k)?);
    }
    Some((value, at + width))
}

/// An EBML element id keeps its length marker bits.
fn element_id(data: &[u8], at: usize) -> Option<(u32, usize)> {
    let width = u8_at(data, at)?.leading_zeros() as usize + 1;
    if width > 4 {
        return None;
    }
    let bytes = slice(data, at, width)?;
    let id = bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
    Some((id, at + width))
}

fn archive(data: &[u8]) -> Option<PayloadType> {
    let zip = [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"];
    if zip.iter().any(|sig| has(data, 0, *sig)) {
        return Some(PayloadType::Zip);
    }
    if has(data, 0, b"Rar!\x1A\x07\x00") || has(data, 0, b"Rar!\x1A\x07\x01\x00") {
        return Some(PayloadType::Rar);
    }
    if has(data, 0, &[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) {
        return Some(PayloadType::SevenZip);
    }
    has(data, 0, &[0x1F, 0x8B, 0x08]).then_some(PayloadType::Gzip)
}

fn executable(data: &[u8]) -> Option<PayloadType> {
    if has(data, 0, b"\x7FELF") {
        return Some(PayloadType::Elf);
    }
    if has(data, 0, b"%PDF-") {
        return Some(PayloadType::Pdf);
    }
    let pe_header = le32(data, 0x3C).and_then(|at| usize::try_from(at).ok());
    let is_pe = has(data, 0, b"MZ") && pe_header.is_some_and(|at| has(data, at, b"PE\0\0"));
    is_pe.then_some(PayloadType::Pe)
}

fn image(data: &[u8]) -> Option<PayloadType> {
    if has(data, 0, &[0xFF, 0xD8, 0xFF]) {
        return Some(PayloadType::Jpeg);
    }
    if has(data, 0, &png::SIGNATURE) {
        return Some(PayloadType::Png);
    }
    if gif::has_header(data) {
        return Some(PayloadType::Gif);
    }
    if bmp::has_sane_header(data) {
        return Some(PayloadType::Bmp);
    }
    webp::has_header(data).then_some(PayloadType::Webp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_bmff_brands() {
        assert_eq!(
            signature(b"\0\0\0\x20ftypisom\0\0\x02\0"),
            Some(PayloadType::Mp4)
        );
        assert_eq!(
            signature(b"\0\0\0\x14ftypqt  \0\0\x02\0"),
            Some(PayloadType::Mov)
        );
        assert_eq!(signature(b"\0\0\x01\0moov"), Some(PayloadType::Mp4));
        assert_eq!(signature(b"\0\0\0\x04moov"), None);
    }

    #[test]
    fn matroska_and_webm() {
        let webm = [
            0x1A, 0x45, 0xDF, 0xA3, 0x87, 0x42, 0x82, 0x84, b'w', b'e', b'b', b'm',
        ];
        assert_eq!(signature(&webm), Some(PayloadType::Webm));
        let mkv = [
            0x1A, 0x45, 0xDF, 0xA3, 0x8F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x88, b'm', b'a',
            b't', b'r', b'o', b's', b'k', b'a',
        ];
        assert_eq!(signature(&mkv), Some(PayloadType::Mkv));
        assert_eq!(signature(&[0x1A, 0x45, 0xDF, 0xA3, 0x80]), None);
    }

    #[test]
    fn archives_and_executables() {
        assert_eq!(signature(b"PK\x03\x04rest"), Some(PayloadType::Zip));
        assert_eq!(signature(b"Rar!\x1A\x07\x01\x00"), Some(PayloadType::Rar));
        assert_eq!(
            signature(&[0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0]),
            Some(PayloadType::SevenZip)
        );
        assert_eq!(signature(&[0x1F, 0x8B, 0x08, 0]), Some(PayloadType::Gzip));
        assert_eq!(signature(b"\x7FELF\x02"), Some(PayloadType::Elf));
        assert_eq!(signature(b"%PDF-1.7"), Some(PayloadType::Pdf));
        let mut pe = vec![0u8; 0x48];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3C] = 0x40;
        pe[0x40..0x44].copy_from_slice(b"PE\0\0");
        assert_eq!(signature(&pe), Some(PayloadType::Pe));
        pe[0x3C] = 0x44;
        assert_eq!(signature(&pe), None);
    }

    #[test]
    fn trailer_padding_and_unknown() {
        assert_eq!(classify_trailer(b"\0\0PK\x03\x04"), PayloadType::Zip);
        assert_eq!(classify_trailer(b"hello world"), PayloadType::Unknown);
        assert_eq!(classify_trailer(b""), PayloadType::Unknown);
    }
}
