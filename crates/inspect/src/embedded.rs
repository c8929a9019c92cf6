//! Payloads hidden inside a valid structure: a private PNG chunk, a JPEG APPn or COM segment,
//! an unknown WebP chunk.
//!
//! Metadata legitimately holds images (Exif and C2PA thumbnails, Photoshop previews), ICC
//! profiles and XMP text; none of those carry a TS lattice or the signature of a video,
//! archive, executable or PDF where we look, so only those make a structure suspicious.

use crate::payload;
use crate::report::{PayloadType, Place, Suspicious};
use crate::ts::{self, Search};

/// A lattice inside metadata that is too short for the trusted run must still show three
/// packets: compressed metadata (zTXt, iCCP) of two packets' length holds a chance two-packet
/// lattice far too often.
const LATTICE: Search = Search {
    max_junk: 4096,
    min_packets: 2,
};

/// Identifiers such as `Exif\0`, `ICC_PROFILE\0` or a PNG text keyword are at most this long.
const MAX_IDENTIFIER: usize = 80;

/// Judges the data of one structure that starts at absolute offset `at`.
pub(crate) fn scan(data: &[u8], at: usize) -> Option<Suspicious> {
    let kind = foreign_signature(data).or_else(|| lattice(data))?;
    let last = data.len().checked_sub(1)?;
    Some(Suspicious {
        begin: at as u64,
        end: (at + last) as u64,
        size: data.len() as u64,
        kind,
        place: Place::Embedded,
    })
}

/// A non-image signature at the start of the data or right after its NUL-terminated
/// identifier.
fn foreign_signature(data: &[u8]) -> Option<PayloadType> {
    let after_identifier = identifier_len(data).and_then(|len| data.get(len..));
    [Some(data), after_identifier]
        .into_iter()
        .flatten()
        .filter_map(payload::signature)
        .find(|kind| kind.is_foreign_file())
}

fn identifier_len(data: &[u8]) -> Option<usize> {
    let head = &data[..data.len().min(MAX_IDENTIFIER)];
    let nul = head.iter().position(|&b| b == 0)?;
    let printable = head[..nul]
        .iter()
        .all(|b| b.is_ascii_graphic() || *b == b' ');
    (nul > 0 && printable).then_some(nul + 1)
}

fn lattice(data: &[u8]) -> Option<PayloadType> {
    ts::find(data, LATTICE).map(|_| PayloadType::MpegTs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_after_an_identifier() {
        let found = scan(b"hide\0PK\x03\x04rest", 100).map(|s| (s.begin, s.end, s.kind));
        assert_eq!(found, Some((100, 112, PayloadType::Zip)));
    }

    #[test]
    fn thumbnails_and_text_are_innocent() {
        assert_eq!(scan(b"Exif\0\0\xFF\xD8\xFF\xE0", 0), None);
        assert_eq!(scan(b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>", 0), None);
        assert_eq!(scan(b"", 0), None);
    }
}
