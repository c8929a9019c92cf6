//! Regression tests, each named after the bug it pins, and end-to-end checks of the extended
//! report on constructed inputs.

use bucketflow_inspect::{Declared, EndRule, PayloadType, PicType, Place, inspect};

/// The smallest PNG: signature, IHDR, IDAT, IEND with their CRCs.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3A, 0x7E, 0x9B,
    0x55, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0x60, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x01, 0xE2, 0x21, 0xBC, 0x33, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

fn with(tail: &[u8]) -> Vec<u8> {
    [TINY_PNG, tail].concat()
}

#[test]
fn tiny_png_is_clean() {
    let report = inspect(TINY_PNG);
    assert_eq!(report.pic_type, PicType::Png);
    assert_eq!(report.suspicious, None);
    assert_eq!(
        (report.image_end, report.end_rule),
        (Some(TINY_PNG.len() as u64), EndRule::PngIend)
    );
}

/// The padding skip ate the zero bytes of an ISO-BMFF box size, so appended MP4 and MOV
/// files were typed `UNKNOWN`.
#[test]
fn mp4_box_size_zero_bytes_are_not_padding() {
    let data = with(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2");
    let found = inspect(&data).suspicious.expect("appended MP4");
    assert_eq!(
        (found.begin, found.kind),
        (TINY_PNG.len() as u64, PayloadType::Mp4)
    );
    let data = with(b"\0\0\0\x14ftypqt  \0\0\x02\0qt  ");
    assert_eq!(
        inspect(&data).suspicious.map(|s| s.kind),
        Some(PayloadType::Mov)
    );
}

#[test]
fn padding_then_a_signature_is_typed() {
    let data = with(b"\r\n\0\0Rar!\x1A\x07\x00rest");
    assert_eq!(
        inspect(&data).suspicious.map(|s| s.kind),
        Some(PayloadType::Rar)
    );
}

#[test]
fn seventeen_padding_bytes_are_suspicious() {
    let report = inspect(&with(&[0; 17]));
    assert_eq!(
        report.suspicious.map(|s| s.kind),
        Some(PayloadType::Unknown)
    );
    assert!(inspect(&with(&[0; 16])).suspicious.is_none());
}

#[test]
fn m2ts_and_204_byte_lattices_after_junk() {
    for (stride, sync_at) in [(192usize, 4usize), (204, 0)] {
        let mut tail = b"junk before the stream".to_vec();
        for k in 0..8 {
            let mut packet = vec![0xAB; stride];
            packet[sync_at..sync_at + 4].copy_from_slice(&[0x47, 0x40, 0x11, 0x10 | k]);
            tail.extend(packet);
        }
        let found = inspect(&with(&tail)).suspicious.expect("appended stream");
        assert_eq!(
            (found.begin, found.kind),
            (TINY_PNG.len() as u64, PayloadType::MpegTs)
        );
    }
}

#[test]
fn samsung_trailer_is_declared() {
    let report = inspect(&with(b"some camera data ... SEFT"));
    assert_eq!(report.declared, Some(Declared::SamsungSef));
    assert!(report.suspicious.is_some());
}

#[test]
fn zip_in_a_jpeg_app11_segment_is_reported_with_the_segment_extent() {
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xEB, 0x00, 0x0C];
    jpeg.extend(b"PK\x03\x04\x14\0\0\0\0\0");
    jpeg.extend([
        0xFF, 0xDA, 0x00, 0x08, 1, 1, 0, 0, 63, 0, 0x12, 0x34, 0xFF, 0xD9,
    ]);
    let report = inspect(&jpeg);
    let found = report.suspicious.expect("hidden ZIP");
    assert_eq!((found.begin, found.end, found.size), (6, 15, 10));
    assert_eq!(
        (found.kind, found.place),
        (PayloadType::Zip, Place::Embedded)
    );
    assert_eq!(report.end_rule, EndRule::JpegEoi);
}

#[test]
fn appended_data_wins_over_a_hidden_payload() {
    let mut png = TINY_PNG[..TINY_PNG.len() - 12].to_vec();
    // A private chunk "prVt" holding a gzip header; CRC computed by hand below.
    let body = [0x1F, 0x8B, 0x08, 0x00];
    png.extend(4u32.to_be_bytes());
    png.extend(b"prVt");
    png.extend(body);
    png.extend(crc32(&[b"prVt", &body]).to_be_bytes());
    png.extend(&TINY_PNG[TINY_PNG.len() - 12..]);
    let hidden = inspect(&png).suspicious.expect("hidden gzip");
    assert_eq!(
        (hidden.kind, hidden.place, hidden.begin),
        (PayloadType::Gzip, Place::Embedded, 63)
    );
    png.extend(b"%PDF-1.4");
    let appended = inspect(&png).suspicious.expect("appended PDF");
    assert_eq!(
        (appended.kind, appended.place),
        (PayloadType::Pdf, Place::Appended)
    );
}

#[test]
fn a_png_cut_inside_a_chunk_is_truncated_not_suspicious() {
    let report = inspect(&TINY_PNG[..40]);
    assert_eq!(
        (report.suspicious, report.end_rule),
        (None, EndRule::Truncated)
    );
}

#[test]
fn a_png_whose_iend_is_replaced_by_a_stream_breaks_where_the_stream_begins() {
    let mut data = TINY_PNG[..TINY_PNG.len() - 12].to_vec();
    let begin = data.len() as u64;
    data.extend(b"FLV\x01\x05\0\0\0\x09");
    let found = inspect(&data).suspicious.expect("FLV after a broken PNG");
    assert_eq!((found.begin, found.kind), (begin, PayloadType::Flv));
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let crc = parts.iter().flat_map(|p| p.iter()).fold(!0u32, |crc, &b| {
        (0..8).fold(crc ^ u32::from(b), |c, _| {
            if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            }
        })
    });
    !crc
}
