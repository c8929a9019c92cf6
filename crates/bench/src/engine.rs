//! `engine`: uploads of small images under an Active ImageInspect workflow, timed from each
//! PUT's answer to its execution's `Success` as seen in `GET /workflowexecution`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use tokio::time::MissedTickBehavior;

use crate::client::Cos;
use crate::drive::{self, Budget, Done};
use crate::stats::{Latencies, load_average, ms, rate};
use crate::{Result, ServerOptions, Target, disk, server};

#[derive(Args)]
pub struct Options {
    #[command(flatten)]
    pub server: ServerOptions,
    /// The ImageInspect corpus (with `clean/` and `abnormal/`).
    #[arg(long, value_name = "DIR", default_value = "/work/shared/corpus/dev")]
    corpus: PathBuf,
    /// Uploads per concurrency level.
    #[arg(long, default_value_t = 1000)]
    uploads: usize,
    /// Concurrency levels of the uploads.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    concurrency: Vec<usize>,
    /// Pause between two polls of the execution list, in milliseconds (at most 10).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=10))]
    poll_ms: u64,
}

/// Images larger than this are not used: the benchmark is about the engine, not the detector.
const MAX_IMAGE_BYTES: u64 = 20 * 1024;
/// Abnormal images taken, each with a different file extension.
const ABNORMAL_IMAGES: usize = 4;
/// Samples of the fsync probe taken before each level.
const FSYNC_SAMPLES: usize = 100;
/// The workflow's `ObjectPrefix`.
const PREFIX: &str = "engine/";
/// How long the poller waits for executions once the uploads are done.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Image {
    pub name: String,
    pub bytes: Bytes,
}

/// One concurrency level's outcome.
pub struct Level {
    concurrency: usize,
    pub uploads: usize,
    pub upload_wall: Duration,
    pub put: Latencies,
    pub to_success: Latencies,
    /// Executions per second from the first PUT to the last `Success` seen.
    executions_per_s: f64,
    /// Executions per second after the last upload was answered: the engine alone.
    drain_per_s: Option<f64>,
    /// Server CPU seconds per second of the level (cores busy), when its pid is known.
    server_cores: Option<f64>,
    pub failed: usize,
    pub missing: usize,
    pub poll_cycle: Latencies,
    pub poll_request: Latencies,
    /// The disk's append+fsync latency just before the level.
    fsync: Latencies,
}

pub async fn run(target: &Target, options: &Options) -> Result<()> {
    let images = Arc::new(pick_images(&options.corpus)?);
    for image in images.iter() {
        eprintln!("image {} ({} bytes)", image.name, image.bytes.len());
    }
    let cos = &target.cos;
    cos.create_bucket().await?;
    let workflow_id = cos
        .create_workflow(upload_workflow_document(PREFIX))
        .await?;
    eprintln!("workflow {workflow_id} is Active on prefix {PREFIX}");

    let load_before = load_average();
    let probe_dir = target.probe_dir()?;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let uploads = if target.quick {
        options.uploads / 10
    } else {
        options.uploads
    };
    let mut levels = Vec::new();
    for &concurrency in &options.concurrency {
        eprintln!("{uploads} uploads at concurrency {concurrency}");
        let dir = probe_dir.clone();
        let fsync =
            tokio::task::spawn_blocking(move || disk::append_fsync(&dir, FSYNC_SAMPLES)).await??;
        let cpu_before = target.pid.and_then(server::cpu_seconds);
        let started = Instant::now();
        let load = UploadLoad {
            key_prefix: format!("{PREFIX}c{concurrency}/"),
            concurrency,
            uploads,
            poll_every: Duration::from_millis(options.poll_ms),
        };
        let mut level = run_level(cos, &workflow_id, &seen, &images, &load).await?;
        level.fsync = fsync;
        let cpu_after = target.pid.and_then(server::cpu_seconds);
        level.server_cores = cpu_before
            .zip(cpu_after)
            .map(|(before, after)| (after - before) / started.elapsed().as_secs_f64());
        levels.push(level);
    }
    let logged = target.check_server()?;
    let load_after = load_average();

    println!("## Workflow engine\n");
    println!("Machine: {}.", crate::machine());
    println!("Load average (1, 5, 15 min): {load_before} before, {load_after} after.");
    println!("Server warnings logged during the run: {logged}.");
    println!(
        "Images: {} files under {} KiB from the corpus ({} clean, {} abnormal), cycled.",
        images.len(),
        MAX_IMAGE_BYTES / 1024,
        images
            .iter()
            .filter(|i| i.name.starts_with("clean/"))
            .count(),
        images
            .iter()
            .filter(|i| i.name.starts_with("abnormal/"))
            .count(),
    );
    println!(
        "Disk: `fsync p50` is the disk's latency to append 4 KiB to a file and fsync it (as a \
         WAL commit does), {FSYNC_SAMPLES} samples taken just before each level.\n"
    );
    print_table(&levels);
    Ok(())
}

/// Deterministic and varied: from `clean/`, the first file under the limit of each image format
/// (folders are `<format>-<variant>`); from `abnormal/`, the first file under the limit of each
/// payload folder whose extension is not taken yet, up to [`ABNORMAL_IMAGES`].
pub fn pick_images(corpus: &Path) -> Result<Vec<Image>> {
    let mut images = Vec::new();
    let mut formats = HashSet::new();
    for folder in sorted_entries(&corpus.join("clean"))? {
        let name = folder.file_name().map(|n| n.to_string_lossy().into_owned());
        let format = name
            .as_deref()
            .and_then(|n| n.split('-').next())
            .unwrap_or("");
        if formats.contains(format) {
            continue;
        }
        if let Some(path) = first_small_file(&folder)? {
            formats.insert(format.to_string());
            images.push(read_image(corpus, &path)?);
        }
    }
    let mut extensions = HashSet::new();
    for folder in sorted_entries(&corpus.join("abnormal"))? {
        if extensions.len() == ABNORMAL_IMAGES {
            break;
        }
        let Some(path) = first_small_file(&folder)? else {
            continue;
        };
        let extension = path.extension().map(|e| e.to_string_lossy().into_owned());
        if extensions.insert(extension.unwrap_or_default()) {
            images.push(read_image(corpus, &path)?);
        }
    }
    if images.is_empty() {
        return Err(format!(
            "no image under {MAX_IMAGE_BYTES} bytes in {}",
            corpus.display()
        )
        .into());
    }
    Ok(images)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

fn first_small_file(folder: &Path) -> Result<Option<PathBuf>> {
    if !folder.is_dir() {
        return Ok(None);
    }
    Ok(sorted_entries(folder)?.into_iter().find(|path| {
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.len() <= MAX_IMAGE_BYTES)
    }))
}

fn read_image(corpus: &Path, path: &Path) -> Result<Image> {
    let name = path.strip_prefix(corpus).unwrap_or(path);
    Ok(Image {
        name: name.to_string_lossy().into_owned(),
        bytes: Bytes::from(std::fs::read(path)?),
    })
}

/// An Active Start → ImageInspect (AutoProcess, BackupObject) → End, for objects under
/// `prefix`: what the upload-triggered measurements run.
pub fn upload_workflow_document(prefix: &str) -> String {
    let inspect = "<AutoProcess>true</AutoProcess><ProcessType>BackupObject</ProcessType>";
    image_inspect_workflow("bench-image-inspect", "Active", prefix, inspect)
}

/// Start → ImageInspect (with `inspect` as its options) → End, for objects under `prefix`.
/// No `NotifyConfig`: callbacks would leave the machine.
pub fn image_inspect_workflow(name: &str, state: &str, prefix: &str, inspect: &str) -> String {
    format!(
        "<Request><MediaWorkflow><Name>{name}</Name><State>{state}</State>\
         <Topology><Dependencies><Start>ImageInspectNode</Start>\
         <ImageInspectNode>End</ImageInspectNode></Dependencies>\
         <Nodes><Start><Type>Start</Type><Input><ObjectPrefix>{prefix}</ObjectPrefix></Input>\
         </Start><ImageInspectNode><Type>ImageInspect</Type><Operation><ImageInspect>\
         {inspect}</ImageInspect></Operation></ImageInspectNode></Nodes></Topology>\
         </MediaWorkflow></Request>"
    )
}

/// What the poller learnt: when each object's execution was first seen finished.
#[derive(Default)]
pub struct Seen {
    run_ids: HashSet<String>,
    /// Object key → (when seen, final state).
    finished: HashMap<String, (Instant, String)>,
}

/// One level of uploads: `uploads` keys under `key_prefix`, `concurrency` at a time.
pub struct UploadLoad {
    /// Under the workflow's `ObjectPrefix`, and used by no other level.
    pub key_prefix: String,
    pub concurrency: usize,
    pub uploads: usize,
    pub poll_every: Duration,
}

/// Uploads `load` while polling the workflow's executions; `seen` is shared by every level of
/// one workflow so that a poll stops at the first execution it already knows.
pub async fn run_level(
    cos: &Cos,
    workflow_id: &str,
    seen: &Arc<Mutex<Seen>>,
    images: &Arc<Vec<Image>>,
    load: &UploadLoad,
) -> Result<Level> {
    let (concurrency, uploads) = (load.concurrency, load.uploads);
    let level_prefix = load.key_prefix.clone();
    let expected = Arc::new(AtomicUsize::new(usize::MAX));
    let poller = tokio::spawn(poll(
        cos.clone(),
        workflow_id.to_string(),
        level_prefix.clone(),
        seen.clone(),
        expected.clone(),
        load.poll_every,
    ));

    // The uploads: each records when its answer arrived.
    let answered: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let first_put = Instant::now();
    let budget = Budget {
        concurrency,
        max_ops: uploads,
        max_time: Duration::from_secs(300),
    };
    let (put, _) = {
        let (cos, images, answered) = (cos.clone(), images.clone(), answered.clone());
        let level_prefix = level_prefix.clone();
        drive::run(budget, move |n| {
            let (cos, answered) = (cos.clone(), answered.clone());
            let image = &images[n % images.len()];
            let base = image.name.rsplit('/').next().unwrap_or("image");
            let key = format!("{level_prefix}{n:05}-{base}");
            let body = image.bytes.clone();
            async move {
                let bytes = body.len() as u64;
                let latency = cos.put(&key, body).await?;
                answered
                    .lock()
                    .expect("no panics while locked")
                    .insert(key, Instant::now());
                Ok(Done { latency, bytes })
            }
        })
        .await?
    };
    let upload_wall = put.wall;

    // Wait for the executions.
    expected.store(put.ops, Ordering::Relaxed);
    let (poll_cycle, poll_request) = poller.await??;

    let seen = seen.lock().expect("no panics while locked");
    let answered = answered.lock().expect("no panics while locked");
    let matched = match_executions(&answered, &seen, first_put);
    Ok(Level {
        concurrency,
        uploads: put.ops,
        upload_wall,
        executions_per_s: matched.executions_per_s,
        drain_per_s: matched.drain_per_s,
        server_cores: None,
        to_success: matched.to_success,
        put: put.latencies,
        failed: matched.failed,
        missing: matched.missing,
        poll_cycle,
        poll_request,
        fsync: Latencies::default(),
    })
}

/// Uploads joined with the executions the poller saw.
struct Matched {
    to_success: Latencies,
    failed: usize,
    missing: usize,
    executions_per_s: f64,
    drain_per_s: Option<f64>,
}

/// Joins each upload's answer time with the time its execution was seen finished.
fn match_executions(
    answered: &HashMap<String, Instant>,
    seen: &Seen,
    first_put: Instant,
) -> Matched {
    let mut to_success = Vec::new();
    let (mut failed, mut missing, mut last_success) = (0, 0, first_put);
    let last_answer = answered.values().max().copied().unwrap_or(first_put);
    let mut after_last_answer = 0usize;
    for (key, answered_at) in answered {
        match seen.finished.get(key) {
            // A poll can return before the uploader handles its answer: count that as zero.
            Some((at, state)) if state == "Success" => {
                to_success.push(at.saturating_duration_since(*answered_at));
                last_success = last_success.max(*at);
                after_last_answer += usize::from(*at > last_answer);
            }
            Some(_) => failed += 1,
            None => missing += 1,
        }
    }
    let span = last_success
        .duration_since(first_put)
        .as_secs_f64()
        .max(1e-9);
    // Only meaningful when a backlog was left to drain.
    let drain = last_success.saturating_duration_since(last_answer);
    let drain_per_s =
        (after_last_answer >= 50).then(|| after_last_answer as f64 / drain.as_secs_f64().max(1e-9));
    Matched {
        executions_per_s: to_success.len() as f64 / span,
        to_success: Latencies::new(to_success),
        failed,
        missing,
        drain_per_s,
    }
}

/// Polls `GET /workflowexecution?states=Success,Failed` (newest first) every `every` until
/// `expected` executions of objects under `key_prefix` have been seen, or [`DRAIN_TIMEOUT`]
/// passes after `expected` is set.
/// A poll reads further pages only while every item of a page is new, so the newly finished
/// executions, which are the newest, cost one page. Returns the time between poll starts and
/// the time of each list request.
async fn poll(
    cos: Cos,
    workflow_id: String,
    key_prefix: String,
    seen: Arc<Mutex<Seen>>,
    expected: Arc<AtomicUsize>,
    every: Duration,
) -> Result<(Latencies, Latencies)> {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut cycles, mut requests) = (Vec::new(), Vec::new());
    let mut last_start: Option<Instant> = None;
    let mut drain_deadline = None;
    loop {
        ticker.tick().await;
        let started = Instant::now();
        if let Some(previous) = last_start.replace(started) {
            cycles.push(started - previous);
        }

        let mut token: Option<String> = None;
        for _page in 0..50 {
            let request_started = Instant::now();
            let page = cos
                .list_executions(&workflow_id, "Success,Failed", token.as_deref())
                .await?;
            let now = Instant::now();
            requests.push(now - request_started);
            let mut seen = seen.lock().expect("no panics while locked");
            let mut all_new = true;
            for item in page.items {
                if seen.run_ids.insert(item.run_id) {
                    seen.finished.insert(item.object, (now, item.state));
                } else {
                    all_new = false;
                }
            }
            token = page.next_token;
            if !all_new || token.is_none() {
                break;
            }
        }

        let found = seen
            .lock()
            .expect("no panics while locked")
            .finished
            .keys()
            .filter(|key| key.starts_with(&key_prefix))
            .count();
        let wanted = expected.load(Ordering::Relaxed);
        if wanted != usize::MAX {
            if found >= wanted {
                break;
            }
            let deadline = *drain_deadline.get_or_insert_with(|| Instant::now() + DRAIN_TIMEOUT);
            if Instant::now() >= deadline {
                break;
            }
        }
    }
    Ok((Latencies::new(cycles), Latencies::new(requests)))
}

fn print_table(levels: &[Level]) {
    println!(
        "| conc | uploads | uploads/s | PUT p50 ms | PUT p99 ms | PUT→Success p50 ms | \
         p99 ms | max ms | executions/s | drain executions/s | server CPU cores | failed | \
         missing | poll cycle p50 / p99 ms | fsync p50 ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for level in levels {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} |",
            level.concurrency,
            level.uploads,
            rate(level.uploads as f64 / level.upload_wall.as_secs_f64().max(1e-9)),
            ms(level.put.p50()),
            ms(level.put.p99()),
            ms(level.to_success.p50()),
            ms(level.to_success.p99()),
            ms(level.to_success.max()),
            rate(level.executions_per_s),
            level.drain_per_s.map_or_else(|| "—".into(), rate),
            level
                .server_cores
                .map_or_else(|| "n/a".into(), |c| format!("{c:.2}")),
            level.failed,
            level.missing,
            ms(level.poll_cycle.p50()),
            ms(level.poll_cycle.p99()),
            ms(level.fsync.p50()),
        );
    }
    if let Some(level) = levels.first() {
        println!(
            "\nResolution: an execution is timed when the poll that first lists it as finished \
             returns; a poll starts every cycle above (list request p50 {} ms), so a figure is \
             late by up to one cycle. `drain executions/s` counts the executions that finished \
             after the last upload was answered (shown when at least 50 did); `server CPU cores` \
             is the server's CPU time over the level's wall time.",
            ms(level.poll_request.p50())
        );
    }
}
