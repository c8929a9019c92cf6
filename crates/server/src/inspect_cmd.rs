//! `bucketflow inspect [--json] FILE…`: the detector on local files.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(json: bool, files: &[PathBuf]) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    for file in files {
        let line = match std::fs::read(file) {
            Ok(bytes) => {
                let report = bucketflow_inspect::inspect(&bytes);
                render(file, &report, json)
            }
            Err(error) => {
                failed = true;
                let name = file.display().to_string();
                if json {
                    serde_json::json!({"file": name, "error": error.to_string()}).to_string()
                } else {
                    format!("{name}: error: {error}")
                }
            }
        };
        if writeln!(out, "{line}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn render(file: &std::path::Path, report: &bucketflow_inspect::Report, json: bool) -> String {
    let name = file.display().to_string();
    let vendor = report.vendor();
    if json {
        let mut value = serde_json::json!({ "file": name });
        if let (Some(map), Ok(serde_json::Value::Object(fields))) =
            (value.as_object_mut(), serde_json::to_value(&vendor))
        {
            map.extend(fields);
        }
        return value.to_string();
    }
    match &report.suspicious {
        Some(s) => format!(
            "{name}: {} suspicious {} at bytes {}-{} ({} bytes)",
            report.pic_type.as_str(),
            s.kind.as_str(),
            s.begin,
            s.end,
            s.size
        ),
        None => format!("{name}: {} clean", report.pic_type.as_str()),
    }
}
