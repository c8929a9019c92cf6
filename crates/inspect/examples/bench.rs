//! Throughput and manifest agreement of the detector, binwalk 3, and plain reading, on the
//! same corpus files in one run. `scripts/bench-inspect.sh` pins it to one core.
//!
//! ```sh
//! cargo run --release -p bucketflow-inspect --example bench -- \
//!     [CORPUS_DIR] [--binwalk PATH] [--rounds N]
//! ```

use std::fs;
use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bucketflow_inspect::inspect;

/// One manifest row: the file and its expected vendor columns.
struct Case {
    path: PathBuf,
    name: String,
    /// `[picType, suspicious, begin, end, size, suspiciousType]` as the manifest writes them.
    expected: [String; 6],
}

struct Options {
    corpus: PathBuf,
    binwalk: Option<PathBuf>,
    rounds: u32,
}

/// A timed pass over the corpus.
struct Pass {
    label: &'static str,
    elapsed: Duration,
    bytes: u64,
    files: u64,
}

impl Pass {
    fn mb_per_s(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.elapsed.as_secs_f64()
    }

    fn files_per_s(&self) -> f64 {
        self.files as f64 / self.elapsed.as_secs_f64()
    }
}

fn main() {
    let options = parse_args();
    let cases = load_manifest(&options.corpus);
    let total_bytes: u64 = cases.iter().map(|c| file_len(&c.path)).sum();
    println!(
        "corpus: {} files, {:.1} MB",
        cases.len(),
        total_bytes as f64 / 1e6
    );

    // Warm the page cache, then time reading alone, the detector, and binwalk.
    let contents: Vec<Vec<u8>> = cases.iter().map(|c| read(&c.path)).collect();
    let mut passes = vec![
        time_reading(&cases, options.rounds),
        time_detector_in_memory(&contents, options.rounds),
        time_detector_with_read(&cases, options.rounds),
    ];
    let ours = agreement_of_detector(&cases, &contents);
    let binwalk = options
        .binwalk
        .as_deref()
        .map(|exe| run_binwalk(exe, &cases));
    if let Some(run) = &binwalk {
        passes.push(run.pass_with_startup());
        passes.push(run.pass_scan_rate());
    }
    print_table(&passes);
    print_agreement(
        &ours,
        binwalk.as_ref().map(|run| &run.agreement),
        cases.len(),
    );
    if binwalk.is_some() {
        print_ratio(&passes);
    }
}

fn parse_args() -> Options {
    let default_corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/dev");
    let mut options = Options {
        corpus: default_corpus,
        binwalk: None,
        rounds: 20,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--binwalk" => options.binwalk = args.next().map(PathBuf::from),
            "--rounds" => options.rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(20),
            _ => options.corpus = PathBuf::from(arg),
        }
    }
    options
}

fn load_manifest(corpus: &Path) -> Vec<Case> {
    let manifest = fs::read_to_string(corpus.join("manifest.tsv"))
        .unwrap_or_else(|err| panic!("read {}/manifest.tsv: {err}", corpus.display()));
    manifest
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| case(corpus, line))
        .collect()
}

fn case(corpus: &Path, line: &str) -> Case {
    let cols: Vec<&str> = line.split('\t').collect();
    let col = |i: usize| cols.get(i).copied().unwrap_or("-").to_owned();
    let pic_type = if col(2) == "-" {
        "unknown".to_owned()
    } else {
        col(2)
    };
    Case {
        path: corpus.join(cols[0]),
        name: cols[0].to_owned(),
        expected: [pic_type, col(3), col(4), col(5), col(6), col(7)],
    }
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// Reads a whole file into a buffer that is reused from file to file: a fresh allocation per
/// file would time the kernel's page faults rather than the copy from the page cache.
fn read_into<'a>(path: &Path, buffer: &'a mut Vec<u8>) -> &'a [u8] {
    buffer.clear();
    let read = fs::File::open(path).and_then(|mut file| file.read_to_end(buffer));
    if let Err(err) = read {
        panic!("read {}: {err}", path.display());
    }
    buffer
}

/// The physical reference: the cost of only bringing the bytes in from the page cache.
fn time_reading(cases: &[Case], rounds: u32) -> Pass {
    let mut buffer = Vec::new();
    timed("read only (page cache)", rounds, cases.len(), || {
        let lens = cases
            .iter()
            .map(|c| black_box(read_into(&c.path, &mut buffer)).len());
        lens.map(|len| len as u64).sum()
    })
}

fn time_detector_in_memory(contents: &[Vec<u8>], rounds: u32) -> Pass {
    timed(
        "bucketflow-inspect, bytes in memory",
        rounds,
        contents.len(),
        || {
            contents
                .iter()
                .map(|data| black_box(inspect(black_box(data))).pic_size)
                .sum()
        },
    )
}

fn time_detector_with_read(cases: &[Case], rounds: u32) -> Pass {
    let mut buffer = Vec::new();
    timed(
        "bucketflow-inspect, read + inspect",
        rounds,
        cases.len(),
        || {
            let reports = cases
                .iter()
                .map(|c| black_box(inspect(read_into(&c.path, &mut buffer))));
            reports.map(|report| report.pic_size).sum()
        },
    )
}

/// Runs `pass` (one pass over the corpus, returning the bytes it went through) `rounds` times
/// and keeps the fastest: the machine is shared, and the fastest pass is the one that other
/// processes disturbed least.
fn timed(label: &'static str, rounds: u32, files: usize, mut pass: impl FnMut() -> u64) -> Pass {
    let mut fastest = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..rounds.max(1) {
        let start = Instant::now();
        bytes = pass();
        fastest = fastest.min(start.elapsed());
    }
    Pass {
        label,
        elapsed: fastest,
        bytes,
        files: files as u64,
    }
}

/// How many rows agree on the verdict alone, and on every vendor column.
#[derive(Default)]
struct Agreement {
    verdict: usize,
    full: usize,
    /// Files whose verdict disagrees, for the report.
    misses: Vec<String>,
}

fn agreement_of_detector(cases: &[Case], contents: &[Vec<u8>]) -> Agreement {
    let mut agreement = Agreement::default();
    for (case, data) in cases.iter().zip(contents) {
        let vendor = inspect(data).vendor();
        let or_dash = |v: Option<u64>| v.map_or("-".to_owned(), |n| n.to_string());
        let got = [
            vendor.pic_type.to_owned(),
            vendor.suspicious.to_string(),
            or_dash(vendor.suspicious_begin_byte),
            or_dash(vendor.suspicious_end_byte),
            or_dash(vendor.suspicious_size),
            vendor.suspicious_type.unwrap_or("-").to_owned(),
        ];
        agreement.record(case, got[1] == case.expected[1], got == case.expected);
    }
    agreement
}

impl Agreement {
    fn record(&mut self, case: &Case, verdict: bool, full: bool) {
        self.verdict += usize::from(verdict);
        self.full += usize::from(full);
        if !verdict {
            self.misses.push(case.name.clone());
        }
    }
}

/// binwalk run as a process per file, one thread, JSON log parsed for the verdict.
struct BinwalkRun {
    elapsed: Duration,
    /// Wall time of a run on an empty file: process start and signature setup.
    empty_run: Duration,
    /// `(bytes, seconds)` of every file's fastest run.
    samples: Vec<(u64, f64)>,
    bytes: u64,
    files: u64,
    agreement: Agreement,
}

impl BinwalkRun {
    fn pass_with_startup(&self) -> Pass {
        let label = "binwalk 3 -t 1, wall time per file";
        Pass {
            label,
            elapsed: self.elapsed,
            bytes: self.bytes,
            files: self.files,
        }
    }

    /// binwalk's own scanning speed. Start-up is most of each run and too noisy to subtract
    /// file by file, so `seconds = start-up + bytes / rate` is fitted over all files.
    fn pass_scan_rate(&self) -> Pass {
        let (startup, rate) = fit(&self.samples);
        println!(
            "binwalk start-up: fitted {:.1} ms, empty-file run {:.1} ms",
            startup * 1e3,
            self.empty_run.as_secs_f64() * 1e3
        );
        let elapsed = Duration::from_secs_f64(self.bytes as f64 / rate.max(1.0));
        let label = "binwalk 3 -t 1, scan rate (start-up fitted out)";
        Pass {
            label,
            elapsed,
            bytes: self.bytes,
            files: self.files,
        }
    }
}

/// Least-squares line through `(bytes, seconds)`: `(intercept in s, bytes per second)`.
fn fit(samples: &[(u64, f64)]) -> (f64, f64) {
    let n = samples.len().max(1) as f64;
    let mean_x = samples.iter().map(|&(x, _)| x as f64).sum::<f64>() / n;
    let mean_y = samples.iter().map(|&(_, y)| y).sum::<f64>() / n;
    let cov: f64 = samples
        .iter()
        .map(|&(x, y)| (x as f64 - mean_x) * (y - mean_y))
        .sum();
    let var: f64 = samples
        .iter()
        .map(|&(x, _)| (x as f64 - mean_x).powi(2))
        .sum();
    let slope = cov / var.max(f64::MIN_POSITIVE);
    (mean_y - slope * mean_x, 1.0 / slope)
}

/// binwalk's timings are noisy (a process per file), so each file is run `BINWALK_ROUNDS`
/// times and its fastest run counts.
const BINWALK_ROUNDS: usize = 3;

fn run_binwalk(exe: &Path, cases: &[Case]) -> BinwalkRun {
    let scratch = std::env::temp_dir().join(format!("bench-inspect-{}", std::process::id()));
    fs::create_dir_all(&scratch).expect("create scratch dir");
    let empty = scratch.join("empty");
    fs::write(&empty, b"").expect("write empty file");
    let log = scratch.join("log.json");
    let empty_run = fastest_binwalk(exe, &empty, &log, 10);
    let mut agreement = Agreement::default();
    let mut elapsed = Duration::ZERO;
    let mut samples = Vec::with_capacity(cases.len());
    for case in cases {
        let run = fastest_binwalk(exe, &case.path, &log, BINWALK_ROUNDS);
        elapsed += run;
        samples.push((file_len(&case.path), run.as_secs_f64()));
        let begin = first_offset_after_start(&fs::read_to_string(&log).unwrap_or_default());
        let verdict = begin.is_some().to_string() == case.expected[1];
        let same_begin = begin.map_or("-".to_owned(), |b| b.to_string()) == case.expected[2];
        agreement.record(case, verdict, verdict && same_begin);
    }
    let _ = fs::remove_dir_all(&scratch);
    let bytes = cases.iter().map(|c| file_len(&c.path)).sum();
    BinwalkRun {
        elapsed,
        empty_run,
        samples,
        bytes,
        files: cases.len() as u64,
        agreement,
    }
}

fn fastest_binwalk(exe: &Path, file: &Path, log: &Path, runs: usize) -> Duration {
    let once = || {
        let _ = fs::remove_file(log);
        let start = Instant::now();
        binwalk_once(exe, file, log);
        start.elapsed()
    };
    (0..runs).map(|_| once()).min().unwrap_or_default()
}

fn binwalk_once(exe: &Path, file: &Path, log: &Path) {
    let status = Command::new(exe)
        .args(["-t", "1", "-q", "-l"])
        .arg(log)
        .arg(file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if let Err(err) = status {
        panic!("run {}: {err}", exe.display());
    }
}

/// binwalk flags a file when it reports a signature beyond the image start: the smallest
/// such offset is its `suspiciousBeginByte`.
fn first_offset_after_start(log: &str) -> Option<u64> {
    let json: serde_json::Value = serde_json::from_str(log).ok()?;
    let analyses = json.as_array()?;
    analyses
        .iter()
        .filter_map(|entry| entry["Analysis"]["file_map"].as_array())
        .flatten()
        .filter_map(|found| found["offset"].as_u64())
        .filter(|&offset| offset > 0)
        .min()
}

fn print_table(passes: &[Pass]) {
    println!();
    println!("| what | MB/s | files/s | time of one pass |");
    println!("|---|---:|---:|---:|");
    for pass in passes {
        println!(
            "| {} | {:.0} | {:.0} | {:.3} s |",
            pass.label,
            pass.mb_per_s(),
            pass.files_per_s(),
            pass.elapsed.as_secs_f64()
        );
    }
}

fn print_agreement(ours: &Agreement, binwalk: Option<&Agreement>, total: usize) {
    println!();
    println!("| tool | verdict agrees | verdict and vendor fields agree |");
    println!("|---|---:|---:|");
    println!(
        "| bucketflow-inspect | {}/{total} | {}/{total} |",
        ours.verdict, ours.full
    );
    if let Some(bw) = binwalk {
        println!(
            "| binwalk 3 | {}/{total} | {}/{total} (verdict and begin) |",
            bw.verdict, bw.full
        );
        let sample: Vec<&str> = bw.misses.iter().take(8).map(String::as_str).collect();
        println!(
            "\nbinwalk verdict misses (first 8 of {}): {sample:?}",
            bw.misses.len()
        );
    }
    if !ours.misses.is_empty() {
        println!("bucketflow-inspect verdict misses: {:?}", ours.misses);
    }
}

fn print_ratio(passes: &[Pass]) {
    let by_label = |prefix: &str| passes.iter().find(|p| p.label.starts_with(prefix));
    let pairs = [
        ("bucketflow-inspect, bytes", "binwalk 3 -t 1, scan rate"),
        ("bucketflow-inspect, read", "binwalk 3 -t 1, scan rate"),
        ("bucketflow-inspect, read", "binwalk 3 -t 1, wall"),
    ];
    println!();
    for (ours, theirs) in pairs {
        if let (Some(ours), Some(theirs)) = (by_label(ours), by_label(theirs)) {
            let ratio = ours.mb_per_s() / theirs.mb_per_s();
            println!("speed-up, {} vs {}: {ratio:.0}x", ours.label, theirs.label);
        }
    }
}
