//! `bucketflow inspect` as a user runs it: one JSON line per file with the vendor's fields.

use std::path::PathBuf;
use std::process::Command;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/dev")
}

fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bucketflow"))
        .arg("inspect")
        .args(args)
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8(output.stdout).expect("UTF-8 output"),
    )
}

/// The first manifest row in `folder`: (path, picType, suspicious, begin, end, size, type).
fn manifest_row(folder: &str) -> Vec<String> {
    let manifest = std::fs::read_to_string(corpus().join("manifest.tsv")).expect("manifest");
    manifest
        .lines()
        .skip(1)
        .map(|line| line.split('\t').map(str::to_string).collect::<Vec<_>>())
        .find(|row| row[0].starts_with(folder))
        .expect("a row in that folder")
}

#[test]
fn json_lines_carry_the_file_and_the_vendor_fields() {
    let abnormal = manifest_row("abnormal/");
    let clean = manifest_row("clean/");
    let paths = [corpus().join(&abnormal[0]), corpus().join(&clean[0])];
    let args: Vec<&str> = std::iter::once("--json")
        .chain(paths.iter().map(|p| p.to_str().unwrap()))
        .collect();
    let (ok, stdout) = run(&args);
    assert!(ok);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 2);

    let first = &lines[0];
    assert_eq!(first["file"], paths[0].to_str().unwrap());
    assert_eq!(first["suspicious"], true);
    assert_eq!(
        first["picType"],
        abnormal[2].replace('-', "unknown").as_str()
    );
    assert_eq!(
        first["suspiciousBeginByte"],
        abnormal[4].parse::<u64>().unwrap()
    );
    assert_eq!(
        first["suspiciousEndByte"],
        abnormal[5].parse::<u64>().unwrap()
    );
    assert_eq!(first["suspiciousSize"], abnormal[6].parse::<u64>().unwrap());
    assert_eq!(first["suspiciousType"], abnormal[7].as_str());
    let size = std::fs::metadata(&paths[0]).unwrap().len();
    assert_eq!(first["picSize"], size);

    assert_eq!(lines[1]["suspicious"], false);
    assert!(lines[1].get("suspiciousType").is_none());
}

#[test]
fn unreadable_and_unsupported_files_get_an_error_line_and_a_failing_status() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just text").unwrap();
    let missing = dir.path().join("missing.png");
    let (ok, stdout) = run(&["--json", text.to_str().unwrap(), missing.to_str().unwrap()]);
    assert!(!ok);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "every file gets its line");
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("not a supported input")
    );
    assert!(lines[1]["error"].as_str().unwrap().contains("cannot read"));
}
