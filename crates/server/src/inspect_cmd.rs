//! `bucketflow inspect [--json] FILE…`: the ImageInspect detector on local files.
//!
//! One line per file on stdout: with `--json`, an object with `"file"` and the vendor's fields
//! (or `"file"` and `"error"`); otherwise a short sentence. On a terminal, many files get a
//! progress bar and a summary on stderr. The exit status is 1 when any file could not be
//! inspected (unreadable, or not an image nor a TS stream).

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;

use bucketflow_inspect::Report;
use indicatif::{ProgressBar, ProgressStyle};

/// From this many files on, a terminal gets a progress bar and a summary.
const PROGRESS_FROM: usize = 20;

#[derive(Default)]
struct Summary {
    clean: usize,
    suspicious: usize,
    failed: usize,
}

pub fn run(json: bool, files: &[PathBuf]) -> ExitCode {
    let show_progress = files.len() >= PROGRESS_FROM && std::io::stderr().is_terminal();
    let progress = show_progress.then(|| progress_bar(files.len()));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut summary = Summary::default();

    for file in files {
        let line = match inspect_file(file) {
            Ok(report) => {
                if report.suspicious.is_some() {
                    summary.suspicious += 1;
                } else {
                    summary.clean += 1;
                }
                render(file, &report, json)
            }
            Err(error) => {
                summary.failed += 1;
                render_error(file, &error, json)
            }
        };
        let written = match &progress {
            Some(bar) => bar.suspend(|| writeln!(out, "{line}")),
            None => writeln!(out, "{line}"),
        };
        if written.is_err() {
            // stdout is gone (a closed pipe): nobody is reading any more.
            return ExitCode::FAILURE;
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }

    if let Some(bar) = progress {
        bar.finish_and_clear();
        eprintln!(
            "{} files: {} clean, {} suspicious, {} not inspected",
            files.len(),
            summary.clean,
            summary.suspicious,
            summary.failed
        );
    }
    if summary.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn progress_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} files, {per_sec}, eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// Reads and judges one file; an input that is neither an image nor a TS stream is an error.
fn inspect_file(file: &Path) -> Result<Report, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
    let report = bucketflow_inspect::inspect(&bytes);
    if !report.supported() {
        return Err(
            "not a supported input (JPEG, PNG, GIF, BMP, WebP image or MPEG-TS stream)".into(),
        );
    }
    Ok(report)
}

fn render(file: &Path, report: &Report, json: bool) -> String {
    let name = file.display().to_string();
    if json {
        let mut value = serde_json::json!({ "file": name });
        if let (Some(map), Ok(serde_json::Value::Object(fields))) =
            (value.as_object_mut(), serde_json::to_value(report.vendor()))
        {
            map.extend(fields);
        }
        return value.to_string();
    }
    match &report.suspicious {
        Some(s) => format!(
            "{name}: {} with hidden {} at bytes {}-{} ({} bytes)",
            report.pic_type.as_str(),
            s.kind.as_str(),
            s.begin,
            s.end,
            s.size
        ),
        None => format!("{name}: {} clean", report.pic_type.as_str()),
    }
}

fn render_error(file: &Path, error: &str, json: bool) -> String {
    let name = file.display().to_string();
    if json {
        serde_json::json!({ "file": name, "error": error }).to_string()
    } else {
        format!("{name}: error: {error}")
    }
}
