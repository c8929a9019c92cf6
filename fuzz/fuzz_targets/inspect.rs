//! Any byte string: `inspect` must not panic, and its report must be self-consistent.

#![no_main]

use bucketflow_inspect::{Place, inspect};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let report = inspect(data);
    let len = data.len() as u64;
    assert_eq!(report.pic_size, len);
    if let Some(end) = report.image_end {
        assert!(end <= len, "image end {end} past the object ({len})");
    }
    if let Some(found) = report.suspicious {
        assert!(
            found.begin <= found.end && found.end < len,
            "range {found:?} in {len}"
        );
        assert_eq!(found.size, found.end - found.begin + 1);
        if found.place == Place::Appended {
            assert_eq!(found.end, len - 1);
        }
    }
    let vendor = report.vendor();
    assert_eq!(vendor.suspicious, report.suspicious.is_some());
});
