//! JPEG: SOI, marker segments skipped by their lengths, entropy-coded scans read to the next
//! real marker, and EOI. Multi-Picture secondary images are handled in `mpf`.

use crate::bytes::{be16, contains, find_ff, has, u8_at};
use crate::embedded;
use crate::mpf;
use crate::report::{Declared, EndRule};
use crate::walk::{Break, Outcome, Walk};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const COM: u8 = 0xFE;

const XMP_ID: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// XMP properties by which a camera announces a video appended after the image.
const MOTION_PHOTO_HINTS: [&[u8]; 3] = [b"MotionPhoto", b"MicroVideo", b"Item:Mime=\"video/"];

/// Walks the JPEG at the start of `data`, then the secondary images its MPF index lists.
pub(crate) fn walk(data: &[u8]) -> Option<Walk> {
    if !starts_jpeg(data, 0) {
        return None;
    }
    let primary = walk_one(data, 0);
    let mut walk = primary.walk;
    if let (Outcome::Complete { end, .. }, Some(base)) = (walk.outcome, primary.mpf_base)
        && let Some(end) = mpf::secondary_images_end(data, base, end)
    {
        walk.outcome = Outcome::Complete {
            end,
            rule: EndRule::JpegMpfIndex,
        };
    }
    Some(walk)
}

pub(crate) fn starts_jpeg(data: &[u8], at: usize) -> bool {
    has(data, at, &[0xFF, SOI, 0xFF])
}

/// One JPEG walked from its SOI at `start`, with what its segments told us.
pub(crate) struct Single {
    pub walk: Walk,
    /// Offset of the TIFF header inside the first `MPF\0` APP2 segment.
    pub mpf_base: Option<usize>,
}

pub(crate) fn walk_one(data: &[u8], start: usize) -> Single {
    let mut single = Single {
        walk: Walk::broken(start, Break::Corrupt),
        mpf_base: None,
    };
    let mut at = start + 2;
    single.walk.outcome = loop {
        match step(data, at, &mut single) {
            Ok(next) => at = next,
            Err(stop) => break stop,
        }
    };
    single
}

/// Reads the marker at `at` and whatever belongs to it, giving where the next marker is
/// expected; `Err` carries the outcome that stops the walk, EOI included.
fn step(data: &[u8], at: usize, single: &mut Single) -> Result<usize, Outcome> {
    let (marker, marker_at) = next_marker(data, at)?;
    match marker {
        EOI => Err(complete(marker_at + 2)),
        SOI => Err(broken(marker_at, Break::Corrupt)),
        // Restart markers and TEM stand alone, without a length.
        0xD0..=0xD7 | 0x01 => Ok(marker_at + 2),
        _ => {
            let end = segment_end(data, marker_at)?;
            note_segment(data, marker, marker_at, end, single);
            after_segment(data, marker, end)
        }
    }
}

fn complete(end: usize) -> Outcome {
    Outcome::Complete {
        end,
        rule: EndRule::JpegEoi,
    }
}

fn broken(at: usize, cause: Break) -> Outcome {
    Outcome::Broken { at, cause }
}

/// The marker at `at`, after any fill bytes: `(marker, offset of its 0xFF)`.
fn next_marker(data: &[u8], mut at: usize) -> Result<(u8, usize), Outcome> {
    match u8_at(data, at) {
        Some(0xFF) => {}
        Some(_) => return Err(broken(at, Break::Corrupt)),
        None => return Err(broken(at, Break::Truncated)),
    }
    // Any number of 0xFF may pad before a marker.
    while u8_at(data, at + 1) == Some(0xFF) {
        at += 1;
    }
    match u8_at(data, at + 1) {
        Some(0x00) => Err(broken(at, Break::Corrupt)),
        Some(marker) => Ok((marker, at)),
        None => Err(broken(at, Break::Truncated)),
    }
}

/// End of the length-prefixed segment whose marker is at `marker_at`.
fn segment_end(data: &[u8], marker_at: usize) -> Result<usize, Outcome> {
    let Some(len) = be16(data, marker_at + 2) else {
        return Err(broken(marker_at, Break::Truncated));
    };
    if len < 2 {
        return Err(broken(marker_at, Break::Corrupt));
    }
    let end = marker_at + 2 + usize::from(len);
    if end > data.len() {
        return Err(broken(marker_at, Break::Truncated));
    }
    Ok(end)
}

/// Where the next marker is expected: right after a segment, or after the scan that an SOS
/// segment opens.
fn after_segment(data: &[u8], marker: u8, end: usize) -> Result<usize, Outcome> {
    if marker != SOS {
        return Ok(end);
    }
    scan_end(data, end).ok_or(broken(end, Break::Truncated))
}

/// Offset of the marker that ends the entropy-coded data starting at `at`.
fn scan_end(data: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let ff = find_ff(data, at)?;
        match u8_at(data, ff + 1)? {
            // A stuffed zero byte or a restart marker belong to the scan.
            0x00 | 0xD0..=0xD7 => at = ff + 2,
            // Fill before a marker: the marker is judged from the last 0xFF.
            0xFF => at = ff + 1,
            _ => return Some(ff),
        }
    }
}

/// Looks into APPn and COM segments: the MPF index, motion-photo XMP, hidden payloads.
fn note_segment(data: &[u8], marker: u8, marker_at: usize, end: usize, single: &mut Single) {
    if !(0xE0..=0xEF).contains(&marker) && marker != COM {
        return;
    }
    let content_at = marker_at + 4;
    let content = &data[content_at..end];
    if marker == APP2 && single.mpf_base.is_none() && content.starts_with(b"MPF\0") {
        single.mpf_base = Some(content_at + 4);
    }
    if marker == APP1 && content.starts_with(XMP_ID) && declares_motion_photo(content) {
        single.walk.declared = Some(Declared::MotionPhoto);
    }
    if single.walk.hidden.is_none() {
        single.walk.hidden = embedded::scan(content, content_at);
    }
}

fn declares_motion_photo(xmp: &[u8]) -> bool {
    MOTION_PHOTO_HINTS.iter().any(|hint| contains(xmp, hint))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal baseline JPEG: SOI, a COM segment, SOS with a little entropy data, EOI.
    pub(crate) fn tiny_jpeg(entropy: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, SOI, 0xFF, COM, 0x00, 0x04, b'h', b'i'];
        out.extend([0xFF, SOS, 0x00, 0x08, 1, 1, 0, 0, 63, 0]);
        out.extend(entropy);
        out.extend([0xFF, EOI]);
        out
    }

    fn outcome(data: &[u8]) -> Outcome {
        walk(data)
            .map(|w| w.outcome)
            .unwrap_or(broken(0, Break::Corrupt))
    }

    #[test]
    fn stuffed_bytes_and_restarts_stay_in_the_scan() {
        let jpeg = tiny_jpeg(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF]);
        assert_eq!(outcome(&jpeg), complete(jpeg.len()));
    }

    #[test]
    fn eoi_inside_a_segment_is_skipped() {
        let mut jpeg = vec![0xFF, SOI, 0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD9, 0xFF, 0xD9];
        jpeg.extend(&tiny_jpeg(&[1, 2, 3])[2..]);
        assert_eq!(outcome(&jpeg), complete(jpeg.len()));
    }

    #[test]
    fn truncated_scan_and_garbage_marker() {
        let jpeg = tiny_jpeg(&[1, 2, 3]);
        let cut = &jpeg[..jpeg.len() - 2];
        assert!(matches!(
            outcome(cut),
            Outcome::Broken {
                cause: Break::Truncated,
                ..
            }
        ));
        let mut bad = jpeg[..8].to_vec();
        bad.push(0x00);
        assert_eq!(outcome(&bad), broken(8, Break::Corrupt));
    }

    #[test]
    fn hidden_zip_in_a_comment() {
        let mut jpeg = vec![0xFF, SOI, 0xFF, COM, 0x00, 0x08];
        jpeg.extend(b"PK\x03\x04\0\0");
        jpeg.extend(&tiny_jpeg(&[7])[2..]);
        let hidden = walk(&jpeg).and_then(|w| w.hidden).map(|s| (s.begin, s.end));
        assert_eq!(hidden, Some((6, 11)));
    }

    #[test]
    fn not_a_jpeg() {
        assert!(walk(b"\xFF\xD8").is_none());
    }
}
