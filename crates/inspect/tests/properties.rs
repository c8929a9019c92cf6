//! Properties that hold for any input: no panic, a self-consistent report, and appended
//! TS streams found exactly where the image ends.

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use bucketflow_inspect::{PayloadType, Place, Report, inspect};
use proptest::prelude::*;

/// Corpus files are capped so that each case stays fast in a debug build.
const MAX_SAMPLE: usize = 300 * 1024;

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/dev");
    assert!(
        dir.join("manifest.tsv").is_file(),
        "the dev corpus is missing at {}",
        dir.display()
    );
    dir
}

/// `(path, bytes)` of every corpus file, read once.
fn corpus() -> &'static [(String, Vec<u8>)] {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = corpus_dir();
        let manifest = fs::read_to_string(dir.join("manifest.tsv")).expect("read manifest");
        manifest
            .lines()
            .skip(1)
            .filter_map(|line| line.split('\t').next())
            .filter(|path| !path.is_empty())
            .map(|path| {
                (
                    path.to_owned(),
                    fs::read(dir.join(path)).expect("read corpus file"),
                )
            })
            .filter(|(_, data)| data.len() <= MAX_SAMPLE)
            .collect()
    })
}

/// Clean images: the manifest's `clean/` folder.
fn clean_images() -> Vec<&'static (String, Vec<u8>)> {
    corpus()
        .iter()
        .filter(|(path, _)| path.starts_with("clean/"))
        .collect()
}

fn assert_consistent(report: &Report, data: &[u8]) {
    let len = data.len() as u64;
    assert_eq!(report.pic_size, len);
    if let Some(end) = report.image_end {
        assert!(end <= len);
    }
    if let Some(found) = report.suspicious {
        assert!(found.begin <= found.end, "{found:?}");
        assert!(found.end < len, "{found:?} past {len}");
        assert_eq!(found.size, found.end - found.begin + 1);
        if found.place != Place::Embedded {
            assert_eq!(found.end, len - 1, "appended data runs to the end");
        }
    }
    let vendor = report.vendor();
    assert_eq!(vendor.suspicious, report.suspicious.is_some());
    assert_eq!(vendor.suspicious_type.is_some(), vendor.suspicious);
}

/// `packets` TS packets of 188 bytes with a plausible header and filler payload.
fn ts_stream(packets: usize, filler: u8) -> Vec<u8> {
    (0..packets)
        .flat_map(|k| {
            let mut packet = vec![filler; 188];
            packet[..4].copy_from_slice(&[0x47, 0x01, 0x00, 0x10 | (k as u8 & 0x0F)]);
            packet
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        assert_consistent(&inspect(&data), &data);
    }

    #[test]
    fn random_bytes_behind_a_magic_never_panic(
        magic in prop::sample::select(vec![
            &b"\xFF\xD8\xFF"[..], b"\x89PNG\r\n\x1A\n\0\0\0\x0DIHDR", b"GIF89a", b"BM",
            b"RIFF\0\0\0\0WEBPVP8X", b"\x47",
        ]),
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let data = [magic, &tail].concat();
        assert_consistent(&inspect(&data), &data);
    }

    #[test]
    fn truncated_corpus_files_never_panic(
        pick in any::<prop::sample::Index>(),
        cut in 0.0..1.0f64,
    ) {
        let files = corpus();
        let (_, data) = &files[pick.index(files.len())];
        let cut = &data[..(data.len() as f64 * cut) as usize];
        assert_consistent(&inspect(cut), cut);
    }

    #[test]
    fn mutated_corpus_files_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let files = corpus();
        let mut data = files[pick.index(files.len())].1.clone();
        for (at, byte) in edits {
            let at = at.index(data.len().max(1));
            if let Some(slot) = data.get_mut(at) {
                *slot = byte;
            }
        }
        assert_consistent(&inspect(&data), &data);
    }

    #[test]
    fn appended_ts_begins_at_the_original_length(
        pick in any::<prop::sample::Index>(),
        packets in 1usize..40,
        filler in any::<u8>(),
    ) {
        let images = clean_images();
        let (path, image) = images[pick.index(images.len())];
        let data = [image.as_slice(), &ts_stream(packets, filler)].concat();
        let report = inspect(&data);
        assert_consistent(&report, &data);
        let found = report.suspicious.unwrap_or_else(|| panic!("{path}: TS not found"));
        prop_assert_eq!(found.begin, image.len() as u64, "{}", path);
        prop_assert_eq!(found.end, data.len() as u64 - 1);
        prop_assert_eq!(found.kind, PayloadType::MpegTs);
        prop_assert_eq!(report.image_end, Some(image.len() as u64));
    }

    #[test]
    fn a_little_padding_after_a_clean_image_is_innocent(
        pick in any::<prop::sample::Index>(),
        padding in proptest::collection::vec(prop::sample::select(vec![0u8, 0x0A, 0x0D]), 0..=16),
    ) {
        let images = clean_images();
        let (path, image) = images[pick.index(images.len())];
        let data = [image.as_slice(), &padding].concat();
        let report = inspect(&data);
        prop_assert!(report.suspicious.is_none(), "{}: {:?}", path, report);
    }
}

#[test]
fn pure_ts_is_suspicious_from_byte_zero() {
    let mut data = vec![0xA5; 100];
    data.extend(ts_stream(12, 0xFF));
    let report = inspect(&data);
    assert!(report.supported());
    let found = report.suspicious.expect("pure TS is suspicious");
    assert_eq!(
        (found.begin, found.end, found.kind),
        (0, data.len() as u64 - 1, PayloadType::MpegTs)
    );
    assert_eq!(report.vendor().pic_type, "unknown");
}

#[test]
fn text_is_not_a_supported_input() {
    let report = inspect(b"just some text, not an image");
    assert!(!report.supported());
    assert!(report.suspicious.is_none());
}
