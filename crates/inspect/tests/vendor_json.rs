//! The vendor JSON, byte for byte, as the published examples show it.
#![cfg(feature = "serde")]

use bucketflow_inspect::{PayloadType, PicType, Place, Report, Suspicious, inspect};

fn report(pic_size: u64, pic_type: PicType, suspicious: Option<Suspicious>) -> Report {
    let mut report = inspect(b"");
    report.pic_size = pic_size;
    report.pic_type = pic_type;
    report.suspicious = suspicious;
    report
}

#[test]
fn clean_jpeg_example() {
    let json = serde_json::to_string(&report(158421, PicType::Jpeg, None).vendor()).unwrap();
    assert_eq!(
        json,
        r#"{"picSize":158421,"picType":"jpeg","suspicious":false}"#
    );
}

#[test]
fn png_with_ts_example() {
    let found = Suspicious {
        begin: 120,
        end: 1097475,
        size: 1097356,
        kind: PayloadType::MpegTs,
        place: Place::Appended,
    };
    let json = serde_json::to_string(&report(1097476, PicType::Png, Some(found)).vendor()).unwrap();
    let expected = concat!(
        r#"{"picSize":1097476,"picType":"png","suspicious":true,"suspiciousBeginByte":120,"#,
        r#""suspiciousEndByte":1097475,"suspiciousSize":1097356,"suspiciousType":"MPEG-TS"}"#
    );
    assert_eq!(json, expected);
}

#[test]
fn extended_report_uses_the_same_tokens() {
    let value = serde_json::to_value(inspect(b"plain text")).unwrap();
    assert_eq!(value["pic_type"], "unknown");
    assert_eq!(value["end_rule"], "no-image");
    assert!(value["suspicious"].is_null());
}
