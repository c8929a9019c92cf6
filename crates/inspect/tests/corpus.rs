//! Every row of the shared dev corpus manifest must get exactly its expected verdict.

use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

use bucketflow_inspect::{Report, inspect};

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/dev");
    assert!(
        dir.join("manifest.tsv").is_file(),
        "the dev corpus is missing: expected {}/manifest.tsv",
        dir.display()
    );
    dir
}

/// One manifest row, as the columns the verdict is checked against.
struct Row {
    path: String,
    pic_type: String,
    verdict: String,
    begin: String,
    end: String,
    size: String,
    kind: String,
}

fn rows(manifest: &str) -> Vec<Row> {
    manifest
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 8, "short manifest row: {line}");
            Row {
                path: cols[0].to_owned(),
                pic_type: if cols[2] == "-" { "unknown" } else { cols[2] }.to_owned(),
                verdict: cols[3].to_owned(),
                begin: cols[4].to_owned(),
                end: cols[5].to_owned(),
                size: cols[6].to_owned(),
                kind: cols[7].to_owned(),
            }
        })
        .collect()
}

/// The report in the manifest's columns; `-` where the vendor answer has no such field.
fn columns(report: &Report) -> [String; 6] {
    let vendor = report.vendor();
    let or_dash = |v: Option<u64>| v.map_or("-".to_owned(), |n| n.to_string());
    [
        vendor.pic_type.to_owned(),
        vendor.suspicious.to_string(),
        or_dash(vendor.suspicious_begin_byte),
        or_dash(vendor.suspicious_end_byte),
        or_dash(vendor.suspicious_size),
        vendor.suspicious_type.unwrap_or("-").to_owned(),
    ]
}

#[test]
fn every_manifest_row_matches() {
    let dir = corpus_dir();
    let manifest = fs::read_to_string(dir.join("manifest.tsv")).expect("read manifest.tsv");
    let rows = rows(&manifest);
    assert!(!rows.is_empty(), "manifest.tsv has no rows");
    let mut mismatches = String::new();
    let mut failed = 0;
    for row in &rows {
        let data = fs::read(dir.join(&row.path))
            .unwrap_or_else(|err| panic!("read corpus file {}: {err}", row.path));
        let report = inspect(&data);
        assert_eq!(report.pic_size, data.len() as u64, "{}", row.path);
        let expected = [
            &row.pic_type,
            &row.verdict,
            &row.begin,
            &row.end,
            &row.size,
            &row.kind,
        ];
        let got = columns(&report);
        if expected.iter().zip(&got).any(|(want, have)| *want != have) {
            failed += 1;
            let _ = writeln!(
                mismatches,
                "{}\n  expected {expected:?}\n  got      {got:?}\n  rule {} at {:?}: {}",
                row.path,
                report.end_rule.as_str(),
                report.image_end,
                report.reason
            );
        }
    }
    let total = rows.len();
    println!("corpus: {}/{total} rows match", total - failed);
    assert!(
        failed == 0,
        "{failed} of {total} rows mismatch:\n{mismatches}"
    );
}
